//! A long run of a city's everyday traffic, for `bench/soak.sh`: registers residents,
//! measures the capacity of the mix for a while with as many requests in flight as
//! `SOAK_CONCURRENCY`, then sends the mix at `SOAK_LOAD` (0.6) of that capacity, at a
//! steady rate, for `SOAK_SECONDS`. Every `SOAK_WINDOW_SECONDS` it prints the window's
//! requests, errors, latency percentiles and the server's resident memory; at the end, the
//! drift of p95 and memory from the first window to the last, and the writes acknowledged
//! (`acknowledged kind=count`) for the caller to find in the database.
//!
//! The mix, by request: 80% reads (the agenda, places, news, a search, a place's page),
//! 15% residents' writes (check-ins and tips while their daily limits allow, saves
//! otherwise) and 5% an editor's drafts.
//!
//! Sessions are refreshed every 10 minutes, as apps refresh them before their access
//! tokens expire.
//!
//!   SOAK_BASE=http://127.0.0.1:18080 BENCH_MAIL_DIR=… SOAK_EDITOR_EMAIL=… \
//!     SOAK_EDITOR_PASSWORD=… cargo run --release --example soak

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "residents.rs"]
mod residents;

use residents::{Session, graphql, place_ids, residents};

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The reads of the mix (a fifth of them is a place's page, by id).
const READS: [&str; 4] = [
    "{ events(first: 20) { edges { occurrence { startsAt } node { title venue { name } } } } }",
    "{ places(first: 20, filter: { near: { latitude: 43.6045, longitude: 1.4440, radiusMeters: 1000 } }, orderBy: DISTANCE) { edges { distanceMeters node { name } } } }",
    "{ news(first: 20) { nodes { title summary publishers { name } } } }",
    "{ search(query: \"concert jardin\", first: 20) { totalCount edges { node { __typename } } } }",
];

/// What the run shares between its requests.
struct Traffic {
    client: reqwest::Client,
    base: String,
    /// The residents' sessions, and the editor's last, refreshed as an app refreshes
    /// them.
    sessions: RwLock<Vec<Session>>,
    places: Vec<String>,
    run: u32,
    /// Check-ins and tips handed out so far: each (resident, place) pair checks in once,
    /// and each resident stays within 50 check-ins and 20 tips a day.
    check_ins: AtomicUsize,
    tips: AtomicUsize,
    sent: AtomicUsize,
    acknowledged: Mutex<Acknowledged>,
}

#[derive(Default)]
struct Acknowledged {
    check_ins: usize,
    tips: usize,
    saves: HashSet<(usize, usize)>,
    articles: usize,
}

/// One request's outcome.
struct Outcome {
    took: Duration,
    ok: bool,
}

impl Traffic {
    /// Sends the `n`-th request of the mix.
    async fn send(&self, n: usize) -> Outcome {
        let slot = n % 100;
        let started = Instant::now();
        let editor = self.sessions.read().unwrap().len() - 1;
        let residents = editor;
        let access = |who: usize| Some(self.sessions.read().unwrap()[who].access.clone());
        let places = self.places.len();
        let (token, body, kind): (Option<String>, Value, &str) = if slot < 80 {
            let query = if slot % 5 == 4 {
                format!(
                    "{{ node(id: \"{}\") {{ ... on Place {{ name stats {{ checkInCount tipCount rating }} tips(first: 10) {{ nodes {{ text }} }} }} }} }}",
                    self.places[n % places]
                )
            } else {
                READS[slot % 5].to_owned()
            };
            (None, json!({ "query": query }), "read")
        } else if slot < 95 {
            let community = n / 100 * 15 + (slot - 80);
            // Check-ins (a third) and tips (a third) while the daily limits allow.
            let limited = match community % 3 {
                0 => Some((&self.check_ins, places.min(50), "check-in")),
                1 => Some((&self.tips, 20, "tip")),
                _ => None,
            };
            match limited {
                Some((handed, per_resident, kind))
                    if handed.load(Ordering::Relaxed) < residents * per_resident =>
                {
                    let k = handed.fetch_add(1, Ordering::Relaxed);
                    let (resident, place) = (k % residents, (k / residents) % places);
                    let body = if kind == "check-in" {
                        json!({
                            "query": "mutation($p: ID!, $k: String!) { checkIn(placeId: $p, idempotencyKey: $k) { replayed } }",
                            "variables": { "p": self.places[place], "k": format!("soak-{}-{k}", self.run) }
                        })
                    } else {
                        json!({
                            "query": "mutation($p: ID!, $t: String!) { addTip(placeId: $p, text: $t) { tip { id } } }",
                            "variables": { "p": self.places[place], "t": format!("Conseil soak-{} n°{k}", self.run) }
                        })
                    };
                    (access(resident), body, kind)
                }
                _ => {
                    let (resident, place) = (n % residents, (n / residents) % places);
                    (
                        access(resident),
                        json!({
                            "query": "mutation($i: ID!) { setSaved(id: $i) { saved } }",
                            "variables": { "i": self.places[place] }
                        }),
                        "save",
                    )
                }
            }
        } else {
            (
                access(editor),
                json!({
                    "query": "mutation($t: String!) { createArticle(input: { title: $t }) { article { id } } }",
                    "variables": { "t": format!("soak-{}-{n}", self.run) }
                }),
                "article",
            )
        };
        let answer = graphql(&self.client, &self.base, token.as_deref(), body).await;
        let took = started.elapsed();
        let ok = answer["data"].is_object()
            && answer.get("errors").is_none()
            && !answer["data"]
                .as_object()
                .is_some_and(|d| d.values().any(Value::is_null));
        if ok && kind != "read" {
            let mut acknowledged = self.acknowledged.lock().unwrap();
            match kind {
                "check-in" => acknowledged.check_ins += 1,
                "tip" => acknowledged.tips += 1,
                "save" => {
                    acknowledged
                        .saves
                        .insert((n % residents, (n / residents) % places));
                }
                _ => acknowledged.articles += 1,
            }
        }
        if !ok {
            eprintln!(
                "error ({kind}): {}",
                answer.to_string().chars().take(300).collect::<String>()
            );
        }
        Outcome { took, ok }
    }
}

/// Percentile `p` of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The server's resident memory, in MiB.
fn resident_mib(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let base: String = setting("SOAK_BASE", "http://127.0.0.1:18080".to_owned());
    let seconds: u64 = setting("SOAK_SECONDS", 1800);
    let window: u64 = setting("SOAK_WINDOW_SECONDS", 60);
    let load: f64 = setting("SOAK_LOAD", 0.6);
    let concurrency: usize = setting("SOAK_CONCURRENCY", 32);
    let capacity_seconds: u64 = setting("SOAK_CAPACITY_SECONDS", 20);
    let pid: String = setting("SOAK_SERVER_PID", String::new());
    let editor_email: String = std::env::var("SOAK_EDITOR_EMAIL").expect("SOAK_EDITOR_EMAIL");
    let editor_password: String =
        std::env::var("SOAK_EDITOR_PASSWORD").expect("SOAK_EDITOR_PASSWORD");
    let run = std::process::id();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut sessions = residents(
        &client,
        &base,
        &format!("soak-{run}"),
        setting("SOAK_RESIDENTS", 500),
    )
    .await;
    let login = json!({
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { session { accessToken refreshToken } } }",
        "variables": { "e": editor_email, "p": editor_password }
    });
    sessions.push(
        Session::from(&graphql(&client, &base, None, login).await["data"]["login"]["session"])
            .expect("the editor signs in"),
    );
    let places = place_ids(&client, &base, 100).await;
    let traffic = Arc::new(Traffic {
        client,
        base,
        sessions: RwLock::new(sessions),
        places,
        run,
        check_ins: AtomicUsize::new(0),
        tips: AtomicUsize::new(0),
        sent: AtomicUsize::new(0),
        acknowledged: Mutex::default(),
    });

    // Every 10 minutes, each session trades its refresh token for a new pair, as apps do
    // before their access tokens expire (15 minutes).
    {
        let traffic = traffic.clone();
        let every = Duration::from_secs(setting("SOAK_REFRESH_SECONDS", 600));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let count = traffic.sessions.read().unwrap().len();
                for who in 0..count {
                    let session = traffic.sessions.read().unwrap()[who].clone();
                    match session.refreshed(&traffic.client, &traffic.base).await {
                        Some(next) => traffic.sessions.write().unwrap()[who] = next,
                        None => eprintln!("error: session {who} could not be refreshed"),
                    }
                }
            }
        });
    }

    // Capacity: as many requests in flight as `concurrency`, as fast as they answer.
    let deadline = Instant::now() + Duration::from_secs(capacity_seconds);
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let traffic = traffic.clone();
        tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < deadline {
                let n = traffic.sent.fetch_add(1, Ordering::Relaxed);
                traffic.send(n).await;
                done += 1;
            }
            done
        })
    });
    let done: usize = futures_util::future::join_all(workers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    let capacity = done as f64 / started.elapsed().as_secs_f64();
    let rate = capacity * load;
    println!(
        "capacity of the mix: {capacity:.0} requests/s; soaking at {rate:.0} requests/s ({:.0}%) for {seconds} s",
        load * 100.0
    );

    // The soak: one request every 1/rate s, whatever the answers' pace.
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut next_window = started + Duration::from_secs(window);
    let mut windows: Vec<(f64, f64, f64)> = Vec::new();
    let (mut total, mut errors) = (0usize, 0usize);
    println!("window  requests  errors  p50 ms  p95 ms  p99 ms  RSS MiB");
    while started.elapsed() < Duration::from_secs(seconds) {
        ticker.tick().await;
        let (sending, kept) = (traffic.clone(), outcomes.clone());
        tokio::spawn(async move {
            let n = sending.sent.fetch_add(1, Ordering::Relaxed);
            let outcome = sending.send(n).await;
            kept.lock().unwrap().push(outcome);
        });
        if Instant::now() >= next_window {
            next_window += Duration::from_secs(window);
            let taken = std::mem::take(&mut *outcomes.lock().unwrap());
            let failed = taken.iter().filter(|o| !o.ok).count();
            let mut latencies: Vec<Duration> = taken.iter().map(|o| o.took).collect();
            latencies.sort();
            let (p50, p95, p99) = (
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.95),
                percentile(&latencies, 0.99),
            );
            let rss = resident_mib(&pid);
            total += taken.len();
            errors += failed;
            windows.push((p95, rss, p99));
            println!(
                "{:>6}  {:>8}  {failed:>6}  {p50:>6.1}  {p95:>6.1}  {p99:>6.1}  {rss:>7.1}",
                windows.len(),
                taken.len()
            );
        }
    }
    // The requests still in flight.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let last = std::mem::take(&mut *outcomes.lock().unwrap());
    total += last.len();
    errors += last.iter().filter(|o| !o.ok).count();
    // The first window warms up: drift is measured from the second to the last.
    let (first, end) = (windows.get(1).copied(), windows.last().copied());
    if let (Some((p95_start, rss_start, _)), Some((p95_end, rss_end, _))) = (first, end) {
        println!(
            "p95 drift: {p95_start:.1} ms -> {p95_end:.1} ms ({:+.1}%); RSS: {rss_start:.1} MiB -> {rss_end:.1} MiB ({:+.1}%)",
            (p95_end / p95_start - 1.0) * 100.0,
            (rss_end / rss_start - 1.0) * 100.0
        );
    }
    println!("requests: {total}, errors: {errors}");
    let acknowledged = traffic.acknowledged.lock().unwrap();
    println!("acknowledged check-ins={}", acknowledged.check_ins);
    println!("acknowledged tips={}", acknowledged.tips);
    println!("acknowledged saves={}", acknowledged.saves.len());
    println!("acknowledged articles={}", acknowledged.articles);
    println!("run={run}");
}
