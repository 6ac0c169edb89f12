//! Easy-to-read summaries of places, on both databases: written with the place, changed,
//! removed, checked like the other texts, and read back on every path to the place.

use serde_json::{Value, json};

use super::accounts::{city_editor, run};
use super::{apps, code};

const CREATE: &str = "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id version easyReadSummary } } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $patch: PlacePatch!) { updatePlace(id: $id, version: $v, patch: $patch) { place { version easyReadSummary } } }";

fn library(easy_read: Value) -> Value {
    json!({
        "name": "Bibliothèque des Izards",
        "easyReadSummary": easy_read,
        "location": { "latitude": 43.63, "longitude": 1.43, "address": "Rue des Izards", "postalCode": "31200", "city": "Toulouse" },
        "categories": ["library"],
        "publishers": ["ville-de-toulouse"]
    })
}

#[tokio::test]
async fn a_places_easy_read_summary_is_written_changed_removed_and_checked() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let text = "La bibliothèque prête des livres.\nElle est gratuite.";
        let (_, body) = run(
            &app,
            Some(&editor),
            CREATE,
            json!({ "input": library(json!(text)) }),
        )
        .await;
        let place = &body["data"]["createPlace"]["place"];
        assert_eq!(place["easyReadSummary"], text, "{label}: {body}");
        let id = place["id"].as_str().unwrap().to_owned();

        // Anyone reads it, by id and in a list.
        let (_, read) = run(
            &app,
            None,
            "query($id: ID!) { node(id: $id) { ... on Place { easyReadSummary } } places(first: 5, filter: { search: \"izards\" }) { nodes { easyReadSummary } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            read["data"]["node"]["easyReadSummary"], text,
            "{label}: {read}"
        );
        assert_eq!(
            read["data"]["places"]["nodes"][0]["easyReadSummary"], text,
            "{label}: {read}"
        );

        // Too long: refused, naming the field, and nothing changes.
        let long = "a".repeat(1_201);
        let (_, refused) = run(
            &app,
            Some(&editor),
            UPDATE,
            json!({ "id": id, "v": 1, "patch": { "easyReadSummary": long } }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["fields"][0]["field"], "easyReadSummary",
            "{label}: {refused}"
        );

        // Another patch leaves it; a new text replaces it; null removes it.
        let (_, kept) = run(
            &app,
            Some(&editor),
            UPDATE,
            json!({ "id": id, "v": 1, "patch": { "name": "Bibliothèque des Izards Sud" } }),
        )
        .await;
        assert_eq!(
            kept["data"]["updatePlace"]["place"]["easyReadSummary"], text,
            "{label}: {kept}"
        );
        let (_, changed) = run(
            &app,
            Some(&editor),
            UPDATE,
            json!({ "id": id, "v": 2, "patch": { "easyReadSummary": "Une bibliothèque." } }),
        )
        .await;
        assert_eq!(
            changed["data"]["updatePlace"]["place"]["easyReadSummary"], "Une bibliothèque.",
            "{label}: {changed}"
        );
        let (_, removed) = run(
            &app,
            Some(&editor),
            UPDATE,
            json!({ "id": id, "v": 3, "patch": { "easyReadSummary": null } }),
        )
        .await;
        assert_eq!(
            removed["data"]["updatePlace"]["place"]["easyReadSummary"],
            Value::Null,
            "{label}: {removed}"
        );
        assert_eq!(
            removed["data"]["updatePlace"]["place"]["version"], 4,
            "{label}: {removed}"
        );
    }
}
