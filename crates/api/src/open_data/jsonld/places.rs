//! Places as schema.org documents: their type from their categories, their address and
//! coordinates, and their opening hours as specifications with dated exceptions.

use capitole_domain::accessibility::AccessibilityFeature;
use capitole_domain::agenda::PlaceClosure;
use capitole_domain::text::decode_codes;
use capitole_persistence::entities::{category, place};
use capitole_persistence::places::opening_hours;
use serde_json::{Map, Value, json};

use super::{
    Doc, SCHEMA_CONTEXT, accessibility, accessibility_name, address, images_of, load,
    media_objects, member, subject_of,
};
use crate::context::RequestScope;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::loaders::{CategoriesOfPlace, CategoryId, NeighborhoodId};
use crate::open_data::OpenData;

/// The schema.org type of a place, by the slug of its category or of the nearest parent
/// category listed here; a place with none of them is a plain `Place`. The second column
/// says whether the type is a `LocalBusiness` (which, unlike a `CivicStructure` or a
/// plain `Place`, takes an `email`).
const PLACE_TYPES: &[(&str, &str, bool)] = &[
    ("museum", "Museum", false),
    ("science-center", "Museum", false),
    ("library", "Library", true),
    ("theatre", "PerformingArtsTheater", false),
    ("concert-hall", "MusicVenue", false),
    ("cinema", "MovieTheater", true),
    ("art-gallery", "ArtGallery", true),
    ("swimming-pool", "PublicSwimmingPool", true),
    ("stadium", "StadiumOrArena", true),
    ("sports-hall", "SportsActivityLocation", true),
    ("sport", "SportsActivityLocation", true),
    ("park-garden", "Park", false),
    ("leisure-base", "Park", false),
    ("restaurant", "Restaurant", true),
    ("cafe-bar", "CafeOrCoffeeShop", true),
    ("food", "FoodEstablishment", true),
    ("monument", "LandmarksOrHistoricalBuildings", false),
    ("church", "Church", false),
    ("bridge", "Bridge", false),
    ("heritage", "LandmarksOrHistoricalBuildings", false),
    ("town-hall", "CityHall", false),
    ("tourist-office", "TouristInformationCenter", true),
    ("services", "GovernmentBuilding", false),
    ("metro-station", "SubwayStation", false),
    ("train-station", "TrainStation", false),
];

/// The schema.org type of a place from its categories (most specific first), walking up
/// each one's parents, and whether that type is a `LocalBusiness`.
async fn place_type(
    scope: &RequestScope,
    categories: &[category::Model],
) -> Result<(&'static str, bool), ApiError> {
    for first in categories {
        let mut current = Some(first.clone());
        // Trees are a few levels deep; the bound only guards against a cycle.
        for _ in 0..8 {
            let Some(category) = current else {
                break;
            };
            if let Some((_, kind, business)) = PLACE_TYPES
                .iter()
                .find(|(slug, _, _)| *slug == category.slug)
            {
                return Ok((kind, *business));
            }
            current = match category.parent_id {
                Some(parent) => load(scope, CategoryId(parent)).await?,
                None => None,
            };
        }
    }
    Ok(("Place", false))
}

/// What a place is wherever it appears: its type, address, name, page, position and
/// postal address.
pub(super) async fn place_core(
    state: &OpenData,
    scope: &RequestScope,
    place: &place::Model,
) -> Result<(Doc, bool), ApiError> {
    let global_id = ids::encode(Kind::Place, place.id);
    let categories = load(scope, CategoriesOfPlace(place.id))
        .await?
        .unwrap_or_default();
    let (kind, business) = place_type(scope, &categories).await?;
    let doc = Doc::new(kind)
        .set("@id", address(state, &global_id))
        .set("name", place.name.as_str())
        .set("url", state.item_page("places", &place.slug, &global_id))
        .set(
            "geo",
            json!({
                "@type": "GeoCoordinates",
                "latitude": place.latitude,
                "longitude": place.longitude,
            }),
        )
        .set(
            "address",
            Doc::new("PostalAddress")
                .text("streetAddress", &place.address)
                .text("postalCode", &place.postal_code)
                .text("addressLocality", &place.city)
                .done(),
        );
    Ok((doc, business))
}

/// A place as a schema.org `Place`, or the subtype its categories call for.
pub(crate) async fn place(
    state: &OpenData,
    scope: &RequestScope,
    place: &place::Model,
) -> Result<Value, ApiError> {
    let (core, business) = place_core(state, scope, place).await?;
    let mut map = core.0;
    // The document form: the context first, as in the other documents.
    let mut doc = Map::new();
    doc.insert(
        "@context".to_owned(),
        Value::String(SCHEMA_CONTEXT.to_owned()),
    );
    doc.append(&mut map);
    let mut doc = Doc(doc);
    let neighborhood = match place.neighborhood_id {
        Some(id) => load(scope, NeighborhoodId(id)).await?,
        None => None,
    };
    let closure = PlaceClosure::from_code(&place.closure).unwrap_or(PlaceClosure::Open);
    let hours = if closure == PlaceClosure::PermanentlyClosed {
        Vec::new()
    } else {
        opening_hours_specification(&opening_hours(place))
    };
    let families = accessibility(&place.accessibility)
        .into_iter()
        .map(accessibility_name);
    let features = decode_codes(&place.accessibility_features)
        .filter_map(AccessibilityFeature::from_code)
        .map(AccessibilityFeature::name);
    let features = families
        .chain(features)
        .map(|name| {
            json!({
                "@type": "LocationFeatureSpecification",
                "name": name,
                "value": true,
            })
        })
        .collect();
    let mut images = images_of(&place.pictures);
    let videos = media_objects(&place.media, &mut images);
    doc = doc
        .text("description", &place.description)
        .maybe("telephone", place.phone.as_deref())
        .maybe("sameAs", place.website.as_deref());
    if business {
        doc = doc.maybe("email", place.email.as_deref());
    }
    Ok(doc
        .maybe(
            "containedInPlace",
            neighborhood.map(|n| json!({ "@type": "Place", "name": n.name })),
        )
        .many("openingHoursSpecification", hours)
        .many("amenityFeature", features)
        .many("image", images)
        .list("subjectOf", subject_of(state, "places", videos))
        .done())
}

/// Weekly ranges as one specification per day and range; a dated exception as
/// specifications valid from and through its date, `00:00`–`00:00` when closed all day.
/// A range that closes at or before it opens runs past midnight, as schema.org reads it.
fn opening_hours_specification(hours: &capitole_domain::opening_hours::OpeningHours) -> Vec<Value> {
    let time = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
    let mut specs: Vec<Value> = hours
        .weekly
        .iter()
        .map(|range| {
            let day = format!("{:?}", range.day);
            json!({
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": member(&day),
                "opens": time(range.opens),
                "closes": time(range.closes),
            })
        })
        .collect();
    for exception in &hours.exceptions {
        let date = exception.date.format("%Y-%m-%d").to_string();
        let ranges: Vec<(String, String)> = if exception.ranges.is_empty() {
            vec![("00:00".to_owned(), "00:00".to_owned())]
        } else {
            exception
                .ranges
                .iter()
                .map(|r| (time(r.opens), time(r.closes)))
                .collect()
        };
        for (opens, closes) in ranges {
            specs.push(
                Doc::new("OpeningHoursSpecification")
                    .set("opens", opens)
                    .set("closes", closes)
                    .set("validFrom", date.as_str())
                    .set("validThrough", date.as_str())
                    .maybe("description", exception.note.as_deref())
                    .done(),
            );
        }
    }
    specs
}
