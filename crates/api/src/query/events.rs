//! Root fields for the agenda.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use capitole_domain::change::ItemKind;
use capitole_domain::event::{CategoryKind, EventOrder as DomainOrder};
use capitole_domain::geo::Coordinates;
use capitole_domain::windows::TimeWindow as DomainWindow;
use capitole_persistence::Columns;
use capitole_persistence::events::{self, EventFilter as StorageFilter};
use chrono::{DateTime, Utc};

use super::filters;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{EventId, PlaceId};
use crate::lookup::by_id_or_slug;
use crate::types::accessibility::AccessibilityFeature;
use crate::types::columns;
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::event::{Event, EventConnection, EventEdge, Occurrence};
use crate::types::facets::{Asked, EventFacets};
use crate::types::{
    Accessibility, Audience, BoundingBoxInput, GeoCircleInput, check_list, search_text,
};

/// A named span of city time.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::windows::TimeWindow")]
pub(crate) enum TimeWindow {
    /// From midnight today to midnight tonight, city time.
    Today,
    /// All of tomorrow.
    Tomorrow,
    /// Saturday and Sunday of this week (the current weekend on a Saturday or Sunday).
    ThisWeekend,
    /// Monday to Sunday of this week.
    ThisWeek,
    /// Today and the six days after it.
    Next7Days,
}

/// How the agenda is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::event::EventOrder")]
pub(crate) enum EventOrder {
    /// By each event's first matching date, soonest first.
    Date,
    /// Nearest venue first, then soonest (needs `filter.near`; edges carry
    /// `distanceMeters`).
    Distance,
    /// Most people going first (to its dates in the filter's span, each person once), then
    /// soonest.
    Popularity,
}

/// Which events the agenda holds. Every condition must hold.
#[derive(InputObject, Default)]
pub(crate) struct EventFilter {
    /// Only dates starting at or after this instant (default: now).
    pub starts_after: Option<DateTime<Utc>>,
    /// Only dates starting before this instant.
    pub starts_before: Option<DateTime<Utc>>,
    /// Only dates starting within this span of city time.
    pub window: Option<TimeWindow>,
    /// Only events in one of these categories or below them (slugs of event categories).
    pub categories: Option<Vec<String>>,
    /// Only events for at least one of these audiences.
    pub audiences: Option<Vec<Audience>>,
    /// Only events published by one of these organizations (slugs).
    pub publishers: Option<Vec<String>>,
    /// Only events concerning one of these neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// Only events at one of these places (global ids).
    pub venues: Option<Vec<ID>>,
    /// Only events at a place within this circle.
    pub near: Option<GeoCircleInput>,
    /// Only events at a place within this box (a map's viewport).
    pub bbox: Option<BoundingBoxInput>,
    /// Only free events.
    #[graphql(default)]
    pub free_only: bool,
    /// Only events prepared for all of these: as each shows it, its own or, when it states
    /// none, its venue's.
    pub accessibility: Option<Vec<Accessibility>>,
    /// Only events with all of these features (their own or their venue's, likewise).
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// Only events that hold every word (French words as search reads them: accents, case,
    /// stop words and plurals do not matter; the last word may be unfinished).
    pub search: Option<String>,
}

/// A filter as stored to be applied later (by a webhook), once checked as the agenda
/// checks it.
pub(crate) async fn checked_json(
    scope: &RequestScope,
    filter: EventFilter,
) -> Result<serde_json::Value, ApiError> {
    let json = crate::query::filters::stored_json(&filter)?;
    storage_filter(scope, filter).await?;
    Ok(json)
}

pub(crate) async fn storage_filter(
    scope: &RequestScope,
    filter: EventFilter,
) -> Result<StorageFilter, ApiError> {
    let audiences = filter.audiences.unwrap_or_default();
    let accessibility = filter.accessibility.unwrap_or_default();
    let features = filter.accessibility_features.unwrap_or_default();
    let venues = filter.venues.unwrap_or_default();
    check_list("audiences", &audiences)?;
    check_list("venues", &venues)?;
    check_list("accessibility", &accessibility)?;
    check_list("accessibilityFeatures", &features)?;
    let mut starts_after = filter.starts_after.unwrap_or(scope.now);
    let mut starts_before = filter.starts_before;
    if let Some(window) = filter.window {
        let (start, end) = DomainWindow::from(window).range(scope.now, scope.timezone);
        starts_after = if filter.starts_after.is_some() {
            starts_after.max(start)
        } else {
            start
        };
        starts_before = Some(starts_before.map_or(end, |before| before.min(end)));
    }
    Ok(StorageFilter {
        starts_after,
        starts_before,
        categories: filters::categories_filter(scope, CategoryKind::Event, filter.categories)
            .await?,
        audiences: audiences.into_iter().map(Into::into).collect(),
        venues: venues
            .iter()
            .map(|id| ids::decode_as(Kind::Place, id))
            .collect::<Result<_, _>>()?,
        neighborhoods: filters::neighborhoods_filter(scope, filter.neighborhoods).await?,
        near: filter.near.map(GeoCircleInput::parse).transpose()?,
        bbox: filter.bbox.map(BoundingBoxInput::parse).transpose()?,
        free_only: filter.free_only,
        accessibility: accessibility.into_iter().map(Into::into).collect(),
        accessibility_features: features.into_iter().map(Into::into).collect(),
        publishers: filters::publishers_filter(scope, filter.publishers).await?,
        search: search_text(filter.search.as_deref())?,
        ids: Vec::new(),
    })
}

#[derive(Default)]
pub(crate) struct EventQuery;

#[Object]
impl EventQuery {
    /// The agenda: events with a date matching the filter, each once with its first
    /// matching date on its edge, soonest first unless `orderBy` says otherwise.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging, a filter and an order"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
        #[graphql(desc = "Which events.")] filter: Option<EventFilter>,
        #[graphql(desc = "The order (default: DATE).")] order_by: Option<EventOrder>,
    ) -> ApiResult<EventConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let filter = filter.unwrap_or_default();
        let first_day = filter
            .starts_after
            .unwrap_or(scope.now)
            .with_timezone(&scope.timezone)
            .date_naive();
        let filter = storage_filter(scope, filter).await.map_err(to_gql)?;
        let mut columns = columns::of_agenda(ctx);
        let measured = filter.near.map(|(point, _)| point);
        if measured.is_some()
            && ctx
                .look_ahead()
                .field("edges")
                .field("distanceMeters")
                .exists()
        {
            let position = Columns::named(&["latitude", "longitude"]);
            columns.venue = Some(columns.venue.map_or(position, |c| c.with(position)));
        }
        let order = order_by.map_or(DomainOrder::Date, DomainOrder::from);
        let page = events::ranked(&scope.db, &filter, order, &request, columns)
            .await
            .map_err(to_gql)?;
        // Venues read whole are also fed to the request's loader, for other fields that
        // show the same places.
        if columns.venue.is_some_and(Columns::is_all) {
            let venues: Vec<_> = page
                .rows
                .iter()
                .filter_map(|(row, _)| row.venue.clone())
                .map(|p| (PlaceId(p.id), p))
                .collect();
            if !venues.is_empty() {
                scope.feed(venues).await;
            }
        }
        let (edges, page_info) = edges(page, |row, cursor| {
            let distance_meters = measured.and_then(|point| {
                let venue = row.venue.as_ref()?;
                let at = Coordinates::parse(venue.latitude, venue.longitude).ok()?;
                Some((point.distance_meters(at) * 10.0).round() / 10.0)
            });
            EventEdge {
                cursor,
                node: Event::with_venue(row.event, row.venue),
                occurrence: Occurrence(row.occurrence),
                distance_meters,
            }
        });
        Ok(EventConnection {
            edges,
            page_info,
            facets: EventFacets::new(
                filter.clone(),
                first_day,
                Asked::of(&ctx.look_ahead().field("facets")),
            ),
            count: CountQuery::Events(Box::new(filter)),
        })
    }

    /// One event by global id or by slug.
    #[graphql(cache_control(max_age = 60))]
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
    ) -> ApiResult<Option<Event>> {
        let scope = scope(ctx)?;
        let by_slug = |slug: String| async move { events::by_slug(&scope.db, &slug).await };
        let named = (Kind::Event, ItemKind::Event);
        let found = by_id_or_slug(scope, (id, slug), named, EventId, by_slug).await?;
        Ok(found.map(Event::new))
    }
}
