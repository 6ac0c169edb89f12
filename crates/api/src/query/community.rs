//! Root fields of the social layer: trending places near a point, and the moderators'
//! report queue.

use std::sync::Arc;

use async_graphql::{Context, Object};
use capitole_domain::community::TRENDING_WINDOW;
use capitole_persistence::{Page, check_ins, tips};

use crate::caches::TrendingKey;
use crate::context::scope;
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::loaders::PlaceId;
use crate::types::GeoCircleInput;
use crate::types::community::{
    Tip, TipConnection, TipEdge, TrendingPlaceConnection, TrendingPlaceEdge,
};
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::place::Place;

#[derive(Default)]
pub(crate) struct CommunityQuery;

#[Object]
impl CommunityQuery {
    /// Places near a point with the most check-ins in the last 3 hours, most first (an
    /// area's ranking is reused for up to 15 seconds, and pages of it read that same
    /// ranking meanwhile).
    #[graphql(cache_control(max_age = 30))]
    async fn trending_places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where to look.")] near: GeoCircleInput,
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
    ) -> ApiResult<TrendingPlaceConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let (center, radius) = near.parse().map_err(to_gql)?;
        let key = TrendingKey::new(center, radius);
        let ranking = match scope.caches.trending.lookup(&key) {
            Some(found) => found,
            None => {
                let rows =
                    check_ins::trending(&scope.db, center, radius, scope.now - TRENDING_WINDOW)
                        .await
                        .map_err(to_gql)?;
                let found = Arc::new(rows);
                scope.caches.trending.store(key, found.clone());
                found
            }
        };
        let total = ranking.len() as u64;
        let page = Page::of_list(ranking.to_vec(), &request, |row| row.place_id.to_string())
            .map_err(to_gql)?;
        let ids = page
            .rows
            .iter()
            .map(|(row, _)| PlaceId(row.place_id))
            .collect();
        let mut places = scope
            .load_all(ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect::<std::collections::HashMap<_, _>>();
        let (found, page_info) = edges(page, |row, cursor| (row, cursor));
        let edges = found
            .into_iter()
            .filter_map(|(row, cursor)| {
                let place = places.remove(&row.place_id)?;
                Some(TrendingPlaceEdge {
                    cursor,
                    node: Place(place),
                    recent_check_ins: row.recent_check_ins,
                    distance_meters: row.distance_meters,
                })
            })
            .collect();
        Ok(TrendingPlaceConnection {
            edges,
            page_info,
            count: CountQuery::Known(total),
        })
    }

    /// For moderators (editors and administrators): visible tips that people reported,
    /// most reported first (then the oldest first).
    #[graphql(cache_control(private))]
    async fn reported_tips(
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
    ) -> ApiResult<TipConnection> {
        let scope = scope(ctx)?;
        scope.principal.user().map_err(to_gql)?;
        if !scope.principal.is_moderator() {
            return Err(to_gql(ApiError::new(
                ErrorCode::Forbidden,
                "the report queue is for moderators",
            )));
        }
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = tips::report_queue(&scope.db, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |t, cursor| TipEdge {
            cursor,
            node: Tip(t),
        });
        Ok(TipConnection {
            edges,
            page_info,
            count: CountQuery::ReportedTips,
        })
    }
}
