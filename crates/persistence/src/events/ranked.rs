//! The agenda in an order other than by date: nearest venue first, or most people going
//! first. Every event of the filter is ranked in Rust from a light key (its first matching
//! date with its venue's position, or with how many people are going), and only the events
//! of the page are then read whole. Distances are measured as places' are, so both engines
//! rank alike.

use std::cmp::Ordering;
use std::collections::HashMap;

use capitole_domain::event::EventOrder;
use capitole_domain::geo::Coordinates;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AgendaColumns, AgendaRow, CANCELLED, EventFilter, NearPlaces, places_within};
use crate::cursor::{Page, PageRequest};
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
    let near = match filter.near {
        Some(near) => Some(places_within(db, near).await?),
        None => None,
    };
    let empty = || Page::from_rows(Vec::new(), request, |_: &AgendaRow| String::new());
    if matches!(&near, Some(NearPlaces::Ids(ids)) if ids.is_empty()) {
        return Ok(empty());
    }
    let mut keys = match order {
        EventOrder::Distance => {
            let Some((point, _)) = filter.near else {
                return Err(StorageError::BadRequest(
                    "`DISTANCE` orders events from a point: give `filter.near`".to_owned(),
                ));
            };
            by_distance(db, filter, near.as_ref(), point).await?
        }
        EventOrder::Popularity => by_going(db, filter, near.as_ref()).await?,
        EventOrder::Date => return super::list(db, filter, request, columns).await,
    };
    keys.sort_by(RankKey::cmp);
    let page = Page::of_sorted(keys, request, RankKey::cmp)?;
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
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .filter_map(|(key, cursor)| rows.remove(&key.2).map(|row| (row, cursor)))
            .collect(),
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
    })
}

/// The first matching date of every event of the filter, with its venue's distance from
/// `point`.
async fn by_distance(
    db: &Database,
    filter: &EventFilter,
    near: Option<&NearPlaces>,
    point: Coordinates,
) -> Result<Vec<RankKey>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT o.event_id, o.starts_at, v.latitude, v.longitude FROM event_occurrences o JOIN events e ON e.id = o.event_id JOIN places v ON v.id = e.place_id WHERE ");
    super::push_first_matching(&mut sql, filter, near);
    let rows = read_rows(db, sql, |row| {
        Ok((
            row.get::<Uuid>()?,
            row.get::<DateTime<Utc>>()?,
            row.get::<f64>()?,
            row.get::<f64>()?,
        ))
    })
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, starts_at, latitude, longitude)| {
            let venue = Coordinates::parse(latitude, longitude).ok()?;
            Some(RankKey(point.distance_meters(venue), starts_at, id))
        })
        .collect())
}

/// The first matching date of every event of the filter, with how many people are going to
/// its dates in the filter's span (each person once), negated so that most comes first.
async fn by_going(
    db: &Database,
    filter: &EventFilter,
    near: Option<&NearPlaces>,
) -> Result<Vec<RankKey>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT o.event_id, o.starts_at, (SELECT COUNT(DISTINCT a.user_id) FROM attendances a JOIN event_occurrences x ON x.id = a.occurrence_id WHERE x.event_id = o.event_id AND x.starts_at >= ")
        .bind(filter.starts_after);
    if let Some(before) = filter.starts_before {
        sql.push(" AND x.starts_at < ").bind(before);
    }
    sql.push(" AND x.status <> ")
        .push(CANCELLED)
        .push(") AS going FROM event_occurrences o JOIN events e ON e.id = o.event_id WHERE ");
    super::push_first_matching(&mut sql, filter, near);
    read_rows(db, sql, |row| {
        let (id, starts_at) = (row.get::<Uuid>()?, row.get::<DateTime<Utc>>()?);
        Ok(RankKey(-(row.get::<i64>()? as f64), starts_at, id))
    })
    .await
}
