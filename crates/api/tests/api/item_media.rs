//! Media on events and places, on both databases: addresses on the city's channels are
//! recognised and normalised as an article's are, a bad one is named and nothing is written,
//! a patch replaces them all, and linked data lists the videos and images.

use serde_json::{Value, json};

use super::accounts::{city_editor, run};
use super::{apps, code};

const MEDIA: &str = "media { kind provider providerId url embedUrl thumbnailUrl alt caption }";

fn square(media: Value) -> Value {
    json!({
        "name": "Square Charles de Gaulle",
        "location": { "latitude": 43.6033, "longitude": 1.4454, "address": "Rue de Metz", "postalCode": "31000", "city": "Toulouse" },
        "categories": ["park-garden"],
        "media": media,
        "publishers": ["ville-de-toulouse"]
    })
}

fn concert(venue: &str, media: Value) -> Value {
    let starts = (chrono::Utc::now() + chrono::Duration::days(9)).to_rfc3339();
    let ends =
        (chrono::Utc::now() + chrono::Duration::days(9) + chrono::Duration::hours(2)).to_rfc3339();
    json!({
        "title": "Concert au square",
        "publishers": ["ville-de-toulouse"],
        "categories": ["event-concert"],
        "venue": venue,
        "media": media,
        "occurrences": [{ "startsAt": starts, "endsAt": ends }]
    })
}

fn fields(body: &Value) -> Vec<&str> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|list| list.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn events_and_places_carry_media_from_the_citys_channels() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let create_place = format!(
            "mutation($input: PlaceInput!) {{ createPlace(input: $input) {{ place {{ id version {MEDIA} }} }} }}"
        );

        // A YouTube channel page is not a video, and an image needs its text alternative:
        // each is named, and nothing is written.
        let bad = json!([
            { "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ" },
            { "url": "https://www.youtube.com/@VilledeToulouse" },
            { "url": "https://www.instagram.com/p/C1a2B3c4D5e/" }
        ]);
        let (_, refused) = run(
            &app,
            Some(&editor),
            &create_place,
            json!({ "input": square(bad) }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        assert_eq!(fields(&refused), ["media[1]", "media[2]"], "{label}");
        let (_, none) = run(
            &app,
            None,
            "{ place(slug: \"square-charles-de-gaulle\") { id } }",
            json!({}),
        )
        .await;
        assert_eq!(none["data"]["place"], Value::Null, "{label}");

        // Tracking parameters and other spellings give the canonical address and its player.
        let good = json!([
            { "url": "https://youtu.be/dQw4w9WgXcQ?si=tracking", "caption": "Le square en été" },
            { "url": "https://www.instagram.com/p/C1a2B3c4D5e/?igsh=abc", "alt": "Le kiosque à musique sous la neige" }
        ]);
        let (_, body) = run(
            &app,
            Some(&editor),
            &create_place,
            json!({ "input": square(good) }),
        )
        .await;
        let place = &body["data"]["createPlace"]["place"];
        assert_eq!(
            place["media"],
            json!([
                {
                    "kind": "VIDEO", "provider": "YOUTUBE", "providerId": "dQw4w9WgXcQ",
                    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "embedUrl": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
                    "thumbnailUrl": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
                    "alt": null, "caption": "Le square en été"
                },
                {
                    "kind": "IMAGE", "provider": "INSTAGRAM", "providerId": "C1a2B3c4D5e",
                    "url": "https://www.instagram.com/p/C1a2B3c4D5e/",
                    "embedUrl": "https://www.instagram.com/p/C1a2B3c4D5e/embed",
                    "thumbnailUrl": null,
                    "alt": "Le kiosque à musique sous la neige", "caption": null
                }
            ]),
            "{label}: {body}"
        );
        let place_id = place["id"].as_str().unwrap().to_owned();

        // An event's media, and its linked data: the video is a subject of the event.
        let (_, body) = run(
            &app,
            Some(&editor),
            &format!("mutation($input: EventInput!) {{ createEvent(input: $input) {{ event {{ id version {MEDIA} jsonLd }} }} }}"),
            json!({ "input": concert(&place_id, json!([{ "url": "https://www.dailymotion.com/video/x8t2c5k?playlist=x6hynp" }])) }),
        )
        .await;
        let event = &body["data"]["createEvent"]["event"];
        assert_eq!(
            event["media"][0]["url"], "https://www.dailymotion.com/video/x8t2c5k",
            "{label}: {body}"
        );
        assert_eq!(event["media"][0]["provider"], "DAILYMOTION", "{label}");
        let subjects = event["jsonLd"]["subjectOf"].as_array().unwrap();
        assert_eq!(subjects[0]["@type"], "Dataset", "{label}");
        assert_eq!(subjects[1]["@type"], "VideoObject", "{label}");
        assert_eq!(
            subjects[1]["embedUrl"], "https://www.dailymotion.com/embed/video/x8t2c5k",
            "{label}"
        );

        // A patch replaces them all; one that is refused keeps what was there.
        let patch = "mutation($id: ID!, $v: Int!, $patch: PlacePatch!) { updatePlace(id: $id, version: $v, patch: $patch) { place { version media { url } } } }";
        let (_, refused) = run(
            &app,
            Some(&editor),
            patch,
            json!({ "id": place_id, "v": 1, "patch": { "media": [{ "url": "http://www.youtube.com/watch?v=dQw4w9WgXcQ" }] } }),
        )
        .await;
        assert_eq!(fields(&refused), ["media[0]"], "{label}: {refused}");
        let (_, body) = run(
            &app,
            Some(&editor),
            patch,
            json!({ "id": place_id, "v": 1, "patch": { "media": [] } }),
        )
        .await;
        assert_eq!(
            body["data"]["updatePlace"]["place"],
            json!({ "version": 2, "media": [] }),
            "{label}: {body}"
        );
    }
}
