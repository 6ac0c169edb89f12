//! Answers to the same public query kept in memory, so that the agenda, the news or a
//! place asked for again and again costs no SQL statement.
//!
//! Only queries are kept, asked anonymously or with an app token (both see the public
//! graph only), and only answers without errors whose cache hints are public: anything
//! personal is never kept, and an answer lives no longer than its hints' `max-age`.
//!
//! An answer records which kinds of items it is made of ([`Reads`]) and, for each kind,
//! the generation it was made in. Each replica follows the change log: every public
//! change of a kind starts a new generation of that kind, and an answer of an older
//! generation is not given again. A change committed through any replica is therefore
//! seen by every replica within one turn of its follower (`follow_every`), once PostgreSQL
//! lets the log's readers see it (see the change log's horizon). A mutation that
//! succeeds on this replica starts a new generation of every kind at once, so that the
//! one who wrote reads what they wrote.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use async_graphql::CacheControl;
use capitole_domain::change::ItemKind;
use capitole_persistence::changes::{self, ChangePosition, ChangeReader};
use capitole_persistence::{Database, PageRequest};
use moka::notification::RemovalCause;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::limits::Reads;

/// How the response cache is sized and how often it follows the change log.
#[derive(Debug, Clone)]
pub struct ResponseCacheSettings {
    /// The memory given to kept answers, in bytes; `0` keeps none.
    pub bytes: u64,
    /// How often each replica reads the change log's new entries.
    pub follow_every: Duration,
}

impl Default for ResponseCacheSettings {
    fn default() -> Self {
        Self {
            bytes: 32 << 20,
            follow_every: Duration::from_millis(100),
        }
    }
}

/// Who a kept answer may be given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    Anonymous,
    App,
}

/// The key of a kept answer: a hash of the document, the operation, the variables and
/// who asks.
pub(super) type ResponseKey = [u8; 32];

/// The key of a query asked by `audience`.
pub(super) fn key(
    query: &str,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
    audience: Audience,
) -> ResponseKey {
    let mut digest = Sha256::new();
    digest.update(query);
    digest.update([0]);
    digest.update(operation_name.unwrap_or_default());
    digest.update([0]);
    digest.update(serde_json::to_vec(variables).unwrap_or_default());
    digest.update([match audience {
        Audience::Anonymous => 0,
        Audience::App => 1,
    }]);
    digest.finalize().into()
}

/// One kept answer: its `data` as JSON text, and what decides how long it holds.
pub(super) struct Kept {
    pub data: Box<str>,
    pub hints: CacheControl,
    reads: Reads,
    generations: [u64; 4],
    made: Instant,
}

impl Kept {
    /// How long ago the answer was made, in whole seconds (its `Age`).
    pub fn age_seconds(&self) -> u64 {
        self.made.elapsed().as_secs()
    }
}

/// The generation of each kind of item.
#[derive(Default)]
struct Generations([AtomicU64; 4]);

impl Generations {
    fn index(kind: ItemKind) -> usize {
        match kind {
            ItemKind::Article => 0,
            ItemKind::Event => 1,
            ItemKind::Place => 2,
            ItemKind::Tip => 3,
        }
    }

    fn now(&self) -> [u64; 4] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Acquire))
    }

    fn advance(&self, kind: ItemKind) {
        self.0[Self::index(kind)].fetch_add(1, Ordering::AcqRel);
    }

    fn advance_all(&self) {
        for kind in ItemKind::ALL {
            self.advance(kind);
        }
    }
}

/// What an answer was made from, taken before it runs: a change that starts a new
/// generation while it runs makes it too old to keep.
pub(super) struct Start {
    reads: Reads,
    generations: [u64; 4],
    made: Instant,
}

/// The kept answers of one replica.
pub(crate) struct ResponseCache {
    entries: Option<Cache<ResponseKey, Arc<Kept>>>,
    generations: Arc<Generations>,
}

impl ResponseCache {
    /// A cache within `settings.bytes`, following the change log of `db` (from now on)
    /// for as long as the cache lives.
    pub(crate) fn new(settings: &ResponseCacheSettings, db: &Database) -> Self {
        let generations = Arc::new(Generations::default());
        let entries = (settings.bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(settings.bytes)
                .weigher(|_: &ResponseKey, kept: &Arc<Kept>| {
                    u32::try_from(kept.data.len() + 160).unwrap_or(u32::MAX)
                })
                .time_to_live(Duration::from_secs(3_600))
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        metrics::counter!("capitole_response_cache_evictions_total").increment(1);
                    }
                })
                .build()
        });
        if entries.is_some() {
            tokio::spawn(follow(
                db.background(),
                Arc::downgrade(&generations),
                settings.follow_every,
            ));
        }
        Self {
            entries,
            generations,
        }
    }

    /// Whether answers are kept at all.
    pub(super) fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The answer kept under `key`, if it still holds: younger than its `max-age`, and
    /// made in the current generation of every kind it reads.
    pub(super) fn find(&self, key: &ResponseKey) -> Option<Arc<Kept>> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(key).filter(|kept| self.holds(kept));
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("capitole_response_cache_requests_total", "outcome" => outcome)
            .increment(1);
        found
    }

    fn holds(&self, kept: &Kept) -> bool {
        let max_age = Duration::from_secs(u64::try_from(kept.hints.max_age).unwrap_or(0));
        if kept.made.elapsed() >= max_age {
            return false;
        }
        let now = self.generations.now();
        ItemKind::ALL.into_iter().all(|kind| {
            let i = Generations::index(kind);
            !kept.reads.holds(kind) || kept.generations[i] == now[i]
        })
    }

    /// What an answer reading `reads` starts from.
    pub(super) fn start(&self, reads: Reads) -> Start {
        Start {
            reads,
            generations: self.generations.now(),
            made: Instant::now(),
        }
    }

    /// Keeps an answer that ran from `start`, if it may be kept: no error, public hints
    /// with a `max-age`.
    pub(super) fn keep(&self, key: ResponseKey, start: Start, response: &async_graphql::Response) {
        let Some(entries) = &self.entries else {
            return;
        };
        let hints = response.cache_control;
        if !response.errors.is_empty()
            || !response.extensions.is_empty()
            || !hints.public
            || hints.max_age <= 0
        {
            return;
        }
        let Ok(data) = serde_json::to_string(&response.data) else {
            return;
        };
        let kept = Kept {
            data: data.into_boxed_str(),
            hints,
            reads: start.reads,
            generations: start.generations,
            made: start.made,
        };
        if self.holds(&kept) {
            entries.insert(key, Arc::new(kept));
        }
    }

    /// A write succeeded on this replica: no answer made before it is given again here.
    pub(super) fn written(&self) {
        self.generations.advance_all();
    }
}

/// Follows the change log from its end as of now: each public change starts a new
/// generation of its kind. When the log cannot be read, every kind starts a new
/// generation (nothing kept is trusted) until it can be again. Ends with the cache.
async fn follow(db: Database, generations: Weak<Generations>, every: Duration) {
    let mut after: Option<ChangePosition> = None;
    let mut failing = false;
    loop {
        let Some(live) = generations.upgrade() else {
            return;
        };
        match turn(&db, &live, &mut after).await {
            Ok(()) => failing = false,
            Err(error) => {
                live.advance_all();
                if !failing {
                    tracing::warn!(%error, "the response cache cannot read the change log; it keeps nothing until it can");
                }
                failing = true;
            }
        }
        drop(live);
        tokio::time::sleep(every).await;
    }
}

/// Reads what the log holds after `after`, every page of it.
async fn turn(
    db: &Database,
    generations: &Generations,
    after: &mut Option<ChangePosition>,
) -> Result<(), capitole_persistence::StorageError> {
    let Some(from) = after.as_mut() else {
        *after = Some(changes::head(db, chrono::Utc::now()).await?);
        // What was kept before the follower knew where the log ends is not trusted.
        generations.advance_all();
        return Ok(());
    };
    loop {
        let request = PageRequest::after(500, Some(from.encode()));
        let page = changes::page(db, &ChangeReader::Public, &request, &[]).await?;
        for (entry, _) in &page.rows {
            generations.advance(entry.kind);
        }
        if let Some((last, _)) = page.rows.last() {
            *from = last.position;
        }
        if !page.has_next_page {
            return Ok(());
        }
    }
}
