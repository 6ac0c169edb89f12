//! Events checked: a whole event parsed from its form into an [`EventDraft`], a change into
//! an [`EventPatch`] that meets the event it changes. Every failed field is reported at
//! once, named with its path in the input (`registration.email`, `occurrences[0].endsAt`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::form::{EventForm, EventPatchForm, whole};
use super::{
    AttendanceMode, CategoryKind, EventContent, EventEdit, EventStatus, MAX_LOCATION_TEXT_CHARS,
    MAX_PRICE_CHARS, Registration,
};
use crate::accessibility::AccessibilityChange;
use crate::agenda::{DefaultPublisher, References, optional_email, optional_phone, set_of};
use crate::editorial::{
    FieldErrors, Lines, check_easy_read_summary, check_optional_text, check_text, limits,
    optional_url,
};
use crate::media::{Media, check_media_list};
use crate::picture::{Picture, check_pictures};
use crate::schedule::Schedule;
use crate::values::{Audience, Slug};

/// A new event, checked: its content and its dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    content: EventContent,
    schedule: Schedule,
}

impl EventDraft {
    /// Checks a whole event at `now` in the city of `tz`, resolving its names in
    /// `references`.
    pub fn parse(
        form: EventForm,
        references: &References,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let publishers = match &form.publishers {
            Some(slugs) => publishers(&mut errors, references, slugs),
            None => match &references.publisher {
                DefaultPublisher::Organizations(organizations) if !organizations.is_empty() => {
                    organizations.clone()
                }
                _ => {
                    errors.add(
                        "publishers",
                        "name the organizations that publish the event (their slugs)",
                    );
                    Vec::new()
                }
            },
        };
        let status = form.status.unwrap_or(EventStatus::Scheduled);
        let schedule_form = form.schedule.clone();
        let fields = Fields::check(&mut errors, whole(form), references);
        let empty = EventContent::empty(publishers, status);
        let content = fields.onto(&mut errors, &empty);
        let schedule = Schedule::check(&mut errors, &schedule_form, tz, now);
        errors.into_result(Self { content, schedule })
    }

    /// What the event is.
    pub fn content(&self) -> &EventContent {
        &self.content
    }

    /// When it takes place.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The slug a new event asks for: its title's (storage makes it free).
    pub fn slug(&self) -> Slug {
        Slug::from_title(&self.content.title)
    }

    /// The edit that makes an existing event this one (an upsert of a known item): every
    /// field and every date.
    pub fn into_edit(self) -> EventEdit {
        EventEdit {
            content: self.content,
            schedule: Some(self.schedule),
            slug: None,
        }
    }
}

/// A change to an event, checked field by field; the rules between fields are checked when
/// it meets the event ([`EventPatch::apply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPatch {
    fields: Fields,
    publishers: Option<Vec<Uuid>>,
    schedule: Option<Schedule>,
    slug: Option<Slug>,
}

impl EventPatch {
    /// Checks a change at `now` in the city of `tz`, resolving its names in `references`.
    pub fn parse(
        form: EventPatchForm,
        references: &References,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let publishers = form
            .publishers
            .as_deref()
            .map(|slugs| publishers(&mut errors, references, slugs));
        let schedule_form = form.schedule.clone();
        let slug = form.slug.clone();
        let fields = Fields::check(&mut errors, form, references);
        let schedule = schedule_form.map(|s| Schedule::check(&mut errors, &s, tz, now));
        let slug = slug.and_then(|raw| {
            Slug::parse(&raw)
                .map_err(|e| errors.add("slug", e.to_string()))
                .ok()
        });
        errors.into_result(Self {
            fields,
            publishers,
            schedule,
            slug,
        })
    }

    /// The new publishers, in order, when the change names them.
    pub fn publishers(&self) -> Option<&[Uuid]> {
        self.publishers.as_deref()
    }

    /// What the event `current` becomes; the rules between fields are checked on the result.
    pub fn apply(self, current: &EventContent) -> Result<EventEdit, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut content = self.fields.onto(&mut errors, current);
        if let Some(publishers) = self.publishers {
            content.publishers = publishers;
        }
        errors.into_result(EventEdit {
            content,
            schedule: self.schedule,
            slug: self.slug,
        })
    }
}

/// The checked fields of a form: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    title: Option<String>,
    summary: Option<String>,
    easy_read_summary: Option<Option<String>>,
    pictures: Option<Vec<Picture>>,
    media: Option<Vec<Media>>,
    description: Option<String>,
    categories: Option<Vec<Uuid>>,
    audiences: Option<BTreeSet<Audience>>,
    neighborhoods: Option<Vec<Uuid>>,
    age_min: Option<Option<i64>>,
    age_max: Option<Option<i64>>,
    accessibility: AccessibilityChange,
    is_free: Option<bool>,
    price: Option<Option<String>>,
    registration: Option<Registration>,
    attendance: Option<AttendanceMode>,
    online_url: Option<Option<String>>,
    venue: Option<Option<Uuid>>,
    location_text: Option<Option<String>>,
}

impl Fields {
    /// Checks each field given, in the order of the input, noting every failure.
    fn check(errors: &mut FieldErrors, form: EventPatchForm, references: &References) -> Self {
        let optional = |errors: &mut FieldErrors, field: &str, text: Option<String>, max| {
            check_optional_text(errors, field, text.as_deref(), max, Lines::Single)
        };
        Self {
            title: form
                .title
                .map(|v| check_text(errors, "title", &v, 1, limits::TITLE, Lines::Single)),
            summary: form
                .summary
                .map(|v| check_text(errors, "summary", &v, 0, limits::SUMMARY, Lines::Multiple)),
            easy_read_summary: form
                .easy_read_summary
                .map(|v| check_easy_read_summary(errors, v.as_deref())),
            pictures: form
                .pictures
                .map(|p| check_pictures(errors, "pictures", &p)),
            media: form.media.map(|m| check_media_list(errors, m)),
            description: form
                .description
                .map(|v| check_text(errors, "description", &v, 0, limits::BODY, Lines::Multiple)),
            categories: form
                .categories
                .map(|slugs| references.categories(errors, CategoryKind::Event, &slugs)),
            audiences: form
                .audiences
                .and_then(|a| set_of(errors, "audiences", &a, Audience::ALL)),
            neighborhoods: form
                .neighborhoods
                .map(|slugs| references.neighborhood_list(errors, &slugs)),
            age_min: form.age_min,
            age_max: form.age_max,
            accessibility: AccessibilityChange::check(
                errors,
                form.accessibility,
                form.accessibility_features,
            ),
            is_free: form.is_free,
            price: form
                .price
                .map(|v| optional(errors, "price", v, MAX_PRICE_CHARS)),
            registration: form.registration.map(|r| {
                let r = r.unwrap_or_default();
                Registration {
                    url: optional_url(errors, "registration.url", r.url.as_deref()),
                    phone: optional_phone(errors, "registration.phone", r.phone.as_deref()),
                    email: optional_email(errors, "registration.email", r.email.as_deref()),
                }
            }),
            attendance: form.attendance_mode,
            online_url: form
                .online_url
                .map(|v| optional_url(errors, "onlineUrl", v.as_deref())),
            venue: form.venue.map(|v| v.map(|id| references.venue(errors, id))),
            location_text: form
                .location_text
                .map(|v| optional(errors, "locationText", v, MAX_LOCATION_TEXT_CHARS)),
        }
    }

    /// `current` with these fields set, the rules between fields noted on the result.
    fn onto(self, errors: &mut FieldErrors, current: &EventContent) -> EventContent {
        let min = self.age_min.unwrap_or(current.ages.min.map(i64::from));
        let max = self.age_max.unwrap_or(current.ages.max.map(i64::from));
        let content = EventContent {
            title: self.title.unwrap_or_else(|| current.title.clone()),
            summary: self.summary.unwrap_or_else(|| current.summary.clone()),
            easy_read_summary: self
                .easy_read_summary
                .unwrap_or_else(|| current.easy_read_summary.clone()),
            pictures: self.pictures.unwrap_or_else(|| current.pictures.clone()),
            media: self.media.unwrap_or_else(|| current.media.clone()),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            categories: self
                .categories
                .unwrap_or_else(|| current.categories.clone()),
            audiences: self.audiences.unwrap_or_else(|| current.audiences.clone()),
            neighborhoods: self
                .neighborhoods
                .unwrap_or_else(|| current.neighborhoods.clone()),
            ages: EventContent::check_ages(errors, min, max),
            accessibility: self.accessibility.onto(&current.accessibility),
            is_free: self.is_free.unwrap_or(current.is_free),
            price: self.price.unwrap_or_else(|| current.price.clone()),
            registration: self
                .registration
                .unwrap_or_else(|| current.registration.clone()),
            attendance: self.attendance.unwrap_or(current.attendance),
            online_url: self
                .online_url
                .unwrap_or_else(|| current.online_url.clone()),
            venue: self.venue.unwrap_or(current.venue),
            location_text: self
                .location_text
                .unwrap_or_else(|| current.location_text.clone()),
            publishers: current.publishers.clone(),
            status: current.status,
        };
        content.check_between_fields(errors);
        content
    }
}

/// The publishers of `slugs`: at least one, each known (field `publishers`).
fn publishers(errors: &mut FieldErrors, references: &References, slugs: &[String]) -> Vec<Uuid> {
    if slugs.is_empty() {
        errors.add("publishers", "an event has at least one publisher");
        return Vec::new();
    }
    references.publishers(errors, slugs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::accessibility::AccessibilityFeature;
    use crate::agenda::Names;
    use crate::event::Accessibility;
    use crate::event::RegistrationForm;
    use crate::schedule::{DateForm, ScheduleForm};
    use chrono::Duration;
    use chrono_tz::Europe::Paris;

    const VILLE: Uuid = Uuid::from_u128(1);
    const CONCERT: Uuid = Uuid::from_u128(2);
    const CAPITOLE: Uuid = Uuid::from_u128(3);
    const JARDIN: Uuid = Uuid::from_u128(4);

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn references() -> References {
        let mut references = References {
            publisher: DefaultPublisher::Organizations(vec![VILLE]),
            ..References::default()
        };
        references
            .categories
            .insert((CategoryKind::Event, "event-concert".into()), CONCERT);
        references.neighborhoods.insert("capitole".into(), CAPITOLE);
        references
            .organizations
            .insert("ville-de-toulouse".into(), VILLE);
        references.places.insert(JARDIN);
        references
    }

    fn concert() -> EventForm {
        let starts_at = now() + Duration::days(10);
        EventForm {
            title: "  Concert au jardin ".into(),
            categories: vec!["event-concert".into(), "event-concert".into()],
            audiences: vec![Audience::Families, Audience::Youth, Audience::Families],
            neighborhoods: vec!["capitole".into()],
            age_min: Some(6),
            is_free: true,
            venue: Some(JARDIN),
            schedule: ScheduleForm {
                dates: vec![DateForm {
                    starts_at,
                    ends_at: starts_at + Duration::hours(2),
                    status: None,
                }],
                recurrence: None,
            },
            ..EventForm::default()
        }
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.fields().iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_draft_is_trimmed_resolved_and_published_by_default_by_the_editors_organization() {
        let draft = EventDraft::parse(concert(), &references(), Paris, now()).unwrap();
        let content = draft.content();
        assert_eq!(content.title, "Concert au jardin");
        assert_eq!(content.categories, [CONCERT]);
        assert_eq!(content.audiences.len(), 2);
        assert_eq!(content.publishers, [VILLE]);
        assert_eq!(content.status, EventStatus::Scheduled);
        assert_eq!(content.attendance, AttendanceMode::InPerson);
        assert_eq!(content.ages.min, Some(6));
        assert_eq!(draft.schedule().dates.len(), 1);
        assert_eq!(draft.slug().as_str(), "concert-au-jardin");
    }

    #[test]
    fn a_hostile_form_is_refused_field_by_field() {
        let form = EventForm {
            title: "x".repeat(20_000),
            summary: "nul \u{0} byte".into(),
            categories: vec!["nope".into()],
            neighborhoods: vec!["atlantis".into()],
            age_min: Some(12),
            age_max: Some(3),
            is_free: true,
            price: Some("10 €".into()),
            attendance_mode: Some(AttendanceMode::Online),
            registration: Some(RegistrationForm {
                email: Some("not-an-address".into()),
                url: Some("http://insecure.example".into()),
                phone: None,
            }),
            venue: Some(Uuid::from_u128(99)),
            publishers: Some(vec!["atlantis-council".into()]),
            ..EventForm::default()
        };
        let errors = EventDraft::parse(form, &references(), Paris, now()).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "publishers[0]",
                "title",
                "summary",
                "categories[0]",
                "neighborhoods[0]",
                "registration.url",
                "registration.email",
                "venue",
                "ageMax",
                "price",
                "onlineUrl",
            ]
        );
    }

    #[test]
    fn the_rules_between_fields_hold_on_the_whole_event() {
        let mut form = concert();
        form.venue = None;
        form.age_min = Some(130);
        form.attendance_mode = Some(AttendanceMode::Mixed);
        let errors = EventDraft::parse(form, &references(), Paris, now()).unwrap_err();
        assert_eq!(fields(&errors), ["ageMin", "onlineUrl", "venue"]);
        assert_eq!(errors.fields()[0].message, "ages are between 0 and 120");
        let mut online = concert();
        online.attendance_mode = Some(AttendanceMode::Online);
        online.venue = None;
        online.online_url = Some("https://live.toulouse.fr/concert".into());
        assert!(EventDraft::parse(online, &references(), Paris, now()).is_ok());
    }

    #[test]
    fn an_event_names_its_publishers_unless_the_editor_has_some() {
        let mut references = references();
        references.publisher = DefaultPublisher::Unowned;
        let errors = EventDraft::parse(concert(), &references, Paris, now()).unwrap_err();
        assert_eq!(fields(&errors), ["publishers"]);
        let mut none = concert();
        none.publishers = Some(Vec::new());
        let errors = EventDraft::parse(none, &references, Paris, now()).unwrap_err();
        assert_eq!(fields(&errors), ["publishers"]);
        let metropole = Uuid::from_u128(9);
        references
            .organizations
            .insert("toulouse-metropole".into(), metropole);
        let mut named = concert();
        named.publishers = Some(vec![
            " ville-de-toulouse".into(),
            "toulouse-metropole".into(),
        ]);
        let draft = EventDraft::parse(named, &references, Paris, now()).unwrap();
        assert_eq!(draft.content().publishers, [VILLE, metropole]);
        references.publisher = DefaultPublisher::Organizations(vec![metropole, VILLE]);
        let draft = EventDraft::parse(concert(), &references, Paris, now()).unwrap();
        assert_eq!(draft.content().publishers, [metropole, VILLE]);
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_is_checked_on_the_result() {
        let current = EventDraft::parse(concert(), &references(), Paris, now())
            .unwrap()
            .content()
            .clone();
        let patch = EventPatchForm {
            title: Some("Concert du jardin".into()),
            price: Some(Some("5 €".into())),
            slug: Some("concert-du-jardin".into()),
            ..EventPatchForm::default()
        };
        let patch = EventPatch::parse(patch, &references(), Paris, now()).unwrap();
        let errors = patch.apply(&current).unwrap_err();
        assert_eq!(fields(&errors), ["price"]);
        let patch = EventPatchForm {
            title: Some("Concert du jardin".into()),
            is_free: Some(false),
            price: Some(Some("5 €".into())),
            age_max: Some(Some(4)),
            slug: Some("concert-du-jardin".into()),
            ..EventPatchForm::default()
        };
        let errors = EventPatch::parse(patch.clone(), &references(), Paris, now())
            .unwrap()
            .apply(&current)
            .unwrap_err();
        assert_eq!(fields(&errors), ["ageMax"]);
        let patch = EventPatchForm {
            age_min: Some(None),
            ..patch
        };
        let edit = EventPatch::parse(patch, &references(), Paris, now())
            .unwrap()
            .apply(&current)
            .unwrap();
        assert_eq!(edit.content.title, "Concert du jardin");
        assert_eq!(edit.content.summary, current.summary);
        assert_eq!(edit.content.ages.max, Some(4));
        assert_eq!(edit.slug.unwrap().as_str(), "concert-du-jardin");
        assert!(edit.schedule.is_none());
    }

    #[test]
    fn an_event_states_its_accessibility_or_shows_its_venues() {
        let inherits = EventDraft::parse(concert(), &references(), Paris, now()).unwrap();
        assert!(inherits.content().accessibility.is_empty());
        let mut form = concert();
        form.accessibility_features = vec![AccessibilityFeature::SignLanguage];
        let draft = EventDraft::parse(form, &references(), Paris, now()).unwrap();
        let stated = draft.content().accessibility.clone();
        assert_eq!(
            stated.families().iter().copied().collect::<Vec<_>>(),
            [Accessibility::Hearing]
        );
        let families_only = EventPatchForm {
            accessibility: Some(vec![Accessibility::Visual]),
            ..EventPatchForm::default()
        };
        let edit = EventPatch::parse(families_only, &references(), Paris, now())
            .unwrap()
            .apply(draft.content())
            .unwrap();
        assert_eq!(edit.content.accessibility.features(), stated.features());
        assert!(
            edit.content
                .accessibility
                .families()
                .contains(&Accessibility::Visual)
        );
        let nothing = EventPatchForm {
            accessibility: Some(Vec::new()),
            accessibility_features: Some(Vec::new()),
            ..EventPatchForm::default()
        };
        let edit = EventPatch::parse(nothing, &references(), Paris, now())
            .unwrap()
            .apply(draft.content())
            .unwrap();
        assert!(edit.content.accessibility.is_empty());
    }

    #[test]
    fn a_patch_refuses_a_bad_slug_and_a_bad_schedule() {
        let patch = EventPatchForm {
            slug: Some("Not A Slug".into()),
            schedule: Some(ScheduleForm::default()),
            ..EventPatchForm::default()
        };
        let errors = EventPatch::parse(patch, &references(), Paris, now()).unwrap_err();
        assert_eq!(fields(&errors), ["occurrences", "slug"]);
    }

    #[test]
    fn names_skip_lists_over_their_limit() {
        let mut form = concert();
        form.categories = (0..1_000).map(|i| format!("c{i}")).collect();
        let mut names = Names::default();
        form.names(&mut names);
        assert!(names.categories.is_empty());
        assert_eq!(names.neighborhoods.len(), 1);
        assert_eq!(names.places.len(), 1);
        let patch = EventPatchForm {
            publishers: Some(vec![" ville-de-toulouse ".into()]),
            neighborhoods: Some(vec![" capitole".into()]),
            ..EventPatchForm::default()
        };
        patch.names(&mut names);
        assert!(names.organizations.contains("ville-de-toulouse"));
        assert_eq!(names.neighborhoods.len(), 1);
    }
}
