//! Account operations shared by the GraphQL mutations and the command line: creating
//! people, roles and app tokens here; signing in, sessions and their throttles in
//! [`sign_in`].

mod email;
mod sign_in;

pub use email::{RESET_LIFETIME, VERIFICATION_LIFETIME};
pub(crate) use email::{
    register, request_password_reset, request_verification, reset_password, verify_email,
};

pub use sign_in::{
    AccountSettings, MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS, MAX_ATTEMPTS_PER_ADDRESS,
    REFRESH_LIFETIME, SLOW_DOWN_AFTER, SessionTokens, THROTTLE_WINDOW, check_credentials,
    confirm_password, open_session, refresh,
};

use capitole_domain::access::{Email, RateTier, Role, Scope, api_token, check_new_password};

use capitole_domain::text::encode_codes;
use capitole_persistence::accounts::{self, NewApiToken, NewUser};
use capitole_persistence::entities::{api_token as api_token_row, user};
use capitole_persistence::{Database, StorageError, catalog};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::secrets;
use crate::error::{ApiError, ErrorCode};

const MAX_DISPLAY_NAME: usize = 80;
const MAX_APP_NAME: usize = 80;

fn check_display_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_input(format!(
            "`displayName` has 1 to {MAX_DISPLAY_NAME} characters and no control characters"
        )));
    }
    Ok(name.to_owned())
}

fn email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::bad_input(e.to_string()))
}

/// The ids of organizations named by slug; an unknown slug is an input error.
pub async fn organization_ids(db: &Database, slugs: &[String]) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let found = catalog::organization_by_slug(db, slug)
            .await?
            .ok_or_else(|| ApiError::bad_input(format!("unknown organization `{slug}`")))?;
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    Ok(ids)
}

fn check_role_organizations(role: Role, organizations: &[Uuid]) -> Result<(), ApiError> {
    match role {
        Role::Editor if organizations.is_empty() => Err(ApiError::bad_input(
            "an editor edits for at least one organization (`organizations`)",
        )),
        Role::Citizen | Role::Administrator if !organizations.is_empty() => {
            Err(ApiError::bad_input("only editors have organizations"))
        }
        _ => Ok(()),
    }
}

/// Checks what a new account is made of: its email (normalised), password and name.
pub(crate) fn check_new_account(
    raw_email: &str,
    password: &str,
    display_name: &str,
) -> Result<(Email, String), ApiError> {
    let email = email(raw_email)?;
    check_new_password(password).map_err(|e| ApiError::bad_input(e.to_string()))?;
    Ok((email, check_display_name(display_name)?))
}

/// Hashes a password (Argon2id), off the async threads.
pub(crate) async fn hash(password: &str) -> Result<String, ApiError> {
    secrets::hash_password(password.to_owned())
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot hash a password");
            ApiError::new(ErrorCode::Internal, "internal error")
        })
}

/// Creates an account with a checked email, password and role, its address taken as
/// verified (an administrator vouches for it).
pub async fn create_user(
    db: &Database,
    raw_email: &str,
    password: &str,
    display_name: &str,
    role: Role,
    organization_slugs: &[String],
    now: DateTime<Utc>,
) -> Result<user::Model, ApiError> {
    let (email, display_name) = check_new_account(raw_email, password, display_name)?;
    let organizations = organization_ids(db, organization_slugs).await?;
    check_role_organizations(role, &organizations)?;
    let new = NewUser {
        email: email.as_str().to_owned(),
        display_name,
        password_hash: hash(password).await?,
        role,
        organizations,
        verified: true,
    };
    accounts::create_user(db, new, now)
        .await
        .map_err(|error| match error {
            StorageError::Conflict { .. } => {
                ApiError::new(ErrorCode::Conflict, "an account already uses this email")
            }
            other => other.into(),
        })
}

/// Gives the account with this email a role (and, for editors, organizations).
pub async fn set_role(
    db: &Database,
    raw_email: &str,
    role: Role,
    organization_slugs: &[String],
    now: DateTime<Utc>,
) -> Result<user::Model, ApiError> {
    let email = email(raw_email)?;
    let organizations = organization_ids(db, organization_slugs).await?;
    check_role_organizations(role, &organizations)?;
    let found = accounts::user_by_email(db, email.as_str())
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no account uses this email"))?;
    accounts::set_role(db, found.id, role, &organizations, now).await?;
    accounts::user_by_id(db, found.id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no account uses this email"))
}

/// Makes an app token; returns its secret (shown once) with its record.
pub async fn create_api_token(
    db: &Database,
    app: &str,
    contact: &str,
    scopes: &[Scope],
    tier: RateTier,
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(String, api_token_row::Model), ApiError> {
    let app = app.trim();
    if app.is_empty() || app.chars().count() > MAX_APP_NAME || app.chars().any(char::is_control) {
        return Err(ApiError::bad_input(format!(
            "`app` has 1 to {MAX_APP_NAME} characters and no control characters"
        )));
    }
    let contact = email(contact)?;
    if scopes.is_empty() {
        return Err(ApiError::bad_input("a token needs at least one scope"));
    }
    if tier == RateTier::Anonymous || tier == RateTier::User {
        return Err(ApiError::bad_input(
            "an app token's tier is STANDARD or PARTNER",
        ));
    }
    let mut codes: Vec<&str> = scopes.iter().map(|s| s.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    let token = secrets::new_api_token();
    let row = accounts::create_api_token(
        db,
        NewApiToken {
            app_name: app.to_owned(),
            contact: contact.as_str().to_owned(),
            token_hash: secrets::digest(&token),
            hint: api_token::hint(&token),
            scopes: encode_codes(codes),
            tier: tier.code().to_owned(),
            created_by,
        },
        now,
    )
    .await?;
    Ok((token, row))
}

/// Revokes an app token by id.
pub async fn revoke_api_token(
    db: &Database,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<api_token_row::Model, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, "no app token has this id");
    let found = accounts::api_token_by_id(db, id)
        .await?
        .ok_or_else(not_found)?;
    if found.revoked_at.is_none() {
        accounts::revoke_api_token(db, id, now).await?;
    }
    accounts::api_token_by_id(db, id)
        .await?
        .ok_or_else(not_found)
}
