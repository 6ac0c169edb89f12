//! What residents add to places, Foursquare-style: check-ins, tips, likes and dislikes,
//! and the public figures drawn from them (rating, mayor, trending).

use chrono::Duration;

use crate::coded_enum;
use crate::editorial::{FieldErrors, Lines, check_text};

/// The shortest time between two check-ins of one person at one place.
pub const CHECK_IN_COOLDOWN: Duration = Duration::minutes(30);
/// The longest check-in message, in characters.
pub const CHECK_IN_MESSAGE_MAX: usize = 140;
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

/// A place's rating out of 10, from its likes and dislikes, once it has
/// [`RATING_MIN_VOTES`]: the lower bound of the 95% Wilson interval of the share of likes,
/// so that 4 likes out of 4 do not outrank 95 out of 100. One decimal.
pub fn rating(likes: u64, dislikes: u64) -> Option<f64> {
    let total = likes + dislikes;
    if total < RATING_MIN_VOTES {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let (n, p) = (total as f64, likes as f64 / total as f64);
    let z = 1.96_f64;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    let lower = (centre - margin) / (1.0 + z2 / n);
    Some((lower.clamp(0.0, 1.0) * 100.0).round() / 10.0)
}

/// Checks a tip's text: 1 to [`TIP_MAX`] characters, line breaks allowed, no other control
/// characters.
pub fn check_tip(errors: &mut FieldErrors, text: &str) -> String {
    check_text(errors, "text", text, 1, TIP_MAX, Lines::Multiple)
}

/// Checks an optional check-in message.
pub fn check_check_in_message(errors: &mut FieldErrors, message: Option<&str>) -> Option<String> {
    crate::editorial::check_optional_text(
        errors,
        "message",
        message,
        CHECK_IN_MESSAGE_MAX,
        Lines::Single,
    )
}

/// Checks an idempotency key: 1 to 100 visible ASCII characters.
pub fn check_idempotency_key(errors: &mut FieldErrors, key: &str) {
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_MAX
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        errors.add(
            "idempotencyKey",
            format!(
                "has 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters (a UUID is a good key)"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_rating_needs_enough_votes_and_rewards_consistency() {
        assert_eq!(rating(4, 0), None);
        let few = rating(5, 0).unwrap();
        let many = rating(95, 5).unwrap();
        assert!(many > few, "{many} {few}");
        assert!(rating(0, 10).unwrap() < 1.0);
        assert!(rating(1000, 0).unwrap() >= 9.9);
        let r = rating(60, 40).unwrap();
        assert!((4.0..6.0).contains(&r), "{r}");
        // One decimal.
        assert_eq!((r * 10.0).fract(), 0.0);
    }

    #[test]
    fn tips_and_messages_are_bounded_and_clean() {
        let mut errors = FieldErrors::default();
        check_tip(
            &mut errors,
            "Les meilleures chocolatines\nsont au fond à gauche",
        );
        assert!(errors.is_empty());
        check_tip(&mut errors, &"x".repeat(TIP_MAX + 1));
        check_tip(&mut errors, "a\u{7}b");
        check_tip(&mut errors, "   ");
        assert_eq!(errors.fields().len(), 3);
        let mut errors = FieldErrors::default();
        assert_eq!(check_check_in_message(&mut errors, Some("  ")), None);
        check_check_in_message(&mut errors, Some("line\nbreak"));
        check_idempotency_key(&mut errors, "");
        check_idempotency_key(&mut errors, "clé");
        assert_eq!(errors.fields().len(), 3);
    }
}
