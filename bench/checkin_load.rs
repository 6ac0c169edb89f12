//! Check-ins under load: registers residents (confirming their addresses with the links the
//! server wrote to `BENCH_MAIL_DIR`), then has `CONCURRENCY` workers check them in
//! at places as fast as the server answers, each (resident, place) pair once, for
//! `DURATION` seconds. Prints requests/s and latency percentiles, and the count of
//! check-ins acknowledged, so that the caller can compare it with the rows stored.
//!
//!   cargo run --release --example checkin-load -- http://127.0.0.1:18080 [users] [seconds] [concurrency]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

async fn graphql(client: &reqwest::Client, base: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    match request.send().await {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// The confirmation tokens the server mailed, by address, read from its mail folder
/// (`BENCH_MAIL_DIR`) once `expected` of them are there (or after 20 s).
async fn confirmation_tokens(expected: usize) -> HashMap<String, String> {
    use mailparse::MailHeaderMap;
    let folder =
        std::env::var("BENCH_MAIL_DIR").expect("BENCH_MAIL_DIR names the server's mail folder");
    let mut tokens = HashMap::new();
    let mut read = std::collections::HashSet::new();
    for _ in 0..200 {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if read.contains(&path) {
                continue;
            }
            let Ok(raw) = std::fs::read(&path) else {
                continue;
            };
            let Ok(mail) = mailparse::parse_mail(&raw) else {
                continue;
            };
            let (Some(to), Ok(body)) = (mail.headers.get_first_value("To"), mail.get_body()) else {
                continue;
            };
            if let Some(start) = body.find("ev_") {
                let token = body[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect();
                tokens.insert(to, token);
            }
            read.insert(path);
        }
        if tokens.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokens
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:18080".into());
    let users: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(600);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let concurrency: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(32);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let run_id = std::process::id();

    // Residents, registered a few at a time (each sign-up hashes a password), then
    // confirmed with the links mailed to them.
    let started = Instant::now();
    let mut emails = Vec::with_capacity(users);
    for chunk in (0..users).collect::<Vec<_>>().chunks(16) {
        let signups = chunk.iter().map(|i| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let email = format!("bench-{run_id}-{i}@example.org");
                let body = json!({
                    "query": "mutation($i: RegisterInput!) { register(input: $i) { email } }",
                    "variables": { "i": { "email": email, "password": "banc-d-essai-capitole", "displayName": "Banc" } }
                });
                graphql(&client, &base, None, body).await["data"]["register"]["email"]
                    .as_str()
                    .map(str::to_owned)
            }
        });
        emails.extend(
            futures_util::future::join_all(signups)
                .await
                .into_iter()
                .flatten(),
        );
    }
    let confirmations = confirmation_tokens(emails.len()).await;
    let mut tokens = Vec::with_capacity(users);
    for chunk in emails.chunks(16) {
        let verified = chunk
            .iter()
            .filter_map(|email| confirmations.get(email))
            .map(|token| {
                let client = client.clone();
                let base = base.clone();
                let body = json!({
                    "query": "mutation($t: String!) { verifyEmail(token: $t) { session { accessToken } } }",
                    "variables": { "t": token }
                });
                async move {
                    graphql(&client, &base, None, body).await["data"]["verifyEmail"]["session"]["accessToken"]
                        .as_str()
                        .map(str::to_owned)
                }
            });
        tokens.extend(
            futures_util::future::join_all(verified)
                .await
                .into_iter()
                .flatten(),
        );
    }
    eprintln!(
        "{} residents registered in {:.1} s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
    let places: Vec<String> = graphql(
        &client,
        &base,
        None,
        json!({ "query": "{ places(first: 50, orderBy: NAME) { nodes { id } } }" }),
    )
    .await["data"]["places"]["nodes"]
        .as_array()
        .expect("places")
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let tokens = Arc::new(tokens);
    let places = Arc::new(places);
    // Pair n: resident n % users at place n / users, so no pair repeats (the 30-minute
    // rule) and nobody passes 50 check-ins a day.
    let capacity = tokens.len() * places.len().min(50);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (client, base, tokens, places, next) = (client.clone(), base.clone(), tokens.clone(), places.clone(), next.clone());
        tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0usize, 0usize, Vec::new());
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= capacity {
                    break;
                }
                let token = &tokens[n % tokens.len()];
                let place = &places[n / tokens.len()];
                let body = json!({
                    "query": "mutation($p: ID!, $k: String!) { checkIn(placeId: $p, idempotencyKey: $k) { replayed } }",
                    "variables": { "p": place, "k": format!("bench-{n}") }
                });
                let sent = Instant::now();
                let answer = graphql(&client, &base, Some(token), body).await;
                latencies.push(sent.elapsed());
                if answer["data"]["checkIn"]["replayed"] == false {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed, latencies)
        })
    });
    let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
    for worker in futures_util::future::join_all(workers).await {
        let (o, f, l) = worker.unwrap();
        ok += o;
        failed += f;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "check-ins: {ok} acknowledged, {failed} failed, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        (ok + failed) as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    println!("acknowledged={ok} run={run_id}");
}
