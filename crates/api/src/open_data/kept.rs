//! Answers of exports kept in memory under their validator, so that the same export asked
//! again costs what a revalidation costs: the change log's public mark, and no rendering.
//!
//! An export's validator is made of its path and query, the public mark of the change log
//! and, for exports that change with time, the minute (see `respond`). A kept answer is
//! found only under the validator it was made with: a public write moves the mark, so the
//! next request looks for another key and renders the answer anew. Nothing is ever
//! invalidated; what is no longer asked for is evicted, the least used first, within a
//! bound in bytes. Answers sent as a stream (tables) are not kept.

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use moka::notification::RemovalCause;
use moka::sync::Cache;

/// How long an answer nobody asks for is kept: answers that change every minute are never
/// found after it anyway.
const IDLE_FOR: Duration = Duration::from_secs(600);

/// Bodies smaller than this are sent as they are (as the service's compression does).
const COMPRESS_ABOVE: usize = 1024;

/// An encoding of a body, as `Content-Encoding` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// The encoding a client prefers by its `Accept-Encoding`: brotli or gzip, whichever
    /// has the higher quality, brotli when they are equal; `None` for the body as it is.
    pub(crate) fn preferred(headers: &HeaderMap) -> Option<Encoding> {
        let (mut brotli, mut gzip, mut any) = (None, None, None);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(text) = value.to_str() else { continue };
            for item in text.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let quality = parts
                    .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                match name.as_str() {
                    "br" => brotli = Some(quality),
                    "gzip" | "x-gzip" => gzip = Some(quality),
                    "*" => any = Some(quality),
                    _ => {}
                }
            }
        }
        let brotli = brotli.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        if brotli > 0.0 && brotli >= gzip {
            Some(Encoding::Brotli)
        } else if gzip > 0.0 {
            Some(Encoding::Gzip)
        } else {
            None
        }
    }

    /// Its name in `Content-Encoding`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    fn compress(self, body: &[u8]) -> Option<Bytes> {
        let mut out = Vec::with_capacity(body.len() / 4);
        match self {
            Encoding::Brotli => {
                // As fast as the service's own compression: an answer rendered for one
                // request costs no more than before it was kept.
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 1,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
            }
            Encoding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
                encoder.write_all(body).ok()?;
                encoder.finish().ok()?;
            }
        }
        out.shrink_to_fit();
        Some(Bytes::from(out))
    }
}

/// One kept answer: its media type, its body and the headers that belong to it (`Link`),
/// and its body compressed, each encoding made the first time a client asks for it.
pub(crate) struct Kept {
    pub content_type: &'static str,
    pub body: Bytes,
    pub headers: HeaderMap,
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

impl Kept {
    pub(crate) fn new(content_type: &'static str, body: Bytes, headers: HeaderMap) -> Self {
        Self {
            content_type,
            body,
            headers,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The body in `encoding`, when it is worth compressing; `None` to send it as it is.
    pub(crate) fn encoded(&self, encoding: Option<Encoding>) -> Option<(Encoding, Bytes)> {
        let encoding = encoding.filter(|_| self.body.len() > COMPRESS_ABOVE)?;
        let slot = match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
        };
        slot.get_or_init(|| encoding.compress(&self.body))
            .clone()
            .map(|bytes| (encoding, bytes))
    }
}

/// The answers of exports by validator, bounded in bytes.
#[derive(Clone)]
pub(crate) struct KeptAnswers {
    /// `None` when no memory is given to it.
    entries: Option<Cache<Arc<str>, Arc<Kept>>>,
    /// The largest answer kept: an eighth of the whole, so that one large export does not
    /// push out every other.
    largest: usize,
}

impl KeptAnswers {
    /// Answers within `capacity` bytes; `0` keeps none.
    pub(crate) fn new(capacity: u64) -> Self {
        let entries = (capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .weigher(|key: &Arc<str>, kept: &Arc<Kept>| {
                    // The body, and room for its compressed forms.
                    let bytes = key.len() + kept.body.len() * 3 / 2 + 256;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .time_to_idle(IDLE_FOR)
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        metrics::counter!("capitole_export_cache_evictions_total").increment(1);
                    }
                })
                .build()
        });
        Self {
            entries,
            largest: usize::try_from(capacity / 8).unwrap_or(usize::MAX),
        }
    }

    /// The answer kept under this validator, counted as a hit or a miss.
    pub(crate) fn find(&self, tag: &str) -> Option<Arc<Kept>> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(tag);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("capitole_export_cache_requests_total", "outcome" => outcome)
            .increment(1);
        found
    }

    /// Keeps an answer under its validator, unless it is larger than an answer may be.
    pub(crate) fn keep(&self, tag: &str, kept: Kept) {
        if let Some(entries) = &self.entries
            && kept.body.len() <= self.largest
        {
            entries.insert(Arc::from(tag), Arc::new(kept));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Kept {
        Kept::new(
            "text/plain",
            Bytes::from(vec![b'x'; bytes]),
            HeaderMap::new(),
        )
    }

    #[test]
    fn an_answer_is_found_under_its_validator_only() {
        let kept = KeptAnswers::new(1 << 20);
        kept.keep("a", answer(10));
        assert_eq!(kept.find("a").map(|k| k.body.len()), Some(10));
        assert!(kept.find("b").is_none());
    }

    #[test]
    fn no_memory_keeps_nothing_and_a_large_answer_is_not_kept() {
        let none = KeptAnswers::new(0);
        none.keep("a", answer(10));
        assert!(none.find("a").is_none());
        let small = KeptAnswers::new(8_000);
        small.keep("large", answer(1_001));
        small.keep("small", answer(999));
        assert!(small.find("large").is_none());
        assert!(small.find("small").is_some());
    }

    fn accepting(value: &str) -> Option<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        Encoding::preferred(&headers)
    }

    #[test]
    fn the_encoding_is_the_clients_preferred_brotli_on_a_tie() {
        assert_eq!(accepting("gzip, deflate, br"), Some(Encoding::Brotli));
        assert_eq!(accepting("gzip;q=1, br;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(accepting("br;q=0, gzip"), Some(Encoding::Gzip));
        assert_eq!(accepting("identity"), None);
        assert_eq!(accepting("*"), Some(Encoding::Brotli));
        assert_eq!(Encoding::preferred(&HeaderMap::new()), None);
    }

    #[test]
    fn a_body_is_compressed_once_per_encoding_and_small_ones_not_at_all() {
        let kept = answer(10_000);
        let (encoding, first) = kept.encoded(Some(Encoding::Gzip)).unwrap();
        assert_eq!(encoding, Encoding::Gzip);
        assert!(first.len() < 1_000);
        let (_, again) = kept.encoded(Some(Encoding::Gzip)).unwrap();
        assert_eq!(first.as_ptr(), again.as_ptr(), "made once");
        assert!(answer(100).encoded(Some(Encoding::Brotli)).is_none());
        assert!(kept.encoded(None).is_none());
    }
}
