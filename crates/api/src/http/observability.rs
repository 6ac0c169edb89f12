//! Metrics (Prometheus text on `/metrics`) and the answer to a panic: a 500 that names the
//! request id, never a dropped connection. Every label value comes from a bounded set: a
//! series, once created, lives as long as the process, so values that clients choose
//! (operation names) are labelled only up to a limit.

use std::any::Any;
use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use capitole_persistence::Database;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds, from a cached read to a slow page.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// How often histograms' new observations are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process-wide metrics recorder once, with the thread that keeps it.
///
/// The recorder holds each histogram observation until it is folded into its buckets,
/// which rendering `/metrics` does: a process nobody scrapes would hold every request's
/// durations, growing by several kilobytes a second under load. A thread of its own (the
/// recorder is process-wide, and outlives any runtime) folds them every few seconds.
pub(crate) fn install() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
        match builder.install_recorder() {
            Ok(handle) => {
                let kept = handle.clone();
                let upkeep = std::thread::Builder::new()
                    .name("metrics-upkeep".to_owned())
                    .spawn(move || {
                        loop {
                            std::thread::sleep(UPKEEP_EVERY);
                            kept.run_upkeep();
                        }
                    });
                if let Err(error) = upkeep {
                    tracing::warn!(%error, "metrics are folded only when /metrics is read");
                }
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed");
                None
            }
        }
    });
}

/// `GET /metrics`, with the database pools' usage read at the time of asking.
pub(crate) async fn metrics(State(reads): State<crate::Reads>) -> Response {
    let pools = [
        ("capitole_db_pool_connections", Some(reads.primary())),
        ("capitole_db_read_pool_connections", reads.replica()),
    ];
    for (name, db) in pools {
        if let Some(usage) = db.map(Database::pool_usage) {
            metrics::gauge!(name, "state" => "idle").set(f64::from(usage.idle));
            metrics::gauge!(name, "state" => "in_use").set(f64::from(usage.open - usage.idle));
        }
    }
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

/// Records one GraphQL operation by label (see [`OperationLabels`]) and outcome.
pub(crate) fn record_operation(label: &str, outcome: &'static str, started: Instant) {
    metrics::counter!("capitole_graphql_requests_total", "operation" => label.to_owned(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("capitole_graphql_request_duration_seconds", "operation" => label.to_owned())
        .record(started.elapsed().as_secs_f64());
}

/// Labels Capitole gives requests itself: no name, a document that does not parse, a query
/// over a limit, bad credentials; and every name past the limit.
const FIXED_LABELS: [&str; 5] = [
    "anonymous",
    "invalid",
    "refused",
    "unauthenticated",
    "other",
];

/// The metric label of each operation name. The app's known operations are labelled by
/// name, and so are the first `unlisted` other names seen; every later name is `other`, so
/// that clients inventing names cannot grow the metrics without end.
pub(crate) struct OperationLabels {
    known: HashSet<String>,
    unlisted: usize,
    seen: RwLock<HashSet<String>>,
}

impl OperationLabels {
    pub(crate) fn new(known: &[String], unlisted: usize) -> Self {
        Self {
            known: known.iter().map(|name| sanitize(name)).collect(),
            unlisted,
            seen: RwLock::default(),
        }
    }

    /// The label of an operation name (`anonymous` for an operation without one).
    pub(crate) fn label(&self, operation: &str) -> String {
        let name = sanitize(operation);
        if self.known.contains(&name) || FIXED_LABELS.contains(&name.as_str()) {
            return name;
        }
        let seen = match self.seen.read() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seen.contains(&name) {
            return name;
        }
        let full = seen.len() >= self.unlisted;
        drop(seen);
        if full {
            return "other".to_owned();
        }
        let mut seen = match self.seen.write() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Another request may have filled the last place meanwhile.
        if seen.contains(&name) || seen.len() < self.unlisted {
            seen.insert(name.clone());
            name
        } else {
            "other".to_owned()
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_the_known_names_the_first_others_and_other() {
        let labels = OperationLabels::new(&["CityHome".to_owned(), "PlacePage".to_owned()], 50);
        let mut distinct = HashSet::new();
        for n in 0..10_000 {
            distinct.insert(labels.label(&format!("Invented{n}")));
        }
        assert_eq!(labels.label("Invented7"), "Invented7", "seen early, kept");
        assert_eq!(labels.label("Invented9999"), "other");
        for name in [
            "CityHome",
            "PlacePage",
            "",
            "invalid",
            "refused",
            "unauthenticated",
        ] {
            distinct.insert(labels.label(name));
        }
        assert_eq!(
            labels.label("CityHome"),
            "CityHome",
            "known names always keep theirs"
        );
        assert_eq!(labels.label(""), "anonymous");
        assert_eq!(
            distinct.len(),
            50 + 2 + FIXED_LABELS.len(),
            "at most the unlisted limit, the known names and the fixed labels"
        );
    }
}
