//! Relay connections: edges with cursors, `nodes`, `pageInfo` and a `totalCount` that is
//! counted only when asked for.

use async_graphql::{Context, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::paging::PageSize;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::events::{self, EventFilter, OccurrenceWindow};
use capitole_persistence::places::{self, PlaceFilter};
use capitole_persistence::{Page, PageRequest};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};

/// Where a page stands in its list.
#[derive(SimpleObject, Clone, Default)]
pub(crate) struct PageInfo {
    /// Whether items follow this page (ask for them with `after: endCursor`). Exact when
    /// paging forward; when paging backward, true when `before` was given (its item follows).
    pub has_next_page: bool,
    /// Whether items precede this page (ask for them with `before: startCursor`). Exact
    /// when paging backward; when paging forward, true when `after` was given (its item
    /// precedes).
    pub has_previous_page: bool,
    /// The cursor of the first item; pass it as `before` for the page before this one.
    pub start_cursor: Option<String>,
    /// The cursor of the last item; pass it as `after` for the page after this one.
    pub end_cursor: Option<String>,
}

/// Reads a connection's paging arguments: `first`/`after` page forward, `last`/`before`
/// page backward; 20 items when neither size is given, 1 to 100 otherwise, never silently
/// clamped; the two directions cannot be mixed.
pub(crate) fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, ApiError> {
    if first.is_some() && last.is_some() {
        return Err(ApiError::bad_input(
            "give `first` or `last`, not both: `first` pages forward, `last` backward",
        ));
    }
    let forward = first.is_some() || after.is_some();
    let backward = last.is_some() || before.is_some();
    if forward && backward {
        return Err(ApiError::bad_input(
            "page forward with `first` and `after`, or backward with `last` and `before`, not both ways at once",
        ));
    }
    let size = |argument: &'static str, size: Option<i32>| match size {
        Some(size) => PageSize::parse(argument, i64::from(size))
            .map(PageSize::get)
            .map_err(|e| ApiError::bad_input(e.to_string())),
        None => Ok(PageSize::DEFAULT.get()),
    };
    if backward {
        Ok(PageRequest::before(
            size("last", last)?,
            unwrap_cursor("before", before.as_deref())?,
        ))
    } else {
        Ok(PageRequest::after(
            size("first", first)?,
            unwrap_cursor("after", after.as_deref())?,
        ))
    }
}

/// Wraps a storage cursor so that clients treat it as opaque.
pub(crate) fn wrap_cursor(raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// Unwraps a client's cursor, given as `argument`.
fn unwrap_cursor(argument: &str, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ApiError::bad_input(format!("`{argument}` is not a cursor of this list"))
                })
        })
        .transpose()
}

/// The page info of a storage page, with wrapped cursors.
pub(crate) fn page_info<T>(page: &Page<T>) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        start_cursor: page.rows.first().map(|(_, c)| wrap_cursor(c)),
        end_cursor: page.rows.last().map(|(_, c)| wrap_cursor(c)),
    }
}

/// The edges and page info of a storage page: `edge` makes an edge of a row and its
/// wrapped cursor.
pub(crate) fn edges<T, E>(
    page: Page<T>,
    mut edge: impl FnMut(T, String) -> E,
) -> (Vec<E>, PageInfo) {
    let info = page_info(&page);
    let edges = page
        .rows
        .into_iter()
        .map(|(row, cursor)| edge(row, wrap_cursor(&cursor)))
        .collect();
    (edges, info)
}

/// What `totalCount` counts, kept so that it runs only when the field is selected.
#[derive(Clone)]
pub(crate) enum CountQuery {
    Places(Box<PlaceFilter>),
    Events(Box<EventFilter>),
    News(ArticleVisibility, Box<NewsFilter>),
    Occurrences(Uuid, OccurrenceWindow),
    Audit(Box<capitole_persistence::audit::AuditFilter>),
    TipsOfPlace(Uuid),
    TipsOfUser(Uuid),
    ReportedTips,
    CheckInsOf(Uuid),
    SavedBy(Uuid),
    GoingOf(Uuid, DateTime<Utc>),
    Revisions(Uuid),
    SocialPostsOf(Uuid),
    Users,
    ApiTokens,
    Changes(Vec<capitole_domain::change::ItemKind>),
    WebhookDeliveries(Uuid),
    /// The calling app's webhooks.
    Webhooks,
    /// A list ranked in memory, whose length is known.
    Known(u64),
}

impl CountQuery {
    pub(crate) async fn run(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        use capitole_persistence::{accounts, check_ins, reactions, social_posts, tips};
        let scope = scope(ctx)?;
        let db = &scope.db;
        let n = match self {
            CountQuery::Places(filter) => places::count(db, filter).await,
            CountQuery::Events(filter) => events::count(db, filter).await,
            CountQuery::News(visibility, filter) => articles::count(db, visibility, filter).await,
            CountQuery::Occurrences(event_id, window) => {
                events::occurrence_count(db, *event_id, *window).await
            }
            CountQuery::TipsOfPlace(place_id) => tips::tip_count(db, *place_id).await,
            CountQuery::TipsOfUser(user_id) => tips::tip_count_of_user(db, *user_id).await,
            CountQuery::ReportedTips => tips::report_queue_count(db).await,
            CountQuery::CheckInsOf(user_id) => check_ins::check_in_count(db, *user_id).await,
            CountQuery::SavedBy(user_id) => reactions::save_count(db, *user_id).await,
            CountQuery::GoingOf(user_id, now) => reactions::going_count(db, *user_id, *now).await,
            CountQuery::Revisions(article_id) => articles::revision_count(db, *article_id).await,
            CountQuery::SocialPostsOf(item_id) => social_posts::count_of_item(db, *item_id).await,
            CountQuery::Users => accounts::user_count(db).await,
            CountQuery::ApiTokens => accounts::api_token_count(db).await,
            CountQuery::WebhookDeliveries(id) => {
                capitole_persistence::webhooks::delivery_count(db, *id).await
            }
            CountQuery::Audit(filter) => capitole_persistence::audit::audit_count(db, filter).await,
            CountQuery::Changes(kinds) => {
                let n =
                    capitole_services::changes::count(&scope.services(), &scope.principal, kinds)
                        .await
                        .map_err(to_gql)?;
                return Ok(i64::try_from(n).unwrap_or(i64::MAX));
            }
            CountQuery::Webhooks => {
                let n = capitole_services::webhooks::count(&scope.services(), &scope.principal)
                    .await
                    .map_err(to_gql)?;
                return Ok(i64::try_from(n).unwrap_or(i64::MAX));
            }
            CountQuery::Known(n) => Ok(*n),
        }
        .map_err(to_gql)?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Declares a connection type over an edge type that has a `node` field.
macro_rules! connection {
    ($(#[$doc:meta])* $connection:ident, $edge:ident, $node:ty $(, $(#[$field_doc:meta])* $field:ident: $field_type:ty)*) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        #[graphql(complex)]
        pub(crate) struct $connection {
            /// The items of this page with their cursors.
            pub edges: Vec<$edge>,
            /// Where this page stands in the list.
            pub page_info: $crate::types::connection::PageInfo,
            $($(#[$field_doc])* pub $field: $field_type,)*
            #[graphql(skip)]
            pub count: $crate::types::connection::CountQuery,
        }

        #[async_graphql::ComplexObject]
        impl $connection {
            /// The items of this page, without cursors.
            async fn nodes(&self) -> Vec<$node> {
                self.edges.iter().map(|edge| edge.node.clone()).collect()
            }

            /// How many items the whole list holds (counted only when asked for).
            async fn total_count(&self, ctx: &async_graphql::Context<'_>) -> $crate::error::ApiResult<i64> {
                self.count.run(ctx).await
            }
        }
    };
}

pub(crate) use connection;
