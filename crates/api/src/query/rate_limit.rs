//! `rateLimit`: the caller's budget as the current request left it.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::limits::Analysis;
use crate::rate_limit::RateStatus;

/// The caller's query budget, after this request.
#[derive(SimpleObject)]
pub(crate) struct RateLimit {
    /// Points this request cost: requests of its lists and connections (one per parent
    /// object) divided by 100, rounded, at least 1.
    cost: i32,
    /// Objects this request may return, summed over its lists and connections.
    node_count: i32,
    /// Points per minute of the caller's tier.
    limit: i32,
    /// Points left until `resetAt`.
    remaining: i32,
    /// When the budget refills whole.
    reset_at: DateTime<Utc>,
}

/// The rate budget query.
#[derive(Default)]
pub(crate) struct RateLimitQuery;

fn int(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[Object]
impl RateLimitQuery {
    /// The caller's query budget, as this request left it.
    #[graphql(cache_control(private))]
    async fn rate_limit(&self, ctx: &Context<'_>) -> ApiResult<RateLimit> {
        let (Ok(rate), Ok(analysis)) = (ctx.data::<RateStatus>(), ctx.data::<Analysis>()) else {
            tracing::error!("a request ran without its rate status");
            return Err(to_gql(ApiError::new(ErrorCode::Internal, "internal error")));
        };
        Ok(RateLimit {
            cost: int(rate.cost),
            node_count: int(analysis.nodes),
            limit: int(rate.limit),
            remaining: int(rate.remaining),
            reset_at: rate.reset_at,
        })
    }
}
