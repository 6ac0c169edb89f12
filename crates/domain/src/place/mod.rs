//! Places: venues of the city, with their categories, location and opening hours; what an
//! editor sets on them ([`PlaceContent`]) and whether they receive visitors ([`Closure`]).
//! Drafts and patches parsed from forms are in [`draft`], opening hours as forms give
//! them in [`hours`].

pub mod draft;
pub mod hours;

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use crate::accessibility::AccessibilityStatement;
use crate::agenda::PlaceClosure;
use crate::coded_enum;
use crate::editorial::FieldErrors;
use crate::geo::Coordinates;
use crate::media::Media;
use crate::opening_hours::OpeningHours;
use crate::picture::Picture;
use crate::values::Slug;

pub use draft::{ContactForm, LocationForm, PlaceDraft, PlaceForm, PlacePatch, PlacePatchForm};
pub use hours::{ExceptionForm, OpeningHoursForm, WeeklyForm};

coded_enum! {
    /// How a list of places is ordered.
    pub enum PlaceOrder {
        /// Nearest first (needs a point to measure from).
        Distance = "DISTANCE",
        /// Most visited first.
        Popularity = "POPULARITY",
        /// Best rated first; unrated places last.
        Rating = "RATING",
        /// Alphabetical, ignoring accents and case.
        Name = "NAME",
    }
}

/// Characters of a place's description.
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// Characters of a street address.
pub const MAX_ADDRESS_CHARS: usize = 300;
/// Characters of a postal code.
pub const MAX_POSTAL_CODE_CHARS: usize = 10;
/// Characters of a city's name.
pub const MAX_CITY_CHARS: usize = 100;

/// Where a place is.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Its point.
    pub coordinates: Coordinates,
    /// Street address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

/// How to reach a place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address (lowercase).
    pub email: Option<String>,
    /// An https website.
    pub website: Option<String>,
}

/// Everything an editor sets on a place; whether it is closed is apart ([`Closure`]), since
/// that is the city's decision and never a publisher's system's.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceContent {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its easy-to-read summary: short sentences in plain words.
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first.
    pub pictures: Vec<Picture>,
    /// Its videos, photos and albums on the city's channels.
    pub media: Vec<Media>,
    /// Where it is.
    pub location: Location,
    /// Its categories, in the editor's order.
    pub categories: Vec<Uuid>,
    /// Its neighbourhood.
    pub neighborhood: Option<Uuid>,
    /// How to reach it.
    pub contact: Contact,
    /// When it is open.
    pub opening_hours: OpeningHours,
    /// Who it is prepared for.
    pub accessibility: AccessibilityStatement,
    /// Its publishers, in order: the organizations that run it; places without any are the
    /// administrators'.
    pub publishers: Vec<Uuid>,
}

/// Whether a place receives visitors, and until when it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closure {
    /// Open, closed for a while or closed for good.
    pub state: PlaceClosure,
    /// When a temporary closure ends, if known.
    pub until: Option<DateTime<Utc>>,
}

impl Closure {
    /// Open as its hours say.
    pub const OPEN: Closure = Closure {
        state: PlaceClosure::Open,
        until: None,
    };

    /// Closing a place at `now`: until `until` (in the future, to the second) for a
    /// temporary closure, for good without it.
    pub fn closing(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if until.is_some_and(|u| u <= now) {
            errors.add("until", "must be in the future; use reopenPlace to reopen");
        }
        let state = if until.is_some() {
            PlaceClosure::TemporarilyClosed
        } else {
            PlaceClosure::PermanentlyClosed
        };
        errors.into_result(Self {
            state,
            until: until.map(|u| u.trunc_subsecs(0)),
        })
    }
}

/// What an edit makes of a place: its content, and its closure and slug when they change.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceEdit {
    /// The place's content after the edit.
    pub content: PlaceContent,
    /// Its closure after the edit, when it changes.
    pub closure: Option<Closure>,
    /// Its new slug, when it changes; the old one keeps leading to it.
    pub slug: Option<Slug>,
}

impl PlaceEdit {
    /// Changes only the closure of a place whose content is `current`.
    pub fn closure(current: &PlaceContent, closure: Closure) -> Self {
        Self {
            content: current.clone(),
            closure: Some(closure),
            slug: None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_place_closes_until_a_future_instant_or_for_good() {
        let now = utc("2026-05-01T10:00:00Z");
        let until = utc("2026-06-01T00:00:00.750Z");
        let closure = Closure::closing(Some(until), now).unwrap();
        assert_eq!(closure.state, PlaceClosure::TemporarilyClosed);
        assert_eq!(closure.until, Some(utc("2026-06-01T00:00:00Z")));
        let closure = Closure::closing(None, now).unwrap();
        assert_eq!(closure.state, PlaceClosure::PermanentlyClosed);
        let errors = Closure::closing(Some(now), now).unwrap_err();
        assert_eq!(errors.fields()[0].field, "until");
    }
}
