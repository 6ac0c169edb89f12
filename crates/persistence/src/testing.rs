//! Fresh databases for tests: a new SQLite file always, and a new PostgreSQL database when
//! `CAPITOLE_TEST_DATABASE_URL` names a server. Every test gets its own, so tests never
//! share mutable state. Without the variable, PostgreSQL is skipped with a notice, except
//! under CI (`CI` set), where a missing or unreachable server fails the test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::ConnectionTrait;

use crate::{ConnectSettings, Database};

/// The variable naming the PostgreSQL server tests may create databases on.
pub const POSTGRES_VARIABLE: &str = "CAPITOLE_TEST_DATABASE_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database made for one test, removed by [`TestDatabase::remove`].
pub struct TestDatabase {
    /// The migrated database.
    pub db: Database,
    /// Its URL, for starting a server on it.
    pub url: String,
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Postgres { server: String, name: String },
}

impl TestDatabase {
    /// Closes and deletes the database.
    pub async fn remove(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                // The database, its journal, and the signing keys a server generated beside it.
                for suffix in ["", "-wal", "-shm", "-keys.json"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { server, name } => {
                if let Ok(admin) = sea_orm::Database::connect(server.as_str()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

/// A fresh, migrated database on every engine available to this test run.
pub async fn databases() -> Vec<TestDatabase> {
    let mut all = vec![sqlite().await];
    match std::env::var(POSTGRES_VARIABLE) {
        Ok(server) if !server.is_empty() => all.push(postgres(&server).await),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_VARIABLE} is not set: CI must run the PostgreSQL side of the suite")
        }
        _ => skipped_notice(),
    }
    all
}

/// A fresh, migrated PostgreSQL database when the test run has a server (CI always does);
/// `None`, with the notice, on a machine without one.
pub async fn postgres_if_available() -> Option<TestDatabase> {
    match std::env::var(POSTGRES_VARIABLE) {
        Ok(server) if !server.is_empty() => Some(postgres(&server).await),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_VARIABLE} is not set: CI must run the PostgreSQL side of the suite")
        }
        _ => {
            skipped_notice();
            None
        }
    }
}

/// Says once per test process that PostgreSQL is skipped. It writes to the standard error
/// stream itself, which the test harness does not capture, so that the notice shows even
/// when every test passes.
fn skipped_notice() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "notice: PostgreSQL tests skipped; set {POSTGRES_VARIABLE}=postgres://user@host:5432/postgres to run them"
        );
    });
}

fn unique_name() -> String {
    format!(
        "capitole_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated SQLite database in a temporary file.
pub async fn sqlite() -> TestDatabase {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&ConnectSettings::new(url.clone()))
        .await
        .expect("open SQLite");
    db.migrate().await.expect("migrate SQLite");
    TestDatabase {
        db,
        url,
        label: "sqlite",
        cleanup: Cleanup::File(path),
    }
}

/// A fresh, migrated PostgreSQL database on `server`.
pub async fn postgres(server: &str) -> TestDatabase {
    let admin = sea_orm::Database::connect(server)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at {server} ({POSTGRES_VARIABLE}): {e}")
        });
    drop_abandoned(&admin).await;
    let name = unique_name();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{server}/{name}"),
    };
    let db = Database::connect(&ConnectSettings::new(url.clone()))
        .await
        .expect("open PostgreSQL test database");
    db.migrate().await.expect("migrate PostgreSQL");
    TestDatabase {
        db,
        url,
        label: "postgres",
        cleanup: Cleanup::Postgres {
            server: server.to_owned(),
            name,
        },
    }
}

/// Drops the test databases of test processes that are gone (a test that panicked leaves
/// its database behind).
async fn drop_abandoned(admin: &sea_orm::DatabaseConnection) {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Name {
        datname: String,
    }
    let sql = "SELECT datname FROM pg_database WHERE datname LIKE 'capitole_test_%'";
    let Ok(names) =
        Name::find_by_statement(Statement::from_string(admin.get_database_backend(), sql))
            .all(admin)
            .await
    else {
        return;
    };
    for name in names {
        let pid = name
            .datname
            .split('_')
            .nth(2)
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    name.datname
                ))
                .await;
        }
    }
}
