//! Opening hours as forms give them (`HH:MM` times, `HH:MM-HH:MM` ranges, `YYYY-MM-DD`
//! dates), checked into [`OpeningHours`], whose own rules then apply.

use chrono::{NaiveDate, NaiveTime};

use crate::editorial::{FieldErrors, Lines, check_count, check_optional_text};
use crate::opening_hours::{
    DayOfWeek, ExceptionDay, MAX_EXCEPTIONS, MAX_NOTE_CHARS, MAX_RANGES_PER_DAY, OpeningHours,
    TimeRange, WeeklyRange,
};

/// One weekly opening range as a form gives it (`HH:MM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyForm {
    /// The day it opens.
    pub day: DayOfWeek,
    /// Opening time.
    pub opens: String,
    /// Closing time; not after `opens`, it runs past midnight.
    pub closes: String,
}

/// Hours of one date that differ from the weekly ones, as a form gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionForm {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Ranges as `HH:MM-HH:MM`; none means closed all day.
    pub ranges: Vec<String>,
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

fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
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
        for (i, r) in form.weekly.iter().enumerate() {
            match (parse_hhmm(&r.opens), parse_hhmm(&r.closes)) {
                (Some(opens), Some(closes)) => hours.weekly.push(WeeklyRange {
                    day: r.day,
                    opens,
                    closes,
                }),
                _ => errors.add(format!("openingHours.weekly[{i}]"), "times are HH:MM"),
            }
        }
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
            let Ok(date) = NaiveDate::parse_from_str(e.date.trim(), "%Y-%m-%d") else {
                errors.add(format!("{field}.date"), "give a date such as 2027-05-01");
                continue;
            };
            let ranges_field = format!("{field}.ranges");
            if !check_count(errors, &ranges_field, e.ranges.len(), MAX_RANGES_PER_DAY) {
                continue;
            }
            let mut ranges = Vec::new();
            for (j, range) in e.ranges.iter().enumerate() {
                let parsed = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)));
                match parsed {
                    Some((opens, closes)) => ranges.push(TimeRange { opens, closes }),
                    None => errors.add(format!("{field}.ranges[{j}]"), "a range is HH:MM-HH:MM"),
                }
            }
            let note = check_optional_text(
                errors,
                &format!("{field}.note"),
                e.note.as_deref(),
                MAX_NOTE_CHARS,
                Lines::Single,
            );
            hours.exceptions.push(ExceptionDay { date, ranges, note });
        }
    }
    if let Err(e) = hours.validate() {
        errors.add("openingHours", e.to_string());
    }
    hours
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.fields().iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn hours_are_read_range_by_range_and_then_checked_as_a_whole() {
        let mut errors = FieldErrors::default();
        let form = OpeningHoursForm {
            weekly: vec![
                WeeklyForm {
                    day: DayOfWeek::Friday,
                    opens: "22:00".into(),
                    closes: " 02:00".into(),
                },
                WeeklyForm {
                    day: DayOfWeek::Monday,
                    opens: "9h".into(),
                    closes: "18:00".into(),
                },
            ],
            exceptions: vec![
                ExceptionForm {
                    date: "2026-12-25".into(),
                    ranges: Vec::new(),
                    note: Some("Noël".into()),
                },
                ExceptionForm {
                    date: "2026-12-31".into(),
                    ranges: vec!["10:00-16:00".into(), "late".into()],
                    note: None,
                },
                ExceptionForm {
                    date: "Easter".into(),
                    ..ExceptionForm::default()
                },
            ],
        };
        let hours = check_hours(&mut errors, &form);
        assert_eq!(
            fields(&errors),
            [
                "openingHours.weekly[1]",
                "openingHours.exceptions[1].ranges[1]",
                "openingHours.exceptions[2].date",
            ]
        );
        assert_eq!(hours.weekly.len(), 1);
        assert!(hours.weekly[0].closes < hours.weekly[0].opens);
        assert_eq!(hours.exceptions.len(), 2);
        let mut errors = FieldErrors::default();
        let twice = OpeningHoursForm {
            weekly: Vec::new(),
            exceptions: vec![
                ExceptionForm {
                    date: "2026-12-25".into(),
                    ..ExceptionForm::default()
                };
                2
            ],
        };
        check_hours(&mut errors, &twice);
        assert_eq!(fields(&errors), ["openingHours"]);
    }
}
