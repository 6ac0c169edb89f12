//! `capitole keys rotate`: a new generated signing key, and the retirement of the old ones
//! once the tokens they signed have expired.

use anyhow::bail;
use capitole_persistence::Database;
use capitole_services::auth::keystore::KeyStore;
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::settings::DatabaseArgs;

#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// Adds a key, which signs a minute later (once every server has loaded it); the keys
    /// before it keep verifying until the tokens they signed have expired, then retire.
    Rotate {
        /// On PostgreSQL: the generated keys are kept in the database (as `serve
        /// --allow-generated-key` does).
        #[arg(long, env = "CAPITOLE_ALLOW_GENERATED_KEY")]
        allow_generated_key: bool,
    },
}

/// Runs a key command on the keys kept beside the database.
pub(crate) async fn run(
    db: &Database,
    database: &DatabaseArgs,
    command: KeysCommand,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let KeysCommand::Rotate {
        allow_generated_key,
    } = command;
    if std::env::var("CAPITOLE_JWT_KEYS").is_ok_and(|keys| !keys.trim().is_empty()) {
        bail!(
            "keys come from CAPITOLE_JWT_KEYS: rotate them there (put the new key first, \
             remove the old one 16 minutes later)"
        );
    }
    let store = KeyStore::beside(db, &database.database_url, allow_generated_key)
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
    Ok(())
}
