//! Capitole's schema, one migration per step, each with `up` and `down`, written once for
//! SQLite and PostgreSQL. Column types are spelled through [`ddl`] so that the same text
//! serves both engines; what only one engine has (PostgreSQL's `earthdistance` index, SQLite's
//! R*Tree) is its own step.

use sea_orm_migration::prelude::*;

pub use sea_orm_migration::MigratorTrait;

mod m20261129_000001_city;
mod m20261129_000002_spatial_index;
mod m20261129_000003_accounts;
mod m20261129_000004_editorial;
mod m20261129_000005_events_editorial;
mod m20261129_000006_social_posts;
mod m20261130_000007_community;
mod m20261130_000008_check_in_path;
mod m20261205_000009_sessions;
mod m20261205_000010_personal_data_lookups;
mod m20261205_000011_signing_key_schedule;
mod m20261205_000012_email_verification;
mod m20261205_000013_change_log;
mod m20261205_000014_publishers;
mod m20261205_000015_article_categories;
mod m20261206_000016_webhooks;
mod m20261206_000017_web_push;
mod m20261206_000018_push_reminders;
mod m20261206_000019_search;
mod m20261206_000020_search_without_pending_lists;
mod m20261206_000021_place_easy_read;
mod m20261206_000022_accessibility_features;
mod m20261206_000023_pictures;
mod m20261206_000024_translations;
mod m20261206_000025_item_media;
mod m20261206_000026_translations_in_search;

/// Runs Capitole's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_city::Migration),
            Box::new(m20261129_000002_spatial_index::Migration),
            Box::new(m20261129_000003_accounts::Migration),
            Box::new(m20261129_000004_editorial::Migration),
            Box::new(m20261129_000005_events_editorial::Migration),
            Box::new(m20261129_000006_social_posts::Migration),
            Box::new(m20261130_000007_community::Migration),
            Box::new(m20261130_000008_check_in_path::Migration),
            Box::new(m20261205_000009_sessions::Migration),
            Box::new(m20261205_000010_personal_data_lookups::Migration),
            Box::new(m20261205_000011_signing_key_schedule::Migration),
            Box::new(m20261205_000012_email_verification::Migration),
            Box::new(m20261205_000013_change_log::Migration),
            Box::new(m20261205_000014_publishers::Migration),
            Box::new(m20261205_000015_article_categories::Migration),
            Box::new(m20261206_000016_webhooks::Migration),
            Box::new(m20261206_000017_web_push::Migration),
            Box::new(m20261206_000018_push_reminders::Migration),
            Box::new(m20261206_000019_search::Migration),
            Box::new(m20261206_000020_search_without_pending_lists::Migration),
            Box::new(m20261206_000021_place_easy_read::Migration),
            Box::new(m20261206_000022_accessibility_features::Migration),
            Box::new(m20261206_000023_pictures::Migration),
            Box::new(m20261206_000024_translations::Migration),
            Box::new(m20261206_000025_item_media::Migration),
            Box::new(m20261206_000026_translations_in_search::Migration),
        ]
    }
}

/// Spells the portable type names `{uuid}`, `{ts}`, `{bool}`, `{float}` and `{json}` of a DDL
/// text for the connected engine.
pub(crate) fn ddl(backend: sea_orm_migration::sea_orm::DatabaseBackend, sql: &str) -> String {
    use sea_orm_migration::sea_orm::DatabaseBackend;
    let (uuid, ts, boolean, float) = match backend {
        DatabaseBackend::Postgres => ("UUID", "TIMESTAMPTZ", "BOOLEAN", "DOUBLE PRECISION"),
        _ => ("BLOB", "TEXT", "INTEGER", "REAL"),
    };
    sql.replace("{uuid}", uuid)
        .replace("{ts}", ts)
        .replace("{bool}", boolean)
        .replace("{float}", float)
        .replace("{json}", "TEXT")
}

/// Runs each statement of a `;`-separated script.
pub(crate) async fn run_script(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let script = ddl(manager.get_database_backend(), script);
    for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Runs an SQLite script whose triggers hold `;` inside `BEGIN … END`.
pub(crate) async fn run_sqlite(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let mut statement = String::new();
    for line in script.lines() {
        statement.push_str(line);
        statement.push('\n');
        let trimmed = line.trim_end();
        let in_trigger = statement.trim_start().starts_with("CREATE TRIGGER");
        let complete = if in_trigger {
            trimmed.ends_with("END;") || trimmed == "END"
        } else {
            trimmed.ends_with(';')
        };
        if complete {
            connection.execute_unprepared(statement.trim()).await?;
            statement.clear();
        }
    }
    if !statement.trim().is_empty() {
        connection.execute_unprepared(statement.trim()).await?;
    }
    Ok(())
}
