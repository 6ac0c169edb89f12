//! Maps: places and the agenda as GeoJSON (RFC 7946) feature collections, a page at a time
//! with `Link: rel="next"` to the next one. Each feature is a point, longitude first, in
//! WGS 84; its `id` is the item's global id and its properties are named as the graph's
//! fields. The licence goes into top-level foreign members (`license`, `attribution`).
//!
//! An event without a venue (online, or a free-form location) has no coordinates: its
//! feature has `"geometry": null`, as RFC 7946 allows for unlocated features, so that a page
//! of the map holds the same events as the same page of the agenda.

use std::sync::Arc;

use async_graphql::{InputType, Name, Value as GqlValue};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::Response;
use capitole_domain::place::PlaceOrder as DomainOrder;
use capitole_persistence::Columns;
use capitole_persistence::entities::place;
use capitole_persistence::events::AgendaColumns;
use capitole_persistence::{events, places};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};

use super::OpenData;
use super::params::{EVENT_FILTER, PLACE_FILTER, QueryParams};
use super::records::{self, Record, Related};
use super::respond::{Export, Freshness, export_error};
use super::translated::{self, Translated};
use crate::error::ApiError;
use crate::http::Peer;
use crate::query::events::EventFilter;
use crate::query::places::{PlaceFilter, PlaceOrder};

/// The media type of GeoJSON.
const GEOJSON: &str = "application/geo+json";
/// Features in a page when the client does not say.
const DEFAULT_FEATURES: usize = 1_000;
/// The most features in a page.
const MAX_FEATURES: usize = 5_000;

/// The parameters a list of places takes besides its filter.
pub(super) const PLACE_ORDER: &str = "order";

/// The order of an export of places: `order` (`NAME` or `DISTANCE`), by default by
/// distance with `near` and by name without, as the graph orders `places`. Orders by
/// popularity or rating follow statistics, which open data leaves out.
pub(super) fn place_order(
    params: &QueryParams,
    filter: &places::PlaceFilter,
) -> Result<DomainOrder, ApiError> {
    let default = if filter.near.is_some() {
        DomainOrder::Distance
    } else {
        DomainOrder::Name
    };
    let Some(text) = params.one(PLACE_ORDER)? else {
        return Ok(default);
    };
    let value = GqlValue::Enum(Name::new(text.trim().to_uppercase()));
    let order = PlaceOrder::parse(Some(value))
        .map(DomainOrder::from)
        .ok()
        .filter(|order| matches!(order, DomainOrder::Name | DomainOrder::Distance))
        .ok_or_else(|| {
            ApiError::bad_input(
                "the parameter `order` is `NAME` or `DISTANCE` (popularity and rating are not open data)",
            )
        })?;
    if order == DomainOrder::Distance && filter.near.is_none() {
        return Err(ApiError::bad_input(
            "the parameter `order=DISTANCE` needs `near` (latitude,longitude,radiusMeters)",
        ));
    }
    Ok(order)
}

/// Places change with the data, and with the time too when only those open now are asked
/// for.
pub(super) fn places_freshness(uri: &Uri) -> Freshness {
    let open_now = QueryParams::parse(uri.query())
        .ok()
        .and_then(|params| params.one("openNow").ok().flatten().map(str::to_owned))
        .is_some_and(|value| !value.trim().eq_ignore_ascii_case("false"));
    if open_now {
        Freshness::Minute
    } else {
        Freshness::Stable
    }
}

/// Adds `Link: <licence>; rel="license"` to an export's answer.
pub(super) fn link_licence(state: &OpenData, response: &mut Response) {
    let link = format!("<{}>; rel=\"license\"", state.settings.licence.url);
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().append(header::LINK, value);
    }
}

/// `GET /data/places.geojson`: places (`PlaceFilter` parameters, `order`), a page at a time.
pub(super) async fn places(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state
        .begin(peer, &headers, &uri, places_freshness(&uri))
        .await
    {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match places_page(&export, &uri).await {
        Ok((features, next)) => finish(export, &uri, features, next).await,
        Err(error) => export_error(error),
    }
}

async fn places_page(export: &Export, uri: &Uri) -> Result<(Features, Option<String>), ApiError> {
    let params = QueryParams::parse(uri.query())?;
    let filter: PlaceFilter = params.filter(PLACE_FILTER, &["limit", "after", PLACE_ORDER])?;
    let request = params.page(DEFAULT_FEATURES, MAX_FEATURES)?;
    let scope = &export.scope;
    let filter = crate::query::places::storage_filter(scope, filter).await?;
    let order = place_order(&params, &filter)?;
    let mut page = places::list(&scope.db, &filter, order, &request, Columns::ALL).await?;
    let language = translated::wanted(scope);
    let ids = page.rows.iter().map(|(row, _)| row.place.id);
    let translated = Translated::of(&scope.db, language.as_ref(), ids).await?;
    for (row, _) in &mut page.rows {
        translated.place(&mut row.place);
    }
    let models: Vec<&place::Model> = page.rows.iter().map(|(row, _)| &row.place).collect();
    let related = Related::of_places(&scope.db, &models).await?;
    let mut features = Features::default();
    for (row, _) in &page.rows {
        let properties = records::place(&row.place, &related, false, row.distance_meters);
        features.push(&properties, Some((row.place.longitude, row.place.latitude)));
    }
    Ok((features, records::next_cursor(&page)))
}

/// `GET /data/events.geojson`: the agenda (`EventFilter` parameters), each event once at
/// its first matching date, at its venue, a page at a time.
pub(super) async fn events(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match events_page(&export, &uri).await {
        Ok((features, next)) => finish(export, &uri, features, next).await,
        Err(error) => export_error(error),
    }
}

async fn events_page(export: &Export, uri: &Uri) -> Result<(Features, Option<String>), ApiError> {
    let params = QueryParams::parse(uri.query())?;
    let filter: EventFilter = params.filter(EVENT_FILTER, &["limit", "after"])?;
    let request = params.page(DEFAULT_FEATURES, MAX_FEATURES)?;
    let scope = &export.scope;
    let filter = crate::query::events::storage_filter(scope, filter).await?;
    let mut page = events::list(&scope.db, &filter, &request, AgendaColumns::ALL).await?;
    let language = translated::wanted(scope);
    let ids = translated::agenda_ids(page.rows.iter().map(|(row, _)| row));
    let translated = Translated::of(&scope.db, language.as_ref(), ids).await?;
    for (row, _) in &mut page.rows {
        translated.agenda_row(row);
    }
    let related = Related::of_events(&scope.db, &records::event_ids(&page)).await?;
    let mut features = Features::default();
    for (row, _) in &page.rows {
        let properties = records::event_at(
            &row.event,
            &row.occurrence,
            row.venue.as_ref(),
            &related,
            scope.timezone,
            false,
        );
        features.push(
            &properties,
            row.venue.as_ref().map(|v| (v.longitude, v.latitude)),
        );
    }
    Ok((features, records::next_cursor(&page)))
}

/// A page's features, written one after the other as the members of a JSON array: a
/// page of 1,000 features is never held as a tree of JSON values.
#[derive(Default)]
struct Features {
    text: String,
    count: usize,
}

impl Features {
    /// Writes a feature: its `id` is the global id among its properties, taken out of them.
    fn push(&mut self, properties: &Record, point: Option<(f64, f64)>) {
        let id = properties
            .iter()
            .find(|(name, _)| *name == "id")
            .map_or(Value::Null, |(_, field)| field.to_json());
        let feature = Feature {
            kind: "Feature",
            id,
            geometry: point.map(|(longitude, latitude)| Point {
                kind: "Point",
                coordinates: [longitude, latitude],
            }),
            properties: Properties(properties),
        };
        // Strings, numbers and lists of them: serialising cannot fail.
        if let Ok(text) = serde_json::to_string(&feature) {
            if self.count > 0 {
                self.text.push(',');
            }
            self.text.push_str(&text);
            self.count += 1;
        }
    }
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Value,
    geometry: Option<Point>,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct Point {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

/// A record's fields but its id, in their order.
struct Properties<'a>(&'a Record);

impl Serialize for Properties<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, field) in self.0.iter().filter(|(name, _)| *name != "id") {
            map.serialize_entry(name, &field.to_json())?;
        }
        map.end()
    }
}

/// The page as a feature collection with the licence and attribution of the data, and,
/// when a page follows, its address both in `links` (for clients that read only the body:
/// a web page reads no `Link` header the server does not expose) and in a `Link` header.
async fn finish(export: Export, uri: &Uri, features: Features, next: Option<String>) -> Response {
    // The links are made while the export is at hand; its body consumes it.
    let mut links = Response::default();
    export.link_next(&mut links, uri, next.as_deref());
    let next_url = links
        .headers()
        .get(header::LINK)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix('<'))
        .and_then(|v| v.split_once('>'))
        .map(|(url, _)| url.to_owned());
    link_licence(export.state(), &mut links);
    let state = export.state();
    let licence = &state.settings.licence;
    let mut collection = json!({
        "type": "FeatureCollection",
        "license": { "name": licence.name, "url": licence.url.as_str() },
        "attribution": format!("{} ({})", state.settings.publisher, licence.name),
        "numberReturned": features.count,
    });
    if let Some(url) = next_url {
        collection["links"] = json!([{ "href": url, "rel": "next", "type": GEOJSON }]);
    }
    // The features go last, written as they were made: the collection's text loses its
    // closing brace to them.
    let mut body = collection.to_string();
    body.pop();
    body.reserve(features.text.len() + 16);
    body.push_str(",\"features\":[");
    body.push_str(&features.text);
    body.push_str("]}");
    let links = std::mem::take(links.headers_mut());
    export.body(GEOJSON, body, links).await
}
