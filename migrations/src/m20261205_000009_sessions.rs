//! One row per session, the one place a session is closed.
//!
//! A session used to exist only as the family of its refresh tokens, and closing it meant
//! marking every token of the family revoked. That touches only the tokens that exist when
//! it runs: a refresh that spent the old token before a logout and inserted the new one
//! after it left a live token in a closed family. Now every session has a row in
//! `sessions`; logging out, changing the password and replaying a spent token set its
//! `revoked_at`, and every refresh and every request checks that row. A refresh takes the
//! row's lock before it spends its token, so a refresh and a logout are ordered one way or
//! the other, never interleaved.
//!
//! Existing families become sessions: open when any of their tokens was still unrevoked.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE sessions (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    refreshed_at {ts} NOT NULL,
    revoked_at {ts}
);
CREATE INDEX sessions_user ON sessions (user_id);
INSERT INTO sessions (id, user_id, created_at, refreshed_at, revoked_at)
SELECT family_id, user_id, MIN(created_at), MAX(created_at),
       CASE WHEN SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END) > 0 THEN NULL
            ELSE MAX(revoked_at) END
FROM refresh_tokens
GROUP BY family_id, user_id;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at)
"#;

const DOWN: &str = r#"
DROP INDEX refresh_tokens_expiry;
DROP TABLE sessions
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
