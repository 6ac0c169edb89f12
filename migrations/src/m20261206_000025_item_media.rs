//! Events and places get media as articles have them: videos, photos and albums on the
//! city's channels (Dailymotion, Flickr, Instagram, YouTube) or any https page, as a JSON
//! list. None yet.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE places ADD COLUMN media TEXT NOT NULL DEFAULT '[]';
             ALTER TABLE events ADD COLUMN media TEXT NOT NULL DEFAULT '[]'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE events DROP COLUMN media;
             ALTER TABLE places DROP COLUMN media",
        )
        .await
    }
}
