//! Unified search over articles, events and places: the index finds the public items that
//! hold every term, Capitole ranks them by relevance and standing (see
//! `capitole_domain::search`), and when the words as typed find little, misspelt ones are
//! replaced by the closest terms the index knows and the search runs again.

use capitole_domain::change::ItemKind;
use capitole_domain::geo::Coordinates;
use capitole_domain::search::{Fields, SearchQuery, Standing, TYPO_MIN_LETTERS, score};
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::search::ORIGINALS;
use capitole_persistence::search::query::{self as index, Candidate, Within};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{ServiceResult, Services};

/// The most candidates of one kind that are ranked.
const CANDIDATES: usize = 200;
/// Fewer results than this, and misspellings are looked for.
const FEW: usize = 3;

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// What it is.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// Its score: the higher, the better it answers.
    pub score: f64,
    /// Metres from the point searched near (places, and events at a venue).
    pub distance_meters: Option<f64>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The results, best first.
    pub hits: Vec<Hit>,
    /// The terms looked for: those typed, and the corrections of misspelt ones.
    pub terms: SearchQuery,
}

/// Searches the public articles, events and places of `kinds` for `query` (read as French,
/// in the originals), ranked. `in_language` is the reader's language, when it is another,
/// with the same text read with that language's analyser, looked for in the items'
/// translations into it: an item found either way counts, with the better of its scores,
/// so that "libraries" asked in English finds the libraries whose English texts say so.
pub async fn search(
    services: &Services,
    (query, in_language): (&SearchQuery, Option<(&str, &SearchQuery)>),
    kinds: &[ItemKind],
    near: Option<Coordinates>,
    now: DateTime<Utc>,
) -> ServiceResult<Found> {
    let mut hits = ranked(services, (query, ORIGINALS), kinds, near, now).await?;
    if let Some((language, translated)) = in_language {
        for hit in ranked(services, (translated, language), kinds, near, now).await? {
            match hits
                .iter_mut()
                .find(|h| h.kind == hit.kind && h.id == hit.id)
            {
                Some(known) => known.score = known.score.max(hit.score),
                None => hits.push(hit),
            }
        }
        sort(&mut hits);
    }
    let mut terms = query.clone();
    if hits.len() < FEW
        && let Some(corrected) = corrected(services, query).await?
    {
        let more = ranked(services, (&corrected, ORIGINALS), kinds, near, now).await?;
        let more: Vec<Hit> = more
            .into_iter()
            .filter(|hit| !hits.iter().any(|h| h.kind == hit.kind && h.id == hit.id))
            .collect();
        hits.extend(more);
        for term in corrected.terms {
            if !terms.terms.contains(&term) {
                terms.terms.push(term);
            }
        }
    }
    Ok(Found { hits, terms })
}

/// The articles of a news list (`filter`, as `visibility` lets the reader see it) ranked by
/// how well they answer `query`, scored as unified search scores articles: best first,
/// with their scores.
pub async fn rank_articles(
    services: &Services,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<(Uuid, f64)>> {
    let candidates = articles::search_candidates(&services.db, visibility, filter).await?;
    let mut ranked: Vec<(Uuid, f64)> = candidates
        .into_iter()
        .map(|candidate| {
            let hit = hit(ItemKind::Article, query, candidate, None, now);
            (hit.id, hit.score)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranked)
}

/// The query with each misspelt term (of a word of five letters or more, unknown to the
/// index) replaced by the closest known term; `None` when none is replaced.
async fn corrected(services: &Services, query: &SearchQuery) -> ServiceResult<Option<SearchQuery>> {
    let mut terms = Vec::with_capacity(query.terms.len());
    let mut changed = false;
    for term in &query.terms {
        if term.chars().count() + 1 >= TYPO_MIN_LETTERS
            && !index::knows(&services.db, term).await?
            && let Some(closest) = index::closest(&services.db, term).await?
        {
            terms.push(closest);
            changed = true;
        } else {
            terms.push(term.clone());
        }
    }
    Ok(changed.then(|| SearchQuery::of_terms(terms)))
}

/// The items of `kinds` whose documents in `language` hold every term of `query`, scored.
async fn ranked(
    services: &Services,
    (query, language): (&SearchQuery, &str),
    kinds: &[ItemKind],
    near: Option<Coordinates>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Hit>> {
    let mut hits = Vec::new();
    for kind in kinds {
        for candidate in index::candidates(
            &services.db,
            *kind,
            (query, Within::Document, language),
            now,
            CANDIDATES,
        )
        .await?
        {
            hits.push(hit(*kind, query, candidate, near, now));
        }
    }
    sort(&mut hits);
    Ok(hits)
}

/// Best first; ties by kind, then id.
fn sort(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.kind.code().cmp(b.kind.code()))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// A candidate of `kind` scored for `query`, measured from `near` when given.
pub fn hit(
    kind: ItemKind,
    query: &SearchQuery,
    candidate: Candidate,
    near: Option<Coordinates>,
    now: DateTime<Utc>,
) -> Hit {
    let relevance = query.relevance(&Fields {
        title: &candidate.title,
        extra: &candidate.extra,
        summary: &candidate.summary,
    });
    let distance = match (near, candidate.latitude, candidate.longitude) {
        (Some(point), Some(latitude), Some(longitude)) => Coordinates::parse(latitude, longitude)
            .ok()
            .map(|at| (point.distance_meters(at) * 10.0).round() / 10.0),
        _ => None,
    };
    let days = |at: Option<DateTime<Utc>>, sign: f64| {
        at.map_or(0.0, |at| sign * (at - now).num_seconds() as f64 / 86_400.0)
    };
    let standing = match kind {
        ItemKind::Article => Standing::Article {
            age_days: days(candidate.at, -1.0),
        },
        ItemKind::Event => Standing::Event {
            days_ahead: days(candidate.at, 1.0),
            distance,
        },
        _ => Standing::Place {
            popularity: candidate.popularity.unwrap_or(0) as f64,
            distance,
        },
    };
    Hit {
        kind,
        id: candidate.item_id,
        score: score(relevance, standing),
        distance_meters: distance,
    }
}
