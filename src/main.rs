//! The `capitole` command: serve the graph, migrate, seed, print the schema, check health.
//! Every setting is a flag and a `CAPITOLE_*` environment variable.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use capitole_api::{
    ApiContext, Application, HttpSettings, IpNetwork, QueryLimits, RateLimitSettings, TierBudgets,
    TrustedProxies,
};
use capitole_domain::access::{RateTier, Role, Scope};
use capitole_persistence::{ConnectSettings, Database, seed};
use capitole_services::auth::Auth;
use capitole_services::auth::jwt::SigningKey;
use capitole_services::auth::keystore::KeyStore;
use capitole_services::mail::{MailSettings, Mailer};
use capitole_services::{accounts, tokens};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand};

// Request handling allocates many small, short-lived values; mimalloc serves them faster
// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Capitole: one GraphQL graph of a city's news, events and places.
#[derive(Parser, Debug)]
#[command(name = "capitole", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    database: DatabaseArgs,
    /// The city's timezone: windows, opening hours and local times are computed in it.
    #[arg(
        long,
        env = "CAPITOLE_TIMEZONE",
        default_value = "Europe/Paris",
        global = true
    )]
    timezone: Tz,
    /// Log filter (`info`, `capitole=debug,info`…).
    #[arg(long, env = "CAPITOLE_LOG", default_value = "info", global = true)]
    log: String,
}

#[derive(Args, Debug)]
struct DatabaseArgs {
    /// Database URL: `sqlite://capitole.db?mode=rwc` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "CAPITOLE_DATABASE_URL",
        default_value = "sqlite://capitole.db?mode=rwc",
        global = true
    )]
    database_url: String,
    /// Size of the database connection pool (a few connections per core of the database
    /// server).
    #[arg(
        long,
        env = "CAPITOLE_DB_MAX_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    db_max_connections: u32,
    /// How long a request waits for a pooled connection, in milliseconds.
    #[arg(
        long,
        env = "CAPITOLE_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    db_acquire_timeout_ms: u64,
    /// How long one SQL statement may run on PostgreSQL, in milliseconds.
    #[arg(
        long,
        env = "CAPITOLE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    db_statement_timeout_ms: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrates the database, then serves the API until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Brings the database schema up to date.
    Migrate,
    /// Fills the database with the demo city or a synthetic one.
    Seed(SeedArgs),
    /// Prints the GraphQL schema (SDL); needs no database.
    Schema,
    /// Manages people's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manages third-party apps' tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Imports a publisher's agenda.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manages the generated keys that sign access tokens (when `CAPITOLE_JWT_KEYS` is unset).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Exits 0 when the local server answers `/healthz`, 1 otherwise (for container health checks).
    Healthcheck {
        /// The address the server listens on.
        #[arg(long, env = "CAPITOLE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "CAPITOLE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Load the demo city first if the database does not have it.
    #[arg(long, env = "CAPITOLE_DEMO")]
    demo: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "CAPITOLE_BODY_LIMIT", default_value_t = 1_048_576)]
    body_limit: usize,
    /// Serve GraphiQL's assets from this folder instead of the public CDN.
    #[arg(long, env = "CAPITOLE_GRAPHIQL_ASSETS")]
    graphiql_assets: Option<PathBuf>,
    /// How long, in milliseconds, a batch of related lookups collects keys before it runs.
    #[arg(long, env = "CAPITOLE_BATCH_DELAY_MS", default_value_t = 2)]
    batch_delay_ms: u64,
    /// Web origins allowed to call the API from a browser, comma-separated.
    #[arg(long, env = "CAPITOLE_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Keys that sign access tokens, comma-separated `kid:base64-secret` (32 bytes or more);
    /// the first signs, all verify. Without any, a key is generated and kept in the database.
    #[arg(long, env = "CAPITOLE_JWT_KEYS", value_delimiter = ',', hide_env_values = true, value_parser = SigningKey::parse)]
    jwt_keys: Vec<SigningKey>,
    /// On PostgreSQL without `CAPITOLE_JWT_KEYS`: generate a key and keep it in the
    /// database (where anyone with a backup can sign access tokens) instead of refusing to
    /// start.
    #[arg(long, env = "CAPITOLE_ALLOW_GENERATED_KEY")]
    allow_generated_key: bool,
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
    #[command(flatten)]
    mail: MailArgs,
    /// Accounts one client address may create per hour (IPv6 per /64 block).
    #[arg(long, env = "CAPITOLE_SIGN_UPS_PER_ADDRESS", default_value_t = 10)]
    sign_ups_per_address: u32,
    #[command(flatten)]
    connections: ConnectionArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    rate: RateArgs,
}

/// Where metrics are served and how operations are labelled (README: "Metrics and logs").
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

/// How long clients may take over a connection (README: "Connections and timeouts").
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
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Creates an account; the password is read from standard input.
    Create {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// CITIZEN, EDITOR or ADMINISTRATOR.
        #[arg(long, default_value = "CITIZEN", value_parser = parse_role)]
        role: Role,
        /// For editors: an organization they edit for (slug); repeat for several.
        #[arg(long = "organization")]
        organizations: Vec<String>,
        /// How their name is shown (defaults to the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
    },
    /// Changes a person's role (and, for editors, their organizations).
    SetRole {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// CITIZEN, EDITOR or ADMINISTRATOR.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For editors: an organization they edit for (slug); repeat for several.
        #[arg(long = "organization")]
        organizations: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Makes a token for a third-party app and prints it (the only time it is shown).
    Create {
        /// The app's name.
        #[arg(long)]
        app: String,
        /// The email address of whoever answers for the app.
        #[arg(long)]
        contact: String,
        /// What the token allows (`read`); repeat for several.
        #[arg(long = "scope", required = true, value_parser = Scope::parse)]
        scopes: Vec<Scope>,
        /// Its budget: STANDARD or PARTNER.
        #[arg(long, default_value = "STANDARD", value_parser = parse_tier)]
        tier: RateTier,
    },
    /// Lists every token (without secrets).
    List,
    /// Revokes a token by the id `token list` shows; it stops working at once.
    Revoke {
        /// The token's id.
        id: uuid::Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Adds a key, which signs a minute later (once every server has loaded it); the keys
    /// before it keep verifying until the tokens they signed have expired, then retire.
    Rotate {
        /// On PostgreSQL: the generated keys are kept in the database (as `serve
        /// --allow-generated-key` does).
        #[arg(long, env = "CAPITOLE_ALLOW_GENERATED_KEY")]
        allow_generated_key: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Upserts the events of a JSON file (an array of `upsertEvent` inputs, each with its
    /// `externalId`); prints how many were created, updated and unchanged.
    Events {
        /// The JSON file.
        file: PathBuf,
        /// The publisher's system the events come from (`openagenda-toulouse`).
        #[arg(long)]
        source: String,
        /// The organizing organization (slug) of events that name none.
        #[arg(long)]
        organization: String,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::from_code(&raw.to_ascii_uppercase())
        .ok_or_else(|| "the role is CITIZEN, EDITOR or ADMINISTRATOR".to_owned())
}

fn parse_tier(raw: &str) -> Result<RateTier, String> {
    match RateTier::from_code(&raw.to_ascii_uppercase()) {
        Some(tier @ (RateTier::Standard | RateTier::Partner)) => Ok(tier),
        _ => Err("an app's tier is STANDARD or PARTNER".to_owned()),
    }
}

/// Where account mail goes (README: "Mail").
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

/// What one query may ask for (README: "Limits and rate limits").
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

fn parse_network(text: &str) -> Result<IpNetwork, String> {
    text.parse()
}

#[derive(Args, Debug)]
struct SeedArgs {
    /// Load the demo Toulouse.
    #[arg(long, env = "CAPITOLE_DEMO", conflicts_with = "synthetic")]
    demo: bool,
    /// Load a synthetic city for load tests.
    #[arg(long, env = "CAPITOLE_SYNTHETIC")]
    synthetic: bool,
    /// Size of the synthetic city (1 = 50,000 places, 20,000 events, 5,000 articles, 10,000
    /// residents, 200,000 tips, 1,000,000 check-ins).
    #[arg(long, env = "CAPITOLE_SCALE", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    scale: u32,
    /// Seed of the synthetic city: the same seed gives the same city.
    #[arg(long, env = "CAPITOLE_SEED", default_value_t = 42)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log)
                .context("CAPITOLE_LOG is not a valid filter")?,
        )
        .init();
    match cli.command {
        Command::Schema => {
            print!("{}", capitole_api::build_schema().sdl());
            Ok(())
        }
        Command::Healthcheck { listen } => healthcheck(listen),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run(command, cli.database, cli.timezone))
        }
    }
}

async fn connect(args: &DatabaseArgs) -> anyhow::Result<Database> {
    let settings = ConnectSettings {
        url: args.database_url.clone(),
        max_connections: args.db_max_connections,
        acquire_timeout: Duration::from_millis(args.db_acquire_timeout_ms),
        statement_timeout: Duration::from_millis(args.db_statement_timeout_ms),
    };
    let db = Database::connect(&settings)
        .await
        .context("cannot connect to the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

async fn run(command: Command, database: DatabaseArgs, timezone: Tz) -> anyhow::Result<()> {
    let db = connect(&database).await?;
    let now = chrono::Utc::now();
    match command {
        Command::Migrate => tracing::info!("database is up to date"),
        Command::Seed(args) => {
            let started = std::time::Instant::now();
            let report = if args.synthetic {
                seed::synthetic(&db, args.scale, args.seed, now, timezone).await?
            } else if args.demo {
                seed::demo(&db, now, timezone).await?
            } else {
                bail!("say what to seed: --demo or --synthetic");
            };
            if report.already_present {
                tracing::info!("the database has this data already; nothing written");
            } else {
                tracing::info!(
                    places = report.places,
                    events = report.events,
                    occurrences = report.occurrences,
                    articles = report.articles,
                    residents = report.users,
                    tips = report.tips,
                    check_ins = report.check_ins,
                    seconds = started.elapsed().as_secs_f64(),
                    "seeded"
                );
            }
        }
        Command::Serve(args) => {
            if args.demo {
                let report = seed::demo(&db, now, timezone).await?;
                if !report.already_present {
                    tracing::info!(
                        places = report.places,
                        events = report.events,
                        articles = report.articles,
                        "demo city loaded"
                    );
                }
            }
            let batch_delay_ms = args.batch_delay_ms;
            let settings = HttpSettings {
                listen: args.listen,
                body_limit: args.body_limit,
                graphiql_assets: args.graphiql_assets,
                cors_origins: args
                    .cors_origins
                    .into_iter()
                    .filter(|o| !o.trim().is_empty())
                    .collect(),
                limits: QueryLimits {
                    max_document_bytes: args.limits.max_document_bytes,
                    max_depth: args.limits.max_depth,
                    max_introspection_depth: args.limits.max_introspection_depth,
                    max_aliases: args.limits.max_aliases,
                    max_root_fields: args.limits.max_root_fields,
                    max_directives_per_field: args.limits.max_directives,
                    max_list_length: args.limits.max_list_length,
                    max_fields: args.limits.max_fields,
                    max_nodes: args.limits.max_nodes,
                    max_cost: args.limits.max_cost,
                    execution_timeout: Duration::from_millis(args.limits.execution_timeout_ms),
                },
                rate_limit: RateLimitSettings {
                    budgets: TierBudgets {
                        anonymous: args.rate.rate_anonymous,
                        user: args.rate.rate_user,
                        standard: args.rate.rate_standard,
                        partner: args.rate.rate_partner,
                    },
                    window: Duration::from_secs(args.rate.rate_window_seconds),
                    redis_url: args.rate.redis_url.filter(|u| !u.trim().is_empty()),
                    redis_key_prefix: args.rate.redis_key_prefix,
                    ..RateLimitSettings::default()
                },
                trusted_proxies: TrustedProxies::new(args.rate.trusted_proxies),
                header_read_timeout: Duration::from_millis(args.connections.header_read_timeout_ms),
                body_read_timeout: Duration::from_millis(args.connections.body_read_timeout_ms),
                idle_timeout: Duration::from_millis(args.connections.idle_timeout_ms),
                metrics_listen: args.metrics.metrics_listen,
                metrics_operations: args
                    .metrics
                    .metrics_operations
                    .into_iter()
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .collect(),
                metrics_unlisted_operations: args.metrics.metrics_unlisted_operations,
            };
            let auth = if args.jwt_keys.is_empty() {
                let store =
                    KeyStore::beside(&db, &database.database_url, args.allow_generated_key)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                tracing::info!(store = %store.describe(), "access tokens are signed with generated keys");
                Auth::stored(store).await
            } else {
                Auth::load(args.jwt_keys).await
            }
            .map_err(|e| anyhow::anyhow!("cannot set up authentication: {e}"))?;
            let auth = Arc::new(auth);
            tokio::spawn(auth.clone().keep_keys_current());
            let mailer = Mailer::new(&MailSettings {
                smtp_url: args.mail.smtp_url.clone(),
                from: args.mail.mail_from.clone(),
                folder: args.mail.mail_dir.clone(),
                app_url: args.mail.app_url.clone(),
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            tracing::info!(to = %mailer.describe(), "account mail");
            let app = Application::build(
                ApiContext {
                    db: db.clone(),
                    timezone,
                    batch_delay: Duration::from_millis(batch_delay_ms),
                    auth,
                    caches: Default::default(),
                    accounts: accounts::AccountSettings {
                        sign_ups_per_address: args.sign_ups_per_address,
                        mailer,
                    },
                },
                &settings,
            )
            .await
            .context("cannot start serving")?;
            if args.scheduler_interval_seconds > 0 {
                tokio::spawn(capitole_api::scheduler::run(
                    db.clone(),
                    capitole_api::scheduler::Schedule {
                        interval: Duration::from_secs(args.scheduler_interval_seconds),
                        timezone,
                        retention: chrono::Duration::days(i64::from(args.retention_days)),
                    },
                ));
            }
            let addr = app.local_addr()?;
            tracing::info!(
                "listening on http://{addr}/graphql; GraphiQL at http://{addr}/graphiql"
            );
            if let Some(metrics) = app.metrics_addr() {
                tracing::info!("metrics on http://{}/metrics", metrics?);
            }
            app.run_until(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Keys(KeysCommand::Rotate {
            allow_generated_key,
        }) => {
            if std::env::var("CAPITOLE_JWT_KEYS").is_ok_and(|keys| !keys.trim().is_empty()) {
                bail!(
                    "keys come from CAPITOLE_JWT_KEYS: rotate them there (put the new key first, \
                     remove the old one 16 minutes later)"
                );
            }
            let store = KeyStore::beside(&db, &database.database_url, allow_generated_key)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (key, retire_at) = store
                .rotate(now)
                .await
                .map_err(|e| anyhow::anyhow!("cannot rotate the keys: {e}"))?;
            println!(
                "added key {} in {}: it signs from {}; the keys before it retire at {}",
                key.kid,
                store.describe(),
                key.signs_from.to_rfc3339(),
                retire_at.to_rfc3339()
            );
        }
        Command::User(command) => user_command(&db, command, now).await?,
        Command::Token(command) => token_command(&db, command, now).await?,
        Command::Import(ImportCommand::Events {
            file,
            source,
            organization,
        }) => {
            let json = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let report = capitole_api::import::import_events(
                &db,
                timezone,
                &source,
                &organization,
                &json,
                now,
            )
            .await
            .map_err(refused)?;
            for line in &report.refused {
                eprintln!("refused: {line}");
            }
            println!(
                "created {}, updated {}, unchanged {}, refused {}",
                report.created,
                report.updated,
                report.unchanged,
                report.refused.len()
            );
            if !report.refused.is_empty() {
                db.close().await;
                bail!("some events were refused; nothing of them was stored");
            }
        }
        Command::Schema | Command::Healthcheck { .. } => {}
    }
    db.close().await;
    Ok(())
}

fn refused(error: impl Into<capitole_api::ApiError>) -> anyhow::Error {
    anyhow::anyhow!("{}", error.into().message())
}

async fn user_command(
    db: &Database,
    command: UserCommand,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            role,
            organizations,
            name,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let user =
                accounts::create_user(db, &email, password, &name, role, &organizations, now)
                    .await
                    .map_err(refused)?;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
        }
        UserCommand::SetRole {
            email,
            role,
            organizations,
        } => {
            let user = accounts::set_role(db, &email, role, &organizations, now)
                .await
                .map_err(refused)?;
            println!("{} is now {}", user.email, user.role);
        }
    }
    Ok(())
}

async fn token_command(
    db: &Database,
    command: TokenCommand,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            app,
            contact,
            scopes,
            tier,
        } => {
            let (token, row) =
                tokens::create_api_token(db, &app, &contact, &scopes, tier, None, now)
                    .await
                    .map_err(refused)?;
            eprintln!(
                "token {} for {}; it is shown once, keep it secret:",
                row.id, row.app_name
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for row in capitole_persistence::accounts::api_tokens(db).await? {
                let state = row.revoked_at.map_or_else(
                    || "live".to_owned(),
                    |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                );
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    row.id,
                    row.app_name,
                    row.hint,
                    row.scopes.trim_matches('|').replace('|', ","),
                    row.tier,
                    row.contact,
                    state
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let row = tokens::revoke_api_token(db, id, now)
                .await
                .map_err(refused)?;
            println!("revoked {} ({})", row.id, row.app_name);
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}

/// A plain HTTP/1.0 request to `/healthz`, so that container images need no curl.
fn healthcheck(listen: SocketAddr) -> anyhow::Result<()> {
    let mut target = listen;
    if target.ip().is_unspecified() {
        target.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(3))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        bail!(
            "unhealthy: {}",
            response.lines().next().unwrap_or("no answer")
        )
    }
}
