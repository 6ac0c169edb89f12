//! Automatic persisted queries (Apollo's protocol, version 1): a client sends the SHA-256
//! of its document in `extensions.persistedQuery.sha256Hash` instead of the document; the
//! first time, it is told the hash is unknown (`PERSISTED_QUERY_NOT_FOUND`) and sends both,
//! which registers the document under its hash. After that, a `GET` with only the hash is
//! a short URL that phones and CDNs can cache.
//!
//! Documents are kept in Redis when replicas share one (`CAPITOLE_REDIS_URL`), with a time
//! to live, and always in a bounded cache of this process in front of it. While Redis does
//! not answer, documents are registered and found in this process only: clients whose
//! hash is unknown to a replica send their document again, which costs one round trip and
//! nothing else. What a document may ask for is checked each time it runs, not when it is
//! registered; a document over the size limit is never registered (it is refused first).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::rate_limit::Outage;

/// How long one Redis call may take before the request goes on without it.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How long to leave Redis alone after a call failed.
const RETRY: Duration = Duration::from_secs(1);

/// Where persisted documents are kept and for how long.
#[derive(Debug, Clone)]
pub struct PersistedQuerySettings {
    /// How many documents this process keeps at most (the least used go first).
    pub max_entries: u64,
    /// How long a registered document is kept, in Redis and in this process.
    pub ttl: Duration,
    /// The prefix of the Redis keys of documents (`<prefix><sha256>`).
    pub redis_key_prefix: String,
}

impl Default for PersistedQuerySettings {
    fn default() -> Self {
        Self {
            max_entries: 1_000,
            ttl: Duration::from_secs(7 * 24 * 3600),
            redis_key_prefix: "capitole:apq:".to_owned(),
        }
    }
}

/// The persisted-query part of a request: the hash it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PersistedQuery {
    /// The SHA-256 of the document, 64 lowercase hexadecimal digits.
    pub hash: String,
}

impl PersistedQuery {
    /// Reads `extensions.persistedQuery`: none, or version 1 with a SHA-256 in hexadecimal.
    /// The error is the message of a 400 answer.
    pub(super) fn from_extensions(
        extensions: Option<&serde_json::Value>,
    ) -> Result<Option<Self>, &'static str> {
        let Some(value) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(None);
        };
        if value.is_null() {
            return Ok(None);
        }
        if value.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
            return Err("`extensions.persistedQuery.version` must be 1");
        }
        let hash = value
            .get("sha256Hash")
            .and_then(serde_json::Value::as_str)
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("`extensions.persistedQuery.sha256Hash` must be a SHA-256 in hexadecimal (64 digits)")?;
        Ok(Some(Self {
            hash: hash.to_ascii_lowercase(),
        }))
    }

    /// Whether `query` is the document this hash names.
    pub(super) fn matches(&self, query: &str) -> bool {
        digest(query) == self.hash
    }
}

/// The SHA-256 of a document in lowercase hexadecimal.
fn digest(query: &str) -> String {
    Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The documents registered by clients, by hash.
pub(crate) struct PersistedQueries {
    local: Cache<String, Arc<str>>,
    redis: Option<RedisDocuments>,
    outage: Outage,
}

impl PersistedQueries {
    /// Documents in this process, and in Redis when a URL is given. A URL that does not
    /// parse is logged and documents stay in this process.
    pub(crate) fn new(settings: &PersistedQuerySettings, redis_url: Option<&str>) -> Self {
        let redis = redis_url.and_then(|url| {
            RedisDocuments::new(url, settings)
                .inspect_err(|error| {
                    tracing::error!(%error, "persisted queries kept in this process");
                })
                .ok()
        });
        Self {
            local: Cache::builder()
                .max_capacity(settings.max_entries)
                .time_to_live(settings.ttl)
                .build(),
            redis,
            outage: Outage::default(),
        }
    }

    /// The document registered under `hash`, if any.
    pub(super) async fn find(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(document) = self.local.get(hash) {
            metrics::counter!("capitole_persisted_queries_total", "outcome" => "hit").increment(1);
            return Some(document);
        }
        let found = match &self.redis {
            Some(redis) => {
                let found = redis.get(hash).await;
                self.report(&found);
                found.ok().flatten().map(Arc::<str>::from)
            }
            None => None,
        };
        // A document read back from Redis is checked again: the key space is shared.
        let found = found.filter(|document| digest(document) == hash);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("capitole_persisted_queries_total", "outcome" => outcome).increment(1);
        if let Some(document) = &found {
            self.local.insert(hash.to_owned(), Arc::clone(document));
        }
        found
    }

    /// Registers `document` under `hash` (which the caller checked it matches).
    pub(super) async fn register(&self, hash: &str, document: &str) {
        if self.local.contains_key(hash) {
            return;
        }
        metrics::counter!("capitole_persisted_queries_total", "outcome" => "registered")
            .increment(1);
        self.local.insert(hash.to_owned(), Arc::from(document));
        if let Some(redis) = &self.redis {
            let stored = redis.set(hash, document).await;
            self.report(&stored);
        }
    }

    /// Reports the start and the end of a Redis outage once each, and counts the calls
    /// that fell back to this process.
    fn report<T>(&self, outcome: &Result<T, String>) {
        match outcome {
            Ok(_) => {
                if self.outage.ends() {
                    tracing::info!(
                        "Redis answers again; persisted queries are shared between replicas again"
                    );
                }
            }
            Err(error) => {
                if self.outage.begins() {
                    tracing::warn!(
                        %error,
                        "Redis does not answer; persisted queries are kept by each replica until it does"
                    );
                    metrics::counter!("capitole_persisted_queries_redis_outages_total")
                        .increment(1);
                }
                metrics::counter!("capitole_persisted_queries_redis_fallbacks_total").increment(1);
            }
        }
    }
}

/// Documents in Redis, one key each with a time to live. After a call fails, Redis is left
/// alone for a moment, so that requests do not each wait for a timeout while it is down.
struct RedisDocuments {
    client: redis::Client,
    prefix: String,
    ttl_seconds: u64,
    connection: OnceCell<ConnectionManager>,
    rest_until: Mutex<Option<Instant>>,
}

impl RedisDocuments {
    fn new(url: &str, settings: &PersistedQuerySettings) -> Result<Self, String> {
        let client = redis::Client::open(url)
            .map_err(|error| format!("the Redis URL is not valid: {error}"))?;
        Ok(Self {
            client,
            prefix: settings.redis_key_prefix.clone(),
            ttl_seconds: settings.ttl.as_secs().max(1),
            connection: OnceCell::new(),
            rest_until: Mutex::new(None),
        })
    }

    fn resting(&self) -> bool {
        let rest = self
            .rest_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        rest.is_some_and(|until| Instant::now() < until)
    }

    fn record(&self, failed: bool) {
        let mut rest = self
            .rest_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *rest = failed.then(|| Instant::now() + RETRY);
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| async {
                tokio::time::timeout(
                    TIMEOUT * 4,
                    self.client.get_connection_manager_with_config(config),
                )
                .await
                .map_err(|_| "connecting to Redis timed out".to_owned())?
                .map_err(|error| error.to_string())
            })
            .await
            .cloned()
    }

    async fn call<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, String> {
        if self.resting() {
            return Err("Redis failed moments ago".to_owned());
        }
        let outcome = async {
            let mut connection = self.connection().await?;
            tokio::time::timeout(TIMEOUT, command.query_async::<T>(&mut connection))
                .await
                .map_err(|_| "Redis did not answer in time".to_owned())?
                .map_err(|error| error.to_string())
        }
        .await;
        self.record(outcome.is_err());
        outcome
    }

    async fn get(&self, hash: &str) -> Result<Option<String>, String> {
        let mut command = redis::cmd("GET");
        command.arg(format!("{}{hash}", self.prefix));
        self.call(command).await
    }

    async fn set(&self, hash: &str, document: &str) -> Result<(), String> {
        let mut command = redis::cmd("SET");
        command
            .arg(format!("{}{hash}", self.prefix))
            .arg(document)
            .arg("EX")
            .arg(self.ttl_seconds);
        self.call(command).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_extension_is_read_as_apollo_clients_send_it() {
        let hash = digest("{ organizations { name } }");
        let read = |value: serde_json::Value| PersistedQuery::from_extensions(Some(&value));
        assert_eq!(read(json!({})), Ok(None));
        assert_eq!(
            read(json!({ "persistedQuery": { "version": 1, "sha256Hash": hash.to_uppercase() } })),
            Ok(Some(PersistedQuery { hash: hash.clone() }))
        );
        assert!(read(json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } })).is_err());
        assert!(read(json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } })).is_err());
        let query = PersistedQuery { hash };
        assert!(query.matches("{ organizations { name } }"));
        assert!(!query.matches("{ organizations { id } }"));
    }

    #[tokio::test]
    async fn the_process_store_is_bounded_and_finds_what_it_registered() {
        let store = PersistedQueries::new(
            &PersistedQuerySettings {
                max_entries: 2,
                ..PersistedQuerySettings::default()
            },
            None,
        );
        let hash = digest("{ a }");
        assert!(store.find(&hash).await.is_none());
        store.register(&hash, "{ a }").await;
        assert_eq!(store.find(&hash).await.as_deref(), Some("{ a }"));
        for i in 0..20 {
            let text = format!("{{ a{i} }}");
            store.register(&digest(&text), &text).await;
        }
        store.local.run_pending_tasks();
        assert!(store.local.entry_count() <= 2);
    }
}
