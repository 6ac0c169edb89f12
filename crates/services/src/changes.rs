//! Reading the change log: what changed after a reader's position, as far as the reader
//! may know. Anonymous callers, residents and apps read the changes of what the public
//! could see (with tombstones for what left public view); an editor also reads those of
//! their organizations' drafts; administrators read everything. A position older than the
//! log's retention is refused with `CURSOR_EXPIRED`: the reader reads everything again.

use capitole_domain::change::{ItemKind, Retention};
use capitole_persistence::changes::{self, ChangeEntry, ChangePosition};
use capitole_persistence::{Page, PageRequest, StorageError};
use chrono::{DateTime, Utc};

use crate::{Principal, ServiceError, ServiceResult, Services};

/// A page of the entries of the `kinds` asked for (all when empty) that `by` may read:
/// the request's cursor is an encoded [`ChangePosition`]; a forward page without one starts
/// at the oldest entry kept, a backward one at the log's end.
pub async fn read(
    services: &Services,
    by: &Principal,
    request: &PageRequest,
    kinds: &[ItemKind],
    retention: Retention,
    now: DateTime<Utc>,
) -> ServiceResult<Page<ChangeEntry>> {
    let position = request
        .cursor
        .as_deref()
        .map(ChangePosition::decode)
        .transpose()?;
    if let Some(position) = position
        && retention.expired(position.at(), now)
    {
        return Err(ServiceError::from(StorageError::CursorExpired));
    }
    Ok(changes::page(&services.db, &by.change_reader(), request, kinds).await?)
}

/// How many entries of the `kinds` asked for (all when empty) `by` may read.
pub async fn count(services: &Services, by: &Principal, kinds: &[ItemKind]) -> ServiceResult<u64> {
    Ok(changes::count(&services.db, &by.change_reader(), kinds).await?)
}

/// The position of the log's end now, to read everything once and then follow the log
/// from it.
pub async fn head(services: &Services, now: DateTime<Utc>) -> ServiceResult<String> {
    Ok(changes::head(&services.db, now).await?.encode())
}

/// Starts the follower `name` (webhooks, Web Push) at the log's end, unless it started
/// before: called before its first registration is stored, so that every change after it
/// reaches the follower, however late its first turn comes.
pub async fn start_follower(
    services: &Services,
    name: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let head = changes::head(&services.db, now).await?;
    Ok(changes::start_cursor(&services.db, name, &head.encode()).await?)
}

/// Deletes the entries that the retention no longer keeps; returns how many went.
pub async fn compact(
    services: &Services,
    retention: Retention,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    Ok(changes::compact(&services.db, retention.compact_before(now)).await?)
}
