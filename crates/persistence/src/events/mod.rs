//! Events and their occurrences as readers see them: the agenda ordered by each event's
//! first matching date, an event's dates paged, the next date of many events at once.
//! Writing events is [`crate::event`].
//!
//! The agenda walks occurrences in start order over an index and keeps an occurrence only
//! when no earlier matching occurrence of the same event exists (an anti-join probed by
//! index), so that each event appears once, at its first date in the window.

use capitole_domain::change::ItemKind;
use std::collections::HashMap;

use capitole_domain::Audience;
use capitole_domain::accessibility::AccessibilityFeature;
use capitole_domain::event::Accessibility;
use capitole_domain::geo::{BoundingBox, Coordinates, RadiusMeters};
use capitole_domain::schedule::OccurrenceStatus;
use chrono::{DateTime, Utc};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::{event, event_neighborhood, event_occurrence, place};
use crate::places::count_of;
use crate::publishers::Published;
use crate::rows::{ByPosition, Columns, Positional, column_list, read_rows};
use crate::sql::Sql;
use crate::{Database, StorageError};

mod ranked;

pub use ranked::ranked;

/// Which events the agenda holds.
#[derive(Debug, Clone)]
pub struct EventFilter {
    /// Only dates starting at or after this instant.
    pub starts_after: DateTime<Utc>,
    /// Only dates starting before this instant.
    pub starts_before: Option<DateTime<Utc>>,
    /// Only events in one of these categories (subtrees already expanded).
    pub categories: Vec<Uuid>,
    /// Only events for at least one of these audiences.
    pub audiences: Vec<Audience>,
    /// Only events at one of these places.
    pub venues: Vec<Uuid>,
    /// Only events concerning one of these neighbourhoods.
    pub neighborhoods: Vec<Uuid>,
    /// Only events at a place within this circle.
    pub near: Option<(Coordinates, RadiusMeters)>,
    /// Only events at a place within this box (a map's viewport).
    pub bbox: Option<BoundingBox>,
    /// Only free events.
    pub free_only: bool,
    /// Only events prepared for all of these (as they show it: their own, or their venue's).
    pub accessibility: Vec<Accessibility>,
    /// Only events with all of these features (as they show them).
    pub accessibility_features: Vec<AccessibilityFeature>,
    /// Only events published by one of these organizations.
    pub publishers: Vec<Uuid>,
    /// Only events whose search document holds every term (see [`crate::search`]).
    pub search: Option<capitole_domain::search::SearchQuery>,
    /// Only these events (every one when empty): whether one event is in a list.
    pub ids: Vec<Uuid>,
}

impl EventFilter {
    /// Every event with a date from `starts_after` on.
    pub fn from(starts_after: DateTime<Utc>) -> Self {
        Self {
            starts_after,
            starts_before: None,
            categories: Vec::new(),
            audiences: Vec::new(),
            venues: Vec::new(),
            neighborhoods: Vec::new(),
            near: None,
            bbox: None,
            free_only: false,
            accessibility: Vec::new(),
            accessibility_features: Vec::new(),
            publishers: Vec::new(),
            search: None,
            ids: Vec::new(),
        }
    }
}

/// Which columns a page of the agenda reads: its events', and its venues' (`None` when the
/// page does not show them). Each date's columns are always read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgendaColumns {
    /// The events' columns.
    pub event: Columns<event::Model>,
    /// The venues' columns, or none.
    pub venue: Option<Columns<place::Model>>,
}

impl AgendaColumns {
    /// Every column of each event and of its venue.
    pub const ALL: Self = Self {
        event: Columns::ALL,
        venue: Some(Columns::ALL),
    };

    /// `SELECT` these columns `FROM` the dates, their events and (when the page shows them)
    /// their venues, up to `WHERE`.
    pub(crate) fn push_from(self, sql: &mut Sql) {
        sql.push("SELECT ")
            .push(&self.event.list("e"))
            .push(", ")
            .push(&column_list::<event_occurrence::Model>("o"));
        if let Some(venue) = self.venue {
            sql.push(", ").push(&venue.list("v"));
        }
        sql.push(" FROM event_occurrences o JOIN events e ON e.id = o.event_id ");
        if self.venue.is_some() {
            sql.push("LEFT JOIN places v ON v.id = e.place_id ");
        }
        sql.push("WHERE ");
    }

    pub(crate) async fn read_all(
        self,
        db: &Database,
        sql: Sql,
    ) -> Result<Vec<AgendaRow>, StorageError> {
        read_rows(db, sql, |reader| {
            Ok(AgendaRow {
                event: event::Model::read_only(reader, self.event)?,
                occurrence: event_occurrence::Model::read(reader)?,
                venue: match self.venue {
                    Some(columns) => reader.optional::<place::Model>(columns)?,
                    None => None,
                },
            })
        })
        .await
    }
}

/// An event of the agenda with the date that placed it there.
#[derive(Debug, Clone)]
pub struct AgendaRow {
    /// The event.
    pub event: event::Model,
    /// Its first date matching the filter.
    pub occurrence: event_occurrence::Model,
    /// Its venue, read with it on agenda pages (`None` elsewhere, and for events without
    /// one). Holds only the columns the page asked for (see [`AgendaColumns`]), like
    /// `event`.
    pub venue: Option<place::Model>,
}

#[derive(Serialize, Deserialize)]
struct AgendaKey(DateTime<Utc>, Uuid);

#[derive(Serialize, Deserialize)]
pub(crate) struct OccurrenceKey(DateTime<Utc>, Uuid);

/// The values of a date's sort key, in [`OCCURRENCE_ORDER`]'s columns.
pub(crate) fn occurrence_key_values(
    OccurrenceKey(starts_at, id): OccurrenceKey,
) -> Vec<sea_orm::Value> {
    vec![starts_at.into(), id.into()]
}

/// Written into the text, not bound, so that the planner sees which rows it excludes.
pub(crate) const CANCELLED: &str = "'CANCELLED'";

/// One page of the agenda, each row with the columns of `columns` only.
pub async fn list(
    db: &Database,
    filter: &EventFilter,
    request: &PageRequest,
    columns: AgendaColumns,
) -> Result<Page<AgendaRow>, StorageError> {
    let near_places = near_places(db, filter).await?;
    if holds_no_place(&near_places) {
        return Ok(Page::from_rows(Vec::new(), request, |_: &AgendaRow| {
            String::new()
        }));
    }
    let mut sql = Sql::new(db.db_backend());
    columns.push_from(&mut sql);
    push_first_matching(&mut sql, filter, near_places.as_ref());
    AGENDA_ORDER.push_page(&mut sql, request, |AgendaKey(starts_at, event_id)| {
        vec![starts_at.into(), event_id.into()]
    })?;
    let rows = columns.read_all(db, sql).await?;
    Ok(Page::from_rows(rows, request, agenda_cursor))
}

/// The agenda's order: by the date that placed each event there, then by event.
const AGENDA_ORDER: Keyset<'static> = Keyset(&[
    ("o.starts_at", Sort::Ascending),
    ("o.event_id", Sort::Ascending),
]);

/// The cursor of an agenda row (in the agenda or in a place's upcoming events).
pub fn agenda_cursor(row: &AgendaRow) -> String {
    cursor::encode(&AgendaKey(row.occurrence.starts_at, row.event.id))
}

/// How many events the agenda holds.
pub async fn count(db: &Database, filter: &EventFilter) -> Result<u64, StorageError> {
    let near_places = near_places(db, filter).await?;
    if holds_no_place(&near_places) {
        return Ok(0);
    }
    // The events with a date in the span: counting them distinct costs one read of the
    // dates' index, where keeping each event's first date probes the index again per date.
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT COUNT(DISTINCT o.event_id) AS n FROM event_occurrences o WHERE o.starts_at >= ",
    )
    .bind(filter.starts_after);
    if let Some(before) = filter.starts_before {
        sql.push(" AND o.starts_at < ").bind(before);
    }
    sql.push(" AND o.status <> ").push(CANCELLED);
    push_conditions_on_event_of_date(&mut sql, filter, near_places.as_ref());
    count_of(db, sql).await
}

/// Appends the filter's conditions on the event of the date `o` (` AND EXISTS (…)`), when
/// it has any: without them, every date's event is kept, and reading the events is left
/// out.
pub(crate) fn push_conditions_on_event_of_date(
    sql: &mut Sql,
    filter: &EventFilter,
    near_places: Option<&NearPlaces>,
) {
    let mut conditions = Sql::new(sql.backend());
    push_event_conditions(&mut conditions, filter, near_places);
    if !conditions.is_empty() {
        sql.push(" AND EXISTS (SELECT 1 FROM events e WHERE e.id = o.event_id");
        push_event_conditions(sql, filter, near_places);
        sql.push(")");
    }
}

/// One page of every date of the events the filter holds, cancelled ones included, in
/// start order, each with its event and venue: the agenda date by date rather than event
/// by event.
pub async fn dates(
    db: &Database,
    filter: &EventFilter,
    request: &PageRequest,
    columns: AgendaColumns,
) -> Result<Page<AgendaRow>, StorageError> {
    let near_places = near_places(db, filter).await?;
    let cursor_of = |row: &AgendaRow| occurrence_cursor(&row.occurrence);
    if holds_no_place(&near_places) {
        return Ok(Page::from_rows(Vec::new(), request, cursor_of));
    }
    let mut sql = Sql::new(db.db_backend());
    columns.push_from(&mut sql);
    sql.push("o.starts_at >= ").bind(filter.starts_after);
    if let Some(before) = filter.starts_before {
        sql.push(" AND o.starts_at < ").bind(before);
    }
    push_event_conditions(&mut sql, filter, near_places.as_ref());
    OCCURRENCE_ORDER.push_page(&mut sql, request, occurrence_key_values)?;
    let rows = columns.read_all(db, sql).await?;
    Ok(Page::from_rows(rows, request, cursor_of))
}

/// Conditions that keep, for each matching event, only its first matching occurrence.
pub(crate) fn push_first_matching(
    sql: &mut Sql,
    filter: &EventFilter,
    near_places: Option<&NearPlaces>,
) {
    sql.push("o.starts_at >= ").bind(filter.starts_after);
    if let Some(before) = filter.starts_before {
        sql.push(" AND o.starts_at < ").bind(before);
    }
    sql.push(" AND o.status <> ").push(CANCELLED);
    sql.push(" AND NOT EXISTS (SELECT 1 FROM event_occurrences x WHERE x.event_id = o.event_id AND x.starts_at >= ");
    sql.bind(filter.starts_after)
        .push(" AND x.starts_at < o.starts_at AND x.status <> ")
        .push(CANCELLED)
        .push(")");
    push_event_conditions(sql, filter, near_places);
}

/// The conditions of the filter on the event itself (`e`), each starting with ` AND `.
pub(crate) fn push_event_conditions(
    sql: &mut Sql,
    filter: &EventFilter,
    near_places: Option<&NearPlaces>,
) {
    if !filter.categories.is_empty() {
        sql.push(" AND e.id IN (SELECT event_id FROM event_categories WHERE category_id IN ")
            .bind_list(filter.categories.iter().copied())
            .push(")");
    }
    if !filter.audiences.is_empty() {
        sql.push(" AND (");
        for (i, audience) in filter.audiences.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.contains("e.audiences", &format!("|{}|", audience.code()));
        }
        sql.push(")");
    }
    if !filter.venues.is_empty() {
        sql.push(" AND e.place_id IN ")
            .bind_list(filter.venues.iter().copied());
    }
    if !filter.neighborhoods.is_empty() {
        sql.push(
            " AND e.id IN (SELECT event_id FROM event_neighborhoods WHERE neighborhood_id IN ",
        )
        .bind_list(filter.neighborhoods.iter().copied())
        .push(")");
    }
    match near_places {
        Some(NearPlaces::Ids(places)) => {
            sql.push(" AND e.place_id IN ")
                .bind_list(places.iter().copied());
        }
        Some(NearPlaces::Circle(point, radius)) => {
            sql.push(" AND e.place_id IN (SELECT p.id FROM places p WHERE ");
            crate::places::push_within_circle(sql, *point, *radius);
            sql.push(")");
        }
        None => {}
    }
    if let Some(bbox) = filter.bbox {
        sql.push(" AND e.place_id IN (SELECT p.id FROM places p WHERE ");
        crate::places::push_within_box(sql, "p", bbox);
        sql.push(")");
    }
    if filter.free_only {
        sql.push(" AND e.is_free = ").bind(true);
    }
    crate::accessibility::push_having(
        sql,
        "e",
        &filter.accessibility,
        &filter.accessibility_features,
    );
    Published::Event.push_any_of(sql, "e.id", &filter.publishers);
    if let Some(search) = &filter.search {
        crate::search::query::push_matching(sql, ItemKind::Event, "e.id", search);
    }
    if !filter.ids.is_empty() {
        sql.push(" AND e.id IN ")
            .bind_list(filter.ids.iter().copied());
    }
}

/// The places a `near` filter keeps events at.
pub(crate) enum NearPlaces {
    /// PostgreSQL measures in SQL, so the circle goes into the query as it is.
    Circle(Coordinates, RadiusMeters),
    /// SQLite has no trigonometry: the places within the circle, measured in Rust.
    Ids(Vec<Uuid>),
}

/// The places the filter's `near` keeps events at (`None` without `near`).
pub(crate) async fn near_places(
    db: &Database,
    filter: &EventFilter,
) -> Result<Option<NearPlaces>, StorageError> {
    match filter.near {
        Some(near) => Ok(Some(places_within(db, near).await?)),
        None => Ok(None),
    }
}

/// Whether a `near` holds no place at all, so that no event can match.
pub(crate) fn holds_no_place(near: &Option<NearPlaces>) -> bool {
    matches!(near, Some(NearPlaces::Ids(ids)) if ids.is_empty())
}

/// The most places an SQLite agenda query names one by one.
const MAX_NEAR_PLACES: usize = 20_000;

async fn places_within(
    db: &Database,
    (point, radius): (Coordinates, RadiusMeters),
) -> Result<NearPlaces, StorageError> {
    if db.backend() == crate::Backend::Postgres {
        return Ok(NearPlaces::Circle(point, radius));
    }
    let filter = crate::places::PlaceFilter {
        near: Some((point, radius)),
        ..Default::default()
    };
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let order = capitole_domain::place::PlaceOrder::Distance;
        let request = PageRequest::after(1_000, after.take());
        let page = crate::places::list(db, &filter, order, &request, Columns::ID).await?;
        after = page.rows.last().map(|(_, cursor)| cursor.clone());
        ids.extend(page.rows.into_iter().map(|(row, _)| row.place.id));
        if ids.len() > MAX_NEAR_PLACES {
            return Err(StorageError::BadRequest(format!(
                "that circle holds more than {MAX_NEAR_PLACES} places; use a smaller radius"
            )));
        }
        if !page.has_next_page {
            return Ok(NearPlaces::Ids(ids));
        }
    }
}

/// Events with these ids (missing ids are left out).
pub async fn by_ids(db: &Database, ids: &[Uuid]) -> Result<Vec<event::Model>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(event::Entity::find()
        .filter(event::Column::Id.is_in(ids.iter().copied()))
        .into_model::<ByPosition<event::Model>>()
        .all(db.connection())
        .await?
        .into_iter()
        .map(|row| row.0)
        .collect())
}

/// The event with this slug.
pub async fn by_slug(db: &Database, slug: &str) -> Result<Option<event::Model>, StorageError> {
    Ok(event::Entity::find()
        .filter(event::Column::Slug.eq(slug))
        .into_model::<ByPosition<event::Model>>()
        .one(db.connection())
        .await?
        .map(|row| row.0))
}

/// The next date that is not cancelled, from `now` on, of each of these events.
pub async fn next_occurrences(
    db: &Database,
    event_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, event_occurrence::Model>, StorageError> {
    if event_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT o.id, o.event_id, o.starts_at, o.ends_at, o.status FROM event_occurrences o WHERE o.event_id IN ");
    sql.bind_list(event_ids.iter().copied());
    sql.push(" AND o.starts_at >= ")
        .bind(now)
        .push(" AND o.status <> ")
        .push(CANCELLED);
    sql.push(" AND NOT EXISTS (SELECT 1 FROM event_occurrences x WHERE x.event_id = o.event_id AND x.starts_at >= ");
    sql.bind(now)
        .push(" AND x.starts_at < o.starts_at AND x.status <> ")
        .push(CANCELLED)
        .push(")");
    let rows = read_rows(db, sql, event_occurrence::Model::read).await?;
    Ok(rows.into_iter().map(|o| (o.event_id, o)).collect())
}

/// Which dates of an event a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OccurrenceWindow {
    /// Dates starting at or after this instant, if set.
    pub from: Option<DateTime<Utc>>,
    /// Dates starting before this instant, if set.
    pub to: Option<DateTime<Utc>>,
}

/// The order of an event's dates: earliest first.
pub(crate) const OCCURRENCE_ORDER: Keyset<'static> =
    Keyset(&[("o.starts_at", Sort::Ascending), ("o.id", Sort::Ascending)]);

/// One page of dates for each of these events, all with the same window and page request,
/// in one statement.
pub async fn occurrences_of(
    db: &Database,
    event_ids: &[Uuid],
    window: OccurrenceWindow,
    request: &PageRequest,
) -> Result<HashMap<Uuid, Page<event_occurrence::Model>>, StorageError> {
    if event_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT id, event_id, starts_at, ends_at, status FROM (SELECT o.id, o.event_id, o.starts_at, o.ends_at, o.status, ");
    sql.push("ROW_NUMBER() OVER (PARTITION BY o.event_id ORDER BY ");
    OCCURRENCE_ORDER.push_order(&mut sql, request.direction);
    sql.push(") AS position FROM event_occurrences o WHERE o.event_id IN ");
    sql.bind_list(event_ids.iter().copied());
    if let Some(from) = window.from {
        sql.push(" AND o.starts_at >= ").bind(from);
    }
    if let Some(to) = window.to {
        sql.push(" AND o.starts_at < ").bind(to);
    }
    if let Some(OccurrenceKey(starts_at, id)) = request.key()? {
        OCCURRENCE_ORDER.push_beyond(&mut sql, &[starts_at.into(), id.into()], request.direction);
    }
    sql.push(") numbered WHERE position <= ")
        .number(request.fetch());
    sql.push(" ORDER BY event_id, position");
    let rows = read_rows(db, sql, event_occurrence::Model::read).await?;
    let mut grouped: HashMap<Uuid, Vec<event_occurrence::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.event_id).or_default().push(row);
    }
    Ok(event_ids
        .iter()
        .map(|id| {
            let rows = grouped.remove(id).unwrap_or_default();
            (*id, Page::from_rows(rows, request, occurrence_cursor))
        })
        .collect())
}

/// The cursor of a date in a list of dates, earliest first.
pub fn occurrence_cursor(occurrence: &event_occurrence::Model) -> String {
    cursor::encode(&OccurrenceKey(occurrence.starts_at, occurrence.id))
}

/// How many dates an event has in a window.
pub async fn occurrence_count(
    db: &Database,
    event_id: Uuid,
    window: OccurrenceWindow,
) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM event_occurrences o WHERE o.event_id = ")
        .bind(event_id);
    if let Some(from) = window.from {
        sql.push(" AND o.starts_at >= ").bind(from);
    }
    if let Some(to) = window.to {
        sql.push(" AND o.starts_at < ").bind(to);
    }
    count_of(db, sql).await
}

/// Up to `per_place` upcoming events of each of these places, soonest first, in one statement.
pub async fn upcoming_at_places(
    db: &Database,
    place_ids: &[Uuid],
    now: DateTime<Utc>,
    per_place: usize,
) -> Result<HashMap<Uuid, Vec<AgendaRow>>, StorageError> {
    if place_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT id, event_id, starts_at, ends_at, status FROM (SELECT o.id, o.event_id, o.starts_at, o.ends_at, o.status, ");
    sql.push(
        "ROW_NUMBER() OVER (PARTITION BY e.place_id ORDER BY o.starts_at, o.event_id) AS position ",
    );
    sql.push("FROM event_occurrences o JOIN events e ON e.id = o.event_id WHERE e.place_id IN ");
    sql.bind_list(place_ids.iter().copied()).push(" AND ");
    push_first_matching(&mut sql, &EventFilter::from(now), None);
    sql.push(") numbered WHERE position <= ")
        .number(per_place)
        .push(" ORDER BY starts_at, event_id");
    let occurrences = read_rows(db, sql, event_occurrence::Model::read).await?;
    let ids: Vec<Uuid> = occurrences.iter().map(|o| o.event_id).collect();
    let events: HashMap<Uuid, event::Model> = by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut grouped: HashMap<Uuid, Vec<AgendaRow>> = HashMap::new();
    for occurrence in occurrences {
        if let Some(event) = events.get(&occurrence.event_id)
            && let Some(place_id) = event.place_id
        {
            grouped.entry(place_id).or_default().push(AgendaRow {
                event: event.clone(),
                occurrence,
                venue: None,
            });
        }
    }
    Ok(grouped)
}

/// The neighbourhoods each of these events concerns, as ids, in one statement.
pub async fn neighborhoods_of_events(
    db: &Database,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let mut grouped: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if event_ids.is_empty() {
        return Ok(grouped);
    }
    let links = event_neighborhood::Entity::find()
        .filter(event_neighborhood::Column::EventId.is_in(event_ids.iter().copied()))
        .all(db.connection())
        .await?;
    for link in links {
        grouped
            .entry(link.event_id)
            .or_default()
            .push(link.neighborhood_id);
    }
    Ok(grouped)
}

/// Reads a stored occurrence status; unknown codes read as scheduled.
pub fn occurrence_status(occurrence: &event_occurrence::Model) -> OccurrenceStatus {
    OccurrenceStatus::from_code(&occurrence.status).unwrap_or(OccurrenceStatus::Scheduled)
}
