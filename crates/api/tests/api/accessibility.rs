//! Accessibility carried from venues to their events, on both databases: an event that
//! states none shows its venue's and follows its changes (each a new version of the event in
//! the change log), filters and facets read what events show, and an event can state its
//! own, and show its venue's again by stating none.

use serde_json::{Value, json};

use super::accounts::{city_editor, run};
use super::{TestApp, apps};

const DETAILS: &str = "accessibility accessibilityDetails { source families features }";

fn hall() -> Value {
    json!({
        "name": "Salle des fêtes des Izards",
        "location": { "latitude": 43.63, "longitude": 1.43, "address": "Rue des Izards", "postalCode": "31200", "city": "Toulouse" },
        "categories": ["library"],
        "accessibilityFeatures": ["STEP_FREE_ENTRANCE", "INDUCTION_LOOP"],
        "publishers": ["ville-de-toulouse"]
    })
}

fn event_at(venue: &str, title: &str) -> Value {
    let starts = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let ends =
        (chrono::Utc::now() + chrono::Duration::days(5) + chrono::Duration::hours(2)).to_rfc3339();
    json!({
        "title": title,
        "publishers": ["ville-de-toulouse"],
        "categories": ["event-concert"],
        "venue": venue,
        "occurrences": [{ "startsAt": starts, "endsAt": ends }]
    })
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (_, body) = run(app, Some(token), query, variables).await;
    assert!(body["errors"].is_null(), "{}: {body}", app.test_db.label);
    body["data"].clone()
}

/// The titles of the events at `venue` that a filter keeps, in title order.
async fn titles(app: &TestApp, venue: &str, filter: Value) -> Vec<String> {
    let mut filter = filter;
    filter["venues"] = json!([venue]);
    let (_, body) = run(
        app,
        None,
        "query($f: EventFilter) { events(first: 10, filter: $f) { nodes { title } } }",
        json!({ "f": filter }),
    )
    .await;
    let mut titles: Vec<String> = body["data"]["events"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

/// The versions the change log gives of `id`, in order.
async fn logged_versions(app: &TestApp, id: &str) -> Vec<i64> {
    let mut versions = Vec::new();
    let mut after = Value::Null;
    loop {
        let (_, body) = run(
            app,
            None,
            "query($after: String) { changes(after: $after, first: 100) { edges { node { id version } } pageInfo { hasNextPage endCursor } } }",
            json!({ "after": after }),
        )
        .await;
        let changes = &body["data"]["changes"];
        for edge in changes["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
        {
            if edge["node"]["id"] == id {
                versions.push(edge["node"]["version"].as_i64().unwrap());
            }
        }
        if changes["pageInfo"]["hasNextPage"] != true {
            return versions;
        }
        after = changes["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn events_show_their_venues_accessibility_unless_they_state_their_own() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let data = ok(
            &app,
            &editor,
            &format!("mutation($input: PlaceInput!) {{ createPlace(input: $input) {{ place {{ id {DETAILS} }} }} }}"),
            json!({ "input": hall() }),
        )
        .await;
        let place = &data["createPlace"]["place"];
        let venue = place["id"].as_str().unwrap().to_owned();
        // A feature brings its family along.
        assert_eq!(
            place["accessibility"],
            json!(["HEARING", "MOTOR"]),
            "{label}"
        );
        assert_eq!(
            place["accessibilityDetails"],
            json!({ "source": "STATED", "families": ["HEARING", "MOTOR"], "features": ["STEP_FREE_ENTRANCE", "INDUCTION_LOOP"] }),
            "{label}"
        );

        let create_event = format!(
            "mutation($input: EventInput!) {{ createEvent(input: $input) {{ event {{ id version {DETAILS} }} }} }}"
        );
        let data = ok(
            &app,
            &editor,
            &create_event,
            json!({ "input": event_at(&venue, "Bal") }),
        )
        .await;
        let bal = data["createEvent"]["event"].clone();
        assert_eq!(
            bal["accessibilityDetails"],
            json!({ "source": "VENUE", "families": ["HEARING", "MOTOR"], "features": ["STEP_FREE_ENTRANCE", "INDUCTION_LOOP"] }),
            "{label}"
        );
        assert_eq!(bal["accessibility"], json!(["HEARING", "MOTOR"]), "{label}");
        let mut signed = event_at(&venue, "Conte signé");
        signed["accessibilityFeatures"] = json!(["SIGN_LANGUAGE"]);
        let data = ok(&app, &editor, &create_event, json!({ "input": signed })).await;
        let conte = data["createEvent"]["event"].clone();
        assert_eq!(
            conte["accessibilityDetails"],
            json!({ "source": "STATED", "families": ["HEARING"], "features": ["SIGN_LANGUAGE"] }),
            "{label}"
        );

        // Filters and facets read what each event shows.
        assert_eq!(
            titles(&app, &venue, json!({ "accessibility": ["MOTOR"] })).await,
            ["Bal"],
            "{label}"
        );
        assert_eq!(
            titles(&app, &venue, json!({ "accessibility": ["HEARING"] })).await,
            ["Bal", "Conte signé"],
            "{label}"
        );
        assert_eq!(
            titles(
                &app,
                &venue,
                json!({ "accessibilityFeatures": ["SIGN_LANGUAGE"] })
            )
            .await,
            ["Conte signé"],
            "{label}"
        );
        let (_, facets) = run(
            &app,
            None,
            "query($v: [ID!]) { events(first: 1, filter: { venues: $v }) { facets { accessibility { value count } } } }",
            json!({ "v": [venue] }),
        )
        .await;
        assert_eq!(
            facets["data"]["events"]["facets"]["accessibility"],
            json!([{ "value": "HEARING", "count": 2 }, { "value": "MOTOR", "count": 1 }]),
            "{label}: {facets}"
        );

        // The venue changes: the event that shows it follows, with a new version in the
        // change log; the one that states its own does not move.
        let bal_id = bal["id"].as_str().unwrap();
        assert_eq!(logged_versions(&app, bal_id).await, [1], "{label}");
        ok(
            &app,
            &editor,
            "mutation($id: ID!, $patch: PlacePatch!) { updatePlace(id: $id, version: 1, patch: $patch) { place { version } } }",
            json!({ "id": venue, "patch": { "accessibility": [], "accessibilityFeatures": ["STEP_FREE_ENTRANCE", "ACCESSIBLE_TOILETS"] } }),
        )
        .await;
        let read = format!(
            "query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Event {{ version {DETAILS} }} }} }}"
        );
        let (_, body) = run(&app, None, &read, json!({ "ids": [bal_id, conte["id"]] })).await;
        let nodes = &body["data"]["nodes"];
        assert_eq!(
            nodes[0],
            json!({ "version": 2, "accessibility": ["MOTOR"], "accessibilityDetails": { "source": "VENUE", "families": ["MOTOR"], "features": ["STEP_FREE_ENTRANCE", "ACCESSIBLE_TOILETS"] } }),
            "{label}: {body}"
        );
        assert_eq!(nodes[1]["version"], 1, "{label}: {body}");
        assert_eq!(
            nodes[1]["accessibility"],
            json!(["HEARING"]),
            "{label}: {body}"
        );
        assert_eq!(logged_versions(&app, bal_id).await, [1, 2], "{label}");
        assert_eq!(
            titles(&app, &venue, json!({ "accessibility": ["HEARING"] })).await,
            ["Conte signé"],
            "{label}"
        );

        // An event that stops stating any shows its venue's again.
        let update_event = format!(
            "mutation($id: ID!, $v: Int!, $patch: EventPatch!) {{ updateEvent(id: $id, version: $v, patch: $patch) {{ event {{ version {DETAILS} }} }} }}"
        );
        let data = ok(
            &app,
            &editor,
            &update_event,
            json!({ "id": conte["id"], "v": 1, "patch": { "accessibility": [], "accessibilityFeatures": [] } }),
        )
        .await;
        assert_eq!(
            data["updateEvent"]["event"]["accessibilityDetails"]["source"], "VENUE",
            "{label}"
        );
        assert_eq!(
            data["updateEvent"]["event"]["accessibility"],
            json!(["MOTOR"]),
            "{label}"
        );

        // Without a venue, an event that states nothing shows nothing known.
        let data = ok(
            &app,
            &editor,
            &update_event,
            json!({ "id": bal_id, "v": 2, "patch": { "venue": null, "locationText": "Place des Izards" } }),
        )
        .await;
        assert_eq!(
            data["updateEvent"]["event"]["accessibilityDetails"],
            json!({ "source": "UNKNOWN", "families": [], "features": [] }),
            "{label}"
        );
    }
}
