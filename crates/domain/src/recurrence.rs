//! Recurring events: an RFC 5545 recurrence rule (RRULE), checked when it enters the system,
//! and its expansion into start instants in city time.
//!
//! Occurrences keep their local wall-clock time across daylight-saving switches (a Saturday
//! 07:00 market stays at 07:00 in the city), so their UTC instants shift by an hour twice a year.
//! The expansion is done by the `rrule` crate; this module only adapts its inputs and its errors.

use crate::windows::local_instant;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rrule::{ParseError, RRule, RRuleError, Unvalidated, ValidationError};
use std::collections::HashSet;
use std::fmt;

/// Longest accepted rule, in characters.
pub const MAX_RULE_CHARS: usize = 500;

/// An RFC 5545 recurrence rule (the RRULE value, e.g. "FREQ=WEEKLY;BYDAY=SA"), checked when parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceRule(String);

/// Why a recurrence rule was refused or could not be expanded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecurrenceError {
    /// The rule is not a valid RRULE value; the message says what is wrong.
    #[error("invalid recurrence rule: {0}")]
    Invalid(String),
    /// The rule is longer than allowed.
    #[error("a recurrence rule can be at most {max} characters long")]
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// The rule's UNTIL is before the series' first start.
    #[error("the recurrence rule ends (UNTIL) before the first occurrence starts")]
    EndsBeforeStart,
}

impl RecurrenceRule {
    /// Parses and checks an RRULE value (with or without the leading "RRULE:"); at most 500 characters.
    pub fn parse(rule: &str) -> Result<Self, RecurrenceError> {
        let rule = rule.trim();
        if rule.chars().count() > MAX_RULE_CHARS {
            return Err(RecurrenceError::TooLong {
                max: MAX_RULE_CHARS,
            });
        }
        let value = strip_prefix_ignore_case(rule, "RRULE:").trim();
        if value.is_empty() {
            return Err(invalid("the rule is empty"));
        }
        // The rrule parser would read other iCalendar lines (DTSTART, EXDATE...) as something
        // else than a rule; start and exceptions are given separately here.
        if value.contains(':') || value.chars().any(char::is_control) {
            return Err(invalid(
                "give only the RRULE value, such as FREQ=WEEKLY;BYDAY=SA, on one line",
            ));
        }
        let parsed: RRule<Unvalidated> = value.parse().map_err(explain)?;
        let normalized = parsed.to_string();
        // Most checks do not depend on the start; a start at the epoch lets them run now and
        // only refuses an UNTIL before 1970, which no event needs.
        parsed
            .validate(DateTime::<Utc>::UNIX_EPOCH.with_timezone(&rrule::Tz::UTC))
            .map_err(explain)?;
        Ok(Self(normalized))
    }

    /// The rule as stored (normalized, without the "RRULE:" prefix).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Start instants of the series whose first occurrence starts at local time `first_start` in `tz`,
    /// from `first_start` up to (excluding) `until`, skipping local start times listed in `exceptions`
    /// (EXDATE, given as local date-times), at most `max` of them. Local wall-clock time is kept across
    /// DST changes (a 07:00 market stays at 07:00 local).
    ///
    /// As in the `rrule` crate, `first_start` only counts as an occurrence when the rule matches
    /// it, and COUNT counts occurrences before the exceptions are removed (RFC 5545).
    pub fn starts(
        &self,
        first_start: NaiveDateTime,
        tz: Tz,
        exceptions: &[NaiveDateTime],
        until: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<DateTime<Utc>>, RecurrenceError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let rule: RRule<Unvalidated> = self.0.parse().map_err(explain)?;
        let start = local_instant(first_start, tz).with_timezone(&rrule::Tz::Tz(tz));
        // `limit` bounds the search for a rule that never matches (say, 30 February).
        let series = rule.build(start).map_err(explain)?.limit();

        // Comparing instants as well catches an exception given at a time the clocks skipped,
        // which the series resolves to an instant but never reads back as that local time.
        let skipped_local: HashSet<NaiveDateTime> = exceptions.iter().copied().collect();
        let skipped_instants: HashSet<DateTime<Utc>> = exceptions
            .iter()
            .map(|local| local_instant(*local, tz))
            .collect();

        let mut starts = Vec::new();
        for occurrence in &series {
            let instant = occurrence.with_timezone(&Utc);
            if instant >= until {
                break;
            }
            if skipped_local.contains(&occurrence.naive_local())
                || skipped_instants.contains(&instant)
            {
                continue;
            }
            starts.push(instant);
            if starts.len() >= max {
                break;
            }
        }
        Ok(starts)
    }
}

impl fmt::Display for RecurrenceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` without a leading `prefix` matched regardless of ASCII case.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> &'a str {
    match text.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => text.get(prefix.len()..).unwrap_or(""),
        _ => text,
    }
}

fn invalid(message: &str) -> RecurrenceError {
    RecurrenceError::Invalid(message.to_owned())
}

/// Turns an `rrule` error into one a person editing an event can act on: the crate's own
/// messages are mostly readable, but a few talk about its internals.
fn explain(error: RRuleError) -> RecurrenceError {
    match error {
        RRuleError::ValidationError(ValidationError::UntilBeforeStart { .. }) => {
            RecurrenceError::EndsBeforeStart
        }
        RRuleError::ValidationError(ValidationError::DtStartUntilMismatchTimezone { .. })
        | RRuleError::ParserError(
            ParseError::InvalidDateTimeInLocalTimezone { .. }
            | ParseError::DateTimeInLocalTimezoneIsAmbiguous { .. }
            | ParseError::DtStartUntilMismatchValue
            | ParseError::DtStartUntilMismatchTimezone,
        ) => invalid("UNTIL must be a UTC date-time ending in Z, such as 20261231T225959Z"),
        RRuleError::ValidationError(ValidationError::UnableToGenerateTimeset) => {
            invalid("the rule does not say at which time of day it repeats")
        }
        RRuleError::ValidationError(ValidationError::TooBigInterval(interval)) => {
            RecurrenceError::Invalid(format!("INTERVAL={interval} is too large"))
        }
        RRuleError::ParserError(ParseError::PropertyParametersNotSupported(_)) => {
            invalid("the rule cannot carry parameters; give only its value")
        }
        RRuleError::ParserError(error) => RecurrenceError::Invalid(tidy(&error.to_string())),
        RRuleError::ValidationError(error) => RecurrenceError::Invalid(tidy(&error.to_string())),
        RRuleError::IterError(_) => invalid("the rule could not be expanded"),
    }
}

/// Drops the Markdown backticks the `rrule` crate puts around values.
fn tidy(message: &str) -> String {
    message.replace('`', "")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Europe::Paris;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rule(s: &str) -> RecurrenceRule {
        RecurrenceRule::parse(s).unwrap()
    }

    #[test]
    fn parses_with_or_without_prefix_and_normalizes() {
        let plain = rule("FREQ=WEEKLY;BYDAY=SA");
        assert_eq!(plain.as_str(), "FREQ=WEEKLY;BYDAY=SA");
        assert_eq!(rule("  RRULE:FREQ=WEEKLY;BYDAY=SA  "), plain);
        assert_eq!(rule("rrule:freq=weekly;byday=sa"), plain);
        assert_eq!(plain.to_string(), "FREQ=WEEKLY;BYDAY=SA");
        assert_eq!(
            rule("BYDAY=-1FR;FREQ=MONTHLY;INTERVAL=1").as_str(),
            "FREQ=MONTHLY;BYDAY=-1FR"
        );
        // The normalized form parses back to itself.
        let complex = rule("FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=5;UNTIL=20261231T225959Z");
        assert_eq!(rule(complex.as_str()), complex);
    }

    #[test]
    fn refuses_invalid_rules() {
        for bad in [
            "",
            "RRULE:",
            "FREQ=FORTNIGHTLY",
            "BYDAY=SA",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=WEEKLY;FOO=1",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=DAILY;COUNT=many",
            "DTSTART:20260101T000000Z",
            "FREQ=DAILY\nEXDATE:20260102T000000Z",
            "FREQ=DAILY;UNTIL=20261231T225959",
            "FREQ=DAILY;UNTIL=soon",
        ] {
            let error = RecurrenceRule::parse(bad).unwrap_err();
            assert!(
                matches!(error, RecurrenceError::Invalid(_)),
                "{bad:?} gave {error:?}"
            );
            assert!(!error.to_string().contains('`'), "{error}");
        }
        assert_eq!(
            RecurrenceRule::parse("FREQ=WEEKLY;BYDAY=XX")
                .unwrap_err()
                .to_string(),
            "invalid recurrence rule: XX is not a valid weekday. Valid values are MO, TU, WE, \
             TH, FR, SA and SU."
        );
        assert_eq!(
            RecurrenceRule::parse("FREQ=DAILY;UNTIL=20261231T225959").unwrap_err(),
            invalid("UNTIL must be a UTC date-time ending in Z, such as 20261231T225959Z")
        );
    }

    #[test]
    fn refuses_too_long_rules() {
        let long = format!("FREQ=DAILY;BYHOUR={}", vec!["1"; 250].join(","));
        assert_eq!(
            RecurrenceRule::parse(&long),
            Err(RecurrenceError::TooLong { max: 500 })
        );
    }

    #[test]
    fn weekly_market_keeps_its_local_time_across_the_march_switch() {
        let market = rule("FREQ=WEEKLY;BYDAY=SA");
        let starts = market
            .starts(
                local(2026, 3, 14, 7, 0),
                Paris,
                &[],
                utc("2026-04-12T00:00:00Z"),
                100,
            )
            .unwrap();
        assert_eq!(
            starts,
            vec![
                utc("2026-03-14T06:00:00Z"),
                utc("2026-03-21T06:00:00Z"),
                utc("2026-03-28T06:00:00Z"),
                utc("2026-04-04T05:00:00Z"),
                utc("2026-04-11T05:00:00Z"),
            ]
        );
        for start in &starts {
            assert_eq!(
                start.with_timezone(&Paris).naive_local().time(),
                local(2026, 1, 1, 7, 0).time()
            );
        }
    }

    #[test]
    fn weekly_market_across_the_october_switch() {
        let market = rule("FREQ=WEEKLY;BYDAY=SA,SU");
        let starts = market
            .starts(
                local(2026, 10, 24, 7, 0),
                Paris,
                &[],
                utc("2026-11-01T00:00:00Z"),
                10,
            )
            .unwrap();
        assert_eq!(
            starts,
            vec![
                utc("2026-10-24T05:00:00Z"),
                utc("2026-10-25T06:00:00Z"),
                utc("2026-10-31T06:00:00Z"),
            ]
        );
    }

    #[test]
    fn exceptions_skip_local_start_times() {
        let market = rule("FREQ=WEEKLY;BYDAY=SA");
        let starts = market
            .starts(
                local(2026, 3, 14, 7, 0),
                Paris,
                &[local(2026, 3, 28, 7, 0), local(2026, 3, 21, 8, 0)],
                utc("2026-04-05T00:00:00Z"),
                100,
            )
            .unwrap();
        // The 28th is skipped; the 21st is not, since 08:00 is not when it starts.
        assert_eq!(
            starts,
            vec![
                utc("2026-03-14T06:00:00Z"),
                utc("2026-03-21T06:00:00Z"),
                utc("2026-04-04T05:00:00Z"),
            ]
        );
    }

    #[test]
    fn count_ends_the_series_and_includes_skipped_dates() {
        let daily = rule("FREQ=DAILY;COUNT=3");
        let far = utc("2030-01-01T00:00:00Z");
        let first = local(2026, 5, 1, 18, 30);
        assert_eq!(
            daily.starts(first, Paris, &[], far, 100).unwrap(),
            vec![
                utc("2026-05-01T16:30:00Z"),
                utc("2026-05-02T16:30:00Z"),
                utc("2026-05-03T16:30:00Z"),
            ]
        );
        // RFC 5545: EXDATE removes from the COUNT occurrences, it does not extend them.
        assert_eq!(
            daily
                .starts(first, Paris, &[local(2026, 5, 2, 18, 30)], far, 100)
                .unwrap(),
            vec![utc("2026-05-01T16:30:00Z"), utc("2026-05-03T16:30:00Z")]
        );
    }

    #[test]
    fn until_in_the_rule_is_inclusive_and_the_argument_exclusive() {
        let first = local(2026, 5, 1, 10, 0);
        let daily = rule("FREQ=DAILY;UNTIL=20260503T080000Z");
        assert_eq!(
            daily
                .starts(first, Paris, &[], utc("2030-01-01T00:00:00Z"), 100)
                .unwrap(),
            vec![
                utc("2026-05-01T08:00:00Z"),
                utc("2026-05-02T08:00:00Z"),
                utc("2026-05-03T08:00:00Z"),
            ]
        );
        let unbounded = rule("FREQ=DAILY");
        assert_eq!(
            unbounded
                .starts(first, Paris, &[], utc("2026-05-03T08:00:00Z"), 100)
                .unwrap(),
            vec![utc("2026-05-01T08:00:00Z"), utc("2026-05-02T08:00:00Z")]
        );
    }

    #[test]
    fn an_until_before_the_first_start_is_refused() {
        let ended = rule("FREQ=DAILY;UNTIL=20260101T000000Z");
        assert_eq!(
            ended.starts(
                local(2026, 5, 1, 10, 0),
                Paris,
                &[],
                utc("2030-01-01T00:00:00Z"),
                10
            ),
            Err(RecurrenceError::EndsBeforeStart)
        );
    }

    #[test]
    fn max_caps_the_result() {
        let daily = rule("FREQ=DAILY");
        let far = utc("2100-01-01T00:00:00Z");
        let first = local(2026, 1, 1, 9, 0);
        let starts = daily.starts(first, Paris, &[], far, 4).unwrap();
        assert_eq!(starts.len(), 4);
        assert_eq!(starts[3], utc("2026-01-04T08:00:00Z"));
        assert!(daily.starts(first, Paris, &[], far, 0).unwrap().is_empty());
    }

    #[test]
    fn a_rule_that_never_matches_ends_instead_of_looping() {
        let never = rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30");
        let starts = never
            .starts(
                local(2026, 1, 1, 9, 0),
                Paris,
                &[],
                utc("2100-01-01T00:00:00Z"),
                10,
            )
            .unwrap();
        assert!(starts.is_empty());
    }

    #[test]
    fn a_start_in_the_skipped_hour_moves_to_the_end_of_the_gap() {
        let daily = rule("FREQ=DAILY;COUNT=1");
        let starts = daily
            .starts(
                local(2026, 3, 29, 2, 30),
                Paris,
                &[],
                utc("2030-01-01T00:00:00Z"),
                10,
            )
            .unwrap();
        assert_eq!(
            starts,
            vec![Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()]
        );
    }
}
