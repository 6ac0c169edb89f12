//! Who is calling: the `Authorization` header turned into a [`Principal`], or the answer
//! that refuses it.
//!
//! Looking a credential up costs a database statement, and anyone can make up app tokens
//! that pass the checksum, or replay access tokens of closed sessions. So a refused
//! credential costs its client address one point of the anonymous budget; an app token
//! not seen working lately is charged to the address *before* it is looked up, so that an
//! address whose budget is spent gets 429 without a lookup; and a credential refused once
//! is remembered for a minute and refused again without one. Access tokens need no charge
//! before their lookup: only Capitole can sign them, so each one is a sign-in that was paid
//! for.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use capitole_domain::access::api_token;
use capitole_services::auth::Refused;
use moka::sync::Cache;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::graphql::{MediaType, rate_limited, rate_subject, respond};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};

/// How long a credential's outcome is remembered.
const MEMORY: Duration = Duration::from_secs(60);
/// How many credentials each memory holds at most.
const CAPACITY: u64 = 100_000;

/// Credentials refused or accepted lately, by their SHA-256 digest.
pub(crate) struct CredentialMemo {
    refused: Cache<[u8; 32], ()>,
    accepted: Cache<[u8; 32], ()>,
}

impl Default for CredentialMemo {
    fn default() -> Self {
        let cache = || {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(MEMORY)
                .build()
        };
        Self {
            refused: cache(),
            accepted: cache(),
        }
    }
}

/// The bearer credential of a request: none, or the text after `Bearer `; any other
/// `Authorization` scheme is an error.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    let (scheme, credential) = text.trim().split_once(' ').ok_or(())?;
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty() {
        Ok(Some(credential))
    } else {
        Err(())
    }
}

/// 401 for credentials that are not valid, whatever the reason (RFC 6750).
fn unauthorized(media: MediaType) -> Response {
    let body = json!({ "errors": [{
        "message": "the credentials are not valid: send `Authorization: Bearer <access token or app token>`, or none",
        "extensions": { "code": ErrorCode::Unauthenticated.as_str() }
    }] });
    let mut response = respond(StatusCode::UNAUTHORIZED, media, &body);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// Charges one point to the address of a caller whose credential is being refused, or
/// about to be looked up; `Err` is the 429 when the address has no point left.
async fn charge_address(
    state: &AppState,
    media: MediaType,
    client: Option<IpAddr>,
) -> Result<(), Response> {
    let subject = rate_subject(&Principal::Anonymous, client);
    let rate = state.limiter.charge(&subject, 1).await;
    if rate.allowed {
        return Ok(());
    }
    let message = format!(
        "too many requests with credentials that are not valid from this address; the budget refills in {} s",
        rate.reset_seconds
    );
    Err(rate_limited(
        media,
        &rate,
        state.limiter.window_seconds(),
        &message,
    ))
}

/// The answer to a credential that is not valid: 401, or 429 once its address has spent
/// its budget.
async fn refuse(state: &AppState, media: MediaType, client: Option<IpAddr>) -> Response {
    match charge_address(state, media, client).await {
        Ok(()) => unauthorized(media),
        Err(response) => response,
    }
}

/// Establishes who is calling, or the response that refuses them.
pub(super) async fn identify(
    state: &AppState,
    media: MediaType,
    headers: &HeaderMap,
    client: Option<IpAddr>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Principal, Response> {
    let credential = match bearer(headers) {
        Ok(None) => return Ok(Principal::Anonymous),
        Ok(Some(credential)) => credential,
        Err(()) => return Err(refuse(state, media, client).await),
    };
    let digest: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
    let memo = &state.credentials;
    if memo.refused.contains_key(&digest) {
        return Err(refuse(state, media, client).await);
    }
    let charged = credential.starts_with(api_token::PREFIX) && !memo.accepted.contains_key(&digest);
    if charged {
        charge_address(state, media, client).await?;
    }
    let principal = match state
        .api
        .auth
        .authenticate(&state.api.db, credential, now)
        .await
    {
        Ok(principal) => principal,
        Err(Refused::Invalid) => {
            memo.refused.insert(digest, ());
            return Err(if charged {
                unauthorized(media)
            } else {
                refuse(state, media, client).await
            });
        }
        Err(Refused::Storage(error)) => {
            let error = ApiError::from(error);
            let body = json!({ "errors": [async_graphql::Error::from(error).into_server_error(Default::default())] });
            return Err(respond(StatusCode::SERVICE_UNAVAILABLE, media, &body));
        }
    };
    // Only app tokens are charged before their lookup, so only they need remembering.
    if charged {
        memo.accepted.insert(digest, ());
    }
    if !principal.may_read() {
        let body = json!({ "errors": [{
            "message": "this app token does not have the `read` scope",
            "extensions": { "code": ErrorCode::Forbidden.as_str() }
        }] });
        return Err(respond(StatusCode::FORBIDDEN, media, &body));
    }
    Ok(principal)
}
