//! Content codings of answers: which one a client accepts, and compressing a body once.
//!
//! Most answers are compressed by the service's compression layer as they stream out. Two
//! kinds are compressed here instead, as whole bodies:
//!
//! - answers kept in memory (exports, GraphQL answers), each encoding made once and sent
//!   again as it is;
//! - GraphQL answers made for one request, a few KiB each. For them the compression layer
//!   set up a new encoder every time (hundreds of KiB of tables, zeroed), which cost more
//!   than compressing the bytes. They are gzipped here by libdeflate, with one compressor
//!   per thread reused from answer to answer, whenever the client accepts gzip.

use std::cell::RefCell;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use libdeflater::{CompressionLvl, Compressor};

/// Bodies up to this size are sent as they are (as the service's compression layer does).
pub(crate) const COMPRESS_ABOVE: usize = 1024;

/// An encoding of a body, as `Content-Encoding` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
}

/// The quality a client gives brotli and gzip in its `Accept-Encoding` (0 for refused or
/// not named).
fn qualities(headers: &HeaderMap) -> (f32, f32) {
    let (mut brotli, mut gzip, mut any) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else { continue };
        for item in text.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if name.eq_ignore_ascii_case("br") {
                brotli = Some(quality);
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(quality);
            } else if name == "*" {
                any = Some(quality);
            }
        }
    }
    (brotli.or(any).unwrap_or(0.0), gzip.or(any).unwrap_or(0.0))
}

impl Encoding {
    /// The encoding a client prefers by its `Accept-Encoding`: brotli or gzip, whichever
    /// has the higher quality, brotli when they are equal; `None` for the body as it is.
    /// For bodies compressed once and sent many times.
    pub(crate) fn preferred(headers: &HeaderMap) -> Option<Encoding> {
        let (brotli, gzip) = qualities(headers);
        if brotli > 0.0 && brotli >= gzip {
            Some(Encoding::Brotli)
        } else if gzip > 0.0 {
            Some(Encoding::Gzip)
        } else {
            None
        }
    }

    /// Whether the client accepts gzip: answers made for one request are gzipped then,
    /// the cheapest encoding to make.
    pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
        qualities(headers).1 > 0.0
    }

    /// Its name in `Content-Encoding`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// `body` in this encoding, at the service's usual fast level; `None` if the encoder
    /// fails.
    pub(crate) fn compress(self, body: &[u8]) -> Option<Bytes> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::with_capacity(body.len() / 4);
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 1,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
                Some(exact(out))
            }
            Encoding::Gzip => gzip(body),
        }
    }
}

thread_local! {
    /// A libdeflate compressor at level 1, its fastest that compresses (0 only stores),
    /// made once per thread.
    static GZIP: RefCell<Compressor> =
        RefCell::new(Compressor::new(CompressionLvl::new(1).unwrap_or_default()));
}

/// `body` gzipped, by this thread's compressor.
pub(crate) fn gzip(body: &[u8]) -> Option<Bytes> {
    GZIP.with(|compressor| {
        let mut compressor = compressor.try_borrow_mut().ok()?;
        let mut out = vec![0; compressor.gzip_compress_bound(body.len())];
        let written = compressor.gzip_compress(body, &mut out).ok()?;
        out.truncate(written);
        Some(exact(out))
    })
}

/// `bytes` in an allocation of their length. `Vec::shrink_to_fit` cannot promise it:
/// the allocator may keep a block that is less than twice the length (mimalloc does), so
/// a body kept for long or a compressed copy much smaller than its bound is copied.
pub(crate) fn exact(bytes: Vec<u8>) -> Bytes {
    if bytes.capacity() == bytes.len() {
        Bytes::from(bytes)
    } else {
        Bytes::copy_from_slice(&bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    #[test]
    fn the_encoding_is_the_clients_preferred_brotli_on_a_tie() {
        let preferred = |value| Encoding::preferred(&accepting(value));
        assert_eq!(preferred("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(preferred("gzip;q=1, br;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(preferred("br;q=0, gzip"), Some(Encoding::Gzip));
        assert_eq!(preferred("identity"), None);
        assert_eq!(preferred("*"), Some(Encoding::Brotli));
        assert_eq!(Encoding::preferred(&HeaderMap::new()), None);
    }

    #[test]
    fn gzip_is_accepted_unless_refused_or_unnamed() {
        assert!(Encoding::accepts_gzip(&accepting("gzip, deflate, br")));
        assert!(Encoding::accepts_gzip(&accepting("br, GZIP;q=0.1")));
        assert!(Encoding::accepts_gzip(&accepting("*")));
        assert!(!Encoding::accepts_gzip(&accepting("br")));
        assert!(!Encoding::accepts_gzip(&accepting("gzip;q=0, br")));
        assert!(!Encoding::accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_gzipped_body_reads_back_the_same_again_and_again() {
        let body = "{\"data\":{\"news\":[\"Capitole\",\"Garonne\"]}}".repeat(200);
        for _ in 0..3 {
            let gzipped = gzip(body.as_bytes()).unwrap();
            assert!(gzipped.len() < body.len() / 4);
            let mut read = String::new();
            flate2::read::GzDecoder::new(&gzipped[..])
                .read_to_string(&mut read)
                .unwrap();
            assert_eq!(read, body);
        }
    }
}
