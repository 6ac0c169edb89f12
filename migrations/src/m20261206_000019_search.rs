//! The search index: one document per article, event and place, holding its texts as
//! Capitole's French analyser gives them (folded, stop words dropped, stemmed), in four
//! fields of falling weight: the title or name; categories, tags, neighbourhood and venue;
//! the summary; the body. Both engines index the same terms, so that they find the same.
//!
//! PostgreSQL: a weighted `tsvector` that the database derives from the fields (the
//! `simple` configuration, since the terms are analysed already), with a GIN index, and a
//! trigram index (`pg_trgm`) over the vocabulary for misspellings. SQLite: an FTS5 index
//! over the documents, kept in step by triggers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::{run_script, run_sqlite};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE search_documents (
    item_kind TEXT NOT NULL,
    item_id UUID NOT NULL,
    title TEXT NOT NULL,
    extra TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    terms tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', extra), 'B')
        || setweight(to_tsvector('simple', summary), 'C') || setweight(to_tsvector('simple', body), 'D')
    ) STORED,
    PRIMARY KEY (item_kind, item_id)
);
CREATE INDEX search_documents_terms ON search_documents USING gin (terms);
CREATE TABLE search_vocabulary (term TEXT PRIMARY KEY);
CREATE INDEX search_vocabulary_trigrams ON search_vocabulary USING gin (term gin_trgm_ops)
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE search_vocabulary;
DROP TABLE search_documents
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE search_documents (
    doc INTEGER PRIMARY KEY,
    item_kind TEXT NOT NULL,
    item_id BLOB NOT NULL,
    title TEXT NOT NULL,
    extra TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (item_kind, item_id)
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
END;
CREATE TABLE search_vocabulary (term TEXT PRIMARY KEY);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE search_vocabulary;
DROP TRIGGER search_documents_update;
DROP TRIGGER search_documents_delete;
DROP TRIGGER search_documents_insert;
DROP TABLE search_index;
DROP TABLE search_documents
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_UP).await,
            _ => run_sqlite(manager, SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_DOWN).await,
            _ => run_sqlite(manager, SQLITE_DOWN).await,
        }
    }
}
