//! The schema type and its construction, which needs no database so that `capitole schema`
//! can print the SDL anywhere.

use async_graphql::{EmptySubscription, Schema};

use crate::mutation::Mutation;
use crate::query::{Node, Query};

/// Capitole's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its limits.
pub fn build_schema() -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<Node>()
        .finish()
}
