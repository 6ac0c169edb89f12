//! Relay's `node` and `nodes`: any object by its global id, under the same rules as every
//! other path (the `Node` interface and its lookup are in `types::node`).

use async_graphql::{Context, ID, Object};

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids;
use crate::types::node::{Node, resolve_node};

/// The most ids `nodes` takes at once.
const MAX_NODES: usize = 100;

async fn resolve(scope: &RequestScope, id: &str) -> ApiResult<Option<Node>> {
    let (kind, uuid) = ids::decode(id).map_err(to_gql)?;
    resolve_node(scope, kind, uuid).await
}

#[derive(Default)]
pub(crate) struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when nothing readable has that id.
    #[graphql(cache_control(max_age = 60))]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        resolve(scope(ctx)?, &id).await
    }

    /// Several objects by their global ids (at most 100), in the same order; null for each
    /// id with nothing readable behind it.
    #[graphql(cache_control(max_age = 60))]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(to_gql(ApiError::bad_input(format!(
                "`ids` takes at most {MAX_NODES} ids, got {}",
                ids.len()
            ))));
        }
        let scope = scope(ctx)?;
        let lookups = ids.iter().map(|id| resolve(scope, id));
        futures_util::future::try_join_all(lookups).await
    }
}
