//! Linked data and the catalogue: each public item's schema.org document is the same
//! through the graph's `jsonLd` field and through `/items/{id}.jsonld`, says what
//! schema.org readers look for (statuses, places with their position, hours and
//! accessibility), and is not found for items the public may not read; the DCAT catalogue
//! lists every open format with absolute addresses, media types and the licence; both answer
//! `304` to a client holding the current document; a page of documents reads its relations in
//! batches.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use capitole_api::{HttpSettings, Licence, OpenDataSettings};
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::entities::{article, place};
use capitole_persistence::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter,
};
use capitole_persistence::seed;
use capitole_persistence::testing::{TestDatabase, databases};
use serde_json::{Value, json};

use super::{PARIS, context, send, unread_mail};

const PUBLIC_URL: &str = "https://api.example.org";
const APP_URL: &str = "https://m.example.org";
const LICENCE_URL: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";

struct LinkedApp {
    router: Router,
    db: capitole_persistence::Database,
    _test_db: TestDatabase,
}

/// The demo city served under a public address, with an app showing its items.
async fn linked_apps() -> Vec<LinkedApp> {
    let mut out = Vec::new();
    for test_db in databases().await {
        seed::demo(&test_db.db, chrono::Utc::now(), PARIS)
            .await
            .unwrap();
        let settings = HttpSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            open_data: OpenDataSettings {
                public_url: Some(url::Url::parse(PUBLIC_URL).unwrap()),
                app_url: Some(url::Url::parse(APP_URL).unwrap()),
                licence: Licence::default(),
                publisher: "Ville de Toulouse".to_owned(),
                ..OpenDataSettings::default()
            },
            ..HttpSettings::default()
        };
        let context = context(&test_db.db, &unread_mail()).await;
        out.push(LinkedApp {
            router: capitole_api::http::router(context, &settings),
            db: test_db.db.clone(),
            _test_db: test_db,
        });
    }
    out
}

fn get(path: &str, etag: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(Method::GET).uri(path);
    if let Some(tag) = etag {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    request.body(Body::empty()).unwrap()
}

async fn graph(app: &LinkedApp, query: &str, variables: Value) -> Value {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .unwrap();
    let (status, _, body) = send(&app.router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    body
}

async fn document(app: &LinkedApp, id: &str) -> (StatusCode, HeaderMap, Value) {
    send(&app.router, get(&format!("/items/{id}.jsonld"), None)).await
}

const ITEMS: &str = "{
  news(first: 100) { nodes { id slug jsonLd } }
  events(first: 100) { nodes { id slug status jsonLd } }
  places(first: 100) { nodes { id slug accessibility jsonLd location { latitude longitude } } }
}";

/// Every item of the demo city's lists, as (list name, node).
async fn items(app: &LinkedApp) -> Vec<(&'static str, Value)> {
    let body = graph(app, ITEMS, json!({})).await;
    let mut out = Vec::new();
    for list in ["news", "events", "places"] {
        let nodes = body["data"][list]["nodes"].as_array().unwrap();
        assert!(!nodes.is_empty(), "no {list} in the demo city");
        out.extend(nodes.iter().map(|n| (list, n.clone())));
    }
    out
}

#[tokio::test]
async fn every_item_gives_the_same_document_through_the_graph_and_its_address() {
    for app in linked_apps().await {
        for (list, node) in items(&app).await {
            let id = node["id"].as_str().unwrap();
            let (status, headers, body) = document(&app, id).await;
            assert_eq!(status, StatusCode::OK, "{list} {id}: {body}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/ld+json");
            assert_eq!(
                body, node["jsonLd"],
                "the {list} item {id} differs between the graph and its address"
            );
            assert_eq!(body["@context"], "https://schema.org");
            assert_eq!(
                body["@id"],
                format!("{PUBLIC_URL}/items/{id}.jsonld"),
                "{body}"
            );
            let section = match list {
                "news" => "news",
                "events" => "events",
                _ => "places",
            };
            assert_eq!(
                body["url"],
                format!("{APP_URL}/{section}/{}", node["slug"].as_str().unwrap())
            );
            // An article is a creative work with a licence; events and places name theirs
            // through the catalogue's dataset they belong to.
            if list == "news" {
                assert_eq!(body["license"], LICENCE_URL);
            } else {
                // The dataset first, then any videos about the item.
                let dataset = match &body["subjectOf"] {
                    Value::Array(subjects) => subjects[0].clone(),
                    one => one.clone(),
                };
                assert_eq!(dataset["@type"], "Dataset");
                assert_eq!(
                    dataset["@id"],
                    format!("{PUBLIC_URL}/data/catalog.jsonld#{list}")
                );
                assert_eq!(dataset["license"], LICENCE_URL);
            }
        }
    }
}

#[tokio::test]
async fn documents_carry_schema_org_types_statuses_places_and_hours() {
    for app in linked_apps().await {
        let all = items(&app).await;
        let of = |list: &str| -> Vec<Value> {
            all.iter()
                .filter(|(l, _)| *l == list)
                .map(|(_, n)| n.clone())
                .collect()
        };

        // News.
        for node in of("news") {
            let doc = &node["jsonLd"];
            assert_eq!(doc["@type"], "NewsArticle");
            assert!(doc["headline"].is_string(), "{doc}");
            assert!(
                doc["datePublished"]
                    .as_str()
                    .is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok()),
                "{doc}"
            );
            assert!(doc["publisher"].is_object() || doc["publisher"].is_array());
        }

        // Events: the cancelled one says so; a series lists its dates, a cancelled date
        // among them; the venue is a place with its position and address.
        let events = of("events");
        let cancelled = events
            .iter()
            .find(|e| e["status"] == "CANCELLED")
            .expect("a cancelled event in the demo city");
        assert_eq!(
            cancelled["jsonLd"]["eventStatus"],
            "https://schema.org/EventCancelled"
        );
        let moved = events
            .iter()
            .find(|e| e["status"] == "MOVED_ONLINE")
            .unwrap();
        assert_eq!(
            moved["jsonLd"]["eventStatus"],
            "https://schema.org/EventMovedOnline"
        );
        assert_eq!(
            moved["jsonLd"]["eventAttendanceMode"],
            "https://schema.org/OnlineEventAttendanceMode"
        );
        for event in &events {
            let doc = &event["jsonLd"];
            assert_eq!(doc["@type"], "Event");
            let text = doc["startDate"].as_str().unwrap();
            let start = chrono::DateTime::parse_from_rfc3339(text).unwrap();
            // City time: the offset Paris has at that instant.
            let offset = start.with_timezone(&PARIS).format("%:z").to_string();
            assert!(text.ends_with(&offset), "{text} is not in city time");
            assert!(doc["isAccessibleForFree"].is_boolean());
        }
        let market = events
            .iter()
            .find(|e| e["slug"] == "marche-plein-vent-saint-aubin")
            .expect("the Sunday market");
        let dates = market["jsonLd"]["subEvent"].as_array().unwrap();
        assert!(dates.len() > 1);
        assert!(
            dates
                .iter()
                .any(|d| d["eventStatus"] == "https://schema.org/EventCancelled"),
            "no cancelled date among {dates:?}"
        );
        assert!(
            dates
                .iter()
                .any(|d| d["eventStatus"] == "https://schema.org/EventScheduled")
        );
        let venue = &market["jsonLd"]["location"];
        assert_eq!(venue["geo"]["@type"], "GeoCoordinates");
        assert!(venue["geo"]["latitude"].is_f64(), "{venue}");
        assert_eq!(venue["address"]["@type"], "PostalAddress");
        assert!(venue["@id"].as_str().unwrap().starts_with(PUBLIC_URL));

        // Places: a type from the categories, the position, accessibility.
        let places = of("places");
        for place in &places {
            let doc = &place["jsonLd"];
            assert!(doc["@type"].is_string());
            assert_eq!(doc["geo"]["latitude"], place["location"]["latitude"]);
            assert_eq!(doc["geo"]["longitude"], place["location"]["longitude"]);
            let features: Vec<&str> = doc["amenityFeature"]
                .as_array()
                .map(|f| f.iter().filter_map(|x| x["name"].as_str()).collect())
                .unwrap_or_default();
            let motor = place["accessibility"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "MOTOR");
            assert_eq!(
                motor,
                features.contains(&"Accessible to people with reduced mobility"),
                "{doc}"
            );
        }
        assert!(places.iter().any(|p| p["jsonLd"]["@type"] == "Museum"));
        assert!(places.iter().any(|p| p["jsonLd"]["@type"] == "Library"));
    }
}

#[tokio::test]
async fn opening_hours_become_specifications_with_dated_exceptions() {
    for app in linked_apps().await {
        let row = place::Entity::find()
            .filter(place::Column::Slug.eq("capitole"))
            .one(app.db.connection())
            .await
            .unwrap()
            .or(place::Entity::find()
                .one(app.db.connection())
                .await
                .unwrap())
            .unwrap();
        let hours = json!({
            "weekly": [
                { "day": "FRIDAY", "opens": "22:00:00", "closes": "02:00:00" },
                { "day": "MONDAY", "opens": "09:00:00", "closes": "18:00:00" }
            ],
            "exceptions": [
                { "date": "2026-12-25", "ranges": [], "note": "Noël" },
                { "date": "2026-12-31", "ranges": [{ "opens": "10:00:00", "closes": "16:00:00" }] }
            ]
        });
        let mut active: place::ActiveModel = row.clone().into();
        active.opening_hours = Set(hours.to_string());
        active.update(app.db.connection()).await.unwrap();
        let id = graph(
            &app,
            "query($slug: String) { place(slug: $slug) { id } }",
            json!({ "slug": row.slug }),
        )
        .await["data"]["place"]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let (status, _, doc) = document(&app, &id).await;
        assert_eq!(status, StatusCode::OK);
        let specs = doc["openingHoursSpecification"].as_array().unwrap();
        let spec = |key: &str, value: &str| -> Vec<&Value> {
            specs.iter().filter(|s| s[key] == value).collect()
        };
        let friday = spec("dayOfWeek", "https://schema.org/Friday");
        assert_eq!(friday.len(), 1);
        assert_eq!(friday[0]["opens"], "22:00");
        assert_eq!(
            friday[0]["closes"], "02:00",
            "past midnight as schema.org reads it"
        );
        let christmas = spec("validFrom", "2026-12-25");
        assert_eq!(christmas.len(), 1);
        assert_eq!(christmas[0]["validThrough"], "2026-12-25");
        assert_eq!(christmas[0]["opens"], "00:00");
        assert_eq!(christmas[0]["closes"], "00:00", "closed all day");
        assert_eq!(christmas[0]["description"], "Noël");
        let new_year = spec("validFrom", "2026-12-31");
        assert_eq!(new_year[0]["opens"], "10:00");
        assert_eq!(new_year[0]["closes"], "16:00");
        assert!(new_year[0].get("dayOfWeek").is_none());
    }
}

#[tokio::test]
async fn items_the_public_may_not_read_have_no_document() {
    for app in linked_apps().await {
        let draft = article::Entity::find()
            .filter(article::Column::Status.eq("DRAFT"))
            .one(app.db.connection())
            .await
            .unwrap()
            .expect("a draft in the demo city");
        let draft_id = encode("NewsArticle", draft.id);
        let (status, headers, body) = document(&app, &draft_id).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let through_graph = graph(
            &app,
            "query($id: ID) { newsArticle(id: $id) { jsonLd } }",
            json!({ "id": draft_id }),
        )
        .await;
        assert!(through_graph["data"]["newsArticle"].is_null());

        // An event that does not exist, an organization (not an item with a document), an
        // id that is not one, and an address that is not a document.
        let missing_event = encode("Event", uuid::Uuid::now_v7());
        let organization = graph(&app, "{ organizations { id } }", json!({})).await["data"]
            ["organizations"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for path in [
            format!("/items/{missing_event}.jsonld"),
            format!("/items/{organization}.jsonld"),
            "/items/not-an-id.jsonld".to_owned(),
            format!("/items/{missing_event}.json"),
        ] {
            let (status, _, body) = send(&app.router, get(&path, None)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "NOT_FOUND",
                "{path}"
            );
        }
        let through_graph = graph(
            &app,
            "query($id: ID) { event(id: $id) { jsonLd } }",
            json!({ "id": missing_event }),
        )
        .await;
        assert!(through_graph["data"]["event"].is_null());
    }
}

/// A global id as the graph writes it.
fn encode(kind: &str, id: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{}", id.simple()))
}

#[tokio::test]
async fn the_catalogue_lists_every_format_with_absolute_addresses_media_types_and_the_licence() {
    let formats = [
        (
            "news",
            "/feeds/news.atom",
            Some("application/atom+xml"),
            "ATOM",
        ),
        ("news", "/feeds/news.rss", None, "RSS"),
        ("news", "/data/news.csv", Some("text/csv"), "CSV"),
        ("events", "/feeds/events.ics", Some("text/calendar"), "ICS"),
        (
            "events",
            "/data/events.geojson",
            Some("application/geo+json"),
            "GEOJSON",
        ),
        ("events", "/data/events.csv", Some("text/csv"), "CSV"),
        (
            "places",
            "/data/places.geojson",
            Some("application/geo+json"),
            "GEOJSON",
        ),
        ("places", "/data/places.csv", Some("text/csv"), "CSV"),
    ];
    for app in linked_apps().await {
        // Before any change is logged, the catalogue does not say when the data changed.
        let (_, _, before) = send(&app.router, get("/data/catalog.jsonld", None)).await;
        assert!(before.get("dct:modified").is_none(), "{before}");
        let changed_at = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:30:00Z")
            .unwrap()
            .to_utc();
        let place = place::Entity::find()
            .one(app.db.connection())
            .await
            .unwrap()
            .unwrap();
        capitole_persistence::changes::append(
            app.db.connection(),
            &capitole_persistence::changes::NewChange {
                kind: ItemKind::Place,
                id: place.id,
                change: ChangeKind::Updated,
                version: place.version,
                organization: None,
                public: true,
                at: changed_at,
            },
        )
        .await
        .unwrap();
        // On PostgreSQL, a change counts once every older write transaction has ended
        // (tests running beside this one write too): ask until it counts.
        let mut tries = 0;
        let (status, headers, catalog) = loop {
            let answer = send(&app.router, get("/data/catalog.jsonld", None)).await;
            tries += 1;
            if answer.2.get("dct:modified").is_some() || tries == 100 {
                break answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!(status, StatusCode::OK, "{catalog}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/ld+json");
        assert_eq!(catalog["@type"], "dcat:Catalog");
        assert_eq!(catalog["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
        assert_eq!(catalog["@context"]["dct"], "http://purl.org/dc/terms/");
        assert_eq!(catalog["dct:publisher"]["foaf:name"], "Ville de Toulouse");
        assert_eq!(catalog["dct:license"]["@id"], LICENCE_URL);
        assert_eq!(catalog["foaf:homepage"]["@id"], APP_URL);
        assert_eq!(
            catalog["dct:modified"],
            json!({ "@value": "2026-12-01T08:30:00Z", "@type": "xsd:dateTime" })
        );

        let datasets = catalog["dcat:dataset"].as_array().unwrap();
        let ids: Vec<&str> = datasets
            .iter()
            .map(|d| d["dct:identifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["news", "events", "places"]);
        for dataset in datasets {
            assert_eq!(dataset["@type"], "dcat:Dataset");
            assert_eq!(dataset["dct:license"]["@id"], LICENCE_URL);
            assert_eq!(dataset["dct:modified"], catalog["dct:modified"]);
            assert_eq!(dataset["dct:spatial"]["locn:geographicName"], "Toulouse");
            assert!(
                dataset["dcat:keyword"]
                    .as_array()
                    .is_some_and(|k| !k.is_empty())
            );
            let graphql = dataset["dcat:distribution"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["dcat:accessURL"]["@id"] == format!("{PUBLIC_URL}/graphql"));
            assert!(graphql.is_some(), "{dataset}");
        }
        for (dataset, path, media_type, format) in formats {
            let url = format!("{PUBLIC_URL}{path}");
            let distribution = datasets
                .iter()
                .find(|d| d["dct:identifier"] == dataset)
                .and_then(|d| d["dcat:distribution"].as_array())
                .and_then(|list| list.iter().find(|d| d["dcat:downloadURL"]["@id"] == url))
                .unwrap_or_else(|| panic!("{url} is not in the catalogue"));
            assert_eq!(distribution["@type"], "dcat:Distribution");
            assert_eq!(distribution["dcat:accessURL"]["@id"], url);
            assert_eq!(distribution["dct:license"]["@id"], LICENCE_URL);
            assert_eq!(
                distribution["dct:format"]["@id"],
                format!("http://publications.europa.eu/resource/authority/file-type/{format}")
            );
            match media_type {
                Some(media_type) => assert_eq!(
                    distribution["dcat:mediaType"]["@id"],
                    format!("https://www.iana.org/assignments/media-types/{media_type}")
                ),
                None => assert!(distribution.get("dcat:mediaType").is_none()),
            }
        }
        let service = &catalog["dcat:service"][0];
        assert_eq!(service["@type"], "dcat:DataService");
        assert_eq!(
            service["dcat:endpointURL"]["@id"],
            format!("{PUBLIC_URL}/graphql")
        );
    }
}

#[tokio::test]
async fn a_client_holding_the_current_document_gets_304() {
    for app in linked_apps().await {
        let id =
            graph(&app, "{ places(first: 1) { nodes { id } } }", json!({})).await["data"]["places"]
                ["nodes"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
        for path in [
            format!("/items/{id}.jsonld"),
            "/data/catalog.jsonld".to_owned(),
        ] {
            let (status, headers, _) = send(&app.router, get(&path, None)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
            let etag = headers[header::ETAG].to_str().unwrap().to_owned();
            let (status, headers, body) = send(&app.router, get(&path, Some(&etag))).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
            assert_eq!(headers[header::ETAG], etag.as_str());
            assert_eq!(body, Value::String(String::new()));
        }
    }
}

#[tokio::test]
async fn a_page_of_documents_reads_its_relations_in_batches_whatever_its_size() {
    for app in linked_apps().await {
        for list in ["news", "events", "places"] {
            let query = format!("query($n: Int!) {{ {list}(first: $n) {{ nodes {{ jsonLd }} }} }}");
            let mut costs = Vec::new();
            for n in [2, 100] {
                let before = app.db.statement_count();
                graph(&app, &query, json!({ "n": n })).await;
                costs.push(app.db.statement_count() - before);
            }
            // About 8 statements whatever the size (a batch per relation, a few more when a
            // slow run splits a batch); one per item would be a hundred.
            assert!(
                costs.iter().all(|&c| c <= 20),
                "{list}: statements per page size {costs:?}"
            );
        }
    }
}
