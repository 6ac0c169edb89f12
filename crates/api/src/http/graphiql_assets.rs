//! GraphiQL's files, built into the binary from `third-party/graphiql` (the exact versions
//! that `graphiql-assets.txt` pins, with their licences), so that `/graphiql` works on a
//! machine without the internet and with nothing to install. They are served under
//! `/graphiql/assets`, at the same paths as on the CDN, and kept by browsers for a year:
//! a path names one version.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Each built-in file: its path under `/graphiql/assets`, its media type and its bytes.
const EMBEDDED: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql@4.1.2/graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../third-party/graphiql/graphiql@4.1.2/graphiql.min.css"),
    ),
    (
        "react@18.3.1/umd/react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../third-party/graphiql/react@18.3.1/umd/react.production.min.js"),
    ),
    (
        "react-dom@18.3.1/umd/react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(
            "../../../../third-party/graphiql/react-dom@18.3.1/umd/react-dom.production.min.js"
        ),
    ),
    (
        "graphiql@4.1.2/graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../third-party/graphiql/graphiql@4.1.2/graphiql.min.js"),
    ),
];

/// Versioned paths never change content.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// `GET /graphiql/assets/{path}`: a built-in file, or 404.
pub(crate) async fn embedded(Path(path): Path<String>) -> Response {
    match EMBEDDED.iter().find(|(name, _, _)| *name == path) {
        Some((_, media_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(FOREVER)),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /favicon.ico`: no icon, said plainly rather than with a 404 (browsers ask for it
/// on every page they open).
pub(crate) async fn favicon() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        )],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use sha2::{Digest, Sha384};

    use super::EMBEDDED;
    use crate::http::graphiql::pinned_assets;

    #[test]
    fn the_built_in_files_are_the_pinned_ones_byte_for_byte() {
        let pinned = pinned_assets();
        let built_in: Vec<&str> = EMBEDDED.iter().map(|(path, _, _)| *path).collect();
        let mut expected: Vec<&str> = pinned.iter().map(|a| a.path.as_str()).collect();
        let mut listed = built_in.clone();
        expected.sort_unstable();
        listed.sort_unstable();
        assert_eq!(
            listed, expected,
            "third-party/graphiql and the pins disagree"
        );
        for asset in &pinned {
            let (_, _, bytes) = EMBEDDED
                .iter()
                .find(|(path, _, _)| *path == asset.path)
                .copied()
                .unwrap_or_default();
            let integrity = format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)));
            assert_eq!(integrity, asset.integrity, "{}", asset.path);
        }
    }
}
