//! The answers of the front handler that carry no data: request errors, refusals with a
//! stable `extensions.code`, and the caller's budget in `extensions.rateLimit` and in the
//! `RateLimit` headers. Every answer says its media type, varies on what can change it
//! (`Accept`, `Authorization`, `Accept-Encoding`) and may not be stored unless the stage
//! that answers it says otherwise (see `caching`).

use async_graphql::ServerError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::caching::{NO_STORE, VARY};
use super::negotiate::MediaType;
use crate::error::ErrorCode;
use crate::http::encoding::{self, COMPRESS_ABOVE, Encoding};
use crate::http::observability::record_rate_limited;
use crate::rate_limit::RateStatus;

/// An answer with this JSON body.
pub(super) fn reply(status: StatusCode, media: MediaType, body: &Value) -> Response {
    reply_text(status, media, body.to_string())
}

/// An answer with this body, already serialised.
pub(super) fn reply_text(status: StatusCode, media: MediaType, body: String) -> Response {
    with_headers((status, body).into_response(), media)
}

/// An answer with this body, gzipped when it is worth it and the client (by `request`'s
/// headers) accepts gzip (see `http::encoding`).
pub(super) fn reply_encoded(
    status: StatusCode,
    media: MediaType,
    body: String,
    request: &HeaderMap,
) -> Response {
    let gzipped = (body.len() > COMPRESS_ABOVE && Encoding::accepts_gzip(request))
        .then(|| encoding::gzip(body.as_bytes()))
        .flatten();
    let Some(gzipped) = gzipped else {
        return reply_text(status, media, body);
    };
    let mut response = with_headers((status, gzipped).into_response(), media);
    response.headers_mut().insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(Encoding::Gzip.name()),
    );
    response
}

fn with_headers(mut response: Response, media: MediaType) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    // The body's media type depends on Accept, its content on the caller, and its bytes on
    // the encoding.
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}

/// A 4xx answer in GraphQL's error shape.
pub(super) fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    coded_error(status, media, ErrorCode::BadUserInput, message, None)
}

/// 406 for a client whose `Accept` allows neither media type.
pub(super) fn not_acceptable() -> Response {
    let message =
        "the Accept header allows neither application/graphql-response+json nor application/json";
    request_error(StatusCode::NOT_ACCEPTABLE, MediaType::Json, message)
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
    let mut response = reply(status, media, &body);
    if let Some((rate, window)) = rate {
        rate_headers(&mut response, rate, window);
    }
    response
}

/// A query that does not parse or validate, or whose variables do not fit: its errors and
/// the caller's budget. Under `application/graphql-response+json` that is 400; clients that
/// only accept `application/json` predate that media type and, as the GraphQL-over-HTTP
/// specification asks, get 200 with the errors in the body.
pub(super) fn invalid(
    media: MediaType,
    errors: Vec<Value>,
    rate: &RateStatus,
    window: u64,
) -> Response {
    let body = json!({ "errors": errors, "extensions": { "rateLimit": rate_extension(rate) } });
    let status = match media {
        MediaType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    let mut response = reply(status, media, &body);
    rate_headers(&mut response, rate, window);
    response
}

/// The answer to a hash of `extensions.persistedQuery` that names no document this service
/// knows: the error Apollo clients take as a cue to send the document with its hash. The
/// request did not run; like a document that does not parse, it answers 400, or 200 to
/// clients that accept only `application/json`.
pub(super) fn persisted_query_not_found(
    media: MediaType,
    rate: &RateStatus,
    window: u64,
) -> Response {
    let error = json!({
        "message": "PersistedQueryNotFound",
        "extensions": { "code": "PERSISTED_QUERY_NOT_FOUND" },
    });
    invalid(media, vec![error], rate, window)
}

/// 429 for a caller whose budget does not cover what it asks: `Retry-After` says when the
/// budget refills.
pub(crate) fn rate_limited(
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

/// 503 for an operation the database could not serve (it was down, or every pooled
/// connection stayed busy past the acquire timeout, or the query ran out of time):
/// `Retry-After` says when to ask again.
pub(super) fn unavailable(
    media: MediaType,
    message: &str,
    rate: &RateStatus,
    window: u64,
) -> Response {
    let mut response = coded_error(
        StatusCode::SERVICE_UNAVAILABLE,
        media,
        ErrorCode::ServiceUnavailable,
        message,
        Some((rate, window)),
    );
    crate::http::retry_shortly(&mut response);
    response
}

/// Whether an operation that ran served nothing because the database was unavailable:
/// every error says so (and not, say, that a feature is not configured), and no root field
/// has a value.
pub(super) fn served_nothing_for_want_of_the_database(response: &async_graphql::Response) -> bool {
    let unavailable = ErrorCode::ServiceUnavailable.as_str();
    let nothing = match &response.data {
        async_graphql::Value::Null => true,
        async_graphql::Value::Object(fields) => fields
            .values()
            .all(|value| *value == async_graphql::Value::Null),
        _ => false,
    };
    nothing
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| {
            error.message == capitole_services::error::DATABASE_UNAVAILABLE
                && error
                    .extensions
                    .as_ref()
                    .and_then(|extensions| extensions.get("code"))
                    .is_some_and(|code| *code == async_graphql::Value::from(unavailable))
        })
}

/// `extensions.rateLimit` of a response.
pub(super) fn rate_extension(rate: &RateStatus) -> Value {
    json!({
        "cost": rate.cost,
        "limit": rate.limit,
        "remaining": rate.remaining,
        "resetAt": rate.reset_at.to_rfc3339(),
    })
}

/// The `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers).
pub(crate) fn rate_headers(response: &mut Response, rate: &RateStatus, window: u64) {
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

/// An error as JSON, with a code even for the errors async-graphql makes itself, and the
/// form a scalar expects when a value did not fit it.
pub(super) fn with_code(error: ServerError) -> Value {
    let mut value = serde_json::to_value(&error).unwrap_or_else(|_| json!({ "message": "error" }));
    if let Some(explained) = crate::types::scalars::explain(&error.message) {
        value["message"] = Value::String(explained);
    }
    if value.pointer("/extensions/code").is_none() {
        value["extensions"]["code"] = Value::String(ErrorCode::BadUserInput.as_str().to_owned());
    }
    value
}
