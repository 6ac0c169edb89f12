//! Webhooks of third-party apps: registered through the graph, delivered by served
//! replicas to an endpoint started by the test on 127.0.0.1 (allowed by the tests'
//! settings), which checks each call's signature as an app would.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use capitole_api::{Application, HttpSettings};
use capitole_domain::access::{RateTier, Role, Scope};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::accounts::{access_of, create, run};
use super::live::rename;
use super::{TestApp, apps, context};

/// One call an endpoint received.
#[derive(Debug, Clone)]
struct Call {
    headers: HeaderMap,
    body: String,
}

impl Call {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().unwrap()
    }
}

/// An app's endpoint: echoes challenges, fails the first `fail` deliveries with 500 and
/// takes the others with 200, and records every call.
#[derive(Clone, Default)]
struct Endpoint {
    calls: Arc<Mutex<Vec<Call>>>,
    fail: Arc<AtomicUsize>,
    /// Answers challenges with something else than the challenge.
    forgetful: bool,
}

impl Endpoint {
    async fn start(fail: usize, forgetful: bool) -> (String, Endpoint) {
        let endpoint = Endpoint {
            fail: Arc::new(AtomicUsize::new(fail)),
            forgetful,
            ..Endpoint::default()
        };
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(endpoint.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (format!("http://{address}/hook"), endpoint)
    }

    /// The calls that were deliveries (not challenges).
    fn deliveries(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.json()["type"] != "CHALLENGE")
            .cloned()
            .collect()
    }

    fn challenges(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.json()["type"] == "CHALLENGE")
            .cloned()
            .collect()
    }

    /// Waits until `n` deliveries came.
    async fn wait_for(&self, n: usize) -> Vec<Call> {
        for _ in 0..300 {
            let deliveries = self.deliveries();
            if deliveries.len() >= n {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} deliveries within 15 s; came: {:?}", self.deliveries());
    }
}

async fn hook(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    endpoint.calls.lock().unwrap().push(Call {
        headers,
        body: body.clone(),
    });
    let json: Value = serde_json::from_str(&body).unwrap_or_default();
    if json["type"] == "CHALLENGE" {
        if endpoint.forgetful {
            return (StatusCode::OK, "ok".to_owned());
        }
        return (
            StatusCode::OK,
            json!({ "challenge": json["challenge"] }).to_string(),
        );
    }
    let failed = endpoint
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failed {
        (StatusCode::INTERNAL_SERVER_ERROR, "down".to_owned())
    } else {
        (StatusCode::OK, "thanks".to_owned())
    }
}

/// Checks a call's signature as the documentation tells apps to: HMAC-SHA256 of
/// `<t>.<body>` under the secret, in hex, as `v1`, with a recent `t`.
fn signed_by(call: &Call, secret: &str) -> bool {
    let header = call.header("capitole-signature");
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let expected: Vec<u8> = (0..v1.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(v1.get(i..i + 2)?, 16).ok())
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", call.body).as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// A served replica of the app's database, which delivers webhooks until the returned
/// sender is dropped.
pub(super) async fn replica(app: &TestApp) -> tokio::sync::oneshot::Sender<()> {
    let settings = HttpSettings {
        listen: "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        ..HttpSettings::default()
    };
    let application = Application::build(context(&app.db, app.mail.path()).await, &settings)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));
    stop
}

/// An app token that may register webhooks.
async fn webhook_token(app: &TestApp, scopes: &[Scope]) -> String {
    capitole_services::tokens::create_api_token(
        &app.db,
        "Agenda Toulouse",
        "dev@agenda.example.org",
        scopes,
        RateTier::Standard,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .0
}

const CREATE: &str = "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events status } } }";

const DELIVERIES: &str = "query($id: ID!) { webhook(id: $id) { status consecutiveFailures deliveries { totalCount nodes { id event status attempts responseCode error deliveredAt body } } } }";

async fn deliveries_of(app: &TestApp, token: &str, id: &str) -> Value {
    let (_, body) = run(app, Some(token), DELIVERIES, json!({ "id": id })).await;
    body["data"]["webhook"].clone()
}

/// Waits until the webhook's first delivery has made `attempts` attempts.
async fn wait_for_attempts(app: &TestApp, token: &str, id: &str, attempts: i64) -> Value {
    for _ in 0..300 {
        let webhook = deliveries_of(app, token, id).await;
        if webhook["deliveries"]["nodes"][0]["attempts"].as_i64() >= Some(attempts) {
            return webhook;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{attempts} attempts within 15 s: {}",
        deliveries_of(app, token, id).await
    );
}

/// What most tests start from: an administrator's access token, an app token that may
/// register webhooks, and an endpoint that fails its first `fail` deliveries.
struct Scene {
    admin: String,
    token: String,
    url: String,
    endpoint: Endpoint,
}

impl Scene {
    async fn new(app: &TestApp, fail: usize) -> Self {
        create(app, "admin@example.org", Role::Administrator, &[]).await;
        let (url, endpoint) = Endpoint::start(fail, false).await;
        Self {
            admin: access_of(app, "admin@example.org").await,
            token: webhook_token(app, &[Scope::Read, Scope::Webhooks]).await,
            url,
            endpoint,
        }
    }

    /// Registers the endpoint for `input` (without `url`); returns the secret and the
    /// webhook's id.
    async fn register(&self, app: &TestApp, mut input: Value) -> (String, String) {
        input["url"] = Value::from(self.url.clone());
        let (_, body) = run(app, Some(&self.token), CREATE, json!({ "input": input })).await;
        let created = &body["data"]["createWebhook"];
        let secret = created["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(created["webhook"]["status"], "ACTIVE", "{body}");
        (
            secret.to_owned(),
            created["webhook"]["id"].as_str().unwrap().to_owned(),
        )
    }
}

/// The first event of the agenda: its id and version.
async fn first_event(app: &TestApp) -> (String, i64) {
    let (_, body) = run(
        app,
        None,
        "{ events(first: 1) { nodes { id version } } }",
        json!({}),
    )
    .await;
    let event = &body["data"]["events"]["nodes"][0];
    (
        event["id"].as_str().unwrap().to_owned(),
        event["version"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_delivery_that_fails_twice_is_delivered_once_on_the_third_attempt_after_a_restart() {
    for app in apps().await {
        let label = &app.test_db.label;
        let scene = Scene::new(&app, 2).await;
        let (admin, token, endpoint) = (&scene.admin, &scene.token, &scene.endpoint);
        let first = replica(&app).await;
        let (secret, webhook) = scene
            .register(&app, json!({ "events": ["EVENT_CHANGED"] }))
            .await;
        let secret = secret.as_str();
        let challenges = endpoint.challenges();
        assert_eq!(challenges.len(), 1, "{label}: one challenge");
        assert!(
            signed_by(&challenges[0], secret),
            "{label}: the challenge is signed"
        );

        let (event, mut version) = first_event(&app).await;
        rename(
            &app,
            admin,
            &event,
            &mut version,
            "Concert déplacé au Zénith",
        )
        .await;
        endpoint.wait_for(2).await;
        wait_for_attempts(&app, token, &webhook, 2).await;

        // Nobody delivers while no replica runs.
        drop(first);
        tokio::time::sleep(super::WEBHOOK_FIRST_RETRY * 4).await;
        assert_eq!(
            endpoint.deliveries().len(),
            2,
            "{label}: no replica, no call"
        );
        let waiting = deliveries_of(&app, token, &webhook).await;
        let delivery = &waiting["deliveries"]["nodes"][0];
        assert_eq!(delivery["status"], "PENDING", "{label}: {waiting}");
        assert_eq!(delivery["responseCode"], 500, "{label}");
        assert_eq!(waiting["consecutiveFailures"], 2, "{label}");

        // The next replica to start finds it queued.
        let _second = replica(&app).await;
        let calls = endpoint.wait_for(3).await;
        let done = wait_for_attempts(&app, token, &webhook, 3).await;
        tokio::time::sleep(super::WEBHOOK_FIRST_RETRY * 2).await;
        let calls_after = endpoint.deliveries();
        assert_eq!(
            calls_after.len(),
            3,
            "{label}: delivered once, then never again"
        );
        let delivery = &done["deliveries"]["nodes"][0];
        assert_eq!(done["deliveries"]["totalCount"], 1, "{label}: {done}");
        assert_eq!(delivery["status"], "DELIVERED", "{label}: {done}");
        assert_eq!(delivery["responseCode"], 200, "{label}");
        assert_eq!(done["consecutiveFailures"], 0, "{label}");

        // The same delivery each time, signed each time, telling what changed.
        for call in &calls {
            assert!(signed_by(call, secret), "{label}: signed");
            assert_eq!(call.header("capitole-delivery"), delivery["id"], "{label}");
            assert_eq!(call.header("capitole-event"), "EVENT_CHANGED", "{label}");
            assert_eq!(call.header("content-type"), "application/json", "{label}");
            let sent = call.json();
            assert_eq!(sent["id"], delivery["id"], "{label}");
            assert_eq!(sent["webhook"], webhook.as_str(), "{label}");
            assert_eq!(sent["event"], "EVENT_CHANGED", "{label}");
            assert_eq!(sent["change"]["id"], event.as_str(), "{label}");
            assert_eq!(sent["change"]["change"], "UPDATED", "{label}");
            assert_eq!(sent["change"]["version"], version, "{label}");
            assert!(sent["change"]["cursor"].is_string(), "{label}");
        }
        // A signature made with another key does not pass.
        assert!(!signed_by(&calls[0], "whsec_another"), "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn two_replicas_deliver_each_change_once_and_a_filter_keeps_what_it_names() {
    for app in apps().await {
        let label = &app.test_db.label;
        let scene = Scene::new(&app, 0).await;
        let (admin, endpoint) = (&scene.admin, &scene.endpoint);
        let (_, body) = run(
            &app,
            None,
            "{ events(first: 2) { nodes { id version } } places(first: 2) { nodes { id version } } }",
            json!({}),
        )
        .await;
        let events = body["data"]["events"]["nodes"].as_array().unwrap().clone();
        let places = body["data"]["places"]["nodes"].as_array().unwrap().clone();
        let followed = events[0]["id"].as_str().unwrap().to_owned();
        let other = events[1]["id"].as_str().unwrap().to_owned();
        let _a = replica(&app).await;
        let _b = replica(&app).await;
        scene
            .register(
                &app,
                json!({
                    "events": ["EVENT_CHANGED", "PLACE_CHANGED"],
                    "filter": { "places": [places[1]["id"]] },
                }),
            )
            .await;
        let mut version = events[0]["version"].as_i64().unwrap();
        let mut other_version = events[1]["version"].as_i64().unwrap();
        for n in 1..=5 {
            rename(
                &app,
                admin,
                &followed,
                &mut version,
                &format!("Édition {n}"),
            )
            .await;
        }
        rename(&app, admin, &other, &mut other_version, "Autre").await;
        // Both places change; the filter names the second only.
        for place in &places {
            let (_, body) = run(
                &app,
                Some(admin),
                "mutation($id: ID!, $v: Int!) { updatePlace(id: $id, version: $v, patch: { name: \"Jardin\" }) { place { version } } }",
                json!({ "id": place["id"], "v": place["version"] }),
            )
            .await;
            assert!(
                body["data"]["updatePlace"]["place"]["version"].is_i64(),
                "{body}"
            );
        }
        let calls = endpoint.wait_for(7).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let calls_after = endpoint.deliveries();
        assert_eq!(
            calls_after.len(),
            7,
            "{label}: each change once: {calls_after:?}"
        );
        let mut ids: Vec<String> = calls
            .iter()
            .map(|c| c.json()["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 7, "{label}: seven deliveries");
        let mut versions: Vec<i64> = calls
            .iter()
            .filter(|c| c.json()["change"]["id"] == followed.as_str())
            .map(|c| c.json()["change"]["version"].as_i64().unwrap())
            .collect();
        versions.sort_unstable();
        assert_eq!(
            versions,
            ((version - 4)..=version).collect::<Vec<_>>(),
            "{label}"
        );
        let place_calls: Vec<Value> = calls
            .iter()
            .map(Call::json)
            .filter(|c| c["event"] == "PLACE_CHANGED")
            .collect();
        assert_eq!(place_calls.len(), 1, "{label}: {place_calls:?}");
        assert_eq!(place_calls[0]["change"]["id"], places[1]["id"], "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn registration_needs_the_scope_an_echoed_challenge_and_a_filter_of_followed_events() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (url, _) = Endpoint::start(0, false).await;
        let input = json!({ "input": { "url": url, "events": ["NEWS_PUBLISHED"] } });
        let reader = webhook_token(&app, &[Scope::Read]).await;
        let token = webhook_token(&app, &[Scope::Read, Scope::Webhooks]).await;
        let refusals = [
            (None, input.clone(), "UNAUTHENTICATED"),
            (Some(reader.as_str()), input.clone(), "FORBIDDEN"),
            (
                Some(token.as_str()),
                json!({ "input": { "url": "ftp://hooks.example.org/", "events": ["NEWS_PUBLISHED"] } }),
                "BAD_USER_INPUT",
            ),
            (
                Some(token.as_str()),
                json!({ "input": { "url": url, "events": [] } }),
                "BAD_USER_INPUT",
            ),
            (
                Some(token.as_str()),
                json!({ "input": { "url": url, "events": ["NEWS_PUBLISHED"], "filter": { "places": [] } } }),
                "BAD_USER_INPUT",
            ),
            (
                Some(token.as_str()),
                json!({ "input": { "url": url, "events": ["EVENT_CHANGED"], "filter": { "events": { "categories": ["pas-une-categorie"] } } } }),
                "BAD_USER_INPUT",
            ),
        ];
        for (who, variables, code) in refusals {
            let (_, body) = run(&app, who, CREATE, variables.clone()).await;
            assert_eq!(super::code(&body), code, "{label}: {variables} → {body}");
            assert!(body["data"].is_null(), "{label}: {body}");
        }
        // An endpoint that does not echo the challenge is not registered.
        let (forgetful, _) = Endpoint::start(0, true).await;
        let (_, body) = run(
            &app,
            Some(&token),
            CREATE,
            json!({ "input": { "url": forgetful, "events": ["NEWS_PUBLISHED"] } }),
        )
        .await;
        assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("challenge"),
            "{label}: {body}"
        );
        let (_, body) = run(
            &app,
            Some(&token),
            "{ webhooks { nodes { id } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            body["data"]["webhooks"]["nodes"],
            json!([]),
            "{label}: nothing stored"
        );

        // Up to the limit per app (three in these tests); other apps see none of them.
        for _ in 0..3 {
            let (_, body) = run(&app, Some(&token), CREATE, input.clone()).await;
            assert!(
                body["data"]["createWebhook"]["webhook"]["id"].is_string(),
                "{label}: {body}"
            );
        }
        let (_, body) = run(&app, Some(&token), CREATE, input.clone()).await;
        assert_eq!(super::code(&body), "BAD_USER_INPUT", "{label}: {body}");
        let (_, body) = run(
            &app,
            Some(&token),
            "{ webhooks { nodes { id } } }",
            json!({}),
        )
        .await;
        let id = body["data"]["webhooks"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stranger = webhook_token(&app, &[Scope::Read, Scope::Webhooks]).await;
        let (_, body) = run(
            &app,
            Some(&stranger),
            "{ webhooks { nodes { id } } }",
            json!({}),
        )
        .await;
        assert_eq!(body["data"]["webhooks"]["nodes"], json!([]), "{label}");
        let delete = "mutation($id: ID!) { deleteWebhook(id: $id) { deletedId } }";
        let (_, body) = run(&app, Some(&stranger), delete, json!({ "id": id })).await;
        assert_eq!(super::code(&body), "NOT_FOUND", "{label}: {body}");
        let (_, body) = run(&app, Some(&token), delete, json!({ "id": id })).await;
        assert_eq!(
            body["data"]["deleteWebhook"]["deletedId"],
            id.as_str(),
            "{label}"
        );
        let (_, body) = run(
            &app,
            Some(&token),
            "{ webhooks { nodes { id } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            body["data"]["webhooks"]["nodes"].as_array().unwrap().len(),
            2,
            "{label}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_its_contact_told_and_enabled_again() {
    for app in apps().await {
        let label = &app.test_db.label;
        // Disabled after three failures in a row, in these tests.
        let scene = Scene::new(&app, 3).await;
        let (admin, token, endpoint, url) =
            (&scene.admin, &scene.token, &scene.endpoint, &scene.url);
        let _replica = replica(&app).await;
        let (_, webhook) = scene
            .register(&app, json!({ "events": ["EVENT_CHANGED"] }))
            .await;
        let (event, mut version) = first_event(&app).await;
        rename(&app, admin, &event, &mut version, "Annulé : tempête").await;
        endpoint.wait_for(3).await;
        let mut disabled = Value::Null;
        for _ in 0..100 {
            disabled = deliveries_of(&app, token, &webhook).await;
            if disabled["status"] == "DISABLED" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(disabled["status"], "DISABLED", "{label}: {disabled}");
        assert_eq!(
            disabled["deliveries"]["nodes"][0]["status"], "PENDING",
            "{label}"
        );
        let mail = super::mail::next_mail(&app, "dev@agenda.example.org", 0).await;
        assert!(mail.body.contains(url.as_str()), "{label}: {}", mail.body);
        assert!(mail.body.contains("enableWebhook"), "{label}");

        // Nothing more while disabled; once enabled, what waited goes out.
        rename(&app, admin, &event, &mut version, "Reporté").await;
        tokio::time::sleep(super::WEBHOOK_FIRST_RETRY * 3).await;
        assert_eq!(endpoint.deliveries().len(), 3, "{label}");
        let (_, body) = run(
            &app,
            Some(token),
            "mutation($id: ID!) { enableWebhook(id: $id) { webhook { status consecutiveFailures } } }",
            json!({ "id": webhook }),
        )
        .await;
        assert_eq!(
            body["data"]["enableWebhook"]["webhook"],
            json!({ "status": "ACTIVE", "consecutiveFailures": 0 }),
            "{label}: {body}"
        );
        let calls = endpoint.wait_for(4).await;
        assert_eq!(calls[3].json()["change"]["change"], "UPDATED", "{label}");
        assert_eq!(
            calls[3].json()["change"]["version"],
            version - 1,
            "{label}: the change queued before it was disabled; not the one made meanwhile"
        );
        app.test_db.remove().await;
    }
}
