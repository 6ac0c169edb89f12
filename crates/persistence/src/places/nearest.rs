//! Places in distance order: nearest first from a point (paging forward), or farthest
//! first within the circle (paging backward), on each engine.

use super::*;

/// The distance of a row relative to a cursor key: strictly after it in (distance, id) order.
fn after_key(row: &PlaceRow, after: &Option<PlaceKey>) -> bool {
    match after {
        Some(PlaceKey::Distance(distance, id)) => {
            let d = row.distance_meters.unwrap_or(0.0);
            d > *distance || (d == *distance && row.place.id > *id)
        }
        _ => true,
    }
}

pub(super) async fn nearest_postgres(
    db: &Database,
    filter: &PlaceFilter,
    (point, radius): (Coordinates, RadiusMeters),
    want: usize,
    after: Option<PlaceKey>,
    columns: Columns<place::Model>,
) -> Result<Vec<PlaceRow>, StorageError> {
    if !matches!(after, None | Some(PlaceKey::Distance(..))) {
        return Err(StorageError::BadCursor);
    }
    let (lat, lon) = (point.latitude.degrees(), point.longitude.degrees());
    // One more than asked for, so that a tie at the end of the page can be told apart.
    let mut batch = if filter.open_at.is_some() {
        want.max(200)
    } else {
        want + 1
    };
    let mut rows = Vec::with_capacity(want);
    let mut after = after;
    loop {
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("SELECT ")
            .push(&columns.list("p"))
            .push(" FROM places p WHERE earth_box(ll_to_earth(");
        sql.bind(lat)
            .push(", ")
            .bind(lon)
            .push("), ")
            .bind(f64::from(radius.meters()))
            .push(") @> p.earth_point");
        push_conditions(&mut sql, filter);
        if let Some(PlaceKey::Distance(distance, _)) = &after {
            // The index yields nearest first; places before the cursor are skipped by the
            // cheap chord comparison below, measured exactly only near the boundary.
            sql.push(" AND p.earth_point <-> ll_to_earth(")
                .bind(lat)
                .push(", ")
                .bind(lon)
                .push(") >= ");
            sql.bind(chord_of(*distance) * 0.999_999);
        }
        // Ordering by the index's measure alone lets PostgreSQL walk the GiST index nearest
        // first and stop at the limit; ties are ordered by id here, in Rust.
        sql.push(" ORDER BY p.earth_point <-> ll_to_earth(")
            .bind(lat)
            .push(", ")
            .bind(lon)
            .push(")");
        sql.push(" LIMIT ").number(batch);
        let fetched = read_rows(db, sql, |row| place::Model::read_only(row, columns)).await?;
        let exhausted = fetched.len() < batch;
        let mut measured_rows: Vec<PlaceRow> =
            fetched.into_iter().map(|p| measured(filter, p)).collect();
        sort_by_distance(&mut measured_rows);
        if !exhausted {
            // Places as far as the last one fetched may not all have been fetched: keep only
            // the nearer ones, and take the rest up in the next round.
            let farthest = measured_rows
                .last()
                .and_then(|row| row.distance_meters)
                .unwrap_or(0.0);
            let nearer = measured_rows
                .iter()
                .take_while(|row| row.distance_meters.unwrap_or(0.0) < farthest - 1e-6)
                .count();
            if nearer == 0 {
                batch *= 2;
                continue;
            }
            measured_rows.truncate(nearer);
            if !measured_rows.iter().any(|row| after_key(row, &after)) {
                // Only places already listed: look further in the next round.
                batch *= 2;
                continue;
            }
        }
        let last = measured_rows
            .last()
            .map(|row| PlaceKey::Distance(row.distance_meters.unwrap_or(0.0), row.place.id));
        rows.extend(
            measured_rows
                .into_iter()
                .filter(|row| after_key(row, &after) && passes(filter, row)),
        );
        if rows.len() >= want || exhausted {
            rows.truncate(want);
            return Ok(rows);
        }
        if last.is_some() {
            after = last;
        }
    }
}

/// The straight-line (chord) length through the Earth for a great-circle distance, the
/// measure PostgreSQL's `<->` on `earth` points orders by.
fn chord_of(distance_meters: f64) -> f64 {
    use capitole_domain::geo::EARTH_RADIUS_METERS;
    2.0 * EARTH_RADIUS_METERS * (distance_meters / (2.0 * EARTH_RADIUS_METERS)).sin()
}

fn sort_by_distance(rows: &mut [PlaceRow]) {
    rows.sort_by(|a, b| {
        let (da, db) = (
            a.distance_meters.unwrap_or(0.0),
            b.distance_meters.unwrap_or(0.0),
        );
        da.total_cmp(&db).then(a.place.id.cmp(&b.place.id))
    });
}

pub(super) async fn nearest_sqlite(
    db: &Database,
    filter: &PlaceFilter,
    (point, radius): (Coordinates, RadiusMeters),
    want: usize,
    after: Option<PlaceKey>,
    columns: Columns<place::Model>,
) -> Result<Vec<PlaceRow>, StorageError> {
    let start = match &after {
        Some(PlaceKey::Distance(distance, _)) => *distance,
        None => 0.0,
        Some(_) => return Err(StorageError::BadCursor),
    };
    let limit = f64::from(radius.meters());
    // Every place within `reach` of the point lies in the box of radius `reach`, so once the
    // box holds a full page within `reach`, no place outside it can come earlier.
    let mut reach = (start + 250.0).min(limit);
    loop {
        let reach_radius = RadiusMeters::parse(reach.ceil() as i64).unwrap_or(radius);
        let b = point.bounding_box(reach_radius);
        let mut sql = Sql::new(DbBackend::Sqlite);
        sql.push("SELECT ").push(&columns.list("p")).push(
            " FROM places_rtree r JOIN places p ON p.id = r.place_id WHERE r.max_latitude >= ",
        );
        sql.bind(b.min_latitude)
            .push(" AND r.min_latitude <= ")
            .bind(b.max_latitude);
        sql.push(" AND r.max_longitude >= ")
            .bind(b.min_longitude)
            .push(" AND r.min_longitude <= ")
            .bind(b.max_longitude);
        push_conditions(&mut sql, filter);
        let fetched = read_rows(db, sql, |row| place::Model::read_only(row, columns)).await?;
        let mut rows: Vec<PlaceRow> = fetched
            .into_iter()
            .map(|p| measured(filter, p))
            .filter(|row| {
                row.distance_meters.is_some_and(|d| d <= reach)
                    && after_key(row, &after)
                    && passes(filter, row)
            })
            .collect();
        if rows.len() >= want || reach >= limit {
            sort_by_distance(&mut rows);
            rows.truncate(want);
            return Ok(rows);
        }
        reach = (reach * 2.0).min(limit);
    }
}

/// Whether a row comes strictly before a cursor key in (distance, id) order.
fn before_key(row: &PlaceRow, before: &Option<PlaceKey>) -> bool {
    match before {
        Some(PlaceKey::Distance(distance, id)) => {
            let d = row.distance_meters.unwrap_or(0.0);
            d < *distance || (d == *distance && row.place.id < *id)
        }
        _ => true,
    }
}

/// Where a backward page by distance starts looking: at the cursor's distance, or at the
/// circle's edge.
fn farthest_bound(radius: RadiusMeters, before: &Option<PlaceKey>) -> Result<f64, StorageError> {
    let limit = f64::from(radius.meters());
    match before {
        Some(PlaceKey::Distance(distance, _)) => Ok(distance.min(limit)),
        None => Ok(limit),
        Some(_) => Err(StorageError::BadCursor),
    }
}

/// A backward page by distance on PostgreSQL: farthest first from the cursor (or from the
/// circle's edge), in batches ordered by the index's measure, settled by the exact one.
pub(super) async fn farthest_postgres(
    db: &Database,
    filter: &PlaceFilter,
    (point, radius): (Coordinates, RadiusMeters),
    want: usize,
    before: Option<PlaceKey>,
    columns: Columns<place::Model>,
) -> Result<Vec<PlaceRow>, StorageError> {
    let mut bound = farthest_bound(radius, &before)?;
    let (lat, lon) = (point.latitude.degrees(), point.longitude.degrees());
    let mut batch = if filter.open_at.is_some() {
        want.max(200)
    } else {
        want + 1
    };
    let mut rows = Vec::with_capacity(want);
    let mut before = before;
    loop {
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("SELECT ")
            .push(&columns.list("p"))
            .push(" FROM places p WHERE earth_box(ll_to_earth(");
        sql.bind(lat)
            .push(", ")
            .bind(lon)
            .push("), ")
            .bind(f64::from(radius.meters()))
            .push(") @> p.earth_point");
        push_conditions(&mut sql, filter);
        sql.push(" AND p.earth_point <-> ll_to_earth(")
            .bind(lat)
            .push(", ")
            .bind(lon)
            .push(") <= ");
        sql.bind(chord_of(bound) * 1.000_001);
        sql.push(" ORDER BY p.earth_point <-> ll_to_earth(")
            .bind(lat)
            .push(", ")
            .bind(lon)
            .push(") DESC");
        sql.push(" LIMIT ").number(batch);
        let fetched = read_rows(db, sql, |row| place::Model::read_only(row, columns)).await?;
        let exhausted = fetched.len() < batch;
        let mut measured_rows: Vec<PlaceRow> =
            fetched.into_iter().map(|p| measured(filter, p)).collect();
        sort_by_distance(&mut measured_rows);
        measured_rows.reverse();
        if !exhausted {
            // Places as near as the nearest one fetched may not all have been fetched: keep
            // only the farther ones, and take the rest up in the next round.
            let nearest = measured_rows
                .last()
                .and_then(|row| row.distance_meters)
                .unwrap_or(0.0);
            let farther = measured_rows
                .iter()
                .take_while(|row| row.distance_meters.unwrap_or(0.0) > nearest + 1e-6)
                .count();
            if farther == 0 {
                batch *= 2;
                continue;
            }
            measured_rows.truncate(farther);
            if !measured_rows.iter().any(|row| before_key(row, &before)) {
                batch *= 2;
                continue;
            }
        }
        let last = measured_rows
            .last()
            .map(|row| PlaceKey::Distance(row.distance_meters.unwrap_or(0.0), row.place.id));
        rows.extend(
            measured_rows
                .into_iter()
                .filter(|row| before_key(row, &before) && passes(filter, row)),
        );
        if rows.len() >= want || exhausted {
            rows.truncate(want);
            return Ok(rows);
        }
        if let Some(PlaceKey::Distance(distance, id)) = last {
            bound = distance;
            before = Some(PlaceKey::Distance(distance, id));
        }
    }
}

/// A backward page by distance on SQLite: every place of the box around the cursor's
/// distance (or the circle), measured, farthest first.
pub(super) async fn farthest_sqlite(
    db: &Database,
    filter: &PlaceFilter,
    (point, radius): (Coordinates, RadiusMeters),
    want: usize,
    before: Option<PlaceKey>,
    columns: Columns<place::Model>,
) -> Result<Vec<PlaceRow>, StorageError> {
    let bound = farthest_bound(radius, &before)?;
    let reach = RadiusMeters::parse(bound.ceil() as i64).unwrap_or(radius);
    let b = point.bounding_box(reach);
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push("SELECT ")
        .push(&columns.list("p"))
        .push(" FROM places_rtree r JOIN places p ON p.id = r.place_id WHERE r.max_latitude >= ");
    sql.bind(b.min_latitude)
        .push(" AND r.min_latitude <= ")
        .bind(b.max_latitude);
    sql.push(" AND r.max_longitude >= ")
        .bind(b.min_longitude)
        .push(" AND r.min_longitude <= ")
        .bind(b.max_longitude);
    push_conditions(&mut sql, filter);
    let mut rows: Vec<PlaceRow> = read_rows(db, sql, |row| place::Model::read_only(row, columns))
        .await?
        .into_iter()
        .map(|place| measured(filter, place))
        .filter(|row| {
            row.distance_meters.is_some_and(|d| d <= bound)
                && before_key(row, &before)
                && passes(filter, row)
        })
        .collect();
    sort_by_distance(&mut rows);
    rows.reverse();
    rows.truncate(want);
    Ok(rows)
}
