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
}

/// The name of Web Push's cursor in the change log (see [`crate::changes::cursor`]).
pub const CURSOR: &str = "push";

const COLUMNS: &str =
    "s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.news, s.going, s.created_at, s.last_sent_at";

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
}

/// Registers a subscription; an endpoint registered before (by this person or another on
/// the same browser) is replaced, keys and topics included.
pub async fn register(
    db: &Database,
    subscription: NewPushSubscription,
    now: DateTime<Utc>,
) -> Result<PushSubscriptionRow, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, news, going, created_at) VALUES (")
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
        .bind(now)
        .push(
            ") ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, \
             auth = excluded.auth, news = excluded.news, going = excluded.going, created_at = excluded.created_at",
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
