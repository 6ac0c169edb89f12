//! Offline copies kept by the change log: a client that follows `changes` after any
//! sequence of writes holds exactly what a fresh read gives; readers only hear of what
//! they may see; an expired cursor says so.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::access::Role;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::accounts::{access_of, create, register, run};
use super::{TestApp, apps, code};

const SYNC: &str = r#"query($after: String) {
  changes(after: $after, first: 7) {
    edges { node { kind id change version node {
      __typename
      ... on NewsArticle { id title status version }
      ... on Event { id title status version }
      ... on Place { id name version }
      ... on Tip { id text }
    } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

const TRUTH: &str = r#"query($ids: [ID!]!, $place: ID!) {
  nodes(ids: $ids) {
    __typename
    ... on NewsArticle { id title status version }
    ... on Event { id title status version }
    ... on Place { id name version }
  }
  node(id: $place) { ... on Place { tips(first: 100) { nodes { __typename id text } } } }
}"#;

/// What an offline client keeps: each item by id, as the log last showed it.
#[derive(Default)]
struct OfflineCopy {
    cursor: Option<String>,
    items: BTreeMap<String, Value>,
}

impl OfflineCopy {
    /// Reads the log after the copy's cursor, page by page, and applies it.
    async fn sync(&mut self, app: &TestApp, token: Option<&str>) {
        loop {
            let (status, body) = run(app, token, SYNC, json!({ "after": self.cursor })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let page = &body["data"]["changes"];
            assert!(page.is_object(), "{body}");
            for edge in page["edges"].as_array().unwrap() {
                let change = &edge["node"];
                let id = change["id"].as_str().unwrap().to_owned();
                if change["node"].is_null() {
                    self.items.remove(&id);
                } else {
                    self.items.insert(id, change["node"].clone());
                }
            }
            if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
                self.cursor = Some(end.to_owned());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                return;
            }
        }
    }
}

/// What a fresh read gives for these items and the tips of `place`.
async fn truth(
    app: &TestApp,
    token: Option<&str>,
    ids: &[String],
    place: &str,
) -> BTreeMap<String, Value> {
    let (_, body) = run(app, token, TRUTH, json!({ "ids": ids, "place": place })).await;
    let mut items = BTreeMap::new();
    for node in body["data"]["nodes"].as_array().unwrap_or(&Vec::new()) {
        if node.is_object() {
            items.insert(node["id"].as_str().unwrap().to_owned(), node.clone());
        }
    }
    for tip in body["data"]["node"]["tips"]["nodes"]
        .as_array()
        .unwrap_or(&Vec::new())
    {
        items.insert(tip["id"].as_str().unwrap().to_owned(), tip.clone());
    }
    items
}

async fn change_cursor(app: &TestApp, token: Option<&str>) -> String {
    let (_, body) = run(app, token, "{ changeCursor }", json!({})).await;
    body["data"]["changeCursor"].as_str().unwrap().to_owned()
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// The id and version of what a mutation returned at `path`, if it succeeded.
fn written(body: &Value, path: &[&str]) -> Option<(String, i64)> {
    let mut at = &body["data"];
    for step in path {
        at = &at[*step];
    }
    Some((
        at["id"].as_str()?.to_owned(),
        at["version"].as_i64().unwrap_or(0),
    ))
}

struct City {
    editor: String,
    admin: String,
    resident: String,
    place: String,
    /// Items written, with their last known version.
    articles: Vec<(String, i64)>,
    events: Vec<(String, i64)>,
    places: Vec<(String, i64)>,
    tips: Vec<String>,
}

impl City {
    /// One random write; some are refused (a transition the workflow forbids, a draft
    /// that is no longer one), which must leave no trace.
    async fn write(&mut self, app: &TestApp, rng: &mut SmallRng, n: usize) {
        let pick = |rng: &mut SmallRng, list: &[(String, i64)]| {
            (!list.is_empty()).then(|| rng.random_range(0..list.len()))
        };
        match rng.random_range(0..11) {
            0 => {
                let (_, body) = run(app, Some(&self.editor), "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id version } } }",
                    json!({ "input": { "title": format!("Article {n}"), "summary": "Résumé", "body": "Texte.", "audiences": ["FAMILIES"] } })).await;
                self.articles
                    .extend(written(&body, &["createArticle", "article"]));
            }
            1..=3 => {
                let Some(i) = pick(rng, &self.articles) else {
                    return;
                };
                let (id, version) = self.articles[i].clone();
                let (field, query) = match rng.random_range(0..5) {
                    0 => ("updateArticle", format!("mutation($id: ID!, $v: Int!) {{ updateArticle(id: $id, version: $v, patch: {{ title: \"Article {n} revu\" }}) {{ article {{ id version }} }} }}")),
                    1 => ("publishArticle", "mutation($id: ID!, $v: Int!) { publishArticle(id: $id, version: $v) { article { id version } } }".to_owned()),
                    2 => ("unpublishArticle", "mutation($id: ID!, $v: Int!) { unpublishArticle(id: $id, version: $v) { article { id version } } }".to_owned()),
                    3 => ("archiveArticle", "mutation($id: ID!, $v: Int!) { archiveArticle(id: $id, version: $v) { article { id version } } }".to_owned()),
                    _ => ("deleteArticle", "mutation($id: ID!, $v: Int!) { deleteArticle(id: $id, version: $v) { deletedId } }".to_owned()),
                };
                let (_, body) = run(
                    app,
                    Some(&self.editor),
                    &query,
                    json!({ "id": id, "v": version }),
                )
                .await;
                if field == "deleteArticle" {
                    if body["data"]["deleteArticle"]["deletedId"] == json!(id) {
                        self.articles.remove(i);
                    }
                } else if let Some(found) = written(&body, &[field, "article"]) {
                    self.articles[i] = found;
                }
            }
            4 => {
                let input = json!({
                    "title": format!("Événement {n}"), "publishers": ["ville-de-toulouse"],
                    "summary": "Résumé", "description": "Texte.", "categories": ["event-concert"],
                    "isFree": true, "locationText": "Jardin des Plantes",
                    "occurrences": [{ "startsAt": in_days(5), "endsAt": in_days(6) }]
                });
                let (_, body) = run(app, Some(&self.editor), "mutation($input: EventInput!) { createEvent(input: $input) { event { id version } } }", json!({ "input": input })).await;
                self.events
                    .extend(written(&body, &["createEvent", "event"]));
            }
            5 | 6 => {
                let Some(i) = pick(rng, &self.events) else {
                    return;
                };
                let (id, version) = self.events[i].clone();
                let (field, query) = if rng.random_bool(0.7) {
                    (
                        "updateEvent",
                        format!(
                            "mutation($id: ID!, $v: Int!) {{ updateEvent(id: $id, version: $v, patch: {{ title: \"Événement {n} revu\" }}) {{ event {{ id version }} }} }}"
                        ),
                    )
                } else {
                    ("cancelEvent", "mutation($id: ID!, $v: Int!) { cancelEvent(id: $id, version: $v) { event { id version } } }".to_owned())
                };
                let (_, body) = run(
                    app,
                    Some(&self.editor),
                    &query,
                    json!({ "id": id, "v": version }),
                )
                .await;
                if let Some(found) = written(&body, &[field, "event"]) {
                    self.events[i] = found;
                }
            }
            7 => {
                let (id, version) = self.places[0].clone();
                let (_, body) = run(app, Some(&self.admin), "mutation($id: ID!, $v: Int!, $name: String!) { updatePlace(id: $id, version: $v, patch: { name: $name }) { place { id version } } }",
                    json!({ "id": id, "v": version, "name": format!("Square {n}") })).await;
                if let Some(found) = written(&body, &["updatePlace", "place"]) {
                    self.places[0] = found;
                }
            }
            8 => {
                let (_, body) = run(
                    app,
                    Some(&self.resident),
                    "mutation($p: ID!, $t: String!) { addTip(placeId: $p, text: $t) { tip { id } } }",
                    json!({ "p": self.place, "t": format!("Conseil numéro {n}, à essayer.") }),
                )
                .await;
                self.tips.extend(
                    body["data"]["addTip"]["tip"]["id"]
                        .as_str()
                        .map(str::to_owned),
                );
            }
            _ => {
                if self.tips.is_empty() {
                    return;
                }
                let tip = self.tips[rng.random_range(0..self.tips.len())].clone();
                let mutation = if rng.random_bool(0.6) {
                    "hideTip"
                } else {
                    "restoreTip"
                };
                run(
                    app,
                    Some(&self.admin),
                    &format!("mutation($t: ID!) {{ {mutation}(tipId: $t) {{ id }} }}"),
                    json!({ "t": tip }),
                )
                .await;
            }
        }
    }

    fn ids(&self) -> Vec<String> {
        self.articles
            .iter()
            .chain(&self.events)
            .chain(&self.places)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[tokio::test]
async fn a_client_following_changes_after_random_writes_holds_what_a_fresh_read_gives() {
    for app in apps().await {
        let label = app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let (resident, _) = register(&app, "resident@example.org").await;
        let (_, body) = run(
            &app,
            None,
            "{ places(first: 1) { nodes { id version } } }",
            json!({}),
        )
        .await;
        let place = body["data"]["places"]["nodes"][0].clone();
        let place_id = place["id"].as_str().unwrap().to_owned();
        let mut city = City {
            editor: access_of(&app, "ville@example.org").await,
            admin: access_of(&app, "admin@example.org").await,
            resident,
            place: place_id.clone(),
            articles: Vec::new(),
            events: Vec::new(),
            places: vec![(place_id.clone(), place["version"].as_i64().unwrap())],
            tips: Vec::new(),
        };
        for seed in 0..3u64 {
            // Each round starts like a new phone: the log's end, then a full read.
            let mut copy = OfflineCopy {
                cursor: Some(change_cursor(&app, None).await),
                items: truth(&app, None, &city.ids(), &place_id).await,
            };
            let mut rng = SmallRng::seed_from_u64(seed);
            for n in 0..24 {
                city.write(&app, &mut rng, n).await;
                // Now and then the phone comes back online in the middle of it all.
                if rng.random_bool(0.2) {
                    copy.sync(&app, None).await;
                }
            }
            // On PostgreSQL a change becomes readable once every older transaction of the
            // server has ended (other tests share it): the copy catches up within moments.
            let fresh = truth(&app, None, &city.ids(), &place_id).await;
            for _ in 0..100 {
                copy.sync(&app, None).await;
                if copy.items == fresh {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(
                copy.items, fresh,
                "{label}, seed {seed}: the synced copy differs from a fresh read"
            );
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn drafts_are_told_to_their_editors_only_and_an_expired_cursor_is_refused() {
    for app in apps().await {
        let label = app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        create(
            &app,
            "metropole@example.org",
            Role::Editor,
            &["toulouse-metropole"],
        )
        .await;
        let ville = access_of(&app, "ville@example.org").await;
        let metropole = access_of(&app, "metropole@example.org").await;
        let start = change_cursor(&app, None).await;
        let (_, body) = run(
            &app,
            Some(&ville),
            "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id } } }",
            json!({ "input": { "title": "Brouillon", "summary": "Résumé", "body": "Texte." } }),
        )
        .await;
        let draft = body["data"]["createArticle"]["article"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let heard = |token: Option<String>| {
            let start = start.clone();
            let app = &app;
            async move {
                let mut copy = OfflineCopy {
                    cursor: Some(start),
                    ..OfflineCopy::default()
                };
                let mut seen = Vec::new();
                for _ in 0..100 {
                    let (_, body) =
                        run(app, token.as_deref(), SYNC, json!({ "after": copy.cursor })).await;
                    for edge in body["data"]["changes"]["edges"].as_array().unwrap() {
                        seen.push((
                            edge["node"]["id"].as_str().unwrap().to_owned(),
                            edge["node"]["change"].as_str().unwrap().to_owned(),
                        ));
                    }
                    copy.cursor = body["data"]["changes"]["pageInfo"]["endCursor"]
                        .as_str()
                        .map(str::to_owned)
                        .or(copy.cursor);
                    if !seen.is_empty() || token.is_none() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                seen
            }
        };
        assert_eq!(
            heard(Some(ville.clone())).await,
            vec![(draft.clone(), "CREATED".to_owned())],
            "{label}"
        );
        assert!(heard(None).await.is_empty(), "{label}");
        assert!(heard(Some(metropole)).await.is_empty(), "{label}");

        // A cursor from 31 days ago.
        let raw = URL_SAFE_NO_PAD.decode(&start).unwrap();
        let mut position: Value = serde_json::from_slice(&raw).unwrap();
        position["at"] = json!((chrono::Utc::now() - chrono::Duration::days(31)).to_rfc3339());
        let old = URL_SAFE_NO_PAD.encode(position.to_string());
        let (status, body) = run(&app, None, SYNC, json!({ "after": old })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "CURSOR_EXPIRED", "{label}: {body}");
        let (_, body) = run(&app, None, SYNC, json!({ "after": "bm90IGEgY3Vyc29y" })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
        app.test_db.remove().await;
    }
}
