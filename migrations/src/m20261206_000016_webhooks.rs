//! Webhooks: third-party apps' endpoints, and the queue of their deliveries. A delivery is
//! queued once per endpoint and change of the log (its position is unique per endpoint),
//! whichever replica queues it first; a replica claims it for a while before calling the
//! endpoint, so that two replicas never send it at once, and records each attempt. The
//! cursor says how far in the log deliveries have been queued, so that a restart resumes
//! there.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE webhooks (
    id {uuid} PRIMARY KEY,
    token_id {uuid} NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    filter TEXT,
    status TEXT NOT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    disabled_at {ts}
);
CREATE INDEX webhooks_token ON webhooks (token_id, created_at);
CREATE TABLE webhook_deliveries (
    id {uuid} PRIMARY KEY,
    webhook_id {uuid} NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    change_position BIGINT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL,
    next_attempt_at {ts} NOT NULL,
    last_attempt_at {ts},
    response_code BIGINT,
    error TEXT,
    delivered_at {ts},
    claim {uuid},
    claimed_until {ts},
    UNIQUE (webhook_id, change_position)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_of_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE TABLE webhook_cursor (
    name TEXT PRIMARY KEY,
    position TEXT NOT NULL
)
"#;

const DOWN: &str = r#"
DROP TABLE webhook_cursor;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks
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
