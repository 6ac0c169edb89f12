//! A PostgreSQL read replica for the reads that tolerate lag (`docs/deployment.md`: "A
//! read replica").

use std::time::Duration;

use anyhow::Context;
use capitole_api::Reads;
use capitole_persistence::{Backend, ConnectSettings, Database};
use clap::Args;

use super::DatabaseArgs;

/// Where anonymous queries and open-data exports may read, and how far behind.
#[derive(Args, Debug)]
pub(crate) struct ReadReplicaArgs {
    /// A PostgreSQL read replica of the database (`postgres://user@replica/db`), streaming
    /// from the primary. Anonymous queries and open-data exports read it while it is close
    /// enough behind; everything else reads the primary. Its pool has the primary's size
    /// and timeouts.
    #[arg(long, env = "CAPITOLE_DATABASE_READ_URL", hide_env_values = true)]
    database_read_url: Option<String>,
    /// How far behind the primary, in milliseconds, the replica may be and still take
    /// reads; further behind, or out of reach, its reads go to the primary until it
    /// catches up.
    #[arg(
        long,
        env = "CAPITOLE_DATABASE_READ_MAX_LAG_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(0..=3_600_000)
    )]
    database_read_max_lag_ms: u64,
}

impl ReadReplicaArgs {
    /// Where reads go: the replica when one is set, beside `primary`.
    pub(crate) async fn reads(
        &self,
        primary: &Database,
        database: &DatabaseArgs,
    ) -> anyhow::Result<Reads> {
        let Some(url) = &self.database_read_url else {
            return Ok(Reads::on_primary(primary.clone()));
        };
        if Backend::of_url(&database.database_url) != Backend::Postgres {
            anyhow::bail!("CAPITOLE_DATABASE_READ_URL needs CAPITOLE_DATABASE_URL on PostgreSQL");
        }
        let settings = ConnectSettings {
            url: url.clone(),
            observer: crate::telemetry::statement_observer("postgresql"),
            ..ConnectSettings::from(database)
        };
        let replica = Database::connect_replica(&settings)
            .await
            .context("cannot set up the read replica")?;
        tracing::info!(
            max_lag_ms = self.database_read_max_lag_ms,
            "anonymous queries and exports read the replica while it keeps up"
        );
        Ok(Reads::with_replica(
            primary.clone(),
            replica,
            Duration::from_millis(self.database_read_max_lag_ms),
        ))
    }
}
