//! Accounts and credentials: people and their organizations, third-party app tokens and
//! stored signing keys. Sessions live in `sessions`, attempt counters in `throttle`, and
//! what the GDPR asks of personal data (export, erasure, retention) in `privacy`. Secrets
//! arrive here already hashed; nothing in this module ever sees a password or a token in
//! clear.

use capitole_domain::access::Role;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::entities::{api_token, organization, signing_key, user, user_organization};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// A person to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Normalised address.
    pub email: String,
    /// How their name is shown.
    pub display_name: String,
    /// An Argon2id PHC string.
    pub password_hash: String,
    /// What they may do.
    pub role: Role,
    /// The organizations they edit for (editors only).
    pub organizations: Vec<Uuid>,
    /// Whether the address is known to be theirs already (an administrator made the
    /// account); otherwise it waits for the link mailed to it.
    pub verified: bool,
}

/// Creates an account; an address already taken is [`StorageError::Conflict`] on `email`.
pub async fn create_user(
    db: &Database,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<user::Model, StorageError> {
    let id = capitole_domain::ids::new_id();
    let txn = db.begin_write().await?;
    let model = user::ActiveModel {
        id: Set(id),
        email: Set(new.email),
        display_name: Set(new.display_name),
        password_hash: Set(new.password_hash),
        role: Set(new.role.code().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        password_changed_at: Set(now),
        check_ins_public: Set(false),
        hidden_from_mayor: Set(false),
        email_verified_at: Set(new.verified.then_some(now)),
    };
    user::Entity::insert(model).exec(&txn).await?;
    set_organizations(&txn, id, &new.organizations).await?;
    txn.commit().await?;
    user::Entity::find_by_id(id)
        .one(db.connection())
        .await?
        .ok_or_else(|| StorageError::BadRequest("the account vanished while it was created".into()))
}

async fn set_organizations(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    organizations: &[Uuid],
) -> Result<(), StorageError> {
    user_organization::Entity::delete_many()
        .filter(user_organization::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if organizations.is_empty() {
        return Ok(());
    }
    let rows = organizations
        .iter()
        .map(|&organization_id| user_organization::ActiveModel {
            user_id: Set(user_id),
            organization_id: Set(organization_id),
        });
    user_organization::Entity::insert_many(rows)
        .exec(conn)
        .await?;
    Ok(())
}

/// The account with this (normalised) address.
pub async fn user_by_email(
    db: &Database,
    email: &str,
) -> Result<Option<user::Model>, StorageError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db.connection())
        .await?)
}

/// The account with this id.
pub async fn user_by_id(db: &Database, id: Uuid) -> Result<Option<user::Model>, StorageError> {
    Ok(user::Entity::find_by_id(id).one(db.connection()).await?)
}

/// Every account, by address.
pub async fn users(db: &Database) -> Result<Vec<user::Model>, StorageError> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db.connection())
        .await?)
}

/// The organizations a person edits for, by name.
pub async fn organizations_of_user(
    db: &Database,
    user_id: Uuid,
) -> Result<Vec<organization::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT o.* FROM organizations o JOIN user_organizations uo ON uo.organization_id = o.id \
         WHERE uo.user_id = ",
    )
    .bind(user_id)
    .push(" ORDER BY o.name");
    use sea_orm::FromQueryResult;
    Ok(organization::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// The account behind an access token, if its session is still open: one statement that
/// also checks that the session has not been closed (logout, password change, reuse of a
/// spent refresh token).
pub async fn user_of_session(
    db: &Database,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<Option<(user::Model, Vec<Uuid>)>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT u.* FROM users u WHERE u.id = ")
        .bind(user_id)
        .push(" AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = ")
        .bind(session_id)
        .push(" AND s.user_id = u.id AND s.revoked_at IS NULL)");
    use sea_orm::FromQueryResult;
    let Some(found) = user::Model::find_by_statement(sql.build())
        .one(db.connection())
        .await?
    else {
        return Ok(None);
    };
    // Only editors edit for organizations: nobody else costs a second statement.
    let organizations = if found.role == Role::Editor.code() {
        organization_ids_of_user(db, found.id).await?
    } else {
        Vec::new()
    };
    Ok(Some((found, organizations)))
}

/// The ids of the organizations a person edits for.
pub async fn organization_ids_of_user(
    db: &Database,
    user_id: Uuid,
) -> Result<Vec<Uuid>, StorageError> {
    Ok(user_organization::Entity::find()
        .filter(user_organization::Column::UserId.eq(user_id))
        .all(db.connection())
        .await?
        .into_iter()
        .map(|row| row.organization_id)
        .collect())
}

/// Gives an account whose address nobody has verified yet a new password and name: whoever
/// signed up last with that address, and then follows the link mailed to it, owns it.
/// False when the address has been verified.
pub async fn replace_unverified(
    db: &Database,
    user_id: Uuid,
    password_hash: String,
    display_name: String,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    Ok(user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::DisplayName, Expr::value(display_name))
        .col_expr(user::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .exec(db.connection())
        .await?
        .rows_affected
        > 0)
}

/// Gives a person a role and the organizations they edit for.
pub async fn set_role(
    db: &Database,
    user_id: Uuid,
    role: Role,
    organizations: &[Uuid],
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let txn = db.begin_write().await?;
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role.code()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        return Ok(false);
    }
    set_organizations(&txn, user_id, organizations).await?;
    txn.commit().await?;
    Ok(true)
}

/// Replaces a password and closes every session of the account.
pub async fn set_password(
    db: &Database,
    user_id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let txn = db.begin_write().await?;
    replace_password(&txn, user_id, password_hash, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Replaces a password and closes every session of the account, inside the caller's
/// transaction.
pub(crate) async fn replace_password(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    crate::sessions::close_all(conn, user_id, now).await?;
    Ok(())
}

/// A third-party app's token to store.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// The app's name.
    pub app_name: String,
    /// Who to contact about the app (an email address).
    pub contact: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// What may be shown of the token afterwards.
    pub hint: String,
    /// Its scopes, encoded `|read|…|`.
    pub scopes: String,
    /// Its rate tier's code.
    pub tier: String,
    /// The administrator who made it, if made through the API.
    pub created_by: Option<Uuid>,
}

/// Stores an app token.
pub async fn create_api_token(
    db: &Database,
    new: NewApiToken,
    now: DateTime<Utc>,
) -> Result<api_token::Model, StorageError> {
    let model = api_token::Model {
        id: capitole_domain::ids::new_id(),
        app_name: new.app_name,
        contact: new.contact,
        token_hash: new.token_hash,
        hint: new.hint,
        scopes: new.scopes,
        tier: new.tier,
        created_by: new.created_by,
        created_at: now,
        revoked_at: None,
        last_used_at: None,
    };
    api_token::Entity::insert(api_token::ActiveModel::from(model.clone()))
        .exec(db.connection())
        .await?;
    Ok(model)
}

/// The live (not revoked) token with this hash.
pub async fn live_api_token(
    db: &Database,
    token_hash: &str,
) -> Result<Option<api_token::Model>, StorageError> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db.connection())
        .await?)
}

/// Notes that a token was used (callers do it at most once an hour per token).
pub async fn touch_api_token(
    db: &Database,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .exec(db.connection())
        .await?;
    Ok(())
}

/// Every app token, newest first.
pub async fn api_tokens(db: &Database) -> Result<Vec<api_token::Model>, StorageError> {
    Ok(api_token::Entity::find()
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(db.connection())
        .await?)
}

/// The app token with this id, revoked or not.
pub async fn api_token_by_id(
    db: &Database,
    id: Uuid,
) -> Result<Option<api_token::Model>, StorageError> {
    Ok(api_token::Entity::find_by_id(id)
        .one(db.connection())
        .await?)
}

/// Revokes an app token; false when there is no live token with that id.
pub async fn revoke_api_token(
    db: &Database,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    Ok(api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db.connection())
        .await?
        .rows_affected
        > 0)
}

/// The signing keys stored in the database, oldest first.
pub async fn signing_keys(db: &Database) -> Result<Vec<signing_key::Model>, StorageError> {
    Ok(signing_key::Entity::find()
        .order_by_asc(signing_key::Column::CreatedAt)
        .order_by_asc(signing_key::Column::Kid)
        .all(db.connection())
        .await?)
}

/// Stores a signing key unless one with that `kid` exists.
pub async fn insert_signing_key(
    db: &Database,
    key: signing_key::Model,
) -> Result<(), StorageError> {
    signing_key::Entity::insert(signing_key::ActiveModel::from(key))
        .on_conflict_do_nothing_on([signing_key::Column::Kid])
        .exec(db.connection())
        .await?;
    Ok(())
}

/// Schedules the retirement of every stored key that has none yet, except `kept`.
pub async fn retire_signing_keys(
    db: &Database,
    kept: &str,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    signing_key::Entity::update_many()
        .col_expr(signing_key::Column::RetiresAt, Expr::value(at))
        .filter(signing_key::Column::RetiresAt.is_null())
        .filter(signing_key::Column::Kid.ne(kept))
        .exec(db.connection())
        .await?;
    Ok(())
}

/// Deletes stored keys: those retired at or before `before`, or all of them (`None`).
pub async fn delete_signing_keys(
    db: &Database,
    before: Option<DateTime<Utc>>,
) -> Result<u64, StorageError> {
    let mut delete = signing_key::Entity::delete_many();
    if let Some(before) = before {
        delete = delete.filter(signing_key::Column::RetiresAt.lte(before));
    }
    Ok(delete.exec(db.connection()).await?.rows_affected)
}
