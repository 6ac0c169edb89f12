//! Which media type an answer is written in: `application/graphql-response+json` when the
//! client names it, `application/json` otherwise, and none (406) when `Accept` allows neither.

use axum::http::{HeaderMap, header};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type a client accepts for the response.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    /// The `Content-Type` of an answer in this media type.
    pub(super) fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => JSON,
        }
    }
}

/// Picks the response media type from `Accept`; none acceptable is `None` (406).
pub(super) fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
