//! Autocompletion: places, events, categories and neighbourhoods whose name starts with
//! what a person is typing (every word typed starting a word of the name, accents and case
//! aside), from the second letter on, ranked by how the name starts, popularity, the next
//! date and distance.

use capitole_domain::change::ItemKind;
use capitole_domain::geo::Coordinates;
use capitole_domain::search::{SearchQuery, Standing};
use capitole_domain::text::fold;
use capitole_persistence::catalog;
use capitole_persistence::search::ORIGINALS;
use capitole_persistence::search::query::{self as index, Within};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{ServiceResult, Services};

/// The fewest letters typed that autocompletion answers.
pub const MIN_LETTERS: usize = 2;
/// Candidates of one kind read from the index.
const CANDIDATES: usize = 50;
/// The standing of a category or a neighbourhood, against places' and events'.
const REFERENCE_STANDING: f64 = 0.85;

/// What may be suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionKind {
    /// A place.
    Place,
    /// An event with a date under way or to come.
    Event,
    /// A category of places, events or news.
    Category,
    /// A neighbourhood.
    Neighborhood,
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// What it is.
    pub kind: SuggestionKind,
    /// Its id.
    pub id: Uuid,
    /// Its score: the higher, the better.
    pub score: f64,
    /// Metres from the point typed near (places, and events at a venue).
    pub distance_meters: Option<f64>,
}

/// The words of a text, folded.
fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How a name answers what is typed: 1 when it starts with the first word typed, 0.8 when
/// every word typed starts one of its words, `None` otherwise.
fn name_match(typed: &[String], name: &str) -> Option<f64> {
    let name = words(name);
    let every = typed
        .iter()
        .all(|word| name.iter().any(|n| n.starts_with(word.as_str())));
    let starts = name
        .first()
        .zip(typed.first())
        .is_some_and(|(n, t)| n.starts_with(t.as_str()));
    every.then_some(if starts { 1.0 } else { 0.8 })
}

/// Suggestions for `text` among `kinds`, best first, at most `limit`.
pub async fn suggest(
    services: &Services,
    text: &str,
    kinds: &[SuggestionKind],
    near: Option<Coordinates>,
    now: DateTime<Utc>,
    limit: usize,
) -> ServiceResult<Vec<Suggestion>> {
    let typed = words(text);
    if typed.iter().map(|w| w.chars().count()).sum::<usize>() < MIN_LETTERS {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let query = SearchQuery::parse(text);
    for (kind, item) in [
        (SuggestionKind::Place, ItemKind::Place),
        (SuggestionKind::Event, ItemKind::Event),
    ] {
        let Some(query) = query.as_ref().filter(|_| kinds.contains(&kind)) else {
            continue;
        };
        let found = index::candidates(
            &services.db,
            item,
            (query, Within::Title, ORIGINALS),
            now,
            CANDIDATES,
        )
        .await?;
        for candidate in found {
            let starts = candidate
                .title
                .split_whitespace()
                .next()
                .is_some_and(|first| query.answers(0, first));
            let distance = match (near, candidate.latitude, candidate.longitude) {
                (Some(point), Some(latitude), Some(longitude)) => {
                    Coordinates::parse(latitude, longitude)
                        .ok()
                        .map(|at| (point.distance_meters(at) * 10.0).round() / 10.0)
                }
                _ => None,
            };
            let standing = match kind {
                SuggestionKind::Event => Standing::Event {
                    days_ahead: candidate
                        .at
                        .map_or(0.0, |at| (at - now).num_seconds() as f64 / 86_400.0),
                    distance,
                },
                _ => Standing::Place {
                    popularity: candidate.popularity.unwrap_or(0) as f64,
                    distance,
                },
            };
            out.push(Suggestion {
                kind,
                id: candidate.item_id,
                score: capitole_domain::search::score(if starts { 1.0 } else { 0.8 }, standing),
                distance_meters: distance,
            });
        }
    }
    if kinds.contains(&SuggestionKind::Category) {
        for category in catalog::categories(&services.db, None).await? {
            if let Some(quality) = name_match(&typed, &category.name) {
                out.push(reference(SuggestionKind::Category, category.id, quality));
            }
        }
    }
    if kinds.contains(&SuggestionKind::Neighborhood) {
        for neighborhood in catalog::neighborhoods(&services.db).await? {
            if let Some(quality) = name_match(&typed, &neighborhood.name) {
                out.push(reference(
                    SuggestionKind::Neighborhood,
                    neighborhood.id,
                    quality,
                ));
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out.truncate(limit);
    Ok(out)
}

fn reference(kind: SuggestionKind, id: Uuid, quality: f64) -> Suggestion {
    Suggestion {
        kind,
        id,
        score: (quality * REFERENCE_STANDING * 1e6).round() / 1e6,
        distance_meters: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_answers_when_every_word_typed_starts_one_of_its_words() {
        let typed = words("jean JAU");
        assert_eq!(
            name_match(&typed, "Station de métro Jean-Jaurès"),
            Some(0.8)
        );
        assert_eq!(name_match(&words("mus"), "Musées"), Some(1.0));
        assert_eq!(name_match(&words("usee"), "Musées"), None);
    }
}
