//! A feed for one audience: news, events and places mixed and ranked by what a reader said
//! of themselves (audiences, a neighbourhood, interests, where they are), by how fresh or
//! how soon, and by how near, each item with the reasons it is there. The ranking is a pure
//! function of its inputs and of the time, so that the same request gives the same feed.
//!
//! An item's score is the sum of:
//! - 2 when it is meant for one of the reader's audiences;
//! - 1.5 when one of its categories (or a category above one) is among their interests;
//! - 1 when it concerns their neighbourhood;
//! - its timeliness, from 0 to 1: for an article `1 / (1 + hours since publication / 48)`;
//!   for an event `1` under way, else `1 / (1 + hours until it starts / 24)`; for a place
//!   `0.4 × ln(1 + popularity) / (ln(1 + popularity) + 4)`;
//! - its nearness, from 0 to 1.5, when the reader gave a point and the item has a place:
//!   `1.5 / (1 + metres / 1000)`.
//!
//! Scores are rounded to six decimals; ties go by kind (articles, events, places), then by
//! id. The ranked list is then mixed so that no more than three items of one kind follow
//! each other while items of another kind remain: at each step the best remaining item
//! comes next unless it would make a fourth of its kind in a row, in which case the best
//! item of another kind does.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Audience;
use crate::change::ItemKind;
use crate::geo::Coordinates;

/// When an item is timely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// An article, published then.
    Published(DateTime<Utc>),
    /// An event whose next date starts and ends then.
    Dated(DateTime<Utc>, DateTime<Utc>),
    /// A place, with its popularity.
    Visited(i64),
}

/// What the ranking knows of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCandidate {
    /// What it is.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// Whom it is meant for.
    pub audiences: Vec<Audience>,
    /// Its categories and every category above them, as (slug, name).
    pub categories: Vec<(String, String)>,
    /// The neighbourhoods it concerns.
    pub neighborhoods: Vec<Uuid>,
    /// When it is timely.
    pub timing: Timing,
    /// Where it is (a place, an event's venue).
    pub position: Option<Coordinates>,
}

/// What a reader said of themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reader {
    /// Whom they are.
    pub audiences: Vec<Audience>,
    /// Their neighbourhood.
    pub neighborhood: Option<Uuid>,
    /// The slugs of the categories they like.
    pub interests: Vec<String>,
    /// Where they are.
    pub near: Option<Coordinates>,
}

/// Why an item is in a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// It is meant for one of the reader's audiences.
    ForAudience(Audience),
    /// It is in a category they like (its name).
    Interest(String),
    /// It concerns their neighbourhood.
    InNeighborhood,
    /// An event under way.
    UnderWay,
    /// An event that starts within two days, in so many minutes.
    StartsIn(i64),
    /// An article published within two days, so many minutes ago.
    PublishedAgo(i64),
    /// So many metres away (within 2 km).
    Nearby(f64),
}

/// Within this, an event's start or an article's publication is a reason of its own.
const SOON_MINUTES: i64 = 48 * 60;
/// Within this, nearness is a reason of its own.
const NEAR_METERS: f64 = 2_000.0;
/// The most items of one kind in a row, while others remain.
const MAX_IN_A_ROW: usize = 3;

impl Reason {
    /// The reason in a few words, for a reader: "for families", "in your neighbourhood",
    /// "starts in 2 h", "500 m away".
    pub fn label(&self) -> String {
        match self {
            Reason::ForAudience(audience) => format!("for {}", audience_words(*audience)),
            Reason::Interest(name) => format!("about {name}"),
            Reason::InNeighborhood => "in your neighbourhood".to_owned(),
            Reason::UnderWay => "happening now".to_owned(),
            Reason::StartsIn(minutes) => format!("starts in {}", duration_words(*minutes)),
            Reason::PublishedAgo(minutes) => format!("published {} ago", duration_words(*minutes)),
            Reason::Nearby(meters) if *meters < 1_000.0 => {
                format!("{} m away", ((meters / 100.0).round() * 100.0).max(100.0))
            }
            Reason::Nearby(meters) => format!("{:.1} km away", meters / 1_000.0),
        }
    }
}

fn audience_words(audience: Audience) -> &'static str {
    match audience {
        Audience::Everyone => "everyone",
        Audience::Youth => "young people",
        Audience::Students => "students",
        Audience::YoungProfessionals => "young professionals",
        Audience::Families => "families",
        Audience::Seniors => "seniors",
        Audience::Tourists => "visitors",
    }
}

fn duration_words(minutes: i64) -> String {
    match minutes {
        ..60 => format!("{} min", minutes.max(1)),
        60..1_440 => format!("{} h", minutes / 60),
        _ => match minutes / 1_440 {
            1 => "1 day".to_owned(),
            days => format!("{days} days"),
        },
    }
}

/// An item of the feed, ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// Its score (see the module's documentation).
    pub score: f64,
    /// Why it is there, strongest first.
    pub reasons: Vec<Reason>,
    /// Metres from the reader's point, when both are known.
    pub distance_meters: Option<f64>,
}

/// Scores every candidate for `reader` at `now` and mixes them (see the module's
/// documentation). A candidate given twice is kept once.
pub fn rank(candidates: Vec<FeedCandidate>, reader: &Reader, now: DateTime<Utc>) -> Vec<FeedItem> {
    let mut items: Vec<FeedItem> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if items
            .iter()
            .any(|i| i.kind == candidate.kind && i.id == candidate.id)
        {
            continue;
        }
        items.push(score(&candidate, reader, now));
    }
    items.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(a.id.cmp(&b.id))
    });
    mix(items)
}

fn score(candidate: &FeedCandidate, reader: &Reader, now: DateTime<Utc>) -> FeedItem {
    let mut score = 0.0;
    let mut reasons = Vec::new();
    if let Some(audience) = reader
        .audiences
        .iter()
        .find(|a| candidate.audiences.contains(a))
    {
        score += 2.0;
        reasons.push(Reason::ForAudience(*audience));
    }
    if let Some((_, name)) = candidate
        .categories
        .iter()
        .find(|(slug, _)| reader.interests.contains(slug))
    {
        score += 1.5;
        reasons.push(Reason::Interest(name.clone()));
    }
    if reader
        .neighborhood
        .is_some_and(|n| candidate.neighborhoods.contains(&n))
    {
        score += 1.0;
        reasons.push(Reason::InNeighborhood);
    }
    let hours =
        |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_minutes().max(0) as f64 / 60.0;
    score += match candidate.timing {
        Timing::Published(at) => {
            let minutes = (now - at).num_minutes().max(0);
            if minutes < SOON_MINUTES {
                reasons.push(Reason::PublishedAgo(minutes));
            }
            1.0 / (1.0 + hours(at, now) / 48.0)
        }
        Timing::Dated(starts, ends) if starts <= now && now < ends => {
            reasons.push(Reason::UnderWay);
            1.0
        }
        Timing::Dated(starts, _) => {
            let minutes = (starts - now).num_minutes().max(0);
            if minutes < SOON_MINUTES {
                reasons.push(Reason::StartsIn(minutes));
            }
            1.0 / (1.0 + hours(now, starts) / 24.0)
        }
        Timing::Visited(popularity) => {
            let known = (1.0 + popularity.max(0) as f64).ln();
            0.4 * known / (known + 4.0)
        }
    };
    let distance_meters = match (reader.near, candidate.position) {
        (Some(from), Some(to)) => Some((from.distance_meters(to) * 10.0).round() / 10.0),
        _ => None,
    };
    if let Some(meters) = distance_meters {
        score += 1.5 / (1.0 + meters / 1_000.0);
        if meters <= NEAR_METERS {
            reasons.push(Reason::Nearby(meters));
        }
    }
    FeedItem {
        kind: candidate.kind,
        id: candidate.id,
        score: (score * 1e6).round() / 1e6,
        reasons,
        distance_meters,
    }
}

/// The ranked items reordered so that no more than three of one kind follow each other
/// while items of another kind remain.
fn mix(ranked: Vec<FeedItem>) -> Vec<FeedItem> {
    let mut remaining = ranked;
    let mut mixed: Vec<FeedItem> = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let streak = mixed
            .iter()
            .rev()
            .take_while(|i| Some(i.kind) == mixed.last().map(|l| l.kind))
            .count();
        let next = match mixed.last() {
            Some(last) if streak >= MAX_IN_A_ROW => remaining
                .iter()
                .position(|i| i.kind != last.kind)
                .unwrap_or(0),
            _ => 0,
        };
        mixed.push(remaining.remove(next));
    }
    mixed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 20, 10, 0, 0).unwrap()
    }

    fn candidate(kind: ItemKind, n: u128, timing: Timing) -> FeedCandidate {
        FeedCandidate {
            kind,
            id: Uuid::from_u128(n),
            audiences: Vec::new(),
            categories: Vec::new(),
            neighborhoods: Vec::new(),
            timing,
            position: None,
        }
    }

    #[test]
    fn what_the_reader_said_of_themselves_comes_first_with_its_reasons() {
        let home = Uuid::from_u128(99);
        let reader = Reader {
            audiences: vec![Audience::Families],
            neighborhood: Some(home),
            interests: vec!["museum".to_owned()],
            near: Some(Coordinates::parse(43.6045, 1.444).unwrap()),
        };
        let plain = candidate(
            ItemKind::Event,
            1,
            Timing::Dated(now() + Duration::hours(2), now() + Duration::hours(4)),
        );
        let mut for_families = candidate(
            ItemKind::Event,
            2,
            Timing::Dated(now() + Duration::days(5), now() + Duration::days(6)),
        );
        for_families.audiences = vec![Audience::Everyone, Audience::Families];
        let mut museum = candidate(ItemKind::Place, 3, Timing::Visited(10));
        museum.categories = vec![
            ("museum".to_owned(), "Musée".to_owned()),
            ("culture".to_owned(), "Culture".to_owned()),
        ];
        museum.neighborhoods = vec![home];
        museum.position = Some(Coordinates::parse(43.6062, 1.4440).unwrap());
        let ranked = rank(vec![plain.clone(), for_families, museum], &reader, now());
        assert_eq!(ranked[0].id, Uuid::from_u128(3));
        assert_eq!(
            ranked[0]
                .reasons
                .iter()
                .map(Reason::label)
                .collect::<Vec<_>>(),
            ["about Musée", "in your neighbourhood", "200 m away"]
        );
        assert_eq!(ranked[1].reasons, [Reason::ForAudience(Audience::Families)]);
        assert_eq!(
            ranked[2]
                .reasons
                .iter()
                .map(Reason::label)
                .collect::<Vec<_>>(),
            ["starts in 2 h"]
        );
        // The same request gives the same feed; a candidate given twice is there once.
        let again = rank(vec![plain.clone(), plain], &reader, now());
        assert_eq!(again.len(), 1);
    }

    #[test]
    fn no_more_than_three_of_a_kind_follow_each_other_while_others_remain() {
        let mut candidates: Vec<FeedCandidate> = (0..6)
            .map(|n| {
                candidate(
                    ItemKind::Article,
                    n,
                    Timing::Published(now() - Duration::minutes(n as i64)),
                )
            })
            .collect();
        candidates.push(candidate(ItemKind::Place, 10, Timing::Visited(0)));
        candidates.push(candidate(ItemKind::Place, 11, Timing::Visited(0)));
        let kinds: Vec<ItemKind> = rank(candidates, &Reader::default(), now())
            .iter()
            .map(|i| i.kind)
            .collect();
        use ItemKind::{Article as A, Place as P};
        assert_eq!(kinds, [A, A, A, P, A, A, A, P]);
    }

    #[test]
    fn reasons_read_as_a_person_would_say_them() {
        assert_eq!(Reason::StartsIn(0).label(), "starts in 1 min");
        assert_eq!(Reason::StartsIn(150).label(), "starts in 2 h");
        assert_eq!(Reason::StartsIn(1_500).label(), "starts in 1 day");
        assert_eq!(Reason::PublishedAgo(3_000).label(), "published 2 days ago");
        assert_eq!(Reason::Nearby(1_234.0).label(), "1.2 km away");
        assert_eq!(Reason::Nearby(20.0).label(), "100 m away");
        assert_eq!(
            Reason::ForAudience(Audience::Tourists).label(),
            "for visitors"
        );
    }
}
