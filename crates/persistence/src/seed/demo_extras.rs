//! What the demo city says of its places and events beyond their rows: accessibility
//! (features, and events showing their venue's), pictures and media by address, and English
//! and Spanish translations.

use std::collections::HashMap;

use capitole_domain::accessibility::{AccessibilityFeature, AccessibilityStatement};
use capitole_domain::event::Accessibility;
use capitole_domain::media::{MediaInput, MediaKind, check_media};
use capitole_domain::picture::{FocalPoint, Picture};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Batch;
use super::demo::Catalog;
use super::demo_data::{
    DemoEvent, DemoPlace, EVENT_ACCESSIBILITY_FEATURES, EVENTS, NEIGHBORHOODS, PICTURES,
    PLACE_ACCESSIBILITY_FEATURES, PLACES,
};
use super::demo_translations::{CATALOG_TRANSLATIONS, EVENT_TRANSLATIONS, PLACE_TRANSLATIONS};
use crate::entities::translation;
use crate::stored_lists;

/// The accessibility of a demo place: its step-free entrance, induction loop and the
/// features listed for it.
pub(super) fn place_accessibility(p: &DemoPlace) -> AccessibilityStatement {
    let mut features = features_of(PLACE_ACCESSIBILITY_FEATURES, p.slug);
    if p.hearing_loop {
        features.push(AccessibilityFeature::InductionLoop);
    }
    if p.wheelchair {
        features.push(AccessibilityFeature::StepFreeEntrance);
    }
    AccessibilityStatement::new([], features)
}

/// Whether a demo event shows its venue's accessibility, and the accessibility it shows.
pub(super) fn event_accessibility(e: &DemoEvent) -> (bool, AccessibilityStatement) {
    let families = e
        .accessibility
        .iter()
        .filter_map(|c| Accessibility::from_code(c));
    let stated =
        AccessibilityStatement::new(families, features_of(EVENT_ACCESSIBILITY_FEATURES, e.slug));
    let venue = e
        .place
        .and_then(|slug| PLACES.iter().find(|p| p.slug == slug))
        .map(place_accessibility)
        .unwrap_or_default();
    if stated.features().is_empty() && stated.families().is_subset(venue.families()) {
        (true, venue)
    } else {
        (false, stated)
    }
}

/// The stored pictures of the demo item `slug`.
pub(super) fn pictures_of(slug: &str) -> String {
    let list: Vec<Picture> = PICTURES
        .iter()
        .filter(|(s, _)| *s == slug)
        .flat_map(|(_, list)| list.iter())
        .map(|p| Picture {
            url: format!("https://www.toulouse.fr/documents/20126/0/{}", p.file),
            alt: p.alt.to_owned(),
            credit: Some(p.credit.to_owned()),
            licence: Some("Licence Ouverte 2.0".to_owned()),
            focal_point: p.focal.map(|(x, y)| FocalPoint { x, y }),
            width: p.size.0,
            height: p.size.1,
        })
        .collect();
    stored_lists::encode(&list)
}

/// A media item of the demo city: its address, kind, text alternative (empty for none) and
/// caption.
type DemoMedia = (&'static str, MediaKind, &'static str, &'static str);

/// Videos, albums and posts on the city's channels about a few demo places and events, by
/// the item's slug.
const MEDIA: &[(&str, &[DemoMedia])] = &[
    (
        "hotel-de-ville-capitole",
        &[
            (
                "https://www.dailymotion.com/video/x8t2c5k",
                MediaKind::Video,
                "",
                "Visite guidée de la salle des Illustres",
            ),
            (
                "https://www.flickr.com/photos/toulouse/albums/72157720000000001",
                MediaKind::Album,
                "",
                "Le Capitole en photos",
            ),
        ],
    ),
    (
        "jardin-des-plantes",
        &[(
            "https://www.instagram.com/p/C2j4R8dLq1x/",
            MediaKind::Image,
            "Les allées du Jardin des Plantes sous les platanes en automne",
            "Le Jardin des Plantes en octobre",
        )],
    ),
    (
        "marche-de-noel-capitole",
        &[(
            "https://www.youtube.com/watch?v=Qm3kT8xV2pA",
            MediaKind::Video,
            "",
            "Le marché de Noël en une minute",
        )],
    ),
];

/// The stored media of the demo item `slug`, recognised and normalised as an editor's are.
pub(super) fn media_of(slug: &str) -> String {
    let list: Vec<_> = MEDIA
        .iter()
        .filter(|(s, _)| *s == slug)
        .flat_map(|(_, list)| list.iter())
        .filter_map(|(url, kind, alt, caption)| {
            check_media(MediaInput {
                url: (*url).to_owned(),
                kind: Some(*kind),
                alt: (!alt.is_empty()).then(|| (*alt).to_owned()),
                caption: Some((*caption).to_owned()),
                credit: Some("Mairie de Toulouse".to_owned()),
            })
            .ok()
        })
        .collect();
    stored_lists::encode(&list)
}

/// The English and Spanish texts of the most visited places and of upcoming events, each
/// made from the original as it is.
pub(super) fn add_translations(
    batch: &mut Batch,
    catalog: &Catalog,
    places: &HashMap<&'static str, Uuid>,
    events: &HashMap<&'static str, Uuid>,
    now: DateTime<Utc>,
) {
    use capitole_domain::change::ItemKind;
    use capitole_domain::translation::{CatalogKind, TranslatedField, fingerprint};
    let mut add = |kind: &str,
                   id: Uuid,
                   language: &str,
                   field: TranslatedField,
                   text: &str,
                   original: &str| {
        batch.translations.push(translation::Model {
            item_kind: kind.to_owned(),
            item_id: id,
            language: language.to_owned(),
            field: field.code().to_owned(),
            text: text.to_owned(),
            source_fingerprint: fingerprint(original),
            updated_at: now,
        });
    };
    for t in PLACE_TRANSLATIONS {
        let (Some(id), Some(place)) =
            (places.get(t.slug), PLACES.iter().find(|p| p.slug == t.slug))
        else {
            continue;
        };
        add(
            ItemKind::Place.code(),
            *id,
            t.language,
            TranslatedField::Name,
            t.title,
            place.name,
        );
        add(
            ItemKind::Place.code(),
            *id,
            t.language,
            TranslatedField::Description,
            t.text,
            place.description,
        );
    }
    for t in EVENT_TRANSLATIONS {
        let (Some(id), Some(event)) =
            (events.get(t.slug), EVENTS.iter().find(|e| e.slug == t.slug))
        else {
            continue;
        };
        add(
            ItemKind::Event.code(),
            *id,
            t.language,
            TranslatedField::Title,
            t.title,
            event.title,
        );
        add(
            ItemKind::Event.code(),
            *id,
            t.language,
            TranslatedField::Summary,
            t.text,
            event.summary,
        );
    }
    for (slug, language, name) in CATALOG_TRANSLATIONS {
        let category = catalog
            .categories
            .get(*slug)
            .map(|(id, original)| (CatalogKind::Category, *id, original.as_str()));
        let neighborhood = || {
            let id = catalog.neighborhoods.get(*slug)?;
            let original = NEIGHBORHOODS.iter().find(|n| n.slug == *slug)?.name;
            Some((CatalogKind::Neighborhood, *id, original))
        };
        if let Some((kind, id, original)) = category.or_else(neighborhood) {
            add(
                kind.code(),
                id,
                language,
                TranslatedField::Name,
                name,
                original,
            );
        }
    }
}

/// The features listed for `slug` in `table`.
fn features_of(table: &[(&str, &[&str])], slug: &str) -> Vec<AccessibilityFeature> {
    table
        .iter()
        .filter(|(s, _)| *s == slug)
        .flat_map(|(_, codes)| {
            codes
                .iter()
                .filter_map(|c| AccessibilityFeature::from_code(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use capitole_domain::media::Media;

    use super::*;

    #[test]
    fn every_demo_media_address_passes_an_editors_checks() {
        for (slug, list) in MEDIA {
            let stored: Vec<Media> = stored_lists::decode(&media_of(slug));
            assert_eq!(stored.len(), list.len(), "{slug}: {stored:?}");
        }
    }
}
