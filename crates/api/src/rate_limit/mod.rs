//! Cost-based rate budgets: every caller (a [`RateSubject`]) has a budget of points per
//! fixed window (one minute by default) sized by its [`RateTier`]; each query's cost is
//! deducted before it runs. Budgets live in this process, or in Redis when several
//! replicas share them; while Redis does not answer, each replica charges its own budgets
//! in its memory, so that an outage never lets requests through uncounted. What a query
//! costs is measured in `limits`, not here.

mod redis_store;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capitole_domain::access::RateTier;
use chrono::{DateTime, TimeDelta, Utc};

pub(crate) use redis_store::RedisStore;

/// Who a budget belongs to: a key (`ip:203.0.113.9`, `user:<uuid>`, `token:<uuid>`) and the
/// tier that sizes its budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSubject {
    /// The budget's key; one key, one budget.
    pub key: String,
    /// The tier that sizes the budget.
    pub tier: RateTier,
}

/// Points per window for each tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierBudgets {
    /// Callers without credentials, per client address.
    pub anonymous: u64,
    /// Signed-in people.
    pub user: u64,
    /// Third-party apps on the default plan.
    pub standard: u64,
    /// Partner apps.
    pub partner: u64,
}

impl Default for TierBudgets {
    fn default() -> Self {
        Self {
            anonymous: 1_000,
            user: 5_000,
            standard: 5_000,
            partner: 20_000,
        }
    }
}

impl TierBudgets {
    /// The budget of one tier, in points per window.
    pub fn of(&self, tier: RateTier) -> u64 {
        match tier {
            RateTier::Anonymous => self.anonymous,
            RateTier::User => self.user,
            RateTier::Standard => self.standard,
            RateTier::Partner => self.partner,
        }
    }
}

/// What time it is, for budgets; tests move it instead of waiting for a window to pass.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock that reads `now`.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// How budgets are sized and where they are kept.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Points per window, per tier.
    pub budgets: TierBudgets,
    /// The length of one window; budgets refill whole at each window's start.
    pub window: Duration,
    /// A Redis server shared by replicas (`redis://host:6379`); budgets stay in this
    /// process when unset.
    pub redis_url: Option<String>,
    /// The prefix of every Redis key Capitole writes.
    pub redis_key_prefix: String,
    /// The clock windows are read from.
    pub clock: Clock,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            budgets: TierBudgets::default(),
            window: Duration::from_secs(60),
            redis_url: None,
            redis_key_prefix: "capitole:rate:".to_owned(),
            clock: Clock::system(),
        }
    }
}

/// A budget after one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateStatus {
    /// The tier's name, which names the policy in the `RateLimit` headers.
    pub policy: &'static str,
    /// Points asked for by this request.
    pub cost: u64,
    /// Points per window.
    pub limit: u64,
    /// Points left in this window after this request.
    pub remaining: u64,
    /// When the window ends and the budget refills.
    pub reset_at: DateTime<Utc>,
    /// Seconds until then, at least 1.
    pub reset_seconds: u64,
    /// Whether the budget covered the cost (and the cost was deducted).
    pub allowed: bool,
}

/// Budgets of this process: a few mutex-guarded maps, so that callers rarely wait on one
/// another; each map forgets past windows when a new one starts, so memory follows the
/// number of callers of one window.
struct MemoryStore {
    shards: Vec<Mutex<Shard>>,
}

#[derive(Default)]
struct Shard {
    window: u64,
    used: HashMap<String, u64>,
}

const SHARDS: usize = 16;

impl MemoryStore {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }
}

impl MemoryStore {
    /// Adds `cost` to `key`'s use in `window` unless that would pass `limit`; returns
    /// whether it did and the points used after the attempt.
    fn charge(&self, key: &str, window: u64, cost: u64, limit: u64) -> (bool, u64) {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % SHARDS as u64).unwrap_or(0);
        let mut shard = match self.shards[index].lock() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if shard.window != window {
            shard.window = window;
            shard.used.clear();
        }
        let used = shard.used.get(key).copied().unwrap_or(0);
        if used.saturating_add(cost) > limit {
            return (false, used);
        }
        let used = used + cost;
        shard.used.insert(key.to_owned(), used);
        (true, used)
    }
}

/// Whether Redis is failing, so that an outage is reported when it starts and when it ends
/// rather than on every request it touches.
#[derive(Default)]
pub(crate) struct Outage(AtomicBool);

impl Outage {
    /// Records a failed charge; true for the first failure of an outage.
    pub(crate) fn begins(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }

    /// Records a charge Redis answered; true for the first answer after an outage.
    pub(crate) fn ends(&self) -> bool {
        // A load first keeps the common case (Redis up) free of writes to a shared line.
        self.0.load(Ordering::Relaxed) && self.0.swap(false, Ordering::Relaxed)
    }
}

/// Charges requests to their subjects' budgets.
#[derive(Clone)]
pub(crate) struct RateLimiter {
    budgets: TierBudgets,
    window_ms: u64,
    clock: Clock,
    memory: Arc<MemoryStore>,
    redis: Option<Arc<RedisStore>>,
    outage: Arc<Outage>,
}

impl RateLimiter {
    /// Budgets in this process, or in Redis when a URL is set. A URL that does not parse is
    /// refused; an unreachable server is not (budgets stay in this process until it answers).
    pub(crate) fn new(settings: &RateLimitSettings) -> Result<Self, String> {
        let redis = settings
            .redis_url
            .as_deref()
            .map(|url| RedisStore::new(url, &settings.redis_key_prefix, settings.window))
            .transpose()?
            .map(Arc::new);
        Ok(Self {
            redis,
            ..Self::in_process(settings)
        })
    }

    /// Budgets in this process, whatever the settings say about Redis.
    pub(crate) fn in_process(settings: &RateLimitSettings) -> Self {
        Self {
            budgets: settings.budgets,
            window_ms: u64::try_from(settings.window.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            clock: settings.clock.clone(),
            memory: Arc::new(MemoryStore::new()),
            redis: None,
            outage: Arc::default(),
        }
    }

    /// Deducts `cost` points from `subject`'s budget if it covers them.
    pub(crate) async fn charge(&self, subject: &RateSubject, cost: u64) -> RateStatus {
        let limit = self.budgets.of(subject.tier);
        let now = self.clock.now();
        let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let window = now_ms / self.window_ms;
        let (allowed, used) = match &self.redis {
            Some(redis) => match redis.charge(&subject.key, window, cost, limit).await {
                Ok(charged) => {
                    if self.outage.ends() {
                        tracing::info!(
                            "Redis answers again; budgets are shared between replicas again"
                        );
                    }
                    charged
                }
                Err(error) => {
                    // Shared budgets are a protection, not a dependency: without Redis,
                    // each replica counts its own budgets rather than fail or let requests
                    // through uncounted.
                    if self.outage.begins() {
                        tracing::warn!(
                            %error,
                            "Redis does not answer; budgets are counted by each replica until it does"
                        );
                        metrics::counter!("capitole_rate_limit_redis_outages_total").increment(1);
                    }
                    metrics::counter!("capitole_rate_limit_fallback_charges_total").increment(1);
                    self.memory.charge(&subject.key, window, cost, limit)
                }
            },
            None => self.memory.charge(&subject.key, window, cost, limit),
        };
        let reset_ms = (window + 1).saturating_mul(self.window_ms);
        let reset_at =
            DateTime::<Utc>::from_timestamp_millis(i64::try_from(reset_ms).unwrap_or(i64::MAX))
                .unwrap_or(now);
        let reset_seconds = u64::try_from((reset_at - now).num_milliseconds())
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1);
        RateStatus {
            policy: policy_name(subject.tier),
            cost,
            limit,
            remaining: limit.saturating_sub(used),
            reset_at: reset_at.min(now + TimeDelta::days(1)).max(now),
            reset_seconds,
            allowed,
        }
    }

    /// The window length in seconds, for the `RateLimit-Policy` header.
    pub(crate) fn window_seconds(&self) -> u64 {
        self.window_ms.div_ceil(1000)
    }
}

fn policy_name(tier: RateTier) -> &'static str {
    match tier {
        RateTier::Anonymous => "anonymous",
        RateTier::User => "user",
        RateTier::Standard => "standard",
        RateTier::Partner => "partner",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    fn limiter(anonymous: u64, now: Arc<AtomicI64>) -> RateLimiter {
        RateLimiter::new(&RateLimitSettings {
            budgets: TierBudgets {
                anonymous,
                ..TierBudgets::default()
            },
            clock: Clock::from_fn(move || {
                DateTime::from_timestamp_millis(now.load(Ordering::SeqCst)).unwrap()
            }),
            ..RateLimitSettings::default()
        })
        .unwrap()
    }

    fn anonymous(key: &str) -> RateSubject {
        RateSubject {
            key: key.to_owned(),
            tier: RateTier::Anonymous,
        }
    }

    #[tokio::test]
    async fn a_budget_is_spent_then_refilled_at_the_next_window() {
        let now = Arc::new(AtomicI64::new(1_800_000_000_000 + 15_000));
        let limiter = limiter(10, now.clone());
        let first = limiter.charge(&anonymous("ip:a"), 6).await;
        assert!(first.allowed);
        assert_eq!((first.remaining, first.reset_seconds), (4, 45));
        let refused = limiter.charge(&anonymous("ip:a"), 5).await;
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 4, "a refused request costs nothing");
        assert!(limiter.charge(&anonymous("ip:b"), 10).await.allowed);
        now.fetch_add(45_000, Ordering::SeqCst);
        let next = limiter.charge(&anonymous("ip:a"), 5).await;
        assert!(next.allowed);
        assert_eq!((next.remaining, next.reset_seconds), (5, 60));
    }

    #[test]
    fn an_outage_is_reported_once_when_it_begins_and_once_when_it_ends() {
        let outage = Outage::default();
        assert!(!outage.ends(), "no outage, nothing ends");
        assert!(outage.begins());
        assert!(!outage.begins(), "later failures belong to the same outage");
        assert!(outage.ends());
        assert!(!outage.ends(), "later answers report nothing");
        assert!(outage.begins(), "a new outage is reported again");
    }

    #[test]
    fn tiers_have_their_own_budgets() {
        let budgets = TierBudgets::default();
        assert!(budgets.of(RateTier::Anonymous) < budgets.of(RateTier::User));
        assert!(budgets.of(RateTier::Standard) < budgets.of(RateTier::Partner));
    }
}
