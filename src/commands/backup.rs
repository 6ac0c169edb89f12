//! `capitole backup FILE`: a consistent copy of a SQLite database, taken while it serves.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use capitole_persistence::{Backend, Database};

/// Where to write the copy.
#[derive(clap::Args, Debug)]
pub(crate) struct BackupArgs {
    /// A new file for the copy; an existing file is never overwritten.
    file: PathBuf,
}

/// Copies the database to a new file: first under a temporary name beside it, renamed
/// once complete, so that the file named is either the whole copy or absent.
pub(crate) async fn run(db: &Database, args: &BackupArgs) -> anyhow::Result<()> {
    if db.backend() == Backend::Postgres {
        bail!(
            "capitole backup copies SQLite databases; back up PostgreSQL with pg_dump, or \
             pg_basebackup with WAL archiving (docs/operations.md, \"Backups\")"
        );
    }
    let file = &args.file;
    if file.exists() {
        bail!("{} already exists; name a new file", file.display());
    }
    let partial = partial_name(file);
    let _ = std::fs::remove_file(&partial);
    let started = Instant::now();
    let copied = db.copy_into(&partial).await;
    if let Err(error) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(error).context("cannot back up the database");
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot name the copy {}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up the database to {} ({bytes} bytes) in {} ms",
        file.display(),
        started.elapsed().as_millis()
    );
    Ok(())
}

/// `FILE.partial`, where the copy is written until it is complete.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
