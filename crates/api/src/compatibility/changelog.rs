//! The breaking changes a changelog announces. CHANGELOG.md follows Keep a Changelog: one
//! `## [Unreleased]` section, then one `## [x.y.z] - date` section per release, newest
//! first. Under a section, a `### Breaking` heading lists the breaking changes of that
//! version, one list item each, naming what breaks by its schema coordinate in backticks:
//!
//! ```markdown
//! ### Breaking
//! - `Place.rating` is removed: read `PlaceStats.rating`.
//! ```
//!
//! Only headings count: prose that mentions a heading, other sections and other
//! subsections list nothing.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::version::Version;

/// The breaking changes a changelog lists, by section.
#[derive(Clone, Debug)]
pub struct Changelog {
    label: String,
    sections: Vec<Section>,
}

/// A `##` section of the changelog: `[Unreleased]` or a version.
#[derive(Clone, Debug)]
pub(super) struct Section {
    /// `None` for `[Unreleased]`.
    pub(super) version: Option<Version>,
    pub(super) breaking: Vec<Entry>,
}

/// One item of a `### Breaking` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where it is: `CHANGELOG.md:12`.
    pub location: String,
    /// Its section as the heading names it: `[Unreleased]`, `[2.0.0]`.
    pub section: String,
    /// Its text, on one line.
    pub text: String,
    /// What it names in backticks.
    pub coordinates: Vec<String>,
}

impl Entry {
    /// Whether it names this coordinate.
    pub fn names(&self, coordinate: &str) -> bool {
        self.coordinates.iter().any(|named| named == coordinate)
    }
}

impl Changelog {
    /// Reads the breaking changes of a changelog; `label` names it in messages
    /// (`CHANGELOG.md`). Markdown always parses; a changelog without sections lists nothing.
    pub fn parse(label: &str, markdown: &str) -> Changelog {
        let mut sections: Vec<Section> = Vec::new();
        let mut section_name = String::new();
        let mut heading: Option<(HeadingLevel, String)> = None;
        let mut in_breaking = false;
        let mut depth = 0_usize;
        let mut entry: Option<Entry> = None;
        let line_of = |range: &Range<usize>| {
            markdown[..range.start.min(markdown.len())]
                .bytes()
                .filter(|&b| b == b'\n')
                .count()
                + 1
        };

        for (event, range) in Parser::new(markdown).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some((level, String::new()));
                }
                Event::End(TagEnd::Heading(_)) => {
                    let Some((level, text)) = heading.take() else {
                        continue;
                    };
                    let text = text.trim().to_owned();
                    match level {
                        HeadingLevel::H1 => {
                            section_name.clear();
                            in_breaking = false;
                        }
                        HeadingLevel::H2 => {
                            in_breaking = false;
                            section_name.clear();
                            if let Some(version) = section_version(&text) {
                                sections.push(Section {
                                    version,
                                    breaking: Vec::new(),
                                });
                                section_name = bracketed(&text).to_owned();
                            }
                        }
                        HeadingLevel::H3 => {
                            in_breaking =
                                !section_name.is_empty() && text.eq_ignore_ascii_case("breaking");
                        }
                        _ => {}
                    }
                }
                Event::Start(Tag::Item) if in_breaking => {
                    if depth == 0 {
                        entry = Some(Entry {
                            location: format!("{label}:{}", line_of(&range)),
                            section: format!("[{section_name}]"),
                            text: String::new(),
                            coordinates: Vec::new(),
                        });
                    }
                    depth += 1;
                }
                Event::End(TagEnd::Item) if in_breaking => {
                    depth = depth.saturating_sub(1);
                    if depth == 0
                        && let (Some(done), Some(section)) = (entry.take(), sections.last_mut())
                    {
                        section.breaking.push(Entry {
                            text: one_line(&done.text),
                            ..done
                        });
                    }
                }
                Event::Text(text) => {
                    if let Some((_, heading)) = &mut heading {
                        heading.push_str(&text);
                    } else if let Some(entry) = &mut entry {
                        entry.text.push_str(&text);
                    }
                }
                Event::Code(code) => {
                    if let Some((_, heading)) = &mut heading {
                        heading.push_str(&code);
                    } else if let Some(entry) = &mut entry {
                        entry.text.push('`');
                        entry.text.push_str(&code);
                        entry.text.push('`');
                        entry.coordinates.push(code.trim().to_owned());
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(entry) = &mut entry {
                        entry.text.push(' ');
                    }
                }
                Event::End(TagEnd::Paragraph) => {
                    if let Some(entry) = &mut entry {
                        entry.text.push(' ');
                    }
                }
                _ => {}
            }
        }
        Changelog {
            label: label.to_owned(),
            sections,
        }
    }

    /// How messages name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(super) fn sections(&self) -> &[Section] {
        &self.sections
    }
}

/// The text between a heading's first brackets (`[1.0.0] - 2026-12-05` gives `1.0.0`), or
/// its first word when it has none.
fn bracketed(heading: &str) -> &str {
    let heading = heading.trim();
    match heading.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default().trim(),
        None => heading.split_whitespace().next().unwrap_or_default(),
    }
}

/// `Some(None)` for `[Unreleased]`, `Some(Some(version))` for a version's section, `None`
/// for any other `##` heading.
fn section_version(heading: &str) -> Option<Option<Version>> {
    let name = bracketed(heading);
    if name.eq_ignore_ascii_case("unreleased") {
        return Some(None);
    }
    Version::parse(name.strip_prefix('v').unwrap_or(name)).map(Some)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const CHANGELOG: &str = "\
# Changelog

Breaking changes are listed under `### Breaking`, as in:
- `Not.an.entry`

## [Unreleased]

### Added
- `Place.stats`, a new field.

### Breaking
- `Place.rating` is removed: read
  `PlaceStats.rating` instead.
- `Query.events(organizer:)` and `EventFilter.organizer`
  - are replaced by `EventFilter.publishers`.

## Policy

### Breaking
- `Policy.section`

## [2.0.0] - 2027-01-01
### Breaking
* `Event.organizer`

## [1.0.0] - 2026-12-05
### Breaking
- `Old.field`

[Unreleased]: https://example.invalid/compare/v2.0.0...HEAD
[2.0.0]: https://example.invalid/compare/v1.0.0...v2.0.0
";

    #[test]
    fn breaking_entries_are_read_by_section_with_their_coordinates() {
        let changelog = Changelog::parse("CHANGELOG.md", CHANGELOG);
        let sections = changelog.sections();
        assert_eq!(sections.len(), 3, "{sections:?}");
        assert_eq!(sections[0].version, None);
        assert_eq!(sections[1].version, Version::parse("2.0.0"));
        assert_eq!(sections[2].version, Version::parse("1.0.0"));

        let unreleased = &sections[0].breaking;
        assert_eq!(unreleased.len(), 2);
        assert_eq!(unreleased[0].location, "CHANGELOG.md:12");
        assert_eq!(unreleased[0].section, "[Unreleased]");
        assert_eq!(
            unreleased[0].text,
            "`Place.rating` is removed: read `PlaceStats.rating` instead."
        );
        assert_eq!(
            unreleased[0].coordinates,
            ["Place.rating", "PlaceStats.rating"]
        );
        assert!(unreleased[0].names("Place.rating"));
        assert!(!unreleased[0].names("Place"));
        // A nested list belongs to its item.
        assert_eq!(
            unreleased[1].coordinates,
            [
                "Query.events(organizer:)",
                "EventFilter.organizer",
                "EventFilter.publishers"
            ]
        );

        let released = &sections[1].breaking;
        assert_eq!(released.len(), 1);
        assert_eq!(released[0].section, "[2.0.0]");
        assert_eq!(released[0].coordinates, ["Event.organizer"]);
        assert_eq!(sections[2].breaking[0].coordinates, ["Old.field"]);
    }

    #[test]
    fn a_changelog_without_sections_lists_nothing() {
        let changelog = Changelog::parse("CHANGELOG.md", "# Changelog\n\n- `Place.rating`\n");
        assert!(changelog.sections().is_empty());
        assert_eq!(changelog.label(), "CHANGELOG.md");
    }
}
