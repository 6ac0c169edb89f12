//! What editors read about their work: the audit log of editorial writes and of tip
//! moderation, and the revisions of an article, with a comparison of two of them.

use async_graphql::types::Json;
use async_graphql::{Context, ID, Object, SimpleObject};
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
use crate::types::catalog::Organization;
use crate::types::connection::{
    CountQuery, connection, page_info, page_size, unwrap_cursor, wrap_cursor,
};

/// One editorial write, or a moderator hiding or restoring a tip.
#[derive(Clone)]
pub(crate) struct AuditEntry(pub audit_entry::Model);

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
    /// What was done: `CREATE`, `UPDATE`, `SUBMIT_FOR_REVIEW`, `PUBLISH`, `SCHEDULE`,
    /// `UNPUBLISH`, `ARCHIVE` or `DELETE` for articles; `UPSERT`, `CANCEL`, `POSTPONE`,
    /// `RESCHEDULE`, `SET_STATUS`, `SET_OCCURRENCE_STATUS`, `CLOSE` or `REOPEN` for events
    /// and places; `RECORD_SOCIAL_POST` or `REMOVE_SOCIAL_POST`; `HIDE` or `RESTORE` for
    /// tips.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of item (`ARTICLE`, `EVENT`, `PLACE` or `TIP`).
    async fn item_kind(&self) -> &str {
        &self.0.item_kind
    }
    /// The item's global id (it may have been deleted since).
    async fn item_id(&self) -> ID {
        let kind = match ItemKind::from_code(&self.0.item_kind) {
            Some(ItemKind::Event) => Kind::Event,
            Some(ItemKind::Place) => Kind::Place,
            Some(ItemKind::Tip) => Kind::Tip,
            Some(ItemKind::Article) | None => Kind::NewsArticle,
        };
        ids::encode(kind, self.0.item_id)
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
    /// The cursor to resume the list after this entry.
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
    pub status: String,
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
            status: r.status,
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

async fn revisions_of(scope: &RequestScope, id: &ID) -> ApiResult<Vec<article_revision::Model>> {
    let uuid = ids::decode_as(Kind::NewsArticle, id).map_err(to_gql)?;
    let organizations = article::publishers(&scope.db, uuid).await.map_err(to_gql)?;
    if !scope.principal.may_preview(&organizations) {
        scope.principal.user().map_err(to_gql)?;
        return Err(to_gql(ApiError::new(
            ErrorCode::Forbidden,
            "revisions are for the editors of the article's publishers",
        )));
    }
    articles::revisions(&scope.db, uuid).await.map_err(to_gql)
}

#[derive(Default)]
pub(crate) struct EditorialQuery;

#[Object]
impl EditorialQuery {
    /// The audit log of editorial writes and of tip moderation, newest first: every entry
    /// for administrators; for editors, the entries about their organizations' items and
    /// those written for their organizations (tips moderated at their places or by their
    /// colleagues).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries, 1 to 100.", default = 20)] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only entries about this item.")] item_id: Option<ID>,
    ) -> ApiResult<AuditEntryConnection> {
        let scope = scope(ctx)?;
        let organizations = scope.principal.audit_scope().map_err(to_gql)?;
        let first = page_size(first).map_err(to_gql)?;
        let raw_after = unwrap_cursor(after.as_deref()).map_err(to_gql)?;
        let item = item_id
            .map(|id| ids::decode(&id).map(|(_, uuid)| uuid))
            .transpose()
            .map_err(to_gql)?;
        let filter = AuditFilter {
            organizations,
            item,
        };
        let page = audit::audit_log(&scope.db, &filter, first, raw_after.as_deref())
            .await
            .map_err(to_gql)?;
        let info = page_info(&page, after.is_some());
        Ok(AuditEntryConnection {
            edges: page
                .rows
                .into_iter()
                .map(|(e, cursor)| AuditEntryEdge {
                    cursor: wrap_cursor(&cursor),
                    node: AuditEntry(e),
                })
                .collect(),
            page_info: info,
            count: CountQuery::Audit(Box::new(filter)),
        })
    }

    /// The revisions of an article, newest first (its publishers' editors and
    /// administrators).
    async fn article_revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
    ) -> ApiResult<Vec<ArticleRevision>> {
        let scope = scope(ctx)?;
        Ok(revisions_of(scope, &id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The fields that differ between two revisions of an article.
    async fn compare_article_revisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article.")] id: ID,
        #[graphql(desc = "The older version.")] from: i32,
        #[graphql(desc = "The newer version.")] to: i32,
    ) -> ApiResult<Vec<FieldChange>> {
        let scope = scope(ctx)?;
        let all = revisions_of(scope, &id).await?;
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
