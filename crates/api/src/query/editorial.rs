//! What editors read about their work: the audit log of editorial writes and of tip
//! moderation, and the revisions of an article, with a comparison of two of them.

use async_graphql::types::Json;
use async_graphql::{Context, ID, Object, SimpleObject};
use capitole_domain::article::ArticleStatus as DomainStatus;
use capitole_domain::audit::AuditAction as DomainAction;
use capitole_domain::change::ItemKind;
use capitole_persistence::audit::{self, AuditFilter};
use capitole_persistence::entities::{article_revision, audit_entry};
use capitole_persistence::{article, articles};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::OrganizationId;
use crate::types::article::ArticleStatus;
use crate::types::catalog::Organization;
use crate::types::connection::{CountQuery, connection, edges, page_request};

/// One editorial write, or a moderator hiding or restoring a tip.
#[derive(Clone)]
pub(crate) struct AuditEntry(pub audit_entry::Model);

impl AuditEntry {
    /// The kind of item of the entry. Storage writes only known kinds; an entry from
    /// elsewhere reads as an article's (and is logged).
    fn kind(&self) -> ItemKind {
        ItemKind::from_code(&self.0.item_kind).unwrap_or_else(|| {
            tracing::warn!(entry = %self.0.id, kind = %self.0.item_kind, "audit entry of an unknown kind read as ARTICLE");
            ItemKind::Article
        })
    }
}

/// What was done to an item, as the audit log records it.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::audit::AuditAction")]
pub(crate) enum AuditAction {
    /// An item was made.
    Create,
    /// An item's content changed.
    Update,
    /// A publisher's system sent the whole of an event or place, made or changed by its key.
    Upsert,
    /// An article was deleted.
    Delete,
    /// A draft was sent for review.
    SubmitForReview,
    /// An article became public.
    Publish,
    /// An article was set to be published later.
    Schedule,
    /// An article stopped being public.
    Unpublish,
    /// An article was archived.
    Archive,
    /// An event was cancelled.
    Cancel,
    /// An event was put off to dates not yet known.
    Postpone,
    /// An event was moved to new dates.
    Reschedule,
    /// An event's status was set.
    SetStatus,
    /// The status of one date of an event was set.
    SetOccurrenceStatus,
    /// A place was closed.
    Close,
    /// A place was reopened.
    Reopen,
    /// A post announcing an article on a social network was recorded.
    RecordSocialPost,
    /// A recorded social post was removed.
    RemoveSocialPost,
    /// Texts of an event or a place were translated, or their translations removed.
    Translate,
    /// A moderator hid a tip.
    Hide,
    /// A moderator showed a hidden tip again.
    Restore,
}

/// One editorial write, or a moderator hiding or restoring a tip.
#[Object]
impl AuditEntry {
    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who did it (their name when it was written, or `scheduler`).
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The organization they acted for (for a tip, its place's owner when the moderator
    /// edits for it, otherwise the moderator's own; none for an administrator at a place
    /// without an owner).
    async fn organization(&self, ctx: &Context<'_>) -> ApiResult<Option<Organization>> {
        let Some(id) = self.0.organization_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?
            .load(OrganizationId(id))
            .await?
            .map(Organization))
    }
    /// What was done.
    async fn action(&self) -> AuditAction {
        DomainAction::from_code(&self.0.action)
            .unwrap_or_else(|| {
                // Storage writes only known actions; an entry from elsewhere still reads.
                tracing::warn!(entry = %self.0.id, action = %self.0.action, "audit entry of an unknown action read as UPDATE");
                DomainAction::Update
            })
            .into()
    }
    /// The kind of item.
    async fn item_kind(&self) -> crate::types::change::ItemKind {
        self.kind().into()
    }
    /// The item's global id (it may have been deleted since).
    async fn item_id(&self) -> ID {
        ids::encode(self.kind().into(), self.0.item_id)
    }
    /// What changed: for each field, `from` and `to` (long texts say only that they
    /// changed, with their lengths).
    async fn changes(&self) -> Json<Value> {
        Json(serde_json::from_str(&self.0.changes).unwrap_or(Value::Null))
    }
}

/// An entry in the audit log.
#[derive(SimpleObject, Clone)]
pub(crate) struct AuditEntryEdge {
    /// The cursor of this entry in the list.
    pub cursor: String,
    /// The entry.
    pub node: AuditEntry,
}

connection!(
    /// A page of the audit log, newest first.
    AuditEntryConnection, AuditEntryEdge, AuditEntry
);

/// One version of an article.
#[derive(SimpleObject, Clone)]
pub(crate) struct ArticleRevision {
    /// The version number (the article's `version` after that write).
    pub version: i64,
    /// Its status then.
    pub status: ArticleStatus,
    /// Its title then.
    pub title: String,
    /// Its summary then.
    pub summary: String,
    /// Its easy-to-read summary then.
    pub easy_read_summary: Option<String>,
    /// Its body then (Markdown).
    pub body: String,
    /// Its tags then.
    pub tags: Vec<String>,
    /// Its news categories then (slugs, in order).
    pub categories: Vec<String>,
    /// When that version was written.
    pub created_at: DateTime<Utc>,
}

impl From<article_revision::Model> for ArticleRevision {
    fn from(r: article_revision::Model) -> Self {
        Self {
            version: r.version,
            status: DomainStatus::from_code(&r.status)
                .unwrap_or_else(|| {
                    tracing::warn!(article = %r.article_id, status = %r.status, "revision of an unknown status read as DRAFT");
                    DomainStatus::Draft
                })
                .into(),
            title: r.title,
            summary: r.summary,
            easy_read_summary: r.easy_read_summary,
            body: r.body,
            tags: capitole_domain::text::decode_codes(&r.tags)
                .map(str::to_owned)
                .collect(),
            categories: capitole_domain::text::decode_codes(&r.categories)
                .map(str::to_owned)
                .collect(),
            created_at: r.created_at,
        }
    }
}

/// A field that differs between two revisions.
#[derive(SimpleObject)]
pub(crate) struct FieldChange {
    /// The field (`title`, `summary`, `easyReadSummary`, `body`, `tags`, `categories`,
    /// `status`).
    pub field: String,
    /// Its value in the older revision.
    pub from: Option<String>,
    /// Its value in the newer revision.
    pub to: Option<String>,
}

/// The article with this global id, when the caller may read its revisions.
async fn revised_article(scope: &RequestScope, id: &ID) -> ApiResult<uuid::Uuid> {
    let uuid = ids::decode_as(Kind::NewsArticle, id).map_err(to_gql)?;
    let organizations = article::publishers(&scope.db, uuid).await.map_err(to_gql)?;
    if !scope.principal.may_preview(&organizations) {
        scope.principal.user().map_err(to_gql)?;
        return Err(to_gql(ApiError::new(
            ErrorCode::Forbidden,
            "revisions are for the editors of the article's publishers",
        )));
    }
    Ok(uuid)
}

/// A revision in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct ArticleRevisionEdge {
    /// The cursor of this revision in the list.
    pub cursor: String,
    /// The revision.
    pub node: ArticleRevision,
}

connection!(
    /// A page of an article's revisions, newest first.
    ArticleRevisionConnection, ArticleRevisionEdge, ArticleRevision
);

#[derive(Default)]
pub(crate) struct EditorialQuery;

#[Object]
impl EditorialQuery {
    /// The audit log of editorial writes and of tip moderation, newest first: every entry
    /// for administrators; for editors, the entries about their organizations' items and
    /// those written for their organizations (tips moderated at their places or by their
    /// colleagues).
    #[graphql(cache_control(private))]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
        #[graphql(desc = "Only entries about this item.")] item_id: Option<ID>,
    ) -> ApiResult<AuditEntryConnection> {
        let scope = scope(ctx)?;
        let organizations = scope.principal.audit_scope().map_err(to_gql)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let item = item_id
            .map(|id| ids::decode(&id).map(|(_, uuid)| uuid))
            .transpose()
            .map_err(to_gql)?;
        let filter = AuditFilter {
            organizations,
            item,
        };
        let page = audit::audit_log(&scope.db, &filter, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |e, cursor| AuditEntryEdge {
            cursor,
            node: AuditEntry(e),
        });
        Ok(AuditEntryConnection {
            edges,
            page_info,
            count: CountQuery::Audit(Box::new(filter)),
        })
    }

    /// The revisions of an article, newest first (its publishers' editors and
    /// administrators).
    #[graphql(cache_control(private))]
    async fn article_revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
    ) -> ApiResult<ArticleRevisionConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let article_id = revised_article(scope, &id).await?;
        let page = articles::revisions(&scope.db, article_id, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |r, cursor| ArticleRevisionEdge {
            cursor,
            node: r.into(),
        });
        Ok(ArticleRevisionConnection {
            edges,
            page_info,
            count: CountQuery::Revisions(article_id),
        })
    }

    /// The fields that differ between two revisions of an article.
    #[graphql(cache_control(private))]
    async fn compare_article_revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(desc = "The older version.")] from: i32,
        #[graphql(desc = "The newer version.")] to: i32,
    ) -> ApiResult<Vec<FieldChange>> {
        let scope = scope(ctx)?;
        let article_id = revised_article(scope, &id).await?;
        let all = articles::all_revisions(&scope.db, article_id)
            .await
            .map_err(to_gql)?;
        let find = |v: i32| {
            all.iter()
                .find(|r| r.version == i64::from(v))
                .ok_or_else(|| {
                    to_gql(ApiError::bad_input(format!(
                        "the article has no version {v}"
                    )))
                })
        };
        let (a, b) = (find(from)?, find(to)?);
        let pairs = [
            ("title", Some(a.title.clone()), Some(b.title.clone())),
            ("summary", Some(a.summary.clone()), Some(b.summary.clone())),
            (
                "easyReadSummary",
                a.easy_read_summary.clone(),
                b.easy_read_summary.clone(),
            ),
            ("body", Some(a.body.clone()), Some(b.body.clone())),
            ("tags", Some(a.tags.clone()), Some(b.tags.clone())),
            (
                "categories",
                Some(a.categories.clone()),
                Some(b.categories.clone()),
            ),
            ("status", Some(a.status.clone()), Some(b.status.clone())),
        ];
        Ok(pairs
            .into_iter()
            .filter(|(_, x, y)| x != y)
            .map(|(field, from, to)| FieldChange {
                field: field.to_owned(),
                from,
                to,
            })
            .collect())
    }
}
