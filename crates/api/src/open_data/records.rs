//! What maps and tables say about a place, an event at a date and an article: one list of
//! named values per item, named as the graph's fields, that GeoJSON writes as a feature's
//! properties and CSV as a row. The related data of a page (categories, publishers,
//! neighbourhoods) is read for the whole page in one statement per relation.
//!
//! Statistics (check-ins, ratings, popularity) are left out: the change log does not cover
//! them, so an export's validators would not change with them.

use std::collections::{HashMap, HashSet};

use capitole_domain::calendar::format_local_date_time;
use capitole_domain::text::decode_codes;
use capitole_persistence::entities::{article, event, event_occurrence, place};
use capitole_persistence::events::AgendaRow;
use capitole_persistence::publishers::{self, Published};
use capitole_persistence::{Database, Page, StorageError, articles, catalog, events};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use uuid::Uuid;

use crate::ids::{self, Kind};

/// One value of a record.
#[derive(Debug, Clone)]
pub(super) enum Field {
    Text(String),
    Missing,
    List(Vec<String>),
    Bool(bool),
    Number(f64),
}

impl Field {
    fn text(value: &str) -> Self {
        Field::Text(value.to_owned())
    }

    fn optional(value: Option<&str>) -> Self {
        value.map_or(Field::Missing, Field::text)
    }

    /// An instant as the graph's `DateTime` writes it (`2026-12-05T19:00:00+00:00`).
    fn instant(at: DateTime<Utc>) -> Self {
        Field::Text(at.to_rfc3339())
    }

    /// City time with the offset in force then, as the graph's `LocalDateTime`.
    fn local(at: DateTime<Utc>, timezone: Tz) -> Self {
        Field::Text(format_local_date_time(
            &at.with_timezone(&timezone).fixed_offset(),
        ))
    }

    /// Stored upper-case codes (`|HEARING|MOTOR|`): they are the graph's enum values.
    fn codes(encoded: &str) -> Self {
        Field::List(decode_codes(encoded).map(str::to_owned).collect())
    }

    /// The value in JSON.
    pub(super) fn to_json(&self) -> Value {
        match self {
            Field::Text(text) => Value::String(text.clone()),
            Field::Missing => Value::Null,
            Field::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            Field::Bool(flag) => Value::Bool(*flag),
            Field::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        }
    }

    /// The value in a table cell: lists joined with `;`, nothing for a missing value.
    pub(super) fn to_cell(&self) -> String {
        match self {
            Field::Text(text) => text.clone(),
            Field::Missing => String::new(),
            Field::List(items) => items.join(";"),
            Field::Bool(flag) => flag.to_string(),
            Field::Number(n) => n.to_string(),
        }
    }
}

/// The columns of a table of places (`distanceMeters` follows when the filter has `near`).
pub(super) const PLACE_COLUMNS: &[&str] = &[
    "id",
    "slug",
    "name",
    "description",
    "categories",
    "latitude",
    "longitude",
    "address",
    "postalCode",
    "city",
    "neighborhood",
    "phone",
    "email",
    "website",
    "accessibility",
    "accessibilityFeatures",
    "publishers",
    "closure",
    "closedUntil",
    "updatedAt",
];

/// The columns of a table of events' dates.
pub(super) const DATE_COLUMNS: &[&str] = &[
    "id",
    "slug",
    "title",
    "summary",
    "status",
    "occurrence",
    "startsAt",
    "endsAt",
    "localStartsAt",
    "localEndsAt",
    "occurrenceStatus",
    "categories",
    "audiences",
    "accessibility",
    "accessibilityFeatures",
    "isFree",
    "price",
    "attendanceMode",
    "onlineUrl",
    "venue",
    "venueName",
    "latitude",
    "longitude",
    "locationText",
    "neighborhoods",
    "publishers",
    "updatedAt",
];

/// The columns of a table of news.
pub(super) const NEWS_COLUMNS: &[&str] = &[
    "id",
    "slug",
    "title",
    "summary",
    "easyReadSummary",
    "body",
    "status",
    "publishedAt",
    "author",
    "categories",
    "audiences",
    "tags",
    "neighborhoods",
    "publishers",
    "updatedAt",
];

/// An item's values, in the order a table's columns show them.
pub(super) type Record = Vec<(&'static str, Field)>;

/// The slugs of the items each item of a page points at.
type Slugs = HashMap<Uuid, Vec<String>>;

/// What a page of items points at, by item id, as slugs.
#[derive(Default)]
pub(super) struct Related {
    categories: Slugs,
    publishers: Slugs,
    neighborhoods: Slugs,
}

impl Related {
    fn slugs(map: &Slugs, id: Uuid) -> Field {
        Field::List(map.get(&id).cloned().unwrap_or_default())
    }

    /// The categories, publishers and neighbourhood of these places.
    pub(super) async fn of_places(
        db: &Database,
        places: &[&place::Model],
    ) -> Result<Self, StorageError> {
        let ids: Vec<Uuid> = places.iter().map(|p| p.id).collect();
        let links = places
            .iter()
            .filter_map(|p| p.neighborhood_id.map(|n| (p.id, n)));
        Ok(Self {
            categories: slugs_of(catalog::categories_of_places(db, &ids).await?, |c| &c.slug),
            publishers: slugs_of(publishers::of(db, Published::Place, &ids).await?, |o| {
                &o.slug
            }),
            neighborhoods: neighborhood_slugs(db, links.collect()).await?,
        })
    }

    /// The categories, publishers and neighbourhoods of these events.
    pub(super) async fn of_events(db: &Database, ids: &[Uuid]) -> Result<Self, StorageError> {
        let links = events::neighborhoods_of_events(db, ids).await?;
        Ok(Self {
            categories: slugs_of(catalog::categories_of_events(db, ids).await?, |c| &c.slug),
            publishers: slugs_of(publishers::of(db, Published::Event, ids).await?, |o| {
                &o.slug
            }),
            neighborhoods: neighborhood_slugs(db, flatten(links)).await?,
        })
    }

    /// The categories, publishers and neighbourhoods of these articles.
    pub(super) async fn of_articles(db: &Database, ids: &[Uuid]) -> Result<Self, StorageError> {
        let links = articles::neighborhoods_of(db, ids).await?;
        Ok(Self {
            categories: slugs_of(catalog::categories_of_articles(db, ids).await?, |c| &c.slug),
            publishers: slugs_of(articles::publishers_of(db, ids).await?, |o| &o.slug),
            neighborhoods: neighborhood_slugs(db, flatten(links)).await?,
        })
    }
}

/// Unique ids of a page's events (an event shows once per date on a table's page).
pub(super) fn event_ids(page: &Page<AgendaRow>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    page.rows
        .iter()
        .map(|(row, _)| row.event.id)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The cursor of the page after this one, when one follows.
pub(super) fn next_cursor<T>(page: &Page<T>) -> Option<String> {
    page.has_next_page
        .then(|| page.rows.last().map(|(_, cursor)| cursor.clone()))
        .flatten()
}

fn slugs_of<T>(grouped: HashMap<Uuid, Vec<T>>, slug: impl Fn(&T) -> &String) -> Slugs {
    grouped
        .into_iter()
        .map(|(id, items)| (id, items.iter().map(|i| slug(i).clone()).collect()))
        .collect()
}

fn flatten(grouped: HashMap<Uuid, Vec<Uuid>>) -> Vec<(Uuid, Uuid)> {
    grouped
        .into_iter()
        .flat_map(|(item, targets)| targets.into_iter().map(move |t| (item, t)))
        .collect()
}

/// The slugs of the neighbourhoods of `(item, neighbourhood)` links, by item, in one
/// statement.
async fn neighborhood_slugs(
    db: &Database,
    links: Vec<(Uuid, Uuid)>,
) -> Result<Slugs, StorageError> {
    let mut ids: Vec<Uuid> = links.iter().map(|(_, n)| *n).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let names: HashMap<Uuid, String> = catalog::neighborhoods_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|n| (n.id, n.slug))
        .collect();
    let mut out: Slugs = HashMap::new();
    for (item, neighborhood) in links {
        if let Some(slug) = names.get(&neighborhood) {
            out.entry(item).or_default().push(slug.clone());
        }
    }
    for slugs in out.values_mut() {
        slugs.sort();
    }
    Ok(out)
}

/// A place's values. `coordinates` adds `latitude` and `longitude` (a map has them in the
/// geometry instead); `distance` is the distance from the filter's point, when it has one.
pub(super) fn place(
    place: &place::Model,
    related: &Related,
    coordinates: bool,
    distance: Option<f64>,
) -> Record {
    let mut record = vec![
        ("id", Field::Text(ids::encode(Kind::Place, place.id).0)),
        ("slug", Field::text(&place.slug)),
        ("name", Field::text(&place.name)),
        ("description", Field::text(&place.description)),
        ("categories", Related::slugs(&related.categories, place.id)),
    ];
    if coordinates {
        record.push(("latitude", Field::Number(place.latitude)));
        record.push(("longitude", Field::Number(place.longitude)));
    }
    record.extend([
        ("address", Field::text(&place.address)),
        ("postalCode", Field::text(&place.postal_code)),
        ("city", Field::text(&place.city)),
        (
            "neighborhood",
            Field::optional(
                related
                    .neighborhoods
                    .get(&place.id)
                    .and_then(|n| n.first())
                    .map(String::as_str),
            ),
        ),
        ("phone", Field::optional(place.phone.as_deref())),
        ("email", Field::optional(place.email.as_deref())),
        ("website", Field::optional(place.website.as_deref())),
        ("accessibility", Field::codes(&place.accessibility)),
        (
            "accessibilityFeatures",
            Field::codes(&place.accessibility_features),
        ),
        ("publishers", Related::slugs(&related.publishers, place.id)),
        ("closure", Field::text(&place.closure)),
        (
            "closedUntil",
            place.closed_until.map_or(Field::Missing, Field::instant),
        ),
        ("updatedAt", Field::instant(place.updated_at)),
    ]);
    if let Some(distance) = distance {
        // As the graph's `distanceMeters`: to the decimetre.
        record.push((
            "distanceMeters",
            Field::Number((distance * 10.0).round() / 10.0),
        ));
    }
    record
}

/// An event's values at one of its dates. `coordinates` adds the venue's `latitude` and
/// `longitude` (a map has them in the geometry instead).
pub(super) fn event_at(
    event: &event::Model,
    occurrence: &event_occurrence::Model,
    venue: Option<&place::Model>,
    related: &Related,
    timezone: Tz,
    coordinates: bool,
) -> Record {
    let mut record = vec![
        ("id", Field::Text(ids::encode(Kind::Event, event.id).0)),
        ("slug", Field::text(&event.slug)),
        ("title", Field::text(&event.title)),
        ("summary", Field::text(&event.summary)),
        ("status", Field::text(&event.status)),
        (
            "occurrence",
            Field::Text(ids::encode(Kind::Occurrence, occurrence.id).0),
        ),
        ("startsAt", Field::instant(occurrence.starts_at)),
        ("endsAt", Field::instant(occurrence.ends_at)),
        (
            "localStartsAt",
            Field::local(occurrence.starts_at, timezone),
        ),
        ("localEndsAt", Field::local(occurrence.ends_at, timezone)),
        (
            "occurrenceStatus",
            Field::text(events::occurrence_status(occurrence).code()),
        ),
        ("categories", Related::slugs(&related.categories, event.id)),
        ("audiences", Field::codes(&event.audiences)),
        ("accessibility", Field::codes(&event.accessibility)),
        (
            "accessibilityFeatures",
            Field::codes(&event.accessibility_features),
        ),
        ("isFree", Field::Bool(event.is_free)),
        ("price", Field::optional(event.price.as_deref())),
        ("attendanceMode", Field::text(&event.attendance_mode)),
        ("onlineUrl", Field::optional(event.online_url.as_deref())),
        ("venue", Field::optional(venue.map(|v| v.slug.as_str()))),
        ("venueName", Field::optional(venue.map(|v| v.name.as_str()))),
    ];
    if coordinates {
        let number = |n: Option<f64>| n.map_or(Field::Missing, Field::Number);
        record.push(("latitude", number(venue.map(|v| v.latitude))));
        record.push(("longitude", number(venue.map(|v| v.longitude))));
    }
    record.extend([
        (
            "locationText",
            Field::optional(event.location_text.as_deref()),
        ),
        (
            "neighborhoods",
            Related::slugs(&related.neighborhoods, event.id),
        ),
        ("publishers", Related::slugs(&related.publishers, event.id)),
        ("updatedAt", Field::instant(event.updated_at)),
    ]);
    record
}

/// A published article's values.
pub(super) fn article(article: &article::Model, related: &Related) -> Record {
    vec![
        (
            "id",
            Field::Text(ids::encode(Kind::NewsArticle, article.id).0),
        ),
        ("slug", Field::text(&article.slug)),
        ("title", Field::text(&article.title)),
        ("summary", Field::text(&article.summary)),
        (
            "easyReadSummary",
            Field::optional(article.easy_read_summary.as_deref()),
        ),
        ("body", Field::text(&article.body)),
        ("status", Field::text(&article.status)),
        (
            "publishedAt",
            article.published_at.map_or(Field::Missing, Field::instant),
        ),
        ("author", Field::optional(article.author_name.as_deref())),
        (
            "categories",
            Related::slugs(&related.categories, article.id),
        ),
        ("audiences", Field::codes(&article.audiences)),
        ("tags", Field::codes(&article.tags)),
        (
            "neighborhoods",
            Related::slugs(&related.neighborhoods, article.id),
        ),
        (
            "publishers",
            Related::slugs(&related.publishers, article.id),
        ),
        ("updatedAt", Field::instant(article.updated_at)),
    ]
}
