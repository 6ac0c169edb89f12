//! `feed`: news, events and places mixed for an audience, without an account; and the
//! signed-in person's own feed, their interests read from what they did.

use async_graphql::{Context, Object};
use capitole_domain::Audience as DomainAudience;
use capitole_domain::feed::Reader;
use capitole_persistence::catalog;
use capitole_persistence::{Page, PageRequest};

use super::filters;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::feed::{FeedConnection, FeedEdge, FeedItem};
use crate::types::search::SearchResult;
use crate::types::{Audience, GeoPointInput, check_list};

/// What a reader says of themselves, checked: slugs that name nothing are refused.
pub(crate) async fn reader(
    scope: &RequestScope,
    audiences: Option<Vec<Audience>>,
    neighborhood: Option<String>,
    interests: Vec<String>,
    near: Option<GeoPointInput>,
) -> Result<Reader, ApiError> {
    let audiences = audiences.unwrap_or_default();
    check_list("audiences", &audiences)?;
    check_list("interests", &interests)?;
    let known = catalog::categories(&scope.db, None).await?;
    if let Some(unknown) = interests
        .iter()
        .find(|s| !known.iter().any(|c| c.slug == **s))
    {
        return Err(ApiError::bad_input(format!(
            "unknown category `{}` in `interests`",
            unknown.chars().take(80).collect::<String>()
        )));
    }
    let neighborhood = match neighborhood {
        Some(slug) => filters::neighborhoods_filter(scope, Some(vec![slug]))
            .await?
            .first()
            .copied(),
        None => None,
    };
    Ok(Reader {
        audiences: audiences.into_iter().map(DomainAudience::from).collect(),
        neighborhood,
        interests,
        near: near.map(GeoPointInput::parse).transpose()?,
    })
}

/// One page of `reader`'s feed.
pub(crate) async fn page_of(
    scope: &RequestScope,
    reader: &Reader,
    request: &PageRequest,
) -> ApiResult<FeedConnection> {
    let visibility = scope.principal.article_visibility(scope.now);
    let items = capitole_services::feed::feed(&scope.services(), reader, &visibility, scope.now)
        .await
        .map_err(to_gql)?;
    let total = items.len() as u64;
    let cursor_of =
        |item: &capitole_domain::feed::FeedItem| format!("{}:{}", item.kind.code(), item.id);
    let page = Page::of_list(items, request, cursor_of).map_err(to_gql)?;
    let named: Vec<_> = page.rows.iter().map(|(i, _)| (i.kind, i.id)).collect();
    let nodes = super::search::load(scope, &named).await?;
    let (items, page_info) = edges(page, |item, cursor| (item, cursor));
    let edges = items
        .into_iter()
        .filter_map(|(item, cursor)| {
            let node = match nodes.get(&(item.kind, item.id))?.clone() {
                SearchResult::NewsArticle(a) => FeedItem::NewsArticle(a),
                SearchResult::Event(e) => FeedItem::Event(e),
                SearchResult::Place(p) => FeedItem::Place(p),
            };
            Some(FeedEdge {
                cursor,
                node,
                score: item.score,
                reasons: item.reasons.iter().map(Into::into).collect(),
                distance_meters: item.distance_meters,
            })
        })
        .collect();
    Ok(FeedConnection {
        edges,
        page_info,
        count: CountQuery::Known(total),
    })
}

#[derive(Default)]
pub(crate) struct FeedQuery;

#[Object]
impl FeedQuery {
    /// News, events and places for an audience, without an account: the latest news, the
    /// events of the next two weeks (and those under way), places near `near` or well
    /// visited, and those of the audiences, interests and neighbourhood given, ranked by how
    /// well they match, how fresh or how soon, and how near, each with its reasons; never
    /// more than three of one kind in a row while others remain. The same request gives
    /// the same feed.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging and what the reader says of themselves"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom the reader is (families, students…).")] audiences: Option<
            Vec<Audience>,
        >,
        #[graphql(desc = "Their neighbourhood (a slug).")] neighborhood: Option<String>,
        #[graphql(
            desc = "Categories they like (slugs of any tree: places, events or news), each with the categories below it."
        )]
        interests: Option<Vec<String>>,
        #[graphql(desc = "Where they are: nearer places and events rank higher.")] near: Option<
            GeoPointInput,
        >,
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
    ) -> ApiResult<FeedConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let reader = reader(
            scope,
            audiences,
            neighborhood,
            interests.unwrap_or_default(),
            near,
        )
        .await
        .map_err(to_gql)?;
        page_of(scope, &reader, &request).await
    }
}
