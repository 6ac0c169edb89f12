//! What operators rely on: logs a collector can read, and a server that keeps its promises
//! through faults.

use super::*;

/// Posts a GraphQL request that must succeed; the id of its request.
async fn request_id_of(server: &Server, body: Value) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id_and_no_colour() {
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(
        &test_db.url,
        &[
            ("CAPITOLE_LOG_FORMAT", "json"),
            ("CAPITOLE_LOG", "info,tower_http=debug"),
            // Colours are for terminals: NO_COLOR unset, stderr a pipe.
            ("NO_COLOR", ""),
        ],
    );
    let request_id = request_id_of(
        &server,
        json!({ "query": "{ places(first: 1) { nodes { name } } }" }),
    )
    .await;
    // The request's last line is written once its answer has gone.
    let mut finished = None;
    for _ in 0..50 {
        let log = server.log.lock().unwrap().clone();
        finished = log
            .lines()
            .find(|line| line.contains(&request_id) && line.contains("finished processing"))
            .map(str::to_owned);
        if finished.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = server.log.lock().unwrap().clone();
    assert!(!log.contains('\u{1b}'), "escape codes in the log: {log}");
    for line in log.lines() {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: not JSON: {line}"));
        assert!(
            object["timestamp"].is_string() && object["level"].is_string(),
            "{line}"
        );
    }
    let finished: Value = serde_json::from_str(&finished.expect("the request's log line")).unwrap();
    assert_eq!(
        finished["span"]["request_id"],
        request_id.as_str(),
        "{finished}"
    );
    assert_eq!(finished["span"]["path"], "/graphql", "{finished}");
    assert_eq!(finished["span"]["method"], "POST", "{finished}");
    server.stop();
    test_db.remove().await;
}

/// The number of rows of every table of a SQLite database.
async fn row_counts(url: &str) -> Vec<(String, i64)> {
    use capitole_persistence::sea_orm::{ConnectionTrait, Statement};
    let db =
        capitole_persistence::Database::connect(&capitole_persistence::ConnectSettings::new(url))
            .await
            .unwrap();
    let connection = db.connection();
    let backend = connection.get_database_backend();
    let tables = connection
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ))
        .await
        .unwrap();
    let mut counts = Vec::new();
    for table in tables {
        let name: String = table.try_get("", "name").unwrap();
        let count = connection
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT count(*) AS n FROM \"{name}\""),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        counts.push((name, count));
    }
    db.close().await;
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_serving_restores_to_the_same_city() {
    use super::load::{Load, drive, integrity, serve, signed_in, stored_titles};
    let test_db = capitole_persistence::testing::sqlite().await;
    let url = &test_db.url;
    city_with_an_editor(url, "ops@toulouse.example");
    let server = serve(url, &[]);
    let token = signed_in(&server.base, "ops@toulouse.example").await;
    let load = Load::new(&server.base, Some(token));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let writing = drive(&load, "backup", 3, 1, &stopping).await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    // A copy taken in the middle of the writes.
    let dir = tempfile::tempdir().unwrap();
    let during = dir.path().join("during.db");
    let taken_at = load.started.elapsed();
    let (ok, out, err) = capitole_status(url, &["backup", during.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("backed up the database to"), "{out}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send_replace(true);
    let replies = writing.await.unwrap();
    let during_url = format!("sqlite://{}", during.display());
    assert_eq!(integrity(&during_url).await, "ok");
    // It holds what was acknowledged before it began, and nothing the server did not store.
    let copied = stored_titles(&during_url, "backup").await;
    let stored = stored_titles(url, "backup").await;
    assert!(
        copied.keys().all(|title| stored.contains_key(title)),
        "{copied:?}"
    );
    for reply in &replies {
        if let Some(title) = &reply.stored
            && reply.at + reply.took < taken_at
        {
            assert!(
                copied.contains_key(title),
                "{title} acknowledged before the copy began"
            );
        }
    }

    // Once writes stop, a copy is the database, table by table, and serves the same city.
    let after = dir.path().join("after.db");
    let (ok, out, err) = capitole_status(url, &["backup", after.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    let after_url = format!("sqlite://{}", after.display());
    assert_eq!(row_counts(url).await, row_counts(&after_url).await);
    let restored = Server::start_with(&after_url, &[]);
    let city = "{ places(first: 50) { nodes { id name } } events(first: 50) { nodes { id title } } news(first: 50) { nodes { id title } } }";
    let (_, original) = graphql(&server.base, None, city).await;
    let (_, copy) = graphql(&restored.base, None, city).await;
    assert!(
        original["data"]["places"]["nodes"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    assert_eq!(original["data"], copy["data"]);

    // A file already there is never overwritten.
    let before = std::fs::metadata(&after).unwrap().len();
    let (ok, _, err) = capitole_status(url, &["backup", after.to_str().unwrap()]);
    assert!(!ok && err.contains("already exists"), "{err}");
    assert_eq!(std::fs::metadata(&after).unwrap().len(), before);
    assert!(restored.stop().success() && server.stop().success());
    test_db.remove().await;
}

#[tokio::test]
async fn backing_up_postgresql_points_to_its_own_tools() {
    let Some(test_db) = capitole_persistence::testing::postgres_if_available().await else {
        return;
    };
    let file = std::env::temp_dir().join(format!("capitole-pg-backup-{}.db", std::process::id()));
    let (ok, _, err) = capitole_status(&test_db.url, &["backup", file.to_str().unwrap()]);
    assert!(!ok && err.contains("pg_dump"), "{err}");
    assert!(!file.exists());
    test_db.remove().await;
}

/// Every span an OTLP/HTTP receiver of the test's own was sent, with its trace's service.
type Received =
    std::sync::Arc<std::sync::Mutex<Vec<(String, opentelemetry_proto::tonic::trace::v1::Span)>>>;

/// Starts a receiver of OTLP/HTTP traces (protobuf) on 127.0.0.1; its address.
async fn otlp_receiver(received: Received) -> String {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let received = received.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                for resource in request.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .map(|a| format!("{:?}", a.value))
                        .unwrap_or_default();
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            received.lock().unwrap().push((service.clone(), span));
                        }
                    }
                }
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// A span's attribute, as text.
fn attribute(span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.as_ref())
        .map(|value| match value {
            Any::StringValue(text) => text.clone(),
            other => format!("{other:?}"),
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_reach_an_otlp_collector_with_a_span_per_request_operation_and_statement() {
    let received: Received = Default::default();
    let collector = otlp_receiver(received.clone()).await;
    let test_db = capitole_persistence::testing::sqlite().await;
    let server = Server::start_with(&test_db.url, &[("CAPITOLE_OTLP_ENDPOINT", &collector)]);
    let secret = "motsecretintrouvable";
    let request_id = request_id_of(
        &server,
        json!({
                "query": "query PlacesAndSearch($q: String!) { places(first: 2) { nodes { name } } search(query: $q, first: 3) { totalCount } }",
                "variables": { "q": secret },
                "operationName": "PlacesAndSearch",
            }),
    )
    .await;
    // Stopping flushes what is left to send.
    assert!(server.stop().success());

    let spans: Vec<_> = received.lock().unwrap().clone();
    assert!(
        spans
            .iter()
            .all(|(service, _)| service.contains("capitole")),
        "{spans:?}"
    );
    let spans: Vec<_> = spans.into_iter().map(|(_, span)| span).collect();
    let request = spans
        .iter()
        .find(|s| s.name == "request" && attribute(s, "request_id").as_deref() == Some(&request_id))
        .unwrap_or_else(|| panic!("no span of request {request_id}: {spans:#?}"));
    assert_eq!(attribute(request, "path").as_deref(), Some("/graphql"));
    let operation = spans
        .iter()
        .find(|s| s.name == "graphql" && s.trace_id == request.trace_id)
        .expect("the operation's span");
    assert_eq!(
        attribute(operation, "graphql.operation.name").as_deref(),
        Some("PlacesAndSearch")
    );
    assert_eq!(operation.parent_span_id, request.span_id);
    // Its statements, each a span of the same trace, named by verb and table.
    let statements: Vec<_> = spans
        .iter()
        .filter(|s| s.trace_id == request.trace_id && s.name.starts_with("SELECT"))
        .collect();
    assert!(
        statements.iter().any(|s| s.name == "SELECT places"),
        "{:?}",
        statements.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    for statement in &statements {
        assert!(statement.end_time_unix_nano >= statement.start_time_unix_nano);
        assert_eq!(
            attribute(statement, "db.system.name").as_deref(),
            Some("sqlite")
        );
    }
    // No value of the request is in any span.
    assert!(!format!("{spans:?}").contains(secret));
    test_db.remove().await;
}
