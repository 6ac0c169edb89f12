//! Budgets in Redis, shared by every replica: one counter per subject and window, charged
//! by a Lua script so that checking and deducting are one atomic step. The connection is
//! made on first use and remade by the connection manager. After a call fails, Redis is
//! left alone for a moment and then one request at a time tries it again, so that while
//! Redis is down or slow, callers get an error at once (and charge this replica's budgets)
//! instead of each waiting for a timeout.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// How long one Redis call may take before the request goes on without it.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How long to leave Redis alone after a call failed, before one request tries it again.
const RETRY: Duration = Duration::from_secs(1);

/// Adds the cost unless it would pass the limit. KEYS[1] the counter; ARGV cost, limit,
/// expiry in milliseconds. Returns {1 if charged, points used}.
const CHARGE: &str = r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], cost)
if used == cost then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {1, used}
";

pub(crate) struct RedisStore {
    client: redis::Client,
    prefix: String,
    expiry_ms: u64,
    script: redis::Script,
    connection: OnceCell<ConnectionManager>,
    rest: Mutex<Rest>,
}

/// Whether Redis is being left alone after a failure, and whether a request is trying it.
#[derive(Default)]
struct Rest {
    until: Option<Instant>,
    probing: bool,
}

/// The right to call Redis while it may be down; gives the turn back when dropped, even if
/// the request that held it is cancelled.
struct Probe<'a> {
    rest: &'a Mutex<Rest>,
    probing: bool,
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        if self.probing {
            lock(self.rest).probing = false;
        }
    }
}

fn lock(rest: &Mutex<Rest>) -> MutexGuard<'_, Rest> {
    match rest.lock() {
        Ok(rest) => rest,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl RedisStore {
    pub(crate) fn new(url: &str, prefix: &str, window: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url)
            .map_err(|error| format!("the Redis URL is not valid: {error}"))?;
        Ok(Self {
            client,
            prefix: prefix.to_owned(),
            // A counter outlives its window a little, for clocks a little apart.
            expiry_ms: u64::try_from(window.as_millis().saturating_mul(2))
                .unwrap_or(u64::MAX)
                .max(1000),
            script: redis::Script::new(CHARGE),
            connection: OnceCell::new(),
            rest: Mutex::new(Rest::default()),
        })
    }

    /// Whether this request may call Redis: always when it answered last, otherwise once
    /// the rest is over and no other request is already trying.
    fn probe(&self) -> Option<Probe<'_>> {
        let mut rest = lock(&self.rest);
        match rest.until {
            None => Some(Probe {
                rest: &self.rest,
                probing: false,
            }),
            Some(until) if Instant::now() >= until && !rest.probing => {
                rest.probing = true;
                Some(Probe {
                    rest: &self.rest,
                    probing: true,
                })
            }
            Some(_) => None,
        }
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let made = self
            .connection
            .get_or_try_init(|| async {
                tokio::time::timeout(
                    TIMEOUT * 4,
                    self.client.get_connection_manager_with_config(config),
                )
                .await
                .map_err(|_| "connecting to Redis timed out".to_owned())?
                .map_err(|error| error.to_string())
            })
            .await;
        made.cloned()
    }

    /// Adds `cost` to the subject's use in `window` unless that passes `limit`. Fails at once
    /// while Redis is left alone after a failure.
    pub(crate) async fn charge(
        &self,
        key: &str,
        window: u64,
        cost: u64,
        limit: u64,
    ) -> Result<(bool, u64), String> {
        let Some(_probe) = self.probe() else {
            return Err("Redis failed moments ago".to_owned());
        };
        let charged = self.call(key, window, cost, limit).await;
        let mut rest = lock(&self.rest);
        rest.until = match charged {
            Ok(_) => None,
            Err(_) => Some(Instant::now() + RETRY),
        };
        drop(rest);
        charged
    }

    async fn call(
        &self,
        key: &str,
        window: u64,
        cost: u64,
        limit: u64,
    ) -> Result<(bool, u64), String> {
        let mut connection = self.connection().await?;
        let counter = format!("{}{key}:{window}", self.prefix);
        let mut invocation = self.script.key(counter);
        invocation.arg(cost).arg(limit).arg(self.expiry_ms);
        let (charged, used): (i64, i64) =
            tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| "Redis did not answer in time".to_owned())?
                .map_err(|error| error.to_string())?;
        Ok((charged == 1, u64::try_from(used).unwrap_or(0)))
    }
}
