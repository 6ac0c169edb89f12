//! Faults a city's service lives through: its database going away and coming back, a
//! database that stops answering, a pool too small for the load, a stop in the middle of
//! traffic, a process killed in the middle of a write, a full disk. Each test drives a
//! bounded load on 127.0.0.1 and checks, afterwards, every write the server acknowledged.
//! Servers are cut off from PostgreSQL by a proxy of the test's own, never by stopping
//! the machine's server.

use std::net::SocketAddr;
use std::time::Instant;

use capitole_persistence::testing::{TestDatabase, postgres_if_available, sqlite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::load::{
    Load, Reply, drive, every_acknowledged_write_is_stored_once, integrity, probe, resident_kib,
    serve, signed_in,
};
use super::*;

/// A TCP proxy in front of the database: `Up` forwards, `Down` drops every connection it
/// carries and closes each new one as soon as it is accepted, as a database that went away.
struct Proxy {
    port: u16,
    link: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn to(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (link, up) = watch::channel(true);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !*up.borrow() {
                    continue;
                }
                let mut up = up.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = up.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Proxy { port, link, task }
    }

    fn set_up(&self, up: bool) {
        self.link.send_replace(up);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, proxy: &Proxy) -> String {
    let parsed = url::Url::parse(url).unwrap();
    let mut proxied = parsed.clone();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    proxied.set_port(Some(proxy.port)).unwrap();
    proxied.to_string()
}

/// The PostgreSQL server behind a test database's URL.
fn server_address(url: &str) -> SocketAddr {
    let parsed = url::Url::parse(url).unwrap();
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", parsed.port().unwrap_or(5432))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_going_away_fails_requests_fast_and_every_acknowledged_write_survives() {
    let Some(test_db) = postgres_if_available().await else {
        return;
    };
    city_with_an_editor(&test_db.url, "ops@toulouse.example");
    let proxy = Proxy::to(server_address(&test_db.url)).await;
    let server = serve(&through(&test_db.url, &proxy), &[]);
    let token = signed_in(&server.base, "ops@toulouse.example").await;
    let load = Load::new(&server.base, Some(token));
    let (stop, stopping) = watch::channel(false);
    let replies = drive(&load, "outage", 3, 2, &stopping).await;

    // Health and readiness, every 100 ms: (time, /healthz, /readyz).
    let checks = {
        let (base, stopping) = (server.base.clone(), stopping.clone());
        let started = load.started;
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let mut seen = Vec::new();
            while !*stopping.borrow() {
                let (health, _) = probe(&client, &format!("{base}/healthz")).await;
                let (ready, _) = probe(&client, &format!("{base}/readyz")).await;
                seen.push((started.elapsed(), health, ready));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cut = load.started.elapsed();
    proxy.set_up(false);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let back = load.started.elapsed();
    proxy.set_up(true);
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.send_replace(true);
    let replies = replies.await.unwrap();
    let checks = checks.await.unwrap();

    // No request hung: each one answered within 5 s, and those that failed said why.
    for reply in &replies {
        assert!(reply.took <= Duration::from_secs(5), "{reply:?}");
        if reply.status != 200 || reply.code.is_some() {
            reply.refused_for_want_of_the_database();
        }
    }
    let failed = replies.iter().filter(|r| r.status == 503).count();
    assert!(failed > 0, "the outage went unnoticed");
    // Served again once the database is back.
    assert!(
        replies
            .iter()
            .any(|r| r.at > back + Duration::from_secs(5) && r.stored.is_some()),
        "no write succeeded after the database came back"
    );
    // Alive throughout; not ready within 5 s of the cut, ready again within 10 s of the
    // return.
    assert!(
        checks.iter().all(|(_, health, _)| *health == 200),
        "{checks:?}"
    );
    // How long after `since` `/readyz` first answered `status`.
    let readiness = |since: Duration, status: u16| {
        checks
            .iter()
            .find(|(at, _, ready)| *at > since && *ready == status)
            .map(|(at, _, _)| *at - since)
    };
    let (unready, ready) = (readiness(cut, 503), readiness(back, 200));
    assert!(
        unready.is_some_and(|after| after <= Duration::from_secs(5)),
        "{checks:?}"
    );
    assert!(
        ready.is_some_and(|after| after <= Duration::from_secs(10)),
        "{checks:?}"
    );
    every_acknowledged_write_is_stored_once(&test_db.url, "outage", &replies).await;
    eprintln!(
        "database outage: {} requests, {failed} answered 503, slowest {:?}, not ready {:?} after the cut, ready {:?} after the return",
        replies.len(),
        replies.iter().map(|r| r.took).max().unwrap_or_default(),
        unready.unwrap_or_default(),
        ready.unwrap_or_default(),
    );
    assert!(server.stop().success());
    test_db.remove().await;
}

/// Holds an exclusive lock on the places table from a connection of the test's own, so
/// that every statement that reads places waits, as on a database that does not answer.
async fn lock_places(url: &str) -> capitole_persistence::sea_orm::DatabaseTransaction {
    use capitole_persistence::sea_orm::{ConnectionTrait, TransactionTrait};
    let db = capitole_persistence::sea_orm::Database::connect(url)
        .await
        .unwrap();
    let transaction = db.begin().await.unwrap();
    transaction
        .execute_unprepared("LOCK TABLE places IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    transaction
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_that_stops_answering_and_a_saturated_pool_get_503s_while_health_stays_quick() {
    let Some(test_db) = postgres_if_available().await else {
        return;
    };
    capitole(&test_db.url, &["seed", "--demo"], "");
    let server = serve(
        &test_db.url,
        &[
            ("CAPITOLE_DB_MAX_CONNECTIONS", "2"),
            ("CAPITOLE_DB_ACQUIRE_TIMEOUT_MS", "500"),
            ("CAPITOLE_DB_STATEMENT_TIMEOUT_MS", "2000"),
            // Each request must reach the database.
            ("CAPITOLE_RESPONSE_CACHE_MIB", "0"),
        ],
    );
    let load = Load::new(&server.base, None);
    assert_eq!(load.read().await.status, 200);
    let warm = resident_kib(&server);

    let lock = lock_places(&test_db.url).await;
    let client = reqwest::Client::new();
    let mut slowest_health = Duration::ZERO;
    let mut replies = Vec::new();
    // Three waves of twelve readers on a pool of two.
    for _ in 0..3 {
        let wave: Vec<_> = (0..12)
            .map(|_| {
                let load = load.clone();
                tokio::spawn(async move { load.read().await })
            })
            .collect();
        let mut finished = false;
        while !finished {
            let (status, took) = probe(&client, &format!("{}/healthz", server.base)).await;
            assert_eq!(status, 200);
            slowest_health = slowest_health.max(took);
            tokio::time::sleep(Duration::from_millis(50)).await;
            finished = wave.iter().all(|task| task.is_finished());
        }
        for task in wave {
            replies.push(task.await.unwrap());
        }
    }
    lock.rollback().await.unwrap();
    let after = resident_kib(&server);

    // Every reader got a 503 with Retry-After: those holding a connection when their
    // statement ran out of time (2 s), the others when no connection came (0.5 s).
    for reply in &replies {
        reply.refused_for_want_of_the_database();
        assert!(reply.took < Duration::from_secs(4), "{reply:?}");
    }
    let waited = replies
        .iter()
        .filter(|r| r.took < Duration::from_millis(1500))
        .count();
    assert!(waited >= 30, "{replies:?}");
    assert!(
        slowest_health < Duration::from_millis(100),
        "{slowest_health:?}"
    );
    // Memory stays flat (within 20 MiB) through 36 refusals.
    assert!(after < warm + 20 * 1024, "{warm} KiB, then {after} KiB");
    // And the database serves again as soon as it answers.
    assert_eq!(load.read().await.status, 200);
    eprintln!(
        "saturated pool: {} readers refused with 503, {waited} after the acquire timeout; slowest /healthz {slowest_health:?}; RSS {warm} KiB then {after} KiB",
        replies.len()
    );
    assert!(server.stop().success());
    test_db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_finishes_what_it_started_and_another_replica_publishes() {
    let Some(test_db) = postgres_if_available().await else {
        return;
    };
    city_with_an_editor(&test_db.url, "ops@toulouse.example");
    let every_second = [("CAPITOLE_SCHEDULER_INTERVAL_SECONDS", "1")];
    let leaving = serve(&test_db.url, &every_second);
    let staying = serve(&test_db.url, &every_second);
    let token = signed_in(&leaving.base, "ops@toulouse.example").await;
    // An article due in 6 s, after the first replica has gone.
    let due = Instant::now() + Duration::from_secs(6);
    let id = scheduled_article(
        (&leaving.base, &leaving.base),
        &token,
        "Relève",
        chrono::Duration::seconds(6),
    )
    .await;

    let load = Load::new(&leaving.base, Some(token.clone()));
    let (_stop, stopping) = watch::channel(false);
    let replies = drive(&load, "sigterm", 4, 4, &stopping).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = leaving.child.id().to_string();
    let asked = Instant::now();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut leaving = leaving;
    let status = leaving.child.wait().unwrap();
    let exited = asked.elapsed();
    std::mem::forget(leaving);
    let replies = replies.await.unwrap();

    // Each request either got its whole answer or found the door shut: none was cut.
    let cut: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == 0 && !r.refused)
        .collect();
    assert!(cut.is_empty(), "{cut:?}");
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 0)
            .all(|r| r.status == 200 && r.code.is_none()),
        "{replies:?}"
    );
    assert!(status.success(), "{status:?}");
    assert!(exited < Duration::from_secs(20), "{exited:?}");
    assert!(
        asked + exited < due,
        "the first replica was still there when the article was due"
    );
    every_acknowledged_write_is_stored_once(&test_db.url, "sigterm", &replies).await;

    // The replica that stayed publishes the article when it is due.
    let public = format!("{{ node(id: \"{id}\") {{ ... on NewsArticle {{ status }} }} }}");
    let mut published = false;
    for _ in 0..40 {
        let (_, body) = graphql(&staying.base, None, &public).await;
        if body["data"]["node"]["status"] == "PUBLISHED" {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        published,
        "the remaining replica did not publish the article"
    );
    eprintln!(
        "SIGTERM under load: {} requests answered, {} refused once the listener closed, 0 cut; exited in {exited:?}",
        replies.iter().filter(|r| r.status != 0).count(),
        replies.iter().filter(|r| r.refused).count(),
    );
    assert!(staying.stop().success());
    test_db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_server_killed_mid_write_restarts_with_every_acknowledged_write() {
    let test_db: TestDatabase = sqlite().await;
    city_with_an_editor(&test_db.url, "ops@toulouse.example");
    let server = serve(&test_db.url, &[]);
    let token = signed_in(&server.base, "ops@toulouse.example").await;
    let load = Load::new(&server.base, Some(token));
    let (_stop, stopping) = watch::channel(false);
    let replies = drive(&load, "killed", 4, 2, &stopping).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    drop(server);
    let replies = replies.await.unwrap();

    assert_eq!(integrity(&test_db.url).await, "ok");
    let restarted = serve(&test_db.url, &[]);
    assert_eq!(integrity(&test_db.url).await, "ok");
    every_acknowledged_write_is_stored_once(&test_db.url, "killed", &replies).await;
    let (status, _) = graphql(
        &restarted.base,
        None,
        "{ places(first: 1) { nodes { id } } }",
    )
    .await;
    assert_eq!(status, 200);
    eprintln!(
        "kill -9 on SQLite: {} writes acknowledged before the kill, all stored once; integrity ok",
        replies.iter().filter(|r| r.stored.is_some()).count()
    );
    assert!(restarted.stop().success());
    test_db.remove().await;
}

/// A small file system of the test's own (tmpfs), unmounted when dropped; `None` where this
/// machine does not let the test mount one (not root, or in a container that forbids it).
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let path = std::env::temp_dir().join(format!("capitole-small-disk-{}", std::process::id()));
        std::fs::create_dir_all(&path).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            let _ = std::fs::remove_dir(&path);
            return None;
        }
        Some(SmallDisk { path })
    }

    /// Bytes still free on it.
    fn free(&self) -> u64 {
        let output = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .nth(1)
            .and_then(|line| line.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a server that did not stop still holds its files there.
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(&self.path)
            .status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_refuses_writes_clearly_while_reads_go_on_and_nothing_is_corrupt() {
    let Some(disk) = SmallDisk::mount(32) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "notice: the full-disk test is skipped: this machine does not let it mount a small file system (it needs root)"
        );
        return;
    };
    let url = format!(
        "sqlite://{}?mode=rwc",
        disk.path.join("capitole.db").display()
    );
    city_with_an_editor(&url, "ops@toulouse.example");
    let server = serve(&url, &[]);
    let token = signed_in(&server.base, "ops@toulouse.example").await;
    // All but 256 KiB taken by another file.
    let filler = disk.path.join("filler");
    let taken = disk.free().saturating_sub(256 * 1024);
    std::fs::write(&filler, vec![0u8; usize::try_from(taken).unwrap()]).unwrap();

    let load = Load::new(&server.base, Some(token));
    let mut replies = Vec::new();
    let mut refused = None;
    for n in 0..2000 {
        // Long titles fill the disk sooner.
        let title = format!("full-{n}-{}", "x".repeat(180));
        let reply = load.write_article(&title).await;
        let failed = reply.stored.is_none();
        replies.push(reply.clone());
        if failed {
            refused = Some(reply);
            break;
        }
    }
    let refused = refused.expect("the disk never filled");
    refused.refused_for_want_of_the_database();
    // Reads go on.
    for _ in 0..5 {
        let read = load.read().await;
        assert_eq!((read.status, read.code.as_deref()), (200, None), "{read:?}");
    }
    // With room again, writes go on too.
    std::fs::remove_file(&filler).unwrap();
    let again = load.write_article("full-after").await;
    assert!(again.stored.is_some(), "{again:?}");
    replies.push(again);
    assert!(server.stop().success());
    assert_eq!(integrity(&url).await, "ok");
    every_acknowledged_write_is_stored_once(&url, "full", &replies).await;
    eprintln!(
        "full disk: {} writes stored, then 503 SERVICE_UNAVAILABLE; reads answered; integrity ok",
        replies.iter().filter(|r| r.stored.is_some()).count()
    );
    drop(disk);
}
