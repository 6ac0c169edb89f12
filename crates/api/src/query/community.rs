//! Root fields and shared resolvers of the social layer: a place's tips and mayor,
//! trending places near a point, and the moderators' report queue.

use async_graphql::{Context, Object};
use capitole_domain::community::{MAYOR_WINDOW, TRENDING_WINDOW};
use capitole_persistence::{check_ins, tips};
use uuid::Uuid;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::loaders::{LATEST_TIPS, LatestTipsOfPlace};
use crate::types::GeoCircleInput;
use crate::types::community::{Mayor, Person, Tip, TipConnection, TipEdge, TrendingPlace};
use crate::types::connection::{CountQuery, page_info, page_size, unwrap_cursor, wrap_cursor};
use crate::types::place::Place;

/// A place's tips: the first page of up to 10 comes from the batch of the whole list.
pub(crate) async fn tips_of(
    ctx: &Context<'_>,
    place_id: Uuid,
    first: i32,
    after: Option<String>,
) -> ApiResult<TipConnection> {
    let scope = scope(ctx)?;
    let first = page_size(first).map_err(to_gql)?;
    let raw_after = unwrap_cursor(after.as_deref()).map_err(to_gql)?;
    let page = if raw_after.is_none() && first <= LATEST_TIPS {
        let mut latest = scope
            .load(LatestTipsOfPlace(place_id))
            .await?
            .unwrap_or_default();
        let has_next_page = latest.len() > first;
        latest.truncate(first);
        capitole_persistence::Page {
            rows: latest
                .into_iter()
                .map(|t| {
                    let cursor = tips::tip_cursor(&t);
                    (t, cursor)
                })
                .collect(),
            has_next_page,
        }
    } else {
        tips::tips_of_place(&scope.db, place_id, first, raw_after.as_deref())
            .await
            .map_err(to_gql)?
    };
    let info = page_info(&page, after.is_some());
    Ok(TipConnection {
        edges: page
            .rows
            .into_iter()
            .map(|(t, cursor)| TipEdge {
                cursor: wrap_cursor(&cursor),
                node: Tip(t),
            })
            .collect(),
        page_info: info,
        count: CountQuery::TipsOfPlace(place_id),
    })
}

/// The mayor of a place.
pub(crate) async fn mayor_of(ctx: &Context<'_>, place_id: Uuid) -> ApiResult<Option<Mayor>> {
    let scope = scope(ctx)?;
    let found = check_ins::mayor(
        &scope.db,
        place_id,
        scope.now - MAYOR_WINDOW,
        scope.timezone,
    )
    .await
    .map_err(to_gql)?;
    Ok(found.map(|(user, days)| Mayor {
        person: Person(user.id),
        days,
    }))
}

/// How long trending places are reused for one area: a trend over three hours moves little
/// in a few seconds, and every request of a busy screen would otherwise count again.
const TRENDING_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(15);
/// Areas remembered at most; past it the cache starts afresh.
const TRENDING_AREAS: usize = 1_000;

/// An area asked for: its centre (to about 10 m), radius and page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TrendingKey(i64, i64, u32, usize);

/// What was found for an area, and when.
#[derive(Clone)]
pub(crate) struct TrendingEntry {
    at: std::time::Instant,
    found: std::sync::Arc<Vec<(capitole_persistence::entities::place::Model, i64)>>,
}

#[derive(Default)]
pub(crate) struct CommunityQuery;

#[Object]
impl CommunityQuery {
    /// Places near a point with the most check-ins in the last 3 hours, most first (an
    /// area's answer is reused for up to 15 seconds).
    async fn trending_places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where to look.")] near: GeoCircleInput,
        #[graphql(desc = "How many places, 1 to 100.", default = 20)] first: i32,
    ) -> ApiResult<Vec<TrendingPlace>> {
        let scope = scope(ctx)?;
        let first = page_size(first).map_err(to_gql)?;
        let (center, radius) = near.parse().map_err(to_gql)?;
        #[allow(clippy::cast_possible_truncation)]
        let key = TrendingKey(
            (center.latitude.degrees() * 10_000.0).round() as i64,
            (center.longitude.degrees() * 10_000.0).round() as i64,
            radius.meters(),
            first,
        );
        let cached = scope
            .caches
            .trending
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).cloned())
            .filter(|entry| entry.at.elapsed() < TRENDING_FRESH_FOR);
        let found = match cached {
            Some(entry) => entry.found,
            None => {
                let rows = check_ins::trending(
                    &scope.db,
                    center,
                    radius,
                    scope.now - TRENDING_WINDOW,
                    first,
                )
                .await
                .map_err(to_gql)?;
                let found = std::sync::Arc::new(rows);
                if let Ok(mut cache) = scope.caches.trending.lock() {
                    if cache.len() >= TRENDING_AREAS {
                        cache.clear();
                    }
                    cache.insert(
                        key,
                        TrendingEntry {
                            at: std::time::Instant::now(),
                            found: found.clone(),
                        },
                    );
                }
                found
            }
        };
        Ok(found
            .iter()
            .cloned()
            .map(|(place, n)| {
                let distance =
                    capitole_domain::geo::Coordinates::parse(place.latitude, place.longitude)
                        .map_or(0.0, |c| c.distance_meters(center));
                TrendingPlace {
                    place: Place(place),
                    recent_check_ins: n,
                    distance_meters: distance,
                }
            })
            .collect())
    }

    /// For moderators (editors and administrators): visible tips that people reported,
    /// most reported first.
    async fn reported_tips(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many tips, 1 to 100.", default = 20)] first: i32,
    ) -> ApiResult<Vec<Tip>> {
        let scope = scope(ctx)?;
        scope.principal.user().map_err(to_gql)?;
        if !scope.principal.is_moderator() {
            return Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "the report queue is for moderators",
            )));
        }
        let first = page_size(first).map_err(to_gql)?;
        Ok(tips::report_queue(&scope.db, first)
            .await
            .map_err(to_gql)?
            .into_iter()
            .map(Tip)
            .collect())
    }
}
