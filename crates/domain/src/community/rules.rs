//! The rules of residents' writes and of the figures drawn from them: the check-in
//! cooldown, the daily limits, why a write is refused (with a message that states the
//! rule's figure as [`super`] defines it), and a place's rating.

use chrono::{DateTime, Duration, Utc};

use super::{CHECK_IN_COOLDOWN, LIMIT_WINDOW, RATING_MIN_VOTES};

/// How many writes of one kind a person may make in [`LIMIT_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyLimit {
    /// The most writes in the window.
    pub per_day: u64,
    /// What is counted, in the plural ("tips").
    pub what: &'static str,
    /// What the person is told to do once the limit is reached.
    pub then: &'static str,
}

impl DailyLimit {
    /// The start of the window that counts at `now`.
    pub fn counts_from(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - LIMIT_WINDOW
    }

    /// Whether one more write is allowed after `done` in the window.
    pub fn allows(&self, done: u64) -> bool {
        done < self.per_day
    }

    /// The limit as the person reads it once they reach it.
    pub fn message(&self) -> String {
        format!(
            "at most {} {} a day; {}",
            self.per_day, self.what, self.then
        )
    }
}

/// When a person who checked in at a place at `last` may check in there again.
pub fn next_check_in_at(last: DateTime<Utc>) -> DateTime<Utc> {
    last + CHECK_IN_COOLDOWN
}

/// Why a resident's write does not go through (besides access and malformed input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// They checked in at this place less than [`CHECK_IN_COOLDOWN`] ago.
    TooSoon {
        /// When they may check in there again.
        again_at: DateTime<Utc>,
    },
    /// A daily limit is reached.
    DailyLimit(DailyLimit),
    /// An idempotency key was used before for a check-in at another place.
    KeyReused,
    /// No place has this id.
    UnknownPlace,
    /// No tip the caller may see has this id.
    UnknownTip,
    /// No date of an event has this id.
    UnknownDate,
    /// Nothing the caller may read has this id.
    NothingReadable,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooSoon { again_at } => write!(
                f,
                "you checked in here less than {} ago; try again after {again_at}",
                in_words(CHECK_IN_COOLDOWN)
            ),
            Refusal::DailyLimit(limit) => f.write_str(&limit.message()),
            Refusal::KeyReused => {
                f.write_str("this idempotency key was used for a check-in at another place")
            }
            Refusal::UnknownPlace => f.write_str("no place has this id"),
            Refusal::UnknownTip => f.write_str("no tip has this id"),
            Refusal::UnknownDate => f.write_str("no date has this id"),
            Refusal::NothingReadable => f.write_str("nothing readable has this id"),
        }
    }
}

/// A duration as a person reads it: "30 minutes", "3 hours", "60 days", in the largest
/// unit that says it exactly.
pub fn in_words(duration: Duration) -> String {
    let minutes = duration.num_minutes();
    let (count, unit) = if minutes > 0 && minutes % (24 * 60) == 0 {
        (duration.num_days(), "day")
    } else if minutes > 0 && minutes % 60 == 0 {
        (duration.num_hours(), "hour")
    } else if minutes > 0 && duration.num_seconds() % 60 == 0 {
        (minutes, "minute")
    } else {
        (duration.num_seconds(), "second")
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// A place's rating out of 10, from its likes and dislikes, once it has
/// [`RATING_MIN_VOTES`]: the lower bound of the 95% Wilson interval of the share of likes,
/// so that 4 likes out of 4 do not outrank 95 out of 100. One decimal.
pub fn rating(likes: u64, dislikes: u64) -> Option<f64> {
    let total = likes + dislikes;
    if total < RATING_MIN_VOTES {
        return None;
    }
    let (n, p) = (total as f64, likes as f64 / total as f64);
    let z = 1.96_f64;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    let lower = (centre - margin) / (1.0 + z2 / n);
    Some((lower.clamp(0.0, 1.0) * 100.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::community::{CHECK_INS_A_DAY, REPORTS_A_DAY, TIPS_A_DAY};

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
    fn durations_read_in_the_largest_exact_unit() {
        assert_eq!(in_words(Duration::minutes(30)), "30 minutes");
        assert_eq!(in_words(Duration::minutes(90)), "90 minutes");
        assert_eq!(in_words(Duration::hours(3)), "3 hours");
        assert_eq!(in_words(Duration::hours(1)), "1 hour");
        assert_eq!(in_words(Duration::days(60)), "60 days");
        assert_eq!(in_words(Duration::seconds(45)), "45 seconds");
    }

    #[test]
    fn refusals_state_the_figures_of_their_rules() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let too_soon = Refusal::TooSoon {
            again_at: next_check_in_at(at),
        };
        assert_eq!(
            too_soon.to_string(),
            format!(
                "you checked in here less than {} ago; try again after 2026-12-05 10:30:00 UTC",
                in_words(CHECK_IN_COOLDOWN)
            )
        );
        assert_eq!(
            Refusal::DailyLimit(CHECK_INS_A_DAY).to_string(),
            format!(
                "at most {} check-ins a day; try again tomorrow",
                CHECK_INS_A_DAY.per_day
            )
        );
        assert!(
            Refusal::DailyLimit(REPORTS_A_DAY)
                .to_string()
                .ends_with("the moderators have been told already")
        );
    }

    #[test]
    fn a_daily_limit_counts_the_last_24_hours_and_allows_up_to_its_figure() {
        let now = Utc::now();
        assert_eq!(TIPS_A_DAY.counts_from(now), now - Duration::hours(24));
        assert!(TIPS_A_DAY.allows(TIPS_A_DAY.per_day - 1));
        assert!(!TIPS_A_DAY.allows(TIPS_A_DAY.per_day));
    }
}
