//! Logs and traces. Logs go to stderr, as text or JSON lines. With
//! `CAPITOLE_OTLP_ENDPOINT`, traces also go to an OpenTelemetry collector over OTLP/HTTP:
//! a span per request (with its request id), per GraphQL operation and per SQL statement
//! (named by its verb and table, never with its values).

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use capitole_persistence::StatementObserver;
use opentelemetry::trace::{
    Span as _, SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{KeyValue, global};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider,
};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::settings::{LogFormat, Settings};

/// The name spans and the service are known by.
const SERVICE: &str = "capitole";

/// The exporter of traces, when there is one; set once, at start.
static TRACING: OnceLock<SdkTracerProvider> = OnceLock::new();

/// What runs while the process lives: flushes its traces when dropped.
pub(crate) struct Telemetry;

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = TRACING.get()
            && let Err(error) = provider.shutdown_with_timeout(Duration::from_secs(5))
        {
            eprintln!("capitole: traces not all sent: {error}");
        }
    }
}

/// Starts the log, and traces when `CAPITOLE_OTLP_ENDPOINT` is set. Call it before any
/// runtime starts: the exporter sends from a thread of its own.
pub(crate) fn start(settings: &Settings) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(&settings.log).context("CAPITOLE_LOG is not a valid filter")?;
    let log = match settings.log_format {
        LogFormat::Text => {
            // Colours only on a terminal, and never with NO_COLOR.
            let colours = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(colours)
                .with_filter(filter)
                .boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let traces = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let provider = provider(endpoint, settings.otlp_sample_ratio)?;
            let tracer = provider.tracer(SERVICE);
            global::set_tracer_provider(provider.clone());
            let _ = TRACING.set(provider);
            // Capitole's own spans; the libraries' stay out of traces.
            let spans = EnvFilter::try_new("capitole=info,capitole_api=info,tower_http=info")
                .context("the traces' filter")?;
            Some(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    .with_filter(spans),
            )
        }
        None => None,
    };
    tracing_subscriber::registry().with(log).with(traces).init();
    if let Some(endpoint) = &settings.otlp_endpoint {
        tracing::info!(%endpoint, "sending traces over OTLP/HTTP");
    }
    Ok(Telemetry)
}

/// The exporter: batches of spans posted to `{endpoint}/v1/traces` as protobuf.
fn provider(endpoint: &str, ratio: f64) -> anyhow::Result<SdkTracerProvider> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(Duration::from_secs(5))
        .build()
        .context("cannot set up the OTLP exporter (CAPITOLE_OTLP_ENDPOINT)")?;
    let batches = BatchConfigBuilder::default()
        .with_scheduled_delay(Duration::from_secs(1))
        .build();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batches)
        .build();
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(SERVICE)
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(resource)
        .build())
}

/// A span for each SQL statement, under the span of the request that ran it; none when
/// traces are off.
pub(crate) fn statement_observer(engine: &'static str) -> Option<StatementObserver> {
    TRACING.get()?;
    Some(StatementObserver(Arc::new(move |name, elapsed, failed| {
        let parent = tracing::Span::current().context();
        if !parent.span().span_context().is_sampled() {
            return;
        }
        let tracer = global::tracer(SERVICE);
        let end = SystemTime::now();
        let mut span = tracer
            .span_builder(name.to_owned())
            .with_kind(SpanKind::Client)
            .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
            .with_attributes([
                KeyValue::new("db.system.name", engine),
                KeyValue::new("db.query.summary", name.to_owned()),
            ])
            .start_with_context(&tracer, &parent);
        if failed {
            span.set_status(opentelemetry::trace::Status::error("the statement failed"));
        }
        span.end_with_timestamp(end);
    })))
}
