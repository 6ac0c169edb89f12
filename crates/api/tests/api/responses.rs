//! Answers to public queries kept by each replica: given again, with no statement, until
//! the change log says that what they are made of changed, on every replica.

use std::time::{Duration, Instant};

use axum::Router;
use capitole_api::HttpSettings;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{self, NewChange};
use capitole_persistence::sea_orm::ConnectionTrait;
use serde_json::json;

use super::{apps, context, post_json, send};

const NEWS: &str = "{ news(first: 3) { nodes { title } } }";

async fn titles(router: &Router) -> Vec<String> {
    let (status, _, body) = send(router, post_json(&json!({ "query": NEWS }))).await;
    assert!(status.is_success(), "{body}");
    body["data"]["news"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Asks the news until an answer comes from the replica's cache (it carries `Age`): the
/// replica has started following the change log, and keeps answers.
async fn warm(router: &Router) {
    for _ in 0..400 {
        let (_, headers, _) = send(router, post_json(&json!({ "query": NEWS }))).await;
        if headers.contains_key(axum::http::header::AGE) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer was ever kept");
}

/// A public change of an item of this kind, as a write commits it.
pub(super) fn public_change(kind: ItemKind) -> NewChange {
    NewChange {
        kind,
        id: uuid::Uuid::now_v7(),
        change: ChangeKind::Updated,
        version: 2,
        organization: None,
        public: true,
        at: chrono::Utc::now(),
    }
}

/// The titles each router answers, asked again until they are not `old` any more (on
/// PostgreSQL a change reaches the log's readers once every older transaction of the
/// server has ended, and other tests share the server); how long that took.
async fn fresh(router: &Router, old: &[String]) -> (Vec<String>, Duration) {
    let started = Instant::now();
    loop {
        let now = titles(router).await;
        if now != old || started.elapsed() > Duration::from_secs(20) {
            return (now, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_kept_answer_holds_until_a_change_of_what_it_is_made_of() {
    for app in apps().await {
        let label = &app.test_db.label;
        warm(&app.router).await;
        let first = titles(&app.router).await;
        assert_eq!(first.len(), 3, "{label}");
        // Titles changed behind Capitole's back, with no entry in the log: the kept answer.
        app.db
            .connection()
            .execute_unprepared("UPDATE articles SET title = title || ' (renamed)'")
            .await
            .unwrap();
        assert_eq!(titles(&app.router).await, first, "{label}: kept");

        // A change of places leaves answers made of news alone.
        changes::append(app.db.connection(), &public_change(ItemKind::Place))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(titles(&app.router).await, first, "{label}: another kind");

        // A change of news: the answer is made again.
        changes::append(app.db.connection(), &public_change(ItemKind::Article))
            .await
            .unwrap();
        let (now, _) = fresh(&app.router, &first).await;
        assert!(
            now.iter().all(|t| t.ends_with(" (renamed)")),
            "{label}: {now:?}"
        );
    }
}

#[tokio::test]
async fn every_replica_forgets_an_answer_once_a_change_made_elsewhere_is_in_the_log() {
    for app in apps().await {
        let label = &app.test_db.label;
        let mail = tempfile::tempdir().unwrap();
        let settings = HttpSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..HttpSettings::default()
        };
        let other = capitole_api::http::router(context(&app.db, mail.path()).await, &settings);
        warm(&app.router).await;
        warm(&other).await;
        let first = titles(&app.router).await;
        assert_eq!(titles(&other).await, first, "{label}");
        app.db
            .connection()
            .execute_unprepared("UPDATE articles SET title = 'Renamed ' || title")
            .await
            .unwrap();
        assert_eq!(titles(&app.router).await, first, "{label}: kept");
        assert_eq!(titles(&other).await, first, "{label}: kept");

        // The write's entry, committed by a third process.
        changes::append(app.db.connection(), &public_change(ItemKind::Article))
            .await
            .unwrap();
        for router in [&app.router, &other] {
            let (now, lag) = fresh(router, &first).await;
            assert!(
                now.iter().all(|t| t.starts_with("Renamed ")),
                "{label}: {now:?}"
            );
            assert!(lag < Duration::from_secs(20), "{label}: {lag:?}");
        }
    }
}

const PLACE: &str = "query($id: ID!) { node(id: $id) { ... on Place { name } } }";

/// The name of the place `id` as the router answers it, and whether the answer was kept.
async fn place_name(router: &Router, id: &str) -> (String, bool) {
    let body = json!({ "query": PLACE, "variables": { "id": id } });
    let (status, headers, body) = send(router, post_json(&body)).await;
    assert!(status.is_success(), "{body}");
    let name = body["data"]["node"]["name"].as_str().unwrap().to_owned();
    (name, headers.contains_key(axum::http::header::AGE))
}

#[tokio::test]
async fn a_place_asked_by_id_is_kept_while_other_places_change() {
    for app in apps().await {
        let label = &app.test_db.label;
        warm(&app.router).await;
        let query = json!({ "query": "{ places(first: 1) { nodes { id } } }" });
        let (_, _, body) = send(&app.router, post_json(&query)).await;
        let id = body["data"]["places"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A global id is `Place:<uuid>` in unpadded URL-safe base64.
        let decoded =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &id).unwrap();
        let uuid: uuid::Uuid = String::from_utf8(decoded).unwrap()["Place:".len()..]
            .parse()
            .unwrap();
        let (first, _) = place_name(&app.router, &id).await;
        let (_, kept) = place_name(&app.router, &id).await;
        assert!(kept, "{label}: the second answer is the kept one");
        app.db
            .connection()
            .execute_unprepared("UPDATE places SET name = name || ' (renamed)'")
            .await
            .unwrap();

        // Another place changed: this one's answer holds.
        changes::append(app.db.connection(), &public_change(ItemKind::Place))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            place_name(&app.router, &id).await,
            (first.clone(), true),
            "{label}"
        );

        // This place changed: its answer is made again.
        let mut change = public_change(ItemKind::Place);
        change.id = uuid;
        changes::append(app.db.connection(), &change).await.unwrap();
        let started = Instant::now();
        loop {
            let (name, _) = place_name(&app.router, &id).await;
            if name != first {
                assert_eq!(name, format!("{first} (renamed)"), "{label}");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{label}: still {name}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
