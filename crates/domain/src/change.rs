//! The change log's vocabulary: which kind of item changed and what happened to it. Every
//! write that changes what a reader sees appends one entry in the same transaction; offline
//! copies, feeds and caches follow the log instead of reading every item again.

use chrono::{DateTime, Duration, Utc};

/// How long the change log keeps its entries by default: a reader that comes back later
/// than that reads everything again.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// How long the log keeps entries, and so how old a reader's position may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(Duration);

impl Retention {
    /// A retention of `days` days (at least one).
    pub fn days(days: u32) -> Self {
        Retention(Duration::days(i64::from(days.max(1))))
    }

    /// Whether a position written at `at` is too old to resume from at `now`.
    pub fn expired(self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        at < now - self.0
    }

    /// Entries written before this instant may be deleted at `now`: an hour later than
    /// what readers are told has expired, so that no reader with a valid position finds an
    /// entry gone (a write's time and its place in the log differ by at most the length
    /// of its transaction).
    pub fn compact_before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.0 - Duration::hours(1)
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention::days(DEFAULT_RETENTION_DAYS)
    }
}

/// The kinds of items the change log follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A news article.
    Article,
    /// An event (with its dates).
    Event,
    /// A place.
    Place,
    /// A tip left at a place.
    Tip,
    /// A publisher: its profile and social accounts.
    Organization,
}

impl ItemKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Article,
        ItemKind::Event,
        ItemKind::Place,
        ItemKind::Tip,
        ItemKind::Organization,
    ];

    /// The stored code (also the kind's name in the audit log and slug history).
    pub fn code(self) -> &'static str {
        match self {
            ItemKind::Article => "ARTICLE",
            ItemKind::Event => "EVENT",
            ItemKind::Place => "PLACE",
            ItemKind::Tip => "TIP",
            ItemKind::Organization => "ORGANIZATION",
        }
    }

    /// The kind of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// It was made.
    Created,
    /// Its content changed.
    Updated,
    /// It became public.
    Published,
    /// It stopped being public (unpublished or archived).
    Unpublished,
    /// It was cancelled (it stays readable, with its status).
    Cancelled,
    /// A moderator hid it.
    Hidden,
    /// It is gone.
    Deleted,
    /// Someone liked it (tips): its like count changed.
    Liked,
}

impl ChangeKind {
    /// Every change, in the order the log's documentation lists them.
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::Created,
        ChangeKind::Updated,
        ChangeKind::Published,
        ChangeKind::Unpublished,
        ChangeKind::Cancelled,
        ChangeKind::Hidden,
        ChangeKind::Deleted,
        ChangeKind::Liked,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ChangeKind::Created => "CREATED",
            ChangeKind::Updated => "UPDATED",
            ChangeKind::Published => "PUBLISHED",
            ChangeKind::Unpublished => "UNPUBLISHED",
            ChangeKind::Cancelled => "CANCELLED",
            ChangeKind::Hidden => "HIDDEN",
            ChangeKind::Deleted => "DELETED",
            ChangeKind::Liked => "LIKED",
        }
    }

    /// The change of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether the item is gone from public view after this change, so that an offline
    /// copy drops it.
    pub fn removes(self) -> bool {
        matches!(
            self,
            ChangeKind::Unpublished | ChangeKind::Hidden | ChangeKind::Deleted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_expires_after_the_retention_and_entries_go_an_hour_later() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let retention = Retention::days(30);
        assert!(!retention.expired(now - Duration::days(30), now));
        assert!(retention.expired(now - Duration::days(30) - Duration::seconds(1), now));
        assert_eq!(
            retention.compact_before(now),
            now - Duration::days(30) - Duration::hours(1)
        );
        assert_eq!(Retention::days(0), Retention::days(1));
        assert_eq!(
            Retention::default(),
            Retention::days(DEFAULT_RETENTION_DAYS)
        );
    }

    #[test]
    fn codes_read_back_as_what_they_were_written_from() {
        for kind in ItemKind::ALL {
            assert_eq!(ItemKind::from_code(kind.code()), Some(kind));
        }
        for change in ChangeKind::ALL {
            assert_eq!(ChangeKind::from_code(change.code()), Some(change));
        }
        assert_eq!(ItemKind::from_code("USER"), None);
        assert_eq!(ChangeKind::from_code("created"), None);
    }
}
