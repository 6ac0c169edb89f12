//! The background task that publishes scheduled articles when their time comes, folds
//! new check-ins into places' popularity, and deletes protection data past its retention. Every replica may run it: each article is
//! switched by exactly one of them (see `capitole_services::articles::publish_due`), a
//! fold is safe to repeat (see `capitole_persistence::check_ins::fold_popularity`), and a
//! restart loses nothing, since the schedule and the counts live in the database.

use std::time::Duration;

use capitole_domain::change::Retention;
use capitole_persistence::Database;
use capitole_services::articles;

/// Counts one run of a scheduled job, by its outcome.
fn ran(job: &'static str, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("capitole_scheduler_runs_total", "job" => job, "outcome" => outcome)
        .increment(1);
}

/// Publishes what is due now; returns how many articles it published.
pub async fn publish_due(db: &Database) -> usize {
    match articles::publish_due(db, chrono::Utc::now()).await {
        Ok(ids) => {
            ran("publish", true);
            for id in &ids {
                tracing::info!(article = %id, "published a scheduled article");
                metrics::counter!("capitole_articles_published_by_schedule_total").increment(1);
            }
            ids.len()
        }
        Err(error) => {
            ran("publish", false);
            tracing::warn!(
                code = error.code().as_str(),
                "cannot publish scheduled articles; trying again later"
            );
            0
        }
    }
}

/// Brings places' popularity up to date with their check-ins; returns how many places
/// changed.
pub async fn fold_popularity(db: &Database) -> u64 {
    match capitole_persistence::check_ins::fold_popularity(db, chrono::Utc::now()).await {
        Ok(changed) => {
            ran("fold_popularity", true);
            tracing::debug!(changed, "folded check-ins into popularity");
            changed
        }
        Err(error) => {
            ran("fold_popularity", false);
            tracing::warn!(%error, "cannot fold check-ins into popularity; trying again later");
            0
        }
    }
}

/// Stores the dates recurring events gain as time passes (their horizon moves on by a
/// day each day), as the scheduler's operator.
pub async fn extend_recurrences(db: &Database, tz: chrono_tz::Tz) -> usize {
    let services = capitole_services::Services {
        db: db.clone(),
        timezone: tz,
    };
    let operator = capitole_services::Principal::operator("scheduler");
    match capitole_services::events::extend_recurrences(&services, &operator, chrono::Utc::now())
        .await
    {
        Ok(added) => {
            ran("extend_recurrences", true);
            if added > 0 {
                tracing::info!(added, "stored the new dates of recurring events");
            }
            added
        }
        Err(error) => {
            ran("extend_recurrences", false);
            let error = error.message();
            tracing::warn!(error, "cannot extend recurring events; trying again later");
            0
        }
    }
}

/// Deletes what is kept only to protect the service (sign-in attempt counters, expired
/// refresh tokens, the sessions they leave empty) once it is older than `retention`.
pub async fn purge_protection_data(db: &Database, retention: chrono::Duration) {
    match capitole_persistence::privacy::purge(db, chrono::Utc::now() - retention).await {
        Ok(purged) => {
            ran("purge_protection_data", true);
            tracing::info!(
                attempt_counters = purged.attempt_counters,
                refresh_tokens = purged.refresh_tokens,
                sessions = purged.sessions,
                "purged protection data past its retention"
            );
        }
        Err(error) => {
            ran("purge_protection_data", false);
            tracing::warn!(%error, "cannot purge protection data; trying again later");
        }
    }
}

/// Deletes the change log's entries past its retention, the webhooks' deliveries that
/// were delivered or given up as long ago, and the record of Web Push reminders as old.
pub async fn compact_change_log(db: &Database, retention: Retention) {
    let before = retention.compact_before(chrono::Utc::now());
    match capitole_persistence::changes::compact(db, before).await {
        Ok(removed) => {
            ran("compact_change_log", true);
            tracing::info!(removed, "compacted the change log");
        }
        Err(error) => {
            ran("compact_change_log", false);
            tracing::warn!(%error, "cannot compact the change log; trying again later");
        }
    }
    match capitole_persistence::webhooks::purge(db, before).await {
        Ok(removed) => tracing::info!(removed, "deleted webhook deliveries past retention"),
        Err(error) => {
            tracing::warn!(%error, "cannot delete old webhook deliveries; trying again later");
        }
    }
    match capitole_persistence::push::purge_reminders(db, before).await {
        Ok(removed) => tracing::info!(removed, "forgot Web Push reminders past retention"),
        Err(error) => {
            tracing::warn!(%error, "cannot forget old Web Push reminders; trying again later");
        }
    }
}

/// What the background task does and how often.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// How often articles are published and check-ins folded.
    pub interval: Duration,
    /// The city's timezone, whose days recurring events are extended by.
    pub timezone: chrono_tz::Tz,
    /// How long protection data is kept.
    pub retention: chrono::Duration,
    /// How long the change log keeps its entries.
    pub change_retention: Retention,
}

/// How often protection data past its retention is looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Runs [`publish_due`] and [`fold_popularity`] every interval, [`extend_recurrences`] at
/// start and then once a day, and [`purge_protection_data`] and [`compact_change_log`] at
/// start and then every hour, until the process stops.
pub async fn run(db: Database, schedule: Schedule) {
    let mut ticker = tokio::time::interval(schedule.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut extended_on = None;
    let mut purged_at: Option<std::time::Instant> = None;
    loop {
        ticker.tick().await;
        publish_due(&db).await;
        fold_popularity(&db).await;
        let today = chrono::Utc::now()
            .with_timezone(&schedule.timezone)
            .date_naive();
        if extended_on != Some(today) {
            extend_recurrences(&db, schedule.timezone).await;
            extended_on = Some(today);
        }
        if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purge_protection_data(&db, schedule.retention).await;
            compact_change_log(&db, schedule.change_retention).await;
            purged_at = Some(std::time::Instant::now());
        }
    }
}
