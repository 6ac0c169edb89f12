//! The root `Query`: one query object per area, merged here and nowhere else.

mod catalog;
mod events;
mod news;
mod node;
mod places;

use async_graphql::MergedObject;

pub(crate) use node::Node;

/// Everything a client can read.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    catalog::CatalogQuery,
    news::NewsQuery,
    events::EventQuery,
    places::PlaceQuery,
);
