//! Writing places: create, change at a version (a patch, a closure), and upsert the places a
//! publisher's system owns. Editors of any of a place's publishers and administrators write
//! it; only administrators (and operators) write places without publishers. Editors name
//! only publishers they edit for (a co-publisher they do not edit for stays). Each write is one storage
//! call, in one transaction with its audit and change-log entries. Drafts and patches come
//! checked from the domain; `check_only` runs every check and stores nothing.

use capitole_domain::agenda::ExternalKey;
use capitole_domain::audit::AuditAction;
use capitole_domain::place::{Closure, PlaceContent, PlaceDraft, PlaceEdit, PlacePatch};
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::place;
use capitole_persistence::{Outcome, place as storage};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};
use crate::{Principal, ServiceResult, Services};

/// Says which item was not found, for errors storage reports without knowing it.
fn no_place(error: ServiceError) -> ServiceError {
    if error.code() == ErrorCode::NotFound {
        ServiceError::not_found("no place has this id")
    } else {
        error
    }
}

/// Adds a place; `None` when only checked.
pub async fn create(
    services: &Services,
    by: &Principal,
    draft: PlaceDraft,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<place::Model>> {
    let publishers = &draft.content().publishers;
    let actor = by.editor_of_place(publishers)?;
    by.publishers_after(&[], publishers)?;
    if check_only {
        return Ok(None);
    }
    Ok(Some(
        storage::create(&services.db, &draft, &actor, now).await?,
    ))
}

/// Changes the place `id` at `version` as `patch` says (new publishers must be ones the
/// caller edits for, and co-publishers they do not edit for stay); `None` when only checked.
pub async fn update(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    patch: PlacePatch,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<place::Model>> {
    let make = |current: &PlaceContent| -> ServiceResult<PlaceEdit> {
        let named = patch.publishers().map(<[Uuid]>::to_vec);
        let mut edit = patch.apply(current);
        if let Some(named) = named {
            let publishers = by.publishers_after(&current.publishers, &named)?;
            // An editor cannot leave a place to the administrators alone.
            by.editor_of_place(&publishers)?;
            edit.content.publishers = publishers;
        }
        Ok(edit)
    };
    if check_only {
        by.publisher()?;
        let current = storage::current(&services.db, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("no place has this id"))?;
        by.editor_of_place(&current.publishers)?;
        make(&current)?;
        return Ok(None);
    }
    edit(services, by, id, version, AuditAction::Update, now, make)
        .await
        .map(Some)
}

/// Closes the place as `closure` says (until a date, or for good).
pub async fn close(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    closure: Closure,
    now: DateTime<Utc>,
) -> ServiceResult<place::Model> {
    edit(
        services,
        by,
        id,
        version,
        AuditAction::Close,
        now,
        |current| Ok(PlaceEdit::closure(current, closure)),
    )
    .await
}

/// Reopens a closed place: its opening hours apply again.
pub async fn reopen(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
) -> ServiceResult<place::Model> {
    edit(
        services,
        by,
        id,
        version,
        AuditAction::Reopen,
        now,
        |current| Ok(PlaceEdit::closure(current, Closure::OPEN)),
    )
    .await
}

/// Edits a place the editors of any of its publishers may edit: `make` says what it becomes.
async fn edit(
    services: &Services,
    by: &Principal,
    id: Uuid,
    version: i64,
    action: AuditAction,
    now: DateTime<Utc>,
    make: impl FnOnce(&PlaceContent) -> ServiceResult<PlaceEdit>,
) -> ServiceResult<place::Model> {
    by.publisher()?;
    storage::edit(&services.db, id, version, action, now, |current| {
        let actor = by.editor_of_place(&current.publishers)?;
        Ok::<_, ServiceError>((actor, make(current)?))
    })
    .await
    .map_err(no_place)
}

/// Creates or updates the place a publisher's system knows as `key`, without a version;
/// its closure stays the city's. The caller edits for one of the draft's publishers and,
/// when the place exists, for one of its current ones, and names only publishers they edit
/// for or that publish it already. `None` when only checked.
pub async fn upsert(
    services: &Services,
    by: &Principal,
    key: &ExternalKey,
    draft: PlaceDraft,
    check_only: bool,
    now: DateTime<Utc>,
) -> ServiceResult<Option<(place::Model, Outcome)>> {
    by.publisher()?;
    let publishers = draft.content().publishers.clone();
    let access = |existing: Option<&PlaceContent>| -> ServiceResult<Actor> {
        let actor = by.editor_of_place(&publishers)?;
        let current = match existing {
            Some(existing) => {
                by.editor_of_place(&existing.publishers)?;
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
