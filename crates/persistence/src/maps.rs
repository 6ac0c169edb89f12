//! What maps need: places grouped into the cells of a grid for a zoomed-out view, counted
//! by the database, and what is happening now near a point.

use capitole_domain::geo::{BoundingBox, Coordinates, RadiusMeters};
use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cursor::{self, Direction, Page, PageRequest};
use crate::places::{PlaceFilter, open_by, push_conditions, push_within_box};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// The places of one cell of the grid.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Cluster {
    /// How many places the cell holds.
    pub count: i64,
    /// Their mean latitude.
    pub latitude: f64,
    /// Their mean longitude.
    pub longitude: f64,
    /// The most popular of them (then the first by id).
    pub sample: Uuid,
}

/// The places of the filter (its box included) grouped into square cells of `cell`
/// degrees, counted from the box's south-west corner; the fullest cells first, at most
/// `limit`.
///
/// One pass groups the places by cell (count, mean position, top popularity); the sample
/// is then chosen among the few places of each cell that reach its top popularity, so that
/// only those are sorted.
pub async fn clusters(
    db: &Database,
    filter: &PlaceFilter,
    bbox: BoundingBox,
    cell: f64,
    limit: usize,
) -> Result<Vec<Cluster>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    // Inside the box both offsets are positive: truncating them is taking their floor.
    let (floor, end) = if sql.is_postgres() {
        ("FLOOR(", ")")
    } else {
        ("CAST(", " AS INTEGER)")
    };
    sql.push("WITH c AS (SELECT p.id, p.popularity, p.latitude, p.longitude, ")
        .push(floor)
        .push("(p.latitude - ")
        .float(bbox.min_latitude)
        .push(") / ")
        .float(cell)
        .push(end)
        .push(" AS cell_row, ")
        .push(floor)
        .push("(p.longitude - ")
        .float(bbox.min_longitude)
        .push(") / ")
        .float(cell)
        .push(end)
        .push(" AS cell_column FROM places p WHERE 1 = 1");
    push_conditions(&mut sql, filter);
    sql.push(
        "), g AS (SELECT cell_row, cell_column, COUNT(*) AS n, AVG(latitude) AS latitude, \
         AVG(longitude) AS longitude, MAX(popularity) AS top FROM c GROUP BY cell_row, cell_column), \
         t AS (SELECT g.n, g.latitude, g.longitude, c.id, ROW_NUMBER() OVER \
         (PARTITION BY g.cell_row, g.cell_column ORDER BY c.id) AS rank FROM g JOIN c \
         ON c.cell_row = g.cell_row AND c.cell_column = g.cell_column AND c.popularity = g.top) \
         SELECT n AS count, latitude, longitude, id AS sample FROM t WHERE rank = 1 \
         ORDER BY n DESC, id LIMIT ",
    )
    .number(limit);
    Ok(Cluster::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// What is happening near a point: an event under way at a venue, or a place open now.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// An event under way.
    Event {
        /// The event.
        id: Uuid,
        /// Its date under way.
        occurrence_id: Uuid,
        /// When that date ends.
        ends_at: DateTime<Utc>,
    },
    /// A place open now.
    Place {
        /// The place.
        id: Uuid,
    },
}

/// One row of what is happening, with its distance from the point.
#[derive(Debug, Clone, PartialEq)]
pub struct HappeningRow {
    /// The event or the place.
    pub happening: Happening,
    /// Metres from the point (to the event's venue).
    pub distance_meters: f64,
}

#[derive(FromQueryResult)]
struct Found {
    kind: String,
    id: Uuid,
    occurrence_id: Option<Uuid>,
    ends_at: Option<DateTime<Utc>>,
    latitude: f64,
    longitude: f64,
    opening_hours: Option<String>,
    closure: Option<String>,
    closed_until: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, PartialEq, PartialOrd)]
struct HappeningKey(i64, String, Uuid);

fn key_of(row: &HappeningRow) -> HappeningKey {
    let (kind, id) = match row.happening {
        Happening::Event { id, .. } => ("EVENT", id),
        Happening::Place { id } => ("PLACE", id),
    };
    // Millimetres: the order is exact and the key has no float.
    HappeningKey(
        (row.distance_meters * 1000.0).round() as i64,
        kind.to_owned(),
        id,
    )
}

/// Events under way now at a venue within the circle (multi-day events that started
/// earlier included; neither the date nor the event cancelled, put off or moved online) and
/// places within it open now, in one list, nearest first: one statement reads both, then
/// the exact distance and opening hours are checked.
///
/// Returns the page asked for, and how many items the whole list holds.
pub async fn happening_now(
    db: &Database,
    (point, radius): (Coordinates, RadiusMeters),
    (now, tz): (DateTime<Utc>, chrono_tz::Tz),
    request: &PageRequest,
) -> Result<(Page<HappeningRow>, usize), StorageError> {
    let bbox = point.bounding_box(radius);
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT 'EVENT' AS kind, e.id, o.id AS occurrence_id, o.ends_at, v.latitude, v.longitude, \
         CAST(NULL AS TEXT) AS opening_hours, CAST(NULL AS TEXT) AS closure, \
         CAST(NULL AS TIMESTAMPTZ) AS closed_until \
         FROM places v JOIN events e ON e.place_id = v.id JOIN event_occurrences o ON o.event_id = e.id \
         WHERE o.starts_at <= ",
    )
    .bind(now)
    .push(" AND o.ends_at > ")
    .bind(now)
    .push(" AND o.status <> 'CANCELLED' AND e.status IN ('SCHEDULED', 'RESCHEDULED', 'FULL') AND ");
    push_within_box(&mut sql, "v", bbox);
    sql.push(
        " UNION ALL SELECT 'PLACE' AS kind, p.id, CAST(NULL AS UUID) AS occurrence_id, \
         CAST(NULL AS TIMESTAMPTZ) AS ends_at, p.latitude, p.longitude, p.opening_hours, p.closure, \
         p.closed_until FROM places p WHERE ",
    );
    push_within_box(&mut sql, "p", bbox);
    let found = Found::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    let limit = f64::from(radius.meters());
    let mut rows: Vec<HappeningRow> = found
        .into_iter()
        .filter_map(|f| {
            let at = Coordinates::parse(f.latitude, f.longitude).ok()?;
            let distance_meters = (point.distance_meters(at) * 10.0).round() / 10.0;
            if distance_meters > limit {
                return None;
            }
            let happening = match (f.kind.as_str(), f.occurrence_id, f.ends_at) {
                ("EVENT", Some(occurrence_id), Some(ends_at)) => Happening::Event {
                    id: f.id,
                    occurrence_id,
                    ends_at,
                },
                _ => {
                    let open = open_by(
                        f.opening_hours.as_deref().unwrap_or("{}"),
                        f.closure.as_deref().unwrap_or_default(),
                        f.closed_until,
                        now,
                        tz,
                    );
                    if !open {
                        return None;
                    }
                    Happening::Place { id: f.id }
                }
            };
            Some(HappeningRow {
                happening,
                distance_meters,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        key_of(a)
            .partial_cmp(&key_of(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let total = rows.len();
    let after = request.key::<HappeningKey>()?;
    let rows: Vec<HappeningRow> = match request.direction {
        Direction::Forward => rows
            .into_iter()
            .filter(|row| after.as_ref().is_none_or(|k| key_of(row) > *k))
            .take(request.fetch())
            .collect(),
        Direction::Backward => rows
            .into_iter()
            .rev()
            .filter(|row| after.as_ref().is_none_or(|k| key_of(row) < *k))
            .take(request.fetch())
            .collect(),
    };
    let page = Page::from_rows(rows, request, |row| cursor::encode(&key_of(row)));
    Ok((page, total))
}
