//! Sessions and their refresh tokens. A session is one row that says whether it is open;
//! its refresh tokens (stored hashed) rotate on every use. Closing a session (logout,
//! password change, replay of a spent token) sets that one row's `revoked_at`, and every
//! refresh and every request checks it, so no token issued before or during the closing
//! outlives it. Nothing here sees a token in clear.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::{refresh_token, session};
use crate::{Database, StorageError};

/// Opens a session for a person with its first refresh token; returns the session's id.
pub async fn open(
    db: &Database,
    user_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<Uuid, StorageError> {
    let id = capitole_domain::ids::new_id();
    let txn = db.begin_write().await?;
    session::Entity::insert(session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        created_at: Set(now),
        refreshed_at: Set(now),
        revoked_at: Set(None),
    })
    .exec(&txn)
    .await?;
    insert_token(&txn, user_id, id, token_hash, now, lifetime).await?;
    txn.commit().await?;
    Ok(id)
}

async fn insert_token(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<(), StorageError> {
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(capitole_domain::ids::new_id()),
        user_id: Set(user_id),
        family_id: Set(session_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        spent_at: Set(None),
        revoked_at: Set(None),
    })
    .exec(conn)
    .await?;
    Ok(())
}

/// What spending a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// The token was live and is spent; the next one is stored in the same session.
    Rotated {
        /// Whose session it is.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// The token had been spent already: someone replayed it, so its session is closed.
    Reused,
    /// No such token, it expired, or its session is closed.
    Invalid,
}

/// Spends a refresh token and stores the next one, in one transaction that holds the
/// session's row: of two concurrent uses of one token, one rotates and the other finds it
/// spent and closes the session; a refresh racing a logout either finishes before the
/// session closes (and its new token dies with it) or finds it closed.
pub async fn rotate(
    db: &Database,
    token_hash: &str,
    next_hash: String,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<Spent, StorageError> {
    let txn = db.begin_write().await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(&txn)
        .await?
    else {
        return Ok(Spent::Invalid);
    };
    // The session's lock orders this refresh against a concurrent logout or refresh.
    let open = session::Entity::update_many()
        .col_expr(session::Column::RefreshedAt, Expr::value(now))
        .filter(session::Column::Id.eq(token.family_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if !open {
        return Ok(if token.spent_at.is_some() {
            Spent::Reused
        } else {
            Spent::Invalid
        });
    }
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::SpentAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    if !spent {
        let replayed = refresh_token::Entity::find_by_id(token.id)
            .one(&txn)
            .await?
            .is_some_and(|row| row.spent_at.is_some());
        if !replayed {
            return Ok(Spent::Invalid);
        }
        close(&txn, token.family_id, now).await?;
        txn.commit().await?;
        return Ok(Spent::Reused);
    }
    insert_token(
        &txn,
        token.user_id,
        token.family_id,
        next_hash,
        now,
        lifetime,
    )
    .await?;
    txn.commit().await?;
    Ok(Spent::Rotated {
        user_id: token.user_id,
        session_id: token.family_id,
    })
}

/// Closes one session: its access and refresh tokens stop working at once. Returns how many
/// sessions closed (none when it was closed already).
pub async fn revoke(
    db: &Database,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let txn = db.begin_write().await?;
    let closed = close(&txn, session_id, now).await?;
    txn.commit().await?;
    Ok(closed)
}

async fn close(
    conn: &impl ConnectionTrait,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let closed = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    // The tokens say when they stopped working, for the person's export.
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(session_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(closed)
}

/// Closes every session of an account; returns how many were open.
pub async fn revoke_all(
    db: &Database,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let txn = db.begin_write().await?;
    let closed = close_all(&txn, user_id, now).await?;
    txn.commit().await?;
    Ok(closed)
}

/// Closes every session of an account, inside the caller's transaction; returns how many
/// were open.
pub(crate) async fn close_all(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let closed = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(closed)
}
