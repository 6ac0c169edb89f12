//! The GraphQL-over-HTTP front handler. async-graphql executes; this module owns the HTTP
//! contract around it: `POST` with `application/json` bodies, `GET` for queries only (405
//! for mutations), `Accept` negotiation between `application/graphql-response+json` and
//! `application/json`, request errors as 400 without a `data` key, a body limit, and no
//! batching.

use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{ServerError, Variables};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::observability::record_operation;
use crate::auth::{Principal, Refused};
use crate::context::RequestScope;
use crate::error::ErrorCode;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type a client accepts for the response.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
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

/// A 4xx answer in GraphQL's error shape.
fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": ErrorCode::BadUserInput.as_str() } }] });
    respond(status, media, &body)
}

fn respond(status: StatusCode, media: MediaType, body: &Value) -> Response {
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
    State(state): State<AppState>,
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
    execute(state, media, &headers, params, true).await
}

/// `POST /graphql` with an `application/json` body.
pub(crate) async fn post(
    State(state): State<AppState>,
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
    execute(state, media, &headers, params, false).await
}

fn not_acceptable() -> Response {
    let message =
        "the Accept header allows neither application/graphql-response+json nor application/json";
    request_error(StatusCode::NOT_ACCEPTABLE, MediaType::Json, message)
}

/// The bearer credential of a request: none, or the text after `Bearer `; any other
/// `Authorization` scheme is an error.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    let (scheme, credential) = text.trim().split_once(' ').ok_or(())?;
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty() {
        Ok(Some(credential))
    } else {
        Err(())
    }
}

/// 401 for credentials that are not valid, whatever the reason (RFC 6750).
fn unauthorized(media: MediaType) -> Response {
    let body = json!({ "errors": [{
        "message": "the credentials are not valid: send `Authorization: Bearer <access token or app token>`, or none",
        "extensions": { "code": ErrorCode::Unauthenticated.as_str() }
    }] });
    let mut response = respond(StatusCode::UNAUTHORIZED, media, &body);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// Establishes who is calling, or the response that refuses them.
async fn identify(
    state: &AppState,
    media: MediaType,
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Principal, Response> {
    let credential = match bearer(headers) {
        Ok(None) => return Ok(Principal::Anonymous),
        Ok(Some(credential)) => credential,
        Err(()) => return Err(unauthorized(media)),
    };
    let principal = match state
        .api
        .auth
        .authenticate(&state.api.db, credential, now)
        .await
    {
        Ok(principal) => principal,
        Err(Refused::Invalid) => return Err(unauthorized(media)),
        Err(Refused::Storage(error)) => {
            let error = crate::error::ApiError::from(error);
            let body = json!({ "errors": [async_graphql::Error::from(error).into_server_error(Default::default())] });
            return Err(respond(StatusCode::SERVICE_UNAVAILABLE, media, &body));
        }
    };
    if !principal.may_read() {
        let body = json!({ "errors": [{
            "message": "this app token does not have the `read` scope",
            "extensions": { "code": ErrorCode::Forbidden.as_str() }
        }] });
        return Err(respond(StatusCode::FORBIDDEN, media, &body));
    }
    Ok(principal)
}

async fn execute(
    state: AppState,
    media: MediaType,
    headers: &HeaderMap,
    params: Params,
    over_get: bool,
) -> Response {
    let started = Instant::now();
    let now = chrono::Utc::now();
    let principal = match identify(&state, media, headers, now).await {
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
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = &operation_name {
        request = request.operation_name(name.clone());
    }
    let (label, operation_type) = match request.parsed_query() {
        Ok(document) => describe(&document.operations, operation_name.as_deref()),
        Err(error) => {
            record_operation("invalid", "request_error", started);
            let body = json!({ "errors": [with_code(error)] });
            return respond(StatusCode::BAD_REQUEST, media, &body);
        }
    };
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
    let scope = RequestScope::new(&state.api, now, principal, None);
    let response = state.schema.execute(request.data(scope)).await;
    // Parse and validation errors stop a request before it runs: no data and no error
    // with a path. Errors of a running operation always have a path.
    let rejected = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if rejected {
        record_operation(&label, "request_error", started);
        let errors: Vec<Value> = response.errors.into_iter().map(with_code).collect();
        return respond(StatusCode::BAD_REQUEST, media, &json!({ "errors": errors }));
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
        Ok(text) => respond_text(StatusCode::OK, media, text),
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
