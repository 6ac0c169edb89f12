//! Events and places have publishers, as articles do: one or more organizations each, in
//! order (the first is the one the change log names), in `event_organizations` and
//! `place_organizations`. An event's organizer and a place's owner become their first
//! publisher; the columns that held them go. Going down keeps each item's first publisher
//! (an event without one is not possible before this step: those are refused).

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE event_organizations (
    event_id {uuid} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    organization_id {uuid} NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, organization_id)
);
CREATE INDEX event_organizations_organization ON event_organizations (organization_id, event_id);
CREATE TABLE place_organizations (
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    organization_id {uuid} NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (place_id, organization_id)
);
CREATE INDEX place_organizations_organization ON place_organizations (organization_id, place_id);
INSERT INTO event_organizations (event_id, organization_id, position)
    SELECT id, organization_id, 0 FROM events;
INSERT INTO place_organizations (place_id, organization_id, position)
    SELECT id, owner_organization_id, 0 FROM places WHERE owner_organization_id IS NOT NULL;
DROP INDEX events_organization;
ALTER TABLE events DROP COLUMN organization_id;
ALTER TABLE places DROP COLUMN owner_organization_id
"#;

const DOWN: &str = r#"
ALTER TABLE places ADD COLUMN owner_organization_id {uuid} REFERENCES organizations (id) ON DELETE SET NULL;
UPDATE places SET owner_organization_id = (
    SELECT l.organization_id FROM place_organizations l WHERE l.place_id = places.id
    ORDER BY l.position LIMIT 1
);
ALTER TABLE events ADD COLUMN organization_id {uuid} REFERENCES organizations (id) ON DELETE RESTRICT;
UPDATE events SET organization_id = (
    SELECT l.organization_id FROM event_organizations l WHERE l.event_id = events.id
    ORDER BY l.position LIMIT 1
);
CREATE INDEX events_organization ON events (organization_id);
DROP TABLE place_organizations;
DROP TABLE event_organizations
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
