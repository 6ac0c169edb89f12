//! The schema's change policy: what the current schema may change from the last release,
//! and the check that enforces it (`capitole schema check`).
//!
//! Each release's SDL is kept as `schema/releases/<version>.graphql`. The current schema
//! may add to the newest release but not take away from it or narrow it (see `diff` for
//! the rules); a breaking change passes only when the changelog lists its schema
//! coordinate under `### Breaking` in `## [Unreleased]` or in the section of a later major
//! version. Reading the files and the exit status belong to the command; here is the
//! comparison, the changelog's reading and the report.

mod changelog;
mod diff;
mod version;

#[cfg(test)]
mod tests;

use std::fmt;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::ServiceDocument;

pub use changelog::{Changelog, Entry};
pub use diff::{Change, Severity};
pub use version::{RELEASE_FILE_SUFFIX, Version};

/// An SDL text and how messages name it (a file's path, `the current schema`).
#[derive(Clone, Copy, Debug)]
pub struct Sdl<'a> {
    /// How messages name it.
    pub label: &'a str,
    /// The SDL.
    pub text: &'a str,
}

/// An SDL that is not a schema the check can compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedSdl {
    /// Which SDL it is.
    pub label: String,
    /// What is wrong, with where.
    pub message: String,
}

impl fmt::Display for MalformedSdl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a GraphQL schema: {}",
            self.label, self.message
        )
    }
}

impl std::error::Error for MalformedSdl {}

/// Every change from a release's SDL to the current SDL, breaking or dangerous.
pub fn compare(release: Sdl<'_>, current: Sdl<'_>) -> Result<Vec<Change>, MalformedSdl> {
    let release_document = parse(release)?;
    let current_document = parse(current)?;
    let release_schema = index(release, &release_document)?;
    let current_schema = index(current, &current_document)?;
    Ok(diff::diff(&release_schema, &current_schema))
}

/// Compares the current SDL with the SDL of release `version`, and lets through the
/// breaking changes the changelog lists.
pub fn check(
    version: &Version,
    release: Sdl<'_>,
    current: Sdl<'_>,
    changelog: &Changelog,
) -> Result<Report, MalformedSdl> {
    let changes = compare(release, current)?;
    let mut allowing: Vec<&Entry> = Vec::new();
    let mut misplaced = Vec::new();
    for section in changelog.sections() {
        match &section.version {
            None => allowing.extend(&section.breaking),
            Some(later) if later.is_major_after(version) => allowing.extend(&section.breaking),
            Some(later) if later > version => misplaced.extend(section.breaking.iter().cloned()),
            Some(_) => {}
        }
    }
    let judged: Vec<Judged> = changes
        .into_iter()
        .map(|change| {
            let allowed_by = match change.severity {
                Severity::Breaking => allowing
                    .iter()
                    .find(|entry| entry.names(&change.coordinate))
                    .map(|&entry| entry.clone()),
                Severity::Dangerous => None,
            };
            Judged { change, allowed_by }
        })
        .collect();
    let unused = allowing
        .into_iter()
        .filter(|entry| {
            !judged
                .iter()
                .any(|judged| judged.allowed_by.as_ref() == Some(entry))
        })
        .cloned()
        .collect();
    Ok(Report {
        release: version.clone(),
        release_label: release.label.to_owned(),
        changelog: changelog.label().to_owned(),
        judged,
        misplaced,
        unused,
    })
}

/// A change with the changelog entry that allows it, if one does.
#[derive(Clone, Debug)]
pub struct Judged {
    /// The change.
    pub change: Change,
    /// The entry under `### Breaking` that names it, for a breaking change.
    pub allowed_by: Option<Entry>,
}

/// What the check found, as the command prints it.
#[derive(Clone, Debug)]
pub struct Report {
    release: Version,
    release_label: String,
    changelog: String,
    judged: Vec<Judged>,
    misplaced: Vec<Entry>,
    unused: Vec<Entry>,
}

impl Report {
    /// Whether the current schema keeps the release's promises: no breaking change that
    /// the changelog does not list, and no breaking change listed for a version that may
    /// not break.
    pub fn passes(&self) -> bool {
        self.refused().next().is_none() && self.misplaced.is_empty()
    }

    /// The breaking changes no entry allows.
    pub fn refused(&self) -> impl Iterator<Item = &Change> {
        self.judged
            .iter()
            .filter(|judged| {
                judged.change.severity == Severity::Breaking && judged.allowed_by.is_none()
            })
            .map(|judged| &judged.change)
    }

    /// The breaking changes an entry allows, with the entry.
    pub fn allowed(&self) -> impl Iterator<Item = (&Change, &Entry)> {
        self.judged.iter().filter_map(|judged| {
            judged
                .allowed_by
                .as_ref()
                .map(|entry| (&judged.change, entry))
        })
    }

    /// The changes that break no query but may surprise a client.
    pub fn dangerous(&self) -> impl Iterator<Item = &Change> {
        self.judged
            .iter()
            .filter(|judged| judged.change.severity == Severity::Dangerous)
            .map(|judged| &judged.change)
    }

    /// Entries listed under `### Breaking` of a later version that is not a major one.
    pub fn misplaced(&self) -> &[Entry] {
        &self.misplaced
    }

    /// Entries that could allow a breaking change but name none the check found.
    pub fn unused(&self) -> &[Entry] {
        &self.unused
    }

    /// The release compared with.
    pub fn release(&self) -> &Version {
        &self.release
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "The current schema against release {} ({}):",
            self.release, self.release_label
        )?;
        for change in self.refused() {
            writeln!(f, "breaking: {change}")?;
        }
        for entry in &self.misplaced {
            writeln!(
                f,
                "misplaced: {} lists a breaking change under {}, which is not a major version \
                 after {}: {}",
                entry.location, entry.section, self.release, entry.text
            )?;
        }
        for (change, entry) in self.allowed() {
            writeln!(
                f,
                "allowed: {change}; listed at {} under {} Breaking: {}",
                entry.location, entry.section, entry.text
            )?;
        }
        for change in self.dangerous() {
            writeln!(f, "dangerous: {change}")?;
        }
        for entry in &self.unused {
            writeln!(
                f,
                "unused: {} under {} Breaking names no breaking change from {}: {}",
                entry.location, entry.section, self.release, entry.text
            )?;
        }
        let refused = self.refused().count();
        let allowed = self.allowed().count();
        if refused > 0 {
            writeln!(
                f,
                "{refused} breaking change{} from release {} not listed under `### Breaking` in \
                 {} (see docs/compatibility.md).",
                if refused == 1 { "" } else { "s" },
                self.release,
                self.changelog
            )?;
        }
        if !self.misplaced.is_empty() {
            writeln!(
                f,
                "Only a major version may break release {}: move these entries to the next \
                 major version's section (or [Unreleased]).",
                self.release
            )?;
        }
        if self.passes() {
            match allowed {
                0 => writeln!(f, "No breaking change from release {}.", self.release)?,
                n => writeln!(
                    f,
                    "{n} breaking change{} from release {}, each listed in {}.",
                    if n == 1 { "" } else { "s" },
                    self.release,
                    self.changelog
                )?,
            }
        }
        Ok(())
    }
}

fn parse(sdl: Sdl<'_>) -> Result<ServiceDocument, MalformedSdl> {
    parse_schema(sdl.text).map_err(|error| {
        let at = error
            .positions()
            .next()
            .map(|pos| format!("line {}, column {}: ", pos.line, pos.column))
            .unwrap_or_default();
        // A syntax error's text draws the line it is on; its last line says what was
        // expected there, which with the position is all a reader needs.
        let text = error.to_string();
        let what = text
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix("= "))
            .unwrap_or(text.trim());
        MalformedSdl {
            label: sdl.label.to_owned(),
            message: format!("{at}{what}"),
        }
    })
}

fn index<'a>(
    sdl: Sdl<'_>,
    document: &'a ServiceDocument,
) -> Result<diff::Schema<'a>, MalformedSdl> {
    diff::Schema::index(document).map_err(|message| MalformedSdl {
        label: sdl.label.to_owned(),
        message,
    })
}
