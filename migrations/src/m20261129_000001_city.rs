//! The city: organizations, neighbourhoods, categories, places, events with their
//! occurrences, and news articles with their links to the rest.

use sea_orm_migration::prelude::*;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE organizations (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    website TEXT,
    description TEXT NOT NULL DEFAULT '',
    social_accounts {json} NOT NULL DEFAULT '[]',
    created_at {ts} NOT NULL
);
CREATE TABLE neighborhoods (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    latitude {float},
    longitude {float}
);
CREATE TABLE categories (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id {uuid} REFERENCES categories (id) ON DELETE RESTRICT
);
CREATE INDEX categories_kind_name ON categories (kind, name);
CREATE INDEX categories_parent ON categories (parent_id);
CREATE TABLE places (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    latitude {float} NOT NULL,
    longitude {float} NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    neighborhood_id {uuid} REFERENCES neighborhoods (id) ON DELETE SET NULL,
    phone TEXT,
    email TEXT,
    website TEXT,
    opening_hours {json} NOT NULL DEFAULT '{}',
    accessibility TEXT NOT NULL DEFAULT '|',
    owner_organization_id {uuid} REFERENCES organizations (id) ON DELETE SET NULL,
    popularity BIGINT NOT NULL DEFAULT 0,
    rating {float},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX places_name ON places (name_folded, id);
CREATE INDEX places_popularity ON places (popularity, id);
CREATE INDEX places_rating ON places (rating, id);
CREATE INDEX places_neighborhood ON places (neighborhood_id);
CREATE INDEX places_latitude ON places (latitude, longitude);
CREATE TABLE place_categories (
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    category_id {uuid} NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (place_id, category_id)
);
CREATE INDEX place_categories_category ON place_categories (category_id, place_id);
CREATE TABLE events (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    easy_read_summary TEXT,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    attendance_mode TEXT NOT NULL,
    online_url TEXT,
    age_min BIGINT,
    age_max BIGINT,
    accessibility TEXT NOT NULL DEFAULT '|',
    audiences TEXT NOT NULL DEFAULT '|',
    is_free {bool} NOT NULL,
    price TEXT,
    registration_url TEXT,
    registration_phone TEXT,
    registration_email TEXT,
    place_id {uuid} REFERENCES places (id) ON DELETE SET NULL,
    location_text TEXT,
    organization_id {uuid} NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    recurrence_rule TEXT,
    duration_minutes BIGINT NOT NULL DEFAULT 60,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX events_place ON events (place_id);
CREATE INDEX events_organization ON events (organization_id);
CREATE TABLE event_categories (
    event_id {uuid} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    category_id {uuid} NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, category_id)
);
CREATE INDEX event_categories_category ON event_categories (category_id, event_id);
CREATE TABLE event_occurrences (
    id {uuid} PRIMARY KEY,
    event_id {uuid} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    starts_at {ts} NOT NULL,
    ends_at {ts} NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (event_id, starts_at)
);
CREATE INDEX event_occurrences_upcoming ON event_occurrences (starts_at, event_id);
CREATE INDEX event_occurrences_open ON event_occurrences (starts_at, event_id) WHERE status <> 'CANCELLED';
CREATE INDEX event_occurrences_open_by_event ON event_occurrences (event_id, starts_at) WHERE status <> 'CANCELLED';
CREATE TABLE articles (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    easy_read_summary TEXT,
    body TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    published_at {ts},
    author_name TEXT,
    cover_url TEXT,
    cover_alt TEXT,
    cover_credit TEXT,
    media {json} NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '|',
    audiences TEXT NOT NULL DEFAULT '|',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE INDEX articles_latest ON articles (published_at, id);
CREATE TABLE article_organizations (
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    organization_id {uuid} NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, organization_id)
);
CREATE INDEX article_organizations_organization ON article_organizations (organization_id, article_id);
CREATE TABLE article_neighborhoods (
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    neighborhood_id {uuid} NOT NULL REFERENCES neighborhoods (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, neighborhood_id)
);
CREATE INDEX article_neighborhoods_neighborhood ON article_neighborhoods (neighborhood_id, article_id);
CREATE TABLE article_events (
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    event_id {uuid} NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, event_id)
);
CREATE TABLE article_places (
    article_id {uuid} NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    place_id {uuid} NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, place_id)
)
"#;

const DOWN: &str = r#"
DROP TABLE article_places;
DROP TABLE article_events;
DROP TABLE article_neighborhoods;
DROP TABLE article_organizations;
DROP TABLE articles;
DROP TABLE event_occurrences;
DROP TABLE event_categories;
DROP TABLE events;
DROP TABLE place_categories;
DROP TABLE places;
DROP TABLE categories;
DROP TABLE neighborhoods;
DROP TABLE organizations
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
