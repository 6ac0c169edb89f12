//! News articles: their publication status and who may read them.

use chrono::{DateTime, Utc};

use crate::coded_enum;

coded_enum! {
    /// Where an article stands in its publication.
    pub enum ArticleStatus {
        /// Being written; only its editors see it.
        Draft = "DRAFT",
        /// To be published at its `publishedAt`; only its editors see it until then.
        Scheduled = "SCHEDULED",
        /// Public.
        Published = "PUBLISHED",
        /// Public but out of date; kept for the record.
        Archived = "ARCHIVED",
    }
}

impl ArticleStatus {
    /// Whether anyone, signed in or not, may read an article in this status published at
    /// `published_at`, at instant `now`.
    pub fn is_public(self, published_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        matches!(self, ArticleStatus::Published | ArticleStatus::Archived)
            && published_at.is_some_and(|at| at <= now)
    }
}

coded_enum! {
    /// Kinds of media attached to an article.
    pub enum MediaKind {
        /// A photograph or illustration.
        Image = "IMAGE",
        /// A video (Dailymotion, YouTube).
        Video = "VIDEO",
        /// A photo album (Flickr).
        Album = "ALBUM",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn only_published_and_archived_articles_already_out_are_public() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single();
        let Some(now) = now else { panic!("valid date") };
        let earlier = Some(now - chrono::Duration::hours(1));
        let later = Some(now + chrono::Duration::hours(1));
        assert!(ArticleStatus::Published.is_public(earlier, now));
        assert!(ArticleStatus::Archived.is_public(earlier, now));
        assert!(!ArticleStatus::Published.is_public(later, now));
        assert!(!ArticleStatus::Published.is_public(None, now));
        assert!(!ArticleStatus::Draft.is_public(earlier, now));
        assert!(!ArticleStatus::Scheduled.is_public(earlier, now));
    }
}
