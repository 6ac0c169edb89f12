//! The change log: one entry per committed change of an article, event, place or tip,
//! written in the same transaction as the change. Readers follow it by position. On
//! PostgreSQL each entry also records its transaction id, so that a reader only reads
//! entries of transactions that have ended and never skips one that commits late; on
//! SQLite writers take turns, so positions already come in commit order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &str = r#"
CREATE TABLE change_log (
    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    item_kind TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    change TEXT NOT NULL,
    version BIGINT NOT NULL,
    organization_id {uuid},
    public {bool} NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX change_log_order ON change_log (tx, position);
CREATE INDEX change_log_at ON change_log (at)
"#;

const SQLITE: &str = r#"
CREATE TABLE change_log (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    tx INTEGER NOT NULL DEFAULT 0,
    item_kind TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    change TEXT NOT NULL,
    version INTEGER NOT NULL,
    organization_id {uuid},
    public {bool} NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX change_log_order ON change_log (tx, position);
CREATE INDEX change_log_at ON change_log (at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES).await,
            _ => run_script(manager, SQLITE).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, "DROP TABLE change_log").await
    }
}
