//! The change log as clients read it: what changed, in log order, with the item as it is
//! now (null when it left the caller's view: deleted, hidden or unpublished).

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Union};
use capitole_domain::change::{ChangeKind as DomainChange, ItemKind as DomainKind};
use capitole_persistence::changes::ChangeEntry;
use chrono::{DateTime, Utc};

use crate::context::scope;
use crate::error::ApiResult;
use crate::ids;
use crate::loaders::{ArticleId, EventId, OrganizationId, PlaceId, TipId};
use crate::types::article::NewsArticle;
use crate::types::catalog::Organization;
use crate::types::community::Tip;
use crate::types::connection::connection;
use crate::types::event::Event;
use crate::types::place::Place;

/// The kinds of items the change log follows.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    /// A news article.
    Article,
    /// An event.
    Event,
    /// A place.
    Place,
    /// A tip left at a place.
    Tip,
    /// A publisher (its social accounts).
    Organization,
}

impl From<ItemKind> for DomainKind {
    fn from(kind: ItemKind) -> Self {
        match kind {
            ItemKind::Article => DomainKind::Article,
            ItemKind::Event => DomainKind::Event,
            ItemKind::Place => DomainKind::Place,
            ItemKind::Tip => DomainKind::Tip,
            ItemKind::Organization => DomainKind::Organization,
        }
    }
}

impl From<DomainKind> for ItemKind {
    fn from(kind: DomainKind) -> Self {
        match kind {
            DomainKind::Article => ItemKind::Article,
            DomainKind::Event => ItemKind::Event,
            DomainKind::Place => ItemKind::Place,
            DomainKind::Tip => ItemKind::Tip,
            DomainKind::Organization => ItemKind::Organization,
        }
    }
}

/// What happened to an item.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    /// It was made.
    Created,
    /// Its content changed (for a place, also its statistics).
    Updated,
    /// It became public.
    Published,
    /// It stopped being public (unpublished or archived): drop it from an offline copy.
    Unpublished,
    /// It was cancelled; it stays readable with its status.
    Cancelled,
    /// A moderator hid it: drop it from an offline copy.
    Hidden,
    /// It is gone: drop it from an offline copy.
    Deleted,
    /// Someone liked it (tips): its `likeCount` changed.
    Liked,
}

impl From<DomainChange> for ChangeKind {
    fn from(change: DomainChange) -> Self {
        match change {
            DomainChange::Created => ChangeKind::Created,
            DomainChange::Updated => ChangeKind::Updated,
            DomainChange::Published => ChangeKind::Published,
            DomainChange::Unpublished => ChangeKind::Unpublished,
            DomainChange::Cancelled => ChangeKind::Cancelled,
            DomainChange::Hidden => ChangeKind::Hidden,
            DomainChange::Deleted => ChangeKind::Deleted,
            DomainChange::Liked => ChangeKind::Liked,
        }
    }
}

/// An item of the change log, as it is now.
#[derive(Union)]
pub(crate) enum ChangedItem {
    /// A news article.
    NewsArticle(NewsArticle),
    /// An event.
    Event(Event),
    /// A place.
    Place(Place),
    /// A tip.
    Tip(Tip),
    /// A publisher.
    Organization(Organization),
}

/// One change of one item.
#[derive(Clone)]
pub(crate) struct Change(pub ChangeEntry);

/// One change of one item.
#[Object]
impl Change {
    /// The kind of item that changed.
    async fn kind(&self) -> ItemKind {
        self.0.kind.into()
    }

    /// The global id of the item (also for items that are gone).
    async fn id(&self) -> ID {
        ids::encode(self.0.kind.into(), self.0.id)
    }

    /// What happened.
    async fn change(&self) -> ChangeKind {
        self.0.change.into()
    }

    /// The item's version after the change (0 for tips, which have no versions).
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The item as it is now, under the caller's access rules; null when it is gone from
    /// the caller's view (deleted, hidden, unpublished): a tombstone, which an offline copy
    /// drops.
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<Option<ChangedItem>> {
        let scope = scope(ctx)?;
        let id = self.0.id;
        Ok(match self.0.kind {
            DomainKind::Article => scope
                .load(ArticleId(id))
                .await?
                .map(|m| ChangedItem::NewsArticle(NewsArticle(m))),
            DomainKind::Event => scope
                .load(EventId(id))
                .await?
                .map(|m| ChangedItem::Event(Event::new(m))),
            DomainKind::Place => scope
                .load(PlaceId(id))
                .await?
                .map(|m| ChangedItem::Place(Place(m))),
            DomainKind::Tip => scope
                .load(TipId(id))
                .await?
                .map(|m| ChangedItem::Tip(Tip(m))),
            DomainKind::Organization => scope
                .load(OrganizationId(id))
                .await?
                .map(|m| ChangedItem::Organization(Organization(m))),
        })
    }
}

/// A change in the log, with its cursor.
#[derive(SimpleObject, Clone)]
pub(crate) struct ChangeEdge {
    /// Pass it as `after` to read the changes that follow this one (or as `before` for
    /// those that precede it).
    pub cursor: String,
    /// The change.
    pub node: Change,
}

connection!(
    /// A page of the change log, in log order; keep `endCursor` (when not null) for the
    /// next call.
    ChangeConnection, ChangeEdge, Change
);
