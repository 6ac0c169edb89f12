//! Webhooks and the queue of their deliveries.
//!
//! Deliveries are queued by following the change log from a cursor kept in the database:
//! any replica may queue the entries after it (a delivery is unique per webhook and entry,
//! so two replicas queuing the same entries queue them once), then moves the cursor on if
//! nobody moved it meanwhile. A replica claims due deliveries for a while before calling
//! their endpoints; a claim that outlives its replica (a crash) expires, and the delivery
//! is tried again.

use capitole_domain::webhook::{DeliveryStatus, WebhookStatus};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::cursor::{self, Keyset, PageRequest, Sort};
use crate::sql::Sql;
use crate::{Database, Page, StorageError};

/// A webhook as stored.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct WebhookRow {
    /// Its id.
    pub id: Uuid,
    /// The app token that registered it.
    pub token_id: Uuid,
    /// Its endpoint.
    pub url: String,
    /// The key of its deliveries' signatures.
    pub secret: String,
    /// What it follows: codes of `WebhookEvent`, comma-separated.
    pub events: String,
    /// Which items it follows, as JSON, if not all.
    pub filter: Option<String>,
    /// A code of `WebhookStatus`.
    pub status: String,
    /// Attempts failed since the last one that succeeded.
    pub consecutive_failures: i64,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was disabled, if it is.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A webhook to register.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Its id.
    pub id: Uuid,
    /// The app token registering it.
    pub token_id: Uuid,
    /// Its endpoint.
    pub url: String,
    /// The key of its deliveries' signatures.
    pub secret: String,
    /// What it follows: codes, comma-separated.
    pub events: String,
    /// Which items it follows, as JSON, if not all.
    pub filter: Option<String>,
}

/// The name of the webhooks' cursor in the change log (see [`crate::changes::cursor`]).
pub const CURSOR: &str = "webhooks";

const WEBHOOK_COLUMNS: &str = "w.id, w.token_id, w.url, w.secret, w.events, w.filter, w.status, w.consecutive_failures, w.created_at, w.disabled_at";

/// Registers a webhook, active from `now`.
pub async fn create(
    db: &Database,
    webhook: NewWebhook,
    now: DateTime<Utc>,
) -> Result<WebhookRow, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO webhooks (id, token_id, url, secret, events, filter, status, consecutive_failures, created_at) VALUES (")
        .bind(webhook.id)
        .push(", ")
        .bind(webhook.token_id)
        .push(", ")
        .bind(webhook.url)
        .push(", ")
        .bind(webhook.secret)
        .push(", ")
        .bind(webhook.events)
        .push(", ")
        .bind(webhook.filter)
        .push(", ")
        .bind(WebhookStatus::Active.code())
        .push(", 0, ")
        .bind(now)
        .push(")");
    db.connection().execute_raw(sql.build()).await?;
    by_id(db, webhook.id).await?.ok_or(StorageError::NotFound)
}

/// The webhook with this id.
pub async fn by_id(db: &Database, id: Uuid) -> Result<Option<WebhookRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(WEBHOOK_COLUMNS)
        .push(" FROM webhooks w WHERE w.id = ")
        .bind(id);
    Ok(WebhookRow::find_by_statement(sql.build())
        .one(db.connection())
        .await?)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct WebhookKey(DateTime<Utc>, Uuid);

/// A page of the webhooks an app token registered, oldest first.
pub async fn of_token(
    db: &Database,
    token_id: Uuid,
    request: &PageRequest,
) -> Result<Page<WebhookRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(WEBHOOK_COLUMNS)
        .push(" FROM webhooks w WHERE w.token_id = ")
        .bind(token_id);
    let keyset = Keyset(&[("w.created_at", Sort::Ascending), ("w.id", Sort::Ascending)]);
    keyset.push_page(&mut sql, request, |WebhookKey(at, id)| {
        vec![at.into(), id.into()]
    })?;
    let rows = WebhookRow::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |w| {
        cursor::encode(&WebhookKey(w.created_at, w.id))
    }))
}

/// How many webhooks an app token registered.
pub async fn count_of_token(db: &Database, token_id: Uuid) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM webhooks w WHERE w.token_id = ")
        .bind(token_id);
    crate::places::count_of(db, sql).await
}

/// Deletes a webhook and its deliveries; whether it existed.
pub async fn delete(db: &Database, id: Uuid) -> Result<bool, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM webhook_deliveries WHERE webhook_id = ")
        .bind(id);
    db.connection().execute_raw(sql.build()).await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM webhooks WHERE id = ").bind(id);
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected()
        > 0)
}

/// Makes a webhook active again, its failures forgotten.
pub async fn enable(db: &Database, id: Uuid) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE webhooks SET status = ")
        .bind(WebhookStatus::Active.code())
        .push(", consecutive_failures = 0, disabled_at = NULL WHERE id = ")
        .bind(id);
    db.connection().execute_raw(sql.build()).await?;
    Ok(())
}

/// An active webhook whose app token is not revoked, with what the token allows.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Subscriber {
    /// The webhook's id.
    pub id: Uuid,
    /// The app token's id.
    pub token_id: Uuid,
    /// What it follows: codes, comma-separated.
    pub events: String,
    /// Which items it follows, as JSON, if not all.
    pub filter: Option<String>,
    /// When it was registered: it receives changes made from then on.
    pub created_at: DateTime<Utc>,
    /// The token's scopes, comma-separated.
    pub scopes: String,
    /// The token's tier.
    pub tier: String,
}

/// Every active webhook of an app token that is not revoked.
pub async fn subscribers(db: &Database) -> Result<Vec<Subscriber>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT w.id, w.token_id, w.events, w.filter, w.created_at, t.scopes, t.tier FROM webhooks w JOIN api_tokens t ON t.id = w.token_id WHERE t.revoked_at IS NULL AND w.status = ")
        .bind(WebhookStatus::Active.code())
        .push(" ORDER BY w.created_at, w.id");
    Ok(Subscriber::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Its id.
    pub id: Uuid,
    /// The webhook it goes to.
    pub webhook_id: Uuid,
    /// The position in the change log of the change it tells of.
    pub change_position: i64,
    /// A code of `WebhookEvent`.
    pub event: String,
    /// The JSON it sends.
    pub body: String,
}

/// Deliveries one statement queues at most.
const PER_STATEMENT: usize = 200;

/// Queues deliveries, due at once; one already queued for the same webhook and change
/// stays as it is.
pub async fn enqueue(
    db: &Database,
    deliveries: &[NewDelivery],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    for chunk in deliveries.chunks(PER_STATEMENT) {
        let mut sql = Sql::new(db.db_backend());
        sql.push("INSERT INTO webhook_deliveries (id, webhook_id, change_position, event, body, status, attempts, created_at, next_attempt_at) VALUES ");
        for (i, delivery) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(delivery.id)
                .push(", ")
                .bind(delivery.webhook_id)
                .push(", ")
                .bind(delivery.change_position)
                .push(", ")
                .bind(delivery.event.clone())
                .push(", ")
                .bind(delivery.body.clone())
                .push(", ")
                .bind(DeliveryStatus::Pending.code())
                .push(", 0, ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.push(" ON CONFLICT (webhook_id, change_position) DO NOTHING");
        db.connection().execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// A delivery claimed to be sent, with its webhook's endpoint and key.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct DueDelivery {
    /// The delivery's id.
    pub id: Uuid,
    /// Its webhook.
    pub webhook_id: Uuid,
    /// A code of `WebhookEvent`.
    pub event: String,
    /// The JSON it sends.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// The webhook's endpoint.
    pub url: String,
    /// The key of its signature.
    pub secret: String,
}

/// Claims up to `limit` deliveries that are due at `now`, to active webhooks, under
/// `claim` until `until`, and returns them. A delivery claimed by another replica whose
/// claim has not expired is left alone.
pub async fn claim_due(
    db: &Database,
    claim: Uuid,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DueDelivery>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    let due = |sql: &mut Sql| {
        sql.push("d.status = ")
            .bind(DeliveryStatus::Pending.code())
            .push(" AND d.next_attempt_at <= ")
            .bind(now)
            .push(" AND (d.claimed_until IS NULL OR d.claimed_until < ")
            .bind(now)
            .push(")");
    };
    // The conditions are checked again on each row as it is updated, so that of two
    // replicas that chose the same row, the second finds it claimed and leaves it.
    sql.push("UPDATE webhook_deliveries AS d SET claim = ")
        .bind(claim)
        .push(", claimed_until = ")
        .bind(until)
        .push(" WHERE ");
    due(&mut sql);
    sql.push(" AND d.id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.status = ")
        .bind(WebhookStatus::Active.code())
        .push(" AND ");
    due(&mut sql);
    sql.push(" ORDER BY d.next_attempt_at LIMIT ")
        .number(limit)
        .push(")");
    db.connection().execute_raw(sql.build()).await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT d.id, d.webhook_id, d.event, d.body, d.attempts, d.created_at, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.claim = ")
        .bind(claim)
        .push(" AND d.status = ")
        .bind(DeliveryStatus::Pending.code())
        .push(" ORDER BY d.next_attempt_at, d.id");
    Ok(DueDelivery::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// What one attempt gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The endpoint's status code, if it answered.
    pub response_code: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// `None` when it succeeded; otherwise when to try again, or `None` inside to give up.
    pub retry: Option<Option<DateTime<Utc>>>,
}

/// Records an attempt at a delivery claimed under `claim`, and counts it on its webhook:
/// a success clears the webhook's failures; a failure adds one, and disables the webhook
/// when it reaches `disable_after`. Returns whether this attempt disabled the webhook.
pub async fn record(
    db: &Database,
    delivery: &DueDelivery,
    claim: Uuid,
    attempt: &Attempt,
    disable_after: u32,
) -> Result<bool, StorageError> {
    let status = match attempt.retry {
        None => DeliveryStatus::Delivered,
        Some(Some(_)) => DeliveryStatus::Pending,
        Some(None) => DeliveryStatus::Failed,
    };
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE webhook_deliveries SET status = ")
        .bind(status.code())
        .push(", attempts = attempts + 1, last_attempt_at = ")
        .bind(attempt.at)
        .push(", response_code = ")
        .bind(attempt.response_code.map(i64::from))
        .push(", error = ")
        .bind(attempt.error.clone())
        .push(", claim = NULL, claimed_until = NULL");
    match (status, attempt.retry) {
        (DeliveryStatus::Delivered, _) => {
            sql.push(", delivered_at = ").bind(attempt.at);
        }
        (_, Some(Some(next))) => {
            sql.push(", next_attempt_at = ").bind(next);
        }
        _ => {}
    }
    sql.push(" WHERE id = ")
        .bind(delivery.id)
        .push(" AND claim = ")
        .bind(claim);
    // The attempt and its count on the webhook, together.
    let txn = db.begin_write().await?;
    if txn.execute_raw(sql.build()).await?.rows_affected() == 0 {
        // The claim expired and another replica took the delivery over.
        return Ok(false);
    }
    let mut sql = Sql::new(db.db_backend());
    if status == DeliveryStatus::Delivered {
        sql.push("UPDATE webhooks SET consecutive_failures = 0 WHERE id = ")
            .bind(delivery.webhook_id);
        txn.execute_raw(sql.build()).await?;
        txn.commit().await?;
        return Ok(false);
    }
    let limit = i64::from(disable_after.max(1));
    sql.push("UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, status = CASE WHEN consecutive_failures + 1 >= ")
        .bind(limit)
        .push(" THEN ")
        .bind(WebhookStatus::Disabled.code())
        .push(" ELSE status END, disabled_at = CASE WHEN consecutive_failures + 1 >= ")
        .bind(limit)
        .push(" THEN ")
        .bind(attempt.at)
        .push(" ELSE disabled_at END WHERE id = ")
        .bind(delivery.webhook_id)
        .push(" AND status = ")
        .bind(WebhookStatus::Active.code())
        .push(" RETURNING status");
    #[derive(FromQueryResult)]
    struct Status {
        status: String,
    }
    let after = Status::find_by_statement(sql.build()).one(&txn).await?;
    txn.commit().await?;
    Ok(after.is_some_and(|s| s.status == WebhookStatus::Disabled.code()))
}

/// When the next pending delivery to an active webhook is due, if any is queued.
pub async fn next_due(db: &Database) -> Result<Option<DateTime<Utc>>, StorageError> {
    #[derive(FromQueryResult)]
    struct Due {
        at: DateTime<Utc>,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT d.next_attempt_at AS at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = ")
        .bind(DeliveryStatus::Pending.code())
        .push(" AND w.status = ")
        .bind(WebhookStatus::Active.code())
        .push(" ORDER BY d.next_attempt_at LIMIT 1");
    Ok(Due::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map(|d| d.at))
}

/// A delivery as its webhook's app reads it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct DeliveryRow {
    /// Its id.
    pub id: Uuid,
    /// A code of `WebhookEvent`.
    pub event: String,
    /// The JSON it sends.
    pub body: String,
    /// A code of `DeliveryStatus`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it is tried next, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was last tried.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The status code of the last answer.
    pub response_code: Option<i64>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct DeliveryKey(DateTime<Utc>, Uuid);

/// A page of a webhook's deliveries, newest first.
pub async fn deliveries(
    db: &Database,
    webhook_id: Uuid,
    request: &PageRequest,
) -> Result<Page<DeliveryRow>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT d.id, d.event, d.body, d.status, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.response_code, d.error, d.delivered_at FROM webhook_deliveries d WHERE d.webhook_id = ")
        .bind(webhook_id);
    let keyset = Keyset(&[
        ("d.created_at", Sort::Descending),
        ("d.id", Sort::Descending),
    ]);
    keyset.push_page(&mut sql, request, |DeliveryKey(at, id)| {
        vec![at.into(), id.into()]
    })?;
    let rows = DeliveryRow::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |d| {
        cursor::encode(&DeliveryKey(d.created_at, d.id))
    }))
}

/// How many deliveries a webhook has kept.
pub async fn delivery_count(db: &Database, webhook_id: Uuid) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM webhook_deliveries d WHERE d.webhook_id = ")
        .bind(webhook_id);
    crate::places::count_of(db, sql).await
}

/// Deletes the deliveries that are no longer pending and were queued before `before`;
/// returns how many went.
pub async fn purge(db: &Database, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM webhook_deliveries WHERE status <> ")
        .bind(DeliveryStatus::Pending.code())
        .push(" AND created_at < ")
        .bind(before);
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected())
}
