//! Capitole on the wire: the GraphQL schema (types, queries, loaders, errors) and the HTTP
//! service around it (the GraphQL-over-HTTP front handler, GraphiQL, health, metrics).
//! Resolvers are thin: they read the caller's request context, call a service of
//! `capitole-services` or a repository of `capitole-persistence`, and convert what comes
//! back.

mod caches;
pub mod compatibility;
mod context;
mod error;
mod field_order;
pub mod http;
mod ids;
pub mod import;
mod limits;
mod live;
mod loaders;
mod lookup;
mod mutation;
pub mod open_data;
mod pictures;
mod query;
mod rate_limit;
mod reads;
pub mod scheduler;
pub mod schema;
mod text;
mod types;

pub use context::ApiContext;
pub use error::{ApiError, ErrorCode};
pub use http::{
    Application, GraphiqlAssets, HttpSettings, IpNetwork, PersistedQuerySettings,
    ResponseCacheSettings, TrustedProxies,
};
pub use limits::{CREDENTIAL_COST, QueryLimits};
pub use live::LiveSettings;
pub use open_data::{Licence, OpenDataSettings};
pub use pictures::ImageProxy;
pub use rate_limit::{Clock, RateLimitSettings, RateSubject, TierBudgets};
pub use reads::Reads;
pub use schema::{AppSchema, build_schema};
