//! Capitole's application services: one module per kind of item, whose functions take the
//! acting [`Principal`] and a typed value parsed in the domain, check access and the rules,
//! and call storage in one transaction, in which the change log gets its entry. GraphQL
//! resolvers, the importer and the scheduler all write through them; nothing here knows
//! GraphQL or HTTP.
//!
//! People's accounts are here too: [`accounts`] (signing up, in and out, passwords and their
//! throttles), [`admin`] (roles), [`tokens`] (third-party apps' tokens), with the [`auth`]
//! that signs and checks credentials and the [`mail`] that carries account links.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod articles;
pub mod auth;
pub mod changes;
pub mod check_ins;
pub mod error;
pub mod events;
pub mod feed;
pub mod mail;
pub mod organizations;
mod outbound;
pub mod places;
pub mod principal;
pub mod profiles;
pub mod push;
pub mod reactions;
pub mod references;
pub mod search;
pub mod suggest;
pub mod tips;
pub mod tokens;
pub mod translations;
pub mod webhooks;

use capitole_persistence::Database;
use chrono_tz::Tz;

pub use error::{ErrorCode, ServiceError};
pub use principal::Principal;

/// What every service call shares: the database and the city's timezone (for local dates,
/// schedules and opening hours).
#[derive(Clone)]
pub struct Services {
    /// The database.
    pub db: Database,
    /// The city's timezone.
    pub timezone: Tz,
}

/// Results of services.
pub type ServiceResult<T> = Result<T, ServiceError>;
