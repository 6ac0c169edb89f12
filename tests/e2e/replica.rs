//! A read replica: a PostgreSQL primary and a hot standby streaming from it, made by the
//! test in a folder of its own on ports of its own (the machine's server is left alone).
//! Anonymous queries and exports read the standby while it keeps up, signed-in callers
//! the primary; a standby that falls behind or stops hands its reads back to the primary,
//! with no kept answer older than what the primary holds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use capitole_persistence::sea_orm::ConnectionTrait;
use capitole_persistence::{ConnectSettings, Database};

use super::{Server, city_with_an_editor, draft_article, graphql, sign_in};

/// A PostgreSQL server of the test's own, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of PostgreSQL's programs to its end (see [`Cluster::command`]); the
    /// server refuses to run as root.
    fn run(bin: &Path, as_postgres: bool, program: &str, args: &[&str]) {
        let output = Self::command(bin, as_postgres, program)
            .args(args)
            .output()
            .expect("run PostgreSQL's program");
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// One of PostgreSQL's programs, to run as the `postgres` user when the test runs as
    /// root.
    fn command(bin: &Path, as_postgres: bool, program: &str) -> Command {
        let program = bin.join(program);
        if as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        }
    }

    fn start(&self) {
        let data = self.data.to_str().unwrap();
        let log = format!("{data}.log");
        Self::run(
            &self.bin,
            self.as_postgres,
            "pg_ctl",
            &["-D", data, "-l", &log, "-w", "-t", "60", "start"],
        );
    }

    fn stop(&self) {
        let data = self.data.to_str().unwrap();
        Self::run(
            &self.bin,
            self.as_postgres,
            "pg_ctl",
            &["-D", data, "-m", "fast", "-w", "stop"],
        );
    }

    fn configure(&self, settings: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.data.join("postgresql.conf"))
            .unwrap();
        writeln!(file, "{settings}").unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.to_str().unwrap_or_default();
        let _ = Self::command(&self.bin, self.as_postgres, "pg_ctl")
            .args(["-D", data, "-m", "immediate", "stop"])
            .output();
    }
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The programs of the newest PostgreSQL installed, if any.
fn postgres_programs() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A primary and a hot standby streaming from it, in `folder`; `None` (with a notice) where
/// PostgreSQL's programs are not installed, except under CI.
fn primary_and_standby(folder: &Path) -> Option<(Cluster, Cluster)> {
    let Some(bin) = postgres_programs() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the read replica's test: PostgreSQL's server programs are missing"
        );
        eprintln!("notice: read replica test skipped: PostgreSQL's server programs are missing");
        return None;
    };
    let uid = Command::new("id").arg("-u").output().unwrap().stdout;
    let as_postgres = String::from_utf8_lossy(&uid).trim() == "0";
    if as_postgres {
        let status = Command::new("chown")
            .args(["postgres:postgres", folder.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success(), "chown the cluster's folder");
    }
    let primary = Cluster {
        bin: bin.clone(),
        data: folder.join("primary"),
        port: free_port(),
        as_postgres,
    };
    Cluster::run(
        &bin,
        as_postgres,
        "initdb",
        &[
            "-D",
            primary.data.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
    );
    let socket = folder.to_str().unwrap();
    primary.configure(&format!(
        "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket}'\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off",
        primary.port
    ));
    primary.start();
    let standby = Cluster {
        bin: bin.clone(),
        data: folder.join("standby"),
        port: free_port(),
        as_postgres,
    };
    Cluster::run(
        &bin,
        as_postgres,
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
            "-D",
            standby.data.to_str().unwrap(),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
    );
    standby.configure(&format!("port = {}", standby.port));
    standby.start();
    Some((primary, standby))
}

/// Runs one statement on a database of the test's.
async fn execute(url: &str, sql: &str) {
    let db = Database::connect(&ConnectSettings::new(url)).await.unwrap();
    db.connection().execute_unprepared(sql).await.unwrap();
    db.close().await;
}

/// The value of a metric without labels, as `/metrics` gives it now.
async fn metric(base: &str, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Waits (up to `within`) until the metric `name` is `value`.
async fn metric_becomes(base: &str, name: &str, value: f64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = metric(base, name).await;
        if now == Some(value) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} stayed at {now:?}, not {value}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (up to 20 s) until `capitole_db_replica_in_use` says the replica is used, or not.
async fn replica_in_use_becomes(base: &str, used: bool) {
    let value = if used { 1.0 } else { 0.0 };
    metric_becomes(
        base,
        "capitole_db_replica_in_use",
        value,
        Duration::from_secs(20),
    )
    .await;
}

/// The news titles a caller reads (anonymous over GET, which answers may be kept for, or
/// over POST, which they never are; signed in over POST).
async fn news_titles(base: &str, token: Option<&str>, over_get: bool) -> Vec<String> {
    let query = "{ news(first: 50) { nodes { title } } }";
    let body = if over_get {
        let response = reqwest::Client::new()
            .get(format!("{base}/graphql"))
            .query(&[("query", query)])
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.unwrap()
    } else {
        let (status, body) = graphql(base, token, query).await;
        assert_eq!(status, 200, "{body}");
        body
    };
    body["data"]["news"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .filter_map(|n| n["title"].as_str().map(str::to_owned))
        .collect()
}

/// Whether anonymous callers see `title` in the news: over POST, and over GET.
async fn anonymous_see(base: &str, title: &str) -> [bool; 2] {
    let mut seen = [false; 2];
    for (over_get, seen) in [false, true].into_iter().zip(&mut seen) {
        *seen = news_titles(base, None, over_get)
            .await
            .iter()
            .any(|t| t == title);
    }
    seen
}

/// The news feed's text (an export, which tolerates lag like anonymous queries).
async fn news_feed(base: &str) -> String {
    let response = reqwest::get(format!("{base}/feeds/news.atom"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn anonymous_reads_follow_a_replica_that_keeps_up_and_leave_one_that_does_not() {
    let folder = tempfile::Builder::new()
        .prefix("capitole_test_replica")
        .tempdir()
        .unwrap();
    let Some((primary, standby)) = primary_and_standby(folder.path()) else {
        return;
    };
    let editor = "replica-editor@example.org";
    city_with_an_editor(&primary.url(), editor);
    let server = Server::start_with(
        &primary.url(),
        &[
            ("CAPITOLE_DATABASE_READ_URL", &standby.url()),
            ("CAPITOLE_DATABASE_READ_MAX_LAG_MS", "4000"),
        ],
    );
    let base = server.base.clone();
    replica_in_use_becomes(&base, true).await;
    let token = sign_in(&base, editor, "une-phrase-de-passe-longue").await;

    // The standby stops replaying what the primary sends; then an article is published.
    execute(&standby.url(), "SELECT pg_wal_replay_pause()").await;
    let title = "Réouverture du Jardin des Plantes";
    let id = draft_article(&base, &token, title).await;
    let (_, published) = graphql(
        &base,
        Some(&token),
        &format!(
            "mutation {{ publishArticle(id: \"{id}\", version: 1) {{ article {{ status }} }} }}"
        ),
    )
    .await;
    assert_eq!(
        published["data"]["publishArticle"]["article"]["status"], "PUBLISHED",
        "{published}"
    );
    let written = Instant::now();

    // Within the allowed lag: the editor reads the primary, anonymous callers the standby.
    let editor_reads = news_titles(&base, Some(&token), false).await;
    assert!(editor_reads.iter().any(|t| t == title), "{editor_reads:?}");
    assert_eq!(anonymous_see(&base, title).await, [false, false]);
    assert!(!news_feed(&base).await.contains(title));
    assert!(
        written.elapsed() < Duration::from_secs(3),
        "the standby's reads were checked within the allowed lag"
    );

    // Too far behind: reads go to the primary, and no answer kept from the standby is
    // given again.
    replica_in_use_becomes(&base, false).await;
    let left_after = written.elapsed();
    let lag = metric(&base, "capitole_db_replica_lag_seconds")
        .await
        .unwrap();
    assert!(lag >= 4.0, "the measured lag, {lag} s, is past the maximum");
    assert_eq!(anonymous_see(&base, title).await, [true, true]);
    assert!(news_feed(&base).await.contains(title));

    // Caught up: the standby takes the reads again, and holds the article.
    execute(&standby.url(), "SELECT pg_wal_replay_resume()").await;
    let resumed = Instant::now();
    replica_in_use_becomes(&base, true).await;
    let back_after = resumed.elapsed();
    metric_becomes(
        &base,
        "capitole_db_replica_lag_seconds",
        0.0,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(anonymous_see(&base, title).await, [true, true]);

    // Gone: its reads go to the primary, and every request is answered.
    standby.stop();
    let stopped = Instant::now();
    replica_in_use_becomes(&base, false).await;
    eprintln!(
        "read replica: left {:.1} s after the write it lacked (allowed lag 4 s), taken back {:.1} s after it caught up, left {:.1} s after it stopped",
        left_after.as_secs_f64(),
        back_after.as_secs_f64(),
        stopped.elapsed().as_secs_f64()
    );
    assert_eq!(anonymous_see(&base, title).await, [true, true]);
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the primary answers: ready");
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("the read replica takes no reads"),
        "the log says the replica was left: {log}"
    );
    server.stop();
    drop(primary);
}

#[test]
fn a_read_replica_beside_sqlite_is_refused_at_start() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("capitole.db").display()
    );
    let mut child = Command::new(super::BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args([
            "--database-read-url",
            "postgres://postgres@127.0.0.1:9/none",
        ])
        .env("CAPITOLE_DATABASE_URL", &url)
        .env("CAPITOLE_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve started beside SQLite with a read replica");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("CAPITOLE_DATABASE_READ_URL needs CAPITOLE_DATABASE_URL on PostgreSQL"),
        "{stderr}"
    );
}
