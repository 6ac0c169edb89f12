//! A bounded load for the tests of faults and operations: a client that sends one request
//! at a time per task, with a deadline, records what each got, and checks afterwards that
//! every write the server acknowledged is stored, once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use capitole_persistence::sea_orm::{ConnectionTrait, Statement};
use capitole_persistence::{ConnectSettings, Database};
use tokio::sync::watch;

use super::*;

/// The password of every account these tests make.
const PASSWORD: &str = "une-phrase-de-passe-longue";

/// Budgets no load of these tests reaches: they are about the database, not about rates.
const UNBUDGETED: [(&str, &str); 3] = [
    ("CAPITOLE_RATE_ANONYMOUS", "1000000"),
    ("CAPITOLE_RATE_USER", "1000000"),
    ("CAPITOLE_LOG", "warn,capitole=info"),
];

/// A server on `url` with budgets out of the way, and `env`.
pub(super) fn serve(url: &str, env: &[(&str, &str)]) -> Server {
    let all: Vec<(&str, &str)> = UNBUDGETED.iter().chain(env).copied().collect();
    Server::start_with(url, &all)
}

/// What one request of the load got.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    /// When it was sent, from the load's start.
    pub(super) at: Duration,
    pub(super) took: Duration,
    /// The HTTP status; 0 when no answer came (the connection failed).
    pub(super) status: u16,
    /// The first error's code, or what went wrong with the connection.
    pub(super) code: Option<String>,
    pub(super) retry_after: Option<String>,
    /// For a write that was acknowledged, what it stored.
    pub(super) stored: Option<String>,
    /// Whether the client could not even connect (the server no longer listens).
    pub(super) refused: bool,
}

impl Reply {
    /// Asserts the answer of a request the database could not serve: 503, its code, and
    /// when to ask again.
    pub(super) fn refused_for_want_of_the_database(&self) {
        assert_eq!(self.status, 503, "{self:?}");
        assert_eq!(
            self.code.as_deref(),
            Some("SERVICE_UNAVAILABLE"),
            "{self:?}"
        );
        assert_eq!(self.retry_after.as_deref(), Some("2"), "{self:?}");
    }
}

/// A bounded client: one request at a time per task, each with a deadline.
#[derive(Clone)]
pub(super) struct Load {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    pub(super) started: Instant,
}

impl Load {
    pub(super) fn new(base: &str, token: Option<String>) -> Load {
        Load {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            base: base.to_owned(),
            token,
            started: Instant::now(),
        }
    }

    async fn send(&self, query: &str, variables: Value) -> (Reply, Value) {
        let at = self.started.elapsed();
        let sent = Instant::now();
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("content-type", "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut reply = Reply {
            at,
            took: Duration::ZERO,
            status: 0,
            code: None,
            retry_after: None,
            stored: None,
            refused: false,
        };
        let body = match request.send().await {
            Ok(response) => {
                reply.status = response.status().as_u16();
                reply.retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                match response.text().await {
                    Ok(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
                    Err(error) => {
                        reply.code = Some(format!("body cut: {error}"));
                        Value::Null
                    }
                }
            }
            Err(error) => {
                reply.refused = error.is_connect();
                reply.code = Some(format!("transport: {error:?}"));
                Value::Null
            }
        };
        reply.took = sent.elapsed();
        if reply.code.is_none() {
            reply.code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .map(str::to_owned);
        }
        (reply, body)
    }

    /// Writes a draft article titled `title`.
    pub(super) async fn write_article(&self, title: &str) -> Reply {
        let (mut reply, body) = self
            .send(
                "mutation($t: String!) { createArticle(input: { title: $t }) { article { id } } }",
                json!({ "t": title }),
            )
            .await;
        if body["data"]["createArticle"]["article"]["id"].is_string() {
            reply.stored = Some(title.to_owned());
        }
        reply
    }

    /// Reads a page of places.
    pub(super) async fn read(&self) -> Reply {
        let query = "{ places(first: 5) { nodes { id name } } }";
        self.send(query, json!({})).await.0
    }
}

/// Runs `writers` tasks writing articles titled `{prefix}-{task}-{n}` and `readers` tasks
/// reading, until `stop` turns true; every reply, in no particular order.
pub(super) async fn drive(
    load: &Load,
    prefix: &str,
    writers: usize,
    readers: usize,
    stop: &watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Vec<Reply>> {
    let replies = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for task in 0..writers + readers {
        let (load, replies, stop) = (load.clone(), replies.clone(), stop.clone());
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !*stop.borrow() {
                let reply = if task < writers {
                    load.write_article(&format!("{prefix}-{task}-{n}")).await
                } else {
                    load.read().await
                };
                let refused = reply.refused;
                replies.lock().unwrap().push(reply);
                n += 1;
                if refused {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    tokio::spawn(async move {
        for task in tasks {
            task.await.unwrap();
        }
        std::mem::take(&mut *replies.lock().unwrap())
    })
}

/// How many articles of each title starting with `prefix` the database holds.
pub(super) async fn stored_titles(url: &str, prefix: &str) -> HashMap<String, i64> {
    let db = Database::connect(&ConnectSettings::new(url)).await.unwrap();
    let backend = db.connection().get_database_backend();
    let sql = format!(
        "SELECT title, COUNT(*) AS copies FROM articles WHERE title LIKE '{prefix}-%' GROUP BY title"
    );
    let rows = db
        .connection()
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let titles = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "title").unwrap(),
                row.try_get::<i64>("", "copies").unwrap(),
            )
        })
        .collect();
    db.close().await;
    titles
}

/// Every acknowledged write is stored exactly once, and nothing is stored twice.
pub(super) async fn every_acknowledged_write_is_stored_once(
    url: &str,
    prefix: &str,
    replies: &[Reply],
) {
    let stored = stored_titles(url, prefix).await;
    let acknowledged: Vec<&String> = replies.iter().filter_map(|r| r.stored.as_ref()).collect();
    assert!(!acknowledged.is_empty(), "no write was acknowledged");
    for title in &acknowledged {
        assert_eq!(stored.get(*title), Some(&1), "{title}: {stored:?}");
    }
    assert!(stored.values().all(|copies| *copies == 1), "{stored:?}");
}

/// A request to a local path: its status and how long it took.
pub(super) async fn probe(client: &reqwest::Client, url: &str) -> (u16, Duration) {
    let sent = Instant::now();
    let status = client
        .get(url)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16());
    (status, sent.elapsed())
}

/// The server process's resident memory, in KiB.
pub(super) fn resident_kib(server: &Server) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub(super) async fn signed_in(base: &str, email: &str) -> String {
    sign_in(base, email, PASSWORD).await
}

/// `PRAGMA integrity_check` of a SQLite database.
pub(super) async fn integrity(url: &str) -> String {
    let db = Database::connect(&ConnectSettings::new(url)).await.unwrap();
    let backend = db.connection().get_database_backend();
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await
        .unwrap()
        .unwrap();
    let verdict = row.try_get_by_index::<String>(0).unwrap();
    db.close().await;
    verdict
}
