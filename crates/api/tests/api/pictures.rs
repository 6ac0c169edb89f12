//! Pictures of places and events, on both databases: written with their text alternative,
//! credit, licence, size and focal point, checked field by field, read at the widths
//! screens need through the image proxy's signed addresses, and at their narrowest with
//! plain texts for clients that save data.

use axum::http::{HeaderName, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::accounts::{city_editor, run};
use super::caching::get;
use super::{TEST_IMAGE_PROXY, TEST_IMAGE_PROXY_KEY, TEST_IMAGE_PROXY_SALT, apps, code, send};

const FACADE: &str = "https://photos.toulouse.fr/capitole-facade.jpg";

fn facade() -> Value {
    json!({
        "url": FACADE,
        "alt": "La façade rose du Capitole",
        "credit": "Mairie de Toulouse",
        "licence": "CC BY 4.0",
        "focalPoint": { "x": 0.5, "y": 0.25 },
        "width": 2400,
        "height": 1600
    })
}

fn hall(pictures: Value) -> Value {
    json!({
        "name": "Salle des Illustres",
        "location": { "latitude": 43.6045, "longitude": 1.4442, "address": "Place du Capitole", "postalCode": "31000", "city": "Toulouse" },
        "categories": ["town-hall"],
        "pictures": pictures,
        "publishers": ["ville-de-toulouse"]
    })
}

/// The address the proxy serves `source` at `width` pixels with the focal point given, as
/// imgproxy computes its signature: HMAC-SHA256 under the key, of the salt and the path.
fn proxied(source: &str, width: u32, focal: Option<(&str, &str)>) -> String {
    let mut path = format!("/rs:fit:{width}:0");
    if let Some((x, y)) = focal {
        path.push_str(&format!("/g:fp:{x}:{y}"));
    }
    path.push('/');
    path.push_str(&URL_SAFE_NO_PAD.encode(source));
    let bytes = |hex: &str| {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&bytes(TEST_IMAGE_PROXY_KEY)).unwrap();
    mac.update(&bytes(TEST_IMAGE_PROXY_SALT));
    mac.update(path.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{TEST_IMAGE_PROXY}/{signature}{path}")
}

const PICTURE: &str = "url alt credit licence focalPoint { x y } width height narrow: url(width: 320) variants { width height url } srcset";

#[tokio::test]
async fn pictures_are_written_checked_and_served_at_the_widths_screens_need() {
    for app in apps().await {
        let label = &app.test_db.label;
        let editor = city_editor(&app).await;
        let create_place = format!(
            "mutation($input: PlaceInput!) {{ createPlace(input: $input) {{ place {{ id version image {{ {PICTURE} }} pictures {{ alt }} }} }} }}"
        );

        // A picture without its text alternative, over http, of no size: each field named,
        // nothing written.
        let bad = json!({ "url": "http://photos.toulouse.fr/x.jpg", "alt": " ", "width": 0, "height": 10, "focalPoint": { "x": 2, "y": 0 } });
        let (_, refused) = run(
            &app,
            Some(&editor),
            &create_place,
            json!({ "input": hall(json!([facade(), bad])) }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        let fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "pictures[1].url",
                "pictures[1].alt",
                "pictures[1].width",
                "pictures[1].focalPoint"
            ],
            "{label}"
        );
        let (_, none) = run(
            &app,
            None,
            "{ place(slug: \"salle-des-illustres\") { id } }",
            json!({}),
        )
        .await;
        assert_eq!(none["data"]["place"], Value::Null, "{label}");

        let gallery = json!({ "url": "https://photos.toulouse.fr/plafond.jpg", "alt": "Le plafond peint", "width": 800, "height": 600 });
        let (_, body) = run(
            &app,
            Some(&editor),
            &create_place,
            json!({ "input": hall(json!([facade(), gallery])) }),
        )
        .await;
        let place = &body["data"]["createPlace"]["place"];
        let image = &place["image"];
        assert_eq!(image["url"], FACADE, "{label}: {body}");
        assert_eq!(image["alt"], "La façade rose du Capitole", "{label}");
        assert_eq!(image["licence"], "CC BY 4.0", "{label}");
        assert_eq!(
            image["focalPoint"],
            json!({ "x": 0.5, "y": 0.25 }),
            "{label}"
        );
        assert_eq!(
            image["narrow"],
            proxied(FACADE, 320, Some(("0.5", "0.25"))),
            "{label}"
        );
        let widths: Vec<(i64, i64)> = image["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["width"].as_i64().unwrap(), v["height"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            widths,
            [
                (160, 106),
                (320, 213),
                (640, 426),
                (960, 640),
                (1280, 853),
                (1920, 1280),
                (2400, 1600)
            ],
            "{label}"
        );
        let srcset = image["srcset"].as_str().unwrap();
        assert!(
            srcset.starts_with(&format!(
                "{} 160w, ",
                proxied(FACADE, 160, Some(("0.5", "0.25")))
            )),
            "{label}: {srcset}"
        );
        assert!(srcset.ends_with(" 2400w"), "{label}: {srcset}");
        assert_eq!(
            place["pictures"],
            json!([{ "alt": "La façade rose du Capitole" }, { "alt": "Le plafond peint" }]),
            "{label}"
        );
        // A width out of range is refused with the range.
        let (_, wide) = run(
            &app,
            None,
            "{ place(slug: \"salle-des-illustres\") { image { url(width: 0) } } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&wide), "BAD_USER_INPUT", "{label}: {wide}");

        // An event's pictures, and what a client saving data gets: the narrowest variant
        // and plain texts, kept apart from the full answer.
        let starts = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        let ends = (chrono::Utc::now() + chrono::Duration::days(3) + chrono::Duration::hours(1))
            .to_rfc3339();
        let (_, made) = run(
            &app,
            Some(&editor),
            "mutation($input: EventInput!) { createEvent(input: $input) { event { slug } } }",
            json!({ "input": {
                "title": "Visite des Illustres",
                "description": "Une visite **guidée** des salons.",
                "publishers": ["ville-de-toulouse"],
                "categories": ["event-guided-tour"],
                "locationText": "Capitole",
                "pictures": [facade()],
                "occurrences": [{ "startsAt": starts, "endsAt": ends }]
            } }),
        )
        .await;
        let slug = made["data"]["createEvent"]["event"]["slug"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {made}"))
            .to_owned();
        let query = format!(
            "{{ event(slug: \"{slug}\") {{ description image {{ url variants {{ width }} }} }} }}"
        );
        let saving = [(HeaderName::from_static("save-data"), "on")];
        let (status, headers, saved) = send(&app.router, get(&[("query", &query)], &saving)).await;
        assert_eq!(status, StatusCode::OK, "{label}: {saved}");
        let event = &saved["data"]["event"];
        assert_eq!(
            event["description"], "Une visite guidée des salons.",
            "{label}"
        );
        assert_eq!(
            event["image"]["url"],
            proxied(FACADE, 160, Some(("0.5", "0.25"))),
            "{label}"
        );
        assert_eq!(
            event["image"]["variants"],
            json!([{ "width": 160 }]),
            "{label}"
        );
        let vary = headers[header::VARY].to_str().unwrap();
        assert!(vary.contains("Save-Data"), "{label}: {vary}");
        let (_, _, full) = send(&app.router, get(&[("query", &query)], &[])).await;
        let event = &full["data"]["event"];
        assert_eq!(
            event["description"], "Une visite **guidée** des salons.",
            "{label}"
        );
        assert_eq!(event["image"]["url"], FACADE, "{label}");
        assert_eq!(
            event["image"]["variants"].as_array().unwrap().len(),
            7,
            "{label}"
        );

        // A patch replaces the pictures; [] removes them.
        let id = place["id"].as_str().unwrap();
        let (_, patched) = run(
            &app,
            Some(&editor),
            "mutation($id: ID!, $patch: PlacePatch!) { updatePlace(id: $id, version: 1, patch: $patch) { place { version image { url } pictures { url } } } }",
            json!({ "id": id, "patch": { "pictures": [] } }),
        )
        .await;
        assert_eq!(
            patched["data"]["updatePlace"]["place"],
            json!({ "version": 2, "image": null, "pictures": [] }),
            "{label}: {patched}"
        );
    }
}
