//! Web Push reminders of events that start soon near the people who opted in: every
//! replica that serves looks, every `reminders_every`, for the dates that start before the
//! longest notice any subscription asked for, and reminds each subscription of the dates
//! at a venue within its circle and within its notice. A reminder is recorded before it is
//! sent (one row per subscription and date), so that it is sent once, by one replica.

use capitole_domain::event::EventStatus;
use capitole_domain::geo::Coordinates;
use capitole_domain::schedule::OccurrenceStatus;
use capitole_persistence::events::{self, AgendaColumns, AgendaRow, EventFilter};
use capitole_persistence::push::{self as storage, PushSubscriptionRow};
use capitole_persistence::{PageRequest, StorageError};
use capitole_services::Services;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::push::send;
use crate::ApiContext;
use crate::ids::{self, Kind};

/// Dates read at once.
const PAGE: usize = 500;

/// Sends reminders until the process stops; nothing when Web Push is off.
pub(crate) async fn run(api: ApiContext) {
    let Some(every) = api.push.reminders_every() else {
        return;
    };
    let services = Services {
        db: api.db.background(),
        timezone: api.timezone,
    };
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = round(&api, &services, Utc::now()).await {
            tracing::warn!(%error, "cannot send Web Push reminders; trying again later");
        }
    }
}

/// Reminds every subscription that asked of the dates that start soon near it.
async fn round(
    api: &ApiContext,
    services: &Services,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let db = &services.db;
    let subscriptions = storage::nearby(db).await?;
    let Some(longest) = subscriptions
        .iter()
        .filter_map(|s| s.nearby().map(|n| n.minutes))
        .max()
    else {
        return Ok(());
    };
    let filter = EventFilter {
        starts_before: Some(now + Duration::minutes(i64::from(longest))),
        ..EventFilter::from(now)
    };
    let mut after = None;
    loop {
        let request = PageRequest::after(PAGE, after.take());
        let page = events::dates(db, &filter, &request, AgendaColumns::ALL).await?;
        let mut messages = Vec::new();
        for (row, cursor) in &page.rows {
            after = Some(cursor.clone());
            for (subscription, message) in reminders_of(row, &subscriptions, now) {
                if storage::remind_once(db, subscription.id, row.occurrence.id, now).await? {
                    messages.push((subscription.clone(), message));
                }
            }
        }
        send(api, services, messages).await;
        if !page.has_next_page {
            return Ok(());
        }
    }
}

/// The reminders one date makes: for each subscription whose circle holds its venue and
/// whose notice reaches its start. Dates off, events off, put off or moved online, and
/// events without a venue make none.
fn reminders_of<'a>(
    row: &AgendaRow,
    subscriptions: &'a [PushSubscriptionRow],
    now: DateTime<Utc>,
) -> Vec<(&'a PushSubscriptionRow, String)> {
    let going_ahead = matches!(
        EventStatus::from_code(&row.event.status),
        Some(EventStatus::Scheduled | EventStatus::Rescheduled)
    ) && events::occurrence_status(&row.occurrence)
        == OccurrenceStatus::Scheduled;
    let Some(venue) = row.venue.as_ref().filter(|_| going_ahead) else {
        return Vec::new();
    };
    let Ok(at) = Coordinates::parse(venue.latitude, venue.longitude) else {
        return Vec::new();
    };
    let starts_at = row.occurrence.starts_at;
    let mut out = Vec::new();
    for subscription in subscriptions {
        let Some(nearby) = subscription.nearby() else {
            continue;
        };
        let Ok(point) = Coordinates::parse(nearby.latitude, nearby.longitude) else {
            continue;
        };
        let distance = point.distance_meters(at);
        let soon = starts_at <= now + Duration::minutes(i64::from(nearby.minutes));
        if soon && distance <= f64::from(nearby.radius_meters) {
            let message = json!({
                "kind": "EVENT_STARTS_SOON",
                "id": ids::encode(Kind::Event, row.event.id).to_string(),
                "occurrenceId": ids::encode(Kind::Occurrence, row.occurrence.id).to_string(),
                "title": row.event.title,
                "startsAt": starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "venue": venue.name,
                "distanceMeters": distance.round(),
            });
            out.push((subscription, message.to_string()));
        }
    }
    out
}
