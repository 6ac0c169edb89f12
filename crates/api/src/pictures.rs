//! Addresses of pictures at the width a screen needs, made by an image proxy that speaks
//! imgproxy's URL format (`CAPITOLE_IMAGE_PROXY_URL`): the proxy fetches the original,
//! resizes it (keeping its focal point in view) and serves it from its cache. Addresses are
//! signed with the proxy's key and salt (`CAPITOLE_IMAGE_PROXY_KEY`,
//! `CAPITOLE_IMAGE_PROXY_SALT`), so that nobody else makes the proxy resize anything.
//! Without a proxy, every width is the original.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use capitole_domain::picture::Picture;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The widths offered to `srcset`, narrowest first; a picture is offered at those narrower
/// than itself and at its own width.
pub(crate) const WIDTHS: [u32; 6] = [160, 320, 640, 960, 1280, 1920];

/// The widest variant a client may ask for.
pub(crate) const MAX_WIDTH: u32 = 4096;

/// The image proxy, if one is configured.
#[derive(Clone, Default)]
pub struct ImageProxy(Option<Arc<Proxy>>);

struct Proxy {
    /// Its address, without a trailing `/`.
    base: String,
    /// Its key and salt, when it checks signatures.
    signing: Option<(Vec<u8>, Vec<u8>)>,
}

impl ImageProxy {
    /// No proxy: pictures are given at their original address.
    pub fn none() -> Self {
        Self(None)
    }

    /// The proxy at `base` (an http or https address), with its key and salt in hex when it
    /// checks signatures (both or neither).
    pub fn new(base: &str, key: Option<&str>, salt: Option<&str>) -> Result<Self, String> {
        let parsed = url::Url::parse(base)
            .map_err(|e| format!("the image proxy address {base:?} cannot be read: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(format!(
                "the image proxy address {base:?} must be an http or https address"
            ));
        }
        let signing = match (key, salt) {
            (Some(key), Some(salt)) => Some((hex("key", key)?, hex("salt", salt)?)),
            (None, None) => None,
            _ => return Err("the image proxy's key and salt go together".to_owned()),
        };
        Ok(Self(Some(Arc::new(Proxy {
            base: base.trim_end_matches('/').to_owned(),
            signing,
        }))))
    }

    /// The address of `picture` at `width` pixels (never wider than the original), its
    /// focal point kept in view; the original without a proxy.
    pub(crate) fn url(&self, picture: &Picture, width: u32) -> String {
        let Some(proxy) = &self.0 else {
            return picture.url.clone();
        };
        let width = width.clamp(1, picture.width.max(1));
        let mut path = format!("/rs:fit:{width}:0");
        if let Some(point) = picture.focal_point {
            let (x, y) = point.fractions();
            path.push_str(&format!("/g:fp:{x}:{y}"));
        }
        path.push('/');
        path.push_str(&URL_SAFE_NO_PAD.encode(picture.url.as_bytes()));
        let signature = proxy.signing.as_ref().map_or_else(
            || "insecure".to_owned(),
            |(key, salt)| sign(key, salt, &path),
        );
        format!("{}/{signature}{path}", proxy.base)
    }

    /// Whether pictures are resized.
    pub(crate) fn resizes(&self) -> bool {
        self.0.is_some()
    }
}

/// The widths `picture` is offered at: the standard ones narrower than it, and its own.
pub(crate) fn widths(picture: &Picture) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.into_iter().filter(|&w| w < picture.width).collect();
    widths.push(picture.width);
    widths
}

/// imgproxy's signature of `path`: the URL-safe base64 of HMAC-SHA256(key, salt + path).
fn sign(key: &[u8], salt: &[u8], path: &str) -> String {
    #[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(salt);
    mac.update(path.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Reads a key or salt given in hex.
fn hex(what: &str, text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let bad = || format!("the image proxy's {what} must be hexadecimal, an even number of digits");
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use capitole_domain::picture::FocalPoint;

    use super::*;

    const KEY: &str = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881";
    const SALT: &str = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5";

    fn picture() -> Picture {
        Picture {
            url: "https://www.toulouse.fr/documents/capitole.jpg".into(),
            alt: "Le Capitole".into(),
            credit: None,
            licence: None,
            focal_point: Some(FocalPoint { x: 500, y: 250 }),
            width: 1000,
            height: 600,
        }
    }

    #[test]
    fn signatures_are_imgproxys() {
        // The example of imgproxy's own signing documentation and code samples.
        let path = "/fill/300/300/no/1/aHR0cDovL2ltZy5leGFtcGxlLmNvbS9wcmV0dHkvaW1hZ2UuanBn.png";
        let key = hex("key", KEY).unwrap();
        let salt = hex("salt", SALT).unwrap();
        assert_eq!(
            sign(&key, &salt, path),
            "_PQ4ytCQMMp-1w1m_vP6g8Qb-Q7yF9mwghf6PddqxLw"
        );
    }

    #[test]
    fn a_variant_is_a_signed_resize_that_keeps_the_focal_point() {
        let proxy = ImageProxy::new("https://img.toulouse.fr/", Some(KEY), Some(SALT)).unwrap();
        let url = proxy.url(&picture(), 320);
        let source = URL_SAFE_NO_PAD.encode("https://www.toulouse.fr/documents/capitole.jpg");
        let path = format!("/rs:fit:320:0/g:fp:0.5:0.25/{source}");
        let signature = sign(
            &hex("key", KEY).unwrap(),
            &hex("salt", SALT).unwrap(),
            &path,
        );
        assert_eq!(url, format!("https://img.toulouse.fr/{signature}{path}"));
        // Never wider than the original.
        assert!(proxy.url(&picture(), 4000).contains("/rs:fit:1000:0/"));
        let unsigned = ImageProxy::new("http://127.0.0.1:8081", None, None).unwrap();
        assert!(
            unsigned
                .url(&picture(), 320)
                .starts_with("http://127.0.0.1:8081/insecure/")
        );
    }

    #[test]
    fn without_a_proxy_every_width_is_the_original() {
        assert_eq!(
            ImageProxy::none().url(&picture(), 160),
            "https://www.toulouse.fr/documents/capitole.jpg"
        );
        assert_eq!(widths(&picture()), [160, 320, 640, 960, 1000]);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(ImageProxy::new("img.toulouse.fr", None, None).is_err());
        assert!(ImageProxy::new("https://img.toulouse.fr", Some(KEY), None).is_err());
        assert!(ImageProxy::new("https://img.toulouse.fr", Some("xyz"), Some(SALT)).is_err());
    }
}
