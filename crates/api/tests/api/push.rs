//! Web Push, as a browser and its push service see it: a push service started by the test
//! on 127.0.0.1 (allowed by the tests' settings) takes each request, checks its VAPID
//! signature against `vapidPublicKey`, and decrypts the message with the private key of
//! the browser that subscribed (RFC 8291).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::access::Role;
use p256::ecdsa::signature::Verifier;
use serde_json::{Value, json};

use super::accounts::{access_of, create, register_as, run};
use super::apps;
use super::live::{draft, publish, rename};

/// A browser's side of a subscription: its key pair and authentication secret.
struct Browser {
    secret: web_push_native::p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: u8) -> Self {
        Self {
            secret: web_push_native::p256::SecretKey::from_slice(&[seed; 32]).unwrap(),
            auth: [seed.wrapping_add(1); 16],
        }
    }

    /// `PushSubscription.toJSON().keys`.
    fn keys(&self) -> Value {
        let public = self.secret.public_key();
        json!({
            "p256dh": URL_SAFE_NO_PAD.encode(public.to_sec1_bytes()),
            "auth": URL_SAFE_NO_PAD.encode(self.auth),
        })
    }

    fn decrypt(&self, body: &[u8]) -> Value {
        let mut auth = web_push_native::Auth::default();
        auth.copy_from_slice(&self.auth);
        let clear = web_push_native::decrypt(body.to_vec(), &self.secret, &auth).unwrap();
        serde_json::from_slice(&clear).unwrap()
    }
}

/// One request a push service received, for the subscription it names.
#[derive(Clone, Debug)]
struct Received {
    subscription: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A push service: takes messages for `/push/{name}`, answers 410 for `/gone/{name}`.
#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
}

async fn take(
    State(service): State<PushService>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    service.received.lock().unwrap().push(Received {
        subscription: name,
        headers,
        body: body.to_vec(),
    });
    StatusCode::CREATED
}

async fn gone() -> StatusCode {
    StatusCode::GONE
}

impl PushService {
    async fn start() -> (String, PushService) {
        let service = PushService::default();
        let router = axum::Router::new()
            .route("/push/{name}", axum::routing::post(take))
            .route("/gone/{name}", axum::routing::post(gone))
            .with_state(service.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (format!("http://{address}"), service)
    }

    /// The messages to `name` so far, as the browser `browser` reads them.
    fn read(&self, name: &str, browser: &Browser) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.subscription == name)
            .map(|r| browser.decrypt(&r.body))
            .collect()
    }

    /// Waits for the `n`-th message to `name`.
    async fn message(&self, name: &str, n: usize) -> Received {
        for _ in 0..300 {
            let found: Vec<Received> = self
                .received
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.subscription == name)
                .cloned()
                .collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message {n} for {name} within 15 s");
    }
}

/// Checks a request as a push service does (RFC 8292): `vapid t=<JWT>, k=<key>`, the key
/// Capitole publishes, an ES256 signature by it, for this service's origin, not expired.
fn check_vapid(received: &Received, public_key: &str, origin: &str) {
    let header = received.headers["authorization"].to_str().unwrap();
    let rest = header.strip_prefix("vapid ").unwrap();
    let mut token = "";
    let mut key = "";
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("t", value)) => token = value,
            Some(("k", value)) => key = value,
            _ => {}
        }
    }
    assert_eq!(key, public_key);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let verifying =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
    let signature =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    verifying.verify(input.as_bytes(), &signature).unwrap();
    let (_, claims) = input.split_once('.').unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], origin);
    assert_eq!(claims["sub"], "mailto:push@example.org");
    assert!(claims["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    assert_eq!(received.headers["content-encoding"], "aes128gcm");
    assert!(received.headers.contains_key("ttl"));
}

const REGISTER: &str = "mutation($input: RegisterPushSubscriptionInput!) { registerPushSubscription(input: $input) { pushSubscription { endpoint news going } } }";

#[tokio::test]
async fn a_browser_receives_what_it_subscribed_to_encrypted_for_it_and_a_gone_one_is_forgotten() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let (admin, editor) = (
            access_of(&app, "admin@example.org").await,
            access_of(&app, "ville@example.org").await,
        );
        let (ana, _) = register_as(&app, "ana@example.org", "Ana").await;
        let (bea, _) = register_as(&app, "bea@example.org", "Bea").await;
        let (origin, service) = PushService::start().await;
        let (_, body) = run(&app, None, "{ vapidPublicKey }", json!({})).await;
        let public_key = body["data"]["vapidPublicKey"].as_str().unwrap().to_owned();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&public_key).unwrap().len(),
            65,
            "{label}"
        );

        let (ana_browser, bea_browser) = (Browser::new(3), Browser::new(5));
        let ana_input = json!({ "endpoint": format!("{origin}/push/ana"), "keys": ana_browser.keys(), "topics": { "news": {}, "going": true } });
        let refusals = [
            (None, ana_input.clone(), "UNAUTHENTICATED"),
            (
                Some(ana.as_str()),
                json!({ "endpoint": format!("{origin}/push/ana"), "keys": { "p256dh": "bm9wZQ", "auth": "bm9wZQ" }, "topics": {} }),
                "BAD_USER_INPUT",
            ),
            (
                Some(ana.as_str()),
                json!({ "endpoint": format!("{origin}/push/ana"), "keys": ana_browser.keys(), "topics": { "news": { "categories": ["pas-une-categorie"] } } }),
                "BAD_USER_INPUT",
            ),
        ];
        for (who, input, code) in refusals {
            let (_, body) = run(&app, who, REGISTER, json!({ "input": input })).await;
            assert_eq!(super::code(&body), code, "{label}: {body}");
        }
        let (_, body) = run(&app, Some(&ana), REGISTER, json!({ "input": ana_input })).await;
        assert_eq!(
            body["data"]["registerPushSubscription"]["pushSubscription"],
            json!({ "endpoint": format!("{origin}/push/ana"), "news": true, "going": true }),
            "{label}: {body}"
        );
        let gone = format!("{origin}/gone/bea");
        let (_, body) = run(&app, Some(&bea), REGISTER, json!({ "input": { "endpoint": gone, "keys": bea_browser.keys(), "topics": { "news": {} } } })).await;
        assert!(
            body["data"]["registerPushSubscription"].is_object(),
            "{label}: {body}"
        );

        let (_, body) = run(
            &app,
            None,
            "{ events(first: 1) { nodes { id version nextOccurrence { id } } } }",
            json!({}),
        )
        .await;
        let event = &body["data"]["events"]["nodes"][0];
        let (id, mut version) = (
            event["id"].as_str().unwrap().to_owned(),
            event["version"].as_i64().unwrap(),
        );
        let (_, body) = run(
            &app,
            Some(&ana),
            "mutation($id: ID!) { setGoing(occurrenceId: $id) { going } }",
            json!({ "id": event["nextOccurrence"]["id"] }),
        )
        .await;
        assert_eq!(body["data"]["setGoing"]["going"], true, "{label}: {body}");

        // Registering started Web Push's place in the log: a replica started later still
        // sends what changed since.
        rename(&app, &admin, &id, &mut version, "Feu d'artifice reporté").await;
        let _replica = super::webhooks::replica(&app).await;
        let received = service.message("ana", 1).await;
        check_vapid(&received, &public_key, &origin);
        let message = ana_browser.decrypt(&received.body);
        assert_eq!(message["kind"], "EVENT_CHANGED", "{label}: {message}");
        assert_eq!(message["change"], "UPDATED", "{label}");
        assert_eq!(message["id"], id.as_str(), "{label}");
        assert_eq!(message["title"], "Feu d'artifice reporté", "{label}");

        let article = draft(&app, &editor, "Le marché de Noël ouvre", "noel").await;
        publish(&app, &editor, &article).await;
        let message = ana_browser.decrypt(&service.message("ana", 2).await.body);
        assert_eq!(message["kind"], "NEWS_PUBLISHED", "{label}: {message}");
        assert_eq!(message["id"], article.as_str(), "{label}");
        assert_eq!(message["title"], "Le marché de Noël ouvre", "{label}");

        // Bea's push service said her subscription is gone: it is forgotten.
        let mut forgotten = false;
        for _ in 0..100 {
            if capitole_persistence::push::by_endpoint(&app.db, &gone)
                .await
                .unwrap()
                .is_none()
            {
                forgotten = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(forgotten, "{label}: a 410 removes the subscription");

        let unregister =
            "mutation($e: URL!) { unregisterPushSubscription(endpoint: $e) { removed } }";
        let endpoint = format!("{origin}/push/ana");
        let (_, body) = run(&app, Some(&bea), unregister, json!({ "e": endpoint })).await;
        assert_eq!(
            body["data"]["unregisterPushSubscription"]["removed"], false,
            "{label}: not Bea's"
        );
        let (_, body) = run(&app, Some(&ana), unregister, json!({ "e": endpoint })).await;
        assert_eq!(
            body["data"]["unregisterPushSubscription"]["removed"], true,
            "{label}: {body}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn people_near_an_event_that_starts_soon_are_reminded_once_when_they_opted_in() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(
            &app,
            "ville@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let editor = access_of(&app, "ville@example.org").await;
        let (origin, service) = PushService::start().await;
        let (_, body) = run(
            &app,
            None,
            "{ places(first: 1) { nodes { id location { latitude longitude } } } }",
            json!({}),
        )
        .await;
        let place = &body["data"]["places"]["nodes"][0];
        let (latitude, longitude) = (
            place["location"]["latitude"].as_f64().unwrap(),
            place["location"]["longitude"].as_f64().unwrap(),
        );
        let starts = chrono::Utc::now() + chrono::Duration::minutes(20);
        let input = json!({
            "title": "Concert au jardin", "publishers": ["ville-de-toulouse"],
            "summary": "En plein air", "description": "Texte.", "categories": ["event-concert"],
            "isFree": true, "venue": place["id"],
            "occurrences": [{ "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::Duration::hours(2)).to_rfc3339() }]
        });
        let (_, body) = run(
            &app,
            Some(&editor),
            "mutation($input: EventInput!) { createEvent(input: $input) { event { id } } }",
            json!({ "input": input }),
        )
        .await;
        let event = body["data"]["createEvent"]["event"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .to_owned();

        // Ana opted in for 30 minutes' notice within 300 m of the venue; Bea asked for
        // 10 minutes' notice only; Cid lives in Paris; Dan did not opt in.
        let (mut browsers, mut accesses) = (Vec::new(), Vec::new());
        let people = [
            (
                "ana",
                json!({ "latitude": latitude, "longitude": longitude, "radiusMeters": 300, "withinMinutes": 30 }),
            ),
            (
                "bea",
                json!({ "latitude": latitude, "longitude": longitude, "withinMinutes": 10 }),
            ),
            (
                "cid",
                json!({ "latitude": 48.8566, "longitude": 2.3522, "radiusMeters": 10000, "withinMinutes": 60 }),
            ),
            ("dan", Value::Null),
        ];
        for (i, (name, nearby)) in people.iter().enumerate() {
            let (access, _) = register_as(&app, &format!("{name}@example.org"), name).await;
            let browser = Browser::new(10 + u8::try_from(i).unwrap());
            if i == 0 {
                let refused = [
                    json!({ "latitude": latitude, "longitude": longitude, "withinMinutes": 500 }),
                    json!({ "latitude": latitude, "longitude": longitude, "radiusMeters": 20000 }),
                    json!({ "latitude": 95.0, "longitude": longitude }),
                ];
                for nearby in refused {
                    let input = json!({ "endpoint": format!("{origin}/push/{name}"), "keys": browser.keys(), "topics": { "going": false, "startingSoonNearby": nearby } });
                    let (_, body) =
                        run(&app, Some(&access), REGISTER, json!({ "input": input })).await;
                    assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
                }
            }
            let input = json!({ "endpoint": format!("{origin}/push/{name}"), "keys": browser.keys(), "topics": { "going": false, "startingSoonNearby": nearby } });
            let (_, body) = run(&app, Some(&access), "mutation($input: RegisterPushSubscriptionInput!) { registerPushSubscription(input: $input) { pushSubscription { startingSoonNearby { radiusMeters withinMinutes } } } }", json!({ "input": input })).await;
            let registered = &body["data"]["registerPushSubscription"]["pushSubscription"];
            let expected = match i {
                0 => json!({ "radiusMeters": 300, "withinMinutes": 30 }),
                1 => json!({ "radiusMeters": 1000, "withinMinutes": 10 }),
                2 => json!({ "radiusMeters": 10000, "withinMinutes": 60 }),
                _ => Value::Null,
            };
            assert_eq!(
                registered["startingSoonNearby"], expected,
                "{label}: {body}"
            );
            browsers.push(browser);
            accesses.push(access);
        }
        // The point is personal data: it is in Ana's export.
        let (_, body) = run(&app, Some(&accesses[0]), "{ exportMyData }", json!({})).await;
        let exported = &body["data"]["exportMyData"]["pushSubscriptions"][0];
        assert_eq!(
            exported["startingSoonNearby"]["latitude"], latitude,
            "{label}: {body}"
        );
        assert_eq!(
            exported["endpoint"],
            format!("{origin}/push/ana"),
            "{label}"
        );

        // Two replicas look every 200 ms: Ana hears of the concert once.
        let _first = super::webhooks::replica(&app).await;
        let _second = super::webhooks::replica(&app).await;
        let mut reminder = None;
        for _ in 0..200 {
            let messages = service.read("ana", &browsers[0]);
            reminder = messages.into_iter().find(|m| m["id"] == event.as_str());
            if reminder.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let reminder = reminder.unwrap_or_else(|| panic!("{label}: no reminder for Ana"));
        assert_eq!(reminder["kind"], "EVENT_STARTS_SOON", "{label}: {reminder}");
        assert_eq!(reminder["title"], "Concert au jardin", "{label}");
        assert_eq!(
            reminder["startsAt"],
            starts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "{label}"
        );
        assert!(
            reminder["distanceMeters"].as_f64().unwrap() < 1.0,
            "{label}"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for (i, (name, _)) in people.iter().enumerate() {
            let about_it = service
                .read(name, &browsers[i])
                .into_iter()
                .filter(|m| m["id"] == event.as_str())
                .count();
            assert_eq!(about_it, usize::from(i == 0), "{label}: {name}");
        }
        app.test_db.remove().await;
    }
}
