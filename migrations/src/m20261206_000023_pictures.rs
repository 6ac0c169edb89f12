//! Events and places get pictures: a JSON list, the main picture first, each with its
//! address, text alternative, credit, licence, size and focal point. None yet.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE places ADD COLUMN pictures TEXT NOT NULL DEFAULT '[]';
             ALTER TABLE events ADD COLUMN pictures TEXT NOT NULL DEFAULT '[]'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE events DROP COLUMN pictures;
             ALTER TABLE places DROP COLUMN pictures",
        )
        .await
    }
}
