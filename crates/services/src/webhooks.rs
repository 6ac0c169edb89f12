//! Webhooks of third-party apps: registered by an app token with the `webhooks` scope,
//! called by Capitole when what they follow changes.
//!
//! - An endpoint is `https` on a public address (see [`capitole_domain::webhook::endpoint`]);
//!   every host name is resolved again at each call and refused when it leads to a
//!   non-public address, so that a name cannot be turned towards the city's own network
//!   after registration. Redirects are not followed.
//! - On registration the endpoint must echo a challenge, to prove it is the app's.
//! - Every call is signed: `Capitole-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>" under the webhook's secret>`, and carries the delivery's id.
//! - Deliveries are queued in the database and sent by whichever replica claims them;
//!   a failed one is tried again with waits that double, for a day; a webhook whose
//!   attempts keep failing is disabled, and its app's contact is told by mail.

use std::sync::Arc;
use std::time::Duration;

use capitole_domain::access::Scope;
use capitole_domain::text::{decode_codes, encode_codes};
use capitole_domain::webhook::{RetryPolicy, WebhookEvent, endpoint};
use capitole_persistence::webhooks::{
    self as storage, Attempt, DueDelivery, NewWebhook, WebhookRow,
};
use capitole_persistence::{Page, PageRequest, accounts};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::secrets;
use crate::mail::{Mail, Mailer};
use crate::principal::App;
use crate::{ErrorCode, Principal, ServiceError, ServiceResult, Services};

/// How webhooks are called.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Let endpoints use `http` and loopback or private addresses: for development only.
    pub allow_local: bool,
    /// When failed deliveries are tried again.
    pub retry: RetryPolicy,
    /// Failed attempts in a row after which a webhook is disabled.
    pub disable_after: u32,
    /// How long an endpoint has to answer.
    pub timeout: Duration,
    /// Webhooks one app token may register.
    pub per_app: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_local: false,
            retry: RetryPolicy::default(),
            disable_after: 100,
            timeout: Duration::from_secs(10),
            per_app: 20,
        }
    }
}

/// The header that carries a call's signature.
pub const SIGNATURE_HEADER: &str = "capitole-signature";
/// The header that carries a delivery's id (the same on every attempt).
pub const DELIVERY_HEADER: &str = "capitole-delivery";
/// The header that names what a call tells of.
pub const EVENT_HEADER: &str = "capitole-event";

/// The calls of webhooks: an HTTP client that only reaches public addresses (unless local
/// ones are allowed), with the settings and the mailer that tells apps their webhook was
/// disabled.
#[derive(Clone)]
pub struct Webhooks {
    client: reqwest::Client,
    settings: Arc<WebhookSettings>,
    mailer: Mailer,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// The client of webhooks with these settings.
    pub fn new(settings: WebhookSettings, mailer: Mailer) -> Result<Self, String> {
        let client = crate::outbound::client(
            concat!("Capitole-Webhooks/", env!("CARGO_PKG_VERSION")),
            settings.timeout,
            settings.allow_local,
        )?;
        Ok(Self {
            client,
            settings: Arc::new(settings),
            mailer,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// Calls `url` with `body`, signed with `secret` at `now`; the status code of the
    /// answer and its body (up to a few KiB), or why there was none.
    async fn call(
        &self,
        url: &str,
        secret: &str,
        headers: &[(&str, String)],
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, String), String> {
        // A literal address is not resolved: check it as registration did.
        endpoint(url, self.settings.allow_local).map_err(|error| error.to_string())?;
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, now.timestamp(), body));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .body(body.to_owned())
            .send()
            .await
            .map_err(crate::outbound::describe)?;
        let status = response.status().as_u16();
        let mut answer = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(crate::outbound::describe)? {
            answer.extend_from_slice(&chunk);
            if answer.len() > ANSWER_READ {
                break;
            }
        }
        Ok((status, String::from_utf8_lossy(&answer).into_owned()))
    }
}

/// How much of an endpoint's answer is read (a challenge's echo is far shorter).
const ANSWER_READ: usize = 4096;

/// The signature of a call: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length: making it cannot fail.
    let hex = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).map_or_else(
        |_| String::new(),
        |mut mac| {
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body.as_bytes());
            let digest = mac.finalize().into_bytes();
            digest.iter().map(|b| format!("{b:02x}")).collect()
        },
    );
    format!("t={timestamp},v1={hex}")
}

/// The app calling, when its token has the `webhooks` scope.
fn app_with_webhooks(by: &Principal) -> ServiceResult<&App> {
    match by {
        Principal::App(app) if app.scopes.contains(&Scope::Webhooks) => Ok(app),
        Principal::App(_) => Err(ServiceError::new(
            ErrorCode::Forbidden,
            "this app token lacks the `webhooks` scope",
        )),
        Principal::Anonymous => Err(ServiceError::new(
            ErrorCode::Unauthenticated,
            "webhooks are registered with an app token (send `Authorization: Bearer cap_…`)",
        )),
        _ => Err(ServiceError::new(
            ErrorCode::Forbidden,
            "webhooks are registered with an app token that has the `webhooks` scope",
        )),
    }
}

/// A webhook of the calling app, or `NOT_FOUND` (whether it belongs to another app or does
/// not exist at all).
async fn own(services: &Services, app: &App, id: Uuid) -> ServiceResult<WebhookRow> {
    storage::by_id(&services.db, id)
        .await?
        .filter(|w| w.token_id == app.token_id)
        .ok_or_else(|| ServiceError::not_found("this app has no webhook with this id"))
}

/// What an app asks a new webhook to follow.
#[derive(Debug, Clone)]
pub struct WebhookDraft {
    /// The endpoint.
    pub url: String,
    /// What it follows.
    pub events: Vec<WebhookEvent>,
    /// Which items, as JSON the API checked, if not all.
    pub filter: Option<String>,
}

/// Registers a webhook for the calling app, once its endpoint echoed the challenge;
/// returns its secret (shown once) with its record.
pub async fn create(
    services: &Services,
    hooks: &Webhooks,
    by: &Principal,
    draft: WebhookDraft,
    now: DateTime<Utc>,
) -> ServiceResult<(String, WebhookRow)> {
    let app = app_with_webhooks(by)?;
    if draft.events.is_empty() {
        return Err(ServiceError::bad_input(
            "a webhook follows at least one event",
        ));
    }
    let url = endpoint(&draft.url, hooks.settings.allow_local)
        .map_err(|error| ServiceError::bad_input(format!("`url`: {error}")))?;
    let registered = storage::count_of_token(&services.db, app.token_id).await?;
    if usize::try_from(registered).unwrap_or(usize::MAX) >= hooks.settings.per_app {
        return Err(ServiceError::bad_input(format!(
            "an app registers at most {} webhooks; delete one first",
            hooks.settings.per_app
        )));
    }
    let secret = secrets::new_opaque_token("whsec_");
    challenge(hooks, url.as_str(), &secret, now).await?;
    crate::changes::start_follower(services, storage::CURSOR, now).await?;
    let mut codes: Vec<&str> = draft.events.iter().map(|e| e.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    let row = storage::create(
        &services.db,
        NewWebhook {
            id: Uuid::now_v7(),
            token_id: app.token_id,
            url: url.to_string(),
            secret: secret.clone(),
            events: encode_codes(codes),
            filter: draft.filter,
        },
        now,
    )
    .await?;
    tracing::info!(webhook = %row.id, token = %app.token_id, "registered a webhook");
    Ok((secret, row))
}

/// Asks the endpoint to echo a random challenge, signed like deliveries: it must answer
/// 2xx with the challenge as its body, or a JSON object whose `challenge` is it.
async fn challenge(
    hooks: &Webhooks,
    url: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let challenge = secrets::new_opaque_token("");
    let body = serde_json::json!({ "type": "CHALLENGE", "challenge": challenge }).to_string();
    let refused = |why: String| {
        ServiceError::bad_input(format!(
            "the endpoint did not answer the challenge: {why}; it must answer 2xx with the `challenge` of the call as its body"
        ))
    };
    let (status, answer) = hooks
        .call(
            url,
            secret,
            &[(EVENT_HEADER, "CHALLENGE".to_owned())],
            &body,
            now,
        )
        .await
        .map_err(refused)?;
    if !(200..300).contains(&status) {
        return Err(refused(format!("it answered {status}")));
    }
    let echoed = answer.trim() == challenge
        || serde_json::from_str::<serde_json::Value>(&answer)
            .ok()
            .is_some_and(|v| v["challenge"] == challenge.as_str());
    if !echoed {
        return Err(refused("its answer does not hold the challenge".to_owned()));
    }
    Ok(())
}

/// A page of the calling app's webhooks, oldest first.
pub async fn list(
    services: &Services,
    by: &Principal,
    request: &PageRequest,
) -> ServiceResult<Page<WebhookRow>> {
    let app = app_with_webhooks(by)?;
    Ok(storage::of_token(&services.db, app.token_id, request).await?)
}

/// How many webhooks the calling app registered.
pub async fn count(services: &Services, by: &Principal) -> ServiceResult<u64> {
    let app = app_with_webhooks(by)?;
    Ok(storage::count_of_token(&services.db, app.token_id).await?)
}

/// One webhook of the calling app.
pub async fn get(services: &Services, by: &Principal, id: Uuid) -> ServiceResult<WebhookRow> {
    own(services, app_with_webhooks(by)?, id).await
}

/// Deletes a webhook of the calling app with its deliveries, pending ones included.
pub async fn delete(services: &Services, by: &Principal, id: Uuid) -> ServiceResult<WebhookRow> {
    let row = own(services, app_with_webhooks(by)?, id).await?;
    storage::delete(&services.db, id).await?;
    Ok(row)
}

/// Enables a webhook of the calling app again, once its endpoint echoed a new challenge;
/// its pending deliveries go out again.
pub async fn enable(
    services: &Services,
    hooks: &Webhooks,
    by: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<WebhookRow> {
    let row = own(services, app_with_webhooks(by)?, id).await?;
    challenge(hooks, &row.url, &row.secret, now).await?;
    storage::enable(&services.db, id).await?;
    own(services, app_with_webhooks(by)?, id).await
}

/// A page of the deliveries of a webhook of the calling app, newest first.
pub async fn deliveries(
    services: &Services,
    by: &Principal,
    id: Uuid,
    request: &PageRequest,
) -> ServiceResult<Page<storage::DeliveryRow>> {
    own(services, app_with_webhooks(by)?, id).await?;
    Ok(storage::deliveries(&services.db, id, request).await?)
}

/// The events a webhook follows.
pub fn events(row_events: &str) -> Vec<WebhookEvent> {
    decode_codes(row_events)
        .filter_map(WebhookEvent::from_code)
        .collect()
}

/// Deliveries claimed at once by one replica.
const CLAIM: usize = 32;
/// How long a claim holds: longer than an attempt can take.
const CLAIM_FOR: Duration = Duration::from_secs(120);

/// Sends the deliveries that are due now, a batch at a time, until none is; returns how
/// many attempts were made.
pub async fn deliver_due(services: &Services, hooks: &Webhooks) -> ServiceResult<usize> {
    let mut attempts = 0;
    loop {
        let now = Utc::now();
        let claim = Uuid::now_v7();
        let until = now
            + chrono::Duration::from_std(CLAIM_FOR.max(hooks.settings.timeout * 3))
                .unwrap_or(chrono::Duration::minutes(2));
        let due = storage::claim_due(&services.db, claim, now, until, CLAIM).await?;
        if due.is_empty() {
            return Ok(attempts);
        }
        attempts += due.len();
        let sent = due
            .iter()
            .map(|delivery| attempt(services, hooks, delivery, claim));
        for result in futures_util::future::join_all(sent).await {
            result?;
        }
    }
}

/// One attempt at a delivery, recorded.
async fn attempt(
    services: &Services,
    hooks: &Webhooks,
    delivery: &DueDelivery,
    claim: Uuid,
) -> ServiceResult<()> {
    let now = Utc::now();
    let headers = [
        (DELIVERY_HEADER, delivery.id.to_string()),
        (EVENT_HEADER, delivery.event.clone()),
    ];
    let called = hooks
        .call(
            &delivery.url,
            &delivery.secret,
            &headers,
            &delivery.body,
            now,
        )
        .await;
    let at = Utc::now();
    let attempts = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
    let retry = || {
        hooks
            .settings
            .retry
            .next_attempt(delivery.created_at, attempts, at)
    };
    let outcome = match called {
        Ok((status, _)) if (200..300).contains(&status) => Attempt {
            response_code: Some(status),
            error: None,
            at,
            retry: None,
        },
        Ok((status, _)) => Attempt {
            response_code: Some(status),
            error: Some(format!("the endpoint answered {status}")),
            at,
            retry: Some(retry()),
        },
        Err(error) => Attempt {
            response_code: None,
            error: Some(error),
            at,
            retry: Some(retry()),
        },
    };
    let ok = outcome.retry.is_none();
    metrics::counter!("capitole_webhook_attempts_total", "outcome" => if ok { "delivered" } else { "failed" })
        .increment(1);
    let disabled = storage::record(
        &services.db,
        delivery,
        claim,
        &outcome,
        hooks.settings.disable_after,
    )
    .await?;
    if disabled {
        tell_disabled(services, hooks, delivery).await;
    }
    Ok(())
}

/// Tells the app's contact that its webhook was disabled.
async fn tell_disabled(services: &Services, hooks: &Webhooks, delivery: &DueDelivery) {
    tracing::warn!(webhook = %delivery.webhook_id, "disabled a webhook whose calls keep failing");
    let Ok(Some(row)) = storage::by_id(&services.db, delivery.webhook_id).await else {
        return;
    };
    let Ok(Some(token)) = accounts::api_token_by_id(&services.db, row.token_id).await else {
        return;
    };
    hooks.mailer.send(
        &token.contact,
        Mail {
            subject: "Your Capitole webhook was disabled".to_owned(),
            body: format!(
                "Hello,\n\nThe webhook of your app \"{}\" that calls\n\n  {}\n\nfailed {} times in a row and was disabled: nothing is sent to it, and changes made while it is disabled are not queued for it. The deliveries it had not received yet wait: once the endpoint works again, enable it with the `enableWebhook` mutation (id {}) and they go out.\n\nThe last attempts and their answers are in the webhook's `deliveries`.\n",
                token.app_name, row.url, row.consecutive_failures, row.id
            ),
        },
    );
}
