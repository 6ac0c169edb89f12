//! The GraphQL-over-HTTP front handler. async-graphql executes; this module owns the HTTP
//! contract around it: `POST` with `application/json` bodies, `GET` for queries only (405
//! for mutations), `Accept` negotiation between `application/graphql-response+json` and
//! `application/json`, request errors as 400 without a `data` key, a body limit, and no
//! batching. Before a query runs, it checks the query against the limits, measures its cost
//! and charges it to its caller's rate budget; the response reports the budget.
//!
//! `execute` reads as the sequence of the request's stages (in `stages`); the answers that
//! carry no data are in `answers`, `Accept` negotiation in `negotiate`, who is calling in
//! `identify`, documents registered under their hash in `persisted`, what caches may do
//! with an answer in `caching`, and what every request shares in `state`.

pub(crate) mod answers;
pub(crate) mod caching;
mod documents;
pub(crate) mod identify;
pub(crate) mod negotiate;
pub(crate) mod persisted;
pub(crate) mod responses;
mod stages;
pub(crate) mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::client::Peer;
use super::server::body_read_timeout;
use crate::context::RequestScope;
use answers::{not_acceptable, request_error};
use caching::Cacheability;
use identify::rate_subject;
use negotiate::{MediaType, negotiate};
use responses::Audience;
use stages::{Call, Checked, Params};
use state::GraphqlState;

/// `GET /graphql?query=…`: queries only.
pub(crate) async fn get(
    State(state): State<Arc<GraphqlState>>,
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
    State(state): State<Arc<GraphqlState>>,
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

/// Whether the client asks to save data (`Save-Data: on`, the Client Hint browsers send in
/// their data-saving modes): pictures come at their narrowest and long texts plain.
fn saves_data(headers: &HeaderMap) -> bool {
    headers
        .get("save-data")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("on"))
}

/// Takes a request through its stages, each of which hands it on or answers it.
async fn execute(
    state: &GraphqlState,
    media: MediaType,
    params: Params,
    over_get: bool,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Response {
    let call = Call::new(state, media);
    let now = chrono::Utc::now();
    let client = state.proxies.client_ip(peer, headers);
    let low_bandwidth = saves_data(headers);
    let language = state
        .api
        .languages
        .negotiate(
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
        .clone();
    let stages = async {
        let principal = call.identify_caller(headers, client, now).await?;
        let requested = call.parse_request(params)?;
        let subject = rate_subject(&principal, client);
        let operation = call.find_document(requested, &subject).await?;
        let cacheability = match (over_get, &principal) {
            (false, _) => Cacheability::Uncached,
            (true, capitole_services::Principal::Anonymous) => Cacheability::Shared,
            (true, _) => Cacheability::Personal,
        };
        let audience = match &principal {
            _ if !state.responses.enabled() => None,
            capitole_services::Principal::Anonymous => Some(Audience::Anonymous),
            capitole_services::Principal::App(_) => Some(Audience::App),
            _ => None,
        };
        let Checked {
            request,
            analysis,
            label,
            asked,
            kept,
            mutation,
        } = call
            .check_limits(
                operation,
                &subject,
                over_get,
                audience,
                (&language, low_bandwidth),
            )
            .await?;
        let rate = call.charge_budget(&subject, analysis.cost, &label).await?;
        let mut flight = None;
        if let Some((key, _)) = kept.as_ref() {
            match state.responses.find_or_lead(key).await {
                Ok(found) => {
                    return Ok(call.respond_kept(&found, &rate, &label, cacheability, headers));
                }
                Err(lead) => flight = lead,
            }
        }
        let start = kept.map(|(key, reads)| (key, state.responses.start(reads)));
        // Anonymous queries tolerate lag; whoever is signed in reads what they wrote.
        let db = match &principal {
            capitole_services::Principal::Anonymous if !mutation => {
                state.api.reads.lag_tolerant().clone()
            }
            _ => state.api.db.clone(),
        };
        let mut scope = RequestScope::on(db, &state.api, now, principal, client);
        scope.low_bandwidth = low_bandwidth;
        scope.language = language;
        let mut response = call
            .run(request, &asked, scope, analysis, &rate, &label)
            .await?;
        call.arrange(&mut response, &asked);
        if mutation {
            state.responses.written();
            state.live.feed.nudge();
        }
        let data = serde_json::to_string(&response.data).ok();
        if let (Some((key, start)), Some(data)) = (start, data.as_deref()) {
            state.responses.keep(key, start, &response, data);
        }
        // Those waiting for this answer find it kept now (or make their own).
        drop(flight);
        Ok(call.respond(response, data, &rate, &label, cacheability, headers))
    };
    match stages.await {
        Ok(answer) | Err(answer) => answer,
    }
}
