//! The catalogue of the open data, `GET /data/catalog.jsonld`: a DCAT-AP `dcat:Catalog` in
//! JSON-LD with one `dcat:Dataset` per kind of item (news, events, places), each with a
//! `dcat:Distribution` per open format and one for the graph, and the graph itself as a
//! `dcat:DataService`. Open-data portals (CKAN's DCAT harvester, data.gouv.fr) read it to
//! list Capitole's data without anyone typing it in.
//!
//! Every term is written with its prefix and every address as a node (`{"@id": …}`), so
//! that an RDF reader gets IRIs, not strings, whatever context it applies.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use capitole_persistence::changes;
use capitole_persistence::extent::{self, Extent};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::OpenData;
use super::respond::{Freshness, export_error};
use crate::error::ApiError;
use crate::http::Peer;

/// The address of the catalogue.
pub(crate) const CATALOG_PATH: &str = "/data/catalog.jsonld";

/// One dataset of the catalogue.
pub(crate) struct Dataset {
    /// Its identifier, and the fragment of its IRI in the catalogue.
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub keywords: &'static [&'static str],
}

/// The datasets: one per kind of public item.
pub(crate) const DATASETS: &[Dataset] = &[
    Dataset {
        id: "news",
        title: "News",
        description: "News articles of the city's publishers: title, summary, text, \
                      publication date, audiences, tags and publishers.",
        keywords: &["news", "city", "local government"],
    },
    Dataset {
        id: "events",
        title: "Events",
        description: "The city's agenda: events with their dates, status, venue, prices, \
                      audiences, accessibility and organizers.",
        keywords: &["events", "agenda", "culture", "leisure"],
    },
    Dataset {
        id: "places",
        title: "Places",
        description: "Public places of the city (museums, libraries, pools, parks, \
                      markets…): position, address, categories, opening hours and \
                      accessibility.",
        keywords: &[
            "places",
            "points of interest",
            "opening hours",
            "accessibility",
        ],
    },
];

/// One open format of a dataset.
pub(crate) struct Distribution {
    /// The dataset it belongs to.
    pub dataset: &'static str,
    /// Its path on this service.
    pub path: &'static str,
    pub title: &'static str,
    /// Its IANA media type, when it has one registered (RSS has none).
    pub media_type: Option<&'static str>,
    /// Its name in the EU's file-type vocabulary.
    pub format: &'static str,
}

const fn distribution(
    dataset: &'static str,
    path: &'static str,
    title: &'static str,
    media_type: Option<&'static str>,
    format: &'static str,
) -> Distribution {
    Distribution {
        dataset,
        path,
        title,
        media_type,
        format,
    }
}

/// Every open format, by dataset: the table of docs/open-data.md.
pub(crate) const DISTRIBUTIONS: &[Distribution] = &[
    distribution(
        "news",
        "/feeds/news.atom",
        "News as an Atom feed",
        Some("application/atom+xml"),
        "ATOM",
    ),
    distribution(
        "news",
        "/feeds/news.rss",
        "News as an RSS feed",
        None,
        "RSS",
    ),
    distribution(
        "news",
        "/data/news.csv",
        "News as a CSV table",
        Some("text/csv"),
        "CSV",
    ),
    distribution(
        "events",
        "/feeds/events.ics",
        "The agenda as an iCalendar calendar",
        Some("text/calendar"),
        "ICS",
    ),
    distribution(
        "events",
        "/data/events.geojson",
        "Events on a map, as GeoJSON",
        Some("application/geo+json"),
        "GEOJSON",
    ),
    distribution(
        "events",
        "/data/events.csv",
        "Events as a CSV table, one row per date",
        Some("text/csv"),
        "CSV",
    ),
    distribution(
        "places",
        "/data/places.geojson",
        "Places on a map, as GeoJSON",
        Some("application/geo+json"),
        "GEOJSON",
    ),
    distribution(
        "places",
        "/data/places.csv",
        "Places as a CSV table",
        Some("text/csv"),
        "CSV",
    ),
];

/// The graph's address.
const GRAPHQL_PATH: &str = "/graphql";

/// The IRI of a dataset of the catalogue.
pub(crate) fn dataset_iri(state: &OpenData, id: &str) -> String {
    format!("{}#{id}", state.link(CATALOG_PATH))
}

/// The prefixes of DCAT-AP.
fn context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "locn": "http://www.w3.org/ns/locn#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "gsp": "http://www.opengis.net/ont/geosparql#",
    })
}

fn node(iri: impl Into<String>) -> Value {
    json!({ "@id": iri.into() })
}

fn date_time(at: DateTime<Utc>) -> Value {
    json!({
        "@value": at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "@type": "xsd:dateTime",
    })
}

/// The area the data covers: the city, and the box that holds its places.
fn spatial(catalog: &str, extent: &Extent) -> Value {
    let (s, w, n, e) = (extent.south, extent.west, extent.north, extent.east);
    let polygon = format!("POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))");
    json!({
        "@id": format!("{catalog}#area"),
        "@type": "dct:Location",
        "locn:geographicName": extent.city,
        "dcat:bbox": { "@value": polygon, "@type": "gsp:wktLiteral" },
    })
}

/// The catalogue as a JSON-LD document.
pub(crate) fn document(
    state: &OpenData,
    modified: Option<DateTime<Utc>>,
    extent: Option<&Extent>,
) -> Value {
    let catalog = state.link(CATALOG_PATH);
    let licence = state.settings.licence.url.as_str();
    let publisher_id = format!("{catalog}#publisher");
    let graphql_id = format!("{catalog}#graphql");
    let homepage = state.settings.app_url.as_ref().map_or_else(
        || state.base.clone(),
        |url| url.as_str().trim_end_matches('/').to_owned(),
    );
    let modified = modified.map(date_time);
    let spatial = extent.map(|extent| spatial(&catalog, extent));
    let with_common = |mut object: Value| {
        if let (Some(map), Some(modified)) = (object.as_object_mut(), &modified) {
            map.insert("dct:modified".to_owned(), modified.clone());
        }
        object
    };

    let datasets: Vec<Value> = DATASETS
        .iter()
        .map(|dataset| {
            let dataset_id = dataset_iri(state, dataset.id);
            let mut distributions: Vec<Value> = DISTRIBUTIONS
                .iter()
                .filter(|d| d.dataset == dataset.id)
                .map(|d| {
                    let url = state.link(d.path);
                    let mut distribution = json!({
                        "@id": format!("{catalog}#{}", d.path.trim_start_matches('/').replace(['/', '.'], "-")),
                        "@type": "dcat:Distribution",
                        "dct:title": d.title,
                        "dcat:accessURL": node(url.clone()),
                        "dcat:downloadURL": node(url),
                        "dct:format": node(format!(
                            "http://publications.europa.eu/resource/authority/file-type/{}",
                            d.format
                        )),
                        "dct:license": node(licence),
                    });
                    if let (Some(media_type), Some(map)) =
                        (d.media_type, distribution.as_object_mut())
                    {
                        map.insert(
                            "dcat:mediaType".to_owned(),
                            node(format!(
                                "https://www.iana.org/assignments/media-types/{media_type}"
                            )),
                        );
                    }
                    distribution
                })
                .collect();
            distributions.push(json!({
                "@id": format!("{catalog}#{}-graphql", dataset.id),
                "@type": "dcat:Distribution",
                "dct:title": format!("{} through the GraphQL API", dataset.title),
                "dcat:accessURL": node(state.link(GRAPHQL_PATH)),
                "dcat:accessService": node(graphql_id.clone()),
                "dcat:mediaType": node("https://www.iana.org/assignments/media-types/application/json"),
                "dct:format": node("http://publications.europa.eu/resource/authority/file-type/JSON"),
                "dct:license": node(licence),
            }));
            let mut value = json!({
                "@id": dataset_id,
                "@type": "dcat:Dataset",
                "dct:identifier": dataset.id,
                "dct:title": dataset.title,
                "dct:description": dataset.description,
                "dcat:keyword": dataset.keywords,
                "dct:publisher": node(publisher_id.clone()),
                "dct:license": node(licence),
                "dcat:distribution": distributions,
            });
            if let (Some(spatial), Some(map)) = (&spatial, value.as_object_mut()) {
                map.insert("dct:spatial".to_owned(), spatial.clone());
            }
            with_common(value)
        })
        .collect();

    let dataset_ids: Vec<Value> = DATASETS
        .iter()
        .map(|d| node(format!("{catalog}#{}", d.id)))
        .collect();
    let service = json!({
        "@id": graphql_id,
        "@type": "dcat:DataService",
        "dct:title": "GraphQL API",
        "dct:description": "The graph the open formats are read from: news, events and places with their filters, over GraphQL over HTTP.",
        "dcat:endpointURL": node(state.link(GRAPHQL_PATH)),
        "dcat:endpointDescription": node(state.link("/graphiql")),
        "dct:conformsTo": node("https://spec.graphql.org/"),
        "dcat:servesDataset": dataset_ids,
        "dct:publisher": node(publisher_id.clone()),
        "dct:license": node(licence),
    });
    let publisher = &state.settings.publisher;
    with_common(json!({
        "@context": context(),
        "@id": catalog,
        "@type": "dcat:Catalog",
        "dct:title": format!("{publisher}: open data"),
        "dct:description": format!(
            "The public news, events and places of {publisher}, in open formats (feeds, calendars, maps, tables) and through a GraphQL API."
        ),
        "dct:publisher": {
            "@id": publisher_id,
            "@type": "foaf:Agent",
            "foaf:name": publisher,
        },
        "foaf:homepage": node(homepage),
        "dct:license": {
            "@id": licence,
            "@type": "dct:LicenseDocument",
            "rdfs:label": state.settings.licence.name,
        },
        "dcat:dataset": datasets,
        "dcat:service": [service],
    }))
}

/// `GET /data/catalog.jsonld`.
pub(crate) async fn catalog(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Stable).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    let db = &export.scope.db;
    let read = async {
        let mark = changes::public_mark(db).await?;
        let extent = extent::of_places(db).await?;
        Ok::<_, capitole_persistence::StorageError>((mark, extent))
    };
    match read.await {
        Ok((mark, extent)) => {
            let document = document(&state, mark.and_then(|m| m.at()), extent.as_ref());
            export
                .body(
                    super::jsonld::CONTENT_TYPE,
                    document.to_string(),
                    HeaderMap::new(),
                )
                .await
        }
        Err(error) => export_error(ApiError::from(error)),
    }
}
