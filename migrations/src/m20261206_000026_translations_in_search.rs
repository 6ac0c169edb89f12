//! Search indexes translations, each read with its own language's analyser: an item has
//! its document of the originals (`language` empty) and one per language it is translated
//! into, holding the translated texts and, where a text is not translated, the original.
//! The index is derived data: the documents are dropped here and written again when the
//! schema is brought up to date (items without a document are indexed then).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
DELETE FROM search_documents;
ALTER TABLE search_documents ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE search_documents DROP CONSTRAINT search_documents_pkey;
ALTER TABLE search_documents ADD PRIMARY KEY (item_kind, item_id, language)
"#;

const POSTGRES_DOWN: &str = r#"
DELETE FROM search_documents;
ALTER TABLE search_documents DROP CONSTRAINT search_documents_pkey;
ALTER TABLE search_documents DROP COLUMN language;
ALTER TABLE search_documents ADD PRIMARY KEY (item_kind, item_id)
"#;

/// SQLite cannot change a table's unique key: the documents, their FTS5 index and its
/// triggers are made again, empty, with `columns` beside the texts and `key` unique. The
/// script runs as one, on one connection: the triggers it drops and makes again keep their
/// names, and another connection of the pool could still see the old ones.
fn sqlite_documents(columns: &str, key: &str) -> String {
    format!(
        r#"
DROP TRIGGER search_documents_update;
DROP TRIGGER search_documents_delete;
DROP TRIGGER search_documents_insert;
DROP TABLE search_index;
DROP TABLE search_documents;
CREATE TABLE search_documents (
    doc INTEGER PRIMARY KEY,
    item_kind TEXT NOT NULL,
    item_id BLOB NOT NULL,{columns}
    title TEXT NOT NULL,
    extra TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE ({key})
);
CREATE VIRTUAL TABLE search_index USING fts5 (title, extra, summary, body, content = 'search_documents', content_rowid = 'doc', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER search_documents_insert AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_index (rowid, title, extra, summary, body) VALUES (new.doc, new.title, new.extra, new.summary, new.body);
END;
CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, title, extra, summary, body) VALUES ('delete', old.doc, old.title, old.extra, old.summary, old.body);
END;
CREATE TRIGGER search_documents_update AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, title, extra, summary, body) VALUES ('delete', old.doc, old.title, old.extra, old.summary, old.body);
    INSERT INTO search_index (rowid, title, extra, summary, body) VALUES (new.doc, new.title, new.extra, new.summary, new.body);
END
"#
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_UP).await,
            _ => {
                let script = sqlite_documents(
                    "\n    language TEXT NOT NULL DEFAULT '',",
                    "item_kind, item_id, language",
                );
                one_connection(manager, &script).await
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_DOWN).await,
            _ => one_connection(manager, &sqlite_documents("", "item_kind, item_id")).await,
        }
    }
}

/// Runs a whole SQLite script on one connection.
async fn one_connection(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(script)
        .await
        .map(|_| ())
}
