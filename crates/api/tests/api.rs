//! The GraphQL API over its HTTP router, in process, on SQLite and (when configured)
//! PostgreSQL: the wire contract, the public visibility rules and the cost of a page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use capitole_api::{ApiContext, HttpSettings, build_schema};
use capitole_persistence::entities::article;
use capitole_persistence::sea_orm::EntityTrait;
use capitole_persistence::testing::{TestDatabase, databases};
use capitole_persistence::{Database, seed};
use serde_json::{Value, json};
use tower::ServiceExt;

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;
/// Unoptimised test builds take longer than a release build to walk a 100-item page, so
/// batches here wait longer for their keys than the 2 ms default of `capitole serve`.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(25);

struct TestApp {
    router: Router,
    db: Database,
    test_db: TestDatabase,
}

async fn apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    for test_db in databases().await {
        seed::demo(&test_db.db, chrono::Utc::now(), PARIS)
            .await
            .unwrap();
        let settings = HttpSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            body_limit: 64 * 1024,
            graphiql_assets: None,
            cors_origins: vec!["https://app.example.org".into()],
            ..HttpSettings::default()
        };
        let router = capitole_api::http::router(
            ApiContext {
                db: test_db.db.clone(),
                timezone: PARIS,
                batch_delay: BATCH_DELAY,
            },
            &settings,
        );
        out.push(TestApp {
            router,
            db: test_db.db.clone(),
            test_db,
        });
    }
    out
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, headers, value)
}

fn post_json(body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn query(app: &TestApp, query: &str, variables: Value) -> Value {
    let (status, _, body) = send(
        &app.router,
        post_json(&json!({ "query": query, "variables": variables })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn schema_graphql_is_the_exported_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == build_schema().sdl(),
        "schema.graphql is out of date: refresh it with `cargo run -q -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn a_page_costs_the_same_number_of_statements_whatever_its_size() {
    let events = "query($n: Int!) { events(first: $n, filter: { startsAfter: \"2000-01-01T00:00:00Z\" }) { edges { occurrence { startsAt } node { title venue { name location { latitude longitude } } organizer { name } categories { name parent { name } } nextOccurrence { startsAt } } } } }";
    let places = "query($n: Int!) { places(first: $n) { nodes { name categories { name } neighborhood { name } owner { name } upcomingEvents(first: 3) { title } } } }";
    let news = "query($n: Int!) { news(first: $n) { nodes { title publishers { name } neighborhoods { name } relatedEvents { title } relatedPlaces { name } } } }";
    for app in apps().await {
        for (name, text) in [("events", events), ("places", places), ("news", news)] {
            let mut costs = Vec::new();
            for n in [2, 20, 100] {
                let before = app.db.statement_count();
                let body = query(&app, text, json!({ "n": n })).await;
                assert!(body.get("errors").is_none(), "{body}");
                costs.push(app.db.statement_count() - before);
            }
            assert!(
                costs.windows(2).all(|w| w[0] == w[1]),
                "{} {name}: statements per page size {costs:?}",
                app.test_db.label
            );
            assert!(costs[0] <= 12, "{} {name}: {costs:?}", app.test_db.label);
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn page_sizes_outside_one_to_one_hundred_are_refused_with_the_range() {
    for app in apps().await {
        for first in [0, 101, -5] {
            let body = query(
                &app,
                "query($n: Int!) { places(first: $n) { totalCount } }",
                json!({ "n": first }),
            )
            .await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("between 1 and 100"), "{message}");
        }
        let body = query(&app, "{ places(filter: { near: { latitude: 91, longitude: 0, radiusMeters: 10 } }) { totalCount } }", json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let body = query(&app, "{ places(filter: { near: { latitude: 43.6, longitude: 1.44, radiusMeters: 60000 } }) { totalCount } }", json!({})).await;
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("between 1 and 50000"),
            "{body}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn drafts_are_invisible_on_every_path() {
    for app in apps().await {
        let hidden: Vec<article::Model> = article::Entity::find()
            .all(app.db.connection())
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.status == "DRAFT" || a.status == "SCHEDULED")
            .collect();
        assert!(!hidden.is_empty());
        let listed = query(
            &app,
            "{ news(first: 100, filter: { includeArchived: true }) { nodes { slug } } }",
            json!({}),
        )
        .await;
        let listed: Vec<&str> = listed["data"]["news"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].as_str().unwrap())
            .collect();
        for a in &hidden {
            use base64::Engine;
            let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("NewsArticle:{}", a.id.simple()));
            let body = query(
                &app,
                "query($id: ID!, $slug: String!) { node(id: $id) { id } nodes(ids: [$id]) { id } byId: newsArticle(id: $id) { id } bySlug: newsArticle(slug: $slug) { id } }",
                json!({ "id": id, "slug": a.slug }),
            )
            .await;
            assert_eq!(
                body["data"],
                json!({ "node": null, "nodes": [null], "byId": null, "bySlug": null }),
                "{}",
                a.slug
            );
            assert!(!listed.contains(&a.slug.as_str()));
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn node_resolves_every_kind_of_object_and_refuses_foreign_ids() {
    for app in apps().await {
        let body = query(&app, "{ places(first: 1) { nodes { id name } } events(first: 1) { nodes { id title } } news(first: 1) { nodes { id title } } organizations { id name } }", json!({})).await;
        let data = &body["data"];
        let pairs = [
            (
                &data["places"]["nodes"][0]["id"],
                "... on Place { name }",
                &data["places"]["nodes"][0]["name"],
                "name",
            ),
            (
                &data["events"]["nodes"][0]["id"],
                "... on Event { title }",
                &data["events"]["nodes"][0]["title"],
                "title",
            ),
            (
                &data["news"]["nodes"][0]["id"],
                "... on NewsArticle { title }",
                &data["news"]["nodes"][0]["title"],
                "title",
            ),
            (
                &data["organizations"][0]["id"],
                "... on Organization { name }",
                &data["organizations"][0]["name"],
                "name",
            ),
        ];
        for (id, fragment, expected, field) in pairs {
            let text = format!("query($id: ID!) {{ node(id: $id) {{ id {fragment} }} }}");
            let found = query(&app, &text, json!({ "id": id })).await;
            assert_eq!(&found["data"]["node"][field], expected, "{found}");
        }
        let bad = query(&app, "{ node(id: \"bm9wZQ\") { id } }", json!({})).await;
        assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn article_bodies_come_as_markdown_sanitised_html_or_plain_text() {
    for app in apps().await {
        let body = query(&app, "{ news(first: 1) { nodes { md: body html: body(format: HTML) plain: body(format: PLAIN) } } }", json!({})).await;
        let node = &body["data"]["news"]["nodes"][0];
        let html = node["html"].as_str().unwrap();
        assert!(html.starts_with('<'), "{html}");
        assert!(!html.contains("<script"));
        let plain = node["plain"].as_str().unwrap();
        assert!(!plain.contains("**") && !plain.contains('<'), "{plain}");
        assert_ne!(node["md"], node["html"]);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_http_contract_follows_graphql_over_http() {
    for app in apps().await {
        let r = &app.router;
        // A query over GET works; a mutation over GET is refused with 405 and Allow: POST.
        let get = |q: &str| {
            let uri = format!(
                "/graphql?query={}",
                q.replace(' ', "%20")
                    .replace('{', "%7B")
                    .replace('}', "%7D")
            );
            Request::builder()
                .uri(uri)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap()
        };
        let (status, headers, body) = send(r, get("{ organizations { name } }")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
        let (status, headers, _) = send(r, get("mutation { doSomething }")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "POST");

        // Request errors are 4xx without a data key.
        let (status, headers, body) =
            send(r, post_json(&json!({ "query": "{ organizations { name " }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(headers.get_all(header::VARY).iter().any(|v| v == "accept"));
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/graphql-response+json")
        );
        assert!(
            body.get("data").is_none() && body["errors"].is_array(),
            "{body}"
        );
        let (status, _, body) = send(r, post_json(&json!({ "query": "{ noSuchField }" }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.get("data").is_none());
        let raw = |content_type: &str, body: &str| {
            Request::builder()
                .method(Method::POST)
                .uri("/graphql")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_owned()))
                .unwrap()
        };
        assert_eq!(
            send(r, raw("application/json", "{not json")).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            send(
                r,
                raw("text/plain", "{\"query\":\"{ organizations { name } }\"}")
            )
            .await
            .0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let batch = json!([{ "query": "{ organizations { name } }" }, { "query": "{ organizations { name } }" }]);
        assert_eq!(
            send(r, raw("application/json", &batch.to_string())).await.0,
            StatusCode::BAD_REQUEST
        );
        let huge = json!({ "query": format!("{{ organizations {{ name }} }} #{}", "x".repeat(100 * 1024)) });
        assert_eq!(
            send(r, raw("application/json", &huge.to_string())).await.0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let mut unacceptable = post_json(&json!({ "query": "{ organizations { name } }" }));
        unacceptable
            .headers_mut()
            .insert(header::ACCEPT, "text/html".parse().unwrap());
        assert_eq!(send(r, unacceptable).await.0, StatusCode::NOT_ACCEPTABLE);

        // Execution errors keep 200 and data.
        let (status, _, body) = send(
            r,
            post_json(&json!({ "query": "{ places(first: 500) { totalCount } }" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.get("data").is_some() && code(&body) == "BAD_USER_INPUT",
            "{body}"
        );

        // Large answers are gzip-compressed for clients that accept it.
        let mut big =
            post_json(&json!({ "query": "{ places(first: 100) { nodes { name description } } }" }));
        big.headers_mut()
            .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
        let response = r.clone().oneshot(big).await.unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");

        // Health, readiness, metrics, request ids.
        let plain = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
        let (status, headers, _) = send(r, plain("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.contains_key("x-request-id"));
        assert_eq!(send(r, plain("/readyz")).await.0, StatusCode::OK);
        let (_, _, metrics) = send(r, plain("/metrics")).await;
        let metrics = metrics.as_str().unwrap_or_default().to_owned();
        assert!(
            metrics.contains("capitole_db_statements_total"),
            "{metrics}"
        );
        assert!(
            metrics.contains("capitole_graphql_requests_total"),
            "{metrics}"
        );
        let (status, _, page) = send(r, plain("/graphiql")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.as_str().unwrap_or_default().contains("query CityHome"));
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn places_filters_and_orders_answer_as_documented() {
    for app in apps().await {
        let body = query(&app, "{ places(first: 100, orderBy: POPULARITY) { nodes { popularity } } museums: places(first: 100, filter: { categories: [\"culture\"] }) { totalCount nodes { categories { slug parent { slug } } } } open: places(first: 100, filter: { openNow: true }) { nodes { isOpenNow } } }", json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let popularity: Vec<i64> = body["data"]["places"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["popularity"].as_i64().unwrap())
            .collect();
        assert!(popularity.windows(2).all(|w| w[0] >= w[1]));
        assert!(body["data"]["museums"]["totalCount"].as_i64().unwrap() > 0);
        assert!(
            body["data"]["open"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["isOpenNow"] == json!(true))
        );
        let unknown = query(
            &app,
            "{ places(filter: { categories: [\"spaceport\"] }) { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&unknown), "BAD_USER_INPUT");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn graphiql_loads_its_assets_from_a_local_folder_when_configured() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let dir = std::env::temp_dir().join(format!("capitole-graphiql-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("graphiql@4")).unwrap();
    std::fs::write(dir.join("graphiql@4/graphiql.min.js"), "/* graphiql */").unwrap();
    let settings = HttpSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        body_limit: 1024,
        graphiql_assets: Some(dir.clone()),
        cors_origins: Vec::new(),
        ..HttpSettings::default()
    };
    let context = ApiContext {
        db: test_db.db.clone(),
        timezone: PARIS,
        batch_delay: BATCH_DELAY,
    };
    let router = capitole_api::http::router(context, &settings);
    let get = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, _, page) = send(&router, get("/graphiql")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap().to_owned();
    assert!(
        page.contains("src=\"/graphiql/assets/graphiql@4/graphiql.min.js\""),
        "{page}"
    );
    assert!(!page.contains("unpkg.com"));
    let (status, _, script) =
        send(&router, get("/graphiql/assets/graphiql@4/graphiql.min.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(script, json!("/* graphiql */"));
    assert_eq!(
        send(&router, get("/graphiql/assets/../Cargo.toml")).await.0,
        StatusCode::NOT_FOUND
    );
    std::fs::remove_dir_all(dir).unwrap();
    test_db.remove().await;
}
