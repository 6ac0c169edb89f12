//! The languages Capitole publishes in, and which one a reader gets. Items are written in
//! the city's language (the first of the configured list, `fr` in Toulouse); editors add
//! translations in the others. A reader asks with `Accept-Language` (RFC 9110, quality
//! values honoured) or a field's `language:` argument; each text falls back along one chain:
//! the language asked, then the city's, then any other that has it.

use std::fmt;

/// A language, as its ISO 639 code: two or three lowercase letters (`fr`, `en`, `oc`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(String);

impl Language {
    /// Reads a code, any case, with or without a region (`en-GB` is `en`).
    pub fn parse(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default();
        ((2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| Self(primary.to_ascii_lowercase()))
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The languages a city publishes in, its own first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Languages(Vec<Language>);

impl Default for Languages {
    /// Toulouse's: French, then English, Spanish and Occitan.
    fn default() -> Self {
        Self::parse("fr,en,es,oc").unwrap_or_else(|_| Self(Vec::new()))
    }
}

impl Languages {
    /// The most languages configured.
    pub const MAX: usize = 20;

    /// Reads a comma-separated list of codes, the city's language first.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut languages: Vec<Language> = Vec::new();
        for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let language = Language::parse(code)
                .filter(|l| l.code().len() == code.len())
                .ok_or_else(|| format!("{code:?} is not a language code such as fr or en"))?;
            if languages.contains(&language) {
                return Err(format!("{code} is listed twice"));
            }
            languages.push(language);
        }
        if languages.is_empty() {
            return Err("at least one language is needed, the city's first".to_owned());
        }
        if languages.len() > Self::MAX {
            return Err(format!("at most {} languages", Self::MAX));
        }
        Ok(Self(languages))
    }

    /// The city's language, in which items are written.
    pub fn city(&self) -> &Language {
        &self.0[0]
    }

    /// Every language, the city's first.
    pub fn all(&self) -> &[Language] {
        &self.0
    }

    /// The language of `code`, when it is one of these.
    pub fn find(&self, code: &str) -> Option<&Language> {
        let wanted = Language::parse(code)?;
        self.0.iter().find(|l| **l == wanted)
    }

    /// The language of `code`, or why it is refused: it is not one of these.
    pub fn require(&self, code: &str) -> Result<&Language, String> {
        self.find(code).ok_or_else(|| {
            let known: Vec<&str> = self.0.iter().map(Language::code).collect();
            format!(
                "`language` {code:?} is not published here; use one of {}",
                known.join(", ")
            )
        })
    }

    /// The language an `Accept-Language` header asks for among these: the one of highest
    /// quality (the earliest among equals), `*` standing for the city's; the city's when
    /// the header names none of these or cannot be read.
    pub fn negotiate(&self, accept_language: Option<&str>) -> &Language {
        let Some(header) = accept_language else {
            return self.city();
        };
        let mut best: Option<(u16, &Language)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), quality);
            let Some(quality) = quality.filter(|q| *q > 0) else {
                continue;
            };
            let language = if tag == "*" {
                Some(self.city())
            } else {
                self.find(tag)
            };
            if let Some(language) = language
                && best.is_none_or(|(q, _)| quality > q)
            {
                best = Some((quality, language));
            }
        }
        best.map_or_else(|| self.city(), |(_, language)| language)
    }
}

/// A quality value (`0.8`) in thousandths; `None` when it cannot be read.
fn quality(text: &str) -> Option<u16> {
    let value: f64 = text.trim().parse().ok()?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked to be within 0 and 1 first"
    )]
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn toulouse() -> Languages {
        Languages::default()
    }

    #[test]
    fn quality_values_decide_and_regions_are_ignored() {
        let l = toulouse();
        assert_eq!(l.negotiate(Some("en-GB,en;q=0.9,fr;q=0.8")).code(), "en");
        assert_eq!(l.negotiate(Some("de-DE, es;q=0.7, en;q=0.5")).code(), "es");
        assert_eq!(l.negotiate(Some("en;q=0.5, oc;q=0.9")).code(), "oc");
        assert_eq!(l.negotiate(Some("es;q=0.8, en;q=0.8")).code(), "es");
    }

    #[test]
    fn the_city_language_when_nothing_named_is_published() {
        let l = toulouse();
        assert_eq!(l.negotiate(None).code(), "fr");
        assert_eq!(l.negotiate(Some("de, ja;q=0.5")).code(), "fr");
        assert_eq!(l.negotiate(Some("*")).code(), "fr");
        assert_eq!(l.negotiate(Some("en;q=0, *;q=0.1")).code(), "fr");
        assert_eq!(l.negotiate(Some(";;;q=abc,,")).code(), "fr");
        assert_eq!(l.negotiate(Some("en;q=2")).code(), "fr");
    }

    #[test]
    fn a_list_names_real_codes_once() {
        assert_eq!(Languages::parse("fr, en").unwrap().city().code(), "fr");
        assert!(Languages::parse("").is_err());
        assert!(Languages::parse("fr,fr").is_err());
        assert!(Languages::parse("fr,english").is_err());
        assert!(Languages::parse("fr,en-GB").is_err());
        assert_eq!(Language::parse("EN-us").unwrap().code(), "en");
    }
}
