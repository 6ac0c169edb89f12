//! Root fields for news.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use capitole_domain::article::NewsOrder as DomainOrder;
use capitole_domain::change::ItemKind;
use capitole_domain::event::CategoryKind;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter as StorageFilter};
use capitole_persistence::entities::article;
use capitole_persistence::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::filters;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::Kind;
use crate::loaders::{ArticleId, PublishersOfArticle};
use crate::lookup::by_id_or_slug;
use crate::types::article::{ArticleStatus, NewsArticle, NewsArticleConnection, NewsArticleEdge};
use crate::types::columns;
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::facets::{Asked, NewsFacets};
use crate::types::{Audience, check_list, search_text};

/// Which news a list holds.
#[derive(InputObject, Default)]
pub(crate) struct NewsFilter {
    /// Only articles in one of these categories or below them (slugs of news categories).
    pub categories: Option<Vec<String>>,
    /// Only articles for at least one of these audiences.
    pub audiences: Option<Vec<Audience>>,
    /// Only articles published by one of these organizations (slugs, e.g.
    /// `toulouse-metropole`).
    pub publishers: Option<Vec<String>>,
    /// Only articles concerning one of these neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// Only articles with at least one of these tags.
    pub tags: Option<Vec<String>>,
    /// Only articles that hold every word (French words as search reads them: accents, case,
    /// stop words and plurals do not matter; the last word may be unfinished).
    pub search: Option<String>,
    /// Also archived articles.
    #[graphql(default)]
    pub include_archived: bool,
    /// Only articles in these statuses, instead of the published ones: editors preview
    /// their organizations' drafts and scheduled articles this way (nobody else sees
    /// them). Such a list is ordered by publication date, or last change when unpublished.
    pub statuses: Option<Vec<ArticleStatus>>,
}

/// A filter as stored to be applied later (by a webhook, a push subscription), once checked
/// as the list checks it.
pub(crate) async fn checked_json(
    scope: &RequestScope,
    filter: NewsFilter,
) -> Result<serde_json::Value, ApiError> {
    let json = crate::query::filters::stored_json(&filter)?;
    storage_filter(scope, filter).await?;
    Ok(json)
}

pub(crate) async fn storage_filter(
    scope: &RequestScope,
    filter: NewsFilter,
) -> Result<StorageFilter, ApiError> {
    let audiences = filter.audiences.unwrap_or_default();
    check_list("audiences", &audiences)?;
    let statuses = filter.statuses.unwrap_or_default();
    check_list("statuses", &statuses)?;
    let tags: Vec<String> = filter
        .tags
        .unwrap_or_default()
        .iter()
        .map(|t| t.trim().to_lowercase())
        .collect();
    check_list("tags", &tags)?;
    Ok(StorageFilter {
        publishers: filters::publishers_filter(scope, filter.publishers).await?,
        categories: filters::categories_filter(scope, CategoryKind::Article, filter.categories)
            .await?,
        audiences: audiences.into_iter().map(Into::into).collect(),
        tags,
        neighborhoods: filters::neighborhoods_filter(scope, filter.neighborhoods).await?,
        search: search_text(filter.search.as_deref())?,
        include_archived: filter.include_archived,
        statuses: statuses.into_iter().map(Into::into).collect(),
        ids: Vec::new(),
    })
}

/// How a news list is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::article::NewsOrder")]
pub(crate) enum NewsOrder {
    /// Most recently published first.
    Date,
    /// Best answer to `filter.search` first, scored as `search` scores articles (how well
    /// the words match, then how recent).
    Relevance,
}

/// An article's place in a list ranked by relevance: its score negated (best first), then
/// its id.
#[derive(Serialize, Deserialize)]
struct RelevanceKey(f64, Uuid);

impl RelevanceKey {
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// One page of the news list ranked by how well its articles answer its search.
async fn by_relevance(
    scope: &RequestScope,
    visibility: &ArticleVisibility,
    filter: &StorageFilter,
    request: &PageRequest,
) -> Result<Page<article::Model>, ApiError> {
    let Some(query) = &filter.search else {
        return Err(ApiError::bad_input(
            "`RELEVANCE` ranks articles by how well they answer a search: give `filter.search`",
        ));
    };
    let ranked = capitole_services::search::rank_articles(
        &scope.services(),
        visibility,
        filter,
        query,
        scope.now,
    )
    .await?;
    let keys = ranked
        .into_iter()
        .map(|(id, score)| RelevanceKey(-score, id))
        .collect();
    let page = Page::of_sorted(keys, request, RelevanceKey::order)?;
    let ids: Vec<Uuid> = page.rows.iter().map(|(key, _)| key.1).collect();
    let mut found: HashMap<Uuid, article::Model> = articles::by_ids(&scope.db, visibility, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(page.filter_map(|key| found.remove(&key.1)))
}

#[derive(Default)]
pub(crate) struct NewsQuery;

#[Object]
impl NewsQuery {
    /// The news, latest first (or best answer to its search first).
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging, a filter and an order"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn news(
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
        #[graphql(desc = "Which articles.")] filter: Option<NewsFilter>,
        #[graphql(desc = "The order (default: DATE).")] order_by: Option<NewsOrder>,
    ) -> ApiResult<NewsArticleConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let filter = storage_filter(scope, filter.unwrap_or_default())
            .await
            .map_err(to_gql)?;
        let visibility = scope.principal.article_visibility(scope.now);
        let page = match order_by.map(DomainOrder::from) {
            Some(DomainOrder::Relevance) => by_relevance(scope, &visibility, &filter, &request)
                .await
                .map_err(to_gql)?,
            _ => articles::list(
                &scope.db,
                &visibility,
                &filter,
                &request,
                columns::of_news(ctx),
            )
            .await
            .map_err(to_gql)?,
        };
        // Every news card names its publishers: fetch them with the page.
        let look = ctx.look_ahead();
        if look
            .field("edges")
            .field("node")
            .field("publishers")
            .exists()
            || look.field("nodes").field("publishers").exists()
        {
            let ids: Vec<_> = page.rows.iter().map(|(a, _)| a.id).collect();
            let mut publishers = articles::publishers_of(&scope.db, &ids)
                .await
                .map_err(to_gql)?;
            let fed = ids.into_iter().map(|id| {
                (
                    PublishersOfArticle(id),
                    publishers.remove(&id).unwrap_or_default(),
                )
            });
            scope.feed(fed).await;
        }
        let (edges, page_info) = edges(page, |a, cursor| NewsArticleEdge {
            cursor,
            node: NewsArticle(a),
        });
        Ok(NewsArticleConnection {
            edges,
            page_info,
            facets: NewsFacets::new(
                visibility.clone(),
                filter.clone(),
                Asked::of(&ctx.look_ahead().field("facets")),
            ),
            count: CountQuery::News(visibility, Box::new(filter)),
        })
    }

    /// One article by global id or by slug; null when there is none the caller may read.
    #[graphql(cache_control(max_age = 60))]
    async fn news_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
    ) -> ApiResult<Option<NewsArticle>> {
        let scope = scope(ctx)?;
        let by_slug = |slug: String| async move {
            let visibility = scope.principal.article_visibility(scope.now);
            articles::by_slug(&scope.db, &visibility, &slug).await
        };
        let named = (Kind::NewsArticle, ItemKind::Article);
        let found = by_id_or_slug(scope, (id, slug), named, ArticleId, by_slug).await?;
        Ok(found.map(NewsArticle))
    }
}
