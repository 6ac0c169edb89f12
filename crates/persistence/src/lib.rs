//! Capitole's storage: connection set-up for SQLite and PostgreSQL, sea-orm entities, and
//! the repositories that answer the graph's questions (keyset pages, nearby search, text
//! search, batch loads by id). Rules about the city live in `capitole-domain`; GraphQL and
//! HTTP live in `capitole-api`.

pub mod accessibility;
pub mod account_tokens;
pub mod accounts;
mod activity;
pub mod article;
pub mod articles;
pub mod audit;
pub mod catalog;
pub mod changes;
pub mod check_ins;
mod cursor;
mod db;
mod edits;
pub mod entities;
mod error;
pub mod event;
pub mod events;
pub mod extent;
pub mod facets;
pub mod maps;
pub mod organizations;
pub mod place;
pub mod places;
pub mod privacy;
pub mod profiles;
pub mod publishers;
pub mod push;
pub mod reactions;
mod rows;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod slugs;
pub mod social_posts;
mod sql;
pub mod stored_lists;
pub mod testing;
pub mod throttle;
pub mod tips;
pub mod translations;
pub mod webhooks;

pub use activity::ActivityError;
pub use cursor::{Direction, Page, PageRequest};
pub use db::{Backend, ConnectSettings, Database, PoolUsage, StatementObserver, statement_name};
pub use edits::Outcome;
pub use error::StorageError;
pub use rows::{Columns, Positional};
/// The ORM, for callers that read entities directly (tests, tools).
pub use sea_orm;
