//! Connection set-up for both engines, migrations, and the count of SQL statements that
//! `/metrics` exports and tests use to prove that a page costs a constant number of queries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use capitole_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend};

use crate::StorageError;

/// The storage engine behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The production engine.
    Postgres,
}

impl Backend {
    /// The engine a database URL names: `postgres://` (or `postgresql://`) is PostgreSQL,
    /// anything else SQLite.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// `sqlite://file.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size. A few connections per core of the database server keep it busy; more
    /// make it switch between backends instead of working.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing fast.
    pub acquire_timeout: Duration,
    /// How long one statement may run on PostgreSQL before it is cancelled.
    pub statement_timeout: Duration,
    /// Statements that run longer are logged, by name (none when `None`).
    pub slow_statement: Option<Duration>,
    /// Told of every statement once it has run (traces).
    pub observer: Option<StatementObserver>,
}

/// What is told of each statement once it has run: its name (see [`statement_name`]), how
/// long it ran and whether it failed. It runs in the task that ran the statement, so the
/// current `tracing` span is the request's.
#[derive(Clone)]
pub struct StatementObserver(pub Arc<ObserveStatement>);

/// The observer's call: the statement's name, how long it ran, whether it failed.
pub type ObserveStatement = dyn Fn(&str, Duration, bool) + Send + Sync;

impl std::fmt::Debug for StatementObserver {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("StatementObserver")
    }
}

impl ConnectSettings {
    /// Settings with the documented defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
            slow_statement: Some(Duration::from_millis(500)),
            observer: None,
        }
    }
}

/// How many of a pool's connections are open and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open, idle or lent.
    pub open: u32,
    /// Open connections that no one holds.
    pub idle: u32,
}

/// A short name for a statement in logs and traces: its verb and the first table it names
/// (`SELECT places`, `INSERT check_ins`). It never holds values: those are bound apart
/// from the text, and the name keeps no more than two words of it.
pub fn statement_name(sql: &str) -> String {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
        .filter(|word| !word.is_empty())
        .collect();
    let verb: String = words
        .first()
        .map(|word| {
            word.chars()
                .take_while(char::is_ascii_alphabetic)
                .take(16)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .unwrap_or_default();
    // The first table named after one of `keywords` (a subquery is no table).
    let after = |keywords: &[&str]| {
        words.windows(2).find_map(|pair| {
            let named = keywords.iter().any(|k| pair[0].eq_ignore_ascii_case(k))
                && !["SELECT", "LATERAL"]
                    .iter()
                    .any(|k| pair[1].eq_ignore_ascii_case(k));
            named.then_some(pair[1])
        })
    };
    let table = match verb.as_str() {
        "UPDATE" => words.get(1).copied(),
        _ => after(&["FROM", "INTO", "TABLE"]),
    };
    let table: String = table
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, '"' | '`'))
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .take(48)
        .collect();
    match (verb.is_empty(), table.is_empty()) {
        (true, _) => "STATEMENT".to_owned(),
        (false, true) => verb,
        (false, false) => format!("{verb} {table}"),
    }
}

/// A pool of connections to Capitole's database.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    statements: Arc<AtomicU64>,
    /// Where it was reached, for connections of their own (the change log's listener).
    url: Arc<str>,
    slow_statement: Option<Duration>,
    observer: Option<StatementObserver>,
}

impl Database {
    /// Connects: SQLite in WAL mode with a busy timeout and foreign keys on; PostgreSQL with
    /// a short acquire timeout and a statement timeout.
    pub async fn connect(settings: &ConnectSettings) -> Result<Self, StorageError> {
        Self::open(settings, false).await
    }

    /// A pool on a PostgreSQL read replica, set up as [`Database::connect`] sets up the
    /// primary, that connects when first used: a replica out of reach when the service
    /// starts is reached once it answers.
    pub async fn connect_replica(settings: &ConnectSettings) -> Result<Self, StorageError> {
        if Backend::of_url(&settings.url) != Backend::Postgres {
            return Err(StorageError::BadRequest(
                "a read replica must be a PostgreSQL database (postgres://...)".to_owned(),
            ));
        }
        Self::open(settings, true).await
    }

    async fn open(settings: &ConnectSettings, lazily: bool) -> Result<Self, StorageError> {
        let mut options = ConnectOptions::new(settings.url.clone());
        options.connect_lazy(lazily);
        options
            .max_connections(settings.max_connections)
            .min_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .connect_timeout(settings.acquire_timeout)
            .sqlx_logging(false);
        if Backend::of_url(&settings.url) == Backend::Postgres {
            options.statement_timeout(settings.statement_timeout);
            // Statements are prepared once per connection. PostgreSQL plans a prepared
            // statement again for each set of values as long as it estimates a value's own
            // plan cheaper than the generic one, which for Capitole's keyset pages it always
            // does: the agenda's page spent 0.4 ms planning and 0.6 ms running a custom plan
            // where the generic one runs in 0.1 ms. The generic plan is planned once.
            options.map_sqlx_postgres_opts(|postgres| {
                postgres.options([("plan_cache_mode", "force_generic_plan")])
            });
        } else {
            options.map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
        }
        let connection = sea_orm::Database::connect(options)
            .await
            .map_err(StorageError::from)?;
        Ok(Self::observed(
            connection,
            Arc::from(settings.url.as_str()),
            settings.slow_statement,
            settings.observer.clone(),
        ))
    }

    /// A handle on `connection` that counts its statements, logs the slow ones and tells
    /// the observer of each.
    fn observed(
        mut connection: DatabaseConnection,
        url: Arc<str>,
        slow_statement: Option<Duration>,
        observer: Option<StatementObserver>,
    ) -> Self {
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        let observing = observer.clone();
        connection.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("capitole_db_statements_total").increment(1);
            if let Some(StatementObserver(observe)) = &observing {
                observe(
                    &statement_name(&info.statement.sql),
                    info.elapsed,
                    info.failed,
                );
            }
            if slow_statement.is_some_and(|slow| info.elapsed >= slow) {
                metrics::counter!("capitole_db_slow_statements_total").increment(1);
                tracing::warn!(
                    statement = %statement_name(&info.statement.sql),
                    elapsed_ms = info.elapsed.as_millis() as u64,
                    failed = info.failed,
                    "slow SQL statement"
                );
            }
        });
        Self {
            connection,
            statements,
            url,
            slow_statement,
            observer,
        }
    }

    /// Brings the schema up to date, and the search index with it (items written before
    /// it existed are indexed); safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        Migrator::up(&self.connection, None)
            .await
            .map_err(StorageError::from)?;
        let indexed = crate::search::index_missing(self).await?;
        if indexed > 0 {
            tracing::info!(indexed, "indexed items for search");
        }
        Ok(())
    }

    /// The sea-orm connection, for repositories.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// The address of a PostgreSQL database (none for SQLite).
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        (self.backend() == Backend::Postgres).then_some(&*self.url)
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self.connection.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting up to `busy_timeout` for another writer, so that a
    /// transaction that reads before it writes never fails on a snapshot another writer
    /// moved on from; PostgreSQL's row locks already serialise conflicting writes.
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, StorageError> {
        let options = sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(sea_orm::TransactionTrait::begin_with_options(&self.connection, options).await?)
    }

    /// The same pool for the service's own background work (following the change log),
    /// whose statements [`Database::statement_count`] of this handle does not count; the
    /// `capitole_db_statements_total` metric still does.
    pub fn background(&self) -> Self {
        Self::observed(
            self.connection.clone(),
            self.url.clone(),
            self.slow_statement,
            self.observer.clone(),
        )
    }

    /// The pool's connections: how many are open, and how many of those are idle.
    pub fn pool_usage(&self) -> PoolUsage {
        let (open, idle) = match self.backend() {
            Backend::Postgres => {
                let pool = self.connection.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Sqlite => {
                let pool = self.connection.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        PoolUsage {
            open,
            idle: u32::try_from(idle).unwrap_or(open).min(open),
        }
    }

    /// SQL statements run through this pool since it was opened.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Writes a consistent copy of this SQLite database into the new file `path`
    /// (`VACUUM INTO`): it reads one snapshot, so writers go on meanwhile, and the copy is
    /// compact and complete, with no journal beside it.
    pub async fn copy_into(&self, path: &std::path::Path) -> Result<(), StorageError> {
        let path = path.to_str().ok_or_else(|| {
            StorageError::BadRequest("the backup's path is not valid UTF-8".to_owned())
        })?;
        let statement = sea_orm::Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [path.into()],
        );
        self.connection.execute_raw(statement).await?;
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.connection
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(StorageError::from)
    }

    /// Closes the pool.
    pub async fn close(self) {
        let _ = self.connection.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::statement_name;

    #[test]
    fn a_statement_is_named_by_its_verb_and_first_table_and_never_by_its_values() {
        let cases = [
            (
                "SELECT \"places\".\"id\" FROM \"places\" WHERE \"id\" = $1",
                "SELECT places",
            ),
            (
                "INSERT INTO check_ins (id, place_id) VALUES (?, ?)",
                "INSERT check_ins",
            ),
            ("UPDATE \"articles\" SET \"title\" = $1", "UPDATE articles"),
            (
                "DELETE FROM sessions WHERE expires_at < $1",
                "DELETE sessions",
            ),
            (
                "WITH due AS (SELECT id FROM articles) UPDATE articles SET x = 1",
                "WITH articles",
            ),
            (
                "SELECT count(*) FROM (SELECT 1 FROM events) AS e",
                "SELECT events",
            ),
            ("SELECT 1", "SELECT"),
            (
                "select * from search_documents where body match 'secret words'",
                "SELECT search_documents",
            ),
            ("", "STATEMENT"),
        ];
        for (sql, name) in cases {
            assert_eq!(statement_name(sql), name, "{sql}");
        }
    }
}
