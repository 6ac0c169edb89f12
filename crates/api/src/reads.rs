//! Where reads that tolerate a little lag go: a PostgreSQL read replica when one is set up
//! and close enough behind the primary, the primary otherwise.
//!
//! Anonymous queries and open-data exports tolerate lag: their answers are public, and their
//! callers wrote nothing they expect to read back. Everything else reads the primary:
//! mutations, the queries of anyone signed in (who may read what they just wrote) or
//! holding an app's token, subscriptions, the scheduler and webhook deliveries. The
//! response cache follows the change log of wherever anonymous queries read.
//!
//! A watcher measures the replica's lag once a second ([`changes::replica_lag`]): how long
//! ago the oldest change it does not hold yet was written. While the lag is over the
//! allowed maximum, or the replica cannot be read, those reads go to the primary too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use capitole_persistence::{Database, changes};

/// How often the watcher measures the replica's lag.
const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// How long one measurement may take before the replica counts as unreachable.
const MEASURE_WITHIN: Duration = Duration::from_secs(2);

/// The databases reads go to.
#[derive(Clone)]
pub struct Reads {
    primary: Database,
    replica: Option<Replica>,
}

/// A read replica and what its watcher last measured.
#[derive(Clone)]
struct Replica {
    db: Database,
    status: Arc<Status>,
}

#[derive(Default)]
struct Status {
    /// Whether lag-tolerant reads go to the replica.
    usable: AtomicBool,
}

impl Reads {
    /// Every read goes to `primary`.
    pub fn on_primary(primary: Database) -> Self {
        Self {
            primary,
            replica: None,
        }
    }

    /// Lag-tolerant reads go to `replica` while it is less than `max_lag` behind
    /// `primary`. Starts the watcher, which stops with the last clone of what this returns.
    /// The replica is used from its first good measurement on.
    pub fn with_replica(primary: Database, replica: Database, max_lag: Duration) -> Self {
        let status = Arc::new(Status::default());
        tokio::spawn(watch(
            primary.background(),
            replica.background(),
            Arc::downgrade(&status),
            max_lag,
        ));
        Self {
            primary,
            replica: Some(Replica {
                db: replica,
                status,
            }),
        }
    }

    /// The database for reads that tolerate lag: the replica when it is usable.
    pub fn lag_tolerant(&self) -> &Database {
        match &self.replica {
            Some(replica) if replica.status.usable.load(Ordering::Acquire) => &replica.db,
            _ => &self.primary,
        }
    }

    /// The database whose change log tells when lag-tolerant answers go stale.
    pub(crate) fn followed(&self) -> &Database {
        self.replica.as_ref().map_or(&self.primary, |r| &r.db)
    }

    /// Whether answers made from [`Reads::lag_tolerant`] may be kept by what follows
    /// [`Reads::followed`]: not while reads have left a replica for the primary, whose
    /// changes the followed log does not show yet.
    pub(crate) fn follows_its_reads(&self) -> bool {
        self.replica
            .as_ref()
            .is_none_or(|r| r.status.usable.load(Ordering::Acquire))
    }

    /// The primary.
    pub(crate) fn primary(&self) -> &Database {
        &self.primary
    }

    /// The same databases, for the service's own background work (see
    /// [`Database::background`]).
    pub(crate) fn background(&self) -> Self {
        Self {
            primary: self.primary.background(),
            replica: self.replica.as_ref().map(|r| Replica {
                db: r.db.background(),
                status: r.status.clone(),
            }),
        }
    }

    /// The replica's pool, if there is one, for the pool metrics.
    pub(crate) fn replica(&self) -> Option<&Database> {
        self.replica.as_ref().map(|replica| &replica.db)
    }
}

/// Measures the replica's lag every [`MEASURE_EVERY`] until `status` is dropped; says in
/// the log when the replica stops or starts taking reads.
async fn watch(
    primary: Database,
    replica: Database,
    status: std::sync::Weak<Status>,
    max_lag: Duration,
) {
    let mut told: Option<bool> = None;
    let mut ticker = tokio::time::interval(MEASURE_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(status) = status.upgrade() else {
            return;
        };
        let measured = tokio::time::timeout(
            MEASURE_WITHIN,
            changes::replica_lag(&primary, &replica, chrono::Utc::now()),
        )
        .await;
        let (usable, reason) = match measured {
            Ok(Ok(lag)) => {
                let lag = lag.to_std().unwrap_or_default();
                let millis = lag.as_millis();
                metrics::gauge!("capitole_db_replica_lag_seconds").set(lag.as_secs_f64());
                let usable = lag <= max_lag;
                (
                    usable,
                    (!usable).then(|| format!("it is {millis} ms behind")),
                )
            }
            Ok(Err(error)) => (false, Some(error.to_string())),
            Err(_) => (false, Some("it did not answer in time".to_owned())),
        };
        metrics::gauge!("capitole_db_replica_in_use").set(if usable { 1.0 } else { 0.0 });
        status.usable.store(usable, Ordering::Release);
        if told != Some(usable) {
            match reason {
                Some(reason) => tracing::warn!(
                    %reason,
                    "the read replica takes no reads; they go to the primary until it catches up"
                ),
                None => tracing::info!("the read replica takes lag-tolerant reads"),
            }
            told = Some(usable);
        }
    }
}
