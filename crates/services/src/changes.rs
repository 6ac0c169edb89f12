//! Reading the change log: what changed after a reader's position, as far as the reader
//! may know. Anonymous callers, residents and apps read the changes of what the public
//! could see (with tombstones for what left public view); an editor also reads those of
//! their organizations' drafts; administrators read everything. A position older than the
//! log's retention is refused with `CURSOR_EXPIRED`: the reader reads everything again.

use capitole_domain::change::{ItemKind, Retention};
use capitole_persistence::changes::{self, ChangeEntry, ChangePosition};
use capitole_persistence::{Page, StorageError};
use chrono::{DateTime, Utc};

use crate::{Principal, ServiceError, ServiceResult, Services};

/// Up to `first` entries after `after` (an encoded [`ChangePosition`]; from the oldest kept
/// when none) of the `kinds` asked for (all when empty), that `by` may read.
pub async fn read(
    services: &Services,
    by: &Principal,
    after: Option<&str>,
    kinds: &[ItemKind],
    first: usize,
    retention: Retention,
    now: DateTime<Utc>,
) -> ServiceResult<Page<ChangeEntry>> {
    let after = after.map(ChangePosition::decode).transpose()?;
    if let Some(after) = after
        && retention.expired(after.at(), now)
    {
        return Err(ServiceError::from(StorageError::CursorExpired));
    }
    Ok(changes::page(&services.db, &by.change_reader(), after, kinds, first).await?)
}

/// The position of the log's end now, to read everything once and then follow the log
/// from it.
pub async fn head(services: &Services, now: DateTime<Utc>) -> ServiceResult<String> {
    Ok(changes::head(&services.db, now).await?.encode())
}

/// Deletes the entries that the retention no longer keeps; returns how many went.
pub async fn compact(
    services: &Services,
    retention: Retention,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    Ok(changes::compact(&services.db, retention.compact_before(now)).await?)
}
