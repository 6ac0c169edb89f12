//! What residents add to places, Foursquare-style: check-ins, tips, likes and dislikes,
//! saves and "going", and the public figures drawn from them (rating, mayor, trending).
//!
//! Every figure of these rules is defined once, below; the limits, refusals and messages
//! that state one ([`rules`]) and the typed values built from what residents write
//! ([`drafts`]) derive it from here.

pub mod drafts;
pub mod rules;

use chrono::Duration;

use crate::coded_enum;

pub use drafts::{
    CheckInDraft, CheckInMessage, IdempotencyKey, PrivacyChoices, ReportReason, TipDraft,
    TipReport, TipText,
};
pub use rules::{DailyLimit, Refusal, in_words, next_check_in_at, rating};

/// The shortest time between two check-ins of one person at one place.
pub const CHECK_IN_COOLDOWN: Duration = Duration::minutes(30);
/// Check-ins one person may make in a day, all places together.
pub const CHECK_INS_A_DAY: DailyLimit = DailyLimit {
    per_day: 50,
    what: "check-ins",
    then: "try again tomorrow",
};
/// Tips one person may leave in a day.
pub const TIPS_A_DAY: DailyLimit = DailyLimit {
    per_day: 20,
    what: "tips",
    then: "try again tomorrow",
};
/// Tips one person may report in a day.
pub const REPORTS_A_DAY: DailyLimit = DailyLimit {
    per_day: 20,
    what: "reports",
    then: "the moderators have been told already",
};
/// How far back a daily limit counts: the last 24 hours, not the calendar day, so that a
/// limit cannot be doubled around midnight.
pub const LIMIT_WINDOW: Duration = Duration::days(1);
/// The longest check-in message, in characters.
pub const CHECK_IN_MESSAGE_MAX: usize = 140;
/// The shortest tip, in characters.
pub const TIP_MIN: usize = 1;
/// The longest tip, in characters.
pub const TIP_MAX: usize = 500;
/// The longest report reason, in characters.
pub const REPORT_REASON_MAX: usize = 300;
/// The longest idempotency key, in bytes.
pub const IDEMPOTENCY_KEY_MAX: usize = 100;
/// The votes a place needs before it shows a rating.
pub const RATING_MIN_VOTES: u64 = 5;
/// How far back the mayor is counted.
pub const MAYOR_WINDOW: Duration = Duration::days(60);
/// How far back "trending" counts check-ins.
pub const TRENDING_WINDOW: Duration = Duration::hours(3);
/// How long a check-in counts as "here now".
pub const HERE_NOW_WINDOW: Duration = Duration::hours(3);

coded_enum! {
    /// What a person thinks of a place.
    pub enum Vote {
        /// They like it.
        Like = "LIKE",
        /// They do not.
        Dislike = "DISLIKE",
    }
}

coded_enum! {
    /// What a person may save to their lists.
    pub enum SavedKind {
        /// A place.
        Place = "PLACE",
        /// An event.
        Event = "EVENT",
        /// A news article.
        Article = "ARTICLE",
    }
}

coded_enum! {
    /// What a moderator does to a tip; the code is the audit log's action.
    pub enum Moderation {
        /// Hide it from every public path.
        Hide = "HIDE",
        /// Show a hidden tip again.
        Restore = "RESTORE",
    }
}

impl Moderation {
    /// Whether the tip is hidden once this is done.
    pub fn hides(self) -> bool {
        self == Moderation::Hide
    }

    /// The audit log's action of this moderation.
    pub fn action(self) -> crate::audit::AuditAction {
        match self {
            Moderation::Hide => crate::audit::AuditAction::Hide,
            Moderation::Restore => crate::audit::AuditAction::Restore,
        }
    }
}
