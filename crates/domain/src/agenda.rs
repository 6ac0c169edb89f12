//! The rules of editing the agenda: how far ahead a recurring event's dates are stored, how
//! many dates one event holds, which contacts are acceptable, how an item synchronised from a
//! publisher's system is named, and when a place is closed.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::coded_enum;
use crate::editorial::FieldErrors;
use crate::recurrence::{RecurrenceError, RecurrenceRule};
use crate::windows::start_of_day;

/// How far ahead the dates of a recurring event are stored: 18 months from today (city time).
pub const RECURRENCE_HORIZON_DAYS: i64 = 549;
/// The most dates one event holds, explicit and recurring together.
pub const MAX_DATES: usize = 500;
/// The longest one date may last: 31 days.
pub const MAX_DATE_MINUTES: i64 = 31 * 24 * 60;
/// Local dates a recurrence may skip.
pub const MAX_EXCEPTIONS: usize = 500;

coded_enum! {
    /// Whether a place receives visitors.
    pub enum PlaceClosure {
        /// Open as its hours say.
        Open = "OPEN",
        /// Closed for a while (works, strike, event); `closedUntil` says until when, if known.
        TemporarilyClosed = "TEMPORARILY_CLOSED",
        /// Closed for good.
        PermanentlyClosed = "PERMANENTLY_CLOSED",
    }
}

impl PlaceClosure {
    /// Whether a place with this closure is closed at `at`; a temporary closure ends at
    /// `until`, when it has an end.
    pub fn is_closed_at(self, until: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
        match self {
            PlaceClosure::Open => false,
            PlaceClosure::PermanentlyClosed => true,
            PlaceClosure::TemporarilyClosed => until.is_none_or(|until| at < until),
        }
    }
}

/// The end (excluded) of the stored dates of a recurring event, for a write made at `now`:
/// the start of the local day [`RECURRENCE_HORIZON_DAYS`] after today, so that the same
/// recurrence written twice on one day yields the same dates.
pub fn horizon(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    start_of_day(today + Duration::days(RECURRENCE_HORIZON_DAYS), tz)
}

/// When one date starts and ends.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// The dates of a recurrence: its starts from `first_start` (local wall-clock time in `tz`)
/// until `until`, skipping every start on one of the local dates of `exceptions`, each lasting
/// `duration`, at most [`MAX_DATES`].
pub fn expand(
    rule: &RecurrenceRule,
    first_start: NaiveDateTime,
    duration: Duration,
    exceptions: &[NaiveDate],
    tz: Tz,
    until: DateTime<Utc>,
) -> Result<Vec<Span>, RecurrenceError> {
    let starts = rule.starts(
        first_start,
        tz,
        &[],
        until,
        MAX_DATES.saturating_add(exceptions.len().saturating_mul(24)),
    )?;
    Ok(starts
        .into_iter()
        .filter(|s| !exceptions.contains(&s.with_timezone(&tz).date_naive()))
        .take(MAX_DATES)
        .map(|s| (s, s + duration))
        .collect())
}

/// Checks a telephone number: 3 to 30 characters, digits and `+ ( ) . -` and spaces.
pub fn check_phone(errors: &mut FieldErrors, field: &str, phone: &str) -> String {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if phone.chars().count() > 30
        || digits < 3
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '.' | '-' | ' '))
    {
        errors.add(
            field,
            "a telephone number has 3 to 30 characters: digits, spaces and + ( ) . -",
        );
    }
    phone.to_owned()
}

/// Checks an email address: at most 254 characters, one `@`, a domain with a dot, no spaces.
pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) -> String {
    let email = email.trim();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !ok {
        errors.add(field, "must be an email address such as name@example.org");
    }
    email.to_lowercase()
}

/// Checks the name of a publisher's system (`openagenda-toulouse`): 1 to 60 characters,
/// lowercase letters, digits and `-`.
pub fn check_source(errors: &mut FieldErrors, field: &str, source: &str) -> String {
    let source = source.trim();
    if source.is_empty()
        || source.len() > 60
        || !source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.add(
            field,
            "a source has 1 to 60 characters: lowercase letters, digits and -",
        );
    }
    source.to_owned()
}

/// Checks an item's id in a publisher's system: 1 to 200 characters on one line.
pub fn check_external_id(errors: &mut FieldErrors, field: &str, id: &str) -> String {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
        errors.add(
            field,
            "an external id has 1 to 200 characters without control characters",
        );
    }
    id.to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono_tz::Europe::Paris;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_saturday_market_keeps_eight_o_clock_across_both_switches_and_skips_its_exceptions() {
        let rule = RecurrenceRule::parse("FREQ=WEEKLY;BYDAY=SA").unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 3, 21)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        let skipped = NaiveDate::from_ymd_opt(2026, 4, 4).unwrap();
        let dates = expand(
            &rule,
            first,
            Duration::hours(5),
            &[skipped],
            Paris,
            utc("2026-11-08T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(dates[0].0, utc("2026-03-21T07:00:00Z"));
        assert_eq!(dates[1].0, utc("2026-03-28T07:00:00Z"));
        assert_eq!(dates[2].0, utc("2026-04-11T06:00:00Z"));
        assert_eq!(dates[2].1, utc("2026-04-11T11:00:00Z"));
        assert!(dates.iter().any(|d| d.0 == utc("2026-10-24T06:00:00Z")));
        assert!(dates.iter().any(|d| d.0 == utc("2026-10-31T07:00:00Z")));
        for (start, _) in &dates {
            assert_eq!(
                start.with_timezone(&Paris).format("%H:%M").to_string(),
                "08:00"
            );
        }
    }

    #[test]
    fn a_daily_rule_stops_at_five_hundred_dates() {
        let rule = RecurrenceRule::parse("FREQ=DAILY").unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let far = utc("2030-01-01T00:00:00Z");
        let dates = expand(&rule, first, Duration::hours(1), &[], Paris, far).unwrap();
        assert_eq!(dates.len(), MAX_DATES);
    }

    #[test]
    fn closures_end_when_they_say() {
        let now = utc("2026-05-01T10:00:00Z");
        assert!(!PlaceClosure::Open.is_closed_at(None, now));
        assert!(PlaceClosure::PermanentlyClosed.is_closed_at(None, now));
        assert!(PlaceClosure::TemporarilyClosed.is_closed_at(None, now));
        assert!(
            PlaceClosure::TemporarilyClosed.is_closed_at(Some(utc("2026-05-02T00:00:00Z")), now)
        );
        assert!(
            !PlaceClosure::TemporarilyClosed.is_closed_at(Some(utc("2026-04-30T00:00:00Z")), now)
        );
    }

    #[test]
    fn contacts_and_sources_are_checked() {
        let mut errors = FieldErrors::default();
        check_phone(&mut errors, "p", "+33 5 61 22 29 22");
        check_email(&mut errors, "e", "Agenda@Toulouse.fr");
        check_source(&mut errors, "s", "openagenda-toulouse");
        check_external_id(&mut errors, "x", "42-a");
        assert!(errors.is_empty(), "{errors}");
        check_phone(&mut errors, "p", "call me");
        check_email(&mut errors, "e", "nobody");
        check_source(&mut errors, "s", "Open Agenda");
        check_external_id(&mut errors, "x", "a\u{0}b");
        assert_eq!(errors.fields().len(), 4);
    }
}
