//! The settings every command shares: the database, the city's timezone, the log and
//! traces.

use std::time::Duration;

use capitole_persistence::ConnectSettings;
use chrono_tz::Tz;
use clap::Args;

/// The settings of every command: the database, the city's timezone and the log.
#[derive(Args, Debug)]
pub(crate) struct Settings {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The city's timezone: windows, opening hours and local times are computed in it.
    #[arg(
        long,
        env = "CAPITOLE_TIMEZONE",
        default_value = "Europe/Paris",
        global = true
    )]
    pub timezone: Tz,
    /// Log filter (`info`, `capitole=debug,info`…).
    #[arg(long, env = "CAPITOLE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// How log lines are written: `text` for people, `json` (one object per line) for log
    /// collectors.
    #[arg(
        long,
        env = "CAPITOLE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,
    /// An OpenTelemetry collector's OTLP/HTTP address (`http://collector:4318`): traces go
    /// to `{address}/v1/traces`. Unset, no traces are made.
    #[arg(long, env = "CAPITOLE_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
    /// The share of requests traced, from 0 to 1 (a request whose caller sent a sampled
    /// trace context is traced with it).
    #[arg(
        long,
        env = "CAPITOLE_OTLP_SAMPLE_RATIO",
        default_value_t = 1.0,
        value_parser = sample_ratio,
        global = true
    )]
    pub otlp_sample_ratio: f64,
}

fn sample_ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err("expected a number from 0 to 1".to_owned()),
    }
}

/// How log lines are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// One line of text per event; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line, with the event's fields and its spans'.
    Json,
}

/// Where the database is and how it is used.
#[derive(Args, Debug)]
pub(crate) struct DatabaseArgs {
    /// Database URL: `sqlite://capitole.db?mode=rwc` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "CAPITOLE_DATABASE_URL",
        default_value = "sqlite://capitole.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Size of the database connection pool (a few connections per core of the database
    /// server).
    #[arg(
        long,
        env = "CAPITOLE_DB_MAX_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    db_max_connections: u32,
    /// How long a request waits for a pooled connection, in milliseconds.
    #[arg(
        long,
        env = "CAPITOLE_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    db_acquire_timeout_ms: u64,
    /// How long one SQL statement may run on PostgreSQL, in milliseconds.
    #[arg(
        long,
        env = "CAPITOLE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    db_statement_timeout_ms: u64,
    /// SQL statements that run longer than this many milliseconds are logged (as a warning
    /// naming the statement, never its values); 0 logs none.
    #[arg(
        long,
        env = "CAPITOLE_DB_SLOW_STATEMENT_MS",
        default_value_t = 500,
        global = true
    )]
    db_slow_statement_ms: u64,
}

impl From<&DatabaseArgs> for ConnectSettings {
    fn from(args: &DatabaseArgs) -> Self {
        Self {
            url: args.database_url.clone(),
            max_connections: args.db_max_connections,
            acquire_timeout: Duration::from_millis(args.db_acquire_timeout_ms),
            statement_timeout: Duration::from_millis(args.db_statement_timeout_ms),
            slow_statement: (args.db_slow_statement_ms > 0)
                .then(|| Duration::from_millis(args.db_slow_statement_ms)),
            observer: None,
        }
    }
}
