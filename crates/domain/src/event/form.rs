//! Events as forms give them, in plain values: a whole event ([`EventForm`], for creation
//! and for the items a publisher's system sends) or a change to one ([`EventPatchForm`]),
//! with the names they use for other items. [`super::draft`] parses them.

use uuid::Uuid;

use super::{Accessibility, AttendanceMode, EventStatus};
use crate::accessibility::AccessibilityFeature;
use crate::agenda::Names;
use crate::event::CategoryKind;
use crate::media::MediaInput;
use crate::picture::PictureForm;
use crate::schedule::ScheduleForm;
use crate::values::Audience;

/// How to register, as a form gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationForm {
    /// An https registration page.
    pub url: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<String>,
}

/// A whole event as a form gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventForm {
    /// 1 to 200 characters.
    pub title: String,
    /// Up to 600 characters.
    pub summary: String,
    /// Up to 1,200 characters.
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first.
    pub pictures: Vec<PictureForm>,
    /// Its videos, photos and albums on the city's channels, by address.
    pub media: Vec<MediaInput>,
    /// Markdown, up to 100,000 characters.
    pub description: String,
    /// Slugs of event categories.
    pub categories: Vec<String>,
    /// Who it is meant for.
    pub audiences: Vec<Audience>,
    /// Slugs of neighbourhoods.
    pub neighborhoods: Vec<String>,
    /// Youngest age.
    pub age_min: Option<i64>,
    /// Oldest age.
    pub age_max: Option<i64>,
    /// The families of needs it is prepared for; with no families and no features, the
    /// event shows its venue's accessibility.
    pub accessibility: Vec<Accessibility>,
    /// The features that prepare it.
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// Whether it costs nothing.
    pub is_free: bool,
    /// Prices, as worded for the public.
    pub price: Option<String>,
    /// How to register.
    pub registration: Option<RegistrationForm>,
    /// How people attend (in person when not said).
    pub attendance_mode: Option<AttendanceMode>,
    /// Where to follow it online.
    pub online_url: Option<String>,
    /// The id of its venue.
    pub venue: Option<Uuid>,
    /// Where it happens, in words.
    pub location_text: Option<String>,
    /// The publishers' slugs; by default the publishers of
    /// [`crate::agenda::References::publisher`].
    pub publishers: Option<Vec<String>>,
    /// Where it stands (scheduled when not said).
    pub status: Option<EventStatus>,
    /// Its dates.
    pub schedule: ScheduleForm,
}

/// A change to an event as a form gives it: `None` keeps a field, `Some(None)` clears an
/// optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPatchForm {
    /// A new title.
    pub title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
    /// A new easy-to-read summary.
    pub easy_read_summary: Option<Option<String>>,
    /// New pictures, replacing them all.
    pub pictures: Option<Vec<PictureForm>>,
    /// New media, replacing them all.
    pub media: Option<Vec<MediaInput>>,
    /// A new description.
    pub description: Option<String>,
    /// New category slugs.
    pub categories: Option<Vec<String>>,
    /// New audiences.
    pub audiences: Option<Vec<Audience>>,
    /// New neighbourhood slugs.
    pub neighborhoods: Option<Vec<String>>,
    /// A new youngest age.
    pub age_min: Option<Option<i64>>,
    /// A new oldest age.
    pub age_max: Option<Option<i64>>,
    /// New families of needs it is prepared for.
    pub accessibility: Option<Vec<Accessibility>>,
    /// New features that prepare it.
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// Whether it costs nothing.
    pub is_free: Option<bool>,
    /// New prices.
    pub price: Option<Option<String>>,
    /// New registration.
    pub registration: Option<Option<RegistrationForm>>,
    /// A new way to attend.
    pub attendance_mode: Option<AttendanceMode>,
    /// A new online address.
    pub online_url: Option<Option<String>>,
    /// A new venue id.
    pub venue: Option<Option<Uuid>>,
    /// A new location in words.
    pub location_text: Option<Option<String>>,
    /// New publishers' slugs.
    pub publishers: Option<Vec<String>>,
    /// New dates, replacing every date.
    pub schedule: Option<ScheduleForm>,
    /// A new slug.
    pub slug: Option<String>,
}

impl EventForm {
    /// Adds the names this form uses to `names`.
    pub fn names(&self, names: &mut Names) {
        names.add_categories(CategoryKind::Event, &self.categories);
        names.add_neighborhoods(&self.neighborhoods);
        names.add_organizations(self.publishers.as_deref());
        names.places.extend(self.venue);
    }
}

impl EventPatchForm {
    /// Adds the names this form uses to `names`.
    pub fn names(&self, names: &mut Names) {
        if let Some(categories) = &self.categories {
            names.add_categories(CategoryKind::Event, categories);
        }
        if let Some(neighborhoods) = &self.neighborhoods {
            names.add_neighborhoods(neighborhoods);
        }
        names.add_organizations(self.publishers.as_deref());
        names.places.extend(self.venue.flatten());
    }
}

/// The patch form of a whole event: every field set (absent optional ones cleared).
pub(super) fn whole(form: EventForm) -> EventPatchForm {
    EventPatchForm {
        title: Some(form.title),
        summary: Some(form.summary),
        easy_read_summary: Some(form.easy_read_summary),
        pictures: Some(form.pictures),
        media: Some(form.media),
        description: Some(form.description),
        categories: Some(form.categories),
        audiences: Some(form.audiences),
        neighborhoods: Some(form.neighborhoods),
        age_min: Some(form.age_min),
        age_max: Some(form.age_max),
        accessibility: Some(form.accessibility),
        accessibility_features: Some(form.accessibility_features),
        is_free: Some(form.is_free),
        price: Some(form.price),
        registration: Some(form.registration),
        attendance_mode: Some(form.attendance_mode.unwrap_or(AttendanceMode::InPerson)),
        online_url: Some(form.online_url),
        venue: Some(form.venue),
        location_text: Some(form.location_text),
        publishers: None,
        schedule: None,
        slug: None,
    }
}
