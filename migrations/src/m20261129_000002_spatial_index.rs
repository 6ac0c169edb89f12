//! The index that answers "nearest places within r" by walking neighbours instead of
//! measuring every place in the circle.
//!
//! PostgreSQL: a stored `earth` point (extensions `cube` and `earthdistance`) with a GiST
//! index, whose `<->` ordering yields places nearest first. SQLite: an R*Tree over the
//! places' coordinates, kept in step by triggers, that narrows a search to a box.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::{run_script, run_sqlite};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE places ADD COLUMN earth_point earth GENERATED ALWAYS AS (ll_to_earth(latitude, longitude)) STORED;
CREATE INDEX places_earth_point ON places USING gist (earth_point);
CREATE INDEX places_name_search ON places USING gin (name_folded gin_trgm_ops);
CREATE INDEX events_search ON events USING gin (search_text gin_trgm_ops);
CREATE INDEX articles_search ON articles USING gin (search_text gin_trgm_ops)
"#;

const POSTGRES_DOWN: &str = r#"
DROP INDEX articles_search;
DROP INDEX events_search;
DROP INDEX places_name_search;
DROP INDEX places_earth_point;
ALTER TABLE places DROP COLUMN earth_point
"#;

// The R*Tree numbers its own rows; the place's id rides along as an auxiliary column, which
// the rare update or delete of a place finds by scanning.
const SQLITE_UP: &str = r#"
CREATE VIRTUAL TABLE places_rtree USING rtree (key, min_latitude, max_latitude, min_longitude, max_longitude, +place_id);
INSERT INTO places_rtree (min_latitude, max_latitude, min_longitude, max_longitude, place_id)
    SELECT latitude, latitude, longitude, longitude, id FROM places;
CREATE TRIGGER places_rtree_insert AFTER INSERT ON places BEGIN
    INSERT INTO places_rtree (min_latitude, max_latitude, min_longitude, max_longitude, place_id)
        VALUES (new.latitude, new.latitude, new.longitude, new.longitude, new.id);
END;
CREATE TRIGGER places_rtree_update AFTER UPDATE OF latitude, longitude ON places BEGIN
    UPDATE places_rtree SET min_latitude = new.latitude, max_latitude = new.latitude,
        min_longitude = new.longitude, max_longitude = new.longitude
        WHERE place_id = new.id;
END;
CREATE TRIGGER places_rtree_delete AFTER DELETE ON places BEGIN
    DELETE FROM places_rtree WHERE place_id = old.id;
END
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER places_rtree_delete;
DROP TRIGGER places_rtree_update;
DROP TRIGGER places_rtree_insert;
DROP TABLE places_rtree
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_UP).await,
            _ => run_sqlite(manager, SQLITE_UP).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => run_script(manager, POSTGRES_DOWN).await,
            _ => run_sqlite(manager, SQLITE_DOWN).await,
        }
    }
}
