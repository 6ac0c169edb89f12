//! Mail for accounts: a person's address is verified when they follow the link mailed to
//! it, and a forgotten password is reset the same way. The links carry single-use tokens,
//! stored as SHA-256 hashes like refresh tokens, each for one purpose and until a time.
//! Accounts made before verification existed count as verified.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE users ADD COLUMN email_verified_at {ts};
UPDATE users SET email_verified_at = created_at;
CREATE TABLE account_tokens (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    used_at {ts}
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expiry ON account_tokens (expires_at)
"#;

const DOWN: &str = r#"
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN email_verified_at
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
