//! The `capitole` command: serve the graph, migrate, seed, print and check the schema, check
//! health.
//! Here is the shape of the command line and which command runs; every setting is a flag
//! and a `CAPITOLE_*` environment variable (see `settings`), and what each command does is
//! in `commands`.

mod commands;
mod settings;
mod telemetry;

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

use commands::{accounts, backup, healthcheck, import, keys, schema, seed, serve};
use settings::{ServeArgs, Settings};

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
    settings: Settings,
}

fn main() -> anyhow::Result<()> {
    small_pages_only();
    let cli = Cli::parse();
    // Flushes traces once the command is done, whatever its outcome.
    let _telemetry = telemetry::start(&cli.settings)?;
    run(cli.command, cli.settings)
}

/// Keeps the process's memory in 4 KiB pages. mimalloc reserves its memory by the GiB and
/// asks Linux for transparent huge pages there: each 2 MiB page is then resident as soon
/// as one byte of it is used, and a page with one live value left in it stays resident.
/// Measured on a server rendering maps without pause, resident memory peaked at 145 MiB
/// with huge pages and 106 MiB without, for the same CPU per request.
fn small_pages_only() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        // Memory only: Capitole works the same with huge pages.
        eprintln!("capitole: transparent huge pages stay on: {error}");
    }
}

/// What `capitole` can do.
#[derive(Subcommand, Debug)]
enum Command {
    /// Migrates the database, then serves the API until SIGINT or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Brings the database schema up to date.
    Migrate,
    /// Fills the database with the demo city or a synthetic one.
    Seed(seed::SeedArgs),
    /// Prints the GraphQL schema (SDL), or checks it against the last release; needs no
    /// database.
    Schema(schema::SchemaArgs),
    /// Writes a consistent copy of the SQLite database to a new file, while it serves.
    Backup(backup::BackupArgs),
    /// Manages people's accounts.
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// Manages third-party apps' tokens.
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Imports a publisher's agenda.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Manages the generated keys that sign access tokens (when `CAPITOLE_JWT_KEYS` is unset).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Exits 0 when the local server answers `/healthz`, 1 otherwise (for container health checks).
    Healthcheck {
        /// The address the server listens on.
        #[arg(long, env = "CAPITOLE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

/// Runs a command with the settings of every command. The schema and the health check
/// need no database; every other command migrates it first.
fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Schema(args) => schema::run(args),
        Command::Healthcheck { listen } => healthcheck::check(listen),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(with_database(command, settings))
        }
    }
}

/// Runs a command on the migrated database, then closes it, whatever the outcome.
async fn with_database(command: Command, settings: Settings) -> anyhow::Result<()> {
    let db = commands::connect(&settings.database).await?;
    let now = chrono::Utc::now();
    let outcome = match command {
        Command::Migrate => {
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Seed(args) => seed::seed(&db, &args, now, settings.timezone).await,
        Command::Serve(args) => serve::serve(&db, &settings, &args, now).await,
        Command::Backup(args) => backup::run(&db, &args).await,
        Command::Keys(command) => keys::run(&db, &settings.database, command, now).await,
        Command::User(command) => accounts::user(&db, command, now).await,
        Command::Token(command) => accounts::token(&db, command, now).await,
        Command::Import(command) => import::run(&db, command, settings.timezone, now).await,
        Command::Schema(_) | Command::Healthcheck { .. } => Ok(()),
    };
    db.close().await;
    outcome
}
