//! What resolvers read from the request: the database, the city's timezone, the instant the
//! request is judged at, its id, and its loaders (made per request, so caches never cross
//! callers).

use std::hash::Hash;
use std::net::IpAddr;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use capitole_persistence::Database;
use capitole_services::auth::Auth;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::caches::Caches;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::loaders::{Batcher, LoadError};
use capitole_services::Principal;

/// What every request of one running service shares.
#[derive(Clone)]
pub struct ApiContext {
    /// The database.
    pub db: Database,
    /// Where reads that tolerate lag go: a read replica, if one is set up, or `db`.
    pub reads: crate::Reads,
    /// The city's timezone, for windows, opening hours and local times.
    pub timezone: Tz,
    /// How long a loader batch collects keys before it runs: long enough for every item of
    /// a page to register its key (lists past 32 items are polled in more than one round).
    pub batch_delay: std::time::Duration,
    /// Signing keys and the rest of authentication.
    pub auth: std::sync::Arc<Auth>,
    /// Answers worth sharing between requests for a few seconds.
    pub caches: Caches,
    /// Limits of the account flows.
    pub accounts: capitole_services::accounts::AccountSettings,
    /// How long the change log keeps its entries, so how old a `changes` cursor may be.
    pub change_retention: capitole_domain::change::Retention,
    /// The calls of third-party apps' webhooks.
    pub webhooks: capitole_services::webhooks::Webhooks,
    /// Web Push, on or off.
    pub push: capitole_services::push::Push,
    /// The image proxy that resizes pictures, if any.
    pub images: crate::pictures::ImageProxy,
    /// The languages texts are published in, the city's first.
    pub languages: capitole_domain::language::Languages,
}

/// What one request holds.
pub(crate) struct RequestScope {
    pub db: Database,
    pub timezone: Tz,
    /// The instant the whole request is judged at, so that every field agrees on "now".
    pub now: DateTime<Utc>,
    /// Batches and caches lookups for this request only; list resolvers may fill it ahead
    /// with what they know their items will ask for.
    pub loader: DataLoader<Batcher, HashMapCache>,
    /// Who is calling.
    pub principal: Principal,
    /// The caller's address, as the front handler established it.
    pub client: Option<IpAddr>,
    /// Authentication's keys, for the account mutations.
    pub auth: std::sync::Arc<Auth>,
    /// The service's shared answers.
    pub caches: Caches,
    /// Limits of the account flows.
    pub accounts: capitole_services::accounts::AccountSettings,
    /// How long the change log keeps its entries.
    pub change_retention: capitole_domain::change::Retention,
    /// The calls of webhooks, for their registration.
    pub webhooks: capitole_services::webhooks::Webhooks,
    /// Web Push, for registering browsers.
    pub push: capitole_services::push::Push,
    /// The image proxy that resizes pictures, if any.
    pub images: crate::pictures::ImageProxy,
    /// Whether the client asks to save data: pictures at their narrowest, long texts plain.
    pub low_bandwidth: bool,
    /// The languages texts are published in, the city's first.
    pub languages: capitole_domain::language::Languages,
    /// The language the request asks texts in (`Accept-Language`), the city's by default.
    pub language: capitole_domain::language::Language,
}

impl RequestScope {
    pub(crate) fn new(
        api: &ApiContext,
        now: DateTime<Utc>,
        principal: Principal,
        client: Option<IpAddr>,
    ) -> Self {
        Self::on(api.db.clone(), api, now, principal, client)
    }

    /// A scope reading `db` (the primary, or a replica for reads that tolerate lag).
    pub(crate) fn on(
        db: Database,
        api: &ApiContext,
        now: DateTime<Utc>,
        principal: Principal,
        client: Option<IpAddr>,
    ) -> Self {
        let batcher = Batcher {
            db: db.clone(),
            now,
            articles: principal.article_visibility(now),
        };
        Self {
            db,
            timezone: api.timezone,
            now,
            principal,
            client,
            auth: api.auth.clone(),
            caches: api.caches.clone(),
            accounts: api.accounts.clone(),
            change_retention: api.change_retention,
            webhooks: api.webhooks.clone(),
            push: api.push.clone(),
            images: api.images.clone(),
            low_bandwidth: false,
            languages: api.languages.clone(),
            language: api.languages.city().clone(),
            loader: DataLoader::with_cache(batcher, tokio::spawn, HashMapCache::default())
                .delay(api.batch_delay),
        }
    }
}

impl RequestScope {
    /// The application services, acting on this request's database.
    pub(crate) fn services(&self) -> capitole_services::Services {
        capitole_services::Services {
            db: self.db.clone(),
            timezone: self.timezone,
        }
    }
}

/// The request's scope, which the front handler gives every request.
pub(crate) fn scope<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestScope> {
    ctx.data::<RequestScope>().map_err(|_| {
        tracing::error!("a request ran without its scope");
        to_gql(ApiError::new(ErrorCode::Internal, "internal error"))
    })
}

impl RequestScope {
    /// Loads one item through the request's batcher.
    pub(crate) async fn load<K>(&self, key: K) -> ApiResult<Option<<Batcher as Loader<K>>::Value>>
    where
        Batcher: Loader<K, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
    {
        self.loader.load_one(key).await.map_err(to_gql)
    }

    /// Loads several items through the request's batcher, in the order of `keys`, leaving out
    /// those that do not exist.
    pub(crate) async fn load_all<K>(
        &self,
        keys: Vec<K>,
    ) -> ApiResult<Vec<<Batcher as Loader<K>>::Value>>
    where
        Batcher: Loader<K, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
    {
        let mut found = self
            .loader
            .load_many(keys.iter().cloned())
            .await
            .map_err(to_gql)?;
        Ok(keys.iter().filter_map(|k| found.remove(k)).collect())
    }
}

impl RequestScope {
    /// Fills the cache with values a list already fetched, so that its items' fields are
    /// answered without waiting for a batch.
    pub(crate) async fn feed<K>(
        &self,
        values: impl IntoIterator<Item = (K, <Batcher as Loader<K>>::Value)>,
    ) where
        Batcher: Loader<K, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
    {
        self.loader.feed_many(values).await;
    }
}
