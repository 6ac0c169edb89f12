//! A page of events reads only the columns of the fields it asks for. Whatever is asked,
//! every field answers what it answers when the whole row is read (`jsonLd` needs every
//! column, so asking for it beside a field reads the whole row).

use serde_json::{Value, json};

use super::{TestApp, apps, query};

/// The fields of every type of the schema, by type name.
async fn schema_fields(app: &TestApp) -> serde_json::Map<String, Value> {
    let body = query(
        app,
        "{ __schema { types { name fields { name
            args { type { kind } defaultValue }
            type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }",
        json!({}),
    )
    .await;
    body["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ty| {
            (
                ty["name"].as_str().unwrap().to_owned(),
                ty["fields"].clone(),
            )
        })
        .collect()
}

/// Each field of `type_name` that can be asked without arguments (but `jsonLd`), with how
/// it is asked:
/// itself, with the scalar fields of what it returns and of the objects below that.
fn selections(types: &serde_json::Map<String, Value>, type_name: &str) -> Vec<(String, String)> {
    askable(types, type_name)
        .filter(|(name, _, _)| name != "jsonLd")
        .map(|(name, kind, named)| {
            let selection = match kind.as_str() {
                "SCALAR" | "ENUM" => name.clone(),
                _ => format!("{name} {{ {} }}", below(types, &named, 1)),
            };
            (name, selection)
        })
        .collect()
}

/// The fields of `type_name` that need no argument: name, kind and name of their type.
fn askable<'a>(
    types: &'a serde_json::Map<String, Value>,
    type_name: &str,
) -> impl Iterator<Item = (String, String, String)> + 'a {
    types[type_name]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|field| {
            !field["args"]
                .as_array()
                .unwrap()
                .iter()
                .any(|arg| arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null())
        })
        .map(|field| {
            let (kind, named) = named_type(&field["type"]);
            (field["name"].as_str().unwrap().to_owned(), kind, named)
        })
}

/// The selection of an object of type `type_name`: its scalar fields, and (above `depth`
/// 2) its objects' own.
fn below(types: &serde_json::Map<String, Value>, type_name: &str, depth: u32) -> String {
    let mut parts = vec!["__typename".to_owned()];
    for (name, kind, named) in askable(types, type_name) {
        match kind.as_str() {
            _ if name == "jsonLd" => {}
            "SCALAR" | "ENUM" => parts.push(name),
            _ if depth < 2 => {
                parts.push(format!("{name} {{ {} }}", below(types, &named, depth + 1)))
            }
            _ => {}
        }
    }
    parts.join(" ")
}

/// The kind and name of the named type under lists and non-nulls.
fn named_type(mut ty: &Value) -> (String, String) {
    while ty["name"].is_null() {
        ty = &ty["ofType"];
    }
    (
        ty["kind"].as_str().unwrap().to_owned(),
        ty["name"].as_str().unwrap().to_owned(),
    )
}

/// The answer without what `jsonLd` added.
fn without_json_ld(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            map.remove("jsonLd");
            for item in map.values_mut() {
                *item = without_json_ld(item.take());
            }
        }
        Value::Array(items) => {
            for item in items {
                *item = without_json_ld(item.take());
            }
        }
        _ => {}
    }
    value
}

#[tokio::test]
async fn every_field_of_an_agenda_page_answers_as_when_the_whole_row_is_read() {
    for app in apps().await {
        let types = schema_fields(&app).await;
        let events = selections(&types, "Event");
        let places = selections(&types, "Place");
        assert!(events.len() > 20 && places.len() > 20);
        let pages = events
            .iter()
            .map(|(name, selection)| (format!("Event.{name}"), format!("{selection} ~"), ""))
            .chain(places.iter().map(|(name, selection)| {
                (format!("Place.{name}"), String::new(), selection.as_str())
            }));
        let mut compared = 0;
        for (label, event_part, venue_part) in pages {
            let document = |whole: &str| {
                let event = event_part.replace('~', whole);
                let venue = if venue_part.is_empty() {
                    String::new()
                } else {
                    format!("venue {{ id {venue_part} {whole} }}")
                };
                format!("{{ events(first: 12) {{ nodes {{ id {event} {venue} }} }} }}")
            };
            let some = query(&app, &document(""), json!({})).await;
            let whole = query(&app, &document("jsonLd"), json!({})).await;
            assert!(some["errors"].is_null(), "{label}: {}", some["errors"]);
            assert_eq!(
                (&some["data"], &some["errors"]),
                (&without_json_ld(whole["data"].clone()), &whole["errors"]),
                "{label}"
            );
            let nodes = some["data"]["events"]["nodes"].as_array().unwrap();
            assert!(nodes.len() >= 5, "{label}: the demo agenda has events");
            compared += 1;
        }
        assert_eq!(compared, events.len() + places.len());
    }
}

/// Asks each field of `type_name` in a page (`page(selection, extra)`, whose items are at
/// `items`, a JSON pointer), once alone and once beside `jsonLd`, and compares the answers.
async fn each_field_answers_as_when_the_whole_row_is_read(
    app: &TestApp,
    type_name: &str,
    page: impl Fn(&str, &str) -> String,
    items: &str,
) {
    let types = schema_fields(app).await;
    let fields = selections(&types, type_name);
    assert!(fields.len() > 15);
    for (name, selection) in &fields {
        let some = query(app, &page(selection, ""), json!({})).await;
        let whole = query(app, &page(selection, "jsonLd"), json!({})).await;
        assert!(some["errors"].is_null(), "{name}: {}", some["errors"]);
        assert_eq!(
            (&some["data"], &some["errors"]),
            (&without_json_ld(whole["data"].clone()), &whole["errors"]),
            "{type_name}.{name}"
        );
        let listed = some.pointer(items).and_then(Value::as_array).unwrap();
        assert!(listed.len() >= 5, "{name}: the demo city has {type_name}s");
    }
}

#[tokio::test]
async fn every_field_of_a_news_page_answers_as_when_the_whole_row_is_read() {
    for app in apps().await {
        let page = |selection: &str, extra: &str| {
            format!("{{ news(first: 12) {{ edges {{ node {{ id {selection} {extra} }} }} }} }}")
        };
        each_field_answers_as_when_the_whole_row_is_read(
            &app,
            "NewsArticle",
            page,
            "/data/news/edges",
        )
        .await;
    }
}

#[tokio::test]
async fn every_field_of_a_page_of_places_answers_as_when_the_whole_row_is_read() {
    for app in apps().await {
        let popular = |selection: &str, extra: &str| {
            format!(
                "{{ places(first: 12, orderBy: POPULARITY) {{ nodes {{ id {selection} {extra} }} }} }}"
            )
        };
        each_field_answers_as_when_the_whole_row_is_read(
            &app,
            "Place",
            popular,
            "/data/places/nodes",
        )
        .await;
        let nearest = |selection: &str, extra: &str| {
            format!(
                "{{ places(first: 12, filter: {{ near: {{ latitude: 43.6045, longitude: 1.444, radiusMeters: 5000 }} }}) \
                 {{ edges {{ distanceMeters node {{ id {selection} {extra} }} }} }} }}"
            )
        };
        each_field_answers_as_when_the_whole_row_is_read(
            &app,
            "Place",
            nearest,
            "/data/places/edges",
        )
        .await;
    }
}
