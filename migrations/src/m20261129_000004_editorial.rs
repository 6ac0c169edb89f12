//! The editorial trail: versions for optimistic concurrency, review requests, slugs that
//! keep resolving after a change, revisions of articles and an audit log of every
//! editorial write.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE articles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN review_requested_at {ts};
CREATE INDEX articles_scheduled ON articles (published_at) WHERE status = 'SCHEDULED';
CREATE TABLE slug_history (
    kind TEXT NOT NULL,
    slug TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    retired_at {ts} NOT NULL,
    PRIMARY KEY (kind, slug)
);
CREATE INDEX slug_history_item ON slug_history (item_id);
CREATE TABLE article_revisions (
    id {uuid} PRIMARY KEY,
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    easy_read_summary TEXT,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    audiences TEXT NOT NULL,
    status TEXT NOT NULL,
    author_id {uuid},
    created_at {ts} NOT NULL,
    UNIQUE (article_id, version)
);
CREATE TABLE audit_log (
    id {uuid} PRIMARY KEY,
    at {ts} NOT NULL,
    actor_id {uuid},
    actor TEXT NOT NULL,
    organization_id {uuid},
    item_kind TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    action TEXT NOT NULL,
    changes {json} NOT NULL
);
CREATE INDEX audit_log_item ON audit_log (item_kind, item_id, at);
CREATE INDEX audit_log_organization ON audit_log (organization_id, at, id);
CREATE INDEX audit_log_at ON audit_log (at, id)
"#;

const DOWN: &str = r#"
DROP TABLE audit_log;
DROP TABLE article_revisions;
DROP TABLE slug_history;
DROP INDEX articles_scheduled;
ALTER TABLE articles DROP COLUMN review_requested_at;
ALTER TABLE articles DROP COLUMN version
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
