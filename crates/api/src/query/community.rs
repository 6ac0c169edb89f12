//! Root fields of the social layer: trending places near a point, and the moderators'
//! report queue.

use std::sync::Arc;

use async_graphql::{Context, Object};
use capitole_domain::community::TRENDING_WINDOW;
use capitole_persistence::{check_ins, tips};

use crate::caches::TrendingKey;
use crate::context::scope;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::types::GeoCircleInput;
use crate::types::community::{Tip, TrendingPlace};
use crate::types::connection::page_size;
use crate::types::place::Place;

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
        let key = TrendingKey::new(center, radius, first);
        let found = match scope.caches.trending.lookup(&key) {
            Some(found) => found,
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
                let found = Arc::new(rows);
                scope.caches.trending.store(key, found.clone());
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
