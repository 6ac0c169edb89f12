//! Root fields for maps: places grouped into a grid for a zoomed-out view.

use std::collections::HashMap;

use async_graphql::{Context, Object, SimpleObject, Union};
use capitole_domain::geo::RadiusMeters;
use capitole_persistence::maps::{self, Happening};
use chrono::{DateTime, Utc};

use super::places::{PlaceFilter, storage_filter};
use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::loaders::{EventId, PlaceId};
use crate::types::connection::{CountQuery, connection, edges, page_request};
use crate::types::event::Event;
use crate::types::{BoundingBoxInput, GeoPoint, GeoPointInput, Place};

/// The most clusters one answer holds (the fullest cells).
const MAX_CLUSTERS: usize = 1_000;
/// The deepest zoom level (as web maps count them).
const MAX_ZOOM: i32 = 20;

/// Places near each other on a zoomed-out map, counted as one.
#[derive(SimpleObject, Clone)]
pub(crate) struct PlaceCluster {
    /// How many places it holds.
    pub count: i64,
    /// Their mean position: where to draw it.
    pub center: GeoPoint,
    /// The most popular of them.
    pub sample: Place,
}

/// Something happening now: an event under way, or a place open.
#[derive(Union, Clone)]
pub(crate) enum HappeningNow {
    /// An event under way at its venue.
    Event(Event),
    /// A place open now.
    Place(Place),
}

/// What is happening now, with its distance.
#[derive(SimpleObject, Clone)]
pub(crate) struct HappeningNowEdge {
    /// Where this item stands in the list.
    pub cursor: String,
    /// The event or the place.
    pub node: HappeningNow,
    /// Metres from `near` (to an event's venue).
    pub distance_meters: f64,
    /// When the event's date under way ends (none for a place).
    pub ends_at: Option<DateTime<Utc>>,
}

connection!(
    /// What is happening now near a point, nearest first.
    HappeningNowConnection,
    HappeningNowEdge,
    HappeningNow
);

/// The widest circle `happeningNow` looks in, in metres.
const HAPPENING_MAX_RADIUS: u32 = 5_000;

#[derive(Default)]
pub(crate) struct MapQuery;

#[Object]
impl MapQuery {
    /// Events under way now at a venue within `radiusMeters` of `near` (those that
    /// started days ago and last several days included; neither the date nor the event
    /// cancelled, put off or moved online) and places there open now, in one list,
    /// nearest first.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging, and the circle"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn happening_now(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the person is.")] near: GeoPointInput,
        #[graphql(desc = "How far, in metres: 1 to 5000 (1000 when absent).")]
        radius_meters: Option<i32>,
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
    ) -> ApiResult<HappeningNowConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let point = near.parse().map_err(to_gql)?;
        let radius = RadiusMeters::parse(i64::from(radius_meters.unwrap_or(1_000)))
            .ok()
            .filter(|r| r.meters() <= HAPPENING_MAX_RADIUS)
            .ok_or_else(|| {
                to_gql(ApiError::bad_input(format!(
                    "`radiusMeters` is 1 to {HAPPENING_MAX_RADIUS}"
                )))
            })?;
        let (page, total) = maps::happening_now(
            &scope.db,
            (point, radius),
            (scope.now, scope.timezone),
            &request,
        )
        .await
        .map_err(to_gql)?;
        let ids = |event: bool| {
            page.rows
                .iter()
                .filter_map(move |(row, _)| match row.happening {
                    Happening::Event { id, .. } if event => Some(id),
                    Happening::Place { id } if !event => Some(id),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let events: HashMap<_, _> = scope
            .load_all(ids(true).into_iter().map(EventId).collect())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let places: HashMap<_, _> = scope
            .load_all(ids(false).into_iter().map(PlaceId).collect())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let (rows, page_info) = edges(page, |row, cursor| (row, cursor));
        let edges = rows
            .into_iter()
            .filter_map(|(row, cursor)| {
                let (node, ends_at) = match row.happening {
                    Happening::Event { id, ends_at, .. } => (
                        HappeningNow::Event(Event::new(events.get(&id)?.clone())),
                        Some(ends_at),
                    ),
                    Happening::Place { id } => {
                        (HappeningNow::Place(Place(places.get(&id)?.clone())), None)
                    }
                };
                Some(HappeningNowEdge {
                    cursor,
                    node,
                    distance_meters: row.distance_meters,
                    ends_at,
                })
            })
            .collect();
        Ok(HappeningNowConnection {
            edges,
            page_info,
            count: CountQuery::Known(total as u64),
        })
    }

    /// The places within `bbox` grouped into the square cells of a grid whose size follows
    /// `zoom` (as web maps count it: a cell is a quarter of a 256-pixel tile, 360° / 2^zoom
    /// / 4 wide), counted by the database: one cluster per cell holding places, the fullest
    /// first, at most 1,000. `filter` narrows the places as in `places` (`near` and
    /// `openNow` excepted).
    #[graphql(cache_control(max_age = 60))]
    async fn place_clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The map's viewport.")] bbox: BoundingBoxInput,
        #[graphql(desc = "The map's zoom level, 0 (the world) to 20.")] zoom: i32,
        #[graphql(desc = "Which places (`near` and `openNow` excepted).")] filter: Option<
            PlaceFilter,
        >,
    ) -> ApiResult<Vec<PlaceCluster>> {
        let scope = scope(ctx)?;
        if !(0..=MAX_ZOOM).contains(&zoom) {
            return Err(to_gql(ApiError::bad_input(format!(
                "`zoom` is 0 to {MAX_ZOOM}"
            ))));
        }
        let filter = filter.unwrap_or_default();
        if filter.near.is_some() || filter.open_now {
            return Err(to_gql(ApiError::bad_input(
                "`near` and `openNow` do not apply to clusters: use `bbox`",
            )));
        }
        let mut filter = storage_filter(scope, filter).await.map_err(to_gql)?;
        let bbox = bbox.parse().map_err(to_gql)?;
        filter.bbox = Some(bbox);
        let cell = 360.0 / f64::from(1u32 << zoom) / 4.0;
        let clusters = maps::clusters(&scope.db, &filter, bbox, cell, MAX_CLUSTERS)
            .await
            .map_err(to_gql)?;
        let samples = scope
            .load_all(clusters.iter().map(|c| PlaceId(c.sample)).collect())
            .await?;
        let mut samples: std::collections::HashMap<_, _> =
            samples.into_iter().map(|p| (p.id, p)).collect();
        Ok(clusters
            .into_iter()
            .filter_map(|c| {
                Some(PlaceCluster {
                    count: c.count,
                    center: GeoPoint {
                        latitude: c.latitude,
                        longitude: c.longitude,
                    },
                    sample: Place(samples.remove(&c.sample)?),
                })
            })
            .collect())
    }
}
