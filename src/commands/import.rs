//! `capitole import events`: a publisher's agenda from a JSON file, upserted by its
//! external ids, all or nothing.

use std::path::PathBuf;

use anyhow::{Context, bail};
use capitole_persistence::Database;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Subcommand;

use super::refused;

#[derive(Subcommand, Debug)]
pub(crate) enum ImportCommand {
    /// Upserts the events of a JSON file (an array of `upsertEvent` inputs, each with its
    /// `externalId`); prints how many were created, updated and unchanged.
    Events {
        /// The JSON file.
        file: PathBuf,
        /// The publisher's system the events come from (`openagenda-toulouse`).
        #[arg(long)]
        source: String,
        /// An organization that publishes the events that name none (slug); repeat for
        /// co-published events.
        #[arg(long = "publisher", required = true)]
        publishers: Vec<String>,
    },
}

/// Imports what the command names and reports each refused event.
pub(crate) async fn run(
    db: &Database,
    command: ImportCommand,
    timezone: Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ImportCommand::Events {
        file,
        source,
        publishers,
    } = command;
    let json = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let report =
        capitole_api::import::import_events(db, timezone, &source, &publishers, &json, now)
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
        bail!("some events were refused; nothing of them was stored");
    }
    Ok(())
}
