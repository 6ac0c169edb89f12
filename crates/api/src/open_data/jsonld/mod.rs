//! Linked data: each public news article, event and place as a schema.org document in
//! JSON-LD (`NewsArticle`, `Event`, `Place` or one of its subtypes), built here once and
//! served twice, by the graph's `jsonLd` fields and by `GET /items/{id}.jsonld`, so that
//! both give the same document for the same item. What lives here is the mapping from
//! Capitole's items to schema.org's vocabulary; the catalogue of datasets is in
//! `catalog.rs`.
//!
//! A document depends on the item and its relations only, never on the current time: it
//! is as stable as the change log says (`Freshness::Stable`). So an event lists all its
//! dates (a series as `subEvent`s), not the next one, and a place's hours are its weekly
//! ranges and dated exceptions, not whether it is open now.

use std::sync::Arc;

use async_graphql::dataloader::Loader;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use capitole_domain::calendar::format_local_date_time;
use capitole_domain::event::{Accessibility, AttendanceMode, EventStatus};
use capitole_domain::media::{Media, MediaKind};
use capitole_domain::picture::Picture;
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::text::decode_codes;
use capitole_persistence::PageRequest;
use capitole_persistence::entities::{article, event, event_occurrence, organization};
use capitole_persistence::events::{OccurrenceWindow, occurrence_status};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::OpenData;
use super::respond::{Freshness, export_error};
use super::translated::{self, Translated};
use crate::context::RequestScope;
use crate::error::{ApiError, ErrorCode};
use crate::http::Peer;
use crate::ids::{self, Kind};
use crate::loaders::{
    ArticleId, Batcher, CategoriesOfArticle, CategoriesOfEvent, EventId, EventsOfArticle,
    LoadError, NeighborhoodId, NeighborhoodsOfArticle, OccurrencePage, PlaceId, PlacesOfArticle,
    PublishersOfArticle, PublishersOfEvent,
};
use crate::text;

mod places;

pub(crate) use places::place;
use places::place_core;

/// The context every document names.
pub(crate) const SCHEMA_CONTEXT: &str = "https://schema.org";

/// The most dates an event's document lists as `subEvent`s, earliest first: a daily event
/// over the 18 months of stored dates, and then some.
pub(crate) const MAX_SUB_EVENTS: usize = 1000;

/// The media type of the documents.
pub(crate) const CONTENT_TYPE: &str = "application/ld+json";

/// What each kind of accessibility is called in documents: the feature of a place
/// (`amenityFeature`) and the audience of an event (`audience`).
fn accessibility_name(accessibility: Accessibility) -> &'static str {
    match accessibility {
        Accessibility::Hearing => "Accessible to deaf and hard-of-hearing people",
        Accessibility::Visual => "Accessible to blind and partially sighted people",
        Accessibility::Motor => "Accessible to people with reduced mobility",
        Accessibility::Intellectual => "Accessible to people with intellectual disabilities",
        Accessibility::Psychic => "Accessible to people with psychic disabilities",
    }
}

/// A schema.org enumeration member, as an absolute IRI.
fn member(name: &str) -> Value {
    Value::String(format!("https://schema.org/{name}"))
}

/// A JSON object that leaves out what an item does not have.
struct Doc(Map<String, Value>);

impl Doc {
    fn new(kind: &str) -> Self {
        let mut map = Map::new();
        map.insert("@type".to_owned(), Value::String(kind.to_owned()));
        Self(map)
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    fn maybe(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    /// A text that is left out when empty.
    fn text(self, key: &str, value: &str) -> Self {
        let value = value.trim();
        if value.is_empty() {
            self
        } else {
            self.set(key, value)
        }
    }

    /// A list that is left out when empty, and written as its one item when it has one.
    fn list(self, key: &str, mut values: Vec<Value>) -> Self {
        match values.len() {
            0 => self,
            1 => self.set(key, values.remove(0)),
            _ => self.set(key, Value::Array(values)),
        }
    }

    /// A list that is left out when empty, and always written as an array: properties
    /// that often have several values, so that readers need not handle both forms.
    fn many(self, key: &str, values: Vec<Value>) -> Self {
        if values.is_empty() {
            self
        } else {
            self.set(key, Value::Array(values))
        }
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A top-level document: the context, the type, its own address and where residents see it.
fn document(state: &OpenData, kind: &str, global_id: &str, page: String) -> Doc {
    let mut map = Map::new();
    map.insert(
        "@context".to_owned(),
        Value::String(SCHEMA_CONTEXT.to_owned()),
    );
    map.insert("@type".to_owned(), Value::String(kind.to_owned()));
    map.insert("@id".to_owned(), Value::String(address(state, global_id)));
    map.insert("url".to_owned(), Value::String(page));
    Doc(map)
}

/// The catalogue's dataset an item belongs to, with the licence: schema.org gives
/// `license` to creative works (an article) but not to events and places, so they name it
/// through the dataset they are the subject of (the `dcat:Dataset` of the same address in
/// `/data/catalog.jsonld`).
/// What an event or a place is the subject of: the dataset `id` it belongs to, then the
/// videos about it (schema.org gives events and places no `video` of their own).
fn subject_of(state: &OpenData, id: &str, videos: Vec<Value>) -> Vec<Value> {
    std::iter::once(dataset(state, id)).chain(videos).collect()
}

fn dataset(state: &OpenData, id: &str) -> Value {
    let title = super::catalog::DATASETS
        .iter()
        .find(|d| d.id == id)
        .map_or(id, |d| d.title);
    json!({
        "@type": "Dataset",
        "@id": super::catalog::dataset_iri(state, id),
        "name": title,
        "license": state.settings.licence.url.as_str(),
    })
}

/// The address of an item's document.
pub(crate) fn address(state: &OpenData, global_id: &str) -> String {
    state.link(&format!("/items/{global_id}.jsonld"))
}

/// A reference to another item's document.
fn reference(state: &OpenData, kind: Kind, id: Uuid) -> Value {
    json!({ "@id": address(state, &ids::encode(kind, id)) })
}

/// An instant in city time with the offset in force then, as the graph writes it.
fn local(scope: &RequestScope, at: DateTime<Utc>) -> String {
    format_local_date_time(&at.with_timezone(&scope.timezone))
}

/// One relation through the request's batcher, as the graph's fields read it (so a page of
/// documents costs a statement per relation, not per item), with the export's error type.
async fn load<K>(
    scope: &RequestScope,
    key: K,
) -> Result<Option<<Batcher as Loader<K>>::Value>, ApiError>
where
    Batcher: Loader<K, Error = LoadError>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    scope.loader.load_one(key).await.map_err(ApiError::from)
}

fn organization(org: &organization::Model) -> Value {
    Doc::new("Organization")
        .set("name", org.name.as_str())
        .maybe("url", org.website.as_deref())
        .done()
}

fn audience(kind: &str) -> Value {
    json!({ "@type": "Audience", "audienceType": kind })
}

fn audiences(encoded: &str) -> Vec<Value> {
    decode_codes(encoded)
        .filter_map(capitole_domain::Audience::from_code)
        .map(|a| audience(&a.code().to_lowercase().replace('_', " ")))
        .collect()
}

fn accessibility(encoded: &str) -> Vec<Accessibility> {
    decode_codes(encoded)
        .filter_map(Accessibility::from_code)
        .collect()
}

/// A news article as a schema.org `NewsArticle`.
pub(crate) async fn article(
    state: &OpenData,
    scope: &RequestScope,
    article: &article::Model,
) -> Result<Value, ApiError> {
    let global_id = ids::encode(Kind::NewsArticle, article.id);
    let publishers = load(scope, PublishersOfArticle(article.id))
        .await?
        .unwrap_or_default();
    let categories = load(scope, CategoriesOfArticle(article.id))
        .await?
        .unwrap_or_default();
    let events = load(scope, EventsOfArticle(article.id))
        .await?
        .unwrap_or_default();
    let places = load(scope, PlacesOfArticle(article.id))
        .await?
        .unwrap_or_default();
    let neighborhood_ids = load(scope, NeighborhoodsOfArticle(article.id))
        .await?
        .unwrap_or_default();
    let neighborhoods = scope
        .loader
        .load_many(neighborhood_ids.iter().copied().map(NeighborhoodId))
        .await
        .map_err(ApiError::from)?;
    let page = state.item_page("news", &article.slug, &global_id);

    let organizations: Vec<Value> = publishers.iter().map(organization).collect();
    let author = match &article.author_name {
        Some(name) => vec![json!({ "@type": "Person", "name": name })],
        None => organizations.clone(),
    };
    let mut images = Vec::new();
    if let Some(url) = &article.cover_url {
        images.push(
            Doc::new("ImageObject")
                .set("url", url.as_str())
                .maybe("caption", article.cover_alt.as_deref())
                .maybe("creditText", article.cover_credit.as_deref())
                .done(),
        );
    }
    let videos = media_objects(&article.media, &mut images);
    let mut keywords: Vec<Value> = decode_codes(&article.tags)
        .map(|t| Value::String(t.to_owned()))
        .collect();
    keywords.extend(categories.iter().map(|c| Value::String(c.name.clone())));
    let about = events
        .iter()
        .map(|id| reference(state, Kind::Event, *id))
        .chain(places.iter().map(|id| reference(state, Kind::Place, *id)))
        .collect();
    let mut spatial: Vec<_> = neighborhoods.into_values().collect();
    spatial.sort_by(|a, b| a.name.cmp(&b.name));
    let spatial = spatial
        .iter()
        .map(|n| json!({ "@type": "Place", "name": n.name }))
        .collect();

    Ok(document(state, "NewsArticle", &global_id, page)
        .set("headline", article.title.as_str())
        .text("description", &article.summary)
        .text("articleBody", &text::to_plain_text(&article.body))
        .maybe(
            "datePublished",
            article.published_at.map(|at| local(scope, at)),
        )
        .set("dateModified", local(scope, article.updated_at))
        .list("author", author)
        .list("publisher", organizations)
        .many("image", images)
        .many("video", videos)
        .many("keywords", keywords)
        .many("audience", audiences(&article.audiences))
        .many("about", about)
        .many("spatialCoverage", spatial)
        .set("isAccessibleForFree", true)
        .set("license", state.settings.licence.url.as_str())
        .done())
}

/// The pictures of an event or a place as schema.org `ImageObject`s, the main one first.
fn images_of(stored: &str) -> Vec<Value> {
    capitole_persistence::stored_lists::decode::<Picture>(stored)
        .into_iter()
        .map(|p| {
            Doc::new("ImageObject")
                .set("contentUrl", p.url.as_str())
                .set("caption", p.alt.as_str())
                .maybe("creditText", p.credit)
                .maybe("license", p.licence)
                .set("width", pixels(p.width))
                .set("height", pixels(p.height))
                .done()
        })
        .collect()
}

/// A size in pixels, as schema.org gives a `Distance` a number: a `QuantitativeValue` in
/// UN/CEFACT's unit `E37` (pixel).
fn pixels(count: u32) -> Value {
    json!({ "@type": "QuantitativeValue", "value": count, "unitCode": "E37" })
}

/// The media stored with an article, an event or a place as schema.org objects: images are
/// added to `images`, and the videos returned. Albums have no schema.org form of their own and
/// are left out.
fn media_objects(stored: &str, images: &mut Vec<Value>) -> Vec<Value> {
    let mut videos = Vec::new();
    for media in capitole_persistence::stored_lists::decode::<Media>(stored) {
        match media.kind {
            MediaKind::Image => images.push(
                Doc::new("ImageObject")
                    .set("url", media.url.as_str())
                    .maybe("caption", media.alt.or(media.caption))
                    .maybe("creditText", media.credit)
                    .done(),
            ),
            MediaKind::Video => videos.push(
                Doc::new("VideoObject")
                    .set("url", media.url.as_str())
                    .maybe("embedUrl", media.embed_url)
                    .maybe("thumbnailUrl", media.thumbnail_url)
                    .maybe("caption", media.caption)
                    .maybe("creditText", media.credit)
                    .done(),
            ),
            MediaKind::Album => {}
        }
    }
    videos
}

/// An event's status as schema.org names it. A full event still takes place: its offer
/// says it is sold out.
fn event_status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Scheduled | EventStatus::Full => "EventScheduled",
        EventStatus::Rescheduled => "EventRescheduled",
        EventStatus::Postponed => "EventPostponed",
        EventStatus::MovedOnline => "EventMovedOnline",
        EventStatus::Cancelled => "EventCancelled",
    }
}

fn attendance_mode(mode: AttendanceMode) -> &'static str {
    match mode {
        AttendanceMode::InPerson => "OfflineEventAttendanceMode",
        AttendanceMode::Online => "OnlineEventAttendanceMode",
        AttendanceMode::Mixed => "MixedEventAttendanceMode",
    }
}

/// An event as a schema.org `Event`: its dates from the first to the last, and, when it
/// has more than one, each date as a `subEvent` with its own status.
pub(crate) async fn event(
    state: &OpenData,
    scope: &RequestScope,
    event: &event::Model,
) -> Result<Value, ApiError> {
    let global_id = ids::encode(Kind::Event, event.id);
    let page = state.item_page("events", &event.slug, &global_id);
    let status = EventStatus::from_code(&event.status).unwrap_or(EventStatus::Scheduled);
    let mode =
        AttendanceMode::from_code(&event.attendance_mode).unwrap_or(AttendanceMode::InPerson);
    let publishers = load(scope, PublishersOfEvent(event.id))
        .await?
        .unwrap_or_default();
    let categories = load(scope, CategoriesOfEvent(event.id))
        .await?
        .unwrap_or_default();
    let dates = load(
        scope,
        OccurrencePage {
            event_id: event.id,
            window: OccurrenceWindow {
                from: None,
                to: None,
            },
            request: PageRequest::first(MAX_SUB_EVENTS),
        },
    )
    .await?
    .map(|page| page.rows.into_iter().map(|(o, _)| o).collect::<Vec<_>>())
    .unwrap_or_default();

    let venue = match event.place_id {
        Some(id) => match load(scope, PlaceId(id)).await? {
            Some(place) => Some(place_core(state, scope, &place).await?.0.done()),
            None => None,
        },
        None => None,
    };
    let physical = venue.or_else(|| {
        event
            .location_text
            .as_deref()
            .map(|text| json!({ "@type": "Place", "name": text }))
    });
    let online = event
        .online_url
        .as_deref()
        .map(|url| json!({ "@type": "VirtualLocation", "url": url }));
    let location: Vec<Value> = match mode {
        AttendanceMode::InPerson => physical.into_iter().collect(),
        AttendanceMode::Online => online.into_iter().collect(),
        AttendanceMode::Mixed => physical.into_iter().chain(online).collect(),
    };
    let location_ref = location.first().and_then(|l| l.get("@id")).cloned();

    let mut offers = Vec::new();
    if event.price.is_some() || event.registration_url.is_some() || event.is_free {
        let mut offer = Doc::new("Offer")
            .maybe("description", event.price.as_deref())
            .maybe("url", event.registration_url.as_deref());
        if event.is_free {
            offer = offer.set("price", 0);
        }
        if status == EventStatus::Full {
            offer = offer.set("availability", member("SoldOut"));
        }
        offers.push(offer.done());
    }
    let age = match (event.age_min, event.age_max) {
        (None, None) => None,
        (min, max) => Some(format!(
            "{}-{}",
            min.unwrap_or(0),
            max.map(|m| m.to_string()).unwrap_or_default()
        )),
    };
    let mut audience_list = audiences(&event.audiences);
    audience_list.extend(
        accessibility(&event.accessibility)
            .into_iter()
            .map(|a| audience(accessibility_name(a))),
    );
    let keywords: Vec<Value> = categories
        .iter()
        .map(|c| Value::String(c.name.clone()))
        .collect();
    let sub_events: Vec<Value> = if dates.len() > 1 {
        dates
            .iter()
            .map(|date| sub_event(scope, event, status, mode, date, location_ref.clone()))
            .collect()
    } else {
        Vec::new()
    };
    // A cancelled only date cancels the event as its status would.
    let status = match dates.as_slice() {
        [only] if occurrence_status(only) == OccurrenceStatus::Cancelled => EventStatus::Cancelled,
        _ => status,
    };
    let mut images = images_of(&event.pictures);
    let videos = media_objects(&event.media, &mut images);

    Ok(document(state, "Event", &global_id, page)
        .set("name", event.title.as_str())
        .text("description", &event.summary)
        .maybe(
            "startDate",
            dates.first().map(|d| local(scope, d.starts_at)),
        )
        .maybe(
            "endDate",
            dates
                .iter()
                .map(|d| d.ends_at)
                .max()
                .map(|at| local(scope, at)),
        )
        .set("eventStatus", member(event_status(status)))
        .set("eventAttendanceMode", member(attendance_mode(mode)))
        .list("location", location)
        .set("isAccessibleForFree", event.is_free)
        .list("offers", offers)
        .list("organizer", publishers.iter().map(organization).collect())
        .maybe("typicalAgeRange", age)
        .many("audience", audience_list)
        .many("image", images)
        .many("keywords", keywords)
        .many("subEvent", sub_events)
        .list("subjectOf", subject_of(state, "events", videos))
        .done())
}

/// One date of a series, with the status of that date.
fn sub_event(
    scope: &RequestScope,
    event: &event::Model,
    status: EventStatus,
    mode: AttendanceMode,
    date: &event_occurrence::Model,
    location: Option<Value>,
) -> Value {
    let status = match occurrence_status(date) {
        OccurrenceStatus::Cancelled => EventStatus::Cancelled,
        OccurrenceStatus::Scheduled | OccurrenceStatus::Full => status,
    };
    Doc::new("Event")
        .set("name", event.title.as_str())
        .set("startDate", local(scope, date.starts_at))
        .set("endDate", local(scope, date.ends_at))
        .set("eventStatus", member(event_status(status)))
        .set("eventAttendanceMode", member(attendance_mode(mode)))
        .maybe("location", location.map(|id| json!({ "@id": id })))
        .done()
}

/// The document of the item a global id names, if it is public.
async fn of_item(
    state: &OpenData,
    scope: &RequestScope,
    global_id: &str,
) -> Result<Value, ApiError> {
    let not_found = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no public item has the id `{global_id}`"),
        )
    };
    let (kind, uuid) = ids::decode(global_id).map_err(|_| not_found())?;
    // In the language the address asks for, where the item's texts are translated.
    let language = translated::wanted(scope);
    let translated = || Translated::of(&scope.db, language.as_ref(), [uuid]);
    match kind {
        Kind::NewsArticle => match load(scope, ArticleId(uuid)).await? {
            Some(mut found) => {
                translated().await?.article(&mut found);
                article(state, scope, &found).await
            }
            None => Err(not_found()),
        },
        Kind::Event => match load(scope, EventId(uuid)).await? {
            Some(mut found) => {
                translated().await?.event(&mut found);
                event(state, scope, &found).await
            }
            None => Err(not_found()),
        },
        Kind::Place => match load(scope, PlaceId(uuid)).await? {
            Some(mut found) => {
                translated().await?.place(&mut found);
                place(state, scope, &found).await
            }
            None => Err(not_found()),
        },
        _ => Err(not_found()),
    }
}

/// `GET /items/{id}.jsonld`: the JSON-LD document of a public news article, event or
/// place, by its global id.
pub(crate) async fn item(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    Path(file): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(global_id) = file.strip_suffix(".jsonld") else {
        return export_error(ApiError::new(
            ErrorCode::NotFound,
            format!(
                "no document is at `/items/{file}`; an item's document is at /items/{{id}}.jsonld"
            ),
        ));
    };
    let export = match state.begin(peer, &headers, &uri, Freshness::Stable).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match of_item(&state, &export.scope, global_id).await {
        Ok(document) => {
            export
                .body(CONTENT_TYPE, document.to_string(), HeaderMap::new())
                .await
        }
        Err(error) => export_error(error),
    }
}

/// What the graph's `jsonLd` fields read: the open formats' shared state (links, licence)
/// and the request's scope.
pub(crate) fn graph_context<'a>(
    ctx: &async_graphql::Context<'a>,
) -> crate::error::ApiResult<(&'a OpenData, &'a RequestScope)> {
    let scope = crate::context::scope(ctx)?;
    let state = ctx.data::<Arc<OpenData>>().map_err(|_| {
        tracing::error!("a request ran without the open formats' settings");
        crate::error::to_gql(ApiError::new(ErrorCode::Internal, "internal error"))
    })?;
    Ok((state.as_ref(), scope))
}
