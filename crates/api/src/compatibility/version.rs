//! The version of a release of the schema: `MAJOR.MINOR.PATCH`, as semantic versioning
//! orders them, read from a release file's name (`1.0.graphql`) or a changelog heading
//! (`## [1.0.0] - 2026-12-05`). Missing parts are zero, so `1.0` and `1.0.0` are the same
//! version.

use std::cmp::Ordering;
use std::fmt;

/// The suffix of a release file in `schema/releases/`.
pub const RELEASE_FILE_SUFFIX: &str = ".graphql";

/// A version of the schema, as written (`1.0`) and as ordered (1, 0, 0).
#[derive(Clone, Debug)]
pub struct Version {
    numbers: [u64; 3],
    written: String,
}

impl Version {
    /// Reads `MAJOR[.MINOR[.PATCH]]`, digits only; `None` for anything else (pre-releases
    /// and build metadata included: a release file is a final release).
    pub fn parse(text: &str) -> Option<Version> {
        let mut numbers = [0; 3];
        let mut parts = text.split('.');
        for number in &mut numbers {
            match parts.next() {
                Some(part) if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => {
                    *number = part.parse().ok()?;
                }
                Some(_) => return None,
                None => break,
            }
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            numbers,
            written: text.to_owned(),
        })
    }

    /// The version a release file is named after (`1.0.graphql` is 1.0); `None` when the
    /// file is not a `.graphql` file named by a version.
    pub fn of_release_file(file_name: &str) -> Option<Version> {
        Version::parse(file_name.strip_suffix(RELEASE_FILE_SUFFIX)?)
    }

    /// Whether a version may break this one: a greater major version, or from 0.y on, a
    /// greater minor version too (semantic versioning's rule for initial development).
    pub fn is_major_after(&self, earlier: &Version) -> bool {
        let [major, minor, _] = self.numbers;
        let [earlier_major, earlier_minor, _] = earlier.numbers;
        match earlier_major {
            0 => major > 0 || minor > earlier_minor,
            _ => major > earlier_major,
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.numbers == other.numbers
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn version(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn versions_are_ordered_by_number_not_by_text() {
        assert!(version("1.10") > version("1.9"));
        assert!(version("2.0") > version("1.10.3"));
        assert!(version("1.0.1") > version("1.0"));
        assert_eq!(version("1.0"), version("1.0.0"));
        assert_eq!(version("1"), version("1.0.0"));
        assert_eq!(version("1.0").to_string(), "1.0");
    }

    #[test]
    fn only_final_numeric_versions_are_versions() {
        for text in [
            "",
            "1.",
            ".1",
            "1.0.0.0",
            "v1.0",
            "1.0-rc.1",
            "1.0+build",
            "one",
            "1.-1",
        ] {
            assert!(Version::parse(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn release_files_are_named_by_their_version() {
        assert_eq!(
            Version::of_release_file("1.0.graphql"),
            Some(version("1.0"))
        );
        assert_eq!(
            Version::of_release_file("2.3.1.graphql"),
            Some(version("2.3.1"))
        );
        assert!(Version::of_release_file("1.0.json").is_none());
        assert!(Version::of_release_file("latest.graphql").is_none());
        assert!(Version::of_release_file("README.md").is_none());
    }

    #[test]
    fn only_a_major_version_may_break_a_release() {
        assert!(version("2.0.0").is_major_after(&version("1.0")));
        assert!(!version("1.1.0").is_major_after(&version("1.0")));
        assert!(!version("1.0.1").is_major_after(&version("1.0")));
        // Before 1.0, a minor version is a major one.
        assert!(version("0.3.0").is_major_after(&version("0.2")));
        assert!(version("1.0.0").is_major_after(&version("0.2")));
        assert!(!version("0.2.1").is_major_after(&version("0.2")));
    }
}
