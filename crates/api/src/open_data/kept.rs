//! Answers of exports kept in memory under their validator, so that the same export asked
//! again costs what a revalidation costs: the change log's public mark, and no rendering.
//!
//! An export's validator is made of its path and query, the public mark of the change log
//! and, for exports that change with time, the minute (see `respond`). A kept answer is
//! found only under the validator it was made with: a public write moves the mark, so the
//! next request looks for another key and renders the answer anew. Nothing is ever
//! invalidated; what is no longer asked for is evicted, the least used first, within a
//! bound in bytes. Answers sent as a stream (tables) are not kept.
//!
//! Answers are made in memory a few at a time (two per processor): a request that finds
//! no answer waits for its turn to make one, and gets the answer another request made
//! meanwhile when there is one. Memory is then bounded by the kept answers and the few
//! being made, however many requests come at once, and the same answer asked by many
//! clients at once is made once or a few times, not once per client.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use moka::notification::RemovalCause;
use moka::sync::Cache;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::encoding::{COMPRESS_ABOVE, Encoding};

/// How long an answer nobody asks for is kept: answers that change every minute are never
/// found after it anyway.
const IDLE_FOR: Duration = Duration::from_secs(600);

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
    /// The turns to make an answer.
    turns: Arc<Semaphore>,
}

/// The turn of one request to make an answer in memory; the next request's when dropped.
pub(crate) struct Turn(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// How many answers are made at once: two per processor, so that one waits on the
/// database while the other is written.
pub(crate) fn turns_per_machine() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

impl KeptAnswers {
    /// Answers within `capacity` bytes (`0` keeps none), `turns` of them made at once.
    pub(crate) fn new(capacity: u64, turns: usize) -> Self {
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
            turns: Arc::new(Semaphore::new(turns.max(1))),
        }
    }

    /// The answer kept under this validator, or else this request's turn to make it, once
    /// it comes: the answer is looked for again then, as another request may have made it
    /// meanwhile. Counted as a hit or a miss.
    pub(crate) async fn find_or_wait(&self, tag: &str) -> Result<Arc<Kept>, Turn> {
        let found = match self.lookup(tag) {
            Some(kept) => Ok(kept),
            None => {
                // The semaphore is never closed: a permit always comes.
                let permit = self.turns.clone().acquire_owned().await.ok();
                self.lookup(tag).ok_or(Turn(permit))
            }
        };
        let outcome = if found.is_ok() { "hit" } else { "miss" };
        metrics::counter!("capitole_export_cache_requests_total", "outcome" => outcome)
            .increment(1);
        found
    }

    fn lookup(&self, tag: &str) -> Option<Arc<Kept>> {
        self.entries.as_ref()?.get(tag)
    }

    /// Keeps an answer under its validator, unless it is larger than an answer may be.
    pub(crate) fn keep(&self, tag: &str, kept: Kept) {
        if let Some(entries) = &self.entries
            && kept.body.len() <= self.largest
        {
            entries.insert(Arc::from(tag), Arc::new(kept));
            // Evict now what no longer fits, rather than a batch of writes later: answers
            // are large, and a burst of new ones would hold many past the bound meanwhile.
            entries.run_pending_tasks();
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
        let kept = KeptAnswers::new(1 << 20, 2);
        kept.keep("a", answer(10));
        assert_eq!(kept.lookup("a").map(|k| k.body.len()), Some(10));
        assert!(kept.lookup("b").is_none());
    }

    #[test]
    fn no_memory_keeps_nothing_and_a_large_answer_is_not_kept() {
        let none = KeptAnswers::new(0, 2);
        none.keep("a", answer(10));
        assert!(none.lookup("a").is_none());
        let small = KeptAnswers::new(8_000, 2);
        small.keep("large", answer(1_001));
        small.keep("small", answer(999));
        assert!(small.lookup("large").is_none());
        assert!(small.lookup("small").is_some());
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

    #[tokio::test]
    async fn requests_wait_for_a_turn_and_get_the_answer_made_meanwhile() {
        let kept = Arc::new(KeptAnswers::new(1 << 20, 2));
        let first = kept.find_or_wait("a").await.err().unwrap();
        let second = kept.find_or_wait("b").await.err().unwrap();
        // Both turns are taken: a third request waits.
        let waiting = tokio::spawn({
            let kept = kept.clone();
            async move { kept.find_or_wait("a").await.map(|k| k.body.len()).is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        // The first answer is made and its turn ends: the waiting request gets it.
        kept.keep("a", answer(10));
        drop(first);
        assert!(waiting.await.unwrap(), "the answer made meanwhile");
        // The turn ended with no answer kept (a stream): the next request makes its own.
        drop(second);
        assert!(kept.find_or_wait("b").await.is_err());
    }
}
