//! What residents add to places and events: check-ins, tips with their likes and reports,
//! likes and dislikes of places, saved items and "going" to a date; the counters that keep
//! place statistics cheap to read; and each person's privacy choices.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE users ADD COLUMN check_ins_public {bool} NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN hidden_from_mayor {bool} NOT NULL DEFAULT FALSE;
CREATE TABLE check_ins (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    message TEXT,
    idempotency_key TEXT,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX check_ins_place_time ON check_ins (place_id, created_at);
CREATE INDEX check_ins_user_place_time ON check_ins (user_id, place_id, created_at);
CREATE INDEX check_ins_time ON check_ins (created_at, place_id);
CREATE TABLE tips (
    id {uuid} PRIMARY KEY,
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at {ts} NOT NULL,
    like_count BIGINT NOT NULL DEFAULT 0,
    report_count BIGINT NOT NULL DEFAULT 0,
    hidden_at {ts},
    hidden_by {uuid}
);
CREATE INDEX tips_place_latest ON tips (place_id, created_at, id);
CREATE INDEX tips_user ON tips (user_id, created_at);
CREATE INDEX tips_reported ON tips (report_count, created_at) WHERE report_count > 0;
CREATE TABLE tip_likes (
    tip_id {uuid} NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    PRIMARY KEY (tip_id, user_id)
);
CREATE TABLE tip_reports (
    tip_id {uuid} NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT,
    created_at {ts} NOT NULL,
    PRIMARY KEY (tip_id, user_id)
);
CREATE TABLE place_votes (
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vote TEXT NOT NULL,
    updated_at {ts} NOT NULL,
    PRIMARY KEY (place_id, user_id)
);
CREATE TABLE place_stats (
    place_id {uuid} PRIMARY KEY REFERENCES places (id) ON DELETE CASCADE,
    check_ins BIGINT NOT NULL DEFAULT 0,
    visitors BIGINT NOT NULL DEFAULT 0,
    tips BIGINT NOT NULL DEFAULT 0,
    likes BIGINT NOT NULL DEFAULT 0,
    dislikes BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE saves (
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_kind TEXT NOT NULL,
    item_id {uuid} NOT NULL,
    created_at {ts} NOT NULL,
    PRIMARY KEY (user_id, item_kind, item_id)
);
CREATE INDEX saves_user_latest ON saves (user_id, created_at);
CREATE TABLE attendances (
    user_id {uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    occurrence_id {uuid} NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    PRIMARY KEY (user_id, occurrence_id)
);
CREATE INDEX attendances_occurrence ON attendances (occurrence_id)
"#;

const DOWN: &str = r#"
DROP TABLE attendances;
DROP TABLE saves;
DROP TABLE place_stats;
DROP TABLE place_votes;
DROP TABLE tip_reports;
DROP TABLE tip_likes;
DROP TABLE tips;
DROP TABLE check_ins;
ALTER TABLE users DROP COLUMN hidden_from_mayor;
ALTER TABLE users DROP COLUMN check_ins_public
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
