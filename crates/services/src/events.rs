//! Writing events: create, change at a version (a patch, a status, new dates, the status of
//! one date), upsert the events a publisher's system owns, and extend recurrences as time
//! passes. Editors of any of an event's publishers and administrators write it; operators
//! (the command line, background jobs) write every event. Editors name only publishers they
//! edit for (a co-publisher they do not edit for stays). Each write is one storage call, in one
//! transaction with its audit and change-log entries. Drafts and patches come checked from
//! the domain; `check_only` runs every check and stores nothing.

use capitole_domain::agenda::ExternalKey;
use capitole_domain::audit::AuditAction;
use capitole_domain::event::{
    EventContent, EventDraft, EventEdit, EventPatch, EventStatus, StatusChange,
};
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::schedule::Schedule;
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::event;
use capitole_persistence::{Outcome, event as storage};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};
use crate::{Principal, ServiceResult, Services};

/// Says which item was not found, for errors storage reports without knowing it.
fn no_event(error: ServiceError) -> ServiceError {
    if error.code() == ErrorCode::NotFound {
        ServiceError::not_found("no event has this id")
    } else {
        error
    }
}

/// Adds an event; `None` when only checked.
pub async fn create(
    services: &Services,
    by: &Principal,
    draft: EventDraft,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<event::Model>> {
    let publishers = &draft.content().publishers;
    let actor = by.editor_of(publishers)?;
    by.publishers_after(&[], publishers)?;
    if check_only {
        return Ok(None);
    }
    Ok(Some(
        storage::create(&services.db, &draft, &actor, now).await?,
    ))
}

/// Changes the event `id` at `version` as `patch` says (new publishers must be ones the
/// caller edits for, and co-publishers they do not edit for stay); `None` when only checked.
pub async fn update(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    patch: EventPatch,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<event::Model>> {
    let make = |current: &EventContent| -> ServiceResult<EventEdit> {
        let named = patch.publishers().map(<[Uuid]>::to_vec);
        let mut edit = patch.apply(current)?;
        if let Some(named) = named {
            edit.content.publishers = by.publishers_after(&current.publishers, &named)?;
        }
        Ok(edit)
    };
    if check_only {
        by.publisher()?;
        let current = storage::current(&services.db, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("no event has this id"))?;
        by.editor_of(&current.publishers)?;
        make(&current)?;
        return Ok(None);
    }
    edit(services, by, id, version, AuditAction::Update, now, make)
        .await
        .map(Some)
}

/// Cancels the whole event; it stays in the agenda, marked cancelled.
pub async fn cancel(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    let change = StatusChange::parse(EventStatus::Cancelled, None)?;
    set(services, by, id, version, change, AuditAction::Cancel, now).await
}

/// Puts the event off to dates not yet known.
pub async fn postpone(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    let change = StatusChange::parse(EventStatus::Postponed, None)?;
    set(
        services,
        by,
        id,
        version,
        change,
        AuditAction::Postpone,
        now,
    )
    .await
}

/// Sets where the event stands as a whole.
pub async fn set_status(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    change: StatusChange,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    set(
        services,
        by,
        id,
        version,
        change,
        AuditAction::SetStatus,
        now,
    )
    .await
}

async fn set(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    change: StatusChange,
    action: AuditAction,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    edit(services, by, id, version, action, now, |current| {
        Ok(change.apply(current)?)
    })
    .await
}

/// Moves the event to new dates: its dates become exactly those of `schedule` (dates that
/// stay keep their status) and its status RESCHEDULED.
pub async fn reschedule(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    edit(
        services,
        by,
        id,
        version,
        AuditAction::Reschedule,
        now,
        |current| Ok(EventEdit::reschedule(current, schedule)),
    )
    .await
}

/// Edits an event the editors of any of its publishers may edit: `make` says what it
/// becomes.
async fn edit(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    action: AuditAction,
    now: DateTime<Utc>,
    make: impl FnOnce(&EventContent) -> ServiceResult<EventEdit>,
) -> ServiceResult<event::Model> {
    by.publisher()?;
    storage::edit(&services.db, id, version, action, now, |current| {
        let actor = by.editor_of(&current.publishers)?;
        Ok::<_, ServiceError>((actor, make(current)?))
    })
    .await
    .map_err(no_event)
}

/// Sets where the date of the event that starts at `starts_at` stands (one cancelled date
/// of a weekly market); the event's version goes up.
pub async fn set_occurrence_status(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    starts_at: DateTime<Utc>,
    status: OccurrenceStatus,
    now: DateTime<Utc>,
) -> ServiceResult<event::Model> {
    by.publisher()?;
    storage::set_occurrence_status(
        &services.db,
        id,
        version,
        starts_at,
        status,
        now,
        |publishers| by.editor_of(publishers),
    )
    .await
    .map_err(no_event)
}

/// Creates or updates the event a publisher's system knows as `key`, without a version: that
/// system is the reference for its items. The caller edits for one of the draft's
/// publishers and, when the event exists, for one of its current ones, and names only
/// publishers they edit for or that publish it already. `None` when only checked.
pub async fn upsert(
    services: &Services,
    by: &Principal,
    key: &ExternalKey,
    draft: EventDraft,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<(event::Model, Outcome)>> {
    by.publisher()?;
    let publishers = draft.content().publishers.clone();
    let access = |existing: Option<&EventContent>| -> ServiceResult<Actor> {
        let actor = by.editor_of(&publishers)?;
        let current = match existing {
            Some(existing) => {
                by.editor_of(&existing.publishers)?;
                existing.publishers.as_slice()
            }
            None => &[],
        };
        by.publishers_replaced(current, &publishers)?;
        Ok(actor)
    };
    if check_only {
        let existing = storage::current_external(&services.db, key).await?;
        access(existing.as_ref())?;
        return Ok(None);
    }
    Ok(Some(
        storage::upsert(&services.db, key, draft, now, access).await?,
    ))
}

/// Stores the dates recurring events gain as time passes (the horizon moves on by a day each
/// day); returns how many it added. The scheduler's job; running it again adds nothing.
pub async fn extend_recurrences(
    services: &Services,
    by: &Principal,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    by.publisher()?;
    Ok(storage::extend_recurrences(&services.db, now, services.timezone).await?)
}
