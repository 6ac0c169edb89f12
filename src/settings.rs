//! Every setting of the `capitole` command, read once from its flags and their `CAPITOLE_*`
//! environment variables (a flag overrides its variable), in groups by concern. Each group
//! says once how it becomes the settings of the crate it configures; `docs/configuration.md`
//! documents every variable.
//!
//! The arguments that belong to one command alone (what to seed, whose account to create)
//! are with that command, in `commands`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use capitole_api::scheduler::Schedule;
use capitole_api::{
    GraphiqlAssets, HttpSettings, IpNetwork, Licence, LiveSettings, OpenDataSettings,
    PersistedQuerySettings, QueryLimits, RateLimitSettings, ResponseCacheSettings, TierBudgets,
    TrustedProxies,
};
use capitole_domain::change::{DEFAULT_RETENTION_DAYS, Retention};
use capitole_domain::webhook::RetryPolicy;
use capitole_services::accounts::AccountSettings;
use capitole_services::auth::jwt::SigningKey;
use capitole_services::mail::{MailSettings, Mailer};
use capitole_services::push::PushSettings;
use capitole_services::webhooks::{WebhookSettings, Webhooks};
use chrono_tz::Tz;
use clap::Args;

mod every_command;
mod read_replica;

pub(crate) use every_command::{DatabaseArgs, LogFormat, Settings};
use read_replica::ReadReplicaArgs;

/// The settings of `capitole serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "CAPITOLE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Load the demo city first if the database does not have it.
    #[arg(long, env = "CAPITOLE_DEMO")]
    pub demo: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "CAPITOLE_BODY_LIMIT", default_value_t = 1_048_576)]
    body_limit: usize,
    /// Where GraphiQL's page loads its files from: `built-in` (served by Capitole, no
    /// internet needed), `cdn` (unpkg.com, each file with its integrity hash), or a
    /// folder made by `scripts/fetch-graphiql-assets.sh`.
    #[arg(
        long,
        env = "CAPITOLE_GRAPHIQL_ASSETS",
        default_value = "built-in",
        value_parser = graphiql_assets
    )]
    graphiql_assets: GraphiqlAssets,
    /// How long, in milliseconds, a batch of related lookups collects keys before it runs.
    #[arg(long, env = "CAPITOLE_BATCH_DELAY_MS", default_value_t = 2)]
    batch_delay_ms: u64,
    /// Web origins allowed to call the API from a browser, comma-separated.
    #[arg(long, env = "CAPITOLE_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    scheduler: SchedulerArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// Accounts one client address may create per hour (IPv6 per /64 block).
    #[arg(long, env = "CAPITOLE_SIGN_UPS_PER_ADDRESS", default_value_t = 10)]
    sign_ups_per_address: u32,
    #[command(flatten)]
    pub read_replica: ReadReplicaArgs,
    #[command(flatten)]
    connections: ConnectionArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    rate: RateArgs,
    #[command(flatten)]
    open_data: OpenDataArgs,
    #[command(flatten)]
    persisted_queries: PersistedQueryArgs,
    #[command(flatten)]
    response_cache: ResponseCacheArgs,
    #[command(flatten)]
    live: LiveArgs,
    #[command(flatten)]
    webhooks: WebhookArgs,
    #[command(flatten)]
    push: PushArgs,
    #[command(flatten)]
    images: ImageArgs,
    /// The languages texts are published in, comma-separated ISO 639 codes, the city's
    /// own first (items are written in it; editors translate into the others).
    #[arg(long, env = "CAPITOLE_LANGUAGES", default_value = "fr,en,es,oc")]
    languages: String,
}

/// The image proxy that resizes pictures (`docs/api.md`: "Pictures").
#[derive(Args, Debug)]
struct ImageArgs {
    /// The address of an image proxy that speaks imgproxy's URL format
    /// (`https://img.toulouse.fr`); without it, pictures are given at their original
    /// address only.
    #[arg(long, env = "CAPITOLE_IMAGE_PROXY_URL")]
    image_proxy_url: Option<String>,
    /// The proxy's signing key, in hex (imgproxy's `IMGPROXY_KEY`); with the salt, or
    /// neither for a proxy that does not check signatures.
    #[arg(long, env = "CAPITOLE_IMAGE_PROXY_KEY", hide_env_values = true)]
    image_proxy_key: Option<String>,
    /// The proxy's signing salt, in hex (imgproxy's `IMGPROXY_SALT`).
    #[arg(long, env = "CAPITOLE_IMAGE_PROXY_SALT", hide_env_values = true)]
    image_proxy_salt: Option<String>,
}

/// The WebSocket connections of subscriptions (`docs/live.md`: "Limits").
#[derive(Args, Debug)]
struct LiveArgs {
    /// Seconds a client has to send `connection_init` after connecting.
    #[arg(long, env = "CAPITOLE_WS_INIT_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    ws_init_timeout_secs: u64,
    /// Subscriptions one connection may run at once.
    #[arg(long, env = "CAPITOLE_WS_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    ws_subscriptions_per_connection: u64,
    /// Connections open at once from one client address.
    #[arg(long, env = "CAPITOLE_WS_CONNECTIONS_PER_ADDRESS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    ws_connections_per_address: u64,
    /// Connections open at once with one person's or app's credentials.
    #[arg(long, env = "CAPITOLE_WS_CONNECTIONS_PER_PRINCIPAL", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    ws_connections_per_principal: u64,
    /// Messages waiting for a client that does not read them, past which its connection
    /// is closed.
    #[arg(long, env = "CAPITOLE_WS_BUFFER", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    ws_buffer: u64,
}

/// How third-party apps' webhooks are called (`docs/webhooks.md`).
#[derive(Args, Debug)]
struct WebhookArgs {
    /// Let webhook endpoints use `http` and loopback or private addresses: for development
    /// only.
    #[arg(long, env = "CAPITOLE_WEBHOOK_ALLOW_LOCAL", default_value_t = false)]
    webhook_allow_local: bool,
    /// Milliseconds before a failed delivery's second attempt; each next wait doubles, up
    /// to an hour.
    #[arg(long, env = "CAPITOLE_WEBHOOK_FIRST_RETRY_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    webhook_first_retry_ms: u64,
    /// Hours during which a delivery is tried.
    #[arg(long, env = "CAPITOLE_WEBHOOK_RETRY_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=168))]
    webhook_retry_hours: u64,
    /// Failed attempts in a row after which a webhook is disabled.
    #[arg(long, env = "CAPITOLE_WEBHOOK_DISABLE_AFTER", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    webhook_disable_after: u32,
    /// Seconds an endpoint has to answer.
    #[arg(long, env = "CAPITOLE_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    webhook_timeout_secs: u64,
    /// Webhooks one app token may register.
    #[arg(long, env = "CAPITOLE_WEBHOOKS_PER_APP", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    webhooks_per_app: u64,
}

/// Web Push for residents (`docs/live.md`: "Web Push").
#[derive(Args, Debug)]
struct PushArgs {
    /// The VAPID private key that signs Web Push requests: a P-256 private key, 32 bytes in
    /// base64url. Without it, a key is generated and kept where generated signing keys are.
    #[arg(long, env = "CAPITOLE_VAPID_PRIVATE_KEY", hide_env_values = true)]
    vapid_private_key: Option<String>,
    /// Who push services may contact about the messages: `mailto:` or `https:`.
    #[arg(
        long,
        env = "CAPITOLE_VAPID_SUBJECT",
        default_value = "mailto:no-reply@localhost"
    )]
    vapid_subject: String,
    /// Let push endpoints use `http` and local addresses: for development only.
    #[arg(long, env = "CAPITOLE_PUSH_ALLOW_LOCAL", default_value_t = false)]
    push_allow_local: bool,
}

/// Answers to public queries kept by each replica (`docs/http.md`: "Response cache").
#[derive(Args, Debug)]
struct ResponseCacheArgs {
    /// The memory, in MiB, each replica gives to answers of public queries; 0 keeps none.
    #[arg(long, env = "CAPITOLE_RESPONSE_CACHE_MIB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(0..=65_536))]
    response_cache_mib: u64,
    /// How often, in milliseconds, each replica reads the change log's new entries to
    /// forget the answers they change.
    #[arg(long, env = "CAPITOLE_RESPONSE_CACHE_FOLLOW_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    response_cache_follow_ms: u64,
}

/// Where documents registered under their hash are kept (`docs/http.md`: "Caching").
#[derive(Args, Debug)]
struct PersistedQueryArgs {
    /// How many persisted documents each replica keeps in memory at most.
    #[arg(long, env = "CAPITOLE_APQ_MAX_ENTRIES", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    apq_max_entries: u64,
    /// How long a persisted document is kept after it is registered, in seconds.
    #[arg(long, env = "CAPITOLE_APQ_TTL_SECONDS", default_value_t = 604_800, value_parser = clap::value_parser!(u64).range(1..))]
    apq_ttl_seconds: u64,
    /// The prefix of the Redis keys of persisted documents (with `CAPITOLE_REDIS_URL`).
    #[arg(
        long,
        env = "CAPITOLE_APQ_REDIS_KEY_PREFIX",
        default_value = "capitole:apq:"
    )]
    apq_redis_key_prefix: String,
}

impl From<&PersistedQueryArgs> for PersistedQuerySettings {
    fn from(args: &PersistedQueryArgs) -> Self {
        Self {
            max_entries: args.apq_max_entries,
            ttl: Duration::from_secs(args.apq_ttl_seconds),
            redis_key_prefix: args.apq_redis_key_prefix.clone(),
        }
    }
}

/// What the open formats (`docs/open-data.md`) say about where they live and whose data
/// they carry.
#[derive(Args, Debug)]
struct OpenDataArgs {
    /// The address clients reach Capitole at (`https://api.toulouse.fr`), for the absolute
    /// links of feeds, calendars and the catalogue; without it, `http://` and the listening
    /// address.
    #[arg(long, env = "CAPITOLE_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// The name of the licence the open data is published under.
    #[arg(
        long,
        env = "CAPITOLE_DATA_LICENCE_NAME",
        default_value = "Licence Ouverte / Open Licence 2.0"
    )]
    data_licence_name: String,
    /// The address of that licence's text.
    #[arg(
        long,
        env = "CAPITOLE_DATA_LICENCE_URL",
        default_value = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )]
    data_licence_url: url::Url,
    /// Who publishes the open data, as the catalogue names it (the city).
    #[arg(long, env = "CAPITOLE_DATA_PUBLISHER", default_value = "Capitole")]
    data_publisher: String,
    /// The memory, in MiB, each replica gives to answers of exports kept for the next
    /// request with the same validator; 0 keeps none.
    #[arg(long, env = "CAPITOLE_EXPORT_CACHE_MIB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(0..=65_536))]
    export_cache_mib: u64,
}

impl ServeArgs {
    /// The settings of the HTTP service.
    pub(crate) fn http(&self) -> HttpSettings {
        HttpSettings {
            listen: self.listen,
            body_limit: self.body_limit,
            graphiql_assets: self.graphiql_assets.clone(),
            cors_origins: self
                .cors_origins
                .iter()
                .filter(|o| !o.trim().is_empty())
                .cloned()
                .collect(),
            limits: QueryLimits::from(&self.limits),
            rate_limit: RateLimitSettings::from(&self.rate),
            trusted_proxies: TrustedProxies::new(self.rate.trusted_proxies.clone()),
            header_read_timeout: Duration::from_millis(self.connections.header_read_timeout_ms),
            body_read_timeout: Duration::from_millis(self.connections.body_read_timeout_ms),
            idle_timeout: Duration::from_millis(self.connections.idle_timeout_ms),
            drain_timeout: Duration::from_millis(self.connections.drain_timeout_ms),
            metrics_listen: self.metrics.metrics_listen,
            metrics_operations: self
                .metrics
                .metrics_operations
                .iter()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect(),
            metrics_unlisted_operations: self.metrics.metrics_unlisted_operations,
            open_data: OpenDataSettings {
                public_url: self.open_data.public_url.clone(),
                app_url: self
                    .mail
                    .app_url
                    .as_deref()
                    .and_then(|url| url::Url::parse(url).ok()),
                licence: Licence {
                    name: self.open_data.data_licence_name.clone(),
                    url: self.open_data.data_licence_url.clone(),
                },
                publisher: self.open_data.data_publisher.clone(),
                kept_bytes: self.open_data.export_cache_mib << 20,
            },
            persisted_queries: PersistedQuerySettings::from(&self.persisted_queries),
            response_cache: ResponseCacheSettings {
                bytes: self.response_cache.response_cache_mib << 20,
                follow_every: Duration::from_millis(self.response_cache.response_cache_follow_ms),
            },
            live: LiveSettings {
                init_timeout: Duration::from_secs(self.live.ws_init_timeout_secs),
                subscriptions_per_connection: count(self.live.ws_subscriptions_per_connection),
                connections_per_address: count(self.live.ws_connections_per_address),
                connections_per_principal: count(self.live.ws_connections_per_principal),
                buffer: count(self.live.ws_buffer),
            },
        }
    }

    /// How long a batch of related lookups collects keys.
    pub(crate) fn batch_delay(&self) -> Duration {
        Duration::from_millis(self.batch_delay_ms)
    }

    /// Where account mail goes.
    pub(crate) fn mail(&self) -> MailSettings {
        MailSettings::from(&self.mail)
    }

    /// The limits of the account flows, with the mailer that sends their mail.
    pub(crate) fn accounts(&self, mailer: Mailer) -> AccountSettings {
        AccountSettings {
            sign_ups_per_address: self.sign_ups_per_address,
            mailer,
        }
    }

    /// The scheduler's jobs in this city's timezone, unless this replica leaves them to
    /// others.
    pub(crate) fn schedule(&self, timezone: Tz) -> Option<Schedule> {
        (self.scheduler.scheduler_interval_seconds > 0).then(|| Schedule {
            interval: Duration::from_secs(self.scheduler.scheduler_interval_seconds),
            timezone,
            retention: chrono::Duration::days(i64::from(self.scheduler.retention_days)),
            change_retention: self.change_retention(),
        })
    }

    /// How webhooks are called, with the mailer that tells apps their webhook was
    /// disabled.
    pub(crate) fn webhooks(&self, mailer: Mailer) -> anyhow::Result<Webhooks> {
        let args = &self.webhooks;
        let settings = WebhookSettings {
            allow_local: args.webhook_allow_local,
            retry: RetryPolicy {
                first_wait: Duration::from_millis(args.webhook_first_retry_ms),
                give_up_after: Duration::from_secs(args.webhook_retry_hours * 3600),
                ..RetryPolicy::default()
            },
            disable_after: args.webhook_disable_after,
            timeout: Duration::from_secs(args.webhook_timeout_secs),
            per_app: usize::try_from(args.webhooks_per_app).unwrap_or(usize::MAX),
        };
        Webhooks::new(settings, mailer).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// What Web Push is sent with, besides its key.
    pub(crate) fn push(&self) -> PushSettings {
        PushSettings {
            subject: self.push.vapid_subject.clone(),
            allow_local: self.push.push_allow_local,
            ..PushSettings::default()
        }
    }

    /// The configured VAPID private key, if any.
    pub(crate) fn vapid_private_key(&self) -> Option<&str> {
        self.push.vapid_private_key.as_deref()
    }

    /// How long the change log keeps its entries.
    pub(crate) fn change_retention(&self) -> Retention {
        Retention::days(self.scheduler.changes_retention_days)
    }

    /// The languages texts are published in.
    pub(crate) fn languages(&self) -> anyhow::Result<capitole_domain::language::Languages> {
        capitole_domain::language::Languages::parse(&self.languages)
            .map_err(|e| anyhow::anyhow!("CAPITOLE_LANGUAGES: {e}"))
    }

    /// The image proxy, when one is configured.
    pub(crate) fn images(&self) -> anyhow::Result<capitole_api::ImageProxy> {
        let args = &self.images;
        match &args.image_proxy_url {
            None if args.image_proxy_key.is_some() || args.image_proxy_salt.is_some() => {
                anyhow::bail!("CAPITOLE_IMAGE_PROXY_KEY and _SALT need CAPITOLE_IMAGE_PROXY_URL")
            }
            None => Ok(capitole_api::ImageProxy::none()),
            Some(url) => capitole_api::ImageProxy::new(
                url,
                args.image_proxy_key.as_deref(),
                args.image_proxy_salt.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!(e)),
        }
    }
}

/// The keys that sign access tokens (`docs/accounts.md`).
#[derive(Args, Debug)]
pub(crate) struct KeyArgs {
    /// Keys that sign access tokens, comma-separated `kid:base64-secret` (32 bytes or more);
    /// the first signs, all verify. Without any, a key is generated and kept in the database.
    #[arg(long, env = "CAPITOLE_JWT_KEYS", value_delimiter = ',', hide_env_values = true, value_parser = SigningKey::parse)]
    pub jwt_keys: Vec<SigningKey>,
    /// On PostgreSQL without `CAPITOLE_JWT_KEYS`: generate a key and keep it in the
    /// database (where anyone with a backup can sign access tokens) instead of refusing to
    /// start.
    #[arg(long, env = "CAPITOLE_ALLOW_GENERATED_KEY")]
    pub allow_generated_key: bool,
}

/// When the scheduler runs and what it keeps.
#[derive(Args, Debug)]
struct SchedulerArgs {
    /// How often, in seconds, scheduled articles due for publication are published and new
    /// check-ins are folded into places' popularity (0: never, for replicas that should
    /// leave it to others).
    #[arg(
        long,
        env = "CAPITOLE_SCHEDULER_INTERVAL_SECONDS",
        default_value_t = 15
    )]
    scheduler_interval_seconds: u64,
    /// How many days sign-in attempt counters (client addresses, mistyped emails) and
    /// expired refresh tokens are kept before the scheduler deletes them.
    #[arg(long, env = "CAPITOLE_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    retention_days: u32,
    /// How many days the change log keeps its entries: an offline copy whose cursor is
    /// older reads everything again.
    #[arg(long, env = "CAPITOLE_CHANGES_RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    changes_retention_days: u32,
}

/// Where account mail goes (`docs/operations.md`: "Mail").
#[derive(Args, Debug)]
struct MailArgs {
    /// An SMTP server for account mail: `smtps://user:password@host` (TLS) or
    /// `smtp://user:password@host:587?tls=required` (STARTTLS). Without it, mail is written
    /// to `CAPITOLE_MAIL_DIR`.
    #[arg(long, env = "CAPITOLE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of account mail.
    #[arg(
        long,
        env = "CAPITOLE_MAIL_FROM",
        default_value = "Capitole <no-reply@localhost>"
    )]
    mail_from: String,
    /// The folder account mail is written to when no SMTP server is configured.
    #[arg(long, env = "CAPITOLE_MAIL_DIR", default_value = "mail")]
    mail_dir: PathBuf,
    /// The app that opens the links of account mails (`https://m.toulouse.fr`): links go
    /// to `/verify-email?token=…` and `/reset-password?token=…` under it.
    #[arg(long, env = "CAPITOLE_APP_URL")]
    app_url: Option<String>,
}

impl From<&MailArgs> for MailSettings {
    fn from(args: &MailArgs) -> Self {
        Self {
            smtp_url: args.smtp_url.clone(),
            from: args.mail_from.clone(),
            folder: args.mail_dir.clone(),
            app_url: args.app_url.clone(),
        }
    }
}

/// How long clients may take over a connection (`docs/http.md`: "Slow clients").
#[derive(Args, Debug)]
struct ConnectionArgs {
    /// How long a client has to send a request's head, in milliseconds: from the
    /// connection's start for its first request, from the first byte for later ones.
    #[arg(long, env = "CAPITOLE_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_ms: u64,
    /// How long a client has to send a request's body once its head has arrived, in
    /// milliseconds; a slower body gets 408.
    #[arg(long, env = "CAPITOLE_BODY_READ_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout_ms: u64,
    /// How long a kept-alive connection may wait for its next request, in milliseconds.
    #[arg(long, env = "CAPITOLE_IDLE_TIMEOUT_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_ms: u64,
    /// On SIGTERM, how long requests in flight have to finish, in
    /// milliseconds, before the process exits anyway.
    #[arg(long, env = "CAPITOLE_DRAIN_TIMEOUT_MS", default_value_t = 20_000)]
    drain_timeout_ms: u64,
}

/// Where metrics are served and how operations are labelled (`docs/operations.md`: "Metrics and logs").
#[derive(Args, Debug)]
struct MetricsArgs {
    /// Serve `/metrics` on this address only, away from the public listener
    /// (`127.0.0.1:9090`); unset, it is served on the main listener.
    #[arg(long, env = "CAPITOLE_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// The app's operation names, labelled by name in the metrics, comma-separated
    /// (`CityHome,PlacePage`).
    #[arg(long, env = "CAPITOLE_METRICS_OPERATIONS", value_delimiter = ',')]
    metrics_operations: Vec<String>,
    /// How many other operation names get a label of their own, first seen first; later
    /// ones are labelled `other`.
    #[arg(
        long,
        env = "CAPITOLE_METRICS_UNLISTED_OPERATIONS",
        default_value_t = 50
    )]
    metrics_unlisted_operations: usize,
}

/// What one query may ask for (`docs/limits.md`).
#[derive(Args, Debug)]
struct LimitArgs {
    /// The largest query document, in bytes.
    #[arg(long, env = "CAPITOLE_MAX_DOCUMENT_BYTES", default_value_t = 32_768)]
    max_document_bytes: usize,
    /// The deepest field, with fragments expanded.
    #[arg(long, env = "CAPITOLE_MAX_DEPTH", default_value_t = 12)]
    max_depth: usize,
    /// The deepest field under `__schema` or `__type`.
    #[arg(long, env = "CAPITOLE_MAX_INTROSPECTION_DEPTH", default_value_t = 20)]
    max_introspection_depth: usize,
    /// Aliases in one document.
    #[arg(long, env = "CAPITOLE_MAX_ALIASES", default_value_t = 30)]
    max_aliases: usize,
    /// Root fields in one operation.
    #[arg(long, env = "CAPITOLE_MAX_ROOT_FIELDS", default_value_t = 20)]
    max_root_fields: usize,
    /// Directives on one field or fragment.
    #[arg(long, env = "CAPITOLE_MAX_DIRECTIVES", default_value_t = 4)]
    max_directives: usize,
    /// Items of one list argument or variable.
    #[arg(long, env = "CAPITOLE_MAX_LIST_LENGTH", default_value_t = 100)]
    max_list_length: usize,
    /// Fields of one query once its fragments are expanded.
    #[arg(long, env = "CAPITOLE_MAX_FIELDS", default_value_t = 2_000)]
    max_fields: usize,
    /// Objects one query may return, over all its lists and connections.
    #[arg(long, env = "CAPITOLE_MAX_NODES", default_value_t = 50_000)]
    max_nodes: u64,
    /// The largest cost of one query, in points.
    #[arg(long, env = "CAPITOLE_MAX_COST", default_value_t = 500)]
    max_cost: u64,
    /// How long one query may run, in milliseconds.
    #[arg(long, env = "CAPITOLE_EXECUTION_TIMEOUT_MS", default_value_t = 10_000)]
    execution_timeout_ms: u64,
}

impl From<&LimitArgs> for QueryLimits {
    fn from(args: &LimitArgs) -> Self {
        Self {
            max_document_bytes: args.max_document_bytes,
            max_depth: args.max_depth,
            max_introspection_depth: args.max_introspection_depth,
            max_aliases: args.max_aliases,
            max_root_fields: args.max_root_fields,
            max_directives_per_field: args.max_directives,
            max_list_length: args.max_list_length,
            max_fields: args.max_fields,
            max_nodes: args.max_nodes,
            max_cost: args.max_cost,
            execution_timeout: Duration::from_millis(args.execution_timeout_ms),
        }
    }
}

/// Budgets of points per caller and where they are kept.
#[derive(Args, Debug)]
struct RateArgs {
    /// Points per window of anonymous callers (per client address).
    #[arg(long, env = "CAPITOLE_RATE_ANONYMOUS", default_value_t = 1_000)]
    rate_anonymous: u64,
    /// Points per window of signed-in people.
    #[arg(long, env = "CAPITOLE_RATE_USER", default_value_t = 5_000)]
    rate_user: u64,
    /// Points per window of third-party apps on the standard plan.
    #[arg(long, env = "CAPITOLE_RATE_STANDARD", default_value_t = 5_000)]
    rate_standard: u64,
    /// Points per window of partner apps.
    #[arg(long, env = "CAPITOLE_RATE_PARTNER", default_value_t = 20_000)]
    rate_partner: u64,
    /// The length of a budget window, in seconds.
    #[arg(long, env = "CAPITOLE_RATE_WINDOW_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    rate_window_seconds: u64,
    /// A Redis server where replicas share budgets (`redis://host:6379`).
    #[arg(long, env = "CAPITOLE_REDIS_URL")]
    redis_url: Option<String>,
    /// The prefix of Capitole's Redis keys.
    #[arg(
        long,
        env = "CAPITOLE_REDIS_KEY_PREFIX",
        default_value = "capitole:rate:"
    )]
    redis_key_prefix: String,
    /// Proxies whose X-Forwarded-For names the client: IPs or CIDR blocks, comma-separated.
    #[arg(long, env = "CAPITOLE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    trusted_proxies: Vec<IpNetwork>,
}

impl From<&RateArgs> for RateLimitSettings {
    fn from(args: &RateArgs) -> Self {
        Self {
            budgets: TierBudgets {
                anonymous: args.rate_anonymous,
                user: args.rate_user,
                standard: args.rate_standard,
                partner: args.rate_partner,
            },
            window: Duration::from_secs(args.rate_window_seconds),
            redis_url: args.redis_url.clone().filter(|u| !u.trim().is_empty()),
            redis_key_prefix: args.redis_key_prefix.clone(),
            ..Self::default()
        }
    }
}

fn graphiql_assets(text: &str) -> Result<GraphiqlAssets, String> {
    Ok(match text {
        "built-in" => GraphiqlAssets::BuiltIn,
        "cdn" => GraphiqlAssets::Cdn,
        "" => return Err("expected built-in, cdn or a folder".to_owned()),
        folder => GraphiqlAssets::Folder(PathBuf::from(folder)),
    })
}

fn parse_network(text: &str) -> Result<IpNetwork, String> {
    text.parse()
}

/// A count of a setting, bounded by its parser.
fn count(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
