//! What the handlers of one running service share, built once by the router.

use std::sync::Arc;

use super::client::TrustedProxies;
use super::documents::DocumentCache;
use super::graphiql::GraphiqlPage;
use super::graphql::identify::Identifier;
use super::observability::OperationLabels;
use crate::context::ApiContext;
use crate::limits::Analyzer;
use crate::rate_limit::RateLimiter;
use crate::schema::AppSchema;

/// What every handler shares, behind one `Arc`: a request clones one pointer, not each of
/// the fields.
pub(crate) struct AppState {
    pub schema: AppSchema,
    pub api: ApiContext,
    pub body_limit: usize,
    pub graphiql: Arc<GraphiqlPage>,
    pub analyzer: Arc<Analyzer>,
    /// Parsed documents of the queries clients keep sending.
    pub documents: Arc<DocumentCache>,
    pub limiter: RateLimiter,
    pub proxies: Arc<TrustedProxies>,
    /// Who is calling, with the credentials refused or accepted lately.
    pub identifier: Arc<Identifier>,
    /// The metric label of each operation name.
    pub operation_labels: Arc<OperationLabels>,
}
