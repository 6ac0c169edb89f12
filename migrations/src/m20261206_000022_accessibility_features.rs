//! Places and events name the features that prepare them for disabled people (a step-free
//! entrance, an induction loop, sign language, ...), and an event that states no
//! accessibility of its own shows its venue's: `events.accessibility` becomes the
//! accessibility the event shows, kept equal to its venue's while `inherits_accessibility`
//! holds. Events that stated nothing start showing their venue's now.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE places ADD COLUMN accessibility_features TEXT NOT NULL DEFAULT '|';
             ALTER TABLE events ADD COLUMN accessibility_features TEXT NOT NULL DEFAULT '|';
             ALTER TABLE events ADD COLUMN inherits_accessibility {bool} NOT NULL DEFAULT FALSE;
             UPDATE events SET inherits_accessibility = TRUE,
                 accessibility = COALESCE(
                     (SELECT p.accessibility FROM places p WHERE p.id = events.place_id), '|')
             WHERE accessibility = '|'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "UPDATE events SET accessibility = '|' WHERE inherits_accessibility;
             ALTER TABLE events DROP COLUMN inherits_accessibility;
             ALTER TABLE events DROP COLUMN accessibility_features;
             ALTER TABLE places DROP COLUMN accessibility_features",
        )
        .await
    }
}
