//! A place's opening hours: weekly ranges, dated exceptions that replace them (bank holidays,
//! closures, late openings), ranges that run past midnight, and the "is it open now?" rule.
//!
//! Hours are wall-clock times in the city's timezone. A range whose closing time is not after
//! its opening time runs into the next day (a bar open 22:00–02:00). That overnight tail belongs
//! to the day the range opened on: an exception on the next day replaces that day's own ranges
//! but not the tail carried over from the night before.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Most ranges a single day may have, weekly or in an exception.
pub const MAX_RANGES_PER_DAY: usize = 10;
/// Most exception dates one place may list (a year of them).
pub const MAX_EXCEPTIONS: usize = 366;
/// Longest exception note, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// Day of the week as the city's opening hours name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayOfWeek {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<Weekday> for DayOfWeek {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Mon => Self::Monday,
            Weekday::Tue => Self::Tuesday,
            Weekday::Wed => Self::Wednesday,
            Weekday::Thu => Self::Thursday,
            Weekday::Fri => Self::Friday,
            Weekday::Sat => Self::Saturday,
            Weekday::Sun => Self::Sunday,
        }
    }
}

impl From<DayOfWeek> for Weekday {
    fn from(day: DayOfWeek) -> Self {
        match day {
            DayOfWeek::Monday => Self::Mon,
            DayOfWeek::Tuesday => Self::Tue,
            DayOfWeek::Wednesday => Self::Wed,
            DayOfWeek::Thursday => Self::Thu,
            DayOfWeek::Friday => Self::Fri,
            DayOfWeek::Saturday => Self::Sat,
            DayOfWeek::Sunday => Self::Sun,
        }
    }
}

/// One opening range on a weekday; `closes <= opens` means it runs past midnight into the next day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRange {
    /// The day the range opens on.
    pub day: DayOfWeek,
    /// Local opening time.
    pub opens: NaiveTime,
    /// Local closing time, on the next day when not after `opens`.
    pub closes: NaiveTime,
}

/// One range on a specific date (exceptions); same overnight convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Local opening time.
    pub opens: NaiveTime,
    /// Local closing time, on the next day when not after `opens`.
    pub closes: NaiveTime,
}

impl TimeRange {
    /// Whether the range runs past midnight into the next day.
    pub fn is_overnight(&self) -> bool {
        self.closes <= self.opens
    }

    /// Whether local time `t`, on the day the range opens, falls inside it.
    fn contains_same_day(&self, t: NaiveTime) -> bool {
        self.opens <= t && (self.is_overnight() || t < self.closes)
    }

    /// Whether local time `t`, on the day after the range opened, is still inside its tail.
    fn contains_next_day(&self, t: NaiveTime) -> bool {
        self.is_overnight() && t < self.closes
    }
}

impl From<&WeeklyRange> for TimeRange {
    fn from(range: &WeeklyRange) -> Self {
        Self {
            opens: range.opens,
            closes: range.closes,
        }
    }
}

/// A date whose hours replace the weekly ones (bank holiday, closure, late opening); no ranges means closed all day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionDay {
    /// The local date the exception applies to.
    pub date: NaiveDate,
    /// The ranges opening on that date, replacing the weekday's.
    #[serde(default)]
    pub ranges: Vec<TimeRange>,
    /// Why the hours differ, shown to visitors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Notes of exception dates, by date: how their translations are kept, as one text per
/// place and language (a JSON object, `{"2026-12-25": "Closed for Christmas"}`).
pub type Notes = std::collections::BTreeMap<NaiveDate, String>;

/// The notes of `hours`' exceptions, as the text their translations are made from: its
/// fingerprint changes whenever one of them does.
pub fn notes_text(hours: &OpeningHours) -> String {
    let notes: Notes = hours
        .exceptions
        .iter()
        .filter_map(|e| Some((e.date, e.note.clone()?)))
        .collect();
    if notes.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&notes).unwrap_or_default()
    }
}

/// The notes a translated text holds; a text this version cannot read holds none.
pub fn notes_of(text: &str) -> Notes {
    serde_json::from_str(text).unwrap_or_default()
}

/// A place's opening hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// The usual week.
    #[serde(default)]
    pub weekly: Vec<WeeklyRange>,
    /// Dates whose hours differ from the usual week.
    #[serde(default)]
    pub exceptions: Vec<ExceptionDay>,
}

/// Why a set of opening hours was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpeningHoursError {
    /// A range opens and closes at the same time, which would be ambiguous (nothing or 24 hours).
    #[error(
        "an opening range cannot open and close at the same time ({at}); for a day open around \
         the clock use 00:00–12:00 and 12:00–00:00"
    )]
    EmptyRange {
        /// The shared opening and closing time.
        at: NaiveTime,
    },
    /// Two exceptions name the same date.
    #[error("the date {0} has more than one exception")]
    DuplicateException(NaiveDate),
    /// A day lists too many ranges.
    #[error("a day can have at most {max} opening ranges")]
    TooManyRanges {
        /// The limit.
        max: usize,
    },
    /// Too many exception dates.
    #[error("opening hours can list at most {max} exception dates")]
    TooManyExceptions {
        /// The limit.
        max: usize,
    },
    /// An exception note is too long.
    #[error("an exception note can be at most {max} characters long")]
    NoteTooLong {
        /// The limit, in characters.
        max: usize,
    },
}

impl OpeningHours {
    /// Checks the rules (no zero-length range, at most 10 ranges per day and 366 exceptions, one exception per date, notes at most 200 chars).
    pub fn validate(&self) -> Result<(), OpeningHoursError> {
        let mut per_day: HashMap<DayOfWeek, usize> = HashMap::new();
        for range in &self.weekly {
            check_range(range.opens, range.closes)?;
            let count = per_day.entry(range.day).or_default();
            *count += 1;
            if *count > MAX_RANGES_PER_DAY {
                return Err(OpeningHoursError::TooManyRanges {
                    max: MAX_RANGES_PER_DAY,
                });
            }
        }

        if self.exceptions.len() > MAX_EXCEPTIONS {
            return Err(OpeningHoursError::TooManyExceptions {
                max: MAX_EXCEPTIONS,
            });
        }
        let mut dates = HashSet::new();
        for exception in &self.exceptions {
            if !dates.insert(exception.date) {
                return Err(OpeningHoursError::DuplicateException(exception.date));
            }
            if exception.ranges.len() > MAX_RANGES_PER_DAY {
                return Err(OpeningHoursError::TooManyRanges {
                    max: MAX_RANGES_PER_DAY,
                });
            }
            for range in &exception.ranges {
                check_range(range.opens, range.closes)?;
            }
            if exception
                .note
                .as_deref()
                .is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS)
            {
                return Err(OpeningHoursError::NoteTooLong {
                    max: MAX_NOTE_CHARS,
                });
            }
        }
        Ok(())
    }

    /// Whether the place is open at instant `at`, reading the hours in the city's timezone `tz`.
    pub fn is_open_at(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz).naive_local();
        let (date, time) = (local.date(), local.time());
        if self
            .ranges_on(date)
            .iter()
            .any(|range| range.contains_same_day(time))
        {
            return true;
        }
        // The previous day's overnight tail applies even when `date` itself is an exception:
        // the exception says how the day's own openings go, not when last night's closes.
        date.pred_opt().is_some_and(|previous| {
            self.ranges_on(previous)
                .iter()
                .any(|range| range.contains_next_day(time))
        })
    }

    /// The ranges that apply on a local date (the exception's if there is one, else the weekday's).
    pub fn ranges_on(&self, date: NaiveDate) -> Vec<TimeRange> {
        let mut ranges: Vec<TimeRange> = match self
            .exceptions
            .iter()
            .find(|exception| exception.date == date)
        {
            Some(exception) => exception.ranges.clone(),
            None => {
                let day = DayOfWeek::from(date.weekday());
                self.weekly
                    .iter()
                    .filter(|range| range.day == day)
                    .map(TimeRange::from)
                    .collect()
            }
        };
        ranges.sort_by_key(|range| (range.opens, range.closes));
        ranges
    }
}

/// Refuses a range that opens and closes at the same time.
fn check_range(opens: NaiveTime, closes: NaiveTime) -> Result<(), OpeningHoursError> {
    if opens == closes {
        return Err(OpeningHoursError::EmptyRange { at: opens });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn weekly(day: DayOfWeek, opens: (u32, u32), closes: (u32, u32)) -> WeeklyRange {
        WeeklyRange {
            day,
            opens: time(opens.0, opens.1),
            closes: time(closes.0, closes.1),
        }
    }

    fn range(opens: (u32, u32), closes: (u32, u32)) -> TimeRange {
        TimeRange {
            opens: time(opens.0, opens.1),
            closes: time(closes.0, closes.1),
        }
    }

    /// The instant of a Paris wall-clock time.
    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office() -> OpeningHours {
        OpeningHours {
            weekly: vec![
                weekly(DayOfWeek::Monday, (9, 0), (12, 0)),
                weekly(DayOfWeek::Monday, (14, 0), (18, 0)),
            ],
            exceptions: vec![],
        }
    }

    /// A bar open Friday 22:00–02:00 and Saturday 22:00–03:00.
    fn bar() -> OpeningHours {
        OpeningHours {
            weekly: vec![
                weekly(DayOfWeek::Friday, (22, 0), (2, 0)),
                weekly(DayOfWeek::Saturday, (22, 0), (3, 0)),
            ],
            exceptions: vec![],
        }
    }

    #[test]
    fn open_during_a_regular_day() {
        // 2026-05-11 is a Monday.
        let hours = office();
        assert!(hours.is_open_at(paris(2026, 5, 11, 9, 0), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 11, 10, 30), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 11, 17, 59), Paris));
    }

    #[test]
    fn closed_before_between_and_after_ranges() {
        let hours = office();
        assert!(!hours.is_open_at(paris(2026, 5, 11, 8, 59), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 11, 12, 0), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 11, 13, 0), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 11, 18, 0), Paris));
        // Tuesday has no ranges.
        assert!(!hours.is_open_at(paris(2026, 5, 12, 10, 0), Paris));
    }

    #[test]
    fn overnight_range_carries_into_the_next_morning() {
        // 2026-05-15 is a Friday.
        let hours = bar();
        assert!(!hours.is_open_at(paris(2026, 5, 15, 21, 59), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 15, 23, 0), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 16, 0, 0), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 16, 1, 30), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 16, 2, 0), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 16, 2, 30), Paris));
        // Thursday night has no range, so Friday morning is closed.
        assert!(!hours.is_open_at(paris(2026, 5, 15, 1, 0), Paris));
    }

    #[test]
    fn closing_at_midnight_is_overnight_with_no_tail() {
        let hours = OpeningHours {
            weekly: vec![weekly(DayOfWeek::Monday, (18, 0), (0, 0))],
            exceptions: vec![],
        };
        assert!(hours.is_open_at(paris(2026, 5, 11, 23, 59), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 12, 0, 0), Paris));
    }

    #[test]
    fn an_exception_closes_the_day_but_not_the_previous_nights_tail() {
        let mut hours = bar();
        hours.exceptions.push(ExceptionDay {
            date: date(2026, 5, 16),
            ranges: vec![],
            note: Some("Closed for a private event".into()),
        });
        assert!(hours.ranges_on(date(2026, 5, 16)).is_empty());
        // Friday's range still runs into Saturday morning...
        assert!(hours.is_open_at(paris(2026, 5, 16, 1, 30), Paris));
        // ...but Saturday's own evening opening is gone, and so is its tail on Sunday.
        assert!(!hours.is_open_at(paris(2026, 5, 16, 23, 0), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 17, 1, 0), Paris));
    }

    #[test]
    fn an_exception_on_the_previous_day_replaces_its_tail() {
        let mut hours = bar();
        hours.exceptions.push(ExceptionDay {
            date: date(2026, 5, 15),
            ranges: vec![range((20, 0), (4, 0))],
            note: None,
        });
        assert!(hours.is_open_at(paris(2026, 5, 15, 20, 30), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 16, 3, 30), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 16, 4, 0), Paris));
    }

    #[test]
    fn an_exception_with_special_hours() {
        let mut hours = office();
        // A short Monday and a late opening on a usually closed Tuesday.
        hours.exceptions.push(ExceptionDay {
            date: date(2026, 5, 11),
            ranges: vec![range((10, 0), (13, 0))],
            note: Some("Short day".into()),
        });
        hours.exceptions.push(ExceptionDay {
            date: date(2026, 5, 12),
            ranges: vec![range((19, 0), (22, 0))],
            note: None,
        });
        assert!(!hours.is_open_at(paris(2026, 5, 11, 9, 30), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 11, 12, 30), Paris));
        assert!(!hours.is_open_at(paris(2026, 5, 11, 15, 0), Paris));
        assert!(hours.is_open_at(paris(2026, 5, 12, 21, 0), Paris));
        assert_eq!(
            hours.ranges_on(date(2026, 5, 12)),
            vec![range((19, 0), (22, 0))]
        );
        // Other Mondays keep the weekly hours, sorted.
        assert_eq!(
            hours.ranges_on(date(2026, 5, 18)),
            vec![range((9, 0), (12, 0)), range((14, 0), (18, 0))]
        );
    }

    #[test]
    fn across_the_march_switch_night() {
        // Saturday 2026-03-28 22:00 to Sunday 03:00; at 02:00 Paris clocks jump to 03:00.
        let hours = bar();
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 00:30Z is 01:30 CET: still open.
        assert!(hours.is_open_at(utc("2026-03-29T00:30:00Z"), Paris));
        // 00:59Z is 01:59 CET; one minute later it is 03:00 CEST and closed.
        assert!(hours.is_open_at(utc("2026-03-29T00:59:00Z"), Paris));
        assert!(!hours.is_open_at(utc("2026-03-29T01:00:00Z"), Paris));
    }

    #[test]
    fn across_the_october_switch_night() {
        // Saturday 2026-10-24 22:00 to Sunday 03:00; 02:00–03:00 happens twice.
        let hours = bar();
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(hours.is_open_at(utc("2026-10-25T00:30:00Z"), Paris)); // 02:30 CEST
        assert!(hours.is_open_at(utc("2026-10-25T01:30:00Z"), Paris)); // 02:30 CET
        assert!(!hours.is_open_at(utc("2026-10-25T02:00:00Z"), Paris)); // 03:00 CET
    }

    #[test]
    fn json_round_trip() {
        let json = r#"{"weekly":[{"day":"MONDAY","opens":"09:00:00","closes":"18:00:00"}],"exceptions":[{"date":"2026-12-25"}]}"#;
        let hours: OpeningHours = serde_json::from_str(json).unwrap();
        assert_eq!(
            hours,
            OpeningHours {
                weekly: vec![weekly(DayOfWeek::Monday, (9, 0), (18, 0))],
                exceptions: vec![ExceptionDay {
                    date: date(2026, 12, 25),
                    ranges: vec![],
                    note: None,
                }],
            }
        );
        let written = serde_json::to_string(&hours).unwrap();
        assert_eq!(
            written,
            r#"{"weekly":[{"day":"MONDAY","opens":"09:00:00","closes":"18:00:00"}],"exceptions":[{"date":"2026-12-25","ranges":[]}]}"#
        );
        assert_eq!(
            serde_json::from_str::<OpeningHours>(&written).unwrap(),
            hours
        );
        assert_eq!(
            serde_json::from_str::<OpeningHours>("{}").unwrap(),
            OpeningHours::default()
        );
    }

    #[test]
    fn weekday_conversions_agree() {
        assert_eq!(DayOfWeek::from(Weekday::Sat), DayOfWeek::Saturday);
        assert_eq!(Weekday::from(DayOfWeek::Sunday), Weekday::Sun);
        assert_eq!(
            serde_json::to_string(&DayOfWeek::Wednesday).unwrap(),
            r#""WEDNESDAY""#
        );
    }

    #[test]
    fn valid_hours_pass() {
        assert_eq!(bar().validate(), Ok(()));
        assert_eq!(OpeningHours::default().validate(), Ok(()));
    }

    #[test]
    fn refuses_a_zero_length_range() {
        let hours = OpeningHours {
            weekly: vec![weekly(DayOfWeek::Monday, (9, 0), (9, 0))],
            exceptions: vec![],
        };
        let error = hours.validate().unwrap_err();
        assert_eq!(error, OpeningHoursError::EmptyRange { at: time(9, 0) });
        assert!(error.to_string().contains("09:00"));

        let hours = OpeningHours {
            weekly: vec![],
            exceptions: vec![ExceptionDay {
                date: date(2026, 1, 1),
                ranges: vec![range((0, 0), (0, 0))],
                note: None,
            }],
        };
        assert!(matches!(
            hours.validate(),
            Err(OpeningHoursError::EmptyRange { .. })
        ));
    }

    #[test]
    fn refuses_too_many_ranges() {
        let many = |day| {
            (0..11)
                .map(|h| weekly(day, (h, 0), (h, 30)))
                .collect::<Vec<_>>()
        };
        let hours = OpeningHours {
            weekly: many(DayOfWeek::Tuesday),
            exceptions: vec![],
        };
        assert_eq!(
            hours.validate(),
            Err(OpeningHoursError::TooManyRanges { max: 10 })
        );
        // Ten on each of two days is fine.
        let mut weekly_ok = many(DayOfWeek::Tuesday);
        weekly_ok.pop();
        let mut wednesday = many(DayOfWeek::Wednesday);
        wednesday.pop();
        weekly_ok.extend(wednesday);
        let hours = OpeningHours {
            weekly: weekly_ok,
            exceptions: vec![ExceptionDay {
                date: date(2026, 1, 1),
                ranges: (0..11).map(|h| range((h, 0), (h, 30))).collect(),
                note: None,
            }],
        };
        assert_eq!(
            hours.validate(),
            Err(OpeningHoursError::TooManyRanges { max: 10 })
        );
    }

    #[test]
    fn refuses_duplicate_and_too_many_exceptions() {
        let closed = |d: NaiveDate| ExceptionDay {
            date: d,
            ranges: vec![],
            note: None,
        };
        let hours = OpeningHours {
            weekly: vec![],
            exceptions: vec![closed(date(2026, 12, 25)), closed(date(2026, 12, 25))],
        };
        let error = hours.validate().unwrap_err();
        assert_eq!(
            error,
            OpeningHoursError::DuplicateException(date(2026, 12, 25))
        );
        assert!(error.to_string().contains("2026-12-25"));

        let first = date(2026, 1, 1);
        let hours = OpeningHours {
            weekly: vec![],
            exceptions: first.iter_days().take(367).map(closed).collect::<Vec<_>>(),
        };
        assert_eq!(
            hours.validate(),
            Err(OpeningHoursError::TooManyExceptions { max: 366 })
        );
    }

    #[test]
    fn refuses_a_long_note_counting_characters() {
        let with_note = |note: String| OpeningHours {
            weekly: vec![],
            exceptions: vec![ExceptionDay {
                date: date(2026, 7, 14),
                ranges: vec![],
                note: Some(note),
            }],
        };
        // 200 accented letters are more than 200 bytes but still fit.
        assert_eq!(with_note("é".repeat(200)).validate(), Ok(()));
        assert_eq!(
            with_note("é".repeat(201)).validate(),
            Err(OpeningHoursError::NoteTooLong { max: 200 })
        );
    }
}
