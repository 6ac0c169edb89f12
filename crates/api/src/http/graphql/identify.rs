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
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use capitole_domain::access::{RateTier, api_token};
use capitole_persistence::Database;
use moka::sync::Cache;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::answers::{rate_limited, reply};
use super::negotiate::MediaType;
use crate::context::ApiContext;
use crate::error::{ApiError, ErrorCode};
use crate::http::client::address_key;
use crate::rate_limit::{RateLimiter, RateSubject};
use capitole_services::Principal;
use capitole_services::auth::{Auth, Refused};

/// How long a credential's outcome is remembered.
const MEMORY: Duration = Duration::from_secs(60);
/// How many credentials each memory holds at most.
const CAPACITY: u64 = 100_000;

/// Turns the `Authorization` header of a request into its caller, with what that needs of
/// the service: authentication, the budgets of client addresses, and the credentials refused
/// or accepted lately (by their SHA-256 digest).
pub(crate) struct Identifier {
    auth: Arc<Auth>,
    db: Database,
    limiter: RateLimiter,
    refused: Cache<[u8; 32], ()>,
    accepted: Cache<[u8; 32], ()>,
}

impl Identifier {
    /// Identifies callers with the service's authentication, charging refused credentials
    /// to `limiter`'s budgets.
    pub(crate) fn new(api: &ApiContext, limiter: RateLimiter) -> Self {
        let cache = || {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(MEMORY)
                .build()
        };
        Self {
            auth: api.auth.clone(),
            db: api.db.clone(),
            limiter,
            refused: cache(),
            accepted: cache(),
        }
    }

    /// Establishes who is calling, or the response that refuses them.
    pub(crate) async fn identify(
        &self,
        media: MediaType,
        headers: &HeaderMap,
        client: Option<IpAddr>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Principal, Response> {
        let credential = match bearer(headers) {
            Ok(None) => return Ok(Principal::Anonymous),
            Ok(Some(credential)) => credential,
            Err(()) => return Err(self.refuse(media, client).await),
        };
        let digest: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
        if self.refused.contains_key(&digest) {
            return Err(self.refuse(media, client).await);
        }
        let charged =
            credential.starts_with(api_token::PREFIX) && !self.accepted.contains_key(&digest);
        if charged {
            self.charge_address(media, client).await?;
        }
        let principal = match self.auth.authenticate(&self.db, credential, now).await {
            Ok(principal) => principal,
            Err(Refused::Invalid) => {
                self.refused.insert(digest, ());
                return Err(if charged {
                    unauthorized(media)
                } else {
                    self.refuse(media, client).await
                });
            }
            Err(Refused::Storage(error)) => {
                let error = ApiError::from(error);
                let body = json!({ "errors": [async_graphql::Error::from(error).into_server_error(Default::default())] });
                let mut response = reply(StatusCode::SERVICE_UNAVAILABLE, media, &body);
                crate::http::retry_shortly(&mut response);
                return Err(response);
            }
        };
        // Only app tokens are charged before their lookup, so only they need remembering.
        if charged {
            self.accepted.insert(digest, ());
        }
        if !principal.may_read() {
            let body = json!({ "errors": [{
                "message": "this app token does not have the `read` scope",
                "extensions": { "code": ErrorCode::Forbidden.as_str() }
            }] });
            return Err(reply(StatusCode::FORBIDDEN, media, &body));
        }
        Ok(principal)
    }

    /// Charges one point to the address of a caller whose credential is being refused, or
    /// about to be looked up; `Err` is the 429 when the address has no point left.
    async fn charge_address(
        &self,
        media: MediaType,
        client: Option<IpAddr>,
    ) -> Result<(), Response> {
        let subject = rate_subject(&Principal::Anonymous, client);
        let rate = self.limiter.charge(&subject, 1).await;
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
            self.limiter.window_seconds(),
            &message,
        ))
    }

    /// The answer to a credential that is not valid: 401, or 429 once its address has spent
    /// its budget.
    async fn refuse(&self, media: MediaType, client: Option<IpAddr>) -> Response {
        match self.charge_address(media, client).await {
            Ok(()) => unauthorized(media),
            Err(response) => response,
        }
    }
}

/// Whose budget a request is charged to: a signed-in person's or an app token's own
/// (`user:<uuid>`, `token:<uuid>`) with its tier, or else its client address's, as an
/// anonymous caller.
pub(crate) fn rate_subject(principal: &Principal, client: Option<IpAddr>) -> RateSubject {
    match principal.budget() {
        Some((key, tier)) => RateSubject { key, tier },
        None => RateSubject {
            key: address_key(client),
            tier: RateTier::Anonymous,
        },
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
    let mut response = reply(StatusCode::UNAUTHORIZED, media, &body);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
