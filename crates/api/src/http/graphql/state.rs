//! What every GraphQL request shares, built once with the routes.

use super::documents::DocumentCache;
use super::identify::Identifier;
use super::persisted::PersistedQueries;
use crate::context::ApiContext;
use crate::field_order::FieldOrder;
use crate::http::client::TrustedProxies;
use crate::http::observability::OperationLabels;
use crate::limits::Analyzer;
use crate::rate_limit::RateLimiter;
use crate::schema::AppSchema;

/// What the GraphQL handlers share, behind one `Arc`: a request clones one pointer, not
/// each of the fields.
pub(crate) struct GraphqlState {
    pub schema: AppSchema,
    /// The same schema, skipping the validation rules, for documents that passed them
    /// before and pass them whatever the request (`PreparedDocument::validated`).
    pub validated_schema: AppSchema,
    pub api: ApiContext,
    pub body_limit: usize,
    pub analyzer: Analyzer,
    /// Parsed documents of the queries clients keep sending.
    pub documents: DocumentCache,
    /// Documents clients registered under their hash.
    pub persisted: PersistedQueries,
    /// What puts each answer's fields in the order its operation asked for them.
    pub field_order: FieldOrder,
    pub limiter: RateLimiter,
    pub proxies: TrustedProxies,
    /// Who is calling, with the credentials refused or accepted lately.
    pub identifier: Identifier,
    /// The metric label of each operation name.
    pub operation_labels: OperationLabels,
    /// Where the open formats live and whose data they carry, for the `jsonLd` fields.
    pub open_data: std::sync::Arc<crate::open_data::OpenData>,
    /// Answers to public queries kept until the change log says they changed.
    pub responses: super::responses::ResponseCache,
    /// The change log as it grows, and the live connections that follow it.
    pub live: crate::live::Live,
}
