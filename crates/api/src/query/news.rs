//! Root fields for news.

use async_graphql::{Context, ID, InputObject, Object};
use capitole_domain::change::ItemKind;
use capitole_domain::event::CategoryKind;
use capitole_persistence::articles::{self, NewsFilter as StorageFilter};

use super::filters;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::Kind;
use crate::loaders::{ArticleId, PublishersOfArticle};
use crate::lookup::by_id_or_slug;
use crate::types::article::{ArticleStatus, NewsArticle, NewsArticleConnection, NewsArticleEdge};
use crate::types::connection::{CountQuery, page_info, page_size, unwrap_cursor, wrap_cursor};
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
    /// Only articles whose title or summary contains these words, ignoring accents and case.
    pub search: Option<String>,
    /// Also archived articles.
    #[graphql(default)]
    pub include_archived: bool,
    /// Only articles in these statuses, instead of the published ones: editors preview
    /// their organizations' drafts and scheduled articles this way (nobody else sees
    /// them). Such a list is ordered by publication date, or last change when unpublished.
    pub statuses: Option<Vec<ArticleStatus>>,
}

async fn storage_filter(
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
    })
}

#[derive(Default)]
pub(crate) struct NewsQuery;

#[Object]
impl NewsQuery {
    /// The news, latest first.
    async fn news(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many articles, 1 to 100.", default = 20)] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which articles.")] filter: Option<NewsFilter>,
    ) -> ApiResult<NewsArticleConnection> {
        let scope = scope(ctx)?;
        let first = page_size(first).map_err(to_gql)?;
        let raw_after = unwrap_cursor(after.as_deref()).map_err(to_gql)?;
        let filter = storage_filter(scope, filter.unwrap_or_default())
            .await
            .map_err(to_gql)?;
        let visibility = scope.principal.article_visibility(scope.now);
        let page = articles::list(&scope.db, &visibility, &filter, first, raw_after.as_deref())
            .await
            .map_err(to_gql)?;
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
        let info = page_info(&page, after.is_some());
        Ok(NewsArticleConnection {
            edges: page
                .rows
                .into_iter()
                .map(|(a, cursor)| NewsArticleEdge {
                    cursor: wrap_cursor(&cursor),
                    node: NewsArticle(a),
                })
                .collect(),
            page_info: info,
            count: CountQuery::News(visibility, Box::new(filter)),
        })
    }

    /// One article by global id or by slug; null when there is none the caller may read.
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
