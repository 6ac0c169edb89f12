//! Filters that name things by slug (an organization, a neighbourhood, categories), turned
//! into the ids storage filters on; an unknown slug is an input error.

use capitole_persistence::catalog as storage_catalog;
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::ApiError;

/// The input error for a slug that names nothing (quoted up to 80 characters).
fn unknown(what: &str, slug: &str) -> ApiError {
    ApiError::bad_input(format!(
        "unknown {what} `{}`",
        slug.chars().take(80).collect::<String>()
    ))
}

/// The id of the organization a filter names by slug; an unknown slug is an input error.
pub(super) async fn organization_filter(
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
pub(super) async fn neighborhood_filter(
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
pub(super) async fn category_filter(
    scope: &RequestScope,
    slugs: &[String],
) -> Result<Vec<Uuid>, ApiError> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(storage_catalog::category_subtree_ids(&scope.db, slugs).await?)
}
