//! What a signed-in person says of places and events without writing anything: likes and
//! dislikes of places, saved items, and the dates they are going to.

use capitole_domain::community::{Refusal, SavedKind, Vote};
use capitole_persistence::entities::event_occurrence;
use capitole_persistence::{articles, events, places, reactions};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Principal, ServiceResult, Services};

/// Sets (or, with `None`, withdraws) the signed-in person's vote on `place`; returns the
/// place's likes and dislikes.
pub async fn rate_place(
    services: &Services,
    by: &Principal,
    place: Uuid,
    vote: Option<Vote>,
    now: DateTime<Utc>,
) -> ServiceResult<(i64, i64)> {
    let person = by.user()?;
    Ok(reactions::vote(&services.db, person.user_id, place, vote, now).await?)
}

/// Saves an item the signed-in person may read to their list (or, with `saved` false,
/// removes it from the list, readable or not).
pub async fn set_saved(
    services: &Services,
    by: &Principal,
    kind: SavedKind,
    item: Uuid,
    saved: bool,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let person = by.user()?;
    if saved && !readable(services, by, kind, item, now).await? {
        return Err(Refusal::NothingReadable.into());
    }
    Ok(reactions::set_saved(&services.db, person.user_id, kind, item, saved, now).await?)
}

/// Whether `by` may read the item.
async fn readable(
    services: &Services,
    by: &Principal,
    kind: SavedKind,
    item: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let db = &services.db;
    let found = match kind {
        SavedKind::Place => !places::by_ids(db, &[item]).await?.is_empty(),
        SavedKind::Event => !events::by_ids(db, &[item]).await?.is_empty(),
        SavedKind::Article => !articles::by_ids(db, &by.article_visibility(now), &[item])
            .await?
            .is_empty(),
    };
    Ok(found)
}

/// Says the signed-in person is going (or, with `going` false, no longer going) to a date
/// of an event; returns the date.
pub async fn set_going(
    services: &Services,
    by: &Principal,
    occurrence: Uuid,
    going: bool,
    now: DateTime<Utc>,
) -> ServiceResult<event_occurrence::Model> {
    let person = by.user()?;
    Ok(reactions::set_going(&services.db, person.user_id, occurrence, going, now).await?)
}
