//! The inputs of the place mutations and their reading into the domain's forms: absent and
//! `null` become kept and cleared fields, and the names an input uses are looked up before
//! the domain parses it.

use async_graphql::{InputObject, MaybeUndefined};
use capitole_domain::agenda::{ExternalKey, Names};
use capitole_domain::editorial::FieldErrors;
use capitole_domain::opening_hours::TimeRange;
use capitole_domain::place::{
    ContactForm, ExceptionForm, LocationForm, OpeningHoursForm, PlaceDraft, PlaceForm, PlacePatch,
    PlacePatchForm, WeeklyForm,
};

use crate::context::RequestScope;
use crate::error::ApiResult;
use crate::mutation::agenda::{both, clearable, references, refuse};
use crate::types::Accessibility;
use crate::types::accessibility::AccessibilityFeature;
use crate::types::media::MediaInput;
use crate::types::picture::PictureInput;
use crate::types::place::DayOfWeek;
use crate::types::scalars::{Date, Email, LocalTime, Url};

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
    pub email: Option<Email>,
    /// An https website.
    pub website: Option<Url>,
}

/// One weekly opening range in city time; when `closes` is not after `opens` it runs past
/// midnight.
#[derive(InputObject, Clone)]
pub(crate) struct WeeklyOpeningInput {
    /// The day the range starts on.
    pub day: DayOfWeek,
    /// When it opens.
    pub opens: LocalTime,
    /// When it closes (the next day when not after `opens`).
    pub closes: LocalTime,
}

/// One opening range of a date in city time; when `closes` is not after `opens` it runs
/// past midnight.
#[derive(InputObject, Clone, Copy)]
pub(crate) struct TimeRangeInput {
    /// When it opens.
    pub opens: LocalTime,
    /// When it closes (the next day when not after `opens`).
    pub closes: LocalTime,
}

/// Hours of one date that differ from the weekly ones; no ranges means closed all day.
#[derive(InputObject, Clone)]
pub(crate) struct OpeningExceptionInput {
    /// The date, in the city's calendar.
    pub date: Date,
    /// The ranges it opens in, replacing the weekday's (at most 10); none means closed
    /// all day.
    #[graphql(default)]
    pub ranges: Vec<TimeRangeInput>,
    /// Why (up to 200 characters).
    pub note: Option<String>,
}

/// When a place is open.
#[derive(InputObject, Clone)]
pub(crate) struct OpeningHoursInput {
    /// The usual week: every range it opens in (none: closed every day).
    #[graphql(default)]
    pub weekly: Vec<WeeklyOpeningInput>,
    /// Dates whose hours differ from the usual week (public holidays, closures).
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
    /// Short sentences in plain words for readers who find the description hard (up to
    /// 1,200 characters).
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first (up to 12).
    #[graphql(default)]
    pub pictures: Vec<PictureInput>,
    /// Its videos, photos and albums on the city's channels or elsewhere, by address (up to
    /// 30).
    #[graphql(default)]
    pub media: Vec<MediaInput>,
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
    /// The families of needs it is prepared for.
    #[graphql(default)]
    pub accessibility: Vec<Accessibility>,
    /// The features that prepare it (each brings its family into `accessibility`). Events
    /// held here that state no accessibility of their own show the place's.
    #[graphql(default)]
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// The organizations that publish it (slugs, one or two: the city and the metropolitan
    /// authority may co-publish), each one the editor edits for; by default the
    /// organizations the editor edits for. Only administrators edit places without
    /// publishers.
    pub publishers: Option<Vec<String>>,
}

/// A change to a place: only the fields given change.
#[derive(InputObject, Default)]
#[graphql(name = "PlacePatch")]
pub(crate) struct PlacePatchInput {
    /// 1 to 200 characters.
    pub name: Option<String>,
    /// Up to 5,000 characters.
    pub description: Option<String>,
    /// Short sentences in plain words (up to 1,200 characters); `null` removes it.
    pub easy_read_summary: MaybeUndefined<String>,
    /// New pictures, replacing them all (`[]` removes them).
    pub pictures: Option<Vec<PictureInput>>,
    /// New media, replacing them all (`[]` removes them).
    pub media: Option<Vec<MediaInput>>,
    /// Where it is.
    pub location: Option<PlaceLocationInput>,
    /// Slugs of place categories (up to 20).
    pub categories: Option<Vec<String>>,
    /// The slug of its neighbourhood.
    pub neighborhood: MaybeUndefined<String>,
    /// How to reach it.
    pub contact: MaybeUndefined<ContactInput>,
    /// When it is open.
    pub opening_hours: Option<OpeningHoursInput>,
    /// The families of needs it is prepared for.
    pub accessibility: Option<Vec<Accessibility>>,
    /// The features that prepare it. A change of `accessibility` or of the features reaches
    /// the events held here that state none of their own.
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// Replaces the publishers (slugs, one or two). The editor names only organizations
    /// they edit for; co-publishers they do not edit for stay.
    pub publishers: Option<Vec<String>>,
    /// A new slug; the old one keeps leading to the place.
    pub slug: Option<String>,
}

impl PlaceLocationInput {
    fn into_form(self) -> LocationForm {
        LocationForm {
            latitude: self.latitude,
            longitude: self.longitude,
            address: self.address,
            postal_code: self.postal_code,
            city: self.city,
        }
    }
}

impl ContactInput {
    fn into_form(self) -> ContactForm {
        ContactForm {
            phone: self.phone,
            email: self.email.map(|e| e.0),
            website: self.website.map(|w| w.0),
        }
    }
}

impl OpeningHoursInput {
    fn into_form(self) -> OpeningHoursForm {
        OpeningHoursForm {
            weekly: self
                .weekly
                .into_iter()
                .map(|r| WeeklyForm {
                    day: r.day.into(),
                    opens: r.opens.0,
                    closes: r.closes.0,
                })
                .collect(),
            exceptions: self
                .exceptions
                .into_iter()
                .map(|e| ExceptionForm {
                    date: e.date.0,
                    ranges: e
                        .ranges
                        .into_iter()
                        .map(|r| TimeRange {
                            opens: r.opens.0,
                            closes: r.closes.0,
                        })
                        .collect(),
                    note: e.note,
                })
                .collect(),
        }
    }
}

impl PlaceInput {
    fn into_form(self) -> PlaceForm {
        PlaceForm {
            name: self.name,
            description: self.description,
            easy_read_summary: self.easy_read_summary,
            pictures: PictureInput::forms(self.pictures),
            media: MediaInput::forms(self.media),
            location: self.location.into_form(),
            categories: self.categories,
            neighborhood: self.neighborhood,
            contact: self.contact.map(ContactInput::into_form),
            opening_hours: self.opening_hours.map(OpeningHoursInput::into_form),
            accessibility: self.accessibility.into_iter().map(Into::into).collect(),
            accessibility_features: self
                .accessibility_features
                .into_iter()
                .map(Into::into)
                .collect(),
            publishers: self.publishers,
        }
    }

    /// The checked place of this input.
    pub(crate) async fn draft(self, scope: &RequestScope) -> ApiResult<PlaceDraft> {
        let ((), draft) = self.keyed(scope, Ok(())).await?;
        Ok(draft)
    }

    /// The key and the checked place of this input sent as (`source`, `external_id`).
    pub(crate) async fn keyed_draft(
        self,
        scope: &RequestScope,
        source: &str,
        external_id: &str,
    ) -> ApiResult<(ExternalKey, PlaceDraft)> {
        let key = ExternalKey::parse(source, external_id);
        self.keyed(scope, key).await
    }

    /// `key` and the checked place of this input, or every field that failed in either.
    async fn keyed<K>(
        self,
        scope: &RequestScope,
        key: Result<K, FieldErrors>,
    ) -> ApiResult<(K, PlaceDraft)> {
        let form = self.into_form();
        let mut names = Names::default();
        form.names(&mut names);
        let references = references(scope, &names).await?;
        both(key, PlaceDraft::parse(form, &references)).map_err(refuse)
    }
}

impl PlacePatchInput {
    fn into_form(self) -> PlacePatchForm {
        PlacePatchForm {
            name: self.name,
            description: self.description,
            easy_read_summary: clearable(self.easy_read_summary),
            pictures: self.pictures.map(PictureInput::forms),
            media: self.media.map(MediaInput::forms),
            location: self.location.map(PlaceLocationInput::into_form),
            categories: self.categories,
            neighborhood: clearable(self.neighborhood),
            contact: clearable(self.contact.map_value(ContactInput::into_form)),
            opening_hours: self.opening_hours.map(OpeningHoursInput::into_form),
            accessibility: self
                .accessibility
                .map(|a| a.into_iter().map(Into::into).collect()),
            accessibility_features: self
                .accessibility_features
                .map(|a| a.into_iter().map(Into::into).collect()),
            publishers: self.publishers,
            slug: self.slug,
        }
    }

    /// The checked change of this input.
    pub(crate) async fn patch(self, scope: &RequestScope) -> ApiResult<PlacePatch> {
        let form = self.into_form();
        let mut names = Names::default();
        form.names(&mut names);
        let references = references(scope, &names).await?;
        PlacePatch::parse(form, &references).map_err(refuse)
    }
}
