//! The root `Query`: one query object per area, merged here and nowhere else.

mod account;
mod catalog;
mod changes;
mod community;
mod editorial;
pub(crate) mod events;
pub(crate) mod feed;
pub(crate) mod filters;
mod maps;
pub(crate) mod news;
mod node;
pub(crate) mod places;
mod rate_limit;
pub(crate) mod search;
mod webhooks;

use async_graphql::MergedObject;

/// Everything a client can read.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    catalog::CatalogQuery,
    news::NewsQuery,
    events::EventQuery,
    places::PlaceQuery,
    account::AccountQuery,
    editorial::EditorialQuery,
    community::CommunityQuery,
    rate_limit::RateLimitQuery,
    changes::ChangeQuery,
    webhooks::WebhookQuery,
    search::SearchQueryRoot,
    search::SuggestQueryRoot,
    maps::MapQuery,
    feed::FeedQuery,
);
