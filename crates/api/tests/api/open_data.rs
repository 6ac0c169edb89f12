//! What every open format shares, seen through the news feed: conditional requests
//! answered from the change log, validators that a public write changes, budgets charged to
//! the caller, and answers any web page may read.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{self, NewChange};
use serde_json::Value;
use tower::ServiceExt;

use super::responses::public_change;
use super::{HttpSettings, apps, budget, limited_app};

const FEED: &str = "/feeds/news.atom?limit=5";

async fn get(
    router: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn exports_revalidate_by_tag_and_by_date_until_a_public_write() {
    for app in apps().await {
        let label = &app.test_db.label;
        super::clear_of_the_minute_turn().await;
        let (status, headers, body) = get(&app.router, FEED, &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert!(!body.is_empty());
        let etag = text(&headers, header::ETAG).to_owned();
        let modified = text(&headers, header::LAST_MODIFIED).to_owned();
        assert!(etag.starts_with("W/\""), "{label}: {etag}");
        assert_eq!(text(&headers, header::CACHE_CONTROL), "public, max-age=60");
        assert_eq!(text(&headers, header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");

        // The tag held, alone or in a list, and the date held: 304 with no body.
        let listed = format!("W/\"other\", {etag}");
        for held in [
            ("if-none-match", etag.as_str()),
            ("if-none-match", listed.as_str()),
            ("if-modified-since", modified.as_str()),
        ] {
            let (status, again, body) = get(&app.router, FEED, &[held]).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{label}: {held:?}");
            assert!(body.is_empty(), "{label}: a 304 has no body");
            assert_eq!(text(&again, header::ETAG), etag, "{label}");
        }
        // Another tag, or an older date: the whole answer.
        let (status, _, _) = get(&app.router, FEED, &[("if-none-match", "W/\"other\"")]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let (status, _, _) = get(
            &app.router,
            FEED,
            &[("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}");
        // Another query is another answer, with a tag of its own.
        let (_, other, _) = get(&app.router, "/feeds/news.atom?limit=4", &[]).await;
        assert_ne!(text(&other, header::ETAG), etag, "{label}");

        // A write that the public could see ends the 304s; one it could not see does not.
        let change = |public| NewChange {
            kind: ItemKind::Article,
            id: uuid::Uuid::now_v7(),
            change: ChangeKind::Updated,
            version: 2,
            organization: None,
            public,
            at: chrono::Utc::now(),
        };
        changes::append(app.db.connection(), &change(false))
            .await
            .unwrap();
        let (status, _, _) = get(&app.router, FEED, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{label}: a private write");
        changes::append(app.db.connection(), &change(true))
            .await
            .unwrap();
        // On PostgreSQL a change counts once every older transaction of the server has
        // ended, and other tests share the server: wait for them, boundedly.
        let mut answer = get(&app.router, FEED, &[("if-none-match", &etag)]).await;
        for _ in 0..100 {
            if answer.0 != StatusCode::NOT_MODIFIED {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            answer = get(&app.router, FEED, &[("if-none-match", &etag)]).await;
        }
        let (status, headers, _) = answer;
        assert_eq!(status, StatusCode::OK, "{label}: a public write");
        assert_ne!(text(&headers, header::ETAG), etag, "{label}");
    }
}

#[tokio::test]
async fn exports_are_charged_to_the_callers_budget_and_refused_once_it_is_spent() {
    let settings = HttpSettings {
        rate_limit: budget(3),
        ..HttpSettings::default()
    };
    let (router, _db) = limited_app(settings).await;
    for remaining in [2, 1, 0] {
        let (status, headers, _) = get(&router, FEED, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let state = headers["ratelimit"].to_str().unwrap();
        assert!(state.contains(&format!(";r={remaining};")), "{state}");
    }
    // A revalidation costs its point too: the budget is spent.
    let (status, headers, body) = get(&router, FEED, &[("if-none-match", "W/\"x\"")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn export_errors_are_json_in_the_graphs_shape_and_readable_by_any_page() {
    for app in apps().await {
        let (status, headers, body) = get(&app.router, "/feeds/news.atom?colour=red", &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(text(&headers, header::CONTENT_TYPE), "application/json");
        assert_eq!(text(&headers, header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("`colour`"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_export_is_rendered_once_for_each_state_of_the_public_data() {
    use capitole_persistence::sea_orm::ConnectionTrait;
    const MAP: &str = "/data/places.geojson?limit=3";
    for app in apps().await {
        let label = &app.test_db.label;
        let (status, headers, first) = get(&app.router, MAP, &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let etag = text(&headers, header::ETAG).to_owned();

        // Places renamed behind Capitole's back, with no entry in the change log: the
        // answer made for this state of the public data is given again, as it was.
        app.db
            .connection()
            .execute_unprepared("UPDATE places SET name = name || ' (renamed)'")
            .await
            .unwrap();
        let (status, again, second) = get(&app.router, MAP, &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(second, first, "{label}: the same answer");
        assert_eq!(text(&again, header::ETAG), etag, "{label}");
        assert_eq!(text(&again, header::CONTENT_TYPE), "application/geo+json");
        assert!(
            again.get_all(header::LINK).iter().count() >= 2,
            "{label}: the kept answer keeps its links (next page, licence)"
        );
        // Compressed for a client that asks, the same body once decoded.
        for _ in 0..2 {
            let (_, zipped, bytes) = get(&app.router, MAP, &[("accept-encoding", "gzip")]).await;
            assert_eq!(text(&zipped, header::CONTENT_ENCODING), "gzip", "{label}");
            let mut decoded = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut decoded)
                .unwrap();
            assert_eq!(decoded, first, "{label}");
        }

        // A public change in the log: the answer is made again, from the data as it is.
        changes::append(app.db.connection(), &public_change(ItemKind::Place))
            .await
            .unwrap();
        let mut answer = get(&app.router, MAP, &[]).await;
        for _ in 0..100 {
            if answer.2 != first {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            answer = get(&app.router, MAP, &[]).await;
        }
        let (status, headers, body) = answer;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_ne!(text(&headers, header::ETAG), etag, "{label}");
        let map: Value = serde_json::from_slice(&body).unwrap();
        let names: Vec<&str> = map["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "{label}");
        assert!(
            names.iter().all(|name| name.ends_with(" (renamed)")),
            "{label}: {names:?}"
        );
    }
}

#[tokio::test]
async fn places_open_now_change_with_the_minute() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (_, open_now, _) = get(&app.router, "/data/places.geojson?openNow=true", &[]).await;
        assert_eq!(
            text(&open_now, header::CACHE_CONTROL),
            "public, max-age=60",
            "{label}"
        );
        let (_, all, _) = get(&app.router, "/data/places.geojson?openNow=false", &[]).await;
        assert_eq!(
            text(&all, header::CACHE_CONTROL),
            "public, max-age=300",
            "{label}"
        );
    }
}

#[tokio::test]
async fn exports_speak_the_language_their_address_asks_for() {
    use super::accounts::{city_editor, run};
    use serde_json::json;

    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }",
            json!({ "input": {
                "name": "Bibliothèque des Izards",
                "description": "Une bibliothèque de quartier.",
                "location": { "latitude": 43.63, "longitude": 1.43, "address": "Rue des Izards", "postalCode": "31200", "city": "Toulouse" },
                "categories": ["library"],
                "publishers": ["ville-de-toulouse"]
            } }),
        )
        .await;
        let place = made["data"]["createPlace"]["place"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {made}"))
            .to_owned();
        let starts = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let ends = (chrono::Utc::now() + chrono::Duration::days(3) + chrono::Duration::hours(2))
            .to_rfc3339();
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: EventInput!) { createEvent(input: $input) { event { id slug } } }",
            json!({ "input": {
                "title": "Heure du conte aux Izards",
                "summary": "Des histoires pour les petits.",
                "publishers": ["ville-de-toulouse"],
                "categories": ["event-concert"],
                "venue": place,
                "occurrences": [{ "startsAt": starts, "endsAt": ends }]
            } }),
        )
        .await;
        let event = &made["data"]["createEvent"]["event"];
        let (event_id, slug) = (
            event["id"].as_str().unwrap().to_owned(),
            event["slug"].as_str().unwrap().to_owned(),
        );
        let translate = "mutation($id: ID!, $texts: TranslationInput!) { setTranslation(itemId: $id, version: 1, language: \"en\", texts: $texts) { place { version } event { version } } }";
        for (id, texts) in [
            (&place, json!({ "name": "Izards Library" })),
            (&event_id, json!({ "title": "Story time at the Izards" })),
        ] {
            let (_, set) = run(
                &app,
                Some(&editor),
                translate,
                json!({ "id": id, "texts": texts }),
            )
            .await;
            assert!(set["errors"].is_null(), "{label}: {set}");
        }

        // A table read by the `csv` crate: the translated name in English, the original in
        // French and in Spanish, which has no translation.
        let name_in = |language: &'static str| {
            let router = app.router.clone();
            async move {
                let uri = format!("/data/places.csv?search=izards&language={language}");
                let (status, headers, body) = get(&router, &uri, &[]).await;
                assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
                assert_eq!(text(&headers, header::CONTENT_LANGUAGE), language);
                let mut reader = csv::Reader::from_reader(&body[..]);
                let headers = reader.headers().unwrap().clone();
                let column = headers.iter().position(|h| h == "name").unwrap();
                let names: Vec<String> = reader
                    .records()
                    .map(|r| r.unwrap()[column].to_owned())
                    .collect();
                names
            }
        };
        assert_eq!(name_in("en").await, ["Izards Library"], "{label}");
        assert_eq!(name_in("fr").await, ["Bibliothèque des Izards"], "{label}");
        assert_eq!(name_in("es").await, ["Bibliothèque des Izards"], "{label}");

        // The event's calendar, read by the `icalendar` crate's parser: its summary and its
        // venue in English.
        let (status, _, body) =
            get(&app.router, &format!("/events/{slug}.ics?language=en"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let text = String::from_utf8(body).unwrap();
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
        let vevent = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .unwrap_or_else(|| panic!("{label}: {text}"));
        let property = |name: &str| {
            vevent
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
                .unwrap_or_default()
        };
        assert_eq!(property("SUMMARY"), "Story time at the Izards", "{label}");
        assert!(
            property("LOCATION").starts_with("Izards Library"),
            "{label}: {text}"
        );

        // A language Capitole does not publish is a 400 that names the parameter.
        let (status, _, body) = get(&app.router, "/data/places.csv?language=de", &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{label}");
        let error: Value = serde_json::from_slice(&body).unwrap();
        let message = error["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("`language`"), "{label}: {message}");
    }
}
