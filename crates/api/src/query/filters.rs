//! What the filters of lists share: relations named after the item's field, each a list that
//! matches any of its values, reference data named by slug (organizations, neighbourhoods,
//! categories), turned into the ids storage filters on. An unknown slug is an input error
//! naming it, whatever the relation.

use capitole_domain::event::CategoryKind;
use capitole_persistence::catalog as storage_catalog;
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::ApiError;
use crate::types::check_list;

/// The input error for a slug that names nothing (quoted up to 80 characters).
fn unknown(what: &str, slug: &str) -> ApiError {
    ApiError::bad_input(format!(
        "unknown {what} `{}`",
        slug.chars().take(80).collect::<String>()
    ))
}

/// The ids `slugs` name among `known` (slug, id) pairs, each once; an unknown slug is an
/// input error.
fn ids_of(
    what: &str,
    slugs: &[String],
    known: impl Iterator<Item = (String, Uuid)>,
) -> Result<Vec<Uuid>, ApiError> {
    let known: Vec<(String, Uuid)> = known.collect();
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let id = known
            .iter()
            .find(|(s, _)| s == slug)
            .map(|(_, id)| *id)
            .ok_or_else(|| unknown(what, slug))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The ids of the organizations a `publishers` filter names by slug.
pub(super) async fn publishers_filter(
    scope: &RequestScope,
    slugs: Option<Vec<String>>,
) -> Result<Vec<Uuid>, ApiError> {
    let slugs = slugs.unwrap_or_default();
    check_list("publishers", &slugs)?;
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let all = storage_catalog::organizations(&scope.db).await?;
    ids_of(
        "organization",
        &slugs,
        all.into_iter().map(|o| (o.slug, o.id)),
    )
}

/// The ids of the neighbourhoods a `neighborhoods` filter names by slug.
pub(super) async fn neighborhoods_filter(
    scope: &RequestScope,
    slugs: Option<Vec<String>>,
) -> Result<Vec<Uuid>, ApiError> {
    let slugs = slugs.unwrap_or_default();
    check_list("neighborhoods", &slugs)?;
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let all = storage_catalog::neighborhoods(&scope.db).await?;
    ids_of(
        "neighbourhood",
        &slugs,
        all.into_iter().map(|n| (n.slug, n.id)),
    )
}

/// The ids of the categories of the tree `kind` a `categories` filter names by slug, with
/// every category below them; a slug of another tree is unknown.
pub(super) async fn categories_filter(
    scope: &RequestScope,
    kind: CategoryKind,
    slugs: Option<Vec<String>>,
) -> Result<Vec<Uuid>, ApiError> {
    let slugs = slugs.unwrap_or_default();
    check_list("categories", &slugs)?;
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(storage_catalog::category_subtree_ids(&scope.db, kind, &slugs).await?)
}

/// An input filter as JSON, to be stored and read back later as the same input.
pub(crate) fn stored_json<T: async_graphql::InputType>(
    filter: &T,
) -> Result<serde_json::Value, crate::error::ApiError> {
    filter
        .to_value()
        .into_json()
        .map_err(|_| crate::error::ApiError::bad_input("the filter cannot be stored"))
}
