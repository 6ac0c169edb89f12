//! Events of the city's agenda and their occurrences.

use crate::coded_enum;

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
    /// Where one date of an event stands.
    pub enum OccurrenceStatus {
        /// Going ahead.
        Scheduled = "SCHEDULED",
        /// No places left on this date.
        Full = "FULL",
        /// This date is off; the others stand.
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
    /// Which tree a category belongs to.
    pub enum CategoryKind {
        /// Categories of places (museum, market, pool…).
        Place = "PLACE",
        /// Categories of events (concert, workshop…).
        Event = "EVENT",
    }
}

/// Why an age range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeRangeError {
    /// An age outside 0..=120.
    #[error("ages are between 0 and 120")]
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
            Some(a) if (0..=120).contains(&a) => Ok(Some(a as u8)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
