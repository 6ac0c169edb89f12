//! The root `Query`: one query object per area, merged here and nowhere else.

mod account;
mod catalog;
pub(crate) mod community;
mod editorial;
mod events;
mod news;
mod node;
mod places;
mod rate_limit;

use async_graphql::MergedObject;
use capitole_persistence::catalog as storage_catalog;
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::ApiError;

/// Everything a client can read.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    catalog::CatalogQuery,
    news::NewsQuery,
    events::EventQuery,
    places::PlaceQuery,
    account::AccountQuery,
    editorial::EditorialQuery,
    community::CommunityQuery,
    rate_limit::RateLimitQuery,
);

fn unknown(what: &str, slug: &str) -> ApiError {
    ApiError::bad_input(format!(
        "unknown {what} `{}`",
        slug.chars().take(80).collect::<String>()
    ))
}

/// The id of the organization a filter names by slug; an unknown slug is an input error.
async fn organization_filter(
    scope: &RequestScope,
    slug: Option<String>,
) -> Result<Option<Uuid>, ApiError> {
    let Some(slug) = slug else { return Ok(None) };
    let found = storage_catalog::organization_by_slug(&scope.db, &slug).await?;
    found
        .map(|o| Some(o.id))
        .ok_or_else(|| unknown("organization", &slug))
}

/// The id of the neighbourhood a filter names by slug; an unknown slug is an input error.
async fn neighborhood_filter(
    scope: &RequestScope,
    slug: Option<String>,
) -> Result<Option<Uuid>, ApiError> {
    let Some(slug) = slug else { return Ok(None) };
    let found = storage_catalog::neighborhood_by_slug(&scope.db, &slug).await?;
    found
        .map(|n| Some(n.id))
        .ok_or_else(|| unknown("neighborhood", &slug))
}

/// The ids of the categories a filter names by slug, with every category below them.
async fn category_filter(scope: &RequestScope, slugs: &[String]) -> Result<Vec<Uuid>, ApiError> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(storage_catalog::category_subtree_ids(&scope.db, slugs).await?)
}
