//! Metrics (Prometheus text on `/metrics`) and the answer to a panic: a 500 that names the
//! request id, never a dropped connection.

use std::any::Any;
use std::sync::OnceLock;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds, from a cached read to a slow page.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Installs the process-wide metrics recorder once.
pub(crate) fn install() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
        match builder.install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed");
                None
            }
        }
    });
}

/// `GET /metrics`.
pub(crate) async fn metrics() -> Response {
    let body = HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Records every HTTP request's status and duration.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let path: &'static str = match request.uri().path() {
        "/graphql" => "/graphql",
        "/graphiql" => "/graphiql",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        p if p.starts_with("/graphiql/") => "/graphiql/assets",
        _ => "other",
    };
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("capitole_http_requests_total", "path" => path, "status" => status)
        .increment(1);
    metrics::histogram!("capitole_http_request_duration_seconds", "path" => path)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Records one GraphQL operation by name and outcome.
pub(crate) fn record_operation(operation: &str, outcome: &'static str, started: Instant) {
    let operation = sanitize(operation);
    metrics::counter!("capitole_graphql_requests_total", "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("capitole_graphql_request_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

/// Records a request refused by one of the query limits (`depth`, `cost`, `timeout`…).
pub(crate) fn record_rejection(limit: &'static str) {
    metrics::counter!("capitole_graphql_rejections_total", "limit" => limit).increment(1);
}

/// Records a request refused because its caller's budget was spent.
pub(crate) fn record_rate_limited(tier: &'static str) {
    metrics::counter!("capitole_rate_limited_total", "tier" => tier).increment(1);
}

/// Operation names come from clients: keep labels short and tame.
fn sanitize(operation: &str) -> String {
    let name: String = operation
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(48)
        .collect();
    if name.is_empty() {
        "anonymous".to_owned()
    } else {
        name
    }
}

/// The response to a handler that panicked.
pub(crate) fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    let body = r#"{"errors":[{"message":"internal error; the x-request-id response header identifies it","extensions":{"code":"INTERNAL"}}]}"#;
    let mut response = (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
