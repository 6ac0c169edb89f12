//! Editing the agenda: events (with explicit dates and RFC 5545 recurrences expanded in city
//! time), their status and the status of single dates, places and their closures, and
//! upserts of the items a publisher's own system owns. Every write checks who asks (editors
//! of the organizer or owner, administrators), reports every failed field at once, can be
//! tried with `validateOnly`, and carries the version it edits (upserts excepted: the
//! publisher's system is the reference for its items).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use capitole_domain::Slug;
use capitole_domain::access::Role;
use capitole_domain::agenda::{
    self as rules, MAX_DATE_MINUTES, MAX_DATES, PlaceClosure, check_email, check_external_id,
    check_phone, check_source,
};
use capitole_domain::editorial::{
    FieldErrors, Lines, check_count, check_optional_text, check_text, check_url, limits,
};
use capitole_domain::event::{
    AgeRange, AgeRangeError, AttendanceMode as DomainMode, CategoryKind,
    EventStatus as DomainStatus,
};
use capitole_domain::geo::{Latitude, Longitude};
use capitole_domain::opening_hours::{ExceptionDay, OpeningHours, TimeRange, WeeklyRange};
use capitole_domain::recurrence::RecurrenceRule;
use capitole_domain::text::encode_codes;
use capitole_persistence::agenda::{
    self, EventChange, EventContent, EventSchedule, Outcome, PlaceContent, PlannedDate,
};
use capitole_persistence::audit::Actor;
use capitole_persistence::{catalog, places};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound, Utc};
use uuid::Uuid;

use crate::auth::Principal;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::types::event::{AttendanceMode, Event, EventStatus, OccurrenceStatus};
use crate::types::place::{DayOfWeek, Place};
use crate::types::{Accessibility, Audience};

/// Characters of a place's description.
const PLACE_DESCRIPTION: usize = 5_000;

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
    /// Local dates to skip (`2027-04-03`), at most 500.
    #[graphql(default)]
    pub exceptions: Vec<String>,
}

/// How to register.
#[derive(InputObject, Clone)]
pub(crate) struct RegistrationInput {
    /// An https registration page.
    pub url: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<String>,
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
    /// Who it is prepared for.
    #[graphql(default)]
    pub accessibility: Vec<Accessibility>,
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
    pub online_url: Option<String>,
    /// The id of the place it happens at.
    pub venue: Option<ID>,
    /// Where it happens, in words (up to 300 characters); in-person events need this or a
    /// venue.
    pub location_text: Option<String>,
    /// The organizing organization (slug); by default the editor's, when they edit for one.
    pub organizer: Option<String>,
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
pub(crate) struct EventPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub easy_read_summary: MaybeUndefined<String>,
    pub description: Option<String>,
    pub categories: Option<Vec<String>>,
    pub audiences: Option<Vec<Audience>>,
    pub neighborhoods: Option<Vec<String>>,
    pub age_min: MaybeUndefined<i32>,
    pub age_max: MaybeUndefined<i32>,
    pub accessibility: Option<Vec<Accessibility>>,
    pub is_free: Option<bool>,
    pub price: MaybeUndefined<String>,
    pub registration: MaybeUndefined<RegistrationInput>,
    pub attendance_mode: Option<AttendanceMode>,
    pub online_url: MaybeUndefined<String>,
    pub venue: MaybeUndefined<ID>,
    pub location_text: MaybeUndefined<String>,
    /// A new organizer (slug) the editor also edits for.
    pub organizer: Option<String>,
    /// Replaces every date (with `recurrence`): the event's dates become exactly those
    /// given; dates that stay keep their status.
    pub occurrences: Option<Vec<DateInput>>,
    /// Replaces the recurrence (with `occurrences`); null removes it.
    pub recurrence: MaybeUndefined<RecurrenceInput>,
    /// A new slug; the old one keeps leading to the event.
    pub slug: Option<String>,
}

fn maybe<T>(value: Option<T>) -> MaybeUndefined<T> {
    match value {
        Some(v) => MaybeUndefined::Value(v),
        None => MaybeUndefined::Null,
    }
}

impl EventInput {
    fn into_patch(self) -> (EventPatch, Option<EventStatus>) {
        let patch = EventPatch {
            title: Some(self.title),
            summary: Some(self.summary),
            easy_read_summary: maybe(self.easy_read_summary),
            description: Some(self.description),
            categories: Some(self.categories),
            audiences: Some(self.audiences),
            neighborhoods: Some(self.neighborhoods),
            age_min: maybe(self.age_min),
            age_max: maybe(self.age_max),
            accessibility: Some(self.accessibility),
            is_free: Some(self.is_free),
            price: maybe(self.price),
            registration: maybe(self.registration),
            attendance_mode: Some(self.attendance_mode.unwrap_or(AttendanceMode::InPerson)),
            online_url: maybe(self.online_url),
            venue: maybe(self.venue),
            location_text: maybe(self.location_text),
            organizer: self.organizer,
            occurrences: Some(self.occurrences),
            recurrence: maybe(self.recurrence),
            slug: None,
        };
        (patch, self.status)
    }
}

/// What an event write returns.
#[derive(SimpleObject)]
pub(crate) struct EventPayload {
    /// The event as stored; null when only validated.
    pub event: Option<Event>,
    /// True when the input was only checked and nothing was stored.
    pub validated_only: bool,
}

/// What an upsert did.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub(crate) enum UpsertOutcome {
    /// A new item was made.
    Created,
    /// The existing item changed (its version went up).
    Updated,
    /// The item was already so: nothing was written.
    Unchanged,
    /// Only validated; nothing was written.
    Validated,
}

impl From<Outcome> for UpsertOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Created => UpsertOutcome::Created,
            Outcome::Updated => UpsertOutcome::Updated,
            Outcome::Unchanged => UpsertOutcome::Unchanged,
        }
    }
}

/// What an event upsert returns.
#[derive(SimpleObject)]
pub(crate) struct EventUpsertPayload {
    /// The event as stored; null when only validated.
    pub event: Option<Event>,
    /// What happened.
    pub outcome: UpsertOutcome,
}

/// Where a place is.
#[derive(InputObject, Clone)]
pub(crate) struct PlaceLocationInput {
    /// −90 to 90.
    pub latitude: f64,
    /// −180 to 180.
    pub longitude: f64,
    /// Street address (up to 300 characters).
    #[graphql(default)]
    pub address: String,
    /// Postal code (up to 10 characters).
    #[graphql(default)]
    pub postal_code: String,
    /// City (up to 100 characters).
    #[graphql(default)]
    pub city: String,
}

/// How to reach a place.
#[derive(InputObject, Clone)]
pub(crate) struct ContactInput {
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// An https website.
    pub website: Option<String>,
}

/// One weekly opening range (`HH:MM`); when `closes` is not after `opens` it runs past
/// midnight.
#[derive(InputObject, Clone)]
pub(crate) struct WeeklyOpeningInput {
    pub day: DayOfWeek,
    pub opens: String,
    pub closes: String,
}

/// Hours of one date that differ from the weekly ones; no ranges means closed all day.
#[derive(InputObject, Clone)]
pub(crate) struct OpeningExceptionInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Ranges as `HH:MM-HH:MM`.
    #[graphql(default)]
    pub ranges: Vec<String>,
    /// Why (up to 200 characters).
    pub note: Option<String>,
}

/// When a place is open.
#[derive(InputObject, Clone)]
pub(crate) struct OpeningHoursInput {
    #[graphql(default)]
    pub weekly: Vec<WeeklyOpeningInput>,
    #[graphql(default)]
    pub exceptions: Vec<OpeningExceptionInput>,
}

/// A new place, or the whole of a place a publisher's system sends.
#[derive(InputObject, Clone)]
pub(crate) struct PlaceInput {
    /// 1 to 200 characters.
    pub name: String,
    /// Up to 5,000 characters.
    #[graphql(default)]
    pub description: String,
    /// Where it is.
    pub location: PlaceLocationInput,
    /// Slugs of place categories (up to 20).
    #[graphql(default)]
    pub categories: Vec<String>,
    /// The slug of its neighbourhood.
    pub neighborhood: Option<String>,
    /// How to reach it.
    pub contact: Option<ContactInput>,
    /// When it is open.
    pub opening_hours: Option<OpeningHoursInput>,
    /// Who it is prepared for.
    #[graphql(default)]
    pub accessibility: Vec<Accessibility>,
    /// The organization that runs it (slug); by default the editor's, when they edit for
    /// one. Only administrators edit places without an owner.
    pub owner: Option<String>,
}

/// A change to a place: only the fields given change.
#[derive(InputObject, Default)]
pub(crate) struct PlacePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub location: Option<PlaceLocationInput>,
    pub categories: Option<Vec<String>>,
    pub neighborhood: MaybeUndefined<String>,
    pub contact: MaybeUndefined<ContactInput>,
    pub opening_hours: Option<OpeningHoursInput>,
    pub accessibility: Option<Vec<Accessibility>>,
    /// A new owner (slug) the editor also edits for.
    pub owner: Option<String>,
    /// A new slug; the old one keeps leading to the place.
    pub slug: Option<String>,
}

impl PlaceInput {
    fn into_patch(self) -> PlacePatch {
        PlacePatch {
            name: Some(self.name),
            description: Some(self.description),
            location: Some(self.location),
            categories: Some(self.categories),
            neighborhood: maybe(self.neighborhood),
            contact: maybe(self.contact),
            opening_hours: Some(self.opening_hours.unwrap_or(OpeningHoursInput {
                weekly: Vec::new(),
                exceptions: Vec::new(),
            })),
            accessibility: Some(self.accessibility),
            owner: self.owner,
            slug: None,
        }
    }
}

/// What a place write returns.
#[derive(SimpleObject)]
pub(crate) struct PlacePayload {
    /// The place as stored; null when only validated.
    pub place: Option<Place>,
    /// True when the input was only checked and nothing was stored.
    pub validated_only: bool,
}

/// What a place upsert returns.
#[derive(SimpleObject)]
pub(crate) struct PlaceUpsertPayload {
    /// The place as stored; null when only validated.
    pub place: Option<Place>,
    /// What happened.
    pub outcome: UpsertOutcome,
}

// ---------------------------------------------------------------------------------------
// Who may write

/// Editors and administrators only: anonymous callers must sign in, others are refused.
fn staff(scope: &RequestScope) -> ApiResult<()> {
    let user = match &scope.principal {
        Principal::App(_) => {
            return Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "app tokens cannot publish; sign in as an editor",
            )));
        }
        principal => principal.user().map_err(to_gql)?,
    };
    if user.role == Role::Citizen {
        return Err(to_gql(ApiError::new(
            ErrorCode::Forbidden,
            "only editors and administrators publish",
        )));
    }
    Ok(())
}

/// The organization the caller edits for when they edit for exactly one.
fn own_organization(scope: &RequestScope) -> Option<Uuid> {
    match &scope.principal {
        Principal::User(user) if user.role == Role::Editor && user.organizations.len() == 1 => {
            user.organizations.first().copied()
        }
        _ => None,
    }
}

/// The actor of a write on an item of `organization`; items without one are the
/// administrators'.
fn actor_for(scope: &RequestScope, organization: Option<Uuid>) -> ApiResult<Actor> {
    let organizations: Vec<Uuid> = organization.into_iter().collect();
    match &scope.principal {
        Principal::User(user) if user.role == Role::Editor && organizations.is_empty() => {
            Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "only administrators edit places without an owner",
            )))
        }
        principal => principal.editor_of(&organizations).map_err(to_gql),
    }
}

/// Resolves an organization's slug: unknown ones are a field error, known ones the caller
/// does not edit for are refused.
async fn organization_for(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    field: &str,
    slug: &str,
) -> ApiResult<Option<Uuid>> {
    match catalog::organization_by_slug(&scope.db, slug.trim())
        .await
        .map_err(to_gql)?
    {
        Some(o) => {
            actor_for(scope, Some(o.id))?;
            Ok(Some(o.id))
        }
        None => {
            errors.add(field, format!("unknown organization `{}`", short(slug)));
            Ok(None)
        }
    }
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

// ---------------------------------------------------------------------------------------
// Checks shared by events and places

async fn category_ids(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    kind: CategoryKind,
    slugs: &[String],
) -> ApiResult<Vec<Uuid>> {
    if !check_count(errors, "categories", slugs.len(), limits::LINKS) {
        return Ok(Vec::new());
    }
    let known = catalog::categories(&scope.db, Some(kind))
        .await
        .map_err(to_gql)?;
    let mut ids = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match known.iter().find(|c| c.slug == slug.trim()) {
            Some(c) if !ids.contains(&c.id) => ids.push(c.id),
            Some(_) => {}
            None => errors.add(
                format!("categories[{i}]"),
                format!(
                    "unknown {} category `{}`",
                    kind.code().to_lowercase(),
                    short(slug)
                ),
            ),
        }
    }
    Ok(ids)
}

async fn neighborhood_id(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    field: &str,
    slug: &str,
) -> ApiResult<Option<Uuid>> {
    let found = catalog::neighborhood_by_slug(&scope.db, slug.trim())
        .await
        .map_err(to_gql)?;
    if found.is_none() {
        errors.add(field, format!("unknown neighbourhood `{}`", short(slug)));
    }
    Ok(found.map(|n| n.id))
}

fn codes<T: Copy>(values: &[T], code: impl Fn(T) -> &'static str) -> String {
    let mut all: Vec<&str> = values.iter().map(|v| code(*v)).collect();
    all.sort_unstable();
    all.dedup();
    encode_codes(all)
}

fn audiences_code(audiences: &[Audience]) -> String {
    codes(audiences, |a| capitole_domain::Audience::from(a).code())
}

fn accessibility_code(needs: &[Accessibility]) -> String {
    codes(needs, |a| {
        capitole_domain::event::Accessibility::from(a).code()
    })
}

fn optional_url(errors: &mut FieldErrors, field: &str, url: Option<&str>) -> Option<String> {
    let url = url.map(str::trim).filter(|u| !u.is_empty())?;
    Some(check_url(errors, field, url))
}

// ---------------------------------------------------------------------------------------
// Events

/// Applies the checked fields of a patch onto `content`, noting every failed field.
async fn check_event_patch(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    patch: &EventPatch,
    content: &mut EventContent,
) -> ApiResult<()> {
    if let Some(v) = &patch.title {
        content.title = check_text(errors, "title", v, 1, limits::TITLE, Lines::Single);
    }
    if let Some(v) = &patch.summary {
        content.summary = check_text(errors, "summary", v, 0, limits::SUMMARY, Lines::Multiple);
    }
    if let Some(v) = clearable(&patch.easy_read_summary) {
        content.easy_read_summary = check_optional_text(
            errors,
            "easyReadSummary",
            v,
            limits::EASY_READ_SUMMARY,
            Lines::Multiple,
        );
    }
    if let Some(v) = &patch.description {
        content.description =
            check_text(errors, "description", v, 0, limits::BODY, Lines::Multiple);
    }
    if let Some(slugs) = &patch.categories {
        content.categories = category_ids(scope, errors, CategoryKind::Event, slugs).await?;
    }
    if let Some(audiences) = &patch.audiences
        && check_count(errors, "audiences", audiences.len(), 7)
    {
        content.audiences = audiences_code(audiences);
    }
    if let Some(slugs) = &patch.neighborhoods
        && check_count(errors, "neighborhoods", slugs.len(), limits::LINKS)
    {
        let mut ids = Vec::new();
        for (i, slug) in slugs.iter().enumerate() {
            if let Some(id) =
                neighborhood_id(scope, errors, &format!("neighborhoods[{i}]"), slug).await?
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        content.neighborhoods = ids;
    }
    if let Some(v) = clearable_copy(&patch.age_min) {
        content.age_min = v.map(i64::from);
    }
    if let Some(v) = clearable_copy(&patch.age_max) {
        content.age_max = v.map(i64::from);
    }
    if let Some(needs) = &patch.accessibility
        && check_count(errors, "accessibility", needs.len(), 5)
    {
        content.accessibility = accessibility_code(needs);
    }
    if let Some(v) = patch.is_free {
        content.is_free = v;
    }
    if let Some(v) = clearable(&patch.price) {
        content.price = check_optional_text(errors, "price", v, 200, Lines::Single);
    }
    match &patch.registration {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            content.registration_url = None;
            content.registration_phone = None;
            content.registration_email = None;
        }
        MaybeUndefined::Value(r) => {
            content.registration_url = optional_url(errors, "registration.url", r.url.as_deref());
            content.registration_phone = r
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| check_phone(errors, "registration.phone", p));
            content.registration_email = r
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| check_email(errors, "registration.email", e));
        }
    }
    if let Some(mode) = patch.attendance_mode {
        content.attendance_mode = DomainMode::from(mode).code().to_owned();
    }
    if let Some(v) = clearable(&patch.online_url) {
        content.online_url = optional_url(errors, "onlineUrl", v);
    }
    match &patch.venue {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => content.place_id = None,
        MaybeUndefined::Value(id) => match ids::decode_as(Kind::Place, id) {
            Ok(uuid) => {
                let found = places::by_ids(&scope.db, &[uuid]).await.map_err(to_gql)?;
                if found.is_empty() {
                    errors.add("venue", "no place has this id");
                }
                content.place_id = Some(uuid);
            }
            Err(e) => errors.add("venue", e.message().to_owned()),
        },
    }
    if let Some(v) = clearable(&patch.location_text) {
        content.location_text = check_optional_text(errors, "locationText", v, 300, Lines::Single);
    }
    Ok(())
}

fn clearable(value: &MaybeUndefined<String>) -> Option<Option<&str>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.as_str())),
    }
}

fn clearable_copy<T: Copy>(value: &MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(*v)),
    }
}

/// The rules between fields, checked on the event as it would be stored.
fn check_event_whole(errors: &mut FieldErrors, content: &EventContent) {
    match AgeRange::parse(content.age_min, content.age_max) {
        Ok(_) => {}
        Err(AgeRangeError::OutOfRange) => {
            for (field, age) in [("ageMin", content.age_min), ("ageMax", content.age_max)] {
                if age.is_some_and(|a| !(0..=120).contains(&a)) {
                    errors.add(field, AgeRangeError::OutOfRange.to_string());
                }
            }
        }
        Err(e @ AgeRangeError::Inverted) => errors.add("ageMax", e.to_string()),
    }
    if content.is_free && content.price.is_some() {
        errors.add(
            "price",
            "a free event has no price; drop the price or isFree",
        );
    }
    let mode = DomainMode::from_code(&content.attendance_mode).unwrap_or(DomainMode::InPerson);
    if matches!(mode, DomainMode::Online | DomainMode::Mixed) && content.online_url.is_none() {
        errors.add(
            "onlineUrl",
            "ONLINE and MIXED events need an https onlineUrl",
        );
    }
    if matches!(mode, DomainMode::InPerson | DomainMode::Mixed)
        && content.place_id.is_none()
        && content.location_text.is_none()
    {
        errors.add(
            "venue",
            "an in-person event needs a venue or a locationText",
        );
    }
}

/// Reads a local wall-clock time, or an instant with an offset read in city time.
fn parse_local(text: &str, tz: chrono_tz::Tz) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant.with_timezone(&tz).naive_local());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Checks dates and a recurrence into the schedule to store.
fn check_schedule(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    occurrences: &[DateInput],
    recurrence: Option<&RecurrenceInput>,
) -> EventSchedule {
    let mut schedule = EventSchedule {
        recurrence_exceptions: "|".into(),
        duration_minutes: 60,
        ..EventSchedule::default()
    };
    let mut dates: Vec<PlannedDate> = Vec::new();
    if check_count(errors, "occurrences", occurrences.len(), MAX_DATES) {
        for (i, date) in occurrences.iter().enumerate() {
            let (starts_at, ends_at) = (
                date.starts_at.trunc_subsecs(0),
                date.ends_at.trunc_subsecs(0),
            );
            if ends_at <= starts_at {
                errors.add(format!("occurrences[{i}].endsAt"), "must be after startsAt");
            } else if ends_at - starts_at > Duration::minutes(MAX_DATE_MINUTES) {
                errors.add(
                    format!("occurrences[{i}].endsAt"),
                    "a date lasts at most 31 days",
                );
            }
            if dates.iter().any(|d| d.starts_at == starts_at) {
                errors.add(
                    format!("occurrences[{i}].startsAt"),
                    "another date starts at the same time",
                );
            }
            dates.push(PlannedDate {
                starts_at,
                ends_at,
                status: date.status.map(|s| {
                    capitole_domain::event::OccurrenceStatus::from(s)
                        .code()
                        .to_owned()
                }),
            });
        }
        if let Some(first) = dates.first() {
            schedule.duration_minutes = (first.ends_at - first.starts_at).num_minutes().max(1);
        }
    }
    if let Some(r) = recurrence {
        let rule = RecurrenceRule::parse(&r.rule)
            .map_err(|e| errors.add("recurrence.rule", e.to_string()))
            .ok();
        let first = parse_local(&r.first_start, scope.timezone);
        if first.is_none() {
            errors.add(
                "recurrence.firstStart",
                "give a local date-time such as 2027-03-06T08:00",
            );
        }
        let duration = i64::from(r.duration_minutes);
        if !(1..=MAX_DATE_MINUTES).contains(&duration) {
            errors.add(
                "recurrence.durationMinutes",
                format!("between 1 and {MAX_DATE_MINUTES} minutes"),
            );
        }
        let mut exceptions: Vec<NaiveDate> = Vec::new();
        if check_count(
            errors,
            "recurrence.exceptions",
            r.exceptions.len(),
            rules::MAX_EXCEPTIONS,
        ) {
            for (i, raw) in r.exceptions.iter().enumerate() {
                match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
                    Ok(date) if !exceptions.contains(&date) => exceptions.push(date),
                    Ok(_) => {}
                    Err(_) => errors.add(
                        format!("recurrence.exceptions[{i}]"),
                        "give a local date such as 2027-04-03",
                    ),
                }
            }
        }
        exceptions.sort_unstable();
        if let (Some(rule), Some(first)) = (rule, first)
            && (1..=MAX_DATE_MINUTES).contains(&duration)
        {
            let until = rules::horizon(scope.now, scope.timezone);
            match rules::expand(
                &rule,
                first,
                Duration::minutes(duration),
                &exceptions,
                scope.timezone,
                until,
            ) {
                Ok(expanded) if expanded.is_empty() => errors.add(
                    "recurrence",
                    "the recurrence yields no date within the next 18 months",
                ),
                Ok(expanded) => {
                    for (starts_at, ends_at) in expanded {
                        if !dates.iter().any(|d| d.starts_at == starts_at) {
                            dates.push(PlannedDate {
                                starts_at,
                                ends_at,
                                status: None,
                            });
                        }
                    }
                }
                Err(e) => errors.add("recurrence.rule", e.to_string()),
            }
            schedule.recurrence_rule = Some(rule.as_str().to_owned());
            schedule.recurrence_start = Some(first.format("%Y-%m-%dT%H:%M:%S").to_string());
            let skipped: Vec<String> = exceptions.iter().map(NaiveDate::to_string).collect();
            schedule.recurrence_exceptions = encode_codes(skipped.iter().map(String::as_str));
            schedule.duration_minutes = duration;
        }
    }
    if dates.is_empty() && errors.is_empty() {
        errors.add("occurrences", "give at least one date or a recurrence");
    }
    if dates.len() > MAX_DATES {
        errors.add(
            "occurrences",
            format!(
                "an event has at most {MAX_DATES} dates (these make {})",
                dates.len()
            ),
        );
    }
    dates.sort_by_key(|d| d.starts_at);
    schedule.dates = dates;
    schedule
}

fn event_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Event, id).map_err(to_gql)
}

fn place_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Place, id).map_err(to_gql)
}

/// Loads an event for a write: the caller must edit for its organizer.
async fn editable_event(
    scope: &RequestScope,
    id: Uuid,
) -> ApiResult<(
    capitole_persistence::entities::event::Model,
    EventContent,
    Actor,
)> {
    staff(scope)?;
    let (row, content) = agenda::event_for_edit(&scope.db, id)
        .await
        .map_err(to_gql)?
        .ok_or_else(|| to_gql(ApiError::new(ErrorCode::NotFound, "no event has this id")))?;
    let actor = actor_for(scope, Some(row.organization_id))?;
    Ok((row, content, actor))
}

/// A whole event from its input, for creation and upserts: the content, the schedule and
/// the actor, or every failed field.
pub(crate) async fn checked_event(
    scope: &RequestScope,
    input: EventInput,
    organizer_default: Option<Uuid>,
) -> ApiResult<Result<(EventContent, EventSchedule, Actor), FieldErrors>> {
    staff(scope)?;
    let mut errors = FieldErrors::default();
    let (patch, status) = input.into_patch();
    let organizer = match &patch.organizer {
        Some(slug) => organization_for(scope, &mut errors, "organizer", slug).await?,
        None => organizer_default.or_else(|| own_organization(scope)),
    };
    let actor = match organizer {
        Some(org) => Some(actor_for(scope, Some(org))?),
        None => {
            if patch.organizer.is_none() {
                errors.add("organizer", "name the organizing organization (its slug)");
            }
            None
        }
    };
    let mut content = EventContent {
        status: DomainStatus::from(status.unwrap_or(EventStatus::Scheduled))
            .code()
            .to_owned(),
        attendance_mode: DomainMode::InPerson.code().to_owned(),
        accessibility: "|".into(),
        audiences: "|".into(),
        organization_id: organizer.unwrap_or_default(),
        ..EventContent::default()
    };
    check_event_patch(scope, &mut errors, &patch, &mut content).await?;
    check_event_whole(&mut errors, &content);
    let schedule = check_schedule(
        scope,
        &mut errors,
        patch.occurrences.as_deref().unwrap_or_default(),
        patch.recurrence.value(),
    );
    match actor {
        Some(actor) if errors.is_empty() => Ok(Ok((content, schedule, actor))),
        _ => Ok(Err(errors)),
    }
}

fn refuse(errors: FieldErrors) -> async_graphql::Error {
    to_gql(ApiError::fields(errors))
}

/// Upserts one event for `source`: checks, permission on the existing item, then writes.
pub(crate) async fn upsert_one_event(
    scope: &RequestScope,
    source: &str,
    external_id: &str,
    input: EventInput,
    organizer_default: Option<Uuid>,
    validate_only: bool,
    actor_override: Option<Actor>,
) -> ApiResult<
    Result<
        (
            Option<capitole_persistence::entities::event::Model>,
            UpsertOutcome,
        ),
        FieldErrors,
    >,
> {
    staff(scope)?;
    let mut key_errors = FieldErrors::default();
    let source = check_source(&mut key_errors, "source", source);
    let external_id = check_external_id(&mut key_errors, "externalId", external_id);
    let title = input.title.clone();
    let checked = checked_event(scope, input, organizer_default).await?;
    let (content, schedule, actor) = match checked {
        Ok(ok) if key_errors.is_empty() => ok,
        Ok(_) => return Ok(Err(key_errors)),
        Err(errors) => {
            let mut all = key_errors;
            for e in errors.fields() {
                all.add(e.field.clone(), e.message.clone());
            }
            return Ok(Err(all));
        }
    };
    if let Some(existing) = agenda::event_by_external(&scope.db, &source, &external_id)
        .await
        .map_err(to_gql)?
    {
        actor_for(scope, Some(existing.organization_id))?;
    }
    if validate_only {
        return Ok(Ok((None, UpsertOutcome::Validated)));
    }
    let actor = actor_override.unwrap_or(actor);
    let slug = Slug::from_title(&title);
    let (row, outcome) = agenda::upsert_event(
        &scope.db,
        &source,
        &external_id,
        &content,
        &schedule,
        slug.as_str(),
        &actor,
        scope.now,
    )
    .await
    .map_err(to_gql)?;
    Ok(Ok((Some(row), outcome.into())))
}

async fn set_status(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    status: DomainStatus,
    online_url: Option<&str>,
    action: &str,
) -> ApiResult<Event> {
    let scope = scope(ctx)?;
    let uuid = event_id(id)?;
    let (_, mut content, actor) = editable_event(scope, uuid).await?;
    let mut errors = FieldErrors::default();
    if let Some(url) = optional_url(&mut errors, "onlineUrl", online_url) {
        content.online_url = Some(url);
    }
    if status == DomainStatus::MovedOnline {
        if content.online_url.is_none() {
            errors.add(
                "onlineUrl",
                "an event moved online needs an https onlineUrl",
            );
        }
        content.attendance_mode = DomainMode::Online.code().to_owned();
    }
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    content.status = status.code().to_owned();
    let change = EventChange {
        content: Some(content),
        ..EventChange::default()
    };
    let (row, _) = agenda::save_event(
        &scope.db,
        uuid,
        i64::from(version),
        &change,
        action,
        &actor,
        scope.now,
    )
    .await
    .map_err(to_gql)?;
    Ok(Event(row))
}

// ---------------------------------------------------------------------------------------
// Places

fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

fn check_hours(errors: &mut FieldErrors, input: &OpeningHoursInput) -> OpeningHours {
    let mut hours = OpeningHours::default();
    if check_count(errors, "openingHours.weekly", input.weekly.len(), 70) {
        for (i, r) in input.weekly.iter().enumerate() {
            match (parse_hhmm(&r.opens), parse_hhmm(&r.closes)) {
                (Some(opens), Some(closes)) => hours.weekly.push(WeeklyRange {
                    day: r.day.into(),
                    opens,
                    closes,
                }),
                _ => errors.add(format!("openingHours.weekly[{i}]"), "times are HH:MM"),
            }
        }
    }
    if check_count(
        errors,
        "openingHours.exceptions",
        input.exceptions.len(),
        capitole_domain::opening_hours::MAX_EXCEPTIONS,
    ) {
        for (i, e) in input.exceptions.iter().enumerate() {
            let field = format!("openingHours.exceptions[{i}]");
            let Ok(date) = NaiveDate::parse_from_str(e.date.trim(), "%Y-%m-%d") else {
                errors.add(format!("{field}.date"), "give a date such as 2027-05-01");
                continue;
            };
            let mut ranges = Vec::new();
            if !check_count(errors, &format!("{field}.ranges"), e.ranges.len(), 10) {
                continue;
            }
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
                capitole_domain::opening_hours::MAX_NOTE_CHARS,
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

async fn check_place_patch(
    scope: &RequestScope,
    errors: &mut FieldErrors,
    patch: &PlacePatch,
    content: &mut PlaceContent,
) -> ApiResult<()> {
    if let Some(v) = &patch.name {
        content.name = check_text(errors, "name", v, 1, limits::TITLE, Lines::Single);
    }
    if let Some(v) = &patch.description {
        content.description = check_text(
            errors,
            "description",
            v,
            0,
            PLACE_DESCRIPTION,
            Lines::Multiple,
        );
    }
    if let Some(l) = &patch.location {
        if Latitude::parse(l.latitude).is_err() {
            errors.add("location.latitude", "a latitude is between -90 and 90");
        }
        if Longitude::parse(l.longitude).is_err() {
            errors.add("location.longitude", "a longitude is between -180 and 180");
        }
        content.latitude = l.latitude;
        content.longitude = l.longitude;
        content.address = check_text(
            errors,
            "location.address",
            &l.address,
            0,
            300,
            Lines::Single,
        );
        content.postal_code = check_text(
            errors,
            "location.postalCode",
            &l.postal_code,
            0,
            10,
            Lines::Single,
        );
        content.city = check_text(errors, "location.city", &l.city, 0, 100, Lines::Single);
    }
    if let Some(slugs) = &patch.categories {
        content.categories = category_ids(scope, errors, CategoryKind::Place, slugs).await?;
    }
    match &patch.neighborhood {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => content.neighborhood_id = None,
        MaybeUndefined::Value(slug) => {
            content.neighborhood_id = neighborhood_id(scope, errors, "neighborhood", slug).await?;
        }
    }
    match &patch.contact {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            content.phone = None;
            content.email = None;
            content.website = None;
        }
        MaybeUndefined::Value(c) => {
            content.phone = c
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| check_phone(errors, "contact.phone", p));
            content.email = c
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| check_email(errors, "contact.email", e));
            content.website = optional_url(errors, "contact.website", c.website.as_deref());
        }
    }
    if let Some(hours) = &patch.opening_hours {
        let hours = check_hours(errors, hours);
        content.opening_hours = serde_json::to_string(&hours).unwrap_or_else(|_| "{}".into());
    }
    if let Some(needs) = &patch.accessibility
        && check_count(errors, "accessibility", needs.len(), 5)
    {
        content.accessibility = accessibility_code(needs);
    }
    Ok(())
}

async fn editable_place(
    scope: &RequestScope,
    id: Uuid,
) -> ApiResult<(
    capitole_persistence::entities::place::Model,
    PlaceContent,
    Actor,
)> {
    staff(scope)?;
    let (row, content) = agenda::place_for_edit(&scope.db, id)
        .await
        .map_err(to_gql)?
        .ok_or_else(|| to_gql(ApiError::new(ErrorCode::NotFound, "no place has this id")))?;
    let actor = actor_for(scope, row.owner_organization_id)?;
    Ok((row, content, actor))
}

/// A whole place from its input: content and actor, or every failed field.
async fn checked_place(
    scope: &RequestScope,
    input: PlaceInput,
) -> ApiResult<Result<(PlaceContent, Actor), FieldErrors>> {
    staff(scope)?;
    let mut errors = FieldErrors::default();
    let patch = input.into_patch();
    let owner = match &patch.owner {
        Some(slug) => organization_for(scope, &mut errors, "owner", slug).await?,
        None => own_organization(scope),
    };
    // Ownerless places are the administrators'; editors who edit for both publishers name one.
    if owner.is_none() && patch.owner.is_none() && actor_for(scope, None).is_err() {
        errors.add(
            "owner",
            "name the organization that runs the place (its slug)",
        );
    }
    let actor = if errors.is_empty() {
        Some(actor_for(scope, owner)?)
    } else {
        None
    };
    let mut content = PlaceContent {
        owner_organization_id: owner,
        closure: PlaceClosure::Open.code().to_owned(),
        accessibility: "|".into(),
        opening_hours: "{}".into(),
        ..PlaceContent::default()
    };
    check_place_patch(scope, &mut errors, &patch, &mut content).await?;
    match actor {
        Some(actor) if errors.is_empty() => Ok(Ok((content, actor))),
        _ => Ok(Err(errors)),
    }
}

fn slug_of(errors: &mut FieldErrors, raw: Option<&str>) -> Option<String> {
    raw.map(|raw| match Slug::parse(raw) {
        Ok(slug) => slug.as_str().to_owned(),
        Err(e) => {
            errors.add("slug", e.to_string());
            String::new()
        }
    })
}

async fn save_closure(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    closure: PlaceClosure,
    until: Option<DateTime<Utc>>,
    action: &str,
) -> ApiResult<Place> {
    let scope = scope(ctx)?;
    let uuid = place_id(id)?;
    let (_, mut content, actor) = editable_place(scope, uuid).await?;
    content.closure = closure.code().to_owned();
    content.closed_until = until.map(|u| u.trunc_subsecs(0));
    let (row, _) = agenda::save_place(
        &scope.db,
        uuid,
        i64::from(version),
        &content,
        None,
        action,
        &actor,
        scope.now,
    )
    .await
    .map_err(to_gql)?;
    Ok(Place(row))
}

#[derive(Default)]
pub(crate) struct AgendaMutation;

#[Object]
impl AgendaMutation {
    /// Adds an event to the agenda, with explicit dates and/or a recurrence (expanded up to
    /// 18 months ahead, at most 500 dates, in city time). Editors of the organizer and
    /// administrators only.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        input: EventInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<EventPayload> {
        let scope = scope(ctx)?;
        let title = input.title.clone();
        let (content, schedule, actor) =
            checked_event(scope, input, None).await?.map_err(refuse)?;
        if validate_only {
            return Ok(EventPayload {
                event: None,
                validated_only: true,
            });
        }
        let slug = Slug::from_title(&title);
        let row = agenda::create_event(
            &scope.db,
            &content,
            &schedule,
            slug.as_str(),
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(EventPayload {
            event: Some(Event(row)),
            validated_only: false,
        })
    }

    /// Changes an event at `version`; if someone else changed it since, nothing is stored
    /// and the answer is `CONFLICT`.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "The version being edited.")] version: i32,
        patch: EventPatch,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<EventPayload> {
        let scope = scope(ctx)?;
        let uuid = event_id(&id)?;
        let (_, mut content, actor) = editable_event(scope, uuid).await?;
        let mut errors = FieldErrors::default();
        if let Some(slug) = &patch.organizer
            && let Some(org) = organization_for(scope, &mut errors, "organizer", slug).await?
        {
            content.organization_id = org;
        }
        check_event_patch(scope, &mut errors, &patch, &mut content).await?;
        check_event_whole(&mut errors, &content);
        let schedule = if patch.occurrences.is_some() || !patch.recurrence.is_undefined() {
            Some(check_schedule(
                scope,
                &mut errors,
                patch.occurrences.as_deref().unwrap_or_default(),
                patch.recurrence.value(),
            ))
        } else {
            None
        };
        let slug = slug_of(&mut errors, patch.slug.as_deref());
        if !errors.is_empty() {
            return Err(refuse(errors));
        }
        if validate_only {
            return Ok(EventPayload {
                event: None,
                validated_only: true,
            });
        }
        let change = EventChange {
            content: Some(content),
            schedule,
            slug,
        };
        let (row, _) = agenda::save_event(
            &scope.db,
            uuid,
            i64::from(version),
            &change,
            "UPDATE",
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(EventPayload {
            event: Some(Event(row)),
            validated_only: false,
        })
    }

    /// Cancels the whole event; it stays in the agenda, marked cancelled.
    async fn cancel_event(&self, ctx: &Context<'_>, id: ID, version: i32) -> ApiResult<Event> {
        set_status(ctx, &id, version, DomainStatus::Cancelled, None, "CANCEL").await
    }

    /// Puts the event off to dates not yet known.
    async fn postpone_event(&self, ctx: &Context<'_>, id: ID, version: i32) -> ApiResult<Event> {
        set_status(ctx, &id, version, DomainStatus::Postponed, None, "POSTPONE").await
    }

    /// Moves the event to new dates: its dates become exactly those given (dates that stay
    /// keep their status) and its status RESCHEDULED.
    async fn reschedule_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        #[graphql(default)] occurrences: Vec<DateInput>,
        recurrence: Option<RecurrenceInput>,
    ) -> ApiResult<Event> {
        let scope = scope(ctx)?;
        let uuid = event_id(&id)?;
        let (_, mut content, actor) = editable_event(scope, uuid).await?;
        let mut errors = FieldErrors::default();
        let schedule = check_schedule(scope, &mut errors, &occurrences, recurrence.as_ref());
        if !errors.is_empty() {
            return Err(refuse(errors));
        }
        content.status = DomainStatus::Rescheduled.code().to_owned();
        let change = EventChange {
            content: Some(content),
            schedule: Some(schedule),
            slug: None,
        };
        let (row, _) = agenda::save_event(
            &scope.db,
            uuid,
            i64::from(version),
            &change,
            "RESCHEDULE",
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(Event(row))
    }

    /// Sets where the event stands as a whole. MOVED_ONLINE needs an https `onlineUrl`
    /// (given here or already set) and makes the event online only.
    async fn set_event_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        status: EventStatus,
        online_url: Option<String>,
    ) -> ApiResult<Event> {
        set_status(
            ctx,
            &id,
            version,
            status.into(),
            online_url.as_deref(),
            "SET_STATUS",
        )
        .await
    }

    /// Sets where one date stands (one cancelled date of a weekly market): a cancelled date
    /// leaves the agenda, the event and its other dates stay.
    async fn set_occurrence_status(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        version: i32,
        #[graphql(desc = "When the date starts.")] starts_at: DateTime<Utc>,
        status: OccurrenceStatus,
    ) -> ApiResult<Event> {
        let scope = scope(ctx)?;
        let uuid = self::event_id(&event_id)?;
        let (_, _, actor) = editable_event(scope, uuid).await?;
        let row = agenda::set_occurrence_status(
            &scope.db,
            uuid,
            i64::from(version),
            starts_at.trunc_subsecs(0),
            status.into(),
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(Event(row))
    }

    /// Creates or updates the event a publisher's system knows as (`source`, `externalId`).
    /// No version is needed: that system is the reference for its items. The same call twice
    /// changes nothing the second time (no new version, no audit entry).
    async fn upsert_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The publisher's system, such as `openagenda-toulouse`.")] source: String,
        #[graphql(desc = "The event's id in that system.")] external_id: String,
        input: EventInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<EventUpsertPayload> {
        let scope = scope(ctx)?;
        let (row, outcome) = upsert_one_event(
            scope,
            &source,
            &external_id,
            input,
            None,
            validate_only,
            None,
        )
        .await?
        .map_err(refuse)?;
        Ok(EventUpsertPayload {
            event: row.map(Event),
            outcome,
        })
    }

    /// Adds a place. Editors of its owner and administrators only; only administrators
    /// add places without an owner.
    async fn create_place(
        &self,
        ctx: &Context<'_>,
        input: PlaceInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<PlacePayload> {
        let scope = scope(ctx)?;
        let name = input.name.clone();
        let (content, actor) = checked_place(scope, input).await?.map_err(refuse)?;
        if validate_only {
            return Ok(PlacePayload {
                place: None,
                validated_only: true,
            });
        }
        let slug = Slug::from_title(&name);
        let row = agenda::create_place(&scope.db, &content, slug.as_str(), &actor, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(PlacePayload {
            place: Some(Place(row)),
            validated_only: false,
        })
    }

    /// Changes a place at `version` (`CONFLICT` when someone changed it since).
    async fn update_place(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        patch: PlacePatch,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<PlacePayload> {
        let scope = scope(ctx)?;
        let uuid = place_id(&id)?;
        let (_, mut content, actor) = editable_place(scope, uuid).await?;
        let mut errors = FieldErrors::default();
        if let Some(slug) = &patch.owner
            && let Some(org) = organization_for(scope, &mut errors, "owner", slug).await?
        {
            content.owner_organization_id = Some(org);
        }
        check_place_patch(scope, &mut errors, &patch, &mut content).await?;
        let slug = slug_of(&mut errors, patch.slug.as_deref());
        if !errors.is_empty() {
            return Err(refuse(errors));
        }
        if validate_only {
            return Ok(PlacePayload {
                place: None,
                validated_only: true,
            });
        }
        let (row, _) = agenda::save_place(
            &scope.db,
            uuid,
            i64::from(version),
            &content,
            slug.as_deref(),
            "UPDATE",
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(PlacePayload {
            place: Some(Place(row)),
            validated_only: false,
        })
    }

    /// Closes a place: until `until` (in the future) for a temporary closure, for good when
    /// `until` is null. `isOpenNow` is false while it is closed.
    async fn close_place(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        until: Option<DateTime<Utc>>,
    ) -> ApiResult<Place> {
        let now = scope(ctx)?.now;
        if until.is_some_and(|u| u <= now) {
            let mut errors = FieldErrors::default();
            errors.add("until", "must be in the future; use reopenPlace to reopen");
            return Err(refuse(errors));
        }
        let closure = if until.is_some() {
            PlaceClosure::TemporarilyClosed
        } else {
            PlaceClosure::PermanentlyClosed
        };
        save_closure(ctx, &id, version, closure, until, "CLOSE").await
    }

    /// Reopens a closed place: its opening hours apply again.
    async fn reopen_place(&self, ctx: &Context<'_>, id: ID, version: i32) -> ApiResult<Place> {
        save_closure(ctx, &id, version, PlaceClosure::Open, None, "REOPEN").await
    }

    /// Creates or updates the place a publisher's system knows as (`source`, `externalId`),
    /// without a version; the same call twice changes nothing the second time.
    async fn upsert_place(
        &self,
        ctx: &Context<'_>,
        source: String,
        external_id: String,
        input: PlaceInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<PlaceUpsertPayload> {
        let scope = scope(ctx)?;
        staff(scope)?;
        let mut key_errors = FieldErrors::default();
        let source = check_source(&mut key_errors, "source", &source);
        let external_id = check_external_id(&mut key_errors, "externalId", &external_id);
        let name = input.name.clone();
        let checked = checked_place(scope, input).await?;
        let (mut content, actor) = match checked {
            Ok(ok) if key_errors.is_empty() => ok,
            Ok(_) => return Err(refuse(key_errors)),
            Err(errors) => {
                for e in errors.fields() {
                    key_errors.add(e.field.clone(), e.message.clone());
                }
                return Err(refuse(key_errors));
            }
        };
        let existing = agenda::place_by_external(&scope.db, &source, &external_id)
            .await
            .map_err(to_gql)?;
        if let Some(existing) = &existing {
            actor_for(scope, existing.owner_organization_id)?;
            // A closure is the city's decision, not the source's: it stays.
            content.closure = existing.closure.clone();
            content.closed_until = existing.closed_until;
        }
        if validate_only {
            return Ok(PlaceUpsertPayload {
                place: None,
                outcome: UpsertOutcome::Validated,
            });
        }
        let slug = Slug::from_title(&name);
        let (row, outcome) = agenda::upsert_place(
            &scope.db,
            &source,
            &external_id,
            &content,
            slug.as_str(),
            &actor,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(PlaceUpsertPayload {
            place: Some(Place(row)),
            outcome: outcome.into(),
        })
    }
}
