//! Check-ins under load: registers residents (confirming their addresses with the links the
//! server wrote to `BENCH_MAIL_DIR`), then has `CONCURRENCY` workers check them in
//! at places as fast as the server answers, each (resident, place) pair once, for
//! `DURATION` seconds. Prints requests/s and latency percentiles, and the count of
//! check-ins acknowledged, so that the caller can compare it with the rows stored.
//!
//!   cargo run --release --example checkin-load -- http://127.0.0.1:18080 [users] [seconds] [concurrency]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "residents.rs"]
mod residents;

use residents::{graphql, place_ids, residents};

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

    // Each resident checks in well within their access token's 15 minutes.
    let tokens: Vec<String> = residents(&client, &base, &format!("bench-{run_id}"), users)
        .await
        .into_iter()
        .map(|session| session.access)
        .collect();
    let places = place_ids(&client, &base, 50).await;
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
