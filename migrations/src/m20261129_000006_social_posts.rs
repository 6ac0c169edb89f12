//! Social syndication as data: each article or event records the posts that announced it
//! on Facebook, X, Instagram, Dailymotion, Flickr, Scoop.it, Foursquare and others.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE social_posts (
    id {uuid} PRIMARY KEY,
    item_kind TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    network TEXT NOT NULL,
    url TEXT NOT NULL,
    posted_at {ts} NOT NULL,
    recorded_by {uuid},
    created_at {ts} NOT NULL,
    UNIQUE (item_kind, item_id, url)
);
CREATE INDEX social_posts_item ON social_posts (item_id, posted_at)
"#;

const DOWN: &str = r#"
DROP TABLE social_posts
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
