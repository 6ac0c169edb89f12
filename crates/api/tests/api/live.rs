//! Subscriptions over WebSocket (`graphql-transport-ws`), spoken by a WebSocket client as
//! Apollo Client or urql speak it, to a replica served on a socket while the writes go
//! through another replica of the same database.

use std::net::SocketAddr;
use std::time::Duration;

use capitole_api::{Application, HttpSettings};
use capitole_domain::access::Role;
use capitole_persistence::Backend;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::accounts::{access_of, create, run};
use super::{TestApp, apps, context};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A second replica of the app's database, served on a socket of its own until the
/// returned sender is dropped. On PostgreSQL it reads the change log only when notified
/// (or once a minute): what reaches it in time came through `NOTIFY`.
async fn replica(app: &TestApp) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let mut settings = HttpSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..HttpSettings::default()
    };
    if app.db.backend() == Backend::Postgres {
        settings.response_cache.follow_every = Duration::from_secs(60);
    }
    let application = Application::build(context(&app.db, app.mail.path()).await, &settings)
        .await
        .unwrap();
    let address = application.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));
    (address, stop)
}

/// A WebSocket to `path`, offering `graphql-transport-ws`.
async fn connect(address: SocketAddr, path: &str) -> Socket {
    let mut request = format!("ws://{address}{path}")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next message of the server, as JSON, or its close frame as `{"close": code}`.
async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message within 15 s")
            .expect("the connection is open")
            .unwrap();
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => {
                let frame = frame.unwrap();
                return json!({ "close": u16::from(frame.code), "reason": frame.reason.as_str() });
            }
            _ => {}
        }
    }
}

/// Connects and completes the handshake with these credentials.
async fn acknowledged(address: SocketAddr, token: Option<&str>) -> Socket {
    let mut socket = connect(address, "/graphql/ws").await;
    let payload = token.map_or(
        json!({}),
        |t| json!({ "Authorization": format!("Bearer {t}") }),
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    socket
}

const EVENT_CHANGED: &str = "subscription($id: ID!, $after: String) { eventChanged(id: $id, after: $after) { cursor node { change version node { ... on Event { title } } } } }";

/// Renames an event as `admin`, and keeps its new version.
pub(super) async fn rename(app: &TestApp, admin: &str, id: &str, version: &mut i64, title: &str) {
    let (_, body) = run(
        app,
        Some(admin),
        "mutation($id: ID!, $v: Int!, $t: String!) { updateEvent(id: $id, version: $v, patch: { title: $t }) { event { version } } }",
        json!({ "id": id, "v": version, "t": title }),
    )
    .await;
    *version = body["data"]["updateEvent"]["event"]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));
}

/// The `next` of subscription `id`: the event's title now, the change's version and its
/// cursor.
async fn next_change(socket: &mut Socket, id: &str) -> (String, i64, String) {
    let message = receive(socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], id, "{message}");
    let change = &message["payload"]["data"]["eventChanged"];
    assert_eq!(change["node"]["change"], "UPDATED", "{message}");
    (
        change["node"]["node"]["title"].as_str().unwrap().to_owned(),
        change["node"]["version"].as_i64().unwrap(),
        change["cursor"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_change_made_through_one_replica_reaches_a_subscriber_of_another_who_resumes_after_missing_ten()
 {
    for app in apps().await {
        let label = &app.test_db.label;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        let (_, body) = run(
            &app,
            None,
            "{ events(first: 1) { nodes { id version } } }",
            json!({}),
        )
        .await;
        let event = &body["data"]["events"]["nodes"][0];
        let id = event["id"].as_str().unwrap().to_owned();
        let mut version = event["version"].as_i64().unwrap();
        let (address, _stop) = replica(&app).await;
        // Where the log ends: subscribing after it misses nothing written from now on,
        // however long the subscription takes to start.
        let (_, body) = run(&app, None, "{ changeCursor }", json!({})).await;
        let head = body["data"]["changeCursor"].clone();

        // Anonymous: the event is public.
        let mut socket = acknowledged(address, None).await;
        send(&mut socket, json!({ "type": "subscribe", "id": "1", "payload": { "query": EVENT_CHANGED, "variables": { "id": id, "after": head } } })).await;
        rename(
            &app,
            &admin,
            &id,
            &mut version,
            "Concert annulé ? Non : déplacé",
        )
        .await;
        let (title, first, cursor) = next_change(&mut socket, "1").await;
        assert_eq!(title, "Concert annulé ? Non : déplacé", "{label}");
        assert_eq!(first, version, "{label}");

        // Away for ten changes.
        send(&mut socket, json!({ "type": "complete", "id": "1" })).await;
        for n in 1..=10 {
            rename(&app, &admin, &id, &mut version, &format!("Version {n}")).await;
        }
        send(&mut socket, json!({ "type": "subscribe", "id": "2", "payload": { "query": EVENT_CHANGED, "variables": { "id": id, "after": cursor } } })).await;
        // Each change as it was recorded, the event as it is now.
        for n in 1..=10 {
            let (title, changed_to, _) = next_change(&mut socket, "2").await;
            assert_eq!(changed_to, first + n, "{label}: in order, none missed");
            assert_eq!(title, "Version 10", "{label}");
        }
        // Then live, with nothing received twice.
        rename(&app, &admin, &id, &mut version, "Version 11").await;
        let (title, changed_to, _) = next_change(&mut socket, "2").await;
        assert_eq!(
            (title.as_str(), changed_to),
            ("Version 11", first + 11),
            "{label}"
        );
        send(&mut socket, json!({ "type": "ping" })).await;
        assert_eq!(
            receive(&mut socket).await["type"],
            "pong",
            "{label}: nothing else came"
        );
    }
}

#[tokio::test]
async fn every_refusal_has_its_close_code_or_error() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (address, _stop) = replica(&app).await;

        // Subscribing before the handshake.
        let mut socket = connect(address, "/graphql/ws").await;
        send(&mut socket, json!({ "type": "subscribe", "id": "1", "payload": { "query": "subscription { placeChanged(id: \"x\") { cursor } }" } })).await;
        assert_eq!(receive(&mut socket).await["close"], 4401, "{label}");

        // Credentials that are not valid.
        let mut socket = connect(address, "/graphql/ws").await;
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } }),
        )
        .await;
        assert_eq!(receive(&mut socket).await["close"], 4403, "{label}");

        // Not a message of the protocol.
        let mut socket = connect(address, "/graphql/ws").await;
        send(&mut socket, json!({ "type": "hello" })).await;
        assert_eq!(receive(&mut socket).await["close"], 4400, "{label}");

        let mut socket = acknowledged(address, None).await;
        // A query is not a subscription; a bad id is a GraphQL error; neither ends the
        // connection.
        send(
            &mut socket,
            json!({ "type": "subscribe", "id": "q", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        let refused = receive(&mut socket).await;
        assert_eq!(refused["type"], "error", "{label}: {refused}");
        assert_eq!(refused["id"], "q", "{label}");
        send(&mut socket, json!({ "type": "subscribe", "id": "b", "payload": { "query": "subscription { placeChanged(id: \"nope\") { cursor } }" } })).await;
        let refused = receive(&mut socket).await;
        assert_eq!(refused["type"], "error", "{label}: {refused}");
        send(&mut socket, json!({ "type": "subscribe", "id": "c", "payload": { "query": "subscription { eventChanged(id: \"nope\", after: \"garbage\") { cursor } }" } })).await;
        assert_eq!(receive(&mut socket).await["type"], "error", "{label}");
        // The same id twice.
        let place = "subscription($id: ID!) { placeChanged(id: $id) { cursor } }";
        let (_, body) = run(
            &app,
            None,
            "{ places(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
        let place_id = body["data"]["places"]["nodes"][0]["id"].clone();
        for _ in 0..2 {
            send(&mut socket, json!({ "type": "subscribe", "id": "p", "payload": { "query": place, "variables": { "id": place_id } } })).await;
        }
        let closed = receive(&mut socket).await;
        assert_eq!(closed["close"], 4409, "{label}: {closed}");

        // No subprotocol offered.
        let (mut bare, _) = tokio_tungstenite::connect_async(format!("ws://{address}/graphql/ws"))
            .await
            .unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(5), bare.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match closed {
            Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::from(4406)),
            other => panic!("{label}: {other:?}"),
        }
    }
}

const CREATE_ARTICLE: &str =
    "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id version } } }";
const NEWS_PUBLISHED: &str = "subscription($filter: NewsFilter, $after: String) { newsPublished(filter: $filter, after: $after) { node { change node { ... on NewsArticle { title } } } } }";

/// Creates a draft article with this title and tag, and returns its id.
/// A draft article by `editor`, tagged `tag`; its id.
pub(super) async fn draft(app: &TestApp, editor: &str, title: &str, tag: &str) -> String {
    let input = json!({ "title": title, "summary": "Résumé", "body": "Texte.", "tags": [tag] });
    let (_, body) = run(app, Some(editor), CREATE_ARTICLE, json!({ "input": input })).await;
    body["data"]["createArticle"]["article"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Publishes a draft at its first version.
pub(super) async fn publish(app: &TestApp, editor: &str, id: &str) {
    let (_, body) = run(
        app,
        Some(editor),
        "mutation($id: ID!) { publishArticle(id: $id, version: 1) { article { status } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        body["data"]["publishArticle"]["article"]["status"], "PUBLISHED",
        "{body}"
    );
}

#[tokio::test]
async fn a_subscriber_receives_the_news_its_filter_keeps_once_they_are_public() {
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
        let (address, _stop) = replica(&app).await;
        let (_, body) = run(&app, None, "{ changeCursor }", json!({})).await;
        let head = body["data"]["changeCursor"].clone();

        let mut socket = acknowledged(address, None).await;
        send(&mut socket, json!({ "type": "subscribe", "id": "culture", "payload": { "query": NEWS_PUBLISHED, "variables": { "filter": { "tags": ["culture"] }, "after": head } } })).await;
        send(&mut socket, json!({ "type": "subscribe", "id": "all", "payload": { "query": NEWS_PUBLISHED, "variables": { "after": head } } })).await;

        // Drafts are nobody's news; then the sports article is published, then the
        // cultural one.
        let culture = draft(&app, &editor, "Nuit des musées", "Culture").await;
        let sport = draft(&app, &editor, "Semi-marathon", "Sport").await;
        publish(&app, &editor, &sport).await;
        publish(&app, &editor, &culture).await;

        let mut received = Vec::new();
        for _ in 0..3 {
            let message = receive(&mut socket).await;
            assert_eq!(message["type"], "next", "{label}: {message}");
            let change = &message["payload"]["data"]["newsPublished"]["node"];
            assert_eq!(change["change"], "PUBLISHED", "{label}: {message}");
            received.push((
                message["id"].as_str().unwrap().to_owned(),
                change["node"]["title"].as_str().unwrap().to_owned(),
            ));
        }
        received.sort();
        assert_eq!(
            received,
            [
                ("all".to_owned(), "Nuit des musées".to_owned()),
                ("all".to_owned(), "Semi-marathon".to_owned()),
                ("culture".to_owned(), "Nuit des musées".to_owned()),
            ],
            "{label}"
        );
        send(&mut socket, json!({ "type": "ping" })).await;
        assert_eq!(
            receive(&mut socket).await["type"],
            "pong",
            "{label}: nothing else came"
        );
    }
}

#[tokio::test]
async fn the_agenda_subscriber_receives_the_changes_of_the_events_its_filter_keeps() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        let (_, body) = run(
            &app,
            None,
            "{ events(first: 2) { nodes { id version } } }",
            json!({}),
        )
        .await;
        let events = body["data"]["events"]["nodes"].as_array().unwrap().clone();
        let (address, _stop) = replica(&app).await;
        let (_, body) = run(&app, None, "{ changeCursor }", json!({})).await;
        let head = body["data"]["changeCursor"].clone();

        let mut socket = acknowledged(address, None).await;
        let query = "subscription($after: String) { eventsChanged(filter: { search: \"xylophone\" }, after: $after) { node { id node { ... on Event { title } } } } }";
        send(&mut socket, json!({ "type": "subscribe", "id": "agenda", "payload": { "query": query, "variables": { "after": head } } })).await;
        for (event, title) in events.iter().zip(["Récital de piano", "Nuit du Xylophone"]) {
            let id = event["id"].as_str().unwrap();
            let mut version = event["version"].as_i64().unwrap();
            rename(&app, &admin, id, &mut version, title).await;
        }
        let message = receive(&mut socket).await;
        assert_eq!(message["type"], "next", "{label}: {message}");
        let change = &message["payload"]["data"]["eventsChanged"]["node"];
        assert_eq!(change["id"], events[1]["id"], "{label}: {message}");
        assert_eq!(change["node"]["title"], "Nuit du Xylophone", "{label}");
        send(&mut socket, json!({ "type": "ping" })).await;
        assert_eq!(
            receive(&mut socket).await["type"],
            "pong",
            "{label}: the other event is not in the filter"
        );
    }
}

const NOTIFICATIONS: &str = "subscription($after: String) { viewerNotifications(after: $after) { cursor reason change { kind change id } } }";

/// The next notification of subscription `id`: why, and of which item.
async fn next_notification(socket: &mut Socket, id: &str) -> (String, String) {
    let message = receive(socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], id, "{message}");
    let notification = &message["payload"]["data"]["viewerNotifications"];
    assert!(notification["cursor"].is_string(), "{message}");
    (
        notification["reason"].as_str().unwrap().to_owned(),
        notification["change"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_person_hears_of_the_events_they_go_to_and_of_their_tips_liked_or_hidden() {
    for app in apps().await {
        let label = &app.test_db.label;
        create(&app, "admin@example.org", Role::Administrator, &[]).await;
        let admin = access_of(&app, "admin@example.org").await;
        let (ana, _) = super::accounts::register_as(&app, "ana@example.org", "Ana").await;
        let (bea, _) = super::accounts::register_as(&app, "bea@example.org", "Bea").await;
        let (_, body) = run(
            &app,
            None,
            "{ changeCursor events(first: 2) { nodes { id version nextOccurrence { id } } } places(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
        let events = &body["data"]["events"]["nodes"];
        let (going_to, other) = (
            events[0]["id"].as_str().unwrap(),
            events[1]["id"].as_str().unwrap(),
        );
        let (mut version, mut other_version) = (
            events[0]["version"].as_i64().unwrap(),
            events[1]["version"].as_i64().unwrap(),
        );
        let date = &events[0]["nextOccurrence"]["id"];
        let head = body["data"]["changeCursor"].clone();
        let place = &body["data"]["places"]["nodes"][0]["id"];
        let (_, body) = run(
            &app,
            Some(&ana),
            "mutation($id: ID!) { setGoing(occurrenceId: $id) { going } }",
            json!({ "id": date }),
        )
        .await;
        assert_eq!(body["data"]["setGoing"]["going"], true, "{label}: {body}");
        let (_, body) = run(&app, Some(&ana), "mutation($p: ID!) { addTip(placeId: $p, text: \"Le kiosque ouvre tôt.\") { tip { id } } }", json!({ "p": place })).await;
        let tip = body["data"]["addTip"]["tip"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned();

        let (address, _stop) = replica(&app).await;
        // Only a person's session may subscribe.
        let mut anonymous = acknowledged(address, None).await;
        send(
            &mut anonymous,
            json!({ "type": "subscribe", "id": "1", "payload": { "query": NOTIFICATIONS } }),
        )
        .await;
        let refused = receive(&mut anonymous).await;
        assert_eq!(refused["type"], "error", "{label}: {refused}");
        assert_eq!(
            refused["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{label}: {refused}"
        );

        let mut socket = acknowledged(address, Some(&ana)).await;
        send(&mut socket, json!({ "type": "subscribe", "id": "n", "payload": { "query": NOTIFICATIONS, "variables": { "after": head } } })).await;
        rename(&app, &admin, other, &mut other_version, "Pas pour Ana").await;
        rename(&app, &admin, going_to, &mut version, "Déplacé au Zénith").await;
        assert_eq!(
            next_notification(&mut socket, "n").await,
            ("EVENT_CHANGED".to_owned(), going_to.to_owned()),
            "{label}"
        );

        let (_, body) = run(
            &app,
            Some(&bea),
            "mutation($t: ID!) { likeTip(tipId: $t) { tip { likeCount } } }",
            json!({ "t": tip }),
        )
        .await;
        assert_eq!(
            body["data"]["likeTip"]["tip"]["likeCount"], 1,
            "{label}: {body}"
        );
        assert_eq!(
            next_notification(&mut socket, "n").await,
            ("TIP_LIKED".to_owned(), tip.clone()),
            "{label}"
        );

        let (_, body) = run(
            &app,
            Some(&admin),
            "mutation($t: ID!) { hideTip(tipId: $t) { tip { hidden } } }",
            json!({ "t": tip }),
        )
        .await;
        assert_eq!(
            body["data"]["hideTip"]["tip"]["hidden"], true,
            "{label}: {body}"
        );
        assert_eq!(
            next_notification(&mut socket, "n").await,
            ("TIP_HIDDEN".to_owned(), tip.clone()),
            "{label}"
        );

        send(&mut socket, json!({ "type": "ping" })).await;
        assert_eq!(
            receive(&mut socket).await["type"],
            "pong",
            "{label}: nothing else came"
        );
        app.test_db.remove().await;
    }
}
