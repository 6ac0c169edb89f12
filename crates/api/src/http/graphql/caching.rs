//! How long phones and shared caches (CDNs) may keep an answer of `/graphql`, and how they
//! revalidate it.
//!
//! The graph's types and fields carry cache hints (`cache_control` attributes); async-graphql
//! merges the hints of the fields an operation asks into one: the smallest `max_age`, and
//! `private` if any field is. A field without a hint does not lower that `max_age` (its
//! `max_age` 0 means "no hint" in the merge), so every root field has a hint of its own,
//! which a test holds; an operation that asks only fields without hints is not cacheable.
//!
//! Only an anonymous `GET` whose answer has no error can be public: POST answers, answers
//! with errors and answers to signed-in people and apps are never stored by a shared cache.
//! `GET` answers carry a strong `ETag` (a hash of the body); a compressed body gets a tag
//! of its own (`"…-gzip"`, `"…-br"`), as RFC 9110 asks of different representations, and
//! `If-None-Match` matches any of them.

use async_graphql::CacheControl;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// What every answer of `/graphql` varies on: its media type, its caller and its encoding.
pub(super) const VARY: &str = "Accept, Authorization, Accept-Encoding, Save-Data, Accept-Language";

/// The `Cache-Control` of answers that no cache may store: errors, POST answers.
pub(super) const NO_STORE: &str = "no-store";

/// The `Cache-Control` of answers about or for one caller.
const PERSONAL: &str = "private, no-store";

/// How a request may be cached, known before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cacheability {
    /// An anonymous GET: its answer may be public, if its fields allow.
    Shared,
    /// A GET by a signed-in person or an app token: never public.
    Personal,
    /// A POST: never stored.
    Uncached,
}

impl Cacheability {
    /// The `Cache-Control` of an answer that ran, given the merged hints of its fields and
    /// whether it has errors.
    pub(super) fn header(self, hints: CacheControl, has_errors: bool) -> String {
        match self {
            Cacheability::Uncached => NO_STORE.to_owned(),
            Cacheability::Personal => PERSONAL.to_owned(),
            Cacheability::Shared if has_errors => NO_STORE.to_owned(),
            Cacheability::Shared if !hints.public => PERSONAL.to_owned(),
            Cacheability::Shared if hints.max_age <= 0 => NO_STORE.to_owned(),
            Cacheability::Shared => format!("public, max-age={}", hints.max_age),
        }
    }
}

/// Marks an answer whose `ETag` names its identity body, for [`tag_per_encoding`] to
/// rewrite once the body is compressed.
#[derive(Clone, Copy)]
pub(super) struct TaggedBody;

/// The strong `ETag` of a body: its SHA-256, shortened to 128 bits.
pub(super) fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The tag of `If-None-Match` that names this body in some encoding, if one does (`*`
/// matches any body). The comparison is weak, as RFC 9110 asks of `If-None-Match`.
pub(super) fn matching_tag(headers: &HeaderMap, etag: &str) -> Option<String> {
    let base = etag.trim_matches('"');
    for value in headers.get_all(header::IF_NONE_MATCH) {
        let Ok(text) = value.to_str() else { continue };
        for tag in text.split(',').map(str::trim) {
            if tag == "*" {
                return Some(etag.to_owned());
            }
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            let Some(inner) = opaque
                .strip_prefix('"')
                .and_then(|rest| rest.strip_suffix('"'))
            else {
                continue;
            };
            let named = inner
                .strip_suffix("-gzip")
                .or_else(|| inner.strip_suffix("-br"))
                .unwrap_or(inner);
            if named == base {
                return Some(opaque.to_owned());
            }
        }
    }
    None
}

/// 304 for a `GET` whose client already has this answer: no body, the validator it
/// matched, and the headers the full answer would have had.
pub(super) fn not_modified(tag: &str, cache_control: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// Gives a compressed answer of `/graphql` a tag of its own: a gzip or brotli body is a
/// different representation from the identity one, and a strong validator must not be
/// shared between them. Runs outside the compression layer.
pub(crate) async fn tag_per_encoding(mut response: Response) -> Response {
    if response.extensions().get::<TaggedBody>().is_none() {
        return response;
    }
    let headers = response.headers_mut();
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (Some(encoding), Some(tag)) = (
        encoding,
        headers.get(header::ETAG).and_then(|v| v.to_str().ok()),
    ) else {
        return response;
    };
    let rewritten = format!("\"{}-{encoding}\"", tag.trim_matches('"'));
    if let Ok(value) = HeaderValue::from_str(&rewritten) {
        headers.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use async_graphql::OutputType;
    use async_graphql::registry::{MetaType, Registry};

    use super::*;

    fn hints(public: bool, max_age: i32) -> CacheControl {
        CacheControl { public, max_age }
    }

    #[test]
    fn only_anonymous_gets_without_errors_are_public() {
        let news = hints(true, 60);
        assert_eq!(
            Cacheability::Shared.header(news, false),
            "public, max-age=60"
        );
        assert_eq!(Cacheability::Shared.header(news, true), "no-store");
        assert_eq!(
            Cacheability::Shared.header(hints(false, 60), false),
            "private, no-store"
        );
        assert_eq!(
            Cacheability::Shared.header(hints(true, 0), false),
            "no-store"
        );
        assert_eq!(
            Cacheability::Shared.header(hints(true, -1), false),
            "no-store"
        );
        assert_eq!(
            Cacheability::Personal.header(news, false),
            "private, no-store"
        );
        assert_eq!(Cacheability::Uncached.header(news, false), "no-store");
    }

    #[test]
    fn if_none_match_matches_the_tag_in_every_encoding() {
        let tag = etag(b"{\"data\":{}}");
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
            matching_tag(&headers, &tag)
        };
        let inner = tag.trim_matches('"');
        assert_eq!(with(&tag), Some(tag.clone()));
        assert_eq!(
            with(&format!("\"other\", \"{inner}-gzip\"")),
            Some(format!("\"{inner}-gzip\""))
        );
        assert_eq!(
            with(&format!("W/\"{inner}-br\"")),
            Some(format!("\"{inner}-br\""))
        );
        assert_eq!(with("*"), Some(tag.clone()));
        assert_eq!(with("\"other\""), None);
        assert_eq!(with(&format!("\"{inner}-zstd\"")), None);
        assert_eq!(matching_tag(&HeaderMap::new(), &tag), None);
    }

    /// The root fields whose answers are about the caller: never public.
    const PERSONAL_ROOT_FIELDS: [&str; 11] = [
        "viewer",
        "exportMyData",
        "users",
        "apiTokens",
        "auditLog",
        "articleRevisions",
        "compareArticleRevisions",
        "reportedTips",
        "rateLimit",
        "webhooks",
        "webhook",
    ];

    #[test]
    fn every_root_field_has_a_deliberate_cache_hint() {
        let mut registry = Registry::default();
        crate::query::Query::create_type_info(&mut registry);
        let Some(MetaType::Object { fields, .. }) = registry.types.get("Query") else {
            panic!("the registry has no Query type");
        };
        let unhinted: Vec<&str> = fields
            .values()
            .filter(|f| !f.name.starts_with("__"))
            .filter(|f| f.cache_control == CacheControl::default())
            .map(|f| f.name.as_str())
            .collect();
        assert!(
            unhinted.is_empty(),
            "root fields without a cache hint (give each one `cache_control`): {unhinted:?}"
        );
        for name in PERSONAL_ROOT_FIELDS {
            let field = fields
                .get(name)
                .unwrap_or_else(|| panic!("no root field {name}"));
            assert!(!field.cache_control.public, "{name} must be private");
        }
        let public: Vec<(&str, i32)> = fields
            .values()
            .filter(|f| f.cache_control.public && f.cache_control.max_age > 0)
            .map(|f| (f.name.as_str(), f.cache_control.max_age))
            .collect();
        for (name, max_age) in [("news", 60), ("place", 300), ("trendingPlaces", 30)] {
            assert!(public.contains(&(name, max_age)), "{name}: {public:?}");
        }
    }
}
