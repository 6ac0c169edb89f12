//! Places get an easy-to-read summary, as articles and events have: short sentences in
//! plain words for readers who find the description hard. Optional; no place has one yet.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE places ADD COLUMN easy_read_summary TEXT",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, "ALTER TABLE places DROP COLUMN easy_read_summary").await
    }
}
