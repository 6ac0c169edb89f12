//! Places as forms give them: a whole place ([`PlaceForm`], for creation and for the items a
//! publisher's system sends) or a change to one ([`PlacePatchForm`]), in plain values, parsed
//! into a checked [`PlaceDraft`] or [`PlacePatch`]. Every failed field is reported at once,
//! named with its path in the input (`location.latitude`, `openingHours.weekly[0]`).

use uuid::Uuid;

use super::hours::{OpeningHoursForm, check_hours};
use super::{
    Contact, Location, MAX_ADDRESS_CHARS, MAX_CITY_CHARS, MAX_DESCRIPTION_CHARS,
    MAX_POSTAL_CODE_CHARS, PlaceContent, PlaceEdit,
};
use crate::accessibility::{AccessibilityChange, AccessibilityFeature, AccessibilityStatement};
use crate::agenda::{DefaultPublisher, Names, References, optional_email, optional_phone};
use crate::editorial::{
    FieldErrors, Lines, check_easy_read_summary, check_text, limits, optional_url,
};
use crate::event::{Accessibility, CategoryKind};
use crate::geo::{Coordinates, Latitude, Longitude};
use crate::media::{Media, MediaInput, check_media_list};
use crate::opening_hours::OpeningHours;
use crate::picture::{Picture, PictureForm, check_pictures};
use crate::values::Slug;

/// Where a place is, as a form gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationForm {
    /// −90 to 90.
    pub latitude: f64,
    /// −180 to 180.
    pub longitude: f64,
    /// Street address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

/// How to reach a place, as a form gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactForm {
    /// A telephone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// An https website.
    pub website: Option<String>,
}

/// A whole place as a form gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceForm {
    /// 1 to 200 characters.
    pub name: String,
    /// Up to 5,000 characters.
    pub description: String,
    /// Short sentences in plain words, up to 1,200 characters.
    pub easy_read_summary: Option<String>,
    /// Its pictures, the main one first.
    pub pictures: Vec<PictureForm>,
    /// Its videos, photos and albums on the city's channels, by address.
    pub media: Vec<MediaInput>,
    /// Where it is.
    pub location: LocationForm,
    /// Slugs of place categories.
    pub categories: Vec<String>,
    /// The slug of its neighbourhood.
    pub neighborhood: Option<String>,
    /// How to reach it.
    pub contact: Option<ContactForm>,
    /// When it is open (never, when not said).
    pub opening_hours: Option<OpeningHoursForm>,
    /// The families of needs it is prepared for.
    pub accessibility: Vec<Accessibility>,
    /// The features that prepare it.
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// The publishers' slugs; by default the publishers of [`References::publisher`].
    pub publishers: Option<Vec<String>>,
}

/// A change to a place as a form gives it: `None` keeps a field, `Some(None)` clears an
/// optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlacePatchForm {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new easy-to-read summary.
    pub easy_read_summary: Option<Option<String>>,
    /// New pictures, replacing them all.
    pub pictures: Option<Vec<PictureForm>>,
    /// New media, replacing them all.
    pub media: Option<Vec<MediaInput>>,
    /// A new location.
    pub location: Option<LocationForm>,
    /// New category slugs.
    pub categories: Option<Vec<String>>,
    /// A new neighbourhood slug.
    pub neighborhood: Option<Option<String>>,
    /// A new contact.
    pub contact: Option<Option<ContactForm>>,
    /// New opening hours.
    pub opening_hours: Option<OpeningHoursForm>,
    /// New families of needs it is prepared for.
    pub accessibility: Option<Vec<Accessibility>>,
    /// New features that prepare it.
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// New publishers' slugs.
    pub publishers: Option<Vec<String>>,
    /// A new slug.
    pub slug: Option<String>,
}

impl PlaceForm {
    /// Adds the names this form uses to `names`.
    pub fn names(&self, names: &mut Names) {
        names.add_categories(CategoryKind::Place, &self.categories);
        names.add_neighborhood(self.neighborhood.as_deref());
        names.add_organizations(self.publishers.as_deref());
    }
}

impl PlacePatchForm {
    /// Adds the names this form uses to `names`.
    pub fn names(&self, names: &mut Names) {
        if let Some(categories) = &self.categories {
            names.add_categories(CategoryKind::Place, categories);
        }
        names.add_neighborhood(self.neighborhood.clone().flatten().as_deref());
        names.add_organizations(self.publishers.as_deref());
    }
}

/// A new place, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceDraft {
    content: PlaceContent,
}

impl PlaceDraft {
    /// Checks a whole place, resolving its names in `references`.
    pub fn parse(form: PlaceForm, references: &References) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let publishers = match &form.publishers {
            Some(slugs) => references.publishers(&mut errors, slugs),
            None => match &references.publisher {
                DefaultPublisher::Organizations(organizations) => organizations.clone(),
                DefaultPublisher::Unowned => Vec::new(),
                DefaultPublisher::Unknown => {
                    errors.add(
                        "publishers",
                        "name the organizations that publish the place (their slugs)",
                    );
                    Vec::new()
                }
            },
        };
        let fields = Fields::check(&mut errors, whole(form), references);
        match fields.location.clone() {
            Some(location) if errors.is_empty() => Ok(Self {
                content: fields.onto(&PlaceContent::empty(location, publishers)),
            }),
            _ => Err(errors),
        }
    }

    /// What the place is.
    pub fn content(&self) -> &PlaceContent {
        &self.content
    }

    /// The slug a new place asks for: its name's (storage makes it free).
    pub fn slug(&self) -> Slug {
        Slug::from_title(&self.content.name)
    }

    /// The edit that makes an existing place this one (an upsert of a known item): every
    /// field, its closure apart.
    pub fn into_edit(self) -> PlaceEdit {
        PlaceEdit {
            content: self.content,
            closure: None,
            slug: None,
        }
    }
}

/// A change to a place, checked field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacePatch {
    fields: Fields,
    publishers: Option<Vec<Uuid>>,
    slug: Option<Slug>,
}

impl PlacePatch {
    /// Checks a change, resolving its names in `references`.
    pub fn parse(form: PlacePatchForm, references: &References) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let publishers = form
            .publishers
            .as_deref()
            .map(|slugs| references.publishers(&mut errors, slugs));
        let slug = form.slug.clone();
        let fields = Fields::check(&mut errors, form, references);
        let slug = slug.and_then(|raw| {
            Slug::parse(&raw)
                .map_err(|e| errors.add("slug", e.to_string()))
                .ok()
        });
        errors.into_result(Self {
            fields,
            publishers,
            slug,
        })
    }

    /// The new publishers, in order, when the change names them.
    pub fn publishers(&self) -> Option<&[Uuid]> {
        self.publishers.as_deref()
    }

    /// What the place `current` becomes.
    pub fn apply(self, current: &PlaceContent) -> PlaceEdit {
        let mut content = self.fields.onto(current);
        if let Some(publishers) = self.publishers {
            content.publishers = publishers;
        }
        PlaceEdit {
            content,
            closure: None,
            slug: self.slug,
        }
    }
}

impl PlaceContent {
    /// A place at `location` published by `publishers`, with nothing else set yet.
    fn empty(location: Location, publishers: Vec<Uuid>) -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            easy_read_summary: None,
            pictures: Vec::new(),
            media: Vec::new(),
            location,
            categories: Vec::new(),
            neighborhood: None,
            contact: Contact::default(),
            opening_hours: OpeningHours::default(),
            accessibility: AccessibilityStatement::default(),
            publishers,
        }
    }
}

/// The patch form of a whole place: every field set (absent optional ones cleared, no hours
/// when none are given).
fn whole(form: PlaceForm) -> PlacePatchForm {
    PlacePatchForm {
        name: Some(form.name),
        description: Some(form.description),
        easy_read_summary: Some(form.easy_read_summary),
        pictures: Some(form.pictures),
        media: Some(form.media),
        location: Some(form.location),
        categories: Some(form.categories),
        neighborhood: Some(form.neighborhood),
        contact: Some(form.contact),
        opening_hours: Some(form.opening_hours.unwrap_or_default()),
        accessibility: Some(form.accessibility),
        accessibility_features: Some(form.accessibility_features),
        publishers: None,
        slug: None,
    }
}

/// The checked fields of a form: `None` keeps a field (or, for a location, marks one that
/// failed its check), `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
struct Fields {
    name: Option<String>,
    description: Option<String>,
    easy_read_summary: Option<Option<String>>,
    pictures: Option<Vec<Picture>>,
    media: Option<Vec<Media>>,
    location: Option<Location>,
    categories: Option<Vec<Uuid>>,
    neighborhood: Option<Option<Uuid>>,
    contact: Option<Contact>,
    opening_hours: Option<OpeningHours>,
    accessibility: AccessibilityChange,
}

impl Fields {
    /// Checks each field given, in the order of the input, noting every failure.
    fn check(errors: &mut FieldErrors, form: PlacePatchForm, references: &References) -> Self {
        Self {
            name: form
                .name
                .map(|v| check_text(errors, "name", &v, 1, limits::TITLE, Lines::Single)),
            description: form.description.map(|v| {
                check_text(
                    errors,
                    "description",
                    &v,
                    0,
                    MAX_DESCRIPTION_CHARS,
                    Lines::Multiple,
                )
            }),
            easy_read_summary: form
                .easy_read_summary
                .map(|v| check_easy_read_summary(errors, v.as_deref())),
            pictures: form
                .pictures
                .map(|p| check_pictures(errors, "pictures", &p)),
            media: form.media.map(|m| check_media_list(errors, m)),
            location: form.location.and_then(|l| check_location(errors, &l)),
            categories: form
                .categories
                .map(|slugs| references.categories(errors, CategoryKind::Place, &slugs)),
            neighborhood: form
                .neighborhood
                .map(|n| n.and_then(|slug| references.neighborhood(errors, "neighborhood", &slug))),
            contact: form.contact.map(|c| {
                let c = c.unwrap_or_default();
                Contact {
                    phone: optional_phone(errors, "contact.phone", c.phone.as_deref()),
                    email: optional_email(errors, "contact.email", c.email.as_deref()),
                    website: optional_url(errors, "contact.website", c.website.as_deref()),
                }
            }),
            opening_hours: form.opening_hours.map(|h| check_hours(errors, &h)),
            accessibility: AccessibilityChange::check(
                errors,
                form.accessibility,
                form.accessibility_features,
            ),
        }
    }

    /// `current` with these fields set.
    fn onto(self, current: &PlaceContent) -> PlaceContent {
        PlaceContent {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            easy_read_summary: self
                .easy_read_summary
                .unwrap_or_else(|| current.easy_read_summary.clone()),
            pictures: self.pictures.unwrap_or_else(|| current.pictures.clone()),
            media: self.media.unwrap_or_else(|| current.media.clone()),
            location: self.location.unwrap_or_else(|| current.location.clone()),
            categories: self
                .categories
                .unwrap_or_else(|| current.categories.clone()),
            neighborhood: self.neighborhood.unwrap_or(current.neighborhood),
            contact: self.contact.unwrap_or_else(|| current.contact.clone()),
            opening_hours: self
                .opening_hours
                .unwrap_or_else(|| current.opening_hours.clone()),
            accessibility: self.accessibility.onto(&current.accessibility),
            publishers: current.publishers.clone(),
        }
    }
}

/// Checks a location; `None` when its point is out of range (noted).
fn check_location(errors: &mut FieldErrors, form: &LocationForm) -> Option<Location> {
    let latitude = Latitude::parse(form.latitude)
        .map_err(|_| errors.add("location.latitude", "a latitude is between -90 and 90"))
        .ok();
    let longitude = Longitude::parse(form.longitude)
        .map_err(|_| errors.add("location.longitude", "a longitude is between -180 and 180"))
        .ok();
    let address = check_text(
        errors,
        "location.address",
        &form.address,
        0,
        MAX_ADDRESS_CHARS,
        Lines::Single,
    );
    let postal_code = check_text(
        errors,
        "location.postalCode",
        &form.postal_code,
        0,
        MAX_POSTAL_CODE_CHARS,
        Lines::Single,
    );
    let city = check_text(
        errors,
        "location.city",
        &form.city,
        0,
        MAX_CITY_CHARS,
        Lines::Single,
    );
    Some(Location {
        coordinates: Coordinates {
            latitude: latitude?,
            longitude: longitude?,
        },
        address,
        postal_code,
        city,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calendar::{parse_date, parse_time};
    use crate::opening_hours::DayOfWeek;
    use crate::place::{ContactForm, ExceptionForm, WeeklyForm};

    const VILLE: Uuid = Uuid::from_u128(1);
    const PARK: Uuid = Uuid::from_u128(2);

    fn references(publisher: DefaultPublisher) -> References {
        let mut references = References {
            publisher,
            ..References::default()
        };
        references
            .categories
            .insert((CategoryKind::Place, "park-garden".into()), PARK);
        references
            .organizations
            .insert("ville-de-toulouse".into(), VILLE);
        references
    }

    fn garden() -> PlaceForm {
        PlaceForm {
            name: "Jardin partagé des Récollets".into(),
            location: LocationForm {
                latitude: 43.585,
                longitude: 1.435,
                address: "Rue des Récollets".into(),
                postal_code: "31400".into(),
                city: "Toulouse".into(),
            },
            categories: vec!["park-garden".into()],
            contact: Some(ContactForm {
                phone: Some("05 61 22 29 22".into()),
                website: Some("https://www.toulouse.fr".into()),
                email: Some(" ".into()),
            }),
            opening_hours: Some(OpeningHoursForm {
                weekly: vec![WeeklyForm {
                    day: DayOfWeek::Saturday,
                    opens: parse_time("09:00").unwrap(),
                    closes: parse_time("18:00").unwrap(),
                }],
                exceptions: vec![ExceptionForm {
                    date: parse_date("2026-05-01").unwrap(),
                    ranges: Vec::new(),
                    note: Some("Fête du travail".into()),
                }],
            }),
            accessibility: vec![Accessibility::Motor, Accessibility::Motor],
            publishers: Some(vec!["ville-de-toulouse".into()]),
            ..PlaceForm::default()
        }
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.fields().iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_place_is_checked_and_resolved() {
        let draft = PlaceDraft::parse(garden(), &references(DefaultPublisher::Unknown)).unwrap();
        let content = draft.content();
        assert_eq!(content.publishers, [VILLE]);
        assert_eq!(content.categories, [PARK]);
        assert_eq!(content.contact.email, None);
        assert_eq!(content.opening_hours.weekly.len(), 1);
        assert_eq!(content.opening_hours.exceptions.len(), 1);
        assert_eq!(content.accessibility.families().len(), 1);
        assert_eq!(draft.slug().as_str(), "jardin-partage-des-recollets");
    }

    #[test]
    fn a_hostile_place_is_refused_field_by_field() {
        let mut form = garden();
        form.name = String::new();
        form.location.latitude = 123.0;
        form.location.postal_code = "0".repeat(11);
        form.contact = Some(ContactForm {
            email: Some("x".into()),
            website: Some("javascript:alert(1)".into()),
            phone: None,
        });
        form.opening_hours = Some(OpeningHoursForm {
            weekly: Vec::new(),
            exceptions: vec![ExceptionForm {
                date: parse_date("2026-05-08").unwrap(),
                ranges: Vec::new(),
                note: Some("Fermé\nexceptionnellement".into()),
            }],
        });
        form.neighborhood = Some("atlantis".into());
        let errors = PlaceDraft::parse(form, &references(DefaultPublisher::Unknown)).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "name",
                "location.latitude",
                "location.postalCode",
                "neighborhood",
                "contact.email",
                "contact.website",
                "openingHours.exceptions[0].note",
            ]
        );
    }

    #[test]
    fn opening_hours_keep_their_own_rules() {
        let mut form = garden();
        form.opening_hours = Some(OpeningHoursForm {
            weekly: vec![WeeklyForm {
                day: DayOfWeek::Monday,
                opens: parse_time("09:00").unwrap(),
                closes: parse_time("09:00").unwrap(),
            }],
            exceptions: Vec::new(),
        });
        let errors = PlaceDraft::parse(form, &references(DefaultPublisher::Unknown)).unwrap_err();
        assert_eq!(fields(&errors), ["openingHours"]);
    }

    #[test]
    fn unnamed_publishers_fall_back_to_the_editors_or_stay_none_for_administrators() {
        let mut form = garden();
        form.publishers = None;
        let unknown = PlaceDraft::parse(form.clone(), &references(DefaultPublisher::Unknown));
        assert_eq!(fields(&unknown.unwrap_err()), ["publishers"]);
        let unowned = PlaceDraft::parse(form.clone(), &references(DefaultPublisher::Unowned));
        assert!(unowned.unwrap().content().publishers.is_empty());
        let own = PlaceDraft::parse(
            form,
            &references(DefaultPublisher::Organizations(vec![VILLE])),
        );
        assert_eq!(own.unwrap().content().publishers, [VILLE]);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let current = PlaceDraft::parse(garden(), &references(DefaultPublisher::Unknown))
            .unwrap()
            .content()
            .clone();
        let patch = PlacePatchForm {
            name: Some("Jardin des Récollets".into()),
            contact: Some(None),
            slug: Some("jardin-des-recollets".into()),
            ..PlacePatchForm::default()
        };
        let edit = PlacePatch::parse(patch, &references(DefaultPublisher::Unknown))
            .unwrap()
            .apply(&current);
        assert_eq!(edit.content.name, "Jardin des Récollets");
        assert_eq!(edit.content.contact, Contact::default());
        assert_eq!(edit.content.location, current.location);
        assert_eq!(edit.content.opening_hours, current.opening_hours);
        assert_eq!(edit.slug.unwrap().as_str(), "jardin-des-recollets");
        let bad = PlacePatchForm {
            publishers: Some(vec!["nobody".into()]),
            slug: Some("-".into()),
            ..PlacePatchForm::default()
        };
        let errors = PlacePatch::parse(bad, &references(DefaultPublisher::Unknown)).unwrap_err();
        assert_eq!(fields(&errors), ["publishers[0]", "slug"]);
    }
}
