//! The graph's object types, enums and inputs. Each object wraps what storage returns and
//! resolves its relations through the request's loaders.

pub(crate) mod accessibility;
pub(crate) mod account;
pub(crate) mod article;
pub(crate) mod catalog;
pub(crate) mod change;
pub(crate) mod columns;
pub(crate) mod community;
pub(crate) mod connection;
pub(crate) mod event;
pub(crate) mod facets;
pub(crate) mod feed;
pub(crate) mod media;
pub(crate) mod node;
pub(crate) mod picture;
pub(crate) mod place;
pub(crate) mod scalars;
pub(crate) mod search;
pub(crate) mod translation;
pub(crate) mod webhook;

use async_graphql::{Enum, InputObject, SimpleObject};
use capitole_domain::geo::{BoundingBox, Coordinates, RadiusMeters};
use capitole_domain::text::decode_codes;

use crate::error::ApiError;
use crate::text;

/// A place of the city: a museum, a market, a pool, a park, a café…
///
/// Its fields are resolved in `place.rs`. It is declared here because events, tips and
/// check-ins point at their place while a place lists its events, tips and mayor: the files
/// of both sides import this one instead of each other.
#[derive(Clone)]
pub(crate) struct Place(pub capitole_persistence::entities::place::Model);

/// Who a piece of news or an event is meant for.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::Audience")]
pub(crate) enum Audience {
    /// Everybody.
    Everyone,
    /// Children and teenagers.
    Youth,
    /// Students.
    Students,
    /// Working people from about 20 to 40.
    YoungProfessionals,
    /// Parents with children.
    Families,
    /// Older people.
    Seniors,
    /// Visitors to the city.
    Tourists,
}

/// Kinds of disability an event or place is prepared for.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::event::Accessibility")]
pub(crate) enum Accessibility {
    /// Deaf and hard-of-hearing people (hearing loop, sign language).
    Hearing,
    /// Blind and partially sighted people (audio description, braille).
    Visual,
    /// People with reduced mobility (step-free access).
    Motor,
    /// People with intellectual disabilities (easy-to-read, calm guidance).
    Intellectual,
    /// People with psychic disabilities (quiet spaces, trained staff).
    Psychic,
}

/// Which tree a category belongs to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::event::CategoryKind")]
pub(crate) enum CategoryKind {
    /// Categories of places.
    Place,
    /// Categories of events.
    Event,
    /// Categories of news articles.
    Article,
}

/// How a long text is served.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub(crate) enum TextFormat {
    /// As written, in Markdown.
    #[default]
    Markdown,
    /// As sanitised HTML, safe to insert in a page.
    Html,
    /// As plain text, for screen readers, notifications and low bandwidth.
    Plain,
}

impl TextFormat {
    /// `markdown` served as this format asks, or as plain text instead of Markdown when the
    /// request asks to save data.
    pub(crate) fn render_for(self, ctx: &async_graphql::Context<'_>, markdown: &str) -> String {
        let saving = crate::context::scope(ctx).is_ok_and(|s| s.low_bandwidth);
        match self {
            TextFormat::Markdown if saving => TextFormat::Plain.render(markdown),
            format => format.render(markdown),
        }
    }

    pub(crate) fn render(self, markdown: &str) -> String {
        match self {
            TextFormat::Markdown => markdown.to_owned(),
            TextFormat::Html => text::to_html(markdown),
            TextFormat::Plain => text::to_plain_text(markdown),
        }
    }
}

/// A circle on the map.
#[derive(InputObject, Clone, Copy)]
pub(crate) struct GeoCircleInput {
    /// Latitude of the centre, in degrees (−90 to 90).
    pub latitude: f64,
    /// Longitude of the centre, in degrees (−180 to 180).
    pub longitude: f64,
    /// Radius in metres (1 to 50000).
    pub radius_meters: i32,
}

impl GeoCircleInput {
    pub(crate) fn parse(self) -> Result<(Coordinates, RadiusMeters), ApiError> {
        let point = Coordinates::parse(self.latitude, self.longitude)
            .map_err(|e| ApiError::bad_input(e.to_string()))?;
        let radius = RadiusMeters::parse(i64::from(self.radius_meters))
            .map_err(|e| ApiError::bad_input(e.to_string()))?;
        Ok((point, radius))
    }
}

/// A map's viewport: its south-west and north-east corners.
#[derive(InputObject, Clone, Copy)]
pub(crate) struct BoundingBoxInput {
    /// The south-west corner.
    pub south_west: GeoPointInput,
    /// The north-east corner.
    pub north_east: GeoPointInput,
}

impl BoundingBoxInput {
    pub(crate) fn parse(self) -> Result<BoundingBox, ApiError> {
        let (sw, ne) = (self.south_west.parse()?, self.north_east.parse()?);
        let bbox = BoundingBox {
            min_latitude: sw.latitude.degrees(),
            max_latitude: ne.latitude.degrees(),
            min_longitude: sw.longitude.degrees(),
            max_longitude: ne.longitude.degrees(),
        };
        if bbox.min_latitude > bbox.max_latitude {
            return Err(ApiError::bad_input(
                "`bbox`: the south-west corner is north of the north-east one",
            ));
        }
        if bbox.min_longitude > bbox.max_longitude {
            return Err(ApiError::bad_input(
                "`bbox`: the south-west corner is east of the north-east one (a box across the 180th meridian is not supported)",
            ));
        }
        Ok(bbox)
    }
}

/// A point on the map.
#[derive(InputObject, Clone, Copy)]
pub(crate) struct GeoPointInput {
    /// Latitude in degrees (−90 to 90).
    pub latitude: f64,
    /// Longitude in degrees (−180 to 180).
    pub longitude: f64,
}

impl GeoPointInput {
    pub(crate) fn parse(self) -> Result<Coordinates, ApiError> {
        Coordinates::parse(self.latitude, self.longitude)
            .map_err(|e| ApiError::bad_input(e.to_string()))
    }
}

/// A point on the map with its postal address.
#[derive(SimpleObject, Clone)]
pub(crate) struct Location {
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// Street address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// Town.
    pub city: String,
}

/// How to reach someone.
#[derive(SimpleObject, Clone)]
pub(crate) struct Contact {
    /// Telephone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<scalars::Email>,
    /// Web site.
    pub website: Option<scalars::Url>,
}

/// A point on the map.
#[derive(SimpleObject, Clone, Copy)]
pub(crate) struct GeoPoint {
    /// Latitude in degrees (−90 to 90).
    pub latitude: f64,
    /// Longitude in degrees (−180 to 180).
    pub longitude: f64,
}

/// Reads a stored list of accessibility codes.
pub(crate) fn accessibility_of(encoded: &str) -> Vec<Accessibility> {
    decode_codes(encoded)
        .filter_map(capitole_domain::event::Accessibility::from_code)
        .map(Accessibility::from)
        .collect()
}

/// Reads a stored list of audience codes.
pub(crate) fn audiences_of(encoded: &str) -> Vec<Audience> {
    decode_codes(encoded)
        .filter_map(capitole_domain::Audience::from_code)
        .map(Audience::from)
        .collect()
}

/// The most items a list argument (categories, audiences…) takes.
pub(crate) const MAX_LIST_ARGUMENT: usize = 50;
/// The longest search text.
pub(crate) const MAX_SEARCH_CHARS: usize = 200;

/// Checks the length of a list argument.
pub(crate) fn check_list<T>(name: &str, items: &[T]) -> Result<(), ApiError> {
    if items.len() > MAX_LIST_ARGUMENT {
        return Err(ApiError::bad_input(format!(
            "`{name}` takes at most {MAX_LIST_ARGUMENT} items, got {}",
            items.len()
        )));
    }
    Ok(())
}

/// Analyses a search text (see `capitole_domain::search`); one without a word to look for
/// (empty, or only words such as "le" or "des") means no search.
pub(crate) fn search_text(
    search: Option<&str>,
) -> Result<Option<capitole_domain::search::SearchQuery>, ApiError> {
    let Some(search) = search else {
        return Ok(None);
    };
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_input(format!(
            "`search` has at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    Ok(capitole_domain::search::SearchQuery::parse(search))
}
