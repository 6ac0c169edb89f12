//! The graph's vocabulary of values: its scalars (dates, times, city date-times, URLs,
//! emails) refuse what does not fit before anything runs, opening hours travel as typed
//! times and dates, and every stored code reads as a value of its enum.

use axum::http::StatusCode;
use capitole_domain::access::Role;
use capitole_persistence::entities::{article, audit_entry, organization};
use capitole_persistence::sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use super::accounts::{access_of, create, run};
use super::{TestApp, apps, code, post_json, send};

/// Runs `query` with `variables` and expects it refused before running: 400 under
/// `application/graphql-response+json`, `BAD_USER_INPUT`, no data, and a message that names
/// `scalar` and says how it is written (`says`).
async fn refused(app: &TestApp, query: &str, variables: Value, scalar: &str, says: &str) {
    let request = post_json(&json!({ "query": query, "variables": variables }));
    let (status, _, body) = send(&app.router, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("expected type \"{scalar}\"")) && message.contains(says),
        "{query}: {message}"
    );
}

const LOGIN: &str =
    "mutation($e: Email!) { login(email: $e, password: \"une-phrase-de-passe\") { __typename } }";
const SOCIAL_POST: &str =
    "mutation($u: URL!) { recordSocialPost(articleId: \"x\", network: X, url: $u) { __typename } }";
const CREATE_PLACE: &str =
    "mutation($input: PlaceInput!) { createPlace(input: $input) { __typename } }";

fn place_with_hours(hours: Value) -> Value {
    json!({
        "name": "Guinguette des Amidonniers",
        "location": { "latitude": 43.6101, "longitude": 1.4262, "city": "Toulouse" },
        "openingHours": hours,
    })
}

#[tokio::test]
async fn values_that_do_not_fit_a_scalar_are_refused_inline_and_in_variables() {
    for app in apps().await {
        // Email.
        let says = "name@example.org";
        refused(&app, LOGIN, json!({ "e": "nobody" }), "Email", says).await;
        refused(&app, LOGIN, json!({ "e": "ana@toulouse" }), "Email", says).await;
        refused(&app, LOGIN, json!({ "e": 42 }), "Email", says).await;
        let inline =
            "mutation { login(email: \"ana garcia@toulouse.fr\", password: \"x\") { __typename } }";
        refused(&app, inline, json!({}), "Email", says).await;
        // URL: absolute http or https.
        let says = "absolute http:// or https:// address";
        for bad in ["www.toulouse.fr", "javascript:alert(1)", "https://", ""] {
            refused(&app, SOCIAL_POST, json!({ "u": bad }), "URL", says).await;
        }
        let inline = "mutation { setEventStatus(id: \"x\", version: 1, status: MOVED_ONLINE, onlineUrl: \"live.toulouse.fr\") { __typename } }";
        refused(&app, inline, json!({}), "URL", says).await;
        // LocalTime and Date, in an input's nested lists.
        let hours = |weekly: Value, exceptions: Value| json!({ "input": place_with_hours(json!({ "weekly": weekly, "exceptions": exceptions })) });
        for bad in ["9h", "24:00", "9:30", "09:30:00"] {
            let weekly = json!([{ "day": "MONDAY", "opens": bad, "closes": "18:00" }]);
            let says = "HH:MM, from 00:00 to 23:59";
            refused(
                &app,
                CREATE_PLACE,
                hours(weekly, json!([])),
                "LocalTime",
                says,
            )
            .await;
        }
        let exception =
            json!([{ "date": "2027-05-01", "ranges": [{ "opens": "10:00", "closes": "1800" }] }]);
        let says = "HH:MM";
        refused(
            &app,
            CREATE_PLACE,
            hours(json!([]), exception),
            "LocalTime",
            says,
        )
        .await;
        for bad in ["2027-02-30", "01/05/2027", "2027-05-01T00:00:00Z"] {
            let exception = json!([{ "date": bad }]);
            let says = "YYYY-MM-DD";
            refused(
                &app,
                CREATE_PLACE,
                hours(json!([]), exception),
                "Date",
                says,
            )
            .await;
        }
        let inline = "mutation { createPlace(input: { name: \"x\", location: { latitude: 43.6, longitude: 1.44 }, openingHours: { exceptions: [{ date: \"le 1er mai\" }] } }) { __typename } }";
        refused(&app, inline, json!({}), "Date", "YYYY-MM-DD").await;

        // Clients that only accept application/json get the same errors with 200.
        let (status, _, body) = send(
            &app.router,
            axum::http::Request::builder()
                .method(axum::http::Method::POST)
                .uri("/graphql")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .body(axum::body::Body::from(
                    json!({ "query": LOGIN, "variables": { "e": "nobody" } }).to_string(),
                ))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

        // Values that fit go through: the sign-in runs (and fails on the password).
        let (status, body) = run(&app, None, LOGIN, json!({ "e": " Nobody@Example.ORG " })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
}

#[tokio::test]
async fn opening_hours_go_in_and_come_out_as_city_times_and_dates() {
    for app in apps().await {
        let label = app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let ville = access_of(&app, "ville@example.org").await;
        let hours = json!({
            "weekly": [
                { "day": "FRIDAY", "opens": "18:00", "closes": "02:00" },
                { "day": "SATURDAY", "opens": "11:00", "closes": "15:00" },
                { "day": "SATURDAY", "opens": "18:00", "closes": "23:30" },
            ],
            "exceptions": [
                { "date": "2027-05-01", "ranges": [], "note": "Fête du travail" },
                { "date": "2027-06-21", "ranges": [{ "opens": "17:00", "closes": "04:00" }], "note": "Fête de la musique" },
            ],
        });
        let create_place =
            "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }";
        let (_, created) = run(
            &app,
            Some(&ville),
            create_place,
            json!({ "input": place_with_hours(hours.clone()) }),
        )
        .await;
        let id = created["data"]["createPlace"]["place"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {created}"))
            .to_owned();
        let read = "query($id: ID!) { node(id: $id) { ... on Place { openingHours { weekly { day opens closes } exceptions { date ranges { opens closes } note } } } } }";
        let (_, body) = run(&app, None, read, json!({ "id": id })).await;
        assert_eq!(
            body["data"]["node"]["openingHours"], hours,
            "{label}: {body}"
        );
    }
}

#[tokio::test]
async fn neighborhoods_have_a_center_and_publishers_a_kind_and_their_networks() {
    for app in apps().await {
        let label = app.test_db.label;
        let (_, body) = run(
            &app,
            None,
            "{ neighborhoods { slug center { latitude longitude } } organizations { slug kind website socialAccounts { network url } } }",
            json!({}),
        )
        .await;
        let neighborhoods = body["data"]["neighborhoods"].as_array().unwrap();
        assert!(!neighborhoods.is_empty(), "{label}: {body}");
        for n in neighborhoods {
            let center = &n["center"];
            assert!(
                center["latitude"]
                    .as_f64()
                    .is_some_and(|l| (43.0..44.0).contains(&l)),
                "{n}"
            );
            assert!(
                center["longitude"]
                    .as_f64()
                    .is_some_and(|l| (1.0..2.0).contains(&l)),
                "{n}"
            );
        }
        let organizations = body["data"]["organizations"].as_array().unwrap();
        let demo = capitole_persistence::seed::demo_data::ORGANIZATIONS;
        assert_eq!(organizations.len(), demo.len(), "{label}: {body}");
        for stored in demo {
            let read = organizations
                .iter()
                .find(|o| o["slug"] == stored.slug)
                .unwrap_or_else(|| panic!("{label}: {} missing", stored.slug));
            assert_eq!(read["kind"], stored.kind, "{read}");
            assert_eq!(read["website"], stored.website, "{read}");
            let networks: Vec<&str> = read["socialAccounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["network"].as_str().unwrap())
                .collect();
            let stored_networks: Vec<&str> = stored.social.iter().map(|(n, _)| *n).collect();
            assert_eq!(
                networks, stored_networks,
                "{label}: every demo network maps"
            );
        }
        // Every media item the demo stores reads back, with its kind and host.
        let (_, body) = run(
            &app,
            None,
            "{ news(first: 100) { totalCount nodes { slug media { kind provider url embedUrl } } } }",
            json!({}),
        )
        .await;
        let nodes = body["data"]["news"]["nodes"].as_array().unwrap();
        let listed: Vec<&str> = nodes.iter().map(|n| n["slug"].as_str().unwrap()).collect();
        let stored: usize = article::Entity::find()
            .all(app.db.connection())
            .await
            .unwrap()
            .iter()
            .filter(|a| listed.contains(&a.slug.as_str()))
            .map(|a| serde_json::from_str::<Vec<Value>>(&a.media).unwrap().len())
            .sum();
        let media: Vec<&Value> = nodes
            .iter()
            .flat_map(|n| n["media"].as_array().unwrap())
            .collect();
        assert!(
            body["data"]["news"]["totalCount"].as_i64() < Some(100),
            "{body}"
        );
        assert!(stored > 0, "{label}: the demo has videos");
        assert_eq!(media.len(), stored, "{label}: {body}");
        for item in media {
            assert_eq!(item["kind"], "VIDEO", "{item}");
            assert!(
                item["provider"].is_string() && item["embedUrl"].is_string(),
                "{item}"
            );
        }
        // A place's figures live in its stats only.
        let (_, body) = run(
            &app,
            None,
            "{ places(first: 1) { nodes { rating } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            body["errors"][0]["message"], "Unknown field \"rating\" on type \"Place\".",
            "{body}"
        );
    }
}

#[tokio::test]
async fn stored_codes_this_version_does_not_know_are_read_sensibly_not_as_errors() {
    for app in apps().await {
        let label = app.test_db.label;
        let db = app.db.connection();
        // A publisher of a kind and on a network that this version does not know.
        let ville = organization::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.slug == "ville-de-toulouse")
            .unwrap();
        let mut changed: organization::ActiveModel = ville.clone().into();
        changed.kind = Set("REGIONAL_COUNCIL".into());
        changed.social_accounts = Set(json!([
            { "network": "MYSPACE", "url": "https://myspace.com/toulouse" },
            { "network": "FACEBOOK", "url": "https://www.facebook.com/toulouse" },
        ])
        .to_string());
        changed.update(db).await.unwrap();
        let (_, body) = run(
            &app,
            None,
            "{ organizations { slug kind socialAccounts { network } } }",
            json!({}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{label}: {body}");
        let read = body["data"]["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["slug"] == "ville-de-toulouse")
            .unwrap()
            .clone();
        assert_eq!(read["kind"], "OTHER", "{label}: {read}");
        assert_eq!(
            read["socialAccounts"],
            json!([{ "network": "FACEBOOK" }]),
            "{label}"
        );

        // An article whose media list holds an item of an unknown host, next to a known one.
        let published = article::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.status == "PUBLISHED")
            .unwrap();
        let mut changed: article::ActiveModel = published.clone().into();
        changed.media = Set(json!([
            { "kind": "VIDEO", "provider": "VIMEO", "url": "https://vimeo.com/1" },
            { "kind": "IMAGE", "provider": "WEB", "url": "https://www.toulouse.fr/a.jpg", "alt": "La place" },
        ])
        .to_string());
        changed.update(db).await.unwrap();
        let (_, body) = run(
            &app,
            None,
            "query($s: String!) { newsArticle(slug: $s) { media { kind provider url alt } } }",
            json!({ "s": published.slug }),
        )
        .await;
        assert_eq!(
            body["data"]["newsArticle"]["media"],
            json!([{ "kind": "IMAGE", "provider": "WEB", "url": "https://www.toulouse.fr/a.jpg", "alt": "La place" }]),
            "{label}: {body}"
        );

        // An audit entry of an action and a kind this version does not know.
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        audit_entry::ActiveModel {
            id: Set(capitole_domain::ids::new_id()),
            at: Set(chrono::Utc::now()),
            actor_id: Set(None),
            actor: Set("an older version".into()),
            organization_id: Set(None),
            item_kind: Set("NEWSLETTER".into()),
            item_id: Set(published.id),
            action: Set("SEND".into()),
            changes: Set("{}".into()),
        }
        .insert(db)
        .await
        .unwrap();
        let (_, body) = run(
            &app,
            Some(&admin),
            "{ auditLog(first: 1) { nodes { actor action itemKind } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            body["data"]["auditLog"]["nodes"][0],
            json!({ "actor": "an older version", "action": "UPDATE", "itemKind": "ARTICLE" }),
            "{label}: {body}"
        );
    }
}
