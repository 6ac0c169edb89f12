//! The slow-statement log: operators see which statement was slow, never the values it
//! was given.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capitole_persistence::sea_orm::{ConnectionTrait, Statement};
use capitole_persistence::{Backend, ConnectSettings, Database};

use super::*;

/// A log writer that keeps what it is given.
#[derive(Clone, Default)]
struct Kept(Arc<Mutex<Vec<u8>>>);

impl Write for Kept {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_statement_slower_than_the_threshold_is_logged_by_name_without_its_values() {
    for test_db in databases().await {
        let settings = ConnectSettings {
            slow_statement: Some(Duration::from_millis(40)),
            ..ConnectSettings::new(test_db.url.clone())
        };
        let db = Database::connect(&settings).await.unwrap();
        let kept = Kept::default();
        let writer = kept.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);

        let backend = db.connection().get_database_backend();
        let secret = "un-mot-de-passe-secret";
        // Quick, then slow, each with a value bound to it.
        let (quick, slow) = match db.backend() {
            Backend::Postgres => (
                "SELECT count(*) FROM places WHERE name <> $1",
                "SELECT count(*) FROM places, pg_sleep(0.2) WHERE name <> $1",
            ),
            Backend::Sqlite => (
                "SELECT count(*) FROM places WHERE name <> ?",
                "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers \
                 WHERE n < 3000000) SELECT count(*) FROM numbers WHERE CAST(n AS TEXT) <> ?",
            ),
        };
        for sql in [quick, slow] {
            db.connection()
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [secret.into()],
                ))
                .await
                .unwrap();
        }

        let log = String::from_utf8(kept.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("slow SQL statement"))
            .collect();
        assert_eq!(lines.len(), 1, "{}: {log}", test_db.label);
        let expected = match db.backend() {
            Backend::Postgres => "statement=SELECT places",
            Backend::Sqlite => "statement=WITH numbers",
        };
        assert!(
            lines[0].contains(expected),
            "{}: {}",
            test_db.label,
            lines[0]
        );
        assert!(lines[0].contains("elapsed_ms="), "{}", lines[0]);
        assert!(!log.contains(secret), "{}: {log}", test_db.label);
        db.close().await;
        test_db.remove().await;
    }
}
