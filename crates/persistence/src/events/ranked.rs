//! The agenda in an order other than by date: nearest venue first, or most people going
//! first. Every event of the filter is ranked in Rust from a light key (its first matching
//! date with its venue's position, or with how many people are going), and only the events
//! of the page are then read whole. Distances are measured as places' are, so both engines
//! rank alike.

use std::cmp::Ordering;
use std::collections::HashMap;

use capitole_domain::event::EventOrder;
use capitole_domain::geo::Coordinates;
use capitole_domain::place::PlaceOrder;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    AgendaColumns, AgendaRow, CANCELLED, EventFilter, NearPlaces, holds_no_place, near_places,
};
use crate::cursor::{self, Direction, Page, PageRequest};
use crate::places::{self, PlaceFilter};
use crate::rows::Columns;
use crate::rows::read_rows;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// An event's place in a ranked agenda: its measure (metres, or people going), then its
/// first matching date, then its id.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct RankKey(f64, DateTime<Utc>, Uuid);

impl RankKey {
    /// Nearest first (or most people going first, with the count negated), then soonest,
    /// then by id.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then(self.1.cmp(&other.1))
            .then(self.2.cmp(&other.2))
    }
}

/// One page of the agenda ranked by `order` (distance or popularity; by date, see
/// [`super::list`]). Distance needs `filter.near`.
pub async fn ranked(
    db: &Database,
    filter: &EventFilter,
    order: EventOrder,
    request: &PageRequest,
    columns: AgendaColumns,
) -> Result<Page<AgendaRow>, StorageError> {
    let page = match order {
        EventOrder::Date => return super::list(db, filter, request, columns).await,
        EventOrder::Distance => {
            let Some(circle) = filter.near else {
                return Err(StorageError::BadRequest(
                    "`DISTANCE` orders events from a point: give `filter.near`".to_owned(),
                ));
            };
            let keys = nearest_first(db, filter, circle, request).await?;
            Page::from_rows(keys, request, cursor::encode)
        }
        EventOrder::Popularity => {
            let near = near_places(db, filter).await?;
            if holds_no_place(&near) {
                return Ok(Page::from_rows(Vec::new(), request, |_: &AgendaRow| {
                    String::new()
                }));
            }
            let mut keys = by_going(db, filter, near.as_ref()).await?;
            keys.sort_by(RankKey::cmp);
            Page::of_sorted(keys, request, RankKey::cmp)?
        }
    };
    read_page(db, filter, page, request, columns).await
}

/// The events of a page of keys, read whole.
async fn read_page(
    db: &Database,
    filter: &EventFilter,
    page: Page<RankKey>,
    request: &PageRequest,
    columns: AgendaColumns,
) -> Result<Page<AgendaRow>, StorageError> {
    let empty = || Page::from_rows(Vec::new(), request, |_: &AgendaRow| String::new());
    if page.rows.is_empty() {
        return Ok(empty());
    }
    // The other conditions chose these events already; their first matching dates depend
    // on the span alone.
    let read = EventFilter {
        starts_before: filter.starts_before,
        ids: page.rows.iter().map(|(k, _)| k.2).collect(),
        ..EventFilter::from(filter.starts_after)
    };
    let mut sql = Sql::new(db.db_backend());
    columns.push_from(&mut sql);
    super::push_first_matching(&mut sql, &read, None);
    let mut rows: HashMap<Uuid, AgendaRow> = columns
        .read_all(db, sql)
        .await?
        .into_iter()
        .map(|row| (row.event.id, row))
        .collect();
    // An event deleted since its key was read is left out.
    Ok(page.filter_map(|key| rows.remove(&key.2)))
}

/// Every event of the filter with its first matching date (the earliest date in the span
/// that is not cancelled), then the columns `measure` adds, in one statement driven by the
/// events (so that a circle narrows it first): `id, first_at, …`.
fn push_keys(
    sql: &mut Sql,
    filter: &EventFilter,
    near: Option<&NearPlaces>,
    (measure, join): (&dyn Fn(&mut Sql), &str),
) {
    sql.push("SELECT * FROM (SELECT e.id, (SELECT MIN(o.starts_at) FROM event_occurrences o WHERE o.event_id = e.id AND ");
    push_span(sql, "o", filter);
    sql.push(") AS first_at, ");
    measure(sql);
    sql.push(" FROM events e ").push(join).push(" WHERE 1 = 1");
    super::push_event_conditions(sql, filter, near);
    sql.push(") k WHERE first_at IS NOT NULL");
}

/// `{alias}` is a date of the filter's span that is not cancelled.
fn push_span(sql: &mut Sql, alias: &str, filter: &EventFilter) {
    sql.push(alias)
        .push(".starts_at >= ")
        .bind(filter.starts_after);
    if let Some(before) = filter.starts_before {
        sql.push(" AND ")
            .push(alias)
            .push(".starts_at < ")
            .bind(before);
    }
    sql.push(" AND ")
        .push(alias)
        .push(".status <> ")
        .push(CANCELLED);
}

/// Places read at once while walking out from the point.
const PLACES_PER_STEP: usize = 200;

/// The keys of a page of the agenda nearest venue first (farthest first when paging
/// backward), found by walking the places of the circle from the point outwards (inwards)
/// a step at a time and reading the events at each step's places, until the page is full
/// and no place left can hold an event that sorts before its last one.
async fn nearest_first(
    db: &Database,
    filter: &EventFilter,
    (point, radius): (Coordinates, capitole_domain::geo::RadiusMeters),
    request: &PageRequest,
) -> Result<Vec<RankKey>, StorageError> {
    let beyond: Option<RankKey> = request.key()?;
    let backward = request.direction == Direction::Backward;
    let order = |a: &RankKey, b: &RankKey| {
        if backward { b.cmp(a) } else { a.cmp(b) }
    };
    let around = PlaceFilter {
        near: Some((point, radius)),
        ..PlaceFilter::default()
    };
    // The walk starts at the cursor's distance: places as far, or farther (nearer).
    let mut at = beyond.map(|key| {
        let id = if backward { Uuid::max() } else { Uuid::nil() };
        places::distance_cursor(key.0, id)
    });
    let mut keys: Vec<RankKey> = Vec::new();
    loop {
        let step = if backward {
            PageRequest::before(PLACES_PER_STEP, at.take())
        } else {
            PageRequest::after(PLACES_PER_STEP, at.take())
        };
        let page = places::list(db, &around, PlaceOrder::Distance, &step, Columns::ID).await?;
        let more = if backward {
            page.has_previous_page
        } else {
            page.has_next_page
        };
        let mut walked: Vec<(Uuid, f64)> = page
            .rows
            .iter()
            .map(|(row, _)| (row.place.id, row.distance_meters.unwrap_or(0.0)))
            .collect();
        at = if backward {
            page.rows.first()
        } else {
            page.rows.last()
        }
        .map(|(_, c)| c.clone());
        if !filter.venues.is_empty() {
            walked.retain(|(id, _)| filter.venues.contains(id));
        }
        let edge = page
            .rows
            .iter()
            .filter_map(|(row, _)| row.distance_meters)
            .fold(if backward { f64::INFINITY } else { 0.0 }, |edge, d| {
                if backward { edge.min(d) } else { edge.max(d) }
            });
        if !walked.is_empty() {
            let distances: HashMap<Uuid, f64> = walked.iter().copied().collect();
            let at_these = EventFilter {
                venues: walked.iter().map(|(id, _)| *id).collect(),
                near: None,
                ..filter.clone()
            };
            let mut sql = Sql::new(db.db_backend());
            let measure = |sql: &mut Sql| {
                sql.push("e.place_id");
            };
            push_keys(&mut sql, &at_these, None, (&measure, ""));
            let found = read_rows(db, sql, |row| {
                Ok((
                    row.get::<Uuid>()?,
                    row.get::<DateTime<Utc>>()?,
                    row.get::<Uuid>()?,
                ))
            })
            .await?;
            keys.extend(found.into_iter().filter_map(|(id, first_at, place)| {
                let key = RankKey(*distances.get(&place)?, first_at, id);
                let past = beyond.is_none_or(|b| order(&key, &b).is_gt());
                past.then_some(key)
            }));
        }
        keys.sort_by(order);
        let want = request.fetch();
        // Places left are at least as far (near) as this step's edge: once the page is full
        // with keys strictly inside it, none of them can come first.
        let full = keys.len() >= want
            && if backward {
                keys[want - 1].0 > edge
            } else {
                keys[want - 1].0 < edge
            };
        if full || !more {
            keys.truncate(want);
            return Ok(keys);
        }
    }
}

/// Every event of the filter with its first matching date and how many people are going to
/// its dates in the filter's span (each person once), negated so that most comes first.
async fn by_going(
    db: &Database,
    filter: &EventFilter,
    near: Option<&NearPlaces>,
) -> Result<Vec<RankKey>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    let measure = |sql: &mut Sql| {
        sql.push("(SELECT COUNT(DISTINCT a.user_id) FROM attendances a JOIN event_occurrences x ON x.id = a.occurrence_id WHERE x.event_id = e.id AND ");
        push_span(sql, "x", filter);
        sql.push(") AS going");
    };
    push_keys(&mut sql, filter, near, (&measure, ""));
    read_rows(db, sql, |row| {
        let (id, starts_at) = (row.get::<Uuid>()?, row.get::<DateTime<Utc>>()?);
        Ok(RankKey(-(row.get::<i64>()? as f64), starts_at, id))
    })
    .await
}
