//! GraphiQL's page: its HTML, built once at start-up from the pinned files of
//! `graphiql-assets.txt` (exact versions, with their integrity hashes), and the
//! Content-Security-Policy that lets it load those files and nothing else. The page's own
//! script and style are inlined and allowed by their SHA-256 hashes, so the policy needs
//! no `'unsafe-inline'`.
//!
//! GraphiQL's dialogs (settings, short keys) add a `<style>` element of their own while
//! they are open, whose text depends on the browser's scrollbar: no hash can name it.
//! It carries the nonce found in `__webpack_nonce__`, so each response gets a fresh
//! nonce, in its policy's `style-src` and on the page's script, which hands it to GraphiQL.
//! Headers common to every response live in the router, not here.

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The public CDN GraphiQL loads its assets from unless a local folder is configured.
pub const GRAPHIQL_CDN: &str = "https://unpkg.com";

/// Where the page finds its assets when Capitole serves them from a local folder.
pub(crate) const LOCAL_ASSETS: &str = "/graphiql/assets";

const PINS: &str = include_str!("graphiql-assets.txt");
const TEMPLATE: &str = include_str!("graphiql.html");
const SCRIPT: &str = include_str!("graphiql.js");
const STYLE: &str = include_str!("graphiql.css");

/// The policy of a page that could not be described: nothing loads.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'";

/// One file of the page, pinned to its version and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinnedAsset {
    /// Its path under the CDN or the local folder: `package@version/file`.
    pub path: String,
    /// Its Subresource Integrity value (`sha384-` and the base64 digest).
    pub integrity: String,
}

impl PinnedAsset {
    fn is_stylesheet(&self) -> bool {
        self.path.ends_with(".css")
    }
}

/// The pinned files, in the order the page loads them.
pub(crate) fn pinned_assets() -> Vec<PinnedAsset> {
    PINS.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (package, file, integrity) = (fields.next()?, fields.next()?, fields.next()?);
            Some(PinnedAsset {
                path: format!("{package}/{file}"),
                integrity: integrity.to_owned(),
            })
        })
        .collect()
}

/// GraphiQL's page and the policy it is served with, but for each response's nonce.
pub(crate) struct GraphiqlPage {
    /// The HTML, with `{{NONCE}}` where the nonce goes.
    html: String,
    /// The `Content-Security-Policy`, with `{{NONCE}}` where the nonce goes.
    policy: String,
}

impl GraphiqlPage {
    /// The page loading its assets from unpkg, or from Capitole's own `/graphiql/assets`
    /// when `local` (the `CAPITOLE_GRAPHIQL_ASSETS` folder).
    pub(crate) fn new(local: bool) -> Self {
        let root = if local { LOCAL_ASSETS } else { GRAPHIQL_CDN };
        let assets = pinned_assets();
        let url = |asset: &PinnedAsset| format!("{root}/{}", asset.path);
        let tag = |asset: &PinnedAsset| {
            let (url, integrity) = (url(asset), &asset.integrity);
            if asset.is_stylesheet() {
                format!(
                    "  <link rel=\"stylesheet\" href=\"{url}\" integrity=\"{integrity}\" crossorigin=\"anonymous\">"
                )
            } else {
                format!(
                    "  <script src=\"{url}\" integrity=\"{integrity}\" crossorigin=\"anonymous\"></script>"
                )
            }
        };
        let (stylesheets, scripts): (Vec<&PinnedAsset>, Vec<&PinnedAsset>) =
            assets.iter().partition(|a| a.is_stylesheet());
        let join = |list: &[&PinnedAsset], each: &dyn Fn(&PinnedAsset) -> String, sep: &str| {
            list.iter().map(|a| each(a)).collect::<Vec<_>>().join(sep)
        };
        let html = TEMPLATE
            .replace("{{STYLESHEETS}}", &join(&stylesheets, &tag, "\n"))
            .replace("{{SCRIPTS}}", &join(&scripts, &tag, "\n"))
            .replace("{{STYLE}}", STYLE)
            .replace("{{SCRIPT}}", SCRIPT);
        // Served by Capitole itself, the assets are 'self'; from the CDN, each exact URL.
        let (script_sources, style_sources) = if local {
            ("'self'".to_owned(), "'self'".to_owned())
        } else {
            (join(&scripts, &url, " "), join(&stylesheets, &url, " "))
        };
        let policy = format!(
            "default-src 'none'; script-src {script_sources} {}; \
             style-src {style_sources} {} 'nonce-{{{{NONCE}}}}'; img-src data:; font-src data:; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
             object-src 'none'",
            hash_source(SCRIPT),
            hash_source(STYLE),
        );
        Self { html, policy }
    }

    /// The page and its policy for one response, with a fresh nonce.
    pub(crate) fn render(&self) -> (String, HeaderValue) {
        let nonce = STANDARD.encode(rand::random::<[u8; 16]>());
        let policy = HeaderValue::from_str(&self.policy.replace("{{NONCE}}", &nonce))
            .unwrap_or_else(|error| {
                tracing::error!(%error, "GraphiQL's policy is not a header value; the page will not load");
                HeaderValue::from_static(NOTHING)
            });
        (self.html.replace("{{NONCE}}", &nonce), policy)
    }
}

/// A CSP hash source for an inline script or style: its exact text, SHA-256, base64.
fn hash_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_file_names_an_exact_version_and_a_sha384_digest() {
        let assets = pinned_assets();
        let paths: Vec<&str> = assets.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(
            paths.iter().filter(|p| p.ends_with(".js")).count(),
            3,
            "{paths:?}"
        );
        assert_eq!(
            paths.iter().filter(|p| p.ends_with(".css")).count(),
            1,
            "{paths:?}"
        );
        for asset in &assets {
            let (package, _) = asset.path.split_once('/').unwrap_or_default();
            let version = package.rsplit_once('@').map(|(_, v)| v).unwrap_or_default();
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|n| n.parse::<u32>().is_ok()),
                "{} is not pinned to an exact version",
                asset.path
            );
            let digest = asset.integrity.strip_prefix("sha384-").unwrap_or_default();
            assert_eq!(
                STANDARD.decode(digest).map(|d| d.len()).ok(),
                Some(48),
                "{}: {}",
                asset.path,
                asset.integrity
            );
        }
        // React first, GraphiQL last: each UMD build needs the ones before it.
        let scripts: Vec<&str> = paths.into_iter().filter(|p| p.ends_with(".js")).collect();
        assert!(scripts[0].starts_with("react@") && scripts[2].starts_with("graphiql@"));
    }

    #[test]
    fn the_policy_allows_the_inline_script_and_style_by_their_hashes() {
        let (html, policy) = GraphiqlPage::new(false).render();
        let policy = policy.to_str().unwrap_or_default().to_owned();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains(&hash_source(SCRIPT)), "{policy}");
        assert!(policy.contains(&hash_source(STYLE)), "{policy}");
        assert!(html.contains(&format!(">{SCRIPT}</script>")));
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(!html.contains("{{"), "{html}");
    }

    #[test]
    fn each_response_gets_its_own_nonce_in_the_page_and_the_policy() {
        let page = GraphiqlPage::new(true);
        let nonce_of = |policy: &HeaderValue| {
            let policy = policy.to_str().unwrap_or_default();
            let start = policy.find("'nonce-").map_or(0, |i| i + "'nonce-".len());
            policy[start..]
                .split('\'')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let (first_html, first_policy) = page.render();
        let (_, second_policy) = page.render();
        let first = nonce_of(&first_policy);
        assert_eq!(STANDARD.decode(&first).map(|n| n.len()).ok(), Some(16));
        assert_ne!(first, nonce_of(&second_policy));
        assert!(first_html.contains(&format!("<script nonce=\"{first}\">")));
    }
}
