//! The schema type and its construction, which needs no database so that `capitole schema`
//! can print the SDL anywhere.

use async_graphql::{EmptyMutation, EmptySubscription, Schema};

use crate::query::{Node, Query};

/// Capitole's GraphQL schema.
pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema with its limits.
pub fn build_schema() -> AppSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .register_output_type::<Node>()
        .finish()
}
