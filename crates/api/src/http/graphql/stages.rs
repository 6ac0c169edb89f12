//! The stages a GraphQL request goes through once its body is read: who is calling, what
//! it asks, whether that is within the limits, whether its budget covers it, running it,
//! and the answer. Each stage either hands the request on or answers it (`Err`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::Variables;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answers::{
    coded_error, invalid, persisted_query_not_found, rate_extension, rate_headers, rate_limited,
    reply, reply_encoded, request_error, served_nothing_for_want_of_the_database, unavailable,
    with_code,
};
use super::caching::{Cacheability, TaggedBody, etag, matching_tag, not_modified};
use super::negotiate::MediaType;
use super::persisted::PersistedQuery;
use super::responses::{Audience, Kept, ResponseKey, key};
use super::state::GraphqlState;
use crate::context::RequestScope;
use crate::error::ErrorCode;
use crate::field_order::Asked;
use crate::http::observability::{record_operation, record_rejection};
use crate::limits::{Analysis, Depends, Violation};
use crate::rate_limit::{RateStatus, RateSubject};
use capitole_domain::language::Language;
use capitole_services::Principal;

/// The parameters of a GraphQL request, from a query string or a JSON body.
#[derive(Deserialize)]
pub(super) struct Params {
    pub query: Option<Value>,
    #[serde(rename = "operationName")]
    pub operation_name: Option<Value>,
    pub variables: Option<Value>,
    pub extensions: Option<Value>,
}

/// What a request asks, once its parameters have the right types: a document, its hash,
/// or both.
pub(super) struct Requested {
    query: Option<String>,
    persisted: Option<PersistedQuery>,
    name: Option<String>,
    variables: Variables,
}

/// What a request asks, with its document found: the document to register under its hash,
/// if the request sent both.
pub(super) struct Operation {
    query: String,
    register: Option<PersistedQuery>,
    name: Option<String>,
    variables: Variables,
}

/// A request within the limits, ready to run.
pub(super) struct Checked {
    /// The operation with its parsed document and variables.
    pub request: async_graphql::Request,
    /// What it costs.
    pub analysis: Analysis,
    /// Its name as the metrics label it.
    pub label: String,
    /// What it asks, in the order the answer lists it.
    pub asked: Asked,
    /// For a query whose answer may be kept: its key, and what its answer is made of.
    pub kept: Option<(ResponseKey, Depends)>,
    /// Whether it is a mutation.
    pub mutation: bool,
}

/// One request on its way through the stages: the service that answers it, the media type
/// of its answer, and when it arrived (for the metrics).
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    state: &'a GraphqlState,
    media: MediaType,
    started: Instant,
}

impl<'a> Call<'a> {
    /// A request that arrives now.
    pub(super) fn new(state: &'a GraphqlState, media: MediaType) -> Self {
        Self {
            state,
            media,
            started: Instant::now(),
        }
    }

    /// Who is calling, or the answer that refuses their credentials.
    pub(super) async fn identify_caller(
        self,
        headers: &HeaderMap,
        client: Option<IpAddr>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Principal, Response> {
        self.state
            .identifier
            .identify(self.media, headers, client, now)
            .await
            .inspect_err(|_| record_operation("unauthenticated", "request_error", self.started))
    }

    /// The query (or the hash of a persisted one), operation name and variables of a
    /// request; 400 when a parameter is missing or has the wrong type, or when the hash is
    /// not the document's.
    #[expect(
        clippy::result_large_err,
        reason = "like every stage, it answers the request it stops; a box would only add an allocation to a path that ends the request"
    )]
    pub(super) fn parse_request(self, params: Params) -> Result<Requested, Response> {
        let bad = |message: &str| request_error(StatusCode::BAD_REQUEST, self.media, message);
        if !matches!(
            params.extensions,
            None | Some(Value::Null) | Some(Value::Object(_))
        ) {
            return Err(bad("`extensions` must be an object"));
        }
        let persisted = PersistedQuery::from_extensions(params.extensions.as_ref()).map_err(bad)?;
        let query = match params.query {
            Some(Value::String(query)) => Some(query),
            None | Some(Value::Null) if persisted.is_some() => None,
            _ => return Err(bad("`query` is required and must be a string")),
        };
        if let (Some(query), Some(persisted)) = (&query, &persisted)
            && !persisted.matches(query)
        {
            return Err(bad(
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`",
            ));
        }
        let name = match params.operation_name {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(bad("`operationName` must be a string")),
        };
        let variables = match params.variables {
            None | Some(Value::Null) => Variables::default(),
            Some(value @ Value::Object(_)) => Variables::from_json(value),
            Some(_) => return Err(bad("`variables` must be an object")),
        };
        Ok(Requested {
            query,
            persisted,
            name,
            variables,
        })
    }

    /// The document of a request: the one it sent, or the one registered under the hash it
    /// sent. A hash nobody registered answers `PERSISTED_QUERY_NOT_FOUND`, charged 1 point
    /// like a document that does not parse.
    pub(super) async fn find_document(
        self,
        requested: Requested,
        subject: &RateSubject,
    ) -> Result<Operation, Response> {
        let Requested {
            query,
            persisted,
            name,
            variables,
        } = requested;
        let (query, register) = match (query, persisted) {
            (Some(query), register) => (query, register),
            (None, Some(persisted)) => match self.state.persisted.find(&persisted.hash).await {
                Some(document) => (document.to_string(), None),
                None => {
                    record_operation("persisted", "not_found", self.started);
                    let rate = self.state.limiter.charge(subject, 1).await;
                    let window = self.state.limiter.window_seconds();
                    return Err(persisted_query_not_found(self.media, &rate, window));
                }
            },
            (None, None) => {
                return Err(request_error(
                    StatusCode::BAD_REQUEST,
                    self.media,
                    "`query` is required and must be a string",
                ));
            }
        };
        Ok(Operation {
            query,
            register,
            name,
            variables,
        })
    }

    /// Checks the query against the limits before anything runs: its size, then, once
    /// parsed (or found among the documents parsed before), its shape and its cost. A query
    /// that does not parse or goes over a limit is charged 1 point; a mutation over GET is
    /// refused here too.
    pub(super) async fn check_limits(
        self,
        operation: Operation,
        subject: &RateSubject,
        over_get: bool,
        audience: Option<Audience>,
        (language, low_bandwidth): (&Language, bool),
    ) -> Result<Checked, Response> {
        let Operation {
            query,
            register,
            name,
            variables,
        } = operation;
        let state = self.state;
        if let Err(violation) = state.analyzer.check_size(&query) {
            return Err(self.refuse(subject, &violation).await);
        }
        let prepared = match state.documents.get(&query) {
            Some(prepared) => prepared,
            None => match async_graphql::parser::parse_query(&query) {
                Ok(document) => {
                    let prepared = Arc::new(state.field_order.prepare(document));
                    state.documents.insert(&query, Arc::clone(&prepared));
                    prepared
                }
                Err(error) => {
                    record_operation("invalid", "request_error", self.started);
                    // A request that does not parse is charged the minimum, like one over a
                    // limit.
                    let rate = state.limiter.charge(subject, 1).await;
                    let window = state.limiter.window_seconds();
                    return Err(invalid(
                        self.media,
                        vec![with_code(error.into())],
                        &rate,
                        window,
                    ));
                }
            },
        };
        let document = prepared.written();
        let (operation, operation_type) = describe(&document.operations, name.as_deref());
        let label = state.operation_labels.label(&operation);
        let analysis = state
            .analyzer
            .analyse(document, name.as_deref(), &variables);
        let analysis = match analysis {
            Ok(analysis) => analysis,
            Err(violation) => return Err(self.refuse(subject, &violation).await),
        };
        if over_get && operation_type == Some(OperationType::Mutation) {
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                self.media,
                "mutations are only accepted over POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return Err(response);
        }
        if let Some(persisted) = register {
            // Registered only once it is known to parse and fit the limits.
            state.persisted.register(&persisted.hash, &query).await;
        }
        let kept = audience
            .filter(|_| operation_type == Some(OperationType::Query))
            .map(|audience| {
                let depends = state
                    .analyzer
                    .depends(document, name.as_deref(), &variables);
                (
                    key(
                        &query,
                        name.as_deref(),
                        &variables,
                        audience,
                        (language, low_bandwidth),
                    ),
                    depends,
                )
            });
        let asked = Asked::new(Arc::clone(&prepared), name.clone(), &variables);
        let mut request = async_graphql::Request::new(query).variables(variables);
        if let Some(name) = name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(prepared.to_run());
        Ok(Checked {
            request,
            analysis,
            label,
            asked,
            kept,
            mutation: operation_type == Some(OperationType::Mutation),
        })
    }

    /// Charges what the query costs to its caller's budget; 429 when the budget does not
    /// cover it.
    pub(super) async fn charge_budget(
        self,
        subject: &RateSubject,
        cost: u64,
        label: &str,
    ) -> Result<RateStatus, Response> {
        let limiter = &self.state.limiter;
        let rate = limiter.charge(subject, cost).await;
        if rate.allowed {
            return Ok(rate);
        }
        record_operation(label, "rate_limited", self.started);
        let message = format!(
            "the query costs {} points and {} of the {} points of this minute's budget are left; the budget refills in {} s",
            rate.cost, rate.remaining, rate.limit, rate.reset_seconds
        );
        Err(rate_limited(
            self.media,
            &rate,
            limiter.window_seconds(),
            &message,
        ))
    }

    /// Runs the operation in the caller's scope, with its cost and the budget it was
    /// charged to, within the execution timeout; 503 when it takes longer.
    pub(super) async fn run(
        self,
        request: async_graphql::Request,
        asked: &Asked,
        scope: RequestScope,
        analysis: Analysis,
        rate: &RateStatus,
        label: &str,
    ) -> Result<async_graphql::Response, Response> {
        let timeout = self.state.analyzer.limits().execution_timeout;
        let document = asked.document();
        let schema = if document.validated() {
            &self.state.validated_schema
        } else {
            &self.state.schema
        };
        // The operation's span (in traces, under the request's), named by its label.
        let span = tracing::info_span!("graphql", graphql.operation.name = %label);
        let run = tracing::Instrument::instrument(
            schema.execute(
                request
                    .data(scope)
                    .data(rate.clone())
                    .data(analysis)
                    .data(self.state.open_data.clone()),
            ),
            span,
        );
        // Tokio's timer counts whole milliseconds: an operation that finishes within the
        // first one would outrun even a timeout of zero, so zero lets nothing run.
        let finished = if timeout.is_zero() {
            None
        } else {
            tokio::time::timeout(timeout, run).await.ok()
        };
        if let Some(response) = finished {
            // Validation refuses a document before it runs: an answer with data ran.
            if response.data != async_graphql::Value::Null {
                document.passed_validation();
            }
            return Ok(response);
        }
        record_operation(label, "timeout", self.started);
        record_rejection("timeout");
        let message = format!(
            "the query did not finish within {} s; ask for less, or try again later",
            timeout.as_secs_f64()
        );
        Err(unavailable(
            self.media,
            &message,
            rate,
            self.state.limiter.window_seconds(),
        ))
    }

    /// Puts the fields of the answer in the order the operation asked for them.
    pub(super) fn arrange(self, response: &mut async_graphql::Response, asked: &Asked) {
        self.state.field_order.arrange(&mut response.data, asked);
    }

    /// The answer to an operation that ran: its data and errors with the caller's budget,
    /// or 400 when async-graphql refused the document before running it. Its
    /// `Cache-Control` follows from the hints of the fields it asked and from `cacheability`;
    /// a `GET` answer carries an `ETag`, and is 304 without a body when `If-None-Match`
    /// names it. `data` is the answer's `data` as JSON text (`None` if it could not be
    /// serialised).
    pub(super) fn respond(
        self,
        mut response: async_graphql::Response,
        data: Option<String>,
        rate: &RateStatus,
        label: &str,
        cacheability: Cacheability,
        headers: &HeaderMap,
    ) -> Response {
        let window = self.state.limiter.window_seconds();
        // Parse and validation errors stop a request before it runs: no data and no error
        // with a path. Errors of a running operation always have a path.
        let rejected = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        if rejected {
            record_operation(label, "request_error", self.started);
            let errors = response.errors.into_iter().map(with_code).collect();
            return invalid(self.media, errors, rate, window);
        }
        if served_nothing_for_want_of_the_database(&response) {
            record_operation(label, "unavailable", self.started);
            let message = "the database is not answering; try again in a few seconds";
            return unavailable(self.media, message, rate, window);
        }
        let cache_control =
            cacheability.header(response.cache_control, !response.errors.is_empty());
        // A public answer is the same for every caller and at every request: the caller's
        // budget is in its `RateLimit` headers only.
        let public = cache_control.starts_with("public");
        if !public && let Ok(extension) = async_graphql::Value::from_json(rate_extension(rate)) {
            response
                .extensions
                .insert("rateLimit".to_owned(), extension);
        }
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        record_operation(label, outcome, self.started);
        // Serialised straight from async-graphql's values, without an intermediate JSON
        // tree; `data` comes serialised, once for the body and the response cache.
        let text = data.and_then(|data| {
            let mut text = String::with_capacity(data.len() + 64);
            text.push_str("{\"data\":");
            text.push_str(&data);
            if !response.errors.is_empty() {
                let errors: Vec<Value> = response.errors.into_iter().map(with_code).collect();
                text.push_str(",\"errors\":");
                text.push_str(&serde_json::to_string(&errors).ok()?);
            }
            if !response.extensions.is_empty() {
                text.push_str(",\"extensions\":");
                text.push_str(&serde_json::to_string(&response.extensions).ok()?);
            }
            text.push('}');
            Some(text)
        });
        match text {
            Some(text) => self.send(text, &cache_control, rate, cacheability, headers),
            None => {
                tracing::error!("cannot serialise a response");
                reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    self.media,
                    &json!({ "errors": [{ "message": "internal error", "extensions": { "code": ErrorCode::Internal.as_str() } }] }),
                )
            }
        }
    }

    /// The answer kept from an earlier request with the same query, as [`Call::respond`]
    /// would give it: the caller's budget in its body when the answer is not public.
    pub(super) fn respond_kept(
        self,
        kept: &Kept,
        rate: &RateStatus,
        label: &str,
        cacheability: Cacheability,
        headers: &HeaderMap,
    ) -> Response {
        let cache_control = cacheability.header(kept.hints, false);
        record_operation(label, "ok", self.started);
        let text = if cache_control.starts_with("public") {
            format!("{{\"data\":{}}}", kept.data)
        } else {
            format!(
                "{{\"data\":{},\"extensions\":{{\"rateLimit\":{}}}}}",
                kept.data,
                rate_extension(rate)
            )
        };
        let mut answer = self.send(text, &cache_control, rate, cacheability, headers);
        // RFC 9111: the answer comes from a cache, made this long ago.
        answer
            .headers_mut()
            .insert(header::AGE, HeaderValue::from(kept.age_seconds()));
        answer
    }

    /// Sends an answer's body with its caching headers (and `304` when `If-None-Match`
    /// names it) and the caller's budget.
    fn send(
        self,
        text: String,
        cache_control: &str,
        rate: &RateStatus,
        cacheability: Cacheability,
        headers: &HeaderMap,
    ) -> Response {
        let window = self.state.limiter.window_seconds();
        let over_get = cacheability != Cacheability::Uncached;
        let tag = over_get.then(|| etag(text.as_bytes()));
        if let Some(matched) = tag.as_deref().and_then(|tag| matching_tag(headers, tag)) {
            let mut answer = not_modified(&matched, cache_control);
            rate_headers(&mut answer, rate, window);
            return answer;
        }
        let mut answer = reply_encoded(StatusCode::OK, self.media, text, headers);
        rate_headers(&mut answer, rate, window);
        if let Ok(value) = HeaderValue::from_str(cache_control) {
            answer.headers_mut().insert(header::CACHE_CONTROL, value);
        }
        if let Some(value) = tag.and_then(|tag| HeaderValue::from_str(&tag).ok()) {
            answer.headers_mut().insert(header::ETAG, value);
            answer.extensions_mut().insert(TaggedBody);
        }
        answer
    }

    /// Answers a request over one of the limits: 400, charged the minimum of 1 point so
    /// that a stream of refused queries still spends a budget.
    async fn refuse(self, subject: &RateSubject, violation: &Violation) -> Response {
        record_operation("refused", "request_error", self.started);
        record_rejection(violation.limit());
        let rate = self.state.limiter.charge(subject, 1).await;
        coded_error(
            StatusCode::BAD_REQUEST,
            self.media,
            violation.code(),
            &violation.message(),
            Some((&rate, self.state.limiter.window_seconds())),
        )
    }
}

/// The operation a request runs: its name for metrics and its type.
fn describe(
    operations: &DocumentOperations,
    wanted: Option<&str>,
) -> (String, Option<OperationType>) {
    match (operations, wanted) {
        (DocumentOperations::Single(op), _) => ("anonymous".to_owned(), Some(op.node.ty)),
        (DocumentOperations::Multiple(ops), Some(name)) => (
            name.to_owned(),
            ops.iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op.node.ty),
        ),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
            .iter()
            .next()
            .map_or(("anonymous".to_owned(), None), |(n, op)| {
                (n.to_string(), Some(op.node.ty))
            }),
        (DocumentOperations::Multiple(_), None) => ("anonymous".to_owned(), None),
    }
}
