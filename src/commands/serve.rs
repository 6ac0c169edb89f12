//! `capitole serve`: the demo city if asked for, authentication, account mail, the HTTP
//! service and the scheduler beside it, until SIGINT or SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use capitole_api::{ApiContext, Application};
use capitole_persistence::{Database, seed};
use capitole_services::auth::Auth;
use capitole_services::auth::keystore::KeyStore;
use capitole_services::mail::Mailer;
use capitole_services::push::{Push, VapidKey};
use chrono::{DateTime, Utc};

use crate::settings::{KeyArgs, ServeArgs, Settings};

/// Serves the graph until the process is asked to stop, then finishes the requests in
/// flight.
pub(crate) async fn serve(
    db: &Database,
    settings: &Settings,
    args: &ServeArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if args.demo {
        let report = seed::demo(db, now, settings.timezone).await?;
        if !report.already_present {
            tracing::info!(
                places = report.places,
                events = report.events,
                articles = report.articles,
                "demo city loaded"
            );
        }
    }
    let auth = authentication(db, &settings.database.database_url, &args.keys).await?;
    tokio::spawn(auth.clone().keep_keys_current());
    let mailer = Mailer::new(&args.mail()).map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(to = %mailer.describe(), "account mail");
    let reads = args.read_replica.reads(db, &settings.database).await?;
    let api = ApiContext {
        db: db.clone(),
        reads,
        timezone: settings.timezone,
        batch_delay: args.batch_delay(),
        auth,
        caches: Default::default(),
        webhooks: args.webhooks(mailer.clone())?,
        push: web_push(db, &settings.database.database_url, args).await?,
        accounts: args.accounts(mailer),
        change_retention: args.change_retention(),
        images: args.images()?,
        languages: args.languages()?,
    };
    let app = Application::build(api, &args.http())
        .await
        .context("cannot start serving")?;
    if let Some(schedule) = args.schedule(settings.timezone) {
        tokio::spawn(capitole_api::scheduler::run(db.clone(), schedule));
    }
    let addr = app.local_addr()?;
    tracing::info!("listening on http://{addr}/graphql; GraphiQL at http://{addr}/graphiql");
    if let Some(metrics) = app.metrics_addr() {
        tracing::info!("metrics on http://{}/metrics", metrics?);
    }
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Authentication with the configured signing keys, or else with keys generated and kept
/// beside the database.
async fn authentication(
    db: &Database,
    database_url: &str,
    keys: &KeyArgs,
) -> anyhow::Result<Arc<Auth>> {
    let auth = if keys.jwt_keys.is_empty() {
        let store = KeyStore::beside(db, database_url, keys.allow_generated_key)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing::info!(store = %store.describe(), "access tokens are signed with generated keys");
        Auth::stored(store).await
    } else {
        Auth::load(keys.jwt_keys.clone()).await
    }
    .map_err(|e| anyhow::anyhow!("cannot set up authentication: {e}"))?;
    Ok(Arc::new(auth))
}

/// Web Push with the configured VAPID key, or else with a key generated and kept where
/// generated signing keys are; off on PostgreSQL without either (generated keys stay out
/// of its database unless allowed).
async fn web_push(db: &Database, database_url: &str, args: &ServeArgs) -> anyhow::Result<Push> {
    let key = match args.vapid_private_key() {
        Some(raw) => raw.to_owned(),
        None => match KeyStore::beside(db, database_url, args.keys.allow_generated_key) {
            Ok(store) => store
                .vapid_key(VapidKey::generate, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("cannot keep the VAPID key: {e}"))?,
            Err(_) => {
                tracing::info!(
                    "Web Push is off: set CAPITOLE_VAPID_PRIVATE_KEY (or allow a generated key)"
                );
                return Ok(Push::off());
            }
        },
    };
    let key = VapidKey::parse(&key).map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(public_key = key.public_key(), "Web Push is on");
    Push::new(key, args.push()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Completes on SIGINT or SIGTERM.
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
