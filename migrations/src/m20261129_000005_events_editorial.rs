//! Events and places written by editors and synchronised from the publishers' agendas:
//! versions for optimistic concurrency, the (source, external id) of items another system
//! owns, how a recurring event was defined (to expand it again), the neighbourhoods an event
//! concerns, and the closure of places.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE events ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN source TEXT;
ALTER TABLE events ADD COLUMN external_id TEXT;
ALTER TABLE events ADD COLUMN recurrence_start TEXT;
ALTER TABLE events ADD COLUMN recurrence_exceptions TEXT NOT NULL DEFAULT '|';
CREATE UNIQUE INDEX events_external ON events (source, external_id);
ALTER TABLE places ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE places ADD COLUMN source TEXT;
ALTER TABLE places ADD COLUMN external_id TEXT;
ALTER TABLE places ADD COLUMN closure TEXT NOT NULL DEFAULT 'OPEN';
ALTER TABLE places ADD COLUMN closed_until {ts};
CREATE UNIQUE INDEX places_external ON places (source, external_id);
CREATE TABLE event_neighborhoods (
    event_id {uuid} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    neighborhood_id {uuid} NOT NULL REFERENCES neighborhoods (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, neighborhood_id)
);
CREATE INDEX event_neighborhoods_neighborhood ON event_neighborhoods (neighborhood_id, event_id)
"#;

const DOWN: &str = r#"
DROP TABLE event_neighborhoods;
DROP INDEX places_external;
ALTER TABLE places DROP COLUMN closed_until;
ALTER TABLE places DROP COLUMN closure;
ALTER TABLE places DROP COLUMN external_id;
ALTER TABLE places DROP COLUMN source;
ALTER TABLE places DROP COLUMN version;
DROP INDEX events_external;
ALTER TABLE events DROP COLUMN recurrence_exceptions;
ALTER TABLE events DROP COLUMN recurrence_start;
ALTER TABLE events DROP COLUMN external_id;
ALTER TABLE events DROP COLUMN source;
ALTER TABLE events DROP COLUMN version
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
