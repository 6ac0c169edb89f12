//! Single-use tokens mailed to people: one to verify their address, one to reset a
//! forgotten password. Each is stored as a SHA-256 hash, for one purpose, until a time;
//! spending one is a conditional UPDATE, so a token works once even when two requests
//! bring it at the same moment.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};
use uuid::Uuid;

use crate::entities::{account_token, user};
use crate::sql::Sql;
use crate::{Database, StorageError, throttle};

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Proves that a person reads the address of their account.
    VerifyEmail,
    /// Lets a person who forgot their password choose a new one.
    ResetPassword,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "VERIFY_EMAIL",
            Purpose::ResetPassword => "RESET_PASSWORD",
        }
    }
}

/// Stores a token (its hash) for `user_id`.
pub async fn issue(
    db: &Database,
    user_id: Uuid,
    purpose: Purpose,
    token_hash: String,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<(), StorageError> {
    account_token::Entity::insert(account_token::ActiveModel {
        id: Set(capitole_domain::ids::new_id()),
        user_id: Set(user_id),
        purpose: Set(purpose.code().to_owned()),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        used_at: Set(None),
    })
    .exec(db.connection())
    .await?;
    Ok(())
}

/// Spends a live token of `purpose`; returns whose it was.
async fn spend(
    conn: &impl ConnectionTrait,
    purpose: Purpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StorageError> {
    #[derive(FromQueryResult)]
    struct Spent {
        user_id: Uuid,
    }
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("UPDATE account_tokens SET used_at = ")
        .bind(now)
        .push(" WHERE token_hash = ")
        .bind(token_hash.to_owned())
        .push(" AND purpose = ")
        .bind(purpose.code())
        .push(" AND used_at IS NULL AND expires_at > ")
        .bind(now)
        .push(" RETURNING user_id");
    Ok(Spent::find_by_statement(sql.build())
        .one(conn)
        .await?
        .map(|spent| spent.user_id))
}

/// Spends every live token of `purpose` of one person (a newer one made them moot).
async fn spend_all(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::Purpose.eq(purpose.code()))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

async fn mark_verified(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Spends a verification token and marks its person's address verified; returns them.
pub async fn verify_email(
    db: &Database,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, StorageError> {
    let txn = db.begin_write().await?;
    let Some(user_id) = spend(&txn, Purpose::VerifyEmail, token_hash, now).await? else {
        return Ok(None);
    };
    mark_verified(&txn, user_id, now).await?;
    spend_all(&txn, user_id, Purpose::VerifyEmail, now).await?;
    let found = user::Entity::find_by_id(user_id).one(&txn).await?;
    txn.commit().await?;
    Ok(found)
}

/// Spends a reset token and gives its person a new password, in one transaction: every
/// session closes, other reset tokens stop working, the address counts as verified (the
/// person read the mail), and the attempt counters of the account start over (the owner
/// may have locked their own address while trying to remember). Returns the person.
pub async fn reset_password(
    db: &Database,
    token_hash: &str,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, StorageError> {
    let txn = db.begin_write().await?;
    let Some(user_id) = spend(&txn, Purpose::ResetPassword, token_hash, now).await? else {
        return Ok(None);
    };
    crate::accounts::replace_password(&txn, user_id, password_hash, now).await?;
    mark_verified(&txn, user_id, now).await?;
    spend_all(&txn, user_id, Purpose::ResetPassword, now).await?;
    let found = user::Entity::find_by_id(user_id).one(&txn).await?;
    if let Some(found) = &found {
        throttle::forget_account(&txn, &found.email).await?;
    }
    txn.commit().await?;
    Ok(found)
}

/// Deletes tokens that expired at or before `before`; returns how many.
pub(crate) async fn purge(db: &Database, before: DateTime<Utc>) -> Result<u64, StorageError> {
    Ok(account_token::Entity::delete_many()
        .filter(account_token::Column::ExpiresAt.lte(before))
        .exec(db.connection())
        .await?
        .rows_affected)
}
