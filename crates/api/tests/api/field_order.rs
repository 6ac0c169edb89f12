//! Answers list their fields in the order the operation asked for them, at every depth, as
//! GraphQL's CollectFields defines it, however long each resolver takes. The documents ask
//! for fields read through the loaders (which wait for their batch) before fields the
//! object already holds, so that finishing order and asked order differ.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::access::Role;
use serde_json::{Value, json};

use super::accounts::{access_of, create, run};
use super::{TestApp, apps, query};

/// The keys of `value` at every depth, in order: `{a b{c} d[{e}]}`. A list shows each
/// distinct shape of its items once, in the order they come.
fn outline(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}{}", outline(v)))
                .collect();
            format!("{{{}}}", keys.join(" "))
        }
        Value::Array(items) => {
            let mut shapes: Vec<String> = Vec::new();
            for item in items {
                let shape = outline(item);
                if !shapes.contains(&shape) {
                    shapes.push(shape);
                }
            }
            format!("[{}]", shapes.join(", "))
        }
        _ => String::new(),
    }
}

/// The data of an answer without errors.
async fn data(app: &TestApp, document: &str, variables: Value) -> Value {
    let body = query(app, document, variables).await;
    assert!(
        body.get("errors").is_none(),
        "{}: {body}",
        app.test_db.label
    );
    body["data"].clone()
}

/// The global ids of a place, an event and an article of the demo city.
async fn ids(app: &TestApp) -> (String, String, String) {
    let found = data(
        app,
        "{ places(first: 1) { nodes { id } } events(first: 1) { nodes { id } } news(first: 1) { nodes { id } } }",
        json!({}),
    )
    .await;
    let id = |list: &str| found[list]["nodes"][0]["id"].as_str().unwrap().to_owned();
    (id("places"), id("events"), id("news"))
}

#[tokio::test]
async fn aliases_and_nested_selections_come_back_in_the_order_asked() {
    for app in apps().await {
        let found = data(
            &app,
            r#"{
              z: places(first: 3) { nodes { categories { slug name } name z2: slug location { city address } } }
              a: organizations { slug name }
              __typename
            }"#,
            json!({}),
        )
        .await;
        assert_eq!(
            outline(&found),
            "{z{nodes[{categories[{slug name}] name z2 location{city address}}]} a[{slug name}] __typename}",
            "{}",
            app.test_db.label
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn named_and_inline_fragments_count_where_they_are_spread() {
    for app in apps().await {
        let found = data(
            &app,
            r#"query {
              places(first: 3) { nodes { ...Where name ... on Place { categories { slug } id } slug } }
            }
            fragment Where on Place { location { city } categories { name } }"#,
            json!({}),
        )
        .await;
        assert_eq!(
            outline(&found),
            "{places{nodes[{location{city} categories[{name slug}] name id slug}]}}",
            "{}",
            app.test_db.label
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_field_asked_twice_keeps_its_first_place_with_both_selections() {
    for app in apps().await {
        let found = data(
            &app,
            r#"{
              places(first: 2) { nodes { name } }
              organizations { slug }
              places(first: 2) { nodes { categories { name } id name } pageInfo { hasNextPage } }
            }"#,
            json!({}),
        )
        .await;
        assert_eq!(
            outline(&found),
            "{places{nodes[{name categories[{name}] id}] pageInfo{hasNextPage}} organizations[{slug}]}",
            "{}",
            app.test_db.label
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn objects_of_an_interface_follow_the_fragments_of_their_own_type() {
    for app in apps().await {
        let (place, event, article) = ids(&app).await;
        let gone = URL_SAFE_NO_PAD.encode(format!("Place:{}", "0".repeat(32)));
        let found = data(
            &app,
            r#"query($ids: [ID!]!, $place: ID!) {
              nodes(ids: $ids) {
                ... on Event { id categories { name } title }
                ... on Place { categories { slug } name ...Named id }
                __typename
                ... on NewsArticle { publishers { slug } title }
              }
              node(id: $place) { ... on Event { id } ... on Place { categories { name } name } }
            }
            fragment Named on Place { slug }"#,
            json!({ "ids": [place, event, article, gone], "place": place }),
        )
        .await;
        assert_eq!(
            outline(&found),
            concat!(
                "{nodes[{categories[{slug}] name slug id __typename}, ",
                "{id categories[{name}] title __typename}, ",
                "{__typename publishers[{slug}] title}, ",
                "] node{categories[{name}] name}}"
            ),
            "{}",
            app.test_db.label
        );
        app.test_db.remove().await;
    }
}

const CREATE_TWO: &str = r#"mutation($b: ArticleInput!, $a: ArticleInput!) {
  b: createArticle(input: $b) { article { publishers { slug } title id } validatedOnly }
  a: createArticle(input: $a) { validatedOnly article { title } }
}"#;

fn article(title: &str) -> Value {
    json!({ "title": title, "summary": "Résumé", "body": "# Titre\n\nTexte.", "tags": ["Culture"], "audiences": ["FAMILIES"] })
}

#[tokio::test]
async fn mutations_run_in_order_and_their_payloads_and_the_union_of_changes_keep_the_order_asked() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let token = access_of(&app, "ville@example.org").await;
        let (status, body) = run(
            &app,
            Some(&token),
            CREATE_TWO,
            json!({ "b": article("Premier écrit"), "a": article("Second écrit") }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert!(body.get("errors").is_none(), "{label}: {body}");
        assert_eq!(
            outline(&body["data"]),
            "{b{article{publishers[{slug}] title id} validatedOnly} a{validatedOnly article{title}}}",
            "{label}"
        );

        // The change log names both drafts (to their editor), the first one written first;
        // its items are a union. On PostgreSQL a change becomes readable once every older
        // transaction of the server has ended (other tests share it): it comes within
        // moments.
        let mut body = Value::Null;
        let mut titles: Vec<String> = Vec::new();
        for _ in 0..100 {
            let (status, answer) = run(
                &app,
                Some(&token),
                r#"{ changes(first: 50) { nodes {
                  node { ... on Place { name } ... on NewsArticle { publishers { slug } title } __typename }
                  kind
                } } }"#,
                json!({}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{label}: {answer}");
            body = answer;
            titles = body["data"]["changes"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|change| change["node"]["title"].as_str())
                .filter(|title| title.ends_with("écrit"))
                .map(str::to_owned)
                .collect();
            if titles.len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(titles, ["Premier écrit", "Second écrit"], "{label}: {body}");
        assert_eq!(
            outline(&body["data"]),
            "{changes{nodes[{node{publishers[{slug}] title __typename} kind}]}}",
            "{label}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn skipped_and_included_selections_take_their_place_only_when_they_count() {
    for app in apps().await {
        let document = r#"query($yes: Boolean!) {
          places(first: 2) { nodes { slug @include(if: $yes) categories { name } ... @skip(if: $yes) { name } slug name } }
        }"#;
        let found = data(&app, document, json!({ "yes": true })).await;
        assert_eq!(
            outline(&found),
            "{places{nodes[{slug categories[{name}] name}]}}"
        );
        let found = data(&app, document, json!({ "yes": false })).await;
        assert_eq!(
            outline(&found),
            "{places{nodes[{categories[{name}] name slug}]}}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn introspection_comes_back_in_the_order_asked() {
    for app in apps().await {
        let found = data(
            &app,
            r#"{
              __type(name: "Place") { fields { type { kind name } name } name ...Kind }
              __schema { queryType { name } }
              places(first: 1) { nodes { categories { name } __typename } }
            }
            fragment Kind on __Type { kind }"#,
            json!({}),
        )
        .await;
        assert_eq!(
            outline(&found),
            "{__type{fields[{type{kind name} name}] name kind} __schema{queryType{name}} places{nodes[{categories[{name}] __typename}]}}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn errors_keep_their_paths_in_an_answer_put_back_in_order() {
    for app in apps().await {
        let (place, _, _) = ids(&app).await;
        let body = query(
            &app,
            r#"query($ids: [ID!]!) {
              nodes(ids: $ids) { ... on Place { upcomingEvents(first: 0) { nodes { title } } categories { name } name } }
              a: organizations { slug }
            }"#,
            json!({ "ids": [place, place] }),
        )
        .await;
        let paths: Vec<&Value> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| &error["path"])
            .collect();
        assert_eq!(
            paths,
            [
                &json!(["nodes", 0, "upcomingEvents"]),
                &json!(["nodes", 1, "upcomingEvents"])
            ],
            "{body}"
        );
        let keys: Vec<&String> = body["data"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["nodes", "a"], "{body}");
        let item: Vec<&String> = body["data"]["nodes"][0]
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| *key != "upcomingEvents")
            .collect();
        assert_eq!(item, ["categories", "name"], "{body}");
        app.test_db.remove().await;
    }
}

/// Documents are kept parsed and, once they have passed validation, are not checked again
/// when no request can change the outcome. Whatever is kept, each request gets the answer
/// its document calls for.
#[tokio::test]
async fn a_document_sent_again_is_judged_as_the_first_time() {
    for app in apps().await {
        let valid = "{ events(first: 2) { nodes { title } } }";
        let first = data(&app, valid, json!({})).await;
        for _ in 0..2 {
            assert_eq!(data(&app, valid, json!({})).await, first);
        }
        let invalid = "{ events(first: 2) { nodes { nope } } }";
        for _ in 0..3 {
            let (_, body) = run(&app, None, invalid, json!({})).await;
            assert!(body.get("data").is_none(), "{body}");
            assert_eq!(
                body["errors"][0]["message"],
                "Unknown field \"nope\" on type \"Event\".",
            );
        }
        // With variables, each request's values are checked again.
        let sized = "query($n: Int) { events(first: $n) { nodes { title } } }";
        assert_eq!(data(&app, sized, json!({ "n": 2 })).await, first);
        let (_, body) = run(&app, None, sized, json!({ "n": "two" })).await;
        assert!(body.get("data").is_none(), "{body}");
        assert!(body["errors"][0]["message"].is_string(), "{body}");
    }
}
