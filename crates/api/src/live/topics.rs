//! What a subscription may follow: the schema's `Subscription` type.
//!
//! Each topic is a selection of the change log's entries. A subscription's resolver runs
//! in one of two turns, which the connection puts in the request's data: once when the
//! subscription starts, to say what it follows ([`Describe`]: its arguments parsed and
//! checked like a query's), then once for each entry of the log that the subscriber may
//! read and that is of the topic's kinds ([`Deliver`]): the resolver yields that entry as a
//! change when it belongs to the topic, nothing otherwise. Every delivery runs with a
//! request scope of its own, so the item is read as it is now and under the subscriber's
//! access rules, as a query made at that moment would read it.

use std::sync::{Arc, Mutex};

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription as GraphqlSubscription};
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{ChangeEntry, ChangePosition};
use capitole_persistence::events::{self, AgendaColumns};
use capitole_persistence::{Columns, PageRequest, articles, reactions, tips};

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::query::events::EventFilter;
use crate::query::news::NewsFilter;
use crate::types::change::{Change, ChangeEdge};
use crate::types::connection::page_request;

/// What a subscription follows: the kinds of items whose entries may belong to it, and
/// where in the log it resumes (`after`, the position as storage encodes it), if anywhere.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Topic {
    pub kinds: Vec<ItemKind>,
    /// The one item it follows, when it follows one: entries of other items are not even
    /// handed to it.
    pub item: Option<uuid::Uuid>,
    pub after: Option<String>,
}

impl Topic {
    /// Whether an entry may belong to the topic, before its turn runs.
    pub(crate) fn may_take(&self, entry: &ChangeEntry) -> bool {
        self.kinds.contains(&entry.kind) && self.item.is_none_or(|item| item == entry.id)
    }
}

/// What a topic yields in one turn: the change, or nothing.
pub(crate) type Edges = futures_util::stream::Iter<std::option::IntoIter<ChangeEdge>>;

/// Why a notification concerns the signed-in person.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotificationReason {
    /// An event they are going to changed (edited, rescheduled, cancelled, unpublished).
    EventChanged,
    /// Someone liked one of their tips.
    TipLiked,
    /// A moderator hid one of their tips.
    TipHidden,
}

/// A change that concerns the signed-in person.
#[derive(SimpleObject)]
pub(crate) struct Notification {
    /// The change's cursor in the change log: pass it as `after` to resume.
    pub cursor: String,
    /// Why it concerns them.
    pub reason: NotificationReason,
    /// The change, with the item as it is now.
    pub change: Change,
}

/// What `viewerNotifications` yields in one turn.
pub(crate) type Notifications = futures_util::stream::Iter<std::option::IntoIter<Notification>>;

/// The turn in which a subscription says what it follows.
#[derive(Clone, Default)]
pub(crate) struct Describe(pub Arc<Mutex<Option<Topic>>>);

/// The turn in which a subscription is handed one entry of the log.
#[derive(Clone)]
pub(crate) struct Deliver(pub Arc<ChangeEntry>);

/// The subscriptions' root.
#[derive(Default)]
pub struct Subscription;

/// Changes as they happen, on every replica, under the caller's access rules. Over
/// WebSocket at `/graphql/ws` (the `graphql-transport-ws` protocol). Each change comes with
/// its cursor in the change log: pass the last one received as `after` when subscribing
/// again to receive what was missed meanwhile, then what comes next.
#[GraphqlSubscription]
impl Subscription {
    /// The changes of one event: edited, cancelled, rescheduled, published, unpublished or
    /// deleted. The node is the event as it is now (null once it left the caller's view).
    async fn event_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's global id.")] id: ID,
        #[graphql(desc = "Resume after this cursor of the change log.")] after: Option<String>,
    ) -> async_graphql::Result<Edges> {
        let id = ids::decode_as(Kind::Event, &id).map_err(to_gql)?;
        one_item(ctx, ItemKind::Event, id, after)
    }

    /// The changes of the events of the agenda that `filter` keeps (the agenda from now
    /// on when no filter is given), and of any event that leaves the caller's view.
    async fn events_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events.")] filter: Option<EventFilter>,
        #[graphql(desc = "Resume after this cursor of the change log.")] after: Option<String>,
    ) -> async_graphql::Result<Edges> {
        let Some(entry) = delivered(ctx, ItemKind::Event, after)? else {
            return Ok(futures_util::stream::iter(None));
        };
        let keep = event_in(scope(ctx)?, filter, &entry)
            .await
            .map_err(to_gql)?;
        Ok(futures_util::stream::iter(keep.then(|| edge(&entry))))
    }

    /// News articles as they are published (at once, or when their scheduled time comes),
    /// among those the list of news with `filter` holds.
    async fn news_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which articles.")] filter: Option<NewsFilter>,
        #[graphql(desc = "Resume after this cursor of the change log.")] after: Option<String>,
    ) -> async_graphql::Result<Edges> {
        let Some(entry) = delivered(ctx, ItemKind::Article, after)? else {
            return Ok(futures_util::stream::iter(None));
        };
        let keep = news_in(scope(ctx)?, filter, &entry).await.map_err(to_gql)?;
        Ok(futures_util::stream::iter(keep.then(|| edge(&entry))))
    }

    /// The changes of one place: its description, hours or closure edited, hidden or
    /// deleted. The node is the place as it is now (null once it left the caller's view).
    async fn place_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place's global id.")] id: ID,
        #[graphql(desc = "Resume after this cursor of the change log.")] after: Option<String>,
    ) -> async_graphql::Result<Edges> {
        let id = ids::decode_as(Kind::Place, &id).map_err(to_gql)?;
        one_item(ctx, ItemKind::Place, id, after)
    }

    /// What concerns the signed-in person: a change of an event they are going to (a date
    /// to come or under way), a like of one of their tips, one of their tips hidden by a
    /// moderator. Needs a person's session.
    async fn viewer_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor of the change log.")] after: Option<String>,
    ) -> async_graphql::Result<Notifications> {
        let scope = scope(ctx)?;
        let viewer = scope
            .principal
            .user()
            .map_err(ApiError::from)
            .map_err(to_gql)?;
        let Some(entry) = delivered_of(ctx, &[ItemKind::Event, ItemKind::Tip], None, after)? else {
            return Ok(futures_util::stream::iter(None));
        };
        let reason = match (entry.kind, entry.change) {
            (ItemKind::Event, _) => {
                reactions::is_going_to_event(&scope.db, viewer.user_id, entry.id, scope.now)
                    .await
                    .map_err(to_gql)?
                    .then_some(NotificationReason::EventChanged)
            }
            (ItemKind::Tip, ChangeKind::Liked | ChangeKind::Hidden) => {
                let author = tips::tip_and_publishers(&scope.db, entry.id)
                    .await
                    .map_err(to_gql)?
                    .map(|(tip, _)| tip.user_id);
                (author == Some(viewer.user_id)).then_some(if entry.change == ChangeKind::Liked {
                    NotificationReason::TipLiked
                } else {
                    NotificationReason::TipHidden
                })
            }
            _ => None,
        };
        Ok(futures_util::stream::iter(reason.map(|reason| {
            let ChangeEdge { cursor, node } = edge(&entry);
            Notification {
                cursor,
                reason,
                change: node,
            }
        })))
    }
}

/// Whether the change of an event belongs to the changes of the agenda that `filter` keeps
/// (the agenda from now on without one), as `scope`'s caller reads it now: the event is in
/// it, or it left public view.
pub(crate) async fn event_in(
    scope: &RequestScope,
    filter: Option<EventFilter>,
    entry: &ChangeEntry,
) -> Result<bool, ApiError> {
    if entry.change.removes() {
        return Ok(true);
    }
    let mut filter =
        crate::query::events::storage_filter(scope, filter.unwrap_or_default()).await?;
    filter.ids = vec![entry.id];
    let found = events::list(
        &scope.db,
        &filter,
        &PageRequest::first(1),
        AgendaColumns::ALL,
    )
    .await?;
    Ok(!found.rows.is_empty())
}

/// Whether the change of an article is its publication among the news `filter` keeps, as
/// `scope`'s caller reads them now.
pub(crate) async fn news_in(
    scope: &RequestScope,
    filter: Option<NewsFilter>,
    entry: &ChangeEntry,
) -> Result<bool, ApiError> {
    if entry.change != ChangeKind::Published {
        return Ok(false);
    }
    let mut filter = crate::query::news::storage_filter(scope, filter.unwrap_or_default()).await?;
    filter.ids = vec![entry.id];
    let visibility = scope.principal.article_visibility(scope.now);
    let found = articles::list(
        &scope.db,
        &visibility,
        &filter,
        &PageRequest::first(1),
        Columns::ALL,
    )
    .await?;
    Ok(!found.rows.is_empty())
}

/// The entry this turn delivers, when it is one of `kind`; when the turn describes the
/// subscription, records its topic and delivers nothing.
fn delivered(
    ctx: &Context<'_>,
    kind: ItemKind,
    after: Option<String>,
) -> ApiResult<Option<Arc<ChangeEntry>>> {
    delivered_of(ctx, &[kind], None, after)
}

/// [`delivered`], for a topic of several kinds.
fn delivered_of(
    ctx: &Context<'_>,
    kinds: &[ItemKind],
    item: Option<uuid::Uuid>,
    after: Option<String>,
) -> ApiResult<Option<Arc<ChangeEntry>>> {
    if let Some(Describe(slot)) = ctx.data_opt::<Describe>() {
        // A cursor as clients hold it (from `changes`, `changeCursor` or a change received).
        let after = page_request(None, after, None, None)
            .map_err(to_gql)?
            .cursor;
        if let Some(raw) = &after {
            ChangePosition::decode(raw).map_err(|_| {
                to_gql(ApiError::bad_input(
                    "`after` is not a cursor of the change log",
                ))
            })?;
        }
        if let Ok(mut topic) = slot.lock() {
            *topic = Some(Topic {
                kinds: kinds.to_vec(),
                item,
                after,
            });
        }
        return Ok(None);
    }
    Ok(ctx
        .data_opt::<Deliver>()
        .map(|Deliver(entry)| entry.clone())
        .filter(|entry| kinds.contains(&entry.kind) && item.is_none_or(|id| id == entry.id)))
}

/// A topic of the changes of one item.
fn one_item(
    ctx: &Context<'_>,
    kind: ItemKind,
    id: uuid::Uuid,
    after: Option<String>,
) -> ApiResult<Edges> {
    let entry = delivered_of(ctx, &[kind], Some(id), after)?;
    Ok(futures_util::stream::iter(entry.map(|entry| edge(&entry))))
}

fn edge(entry: &ChangeEntry) -> ChangeEdge {
    ChangeEdge {
        cursor: crate::types::connection::wrap_cursor(&entry.position.encode()),
        node: Change(entry.clone()),
    }
}
