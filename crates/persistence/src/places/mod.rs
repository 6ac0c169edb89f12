//! Places as readers see them: keyset-paged lists ordered by name, popularity, rating or
//! distance; exact nearest-neighbour search; batch loads by id. Writing places is
//! [`crate::place`].
//!
//! Nearest search walks an index in distance order and measures only the places it hands
//! back: PostgreSQL's GiST index over `earth` points orders by `<->`; on SQLite an R*Tree
//! yields the places of a box around the point, widened step by step until the page is full.

use capitole_domain::accessibility::AccessibilityFeature;
use capitole_domain::change::ItemKind;
use capitole_domain::event::Accessibility;
use capitole_domain::geo::{BoundingBox, Coordinates, RadiusMeters};
use capitole_domain::opening_hours::OpeningHours;
use capitole_domain::place::PlaceOrder;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use uuid::Uuid;

use crate::cursor::{self, Direction, Keyset, Page, PageRequest, Sort};
use crate::entities::place;
use crate::publishers::Published;
use crate::rows::{ByPosition, Columns, Positional, read_rows};
use crate::sql::Sql;
use crate::{Database, StorageError};

mod nearest;

use nearest::{farthest_postgres, farthest_sqlite, nearest_postgres, nearest_sqlite};

/// Which places a list holds.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    /// Only places within this box (a map's viewport).
    pub bbox: Option<BoundingBox>,
    /// Only places within this circle.
    pub near: Option<(Coordinates, RadiusMeters)>,
    /// Only places in one of these categories (ids, subtrees already expanded).
    pub categories: Vec<Uuid>,
    /// Only places in one of these neighbourhoods.
    pub neighborhoods: Vec<Uuid>,
    /// Only places published by one of these organizations.
    pub publishers: Vec<Uuid>,
    /// Only places prepared for all of these.
    pub accessibility: Vec<Accessibility>,
    /// Only places with all of these features.
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// Only places whose search document holds every term (see [`crate::search`]).
    pub search: Option<capitole_domain::search::SearchQuery>,
    /// Only places open at this instant, reading hours in this timezone.
    pub open_at: Option<(DateTime<Utc>, Tz)>,
}

/// A place in a list, with its distance when the list is measured from a point.
#[derive(Debug, Clone)]
pub struct PlaceRow {
    /// The place.
    pub place: place::Model,
    /// Metres from the filter's point, when there is one.
    pub distance_meters: Option<f64>,
}

#[derive(Serialize, Deserialize)]
enum PlaceKey {
    Name(String, Uuid),
    Popularity(i64, Uuid),
    Rating(f64, Uuid),
    Distance(f64, Uuid),
}

/// The cursor, in a list of places nearest first, of a place `distance` metres away with
/// this id: a walk from it goes on at that distance.
pub(crate) fn distance_cursor(distance: f64, id: Uuid) -> String {
    cursor::encode(&PlaceKey::Distance(distance, id))
}

fn key_of(order: PlaceOrder, row: &PlaceRow) -> PlaceKey {
    let id = row.place.id;
    match order {
        PlaceOrder::Name => PlaceKey::Name(row.place.name_folded.clone(), id),
        PlaceOrder::Popularity => PlaceKey::Popularity(row.place.popularity, id),
        PlaceOrder::Rating => PlaceKey::Rating(row.place.rating.unwrap_or(-1.0), id),
        PlaceOrder::Distance => PlaceKey::Distance(row.distance_meters.unwrap_or(0.0), id),
    }
}

/// One page of places in `order`, each with the columns of `columns` only (and those the
/// filter and the order read).
pub async fn list(
    db: &Database,
    filter: &PlaceFilter,
    order: PlaceOrder,
    request: &PageRequest,
    columns: Columns<place::Model>,
) -> Result<Page<PlaceRow>, StorageError> {
    let columns = columns.with(read_by_filter(filter));
    let key = request.key::<PlaceKey>()?;
    let want = request.fetch();
    let postgres = db.db_backend() == DbBackend::Postgres;
    let rows = match (order, filter.near) {
        (PlaceOrder::Distance, None) => {
            return Err(StorageError::BadRequest(
                "ordering by DISTANCE needs `near`".into(),
            ));
        }
        (PlaceOrder::Distance, Some(near)) => match (request.direction, postgres) {
            (Direction::Forward, true) => {
                nearest_postgres(db, filter, near, want, key, columns).await?
            }
            (Direction::Forward, false) => {
                nearest_sqlite(db, filter, near, want, key, columns).await?
            }
            (Direction::Backward, true) => {
                farthest_postgres(db, filter, near, want, key, columns).await?
            }
            (Direction::Backward, false) => {
                farthest_sqlite(db, filter, near, want, key, columns).await?
            }
        },
        (order, _) => ordered(db, filter, order, want, key, request.direction, columns).await?,
    };
    Ok(Page::from_rows(rows, request, |row| {
        cursor::encode(&key_of(order, row))
    }))
}

/// PostgreSQL only: `p` lies within the circle, measured exactly (the box lets the GiST
/// index narrow the search first).
pub(crate) fn push_within_circle(sql: &mut Sql, point: Coordinates, radius: RadiusMeters) {
    let (lat, lon) = (point.latitude.degrees(), point.longitude.degrees());
    let r = f64::from(radius.meters());
    sql.push("earth_box(ll_to_earth(")
        .bind(lat)
        .push(", ")
        .bind(lon)
        .push("), ")
        .bind(r);
    sql.push(") @> p.earth_point AND earth_distance(p.earth_point, ll_to_earth(");
    sql.bind(lat).push(", ").bind(lon).push(")) <= ").bind(r);
}

/// `{alias}` lies within the box (edges included).
pub(crate) fn push_within_box(sql: &mut Sql, alias: &str, bbox: BoundingBox) {
    sql.push(alias)
        .push(".latitude BETWEEN ")
        .float(bbox.min_latitude)
        .push(" AND ")
        .float(bbox.max_latitude)
        .push(" AND ")
        .push(alias)
        .push(".longitude BETWEEN ")
        .float(bbox.min_longitude)
        .push(" AND ")
        .float(bbox.max_longitude);
}

/// How many places the filter holds.
pub async fn count(db: &Database, filter: &PlaceFilter) -> Result<u64, StorageError> {
    if let (Some((point, radius)), None, DbBackend::Postgres) =
        (filter.near, filter.open_at, db.db_backend())
    {
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("SELECT COUNT(*) AS n FROM places p WHERE ");
        push_within_circle(&mut sql, point, radius);
        push_conditions(&mut sql, filter);
        return count_of(db, sql).await;
    }
    if filter.near.is_some() || filter.open_at.is_some() {
        return Ok(checked_in_rust(db, filter).await?.len() as u64);
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM places p WHERE 1 = 1");
    push_conditions(&mut sql, filter);
    count_of(db, sql).await
}

/// The ids of every place of a filter that needs Rust to measure a distance or read
/// opening hours (both are applied the same on both engines only there).
pub(crate) async fn checked_in_rust(
    db: &Database,
    filter: &PlaceFilter,
) -> Result<Vec<Uuid>, StorageError> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let request = PageRequest::after(500, after);
        let page = list(db, filter, PlaceOrder::Name, &request, Columns::ID).await?;
        ids.extend(page.rows.iter().map(|(row, _)| row.place.id));
        if !page.has_next_page {
            return Ok(ids);
        }
        after = page.rows.last().map(|(_, cursor)| cursor.clone());
    }
}

pub(crate) async fn count_of(db: &Database, sql: Sql) -> Result<u64, StorageError> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let row = Count::find_by_statement(sql.build())
        .one(db.connection())
        .await?;
    Ok(row.map_or(0, |c| c.n.max(0) as u64))
}

/// Places with these ids (missing ids are left out).
pub async fn by_ids(db: &Database, ids: &[Uuid]) -> Result<Vec<place::Model>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    static COLUMNS: OnceLock<String> = OnceLock::new();
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(COLUMNS.get_or_init(|| Columns::<place::Model>::ALL.list("p")))
        .push(" FROM places p WHERE p.id IN ")
        .bind_list(ids.iter().copied());
    read_rows(db, sql, place::Model::read).await
}

/// The place with this slug.
pub async fn by_slug(db: &Database, slug: &str) -> Result<Option<place::Model>, StorageError> {
    Ok(place::Entity::find()
        .filter(place::Column::Slug.eq(slug))
        .into_model::<ByPosition<place::Model>>()
        .one(db.connection())
        .await?
        .map(|row| row.0))
}

/// The opening hours stored for a place; unreadable hours read as none.
pub fn opening_hours(place: &place::Model) -> OpeningHours {
    serde_json::from_str(&place.opening_hours).unwrap_or_default()
}

/// Whether a place is open at `at`: not closed, and within its opening hours.
pub fn is_open_at(
    place: &place::Model,
    at: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> bool {
    open_by(
        &place.opening_hours,
        &place.closure,
        place.closed_until,
        at,
        tz,
    )
}

/// Whether a place whose stored hours, closure and end of closure are these is open at
/// `at`.
pub(crate) fn open_by(
    hours: &str,
    closure: &str,
    closed_until: Option<chrono::DateTime<chrono::Utc>>,
    at: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> bool {
    let closure = capitole_domain::agenda::PlaceClosure::from_code(closure)
        .unwrap_or(capitole_domain::agenda::PlaceClosure::Open);
    let hours: OpeningHours = serde_json::from_str(hours).unwrap_or_default();
    !closure.is_closed_at(closed_until, at) && hours.is_open_at(at, tz)
}

/// The columns of a place that ordering and filtering a list read in Rust: its position
/// and sort keys, and its hours when the filter asks for places open at a time.
fn read_by_filter(filter: &PlaceFilter) -> Columns<place::Model> {
    let keys = Columns::named(&[
        "name_folded",
        "latitude",
        "longitude",
        "popularity",
        "rating",
    ]);
    match filter.open_at {
        Some(_) => keys.with(Columns::named(&[
            "opening_hours",
            "closure",
            "closed_until",
        ])),
        None => keys,
    }
}

pub(crate) fn push_conditions(sql: &mut Sql, filter: &PlaceFilter) {
    if let Some(bbox) = filter.bbox {
        sql.push(" AND ");
        push_within_box(sql, "p", bbox);
    }
    if !filter.categories.is_empty() {
        sql.push(" AND p.id IN (SELECT place_id FROM place_categories WHERE category_id IN ")
            .bind_list(filter.categories.iter().copied())
            .push(")");
    }
    if !filter.neighborhoods.is_empty() {
        sql.push(" AND p.neighborhood_id IN ")
            .bind_list(filter.neighborhoods.iter().copied());
    }
    Published::Place.push_any_of(sql, "p.id", &filter.publishers);
    crate::accessibility::push_having(
        sql,
        "p",
        &filter.accessibility,
        &filter.accessibility_features,
    );
    if let Some(search) = &filter.search {
        crate::search::query::push_matching(sql, ItemKind::Place, "p.id", search);
    }
}

/// Keeps the rows that pass the checks SQL cannot make (exact distance, opening hours).
fn passes(filter: &PlaceFilter, row: &PlaceRow) -> bool {
    if let (Some((_, radius)), Some(distance)) = (filter.near, row.distance_meters)
        && distance > f64::from(radius.meters())
    {
        return false;
    }
    match filter.open_at {
        Some((at, tz)) => is_open_at(&row.place, at, tz),
        None => true,
    }
}

fn measured(filter: &PlaceFilter, place: place::Model) -> PlaceRow {
    let distance_meters = filter.near.and_then(|(point, _)| {
        Coordinates::parse(place.latitude, place.longitude)
            .ok()
            .map(|p| point.distance_meters(p))
    });
    PlaceRow {
        place,
        distance_meters,
    }
}

/// The sort key of an order other than distance, in SQL.
fn keyset_of(order: PlaceOrder) -> Keyset<'static> {
    match order {
        PlaceOrder::Popularity => Keyset(&[
            ("p.popularity", Sort::Descending),
            ("p.id", Sort::Descending),
        ]),
        PlaceOrder::Rating => Keyset(&[
            ("COALESCE(p.rating, -1)", Sort::Descending),
            ("p.id", Sort::Descending),
        ]),
        _ => Keyset(&[
            ("p.name_folded", Sort::Ascending),
            ("p.id", Sort::Ascending),
        ]),
    }
}

/// Name, popularity or rating order (read either way), by index, in batches until the page
/// is full (opening hours and exact distance are checked in Rust, so a batch may come back
/// thinner).
async fn ordered(
    db: &Database,
    filter: &PlaceFilter,
    order: PlaceOrder,
    want: usize,
    mut beyond: Option<PlaceKey>,
    direction: Direction,
    columns: Columns<place::Model>,
) -> Result<Vec<PlaceRow>, StorageError> {
    let post_filtered = filter.near.is_some() || filter.open_at.is_some();
    let batch = if post_filtered { want.max(200) } else { want };
    let keyset = keyset_of(order);
    let mut rows = Vec::with_capacity(want);
    loop {
        let mut sql = Sql::new(db.db_backend());
        sql.push("SELECT ")
            .push(&columns.list("p"))
            .push(" FROM places p WHERE 1 = 1");
        push_conditions(&mut sql, filter);
        if let Some((point, radius)) = filter.near {
            let b = point.bounding_box(radius);
            sql.push(" AND p.latitude BETWEEN ")
                .bind(b.min_latitude)
                .push(" AND ")
                .bind(b.max_latitude);
            sql.push(" AND p.longitude BETWEEN ")
                .bind(b.min_longitude)
                .push(" AND ")
                .bind(b.max_longitude);
        }
        let values: Option<Vec<sea_orm::Value>> = match &beyond {
            Some(PlaceKey::Name(name, id)) if order == PlaceOrder::Name => {
                Some(vec![name.clone().into(), (*id).into()])
            }
            Some(PlaceKey::Popularity(popularity, id)) if order == PlaceOrder::Popularity => {
                Some(vec![(*popularity).into(), (*id).into()])
            }
            Some(PlaceKey::Rating(rating, id)) if order == PlaceOrder::Rating => {
                Some(vec![(*rating).into(), (*id).into()])
            }
            Some(_) => return Err(StorageError::BadCursor),
            None => None,
        };
        if let Some(values) = values {
            keyset.push_beyond(&mut sql, &values, direction);
        }
        sql.push(" ORDER BY ");
        keyset.push_order(&mut sql, direction);
        sql.push(" LIMIT ").number(batch);
        let fetched = read_rows(db, sql, |row| place::Model::read_only(row, columns)).await?;
        let exhausted = fetched.len() < batch;
        if let Some(last) = fetched.last() {
            beyond = Some(key_of(
                order,
                &PlaceRow {
                    place: last.clone(),
                    distance_meters: None,
                },
            ));
        }
        rows.extend(
            fetched
                .into_iter()
                .map(|p| measured(filter, p))
                .filter(|row| passes(filter, row)),
        );
        if rows.len() >= want || exhausted {
            rows.truncate(want);
            return Ok(rows);
        }
    }
}
