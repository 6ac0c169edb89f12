//! The graph's own scalars: calendar values (`Date`, `LocalDateTime`, `LocalTime`), web
//! addresses (`URL`) and email addresses (`Email`). Each is read by the domain's one rule
//! for it while a query and its variables are validated, so a value that does not fit stops
//! the request before anything runs, as a wrong `Int` does, and [`explain`] adds the form
//! the scalar expects to async-graphql's message. Values read from storage are shown as
//! stored.

use async_graphql::{InputType, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use capitole_domain::access::{Email as DomainEmail, EmailError};
use capitole_domain::calendar::{self, CalendarError};
use capitole_domain::weblink;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

/// How a `URL` is written, for messages.
const URL_FORM: &str =
    "a URL is an absolute http:// or https:// address, such as https://www.toulouse.fr/agenda";

/// Reads a string value with `read`; any other value is refused with its type.
fn read_string<S: InputType>(
    value: Value,
    read: impl FnOnce(&str) -> Result<S, String>,
) -> InputValueResult<S> {
    match &value {
        Value::String(text) => read(text).map_err(InputValueError::custom),
        _ => Err(InputValueError::expected_type(value)),
    }
}

/// A calendar date, written `YYYY-MM-DD` (`2026-12-25`): a day of the city's calendar,
/// without a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date(pub NaiveDate);

/// A calendar date, written `YYYY-MM-DD` (`2026-12-25`): a day of the city's calendar,
/// without a time.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        read_string(value, |text| {
            calendar::parse_date(text)
                .map(Date)
                .map_err(|e| e.to_string())
        })
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if calendar::parse_date(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(calendar::format_date(self.0))
    }
}

/// A date and wall-clock time in the city's time zone with the UTC offset in force at that
/// moment (`2026-12-05T20:00:00+01:00`, `2026-07-14T22:30:00+02:00`): what a clock in the
/// city shows, and the instant it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalDateTime(pub DateTime<FixedOffset>);

impl LocalDateTime {
    /// The instant `at` as clocks show it in the time zone `tz`.
    pub(crate) fn of<Tz: TimeZone>(at: DateTime<chrono::Utc>, tz: &Tz) -> Self {
        LocalDateTime(at.with_timezone(tz).fixed_offset())
    }
}

/// A date and wall-clock time in the city's time zone with the UTC offset in force at that
/// moment (`2026-12-05T20:00:00+01:00`, `2026-07-14T22:30:00+02:00`): what a clock in the
/// city shows, and the instant it is.
#[Scalar(
    name = "LocalDateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for LocalDateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        read_string(value, |text| {
            calendar::parse_local_date_time(text)
                .map(LocalDateTime)
                .map_err(|e| e.to_string())
        })
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if calendar::parse_local_date_time(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(calendar::format_local_date_time(&self.0))
    }
}

/// A wall-clock time of day in the city, written `HH:MM` from `00:00` to `23:59` (`09:30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalTime(pub NaiveTime);

/// A wall-clock time of day in the city, written `HH:MM` from `00:00` to `23:59` (`09:30`).
#[Scalar(
    name = "LocalTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for LocalTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        read_string(value, |text| {
            calendar::parse_time(text)
                .map(LocalTime)
                .map_err(|e| e.to_string())
        })
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if calendar::parse_time(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(calendar::format_time(self.0))
    }
}

/// An absolute web address, `http://` or `https://` with a host
/// (`https://www.toulouse.fr/agenda`), at most 2,048 bytes. Addresses given for
/// publication must moreover be https, on a public host, without a user name or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url(pub String);

impl From<String> for Url {
    fn from(stored: String) -> Self {
        Url(stored)
    }
}

impl From<&str> for Url {
    fn from(stored: &str) -> Self {
        Url(stored.to_owned())
    }
}

/// An absolute web address, `http://` or `https://` with a host
/// (`https://www.toulouse.fr/agenda`), at most 2,048 bytes. Addresses given for
/// publication must moreover be https, on a public host, without a user name or password.
#[Scalar(name = "URL", specified_by_url = "https://url.spec.whatwg.org/")]
impl ScalarType for Url {
    fn parse(value: Value) -> InputValueResult<Self> {
        read_string(value, |text| {
            weblink::parse_web_address(text)
                .map(|_| Url(text.trim().to_owned()))
                .map_err(|e| format!("{e}; {URL_FORM}"))
        })
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if weblink::parse_web_address(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// An email address (`name@example.org`), at most 254 characters; Capitole keeps it
/// trimmed and in lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Email(pub String);

impl From<String> for Email {
    fn from(stored: String) -> Self {
        Email(stored)
    }
}

impl From<&str> for Email {
    fn from(stored: &str) -> Self {
        Email(stored.to_owned())
    }
}

/// An email address (`name@example.org`), at most 254 characters; Capitole keeps it
/// trimmed and in lowercase.
#[Scalar(
    name = "Email",
    specified_by_url = "https://html.spec.whatwg.org/multipage/input.html#valid-e-mail-address"
)]
impl ScalarType for Email {
    fn parse(value: Value) -> InputValueResult<Self> {
        read_string(value, |text| {
            DomainEmail::parse(text)
                .map(|email| Email(email.as_str().to_owned()))
                .map_err(|e| e.to_string())
        })
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if DomainEmail::parse(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// The form a scalar of the graph expects, by its name.
fn form_of(scalar: &str) -> Option<String> {
    Some(match scalar {
        "Date" => CalendarError::DateForm.to_string(),
        "LocalDateTime" => CalendarError::LocalDateTimeForm.to_string(),
        "LocalTime" => CalendarError::TimeForm.to_string(),
        "URL" => URL_FORM.to_owned(),
        "Email" => EmailError.to_string(),
        _ => return None,
    })
}

/// async-graphql's message for a value that does not fit one of these scalars (`Invalid
/// value for argument "input.email", expected type "Email"`), with the form the scalar
/// expects added; `None` for any other message.
pub(crate) fn explain(message: &str) -> Option<String> {
    let rest = message.strip_suffix('"')?;
    let (_, scalar) = rest.rsplit_once("expected type \"")?;
    Some(format!("{message}: {}", form_of(scalar)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_about_these_scalars_say_the_form_expected() {
        assert_eq!(
            explain(r#"Invalid value for argument "input.email", expected type "Email""#).unwrap(),
            "Invalid value for argument \"input.email\", expected type \"Email\": an email \
             address is written like name@example.org, with at most 254 characters"
        );
        assert!(
            explain(r#"Invalid value for argument "when", expected type "Date""#)
                .unwrap()
                .ends_with("YYYY-MM-DD, such as 2026-12-25")
        );
        assert_eq!(
            explain(r#"Invalid value for argument "first", expected type "Int""#),
            None
        );
        assert_eq!(explain("Unknown field \"x\""), None);
    }

    #[test]
    fn values_are_read_by_the_domains_rules() {
        let text = |s: &str| Value::String(s.into());
        assert_eq!(
            <Email as ScalarType>::parse(text(" Ana@Toulouse.FR ")).unwrap(),
            Email("ana@toulouse.fr".into())
        );
        assert!(!<Email as ScalarType>::is_valid(&text("ana")));
        assert!(<Url as ScalarType>::is_valid(&text("http://example.org/")));
        assert!(!<Url as ScalarType>::is_valid(&text("javascript:alert(1)")));
        assert!(!<Url as ScalarType>::is_valid(&Value::Number(3.into())));
        assert!(<LocalTime as ScalarType>::is_valid(&text("23:59")));
        assert!(!<LocalTime as ScalarType>::is_valid(&text("24:00")));
        assert!(!<Date as ScalarType>::is_valid(&text("2026-02-30")));
        let summer = <LocalDateTime as ScalarType>::parse(text("2026-07-14T22:30:00+02:00"));
        assert_eq!(
            ScalarType::to_value(&summer.unwrap()),
            text("2026-07-14T22:30:00+02:00")
        );
    }
}
