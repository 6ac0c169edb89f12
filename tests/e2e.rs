//! End to end: the real `capitole` binary, started on port 0, spoken to over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use capitole_persistence::testing::databases;
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_capitole");

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
            .envs(env.iter().copied())
            .env("CAPITOLE_DATABASE_URL", database_url)
            .env("CAPITOLE_LOG", "info")
            .env("NO_COLOR", "1")
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
        let addr = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
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
            "mutation { login(email: \"admin@toulouse.example\", password: \"une-phrase-de-passe-longue\") { accessToken user { role } } }",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["login"]["user"]["role"], "ADMINISTRATOR",
            "{body}"
        );
        let access = body["data"]["login"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, users) = graphql(&server.base, Some(&access), "{ users { email role } }").await;
        assert_eq!(
            users["data"]["users"].as_array().map(Vec::len),
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
        capitole(url, &["seed", "--demo"], "");
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
            "une-phrase-de-passe-longue\n",
        );
        let every_second = [("CAPITOLE_SCHEDULER_INTERVAL_SECONDS", "1")];
        let first = Server::start_with(url, &every_second);
        let second = Server::start_with(url, &every_second);
        let (_, login) = graphql(
            &first.base,
            None,
            "mutation { login(email: \"com@toulouse.example\", password: \"une-phrase-de-passe-longue\") { accessToken } }",
        )
        .await;
        let token = login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, created) = graphql(&first.base, Some(&token), "mutation { createArticle(input: { title: \"Annonce programmée\" }) { article { id } } }").await;
        let id = created["data"]["createArticle"]["article"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
        let (_, scheduled) = graphql(
            &second.base,
            Some(&token),
            &format!("mutation {{ scheduleArticle(id: \"{id}\", version: 1, publishAt: \"{at}\") {{ status }} }}"),
        )
        .await;
        assert_eq!(
            scheduled["data"]["scheduleArticle"]["status"], "SCHEDULED",
            "{scheduled}"
        );
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
            "organizer": "toulouse-metropole",
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
            "--organization",
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
fn every_setting_is_documented_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
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
            readme.contains(&format!("`{variable}`")),
            "README.md does not document {variable}"
        );
    }
}
