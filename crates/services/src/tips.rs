//! Tips: a signed-in person leaves, likes and reports them; moderators (editors and
//! administrators) hide and restore them.

use capitole_domain::community::{Moderation, Refusal, TipDraft, TipReport};
use capitole_persistence::entities::tip;
use capitole_persistence::tips;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Principal, ServiceError, ServiceResult, Services};

/// Leaves the signed-in person's tip on `place`.
pub async fn add(
    services: &Services,
    by: &Principal,
    place: Uuid,
    draft: TipDraft,
    now: DateTime<Utc>,
) -> ServiceResult<tip::Model> {
    let person = by.user()?;
    Ok(tips::add_tip(&services.db, person.user_id, place, &draft, now).await?)
}

/// Likes a tip the signed-in person may see, once; returns it with its like count.
pub async fn like(
    services: &Services,
    by: &Principal,
    tip: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<tip::Model> {
    let person = by.user()?;
    Ok(tips::like_tip(&services.db, person.user_id, tip, by.is_moderator(), now).await?)
}

/// Reports a tip the signed-in person may see to the moderators, once (reporting it again
/// changes nothing); returns the tip.
pub async fn report(
    services: &Services,
    by: &Principal,
    tip: Uuid,
    report: TipReport,
    now: DateTime<Utc>,
) -> ServiceResult<tip::Model> {
    let person = by.user()?;
    Ok(tips::report_tip(
        &services.db,
        person.user_id,
        tip,
        &report,
        by.is_moderator(),
        now,
    )
    .await?)
}

/// Hides or restores a tip, for a moderator, recorded in the audit log under the
/// organization [`Principal::moderator`] names for the tip's place.
pub async fn moderate(
    services: &Services,
    by: &Principal,
    tip: Uuid,
    moderation: Moderation,
    now: DateTime<Utc>,
) -> ServiceResult<tip::Model> {
    // Refused before the tip is looked up, so that citizens learn nothing of hidden tips.
    by.moderator(&[])?;
    let (_, publishers) = tips::tip_and_publishers(&services.db, tip)
        .await?
        .ok_or_else(|| ServiceError::from(Refusal::UnknownTip))?;
    let moderator = by.moderator(&publishers)?;
    Ok(tips::moderate_tip(&services.db, tip, moderation, &moderator, now).await?)
}
