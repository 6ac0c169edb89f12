//! Who is calling, and what they may see and do. The front handler turns the
//! `Authorization` header into a [`Principal`]; resolvers never read credentials themselves,
//! they ask the principal's policy methods, which are the one place access is decided.

pub mod jwt;
pub mod keystore;
pub mod secrets;

use std::sync::Arc;

use capitole_domain::access::{RateTier, Role, Scope, api_token};
use capitole_domain::text::decode_codes;
use capitole_persistence::articles::ArticleVisibility;
use capitole_persistence::editorial::Actor;
use capitole_persistence::{Database, StorageError, accounts};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
use jwt::{Keys, SigningKey};

/// A signed-in person, as their access token and the database describe them now.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Their account.
    pub user_id: Uuid,
    /// The session family of the access token.
    pub session: Uuid,
    /// Their role.
    pub role: Role,
    /// The organizations they edit for.
    pub organizations: Arc<[Uuid]>,
    /// How the audit log names them.
    pub display_name: Arc<str>,
}

/// A third-party app, as its token describes it.
#[derive(Debug, Clone)]
pub struct App {
    /// The token's id.
    pub token_id: Uuid,
    /// What the token allows.
    pub scopes: Vec<Scope>,
    /// The token's budget.
    pub tier: RateTier,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Nobody in particular, known by client address.
    Anonymous,
    /// A signed-in person.
    User(SignedIn),
    /// A third-party app.
    App(App),
}

impl Principal {
    /// The signed-in person, or `UNAUTHENTICATED`.
    pub(crate) fn user(&self) -> Result<&SignedIn, ApiError> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::App(_) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "an app token cannot act for a person; sign in as a user",
            )),
            Principal::Anonymous => Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "sign in first (send `Authorization: Bearer <access token>`)",
            )),
        }
    }

    /// The signed-in administrator, or `FORBIDDEN` / `UNAUTHENTICATED`.
    pub(crate) fn administrator(&self) -> Result<&SignedIn, ApiError> {
        let user = self.user()?;
        if user.role == Role::Administrator {
            Ok(user)
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                "only administrators may do this",
            ))
        }
    }

    /// The actor of an editorial write on an item published by `organizations`: an
    /// administrator, or an editor of at least one of them. The audit log records the
    /// first organization they share with the item.
    pub(crate) fn editor_of(&self, organizations: &[Uuid]) -> Result<Actor, ApiError> {
        let user = match self {
            Principal::App(_) => {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "app tokens cannot publish; sign in as an editor",
                ));
            }
            other => other.user()?,
        };
        let actor = |organization: Option<Uuid>| Actor {
            user_id: Some(user.user_id),
            label: user.display_name.to_string(),
            organization,
        };
        match user.role {
            Role::Administrator => Ok(actor(organizations.first().copied())),
            Role::Editor => organizations
                .iter()
                .find(|o| user.organizations.contains(o))
                .map(|o| actor(Some(*o)))
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Forbidden,
                        "you do not edit for the organizations that publish this",
                    )
                }),
            Role::Citizen => Err(ApiError::new(
                ErrorCode::Forbidden,
                "only editors and administrators publish",
            )),
        }
    }

    /// The actor of a moderation (hiding or restoring a tip) at a place run by `owner`, if
    /// any: editors and administrators, who moderate every place. The audit log records
    /// the place's owner when the moderator may act for it, so that its editors read what
    /// was done at their places; an editor of another organization is recorded for their
    /// own, so that their colleagues read it.
    pub(crate) fn moderator(&self, owner: Option<Uuid>) -> Result<Actor, ApiError> {
        let user = self.user()?;
        let organization = match user.role {
            Role::Administrator => owner,
            Role::Editor => owner
                .filter(|o| user.organizations.contains(o))
                .or_else(|| user.organizations.first().copied()),
            Role::Citizen => {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "only moderators hide and restore tips",
                ));
            }
        };
        Ok(Actor {
            user_id: Some(user.user_id),
            label: user.display_name.to_string(),
            organization,
        })
    }

    /// The organizations an editorial reader may see the trail of: `None` for every one
    /// (administrators), the editor's own otherwise.
    pub(crate) fn audit_scope(&self) -> Result<Option<Vec<Uuid>>, ApiError> {
        let user = self.user()?;
        match user.role {
            Role::Administrator => Ok(None),
            Role::Editor => Ok(Some(user.organizations.to_vec())),
            Role::Citizen => Err(ApiError::new(
                ErrorCode::Forbidden,
                "the editorial trail is for editors and administrators",
            )),
        }
    }

    /// Whether the caller moderates what residents write (editors and administrators).
    pub(crate) fn is_moderator(&self) -> bool {
        matches!(self, Principal::User(user) if user.role != Role::Citizen)
    }

    /// Whether the caller may read the drafts of `organizations`' items.
    pub(crate) fn may_preview(&self, organizations: &[Uuid]) -> bool {
        match self {
            Principal::User(user) => match user.role {
                Role::Administrator => true,
                Role::Editor => organizations.iter().any(|o| user.organizations.contains(o)),
                Role::Citizen => false,
            },
            _ => false,
        }
    }

    /// Whether the caller may read the public graph at all: people and anonymous callers
    /// always; apps only with the `read` scope.
    pub(crate) fn may_read(&self) -> bool {
        match self {
            Principal::App(app) => app.scopes.contains(&Scope::Read),
            _ => true,
        }
    }

    /// Which articles the caller may see: the public ones, plus every article of the
    /// organizations an editor edits for, plus everything for administrators.
    pub(crate) fn article_visibility(&self, now: DateTime<Utc>) -> ArticleVisibility {
        match self {
            Principal::User(user) if user.role == Role::Administrator => {
                ArticleVisibility::Everything
            }
            Principal::User(user)
                if user.role == Role::Editor && !user.organizations.is_empty() =>
            {
                ArticleVisibility::Editor {
                    now,
                    organizations: user.organizations.clone(),
                }
            }
            _ => ArticleVisibility::Public { now },
        }
    }

    /// Whether the caller may read the private data (email, check-ins, saves) of `user_id`.
    pub(crate) fn may_read_private_of(&self, user_id: Uuid) -> bool {
        match self {
            Principal::User(user) => user.user_id == user_id || user.role == Role::Administrator,
            _ => false,
        }
    }

    /// The key and tier of the caller's query budget; anonymous callers are counted by
    /// client address instead.
    pub fn budget(&self) -> Option<(String, RateTier)> {
        match self {
            Principal::User(user) => Some((format!("user:{}", user.user_id), RateTier::User)),
            Principal::App(app) => Some((format!("token:{}", app.token_id), app.tier)),
            Principal::Anonymous => None,
        }
    }
}

/// Why credentials were refused; every case answers 401 alike.
#[derive(Debug)]
pub(crate) enum Refused {
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
    pub(crate) async fn authenticate(
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
