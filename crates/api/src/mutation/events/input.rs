//! The inputs of the event mutations and their reading into the domain's forms: global ids
//! become place ids (an id that is not one is a failed field), absent and `null` become
//! kept and cleared fields, and the names an input uses are looked up before the domain
//! parses it.

use async_graphql::{ID, InputObject, MaybeUndefined};
use capitole_domain::agenda::{ExternalKey, Names};
use capitole_domain::editorial::FieldErrors;
use capitole_domain::event::{EventDraft, EventForm, EventPatch, EventPatchForm, RegistrationForm};
use capitole_domain::schedule::{DateForm, RecurrenceForm, ScheduleForm};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::ApiResult;
use crate::ids::{self, Kind};
use crate::mutation::agenda::{both, checked, clearable, references};
use crate::types::accessibility::AccessibilityFeature;
use crate::types::event::{AttendanceMode, EventStatus, OccurrenceStatus};
use crate::types::media::MediaInput;
use crate::types::picture::PictureInput;
use crate::types::scalars::{Date, Email, Url};
use crate::types::{Accessibility, Audience};
/// One date of an event.
#[derive(InputObject, Clone)]
pub(crate) struct DateInput {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends (after it starts, at most 31 days later).
    pub ends_at: DateTime<Utc>,
    /// Its status; by default a new date is scheduled and a known date keeps its status.
    pub status: Option<OccurrenceStatus>,
}

/// A recurrence: an RFC 5545 rule from a first start, in city time.
#[derive(InputObject, Clone)]
pub(crate) struct RecurrenceInput {
    /// The RRULE value, such as `FREQ=WEEKLY;BYDAY=SA` (at most 500 characters).
    pub rule: String,
    /// The first start in city wall-clock time (`2027-03-06T08:00`), or with an offset
    /// (`2027-03-06T08:00:00+01:00`). Later dates keep its local time across
    /// daylight-saving changes.
    pub first_start: String,
    /// How long each date lasts, in minutes (1 to 44,640).
    pub duration_minutes: i32,
    /// Dates of the city's calendar to skip, at most 500.
    #[graphql(default)]
    pub exceptions: Vec<Date>,
}

/// How to register.
#[derive(InputObject, Clone)]
pub(crate) struct RegistrationInput {
    /// An https registration page.
    pub url: Option<Url>,
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<Email>,
}

/// A new event, or the whole of an event a publisher's system sends.
#[derive(InputObject, Clone)]
pub(crate) struct EventInput {
    /// 1 to 200 characters.
    pub title: String,
    /// Up to 600 characters.
    #[graphql(default)]
    pub summary: String,
    /// Up to 1,200 characters.
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first (up to 12).
    #[graphql(default)]
    pub pictures: Vec<PictureInput>,
    /// Its videos, photos and albums on the city's channels or elsewhere, by address (up to
    /// 30).
    #[graphql(default)]
    pub media: Vec<MediaInput>,
    /// Markdown, up to 100,000 characters.
    #[graphql(default)]
    pub description: String,
    /// Slugs of event categories (up to 20).
    #[graphql(default)]
    pub categories: Vec<String>,
    /// Who it is meant for.
    #[graphql(default)]
    pub audiences: Vec<Audience>,
    /// Slugs of the neighbourhoods it concerns (up to 20).
    #[graphql(default)]
    pub neighborhoods: Vec<String>,
    /// Youngest age, 0 to 120.
    pub age_min: Option<i32>,
    /// Oldest age, 0 to 120, not below `ageMin`.
    pub age_max: Option<i32>,
    /// The families of needs it is prepared for. With no families and no features, the event
    /// states none and shows its venue's, which follows the venue's changes.
    #[graphql(default)]
    pub accessibility: Vec<Accessibility>,
    /// The features that prepare it (each brings its family into `accessibility`).
    #[graphql(default)]
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// Whether it costs nothing (a free event has no price).
    #[graphql(default)]
    pub is_free: bool,
    /// Prices as worded for the public (up to 200 characters).
    pub price: Option<String>,
    /// How to register, when needed.
    pub registration: Option<RegistrationInput>,
    /// How people attend (in person by default).
    pub attendance_mode: Option<AttendanceMode>,
    /// Where to follow it online: an https address, required for ONLINE and MIXED.
    pub online_url: Option<Url>,
    /// The id of the place it happens at.
    pub venue: Option<ID>,
    /// Where it happens, in words (up to 300 characters); in-person events need this or a
    /// venue.
    pub location_text: Option<String>,
    /// The organizations that publish it (slugs, one or two: the city and the metropolitan
    /// authority may co-publish), each one the editor edits for; by default the
    /// organizations the editor edits for.
    pub publishers: Option<Vec<String>>,
    /// Where it stands (scheduled by default).
    pub status: Option<EventStatus>,
    /// Explicit dates (at most 500 with the recurrence's).
    #[graphql(default)]
    pub occurrences: Vec<DateInput>,
    /// A recurrence, expanded into dates up to 18 months ahead.
    pub recurrence: Option<RecurrenceInput>,
}

/// A change to an event: only the fields given change; `null` clears an optional one.
#[derive(InputObject, Default)]
#[graphql(name = "EventPatch")]
pub(crate) struct EventPatchInput {
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// Up to 600 characters.
    pub summary: Option<String>,
    /// Up to 1,200 characters.
    pub easy_read_summary: MaybeUndefined<String>,
    /// New pictures, replacing them all (`[]` removes them).
    pub pictures: Option<Vec<PictureInput>>,
    /// New media, replacing them all (`[]` removes them).
    pub media: Option<Vec<MediaInput>>,
    /// Markdown, up to 100,000 characters.
    pub description: Option<String>,
    /// Slugs of event categories (up to 20).
    pub categories: Option<Vec<String>>,
    /// Who it is meant for.
    pub audiences: Option<Vec<Audience>>,
    /// Slugs of the neighbourhoods it concerns (up to 20).
    pub neighborhoods: Option<Vec<String>>,
    /// Youngest age, 0 to 120.
    pub age_min: MaybeUndefined<i32>,
    /// Oldest age, 0 to 120, not below `ageMin`.
    pub age_max: MaybeUndefined<i32>,
    /// The families of needs it is prepared for (the features stated stay, and bring their
    /// families back). An event left with no families and no features shows its venue's.
    pub accessibility: Option<Vec<Accessibility>>,
    /// The features that prepare it (the families stated stay).
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// Whether it costs nothing (a free event has no price).
    pub is_free: Option<bool>,
    /// Prices as worded for the public (up to 200 characters).
    pub price: MaybeUndefined<String>,
    /// How to register, when needed.
    pub registration: MaybeUndefined<RegistrationInput>,
    /// How people attend (in person by default).
    pub attendance_mode: Option<AttendanceMode>,
    /// Where to follow it online: an https address, required for ONLINE and MIXED.
    pub online_url: MaybeUndefined<Url>,
    /// The id of the place it happens at.
    pub venue: MaybeUndefined<ID>,
    /// Where it happens, in words (up to 300 characters); in-person events need this or a
    /// venue.
    pub location_text: MaybeUndefined<String>,
    /// Replaces the publishers (slugs, one or two). The editor names only organizations
    /// they edit for; co-publishers they do not edit for stay.
    pub publishers: Option<Vec<String>>,
    /// Replaces every date (with `recurrence`): the event's dates become exactly those
    /// given; dates that stay keep their status.
    pub occurrences: Option<Vec<DateInput>>,
    /// Replaces the recurrence (with `occurrences`); null removes it.
    pub recurrence: MaybeUndefined<RecurrenceInput>,
    /// A new slug; the old one keeps leading to the event.
    pub slug: Option<String>,
}

/// The place a venue's global id names; an id of anything else is noted in `errors`.
fn venue(errors: &mut FieldErrors, id: &ID) -> Option<Uuid> {
    ids::decode_as(Kind::Place, id)
        .map_err(|e| errors.add("venue", e.message().to_owned()))
        .ok()
}

/// The schedule form of explicit dates and a recurrence.
pub(crate) fn schedule_form(
    occurrences: Vec<DateInput>,
    recurrence: Option<RecurrenceInput>,
) -> ScheduleForm {
    ScheduleForm {
        dates: occurrences.into_iter().map(DateInput::into_form).collect(),
        recurrence: recurrence.map(RecurrenceInput::into_form),
    }
}

impl DateInput {
    fn into_form(self) -> DateForm {
        DateForm {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            status: self.status.map(Into::into),
        }
    }
}

impl RecurrenceInput {
    fn into_form(self) -> RecurrenceForm {
        RecurrenceForm {
            rule: self.rule,
            first_start: self.first_start,
            duration_minutes: i64::from(self.duration_minutes),
            exceptions: self.exceptions.into_iter().map(|d| d.0).collect(),
        }
    }
}

impl RegistrationInput {
    fn into_form(self) -> RegistrationForm {
        RegistrationForm {
            url: self.url.map(|u| u.0),
            phone: self.phone,
            email: self.email.map(|e| e.0),
        }
    }
}

impl EventInput {
    /// The form of this input; a venue that is not a place's id is noted in `errors`.
    pub(crate) fn into_form(self, errors: &mut FieldErrors) -> EventForm {
        EventForm {
            title: self.title,
            summary: self.summary,
            easy_read_summary: self.easy_read_summary,
            pictures: PictureInput::forms(self.pictures),
            media: MediaInput::forms(self.media),
            description: self.description,
            categories: self.categories,
            audiences: self.audiences.into_iter().map(Into::into).collect(),
            neighborhoods: self.neighborhoods,
            age_min: self.age_min.map(i64::from),
            age_max: self.age_max.map(i64::from),
            accessibility: self.accessibility.into_iter().map(Into::into).collect(),
            accessibility_features: self
                .accessibility_features
                .into_iter()
                .map(Into::into)
                .collect(),
            is_free: self.is_free,
            price: self.price,
            registration: self.registration.map(RegistrationInput::into_form),
            attendance_mode: self.attendance_mode.map(Into::into),
            online_url: self.online_url.map(|u| u.0),
            venue: self.venue.and_then(|id| venue(errors, &id)),
            location_text: self.location_text,
            publishers: self.publishers,
            status: self.status.map(Into::into),
            schedule: schedule_form(self.occurrences, self.recurrence),
        }
    }

    /// The checked event of this input.
    pub(crate) async fn draft(self, scope: &RequestScope) -> ApiResult<EventDraft> {
        let ((), draft) = self.keyed(scope, Ok(())).await?;
        Ok(draft)
    }

    /// The key and the checked event of this input sent as (`source`, `external_id`).
    pub(crate) async fn keyed_draft(
        self,
        scope: &RequestScope,
        source: &str,
        external_id: &str,
    ) -> ApiResult<(ExternalKey, EventDraft)> {
        let key = ExternalKey::parse(source, external_id);
        self.keyed(scope, key).await
    }

    /// `key` and the checked event of this input, or every field that failed in either.
    async fn keyed<K>(
        self,
        scope: &RequestScope,
        key: Result<K, FieldErrors>,
    ) -> ApiResult<(K, EventDraft)> {
        let mut errors = FieldErrors::default();
        let form = self.into_form(&mut errors);
        let mut names = Names::default();
        form.names(&mut names);
        let references = references(scope, &names).await?;
        let parsed = EventDraft::parse(form, &references, scope.timezone, scope.now);
        checked(both(key, parsed), errors)
    }
}

impl EventPatchInput {
    /// The form of this input; a venue that is not a place's id is noted in `errors`.
    fn into_form(self, errors: &mut FieldErrors) -> EventPatchForm {
        let (occurrences, recurrence) = (self.occurrences, self.recurrence);
        let schedule = (occurrences.is_some() || !recurrence.is_undefined())
            .then(|| schedule_form(occurrences.unwrap_or_default(), recurrence.take()));
        EventPatchForm {
            title: self.title,
            summary: self.summary,
            easy_read_summary: clearable(self.easy_read_summary),
            pictures: self.pictures.map(PictureInput::forms),
            media: self.media.map(MediaInput::forms),
            description: self.description,
            categories: self.categories,
            audiences: self
                .audiences
                .map(|a| a.into_iter().map(Into::into).collect()),
            neighborhoods: self.neighborhoods,
            age_min: clearable(self.age_min.map_value(i64::from)),
            age_max: clearable(self.age_max.map_value(i64::from)),
            accessibility: self
                .accessibility
                .map(|a| a.into_iter().map(Into::into).collect()),
            accessibility_features: self
                .accessibility_features
                .map(|a| a.into_iter().map(Into::into).collect()),
            is_free: self.is_free,
            price: clearable(self.price),
            registration: clearable(self.registration.map_value(RegistrationInput::into_form)),
            attendance_mode: self.attendance_mode.map(Into::into),
            online_url: clearable(self.online_url.map_value(|u| u.0)),
            venue: match clearable(self.venue) {
                Some(Some(id)) => venue(errors, &id).map(Some),
                other => other.map(|_| None),
            },
            location_text: clearable(self.location_text),
            publishers: self.publishers,
            schedule,
            slug: self.slug,
        }
    }

    /// The checked change of this input.
    pub(crate) async fn patch(self, scope: &RequestScope) -> ApiResult<EventPatch> {
        let mut errors = FieldErrors::default();
        let form = self.into_form(&mut errors);
        let mut names = Names::default();
        form.names(&mut names);
        let references = references(scope, &names).await?;
        let parsed = EventPatch::parse(form, &references, scope.timezone, scope.now);
        checked(parsed, errors)
    }
}
