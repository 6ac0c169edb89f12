//! Account operations shared by the GraphQL mutations and the command line: creating
//! people and app tokens, signing in with throttling, sessions with rotating refresh tokens.

use capitole_domain::access::{Email, RateTier, Role, Scope, api_token, check_new_password};
use capitole_domain::text::encode_codes;
use capitole_persistence::accounts::{self, NewApiToken, NewUser, Spent};
use capitole_persistence::entities::{api_token as api_token_row, user};
use capitole_persistence::{Database, StorageError, catalog};
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;
use uuid::Uuid;

use crate::auth::{Auth, secrets};
use crate::error::{ApiError, ErrorCode};

/// How long a refresh token works.
pub const REFRESH_LIFETIME: Duration = Duration::days(30);
/// Failed sign-ins tolerated per account within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins tolerated per client address within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 30;
/// The window failed sign-ins are counted over.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
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

/// Creates an account with a checked email, password and role.
pub async fn create_user(
    db: &Database,
    raw_email: &str,
    password: &str,
    display_name: &str,
    role: Role,
    organization_slugs: &[String],
    now: DateTime<Utc>,
) -> Result<user::Model, ApiError> {
    let email = email(raw_email)?;
    check_new_password(password).map_err(|e| ApiError::bad_input(e.to_string()))?;
    let display_name = check_display_name(display_name)?;
    let organizations = organization_ids(db, organization_slugs).await?;
    check_role_organizations(role, &organizations)?;
    let password_hash = secrets::hash_password(password.to_owned())
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot hash a password");
            ApiError::new(ErrorCode::Internal, "internal error")
        })?;
    let new = NewUser {
        email: email.as_str().to_owned(),
        display_name,
        password_hash,
        role,
        organizations,
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

/// A new session's tokens.
pub struct SessionTokens {
    /// The access JWT.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: DateTime<Utc>,
    /// The opaque refresh token.
    pub refresh_token: String,
}

async fn issue(
    db: &Database,
    auth: &Auth,
    user_id: Uuid,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<SessionTokens, ApiError> {
    let refresh_token = secrets::new_refresh_token();
    accounts::insert_refresh_token(
        db,
        user_id,
        family,
        secrets::digest(&refresh_token),
        now,
        REFRESH_LIFETIME,
    )
    .await?;
    let (access_token, access_expires_at) =
        auth.keys().issue(user_id, family, now).map_err(|error| {
            tracing::error!(%error, "cannot sign an access token");
            ApiError::new(ErrorCode::Internal, "internal error")
        })?;
    Ok(SessionTokens {
        access_token,
        access_expires_at,
        refresh_token,
    })
}

/// Opens a new session (a new refresh-token family) for a person.
pub async fn open_session(
    db: &Database,
    auth: &Auth,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<SessionTokens, ApiError> {
    issue(db, auth, user_id, capitole_domain::ids::new_id(), now).await
}

fn wrong_credentials() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "the email or the password is wrong",
    )
}

/// Checks an email and password, with the same answer and about the same time whether the
/// account exists or not, and with failures counted per account and per client address.
pub async fn check_credentials(
    db: &Database,
    auth: &Auth,
    raw_email: &str,
    password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<user::Model, ApiError> {
    let Ok(email) = Email::parse(raw_email) else {
        return Err(wrong_credentials());
    };
    let since = now - THROTTLE_WINDOW;
    let account_subject = format!("account:{}", email.as_str());
    let address_subject = client.map(|ip| format!("address:{ip}"));
    let throttled = accounts::recent_failures(db, &account_subject, since).await?
        >= MAX_FAILURES_PER_ACCOUNT
        || match &address_subject {
            Some(subject) => {
                accounts::recent_failures(db, subject, since).await? >= MAX_FAILURES_PER_ADDRESS
            }
            None => false,
        };
    if throttled {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "too many failed sign-ins for this account or from this address; try again in {} minutes",
                THROTTLE_WINDOW.num_minutes()
            ),
        ));
    }
    let found = accounts::user_by_email(db, email.as_str()).await?;
    let stored = found
        .as_ref()
        .map_or_else(|| auth.decoy_hash().to_owned(), |u| u.password_hash.clone());
    let matches = password.len() <= capitole_domain::access::PASSWORD_MAX_BYTES
        && secrets::verify_password(password.to_owned(), stored).await;
    match found {
        Some(user) if matches => {
            accounts::clear_failures(db, &account_subject).await?;
            Ok(user)
        }
        _ => {
            accounts::record_failure(db, &account_subject, now, since).await?;
            if let Some(subject) = &address_subject {
                accounts::record_failure(db, subject, now, since).await?;
            }
            Err(wrong_credentials())
        }
    }
}

/// Checks a signed-in person's password again (for sensitive changes).
pub async fn confirm_password(
    db: &Database,
    user_id: Uuid,
    password: &str,
) -> Result<user::Model, ApiError> {
    let found = accounts::user_by_id(db, user_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "the account no longer exists"))?;
    if password.len() > capitole_domain::access::PASSWORD_MAX_BYTES
        || !secrets::verify_password(password.to_owned(), found.password_hash.clone()).await
    {
        return Err(ApiError::new(ErrorCode::Forbidden, "the password is wrong"));
    }
    Ok(found)
}

/// Spends a refresh token and issues the next pair in its family.
pub async fn refresh(
    db: &Database,
    auth: &Auth,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<(SessionTokens, Uuid), ApiError> {
    if !refresh_token.starts_with("rt_") || refresh_token.len() > 64 {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "this refresh token is not valid; sign in again",
        ));
    }
    match accounts::spend_refresh_token(db, &secrets::digest(refresh_token), now).await? {
        Spent::Rotated { user_id, family_id } => {
            Ok((issue(db, auth, user_id, family_id, now).await?, user_id))
        }
        Spent::Reused => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "this refresh token was already used, so the session is closed for safety; sign in again",
        )),
        Spent::Invalid => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "this refresh token is not valid or has expired; sign in again",
        )),
    }
}
