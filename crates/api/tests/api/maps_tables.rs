//! Maps and tables: places and the agenda as GeoJSON read by the `geojson` crate, places,
//! every date of the agenda and the news as CSV read by the `csv` crate, with the graph's
//! visibility, filters and names, paging by `Link: rel="next"`, validators and errors.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use capitole_domain::access::Role;
use capitole_persistence::entities::{article, event, place};
use capitole_persistence::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use geojson::{Feature, GeoJson, GeometryValue};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::accounts::{access_of, create, register, run};
use super::{TestApp, apps, query};

/// A GET of an export, with extra request headers.
async fn get(
    app: &TestApp,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The features of a map page, read by the `geojson` crate, and its top-level members.
fn features(body: &str) -> (Vec<Feature>, serde_json::Map<String, Value>) {
    let GeoJson::FeatureCollection(collection) = GeoJson::from_str(body).unwrap() else {
        panic!("not a feature collection: {body}");
    };
    (
        collection.features,
        collection.foreign_members.unwrap_or_default(),
    )
}

fn feature_id(feature: &Feature) -> String {
    match &feature.id {
        Some(geojson::feature::Id::String(id)) => id.clone(),
        other => panic!("a feature without a string id: {other:?}"),
    }
}

fn property<'a>(feature: &'a Feature, name: &str) -> &'a Value {
    feature
        .properties
        .as_ref()
        .and_then(|p| p.get(name))
        .unwrap_or(&Value::Null)
}

/// Longitude and latitude of a point feature.
fn point(feature: &Feature) -> Option<(f64, f64)> {
    match &feature.geometry.as_ref()?.value {
        GeometryValue::Point { coordinates } => {
            let c = coordinates.as_slice();
            Some((c[0], c[1]))
        }
        other => panic!("not a point: {other:?}"),
    }
}

/// The path of the `rel="next"` link of an answer, if any.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::LINK)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.ends_with("rel=\"next\""))
        .map(|v| {
            let url = v.trim_start_matches('<').split('>').next().unwrap();
            let at = url.find("/data/").unwrap();
            url[at..].to_owned()
        })
}

/// A table, read by the `csv` crate: its header and its rows as maps by column.
fn table(body: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            assert_eq!(record.len(), header.len(), "a row without every column");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

fn error_message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap();
    value["errors"][0]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_places_map_is_a_feature_collection_of_points_longitude_first_named_as_the_graph() {
    for app in apps().await {
        let label = app.test_db.label;
        // A tip hidden by a moderator hides the tip, not its place.
        let slug = "marche-saint-aubin";
        let graph = query(
            &app,
            "query($s: String!) { place(slug: $s) { id name location { latitude longitude address } categories { slug } publishers { slug } } places { totalCount } }",
            json!({ "s": slug }),
        )
        .await;
        let expected = &graph["data"]["place"];
        let (ana, _) = register(&app, "ana@example.org").await;
        create(
            &app,
            "moderation@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let moderator = access_of(&app, "moderation@example.org").await;
        let (_, tip) = run(
            &app,
            Some(&ana),
            "mutation($p: ID!, $t: String!) { addTip(placeId: $p, text: $t) { tip { id } } }",
            json!({ "p": expected["id"], "t": "Venir tôt pour les fleurs." }),
        )
        .await;
        let (_, hidden) = run(
            &app,
            Some(&moderator),
            "mutation($t: ID!) { hideTip(tipId: $t) { tip { hidden } } }",
            json!({ "t": tip["data"]["addTip"]["tip"]["id"] }),
        )
        .await;
        assert_eq!(hidden["data"]["hideTip"]["tip"]["hidden"], true, "{hidden}");

        let (status, headers, body) = get(&app, "/data/places.geojson", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
        let (features, members) = features(&body);
        assert_eq!(
            features.len() as u64,
            graph["data"]["places"]["totalCount"].as_u64().unwrap(),
            "{label}: every place is on the map"
        );
        assert!(
            members["license"]["url"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
        assert!(members["attribution"].as_str().is_some());
        assert!(!body.contains("\"crs\""), "RFC 7946 has no crs member");
        let market = features
            .iter()
            .find(|f| property(f, "slug") == slug)
            .unwrap_or_else(|| panic!("{label}: the place with a hidden tip is missing"));
        assert_eq!(feature_id(market), expected["id"].as_str().unwrap());
        let (longitude, latitude) = point(market).unwrap();
        assert_eq!(
            longitude,
            expected["location"]["longitude"].as_f64().unwrap()
        );
        assert_eq!(latitude, expected["location"]["latitude"].as_f64().unwrap());
        assert_eq!(property(market, "name"), &expected["name"]);
        // The properties come in the order of the places table's columns, the id taken out.
        let order = market.properties.as_ref().unwrap().keys().take(3);
        assert_eq!(
            order.map(String::as_str).collect::<Vec<_>>(),
            ["slug", "name", "description"],
            "{label}"
        );
        assert!(body.contains(r#""properties":{"slug":"#), "{label}");
        assert_eq!(
            property(market, "address"),
            &expected["location"]["address"]
        );
        let slugs = |list: &Value| -> Vec<Value> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|c| c["slug"].clone())
                .collect()
        };
        assert_eq!(
            property(market, "categories").as_array().unwrap(),
            &slugs(&expected["categories"])
        );
        assert_eq!(
            property(market, "publishers").as_array().unwrap(),
            &slugs(&expected["publishers"])
        );
        for statistic in ["popularity", "rating", "stats", "checkInCount"] {
            assert!(
                features.iter().all(|f| property(f, statistic).is_null()),
                "{label}: {statistic} is not open data"
            );
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn map_pages_linked_by_rel_next_hold_every_place_exactly_once() {
    for app in apps().await {
        let label = app.test_db.label;
        let (_, _, whole) = get(&app, "/data/places.geojson", &[]).await;
        let everything: Vec<String> = features(&whole).0.iter().map(feature_id).collect();
        let mut seen = Vec::new();
        let mut next = Some("/data/places.geojson?limit=7&category=culture".to_owned());
        let (_, _, culture) = get(&app, "/data/places.geojson?category=culture", &[]).await;
        let culture: Vec<String> = features(&culture).0.iter().map(feature_id).collect();
        assert!(
            culture.len() > 7 && culture.len() < everything.len(),
            "{label}"
        );
        let mut pages = 0;
        while let Some(path) = next {
            let (status, headers, body) = get(&app, &path, &[]).await;
            assert_eq!(status, StatusCode::OK, "{label}: {body}");
            let (page, members) = features(&body);
            assert!(page.len() <= 7);
            assert_eq!(members["numberReturned"], page.len());
            seen.extend(page.iter().map(feature_id));
            next = next_link(&headers);
            // The body names the next page too, for web pages, which also may read the header.
            let in_body = members.get("links").and_then(|l| l[0]["href"].as_str());
            assert_eq!(
                in_body.map(|url| &url[url.find("/data/").unwrap()..]),
                next.as_deref(),
                "{label}"
            );
            let exposed = headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .unwrap();
            assert!(exposed.contains("link"), "{label}");
            pages += 1;
        }
        assert_eq!(pages, culture.len().div_ceil(7), "{label}");
        assert_eq!(
            seen, culture,
            "{label}: the pages hold the list in order, once"
        );
        let (status, _, body) = get(&app, "/data/places.geojson?limit=5001", &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(error_message(&body).contains("`limit`"), "{body}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn near_lists_places_nearest_first_with_their_distance_as_the_graph_measures_it() {
    for app in apps().await {
        let label = app.test_db.label;
        let graph = query(
            &app,
            "{ places(first: 100, filter: { near: { latitude: 43.6045, longitude: 1.444, radiusMeters: 1500 } }) { edges { distanceMeters node { id } } } }",
            json!({}),
        )
        .await;
        let edges = graph["data"]["places"]["edges"].as_array().unwrap();
        assert!(!edges.is_empty());
        let (status, _, body) =
            get(&app, "/data/places.geojson?near=43.6045,1.444,1500", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let near = features(&body).0;
        let ids: Vec<String> = near.iter().map(feature_id).collect();
        let expected: Vec<String> = edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, expected, "{label}: nearest first, as the graph");
        for (feature, edge) in near.iter().zip(edges) {
            assert_eq!(property(feature, "distanceMeters"), &edge["distanceMeters"]);
            assert!(property(feature, "distanceMeters").as_f64().unwrap() <= 1500.0);
        }
        // By name within the circle, on request.
        let (_, _, body) = get(
            &app,
            "/data/places.geojson?near=43.6045,1.444,1500&order=name",
            &[],
        )
        .await;
        let by_name: HashSet<String> = features(&body).0.iter().map(feature_id).collect();
        assert_eq!(by_name, ids.iter().cloned().collect::<HashSet<_>>());
        // Tables take the same parameters.
        let (status, _, body) = get(&app, "/data/places.csv?near=43.6045,1.444,1500", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let (header, rows) = table(&body);
        assert_eq!(header.last().unwrap(), "distanceMeters");
        let csv_ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
        assert_eq!(
            csv_ids,
            expected.iter().map(String::as_str).collect::<Vec<_>>()
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn bad_parameters_are_a_400_that_names_them() {
    for app in apps().await {
        for (path, named) in [
            ("/data/places.geojson?color=red", "`color`"),
            ("/data/places.geojson?near=43.6", "`near`"),
            ("/data/places.geojson?order=DISTANCE", "`order=DISTANCE`"),
            ("/data/places.geojson?order=POPULARITY", "`order`"),
            ("/data/places.geojson?limit=0", "`limit`"),
            ("/data/events.geojson?startsAfter=tomorrow", "not valid"),
            ("/data/events.csv?limit=10", "`limit`"),
            ("/data/news.csv?statuses=DRAFT", "`statuses`"),
            ("/data/places.csv?accessibility=flying", "not valid"),
        ] {
            let (status, headers, body) = get(&app, path, &[]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/json");
            let message = error_message(&body);
            assert!(message.contains(named), "{path}: {message}");
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_events_map_shows_each_event_once_at_its_venue_and_online_events_without_geometry() {
    for app in apps().await {
        let label = app.test_db.label;
        let graph = query(
            &app,
            "{ events(first: 100) { totalCount edges { occurrence { startsAt } node { id slug venue { location { latitude longitude } } } } } }",
            json!({}),
        )
        .await;
        let edges = graph["data"]["events"]["edges"].as_array().unwrap();
        let (status, headers, body) = get(&app, "/data/events.geojson", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        let (map, _) = features(&body);
        assert_eq!(
            map.len() as u64,
            graph["data"]["events"]["totalCount"].as_u64().unwrap()
        );
        for (feature, edge) in map.iter().zip(edges) {
            let node = &edge["node"];
            assert_eq!(
                feature_id(feature),
                node["id"].as_str().unwrap(),
                "{label}: the agenda's order"
            );
            assert_eq!(
                property(feature, "startsAt"),
                &edge["occurrence"]["startsAt"]
            );
            let location = &node["venue"]["location"];
            match point(feature) {
                Some((longitude, latitude)) => {
                    assert_eq!(longitude, location["longitude"].as_f64().unwrap());
                    assert_eq!(latitude, location["latitude"].as_f64().unwrap());
                }
                None => assert!(node["venue"].is_null(), "{label}: {}", node["slug"]),
            }
        }
        let online = map
            .iter()
            .find(|f| property(f, "slug") == "webinaire-demarches-en-ligne")
            .unwrap();
        assert!(
            online.geometry.is_none(),
            "{label}: an online event is not on the map"
        );
        assert_eq!(property(online, "attendanceMode"), "ONLINE");
        // Filters are the graph's.
        let (_, _, body) = get(
            &app,
            "/data/events.geojson?category=event-food-market&freeOnly",
            &[],
        )
        .await;
        let markets: Vec<String> = features(&body).0.iter().map(feature_id).collect();
        let graph = query(
            &app,
            "{ events(first: 100, filter: { categories: [\"event-food-market\"], freeOnly: true }) { nodes { id } } }",
            json!({}),
        )
        .await;
        let expected: Vec<String> = graph["data"]["events"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(markets, expected, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_places_table_is_rfc_4180_with_its_licence_and_quoted_fields_read_back_whole() {
    for app in apps().await {
        let label = app.test_db.label;
        let tricky = "Halle, \"grande\" salle;\r\nsecond line — été";
        let halle = place::Entity::find()
            .filter(place::Column::Slug.eq("halle-aux-grains"))
            .one(app.db.connection())
            .await
            .unwrap()
            .unwrap();
        let mut edit = halle.into_active_model();
        edit.description = Set(tricky.to_owned());
        edit.update(app.db.connection()).await.unwrap();
        let (status, headers, body) = get(&app, "/data/places.csv", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/csv; charset=utf-8; header=present"
        );
        let links: Vec<&str> = headers
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            links
                .iter()
                .any(|l| l.ends_with("; rel=\"license\"") && l.starts_with("<https://")),
            "{label}: {links:?}"
        );
        assert!(
            body.starts_with("id,slug,name,description,categories,latitude,longitude,address,")
        );
        assert!(body.ends_with("\r\n"));
        let outside_quotes = body.replace(tricky.replace('"', "\"\"").as_str(), "");
        assert!(
            !outside_quotes.replace("\r\n", "").contains('\n'),
            "{label}: every line ends with CRLF"
        );
        let (header, rows) = table(&body);
        assert!(!header.contains(&"popularity".to_owned()));
        let graph = query(&app, "{ places { totalCount } place(slug: \"halle-aux-grains\") { id categories { slug } } }", json!({})).await;
        assert_eq!(
            rows.len() as u64,
            graph["data"]["places"]["totalCount"].as_u64().unwrap()
        );
        let row = rows
            .iter()
            .find(|r| r["slug"] == "halle-aux-grains")
            .unwrap();
        assert_eq!(
            row["description"], tricky,
            "{label}: quoted fields round-trip"
        );
        assert_eq!(row["id"], graph["data"]["place"]["id"].as_str().unwrap());
        let categories: Vec<&str> = graph["data"]["place"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap())
            .collect();
        assert_eq!(row["categories"], categories.join(";"));
        assert!(row["latitude"].parse::<f64>().is_ok());
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_events_table_has_one_row_per_date_cancelled_ones_included() {
    for app in apps().await {
        let label = app.test_db.label;
        let (status, headers, body) = get(&app, "/data/events.csv", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        let (header, rows) = table(&body);
        assert_eq!(&header[..3], ["id", "slug", "title"]);
        let occurrences: HashSet<&str> = rows.iter().map(|r| r["occurrence"].as_str()).collect();
        assert_eq!(occurrences.len(), rows.len(), "{label}: each date once");
        let market: Vec<&HashMap<String, String>> = rows
            .iter()
            .filter(|r| r["slug"] == "marche-plein-vent-saint-aubin")
            .collect();
        let graph = query(
            &app,
            "{ event(slug: \"marche-plein-vent-saint-aubin\") { id occurrences(first: 100) { nodes { id startsAt status } } } }",
            json!({}),
        )
        .await;
        let dates = graph["data"]["event"]["occurrences"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(market.len(), dates.len(), "{label}: one row per date");
        for (row, date) in market.iter().zip(dates) {
            assert_eq!(row["occurrence"], date["id"].as_str().unwrap());
            assert_eq!(row["startsAt"], date["startsAt"].as_str().unwrap());
            assert_eq!(row["occurrenceStatus"], date["status"].as_str().unwrap());
            assert_eq!(row["id"], graph["data"]["event"]["id"].as_str().unwrap());
            assert_eq!(row["venue"], "marche-saint-aubin");
        }
        assert_eq!(
            market
                .iter()
                .filter(|r| r["occurrenceStatus"] == "CANCELLED")
                .count(),
            1,
            "{label}: the cancelled date is listed, marked"
        );
        let starts: Vec<&str> = rows.iter().map(|r| r["startsAt"].as_str()).collect();
        assert!(starts.is_sorted(), "{label}: in start order");
        // The span is the filter's.
        let (_, _, body) = get(&app, "/data/events.csv?window=TODAY", &[]).await;
        let (_, today) = table(&body);
        assert!(today.len() < rows.len(), "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_news_table_holds_published_articles_only_with_the_graphs_filters() {
    for app in apps().await {
        let label = app.test_db.label;
        let hidden: Vec<String> = article::Entity::find()
            .filter(article::Column::Status.is_in(["DRAFT", "SCHEDULED"]))
            .all(app.db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.slug)
            .collect();
        assert!(hidden.len() >= 3);
        let (status, _, body) = get(&app, "/data/news.csv", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let (_, rows) = table(&body);
        let graph = query(
            &app,
            "{ news(first: 100) { totalCount nodes { slug body } } }",
            json!({}),
        )
        .await;
        let nodes = graph["data"]["news"]["nodes"].as_array().unwrap();
        let slugs: Vec<&str> = rows.iter().map(|r| r["slug"].as_str()).collect();
        let expected: Vec<&str> = nodes.iter().map(|n| n["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, expected, "{label}: the graph's news, latest first");
        for slug in &hidden {
            assert!(
                !slugs.contains(&slug.as_str()),
                "{label}: {slug} is not published"
            );
        }
        assert!(rows.iter().all(|r| r["status"] == "PUBLISHED"));
        // Markdown bodies, with their line ends, read back whole.
        assert!(nodes[0]["body"].as_str().unwrap().contains('\n'));
        assert_eq!(rows[0]["body"], nodes[0]["body"].as_str().unwrap());
        let (_, _, body) = get(&app, "/data/news.csv?organization=toulouse-metropole", &[]).await;
        let (_, metropole) = table(&body);
        assert!(
            !metropole.is_empty() && metropole.len() < rows.len(),
            "{label}"
        );
        assert!(metropole.iter().all(|r| {
            r["publishers"]
                .split(';')
                .any(|p| p == "toulouse-metropole")
        }));
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_client_holding_the_current_export_gets_304_and_a_change_makes_a_new_one() {
    for app in apps().await {
        let label = app.test_db.label;
        for path in [
            "/data/places.geojson?limit=3",
            "/data/places.csv",
            "/data/news.csv",
        ] {
            let (status, headers, _) = get(&app, path, &[]).await;
            assert_eq!(status, StatusCode::OK);
            let etag = headers[header::ETAG].to_str().unwrap().to_owned();
            let (status, _, body) = get(&app, path, &[("if-none-match", &etag)]).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{label}: {path}");
            assert!(body.is_empty());
        }
        let (_, headers, _) = get(&app, "/data/places.csv", &[]).await;
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let event = event::Entity::find()
            .one(app.db.connection())
            .await
            .unwrap()
            .unwrap();
        create(
            &app,
            "editor@example.org",
            Role::Editor,
            &["ville-de-toulouse", "toulouse-metropole"],
        )
        .await;
        let editor = access_of(&app, "editor@example.org").await;
        let id = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("Event:{}", event.id.simple()))
        };
        let (_, cancelled) = run(
            &app,
            Some(&editor),
            "mutation($id: ID!, $v: Int!) { cancelEvent(id: $id, version: $v) { event { status } } }",
            json!({ "id": id, "v": event.version }),
        )
        .await;
        assert!(cancelled["errors"].is_null(), "{label}: {cancelled}");
        // On PostgreSQL a change counts once every older transaction of the server has
        // ended (other tests share it): the validators follow within moments.
        let mut status = StatusCode::NOT_MODIFIED;
        for _ in 0..100 {
            (status, _, _) = get(&app, "/data/places.csv", &[("if-none-match", &etag)]).await;
            if status != StatusCode::NOT_MODIFIED {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            status,
            StatusCode::OK,
            "{label}: a public change makes a new answer"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn tables_longer_than_a_chunk_hold_every_row_exactly_once_in_the_graphs_order() {
    use capitole_persistence::entities::event_occurrence;
    use capitole_persistence::sea_orm::PaginatorTrait;
    use capitole_persistence::seed::{CommunitySize, SyntheticSize, synthetic_sized};
    // More than two chunks of 500 places, more than one of dates and of articles.
    let size = SyntheticSize {
        places: 1_100,
        events: 250,
        articles: 520,
        community: CommunitySize {
            users: 0,
            tips: 0,
            check_ins: 0,
        },
    };
    for app in apps().await {
        let label = app.test_db.label;
        synthetic_sized(&app.db, size, 5, chrono::Utc::now(), super::PARIS)
            .await
            .unwrap();
        let totals = query(
            &app,
            "{ places { totalCount } news { totalCount } }",
            json!({}),
        )
        .await;

        let (status, _, body) = get(&app, "/data/places.csv", &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let (_, places) = table(&body);
        assert_eq!(
            places.len() as u64,
            totals["data"]["places"]["totalCount"].as_u64().unwrap()
        );
        assert!(places.len() > 1_000);
        let ids: HashSet<&str> = places.iter().map(|r| r["id"].as_str()).collect();
        assert_eq!(ids.len(), places.len(), "{label}: each place once");

        let after = "2000-01-01T00:00:00Z";
        let (_, _, body) = get(&app, &format!("/data/events.csv?startsAfter={after}"), &[]).await;
        let (_, dates) = table(&body);
        let stored = event_occurrence::Entity::find()
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(dates.len() as u64, stored, "{label}: every date");
        assert!(dates.len() > 500, "{label}: {}", dates.len());
        let occurrences: HashSet<&str> = dates.iter().map(|r| r["occurrence"].as_str()).collect();
        assert_eq!(occurrences.len(), dates.len(), "{label}: each date once");

        let (_, _, body) = get(&app, "/data/news.csv", &[]).await;
        let (_, news) = table(&body);
        assert_eq!(
            news.len() as u64,
            totals["data"]["news"]["totalCount"].as_u64().unwrap()
        );
        assert!(news.len() > 500, "{label}");
        let published: Vec<&str> = news.iter().map(|r| r["publishedAt"].as_str()).collect();
        assert!(
            published.is_sorted_by(|a, b| a >= b),
            "{label}: latest first"
        );
        app.test_db.remove().await;
    }
}
