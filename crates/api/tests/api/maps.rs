//! Maps: places and events within a viewport, and places clustered for a zoomed-out map,
//! on both databases.

use serde_json::{Value, json};

use capitole_domain::access::Role;

use super::accounts::{access_of, create, run};
use super::apps;

/// Around the centre of Toulouse.
fn centre() -> Value {
    json!({ "southWest": { "latitude": 43.59, "longitude": 1.42 }, "northEast": { "latitude": 43.62, "longitude": 1.46 } })
}

#[tokio::test]
async fn a_viewport_keeps_what_is_inside_and_clusters_count_every_place_once() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (_, body) = run(&app, None, "query($b: BoundingBoxInput) { places(filter: { bbox: $b }, first: 100) { totalCount nodes { location { latitude longitude } } } }", json!({ "b": centre() })).await;
        let inside = body["data"]["places"]["totalCount"].as_i64().unwrap();
        let (_, all) = run(&app, None, "{ places { totalCount } }", json!({})).await;
        let every = all["data"]["places"]["totalCount"].as_i64().unwrap();
        assert!(
            inside > 10 && inside < every,
            "{label}: {inside} of {every}"
        );
        for node in body["data"]["places"]["nodes"].as_array().unwrap() {
            let (lat, lon) = (
                node["location"]["latitude"].as_f64().unwrap(),
                node["location"]["longitude"].as_f64().unwrap(),
            );
            assert!(
                (43.59..=43.62).contains(&lat) && (1.42..=1.46).contains(&lon),
                "{label}"
            );
        }
        let (_, events) = run(&app, None, "query($b: BoundingBoxInput) { events(filter: { bbox: $b }, first: 100) { nodes { venue { location { latitude } } } } }", json!({ "b": centre() })).await;
        let events = events["data"]["events"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert!(!events.is_empty(), "{label}");
        assert!(
            events.iter().all(|e| e["venue"]["location"]["latitude"]
                .as_f64()
                .is_some_and(|l| (43.59..=43.62).contains(&l))),
            "{label}"
        );

        let clusters = "query($b: BoundingBoxInput!, $z: Int!, $f: PlaceFilter) { placeClusters(bbox: $b, zoom: $z, filter: $f) { count center { latitude longitude } sample { name } } }";
        for zoom in [10, 13, 16] {
            let (_, body) = run(&app, None, clusters, json!({ "b": centre(), "z": zoom })).await;
            let found = body["data"]["placeClusters"]
                .as_array()
                .unwrap_or_else(|| panic!("{label}: {body}"));
            let sum: i64 = found.iter().map(|c| c["count"].as_i64().unwrap()).sum();
            assert_eq!(sum, inside, "{label}: zoom {zoom}");
            assert!(
                found
                    .windows(2)
                    .all(|w| w[0]["count"].as_i64() >= w[1]["count"].as_i64()),
                "{label}"
            );
            if zoom == 10 {
                assert!(
                    found.len() <= 4,
                    "{label}: {} cells at zoom 10",
                    found.len()
                );
            }
        }
        // A filter narrows the clusters as it narrows the list.
        let museums = json!({ "categories": ["museum"] });
        let (_, listed) = run(&app, None, "query($b: BoundingBoxInput, $c: [String!]) { places(filter: { bbox: $b, categories: $c }) { totalCount } }", json!({ "b": centre(), "c": ["museum"] })).await;
        let (_, body) = run(
            &app,
            None,
            clusters,
            json!({ "b": centre(), "z": 14, "f": museums }),
        )
        .await;
        let sum: i64 = body["data"]["placeClusters"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .iter()
            .map(|c| c["count"].as_i64().unwrap())
            .sum();
        assert_eq!(
            sum,
            listed["data"]["places"]["totalCount"].as_i64().unwrap(),
            "{label}: {listed}"
        );

        let upside_down = json!({ "southWest": { "latitude": 43.62, "longitude": 1.42 }, "northEast": { "latitude": 43.59, "longitude": 1.46 } });
        for variables in [
            json!({ "b": upside_down, "z": 12 }),
            json!({ "b": centre(), "z": 21 }),
            json!({ "b": centre(), "z": 12, "f": { "openNow": true } }),
        ] {
            let (_, body) = run(&app, None, clusters, variables).await;
            assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
        }
        app.test_db.remove().await;
    }
}

const HAPPENING: &str = "query($near: GeoPointInput!, $r: Int, $after: String) { happeningNow(near: $near, radiusMeters: $r, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { distanceMeters endsAt node { __typename ... on Event { id title } ... on Place { id name } } } } }";

#[tokio::test]
async fn happening_now_lists_events_under_way_and_places_open_nearest_first() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let editor = access_of(&app, "ville@example.org").await;
        let (_, body) = run(
            &app,
            None,
            "{ place(slug: \"jardin-des-plantes\") { id location { latitude longitude } } }",
            json!({}),
        )
        .await;
        let place = &body["data"]["place"];
        let near = json!({ "latitude": place["location"]["latitude"], "longitude": place["location"]["longitude"] });
        let now = chrono::Utc::now();
        let at = |days: i64| (now + chrono::Duration::days(days)).to_rfc3339();
        let create_event = |title: &str, starts: String, ends: String| {
            json!({ "input": {
                "title": title, "publishers": ["ville-de-toulouse"], "summary": "Au jardin",
                "description": "Texte.", "categories": ["event-concert"], "isFree": true,
                "venue": place["id"], "occurrences": [{ "startsAt": starts, "endsAt": ends }]
            } })
        };
        let mutation =
            "mutation($input: EventInput!) { createEvent(input: $input) { event { id version } } }";
        let (_, body) = run(
            &app,
            Some(&editor),
            mutation,
            create_event("Exposition sous les arbres", at(-2), at(2)),
        )
        .await;
        let under_way = body["data"]["createEvent"]["event"]["id"].clone();
        let (_, body) = run(
            &app,
            Some(&editor),
            mutation,
            create_event("Concert de demain", at(1), at(2)),
        )
        .await;
        let tomorrow = body["data"]["createEvent"]["event"]["id"].clone();
        let (_, body) = run(
            &app,
            Some(&editor),
            mutation,
            create_event("Fête annulée", at(-1), at(1)),
        )
        .await;
        let cancelled = &body["data"]["createEvent"]["event"];
        let (_, body) = run(
            &app,
            Some(&editor),
            "mutation($id: ID!, $v: Int!) { cancelEvent(id: $id, version: $v) { event { id } } }",
            json!({ "id": cancelled["id"], "v": cancelled["version"] }),
        )
        .await;
        assert!(body["data"]["cancelEvent"].is_object(), "{label}: {body}");

        let (_, body) = run(&app, None, HAPPENING, json!({ "near": near, "r": 2000 })).await;
        let list = &body["data"]["happeningNow"];
        let edges = list["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"));
        let ids: Vec<&Value> = edges.iter().map(|e| &e["node"]["id"]).collect();
        assert!(
            ids.contains(&&under_way),
            "{label}: an exhibition that started two days ago is under way"
        );
        assert!(
            !ids.contains(&&tomorrow) && !ids.contains(&&cancelled["id"]),
            "{label}: {body}"
        );
        let exhibition = edges.iter().find(|e| e["node"]["id"] == under_way).unwrap();
        assert!(
            exhibition["distanceMeters"].as_f64().unwrap() < 1.0,
            "{label}"
        );
        assert!(exhibition["endsAt"].is_string(), "{label}");
        let distances: Vec<f64> = edges
            .iter()
            .map(|e| e["distanceMeters"].as_f64().unwrap())
            .collect();
        assert!(
            distances.windows(2).all(|w| w[0] <= w[1]) && distances.iter().all(|d| *d <= 2000.0),
            "{label}: {distances:?}"
        );
        // The places are those open now in the circle, as `places` counts them.
        let (_, open) = run(&app, None, "query($c: GeoCircleInput) { places(filter: { near: $c, openNow: true }) { totalCount } }", json!({ "c": { "latitude": near["latitude"], "longitude": near["longitude"], "radiusMeters": 2000 } })).await;
        let places = edges
            .iter()
            .filter(|e| e["node"]["__typename"] == "Place")
            .count() as i64;
        assert_eq!(
            places,
            open["data"]["places"]["totalCount"].as_i64().unwrap(),
            "{label}: {open}"
        );
        assert_eq!(
            list["totalCount"].as_i64().unwrap(),
            edges.len() as i64,
            "{label}"
        );

        // Pages follow each other without a gap.
        let (_, first) = run(&app, None, "query($near: GeoPointInput!) { happeningNow(near: $near, radiusMeters: 2000, first: 1) { pageInfo { endCursor } edges { node { ... on Event { id } ... on Place { id } } } } }", json!({ "near": near })).await;
        let cursor = first["data"]["happeningNow"]["pageInfo"]["endCursor"].clone();
        let (_, rest) = run(
            &app,
            None,
            HAPPENING,
            json!({ "near": near, "r": 2000, "after": cursor }),
        )
        .await;
        assert_eq!(
            rest["data"]["happeningNow"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            edges.len() - 1,
            "{label}"
        );

        let (_, body) = run(&app, None, HAPPENING, json!({ "near": near, "r": 6000 })).await;
        assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
        app.test_db.remove().await;
    }
}
