//! Small values with rules shared by every part of the city: slugs and audiences.

use std::fmt;

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// The slug was empty.
    #[error("a slug cannot be empty")]
    Empty,
    /// The slug was longer than [`Slug::MAX_LEN`].
    #[error("a slug has at most {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The slug had a character other than a–z, 0–9 and single inner hyphens.
    #[error("a slug uses only a-z, 0-9 and single hyphens between them")]
    Malformed,
}

/// A human identifier in URLs: lowercase ASCII letters and digits joined by single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted.
    pub const MAX_LEN: usize = 120;

    /// Checks a slug as given by a client or a data file.
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong { max: Self::MAX_LEN });
        }
        let well_formed = raw.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SlugError::Malformed)
        }
    }

    /// Makes a slug from free text ("Fête de la Musique !" → "fete-de-la-musique").
    pub fn from_title(title: &str) -> Self {
        let folded = crate::text::fold(title);
        let mut slug = String::with_capacity(folded.len());
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug = slug.trim_end_matches('-').to_owned();
        if slug.len() > Self::MAX_LEN {
            slug.truncate(Self::MAX_LEN);
            slug = slug.trim_end_matches('-').to_owned();
        }
        if slug.is_empty() {
            slug.push_str("item");
        }
        Self(slug)
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares an enum whose variants have stable upper-case codes, stored in the database and
/// exchanged with clients, with `ALL`, `code()` and `from_code()`.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable code stored and exchanged.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// Reads a stored code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// Stores a type declared with [`coded_enum!`] as its code (`"VIDEO"`) in JSON and any other
/// serde format, refusing unknown codes when reading.
#[macro_export]
macro_rules! coded_serde {
    ($name:ident) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let code = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::from_code(&code).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::custom(format!(
                        "unknown {} code {code:?}",
                        stringify!($name)
                    ))
                })
            }
        }
    };
}

coded_enum! {
    /// Who a piece of news or an event is meant for.
    pub enum Audience {
        /// Everybody.
        Everyone = "EVERYONE",
        /// Children and teenagers.
        Youth = "YOUTH",
        /// Students.
        Students = "STUDENTS",
        /// Working people from about 20 to 40.
        YoungProfessionals = "YOUNG_PROFESSIONALS",
        /// Parents with children.
        Families = "FAMILIES",
        /// Older people.
        Seniors = "SENIORS",
        /// Visitors to the city.
        Tourists = "TOURISTS",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_slug_is_lowercase_words_joined_by_single_hyphens() {
        assert!(Slug::parse("marche-victor-hugo").is_ok());
        assert!(Slug::parse("place-2").is_ok());
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert_eq!(Slug::parse("Marche"), Err(SlugError::Malformed));
        assert_eq!(Slug::parse("a--b"), Err(SlugError::Malformed));
        assert_eq!(Slug::parse("-a"), Err(SlugError::Malformed));
        assert_eq!(Slug::parse("a-"), Err(SlugError::Malformed));
        assert_eq!(Slug::parse("é"), Err(SlugError::Malformed));
        assert!(matches!(
            Slug::parse(&"a".repeat(121)),
            Err(SlugError::TooLong { .. })
        ));
    }

    #[test]
    fn a_slug_made_from_a_title_folds_accents_and_punctuation() {
        assert_eq!(
            Slug::from_title("Fête de la Musique !").as_str(),
            "fete-de-la-musique"
        );
        assert_eq!(
            Slug::from_title("  Marché de Noël — 2026 ").as_str(),
            "marche-de-noel-2026"
        );
        assert_eq!(Slug::from_title("!!!").as_str(), "item");
        assert!(Slug::parse(Slug::from_title(&"très long ".repeat(40)).as_str()).is_ok());
    }

    #[test]
    fn audience_codes_round_trip() {
        for &audience in Audience::ALL {
            assert_eq!(Audience::from_code(audience.code()), Some(audience));
        }
        assert_eq!(Audience::from_code("ALIENS"), None);
    }
}
