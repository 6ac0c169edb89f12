//! Authentication: the keys that sign access tokens, password checks, and the turning of a
//! bearer credential into a [`Principal`]. The HTTP front handler calls
//! [`Auth::authenticate`]; the account services sign people in with its keys and check
//! passwords through it. What a principal may do is decided by its policy methods, not here.

pub mod jwt;
pub mod keystore;
pub mod secrets;

use std::sync::Arc;

use capitole_domain::access::{RateTier, Role, Scope, api_token};
use capitole_domain::text::decode_codes;
use capitole_persistence::{Database, StorageError, accounts};
use chrono::{DateTime, Utc};

use jwt::{Keys, SigningKey};

use crate::principal::{App, Principal, SignedIn};

/// Why credentials were refused; every case answers 401 alike.
#[derive(Debug)]
pub enum Refused {
    /// The credentials are not valid (malformed, forged, expired, revoked).
    Invalid,
    /// Storage failed while checking them.
    Storage(StorageError),
}

impl From<StorageError> for Refused {
    fn from(error: StorageError) -> Self {
        Refused::Storage(error)
    }
}

/// The keys and secrets of authentication, shared by every request.
pub struct Auth {
    keys: std::sync::RwLock<Arc<Keys>>,
    /// Where generated keys are kept, when no key is configured.
    store: Option<keystore::KeyStore>,
    /// A real Argon2id hash of nothing anyone knows, verified when an email is unknown so
    /// that sign-in takes as long whether or not the account exists.
    decoy_hash: String,
    /// Password checks run so far.
    password_checks: std::sync::atomic::AtomicU64,
}

impl Auth {
    /// Builds authentication from configured keys: the first signs, all verify.
    pub async fn load(configured: Vec<SigningKey>) -> Result<Self, String> {
        Self::with(Keys::new(&configured)?, None).await
    }

    /// Builds authentication from generated keys kept in `store` (made on first use).
    pub async fn stored(store: keystore::KeyStore) -> Result<Self, String> {
        let now = Utc::now();
        let keys = Keys::new(&keystore::in_force(&store.ensure(now).await?, now))?;
        Self::with(keys, Some(store)).await
    }

    async fn with(keys: Keys, store: Option<keystore::KeyStore>) -> Result<Self, String> {
        let decoy_hash = secrets::hash_password(secrets::new_signing_secret()).await?;
        Ok(Self {
            keys: std::sync::RwLock::new(Arc::new(keys)),
            store,
            decoy_hash,
            password_checks: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub(crate) fn keys(&self) -> Arc<Keys> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads generated keys again, so that a rotation made by `capitole keys rotate` (or
    /// another replica) takes effect, and retired keys stop verifying. Configured keys
    /// never change.
    pub async fn reload_keys(&self) -> Result<(), String> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let now = Utc::now();
        let keys = Arc::new(Keys::new(&keystore::in_force(
            &store.ensure(now).await?,
            now,
        ))?);
        match self.keys.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        Ok(())
    }

    /// Reloads generated keys every [`keystore::RELOAD_EVERY`], until the process stops.
    pub async fn keep_keys_current(self: Arc<Self>) {
        if self.store.is_none() {
            return;
        }
        let mut ticker = tokio::time::interval(keystore::RELOAD_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(error) = self.reload_keys().await {
                tracing::warn!(%error, "cannot reload the signing keys; keeping the current ones");
            }
        }
    }

    pub(crate) fn decoy_hash(&self) -> &str {
        &self.decoy_hash
    }

    /// Checks a password against a stored Argon2id hash, and counts the check.
    pub(crate) async fn check_password(&self, password: &str, stored: String) -> bool {
        self.password_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        metrics::counter!("capitole_password_checks_total").increment(1);
        secrets::verify_password(password.to_owned(), stored).await
    }

    /// How many password checks (Argon2id verifications) this service ran since it
    /// started: what the sign-in throttles exist to bound.
    pub fn password_checks(&self) -> u64 {
        self.password_checks
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Turns a bearer credential into a principal. A `cap_` token is checked for shape and
    /// checksum before any lookup; anything else must be a valid access token of an open
    /// session.
    pub async fn authenticate(
        &self,
        db: &Database,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Result<Principal, Refused> {
        if credential.starts_with(api_token::PREFIX) {
            if !api_token::is_well_formed(credential) {
                return Err(Refused::Invalid);
            }
            let token = accounts::live_api_token(db, &secrets::digest(credential))
                .await?
                .ok_or(Refused::Invalid)?;
            let stale = token
                .last_used_at
                .is_none_or(|at| now - at > chrono::Duration::hours(1));
            if stale {
                accounts::touch_api_token(db, token.id, now).await?;
            }
            return Ok(Principal::App(App {
                token_id: token.id,
                scopes: decode_codes(&token.scopes)
                    .filter_map(Scope::from_code)
                    .collect(),
                tier: RateTier::from_code(&token.tier).unwrap_or(RateTier::Standard),
            }));
        }
        let claims = self.keys().verify(credential).map_err(|error| {
            tracing::debug!(%error, "access token refused");
            Refused::Invalid
        })?;
        let (user, organizations) = accounts::user_of_session(db, claims.sub, claims.sid)
            .await?
            .ok_or(Refused::Invalid)?;
        Ok(Principal::User(SignedIn {
            user_id: user.id,
            session: claims.sid,
            role: Role::from_code(&user.role).unwrap_or(Role::Citizen),
            organizations: organizations.into(),
            display_name: user.display_name.into(),
        }))
    }
}
