//! Accounts and credentials: people with their roles and the organizations they edit for,
//! refresh-token families, third-party app tokens, signing keys kept for `serve` when none
//! is configured, and the counters that slow down password guessing.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    password_changed_at {ts} NOT NULL
);
CREATE TABLE user_organizations (
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id {uuid} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX user_organizations_organization ON user_organizations (organization_id);
CREATE TABLE refresh_tokens (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id {uuid} NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    spent_at {ts},
    revoked_at {ts}
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE TABLE api_tokens (
    id {uuid} PRIMARY KEY,
    app_name TEXT NOT NULL,
    contact TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    tier TEXT NOT NULL,
    created_by {uuid} REFERENCES users (id) ON DELETE SET NULL,
    created_at {ts} NOT NULL,
    revoked_at {ts},
    last_used_at {ts}
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at {ts} NOT NULL
);
CREATE TABLE login_throttle (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at {ts} NOT NULL
)
"#;

const DOWN: &str = r#"
DROP TABLE login_throttle;
DROP TABLE signing_keys;
DROP TABLE api_tokens;
DROP TABLE refresh_tokens;
DROP TABLE user_organizations;
DROP TABLE users
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
