//! The account flows that go through a person's mailbox: signing up (with an answer that
//! says nothing about whether the address was taken), verifying the address, and resetting
//! a forgotten password.
//!
//! Signing up answers the same, and takes about as long, whether the address is free or
//! not: in every case a password is hashed and one mail goes to the address. A new
//! account waits for its owner to follow the link mailed to it before it can sign in; an
//! address that already has an account gets a note instead (with a link to reset the
//! password), so only its owner learns that someone tried. Until an address is verified,
//! whoever signs up with it last owns the pending account, and nobody can sign in to it.

use std::net::IpAddr;

use capitole_domain::access::{Email, Role, check_new_password};
use capitole_persistence::account_tokens::{self, Purpose};
use capitole_persistence::accounts::{self, NewUser};
use capitole_persistence::entities::user;
use capitole_persistence::{Database, StorageError, throttle};
use chrono::{DateTime, Duration, Utc};

use super::sign_in::{AccountSettings, count_sign_up, open_session};
use super::{NewSession, check_new_account, email, hash};
use crate::auth::{Auth, secrets};
use crate::mail::Mail;
use crate::{ErrorCode, ServiceError, ServiceResult, Services};

/// How long the link that verifies an address works.
pub const VERIFICATION_LIFETIME: Duration = Duration::hours(24);
/// How long the link that resets a password works.
pub const RESET_LIFETIME: Duration = Duration::minutes(30);
/// Account mails one address receives per hour at most; more are not sent (the answer
/// to the request stays the same).
const MAILS_PER_ADDRESS_PER_HOUR: u32 = 5;
const VERIFY_PREFIX: &str = "ev_";
const RESET_PREFIX: &str = "pw_";

/// Whether `email` may receive one more account mail this hour (and counts it).
async fn mail_allowed(db: &Database, email: &str, now: DateTime<Utc>) -> ServiceResult<bool> {
    let subject = throttle::mail_subject(email);
    let count = throttle::count_attempt(db, &subject, now, now - Duration::hours(1)).await?;
    if count > MAILS_PER_ADDRESS_PER_HOUR {
        metrics::counter!("capitole_mails_withheld_total").increment(1);
        return Ok(false);
    }
    Ok(true)
}

/// A kind of link mailed to a person: what its token is for, how it looks, how long it
/// works, where the app opens it and which mutation takes it.
struct Link {
    purpose: Purpose,
    prefix: &'static str,
    lifetime: Duration,
    page: &'static str,
    mutation: &'static str,
}

const VERIFY: Link = Link {
    purpose: Purpose::VerifyEmail,
    prefix: VERIFY_PREFIX,
    lifetime: VERIFICATION_LIFETIME,
    page: "verify-email",
    mutation: "verifyEmail",
};

const RESET: Link = Link {
    purpose: Purpose::ResetPassword,
    prefix: RESET_PREFIX,
    lifetime: RESET_LIFETIME,
    page: "reset-password",
    mutation: "resetPassword",
};

/// Mails `person` a new link of `kind`, unless their address had its mails for the hour;
/// `write` makes the mail from the person and the link's instructions.
async fn mail_link(
    db: &Database,
    settings: &AccountSettings,
    person: &user::Model,
    now: DateTime<Utc>,
    kind: &Link,
    write: impl FnOnce(&user::Model, &str) -> Mail,
) -> ServiceResult<()> {
    if !mail_allowed(db, &person.email, now).await? {
        return Ok(());
    }
    let token = secrets::new_opaque_token(kind.prefix);
    account_tokens::issue(
        db,
        person.id,
        kind.purpose,
        secrets::digest(&token),
        now,
        kind.lifetime,
    )
    .await?;
    let open = settings
        .mailer
        .token_instructions(kind.page, kind.mutation, &token);
    settings.mailer.send(&person.email, write(person, &open));
    Ok(())
}

async fn mail_verification(
    db: &Database,
    settings: &AccountSettings,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    mail_link(db, settings, person, now, &VERIFY, |person, open| Mail {
        subject: "Confirm your address".to_owned(),
        body: format!(
            "Hello {name},\n\nTo finish creating your account, confirm that this address is yours:\n\n{open}\n\nIt works once, for {hours} hours. If you did not sign up, ignore this mail: nobody can sign in with this address until it is confirmed.\n",
            name = person.display_name,
            hours = VERIFICATION_LIFETIME.num_hours(),
        ),
    })
    .await
}

async fn mail_reset(
    db: &Database,
    settings: &AccountSettings,
    person: &user::Model,
    now: DateTime<Utc>,
    why: &str,
) -> ServiceResult<()> {
    mail_link(db, settings, person, now, &RESET, |person, open| Mail {
        subject: "Your account".to_owned(),
        body: format!(
            "Hello {name},\n\n{why}\n\nTo choose a new password:\n\n{open}\n\nIt works once, for {minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.\n",
            name = person.display_name,
            minutes = RESET_LIFETIME.num_minutes(),
        ),
    })
    .await
}

/// Signs someone up: the same answer (the normalised address) whether or not the address
/// already has an account; a mail to the address says what happens next.
pub async fn register(
    services: &Services,
    settings: &AccountSettings,
    raw_email: &str,
    password: &str,
    display_name: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ServiceResult<Email> {
    let db = &services.db;
    let (email, display_name) = check_new_account(raw_email, password, display_name)?;
    count_sign_up(db, settings, client, now).await?;
    // Hashed in every case, so that a taken address answers as late as a free one.
    let password_hash = hash(password).await?;
    let new = NewUser {
        email: email.as_str().to_owned(),
        display_name: display_name.clone(),
        password_hash: password_hash.clone(),
        role: Role::Citizen,
        organizations: Vec::new(),
        verified: false,
    };
    match accounts::create_user(db, new, now).await {
        Ok(created) => mail_verification(db, settings, &created, now).await?,
        Err(StorageError::Conflict { .. }) => {
            let existing = accounts::user_by_email(db, email.as_str())
                .await?
                .ok_or_else(|| ServiceError::new(ErrorCode::Conflict, "try again"))?;
            if accounts::replace_unverified(db, existing.id, password_hash, display_name, now)
                .await?
            {
                let pending = accounts::user_by_id(db, existing.id)
                    .await?
                    .unwrap_or(existing);
                mail_verification(db, settings, &pending, now).await?;
            } else {
                let why = "Someone, perhaps you, tried to create an account with this address. You already have one: sign in with it, or choose a new password if you forgot it.";
                mail_reset(db, settings, &existing, now, why).await?;
            }
        }
        Err(other) => return Err(other.into()),
    }
    Ok(email)
}

fn link_refused() -> ServiceError {
    ServiceError::bad_input(
        "this link is not valid, was used already or has expired; ask for a new one",
    )
}

fn looks_like(token: &str, prefix: &str) -> bool {
    token.starts_with(prefix) && token.len() <= 64
}

/// Verifies an address with the token mailed to it, and signs its owner in.
pub async fn verify_email(
    services: &Services,
    auth: &Auth,
    token: &str,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let db = &services.db;
    if !looks_like(token, VERIFY_PREFIX) {
        return Err(link_refused());
    }
    let user = account_tokens::verify_email(db, &secrets::digest(token), now)
        .await?
        .ok_or_else(link_refused)?;
    let tokens = open_session(db, auth, user.id, now).await?;
    Ok(NewSession { tokens, user })
}

/// Mails a new verification link to an account that is waiting for one. Says nothing about
/// whether there is such an account: returns the address as normalised, whatever happened.
pub async fn request_verification(
    services: &Services,
    settings: &AccountSettings,
    raw_email: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Email> {
    let db = &services.db;
    let email = email(raw_email)?;
    if let Some(person) = accounts::user_by_email(db, email.as_str()).await?
        && person.email_verified_at.is_none()
    {
        mail_verification(db, settings, &person, now).await?;
    }
    Ok(email)
}

/// Mails a link that resets the password of the account of `raw_email`, if there is one.
/// Says nothing about whether there is: returns the address as normalised, whatever
/// happened.
pub async fn request_password_reset(
    services: &Services,
    settings: &AccountSettings,
    raw_email: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Email> {
    let db = &services.db;
    let email = email(raw_email)?;
    if let Some(person) = accounts::user_by_email(db, email.as_str()).await? {
        let why = "Someone, perhaps you, asked to reset the password of your account.";
        mail_reset(db, settings, &person, now, why).await?;
    }
    Ok(email)
}

/// Gives the account of a reset token a new password: every session closes, and a new one
/// opens.
pub async fn reset_password(
    services: &Services,
    auth: &Auth,
    token: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> ServiceResult<NewSession> {
    let db = &services.db;
    if !looks_like(token, RESET_PREFIX) {
        return Err(link_refused());
    }
    check_new_password(new_password).map_err(|e| ServiceError::bad_input(e.to_string()))?;
    let password_hash = hash(new_password).await?;
    let user = account_tokens::reset_password(db, &secrets::digest(token), password_hash, now)
        .await?
        .ok_or_else(link_refused)?;
    let tokens = open_session(db, auth, user.id, now).await?;
    Ok(NewSession { tokens, user })
}
