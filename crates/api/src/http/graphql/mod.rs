//! The GraphQL-over-HTTP front handler. async-graphql executes; this module owns the HTTP
//! contract around it: `POST` with `application/json` bodies, `GET` for queries only (405
//! for mutations), `Accept` negotiation between `application/graphql-response+json` and
//! `application/json`, request errors as 400 without a `data` key, a body limit, and no
//! batching. Before a query runs, it checks the query against the limits, measures its cost
//! and charges it to its caller's rate budget; the response reports the budget.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{ServerError, Variables};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use std::sync::Arc;

use super::AppState;
use super::client::{Peer, address_key};
use super::identify::identify;
use super::observability::{record_operation, record_rate_limited, record_rejection};
use super::server::body_read_timeout;
use crate::auth::Principal;
use crate::context::RequestScope;
use crate::error::ErrorCode;
use crate::limits::Violation;
use crate::rate_limit::{RateStatus, RateSubject};
use capitole_domain::access::RateTier;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type a client accepts for the response.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => JSON,
        }
    }
}

/// Picks the response media type from `Accept`; none acceptable is `None` (406).
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut wildcard = false;
    let mut json = false;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
        if refused {
            continue;
        }
        match media.as_str() {
            "application/graphql-response+json" => return Some(MediaType::GraphqlResponseJson),
            "application/json" => json = true,
            "*/*" | "application/*" => wildcard = true,
            _ => {}
        }
    }
    // A client that names only wildcards gets the type every client understands.
    (json || wildcard).then_some(MediaType::Json)
}

/// The parameters of a GraphQL request, from a query string or a JSON body.
#[derive(Deserialize)]
struct Params {
    query: Option<Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

/// 429 for a caller whose budget does not cover what it asks: `Retry-After` says when the
/// budget refills.
pub(super) fn rate_limited(
    media: MediaType,
    rate: &RateStatus,
    window: u64,
    message: &str,
) -> Response {
    record_rate_limited(rate.policy);
    let mut response = coded_error(
        StatusCode::TOO_MANY_REQUESTS,
        media,
        ErrorCode::RateLimited,
        message,
        Some((rate, window)),
    );
    if let Ok(value) = HeaderValue::from_str(&rate.reset_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A 4xx answer in GraphQL's error shape.
fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    coded_error(status, media, ErrorCode::BadUserInput, message, None)
}

/// An answer with one error of `code` and no data, with the caller's budget if known.
pub(super) fn coded_error(
    status: StatusCode,
    media: MediaType,
    code: ErrorCode,
    message: &str,
    rate: Option<(&RateStatus, u64)>,
) -> Response {
    let mut body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    if let Some((rate, _)) = rate {
        body["extensions"] = json!({ "rateLimit": rate_extension(rate) });
    }
    let mut response = respond(status, media, &body);
    if let Some((rate, window)) = rate {
        rate_headers(&mut response, rate, window);
    }
    response
}

/// Whose budget a request is charged to. Today every caller is anonymous, counted by client
/// address; with authentication, a signed-in person or an app token gets its own key
/// (`user:<uuid>`, `token:<uuid>`) and tier here.
pub(super) fn rate_subject(principal: &Principal, client: Option<IpAddr>) -> RateSubject {
    match principal.budget() {
        Some((key, tier)) => RateSubject { key, tier },
        None => RateSubject {
            key: address_key(client),
            tier: RateTier::Anonymous,
        },
    }
}

/// `extensions.rateLimit` of a response.
fn rate_extension(rate: &RateStatus) -> Value {
    json!({
        "cost": rate.cost,
        "limit": rate.limit,
        "remaining": rate.remaining,
        "resetAt": rate.reset_at.to_rfc3339(),
    })
}

/// The `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers).
fn rate_headers(response: &mut Response, rate: &RateStatus, window: u64) {
    let headers = response.headers_mut();
    let policy = format!("\"{}\";q={};w={window}", rate.policy, rate.limit);
    let state = format!(
        "\"{}\";r={};t={}",
        rate.policy, rate.remaining, rate.reset_seconds
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert("ratelimit-policy", value);
    }
    if let Ok(value) = HeaderValue::from_str(&state) {
        headers.insert("ratelimit", value);
    }
}

pub(super) fn respond(status: StatusCode, media: MediaType, body: &Value) -> Response {
    respond_text(status, media, body.to_string())
}

fn respond_text(status: StatusCode, media: MediaType, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    // The body's media type depends on Accept.
    headers.append(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// `GET /graphql?query=…`: queries only.
pub(crate) async fn get(
    State(state): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let pairs: Vec<(String, String)> =
        match serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()) {
            Ok(pairs) => pairs,
            Err(_) => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    "the query string is malformed",
                );
            }
        };
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // Returns the name of the parameter that is not valid JSON.
    let parse_json = |name: &'static str| -> Result<Option<Value>, &'static str> {
        find(name)
            .map(|text| serde_json::from_str(&text).map_err(|_| name))
            .transpose()
    };
    let (variables, extensions) = match (parse_json("variables"), parse_json("extensions")) {
        (Ok(variables), Ok(extensions)) => (variables, extensions),
        (Err(name), _) | (_, Err(name)) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("`{name}` is not valid JSON"),
            );
        }
    };
    let params = Params {
        query: find("query").map(Value::String),
        operation_name: find("operationName").map(Value::String),
        variables,
        extensions,
    };
    execute(&state, media, params, true, peer, &headers).await
}

/// `POST /graphql` with an `application/json` body.
pub(crate) async fn post(
    State(state): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "POST bodies must be `application/json` (a JSON object with `query`, `operationName`, `variables`)",
        );
    }
    let bytes = match axum::body::to_bytes(body, state.body_limit).await {
        Ok(bytes) => bytes,
        Err(error) if body_read_timeout(&error).is_some() => {
            let message = body_read_timeout(&error)
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut response = request_error(StatusCode::REQUEST_TIMEOUT, media, &message);
            // The rest of the body may still be on its way: this connection is done.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Err(_) => {
            let message = format!(
                "the request body is larger than the limit of {} bytes",
                state.body_limit
            );
            return request_error(StatusCode::PAYLOAD_TOO_LARGE, media, &message);
        }
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(_) => {
            return request_error(StatusCode::BAD_REQUEST, media, "the body is not valid JSON");
        }
    };
    if value.is_array() {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "batched requests are not supported; send one operation per request",
        );
    }
    let params: Params = match serde_json::from_value(value) {
        Ok(params) => params,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "the body must be a JSON object",
            );
        }
    };
    execute(&state, media, params, false, peer, &headers).await
}

fn not_acceptable() -> Response {
    let message =
        "the Accept header allows neither application/graphql-response+json nor application/json";
    request_error(StatusCode::NOT_ACCEPTABLE, MediaType::Json, message)
}

async fn execute(
    state: &AppState,
    media: MediaType,
    params: Params,
    over_get: bool,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Response {
    let started = Instant::now();
    let now = chrono::Utc::now();
    let client = state.proxies.client_ip(peer, headers);
    let principal = match identify(state, media, headers, client, now).await {
        Ok(principal) => principal,
        Err(response) => {
            record_operation("unauthenticated", "request_error", started);
            return response;
        }
    };
    let Some(Value::String(query)) = params.query else {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "`query` is required and must be a string",
        );
    };
    let operation_name = match params.operation_name {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "`operationName` must be a string",
            );
        }
    };
    let variables = match params.variables {
        None | Some(Value::Null) => Variables::default(),
        Some(value @ Value::Object(_)) => Variables::from_json(value),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "`variables` must be an object",
            );
        }
    };
    if !matches!(
        params.extensions,
        None | Some(Value::Null) | Some(Value::Object(_))
    ) {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "`extensions` must be an object",
        );
    }
    let subject = rate_subject(&principal, client);
    let window = state.limiter.window_seconds();
    if let Err(violation) = state.analyzer.check_size(&query) {
        return refuse(state, &subject, media, &violation, started).await;
    }
    let cached = state.documents.get(&query);
    // A query parsed for the first time is kept once it parses.
    let fresh = cached.is_none().then(|| query.clone());
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = &operation_name {
        request = request.operation_name(name.clone());
    }
    if let Some(document) = cached {
        request.set_parsed_query(document);
    }
    let (label, operation_type, analysis) = match request.parsed_query() {
        Ok(document) => {
            if let Some(text) = &fresh {
                state.documents.insert(text, document);
            }
            let (name, operation_type) = describe(&document.operations, operation_name.as_deref());
            let label = state.operation_labels.label(&name);
            let analysis = state
                .analyzer
                .analyse(document, operation_name.as_deref(), &variables);
            (label, operation_type, analysis)
        }
        Err(error) => {
            record_operation("invalid", "request_error", started);
            // A request that does not parse is charged the minimum, like one over a limit.
            let rate = state.limiter.charge(&subject, 1).await;
            let body = json!({ "errors": [with_code(error)], "extensions": { "rateLimit": rate_extension(&rate) } });
            let mut response = respond(StatusCode::BAD_REQUEST, media, &body);
            rate_headers(&mut response, &rate, window);
            return response;
        }
    };
    let analysis = match analysis {
        Ok(analysis) => analysis,
        Err(violation) => return refuse(state, &subject, media, &violation, started).await,
    };
    let request = request.variables(variables);
    if over_get && operation_type == Some(OperationType::Mutation) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations are only accepted over POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let rate = state.limiter.charge(&subject, analysis.cost).await;
    if !rate.allowed {
        record_operation(&label, "rate_limited", started);
        let message = format!(
            "the query costs {} points and {} of the {} points of this minute's budget are left; the budget refills in {} s",
            rate.cost, rate.remaining, rate.limit, rate.reset_seconds
        );
        return rate_limited(media, &rate, window, &message);
    }
    let scope = RequestScope::new(&state.api, now, principal, client);
    let timeout = state.analyzer.limits().execution_timeout;
    let run = state
        .schema
        .execute(request.data(scope).data(rate.clone()).data(analysis));
    let Ok(mut response) = tokio::time::timeout(timeout, run).await else {
        record_operation(&label, "timeout", started);
        record_rejection("timeout");
        let message = format!(
            "the query did not finish within {} s; ask for less, or try again later",
            timeout.as_secs_f64()
        );
        return coded_error(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            ErrorCode::ServiceUnavailable,
            &message,
            Some((&rate, window)),
        );
    };
    // Parse and validation errors stop a request before it runs: no data and no error
    // with a path. Errors of a running operation always have a path.
    let rejected = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if rejected {
        record_operation(&label, "request_error", started);
        let errors: Vec<Value> = response.errors.into_iter().map(with_code).collect();
        let body =
            json!({ "errors": errors, "extensions": { "rateLimit": rate_extension(&rate) } });
        let mut response = respond(StatusCode::BAD_REQUEST, media, &body);
        rate_headers(&mut response, &rate, window);
        return response;
    }
    if let Ok(extension) = async_graphql::Value::from_json(rate_extension(&rate)) {
        response
            .extensions
            .insert("rateLimit".to_owned(), extension);
    }
    record_operation(
        &label,
        if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        },
        started,
    );
    // Serialised straight from async-graphql's values, without an intermediate JSON tree.
    #[derive(serde::Serialize)]
    struct Body<'a> {
        data: &'a async_graphql::Value,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        errors: Vec<Value>,
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    }
    let errors = response.errors.into_iter().map(with_code).collect();
    let body = Body {
        data: &response.data,
        errors,
        extensions: &response.extensions,
    };
    match serde_json::to_string(&body) {
        Ok(text) => {
            let mut response = respond_text(StatusCode::OK, media, text);
            rate_headers(&mut response, &rate, window);
            response
        }
        Err(error) => {
            tracing::error!(%error, "cannot serialise a response");
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                &json!({ "errors": [{ "message": "internal error", "extensions": { "code": ErrorCode::Internal.as_str() } }] }),
            )
        }
    }
}

/// Answers a request over one of the limits: 400, charged the minimum of 1 point so that a
/// stream of refused queries still spends a budget.
async fn refuse(
    state: &AppState,
    subject: &RateSubject,
    media: MediaType,
    violation: &Violation,
    started: Instant,
) -> Response {
    record_operation("refused", "request_error", started);
    record_rejection(violation.limit());
    let rate = state.limiter.charge(subject, 1).await;
    coded_error(
        StatusCode::BAD_REQUEST,
        media,
        violation.code(),
        &violation.message(),
        Some((&rate, state.limiter.window_seconds())),
    )
}

/// An error as JSON, with a code even for the errors async-graphql makes itself.
fn with_code(error: ServerError) -> Value {
    let mut value = serde_json::to_value(&error).unwrap_or_else(|_| json!({ "message": "error" }));
    if value.pointer("/extensions/code").is_none() {
        value["extensions"]["code"] = Value::String(ErrorCode::BadUserInput.as_str().to_owned());
    }
    value
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

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        negotiate(&headers)
    }

    #[test]
    fn accept_negotiation_prefers_the_graphql_response_type() {
        assert!(
            accept("application/graphql-response+json") == Some(MediaType::GraphqlResponseJson)
        );
        assert!(
            accept("application/json, application/graphql-response+json")
                == Some(MediaType::GraphqlResponseJson)
        );
        assert!(accept("application/json") == Some(MediaType::Json));
        assert!(accept("*/*") == Some(MediaType::Json));
        assert!(accept("text/html").is_none());
        assert!(accept("application/json;q=0, text/html").is_none());
        assert!(negotiate(&HeaderMap::new()) == Some(MediaType::Json));
    }
}
