//! Social posts that announced events and places, on both databases: recorded by the
//! item's editors and by no one else, checked against their network, listed on the item,
//! and removed.

use capitole_domain::access::Role;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::accounts::{access_of, create, run};
use super::{TestApp, apps, code};

const RECORD: &str = "mutation($id: ID, $n: Network!, $u: URL!) { recordSocialPost(itemId: $id, network: $n, url: $u) { socialPost { id network url } } }";
const POSTS: &str = "query($id: ID!) { node(id: $id) { ... on Event { socialPosts { totalCount nodes { id network url } } } ... on Place { socialPosts { totalCount nodes { id network url } } } } }";

async fn created(app: &TestApp, token: &str, mutation: &str, input: Value) -> String {
    let (_, body) = run(app, Some(token), mutation, json!({ "input": input })).await;
    body["data"]
        .as_object()
        .and_then(|data| data.values().next())
        .and_then(|payload| payload.as_object())
        .and_then(|payload| payload.values().find_map(|item| item["id"].as_str()))
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

fn at(days: i64, hour: u32) -> String {
    let date = (Utc::now() + Duration::days(days)).date_naive();
    date.and_hms_opt(hour, 0, 0).unwrap().and_utc().to_rfc3339()
}

async fn posts(app: &TestApp, id: &str) -> Value {
    let (_, body) = run(app, None, POSTS, json!({ "id": id })).await;
    body["data"]["node"]["socialPosts"].clone()
}

#[tokio::test]
async fn editors_record_and_remove_the_posts_that_announced_their_events_and_places() {
    for app in apps().await {
        let label = &app.test_db.label;
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
        let place = created(
            &app,
            &ville,
            "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }",
            json!({
                "name": "Halle aux grains",
                "location": { "latitude": 43.6, "longitude": 1.45, "address": "Place Dupuy", "postalCode": "31000", "city": "Toulouse" },
                "publishers": ["ville-de-toulouse"]
            }),
        )
        .await;
        let event = created(
            &app,
            &ville,
            "mutation($input: EventInput!) { createEvent(input: $input) { event { id } } }",
            json!({
                "title": "Concert à la Halle",
                "publishers": ["ville-de-toulouse"],
                "venue": place,
                "occurrences": [{ "startsAt": at(5, 20), "endsAt": at(5, 22) }]
            }),
        )
        .await;

        // Recorded once per address, cleaned of tracking parameters.
        let facebook = json!({ "id": event, "n": "FACEBOOK", "u": "https://www.facebook.com/toulouse/posts/123?fbclid=abc" });
        let (_, posted) = run(&app, Some(&ville), RECORD, facebook.clone()).await;
        let post = &posted["data"]["recordSocialPost"]["socialPost"];
        assert_eq!(
            post["url"], "https://www.facebook.com/toulouse/posts/123",
            "{label}: {posted}"
        );
        let (_, again) = run(&app, Some(&ville), RECORD, facebook).await;
        assert_eq!(
            again["data"]["recordSocialPost"]["socialPost"]["id"], post["id"],
            "{label}: {again}"
        );
        let (_, scoop) = run(&app, Some(&ville), RECORD, json!({ "id": event, "n": "SCOOPIT", "u": "https://www.scoop.it/topic/toulouse/p/4150000000" })).await;
        assert!(scoop.get("errors").is_none(), "{label}: {scoop}");
        let (_, instagram) = run(&app, Some(&ville), RECORD, json!({ "id": place, "n": "INSTAGRAM", "u": "https://www.instagram.com/p/C1a2b3c4d5e/" })).await;
        assert!(instagram.get("errors").is_none(), "{label}: {instagram}");

        // Refused, and nothing recorded: an address of another network, another
        // organization's editor, an anonymous caller, an id that is not an announced item.
        let (_, wrong) = run(
            &app,
            Some(&ville),
            RECORD,
            json!({ "id": place, "n": "X", "u": "https://www.facebook.com/toulouse/posts/456" }),
        )
        .await;
        assert_eq!(
            wrong["errors"][0]["extensions"]["fields"][0]["field"], "url",
            "{label}: {wrong}"
        );
        let x_post = json!({ "id": event, "n": "X", "u": "https://x.com/toulouse/status/1" });
        let (_, other) = run(&app, Some(&metropole), RECORD, x_post.clone()).await;
        assert_eq!(code(&other), "FORBIDDEN", "{label}: {other}");
        let (_, anonymous) = run(&app, None, RECORD, x_post).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{label}: {anonymous}");
        let (_, category) = run(&app, Some(&ville), "{ categories { id } }", json!({})).await;
        let category = category["data"]["categories"][0]["id"].clone();
        let (_, not_item) = run(
            &app,
            Some(&ville),
            RECORD,
            json!({ "id": category, "n": "X", "u": "https://x.com/toulouse/status/2" }),
        )
        .await;
        assert_eq!(code(&not_item), "BAD_USER_INPUT", "{label}: {not_item}");
        let (_, neither) = run(
            &app,
            Some(&ville),
            RECORD,
            json!({ "id": null, "n": "X", "u": "https://x.com/toulouse/status/3" }),
        )
        .await;
        assert_eq!(code(&neither), "BAD_USER_INPUT", "{label}: {neither}");

        // Listed on the item, oldest first; removed by its editors.
        let on_event = posts(&app, &event).await;
        assert_eq!(on_event["totalCount"], 2, "{label}: {on_event}");
        assert_eq!(
            on_event["nodes"][0]["network"], "FACEBOOK",
            "{label}: {on_event}"
        );
        assert_eq!(
            on_event["nodes"][1]["network"], "SCOOPIT",
            "{label}: {on_event}"
        );
        let on_place = posts(&app, &place).await;
        assert_eq!(on_place["totalCount"], 1, "{label}: {on_place}");
        let remove = "mutation($id: ID!) { removeSocialPost(id: $id) { deletedId } }";
        let instagram_post = on_place["nodes"][0]["id"].clone();
        let (_, foreign) = run(
            &app,
            Some(&metropole),
            remove,
            json!({ "id": instagram_post }),
        )
        .await;
        assert_eq!(code(&foreign), "FORBIDDEN", "{label}: {foreign}");
        let (_, removed) = run(&app, Some(&ville), remove, json!({ "id": instagram_post })).await;
        assert_eq!(
            removed["data"]["removeSocialPost"]["deletedId"], instagram_post,
            "{label}: {removed}"
        );
        assert_eq!(posts(&app, &place).await["totalCount"], 0, "{label}");
        assert_eq!(posts(&app, &event).await["totalCount"], 2, "{label}");
    }
}
