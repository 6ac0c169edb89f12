//! Writes of events, each in one transaction with its audit entry and its change-log entry:
//! create, edit at an expected version (a stale version is [`StorageError::Stale`] and
//! changes nothing), upsert by the (source, external id) of events a publisher's system
//! owns, set the status of one date, and extend recurrences as time passes. An edit that
//! changes nothing writes nothing: no new version, no audit entry, no change-log entry.
//! Dates are synchronised with the planned ones, keeping the status of dates that stay.
//! Reading the agenda is [`crate::events`].

mod columns;
mod dates;

use capitole_domain::accessibility::AccessibilityStatement;
use capitole_domain::agenda::ExternalKey;
use capitole_domain::audit::AuditAction;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::event::{EventContent, EventDraft, EventEdit, EventStatus};
use capitole_domain::ids::new_id;
use capitole_domain::schedule::OccurrenceStatus;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use self::columns::{Columns, RecurrenceColumns, content_of};
use self::dates::sync_dates;
use crate::accessibility;
use crate::audit::{Actor, audit};
use crate::edits::{self, Outcome, Versioned, differences, record_change, stale};
use crate::entities::{event, event_category, event_neighborhood, event_occurrence};
use crate::publishers::{self, Published};
use crate::slugs;
use crate::{Database, StorageError};

pub use self::dates::extend_recurrences;

/// The recurrence stored with an event, if it has one that can be read (calendars write it
/// as the rule its dates come from).
pub fn recurrence(row: &event::Model) -> Option<capitole_domain::schedule::Recurrence> {
    columns::recurrence_of(row)
}

/// Creates an event with a slug made free from its title, and its dates.
pub async fn create(
    db: &Database,
    draft: &EventDraft,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<event::Model, StorageError> {
    edits::create::<Events>(db, draft, actor, now).await
}

/// Edits the event `id` at `expected_version`, recorded in the audit log as `action`:
/// `decide` sees the event as the transaction reads it and says who acts and what it becomes
/// (or refuses). Returns the event as it is after the edit.
pub async fn edit<E: From<StorageError>>(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    action: AuditAction,
    now: DateTime<Utc>,
    decide: impl FnOnce(&EventContent) -> Result<(Actor, EventEdit), E>,
) -> Result<event::Model, E> {
    edits::edit::<Events, E>(db, id, expected_version, action, now, decide).await
}

/// Creates or updates the event a publisher's system knows as `key`, whatever its version:
/// that system is the reference for its items. `access` sees the event as it is, if it
/// exists, and says who acts. The same call twice changes nothing the second time.
pub async fn upsert<E: From<StorageError>>(
    db: &Database,
    key: &ExternalKey,
    draft: EventDraft,
    now: DateTime<Utc>,
    access: impl FnOnce(Option<&EventContent>) -> Result<Actor, E>,
) -> Result<(event::Model, Outcome), E> {
    edits::upsert::<Events, E>(db, key, draft, now, access).await
}

/// The event `id` as an editor edits it.
pub async fn current(db: &Database, id: Uuid) -> Result<Option<EventContent>, StorageError> {
    Ok(Events::load(db.connection(), id).await?.map(|(_, c)| c))
}

/// The event a publisher's system knows as `key`, as an editor edits it.
pub async fn current_external(
    db: &Database,
    key: &ExternalKey,
) -> Result<Option<EventContent>, StorageError> {
    Ok(Events::find(db.connection(), key).await?.map(|(_, c)| c))
}

/// Sets the status of the date of an event that starts at `starts_at`; the event's version
/// goes up. `access` sees the event's publishers and says who acts.
pub async fn set_occurrence_status<E: From<StorageError>>(
    db: &Database,
    event_id: Uuid,
    expected_version: i64,
    starts_at: DateTime<Utc>,
    status: OccurrenceStatus,
    now: DateTime<Utc>,
    access: impl FnOnce(&[Uuid]) -> Result<Actor, E>,
) -> Result<event::Model, E> {
    let txn = db.begin_write().await?;
    let mut row = event::Entity::find_by_id(event_id)
        .one(&txn)
        .await
        .map_err(StorageError::from)?
        .ok_or(StorageError::NotFound)?;
    let publishers = publishers::ids_of_one(&txn, Published::Event, event_id).await?;
    let actor = access(&publishers)?;
    if row.version != expected_version {
        return Err(stale(expected_version, row.version).into());
    }
    let date = event_occurrence::Entity::find()
        .filter(event_occurrence::Column::EventId.eq(event_id))
        .filter(event_occurrence::Column::StartsAt.eq(starts_at))
        .one(&txn)
        .await
        .map_err(StorageError::from)?
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
    .await
    .map_err(StorageError::from)?;
    let updated = event::Entity::update_many()
        .set(event::ActiveModel {
            version: Set(row.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(event::Column::Id.eq(event_id))
        .filter(event::Column::Version.eq(expected_version))
        .exec(&txn)
        .await
        .map_err(StorageError::from)?
        .rows_affected;
    if updated == 0 {
        return Err(stale(expected_version, expected_version + 1).into());
    }
    row.version += 1;
    row.updated_at = now;
    audit(
        &txn,
        &actor,
        ItemKind::Event,
        event_id,
        AuditAction::SetOccurrenceStatus,
        json!({ "startsAt": starts_at, "status": { "from": date.status, "to": status.code() } }),
        now,
    )
    .await?;
    record_change(
        &txn,
        ItemKind::Event,
        event_id,
        ChangeKind::Updated,
        row.version,
        publishers.first().copied(),
        now,
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(row)
}

/// The publisher, category and neighbourhood ids of an event (publishers and categories in
/// order).
async fn links(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<(Vec<Uuid>, Vec<Uuid>, Vec<Uuid>), StorageError> {
    let publishers = publishers::ids_of_one(conn, Published::Event, id).await?;
    let categories = event_category::Entity::find()
        .filter(event_category::Column::EventId.eq(id))
        .order_by_asc(event_category::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.category_id)
        .collect();
    let neighborhoods = event_neighborhood::Entity::find()
        .filter(event_neighborhood::Column::EventId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.neighborhood_id)
        .collect();
    Ok((publishers, categories, neighborhoods))
}

/// The row and content of an event found by `row`.
async fn with_content(
    conn: &impl ConnectionTrait,
    row: Option<event::Model>,
) -> Result<Option<(event::Model, EventContent)>, StorageError> {
    let Some(row) = row else { return Ok(None) };
    let (publishers, categories, neighborhoods) = links(conn, row.id).await?;
    let content = content_of(&row, publishers, categories, neighborhoods);
    Ok(Some((row, content)))
}

/// Makes the links of an event these (`None` leaves a list as it is).
async fn replace_links(
    txn: &DatabaseTransaction,
    id: Uuid,
    publishers: Option<&[Uuid]>,
    categories: Option<&[Uuid]>,
    neighborhoods: Option<&[Uuid]>,
) -> Result<(), StorageError> {
    if let Some(ids) = publishers {
        publishers::replace(txn, Published::Event, id, ids).await?;
    }
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

/// The accessibility of the venue of `content` when it states none of its own (none
/// otherwise: it is not shown).
async fn venue_accessibility(
    txn: &DatabaseTransaction,
    content: &EventContent,
) -> Result<AccessibilityStatement, StorageError> {
    if !content.accessibility.is_empty() {
        return Ok(AccessibilityStatement::default());
    }
    accessibility::of_venue(txn, content.venue).await
}

/// What the change log says of an edit: CANCELLED when the event's status becomes
/// CANCELLED, UPDATED otherwise.
fn change_of(before: &event::Model, after: &event::Model) -> ChangeKind {
    let cancelled = EventStatus::Cancelled.code();
    if after.status == cancelled && before.status != cancelled {
        ChangeKind::Cancelled
    } else {
        ChangeKind::Updated
    }
}

/// Events as [`edits`] writes them.
struct Events;

impl Versioned for Events {
    type Row = event::Model;
    type Content = EventContent;
    type Draft = EventDraft;
    type Edit = EventEdit;

    fn version(row: &event::Model) -> i64 {
        row.version
    }

    fn edit_of(draft: EventDraft) -> EventEdit {
        draft.into_edit()
    }

    async fn load(
        conn: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<(event::Model, EventContent)>, StorageError> {
        let row = event::Entity::find_by_id(id).one(conn).await?;
        with_content(conn, row).await
    }

    async fn find(
        conn: &impl ConnectionTrait,
        key: &ExternalKey,
    ) -> Result<Option<(event::Model, EventContent)>, StorageError> {
        let row = event::Entity::find()
            .filter(event::Column::Source.eq(key.source()))
            .filter(event::Column::ExternalId.eq(key.external_id()))
            .one(conn)
            .await?;
        with_content(conn, row).await
    }

    async fn insert(
        txn: &DatabaseTransaction,
        draft: &EventDraft,
        key: Option<&ExternalKey>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<event::Model, StorageError> {
        let slug = slugs::free(txn, ItemKind::Event, draft.slug().as_str(), None).await?;
        let content = draft.content();
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
            accessibility: String::new(),
            audiences: String::new(),
            is_free: false,
            price: None,
            registration_url: None,
            registration_phone: None,
            registration_email: None,
            place_id: None,
            location_text: None,
            recurrence_rule: None,
            duration_minutes: 0,
            created_at: now,
            updated_at: now,
            version: 1,
            source: key.map(|k| k.source().to_owned()),
            external_id: key.map(|k| k.external_id().to_owned()),
            recurrence_start: None,
            recurrence_exceptions: String::new(),
            accessibility_features: String::new(),
            inherits_accessibility: false,
            pictures: String::new(),
            media: String::new(),
        };
        let columns = Columns::of(content, &venue_accessibility(txn, content).await?);
        columns.apply(&mut row);
        RecurrenceColumns::of(draft.schedule()).apply(&mut row);
        event::Entity::insert(event::ActiveModel::from(row.clone()))
            .exec(txn)
            .await?;
        replace_links(
            txn,
            row.id,
            Some(&columns.publishers),
            Some(&columns.categories),
            Some(&columns.neighborhoods),
        )
        .await?;
        let dates = sync_dates(txn, row.id, &draft.schedule().dates).await?;
        audit(
            txn,
            actor,
            ItemKind::Event,
            row.id,
            AuditAction::Create,
            json!({ "title": row.title, "slug": row.slug, "publishers": columns.publishers, "source": row.source, "externalId": row.external_id, "dates": dates }),
            now,
        )
        .await?;
        record_change(
            txn,
            ItemKind::Event,
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
        before: &event::Model,
        current: &EventContent,
        edit: EventEdit,
        action: AuditAction,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<event::Model>, StorageError> {
        let id = before.id;
        let shown = accessibility::decode(&before.accessibility, &before.accessibility_features);
        let from = Columns::of(current, &shown);
        let to = Columns::of(
            &edit.content,
            &venue_accessibility(txn, &edit.content).await?,
        );
        let mut changes = differences(&from, &to);
        let mut after = before.clone();
        to.apply(&mut after);
        if let Some(schedule) = &edit.schedule {
            RecurrenceColumns::of(schedule).apply(&mut after);
            changes.extend(differences(
                &RecurrenceColumns::read(before),
                &RecurrenceColumns::read(&after),
            ));
        }
        if let Some(slug) = &edit.slug
            && slug.as_str() != before.slug
        {
            slugs::change(txn, ItemKind::Event, id, &before.slug, slug.as_str(), now).await?;
            changes.insert(
                "slug".into(),
                json!({ "from": before.slug, "to": slug.as_str() }),
            );
            after.slug = slug.as_str().to_owned();
        }
        let publishers = (to.publishers != from.publishers).then_some(&to.publishers);
        let categories = (to.categories != from.categories).then_some(&to.categories);
        let neighborhoods = (to.neighborhoods != from.neighborhoods).then_some(&to.neighborhoods);
        replace_links(
            txn,
            id,
            publishers.map(Vec::as_slice),
            categories.map(Vec::as_slice),
            neighborhoods.map(Vec::as_slice),
        )
        .await?;
        if let Some(schedule) = &edit.schedule {
            let dates = sync_dates(txn, id, &schedule.dates).await?;
            if dates.any() {
                changes.insert("dates".into(), json!(dates));
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        after.version = before.version + 1;
        after.updated_at = now;
        let mut values = event::ActiveModel::from(after.clone()).reset_all();
        values.id = NotSet;
        values.created_at = NotSet;
        let updated = event::Entity::update_many()
            .set(values)
            .filter(event::Column::Id.eq(id))
            .filter(event::Column::Version.eq(before.version))
            .exec(txn)
            .await?
            .rows_affected;
        if updated == 0 {
            return Err(stale(before.version, before.version + 1));
        }
        audit(txn, actor, ItemKind::Event, id, action, json!(changes), now).await?;
        record_change(
            txn,
            ItemKind::Event,
            id,
            change_of(before, &after),
            after.version,
            to.publishers.first().copied(),
            now,
        )
        .await?;
        Ok(Some(after))
    }
}
