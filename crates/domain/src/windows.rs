//! City-time windows ("today", "this weekend"...) that listings are filtered by, and the
//! conversion of a local wall-clock time to an instant that the other time modules share.
//!
//! Every boundary is a local midnight in the city's timezone: windows follow calendar days, so
//! a day that contains a daylight-saving switch lasts 23 or 25 hours.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

/// A named span of city time that listings can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWindow {
    /// From this local midnight to the next one.
    Today,
    /// The calendar day after today.
    Tomorrow,
    /// Saturday and Sunday of the current week (the weekend we are in, on a weekend day).
    ThisWeekend,
    /// Monday to Sunday of the current ISO week.
    ThisWeek,
    /// Today and the six calendar days after it.
    Next7Days,
}

impl TimeWindow {
    /// The half-open UTC range [start, end) this window covers when it is `now` in the city of timezone `tz`.
    pub fn range(self, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = now.with_timezone(&tz).date_naive();
        let monday = add_days(today, -i64::from(today.weekday().num_days_from_monday()));
        let (first, end) = match self {
            Self::Today => (today, add_days(today, 1)),
            Self::Tomorrow => (add_days(today, 1), add_days(today, 2)),
            Self::ThisWeekend => (add_days(monday, 5), add_days(monday, 7)),
            Self::ThisWeek => (monday, add_days(monday, 7)),
            Self::Next7Days => (today, add_days(today, 7)),
        };
        (start_of_day(first, tz), start_of_day(end, tz))
    }
}

/// The first instant of local date `date` in `tz` (its midnight, or the end of a gap that swallows it).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_instant(date.and_time(NaiveTime::MIN), tz)
}

/// The instant a local wall-clock time denotes in `tz`: the earlier one when the clock goes back,
/// the first valid instant after it when the clock jumps over it.
pub fn local_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(instant) = local.and_local_timezone(tz).earliest() {
        return instant.with_timezone(&Utc);
    }
    // The time falls in a gap. Offsets stay within -12h..+14h, so the instant we want lies
    // between these bounds; with a single forward transition there, "the local reading is at
    // least `local`" switches once from false to true, at the transition, which we bisect.
    let center = local.and_utc().timestamp();
    let (mut lo, mut hi) = (center - 15 * 3600, center + 15 * 3600);
    let reaches = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .is_some_and(|instant| instant.with_timezone(&tz).naive_local() >= local)
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `date` moved by `days`, saturating at chrono's date range rather than panicking.
fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let magnitude = Days::new(days.unsigned_abs());
    let moved = if days >= 0 {
        date.checked_add_days(magnitude)
    } else {
        date.checked_sub_days(magnitude)
    };
    moved.unwrap_or(if days >= 0 {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use chrono_tz::{America, Europe};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn range(window: TimeWindow, now: &str, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        window.range(utc(now), tz)
    }

    #[test]
    fn today_is_an_ordinary_24_hours() {
        let (start, end) = range(TimeWindow::Today, "2026-05-13T10:00:00Z", Europe::Paris);
        assert_eq!(start, utc("2026-05-12T22:00:00Z"));
        assert_eq!(end, utc("2026-05-13T22:00:00Z"));
    }

    #[test]
    fn today_is_23_hours_on_the_march_switch() {
        let (start, end) = range(TimeWindow::Today, "2026-03-29T12:00:00Z", Europe::Paris);
        assert_eq!(start, utc("2026-03-28T23:00:00Z"));
        assert_eq!(end, utc("2026-03-29T22:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(23));
    }

    #[test]
    fn today_is_25_hours_on_the_october_switch() {
        let (start, end) = range(TimeWindow::Today, "2026-10-25T12:00:00Z", Europe::Paris);
        assert_eq!(start, utc("2026-10-24T22:00:00Z"));
        assert_eq!(end, utc("2026-10-25T23:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(25));
    }

    #[test]
    fn tomorrow_spans_the_march_switch_day() {
        let (start, end) = range(TimeWindow::Tomorrow, "2026-03-28T09:00:00Z", Europe::Paris);
        assert_eq!(start, utc("2026-03-28T23:00:00Z"));
        assert_eq!(end, utc("2026-03-29T22:00:00Z"));
    }

    #[test]
    fn late_evening_utc_is_already_tomorrow_in_paris() {
        // 22:30Z on Tuesday is 00:30 on Wednesday in Paris (summer time).
        let now = "2026-06-09T22:30:00Z";
        let (start, end) = range(TimeWindow::Today, now, Europe::Paris);
        assert_eq!(start, utc("2026-06-09T22:00:00Z"));
        assert_eq!(end, utc("2026-06-10T22:00:00Z"));
        let (start, _) = range(TimeWindow::Tomorrow, now, Europe::Paris);
        assert_eq!(start, utc("2026-06-10T22:00:00Z"));
    }

    #[test]
    fn this_weekend_from_a_wednesday() {
        // Wednesday 2026-10-21; the weekend contains the October switch (Sunday 25th).
        let (start, end) = range(
            TimeWindow::ThisWeekend,
            "2026-10-21T12:00:00Z",
            Europe::Paris,
        );
        assert_eq!(start, utc("2026-10-23T22:00:00Z"));
        assert_eq!(end, utc("2026-10-25T23:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(49));
    }

    #[test]
    fn this_weekend_on_saturday_and_sunday_is_the_current_one() {
        let expected = (utc("2026-03-27T23:00:00Z"), utc("2026-03-29T22:00:00Z"));
        let saturday = range(
            TimeWindow::ThisWeekend,
            "2026-03-28T08:00:00Z",
            Europe::Paris,
        );
        let sunday = range(
            TimeWindow::ThisWeekend,
            "2026-03-29T21:30:00Z",
            Europe::Paris,
        );
        assert_eq!(saturday, expected);
        assert_eq!(sunday, expected);
        assert_eq!(expected.1 - expected.0, TimeDelta::hours(47));
    }

    #[test]
    fn this_weekend_late_sunday_utc_is_already_next_week() {
        // 22:30Z on Sunday is Monday 00:30 in Paris: the weekend is the coming one.
        let (start, _) = range(
            TimeWindow::ThisWeekend,
            "2026-06-14T22:30:00Z",
            Europe::Paris,
        );
        assert_eq!(start, utc("2026-06-19T22:00:00Z"));
    }

    #[test]
    fn this_week_starts_on_monday() {
        let expected = (utc("2026-03-22T23:00:00Z"), utc("2026-03-29T22:00:00Z"));
        // Monday itself, a Thursday and the Sunday all give the same week.
        for now in [
            "2026-03-22T23:00:00Z",
            "2026-03-26T12:00:00Z",
            "2026-03-29T21:59:59Z",
        ] {
            assert_eq!(range(TimeWindow::ThisWeek, now, Europe::Paris), expected);
        }
        assert_eq!(expected.1 - expected.0, TimeDelta::hours(7 * 24 - 1));
    }

    #[test]
    fn next_7_days_are_calendar_days() {
        let (start, end) = range(TimeWindow::Next7Days, "2026-10-20T10:00:00Z", Europe::Paris);
        assert_eq!(start, utc("2026-10-19T22:00:00Z"));
        assert_eq!(end, utc("2026-10-26T23:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(7 * 24 + 1));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_when_clocks_jump() {
        // Havana springs forward at midnight: 2026-03-08 00:00 does not exist, the day
        // starts at 01:00 CDT (05:00Z).
        let tz = America::Havana;
        let midnight = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_time(NaiveTime::MIN);
        assert!(midnight.and_local_timezone(tz).earliest().is_none());
        let (start, end) = range(TimeWindow::Today, "2026-03-08T12:00:00Z", tz);
        assert_eq!(start, utc("2026-03-08T05:00:00Z"));
        assert_eq!(end, utc("2026-03-09T04:00:00Z"));
        // The previous day ends where this one starts.
        let (_, previous_end) = range(TimeWindow::Today, "2026-03-07T12:00:00Z", tz);
        assert_eq!(previous_end, start);
    }

    #[test]
    fn an_ambiguous_local_time_takes_the_earlier_instant() {
        // Havana falls back at 01:00 CDT to 00:00 CST: 00:30 happens twice.
        let tz = America::Havana;
        let local = NaiveDate::from_ymd_opt(2026, 11, 1)
            .unwrap()
            .and_hms_opt(0, 30, 0)
            .unwrap();
        assert_eq!(local_instant(local, tz), utc("2026-11-01T04:30:00Z"));
    }

    #[test]
    fn a_time_in_a_gap_moves_to_the_end_of_the_gap() {
        let local = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_instant(local, Europe::Paris),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
    }
}
