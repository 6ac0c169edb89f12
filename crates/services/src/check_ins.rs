//! Check-ins: a signed-in person checks in at a place, under the cooldown, the daily limit
//! and idempotency keys that storage applies in the same statement as the write.

use capitole_domain::community::CheckInDraft;
use capitole_persistence::check_ins::{self, CheckedIn};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Principal, ServiceResult, Services};

/// Checks the signed-in person in at `place`. A retried request with the same idempotency
/// key returns the first check-in, marked as replayed.
pub async fn check_in(
    services: &Services,
    by: &Principal,
    place: Uuid,
    draft: CheckInDraft,
    now: DateTime<Utc>,
) -> ServiceResult<CheckedIn> {
    let person = by.user()?;
    Ok(check_ins::check_in(&services.db, person.user_id, place, &draft, now).await?)
}
