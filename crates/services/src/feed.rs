//! A feed for one audience, without an account: the candidates that could answer what a
//! reader said of themselves (the latest news, the next events, places near them or well
//! visited, and those of their audiences, interests and neighbourhood), read in a bounded
//! number of statements, then ranked and mixed by `capitole_domain::feed`.

use std::collections::HashMap;

use capitole_domain::Audience;
use capitole_domain::change::ItemKind;
use capitole_domain::feed::{FeedCandidate, FeedItem, Reader, Timing};
use capitole_domain::geo::{Coordinates, RadiusMeters};
use capitole_domain::place::PlaceOrder;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::entities::category;
use capitole_persistence::events::{self, AgendaColumns, EventFilter};
use capitole_persistence::places::{self, PlaceFilter};
use capitole_persistence::{Columns, PageRequest, catalog};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{ServiceResult, Services};

/// Candidates of one kind read for each signal.
const PER_SIGNAL: usize = 40;
/// How far ahead events are looked for.
const EVENTS_AHEAD_DAYS: i64 = 14;
/// How far around the reader's point places are looked for.
const PLACES_AROUND_METERS: i64 = 2_000;

/// The ranked feed of `reader` at `now`, best first; articles as `visibility` lets the
/// reader see them.
pub async fn feed(
    services: &Services,
    reader: &Reader,
    visibility: &ArticleVisibility,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<FeedItem>> {
    let db = &services.db;
    let categories = catalog::categories(db, None).await?;
    let interests = interest_ids(&categories, &reader.interests);
    let audiences: Vec<Audience> = reader
        .audiences
        .iter()
        .copied()
        .filter(|a| *a != Audience::Everyone)
        .collect();
    let neighborhoods: Vec<Uuid> = reader.neighborhood.into_iter().collect();
    let request = PageRequest::first(PER_SIGNAL);
    let mut candidates = Vec::new();

    // News: the latest, and the latest of each signal.
    let mut news = vec![NewsFilter::default()];
    if !audiences.is_empty() {
        news.push(NewsFilter {
            audiences: audiences.clone(),
            ..NewsFilter::default()
        });
    }
    if !interests.is_empty() {
        news.push(NewsFilter {
            categories: interests.clone(),
            ..NewsFilter::default()
        });
    }
    if !neighborhoods.is_empty() {
        news.push(NewsFilter {
            neighborhoods: neighborhoods.clone(),
            ..NewsFilter::default()
        });
    }
    let mut read = Vec::new();
    for filter in &news {
        let page = articles::list(db, visibility, filter, &request, Columns::ALL).await?;
        read.extend(page.rows.into_iter().map(|(a, _)| a));
    }
    read.sort_by_key(|a| a.id);
    read.dedup_by_key(|a| a.id);
    let ids: Vec<Uuid> = read.iter().map(|a| a.id).collect();
    let mut article_categories = catalog::categories_of_articles(db, &ids).await?;
    let mut article_neighborhoods = articles::neighborhoods_of(db, &ids).await?;
    for article in read {
        let Some(published_at) = article.published_at else {
            continue;
        };
        candidates.push(FeedCandidate {
            kind: ItemKind::Article,
            id: article.id,
            audiences: coded_list(&article.audiences),
            categories: with_ancestors(&categories, article_categories.remove(&article.id)),
            neighborhoods: article_neighborhoods
                .remove(&article.id)
                .unwrap_or_default(),
            timing: Timing::Published(published_at),
            position: None,
        });
    }

    // Events: the soonest (under way ones included), and the soonest of each signal.
    let base = EventFilter {
        starts_before: Some(now + Duration::days(EVENTS_AHEAD_DAYS)),
        ..EventFilter::from(now - Duration::days(1))
    };
    let mut agenda = vec![base.clone()];
    if !audiences.is_empty() {
        agenda.push(EventFilter {
            audiences: audiences.clone(),
            ..base.clone()
        });
    }
    if !interests.is_empty() {
        agenda.push(EventFilter {
            categories: interests.clone(),
            ..base.clone()
        });
    }
    if !neighborhoods.is_empty() {
        agenda.push(EventFilter {
            neighborhoods: neighborhoods.clone(),
            ..base.clone()
        });
    }
    let mut rows = Vec::new();
    for filter in &agenda {
        let page = events::list(db, filter, &request, AgendaColumns::ALL).await?;
        rows.extend(page.rows.into_iter().map(|(row, _)| row));
    }
    rows.retain(|row| row.occurrence.ends_at > now);
    rows.sort_by_key(|row| row.event.id);
    rows.dedup_by_key(|row| row.event.id);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.event.id).collect();
    let mut event_categories = catalog::categories_of_events(db, &ids).await?;
    let mut event_neighborhoods = events::neighborhoods_of_events(db, &ids).await?;
    for row in rows {
        let id = row.event.id;
        candidates.push(FeedCandidate {
            kind: ItemKind::Event,
            id,
            audiences: coded_list(&row.event.audiences),
            categories: with_ancestors(&categories, event_categories.remove(&id)),
            neighborhoods: event_neighborhoods.remove(&id).unwrap_or_default(),
            timing: Timing::Dated(row.occurrence.starts_at, row.occurrence.ends_at),
            position: row
                .venue
                .and_then(|v| Coordinates::parse(v.latitude, v.longitude).ok()),
        });
    }

    // Places: around the reader's point, the most visited, and those of their interests
    // and neighbourhood.
    let mut lists: Vec<(PlaceFilter, PlaceOrder)> =
        vec![(PlaceFilter::default(), PlaceOrder::Popularity)];
    if let Some(point) = reader.near
        && let Ok(radius) = RadiusMeters::parse(PLACES_AROUND_METERS)
    {
        lists.push((
            PlaceFilter {
                near: Some((point, radius)),
                ..PlaceFilter::default()
            },
            PlaceOrder::Distance,
        ));
    }
    if !interests.is_empty() {
        lists.push((
            PlaceFilter {
                categories: interests.clone(),
                ..PlaceFilter::default()
            },
            PlaceOrder::Popularity,
        ));
    }
    if !neighborhoods.is_empty() {
        lists.push((
            PlaceFilter {
                neighborhoods: neighborhoods.clone(),
                ..PlaceFilter::default()
            },
            PlaceOrder::Popularity,
        ));
    }
    let mut found = Vec::new();
    for (filter, order) in &lists {
        let page = places::list(db, filter, *order, &request, Columns::ALL).await?;
        found.extend(page.rows.into_iter().map(|(row, _)| row.place));
    }
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    let mut place_categories = catalog::categories_of_places(db, &ids).await?;
    for place in found {
        candidates.push(FeedCandidate {
            kind: ItemKind::Place,
            id: place.id,
            audiences: Vec::new(),
            categories: with_ancestors(&categories, place_categories.remove(&place.id)),
            neighborhoods: place.neighborhood_id.into_iter().collect(),
            timing: Timing::Visited(place.popularity),
            position: Coordinates::parse(place.latitude, place.longitude).ok(),
        });
    }
    Ok(capitole_domain::feed::rank(candidates, reader, now))
}

/// The ids of the categories named by `slugs` (of any tree) and of those below them.
fn interest_ids(all: &[category::Model], slugs: &[String]) -> Vec<Uuid> {
    let named = all
        .iter()
        .filter(|c| slugs.contains(&c.slug))
        .map(|c| c.id)
        .collect();
    catalog::with_descendants(all, named)
}

/// An item's categories and every category above them, as (slug, name).
fn with_ancestors(
    all: &[category::Model],
    own: Option<Vec<category::Model>>,
) -> Vec<(String, String)> {
    let by_id: HashMap<Uuid, &category::Model> = all.iter().map(|c| (c.id, c)).collect();
    let mut out: Vec<(String, String)> = Vec::new();
    for category in own.unwrap_or_default() {
        let mut at = Some(category.id);
        while let Some(id) = at {
            let Some(c) = by_id.get(&id) else { break };
            if !out.iter().any(|(slug, _)| *slug == c.slug) {
                out.push((c.slug.clone(), c.name.clone()));
            }
            at = c.parent_id;
        }
    }
    out
}

/// The audiences stored as `|CODE|CODE|`.
fn coded_list(stored: &str) -> Vec<Audience> {
    stored.split('|').filter_map(Audience::from_code).collect()
}
