//! `capitole seed`: the demo Toulouse, or a synthetic city for load tests.

use anyhow::bail;
use capitole_persistence::{Database, seed};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct SeedArgs {
    /// Load the demo Toulouse.
    #[arg(long, env = "CAPITOLE_DEMO", conflicts_with = "synthetic")]
    demo: bool,
    /// Load a synthetic city for load tests.
    #[arg(long, env = "CAPITOLE_SYNTHETIC")]
    synthetic: bool,
    /// Size of the synthetic city (1 = 50,000 places, 20,000 events, 5,000 articles, 10,000
    /// residents, 200,000 tips, 1,000,000 check-ins).
    #[arg(long, env = "CAPITOLE_SCALE", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    scale: u32,
    /// Seed of the synthetic city: the same seed gives the same city.
    #[arg(long, env = "CAPITOLE_SEED", default_value_t = 42)]
    seed: u64,
}

/// Loads the city the arguments name, unless the database has it already.
pub(crate) async fn seed(
    db: &Database,
    args: &SeedArgs,
    now: DateTime<Utc>,
    timezone: Tz,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = if args.synthetic {
        seed::synthetic(db, args.scale, args.seed, now, timezone).await?
    } else if args.demo {
        seed::demo(db, now, timezone).await?
    } else {
        bail!("say what to seed: --demo or --synthetic");
    };
    if report.already_present {
        tracing::info!("the database has this data already; nothing written");
    } else {
        tracing::info!(
            places = report.places,
            events = report.events,
            occurrences = report.occurrences,
            articles = report.articles,
            residents = report.users,
            tips = report.tips,
            check_ins = report.check_ins,
            seconds = started.elapsed().as_secs_f64(),
            "seeded"
        );
    }
    Ok(())
}
