//! Signing in, staying signed in and out: password checks guarded by attempt counters,
//! sessions with rotating refresh tokens, password changes, and the counter of sign-ups per
//! address.
//!
//! Every password check is counted *before* it runs, in three counters:
//! - the account from this address (the hard limit: a guesser's address is refused);
//! - the address, on any account (a guesser spreading over accounts is refused);
//! - the account from anywhere, which never refuses but makes each further attempt wait
//!   longer: an attacker spreading over many addresses is slowed down, while the owner,
//!   from their own address, still gets in.
//!
//! Counting first, in one statement that adds the attempt and returns the count, is what
//! keeps concurrent attempts from all passing a check made before any of them is counted.
//! A successful check gives its attempt back.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use capitole_domain::access::{Email, PASSWORD_MAX_BYTES, address_key, check_new_password};
use capitole_persistence::entities::user;
use capitole_persistence::sessions::{self, Spent};
use capitole_persistence::{Database, accounts, throttle};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{NewSession, hash};
use crate::auth::{Auth, secrets};
use crate::{ErrorCode, Principal, ServiceError, ServiceResult, Services};

/// How long a refresh token works.
pub const REFRESH_LIFETIME: Duration = Duration::days(30);
/// Password checks allowed per account from one client address within
/// [`THROTTLE_WINDOW`]; more are refused.
pub const MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS: u32 = 5;
/// Failed password checks allowed per client address, on any accounts, within
/// [`THROTTLE_WINDOW`]; more are refused.
pub const MAX_ATTEMPTS_PER_ADDRESS: u32 = 30;
/// Password checks on one account, from anywhere, after which each further attempt waits
/// (see [`slow_down`]).
pub const SLOW_DOWN_AFTER: u32 = 5;
/// The window attempts are counted over.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// The wait of the first attempt past [`SLOW_DOWN_AFTER`]; it doubles with each attempt.
const SLOW_DOWN_STEP: StdDuration = StdDuration::from_millis(250);
/// The longest wait: well within the execution timeout of a request.
const SLOW_DOWN_MAX: StdDuration = StdDuration::from_secs(4);
/// The window sign-ups are counted over.
const SIGN_UP_WINDOW: Duration = Duration::hours(1);

/// What the account flows need beyond the database.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Accounts one client address may create per hour.
    pub sign_ups_per_address: u32,
    /// Sends account mail (address verification, password reset).
    pub mailer: crate::mail::Mailer,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            sign_ups_per_address: 10,
            mailer: crate::mail::Mailer::default(),
        }
    }
}

/// How long the `attempt`-th password check on one account (from anywhere, within the
/// window) waits before it runs: nothing up to [`SLOW_DOWN_AFTER`], then 250 ms, doubling,
/// up to 4 s.
pub(crate) fn slow_down(attempt: u32) -> StdDuration {
    let Some(past) = attempt.checked_sub(SLOW_DOWN_AFTER + 1) else {
        return StdDuration::ZERO;
    };
    SLOW_DOWN_STEP
        .saturating_mul(1u32.checked_shl(past).unwrap_or(u32::MAX))
        .min(SLOW_DOWN_MAX)
}

fn too_many_attempts() -> ServiceError {
    ServiceError::new(
        ErrorCode::RateLimited,
        format!(
            "too many failed sign-ins for this account or from this address; try again in {} minutes",
            THROTTLE_WINDOW.num_minutes()
        ),
    )
}

/// One password check, counted before it runs; given back if it succeeds.
struct Attempt {
    address: String,
    pair: String,
    account: String,
}

impl Attempt {
    /// Counts an attempt on the account `email` from `client`, refusing it over the hard
    /// limits and waiting as long as the account's count asks.
    async fn begin(
        db: &Database,
        email: &str,
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> ServiceResult<Self> {
        let since = now - THROTTLE_WINDOW;
        let key = address_key(client);
        let attempt = Self {
            address: throttle::address_subject(&key),
            pair: throttle::pair_subject(email, &key),
            account: throttle::account_subject(email),
        };
        if throttle::count_attempt(db, &attempt.address, now, since).await?
            > MAX_ATTEMPTS_PER_ADDRESS
            || throttle::count_attempt(db, &attempt.pair, now, since).await?
                > MAX_ATTEMPTS_PER_ACCOUNT_AND_ADDRESS
        {
            return Err(too_many_attempts());
        }
        let on_account = throttle::count_attempt(db, &attempt.account, now, since).await?;
        let wait = slow_down(on_account);
        if !wait.is_zero() {
            metrics::counter!("capitole_sign_in_slowed_total").increment(1);
            tokio::time::sleep(wait).await;
        }
        Ok(attempt)
    }

    /// The password was right: the owner is not guessing.
    async fn succeeded(self, db: &Database) -> ServiceResult<()> {
        throttle::forget(db, &[&self.pair, &self.account]).await?;
        throttle::refund_attempt(db, &self.address).await?;
        Ok(())
    }
}

/// Counts a sign-up from `client`; refuses it past the hourly limit of its address.
pub(super) async fn count_sign_up(
    db: &Database,
    settings: &AccountSettings,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let subject = throttle::sign_up_subject(&address_key(client));
    let count = throttle::count_attempt(db, &subject, now, now - SIGN_UP_WINDOW).await?;
    if count > settings.sign_ups_per_address {
        return Err(ServiceError::new(
            ErrorCode::RateLimited,
            format!(
                "at most {} accounts are created from one address per hour; try again later",
                settings.sign_ups_per_address
            ),
        ));
    }
    Ok(())
}

fn wrong_credentials() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        "the email or the password is wrong, or the address is not confirmed yet (follow the link mailed to it)",
    )
}

/// Checks an email and password, with the same answer and about the same time whether the
/// account exists or not, counted per account and per client address.
async fn check_credentials(
    db: &Database,
    auth: &Auth,
    raw_email: &str,
    password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let Ok(email) = Email::parse(raw_email) else {
        return Err(wrong_credentials());
    };
    let attempt = Attempt::begin(db, email.as_str(), client, now).await?;
    let found = accounts::user_by_email(db, email.as_str()).await?;
    let stored = found
        .as_ref()
        .map_or_else(|| auth.decoy_hash().to_owned(), |u| u.password_hash.clone());
    let matches =
        password.len() <= PASSWORD_MAX_BYTES && auth.check_password(password, stored).await;
    // An account whose address is not verified answers as a wrong password would: otherwise
    // signing up and then in with a chosen password would tell whether the address was free.
    match found {
        Some(user) if matches && user.email_verified_at.is_some() => {
            attempt.succeeded(db).await?;
            Ok(user)
        }
        _ => Err(wrong_credentials()),
    }
}

/// Checks a signed-in person's password again (for sensitive changes), counted in the
/// same throttle as sign-in: a stolen session cannot guess the password either.
pub(super) async fn confirm_password(
    db: &Database,
    auth: &Auth,
    user_id: Uuid,
    password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let found = accounts::user_by_id(db, user_id).await?.ok_or_else(|| {
        ServiceError::new(ErrorCode::Unauthenticated, "the account no longer exists")
    })?;
    let attempt = Attempt::begin(db, &found.email, client, now).await?;
    if password.len() > PASSWORD_MAX_BYTES
        || !auth
            .check_password(password, found.password_hash.clone())
            .await
    {
        return Err(ServiceError::new(
            ErrorCode::Forbidden,
            "the password is wrong",
        ));
    }
    attempt.succeeded(db).await?;
    Ok(found)
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

fn access(
    auth: &Auth,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
    now: DateTime<Utc>,
) -> ServiceResult<SessionTokens> {
    let (access_token, access_expires_at) =
        auth.keys()
            .issue(user_id, session_id, now)
            .map_err(|error| {
                tracing::error!(%error, "cannot sign an access token");
                ServiceError::new(ErrorCode::Internal, "internal error")
            })?;
    Ok(SessionTokens {
        access_token,
        access_expires_at,
        refresh_token,
    })
}

/// Opens a new session for a person.
pub(super) async fn open_session(
    db: &Database,
    auth: &Auth,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<SessionTokens> {
    let refresh_token = secrets::new_refresh_token();
    let session_id = sessions::open(
        db,
        user_id,
        secrets::digest(&refresh_token),
        now,
        REFRESH_LIFETIME,
    )
    .await?;
    access(auth, user_id, session_id, refresh_token, now)
}

/// Opens a new session for a person who just proved who they are, with their account as
/// it is now.
async fn signed_in(
    db: &Database,
    auth: &Auth,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let tokens = open_session(db, auth, user_id, now).await?;
    with_account(db, tokens, user_id).await
}

/// A session's tokens with the account they are for, read now.
async fn with_account(
    db: &Database,
    tokens: SessionTokens,
    user_id: Uuid,
) -> ServiceResult<NewSession> {
    let user = accounts::user_by_id(db, user_id).await?.ok_or_else(|| {
        ServiceError::new(ErrorCode::Unauthenticated, "the account no longer exists")
    })?;
    Ok(NewSession { tokens, user })
}

/// Signs in with email and password and opens a session. An unknown account, a wrong
/// password and an address not confirmed yet get the same answer, in about the same time;
/// the attempt is counted per account and per client address before the password is
/// checked.
pub async fn sign_in(
    services: &Services,
    auth: &Auth,
    raw_email: &str,
    password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let user = check_credentials(&services.db, auth, raw_email, password, client, now).await?;
    signed_in(&services.db, auth, user.id, now).await
}

/// Spends a refresh token and issues the next pair of its session.
pub async fn refresh(
    services: &Services,
    auth: &Auth,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let db = &services.db;
    if !refresh_token.starts_with("rt_") || refresh_token.len() > 64 {
        return Err(ServiceError::new(
            ErrorCode::Unauthenticated,
            "this refresh token is not valid; sign in again",
        ));
    }
    let next = secrets::new_refresh_token();
    let spent = sessions::rotate(
        db,
        &secrets::digest(refresh_token),
        secrets::digest(&next),
        now,
        REFRESH_LIFETIME,
    )
    .await?;
    match spent {
        Spent::Rotated {
            user_id,
            session_id,
        } => {
            let tokens = access(auth, user_id, session_id, next, now)?;
            with_account(db, tokens, user_id).await
        }
        Spent::Reused => Err(ServiceError::new(
            ErrorCode::Unauthenticated,
            "this refresh token was already used, so the session is closed for safety; sign in again",
        )),
        Spent::Invalid => Err(ServiceError::new(
            ErrorCode::Unauthenticated,
            "this refresh token is not valid or has expired; sign in again",
        )),
    }
}

/// Closes the signed-in person's session (or, `everywhere`, every session of their
/// account): its access and refresh tokens stop working at once. Returns how many sessions
/// closed.
pub async fn sign_out(
    services: &Services,
    by: &Principal,
    everywhere: bool,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    let user = by.user()?;
    Ok(if everywhere {
        sessions::revoke_all(&services.db, user.user_id, now).await?
    } else {
        sessions::revoke(&services.db, user.session, now).await?
    })
}

/// Changes the signed-in person's password once they gave the current one: every session
/// of the account closes, and a new one opens.
pub async fn change_password(
    services: &Services,
    auth: &Auth,
    by: &Principal,
    current_password: &str,
    new_password: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let user = by.user()?;
    let db = &services.db;
    confirm_password(db, auth, user.user_id, current_password, client, now).await?;
    check_new_password(new_password).map_err(|e| ServiceError::bad_input(e.to_string()))?;
    let password_hash = hash(new_password).await?;
    accounts::set_password(db, user.user_id, password_hash, now).await?;
    signed_in(db, auth, user.user_id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_past_the_threshold_wait_longer_and_longer_up_to_a_cap() {
        assert_eq!(slow_down(1), StdDuration::ZERO);
        assert_eq!(slow_down(SLOW_DOWN_AFTER), StdDuration::ZERO);
        assert_eq!(slow_down(SLOW_DOWN_AFTER + 1), SLOW_DOWN_STEP);
        assert_eq!(slow_down(SLOW_DOWN_AFTER + 2), SLOW_DOWN_STEP * 2);
        assert_eq!(slow_down(SLOW_DOWN_AFTER + 4), SLOW_DOWN_STEP * 8);
        assert_eq!(slow_down(SLOW_DOWN_AFTER + 40), SLOW_DOWN_MAX);
        assert_eq!(slow_down(u32::MAX), SLOW_DOWN_MAX);
    }
}
