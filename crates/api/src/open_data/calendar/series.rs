//! An event's stored dates as one iCalendar recurrence set (RFC 5545 §3.8.5): the rule they
//! come from, the dates it skips, the dates added to it, and the dates that differ from it.
//!
//! Capitole stores every date of an event (a recurrence is expanded up to the horizon) with
//! its status, and keeps the recurrence it came from: its rule, its first start in city
//! time, how long each date lasts and the local days it skips. A calendar client expands
//! the set again, so the set is written so that its expansion gives back the stored dates
//! that are not cancelled:
//! - `DTSTART` is the rule's first date (or the first date of an event without a rule);
//! - a date of the rule that is cancelled, skipped or not stored is an `EXDATE`;
//! - a skipped day that holds another date of the event is that date moved: an override
//!   with the rule's date as `RECURRENCE-ID` and the new times (`STATUS:CANCELLED` when the
//!   moved date is cancelled);
//! - other dates are `RDATE`s (cancelled ones are left out), with an override when they
//!   last longer or shorter than the series' dates;
//! - a date of the rule that lasts longer or shorter is an override with its own end.
//!
//! Dates after the last stored one are the rule's to give: the series goes on as the rule
//! says, as Capitole's own dates do when time brings them.

use std::collections::{HashMap, HashSet};

use capitole_domain::schedule::{MAX_DATES, MAX_EXCEPTIONS, Recurrence};
use capitole_domain::windows::start_of_day;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// One stored date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled: bool,
}

/// One date of the set written apart from the series: the date `recurrence_id` stands for,
/// and when it takes place instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Override {
    pub recurrence_id: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled: bool,
}

/// An event's dates as a recurrence set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Series {
    /// The first date of the set (`DTSTART`).
    pub starts_at: DateTime<Utc>,
    /// How long each date lasts unless an override says otherwise (`DTEND - DTSTART`).
    pub duration: Duration,
    /// The rule (`RRULE`), when the dates come from one.
    pub rule: Option<String>,
    /// Dates added to the rule (`RDATE`).
    pub added: Vec<DateTime<Utc>>,
    /// Dates of the set that do not take place (`EXDATE`).
    pub excluded: Vec<DateTime<Utc>>,
    /// Dates that differ from the series.
    pub overrides: Vec<Override>,
}

impl Series {
    /// Every instant the set names, for the years its time zone must cover.
    pub(crate) fn instants(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::once(self.starts_at)
            .chain(self.added.iter().copied())
            .chain(self.excluded.iter().copied())
            .chain(
                self.overrides
                    .iter()
                    .flat_map(|o| [o.recurrence_id, o.starts_at, o.ends_at]),
            )
    }
}

/// The recurrence set of an event with these dates (sorted or not) and this recurrence, in
/// the city of `tz`; `None` for an event without dates.
pub(crate) fn series(recurrence: Option<&Recurrence>, dates: &[Date], tz: Tz) -> Option<Series> {
    let mut dates = dates.to_vec();
    dates.sort_by_key(|d| d.starts_at);
    let rule_dates = recurrence
        .map(|r| rule_dates(r, &dates, tz))
        .unwrap_or_default();
    match (recurrence, rule_dates.first()) {
        (Some(recurrence), Some(&first)) => {
            Some(with_rule(recurrence, &rule_dates, first, &dates, tz))
        }
        _ => without_rule(&dates),
    }
}

/// The rule's dates (none skipped) up to the last stored date or the last skipped day.
fn rule_dates(recurrence: &Recurrence, dates: &[Date], tz: Tz) -> Vec<DateTime<Utc>> {
    let last_date = dates.last().map(|d| d.starts_at + Duration::seconds(1));
    let last_skipped = recurrence
        .exceptions
        .iter()
        .max()
        .map(|day| start_of_day(*day + Duration::days(1), tz));
    let Some(until) = last_date.max(last_skipped) else {
        return Vec::new();
    };
    let most = MAX_DATES + dates.len() + MAX_EXCEPTIONS.saturating_mul(24);
    recurrence
        .rule
        .starts(recurrence.first_start, tz, &[], until, most)
        .unwrap_or_default()
}

fn with_rule(
    recurrence: &Recurrence,
    rule_dates: &[DateTime<Utc>],
    first: DateTime<Utc>,
    dates: &[Date],
    tz: Tz,
) -> Series {
    let duration = Duration::minutes(recurrence.duration_minutes);
    let of_rule: HashSet<DateTime<Utc>> = rule_dates.iter().copied().collect();
    let stored: HashMap<DateTime<Utc>, &Date> = dates.iter().map(|d| (d.starts_at, d)).collect();
    let skipped_days: HashSet<_> = recurrence.exceptions.iter().copied().collect();
    let mut used: HashSet<DateTime<Utc>> = HashSet::new();
    let mut series = Series {
        starts_at: first,
        duration,
        rule: Some(rule_text(recurrence, dates)),
        added: Vec::new(),
        excluded: Vec::new(),
        overrides: Vec::new(),
    };
    for &at in rule_dates {
        if let Some(date) = stored.get(&at) {
            used.insert(at);
            if date.cancelled {
                series.excluded.push(at);
            } else if date.ends_at != at + duration {
                series.overrides.push(Override {
                    recurrence_id: at,
                    starts_at: at,
                    ends_at: date.ends_at,
                    cancelled: false,
                });
            }
            continue;
        }
        let day = at.with_timezone(&tz).date_naive();
        let moved = skipped_days
            .contains(&day)
            .then(|| {
                dates.iter().find(|d| {
                    !of_rule.contains(&d.starts_at)
                        && !used.contains(&d.starts_at)
                        && d.starts_at.with_timezone(&tz).date_naive() == day
                })
            })
            .flatten();
        match moved {
            Some(date) => {
                used.insert(date.starts_at);
                series.overrides.push(Override {
                    recurrence_id: at,
                    starts_at: date.starts_at,
                    ends_at: date.ends_at,
                    cancelled: date.cancelled,
                });
            }
            None => series.excluded.push(at),
        }
    }
    for date in dates.iter().filter(|d| !used.contains(&d.starts_at)) {
        if date.cancelled {
            continue;
        }
        series.added.push(date.starts_at);
        if date.ends_at != date.starts_at + duration {
            series.overrides.push(Override {
                recurrence_id: date.starts_at,
                starts_at: date.starts_at,
                ends_at: date.ends_at,
                cancelled: false,
            });
        }
    }
    series.overrides.sort_by_key(|o| o.recurrence_id);
    series
}

/// The rule as written. An event holds at most [`MAX_DATES`] dates: when a rule without
/// an end reached that many, its series ends (`UNTIL`) at the last stored date, as the
/// graph's dates do.
fn rule_text(recurrence: &Recurrence, dates: &[Date]) -> String {
    let rule = recurrence.rule.as_str();
    let bounded = rule
        .split(';')
        .any(|part| part.starts_with("COUNT=") || part.starts_with("UNTIL="));
    match dates.last() {
        Some(last) if dates.len() >= MAX_DATES && !bounded => {
            format!("{rule};UNTIL={}", last.starts_at.format("%Y%m%dT%H%M%SZ"))
        }
        _ => rule.to_owned(),
    }
}

/// Dates without a rule: the first is `DTSTART`, the others `RDATE`s.
fn without_rule(dates: &[Date]) -> Option<Series> {
    let first = dates.first()?;
    let duration = first.ends_at - first.starts_at;
    let mut series = Series {
        starts_at: first.starts_at,
        duration,
        rule: None,
        added: Vec::new(),
        excluded: Vec::new(),
        overrides: Vec::new(),
    };
    if first.cancelled {
        series.excluded.push(first.starts_at);
    }
    for date in dates.iter().skip(1).filter(|d| !d.cancelled) {
        if date.starts_at == first.starts_at {
            continue;
        }
        series.added.push(date.starts_at);
        if date.ends_at - date.starts_at != duration {
            series.overrides.push(Override {
                recurrence_id: date.starts_at,
                starts_at: date.starts_at,
                ends_at: date.ends_at,
                cancelled: false,
            });
        }
    }
    Some(series)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use capitole_domain::recurrence::RecurrenceRule;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Europe::Paris;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(starts: DateTime<Utc>, minutes: i64) -> Date {
        Date {
            starts_at: starts,
            ends_at: starts + Duration::minutes(minutes),
            cancelled: false,
        }
    }

    fn market(exceptions: Vec<NaiveDate>) -> Recurrence {
        Recurrence {
            rule: RecurrenceRule::parse("FREQ=WEEKLY;BYDAY=SA").unwrap(),
            first_start: NaiveDate::from_ymd_opt(2026, 3, 14)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap(),
            duration_minutes: 300,
            exceptions,
        }
    }

    #[test]
    fn a_weekly_series_with_a_cancelled_a_skipped_and_a_moved_saturday() {
        let skipped = NaiveDate::from_ymd_opt(2026, 3, 28).unwrap();
        let moved_from = NaiveDate::from_ymd_opt(2026, 4, 11).unwrap();
        let recurrence = market(vec![skipped, moved_from]);
        let mut dates: Vec<Date> = [14, 21]
            .iter()
            .map(|d| date(paris(2026, 3, *d, 8, 0), 300))
            .chain([4, 18].iter().map(|d| date(paris(2026, 4, *d, 8, 0), 300)))
            .collect();
        dates[1].cancelled = true;
        // The 11 April market takes place in the afternoon instead.
        dates.push(date(paris(2026, 4, 11, 14, 0), 240));
        let series = series(Some(&recurrence), &dates, Paris).unwrap();
        assert_eq!(series.starts_at, paris(2026, 3, 14, 8, 0));
        assert_eq!(series.rule.as_deref(), Some("FREQ=WEEKLY;BYDAY=SA"));
        assert_eq!(
            series.excluded,
            vec![paris(2026, 3, 21, 8, 0), paris(2026, 3, 28, 8, 0)]
        );
        assert_eq!(
            series.overrides,
            vec![Override {
                recurrence_id: paris(2026, 4, 11, 8, 0),
                starts_at: paris(2026, 4, 11, 14, 0),
                ends_at: paris(2026, 4, 11, 18, 0),
                cancelled: false,
            }]
        );
        assert!(series.added.is_empty());
    }

    #[test]
    fn a_series_capped_at_the_most_dates_an_event_holds_ends_at_its_last_date() {
        let daily = Recurrence {
            rule: RecurrenceRule::parse("FREQ=DAILY").unwrap(),
            ..market(Vec::new())
        };
        let first = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let dates: Vec<Date> = (0..i64::try_from(MAX_DATES).unwrap())
            .map(|day| {
                let local = (first + Duration::days(day)).and_hms_opt(8, 0, 0).unwrap();
                let at = local.and_local_timezone(Paris).single().unwrap();
                date(at.with_timezone(&Utc), 300)
            })
            .collect();
        let capped = series(Some(&daily), &dates, Paris).unwrap();
        let last = dates.last().unwrap().starts_at;
        assert_eq!(
            capped.rule.unwrap(),
            format!("FREQ=DAILY;UNTIL={}", last.format("%Y%m%dT%H%M%SZ"))
        );
        // Across the daylight-saving switches the dates keep their local time: no gaps.
        assert!(capped.excluded.is_empty());
        assert!(capped.added.is_empty());
        let fewer = series(Some(&daily), &dates[..10], Paris).unwrap();
        assert_eq!(fewer.rule.unwrap(), "FREQ=DAILY");
    }

    #[test]
    fn a_list_of_dates_is_a_first_date_and_added_ones() {
        let dates = vec![
            date(paris(2026, 5, 2, 20, 0), 120),
            date(paris(2026, 5, 9, 20, 0), 120),
            date(paris(2026, 5, 16, 15, 0), 180),
            Date {
                cancelled: true,
                ..date(paris(2026, 5, 23, 20, 0), 120)
            },
        ];
        let series = series(None, &dates, Paris).unwrap();
        assert_eq!(series.starts_at, paris(2026, 5, 2, 20, 0));
        assert_eq!(series.duration, Duration::minutes(120));
        assert_eq!(
            series.added,
            vec![paris(2026, 5, 9, 20, 0), paris(2026, 5, 16, 15, 0)]
        );
        assert_eq!(series.overrides.len(), 1);
        assert_eq!(series.overrides[0].ends_at, paris(2026, 5, 16, 18, 0));
        assert!(series.excluded.is_empty());
    }

    #[test]
    fn a_cancelled_first_date_stays_the_start_and_is_excluded() {
        let dates = vec![Date {
            cancelled: true,
            ..date(paris(2026, 5, 2, 20, 0), 120)
        }];
        let series = series(None, &dates, Paris).unwrap();
        assert_eq!(series.excluded, vec![series.starts_at]);
        assert!(super::series(None, &[], Paris).is_none());
    }
}
