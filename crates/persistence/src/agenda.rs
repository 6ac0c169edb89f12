//! Editorial writes on events and places, each in one transaction with its audit entry:
//! create, save a new state at an expected `version` (a stale version is
//! [`StorageError::Stale`] and changes nothing), and upsert by the (source, external id) of
//! items a publisher's own system owns. A save that changes nothing writes nothing: no new
//! version, no audit entry. Dates of events are synchronised with the planned ones, keeping
//! the status of dates that stay.

use std::collections::{BTreeMap, HashMap};

use capitole_domain::change::ItemKind;
use capitole_domain::event::OccurrenceStatus;
use capitole_domain::ids::new_id;
use capitole_domain::text::fold;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::entities::{
    event, event_category, event_neighborhood, event_occurrence, place, place_category,
};
use crate::slugs;
use crate::{Database, StorageError};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new item.
    Created,
    /// An existing item changed.
    Updated,
    /// The item was already so; nothing was written.
    Unchanged,
}

/// Everything an editor sets on an event, checked by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventContent {
    pub title: String,
    pub summary: String,
    pub easy_read_summary: Option<String>,
    pub description: String,
    pub status: String,
    pub attendance_mode: String,
    pub online_url: Option<String>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    /// Encoded `|CODE|…|`.
    pub accessibility: String,
    /// Encoded `|CODE|…|`.
    pub audiences: String,
    pub is_free: bool,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub registration_phone: Option<String>,
    pub registration_email: Option<String>,
    pub place_id: Option<Uuid>,
    pub location_text: Option<String>,
    pub organization_id: Uuid,
    /// Category ids, in order.
    pub categories: Vec<Uuid>,
    /// Neighbourhood ids.
    pub neighborhoods: Vec<Uuid>,
}

/// One planned date of an event; `status` none keeps a date's current status (new dates are
/// scheduled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDate {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Option<String>,
}

/// When an event takes place: its recurrence, if any, and every date to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventSchedule {
    pub recurrence_rule: Option<String>,
    /// Local wall-clock first start of the recurrence.
    pub recurrence_start: Option<String>,
    /// Encoded `|YYYY-MM-DD|…|`.
    pub recurrence_exceptions: String,
    pub duration_minutes: i64,
    /// Every date, explicit and expanded, sorted by start.
    pub dates: Vec<PlannedDate>,
}

/// Everything an editor sets on a place, checked by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceContent {
    pub name: String,
    pub description: String,
    pub latitude: f64,
    pub longitude: f64,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub neighborhood_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Opening hours as JSON.
    pub opening_hours: String,
    /// Encoded `|CODE|…|`.
    pub accessibility: String,
    pub owner_organization_id: Option<Uuid>,
    pub closure: String,
    pub closed_until: Option<DateTime<Utc>>,
    /// Category ids, in order.
    pub categories: Vec<Uuid>,
}

fn stale(expected: i64, current: i64) -> StorageError {
    StorageError::Stale { expected, current }
}

/// The fields that differ between two states, as `{ field: { from, to } }` (long texts only
/// say that they changed).
fn differences(before: &impl Serialize, after: &impl Serialize) -> BTreeMap<String, Value> {
    let (before, after) = (json!(before), json!(after));
    let mut changes = BTreeMap::new();
    if let (Value::Object(before), Value::Object(after)) = (before, after) {
        for (field, to) in after {
            let from = before.get(&field).cloned().unwrap_or(Value::Null);
            if from == to {
                continue;
            }
            let entry = if field == "description" || field == "openingHours" {
                json!({ "changed": true })
            } else {
                json!({ "from": from, "to": to })
            };
            changes.insert(field, entry);
        }
    }
    changes
}

// ---------------------------------------------------------------------------------------
// Events

async fn event_links(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(Vec<Uuid>, Vec<Uuid>), StorageError> {
    let categories = event_category::Entity::find()
        .filter(event_category::Column::EventId.eq(id))
        .order_by_asc(event_category::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.category_id)
        .collect();
    let mut neighborhoods: Vec<Uuid> = event_neighborhood::Entity::find()
        .filter(event_neighborhood::Column::EventId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.neighborhood_id)
        .collect();
    neighborhoods.sort_unstable();
    Ok((categories, neighborhoods))
}

fn event_content_of(
    row: &event::Model,
    categories: Vec<Uuid>,
    neighborhoods: Vec<Uuid>,
) -> EventContent {
    EventContent {
        title: row.title.clone(),
        summary: row.summary.clone(),
        easy_read_summary: row.easy_read_summary.clone(),
        description: row.description.clone(),
        status: row.status.clone(),
        attendance_mode: row.attendance_mode.clone(),
        online_url: row.online_url.clone(),
        age_min: row.age_min,
        age_max: row.age_max,
        accessibility: row.accessibility.clone(),
        audiences: row.audiences.clone(),
        is_free: row.is_free,
        price: row.price.clone(),
        registration_url: row.registration_url.clone(),
        registration_phone: row.registration_phone.clone(),
        registration_email: row.registration_email.clone(),
        place_id: row.place_id,
        location_text: row.location_text.clone(),
        organization_id: row.organization_id,
        categories,
        neighborhoods,
    }
}

/// The neighbourhoods each of these events concerns, as ids, in one statement.
pub async fn neighborhoods_of_events(
    db: &Database,
    event_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let mut grouped: std::collections::HashMap<Uuid, Vec<Uuid>> = std::collections::HashMap::new();
    if event_ids.is_empty() {
        return Ok(grouped);
    }
    let links = crate::entities::event_neighborhood::Entity::find()
        .filter(
            crate::entities::event_neighborhood::Column::EventId.is_in(event_ids.iter().copied()),
        )
        .all(db.connection())
        .await?;
    for link in links {
        grouped
            .entry(link.event_id)
            .or_default()
            .push(link.neighborhood_id);
    }
    Ok(grouped)
}

/// An event as an editor edits it: its row and its content (links included).
pub async fn event_for_edit(
    db: &Database,
    id: Uuid,
) -> Result<Option<(event::Model, EventContent)>, StorageError> {
    let Some(row) = event::Entity::find_by_id(id).one(db.connection()).await? else {
        return Ok(None);
    };
    let (categories, neighborhoods) = event_links(db.connection(), id).await?;
    let content = event_content_of(&row, categories, neighborhoods);
    Ok(Some((row, content)))
}

/// The event a publisher's system knows by this id.
pub async fn event_by_external(
    db: &Database,
    source: &str,
    external_id: &str,
) -> Result<Option<event::Model>, StorageError> {
    Ok(event::Entity::find()
        .filter(event::Column::Source.eq(source))
        .filter(event::Column::ExternalId.eq(external_id))
        .one(db.connection())
        .await?)
}

fn apply_event(row: &mut event::Model, content: &EventContent) {
    row.title = content.title.clone();
    row.summary = content.summary.clone();
    row.easy_read_summary = content.easy_read_summary.clone();
    row.description = content.description.clone();
    row.search_text = fold(&format!("{} {}", content.title, content.summary));
    row.status = content.status.clone();
    row.attendance_mode = content.attendance_mode.clone();
    row.online_url = content.online_url.clone();
    row.age_min = content.age_min;
    row.age_max = content.age_max;
    row.accessibility = content.accessibility.clone();
    row.audiences = content.audiences.clone();
    row.is_free = content.is_free;
    row.price = content.price.clone();
    row.registration_url = content.registration_url.clone();
    row.registration_phone = content.registration_phone.clone();
    row.registration_email = content.registration_email.clone();
    row.place_id = content.place_id;
    row.location_text = content.location_text.clone();
    row.organization_id = content.organization_id;
}

fn apply_schedule(row: &mut event::Model, schedule: &EventSchedule) {
    row.recurrence_rule = schedule.recurrence_rule.clone();
    row.recurrence_start = schedule.recurrence_start.clone();
    row.recurrence_exceptions = schedule.recurrence_exceptions.clone();
    row.duration_minutes = schedule.duration_minutes;
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Recurrence<'a> {
    recurrence_rule: &'a Option<String>,
    recurrence_start: &'a Option<String>,
    recurrence_exceptions: &'a str,
    duration_minutes: i64,
}

fn recurrence_of(row: &event::Model) -> Recurrence<'_> {
    Recurrence {
        recurrence_rule: &row.recurrence_rule,
        recurrence_start: &row.recurrence_start,
        recurrence_exceptions: &row.recurrence_exceptions,
        duration_minutes: row.duration_minutes,
    }
}

async fn replace_event_links(
    txn: &DatabaseTransaction,
    id: Uuid,
    categories: Option<&[Uuid]>,
    neighborhoods: Option<&[Uuid]>,
) -> Result<(), StorageError> {
    if let Some(ids) = categories {
        event_category::Entity::delete_many()
            .filter(event_category::Column::EventId.eq(id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids.iter().enumerate().map(|(position, &category_id)| {
                event_category::ActiveModel {
                    event_id: Set(id),
                    category_id: Set(category_id),
                    position: Set(i64::try_from(position).unwrap_or(0)),
                }
            });
            event_category::Entity::insert_many(rows).exec(txn).await?;
        }
    }
    if let Some(ids) = neighborhoods {
        event_neighborhood::Entity::delete_many()
            .filter(event_neighborhood::Column::EventId.eq(id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids
                .iter()
                .map(|&neighborhood_id| event_neighborhood::ActiveModel {
                    event_id: Set(id),
                    neighborhood_id: Set(neighborhood_id),
                });
            event_neighborhood::Entity::insert_many(rows)
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// What synchronising the dates did.
#[derive(Debug, Default, Serialize)]
struct DateChanges {
    added: usize,
    removed: usize,
    changed: usize,
}

impl DateChanges {
    fn any(&self) -> bool {
        self.added + self.removed + self.changed > 0
    }
}

/// Makes the stored dates of an event the planned ones: dates that stay keep their id and
/// (unless the plan says otherwise) their status; others are added or removed.
async fn sync_dates(
    txn: &DatabaseTransaction,
    event_id: Uuid,
    planned: &[PlannedDate],
) -> Result<DateChanges, StorageError> {
    let existing: HashMap<DateTime<Utc>, event_occurrence::Model> =
        event_occurrence::Entity::find()
            .filter(event_occurrence::Column::EventId.eq(event_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|o| (o.starts_at, o))
            .collect();
    let mut changes = DateChanges::default();
    let mut kept = Vec::new();
    let mut new_rows = Vec::new();
    for date in planned {
        match existing.get(&date.starts_at) {
            Some(current) => {
                kept.push(current.id);
                let status = date
                    .status
                    .clone()
                    .unwrap_or_else(|| current.status.clone());
                if current.ends_at != date.ends_at || current.status != status {
                    event_occurrence::ActiveModel {
                        id: Set(current.id),
                        ends_at: Set(date.ends_at),
                        status: Set(status),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                    changes.changed += 1;
                }
            }
            None => new_rows.push(event_occurrence::ActiveModel {
                id: Set(new_id()),
                event_id: Set(event_id),
                starts_at: Set(date.starts_at),
                ends_at: Set(date.ends_at),
                status: Set(date
                    .status
                    .clone()
                    .unwrap_or_else(|| OccurrenceStatus::Scheduled.code().to_owned())),
            }),
        }
    }
    let removed: Vec<Uuid> = existing
        .values()
        .map(|o| o.id)
        .filter(|id| !kept.contains(id))
        .collect();
    changes.removed = removed.len();
    for chunk in removed.chunks(400) {
        event_occurrence::Entity::delete_many()
            .filter(event_occurrence::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    changes.added = new_rows.len();
    while !new_rows.is_empty() {
        let rest = new_rows.split_off(new_rows.len().min(300));
        let chunk = std::mem::replace(&mut new_rows, rest);
        event_occurrence::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(changes)
}

async fn insert_event(
    txn: &DatabaseTransaction,
    content: &EventContent,
    schedule: &EventSchedule,
    slug_base: &str,
    external: Option<(&str, &str)>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<event::Model, StorageError> {
    let slug = slugs::free(txn, ItemKind::Event, slug_base, None).await?;
    let mut row = event::Model {
        id: new_id(),
        slug,
        title: String::new(),
        summary: String::new(),
        easy_read_summary: None,
        description: String::new(),
        search_text: String::new(),
        status: String::new(),
        attendance_mode: String::new(),
        online_url: None,
        age_min: None,
        age_max: None,
        accessibility: "|".into(),
        audiences: "|".into(),
        is_free: false,
        price: None,
        registration_url: None,
        registration_phone: None,
        registration_email: None,
        place_id: None,
        location_text: None,
        organization_id: content.organization_id,
        recurrence_rule: None,
        duration_minutes: 60,
        created_at: now,
        updated_at: now,
        version: 1,
        source: external.map(|(s, _)| s.to_owned()),
        external_id: external.map(|(_, x)| x.to_owned()),
        recurrence_start: None,
        recurrence_exceptions: "|".into(),
    };
    apply_event(&mut row, content);
    apply_schedule(&mut row, schedule);
    event::Entity::insert(event::ActiveModel::from(row.clone()))
        .exec(txn)
        .await?;
    replace_event_links(
        txn,
        row.id,
        Some(&content.categories),
        Some(&content.neighborhoods),
    )
    .await?;
    let dates = sync_dates(txn, row.id, &schedule.dates).await?;
    audit(
        txn,
        actor,
        ItemKind::Event,
        row.id,
        "CREATE",
        json!({ "title": row.title, "slug": row.slug, "organization": row.organization_id, "source": row.source, "externalId": row.external_id, "dates": dates }),
        now,
    )
    .await?;
    Ok(row)
}

/// Creates an event with a slug made free from `slug_base`, and its dates.
pub async fn create_event(
    db: &Database,
    content: &EventContent,
    schedule: &EventSchedule,
    slug_base: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<event::Model, StorageError> {
    let txn = db.begin_write().await?;
    let row = insert_event(&txn, content, schedule, slug_base, None, actor, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// A new state of an event: what is `None` stays as it is.
#[derive(Debug, Clone, Default)]
pub struct EventChange {
    pub content: Option<EventContent>,
    pub schedule: Option<EventSchedule>,
    pub slug: Option<String>,
}

async fn save_event_in(
    txn: &DatabaseTransaction,
    id: Uuid,
    expected_version: i64,
    change: &EventChange,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(event::Model, bool), StorageError> {
    let before = event::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    if before.version != expected_version {
        return Err(stale(expected_version, before.version));
    }
    let (categories, neighborhoods) = event_links(txn, id).await?;
    let current = event_content_of(&before, categories, neighborhoods);
    let mut after = before.clone();
    let mut changes = BTreeMap::new();
    let mut content_to = None;
    if let Some(content) = &change.content {
        let mut content = content.clone();
        content.neighborhoods.sort_unstable();
        changes.extend(differences(&current, &content));
        apply_event(&mut after, &content);
        content_to = Some(content);
    }
    if let Some(schedule) = &change.schedule {
        apply_schedule(&mut after, schedule);
        changes.extend(differences(&recurrence_of(&before), &recurrence_of(&after)));
    }
    if let Some(slug) = &change.slug
        && *slug != before.slug
    {
        slugs::change(txn, ItemKind::Event, id, &before.slug, slug, now).await?;
        changes.insert("slug".into(), json!({ "from": before.slug, "to": slug }));
        after.slug = slug.clone();
    }
    if let Some(content) = &content_to {
        let categories = (content.categories != current.categories).then_some(&content.categories);
        let neighborhoods =
            (content.neighborhoods != current.neighborhoods).then_some(&content.neighborhoods);
        replace_event_links(
            txn,
            id,
            categories.map(Vec::as_slice),
            neighborhoods.map(Vec::as_slice),
        )
        .await?;
    }
    if let Some(schedule) = &change.schedule {
        let dates = sync_dates(txn, id, &schedule.dates).await?;
        if dates.any() {
            changes.insert("dates".into(), json!(dates));
        }
    }
    if changes.is_empty() {
        return Ok((before, false));
    }
    after.version = before.version + 1;
    after.updated_at = now;
    let mut values = event::ActiveModel::from(after.clone()).reset_all();
    values.id = NotSet;
    values.created_at = NotSet;
    let updated = event::Entity::update_many()
        .set(values)
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::Version.eq(expected_version))
        .exec(txn)
        .await?
        .rows_affected;
    if updated == 0 {
        return Err(stale(expected_version, expected_version + 1));
    }
    audit(txn, actor, ItemKind::Event, id, action, json!(changes), now).await?;
    Ok((after, true))
}

/// Saves a new state of the event at `expected_version`, recorded in the audit log as
/// `action`. Returns the event and whether anything changed (nothing is written otherwise).
pub async fn save_event(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    change: &EventChange,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(event::Model, bool), StorageError> {
    let txn = db.begin_write().await?;
    let saved = save_event_in(&txn, id, expected_version, change, action, actor, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Creates or updates the event a publisher's system knows as (`source`, `external_id`),
/// whatever its version: that system is the reference for its items. The same call twice
/// changes nothing the second time.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_event(
    db: &Database,
    source: &str,
    external_id: &str,
    content: &EventContent,
    schedule: &EventSchedule,
    slug_base: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(event::Model, Outcome), StorageError> {
    let txn = db.begin_write().await?;
    let existing = event::Entity::find()
        .filter(event::Column::Source.eq(source))
        .filter(event::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await?;
    let result = match existing {
        None => {
            let row = insert_event(
                &txn,
                content,
                schedule,
                slug_base,
                Some((source, external_id)),
                actor,
                now,
            )
            .await?;
            (row, Outcome::Created)
        }
        Some(row) => {
            let change = EventChange {
                content: Some(content.clone()),
                schedule: Some(schedule.clone()),
                slug: None,
            };
            let (row, changed) =
                save_event_in(&txn, row.id, row.version, &change, "UPSERT", actor, now).await?;
            (
                row,
                if changed {
                    Outcome::Updated
                } else {
                    Outcome::Unchanged
                },
            )
        }
    };
    txn.commit().await?;
    Ok(result)
}

/// Sets the status of the date of an event that starts at `starts_at`; the event's version
/// goes up.
pub async fn set_occurrence_status(
    db: &Database,
    event_id: Uuid,
    expected_version: i64,
    starts_at: DateTime<Utc>,
    status: OccurrenceStatus,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<event::Model, StorageError> {
    let txn = db.begin_write().await?;
    let mut row = event::Entity::find_by_id(event_id)
        .one(&txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    if row.version != expected_version {
        return Err(stale(expected_version, row.version));
    }
    let date = event_occurrence::Entity::find()
        .filter(event_occurrence::Column::EventId.eq(event_id))
        .filter(event_occurrence::Column::StartsAt.eq(starts_at))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            StorageError::BadRequest(format!("the event has no date starting at {starts_at}"))
        })?;
    if date.status == status.code() {
        return Ok(row);
    }
    event_occurrence::ActiveModel {
        id: Set(date.id),
        status: Set(status.code().to_owned()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let updated = event::Entity::update_many()
        .set(event::ActiveModel {
            version: Set(row.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(event::Column::Id.eq(event_id))
        .filter(event::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        return Err(stale(expected_version, expected_version + 1));
    }
    row.version += 1;
    row.updated_at = now;
    audit(
        &txn,
        actor,
        ItemKind::Event,
        event_id,
        "SET_OCCURRENCE_STATUS",
        json!({ "startsAt": starts_at, "status": { "from": date.status, "to": status.code() } }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

// ---------------------------------------------------------------------------------------
// Places

async fn place_categories(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<Uuid>, StorageError> {
    Ok(place_category::Entity::find()
        .filter(place_category::Column::PlaceId.eq(id))
        .order_by_asc(place_category::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.category_id)
        .collect())
}

fn place_content_of(row: &place::Model, categories: Vec<Uuid>) -> PlaceContent {
    PlaceContent {
        name: row.name.clone(),
        description: row.description.clone(),
        latitude: row.latitude,
        longitude: row.longitude,
        address: row.address.clone(),
        postal_code: row.postal_code.clone(),
        city: row.city.clone(),
        neighborhood_id: row.neighborhood_id,
        phone: row.phone.clone(),
        email: row.email.clone(),
        website: row.website.clone(),
        opening_hours: row.opening_hours.clone(),
        accessibility: row.accessibility.clone(),
        owner_organization_id: row.owner_organization_id,
        closure: row.closure.clone(),
        closed_until: row.closed_until,
        categories,
    }
}

fn apply_place(row: &mut place::Model, content: &PlaceContent) {
    row.name = content.name.clone();
    row.name_folded = fold(&content.name);
    row.description = content.description.clone();
    row.latitude = content.latitude;
    row.longitude = content.longitude;
    row.address = content.address.clone();
    row.postal_code = content.postal_code.clone();
    row.city = content.city.clone();
    row.neighborhood_id = content.neighborhood_id;
    row.phone = content.phone.clone();
    row.email = content.email.clone();
    row.website = content.website.clone();
    row.opening_hours = content.opening_hours.clone();
    row.accessibility = content.accessibility.clone();
    row.owner_organization_id = content.owner_organization_id;
    row.closure = content.closure.clone();
    row.closed_until = content.closed_until;
}

/// A place as an editor edits it: its row and its content.
pub async fn place_for_edit(
    db: &Database,
    id: Uuid,
) -> Result<Option<(place::Model, PlaceContent)>, StorageError> {
    let Some(row) = place::Entity::find_by_id(id).one(db.connection()).await? else {
        return Ok(None);
    };
    let categories = place_categories(db.connection(), id).await?;
    let content = place_content_of(&row, categories);
    Ok(Some((row, content)))
}

/// The place a publisher's system knows by this id.
pub async fn place_by_external(
    db: &Database,
    source: &str,
    external_id: &str,
) -> Result<Option<place::Model>, StorageError> {
    Ok(place::Entity::find()
        .filter(place::Column::Source.eq(source))
        .filter(place::Column::ExternalId.eq(external_id))
        .one(db.connection())
        .await?)
}

async fn replace_place_categories(
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

async fn insert_place(
    txn: &DatabaseTransaction,
    content: &PlaceContent,
    slug_base: &str,
    external: Option<(&str, &str)>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<place::Model, StorageError> {
    let slug = slugs::free(txn, ItemKind::Place, slug_base, None).await?;
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
        opening_hours: "{}".into(),
        accessibility: "|".into(),
        owner_organization_id: None,
        popularity: 0,
        rating: None,
        created_at: now,
        updated_at: now,
        version: 1,
        source: external.map(|(s, _)| s.to_owned()),
        external_id: external.map(|(_, x)| x.to_owned()),
        closure: "OPEN".into(),
        closed_until: None,
    };
    apply_place(&mut row, content);
    place::Entity::insert(place::ActiveModel::from(row.clone()))
        .exec(txn)
        .await?;
    replace_place_categories(txn, row.id, &content.categories).await?;
    audit(
        txn,
        actor,
        ItemKind::Place,
        row.id,
        "CREATE",
        json!({ "name": row.name, "slug": row.slug, "owner": row.owner_organization_id, "source": row.source, "externalId": row.external_id }),
        now,
    )
    .await?;
    Ok(row)
}

/// Creates a place with a slug made free from `slug_base`.
pub async fn create_place(
    db: &Database,
    content: &PlaceContent,
    slug_base: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<place::Model, StorageError> {
    let txn = db.begin_write().await?;
    let row = insert_place(&txn, content, slug_base, None, actor, now).await?;
    txn.commit().await?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
async fn save_place_in(
    txn: &DatabaseTransaction,
    id: Uuid,
    expected_version: i64,
    content: &PlaceContent,
    slug: Option<&str>,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(place::Model, bool), StorageError> {
    let before = place::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    if before.version != expected_version {
        return Err(stale(expected_version, before.version));
    }
    let current = place_content_of(&before, place_categories(txn, id).await?);
    let mut changes = differences(&current, content);
    let mut after = before.clone();
    apply_place(&mut after, content);
    if let Some(slug) = slug
        && slug != before.slug
    {
        slugs::change(txn, ItemKind::Place, id, &before.slug, slug, now).await?;
        changes.insert("slug".into(), json!({ "from": before.slug, "to": slug }));
        after.slug = slug.to_owned();
    }
    if changes.is_empty() {
        return Ok((before, false));
    }
    if content.categories != current.categories {
        replace_place_categories(txn, id, &content.categories).await?;
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
        .filter(place::Column::Version.eq(expected_version))
        .exec(txn)
        .await?
        .rows_affected;
    if updated == 0 {
        return Err(stale(expected_version, expected_version + 1));
    }
    audit(txn, actor, ItemKind::Place, id, action, json!(changes), now).await?;
    Ok((after, true))
}

/// Saves a new state of the place at `expected_version`, recorded as `action`. Returns the
/// place and whether anything changed (nothing is written otherwise).
#[allow(clippy::too_many_arguments)]
pub async fn save_place(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    content: &PlaceContent,
    slug: Option<&str>,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(place::Model, bool), StorageError> {
    let txn = db.begin_write().await?;
    let saved = save_place_in(
        &txn,
        id,
        expected_version,
        content,
        slug,
        action,
        actor,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Creates or updates the place a publisher's system knows as (`source`, `external_id`),
/// whatever its version. The same call twice changes nothing the second time.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_place(
    db: &Database,
    source: &str,
    external_id: &str,
    content: &PlaceContent,
    slug_base: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(place::Model, Outcome), StorageError> {
    let txn = db.begin_write().await?;
    let existing = place::Entity::find()
        .filter(place::Column::Source.eq(source))
        .filter(place::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await?;
    let result = match existing {
        None => (
            insert_place(
                &txn,
                content,
                slug_base,
                Some((source, external_id)),
                actor,
                now,
            )
            .await?,
            Outcome::Created,
        ),
        Some(row) => {
            let (row, changed) = save_place_in(
                &txn,
                row.id,
                row.version,
                content,
                None,
                "UPSERT",
                actor,
                now,
            )
            .await?;
            (
                row,
                if changed {
                    Outcome::Updated
                } else {
                    Outcome::Unchanged
                },
            )
        }
    };
    txn.commit().await?;
    Ok(result)
}

/// Adds the dates recurring events gain as time passes, so that every recurrence keeps
/// its dates stored up to the horizon (18 months ahead) without being edited. Dates
/// already stored, and dates with a status set by hand, are left as they are; running it
/// twice, or on several replicas at once, adds each date once. Returns how many dates it
/// added.
pub async fn extend_recurrences(
    db: &Database,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<usize, StorageError> {
    use capitole_domain::agenda::{MAX_DATES, expand, horizon};
    use capitole_domain::recurrence::RecurrenceRule;
    let recurring = event::Entity::find()
        .filter(event::Column::RecurrenceRule.is_not_null())
        .filter(event::Column::RecurrenceStart.is_not_null())
        .all(db.connection())
        .await?;
    let until = horizon(now, tz);
    let mut added = 0;
    for row in recurring {
        let (Some(rule), Some(start)) = (&row.recurrence_rule, &row.recurrence_start) else {
            continue;
        };
        let (Ok(rule), Ok(first)) = (
            RecurrenceRule::parse(rule),
            chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M:%S"),
        ) else {
            tracing::warn!(event = %row.id, "a stored recurrence cannot be read; its dates are left as they are");
            continue;
        };
        let exceptions: Vec<chrono::NaiveDate> =
            capitole_domain::text::decode_codes(&row.recurrence_exceptions)
                .filter_map(|d| d.parse().ok())
                .collect();
        let Ok(spans) = expand(
            &rule,
            first,
            chrono::Duration::minutes(row.duration_minutes),
            &exceptions,
            tz,
            until,
        ) else {
            continue;
        };
        let stored = event_occurrence::Entity::find()
            .filter(event_occurrence::Column::EventId.eq(row.id))
            .all(db.connection())
            .await?;
        let last = stored.iter().map(|o| o.starts_at).max();
        let room = MAX_DATES.saturating_sub(stored.len());
        let fresh: Vec<event_occurrence::ActiveModel> = spans
            .into_iter()
            .filter(|(starts, _)| last.is_none_or(|l| *starts > l) && *starts > now)
            .take(room)
            .map(|(starts_at, ends_at)| event_occurrence::ActiveModel {
                id: Set(new_id()),
                event_id: Set(row.id),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                status: Set(OccurrenceStatus::Scheduled.code().to_owned()),
            })
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let count = fresh.len();
        event_occurrence::Entity::insert_many(fresh)
            .on_conflict_do_nothing_on([
                event_occurrence::Column::EventId,
                event_occurrence::Column::StartsAt,
            ])
            .exec(db.connection())
            .await?;
        added += count;
    }
    Ok(added)
}
