//! PostgreSQL's GIN indexes of search write new entries to a pending list first, merged
//! into the index by vacuum; until then every search scans the whole list (up to 4 MB),
//! which made each search of a freshly written city read hundreds of pages. Search reads
//! far more than it writes: the two indexes now take each entry at once. SQLite's FTS5
//! index has no such list; nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER INDEX search_documents_terms SET (fastupdate = off);
ALTER INDEX search_vocabulary_trigrams SET (fastupdate = off);
SELECT gin_clean_pending_list('search_documents_terms'::regclass);
SELECT gin_clean_pending_list('search_vocabulary_trigrams'::regclass)
"#;

const POSTGRES_DOWN: &str = r#"
ALTER INDEX search_documents_terms RESET (fastupdate);
ALTER INDEX search_vocabulary_trigrams RESET (fastupdate)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_UP).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_DOWN).await,
            _ => Ok(()),
        }
    }
}
