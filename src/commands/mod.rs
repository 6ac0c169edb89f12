//! What each command of `capitole` does, with the arguments that belong to it alone; the
//! settings that several commands share are in `settings`, and which command runs is
//! decided in `main`.

pub(crate) mod accounts;
pub(crate) mod backup;
pub(crate) mod healthcheck;
pub(crate) mod import;
pub(crate) mod keys;
pub(crate) mod schema;
pub(crate) mod seed;
pub(crate) mod serve;

use anyhow::Context;
use capitole_persistence::{Backend, ConnectSettings, Database};

use crate::settings::DatabaseArgs;

/// Connects to the database and brings its schema up to date.
pub(crate) async fn connect(args: &DatabaseArgs) -> anyhow::Result<Database> {
    let engine = match Backend::of_url(&args.database_url) {
        Backend::Postgres => "postgresql",
        Backend::Sqlite => "sqlite",
    };
    let settings = ConnectSettings {
        observer: crate::telemetry::statement_observer(engine),
        ..ConnectSettings::from(args)
    };
    let db = Database::connect(&settings)
        .await
        .context("cannot connect to the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

/// A refusal of Capitole's rules, as the command line reports it.
fn refused(error: impl Into<capitole_api::ApiError>) -> anyhow::Error {
    anyhow::anyhow!("{}", error.into().message())
}
