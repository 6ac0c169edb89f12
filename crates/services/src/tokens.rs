//! Third-party apps' tokens: made, listed and revoked by administrators, or by whoever runs
//! the command line. A token's secret is returned once, when it is made; only its SHA-256
//! digest is kept, to look it up by.

use capitole_domain::access::{RateTier, Scope, api_token};
use capitole_domain::text::encode_codes;
use capitole_persistence::accounts::{self, NewApiToken};
use capitole_persistence::entities::api_token as api_token_row;
use capitole_persistence::{Database, Page, PageRequest};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::accounts::email;
use crate::auth::secrets;
use crate::{Principal, ServiceError, ServiceResult, Services};

const MAX_APP_NAME: usize = 80;

/// Makes an app token for an administrator, who is recorded as its maker; returns its
/// secret (shown once) with its record.
pub async fn create(
    services: &Services,
    by: &Principal,
    app: &str,
    contact: &str,
    scopes: &[Scope],
    tier: RateTier,
    now: DateTime<Utc>,
) -> ServiceResult<(String, api_token_row::Model)> {
    let admin = by.administrator()?;
    let made_by = Some(admin.user_id);
    create_api_token(&services.db, app, contact, scopes, tier, made_by, now).await
}

/// Every app token, newest first, for an administrator.
pub async fn list(
    services: &Services,
    by: &Principal,
    request: &PageRequest,
) -> ServiceResult<Page<api_token_row::Model>> {
    by.administrator()?;
    Ok(accounts::api_tokens(&services.db, request).await?)
}

/// Revokes an app token for an administrator: it stops working with the next request.
pub async fn revoke(
    services: &Services,
    by: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<api_token_row::Model> {
    by.administrator()?;
    revoke_api_token(&services.db, id, now).await
}

/// Makes an app token, as the command line does (`created_by` names the administrator who
/// asked, if any); returns its secret (shown once) with its record.
pub async fn create_api_token(
    db: &Database,
    app: &str,
    contact: &str,
    scopes: &[Scope],
    tier: RateTier,
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> ServiceResult<(String, api_token_row::Model)> {
    let app = app.trim();
    if app.is_empty() || app.chars().count() > MAX_APP_NAME || app.chars().any(char::is_control) {
        return Err(ServiceError::bad_input(format!(
            "`app` has 1 to {MAX_APP_NAME} characters and no control characters"
        )));
    }
    let contact = email(contact)?;
    if scopes.is_empty() {
        return Err(ServiceError::bad_input("a token needs at least one scope"));
    }
    if tier == RateTier::Anonymous || tier == RateTier::User {
        return Err(ServiceError::bad_input(
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

/// Revokes an app token by id, as the command line does; revoking it again changes
/// nothing.
pub async fn revoke_api_token(
    db: &Database,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<api_token_row::Model> {
    let not_found = || ServiceError::not_found("no app token has this id");
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
