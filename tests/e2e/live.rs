//! Live updates between `capitole serve` processes on one PostgreSQL: a subscriber of one
//! process hears what another process commits (through `NOTIFY`, not by reading the log on
//! a timer), and a webhook's delivery outlives the process that first tried it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Server, capitole, databases, graphql};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Servers that read the change log on their own only once a minute: what reaches them
/// sooner came through PostgreSQL's `NOTIFY`.
const NOTIFIED_ONLY: (&str, &str) = ("CAPITOLE_RESPONSE_CACHE_FOLLOW_MS", "60000");

const PASSWORD: &str = "une-phrase-de-passe-longue\n";

/// A PostgreSQL database with the demo city and an administrator, or nothing where
/// PostgreSQL is not configured (the notice says so).
async fn postgres_city() -> Option<capitole_persistence::testing::TestDatabase> {
    let test_db = databases()
        .await
        .into_iter()
        .find(|db| db.url.starts_with("postgres"))?;
    capitole(&test_db.url, &["seed", "--demo"], "");
    capitole(
        &test_db.url,
        &[
            "user",
            "create",
            "--email",
            "admin@toulouse.example",
            "--role",
            "administrator",
        ],
        PASSWORD,
    );
    Some(test_db)
}

async fn admin_token(base: &str) -> String {
    let (_, body) = graphql(
        base,
        None,
        "mutation { login(email: \"admin@toulouse.example\", password: \"une-phrase-de-passe-longue\") { session { accessToken } } }",
    )
    .await;
    body["data"]["login"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// The first event of the agenda: its id and version.
async fn first_event(base: &str) -> (String, i64) {
    let (_, body) = graphql(base, None, "{ events(first: 1) { nodes { id version } } }").await;
    let event = &body["data"]["events"]["nodes"][0];
    (
        event["id"].as_str().unwrap().to_owned(),
        event["version"].as_i64().unwrap(),
    )
}

async fn rename(base: &str, token: &str, id: &str, version: &mut i64, title: &str) {
    let (_, body) = graphql(
        base,
        Some(token),
        &format!(
            "mutation {{ updateEvent(id: \"{id}\", version: {version}, patch: {{ title: \"{title}\" }}) {{ event {{ version }} }} }}"
        ),
    )
    .await;
    *version = body["data"]["updateEvent"]["event"]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the connection is open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// A subscriptions connection to `base`, acknowledged.
async fn subscriber(base: &str) -> Socket {
    let mut request = format!("{}/graphql/ws", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    socket
}

const EVENT_CHANGED: &str = "subscription($id: ID!, $after: String) { eventChanged(id: $id, after: $after) { cursor node { version node { ... on Event { title } } } } }";

/// The version, the event's title now, and the cursor of the next change received.
async fn next_change(socket: &mut Socket, id: &str) -> (i64, String, String) {
    let message = receive(socket).await;
    assert_eq!(
        (&message["type"], &message["id"]),
        (&json!("next"), &json!(id)),
        "{message}"
    );
    let change = &message["payload"]["data"]["eventChanged"];
    (
        change["node"]["version"].as_i64().unwrap(),
        change["node"]["node"]["title"].as_str().unwrap().to_owned(),
        change["cursor"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_change_made_through_one_process_reaches_a_subscriber_of_another_who_resumes_after_ten() {
    let Some(test_db) = postgres_city().await else {
        return;
    };
    let writer = Server::start_with(&test_db.url, &[NOTIFIED_ONLY]);
    let reader = Server::start_with(&test_db.url, &[NOTIFIED_ONLY]);
    let admin = admin_token(&writer.base).await;
    let (id, mut version) = first_event(&writer.base).await;
    let (_, body) = graphql(&reader.base, None, "{ changeCursor }").await;
    let head = body["data"]["changeCursor"].clone();

    let mut socket = subscriber(&reader.base).await;
    let variables = json!({ "id": id, "after": head });
    send(&mut socket, json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENT_CHANGED, "variables": variables } })).await;
    rename(&writer.base, &admin, &id, &mut version, "Concert au Zénith").await;
    let (heard, title, cursor) = next_change(&mut socket, "1").await;
    assert_eq!((heard, title.as_str()), (version, "Concert au Zénith"));

    // Away while ten changes are made through the other process.
    send(&mut socket, json!({ "type": "complete", "id": "1" })).await;
    for n in 1..=10 {
        rename(
            &writer.base,
            &admin,
            &id,
            &mut version,
            &format!("Version {n}"),
        )
        .await;
    }
    let variables = json!({ "id": id, "after": cursor });
    send(&mut socket, json!({ "type": "subscribe", "id": "2", "payload": { "query": EVENT_CHANGED, "variables": variables } })).await;
    for n in 1..=10 {
        let (changed_to, _, _) = next_change(&mut socket, "2").await;
        assert_eq!(changed_to, heard + n, "exactly the ten missed, in order");
    }
    // Then live again, nothing twice.
    rename(&writer.base, &admin, &id, &mut version, "Version 11").await;
    assert_eq!(next_change(&mut socket, "2").await.0, heard + 11);
    send(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(
        receive(&mut socket).await["type"],
        "pong",
        "nothing else came"
    );
    drop((writer, reader));
    test_db.remove().await;
}

/// An app's endpoint on 127.0.0.1 that echoes challenges, fails its first `fail`
/// deliveries with 500, then takes them; the deliveries' bodies as received.
async fn endpoint(fail: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let fail = Arc::new(AtomicUsize::new(fail));
    let kept = received.clone();
    let hook = move |body: String| {
        let kept = kept.clone();
        let fail = fail.clone();
        async move {
            let json: Value = serde_json::from_str(&body).unwrap_or_default();
            if json["type"] == "CHALLENGE" {
                return (
                    axum::http::StatusCode::OK,
                    json["challenge"].as_str().unwrap_or_default().to_owned(),
                );
            }
            kept.lock().unwrap().push(json);
            let failed = fail
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failed {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new())
            } else {
                (axum::http::StatusCode::OK, String::new())
            }
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/hook"), received)
}

async fn wait_for(received: &Mutex<Vec<Value>>, n: usize) {
    for _ in 0..300 {
        if received.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} deliveries within 15 s: {:?}", received.lock().unwrap());
}

#[tokio::test]
async fn a_webhook_delivery_that_fails_twice_is_delivered_once_on_the_third_attempt_by_the_next_process()
 {
    let Some(test_db) = postgres_city().await else {
        return;
    };
    let url = &test_db.url;
    let token = capitole(
        url,
        &[
            "token",
            "create",
            "--app",
            "Agenda",
            "--contact",
            "dev@agenda.example",
            "--scope",
            "read",
            "--scope",
            "webhooks",
        ],
        "",
    )
    .trim()
    .to_owned();
    let (hook, received) = endpoint(2).await;
    let settings = [
        ("CAPITOLE_WEBHOOK_ALLOW_LOCAL", "true"),
        ("CAPITOLE_WEBHOOK_FIRST_RETRY_MS", "1500"),
    ];
    let first = Server::start_with(url, &settings);
    let (_, body) = graphql(
        &first.base,
        Some(&token),
        &format!("mutation {{ createWebhook(input: {{ url: \"{hook}\", events: [EVENT_CHANGED] }}) {{ webhook {{ id }} }} }}"),
    )
    .await;
    let webhook = body["data"]["createWebhook"]["webhook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let admin = admin_token(&first.base).await;
    let (id, mut version) = first_event(&first.base).await;
    rename(&first.base, &admin, &id, &mut version, "Annulé : tempête").await;
    wait_for(&received, 2).await;
    let attempts = format!(
        "{{ webhook(id: \"{webhook}\") {{ deliveries {{ nodes {{ status attempts responseCode }} }} }} }}"
    );
    for _ in 0..100 {
        let (_, body) = graphql(&first.base, Some(&token), &attempts).await;
        if body["data"]["webhook"]["deliveries"]["nodes"][0]["attempts"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stopped before the third attempt is due (1.5 s, then 3 s after the second).
    assert!(first.stop().success());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        received.lock().unwrap().len(),
        2,
        "nobody delivers while no process runs"
    );

    let second = Server::start_with(url, &settings);
    wait_for(&received, 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "delivered once: {calls:?}");
    assert!(
        calls.iter().all(|c| c["id"] == calls[0]["id"]),
        "one delivery: {calls:?}"
    );
    assert_eq!(calls[2]["change"]["version"], version);
    let (_, body) = graphql(&second.base, Some(&token), &attempts).await;
    assert_eq!(
        body["data"]["webhook"]["deliveries"]["nodes"],
        json!([{ "status": "DELIVERED", "attempts": 3, "responseCode": 200 }]),
        "{body}"
    );
    drop(second);
    test_db.remove().await;
}
