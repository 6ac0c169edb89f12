//! Relay connections: edges with cursors, `nodes`, `pageInfo` and a `totalCount` that is
//! counted only when asked for.

use async_graphql::{Context, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::paging::PageSize;
use capitole_persistence::Page;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::events::{self, EventFilter, OccurrenceWindow};
use capitole_persistence::places::{self, PlaceFilter};
use uuid::Uuid;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};

/// Where a page stands in its list.
#[derive(SimpleObject, Clone, Default)]
pub(crate) struct PageInfo {
    /// Whether items follow this page (ask again with `after: endCursor`).
    pub has_next_page: bool,
    /// Whether items precede this page (true when the page was asked for with `after`).
    pub has_previous_page: bool,
    /// The cursor of the first item.
    pub start_cursor: Option<String>,
    /// The cursor of the last item; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// Checks a page size: 1 to 100, never silently clamped.
pub(crate) fn page_size(first: i32) -> Result<usize, ApiError> {
    PageSize::parse(i64::from(first))
        .map(PageSize::get)
        .map_err(|e| ApiError::bad_input(e.to_string()))
}

/// Checks a page size of a list with smaller pages: 1 to `max`, never silently clamped.
pub(crate) fn page_size_at_most(first: i32, max: usize) -> Result<usize, ApiError> {
    PageSize::parse_at_most(i64::from(first), max)
        .map(PageSize::get)
        .map_err(|e| ApiError::bad_input(e.to_string()))
}

/// Wraps a storage cursor so that clients treat it as opaque.
pub(crate) fn wrap_cursor(raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// Unwraps a client's `after`.
pub(crate) fn unwrap_cursor(after: Option<&str>) -> Result<Option<String>, ApiError> {
    after
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::bad_input("`after` is not a cursor of this list"))
        })
        .transpose()
}

/// The page info and wrapped cursors of a storage page.
pub(crate) fn page_info<T>(page: &Page<T>, after_given: bool) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: after_given,
        start_cursor: page.rows.first().map(|(_, c)| wrap_cursor(c)),
        end_cursor: page.rows.last().map(|(_, c)| wrap_cursor(c)),
    }
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
    CheckInsOf(Uuid),
}

impl CountQuery {
    pub(crate) async fn run(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let db = &scope(ctx)?.db;
        let n = match self {
            CountQuery::Places(filter) => places::count(db, filter).await,
            CountQuery::Events(filter) => events::count(db, filter).await,
            CountQuery::News(visibility, filter) => articles::count(db, visibility, filter).await,
            CountQuery::Occurrences(event_id, window) => {
                events::occurrence_count(db, *event_id, *window).await
            }
            CountQuery::TipsOfPlace(place_id) => {
                capitole_persistence::tips::tip_count(db, *place_id).await
            }
            CountQuery::CheckInsOf(user_id) => {
                capitole_persistence::check_ins::check_in_count(db, *user_id).await
            }
            CountQuery::Audit(filter) => capitole_persistence::audit::audit_count(db, filter).await,
        }
        .map_err(to_gql)?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Declares a connection type over an edge type that has a `node` field.
macro_rules! connection {
    ($(#[$doc:meta])* $connection:ident, $edge:ident, $node:ty) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        #[graphql(complex)]
        pub(crate) struct $connection {
            /// The items of this page with their cursors.
            pub edges: Vec<$edge>,
            /// Where this page stands in the list.
            pub page_info: $crate::types::connection::PageInfo,
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
