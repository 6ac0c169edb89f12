//! When an event takes place: explicit dates and/or an RFC 5545 recurrence read in city
//! time, checked and expanded into every date to store up to the horizon (18 months
//! ahead), and the dates a recurrence gains as time passes.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;

use crate::coded_enum;
use crate::editorial::{FieldErrors, check_count};
use crate::recurrence::{RecurrenceError, RecurrenceRule};
use crate::windows::start_of_day;

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

/// How far ahead the dates of a recurring event are stored: 18 months from today (city time).
pub const RECURRENCE_HORIZON_DAYS: i64 = 549;
/// The horizon as messages name it.
const HORIZON_IN_WORDS: &str = "18 months";
/// The most dates one event holds, explicit and recurring together.
pub const MAX_DATES: usize = 500;
/// The longest one date may last: 31 days.
pub const MAX_DATE_MINUTES: i64 = 31 * 24 * 60;
/// Local dates a recurrence may skip.
pub const MAX_EXCEPTIONS: usize = 500;

/// How long a date lasts when nothing says otherwise, in minutes.
pub const DEFAULT_DURATION_MINUTES: i64 = 60;

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

/// One date as an editor gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateForm {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Its status; none keeps a known date's status (new dates are scheduled).
    pub status: Option<OccurrenceStatus>,
}

/// A recurrence as an editor gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceForm {
    /// The RRULE value, such as `FREQ=WEEKLY;BYDAY=SA`.
    pub rule: String,
    /// The first start in city wall-clock time, or with an offset.
    pub first_start: String,
    /// How long each date lasts, in minutes.
    pub duration_minutes: i64,
    /// Local dates to skip.
    pub exceptions: Vec<NaiveDate>,
}

/// When an event takes place, as an editor gives it: explicit dates and/or a recurrence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleForm {
    /// Explicit dates.
    pub dates: Vec<DateForm>,
    /// A recurrence.
    pub recurrence: Option<RecurrenceForm>,
}

/// One date to store; `status` none keeps a stored date's status (new dates are scheduled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDate {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Its status, when the editor set one.
    pub status: Option<OccurrenceStatus>,
}

/// A checked recurrence: a rule from a first start in city wall-clock time, skipping local
/// dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// The rule.
    pub rule: RecurrenceRule,
    /// The first start, in city wall-clock time.
    pub first_start: NaiveDateTime,
    /// How long each date lasts, in minutes.
    pub duration_minutes: i64,
    /// Local dates skipped, sorted, once each.
    pub exceptions: Vec<NaiveDate>,
}

impl Recurrence {
    /// Its dates from the first start until `until`, at most [`MAX_DATES`].
    pub fn dates(&self, tz: Tz, until: DateTime<Utc>) -> Result<Vec<Span>, RecurrenceError> {
        expand(
            &self.rule,
            self.first_start,
            Duration::minutes(self.duration_minutes),
            &self.exceptions,
            tz,
            until,
        )
    }

    /// The dates that time brings to an event with this recurrence at `now`: those within
    /// the horizon that start after `now` and after the last date stored (`last`), while the
    /// event holds fewer than [`MAX_DATES`] (it holds `stored`).
    pub fn new_dates(
        &self,
        last: Option<DateTime<Utc>>,
        stored: usize,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<Vec<Span>, RecurrenceError> {
        Ok(self
            .dates(tz, horizon(now, tz))?
            .into_iter()
            .filter(|(starts, _)| last.is_none_or(|l| *starts > l) && *starts > now)
            .take(MAX_DATES.saturating_sub(stored))
            .collect())
    }
}

/// When an event takes place: its recurrence, if any, and every date to store, explicit and
/// expanded, sorted by start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The recurrence, if any.
    pub recurrence: Option<Recurrence>,
    /// How long a date lasts: the recurrence's, else the first explicit date's.
    pub duration_minutes: i64,
    /// Every date, sorted by start.
    pub dates: Vec<PlannedDate>,
}

impl Schedule {
    /// Checks dates and a recurrence given at `now` in the city of `tz` into the dates to
    /// store. Fields are named as in the input (`occurrences[2].endsAt`,
    /// `recurrence.firstStart`).
    pub fn parse(form: &ScheduleForm, tz: Tz, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let schedule = Self::check(&mut errors, form, tz, now);
        errors.into_result(schedule)
    }

    /// As [`Schedule::parse`], noting failed fields in `errors`; "give at least one date" is
    /// only said when nothing else failed before.
    pub(crate) fn check(
        errors: &mut FieldErrors,
        form: &ScheduleForm,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Self {
        let mut dates = explicit_dates(errors, &form.dates);
        let mut duration_minutes = dates.first().map_or(DEFAULT_DURATION_MINUTES, |first| {
            (first.ends_at - first.starts_at).num_minutes().max(1)
        });
        let mut recurrence = None;
        if let Some(r) = &form.recurrence
            && let Some(checked) = check_recurrence(errors, r, tz)
        {
            match checked.dates(tz, horizon(now, tz)) {
                Ok(expanded) if expanded.is_empty() => errors.add(
                    "recurrence",
                    format!("the recurrence yields no date within the next {HORIZON_IN_WORDS}"),
                ),
                Ok(expanded) => {
                    for (starts_at, ends_at) in expanded {
                        if !dates.iter().any(|d| d.starts_at == starts_at) {
                            dates.push(PlannedDate {
                                starts_at,
                                ends_at,
                                status: None,
                            });
                        }
                    }
                }
                Err(e) => errors.add("recurrence.rule", e.to_string()),
            }
            duration_minutes = checked.duration_minutes;
            recurrence = Some(checked);
        }
        if dates.is_empty() && errors.is_empty() {
            errors.add("occurrences", "give at least one date or a recurrence");
        }
        if dates.len() > MAX_DATES {
            errors.add(
                "occurrences",
                format!(
                    "an event has at most {MAX_DATES} dates (these make {})",
                    dates.len()
                ),
            );
        }
        dates.sort_by_key(|d| d.starts_at);
        Self {
            recurrence,
            duration_minutes,
            dates,
        }
    }
}

/// Checks explicit dates (to the second): each ends after it starts, lasts at most 31 days,
/// and starts at its own time.
fn explicit_dates(errors: &mut FieldErrors, given: &[DateForm]) -> Vec<PlannedDate> {
    let mut dates: Vec<PlannedDate> = Vec::new();
    if !check_count(errors, "occurrences", given.len(), MAX_DATES) {
        return dates;
    }
    for (i, date) in given.iter().enumerate() {
        let (starts_at, ends_at) = (
            date.starts_at.trunc_subsecs(0),
            date.ends_at.trunc_subsecs(0),
        );
        if ends_at <= starts_at {
            errors.add(format!("occurrences[{i}].endsAt"), "must be after startsAt");
        } else if ends_at - starts_at > Duration::minutes(MAX_DATE_MINUTES) {
            errors.add(
                format!("occurrences[{i}].endsAt"),
                format!("a date lasts at most {} days", MAX_DATE_MINUTES / (24 * 60)),
            );
        }
        if dates.iter().any(|d| d.starts_at == starts_at) {
            errors.add(
                format!("occurrences[{i}].startsAt"),
                "another date starts at the same time",
            );
        }
        dates.push(PlannedDate {
            starts_at,
            ends_at,
            status: date.status,
        });
    }
    dates
}

/// Checks a recurrence; `None` when it cannot be expanded.
fn check_recurrence(errors: &mut FieldErrors, form: &RecurrenceForm, tz: Tz) -> Option<Recurrence> {
    let rule = RecurrenceRule::parse(&form.rule)
        .map_err(|e| errors.add("recurrence.rule", e.to_string()))
        .ok();
    let first_start = parse_local(&form.first_start, tz);
    if first_start.is_none() {
        errors.add(
            "recurrence.firstStart",
            "give a local date-time such as 2027-03-06T08:00",
        );
    }
    let duration_minutes = form.duration_minutes;
    let duration_ok = (1..=MAX_DATE_MINUTES).contains(&duration_minutes);
    if !duration_ok {
        errors.add(
            "recurrence.durationMinutes",
            format!("between 1 and {MAX_DATE_MINUTES} minutes"),
        );
    }
    let mut exceptions: Vec<NaiveDate> = Vec::new();
    if check_count(
        errors,
        "recurrence.exceptions",
        form.exceptions.len(),
        MAX_EXCEPTIONS,
    ) {
        for date in &form.exceptions {
            if !exceptions.contains(date) {
                exceptions.push(*date);
            }
        }
    }
    exceptions.sort_unstable();
    let (rule, first_start) = (rule?, first_start?);
    duration_ok.then_some(Recurrence {
        rule,
        first_start,
        duration_minutes,
        exceptions,
    })
}

/// Reads a local wall-clock time, or an instant with an offset read in city time.
fn parse_local(text: &str, tz: Tz) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&tz).naive_local());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono_tz::Europe::Paris;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.fields().iter().map(|e| e.field.as_str()).collect()
    }

    fn date(text: &str) -> NaiveDate {
        crate::calendar::parse_date(text).unwrap()
    }

    fn market(first_start: &str) -> ScheduleForm {
        ScheduleForm {
            dates: Vec::new(),
            recurrence: Some(RecurrenceForm {
                rule: "FREQ=WEEKLY;BYDAY=SA".into(),
                first_start: first_start.into(),
                duration_minutes: 300,
                exceptions: vec![date("2026-04-04"), date("2026-04-04")],
            }),
        }
    }

    #[test]
    fn a_recurrence_is_read_in_city_time_and_expanded_to_the_horizon() {
        let now = utc("2026-03-01T12:00:00Z");
        let schedule = Schedule::parse(&market("2026-03-07T08:00"), Paris, now).unwrap();
        let recurrence = schedule.recurrence.as_ref().unwrap();
        assert_eq!(recurrence.exceptions.len(), 1);
        assert_eq!(schedule.duration_minutes, 300);
        assert_eq!(schedule.dates[0].starts_at, utc("2026-03-07T07:00:00Z"));
        assert!(
            schedule
                .dates
                .iter()
                .all(|d| d.starts_at < horizon(now, Paris))
        );
        assert!(
            !schedule
                .dates
                .iter()
                .any(|d| d.starts_at.date_naive().to_string() == "2026-04-04")
        );
        // An instant with an offset means the same local time.
        let with_offset = Schedule::parse(&market("2026-03-07T08:00:00+01:00"), Paris, now);
        assert_eq!(with_offset.unwrap(), schedule);
    }

    #[test]
    fn explicit_dates_keep_their_status_and_join_the_recurrence_once() {
        let now = utc("2026-03-01T12:00:00Z");
        let mut form = market("2026-03-07T08:00");
        form.dates = vec![DateForm {
            starts_at: utc("2026-03-07T07:00:00.250Z"),
            ends_at: utc("2026-03-07T09:00:00Z"),
            status: Some(OccurrenceStatus::Full),
        }];
        let schedule = Schedule::parse(&form, Paris, now).unwrap();
        let first = &schedule.dates[0];
        assert_eq!(first.starts_at, utc("2026-03-07T07:00:00Z"));
        assert_eq!(first.status, Some(OccurrenceStatus::Full));
        assert_eq!(first.ends_at, utc("2026-03-07T09:00:00Z"));
        assert_ne!(schedule.dates[1].starts_at, first.starts_at);
    }

    #[test]
    fn every_failed_part_of_a_schedule_is_named() {
        let now = utc("2026-03-01T12:00:00Z");
        let start = utc("2026-03-10T10:00:00Z");
        let form = ScheduleForm {
            dates: vec![
                DateForm {
                    starts_at: start,
                    ends_at: start - Duration::hours(1),
                    status: None,
                },
                DateForm {
                    starts_at: start,
                    ends_at: start + Duration::days(40),
                    status: None,
                },
            ],
            recurrence: Some(RecurrenceForm {
                rule: "FREQ=FORTNIGHTLY".into(),
                first_start: "soon".into(),
                duration_minutes: 0,
                exceptions: vec![date("2026-04-04"); MAX_EXCEPTIONS + 1],
            }),
        };
        let errors = Schedule::parse(&form, Paris, now).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "occurrences[0].endsAt",
                "occurrences[1].endsAt",
                "occurrences[1].startsAt",
                "recurrence.rule",
                "recurrence.firstStart",
                "recurrence.durationMinutes",
                "recurrence.exceptions",
            ]
        );
    }

    #[test]
    fn a_schedule_needs_a_date_and_a_recurrence_needs_a_date_within_the_horizon() {
        let now = utc("2026-03-01T12:00:00Z");
        let errors = Schedule::parse(&ScheduleForm::default(), Paris, now).unwrap_err();
        assert_eq!(fields(&errors), ["occurrences"]);
        let mut past = market("2020-01-04T08:00");
        if let Some(r) = past.recurrence.as_mut() {
            r.rule = "FREQ=WEEKLY;BYDAY=SA;COUNT=2".into();
        }
        // Past dates are kept (an archive), so only a rule with no date at all is refused.
        assert!(Schedule::parse(&past, Paris, now).is_ok());
        let mut never = market("2026-03-07T08:00");
        if let Some(r) = never.recurrence.as_mut() {
            r.rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into();
        }
        let errors = Schedule::parse(&never, Paris, now).unwrap_err();
        assert_eq!(fields(&errors), ["recurrence"]);
    }

    #[test]
    fn time_brings_new_dates_after_the_last_stored_one() {
        let now = utc("2026-03-01T12:00:00Z");
        let schedule = Schedule::parse(&market("2026-03-07T08:00"), Paris, now).unwrap();
        let recurrence = schedule.recurrence.unwrap();
        let last = schedule.dates.last().map(|d| d.starts_at);
        let stored = schedule.dates.len();
        assert!(
            recurrence
                .new_dates(last, stored, now, Paris)
                .unwrap()
                .is_empty()
        );
        let later = now + Duration::days(28);
        let fresh = recurrence.new_dates(last, stored, later, Paris).unwrap();
        assert_eq!(fresh.len(), 4);
        assert!(fresh.iter().all(|(starts, _)| Some(*starts) > last));
        let full = recurrence.new_dates(last, MAX_DATES, later, Paris).unwrap();
        assert!(full.is_empty());
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
}
