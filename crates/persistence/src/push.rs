//! Web Push: the push subscriptions browsers give signed-in people, and the VAPID key
//! generated where none is configured.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::sql::Sql;
use crate::{Database, StorageError};

/// A push subscription as stored.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct PushSubscriptionRow {
    /// Its id.
    pub id: Uuid,
    /// The person it belongs to.
    pub user_id: Uuid,
    /// The push service's address for this browser.
    pub endpoint: String,
    /// The browser's public key (P-256, base64url).
    pub p256dh: String,
    /// The browser's authentication secret (base64url).
    pub auth: String,
    /// Which news it hears of, as JSON (a filter of the news list), if any.
    pub news: Option<String>,
    /// Whether it hears of changes to the events its person is going to.
    pub going: bool,
    /// When it was registered (or registered again).
    pub created_at: DateTime<Utc>,
    /// When a message last reached its push service.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Where events that start soon are looked for: latitude, when it asked for them.
    pub near_latitude: Option<f64>,
    /// Where events that start soon are looked for: longitude.
    pub near_longitude: Option<f64>,
    /// How far from that point, in metres.
    pub near_radius_meters: Option<i64>,
    /// How long before an event starts it hears of it, in minutes.
    pub near_minutes: Option<i64>,
}

impl PushSubscriptionRow {
    /// The events that start soon it asked to hear of, if it did.
    pub fn nearby(&self) -> Option<Nearby> {
        Some(Nearby {
            latitude: self.near_latitude?,
            longitude: self.near_longitude?,
            radius_meters: u32::try_from(self.near_radius_meters?).ok()?,
            minutes: u32::try_from(self.near_minutes?).ok()?,
        })
    }
}

/// Events that start soon near a point, as a subscription asks to hear of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearby {
    /// The point's latitude, in degrees.
    pub latitude: f64,
    /// The point's longitude, in degrees.
    pub longitude: f64,
    /// How far from the point, in metres.
    pub radius_meters: u32,
    /// How long before an event starts, in minutes.
    pub minutes: u32,
}

/// The name of Web Push's cursor in the change log (see [`crate::changes::cursor`]).
pub const CURSOR: &str = "push";

const COLUMNS: &str = "s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.news, s.going, s.created_at, \
     s.last_sent_at, s.near_latitude, s.near_longitude, s.near_radius_meters, s.near_minutes";

/// A subscription to register.
#[derive(Debug, Clone)]
pub struct NewPushSubscription {
    /// The person.
    pub user_id: Uuid,
    /// The push service's address.
    pub endpoint: String,
    /// The browser's public key.
    pub p256dh: String,
    /// The browser's authentication secret.
    pub auth: String,
    /// Which news, as JSON, if any.
    pub news: Option<String>,
    /// Changes to the events the person is going to.
    pub going: bool,
    /// Events that start soon near a point, if asked for.
    pub nearby: Option<Nearby>,
}

/// Registers a subscription; an endpoint registered before (by this person or another on
/// the same browser) is replaced, keys and topics included.
pub async fn register(
    db: &Database,
    subscription: NewPushSubscription,
    now: DateTime<Utc>,
) -> Result<PushSubscriptionRow, StorageError> {
    let nearby = subscription.nearby;
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, news, going, \
              near_latitude, near_longitude, near_radius_meters, near_minutes, created_at) VALUES (")
        .bind(Uuid::now_v7())
        .push(", ")
        .bind(subscription.user_id)
        .push(", ")
        .bind(subscription.endpoint.clone())
        .push(", ")
        .bind(subscription.p256dh)
        .push(", ")
        .bind(subscription.auth)
        .push(", ")
        .bind(subscription.news)
        .push(", ")
        .bind(subscription.going)
        .push(", ")
        .bind(nearby.map(|n| n.latitude))
        .push(", ")
        .bind(nearby.map(|n| n.longitude))
        .push(", ")
        .bind(nearby.map(|n| i64::from(n.radius_meters)))
        .push(", ")
        .bind(nearby.map(|n| i64::from(n.minutes)))
        .push(", ")
        .bind(now)
        .push(
            ") ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, \
             auth = excluded.auth, news = excluded.news, going = excluded.going, \
             near_latitude = excluded.near_latitude, near_longitude = excluded.near_longitude, \
             near_radius_meters = excluded.near_radius_meters, near_minutes = excluded.near_minutes, \
             created_at = excluded.created_at",
        );
    db.connection().execute_raw(sql.build()).await?;
    by_endpoint(db, &subscription.endpoint)
        .await?
        .ok_or(StorageError::NotFound)
}

/// The subscription of an endpoint.
pub async fn by_endpoint(
    db: &Database,
    endpoint: &str,
) -> Result<Option<PushSubscriptionRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM push_subscriptions s WHERE s.endpoint = ")
        .bind(endpoint.to_owned());
    Ok(PushSubscriptionRow::find_by_statement(sql.build())
        .one(db.connection())
        .await?)
}

/// A person's subscriptions, oldest first.
pub async fn of_user(
    db: &Database,
    user_id: Uuid,
) -> Result<Vec<PushSubscriptionRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM push_subscriptions s WHERE s.user_id = ")
        .bind(user_id)
        .push(" ORDER BY s.created_at, s.id");
    Ok(PushSubscriptionRow::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// Every subscription that hears of something: news, or the events its person goes to.
pub async fn listening(db: &Database) -> Result<Vec<PushSubscriptionRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM push_subscriptions s WHERE s.news IS NOT NULL OR s.going = ")
        .bind(true)
        .push(" ORDER BY s.id");
    Ok(PushSubscriptionRow::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// Every subscription that asked to hear of events starting soon near a point.
pub async fn nearby(db: &Database) -> Result<Vec<PushSubscriptionRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM push_subscriptions s WHERE s.near_minutes IS NOT NULL ORDER BY s.id");
    Ok(PushSubscriptionRow::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// Records that a subscription is reminded of a date: true for the one caller that records
/// it first (who sends the reminder), false for any other, on any replica.
pub async fn remind_once(
    db: &Database,
    subscription_id: Uuid,
    occurrence_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO push_reminders (subscription_id, occurrence_id, sent_at) VALUES (")
        .bind(subscription_id)
        .push(", ")
        .bind(occurrence_id)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (subscription_id, occurrence_id) DO NOTHING");
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected()
        == 1)
}

/// Forgets the reminders sent before `before`; how many.
pub async fn purge_reminders(db: &Database, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM push_reminders WHERE sent_at < ")
        .bind(before);
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected())
}

/// Deletes the subscription of an endpoint, if `user_id` (when given) owns it; whether one
/// went.
pub async fn remove(
    db: &Database,
    endpoint: &str,
    user_id: Option<Uuid>,
) -> Result<bool, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM push_subscriptions WHERE endpoint = ")
        .bind(endpoint.to_owned());
    if let Some(user_id) = user_id {
        sql.push(" AND user_id = ").bind(user_id);
    }
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected()
        > 0)
}

/// Records that a message reached the push service of a subscription.
pub async fn sent(db: &Database, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE push_subscriptions SET last_sent_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id);
    db.connection().execute_raw(sql.build()).await?;
    Ok(())
}

/// The generated VAPID private key kept in the database: the one stored first, when two
/// replicas generate one at once.
pub async fn vapid_key(
    db: &Database,
    generated: &str,
    now: DateTime<Utc>,
) -> Result<String, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO push_keys (name, private_key, created_at) VALUES (")
        .bind("vapid")
        .push(", ")
        .bind(generated.to_owned())
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (name) DO NOTHING");
    db.connection().execute_raw(sql.build()).await?;
    #[derive(FromQueryResult)]
    struct Key {
        private_key: String,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT private_key FROM push_keys WHERE name = ")
        .bind("vapid");
    Key::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map(|k| k.private_key)
        .ok_or(StorageError::NotFound)
}
