//! Opening hours as forms give them (times and dates already read by
//! [`crate::calendar`]), checked into [`OpeningHours`], whose own rules then apply.

use chrono::{NaiveDate, NaiveTime};

use crate::editorial::{FieldErrors, Lines, check_count, check_optional_text};
use crate::opening_hours::{
    DayOfWeek, ExceptionDay, MAX_EXCEPTIONS, MAX_NOTE_CHARS, MAX_RANGES_PER_DAY, OpeningHours,
    TimeRange, WeeklyRange,
};

/// One weekly opening range as a form gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyForm {
    /// The day it opens.
    pub day: DayOfWeek,
    /// Opening time.
    pub opens: NaiveTime,
    /// Closing time; not after `opens`, it runs past midnight.
    pub closes: NaiveTime,
}

/// Hours of one date that differ from the weekly ones, as a form gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionForm {
    /// The local date.
    pub date: NaiveDate,
    /// Opening ranges; none means closed all day. Not after `opens`, `closes` is on the
    /// next day.
    pub ranges: Vec<TimeRange>,
    /// Why.
    pub note: Option<String>,
}

/// When a place is open, as a form gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpeningHoursForm {
    /// The usual week.
    pub weekly: Vec<WeeklyForm>,
    /// Dates that differ.
    pub exceptions: Vec<ExceptionForm>,
}

/// Checks opening hours as a form gives them, then the rules of [`OpeningHours::validate`].
pub(super) fn check_hours(errors: &mut FieldErrors, form: &OpeningHoursForm) -> OpeningHours {
    let mut hours = OpeningHours::default();
    let weekly_most = 7 * MAX_RANGES_PER_DAY;
    if check_count(
        errors,
        "openingHours.weekly",
        form.weekly.len(),
        weekly_most,
    ) {
        hours.weekly = form
            .weekly
            .iter()
            .map(|r| WeeklyRange {
                day: r.day,
                opens: r.opens,
                closes: r.closes,
            })
            .collect();
    }
    let exceptions = form.exceptions.len();
    if check_count(
        errors,
        "openingHours.exceptions",
        exceptions,
        MAX_EXCEPTIONS,
    ) {
        for (i, e) in form.exceptions.iter().enumerate() {
            let field = format!("openingHours.exceptions[{i}]");
            let ranges_field = format!("{field}.ranges");
            if !check_count(errors, &ranges_field, e.ranges.len(), MAX_RANGES_PER_DAY) {
                continue;
            }
            let note = check_optional_text(
                errors,
                &format!("{field}.note"),
                e.note.as_deref(),
                MAX_NOTE_CHARS,
                Lines::Single,
            );
            hours.exceptions.push(ExceptionDay {
                date: e.date,
                ranges: e.ranges.clone(),
                note,
            });
        }
    }
    if let Err(e) = hours.validate() {
        errors.add("openingHours", e.to_string());
    }
    hours
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calendar::{parse_date, parse_time};

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.fields().iter().map(|e| e.field.as_str()).collect()
    }

    fn range(opens: &str, closes: &str) -> TimeRange {
        TimeRange {
            opens: parse_time(opens).unwrap(),
            closes: parse_time(closes).unwrap(),
        }
    }

    #[test]
    fn hours_are_read_range_by_range_and_then_checked_as_a_whole() {
        let mut errors = FieldErrors::default();
        let form = OpeningHoursForm {
            weekly: vec![WeeklyForm {
                day: DayOfWeek::Friday,
                opens: parse_time("22:00").unwrap(),
                closes: parse_time("02:00").unwrap(),
            }],
            exceptions: vec![
                ExceptionForm {
                    date: parse_date("2026-12-25").unwrap(),
                    ranges: Vec::new(),
                    note: Some("Noël".into()),
                },
                ExceptionForm {
                    date: parse_date("2026-12-31").unwrap(),
                    ranges: vec![range("10:00", "16:00"), range("20:00", "01:00")],
                    note: Some("a\nb".into()),
                },
            ],
        };
        let hours = check_hours(&mut errors, &form);
        assert_eq!(fields(&errors), ["openingHours.exceptions[1].note"]);
        assert_eq!(hours.weekly.len(), 1);
        assert!(hours.weekly[0].closes < hours.weekly[0].opens);
        assert_eq!(hours.exceptions.len(), 2);
        assert!(hours.exceptions[1].ranges[1].is_overnight());
        let mut errors = FieldErrors::default();
        let twice = OpeningHoursForm {
            weekly: Vec::new(),
            exceptions: vec![
                ExceptionForm {
                    date: parse_date("2026-12-25").unwrap(),
                    ranges: Vec::new(),
                    note: None,
                };
                2
            ],
        };
        check_hours(&mut errors, &twice);
        assert_eq!(fields(&errors), ["openingHours"]);
        let mut errors = FieldErrors::default();
        let crowded = OpeningHoursForm {
            weekly: Vec::new(),
            exceptions: vec![ExceptionForm {
                date: parse_date("2026-12-24").unwrap(),
                ranges: vec![range("10:00", "11:00"); MAX_RANGES_PER_DAY + 1],
                note: None,
            }],
        };
        check_hours(&mut errors, &crowded);
        assert_eq!(fields(&errors), ["openingHours.exceptions[0].ranges"]);
    }
}
