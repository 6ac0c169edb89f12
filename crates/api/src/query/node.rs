//! Relay's `node` and `nodes`: any object by its global id, under the same rules as every
//! other path (an article the caller may not read is simply not found).

use async_graphql::{Context, ID, Interface, Object};

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{ArticleId, CategoryId, EventId, NeighborhoodId, OrganizationId, PlaceId};
use crate::types::article::NewsArticle;
use crate::types::catalog::{Category, Neighborhood, Organization};
use crate::types::event::Event;
use crate::types::place::Place;

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id, unique across every type."))]
pub(crate) enum Node {
    /// A publisher.
    Organization(Organization),
    /// A neighbourhood.
    Neighborhood(Neighborhood),
    /// A category.
    Category(Category),
    /// A place.
    Place(Place),
    /// An event.
    Event(Event),
    /// A news article.
    NewsArticle(NewsArticle),
}

/// The most ids `nodes` takes at once.
const MAX_NODES: usize = 100;

async fn resolve(scope: &RequestScope, id: &str) -> ApiResult<Option<Node>> {
    let (kind, uuid) = ids::decode(id).map_err(to_gql)?;
    resolve_node(scope, kind, uuid).await
}

/// The object of this kind and id, under the caller's access rules.
pub(crate) async fn resolve_node(
    scope: &RequestScope,
    kind: Kind,
    uuid: uuid::Uuid,
) -> ApiResult<Option<Node>> {
    Ok(match kind {
        Kind::Organization => scope
            .load(OrganizationId(uuid))
            .await?
            .map(|m| Node::Organization(Organization(m))),
        Kind::Neighborhood => scope
            .load(NeighborhoodId(uuid))
            .await?
            .map(|m| Node::Neighborhood(Neighborhood(m))),
        Kind::Category => scope
            .load(CategoryId(uuid))
            .await?
            .map(|m| Node::Category(Category(m))),
        Kind::Place => scope
            .load(PlaceId(uuid))
            .await?
            .map(|m| Node::Place(Place(m))),
        Kind::Event => scope
            .load(EventId(uuid))
            .await?
            .map(|m| Node::Event(Event(m))),
        Kind::NewsArticle => scope
            .load(ArticleId(uuid))
            .await?
            .map(|m| Node::NewsArticle(NewsArticle(m))),
        // People and tokens are not nodes: they are reached through `viewer` and the
        // administrators' fields, which check who asks.
        Kind::Occurrence
        | Kind::User
        | Kind::ApiToken
        | Kind::SocialPost
        | Kind::Tip
        | Kind::CheckIn => None,
    })
}

#[derive(Default)]
pub(crate) struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when nothing readable has that id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        resolve(scope(ctx)?, &id).await
    }

    /// Several objects by their global ids (at most 100), in the same order; null for each
    /// id with nothing readable behind it.
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
