//! The HTTP side every export shares: the caller charged one point before any work and the
//! rest by size after, validators from the change log (`ETag`, `Last-Modified`) with
//! `304 Not Modified` for a client that holds the current answer, caching headers, and
//! errors in the graph's shape.
//!
//! An export's answer is a function of the public data and, for exports that depend on the
//! current time (the agenda from now on), of the time. The public data is as of the last
//! public entry of the change log ([`changes::public_mark`]), so the validators are made of
//! that entry, the current minute when time matters, and the request's path and query: a
//! write always comes with a new `ETag`, what time alone changes (a scheduled article
//! published, an event begun) gets one within the minute, and a client that asks again
//! with the `ETag` it holds costs one small statement and no rendering.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_persistence::changes;
use capitole_services::Principal;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use futures_util::Stream;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::OpenData;
use super::kept::{Kept, Turn};
use crate::context::RequestScope;
use crate::error::{ApiError, ErrorCode};
use crate::http::encoding::{Encoding, exact};
use crate::http::graphql::answers::{rate_headers, rate_limited};
use crate::http::graphql::identify::rate_subject;
use crate::http::graphql::negotiate::MediaType;
use crate::rate_limit::{RateStatus, RateSubject};

/// How many bytes of an answer one point of the budget pays for; every answer costs at
/// least one point.
pub(crate) const BYTES_PER_POINT: usize = 65_536;

/// Changes whenever the way exports are written changes, so that validators given out by
/// an older Capitole do not match answers of a newer one.
const FORMAT_GENERATION: &str = "1";

/// Whether an export's answer depends on the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Changes with time as well as with the data (the agenda from now on, what is
    /// published now): its validators change every minute, and shared caches keep it for
    /// a minute.
    Minute,
    /// The same until the data changes (a place, an event's whole calendar): shared caches
    /// keep it for five minutes.
    Stable,
}

impl Freshness {
    fn max_age(self) -> u32 {
        match self {
            Self::Minute => 60,
            Self::Stable => 300,
        }
    }
}

/// One export under way: who pays for it, what it reads the data as, and the validators
/// its answer will carry.
pub(crate) struct Export {
    state: Arc<OpenData>,
    /// An anonymous caller's request, judged now: exports show the public data whoever
    /// asks.
    pub scope: RequestScope,
    subject: RateSubject,
    freshness: Freshness,
    /// The opaque part of the `ETag`, under which the answer is kept.
    tag: String,
    /// The encoding the client prefers for a whole body.
    encoding: Option<Encoding>,
    etag: HeaderValue,
    last_modified: HeaderValue,
    /// The caller's budget after the first point.
    rate: RateStatus,
    /// Its turn to make its answer in memory, held until the answer is made (not while it
    /// streams).
    turn: Option<Turn>,
}

impl OpenData {
    /// Starts an export: charges the caller one point, and answers at once when the caller
    /// has no point left (429), when the caller's credentials are not valid (401), when the
    /// caller already holds the current answer (304), when the answer is kept from an
    /// earlier request with the same validator (200, as it was), or when the database does
    /// not answer (503). Otherwise it waits for its turn among the answers made at once.
    pub(crate) async fn begin(
        self: &Arc<Self>,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        uri: &Uri,
        freshness: Freshness,
    ) -> Result<Export, Response> {
        let now = Utc::now();
        let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
        let client = self.proxies.client_ip(peer, headers);
        let principal = self
            .identifier
            .identify(MediaType::Json, headers, client, now)
            .await?;
        let subject = rate_subject(&principal, client);
        let rate = self.limiter.charge(&subject, 1).await;
        if !rate.allowed {
            let message = format!(
                "this caller's budget is spent; it refills in {} s",
                rate.reset_seconds
            );
            return Err(rate_limited(
                MediaType::Json,
                &rate,
                self.limiter.window_seconds(),
                &message,
            ));
        }
        // Exports are public: they tolerate lag, and the mark comes from where they read.
        let db = self.api.reads.lag_tolerant().clone();
        let mark = changes::public_mark(&db)
            .await
            .map_err(|e| export_error(ApiError::from(e)))?;
        let mut digest = Sha256::new();
        digest.update(FORMAT_GENERATION);
        digest.update([0]);
        digest.update(uri.path());
        digest.update([0]);
        digest.update(uri.query().unwrap_or_default());
        digest.update([0]);
        digest.update(mark.map(|m| m.encode()).unwrap_or_default());
        if freshness == Freshness::Minute {
            digest.update([0]);
            digest.update(minute.timestamp().to_be_bytes());
        }
        let tag = URL_SAFE_NO_PAD.encode(&digest.finalize()[..18]);
        let etag = HeaderValue::from_str(&format!("W/\"{tag}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
        // No public change ever: nothing changed since the epoch. Public changes none of
        // which may be read yet: when is not known, so now.
        let changed = mark.map_or(DateTime::UNIX_EPOCH, |m| m.at().unwrap_or(now));
        let modified = match freshness {
            Freshness::Minute => changed.max(minute),
            Freshness::Stable => changed,
        };
        // HTTP dates have whole seconds: a change within the second a client saw is not
        // earlier than what it holds.
        let modified = modified
            .duration_trunc(TimeDelta::seconds(1))
            .unwrap_or(modified);
        let last_modified = HeaderValue::from_str(&http_date(modified))
            .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        let mut scope = RequestScope::on(db, &self.api, now, Principal::Anonymous, client);
        if let Some(code) = language_asked(uri) {
            scope.language = scope
                .languages
                .require(&code)
                .cloned()
                .map_err(|e| export_error(ApiError::bad_input(format!("`language`: {e}"))))?;
        }
        let export = Export {
            scope,
            state: self.clone(),
            subject,
            freshness,
            tag,
            encoding: Encoding::preferred(headers),
            etag,
            last_modified,
            rate,
            turn: None,
        };
        if export.held_by(headers, modified) {
            return Err(export.not_modified());
        }
        match self.kept.find_or_wait(&export.tag).await {
            Ok(kept) => Err(export.answer(&kept).await),
            Err(turn) => Ok(Export {
                turn: Some(turn),
                ..export
            }),
        }
    }
}

impl Export {
    /// The service's shared state (settings, links).
    pub(crate) fn state(&self) -> &OpenData {
        &self.state
    }

    /// Whether the client's conditional headers say it holds this answer: `If-None-Match`
    /// decides when present (weak comparison, as for any GET); else `If-Modified-Since`.
    fn held_by(&self, headers: &HeaderMap, modified: DateTime<Utc>) -> bool {
        if let Some(value) = headers.get(header::IF_NONE_MATCH) {
            let Ok(text) = value.to_str() else {
                return false;
            };
            let ours = opaque(self.etag.to_str().unwrap_or_default());
            return text
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || opaque(tag) == ours);
        }
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|text| DateTime::parse_from_rfc2822(text).ok())
            .is_some_and(|since| modified <= since.with_timezone(&Utc))
    }

    fn not_modified(self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.validators(&mut response);
        rate_headers(
            &mut response,
            &self.rate,
            self.state.limiter.window_seconds(),
        );
        response
    }

    fn validators(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::LAST_MODIFIED, self.last_modified.clone());
        if let Ok(value) =
            HeaderValue::from_str(&format!("public, max-age={}", self.freshness.max_age()))
        {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        // The language of its texts (those not translated are in the city's).
        if let Ok(value) = HeaderValue::from_str(self.scope.language.code()) {
            headers.insert(header::CONTENT_LANGUAGE, value);
        }
        // Open data is for any web page to read, with the headers that page and follow it.
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("link, etag, last-modified, ratelimit, ratelimit-policy"),
        );
    }

    /// Adds `Link: <…>; rel="next"` to a paged answer when more rows follow: the request's
    /// own address with `after` set to `end_cursor`.
    pub(crate) fn link_next(&self, response: &mut Response, uri: &Uri, end_cursor: Option<&str>) {
        let Some(cursor) = end_cursor else {
            return;
        };
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
        pairs.retain(|(k, _)| k != "after");
        pairs.push(("after".to_owned(), cursor.to_owned()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let link = format!("<{}{}?{query}>; rel=\"next\"", self.state.base, uri.path());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().append(header::LINK, value);
        }
    }

    /// The answer with this whole body and these headers of its own (`Link`), charged by
    /// its size, and kept for the next request with the same validator.
    pub(crate) async fn body(
        self,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
        headers: HeaderMap,
    ) -> Response {
        // A body written piece by piece holds up to twice its length: the kept one holds
        // its length only.
        let kept = Kept::new(content_type, exact(body.into()), headers);
        let response = self.answer(&kept).await;
        self.state.kept.keep(&self.tag, kept);
        response
    }

    /// The answer with a whole body, charged by its size, compressed in the client's
    /// preferred encoding (once for every client that asks for the same kept answer).
    async fn answer(&self, kept: &Kept) -> Response {
        let rate = charge_size(&self.state, &self.subject, kept.body.len())
            .await
            .unwrap_or_else(|| self.rate.clone());
        let encoded = kept.encoded(self.encoding);
        let body = encoded
            .as_ref()
            .map_or_else(|| kept.body.clone(), |(_, bytes)| bytes.clone());
        let mut response = (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(kept.content_type),
            )],
            body,
        )
            .into_response();
        if let Some((encoding, _)) = encoded {
            // Already compressed: the service's compression leaves it as it is.
            response.headers_mut().insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.name()),
            );
        }
        response.headers_mut().extend(kept.headers.clone());
        self.validators(&mut response);
        rate_headers(&mut response, &rate, self.state.limiter.window_seconds());
        response
    }

    /// The answer with a body written as it is read, in constant memory, charged by its
    /// size once it ends. An error in the middle of it is logged and cuts the answer short
    /// (the client sees an incomplete body, never a partial one that looks whole).
    pub(crate) fn stream<S>(mut self, content_type: &'static str, chunks: S) -> Response
    where
        S: Stream<Item = Result<Bytes, ApiError>> + Send + 'static,
    {
        // In constant memory: the next answer may be made meanwhile.
        self.turn = None;
        let metered = Metered {
            inner: Box::pin(chunks),
            bytes: 0,
            state: self.state.clone(),
            subject: Some(self.subject.clone()),
        };
        let mut response = (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            Body::from_stream(metered),
        )
            .into_response();
        self.validators(&mut response);
        // The budget before the body: the rest is charged as the body is sent.
        rate_headers(
            &mut response,
            &self.rate,
            self.state.limiter.window_seconds(),
        );
        response
    }
}

/// Charges the points of an answer of `bytes` beyond the first, already paid. A caller
/// whose budget does not cover them is charged what is left: the answer is already made,
/// and the next request waits for the budget to refill.
async fn charge_size(state: &OpenData, subject: &RateSubject, bytes: usize) -> Option<RateStatus> {
    let extra = points(bytes).saturating_sub(1);
    if extra == 0 {
        return None;
    }
    let rate = state.limiter.charge(subject, extra).await;
    if rate.allowed || rate.remaining == 0 {
        return Some(rate);
    }
    Some(state.limiter.charge(subject, rate.remaining).await)
}

/// What an answer of `bytes` costs: one point per started 64 KiB, at least one.
fn points(bytes: usize) -> u64 {
    u64::try_from(bytes.div_ceil(BYTES_PER_POINT))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// A body stream that counts its bytes and charges them when it ends or is dropped.
struct Metered {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>,
    bytes: usize,
    state: Arc<OpenData>,
    subject: Option<RateSubject>,
}

impl Metered {
    fn settle(&mut self) {
        if let Some(subject) = self.subject.take() {
            let state = self.state.clone();
            let bytes = self.bytes;
            tokio::spawn(async move {
                charge_size(&state, &subject, bytes).await;
            });
        }
    }
}

impl Stream for Metered {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.bytes += chunk.len();
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(error))) => {
                tracing::error!(
                    code = error.code().as_str(),
                    message = error.message(),
                    "an export stopped in the middle"
                );
                self.settle();
                Poll::Ready(Some(Err(std::io::Error::other("the export stopped"))))
            }
            Poll::Ready(None) => {
                self.settle();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        self.settle();
    }
}

/// The tag inside an entity tag, weak or strong.
fn opaque(tag: &str) -> &str {
    tag.trim_start_matches("W/").trim_matches('"')
}

/// An instant as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// An error of an export, in the graph's error shape, with the status its code calls for.
pub(crate) fn export_error(error: ApiError) -> Response {
    let status = match error.code() {
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = json!({ "errors": [{
        "message": error.message(),
        "extensions": { "code": error.code().as_str() }
    }] });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        crate::http::retry_shortly(&mut response);
    }
    response
}

/// The language an export's address asks for (`language=en`), if any. Exports do not read
/// `Accept-Language`: an address gives the same answer to everyone, as feed readers and
/// calendar apps that subscribe to it expect.
fn language_asked(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == super::params::LANGUAGE)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_costs_a_point_per_started_64_kib() {
        assert_eq!(points(0), 1);
        assert_eq!(points(1), 1);
        assert_eq!(points(65_536), 1);
        assert_eq!(points(65_537), 2);
        assert_eq!(points(10 * 1_048_576), 160);
    }

    #[test]
    fn entity_tags_compare_weakly() {
        assert_eq!(opaque("W/\"abc\""), "abc");
        assert_eq!(opaque("\"abc\""), "abc");
    }

    #[test]
    fn http_dates_are_imf_fixdate() {
        let at = DateTime::parse_from_rfc3339("1994-11-06T08:49:37Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
