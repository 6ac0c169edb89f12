//! Subscribers under one change: opens `subscribers` WebSocket connections to the server,
//! each running one subscription to the changes of one event (`eventChanged`, resumed
//! from the log's end so that none can miss the change while the others connect). Once all
//! are connected it prints the server's resident memory per subscriber, runs the command
//! given after `--` (the write: it commits one change of the event, and may go on with
//! other work while every subscription stays open), and prints how long each subscriber
//! took to receive that change, counted from the command's start.
//!
//!   cargo run --release --example subscribers -- http://127.0.0.1:18080 EVENT_ID 10000 SERVER_PID -- psql …

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Connections opened at once.
const OPENING: usize = 100;

fn resident_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connection with its subscription running (its ping answered after the subscribe).
async fn subscriber(ws_url: &str, query: &str, variables: &Value) -> Socket {
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("a WebSocket");
    let messages = [
        json!({ "type": "connection_init" }),
        json!({ "type": "subscribe", "id": "1", "payload": { "query": query, "variables": variables } }),
        json!({ "type": "ping" }),
    ];
    for message in messages {
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }
    let mut acknowledged = false;
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).unwrap();
            match message["type"].as_str() {
                Some("connection_ack") => acknowledged = true,
                Some("pong") if acknowledged => return socket,
                _ => panic!("unexpected: {message}"),
            }
        }
    }
    panic!("the connection closed before its subscription ran");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let split = args
        .iter()
        .position(|a| a == "--")
        .expect("-- WRITE_COMMAND");
    let (ours, write) = (&args[1..split], &args[split + 1..]);
    let [base, event, count, pid] = ours else {
        panic!("usage: subscribers BASE EVENT_ID COUNT SERVER_PID -- WRITE_COMMAND…");
    };
    let count: usize = count.parse().unwrap();
    let client = reqwest::Client::new();
    let head: Value = client
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": "{ changeCursor }" }).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let variables = json!({ "id": event, "after": head["data"]["changeCursor"] });
    let query = "subscription($id: ID!, $after: String) { eventChanged(id: $id, after: $after) { cursor node { change version node { ... on Event { title } } } } }";
    let ws_url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));

    let before = resident_kib(pid);
    let started = Instant::now();
    let sockets = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let mut opened = 0;
    while opened < count {
        let batch = OPENING.min(count - opened);
        let tasks: Vec<_> = (0..batch)
            .map(|_| {
                let (ws_url, variables, sockets) =
                    (ws_url.clone(), variables.clone(), sockets.clone());
                tokio::spawn(async move {
                    let socket = subscriber(&ws_url, query, &variables).await;
                    sockets.lock().await.push(socket);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        opened += batch;
    }
    let connected_in = started.elapsed();
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(pid);
    #[allow(clippy::cast_precision_loss)]
    let per_subscriber = (after.saturating_sub(before) as f64) * 1024.0 / count as f64;
    println!(
        "subscribers: {count} connected in {:.1} s; server memory {:.1} MiB before, {:.1} MiB after: {:.1} KiB per idle subscriber",
        connected_in.as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        per_subscriber / 1024.0
    );

    let sockets = std::mem::take(&mut *sockets.lock().await);
    let write_started = Instant::now();
    let receivers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            tokio::spawn(async move {
                let deadline = Duration::from_secs(30);
                // The socket stays open, its subscription running, until the command ends.
                loop {
                    let message = tokio::time::timeout(deadline, socket.next()).await;
                    let Ok(Some(Ok(Message::Text(text)))) = message else {
                        return (None, socket);
                    };
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == "next" {
                        return (Some(write_started.elapsed()), socket);
                    }
                }
            })
        })
        .collect();
    let status = std::process::Command::new(&write[0])
        .args(&write[1..])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the write command runs");
    assert!(status.success(), "the write command failed");
    let mut latencies = Vec::with_capacity(count);
    let mut open = Vec::with_capacity(count);
    for receiver in receivers {
        let (latency, socket) = receiver.await.unwrap();
        if let Some(latency) = latency {
            latencies.push(latency.as_secs_f64() * 1000.0);
        }
        open.push(socket);
    }
    drop(open);
    latencies.sort_by(f64::total_cmp);
    println!(
        "fan-out: {} of {count} received the change; latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
}
