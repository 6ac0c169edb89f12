//! Indexes that find what one person did for an organization (audit entries, moderated
//! tips) without reading whole tables, for their export and their erasure. Partial, so
//! that the many rows written by nobody in particular cost nothing.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE INDEX audit_log_actor ON audit_log (actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX tips_hidden_by ON tips (hidden_by) WHERE hidden_by IS NOT NULL
"#;

const DOWN: &str = r#"
DROP INDEX tips_hidden_by;
DROP INDEX audit_log_actor
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
