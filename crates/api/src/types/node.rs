//! Relay's `Node` interface: every object a global id names, and how one is found under
//! the caller's access rules (an article the caller may not read is simply not found).

use async_graphql::{ID, Interface};

use super::article::NewsArticle;
use super::catalog::{Category, Neighborhood, Organization};
use super::event::Event;
use super::place::Place;
use crate::context::RequestScope;
use crate::error::ApiResult;
use crate::ids::Kind;
use crate::loaders::{ArticleId, CategoryId, EventId, NeighborhoodId, OrganizationId, PlaceId};

/// An object with a global id.
#[derive(Interface, Clone)]
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
            .map(|m| Node::Event(Event::new(m))),
        Kind::NewsArticle => scope
            .load(ArticleId(uuid))
            .await?
            .map(|m| Node::NewsArticle(NewsArticle(m))),
        // People, tokens and webhooks are not nodes: they are reached through `viewer`, the
        // administrators' fields and `webhooks`, which check who asks.
        Kind::Occurrence
        | Kind::User
        | Kind::ApiToken
        | Kind::SocialPost
        | Kind::Tip
        | Kind::CheckIn
        | Kind::Webhook => None,
    })
}
