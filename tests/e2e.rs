//! End to end: the real `capitole` binary, started on port 0, spoken to over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use capitole_persistence::testing::databases;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_capitole");

#[path = "e2e/faults.rs"]
mod faults;
#[path = "e2e/live.rs"]
mod live;
#[path = "e2e/load.rs"]
mod load;
#[path = "e2e/operations.rs"]
mod operations;
#[path = "e2e/replica.rs"]
mod replica;

/// A running server; stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[])
    }

    fn start_with(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            // PostgreSQL servers here keep a generated key in their test database.
            .env("CAPITOLE_ALLOW_GENERATED_KEY", "true")
            .env("CAPITOLE_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .env("CAPITOLE_DATABASE_URL", database_url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start capitole");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut kept) = kept.lock() {
                    kept.push_str(&line);
                    kept.push('\n');
                }
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = sender.send(addr);
                }
            }
        });
        let Ok(addr) = receiver.recv_timeout(Duration::from_secs(60)) else {
            // Not left running behind a failed test.
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server did not say where it listens: {}",
                log.lock().unwrap()
            );
        };
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The query pre-filled in GraphiQL.
fn graphiql_example() -> String {
    let page = include_str!("../crates/api/src/http/graphiql.js");
    let start = page
        .find("query CityHome")
        .expect("the page has the example query");
    let end = start + page[start..].find('`').expect("the example query ends");
    page[start..end].to_owned()
}

#[tokio::test]
async fn a_newcomer_runs_the_graphiql_example_against_the_demo_city() {
    for test_db in databases().await {
        let server = Server::start(&test_db.url);
        let client = reqwest::Client::new();

        let page = client
            .get(format!("{}/graphiql", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("query CityHome"));

        let response = client
            .post(format!("{}/graphql", server.base))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(json!({ "query": graphiql_example() }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert!(body.get("errors").is_none(), "{}: {body}", test_db.label);
        let data = &body["data"];
        assert!(
            !data["upcoming"]["edges"].as_array().unwrap().is_empty(),
            "upcoming events"
        );
        let near = data["nearCapitole"]["edges"].as_array().unwrap();
        assert!(!near.is_empty());
        let distances: Vec<f64> = near
            .iter()
            .map(|e| e["distanceMeters"].as_f64().unwrap())
            .collect();
        assert!(
            distances.windows(2).all(|w| w[0] <= w[1]) && distances.iter().all(|d| *d <= 1000.0)
        );
        let publishers: Vec<&str> = data["news"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| {
                n["publishers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["name"].as_str().unwrap())
            })
            .collect();
        assert!(!publishers.is_empty());

        assert_eq!(
            client
                .get(format!("{}/readyz", server.base))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let status = server.stop();
        assert!(
            status.success(),
            "{}: SIGTERM stops the server cleanly: {status:?}",
            test_db.label
        );
        test_db.remove().await;
    }
}

/// Runs a `capitole` command on a database, with `stdin` as its input; returns stdout.
fn capitole(database_url: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(BINARY)
        .args(args)
        .env("CAPITOLE_DATABASE_URL", database_url)
        .env("CAPITOLE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "capitole {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn graphql(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(json!({ "query": query }).to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn administrators_and_app_tokens_are_managed_from_the_command_line() {
    for test_db in databases().await {
        let url = &test_db.url;
        capitole(url, &["seed", "--demo"], "");
        capitole(
            url,
            &[
                "user",
                "create",
                "--email",
                "Admin@Toulouse.example",
                "--role",
                "administrator",
            ],
            "une-phrase-de-passe-longue\n",
        );
        capitole(
            url,
            &[
                "user",
                "create",
                "--email",
                "com@toulouse.example",
                "--role",
                "editor",
                "--organization",
                "ville-de-toulouse",
            ],
            "une-autre-phrase-longue\n",
        )
        .contains("EDITOR")
        .then_some(())
        .or_else(|| panic!("the editor was not created"));
        let token = capitole(
            url,
            &[
                "token",
                "create",
                "--app",
                "Tisséo",
                "--contact",
                "dev@tisseo.example",
                "--scope",
                "read",
            ],
            "",
        )
        .trim()
        .to_owned();
        assert!(token.starts_with("cap_") && token.len() == 40, "{token}");

        let server = Server::start(url);
        // No key was configured: one was generated, stored, and the log says so.
        assert!(
            server
                .log
                .lock()
                .unwrap()
                .contains("no signing key is configured")
        );
        let (status, body) = graphql(
            &server.base,
            None,
            "mutation { login(email: \"admin@toulouse.example\", password: \"une-phrase-de-passe-longue\") { session { accessToken user { role } } } }",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["login"]["session"]["user"]["role"], "ADMINISTRATOR",
            "{body}"
        );
        let access = body["data"]["login"]["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, users) = graphql(
            &server.base,
            Some(&access),
            "{ users { nodes { email role } } }",
        )
        .await;
        assert_eq!(
            users["data"]["users"]["nodes"].as_array().map(Vec::len),
            Some(2),
            "{users}"
        );

        let (status, _) = graphql(&server.base, Some(&token), "{ organizations { slug } }").await;
        assert_eq!(status, 200, "{}", test_db.label);
        let listed = capitole(url, &["token", "list"], "");
        let id = listed.split('\t').next().unwrap().to_owned();
        assert!(
            listed.contains("Tisséo") && listed.contains("live") && !listed.contains(&token[4..])
        );
        capitole(url, &["token", "revoke", &id], "");
        let (status, _) = graphql(&server.base, Some(&token), "{ organizations { slug } }").await;
        assert_eq!(status, 401, "{}", test_db.label);
        assert!(server.stop().success());

        // Access tokens survive a restart: the stored key is used again, not replaced.
        let server = Server::start(url);
        let (_, again) = graphql(&server.base, Some(&access), "{ viewer { email } }").await;
        assert_eq!(
            again["data"]["viewer"]["email"], "admin@toulouse.example",
            "{again}"
        );
        assert!(server.stop().success());
        test_db.remove().await;
    }
}

#[tokio::test]
async fn two_servers_on_one_database_publish_a_scheduled_article_and_fold_a_check_in_once() {
    for test_db in databases().await {
        let url = &test_db.url;
        city_with_an_editor(url, "com@toulouse.example");
        let every_second = [("CAPITOLE_SCHEDULER_INTERVAL_SECONDS", "1")];
        let first = Server::start_with(url, &every_second);
        let second = Server::start_with(url, &every_second);
        let (_, login) = graphql(
            &first.base,
            None,
            "mutation { login(email: \"com@toulouse.example\", password: \"une-phrase-de-passe-longue\") { session { accessToken } } }",
        )
        .await;
        let token = login["data"]["login"]["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let id = scheduled_article(
            (&first.base, &second.base),
            &token,
            "Annonce programmée",
            chrono::Duration::seconds(2),
        )
        .await;
        // A check-in counts in its place's popularity once, though both servers fold.
        let popular = "{ places(first: 1, orderBy: POPULARITY) { nodes { id popularity } } }";
        let (_, top) = graphql(&first.base, None, popular).await;
        let place = top["data"]["places"]["nodes"][0].clone();
        let (_, checked) = graphql(
            &second.base,
            Some(&token),
            &format!(
                "mutation {{ checkIn(placeId: \"{}\") {{ replayed }} }}",
                place["id"].as_str().unwrap()
            ),
        )
        .await;
        assert_eq!(checked["data"]["checkIn"]["replayed"], false, "{checked}");
        // Both servers run their scheduler every second; wait until the article is out.
        let public = format!("{{ node(id: \"{id}\") {{ ... on NewsArticle {{ status }} }} }}");
        let mut published = false;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let (_, body) = graphql(&second.base, None, &public).await;
            if body["data"]["node"]["status"] == "PUBLISHED" {
                published = true;
                break;
            }
        }
        assert!(
            published,
            "{}: the scheduled article was not published",
            test_db.label
        );
        // Give both schedulers a few more rounds, then count the publications.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let (_, trail) = graphql(
            &first.base,
            Some(&token),
            &format!("{{ auditLog(itemId: \"{id}\") {{ nodes {{ action actor }} }} }}"),
        )
        .await;
        let by_scheduler = trail["data"]["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["action"] == "PUBLISH" && n["actor"] == "scheduler")
            .count();
        assert_eq!(by_scheduler, 1, "{}: {trail}", test_db.label);
        let (_, top) = graphql(&first.base, None, popular).await;
        assert_eq!(
            top["data"]["places"]["nodes"][0]["id"], place["id"],
            "{top}"
        );
        assert_eq!(
            top["data"]["places"]["nodes"][0]["popularity"].as_i64(),
            place["popularity"].as_i64().map(|p| p + 1),
            "{}: {top}",
            test_db.label
        );
        let logs = format!(
            "{}{}",
            first.log.lock().unwrap(),
            second.log.lock().unwrap()
        );
        assert_eq!(
            logs.matches("published a scheduled article").count(),
            1,
            "{}",
            test_db.label
        );
        assert!(first.stop().success() && second.stop().success());
        test_db.remove().await;
    }
}

/// The demo city with an editor of the city's news (password `une-phrase-de-passe-longue`),
/// made through the command line.
fn city_with_an_editor(url: &str, email: &str) {
    capitole(url, &["seed", "--demo"], "");
    capitole(
        url,
        &[
            "user",
            "create",
            "--email",
            email,
            "--role",
            "editor",
            "--organization",
            "ville-de-toulouse",
        ],
        "une-phrase-de-passe-longue\n",
    );
}

/// Writes a draft article titled `title` (as the holder of `token`); its id.
async fn draft_article(base: &str, token: &str, title: &str) -> String {
    let (_, created) = graphql(
        base,
        Some(token),
        &format!(
            "mutation {{ createArticle(input: {{ title: {title:?} }}) {{ article {{ id }} }} }}"
        ),
    )
    .await;
    created["data"]["createArticle"]["article"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned()
}

/// Writes a draft article through `servers.0` and schedules it through `servers.1` to be
/// published `after` from now; its id.
async fn scheduled_article(
    servers: (&str, &str),
    token: &str,
    title: &str,
    after: chrono::Duration,
) -> String {
    let id = draft_article(servers.0, token, title).await;
    let at = (chrono::Utc::now() + after).to_rfc3339();
    let (_, scheduled) = graphql(
        servers.1,
        Some(token),
        &format!("mutation {{ scheduleArticle(id: \"{id}\", version: 1, publishAt: \"{at}\") {{ article {{ status }} }} }}"),
    )
    .await;
    assert_eq!(
        scheduled["data"]["scheduleArticle"]["article"]["status"], "SCHEDULED",
        "{scheduled}"
    );
    id
}

/// Runs a `capitole` command that may fail; returns its success, stdout and stderr.
fn capitole_status(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .args(args)
        .env("CAPITOLE_DATABASE_URL", database_url)
        .env("CAPITOLE_LOG", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_agenda_file_imported_twice_changes_nothing_the_second_time() {
    use capitole_persistence::entities::{audit_entry, event};
    use capitole_persistence::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let day = |days: i64, hour: u32| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .date_naive()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    };
    let agenda = json!([
        {
            "externalId": "oa-1001",
            "title": "Visite guidée du Capitole",
            "summary": "La salle des Illustres",
            "categories": ["event-talk"],
            "isFree": true,
            "locationText": "Place du Capitole",
            "occurrences": [{ "startsAt": day(9, 8), "endsAt": day(9, 10) }]
        },
        {
            "externalId": 1002,
            "title": "Marché bio",
            "publishers": ["toulouse-metropole", "ville-de-toulouse"],
            "categories": ["event-food-market"],
            "neighborhoods": ["capitole"],
            "locationText": "Boulevard de Strasbourg",
            "recurrence": { "rule": "FREQ=WEEKLY;BYDAY=SA", "firstStart": day(2, 8)[..16].to_owned(), "durationMinutes": 300 }
        }
    ]);
    let folder = std::env::temp_dir().join(format!("capitole-import-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("agenda.json");
    std::fs::write(&file, agenda.to_string()).unwrap();
    let path = file.to_str().unwrap();
    for test_db in databases().await {
        let url = &test_db.url;
        let label = test_db.label;
        capitole(url, &["seed", "--demo"], "");
        let args = [
            "import",
            "events",
            path,
            "--source",
            "openagenda-toulouse",
            "--publisher",
            "ville-de-toulouse",
        ];
        let first = capitole(url, &args, "");
        assert!(
            first.contains("created 2, updated 0, unchanged 0, refused 0"),
            "{label}: {first}"
        );
        let count_events = || async {
            event::Entity::find()
                .filter(event::Column::Source.eq("openagenda-toulouse"))
                .all(test_db.db.connection())
                .await
                .unwrap()
        };
        let rows = count_events().await;
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::ItemKind.eq("EVENT"))
            .count(test_db.db.connection())
            .await
            .unwrap();
        let second = capitole(url, &args, "");
        assert!(
            second.contains("created 0, updated 0, unchanged 2, refused 0"),
            "{label}: {second}"
        );
        let again = count_events().await;
        assert_eq!(rows, again, "{label}: the second run changed nothing");
        assert!(again.iter().all(|e| e.version == 1));
        assert_eq!(
            audit_entry::Entity::find()
                .filter(audit_entry::Column::ItemKind.eq("EVENT"))
                .count(test_db.db.connection())
                .await
                .unwrap(),
            entries,
            "{label}"
        );

        // An offline copy hears of the two imported events, once each, over a plain GET;
        // the second run, which changed nothing, told it nothing.
        let server = Server::start(url);
        let sync = "{ changes(first: 100, kinds: [EVENT]) { edges { node { change node { ... on Event { title } } } } pageInfo { hasNextPage } } }";
        // On PostgreSQL an entry is readable once every older transaction of the server has
        // ended (other tests share it), so the copy may wait a moment.
        let mut heard: Vec<(String, String)> = Vec::new();
        let mut body = Value::Null;
        for _ in 0..100 {
            let response = reqwest::Client::new()
                .get(format!("{}/graphql", server.base))
                .query(&[("query", sync)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200, "{label}");
            body = response.json().await.unwrap();
            heard = body["data"]["changes"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{label}: {body}"))
                .iter()
                .map(|e| {
                    (
                        e["node"]["change"].as_str().unwrap().to_owned(),
                        e["node"]["node"]["title"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            if heard.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        heard.sort();
        assert_eq!(
            heard,
            vec![
                ("CREATED".to_owned(), "Marché bio".to_owned()),
                ("CREATED".to_owned(), "Visite guidée du Capitole".to_owned()),
            ],
            "{label}: {body}"
        );
        server.stop();

        // An invalid item is reported with its index and field; nothing of it is stored.
        let bad = folder.join(format!("bad-{label}.json"));
        std::fs::write(
            &bad,
            json!([
                { "externalId": "oa-1003", "title": "Nul\u{0}", "locationText": "Ici", "occurrences": [] },
                { "externalId": "oa-1004", "title": "Atelier", "ageMin": 9, "ageMax": 3, "locationText": "Ici",
                  "occurrences": [{ "startsAt": day(3, 8), "endsAt": day(3, 9) }] }
            ])
            .to_string(),
        )
        .unwrap();
        let mut bad_args = args;
        bad_args[2] = bad.to_str().unwrap();
        let (ok, _, stderr) = capitole_status(url, &bad_args);
        assert!(!ok, "{label}");
        assert!(
            stderr.contains("item 0 (oa-1003): title"),
            "{label}: {stderr}"
        );
        assert!(
            stderr.contains("item 1 (oa-1004): ageMax"),
            "{label}: {stderr}"
        );
        assert_eq!(count_events().await.len(), 2, "{label}");
        std::fs::write(&bad, "{ not json").unwrap();
        let (ok, _, stderr) = capitole_status(url, &bad_args);
        assert!(
            !ok && stderr.contains("not a JSON array"),
            "{label}: {stderr}"
        );
        test_db.remove().await;
    }
    let _ = std::fs::remove_dir_all(&folder);
}

/// Signs in over HTTP; returns the access token.
async fn sign_in(base: &str, email: &str, password: &str) -> String {
    let (status, body) = graphql(
        base,
        None,
        &format!(
            "mutation {{ login(email: \"{email}\", password: \"{password}\") {{ session {{ accessToken }} }} }}"
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["login"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

async fn viewer_status(base: &str, token: &str) -> u16 {
    graphql(base, Some(token), "{ viewer { email } }").await.0
}

#[tokio::test]
async fn generated_signing_keys_stay_out_of_sqlite_databases_and_rotate_without_signing_anyone_out()
{
    for test_db in databases().await {
        let url = &test_db.url;
        let label = test_db.label;
        if label == "postgres" {
            // Without keys, PostgreSQL refuses to start unless told to keep one in the database.
            let (started, _, stderr) = capitole_status(url, &["serve", "--listen", "127.0.0.1:0"]);
            assert!(!started, "{label}: {stderr}");
            assert!(
                stderr.contains("CAPITOLE_JWT_KEYS") && stderr.contains("--allow-generated-key"),
                "{label}: {stderr}"
            );
            let (rotated, _, stderr) = capitole_status(url, &["keys", "rotate"]);
            assert!(!rotated, "{label}: {stderr}");
        }
        let server = Server::start(url);
        capitole(
            url,
            &["user", "create", "--email", "ana@example.org"],
            "brique-rose-garonne\n",
        );
        let token = sign_in(&server.base, "ana@example.org", "brique-rose-garonne").await;
        assert_eq!(viewer_status(&server.base, &token).await, 200, "{label}");
        let stored = capitole_persistence::accounts::signing_keys(&test_db.db)
            .await
            .unwrap();
        let key_file = std::path::PathBuf::from(format!(
            "{}-keys.json",
            url.trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
        ));
        if label == "sqlite" {
            assert!(stored.is_empty(), "{label}: a key sits in the database");
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{label}: {mode:o}");
        } else {
            assert_eq!(stored.len(), 1, "{label}");
        }

        let rotated = capitole(url, &["keys", "rotate", "--allow-generated-key"], "");
        assert!(rotated.starts_with("added key gen-"), "{label}: {rotated}");
        let keys: Vec<(String, bool)> = if label == "sqlite" {
            let file: Value =
                serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
            file["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| {
                    (
                        k["kid"].as_str().unwrap().to_owned(),
                        k["retiresAt"].is_string(),
                    )
                })
                .collect()
        } else {
            capitole_persistence::accounts::signing_keys(&test_db.db)
                .await
                .unwrap()
                .into_iter()
                .map(|k| (k.kid, k.retires_at.is_some()))
                .collect()
        };
        assert_eq!(keys.len(), 2, "{label}: {keys:?}");
        assert_eq!(
            keys.iter().filter(|(_, retires)| *retires).count(),
            1,
            "{label}: the old key retires, the new one not: {keys:?}"
        );

        // The token signed before the rotation still works, and after a restart too.
        assert_eq!(viewer_status(&server.base, &token).await, 200, "{label}");
        assert!(server.stop().success());
        let server = Server::start(url);
        assert_eq!(viewer_status(&server.base, &token).await, 200, "{label}");
        let fresh = sign_in(&server.base, "ana@example.org", "brique-rose-garonne").await;
        assert_eq!(viewer_status(&server.base, &fresh).await, 200, "{label}");
        assert!(server.stop().success());

        // Configured keys are rotated where they are configured.
        let output = Command::new(BINARY)
            .args(["keys", "rotate"])
            .env("CAPITOLE_DATABASE_URL", url)
            .env(
                "CAPITOLE_JWT_KEYS",
                "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            )
            .output()
            .unwrap();
        assert!(!output.status.success(), "{label}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("CAPITOLE_JWT_KEYS"),
            "{label}"
        );
        test_db.remove().await;
    }
}

/// A client on a raw socket that sends `request` one byte every 100 ms (the pace of a
/// client holding a connection on purpose) and reads whatever the server answers.
struct Trickler {
    reader: std::thread::JoinHandle<Result<Vec<u8>, Vec<u8>>>,
}

impl Trickler {
    /// Starts trickling; the client gives up after `patience`.
    fn start(addr: &str, request: Vec<u8>, patience: Duration) -> Trickler {
        use std::io::Write;
        let stream = std::net::TcpStream::connect(addr).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = done.clone();
        std::thread::spawn(move || {
            for byte in request {
                if stop.load(std::sync::atomic::Ordering::SeqCst)
                    || writer.write_all(&[byte]).is_err()
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let reader = std::thread::spawn(move || {
            let answer = read_until_closed(stream, patience);
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            answer
        });
        Trickler { reader }
    }

    /// What the server sent before it closed the connection, or `Err` with what it sent if
    /// the connection was still open when the client gave up.
    fn answer(self) -> Result<Vec<u8>, Vec<u8>> {
        self.reader.join().unwrap()
    }
}

/// Reads until the server closes the connection (`Ok`), or until `patience` runs out with
/// the connection still open (`Err`); both with the bytes read.
fn read_until_closed(
    mut stream: std::net::TcpStream,
    patience: Duration,
) -> Result<Vec<u8>, Vec<u8>> {
    use std::io::Read;
    let deadline = std::time::Instant::now() + patience;
    let mut answer = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(answer);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(answer),
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(answer);
            }
            // A reset closes the connection too.
            Err(_) => return Ok(answer),
        }
    }
}

/// Reads one `/healthz` answer (`ok`) from a kept-alive connection.
fn read_health(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8(answer).unwrap()
}

#[tokio::test]
async fn clients_trickling_a_request_are_cut_off_while_others_are_served() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(
        &test_db.url,
        &[
            ("CAPITOLE_HEADER_READ_TIMEOUT_MS", "500"),
            ("CAPITOLE_BODY_READ_TIMEOUT_MS", "500"),
        ],
    );
    let addr = server.base.trim_start_matches("http://").to_owned();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: capitole\r\nUser-Agent: {}\r\n\r\n",
        "slow".repeat(50)
    );
    let body = format!(
        "POST /graphql HTTP/1.1\r\nHost: capitole\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"query\":\"{}\"}}",
        "x".repeat(188)
    );
    let body_head_length = body.find("\r\n\r\n").unwrap() + 4;
    // Either would take 20 s or more at this pace; the client gives up after 5 s.
    let patience = Duration::from_secs(5);
    let heads: Vec<Trickler> = (0..5)
        .map(|_| Trickler::start(&addr, head.clone().into_bytes(), patience))
        .collect();
    let bodies: Vec<Trickler> = (0..5)
        .map(|_| {
            // The head arrives at once; only the body trickles.
            use std::io::Write;
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .write_all(&body.as_bytes()[..body_head_length])
                .unwrap();
            let rest = body.as_bytes()[body_head_length..].to_vec();
            let mut writer = stream.try_clone().unwrap();
            let reader = std::thread::spawn(move || read_until_closed(stream, patience));
            std::thread::spawn(move || {
                for byte in rest {
                    if writer.write_all(&[byte]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            Trickler { reader }
        })
        .collect();

    // Meanwhile, a client that sends its request at once is answered.
    let (status, answer) = graphql(&server.base, None, "{ organizations { name } }").await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"]["organizations"].is_array(), "{answer}");

    for trickler in heads {
        let answer = trickler
            .answer()
            .expect("a client trickling its head is cut off within 5 s");
        assert!(
            answer.is_empty(),
            "an incomplete head is never answered: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    for trickler in bodies {
        let answer = trickler
            .answer()
            .expect("a client trickling its body is cut off within 5 s");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(answer.contains("did not arrive within 0.5 s"), "{answer}");
    }
    assert!(server.stop().success());
    test_db.remove().await;
}

#[tokio::test]
async fn a_kept_alive_connection_waits_for_its_next_request_until_the_idle_timeout() {
    use std::io::Write;
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(
        &test_db.url,
        &[
            ("CAPITOLE_HEADER_READ_TIMEOUT_MS", "300"),
            ("CAPITOLE_IDLE_TIMEOUT_MS", "2000"),
        ],
    );
    let addr = server.base.trim_start_matches("http://").to_owned();
    let request = b"GET /healthz HTTP/1.1\r\nHost: capitole\r\n\r\n";
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(request).unwrap();
    assert!(read_health(&mut stream).starts_with("HTTP/1.1 200 "));
    // Waiting longer than the header timeout between requests is not slowness.
    std::thread::sleep(Duration::from_millis(600));
    stream.write_all(request).unwrap();
    assert!(read_health(&mut stream).starts_with("HTTP/1.1 200 "));
    // Left idle, the connection is closed once the idle timeout has passed.
    let after_idle = read_until_closed(stream, Duration::from_secs(5));
    assert_eq!(
        after_idle,
        Ok(Vec::new()),
        "an idle connection is closed within 5 s, without a word"
    );
    assert!(server.stop().success());
    test_db.remove().await;
}

#[tokio::test]
async fn each_client_address_has_its_own_budget_on_a_real_socket() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(&test_db.url, &[("CAPITOLE_RATE_ANONYMOUS", "1")]);
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let ask = |client: reqwest::Client| {
        let url = format!("{}/graphql", server.base);
        async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(json!({ "query": "{ organizations { name } }" }).to_string())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ask(from([127, 0, 0, 1])).await, 200);
    assert_eq!(ask(from([127, 0, 0, 1])).await, 429);
    // Another address (another loopback one) has a budget of its own.
    assert_eq!(ask(from([127, 0, 0, 2])).await, 200);
    assert!(server.stop().success());
    test_db.remove().await;
}

#[tokio::test]
async fn metrics_are_served_only_on_their_own_listener_when_one_is_set() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(&test_db.url, &[("CAPITOLE_METRICS_LISTEN", "127.0.0.1:0")]);
    // The line about metrics follows the one about the public listener.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let metrics_base = loop {
        let log = server.log.lock().unwrap().clone();
        if let Some(rest) = log.split("metrics on http://").nth(1) {
            break format!("http://{}", rest.split('/').next().unwrap());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log names the metrics address: {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let client = reqwest::Client::new();
    let (status, _) = graphql(&server.base, None, "{ organizations { name } }").await;
    assert_eq!(status, 200);

    let public = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        404,
        "the public listener keeps metrics to itself"
    );
    let private = client
        .get(format!("{metrics_base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
    assert!(
        private.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = private.text().await.unwrap();
    assert!(
        text.contains("capitole_graphql_requests_total{operation=\"anonymous\",outcome=\"ok\"} 1"),
        "{text}"
    );
    let other = client
        .get(format!("{metrics_base}/graphql?query=%7B__typename%7D"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the metrics listener serves metrics only"
    );
    assert!(server.stop().success());
    test_db.remove().await;
}

#[test]
fn the_schema_command_needs_no_database_and_matches_schema_graphql() {
    let output = Command::new(BINARY)
        .arg("schema")
        .env(
            "CAPITOLE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    assert!(output.status.success());
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout) == on_disk,
        "schema.graphql is out of date: refresh it with `cargo run -q -- schema > schema.graphql`"
    );
}

#[test]
fn the_schema_command_prints_the_same_sdl_every_run() {
    let run = || Command::new(BINARY).arg("schema").output().unwrap();
    let (first, second) = (run(), run());
    assert!(first.status.success() && second.status.success());
    assert!(!first.stdout.is_empty());
    assert!(
        first.stdout == second.stdout,
        "two runs of `capitole schema` print different SDL"
    );
}

/// Runs `capitole schema check` in `dir` with these arguments.
fn schema_check(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .args(["schema", "check"])
        .args(args)
        .current_dir(dir)
        .env(
            "CAPITOLE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_schema_keeps_the_promises_of_its_newest_release() {
    let (passed, stdout, stderr) =
        schema_check(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &[]);
    assert!(passed, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("The current schema against release "),
        "{stdout}"
    );
    assert!(!stdout.contains("\nbreaking: "), "{stdout}");
}

#[test]
fn the_schema_check_fails_on_a_breaking_change_until_the_changelog_lists_it() {
    // A release that had one more root field than the current schema.
    let dir = tempfile::tempdir().unwrap();
    let releases = dir.path().join("releases");
    std::fs::create_dir(&releases).unwrap();
    let current =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(current.matches("type Query {\n").count(), 1);
    let release = current.replace(
        "type Query {\n",
        "type Query {\n\t\"Gone since.\"\n\tretired: String\n",
    );
    std::fs::write(releases.join("1.0.graphql"), &current).unwrap();
    std::fs::write(releases.join("1.10.graphql"), &release).unwrap();
    std::fs::write(releases.join("notes.txt"), "not a release").unwrap();
    let changelog = dir.path().join("CHANGELOG.md");
    let args = ["--releases", "releases", "--changelog", "CHANGELOG.md"];

    std::fs::write(
        &changelog,
        "# Changelog\n\n## [Unreleased]\n\n### Breaking\n",
    )
    .unwrap();
    let (passed, stdout, stderr) = schema_check(dir.path(), &args);
    assert!(!passed, "{stdout}");
    assert!(
        stdout.starts_with(
            "The current schema against release 1.10 (releases/1.10.graphql):\n\
             breaking: Query.retired: field removed, without being @deprecated in the release \
             first"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.matches("breaking: ").count(), 1, "{stdout}");
    assert!(
        stderr.contains("the schema breaks release 1.10"),
        "{stderr}"
    );

    std::fs::write(
        &changelog,
        "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n- `Query.retired` is gone.\n",
    )
    .unwrap();
    let (passed, stdout, stderr) = schema_check(dir.path(), &args);
    assert!(passed, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "allowed: Query.retired: field removed, without being @deprecated in the release \
             first (renames and removals go through @deprecated(reason:)); listed at \
             CHANGELOG.md:7 under [Unreleased] Breaking: `Query.retired` is gone."
        ),
        "{stdout}"
    );

    std::fs::write(releases.join("2.0.graphql"), "type Query {\n").unwrap();
    let (passed, _, stderr) = schema_check(dir.path(), &args);
    assert!(!passed);
    assert!(
        stderr.contains("releases/2.0.graphql is not a GraphQL schema: line 2, column 1: "),
        "{stderr}"
    );
}

#[test]
fn every_setting_is_documented_in_the_configuration_guide() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/configuration.md"
    ))
    .unwrap();
    let mut help = String::new();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["seed", "--help"],
        &["healthcheck", "--help"],
        &["user", "create", "--help"],
        &["token", "create", "--help"],
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        help.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    let variables: Vec<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("CAPITOLE_"))
        .collect();
    assert!(variables.len() >= 10, "{variables:?}");
    for variable in variables {
        assert!(
            guide.contains(&format!("`{variable}`")),
            "docs/configuration.md does not document {variable}"
        );
    }
}

#[test]
fn the_readme_sets_up_a_fresh_machine_with_two_commands_and_ci_runs_its_tests_the_same_way() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("```sh\ncargo run --release -- serve --demo\ncargo test --workspace\n```"),
        "README.md no longer gives the two set-up commands"
    );
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.lines()
            .any(|line| line.trim_start().starts_with("cargo test --workspace")),
        ".ci/run no longer runs the README's test command"
    );
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = documentation::files(root);
    assert!(files.len() > 5, "{files:?}");
    let broken = documentation::broken_links(root, &files);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_check_reports_missing_files_and_anchors_no_heading_makes() {
    let root = std::env::temp_dir().join(format!("capitole-links-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(
        root.join("README.md"),
        "# Capitole\n\n## Quick start: `serve --demo`, then GraphiQL's page!\n\n\
         [ok](docs/guide.md) [ok](docs/guide.md#rate-budgets) [ok](#quick-start-serve---demo-then-graphiqls-page)\n\
         [ok](docs/guide.md#limits-1) [missing](docs/gone.md) [missing anchor](docs/guide.md#limits-2)\n\
         [missing here](#quickstart) `[not a link](nowhere.md)`\n\n\
         ```md\n[not a link either](nowhere.md)\n# Not a heading\n```\n",
    )
    .unwrap();
    std::fs::write(
        root.join("docs/guide.md"),
        "# Guide\n\n## Limits\n\n## Rate budgets\n\n## Limits\n\n\
         [ok](../README.md#capitole) [missing anchor](../README.md#not-a-heading) [ok](../docs/)\n",
    )
    .unwrap();
    let files = documentation::files(&root);
    let broken = documentation::broken_links(&root, &files);
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(
        broken,
        [
            "README.md: docs/gone.md: no such file",
            "README.md: docs/guide.md#limits-2: no heading of docs/guide.md makes this anchor",
            "README.md: #quickstart: no heading of README.md makes this anchor",
            "docs/guide.md: ../README.md#not-a-heading: no heading of README.md makes this anchor",
        ]
    );
}

/// Reading the documentation as GitHub renders it: which headings make which anchors, and
/// which relative links point nowhere.
mod documentation {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    /// The README and every Markdown file under `docs/`.
    pub fn files(root: &Path) -> Vec<PathBuf> {
        let mut files = vec![root.join("README.md")];
        let mut folders = vec![root.join("docs")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|extension| extension == "md") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    /// Each relative link of `files` whose file does not exist, or whose `#anchor` no
    /// heading of that Markdown file makes, as "file: target: why".
    pub fn broken_links(root: &Path, files: &[PathBuf]) -> Vec<String> {
        let root = root.canonicalize().unwrap();
        let mut anchors_of: HashMap<PathBuf, Vec<String>> = HashMap::new();
        let mut broken = Vec::new();
        let shown = |path: &Path| {
            let path = path.canonicalize().unwrap();
            let relative = path.strip_prefix(&root).unwrap_or(&path);
            relative.to_string_lossy().replace('\\', "/")
        };
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            for target in link_targets(&without_code(&without_fences(&text))) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let linked = if path.is_empty() {
                    file.clone()
                } else if let Some(from_root) = path.strip_prefix('/') {
                    root.join(from_root)
                } else {
                    file.parent().unwrap().join(path)
                };
                let Ok(linked) = linked.canonicalize() else {
                    broken.push(format!("{}: {target}: no such file", shown(file)));
                    continue;
                };
                let markdown = linked
                    .extension()
                    .is_some_and(|extension| extension == "md");
                if anchor.is_empty() || !markdown {
                    continue;
                }
                let anchors = anchors_of
                    .entry(linked.clone())
                    .or_insert_with(|| anchors(&std::fs::read_to_string(&linked).unwrap()));
                if !anchors.iter().any(|made| made == anchor) {
                    broken.push(format!(
                        "{}: {target}: no heading of {} makes this anchor",
                        shown(file),
                        shown(&linked)
                    ));
                }
            }
        }
        broken
    }

    /// The text with every fenced code block blanked, line for line.
    fn without_fences(text: &str) -> String {
        let mut fence: Option<String> = None;
        let mut kept = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            let marker: String = trimmed
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            let opens =
                marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap());
            match &fence {
                None if opens => fence = Some(marker),
                Some(open)
                    if opens && marker.starts_with(open.as_str()) && trimmed.trim() == marker =>
                {
                    fence = None
                }
                None => kept.push_str(line),
                Some(_) => {}
            }
            kept.push('\n');
        }
        kept
    }

    /// The text with the inside of every inline code span blanked: `[a](b)` in code is no link.
    fn without_code(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let run = |at: usize| chars[at..].iter().take_while(|c| **c == '`').count();
        let mut kept = String::new();
        let mut at = 0;
        while at < chars.len() {
            if chars[at] != '`' {
                kept.push(chars[at]);
                at += 1;
                continue;
            }
            let opening = run(at);
            let mut end = at + opening;
            let mut closing = None;
            while end < chars.len() {
                if chars[end] == '`' {
                    let length = run(end);
                    if length == opening {
                        closing = Some(end);
                        break;
                    }
                    end += length;
                } else {
                    end += 1;
                }
            }
            match closing {
                Some(closing) => {
                    for c in &chars[at + opening..closing] {
                        kept.push(if *c == '\n' { '\n' } else { ' ' });
                    }
                    at = closing + opening;
                }
                None => {
                    kept.extend(&chars[at..at + opening]);
                    at += opening;
                }
            }
        }
        kept
    }

    /// The targets of inline links and images (`[text](target)`) and of link reference
    /// definitions (`[label]: target`).
    fn link_targets(text: &str) -> Vec<String> {
        let mut targets = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let target = match rest.strip_prefix('<') {
                Some(bracketed) => bracketed.split('>').next().unwrap_or_default(),
                None => rest
                    .split(|c: char| c == ')' || c.is_whitespace())
                    .next()
                    .unwrap_or_default(),
            };
            targets.push(target.to_owned());
        }
        for line in text.lines() {
            let line = line.trim_start();
            if line.starts_with('[')
                && let Some((_, target)) = line.split_once("]: ")
            {
                targets.push(
                    target
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        targets
    }

    /// The anchors GitHub gives the headings of a Markdown text: the heading's text in
    /// lower case, without punctuation, spaces made hyphens; a repeated anchor gets `-1`,
    /// `-2`...
    pub fn anchors(text: &str) -> Vec<String> {
        let mut anchors: Vec<String> = Vec::new();
        for line in without_fences(text).lines() {
            let Some(heading) = heading(line) else {
                continue;
            };
            let slug: String = link_texts(heading)
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            let mut anchor = slug.clone();
            let mut repeat = 0;
            while anchors.contains(&anchor) {
                repeat += 1;
                anchor = format!("{slug}-{repeat}");
            }
            anchors.push(anchor);
        }
        anchors
    }

    /// The text of an ATX heading (`## Text`), if the line is one.
    fn heading(line: &str) -> Option<&str> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent > 3 {
            return None;
        }
        let line = &line[indent..];
        let level = line.chars().take_while(|c| *c == '#').count();
        let text = &line[level..];
        if !(1..=6).contains(&level) || !(text.is_empty() || text.starts_with(' ')) {
            return None;
        }
        let text = text.trim();
        let closed = text.trim_end_matches('#');
        Some(if closed.is_empty() || closed.ends_with(' ') {
            closed.trim_end()
        } else {
            text
        })
    }

    /// A heading's text as rendered: links keep their text, not their target.
    fn link_texts(heading: &str) -> String {
        let mut text = String::new();
        let mut rest = heading;
        while let Some(at) = rest.find("](") {
            text.push_str(&rest[..at]);
            rest = &rest[at + 2..];
            rest = rest.split_once(')').map_or("", |(_, after)| after);
        }
        text.push_str(rest);
        text.replace(['[', ']', '`', '*'], "")
    }
}
