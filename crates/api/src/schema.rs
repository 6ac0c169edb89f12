//! The schema type and its construction, which needs no database so that `capitole schema`
//! can print the SDL anywhere.

use async_graphql::registry::Registry;
use async_graphql::{OutputType, Schema, SubscriptionType, ValidationMode};

use crate::field_order::FieldOrder;
use crate::limits::{Analyzer, QueryLimits};
use crate::live::topics::Subscription;
use crate::mutation::Mutation;
use crate::query::Query;
use crate::types::node::Node;

/// Capitole's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema with the default limits.
pub fn build_schema() -> AppSchema {
    build_schema_with(&QueryLimits::default())
}

/// Builds the schema with these limits.
///
/// The front handler checks every limit before a query reaches the schema (see `limits`),
/// with messages that name the limit; async-graphql's own limits stay as a second line
/// behind it. Its depth limit counts introspection like any query, so it is set to the
/// larger of the two depth limits. Its complexity limit is left off: it counts each field
/// once, without multiplying by page sizes, and so says nothing the cost walker does not.
pub fn build_schema_with(limits: &QueryLimits) -> AppSchema {
    build_schema_checking(limits, ValidationMode::Strict)
}

/// Builds the schema with these limits, validating documents in `mode`. `Fast` is for
/// documents that passed every rule of `Strict` before and cannot fare otherwise now (see
/// `PreparedDocument::validated`).
pub(crate) fn build_schema_checking(limits: &QueryLimits, mode: ValidationMode) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .register_output_type::<Node>()
        .limit_depth(limits.max_depth.max(limits.max_introspection_depth))
        .limit_directives(limits.max_directives_per_field)
        .validation_mode(mode)
        .finish()
}

/// The types of the schema, as the limit checker and the field order read them.
pub(crate) fn registry() -> Registry {
    let mut registry = Registry::default();
    <Query as OutputType>::create_type_info(&mut registry);
    <Mutation as OutputType>::create_type_info(&mut registry);
    <Subscription as SubscriptionType>::create_type_info(&mut registry);
    <Node as OutputType>::create_type_info(&mut registry);
    registry
}

/// The limit checker, with the field types of the schema.
pub(crate) fn analyzer(limits: QueryLimits) -> Analyzer {
    Analyzer::new(
        &registry(),
        [
            &Query::type_name(),
            &Mutation::type_name(),
            &<Subscription as SubscriptionType>::type_name(),
        ],
        limits,
    )
}

/// What puts answers in the order their operations asked, with the types of the schema.
pub(crate) fn field_order() -> FieldOrder {
    FieldOrder::new(&registry(), &Query::type_name(), &Mutation::type_name())
}
