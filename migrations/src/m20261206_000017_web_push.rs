//! Web Push: the browsers' push subscriptions of signed-in people, with what each wants to
//! hear of, and the VAPID key generated where none is configured (on PostgreSQL, only when
//! generated keys may live in the database). The cursor that webhooks keep in the change
//! log joins the cursors of every follower of the log that resumes after a restart (Web
//! Push has its own).

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE webhook_cursor RENAME TO log_cursors;
UPDATE log_cursors SET name = 'webhooks' WHERE name = 'deliveries';
CREATE TABLE push_subscriptions (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    news TEXT,
    going {bool} NOT NULL,
    created_at {ts} NOT NULL,
    last_sent_at {ts}
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
CREATE TABLE push_keys (
    name TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    created_at {ts} NOT NULL
)
"#;

const DOWN: &str = r#"
DROP TABLE push_keys;
DROP TABLE push_subscriptions;
DELETE FROM log_cursors WHERE name <> 'webhooks';
UPDATE log_cursors SET name = 'deliveries' WHERE name = 'webhooks';
ALTER TABLE log_cursors RENAME TO webhook_cursor
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
