//! The walk on answers whose keys came back in another order, as async-graphql leaves them
//! when slower resolvers finish last.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::schema::field_order;

fn prepared(query: &str) -> Arc<PreparedDocument> {
    let document = async_graphql::parser::parse_query(query).unwrap();
    Arc::new(field_order().prepare(document))
}

/// `data` (keys in any order) arranged for `query` run with `variables`, as JSON text.
fn arranged(query: &str, variables: serde_json::Value, data: serde_json::Value) -> String {
    let variables = Variables::from_json(variables);
    let asked = Asked::new(prepared(query), None, &variables);
    let mut data = Value::from_json(data).unwrap();
    field_order().arrange(&mut data, &asked);
    serde_json::to_string(&data).unwrap()
}

/// The response keys directly below the fields of `query` that ask for `key`.
fn keys_under_types(document: &ExecutableDocument, key: &str) -> Vec<String> {
    fn walk(set: &SelectionSet, key: &str, parent: &str, out: &mut Vec<String>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.response_key().node.to_string();
                    if name == key {
                        out.push(parent.to_owned());
                    }
                    walk(&field.node.selection_set.node, key, &name, out);
                }
                Selection::InlineFragment(fragment) => {
                    walk(&fragment.node.selection_set.node, key, parent, out);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for (_, operation) in document.operations.iter() {
        walk(&operation.node.selection_set.node, key, "", &mut out);
    }
    for fragment in document.fragments.values() {
        walk(&fragment.node.selection_set.node, key, "", &mut out);
    }
    out.sort();
    out
}

#[test]
fn aliases_nested_fields_and_fragments_take_the_place_of_their_first_key() {
    let query = r#"{
      z: places(first: 2) { nodes { ...Where name ... on Place { id categories { slug name } } b: slug } }
      a: organizations { slug name }
    }
    fragment Where on Place { location { city address } categories { name } }"#;
    // Keys sorted by name, as a finished-first order might leave them.
    let data = json!({
        "a": [{ "name": "Ville", "slug": "ville" }],
        "z": { "nodes": [
            { "b": "p1", "categories": [{ "name": "Parc", "slug": "parc" }], "id": "1",
              "location": { "address": "1 rue", "city": "Toulouse" }, "name": "P1" },
            { "b": "p2", "categories": [], "id": "2",
              "location": { "address": "2 rue", "city": "Toulouse" }, "name": "P2" },
        ] },
    });
    assert_eq!(
        arranged(query, json!({}), data),
        concat!(
            r#"{"z":{"nodes":["#,
            r#"{"location":{"city":"Toulouse","address":"1 rue"},"categories":[{"name":"Parc","slug":"parc"}],"name":"P1","id":"1","b":"p1"},"#,
            r#"{"location":{"city":"Toulouse","address":"2 rue"},"categories":[],"name":"P2","id":"2","b":"p2"}"#,
            r#"]},"a":[{"slug":"ville","name":"Ville"}]}"#
        )
    );
}

#[test]
fn a_field_asked_twice_keeps_its_first_place_with_both_selections() {
    let query = "{ place(slug: \"x\") { name } organizations { slug } place(slug: \"x\") { categories { name } id name } }";
    let data = json!({
        "organizations": [{ "slug": "ville" }],
        "place": { "categories": [], "id": "1", "name": "P" },
    });
    assert_eq!(
        arranged(query, json!({}), data),
        r#"{"place":{"name":"P","categories":[],"id":"1"},"organizations":[{"slug":"ville"}]}"#
    );
}

#[test]
fn objects_of_an_interface_or_a_union_follow_their_own_type() {
    let query = r#"{
      nodes(ids: ["a", "b"]) {
        ... on Event { id title }
        ... on Place { name ...Named id }
        ... on Node { id }
      }
    }
    fragment Named on Place { slug }"#;
    let prepared = prepared(query);
    let key = prepared.type_key.to_string();
    assert_eq!(key, TYPE_KEY);
    let data = json!({ "nodes": [
        { "id": "a", "name": "P", "slug": "p", key.clone(): "Place" },
        { key.clone(): "Event", "title": "E", "id": "b" },
        null,
    ] });
    assert_eq!(
        arranged(query, json!({}), data),
        r#"{"nodes":[{"name":"P","slug":"p","id":"a"},{"id":"b","title":"E"},null]}"#
    );
}

#[test]
fn the_document_that_runs_asks_for_the_type_below_interfaces_and_unions_only() {
    let query = r#"{
      places(first: 1) { nodes { name } }
      node(id: "a") { id ... on Place { categories { name } } }
      changes(first: 1) { nodes { node { ...Item } } }
    }
    fragment Item on ChangedItem { ... on Place { nodes: name } }"#;
    let prepared = prepared(query);
    assert_eq!(
        keys_under_types(&prepared.to_run(), TYPE_KEY),
        vec!["node".to_owned(), "node".to_owned()]
    );
    // The limits judge the document as written.
    assert!(keys_under_types(prepared.written(), TYPE_KEY).is_empty());
    let plain = self::prepared("{ places(first: 1) { nodes { name } } }");
    assert!(
        plain.run.is_none(),
        "nothing to ask: the written document runs"
    );
}

#[test]
fn a_document_that_uses_the_type_key_itself_gets_another() {
    let query = "{ _capitoleType: __typename node(id: \"a\") { _capitoleType1: id ... on Place { name } } }";
    let prepared = prepared(query);
    assert_eq!(prepared.type_key.as_str(), "_capitoleType2");
    let data = json!({
        "node": { "name": "P", "_capitoleType2": "Place", "_capitoleType1": "a" },
        "_capitoleType": "Query",
    });
    assert_eq!(
        arranged(query, json!({}), data),
        r#"{"_capitoleType":"Query","node":{"_capitoleType1":"a","name":"P"}}"#
    );
}

#[test]
fn skipped_selections_take_no_place() {
    let query = "query($yes: Boolean!) { place(slug: \"x\") { id @include(if: $yes) ... @skip(if: $yes) { slug } name id slug } }";
    let data = json!({ "place": { "id": "1", "name": "P", "slug": "p" } });
    assert_eq!(
        arranged(query, json!({ "yes": true }), data.clone()),
        r#"{"place":{"id":"1","name":"P","slug":"p"}}"#
    );
    assert_eq!(
        arranged(query, json!({ "yes": false }), data),
        r#"{"place":{"slug":"p","name":"P","id":"1"}}"#
    );
}

#[test]
fn introspection_is_arranged_though_its_types_are_not_indexed() {
    let query = "{ __type(name: \"Place\") { name ...Kind fields { type { name } name } } }
      fragment Kind on __Type { kind }";
    let data = json!({ "__type": {
        "fields": [{ "name": "id", "type": { "name": null } }],
        "kind": "OBJECT",
        "name": "Place",
    } });
    assert_eq!(
        arranged(query, json!({}), data),
        r#"{"__type":{"name":"Place","kind":"OBJECT","fields":[{"type":{"name":null},"name":"id"}]}}"#
    );
}

#[test]
fn the_operation_named_by_the_request_is_the_one_arranged() {
    let query = "query A { organizations { name slug } } query B { organizations { slug name } }";
    let data = || Value::from_json(json!({ "organizations": [{ "name": "V", "slug": "v" }] }));
    for (operation, expected) in [
        ("A", r#"{"organizations":[{"name":"V","slug":"v"}]}"#),
        ("B", r#"{"organizations":[{"slug":"v","name":"V"}]}"#),
    ] {
        let asked = Asked::new(
            prepared(query),
            Some(operation.to_owned()),
            &Variables::default(),
        );
        let mut data = data().unwrap();
        field_order().arrange(&mut data, &asked);
        assert_eq!(serde_json::to_string(&data).unwrap(), expected);
    }
}

#[test]
fn only_documents_of_one_operation_without_variables_keep_having_passed_validation() {
    let constant = prepared("{ events { nodes { title } } }");
    assert!(!constant.validated());
    constant.passed_validation();
    assert!(constant.validated());
    for varying in [
        "query($n: Int) { events(first: $n) { nodes { title } } }",
        "query A { events { nodes { title } } } query B { news { nodes { title } } }",
    ] {
        let document = prepared(varying);
        document.passed_validation();
        assert!(!document.validated(), "{varying}");
    }
}
