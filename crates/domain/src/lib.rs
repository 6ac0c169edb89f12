//! The city as Capitole understands it: organizations, news, events, places and the rules
//! that hold between them (coordinates in range, slugs, page sizes, city-time windows,
//! opening hours, recurrence, media and social links). Plain Rust: no database, HTTP or
//! GraphQL types live here.

pub mod access;
pub mod accessibility;
pub mod agenda;
pub mod article;
pub mod article_draft;
pub mod audit;
pub mod calendar;
pub mod change;
pub mod community;
pub mod editorial;
pub mod event;
pub mod feed;
pub mod geo;
pub mod ids;
pub mod language;
pub mod media;
pub mod opening_hours;
pub mod organization;
pub mod paging;
pub mod picture;
pub mod place;
pub mod recurrence;
pub mod schedule;
pub mod search;
pub mod social;
pub mod text;
pub mod translation;
pub mod values;
pub mod webhook;
pub mod weblink;
pub mod windows;

pub use geo::{Coordinates, Latitude, Longitude, RadiusMeters};
pub use values::{Audience, Slug};
