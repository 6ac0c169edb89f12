//! Calendar values as clients write them: a date (`2026-12-25`), a wall-clock time
//! (`09:30`) and a date-time in city time with its UTC offset (`2026-12-05T20:00:00+01:00`).
//! Each has one written form, read strictly, so that a value has one spelling everywhere
//! (forms, feeds, the graph). Which instant a city time is, and the daylight-saving rules,
//! belong to [`crate::windows`] and [`crate::schedule`].

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone};

/// Why a date, a time or a local date-time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not written `YYYY-MM-DD`.
    #[error("a date is written YYYY-MM-DD, such as 2026-12-25")]
    DateForm,
    /// Written `YYYY-MM-DD` but not a day of the calendar (`2026-02-30`).
    #[error("{0} is not a day of the calendar")]
    NoSuchDay(String),
    /// Not written `HH:MM` from 00:00 to 23:59.
    #[error("a time of day is written HH:MM, from 00:00 to 23:59, such as 09:30")]
    TimeForm,
    /// Not an RFC 3339 date-time with its offset.
    #[error("a local date-time is written with its UTC offset, such as 2026-12-05T20:00:00+01:00")]
    LocalDateTimeForm,
}

/// Whether `text` has ASCII digits where `pattern` has `9` and the same byte elsewhere.
fn shaped(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// Reads a calendar date written `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, CalendarError> {
    let raw = raw.trim();
    if !shaped(raw, "9999-99-99") {
        return Err(CalendarError::DateForm);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| CalendarError::NoSuchDay(raw.into()))
}

/// Writes a calendar date as `YYYY-MM-DD`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Reads a wall-clock time written `HH:MM` (00:00 to 23:59).
pub fn parse_time(raw: &str) -> Result<NaiveTime, CalendarError> {
    let raw = raw.trim();
    if !shaped(raw, "99:99") {
        return Err(CalendarError::TimeForm);
    }
    let number = |part: &str| part.parse::<u32>().map_err(|_| CalendarError::TimeForm);
    let (hour, minute) = (number(&raw[..2])?, number(&raw[3..])?);
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or(CalendarError::TimeForm)
}

/// Writes a wall-clock time as `HH:MM` (opening hours have no seconds).
pub fn format_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// Reads a date-time written with its UTC offset (RFC 3339), keeping the offset given.
pub fn parse_local_date_time(raw: &str) -> Result<DateTime<FixedOffset>, CalendarError> {
    DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| CalendarError::LocalDateTimeForm)
}

/// Writes a date-time in its own time zone with the UTC offset in force at that moment
/// (`2026-12-05T20:00:00+01:00`, `2026-07-14T22:00:00+02:00`), never `Z`.
pub fn format_local_date_time<Tz: TimeZone>(at: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::Utc;
    use chrono_tz::Europe::Paris;

    use super::*;

    #[test]
    fn dates_are_written_one_way_and_must_exist() {
        let date = parse_date("2026-12-25").unwrap();
        assert_eq!(format_date(date), "2026-12-25");
        assert_eq!(
            parse_date(" 2028-02-29 ").unwrap().to_string(),
            "2028-02-29"
        );
        for bad in [
            "25/12/2026",
            "2026-1-5",
            "2026-12-25T00:00",
            "",
            "Easter",
            "２０２６-12-25",
        ] {
            assert_eq!(parse_date(bad), Err(CalendarError::DateForm), "{bad}");
        }
        assert_eq!(
            parse_date("2026-02-30"),
            Err(CalendarError::NoSuchDay("2026-02-30".into()))
        );
        assert!(parse_date("2026-13-01").is_err());
    }

    #[test]
    fn times_are_hours_and_minutes_of_one_day() {
        assert_eq!(format_time(parse_time("09:30").unwrap()), "09:30");
        assert_eq!(format_time(parse_time("00:00").unwrap()), "00:00");
        assert_eq!(format_time(parse_time("23:59").unwrap()), "23:59");
        for bad in ["9:30", "24:00", "12:60", "09:30:00", "9h30", "", "ab:cd"] {
            assert_eq!(parse_time(bad), Err(CalendarError::TimeForm), "{bad}");
        }
    }

    #[test]
    fn local_date_times_carry_the_offset_in_force_on_each_side_of_a_change() {
        // Paris leaves winter time on 29 March 2026 at 02:00 (+01:00 → +02:00) and goes
        // back on 25 October 2026 at 03:00 (+02:00 → +01:00).
        let at = |utc: &str| utc.parse::<DateTime<Utc>>().unwrap().with_timezone(&Paris);
        assert_eq!(
            format_local_date_time(&at("2026-03-29T00:30:00Z")),
            "2026-03-29T01:30:00+01:00"
        );
        assert_eq!(
            format_local_date_time(&at("2026-03-29T01:30:00Z")),
            "2026-03-29T03:30:00+02:00"
        );
        assert_eq!(
            format_local_date_time(&at("2026-10-25T00:30:00Z")),
            "2026-10-25T02:30:00+02:00"
        );
        assert_eq!(
            format_local_date_time(&at("2026-10-25T01:30:00Z")),
            "2026-10-25T02:30:00+01:00"
        );
        let read = parse_local_date_time("2026-12-05T20:00:00+01:00").unwrap();
        assert_eq!(read.offset().local_minus_utc(), 3600);
        assert_eq!(format_local_date_time(&read), "2026-12-05T20:00:00+01:00");
        for bad in ["2026-12-05T20:00:00", "2026-12-05", "tomorrow"] {
            assert_eq!(
                parse_local_date_time(bad),
                Err(CalendarError::LocalDateTimeForm),
                "{bad}"
            );
        }
    }
}
