//! Writes of places, each in one transaction with its audit entry and its change-log entry:
//! create, edit at an expected version (content, closure, slug; a stale version is
//! [`StorageError::Stale`] and changes nothing), and upsert by the (source, external id) of
//! places a publisher's system owns, which never touches their closure. An edit that
//! changes nothing writes nothing. Opening hours are stored as JSON, codes as `|CODE|…|`.
//! Reading places is [`crate::places`].

use capitole_domain::agenda::{ExternalKey, PlaceClosure};
use capitole_domain::audit::AuditAction;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::geo::Coordinates;
use capitole_domain::ids::new_id;
use capitole_domain::place::{Closure, Contact, Location, PlaceContent, PlaceDraft, PlaceEdit};
use capitole_domain::text::fold;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::edits::{self, Outcome, Versioned, differences, record_change, stale};
use crate::entities::{place, place_category};
use crate::places::opening_hours;
use crate::publishers::{self, Published};
use crate::slugs;
use crate::{Database, StorageError};
use crate::{accessibility, stored_lists};

/// Creates a place with a slug made free from its name.
pub async fn create(
    db: &Database,
    draft: &PlaceDraft,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<place::Model, StorageError> {
    edits::create::<Places>(db, draft, actor, now).await
}

/// Edits the place `id` at `expected_version`, recorded in the audit log as `action`:
/// `decide` sees the place as the transaction reads it and says who acts and what it
/// becomes (or refuses). Returns the place as it is after the edit.
pub async fn edit<E: From<StorageError>>(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    action: AuditAction,
    now: DateTime<Utc>,
    decide: impl FnOnce(&PlaceContent) -> Result<(Actor, PlaceEdit), E>,
) -> Result<place::Model, E> {
    edits::edit::<Places, E>(db, id, expected_version, action, now, decide).await
}

/// Creates or updates the place a publisher's system knows as `key`, whatever its version;
/// its closure stays the city's. `access` sees the place as it is, if it exists, and says
/// who acts. The same call twice changes nothing the second time.
pub async fn upsert<E: From<StorageError>>(
    db: &Database,
    key: &ExternalKey,
    draft: PlaceDraft,
    now: DateTime<Utc>,
    access: impl FnOnce(Option<&PlaceContent>) -> Result<Actor, E>,
) -> Result<(place::Model, Outcome), E> {
    edits::upsert::<Places, E>(db, key, draft, now, access).await
}

/// The place `id` as an editor edits it.
pub async fn current(db: &Database, id: Uuid) -> Result<Option<PlaceContent>, StorageError> {
    Ok(Places::load(db.connection(), id).await?.map(|(_, c)| c))
}

/// The place a publisher's system knows as `key`, as an editor edits it.
pub async fn current_external(
    db: &Database,
    key: &ExternalKey,
) -> Result<Option<PlaceContent>, StorageError> {
    Ok(Places::find(db.connection(), key).await?.map(|(_, c)| c))
}

/// The columns of a place's content and closure, as stored (categories included).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Columns {
    name: String,
    description: String,
    latitude: f64,
    longitude: f64,
    address: String,
    postal_code: String,
    city: String,
    easy_read_summary: Option<String>,
    /// Pictures as JSON.
    pictures: String,
    /// Media as JSON.
    media: String,
    neighborhood_id: Option<Uuid>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    /// Opening hours as JSON.
    opening_hours: String,
    accessibility: String,
    accessibility_features: String,
    /// Publisher ids, in order.
    publishers: Vec<Uuid>,
    closure: String,
    closed_until: Option<DateTime<Utc>>,
    /// Category ids, in order.
    categories: Vec<Uuid>,
}

impl Columns {
    /// The columns that store `content` closed as `closure` says.
    fn of(content: &PlaceContent, closure: Closure) -> Self {
        let location = &content.location;
        let (accessibility, accessibility_features) = accessibility::encode(&content.accessibility);
        Self {
            name: content.name.clone(),
            description: content.description.clone(),
            latitude: location.coordinates.latitude.degrees(),
            longitude: location.coordinates.longitude.degrees(),
            address: location.address.clone(),
            postal_code: location.postal_code.clone(),
            city: location.city.clone(),
            easy_read_summary: content.easy_read_summary.clone(),
            pictures: stored_lists::encode(&content.pictures),
            media: stored_lists::encode(&content.media),
            neighborhood_id: content.neighborhood,
            phone: content.contact.phone.clone(),
            email: content.contact.email.clone(),
            website: content.contact.website.clone(),
            opening_hours: serde_json::to_string(&content.opening_hours)
                .unwrap_or_else(|_| "{}".into()),
            accessibility,
            accessibility_features,
            publishers: content.publishers.clone(),
            closure: closure.state.code().to_owned(),
            closed_until: closure.until,
            categories: content.categories.clone(),
        }
    }

    /// Writes these columns into `row` (with the folded name search reads).
    fn apply(&self, row: &mut place::Model) {
        row.name = self.name.clone();
        row.name_folded = fold(&self.name);
        row.description = self.description.clone();
        row.latitude = self.latitude;
        row.longitude = self.longitude;
        row.address = self.address.clone();
        row.postal_code = self.postal_code.clone();
        row.city = self.city.clone();
        row.easy_read_summary = self.easy_read_summary.clone();
        row.pictures = self.pictures.clone();
        row.media = self.media.clone();
        row.neighborhood_id = self.neighborhood_id;
        row.phone = self.phone.clone();
        row.email = self.email.clone();
        row.website = self.website.clone();
        row.opening_hours = self.opening_hours.clone();
        row.accessibility = self.accessibility.clone();
        row.accessibility_features = self.accessibility_features.clone();
        row.closure = self.closure.clone();
        row.closed_until = self.closed_until;
    }
}

/// The closure stored for a place; an unknown code reads as open.
fn closure_of(row: &place::Model) -> Closure {
    Closure {
        state: PlaceClosure::from_code(&row.closure).unwrap_or(PlaceClosure::Open),
        until: row.closed_until,
    }
}

/// The content of a stored place; codes this version does not know are left out.
fn content_of(
    row: &place::Model,
    publishers: Vec<Uuid>,
    categories: Vec<Uuid>,
) -> Result<PlaceContent, StorageError> {
    let coordinates = Coordinates::parse(row.latitude, row.longitude)
        .map_err(|e| StorageError::Internal(DbErr::Custom(format!("place {}: {e}", row.id))))?;
    Ok(PlaceContent {
        name: row.name.clone(),
        description: row.description.clone(),
        easy_read_summary: row.easy_read_summary.clone(),
        pictures: stored_lists::decode(&row.pictures),
        media: stored_lists::decode(&row.media),
        location: Location {
            coordinates,
            address: row.address.clone(),
            postal_code: row.postal_code.clone(),
            city: row.city.clone(),
        },
        categories,
        neighborhood: row.neighborhood_id,
        contact: Contact {
            phone: row.phone.clone(),
            email: row.email.clone(),
            website: row.website.clone(),
        },
        opening_hours: opening_hours(row),
        accessibility: accessibility::decode(&row.accessibility, &row.accessibility_features),
        publishers,
    })
}

/// The row and content of a place found by `row`.
async fn with_content(
    conn: &impl ConnectionTrait,
    row: Option<place::Model>,
) -> Result<Option<(place::Model, PlaceContent)>, StorageError> {
    let Some(row) = row else { return Ok(None) };
    let categories = place_category::Entity::find()
        .filter(place_category::Column::PlaceId.eq(row.id))
        .order_by_asc(place_category::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.category_id)
        .collect();
    let publishers = publishers::ids_of_one(conn, Published::Place, row.id).await?;
    let content = content_of(&row, publishers, categories)?;
    Ok(Some((row, content)))
}

/// Makes the categories of a place these, in order.
async fn replace_categories(
    txn: &DatabaseTransaction,
    id: Uuid,
    ids: &[Uuid],
) -> Result<(), StorageError> {
    place_category::Entity::delete_many()
        .filter(place_category::Column::PlaceId.eq(id))
        .exec(txn)
        .await?;
    if !ids.is_empty() {
        let rows =
            ids.iter()
                .enumerate()
                .map(|(position, &category_id)| place_category::ActiveModel {
                    place_id: Set(id),
                    category_id: Set(category_id),
                    position: Set(i64::try_from(position).unwrap_or(0)),
                });
        place_category::Entity::insert_many(rows).exec(txn).await?;
    }
    Ok(())
}

/// Places as [`edits`] writes them.
struct Places;

impl Versioned for Places {
    type Row = place::Model;
    type Content = PlaceContent;
    type Draft = PlaceDraft;
    type Edit = PlaceEdit;

    fn version(row: &place::Model) -> i64 {
        row.version
    }

    fn edit_of(draft: PlaceDraft) -> PlaceEdit {
        draft.into_edit()
    }

    async fn load(
        conn: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<(place::Model, PlaceContent)>, StorageError> {
        let row = place::Entity::find_by_id(id).one(conn).await?;
        with_content(conn, row).await
    }

    async fn find(
        conn: &impl ConnectionTrait,
        key: &ExternalKey,
    ) -> Result<Option<(place::Model, PlaceContent)>, StorageError> {
        let row = place::Entity::find()
            .filter(place::Column::Source.eq(key.source()))
            .filter(place::Column::ExternalId.eq(key.external_id()))
            .one(conn)
            .await?;
        with_content(conn, row).await
    }

    async fn insert(
        txn: &DatabaseTransaction,
        draft: &PlaceDraft,
        key: Option<&ExternalKey>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<place::Model, StorageError> {
        let slug = slugs::free(txn, ItemKind::Place, draft.slug().as_str(), None).await?;
        let mut row = place::Model {
            id: new_id(),
            slug,
            name: String::new(),
            name_folded: String::new(),
            description: String::new(),
            latitude: 0.0,
            longitude: 0.0,
            address: String::new(),
            postal_code: String::new(),
            city: String::new(),
            neighborhood_id: None,
            phone: None,
            email: None,
            website: None,
            opening_hours: String::new(),
            accessibility: String::new(),
            popularity: 0,
            rating: None,
            created_at: now,
            updated_at: now,
            version: 1,
            source: key.map(|k| k.source().to_owned()),
            external_id: key.map(|k| k.external_id().to_owned()),
            closure: String::new(),
            closed_until: None,
            easy_read_summary: None,
            accessibility_features: String::new(),
            pictures: String::new(),
            media: String::new(),
        };
        let columns = Columns::of(draft.content(), Closure::OPEN);
        columns.apply(&mut row);
        place::Entity::insert(place::ActiveModel::from(row.clone()))
            .exec(txn)
            .await?;
        replace_categories(txn, row.id, &columns.categories).await?;
        publishers::replace(txn, Published::Place, row.id, &columns.publishers).await?;
        audit(
            txn,
            actor,
            ItemKind::Place,
            row.id,
            AuditAction::Create,
            json!({ "name": row.name, "slug": row.slug, "publishers": columns.publishers, "source": row.source, "externalId": row.external_id }),
            now,
        )
        .await?;
        record_change(
            txn,
            ItemKind::Place,
            row.id,
            ChangeKind::Created,
            row.version,
            columns.publishers.first().copied(),
            now,
        )
        .await?;
        Ok(row)
    }

    async fn save(
        txn: &DatabaseTransaction,
        before: &place::Model,
        current: &PlaceContent,
        edit: PlaceEdit,
        action: AuditAction,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<place::Model>, StorageError> {
        let id = before.id;
        let closure = closure_of(before);
        let from = Columns::of(current, closure);
        let to = Columns::of(&edit.content, edit.closure.unwrap_or(closure));
        let mut changes = differences(&from, &to);
        let mut after = before.clone();
        to.apply(&mut after);
        if let Some(slug) = &edit.slug
            && slug.as_str() != before.slug
        {
            slugs::change(txn, ItemKind::Place, id, &before.slug, slug.as_str(), now).await?;
            changes.insert(
                "slug".into(),
                json!({ "from": before.slug, "to": slug.as_str() }),
            );
            after.slug = slug.as_str().to_owned();
        }
        if changes.is_empty() {
            return Ok(None);
        }
        if to.categories != from.categories {
            replace_categories(txn, id, &to.categories).await?;
        }
        if to.publishers != from.publishers {
            publishers::replace(txn, Published::Place, id, &to.publishers).await?;
        }
        after.version = before.version + 1;
        after.updated_at = now;
        let mut values = place::ActiveModel::from(after.clone()).reset_all();
        values.id = NotSet;
        values.created_at = NotSet;
        values.popularity = NotSet;
        values.rating = NotSet;
        let updated = place::Entity::update_many()
            .set(values)
            .filter(place::Column::Id.eq(id))
            .filter(place::Column::Version.eq(before.version))
            .exec(txn)
            .await?
            .rows_affected;
        if updated == 0 {
            return Err(stale(before.version, before.version + 1));
        }
        audit(txn, actor, ItemKind::Place, id, action, json!(changes), now).await?;
        if (&to.accessibility, &to.accessibility_features)
            != (&from.accessibility, &from.accessibility_features)
        {
            accessibility::pass_on(txn, id, &edit.content.accessibility, actor, now).await?;
        }
        record_change(
            txn,
            ItemKind::Place,
            id,
            ChangeKind::Updated,
            after.version,
            to.publishers.first().copied(),
            now,
        )
        .await?;
        Ok(Some(after))
    }
}
