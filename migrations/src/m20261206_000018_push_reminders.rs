//! Web Push reminders: a push subscription may ask to hear of events that start soon near a
//! point (the person's, given by their browser when they opt in), and each reminder is
//! recorded once per subscription and date, so that no replica sends it twice.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE push_subscriptions ADD COLUMN near_latitude {float};
ALTER TABLE push_subscriptions ADD COLUMN near_longitude {float};
ALTER TABLE push_subscriptions ADD COLUMN near_radius_meters BIGINT;
ALTER TABLE push_subscriptions ADD COLUMN near_minutes BIGINT;
CREATE TABLE push_reminders (
    subscription_id {uuid} NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    occurrence_id {uuid} NOT NULL REFERENCES event_occurrences (id) ON DELETE CASCADE,
    sent_at {ts} NOT NULL,
    PRIMARY KEY (subscription_id, occurrence_id)
);
CREATE INDEX push_reminders_sent ON push_reminders (sent_at);
CREATE INDEX push_reminders_occurrence ON push_reminders (occurrence_id)
"#;

const DOWN: &str = r#"
DROP TABLE push_reminders;
ALTER TABLE push_subscriptions DROP COLUMN near_minutes;
ALTER TABLE push_subscriptions DROP COLUMN near_radius_meters;
ALTER TABLE push_subscriptions DROP COLUMN near_longitude;
ALTER TABLE push_subscriptions DROP COLUMN near_latitude
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
