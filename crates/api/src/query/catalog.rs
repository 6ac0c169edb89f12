//! Root fields for the small lists: publishers, categories, neighbourhoods.

use async_graphql::{Context, Object};
use capitole_persistence::catalog;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::types::CategoryKind;
use crate::types::catalog::{Category, Neighborhood, Organization};

#[derive(Default)]
pub(crate) struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The publishers, by name.
    #[graphql(cache_control(max_age = 300))]
    async fn organizations(&self, ctx: &Context<'_>) -> ApiResult<Vec<Organization>> {
        let rows = catalog::organizations(&scope(ctx)?.db)
            .await
            .map_err(to_gql)?;
        Ok(rows.into_iter().map(Organization).collect())
    }

    /// Categories of places, events and news (or of one kind), by name; follow `parent` for
    /// the tree.
    #[graphql(cache_control(max_age = 300))]
    async fn categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this tree.")] kind: Option<CategoryKind>,
    ) -> ApiResult<Vec<Category>> {
        let rows = catalog::categories(&scope(ctx)?.db, kind.map(Into::into))
            .await
            .map_err(to_gql)?;
        Ok(rows.into_iter().map(Category).collect())
    }

    /// The city's neighbourhoods, by name.
    #[graphql(cache_control(max_age = 300))]
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<Neighborhood>> {
        let rows = catalog::neighborhoods(&scope(ctx)?.db)
            .await
            .map_err(to_gql)?;
        Ok(rows.into_iter().map(Neighborhood).collect())
    }
}
