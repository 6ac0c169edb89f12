//! People's accounts: signing up and the other flows that go through a mailbox, signing in
//! and out, sessions, passwords and their throttles, creating accounts and giving them roles,
//! and a person's rights over their own data: a copy of it, and its erasure. App tokens are
//! in [`crate::tokens`]; what administrators do to accounts, in [`crate::admin`].
//!
//! The flows that prove who someone is (signing up, in, a mailed link, a refresh token) take
//! no principal: what they carry is the proof. The others act for the signed-in person that
//! `by` is.

mod email;
mod roles;
mod sign_in;

pub use email::{
    RESET_LIFETIME, VERIFICATION_LIFETIME, register, request_password_reset, request_verification,
    reset_password, verify_email,
};
pub use roles::{create_user, set_role};
pub use sign_in::{
    AccountSettings, MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS, MAX_ATTEMPTS_PER_ADDRESS,
    REFRESH_LIFETIME, SLOW_DOWN_AFTER, SessionTokens, THROTTLE_WINDOW, change_password, refresh,
    sign_in, sign_out,
};

use std::net::IpAddr;

use capitole_domain::access::{Email, check_new_password};
use capitole_persistence::entities::user;
use capitole_persistence::privacy;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::{Auth, secrets};
use crate::{ErrorCode, Principal, ServiceError, ServiceResult, Services};
use sign_in::confirm_password;

const MAX_DISPLAY_NAME: usize = 80;

/// A session just opened, and the person it is for.
pub struct NewSession {
    /// Its tokens.
    pub tokens: SessionTokens,
    /// The signed-in person.
    pub user: user::Model,
}

fn check_display_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME
        || name.chars().any(char::is_control)
    {
        return Err(ServiceError::bad_input(format!(
            "`displayName` has 1 to {MAX_DISPLAY_NAME} characters and no control characters"
        )));
    }
    Ok(name.to_owned())
}

/// An email address, normalised; one that does not parse is an input error.
pub(crate) fn email(raw: &str) -> ServiceResult<Email> {
    Email::parse(raw).map_err(|e| ServiceError::bad_input(e.to_string()))
}

/// Checks what a new account is made of: its email (normalised), password and name.
fn check_new_account(
    raw_email: &str,
    password: &str,
    display_name: &str,
) -> ServiceResult<(Email, String)> {
    let email = email(raw_email)?;
    check_new_password(password).map_err(|e| ServiceError::bad_input(e.to_string()))?;
    Ok((email, check_display_name(display_name)?))
}

/// Hashes a password (Argon2id), off the async threads.
async fn hash(password: &str) -> ServiceResult<String> {
    secrets::hash_password(password.to_owned())
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot hash a password");
            ServiceError::new(ErrorCode::Internal, "internal error")
        })
}

/// Everything Capitole stores about the signed-in person, as one JSON document (their right
/// of access under the GDPR), without secrets.
pub async fn export(services: &Services, by: &Principal) -> ServiceResult<serde_json::Value> {
    let user = by.user()?;
    privacy::export_user(&services.db, user.user_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("the account no longer exists"))
}

/// Erases the signed-in person's account and personal data (their right to erasure under
/// the GDPR), once they gave their password again. Returns the id of the account erased.
pub async fn erase(
    services: &Services,
    auth: &Auth,
    by: &Principal,
    password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<Uuid> {
    let user = by.user()?;
    confirm_password(&services.db, auth, user.user_id, password, client, now).await?;
    if !privacy::delete_user(&services.db, user.user_id, now).await? {
        return Err(ServiceError::not_found("the account no longer exists"));
    }
    Ok(user.user_id)
}
