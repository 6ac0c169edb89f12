//! Generated signing keys get a schedule, so that they rotate without signing anyone out:
//! a new key starts signing once every replica has had time to load it (`signs_from`),
//! and the key it replaces keeps verifying until the last token it signed has expired
//! (`retires_at`). Existing keys sign from their creation and never retire.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE signing_keys ADD COLUMN signs_from {ts};
ALTER TABLE signing_keys ADD COLUMN retires_at {ts}
"#;

const DOWN: &str = r#"
ALTER TABLE signing_keys DROP COLUMN retires_at;
ALTER TABLE signing_keys DROP COLUMN signs_from
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, DOWN).await
    }
}
