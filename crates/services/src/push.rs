//! Web Push for residents: the mobile web app registers the push subscription its browser
//! gives (`PushManager.subscribe`, with Capitole's VAPID public key), for the signed-in
//! person, with what they want to hear of. Capitole encrypts each message for that browser
//! (RFC 8291, `aes128gcm`) and signs each request with its VAPID key (RFC 8292), then posts
//! it to the browser's push service. A subscription the push service says is gone (404 or
//! 410) is removed.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::geo::{Coordinates, RadiusMeters};
use capitole_domain::webhook::endpoint;
use capitole_persistence::push::{
    self as storage, Nearby, NewPushSubscription, PushSubscriptionRow,
};
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use url::Url;

use crate::{ErrorCode, Principal, ServiceError, ServiceResult, Services};

/// How push messages are sent.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// Who push services may contact about Capitole's messages: `mailto:` or `https:`.
    pub subject: String,
    /// Let push endpoints use `http` and local addresses: for development only.
    pub allow_local: bool,
    /// How long a push service has to answer.
    pub timeout: Duration,
    /// How long a push service keeps a message for a browser that is offline.
    pub ttl: Duration,
    /// How often events that start soon are looked for, for the subscriptions that asked.
    pub reminders_every: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            subject: "mailto:no-reply@localhost".to_owned(),
            allow_local: false,
            timeout: Duration::from_secs(10),
            ttl: Duration::from_secs(24 * 3600),
            reminders_every: Duration::from_secs(60),
        }
    }
}

/// Capitole's VAPID key pair.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    public: String,
}

impl VapidKey {
    /// The key whose private scalar is `raw` (32 bytes, base64url).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim().trim_end_matches('='))
            .map_err(|_| "the VAPID private key is not base64url".to_owned())?;
        let signing = SigningKey::from_slice(&bytes).map_err(|_| {
            "the VAPID private key is not a P-256 private key (32 bytes)".to_owned()
        })?;
        let public =
            URL_SAFE_NO_PAD.encode(signing.verifying_key().to_encoded_point(false).as_bytes());
        Ok(Self { signing, public })
    }

    /// A new random key, as [`VapidKey::parse`] reads it.
    pub fn generate() -> String {
        loop {
            let bytes: [u8; 32] = rand::random();
            if SigningKey::from_slice(&bytes).is_ok() {
                return URL_SAFE_NO_PAD.encode(bytes);
            }
        }
    }

    /// The public key, as browsers take it (`applicationServerKey`): the uncompressed
    /// point, base64url.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header of a request to `endpoint`: a JWT for the push service's
    /// origin, valid for 12 hours, signed ES256, with the public key.
    fn authorization(&self, endpoint: &Url, subject: &str, now: DateTime<Utc>) -> String {
        let audience = endpoint.origin().ascii_serialization();
        let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::json!({
                "aud": audience,
                "exp": (now + chrono::Duration::hours(12)).timestamp(),
                "sub": subject,
            })
            .to_string(),
        );
        let input = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(input.as_bytes());
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        format!("vapid t={token}, k={}", self.public)
    }
}

/// Web Push, when a VAPID key is configured or generated: the key, the settings and the
/// HTTP client of push services.
#[derive(Clone)]
pub struct Push {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    key: VapidKey,
    settings: PushSettings,
    client: reqwest::Client,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

impl Push {
    /// Web Push with this key.
    pub fn new(key: VapidKey, settings: PushSettings) -> Result<Self, String> {
        let client = crate::outbound::client(
            concat!("Capitole-Push/", env!("CARGO_PKG_VERSION")),
            settings.timeout,
            settings.allow_local,
        )?;
        Ok(Self {
            inner: Some(Arc::new(Inner {
                key,
                settings,
                client,
            })),
        })
    }

    /// No Web Push: registering is refused and nothing is sent.
    pub fn off() -> Self {
        Self { inner: None }
    }

    /// The VAPID public key browsers subscribe with, when Web Push is on.
    pub fn public_key(&self) -> Option<&str> {
        self.inner.as_ref().map(|inner| inner.key.public_key())
    }

    /// How often events that start soon are looked for (none when Web Push is off).
    pub fn reminders_every(&self) -> Option<Duration> {
        self.inner
            .as_ref()
            .map(|inner| inner.settings.reminders_every)
    }

    fn on(&self) -> ServiceResult<&Inner> {
        self.inner.as_deref().ok_or_else(|| {
            ServiceError::new(
                ErrorCode::ServiceUnavailable,
                "Web Push is not configured on this server (CAPITOLE_VAPID_PRIVATE_KEY)",
            )
        })
    }

    /// Encrypts `message` for a subscription's browser and posts it to its push service.
    pub async fn send(&self, to: &PushSubscriptionRow, message: &str, now: DateTime<Utc>) -> Sent {
        let Ok(inner) = self.on() else {
            return Sent::Failed("Web Push is off".to_owned());
        };
        let Ok(url) = endpoint(&to.endpoint, inner.settings.allow_local) else {
            return Sent::Gone;
        };
        let Ok((public, auth)) = browser_keys(&to.p256dh, &to.auth) else {
            return Sent::Gone;
        };
        let Ok(uri) = to.endpoint.parse() else {
            return Sent::Gone;
        };
        let built = web_push_native::WebPushBuilder::new(uri, public, auth)
            .with_valid_duration(inner.settings.ttl)
            .build(message.as_bytes().to_vec());
        let request = match built {
            Ok(request) => request,
            Err(error) => return Sent::Failed(format!("cannot encrypt the message: {error}")),
        };
        let (parts, body) = request.into_parts();
        let mut call = inner.client.post(url.as_str()).body(body).header(
            reqwest::header::AUTHORIZATION,
            inner.key.authorization(&url, &inner.settings.subject, now),
        );
        for (name, value) in &parts.headers {
            call = call.header(name.as_str(), value.as_bytes());
        }
        match call.send().await {
            Ok(response) if response.status().is_success() => Sent::Delivered,
            Ok(response) if matches!(response.status().as_u16(), 404 | 410) => Sent::Gone,
            Ok(response) => {
                Sent::Failed(format!("the push service answered {}", response.status()))
            }
            Err(error) => Sent::Failed(crate::outbound::describe(error)),
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The push service took it.
    Delivered,
    /// The subscription is gone (expired, unsubscribed): it is removed.
    Gone,
    /// It was not sent; why.
    Failed(String),
}

/// A browser's public key and authentication secret, as `PushSubscription.getKey` gives
/// them (base64url).
fn browser_keys(
    p256dh: &str,
    auth: &str,
) -> Result<(web_push_native::p256::PublicKey, web_push_native::Auth), String> {
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('='));
    let public = decode(p256dh)
        .ok()
        .and_then(|bytes| web_push_native::p256::PublicKey::from_sec1_bytes(&bytes).ok())
        .ok_or("`keys.p256dh` is not a P-256 public key in base64url")?;
    let bytes = decode(auth)
        .ok()
        .filter(|bytes| bytes.len() == 16)
        .ok_or("`keys.auth` is not 16 bytes in base64url")?;
    let mut auth = web_push_native::Auth::default();
    auth.copy_from_slice(&bytes);
    Ok((public, auth))
}

/// What a person's browser wants to hear of.
#[derive(Debug, Clone)]
pub struct PushDraft {
    /// The push service's address.
    pub endpoint: String,
    /// The browser's public key (base64url).
    pub p256dh: String,
    /// The browser's authentication secret (base64url).
    pub auth: String,
    /// Which news, as JSON the API checked (a filter of the news list), if any.
    pub news: Option<String>,
    /// Changes to the events the person is going to.
    pub going: bool,
    /// Events that start soon near a point, if the person opted in.
    pub nearby: Option<NearbyDraft>,
}

/// Events that start soon near a point, as a person opts in to hear of them.
#[derive(Debug, Clone, Copy)]
pub struct NearbyDraft {
    /// Latitude of the point, in degrees.
    pub latitude: f64,
    /// Longitude of the point, in degrees.
    pub longitude: f64,
    /// How far from the point, in metres.
    pub radius_meters: i64,
    /// How long before an event starts, in minutes.
    pub minutes: i64,
}

/// The widest circle a reminder looks in, in metres.
pub const NEARBY_MAX_RADIUS: u32 = 10_000;
/// The longest time before an event starts a reminder may come, in minutes.
pub const NEARBY_MAX_MINUTES: i64 = 180;
/// The shortest, in minutes.
pub const NEARBY_MIN_MINUTES: i64 = 5;

impl NearbyDraft {
    fn checked(self) -> ServiceResult<Nearby> {
        let bad = |what: String| ServiceError::bad_input(format!("`startingSoonNearby`: {what}"));
        let point = Coordinates::parse(self.latitude, self.longitude)
            .map_err(|error| bad(error.to_string()))?;
        let radius = RadiusMeters::parse(self.radius_meters)
            .ok()
            .filter(|radius| radius.meters() <= NEARBY_MAX_RADIUS)
            .ok_or_else(|| bad(format!("the radius is 1 to {NEARBY_MAX_RADIUS} metres")))?;
        if !(NEARBY_MIN_MINUTES..=NEARBY_MAX_MINUTES).contains(&self.minutes) {
            return Err(bad(format!(
                "`withinMinutes` is {NEARBY_MIN_MINUTES} to {NEARBY_MAX_MINUTES}"
            )));
        }
        Ok(Nearby {
            latitude: point.latitude.degrees(),
            longitude: point.longitude.degrees(),
            radius_meters: radius.meters(),
            minutes: u32::try_from(self.minutes).unwrap_or(u32::MAX),
        })
    }
}

/// Registers the signed-in person's push subscription (replacing the one of the same
/// endpoint).
pub async fn register(
    services: &Services,
    push: &Push,
    by: &Principal,
    draft: PushDraft,
    now: DateTime<Utc>,
) -> ServiceResult<PushSubscriptionRow> {
    let person = by.user()?;
    let inner = push.on()?;
    let url = endpoint(&draft.endpoint, inner.settings.allow_local)
        .map_err(|error| ServiceError::bad_input(format!("`endpoint`: {error}")))?;
    browser_keys(&draft.p256dh, &draft.auth).map_err(ServiceError::bad_input)?;
    let nearby = draft.nearby.map(NearbyDraft::checked).transpose()?;
    crate::changes::start_follower(services, storage::CURSOR, now).await?;
    Ok(storage::register(
        &services.db,
        NewPushSubscription {
            user_id: person.user_id,
            endpoint: url.to_string(),
            p256dh: draft.p256dh,
            auth: draft.auth,
            news: draft.news,
            going: draft.going,
            nearby,
        },
        now,
    )
    .await?)
}

/// Removes one of the signed-in person's push subscriptions; whether there was one.
pub async fn unregister(
    services: &Services,
    by: &Principal,
    endpoint: &str,
) -> ServiceResult<bool> {
    let person = by.user()?;
    Ok(storage::remove(&services.db, endpoint.trim(), Some(person.user_id)).await?)
}

/// The signed-in person's push subscriptions.
pub async fn of_viewer(
    services: &Services,
    by: &Principal,
) -> ServiceResult<Vec<PushSubscriptionRow>> {
    let person = by.user()?;
    Ok(storage::of_user(&services.db, person.user_id).await?)
}
