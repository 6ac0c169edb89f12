//! iCalendar's syntax (RFC 5545 §3.1–3.3): content lines folded at 75 octets, escaped text
//! and parameter values, date-times in a named zone or in UTC, and the `VTIMEZONE` of a
//! zone, made from the zone's own transitions so that a client without the tz database
//! still reads every local time right.

use capitole_domain::windows::start_of_day;
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// The longest content line, in octets, line break excluded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// An iCalendar stream being written.
#[derive(Debug, Default)]
pub(crate) struct Ics {
    out: String,
}

impl Ics {
    /// The text written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// A content line whose value is written as given (a date-time, a rule, a number, a URI
    /// without control characters).
    pub(crate) fn raw(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        line.push_str(name);
        for (key, param) in params {
            line.push(';');
            line.push_str(key);
            line.push('=');
            push_param_value(&mut line, param);
        }
        line.push(':');
        line.extend(value.chars().filter(|c| !c.is_control()));
        push_folded(&mut self.out, &line);
    }

    /// A content line with a TEXT value, escaped.
    pub(crate) fn text(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        self.raw(name, params, &escape_text(value));
    }

    /// A content line with a list of TEXT values (`CATEGORIES`), each escaped.
    pub(crate) fn texts(&mut self, name: &str, values: &[&str]) {
        let escaped: Vec<String> = values.iter().map(|v| escape_text(v)).collect();
        self.raw(name, &[], &escaped.join(","));
    }

    /// `BEGIN:` a component.
    pub(crate) fn begin(&mut self, component: &str) {
        self.raw("BEGIN", &[], component);
    }

    /// `END:` a component.
    pub(crate) fn end(&mut self, component: &str) {
        self.raw("END", &[], component);
    }

    /// A date-time property in the zone `tz` (`DTSTART;TZID=Europe/Paris:20270306T080000`).
    pub(crate) fn local(&mut self, name: &str, tz: Tz, at: DateTime<Utc>) {
        self.raw(name, &[("TZID", tz.name())], &local_time(tz, at));
    }

    /// A list of date-times in the zone `tz` on one line (`EXDATE`, `RDATE`).
    pub(crate) fn locals(&mut self, name: &str, tz: Tz, at: &[DateTime<Utc>]) {
        // One line per 40 values keeps lines readable once folded.
        for chunk in at.chunks(40) {
            let values: Vec<String> = chunk.iter().map(|t| local_time(tz, *t)).collect();
            self.raw(name, &[("TZID", tz.name())], &values.join(","));
        }
    }

    /// A date-time property in UTC (`DTSTAMP:20270306T080000Z`).
    pub(crate) fn utc(&mut self, name: &str, at: DateTime<Utc>) {
        self.raw(name, &[], &at.format("%Y%m%dT%H%M%SZ").to_string());
    }
}

/// A local date-time of `tz` as iCalendar writes it, without zone (`20270306T080000`).
pub(crate) fn local_time(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

/// Appends `line` folded into lines of at most 75 octets (continuation lines start with a
/// space, which counts), never inside a character, each ended by CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut start = 0;
    let mut room = LINE_OCTETS;
    for (at, c) in line.char_indices() {
        if at - start + c.len_utf8() > room {
            out.push_str(line.get(start..at).unwrap_or_default());
            out.push_str("\r\n ");
            start = at;
            room = LINE_OCTETS - 1;
        }
    }
    out.push_str(line.get(start..).unwrap_or_default());
    out.push_str("\r\n");
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks;
/// other control characters, which TEXT cannot hold, are left out.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value, quoted when it holds `:`, `;` or `,`; it cannot hold a double quote
/// or a control character, which are left out.
fn push_param_value(line: &mut String, value: &str) {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if clean.contains([':', ';', ',']) {
        line.push('"');
        line.push_str(&clean);
        line.push('"');
    } else {
        line.push_str(&clean);
    }
}

/// What a zone observes during a span of time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    /// Seconds east of UTC.
    offset: i32,
    /// Whether it is daylight-saving time.
    daylight: bool,
    /// Its abbreviation (`CET`, `CEST`).
    name: Option<String>,
}

fn observance_at(tz: Tz, at: DateTime<Utc>) -> Observance {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    Observance {
        offset: offset.fix().local_minus_utc(),
        daylight: !offset.dst_offset().is_zero(),
        name: offset.abbreviation().map(str::to_owned),
    }
}

/// `+0100`, `-0330`, `+003412` (seconds only when the offset has some).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// The zone's changes of observance within `[from, to)`: each instant with what it was and
/// what it becomes. The zone is sampled every six hours and each change pinned down to the
/// second by bisection, which finds every transition the tz database holds for any zone.
fn transitions(
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Observance, Observance)> {
    let step = TimeDelta::hours(6);
    let mut found = Vec::new();
    let mut at = from;
    let mut before = observance_at(tz, at);
    while at < to {
        let next = at + step;
        let after = observance_at(tz, next);
        if after != before {
            let (mut low, mut high) = (at, next);
            while high - low > TimeDelta::seconds(1) {
                let middle = low + (high - low) / 2;
                if observance_at(tz, middle) == before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            found.push((high, before, after.clone()));
        }
        before = after;
        at = next;
    }
    found
}

/// Writes the `VTIMEZONE` of `tz` for the years `first_year` to `last_year`: the
/// observance in force on 1 January of the first year, then one `STANDARD` or `DAYLIGHT`
/// for each change until the end of the last year, each starting at its local time before
/// the change (RFC 5545 §3.6.5).
pub(crate) fn vtimezone(ics: &mut Ics, tz: Tz, first_year: i32, last_year: i32) {
    // Local midnight of 1 January, so that the first observance starts on a whole day.
    let start_of = |year: i32| NaiveDate::from_ymd_opt(year, 1, 1).map(|d| start_of_day(d, tz));
    let (Some(from), Some(to)) = (start_of(first_year), start_of(last_year.saturating_add(1)))
    else {
        return;
    };
    ics.begin("VTIMEZONE");
    ics.raw("TZID", &[], tz.name());
    ics.raw("X-LIC-LOCATION", &[], tz.name());
    let first = observance_at(tz, from);
    observance(ics, from, &first, &first);
    for (at, before, after) in transitions(tz, from, to) {
        observance(ics, at, &before, &after);
    }
    ics.end("VTIMEZONE");
}

/// One `STANDARD` or `DAYLIGHT` sub-component: `after` from the instant `at` on.
fn observance(ics: &mut Ics, at: DateTime<Utc>, before: &Observance, after: &Observance) {
    let kind = if after.daylight {
        "DAYLIGHT"
    } else {
        "STANDARD"
    };
    // The onset is the local time as the clocks read it just before the change.
    let onset = at.naive_utc() + TimeDelta::seconds(i64::from(before.offset));
    ics.begin(kind);
    ics.raw("DTSTART", &[], &onset.format("%Y%m%dT%H%M%S").to_string());
    ics.raw("TZOFFSETFROM", &[], &utc_offset(before.offset));
    ics.raw("TZOFFSETTO", &[], &utc_offset(after.offset));
    if let Some(name) = &after.name {
        ics.text("TZNAME", &[], name);
    }
    ics.end(kind);
}

/// The years from the earliest to the latest of these instants, in `tz`.
pub(crate) fn years_of(
    tz: Tz,
    instants: impl Iterator<Item = DateTime<Utc>>,
) -> Option<(i32, i32)> {
    instants
        .map(|t| t.with_timezone(&tz).year())
        .fold(None, |span, year| match span {
            None => Some((year, year)),
            Some((low, high)) => Some((low.min(year), high.max(year))),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.split("\r\n").filter(|l| !l.is_empty()).collect()
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters_and_unfold_to_the_same_text() {
        let mut ics = Ics::default();
        let summary = "Fête de la musique à la prairie des Filtres, scène ouverte; concerts, \
                       ateliers et buvette — toute la journée, entrée libre. 🎶🎶🎶🎶🎶🎶";
        ics.text("SUMMARY", &[], summary);
        let text = ics.finish();
        assert!(text.ends_with("\r\n"));
        let physical = lines(&text);
        assert!(physical.len() > 2, "{physical:?}");
        for line in &physical {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        for line in &physical[1..] {
            assert!(line.starts_with(' '));
        }
        let unfolded = text.replace("\r\n ", "");
        assert_eq!(
            unfolded.trim_end(),
            format!("SUMMARY:{}", escape_text(summary))
        );
    }

    #[test]
    fn text_and_parameters_are_escaped() {
        assert_eq!(
            escape_text("a;b,c\\d\r\ne\nf\u{7}"),
            "a\\;b\\,c\\\\d\\ne\\nf"
        );
        let mut ics = Ics::default();
        ics.text("ORGANIZER", &[("CN", "Ville \"de\": Toulouse")], "x");
        assert_eq!(ics.finish(), "ORGANIZER;CN=\"Ville de: Toulouse\":x\r\n");
    }

    #[test]
    fn offsets_are_written_with_seconds_only_when_needed() {
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-12_600), "-0330");
        assert_eq!(utc_offset(2_052), "+003412");
        assert_eq!(utc_offset(0), "+0000");
    }

    #[test]
    fn paris_switches_on_the_last_sundays_of_march_and_october() {
        let mut ics = Ics::default();
        vtimezone(&mut ics, chrono_tz::Europe::Paris, 2026, 2027);
        let text = ics.finish();
        let body = lines(&text).join("\n");
        assert!(body.contains(
            "BEGIN:DAYLIGHT\nDTSTART:20260329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\nEND:DAYLIGHT"
        ), "{body}");
        assert!(body.contains(
            "BEGIN:STANDARD\nDTSTART:20261025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nEND:STANDARD"
        ), "{body}");
        assert!(body.contains("DTSTART:20270328T020000"), "{body}");
        assert!(body.contains("DTSTART:20271031T030000"), "{body}");
        // The winter from 1 January 2026, then four changes.
        assert!(
            body.contains("BEGIN:STANDARD\nDTSTART:20260101T000000\nTZOFFSETFROM:+0100"),
            "{body}"
        );
        assert_eq!(body.matches("BEGIN:STANDARD").count(), 3, "{body}");
        assert_eq!(body.matches("BEGIN:DAYLIGHT").count(), 2, "{body}");
    }

    #[test]
    fn other_zones_get_their_own_rules() {
        // The southern hemisphere: summer time ends in April and starts in October.
        let mut ics = Ics::default();
        vtimezone(&mut ics, chrono_tz::America::Santiago, 2026, 2026);
        let body = ics.finish();
        assert!(body.contains("TZID:America/Santiago"));
        assert!(
            body.contains("TZOFFSETFROM:-0300\r\nTZOFFSETTO:-0400"),
            "{body}"
        );
        assert!(
            body.contains("TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0300"),
            "{body}"
        );
        // A zone without daylight-saving time has one observance.
        let mut ics = Ics::default();
        vtimezone(&mut ics, chrono_tz::Asia::Kolkata, 2026, 2028);
        let body = ics.finish();
        assert_eq!(body.matches("BEGIN:STANDARD").count(), 1, "{body}");
        assert!(body.contains("TZOFFSETTO:+0530"), "{body}");
        assert!(!body.contains("DAYLIGHT"), "{body}");
    }
}
