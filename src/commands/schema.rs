//! `capitole schema` prints the SDL; `capitole schema check` compares it with the newest
//! release kept under `schema/releases/` and fails on a breaking change that CHANGELOG.md
//! does not list. The rules and the report are in `capitole_api::compatibility`; here are
//! the files and the exit status. Neither needs a database.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use capitole_api::compatibility::{self, Changelog, RELEASE_FILE_SUFFIX, Sdl, Version};
use clap::{Args, Subcommand};

/// `capitole schema` and its subcommand.
#[derive(Args, Debug)]
pub(crate) struct SchemaArgs {
    #[command(subcommand)]
    command: Option<SchemaCommand>,
}

/// What `capitole schema` can do besides printing the SDL.
#[derive(Subcommand, Debug)]
enum SchemaCommand {
    /// Compares the schema with the newest release; fails on a breaking change that
    /// CHANGELOG.md does not list under `### Breaking`.
    Check(CheckArgs),
}

/// Where the releases and the changelog are.
#[derive(Args, Debug)]
struct CheckArgs {
    /// The folder of released schemas, one `<version>.graphql` per release.
    #[arg(long, default_value = "schema/releases")]
    releases: PathBuf,
    /// The changelog whose `### Breaking` lists allow breaking changes.
    #[arg(long, default_value = "CHANGELOG.md")]
    changelog: PathBuf,
}

/// Prints the SDL, or checks it.
pub(crate) fn run(args: SchemaArgs) -> anyhow::Result<()> {
    let sdl = capitole_api::build_schema().sdl();
    match args.command {
        None => {
            print!("{sdl}");
            Ok(())
        }
        Some(SchemaCommand::Check(args)) => check(&sdl, &args),
    }
}

fn check(current: &str, args: &CheckArgs) -> anyhow::Result<()> {
    let (version, path) = newest_release(&args.releases)?;
    let release = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let changelog = std::fs::read_to_string(&args.changelog)
        .with_context(|| format!("cannot read {}", args.changelog.display()))?;
    let changelog = Changelog::parse(&args.changelog.display().to_string(), &changelog);
    let report = compatibility::check(
        &version,
        Sdl {
            label: &path.display().to_string(),
            text: &release,
        },
        Sdl {
            label: "the current schema",
            text: current,
        },
        &changelog,
    )?;
    print!("{report}");
    if !report.passes() {
        bail!("the schema breaks release {version}: see the lines above");
    }
    Ok(())
}

/// The release file with the greatest version. Every `.graphql` file of the folder must be
/// named by a version, and no two by the same one.
fn newest_release(folder: &Path) -> anyhow::Result<(Version, PathBuf)> {
    let entries = std::fs::read_dir(folder).with_context(|| {
        format!(
            "cannot read {}, the folder of released schemas",
            folder.display()
        )
    })?;
    let mut releases: Vec<(Version, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", folder.display()))?
            .path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(RELEASE_FILE_SUFFIX) {
            continue;
        }
        let Some(version) = Version::of_release_file(&name) else {
            bail!(
                "{}: a release file is named by its version, as 1.0{RELEASE_FILE_SUFFIX} or \
                 1.2.3{RELEASE_FILE_SUFFIX}",
                path.display()
            );
        };
        releases.push((version, path));
    }
    releases.sort();
    if let Some(pair) = releases.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        bail!(
            "{} and {} are the same release {}: keep one",
            pair[0].1.display(),
            pair[1].1.display(),
            pair[1].0
        );
    }
    releases.pop().with_context(|| {
        format!(
            "no release in {}: keep each release's SDL there as <version>{RELEASE_FILE_SUFFIX}",
            folder.display()
        )
    })
}
