//! The HTTP service: routes, middleware (request ids, compression, CORS, panics, body
//! limit, tracing, security headers) and the [`Application`] value that binds, serves and
//! shuts down, with `/metrics` on a listener of its own when one is configured.

pub(crate) mod client;
pub(crate) mod encoding;
mod graphiql;
mod graphiql_assets;
pub(crate) mod graphql;
mod observability;
mod server;

pub(crate) use client::Peer;
pub use client::{IpNetwork, TrustedProxies};
pub use graphiql::GRAPHIQL_CDN;
pub use graphql::persisted::PersistedQuerySettings;
use graphql::responses::ResponseCache;
pub use graphql::responses::ResponseCacheSettings;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::ValidationMode;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use capitole_persistence::Database;

use crate::context::ApiContext;
use crate::limits::QueryLimits;
use crate::rate_limit::{RateLimitSettings, RateLimiter};
use crate::schema::{analyzer, build_schema_checking, build_schema_with, field_order};
use graphiql::{GraphiqlPage, LOCAL_ASSETS};
use graphql::identify::Identifier;
use graphql::persisted::PersistedQueries;
use graphql::state::GraphqlState;

/// The Content-Security-Policy of every response but GraphiQL's page: answers of an API
/// load nothing, run nothing and are framed by nobody, even when a browser opens one.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Where GraphiQL's page loads its files from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GraphiqlAssets {
    /// The files built into the binary, served at `/graphiql/assets`: the page works
    /// without the internet.
    #[default]
    BuiltIn,
    /// A folder made by `scripts/fetch-graphiql-assets.sh`, served at `/graphiql/assets`.
    Folder(PathBuf),
    /// The public CDN (unpkg), each file with its integrity hash.
    Cdn,
}

/// HTTP settings of a running service.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Where to listen (`127.0.0.1:8080`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Where GraphiQL's page loads its files from.
    pub graphiql_assets: GraphiqlAssets,
    /// Web origins allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    /// What one query may ask for.
    pub limits: QueryLimits,
    /// Budgets of points per caller.
    pub rate_limit: RateLimitSettings,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How long a client has to send a request's head: from the connection's start for its
    /// first request, from the request's first byte for later ones. Slower connections are
    /// closed.
    pub header_read_timeout: Duration,
    /// How long a client has to send a request's body, from the end of its head. A slower
    /// body gets 408 and the connection is closed; the request does not run.
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request before it is closed.
    pub idle_timeout: Duration,
    /// Once told to stop, how long requests in flight have to finish before the
    /// connections still open are dropped.
    pub drain_timeout: Duration,
    /// A separate address serving `/metrics`, and nothing else, so that metrics stay off the
    /// public listener; when unset, `/metrics` is on the main listener.
    pub metrics_listen: Option<SocketAddr>,
    /// What the open formats say about where they live and whose data they carry.
    pub open_data: crate::open_data::OpenDataSettings,
    /// The app's operation names, labelled by name in the metrics.
    pub metrics_operations: Vec<String>,
    /// How many other operation names get a label of their own, first seen first; later
    /// names are labelled `other`.
    pub metrics_unlisted_operations: usize,
    /// Where documents registered under their hash are kept (automatic persisted queries);
    /// in Redis too when `rate_limit.redis_url` is set.
    pub persisted_queries: PersistedQuerySettings,
    /// How many answers to public queries each replica keeps, and how often it follows
    /// the change log that says when they change.
    pub response_cache: ResponseCacheSettings,
    /// The limits of subscriptions' WebSocket connections.
    pub live: crate::live::LiveSettings,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            body_limit: 1_048_576,
            graphiql_assets: GraphiqlAssets::BuiltIn,
            cors_origins: Vec::new(),
            limits: QueryLimits::default(),
            rate_limit: RateLimitSettings::default(),
            trusted_proxies: TrustedProxies::default(),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(20),
            metrics_listen: None,
            open_data: Default::default(),
            metrics_operations: Vec::new(),
            metrics_unlisted_operations: 50,
            persisted_queries: PersistedQuerySettings::default(),
            response_cache: ResponseCacheSettings::default(),
            live: crate::live::LiveSettings::default(),
        }
    }
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The routes and middleware of Capitole, to serve in process. A Redis URL that does not
/// parse is logged and budgets stay in this process; [`Application::build`] refuses it
/// instead. Webhooks are delivered by an [`Application`] only.
pub fn router(api: ApiContext, settings: &HttpSettings) -> Router {
    let limiter = RateLimiter::new(&settings.rate_limit).unwrap_or_else(|error| {
        tracing::error!(%error, "rate budgets kept in this process");
        RateLimiter::in_process(&settings.rate_limit)
    });
    routes(api, settings, limiter, Webhooks::Kept)
}

/// Whether a replica sends webhooks' deliveries.
#[derive(PartialEq)]
enum Webhooks {
    Delivered,
    Kept,
}

fn routes(
    api: ApiContext,
    settings: &HttpSettings,
    limiter: RateLimiter,
    webhooks: Webhooks,
) -> Router {
    observability::install();
    let db = api.db.clone();
    let api_reads = api.reads.clone();
    // Built first: the graph's `jsonLd` fields write the same links as the open formats.
    let open_data = Arc::new(crate::open_data::OpenData::new(
        api.clone(),
        settings.open_data.clone(),
        settings.listen,
        limiter.clone(),
        settings.trusted_proxies.clone(),
    ));
    let feed = crate::live::feed::ChangeFeed::start(&api.db, settings.response_cache.follow_every);
    if webhooks == Webhooks::Delivered {
        crate::live::Live::deliver_webhooks(&api, &feed);
    }
    let graphql = GraphqlState {
        schema: build_schema_with(&settings.limits),
        validated_schema: build_schema_checking(&settings.limits, ValidationMode::Fast),
        analyzer: analyzer(settings.limits.clone()),
        documents: Default::default(),
        persisted: PersistedQueries::new(
            &settings.persisted_queries,
            settings.rate_limit.redis_url.as_deref(),
        ),
        field_order: field_order(),
        identifier: Identifier::new(&api, limiter.clone()),
        limiter: limiter.clone(),
        proxies: settings.trusted_proxies.clone(),
        operation_labels: observability::OperationLabels::new(
            &settings.metrics_operations,
            settings.metrics_unlisted_operations,
        ),
        responses: ResponseCache::new(&settings.response_cache, &api.reads),
        live: crate::live::Live::new(feed, settings.live.clone()),
        api,
        body_limit: settings.body_limit,
        open_data: open_data.clone(),
    };
    let page = GraphiqlPage::new(settings.graphiql_assets != GraphiqlAssets::Cdn);
    // Each route holds what its handler reads, behind one `Arc` or handle.
    let graphql = Arc::new(graphql);
    let mut router = Router::new()
        .route(
            "/graphql",
            get(crate::live::ws::get_or_upgrade)
                .post(graphql::post)
                .with_state(graphql.clone()),
        )
        .route(
            "/graphql/ws",
            get(crate::live::ws::upgrade).with_state(graphql),
        )
        .route("/graphiql", get(graphiql).with_state(Arc::new(page)))
        .route("/favicon.ico", get(graphiql_assets::favicon))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(db))
        .merge(crate::open_data::routes(open_data));
    if settings.metrics_listen.is_none() {
        router = router.route(
            "/metrics",
            get(observability::metrics).with_state(api_reads.clone()),
        );
    }
    match &settings.graphiql_assets {
        GraphiqlAssets::BuiltIn => {
            router = router.route(
                &format!("{LOCAL_ASSETS}/{{*path}}"),
                get(graphiql_assets::embedded),
            );
        }
        GraphiqlAssets::Folder(dir) => {
            router = router.nest_service(LOCAL_ASSETS, ServeDir::new(dir));
        }
        GraphiqlAssets::Cdn => {}
    }
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            settings
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .max_age(Duration::from_secs(3600));
    router
        .layer(
            // Small answers are not worth compressing; large pages are, quickly, in the
            // client's preferred encoding (brotli or gzip, by `Accept-Encoding` quality).
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(SizeAbove::new(1024).and(NotForContentType::IMAGES)),
        )
        // Outside compression, where the encoding of a body is known.
        .layer(axum::middleware::map_response(
            graphql::caching::tag_per_encoding,
        ))
        .layer(cors)
        .layer(axum::middleware::from_fn(observability::track))
        .layer(CatchPanicLayer::custom(observability::panic_response))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        // Outermost, so that every answer carries them: errors, 404s, panics, preflights.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

async fn graphiql(State(page): State<Arc<GraphiqlPage>>) -> Response {
    let (html, policy) = page.render();
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    response
}

async fn healthz() -> &'static str {
    "ok"
}

/// Says when to ask again (`Retry-After: 2`) on an answer the database could not serve:
/// it was down, or every pooled connection stayed busy, or the query ran out of time.
pub(crate) fn retry_shortly(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
}

/// How long `/readyz` waits for the database: a load balancer's check must not hang on a
/// database that accepts connections but does not answer.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

async fn readyz(State(db): State<Database>) -> Response {
    match tokio::time::timeout(READY_WITHIN, db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, "database not answering").into_response()
        }
    }
}

async fn bind(address: SocketAddr, purpose: &str) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!("cannot listen on {address}{purpose}: {error}"),
            )
        })
}

/// A bound, ready-to-serve Capitole.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    /// The listener of `/metrics` and its route, when metrics have an address of their own.
    metrics: Option<(tokio::net::TcpListener, Router)>,
    deadlines: server::Deadlines,
}

impl Application {
    /// Binds the listening sockets and builds the routes.
    pub async fn build(api: ApiContext, settings: &HttpSettings) -> std::io::Result<Self> {
        let limiter = RateLimiter::new(&settings.rate_limit)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let listener = bind(settings.listen, "").await?;
        let metrics = match settings.metrics_listen {
            Some(address) => Some((
                bind(address, " for metrics").await?,
                Router::new().route(
                    "/metrics",
                    get(observability::metrics).with_state(api.reads.clone()),
                ),
            )),
            None => None,
        };
        Ok(Self {
            listener,
            metrics,
            router: routes(api, settings, limiter, Webhooks::Delivered),
            deadlines: server::Deadlines {
                header_read: settings.header_read_timeout,
                body_read: settings.body_read_timeout,
                idle: settings.idle_timeout,
                drain: settings.drain_timeout,
            },
        })
    }

    /// The address actually bound (the chosen port when asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address `/metrics` is served on when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.metrics
            .as_ref()
            .map(|(listener, _)| listener.local_addr())
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let public = server::serve(self.listener, self.router, self.deadlines, stopped.clone());
        match self.metrics {
            Some((listener, router)) => {
                let metrics = server::serve(listener, router, self.deadlines, stopped);
                tokio::join!(public, metrics);
            }
            None => public.await,
        }
        Ok(())
    }
}
