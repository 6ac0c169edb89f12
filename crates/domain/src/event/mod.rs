//! Events of the city's agenda and their occurrences: their statuses, what an editor sets
//! on them ([`EventContent`]) and the rules that hold between those fields. Drafts and patches
//! parsed from forms ([`form`]) are in [`draft`]; dates and recurrences in [`crate::schedule`].

pub mod draft;
pub mod form;

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::accessibility::AccessibilityStatement;
use crate::coded_enum;
use crate::editorial::{FieldErrors, optional_url};
use crate::media::Media;
use crate::picture::Picture;
use crate::schedule::Schedule;
use crate::values::{Audience, Slug};

pub use draft::{EventDraft, EventPatch};
pub use form::{EventForm, EventPatchForm, RegistrationForm};

coded_enum! {
    /// Where an event stands as a whole.
    pub enum EventStatus {
        /// Going ahead as announced.
        Scheduled = "SCHEDULED",
        /// Moved to new dates, which its occurrences show.
        Rescheduled = "RESCHEDULED",
        /// Put off to dates not yet known.
        Postponed = "POSTPONED",
        /// Now taking place online only.
        MovedOnline = "MOVED_ONLINE",
        /// No places left.
        Full = "FULL",
        /// Not taking place.
        Cancelled = "CANCELLED",
    }
}

coded_enum! {
    /// How people attend an event.
    pub enum AttendanceMode {
        /// At a venue.
        InPerson = "IN_PERSON",
        /// Online only.
        Online = "ONLINE",
        /// At a venue and online.
        Mixed = "MIXED",
    }
}

coded_enum! {
    /// Kinds of disability an event or place is prepared for.
    pub enum Accessibility {
        /// Deaf and hard-of-hearing people (hearing loop, sign language).
        Hearing = "HEARING",
        /// Blind and partially sighted people (audio description, braille).
        Visual = "VISUAL",
        /// People with reduced mobility (step-free access).
        Motor = "MOTOR",
        /// People with intellectual disabilities (easy-to-read, calm guidance).
        Intellectual = "INTELLECTUAL",
        /// People with psychic disabilities (quiet spaces, trained staff).
        Psychic = "PSYCHIC",
    }
}

coded_enum! {
    /// How the agenda is ordered.
    pub enum EventOrder {
        /// By each event's first matching date, soonest first.
        Date = "DATE",
        /// Nearest venue first (needs a point to measure from).
        Distance = "DISTANCE",
        /// Most people going first.
        Popularity = "POPULARITY",
    }
}

coded_enum! {
    /// Which tree a category belongs to.
    pub enum CategoryKind {
        /// Categories of places (museum, market, pool…).
        Place = "PLACE",
        /// Categories of events (concert, workshop…).
        Event = "EVENT",
        /// Categories of news (culture, mobility, roadworks…).
        Article = "ARTICLE",
    }
}

/// Why an age range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeRangeError {
    /// An age outside 0..=120.
    #[error("ages are between 0 and {}", MAX_AGE)]
    OutOfRange,
    /// The minimum above the maximum.
    #[error("the minimum age is above the maximum age")]
    Inverted,
}

/// The ages an event is meant for; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgeRange {
    /// Youngest age, if any.
    pub min: Option<u8>,
    /// Oldest age, if any.
    pub max: Option<u8>,
}

impl AgeRange {
    /// Checks an age range.
    pub fn parse(min: Option<i64>, max: Option<i64>) -> Result<Self, AgeRangeError> {
        let check = |age: Option<i64>| match age {
            None => Ok(None),
            Some(a) if (0..=MAX_AGE).contains(&a) => Ok(Some(a as u8)),
            Some(_) => Err(AgeRangeError::OutOfRange),
        };
        let (min, max) = (check(min)?, check(max)?);
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(AgeRangeError::Inverted);
        }
        Ok(Self { min, max })
    }
}

/// The oldest age an event may name.
pub const MAX_AGE: i64 = 120;
/// Characters of an event's price, as worded for the public.
pub const MAX_PRICE_CHARS: usize = 200;
/// Characters of an event's location in words.
pub const MAX_LOCATION_TEXT_CHARS: usize = 300;

/// How to register for an event; nothing set means no registration is needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    /// An https registration page.
    pub url: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address (lowercase).
    pub email: Option<String>,
}

/// Everything an editor sets on an event, its dates apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContent {
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// Its easy-to-read summary, if any.
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first.
    pub pictures: Vec<Picture>,
    /// Its videos, photos and albums on the city's channels.
    pub media: Vec<Media>,
    /// Its description, in Markdown.
    pub description: String,
    /// Its categories, in the editor's order.
    pub categories: Vec<Uuid>,
    /// Who it is meant for.
    pub audiences: BTreeSet<Audience>,
    /// The neighbourhoods it concerns, in id order.
    pub neighborhoods: Vec<Uuid>,
    /// The ages it is meant for.
    pub ages: AgeRange,
    /// What it states of its accessibility; when it states nothing, it shows its venue's.
    pub accessibility: AccessibilityStatement,
    /// Whether it costs nothing.
    pub is_free: bool,
    /// Its prices, as worded for the public.
    pub price: Option<String>,
    /// How to register.
    pub registration: Registration,
    /// How people attend.
    pub attendance: AttendanceMode,
    /// Where to follow it online.
    pub online_url: Option<String>,
    /// The place it happens at.
    pub venue: Option<Uuid>,
    /// Where it happens, in words.
    pub location_text: Option<String>,
    /// Its publishers, in order (at least one): the organizations that organise it.
    pub publishers: Vec<Uuid>,
    /// Where it stands as a whole.
    pub status: EventStatus,
}

impl EventContent {
    /// An event of `publishers` with nothing set yet: in person, with `status`.
    pub(crate) fn empty(publishers: Vec<Uuid>, status: EventStatus) -> Self {
        Self {
            title: String::new(),
            summary: String::new(),
            easy_read_summary: None,
            pictures: Vec::new(),
            media: Vec::new(),
            description: String::new(),
            categories: Vec::new(),
            audiences: BTreeSet::new(),
            neighborhoods: Vec::new(),
            ages: AgeRange::default(),
            accessibility: AccessibilityStatement::default(),
            is_free: false,
            price: None,
            registration: Registration::default(),
            attendance: AttendanceMode::InPerson,
            online_url: None,
            venue: None,
            location_text: None,
            publishers,
            status,
        }
    }

    /// Notes where the fields do not hold together: a free event has no price, an online
    /// one needs its address, an in-person one its venue or location.
    pub(crate) fn check_between_fields(&self, errors: &mut FieldErrors) {
        if self.is_free && self.price.is_some() {
            errors.add(
                "price",
                "a free event has no price; drop the price or isFree",
            );
        }
        let (online, in_person) = match self.attendance {
            AttendanceMode::InPerson => (false, true),
            AttendanceMode::Online => (true, false),
            AttendanceMode::Mixed => (true, true),
        };
        if online && self.online_url.is_none() {
            errors.add(
                "onlineUrl",
                "ONLINE and MIXED events need an https onlineUrl",
            );
        }
        if in_person && self.venue.is_none() && self.location_text.is_none() {
            errors.add(
                "venue",
                "an in-person event needs a venue or a locationText",
            );
        }
    }

    /// Checks an age range from its two ends, noting each end out of range (`ageMin`,
    /// `ageMax`) or the maximum below the minimum (`ageMax`).
    pub(crate) fn check_ages(
        errors: &mut FieldErrors,
        min: Option<i64>,
        max: Option<i64>,
    ) -> AgeRange {
        match AgeRange::parse(min, max) {
            Ok(ages) => ages,
            Err(AgeRangeError::OutOfRange) => {
                for (field, age) in [("ageMin", min), ("ageMax", max)] {
                    if age.is_some_and(|a| !(0..=MAX_AGE).contains(&a)) {
                        errors.add(field, AgeRangeError::OutOfRange.to_string());
                    }
                }
                AgeRange::default()
            }
            Err(e @ AgeRangeError::Inverted) => {
                errors.add("ageMax", e.to_string());
                AgeRange::default()
            }
        }
    }
}

/// What an edit makes of an event: its content, and its dates and slug when they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEdit {
    /// The event's content after the edit.
    pub content: EventContent,
    /// Its dates after the edit, when they change: exactly these (dates that stay keep their
    /// status).
    pub schedule: Option<Schedule>,
    /// Its new slug, when it changes; the old one keeps leading to it.
    pub slug: Option<Slug>,
}

impl EventEdit {
    /// Moves an event to new dates: its dates become exactly those of `schedule` and its
    /// status RESCHEDULED.
    pub fn reschedule(current: &EventContent, schedule: Schedule) -> Self {
        Self {
            content: EventContent {
                status: EventStatus::Rescheduled,
                ..current.clone()
            },
            schedule: Some(schedule),
            slug: None,
        }
    }
}

/// A new status of a whole event, with the address it moves online to, if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    status: EventStatus,
    online_url: Option<String>,
}

impl StatusChange {
    /// Checks a status change; `online_url`, when given, is an https address (field
    /// `onlineUrl`).
    pub fn parse(status: EventStatus, online_url: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let online_url = optional_url(&mut errors, "onlineUrl", online_url);
        errors.into_result(Self { status, online_url })
    }

    /// The new status.
    pub fn status(&self) -> EventStatus {
        self.status
    }

    /// The event with its new status. MOVED_ONLINE needs an https `onlineUrl` (given here
    /// or already set) and makes the event online only.
    pub fn apply(self, current: &EventContent) -> Result<EventEdit, FieldErrors> {
        let mut content = current.clone();
        if let Some(url) = self.online_url {
            content.online_url = Some(url);
        }
        let mut errors = FieldErrors::default();
        if self.status == EventStatus::MovedOnline {
            if content.online_url.is_none() {
                errors.add(
                    "onlineUrl",
                    "an event moved online needs an https onlineUrl",
                );
            }
            content.attendance = AttendanceMode::Online;
        }
        content.status = self.status;
        errors.into_result(EventEdit {
            content,
            schedule: None,
            slug: None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::schedule::OccurrenceStatus;

    #[test]
    fn statuses_round_trip_through_their_codes() {
        for &status in EventStatus::ALL {
            assert_eq!(EventStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(
            OccurrenceStatus::from_code("CANCELLED"),
            Some(OccurrenceStatus::Cancelled)
        );
        assert_eq!(AttendanceMode::from_code("nope"), None);
    }

    #[test]
    fn age_ranges_are_checked() {
        assert_eq!(
            AgeRange::parse(Some(3), Some(10)),
            Ok(AgeRange {
                min: Some(3),
                max: Some(10)
            })
        );
        assert_eq!(
            AgeRange::parse(Some(10), Some(3)),
            Err(AgeRangeError::Inverted)
        );
        assert_eq!(
            AgeRange::parse(Some(-1), None),
            Err(AgeRangeError::OutOfRange)
        );
        assert_eq!(AgeRange::parse(None, None), Ok(AgeRange::default()));
    }

    fn event() -> EventContent {
        EventContent {
            title: "Concert".into(),
            location_text: Some("Jardin des Plantes".into()),
            ..EventContent::empty(vec![Uuid::from_u128(1)], EventStatus::Scheduled)
        }
    }

    #[test]
    fn an_event_moves_online_only_with_an_address() {
        let change = StatusChange::parse(EventStatus::MovedOnline, None).unwrap();
        let errors = change.apply(&event()).unwrap_err();
        assert_eq!(errors.fields()[0].field, "onlineUrl");
        let refused = StatusChange::parse(EventStatus::MovedOnline, Some("http://x.fr"));
        assert_eq!(refused.unwrap_err().fields()[0].field, "onlineUrl");
        let change =
            StatusChange::parse(EventStatus::MovedOnline, Some(" https://live.toulouse.fr "))
                .unwrap();
        let edit = change.apply(&event()).unwrap();
        assert_eq!(edit.content.attendance, AttendanceMode::Online);
        assert_eq!(edit.content.status, EventStatus::MovedOnline);
        assert_eq!(
            edit.content.online_url.as_deref(),
            Some("https://live.toulouse.fr")
        );
        let cancelled = StatusChange::parse(EventStatus::Cancelled, None)
            .unwrap()
            .apply(&event())
            .unwrap();
        assert_eq!(cancelled.content.attendance, AttendanceMode::InPerson);
        assert!(cancelled.schedule.is_none());
    }

    #[test]
    fn the_fields_of_an_event_hold_together() {
        let mut errors = FieldErrors::default();
        event().check_between_fields(&mut errors);
        assert!(errors.is_empty());
        let mut odd = event();
        odd.location_text = None;
        odd.is_free = true;
        odd.price = Some("5 €".into());
        odd.check_between_fields(&mut errors);
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["price", "venue"]);
    }
}
