//! Budgets in Redis, shared by every replica: one counter per subject and window, charged
//! by a Lua script so that checking and deducting are one atomic step. The connection is
//! made on first use and remade by the connection manager; while Redis does not answer,
//! callers get an error quickly (and fail open) instead of waiting on every request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// How long one Redis call may take before the request goes on without it.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How long to leave Redis alone after a failed connection.
const BACKOFF: Duration = Duration::from_secs(5);

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
    down_until: Mutex<Option<Instant>>,
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
            down_until: Mutex::new(None),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let down = self
            .down_until
            .lock()
            .map(|until| until.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false);
        if down {
            return Err("Redis was unreachable moments ago".to_owned());
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
        match made {
            Ok(connection) => Ok(connection.clone()),
            Err(error) => {
                if let Ok(mut until) = self.down_until.lock() {
                    *until = Some(Instant::now() + BACKOFF);
                }
                Err(error)
            }
        }
    }

    /// Adds `cost` to the subject's use in `window` unless that passes `limit`.
    pub(crate) async fn charge(
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
