//! How an event's content and schedule are stored: codes as `|CODE|…|` lists, the
//! recurrence as its rule, local first start and skipped dates, and back. The column sets
//! are also what the audit log compares, field by field.

use capitole_domain::Audience;
use capitole_domain::accessibility::AccessibilityStatement;
use capitole_domain::event::{AgeRange, AttendanceMode, EventContent, EventStatus, Registration};
use capitole_domain::recurrence::RecurrenceRule;
use capitole_domain::schedule::{Recurrence, Schedule};
use capitole_domain::text::{decode_codes, encode_codes, fold};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use uuid::Uuid;

use crate::edits::encode_set;
use crate::entities::event;
use crate::{accessibility, stored_lists};

/// How the local first start of a recurrence is stored.
const LOCAL_START: &str = "%Y-%m-%dT%H:%M:%S";

/// The columns of an event's content, as stored (links, publishers included).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Columns {
    title: String,
    summary: String,
    easy_read_summary: Option<String>,
    /// Pictures as JSON.
    pictures: String,
    /// Media as JSON.
    media: String,
    description: String,
    pub(super) status: String,
    attendance_mode: String,
    online_url: Option<String>,
    age_min: Option<i64>,
    age_max: Option<i64>,
    /// The families it shows: its own, or its venue's when it states none.
    accessibility: String,
    /// The features it shows, likewise.
    accessibility_features: String,
    inherits_accessibility: bool,
    audiences: String,
    is_free: bool,
    price: Option<String>,
    registration_url: Option<String>,
    registration_phone: Option<String>,
    registration_email: Option<String>,
    place_id: Option<Uuid>,
    location_text: Option<String>,
    /// Publisher ids, in order.
    pub(super) publishers: Vec<Uuid>,
    /// Category ids, in order.
    pub(super) categories: Vec<Uuid>,
    /// Neighbourhood ids, in id order.
    pub(super) neighborhoods: Vec<Uuid>,
}

impl Columns {
    /// The columns that store `content`, showing `venue`'s accessibility if it states none.
    pub(super) fn of(content: &EventContent, venue: &AccessibilityStatement) -> Self {
        let mut neighborhoods = content.neighborhoods.clone();
        neighborhoods.sort_unstable();
        let inherits = content.accessibility.is_empty();
        let (accessibility, accessibility_features) = accessibility::encode(if inherits {
            venue
        } else {
            &content.accessibility
        });
        Self {
            title: content.title.clone(),
            summary: content.summary.clone(),
            easy_read_summary: content.easy_read_summary.clone(),
            pictures: stored_lists::encode(&content.pictures),
            media: stored_lists::encode(&content.media),
            description: content.description.clone(),
            status: content.status.code().to_owned(),
            attendance_mode: content.attendance.code().to_owned(),
            online_url: content.online_url.clone(),
            age_min: content.ages.min.map(i64::from),
            age_max: content.ages.max.map(i64::from),
            accessibility,
            accessibility_features,
            inherits_accessibility: inherits,
            audiences: encode_set(content.audiences.iter().map(|a| a.code())),
            is_free: content.is_free,
            price: content.price.clone(),
            registration_url: content.registration.url.clone(),
            registration_phone: content.registration.phone.clone(),
            registration_email: content.registration.email.clone(),
            place_id: content.venue,
            location_text: content.location_text.clone(),
            publishers: content.publishers.clone(),
            categories: content.categories.clone(),
            neighborhoods,
        }
    }

    /// Writes these columns into `row` (with the folded text search reads).
    pub(super) fn apply(&self, row: &mut event::Model) {
        row.title = self.title.clone();
        row.summary = self.summary.clone();
        row.easy_read_summary = self.easy_read_summary.clone();
        row.pictures = self.pictures.clone();
        row.media = self.media.clone();
        row.description = self.description.clone();
        row.search_text = fold(&format!("{} {}", self.title, self.summary));
        row.status = self.status.clone();
        row.attendance_mode = self.attendance_mode.clone();
        row.online_url = self.online_url.clone();
        row.age_min = self.age_min;
        row.age_max = self.age_max;
        row.accessibility = self.accessibility.clone();
        row.accessibility_features = self.accessibility_features.clone();
        row.inherits_accessibility = self.inherits_accessibility;
        row.audiences = self.audiences.clone();
        row.is_free = self.is_free;
        row.price = self.price.clone();
        row.registration_url = self.registration_url.clone();
        row.registration_phone = self.registration_phone.clone();
        row.registration_email = self.registration_email.clone();
        row.place_id = self.place_id;
        row.location_text = self.location_text.clone();
    }
}

/// The content of a stored event; codes this version does not know are left out.
pub(super) fn content_of(
    row: &event::Model,
    publishers: Vec<Uuid>,
    categories: Vec<Uuid>,
    mut neighborhoods: Vec<Uuid>,
) -> EventContent {
    neighborhoods.sort_unstable();
    let age = |a: Option<i64>| a.and_then(|a| u8::try_from(a).ok());
    EventContent {
        title: row.title.clone(),
        summary: row.summary.clone(),
        easy_read_summary: row.easy_read_summary.clone(),
        pictures: stored_lists::decode(&row.pictures),
        media: stored_lists::decode(&row.media),
        description: row.description.clone(),
        categories,
        audiences: decode_codes(&row.audiences)
            .filter_map(Audience::from_code)
            .collect(),
        neighborhoods,
        ages: AgeRange {
            min: age(row.age_min),
            max: age(row.age_max),
        },
        accessibility: if row.inherits_accessibility {
            AccessibilityStatement::default()
        } else {
            accessibility::decode(&row.accessibility, &row.accessibility_features)
        },
        is_free: row.is_free,
        price: row.price.clone(),
        registration: Registration {
            url: row.registration_url.clone(),
            phone: row.registration_phone.clone(),
            email: row.registration_email.clone(),
        },
        attendance: AttendanceMode::from_code(&row.attendance_mode)
            .unwrap_or(AttendanceMode::InPerson),
        online_url: row.online_url.clone(),
        venue: row.place_id,
        location_text: row.location_text.clone(),
        publishers,
        status: EventStatus::from_code(&row.status).unwrap_or(EventStatus::Scheduled),
    }
}

/// The columns of an event's recurrence, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RecurrenceColumns {
    recurrence_rule: Option<String>,
    recurrence_start: Option<String>,
    recurrence_exceptions: String,
    duration_minutes: i64,
}

impl RecurrenceColumns {
    /// The columns that store `schedule`'s recurrence.
    pub(super) fn of(schedule: &Schedule) -> Self {
        let recurrence = schedule.recurrence.as_ref();
        let skipped: Vec<String> = recurrence
            .map(|r| r.exceptions.iter().map(NaiveDate::to_string).collect())
            .unwrap_or_default();
        Self {
            recurrence_rule: recurrence.map(|r| r.rule.as_str().to_owned()),
            recurrence_start: recurrence.map(|r| r.first_start.format(LOCAL_START).to_string()),
            recurrence_exceptions: encode_codes(skipped.iter().map(String::as_str)),
            duration_minutes: schedule.duration_minutes,
        }
    }

    /// The columns stored in `row`.
    pub(super) fn read(row: &event::Model) -> Self {
        Self {
            recurrence_rule: row.recurrence_rule.clone(),
            recurrence_start: row.recurrence_start.clone(),
            recurrence_exceptions: row.recurrence_exceptions.clone(),
            duration_minutes: row.duration_minutes,
        }
    }

    /// Writes these columns into `row`.
    pub(super) fn apply(&self, row: &mut event::Model) {
        row.recurrence_rule = self.recurrence_rule.clone();
        row.recurrence_start = self.recurrence_start.clone();
        row.recurrence_exceptions = self.recurrence_exceptions.clone();
        row.duration_minutes = self.duration_minutes;
    }
}

/// The recurrence stored with an event, if it has one that can be read.
pub(super) fn recurrence_of(row: &event::Model) -> Option<Recurrence> {
    let (rule, start) = (
        row.recurrence_rule.as_ref()?,
        row.recurrence_start.as_ref()?,
    );
    let rule = RecurrenceRule::parse(rule).ok()?;
    let first_start = NaiveDateTime::parse_from_str(start, LOCAL_START).ok()?;
    let exceptions = decode_codes(&row.recurrence_exceptions)
        .filter_map(|d| d.parse().ok())
        .collect();
    Some(Recurrence {
        rule,
        first_start,
        duration_minutes: row.duration_minutes,
        exceptions,
    })
}
