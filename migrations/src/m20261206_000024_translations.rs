//! Translations of the texts of events and places into the city's other languages: one row
//! per item, language and field, with the fingerprint of the original it was made from
//! (the translation is stale once the original's differs).

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "CREATE TABLE translations (
                 item_kind TEXT NOT NULL,
                 item_id {uuid} NOT NULL,
                 language TEXT NOT NULL,
                 field TEXT NOT NULL,
                 text TEXT NOT NULL,
                 source_fingerprint TEXT NOT NULL,
                 updated_at {ts} NOT NULL,
                 PRIMARY KEY (item_id, language, field)
             )",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, "DROP TABLE translations").await
    }
}
