//! What phones and CDNs may keep of `/graphql`'s answers: automatic persisted queries (a
//! GET by hash), `Cache-Control` from the cache hints of the fields asked and from who asks,
//! `Vary`, `ETag` with 304, and compressed bodies (brotli and gzip) with tags of their own.

use std::io::Read;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use capitole_api::HttpSettings;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use super::accounts::app_token;
use super::{apps, budget, code, limited_app, limited_router, send, test_redis_url};

const VARY: &str = "Accept, Authorization, Accept-Encoding, Save-Data, Accept-Language";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A GET of `/graphql` with these query-string parameters and headers.
pub(super) fn get(
    params: &[(&str, &str)],
    headers: &[(header::HeaderName, &str)],
) -> Request<Body> {
    let query = serde_urlencoded::to_string(params).unwrap();
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(format!("/graphql?{query}"))
        .header(header::ACCEPT, "application/graphql-response+json");
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    builder.body(Body::empty()).unwrap()
}

/// A GET of `query`, anonymous.
fn get_query(query: &str) -> Request<Body> {
    get(&[("query", query)], &[])
}

/// A GET naming a persisted query by its hash only.
fn get_by_hash(hash: &str) -> Request<Body> {
    get(&[("extensions", &persisted(hash).to_string())], &[])
}

/// A POST of this body, accepting `accept`.
fn post(body: &Value, accept: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, accept)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn cache_control(headers: &HeaderMap) -> &str {
    headers
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The status, headers and raw body bytes of an answer.
async fn raw(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

const ORGANIZATIONS: &str = "{ organizations { name } }";

#[tokio::test]
async fn persisted_queries_are_registered_found_by_hash_and_refused_when_the_hash_lies() {
    for app in apps().await {
        let r = &app.router;
        let hash = sha256(ORGANIZATIONS);

        // Unknown hash: the error Apollo clients answer by sending the document; 400 under
        // the GraphQL response type, 200 to clients that accept only JSON; never stored.
        let (status, headers, body) = send(
            r,
            post(
                &json!({ "extensions": persisted(&hash) }),
                "application/graphql-response+json",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
        assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(cache_control(&headers), "no-store");
        let (status, headers, body) = send(r, get_by_hash(&hash)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
        assert_eq!(
            cache_control(&headers),
            "no-store",
            "a CDN must not keep a miss"
        );
        let (status, _, body) = send(
            r,
            post(
                &json!({ "extensions": persisted(&hash) }),
                "application/json",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");

        // A hash that is not the document's: 400, and nothing is registered under either.
        let wrong = sha256("{ neighborhoods { name } }");
        let (status, _, body) = send(
            r,
            post(
                &json!({ "query": ORGANIZATIONS, "extensions": persisted(&wrong) }),
                "application/graphql-response+json",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("sha256Hash")
        );
        for unknown in [&wrong, &hash] {
            let (_, _, body) = send(r, get_by_hash(unknown)).await;
            assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
        }
        // A malformed extension names itself.
        let (status, _, body) = send(r, get_by_hash("not-a-hash")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("extensions.persistedQuery.sha256Hash"),
            "{body}"
        );

        // The document with its hash runs and registers it; then a GET by hash alone runs
        // it, publicly cacheable.
        let (status, headers, body) = send(
            r,
            post(
                &json!({ "query": ORGANIZATIONS, "extensions": persisted(&hash) }),
                "application/graphql-response+json",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
        assert_eq!(
            cache_control(&headers),
            "no-store",
            "POST answers are not kept"
        );
        let (status, headers, body) = send(r, get_by_hash(&hash.to_uppercase())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["organizations"].as_array().unwrap().len(), 2);
        assert_eq!(cache_control(&headers), "public, max-age=300");
        assert!(headers.contains_key(header::ETAG));

        // A mutation registered over POST still cannot run over GET, even by hash.
        let mutation = "mutation { deleteMyAccount(password: \"x\") { deletedId } }";
        let mutation_hash = sha256(mutation);
        let (status, _, body) = send(
            r,
            post(
                &json!({ "query": mutation, "extensions": persisted(&mutation_hash) }),
                "application/graphql-response+json",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
        let (status, headers, body) = send(r, get_by_hash(&mutation_hash)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
        assert_eq!(headers[header::ALLOW], "POST");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn replicas_sharing_redis_share_persisted_queries_and_fall_back_without_it() {
    let Some(url) = test_redis_url() else { return };
    let prefix = format!(
        "capitole-test:{}:{}:",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    );
    let mut settings = HttpSettings {
        rate_limit: budget(1_000),
        ..HttpSettings::default()
    };
    settings.rate_limit.redis_url = Some(url);
    settings.persisted_queries.redis_key_prefix = prefix;
    let (first, test_db) = limited_app(settings.clone()).await;
    let second = limited_router(&test_db, &settings).await;
    // A document of this test's own, so that no other test registered it.
    let query = format!(
        "query Shared{} {{ neighborhoods {{ name }} }}",
        std::process::id()
    );
    let hash = sha256(&query);
    let (_, _, body) = send(&second, get_by_hash(&hash)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (status, _, body) = send(
        &first,
        post(
            &json!({ "query": query, "extensions": persisted(&hash) }),
            "application/graphql-response+json",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, headers, body) = send(&second, get_by_hash(&hash)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the other replica finds it in Redis: {body}"
    );
    assert!(body["data"]["neighborhoods"].is_array(), "{body}");
    assert_eq!(cache_control(&headers), "public, max-age=300");

    // Redis unreachable: documents are registered and found in this replica.
    let mut down = settings.clone();
    // Nothing listens on port 1.
    down.rate_limit.redis_url = Some("redis://127.0.0.1:1".to_owned());
    let alone = limited_router(&test_db, &down).await;
    let (_, _, body) = send(&alone, get_by_hash(&hash)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (status, _, body) = send(
        &alone,
        post(
            &json!({ "query": query, "extensions": persisted(&hash) }),
            "application/graphql-response+json",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = send(&alone, get_by_hash(&hash)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let metrics = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    let (_, _, metrics) = send(&alone, metrics).await;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains("capitole_persisted_queries_redis_fallbacks_total"),
        "{metrics}"
    );
    test_db.remove().await;
}

#[tokio::test]
async fn cache_control_follows_the_fields_asked_and_who_asks() {
    for app in apps().await {
        let r = &app.router;
        let public = |headers: &HeaderMap, max_age: u32| {
            assert_eq!(cache_control(headers), format!("public, max-age={max_age}"));
            assert_eq!(headers[header::VARY], VARY);
        };
        let (status, headers, body) =
            send(r, get_query("{ news(first: 5) { nodes { title } } }")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        public(&headers, 60);
        assert!(
            body.get("extensions").is_none(),
            "a public answer carries nobody's budget: {body}"
        );
        assert!(headers.contains_key("ratelimit"));

        let (_, _, body) = send(r, get_query("{ places(first: 1) { nodes { slug } } }")).await;
        let slug = body["data"]["places"]["nodes"][0]["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, headers, body) = send(
            r,
            get(
                &[
                    ("query", "query($s: String) { place(slug: $s) { name } }"),
                    ("variables", &json!({ "s": slug }).to_string()),
                ],
                &[],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["data"]["place"]["name"].is_string(), "{body}");
        public(&headers, 300);
        let statistics = "query($s: String) { place(slug: $s) { name stats { checkInCount } } }";
        let (status, headers, body) = send(
            r,
            get(
                &[
                    ("query", statistics),
                    ("variables", &json!({ "s": slug }).to_string()),
                ],
                &[],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        public(&headers, 30);
        let (_, headers, body) = send(
            r,
            get_query(
                "{ trendingPlaces(near: { latitude: 43.6045, longitude: 1.444, radiusMeters: 2000 }) { nodes { name } } }",
            ),
        )
        .await;
        assert!(body["data"]["trendingPlaces"].is_object(), "{body}");
        public(&headers, 30);
        // A place's events are kept no longer than events are.
        let (_, headers, _) = send(
            r,
            get_query(
                "{ places(first: 2) { nodes { upcomingEvents(first: 2) { nodes { title } } } } }",
            ),
        )
        .await;
        public(&headers, 60);

        // Personal fields, even asked anonymously, and fields without a hint.
        for personal in [
            "{ viewer { id } }",
            "{ news(first: 1) { totalCount } rateLimit { remaining } }",
        ] {
            let (status, headers, body) = send(r, get_query(personal)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(cache_control(&headers), "private, no-store", "{personal}");
            assert_eq!(headers[header::VARY], VARY);
        }
        let (_, headers, _) = send(r, get_query("{ __typename }")).await;
        assert_eq!(cache_control(&headers), "no-store");

        // An answer with errors; a POST; a request error.
        let (status, headers, body) =
            send(r, get_query("{ places(first: 500) { totalCount } }")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert_eq!(cache_control(&headers), "no-store");
        let news = json!({ "query": "{ news(first: 5) { nodes { title } } }" });
        let (_, headers, _) = send(r, post(&news, "application/json")).await;
        assert_eq!(cache_control(&headers), "no-store");
        assert_eq!(headers[header::VARY], VARY);
        assert!(!headers.contains_key(header::ETAG));
        let (status, headers, _) = send(r, get_query("{ organizations { name ")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(cache_control(&headers), "no-store");
        assert_eq!(headers[header::VARY], VARY);

        // An app's GET of the same public news is never public.
        let (token, _) = app_token(&app, "Transit app").await;
        let bearer = format!("Bearer {token}");
        let (status, headers, body) = send(
            r,
            get(
                &[("query", "{ news(first: 5) { nodes { title } } }")],
                &[(header::AUTHORIZATION, &bearer)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(cache_control(&headers), "private, no-store");
        assert!(body["extensions"]["rateLimit"].is_object(), "{body}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_signed_in_person_gets_private_answers() {
    let app = apps().await.into_iter().next().unwrap();
    let (access, _) = super::accounts::register(&app, "cache@example.org").await;
    let bearer = format!("Bearer {access}");
    let (status, headers, body) = send(
        &app.router,
        get(
            &[("query", "{ news(first: 5) { nodes { title } } }")],
            &[(header::AUTHORIZATION, &bearer)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(cache_control(&headers), "private, no-store");
    assert_eq!(headers[header::VARY], VARY);
    app.test_db.remove().await;
}

#[tokio::test]
async fn get_answers_carry_an_etag_and_a_matching_if_none_match_gets_304() {
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: budget(100_000),
        ..HttpSettings::default()
    })
    .await;
    let query = "{ news(first: 3) { nodes { title } } }";
    let (status, headers, first) = raw(&router, get_query(query)).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 20,
        "a strong tag: {etag}"
    );
    let (_, headers, again) = raw(&router, get_query(query)).await;
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    assert_eq!(first, again, "the same answer, byte for byte");

    let (status, headers, body) = raw(
        &router,
        get(&[("query", query)], &[(header::IF_NONE_MATCH, &etag)]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    assert_eq!(cache_control(&headers), "public, max-age=60");
    assert_eq!(headers[header::VARY], VARY);

    let (status, _, body) = raw(
        &router,
        get(
            &[("query", query)],
            &[(header::IF_NONE_MATCH, "\"something-else\"")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, first);
    // Another document, another tag.
    let (_, headers, _) = raw(&router, get_query("{ news(first: 2) { nodes { title } } }")).await;
    assert_ne!(headers[header::ETAG].to_str().unwrap(), etag);
    test_db.remove().await;
}

#[tokio::test]
async fn brotli_and_gzip_bodies_decode_to_the_answer_and_have_tags_of_their_own() {
    let (router, test_db) = limited_app(HttpSettings {
        rate_limit: budget(100_000),
        ..HttpSettings::default()
    })
    .await;
    let query = "{ places(first: 100) { nodes { name description } } }";
    let encoded = |accept_encoding: &'static str| {
        let router = router.clone();
        async move {
            raw(
                &router,
                get(
                    &[("query", query)],
                    &[(header::ACCEPT_ENCODING, accept_encoding)],
                ),
            )
            .await
        }
    };
    let (status, headers, identity) = encoded("identity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    let identity_tag = headers[header::ETAG].to_str().unwrap().to_owned();
    let answer: Value = serde_json::from_slice(&identity).unwrap();
    assert!(answer["data"]["places"]["nodes"].as_array().unwrap().len() > 5);

    // Brotli only for a client that does not accept gzip.
    let (status, headers, body) = encoded("gzip;q=0, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    let brotli_tag = headers[header::ETAG].to_str().unwrap().to_owned();
    let mut decoded = Vec::new();
    brotli_decompressor::Decompressor::new(body.as_slice(), 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert!(body.len() < identity.len());
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), answer);

    // An answer made for one request is gzipped whenever gzip is accepted, even below
    // brotli: it costs far less to make.
    let (status, headers, _) = encoded("gzip;q=0.5, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let (status, headers, body) = encoded("br;q=0.2, gzip;q=0.9").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let gzip_tag = headers[header::ETAG].to_str().unwrap().to_owned();
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(body.as_slice())
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), answer);
    assert!(
        headers[header::VARY]
            .to_str()
            .unwrap()
            .contains("Accept-Encoding")
    );

    // Each representation has its tag, and each tag revalidates.
    assert_ne!(identity_tag, brotli_tag);
    assert_ne!(identity_tag, gzip_tag);
    assert_ne!(brotli_tag, gzip_tag);
    for (tag, accept_encoding) in [
        (&brotli_tag, "br"),
        (&gzip_tag, "gzip"),
        (&identity_tag, "identity"),
    ] {
        let (status, headers, body) = raw(
            &router,
            get(
                &[("query", query)],
                &[
                    (header::IF_NONE_MATCH, tag),
                    (header::ACCEPT_ENCODING, accept_encoding),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{tag}");
        assert!(body.is_empty());
        assert_eq!(headers[header::ETAG].to_str().unwrap(), tag.as_str());
    }
    test_db.remove().await;
}
