//! News has categories of its own (kind `ARTICLE`, in the same `categories` table as those
//! of places and events): `article_categories` links an article to its categories, in the
//! editor's order.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE article_categories (
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    category_id {uuid} NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, category_id)
);
CREATE INDEX article_categories_category ON article_categories (category_id, article_id);
ALTER TABLE article_revisions ADD COLUMN categories TEXT NOT NULL DEFAULT '|'
"#;

const DOWN: &str = r#"
ALTER TABLE article_revisions DROP COLUMN categories;
DROP TABLE article_categories
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
