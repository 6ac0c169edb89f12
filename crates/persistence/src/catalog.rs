//! The small, slowly changing lists every screen refers to: organizations, categories and
//! neighbourhoods, with batch loads by id, the category links of places, events and news, and
//! what the names of forms refer to.

use std::collections::{BTreeSet, HashMap};

use capitole_domain::agenda::{Names, References};
use capitole_domain::event::CategoryKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{
    article_category, category, event_category, neighborhood, organization, place, place_category,
};
use crate::{Database, StorageError};

/// Every organization, by name.
pub async fn organizations(db: &Database) -> Result<Vec<organization::Model>, StorageError> {
    Ok(organization::Entity::find()
        .order_by_asc(organization::Column::Name)
        .all(db.connection())
        .await?)
}

/// Organizations with these ids (missing ids are left out).
pub async fn organizations_by_ids(
    db: &Database,
    ids: &[Uuid],
) -> Result<Vec<organization::Model>, StorageError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .all(db.connection())
        .await?)
}

/// The organization with this slug.
pub async fn organization_by_slug(
    db: &Database,
    slug: &str,
) -> Result<Option<organization::Model>, StorageError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db.connection())
        .await?)
}

/// Every category, of one tree or both, by name.
pub async fn categories(
    db: &Database,
    kind: Option<CategoryKind>,
) -> Result<Vec<category::Model>, StorageError> {
    let mut query = category::Entity::find()
        .order_by_asc(category::Column::Kind)
        .order_by_asc(category::Column::Name);
    if let Some(kind) = kind {
        query = query.filter(category::Column::Kind.eq(kind.code()));
    }
    Ok(query.all(db.connection()).await?)
}

/// Categories with these ids.
pub async fn categories_by_ids(
    db: &Database,
    ids: &[Uuid],
) -> Result<Vec<category::Model>, StorageError> {
    Ok(category::Entity::find()
        .filter(category::Column::Id.is_in(ids.iter().copied()))
        .all(db.connection())
        .await?)
}

/// The ids of the categories of the tree `kind` named by `slugs` and of all categories
/// below them, so that a filter on "culture" also finds museums. An unknown slug, or one of
/// another tree, is an error naming it.
pub async fn category_subtree_ids(
    db: &Database,
    kind: CategoryKind,
    slugs: &[String],
) -> Result<Vec<Uuid>, StorageError> {
    let all = categories(db, Some(kind)).await?;
    let mut selected: Vec<Uuid> = Vec::new();
    for slug in slugs {
        match all.iter().find(|c| &c.slug == slug) {
            Some(c) => selected.push(c.id),
            None => {
                return Err(StorageError::BadRequest(format!(
                    "unknown {} category `{}`",
                    kind.code().to_lowercase(),
                    slug.chars().take(80).collect::<String>()
                )));
            }
        }
    }
    Ok(with_descendants(&all, selected))
}

/// The ids `selected` with the ids of every category of `all` below them.
pub fn with_descendants(all: &[category::Model], mut selected: Vec<Uuid>) -> Vec<Uuid> {
    let mut frontier = selected.clone();
    while let Some(parent) = frontier.pop() {
        for child in all.iter().filter(|c| c.parent_id == Some(parent)) {
            if !selected.contains(&child.id) {
                selected.push(child.id);
                frontier.push(child.id);
            }
        }
    }
    selected
}

/// The categories of each of these places, in the place's own order.
pub async fn categories_of_places(
    db: &Database,
    place_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<category::Model>>, StorageError> {
    let links = place_category::Entity::find()
        .filter(place_category::Column::PlaceId.is_in(place_ids.iter().copied()))
        .order_by_asc(place_category::Column::Position)
        .all(db.connection())
        .await?;
    let pairs = links
        .into_iter()
        .map(|l| (l.place_id, l.category_id))
        .collect::<Vec<_>>();
    group_categories(db, pairs).await
}

/// The categories of each of these events, in the event's own order.
pub async fn categories_of_events(
    db: &Database,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<category::Model>>, StorageError> {
    let links = event_category::Entity::find()
        .filter(event_category::Column::EventId.is_in(event_ids.iter().copied()))
        .order_by_asc(event_category::Column::Position)
        .all(db.connection())
        .await?;
    let pairs = links
        .into_iter()
        .map(|l| (l.event_id, l.category_id))
        .collect::<Vec<_>>();
    group_categories(db, pairs).await
}

/// The categories of each of these articles, in the article's own order.
pub async fn categories_of_articles(
    db: &Database,
    article_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<category::Model>>, StorageError> {
    let links = article_category::Entity::find()
        .filter(article_category::Column::ArticleId.is_in(article_ids.iter().copied()))
        .order_by_asc(article_category::Column::Position)
        .all(db.connection())
        .await?;
    let pairs = links
        .into_iter()
        .map(|l| (l.article_id, l.category_id))
        .collect::<Vec<_>>();
    group_categories(db, pairs).await
}

async fn group_categories(
    db: &Database,
    pairs: Vec<(Uuid, Uuid)>,
) -> Result<HashMap<Uuid, Vec<category::Model>>, StorageError> {
    let mut category_ids: Vec<Uuid> = pairs.iter().map(|(_, c)| *c).collect();
    category_ids.sort_unstable();
    category_ids.dedup();
    let by_id: HashMap<Uuid, category::Model> = categories_by_ids(db, &category_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut grouped: HashMap<Uuid, Vec<category::Model>> = HashMap::new();
    for (owner, category_id) in pairs {
        if let Some(category) = by_id.get(&category_id) {
            grouped.entry(owner).or_default().push(category.clone());
        }
    }
    Ok(grouped)
}

/// Every neighbourhood, by name.
pub async fn neighborhoods(db: &Database) -> Result<Vec<neighborhood::Model>, StorageError> {
    Ok(neighborhood::Entity::find()
        .order_by_asc(neighborhood::Column::Name)
        .all(db.connection())
        .await?)
}

/// Neighbourhoods with these ids.
pub async fn neighborhoods_by_ids(
    db: &Database,
    ids: &[Uuid],
) -> Result<Vec<neighborhood::Model>, StorageError> {
    Ok(neighborhood::Entity::find()
        .filter(neighborhood::Column::Id.is_in(ids.iter().copied()))
        .all(db.connection())
        .await?)
}

/// The neighbourhood with this slug.
pub async fn neighborhood_by_slug(
    db: &Database,
    slug: &str,
) -> Result<Option<neighborhood::Model>, StorageError> {
    Ok(neighborhood::Entity::find()
        .filter(neighborhood::Column::Slug.eq(slug))
        .one(db.connection())
        .await?)
}

/// The most names one look-up statement binds.
const NAMES_PER_STATEMENT: usize = 500;

/// What `names` refer to: the categories, neighbourhoods and organizations that have those
/// slugs, and the places that have those ids, in one statement per kind of name (more for
/// long lists). The default publisher is left for the caller to say.
pub async fn references(db: &Database, names: &Names) -> Result<References, StorageError> {
    let mut found = References::default();
    let kinds: BTreeSet<CategoryKind> = names.categories.iter().map(|(kind, _)| *kind).collect();
    for kind in kinds {
        let slugs: Vec<&str> = names
            .categories
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, slug)| slug.as_str())
            .collect();
        for chunk in slugs.chunks(NAMES_PER_STATEMENT) {
            let rows = category::Entity::find()
                .filter(category::Column::Kind.eq(kind.code()))
                .filter(category::Column::Slug.is_in(chunk.iter().copied()))
                .all(db.connection())
                .await?;
            found
                .categories
                .extend(rows.into_iter().map(|c| ((kind, c.slug), c.id)));
        }
    }
    let neighborhoods: Vec<&String> = names.neighborhoods.iter().collect();
    for chunk in neighborhoods.chunks(NAMES_PER_STATEMENT) {
        let rows = neighborhood::Entity::find()
            .filter(neighborhood::Column::Slug.is_in(chunk.iter().copied()))
            .all(db.connection())
            .await?;
        found
            .neighborhoods
            .extend(rows.into_iter().map(|n| (n.slug, n.id)));
    }
    let organizations: Vec<&String> = names.organizations.iter().collect();
    for chunk in organizations.chunks(NAMES_PER_STATEMENT) {
        let rows = organization::Entity::find()
            .filter(organization::Column::Slug.is_in(chunk.iter().copied()))
            .all(db.connection())
            .await?;
        found
            .organizations
            .extend(rows.into_iter().map(|o| (o.slug, o.id)));
    }
    let places: Vec<Uuid> = names.places.iter().copied().collect();
    for chunk in places.chunks(NAMES_PER_STATEMENT) {
        let ids: Vec<Uuid> = place::Entity::find()
            .select_only()
            .column(place::Column::Id)
            .filter(place::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db.connection())
            .await?;
        found.places.extend(ids);
    }
    Ok(found)
}
