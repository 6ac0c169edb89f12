//! The rules of editing the agenda that events and places share: which contacts are
//! acceptable, how an item synchronised from a publisher's system is named, when a place is
//! closed, and how the names a form uses (categories, neighbourhoods, organizations,
//! venues) are resolved. When events take place is [`crate::schedule`].

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::Email;
use crate::article_draft::MAX_PUBLISHERS;
use crate::coded_enum;
use crate::editorial::{FieldErrors, check_count, limits};
use crate::event::CategoryKind;

coded_enum! {
    /// Whether a place receives visitors.
    pub enum PlaceClosure {
        /// Open as its hours say.
        Open = "OPEN",
        /// Closed for a while (works, strike, event); `closedUntil` says until when, if known.
        TemporarilyClosed = "TEMPORARILY_CLOSED",
        /// Closed for good.
        PermanentlyClosed = "PERMANENTLY_CLOSED",
    }
}

impl PlaceClosure {
    /// Whether a place with this closure is closed at `at`; a temporary closure ends at
    /// `until`, when it has an end.
    pub fn is_closed_at(self, until: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
        match self {
            PlaceClosure::Open => false,
            PlaceClosure::PermanentlyClosed => true,
            PlaceClosure::TemporarilyClosed => until.is_none_or(|until| at < until),
        }
    }
}

/// Checks a telephone number: 3 to 30 characters, digits and `+ ( ) . -` and spaces.
pub fn check_phone(errors: &mut FieldErrors, field: &str, phone: &str) -> String {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if phone.chars().count() > 30
        || digits < 3
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '.' | '-' | ' '))
    {
        errors.add(
            field,
            "a telephone number has 3 to 30 characters: digits, spaces and + ( ) . -",
        );
    }
    phone.to_owned()
}

/// Checks an email address by the rule of [`Email::parse`], and gives it as stored
/// (trimmed, lowercase).
pub fn check_email(errors: &mut FieldErrors, field: &str, email: &str) -> String {
    match Email::parse(email) {
        Ok(email) => email.as_str().to_owned(),
        Err(error) => {
            errors.add(field, error.to_string());
            email.trim().to_lowercase()
        }
    }
}

/// Checks the name of a publisher's system (`openagenda-toulouse`): 1 to 60 characters,
/// lowercase letters, digits and `-`.
pub fn check_source(errors: &mut FieldErrors, field: &str, source: &str) -> String {
    let source = source.trim();
    if source.is_empty()
        || source.len() > 60
        || !source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.add(
            field,
            "a source has 1 to 60 characters: lowercase letters, digits and -",
        );
    }
    source.to_owned()
}

/// Checks an item's id in a publisher's system: 1 to 200 characters on one line.
pub fn check_external_id(errors: &mut FieldErrors, field: &str, id: &str) -> String {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
        errors.add(
            field,
            "an external id has 1 to 200 characters without control characters",
        );
    }
    id.to_owned()
}

/// The item a publisher's own system knows as `external_id`: such items are created or
/// updated by (source, external id), without a version, that system being their reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalKey {
    source: String,
    external_id: String,
}

impl ExternalKey {
    /// Checks a source (field `source`) and an id in it (field `externalId`).
    pub fn parse(source: &str, external_id: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let source = check_source(&mut errors, "source", source);
        let external_id = check_external_id(&mut errors, "externalId", external_id);
        errors.into_result(Self {
            source,
            external_id,
        })
    }

    /// The publisher's system, such as `openagenda-toulouse`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The item's id in that system.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }
}

/// The names forms use for other items of the city, gathered so that one look-up in the
/// catalog answers them all (one form's, or a whole import's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Category slugs, with the tree each is looked for in.
    pub categories: BTreeSet<(CategoryKind, String)>,
    /// Neighbourhood slugs.
    pub neighborhoods: BTreeSet<String>,
    /// Organization slugs.
    pub organizations: BTreeSet<String>,
    /// Place ids (venues).
    pub places: BTreeSet<Uuid>,
}

impl Names {
    /// Adds the category slugs of a list that stays within its limit (a longer list is
    /// refused without looking anything up).
    pub(crate) fn add_categories(&mut self, kind: CategoryKind, slugs: &[String]) {
        if slugs.len() <= limits::LINKS {
            self.categories
                .extend(slugs.iter().map(|s| (kind, s.trim().to_owned())));
        }
    }

    /// Adds the neighbourhood slugs of a list that stays within its limit.
    pub(crate) fn add_neighborhoods(&mut self, slugs: &[String]) {
        if slugs.len() <= limits::LINKS {
            self.neighborhoods
                .extend(slugs.iter().map(|s| s.trim().to_owned()));
        }
    }

    /// Adds a neighbourhood slug, if any.
    pub(crate) fn add_neighborhood(&mut self, slug: Option<&str>) {
        self.neighborhoods.extend(slug.map(|s| s.trim().to_owned()));
    }

    /// Adds the organization slugs of a list of publishers that stays within its limit.
    pub(crate) fn add_organizations(&mut self, slugs: Option<&[String]>) {
        if let Some(slugs) = slugs.filter(|s| s.len() <= MAX_PUBLISHERS) {
            self.organizations
                .extend(slugs.iter().map(|s| s.trim().to_owned()));
        }
    }
}

/// Who publishes an item whose form names no publisher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DefaultPublisher {
    /// These organizations: the ones the editor edits for (as for articles), or the one an
    /// import is for.
    Organizations(Vec<Uuid>),
    /// None, and a place may stay without publishers (administrators and operators make
    /// such places); an event must still name at least one.
    Unowned,
    /// None: the form must name one.
    #[default]
    Unknown,
}

/// What the names of forms refer to, as the catalog answered, and who publishes what a form
/// does not say. Parsing a form resolves its names here.
#[derive(Debug, Clone, Default)]
pub struct References {
    /// Categories by tree and slug.
    pub categories: HashMap<(CategoryKind, String), Uuid>,
    /// Neighbourhoods by slug.
    pub neighborhoods: HashMap<String, Uuid>,
    /// Organizations by slug.
    pub organizations: HashMap<String, Uuid>,
    /// The places that exist among those named.
    pub places: HashSet<Uuid>,
    /// The publisher of what a form does not say.
    pub publisher: DefaultPublisher,
}

/// Up to 60 characters of a name, to quote it in a message.
fn quoted(name: &str) -> String {
    name.chars().take(60).collect()
}

impl References {
    /// The categories of `slugs` in the tree `kind`, in order and once each (field
    /// `categories`, `categories[i]` for an unknown one).
    pub(crate) fn categories(
        &self,
        errors: &mut FieldErrors,
        kind: CategoryKind,
        slugs: &[String],
    ) -> Vec<Uuid> {
        if !check_count(errors, "categories", slugs.len(), limits::LINKS) {
            return Vec::new();
        }
        let mut ids = Vec::new();
        for (i, slug) in slugs.iter().enumerate() {
            match self.categories.get(&(kind, slug.trim().to_owned())) {
                Some(id) if !ids.contains(id) => ids.push(*id),
                Some(_) => {}
                None => errors.add(
                    format!("categories[{i}]"),
                    format!(
                        "unknown {} category `{}`",
                        kind.code().to_lowercase(),
                        quoted(slug)
                    ),
                ),
            }
        }
        ids
    }

    /// The neighbourhood of `slug`, noted as `field` when unknown.
    pub(crate) fn neighborhood(
        &self,
        errors: &mut FieldErrors,
        field: &str,
        slug: &str,
    ) -> Option<Uuid> {
        let found = self.neighborhoods.get(slug.trim()).copied();
        if found.is_none() {
            errors.add(field, format!("unknown neighbourhood `{}`", quoted(slug)));
        }
        found
    }

    /// The neighbourhoods of `slugs`, once each, in id order (field `neighborhoods`).
    pub(crate) fn neighborhood_list(
        &self,
        errors: &mut FieldErrors,
        slugs: &[String],
    ) -> Vec<Uuid> {
        if !check_count(errors, "neighborhoods", slugs.len(), limits::LINKS) {
            return Vec::new();
        }
        let mut ids = Vec::new();
        for (i, slug) in slugs.iter().enumerate() {
            if let Some(id) = self.neighborhood(errors, &format!("neighborhoods[{i}]"), slug)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids
    }

    /// The publishers of `slugs`, in order and once each (field `publishers`,
    /// `publishers[i]` for an unknown one).
    pub(crate) fn publishers(&self, errors: &mut FieldErrors, slugs: &[String]) -> Vec<Uuid> {
        if !check_count(errors, "publishers", slugs.len(), MAX_PUBLISHERS) {
            return Vec::new();
        }
        let mut ids = Vec::new();
        for (i, slug) in slugs.iter().enumerate() {
            match self.organizations.get(slug.trim()) {
                Some(id) if !ids.contains(id) => ids.push(*id),
                Some(_) => {}
                None => errors.add(
                    format!("publishers[{i}]"),
                    format!("unknown organization `{}`", quoted(slug)),
                ),
            }
        }
        ids
    }

    /// A venue, noted when no place has its id.
    pub(crate) fn venue(&self, errors: &mut FieldErrors, id: Uuid) -> Uuid {
        if !self.places.contains(&id) {
            errors.add("venue", "no place has this id");
        }
        id
    }
}

/// Checks an optional telephone number; empty counts as absent.
pub(crate) fn optional_phone(
    errors: &mut FieldErrors,
    field: &str,
    phone: Option<&str>,
) -> Option<String> {
    let phone = phone.filter(|p| !p.trim().is_empty())?;
    Some(check_phone(errors, field, phone))
}

/// Checks an optional email address; empty counts as absent.
pub(crate) fn optional_email(
    errors: &mut FieldErrors,
    field: &str,
    email: Option<&str>,
) -> Option<String> {
    let email = email.filter(|e| !e.trim().is_empty())?;
    Some(check_email(errors, field, email))
}

/// The set of `values` when the list has at most one of each possible value (field
/// `field`); `None` when it is longer.
pub(crate) fn set_of<T: Ord + Copy>(
    errors: &mut FieldErrors,
    field: &str,
    values: &[T],
    all: &[T],
) -> Option<BTreeSet<T>> {
    check_count(errors, field, values.len(), all.len()).then(|| values.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn closures_end_when_they_say() {
        let now = utc("2026-05-01T10:00:00Z");
        assert!(!PlaceClosure::Open.is_closed_at(None, now));
        assert!(PlaceClosure::PermanentlyClosed.is_closed_at(None, now));
        assert!(PlaceClosure::TemporarilyClosed.is_closed_at(None, now));
        assert!(
            PlaceClosure::TemporarilyClosed.is_closed_at(Some(utc("2026-05-02T00:00:00Z")), now)
        );
        assert!(
            !PlaceClosure::TemporarilyClosed.is_closed_at(Some(utc("2026-04-30T00:00:00Z")), now)
        );
    }

    #[test]
    fn contacts_and_sources_are_checked() {
        let mut errors = FieldErrors::default();
        check_phone(&mut errors, "p", "+33 5 61 22 29 22");
        check_email(&mut errors, "e", "Agenda@Toulouse.fr");
        check_source(&mut errors, "s", "openagenda-toulouse");
        check_external_id(&mut errors, "x", "42-a");
        assert!(errors.is_empty(), "{errors}");
        check_phone(&mut errors, "p", "call me");
        check_email(&mut errors, "e", "nobody");
        check_source(&mut errors, "s", "Open Agenda");
        check_external_id(&mut errors, "x", "a\u{0}b");
        assert_eq!(errors.fields().len(), 4);
    }
}
