//! News articles: their publication status, who may read them, the steps of the editorial
//! workflow between statuses, and what the change log records when an article moves.

use chrono::{DateTime, Duration, Utc};

use crate::change::ChangeKind;
use crate::coded_enum;
use crate::editorial::FieldErrors;

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

coded_enum! {
    /// How a news list is ordered.
    pub enum NewsOrder {
        /// Most recently published first.
        Date = "DATE",
        /// Best answer to the list's search first.
        Relevance = "RELEVANCE",
    }
}

/// Where an article stands: its status, when it is (or is to be) published, and when its
/// editors asked for a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// Its status.
    pub status: ArticleStatus,
    /// When it was, or is to be, published.
    pub published_at: Option<DateTime<Utc>>,
    /// When a review was asked for, until it is published.
    pub review_requested_at: Option<DateTime<Utc>>,
}

impl Publication {
    /// A new article: a draft, never published, no review asked for.
    pub const DRAFT: Publication = Publication {
        status: ArticleStatus::Draft,
        published_at: None,
        review_requested_at: None,
    };

    /// Whether anyone may read the article at `now`.
    pub fn is_public(&self, now: DateTime<Utc>) -> bool {
        self.status.is_public(self.published_at, now)
    }

    /// What the change log records for a write that takes an article from `self` to
    /// `after` at `now`, and whether the public may read the entry: `PUBLISHED` when it
    /// becomes public, `UNPUBLISHED` when it stops being public (both public entries, so
    /// that offline copies take it in or drop it), `UPDATED` otherwise, public if the
    /// article is. Archived articles stay public, so archiving one is an update.
    pub fn change_to(&self, after: &Publication, now: DateTime<Utc>) -> (ChangeKind, bool) {
        match (self.is_public(now), after.is_public(now)) {
            (false, true) => (ChangeKind::Published, true),
            (true, false) => (ChangeKind::Unpublished, true),
            (public, _) => (ChangeKind::Updated, public),
        }
    }
}

/// When a scheduled article is to be published: after now, within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishAt(DateTime<Utc>);

impl PublishAt {
    /// How far ahead an article may be scheduled, in days.
    pub const MAX_DAYS_AHEAD: i64 = 366;

    /// Checks the time an editor asks an article to be published at, the request being
    /// made at `now`; a failure names the `publishAt` field.
    pub fn parse(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if at <= now {
            errors.add(
                "publishAt",
                "must be in the future; use publishArticle to publish now",
            );
        } else if at > now + Duration::days(Self::MAX_DAYS_AHEAD) {
            errors.add("publishAt", "must be within a year");
        }
        errors.into_result(Self(at))
    }

    /// The instant.
    pub fn at(self) -> DateTime<Utc> {
        self.0
    }
}

/// A step of the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Ask for a review (a draft stays a draft, marked for review).
    SubmitForReview,
    /// Publish now.
    Publish,
    /// Publish later, at the given time.
    Schedule(PublishAt),
    /// Back to draft: no longer public, no longer scheduled.
    Unpublish,
    /// Keep a published article for the record.
    Archive,
}

impl Transition {
    /// The status an article goes to, or why it cannot from `from`.
    pub fn status_from(self, from: ArticleStatus) -> Result<ArticleStatus, String> {
        use ArticleStatus::{Archived, Draft, Published, Scheduled};
        let to = match (self, from) {
            (Transition::SubmitForReview, Draft) => Draft,
            (Transition::Publish, Draft | Scheduled | Archived) => Published,
            (Transition::Schedule(_), Draft | Scheduled) => Scheduled,
            (Transition::Unpublish, Published | Scheduled | Archived) => Draft,
            (Transition::Archive, Published) => Archived,
            (transition, from) => {
                return Err(format!(
                    "a {} article cannot be {}",
                    from.code(),
                    transition.past_tense()
                ));
            }
        };
        Ok(to)
    }

    /// Where an article standing at `from` stands after this step taken at `now`, or why
    /// it cannot take it. A re-published archive keeps its publication date; anything else
    /// published is published now.
    pub fn apply(self, from: &Publication, now: DateTime<Utc>) -> Result<Publication, String> {
        let mut to = Publication {
            status: self.status_from(from.status)?,
            ..*from
        };
        match self {
            Transition::SubmitForReview => to.review_requested_at = Some(now),
            Transition::Publish => {
                if from.status != ArticleStatus::Archived || from.published_at.is_none() {
                    to.published_at = Some(now);
                }
                to.review_requested_at = None;
            }
            Transition::Schedule(at) => to.published_at = Some(at.at()),
            Transition::Unpublish => to.published_at = None,
            Transition::Archive => {}
        }
        Ok(to)
    }

    fn past_tense(self) -> &'static str {
        match self {
            Transition::SubmitForReview => "submitted for review (only drafts are)",
            Transition::Publish => "published again",
            Transition::Schedule(_) => "scheduled (only drafts and scheduled articles are)",
            Transition::Unpublish => "unpublished (it is not public)",
            Transition::Archive => "archived (only published articles are)",
        }
    }

    /// The audit log's name of this step.
    pub fn action(self) -> crate::audit::AuditAction {
        use crate::audit::AuditAction;
        match self {
            Transition::SubmitForReview => AuditAction::SubmitForReview,
            Transition::Publish => AuditAction::Publish,
            Transition::Schedule(_) => AuditAction::Schedule,
            Transition::Unpublish => AuditAction::Unpublish,
            Transition::Archive => AuditAction::Archive,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn standing(status: ArticleStatus, published_at: Option<DateTime<Utc>>) -> Publication {
        Publication {
            status,
            published_at,
            review_requested_at: None,
        }
    }

    #[test]
    fn only_published_and_archived_articles_already_out_are_public() {
        let now = now();
        let earlier = Some(now - Duration::hours(1));
        let later = Some(now + Duration::hours(1));
        assert!(ArticleStatus::Published.is_public(earlier, now));
        assert!(ArticleStatus::Archived.is_public(earlier, now));
        assert!(!ArticleStatus::Published.is_public(later, now));
        assert!(!ArticleStatus::Published.is_public(None, now));
        assert!(!ArticleStatus::Draft.is_public(earlier, now));
        assert!(!ArticleStatus::Scheduled.is_public(earlier, now));
    }

    #[test]
    fn articles_move_only_along_the_workflow() {
        use ArticleStatus::*;
        let at = PublishAt::parse(now() + Duration::days(1), now()).unwrap();
        assert_eq!(Transition::Publish.status_from(Draft), Ok(Published));
        assert_eq!(Transition::Schedule(at).status_from(Draft), Ok(Scheduled));
        assert_eq!(Transition::Unpublish.status_from(Published), Ok(Draft));
        assert_eq!(Transition::Archive.status_from(Published), Ok(Archived));
        assert_eq!(Transition::SubmitForReview.status_from(Draft), Ok(Draft));
        assert!(
            Transition::Archive
                .status_from(Draft)
                .unwrap_err()
                .contains("DRAFT")
        );
        assert!(Transition::Publish.status_from(Published).is_err());
        assert!(Transition::Schedule(at).status_from(Published).is_err());
        assert!(Transition::Unpublish.status_from(Draft).is_err());
    }

    #[test]
    fn each_step_sets_the_publication_date_and_the_review_request() {
        let now = now();
        let reviewed = Transition::SubmitForReview
            .apply(&Publication::DRAFT, now)
            .unwrap();
        assert_eq!(reviewed.review_requested_at, Some(now));
        let published = Transition::Publish.apply(&reviewed, now).unwrap();
        assert_eq!(
            published,
            standing(ArticleStatus::Published, Some(now)),
            "published now, review done"
        );
        let old = now - Duration::days(30);
        let archive = standing(ArticleStatus::Archived, Some(old));
        assert_eq!(
            Transition::Publish
                .apply(&archive, now)
                .unwrap()
                .published_at,
            Some(old),
            "a re-published archive keeps its date"
        );
        let at = PublishAt::parse(now + Duration::hours(2), now).unwrap();
        let scheduled = Transition::Schedule(at)
            .apply(&Publication::DRAFT, now)
            .unwrap();
        assert_eq!(scheduled.published_at, Some(at.at()));
        let unpublished = Transition::Unpublish.apply(&published, now).unwrap();
        assert_eq!(unpublished, standing(ArticleStatus::Draft, None));
    }

    #[test]
    fn an_article_is_scheduled_after_now_and_within_a_year() {
        let now = now();
        for (at, message) in [
            (now, "must be in the future"),
            (now - Duration::days(1), "must be in the future"),
            (now + Duration::days(367), "within a year"),
        ] {
            let errors = PublishAt::parse(at, now).unwrap_err();
            assert_eq!(errors.fields()[0].field, "publishAt");
            assert!(errors.fields()[0].message.contains(message), "{at}");
        }
        assert!(PublishAt::parse(now + Duration::days(366), now).is_ok());
    }

    #[test]
    fn the_change_log_hears_when_an_article_comes_out_and_goes_back() {
        let now = now();
        let public = standing(ArticleStatus::Published, Some(now));
        let archived = standing(ArticleStatus::Archived, Some(now));
        let scheduled = standing(ArticleStatus::Scheduled, Some(now + Duration::hours(1)));
        let draft = Publication::DRAFT;
        assert_eq!(draft.change_to(&public, now), (ChangeKind::Published, true));
        assert_eq!(
            public.change_to(&draft, now),
            (ChangeKind::Unpublished, true)
        );
        assert_eq!(
            public.change_to(&archived, now),
            (ChangeKind::Updated, true)
        );
        assert_eq!(
            archived.change_to(&public, now),
            (ChangeKind::Updated, true)
        );
        assert_eq!(
            draft.change_to(&scheduled, now),
            (ChangeKind::Updated, false)
        );
        assert_eq!(draft.change_to(&draft, now), (ChangeKind::Updated, false));
    }
}
