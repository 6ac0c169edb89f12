//! Answers to the same public query kept in memory, so that the agenda, the news or a
//! place asked for again and again costs no SQL statement.
//!
//! Only queries are kept, asked anonymously or with an app token (both see the public
//! graph only), and only answers without errors whose cache hints are public: anything
//! personal is never kept, and an answer lives no longer than its hints' `max-age`.
//!
//! An answer records what it is made of ([`Depends`]): whole kinds of items (a list of
//! news depends on every article) and single items (a place asked by id depends on that
//! place). Each replica follows the change log and numbers the public changes it reads;
//! it remembers the number of the last change of each kind and of each item. An answer
//! is given again only while no change of a kind or an item it depends on came after it
//! started. A change committed through any replica is therefore seen by every replica
//! within one turn of its follower (`follow_every`), once PostgreSQL lets the log's
//! readers see it (see the change log's horizon). A mutation that succeeds on this
//! replica counts as a change of everything, so that the one who wrote reads what they
//! wrote.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use async_graphql::CacheControl;
use capitole_domain::change::ItemKind;
use capitole_persistence::changes::{self, ChangePosition, ChangeReader};
use capitole_persistence::{Database, PageRequest};
use moka::notification::RemovalCause;
use moka::sync::Cache;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;

use crate::Reads;
use crate::limits::Depends;

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

/// The key of a query asked by `audience`, in a language, saving data or not
/// (`Save-Data: on`).
pub(super) fn key(
    query: &str,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
    audience: Audience,
    (language, low_bandwidth): (&capitole_domain::language::Language, bool),
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
    digest.update([u8::from(low_bandwidth)]);
    digest.update(language.code());
    digest.finalize().into()
}

/// One kept answer: its `data` as JSON text, and what decides how long it holds.
pub(super) struct Kept {
    pub data: Box<str>,
    pub hints: CacheControl,
    depends: Depends,
    /// The number of the last change read when it started.
    since: u64,
    made: Instant,
}

impl Kept {
    /// How long ago the answer was made, in whole seconds (its `Age`).
    pub fn age_seconds(&self) -> u64 {
        self.made.elapsed().as_secs()
    }
}

/// How long a change of an item is remembered: longer than any answer is kept.
const REMEMBER_FOR: Duration = Duration::from_secs(3_600);

/// The changes one replica has read, numbered: the last of every kind and of each item.
#[derive(Default)]
struct Changes {
    /// The number of the last change read.
    last: AtomicU64,
    /// The number of the last change that counts for everything (a write on this
    /// replica, a log that cannot be read).
    everything: AtomicU64,
    kinds: [AtomicU64; 5],
    /// The number of the last change of each item changed within `REMEMBER_FOR`.
    items: Mutex<HashMap<(ItemKind, Uuid), (u64, Instant)>>,
}

impl Changes {
    fn index(kind: ItemKind) -> usize {
        match kind {
            ItemKind::Article => 0,
            ItemKind::Event => 1,
            ItemKind::Place => 2,
            ItemKind::Tip => 3,
            ItemKind::Organization => 4,
        }
    }

    fn last(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }

    fn next(&self) -> u64 {
        self.last.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// A change of one item.
    fn item(&self, kind: ItemKind, id: Uuid) {
        let number = self.next();
        if let Ok(mut items) = self.items.lock() {
            items.insert((kind, id), (number, Instant::now()));
        } else {
            self.everything.fetch_max(number, Ordering::AcqRel);
        }
        self.kinds[Self::index(kind)].fetch_max(number, Ordering::AcqRel);
    }

    /// A change that counts for everything.
    fn everything(&self) {
        let number = self.next();
        self.everything.fetch_max(number, Ordering::AcqRel);
    }

    /// Forgets the changes of items older than any kept answer.
    fn forget_old(&self) {
        if let Ok(mut items) = self.items.lock() {
            items.retain(|_, (_, at)| at.elapsed() < REMEMBER_FOR);
        }
    }

    /// Whether nothing `depends` names changed after change number `since`.
    fn unchanged(&self, depends: &Depends, since: u64) -> bool {
        if self.everything.load(Ordering::Acquire) > since {
            return false;
        }
        let kinds_unchanged = ItemKind::ALL.into_iter().all(|kind| {
            !depends.whole.holds(kind)
                || self.kinds[Self::index(kind)].load(Ordering::Acquire) <= since
        });
        if !kinds_unchanged {
            return false;
        }
        if depends.items.is_empty() {
            return true;
        }
        let Ok(items) = self.items.lock() else {
            return false;
        };
        depends
            .items
            .iter()
            .all(|item| items.get(item).is_none_or(|(number, _)| *number <= since))
    }
}

/// What an answer was made from, taken before it runs: a change read while it runs
/// makes it too old to keep.
pub(super) struct Start {
    depends: Depends,
    since: u64,
    made: Instant,
}

/// The kept answers of one replica.
pub(crate) struct ResponseCache {
    entries: Option<Cache<ResponseKey, Arc<Kept>>>,
    changes: Arc<Changes>,
    flights: Flights,
}

/// How long a request waits for another making the same answer before making it itself.
const FLIGHT_WAIT: Duration = Duration::from_secs(2);

/// The requests making an answer that is not kept, by key.
#[derive(Clone, Default)]
struct Flights(Arc<Mutex<HashMap<ResponseKey, watch::Receiver<()>>>>);

/// The making of one answer, led by one request; those waiting for it look again once it
/// is dropped.
pub(super) struct Flight {
    flights: Arc<Mutex<HashMap<ResponseKey, watch::Receiver<()>>>>,
    key: ResponseKey,
    /// Dropped after the key leaves the map, which wakes those waiting.
    _done: watch::Sender<()>,
}

impl Flights {
    /// Leads the making of the answer under `key`, or, when another request leads it,
    /// waits until it ends (at most `wait`) and returns `None`.
    async fn lead_or_wait(&self, key: &ResponseKey, wait: Duration) -> Option<Flight> {
        let mut waiting = {
            let mut flights = self.0.lock().ok()?;
            match flights.get(key) {
                Some(waiting) => waiting.clone(),
                None => {
                    let (done, waiting) = watch::channel(());
                    flights.insert(*key, waiting);
                    return Some(Flight {
                        flights: self.0.clone(),
                        key: *key,
                        _done: done,
                    });
                }
            }
        };
        // Ends with an error when the flight is dropped: that is the news.
        let _ = tokio::time::timeout(wait, waiting.changed()).await;
        None
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(&self.key);
        }
    }
}

impl ResponseCache {
    /// A cache within `settings.bytes`, following the change log of the database that
    /// lag-tolerant reads go to (from now on) for as long as the cache lives: a replica
    /// shows a change in its log once it holds it, so an answer it makes afterwards has it.
    pub(crate) fn new(settings: &ResponseCacheSettings, reads: &Reads) -> Self {
        let changes = Arc::new(Changes::default());
        let entries = (settings.bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(settings.bytes)
                .weigher(|_: &ResponseKey, kept: &Arc<Kept>| {
                    let items = kept.depends.items.len() * 24;
                    u32::try_from(kept.data.len() + items + 160).unwrap_or(u32::MAX)
                })
                .time_to_live(REMEMBER_FOR)
                .eviction_listener(|_, _, cause| {
                    if cause == RemovalCause::Size {
                        metrics::counter!("capitole_response_cache_evictions_total").increment(1);
                    }
                })
                .build()
        });
        if entries.is_some() {
            tokio::spawn(follow(
                reads.background(),
                Arc::downgrade(&changes),
                settings.follow_every,
            ));
        }
        Self {
            entries,
            changes,
            flights: Flights::default(),
        }
    }

    /// Whether answers are kept at all.
    pub(super) fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The answer kept under `key`, if it still holds: younger than its `max-age`, and
    /// nothing it depends on changed since it started. When none holds and another
    /// request is making it, waits for that request (up to [`FLIGHT_WAIT`]) and looks
    /// again; when none is making it, this request leads (`Err(Some(flight))`): it makes
    /// the answer while the others wait, until the flight is dropped. So an answer that
    /// went stale is made again once, not once for every client asking at that moment.
    /// `Err(None)`: make the answer, without leading.
    pub(super) async fn find_or_lead(
        &self,
        key: &ResponseKey,
    ) -> Result<Arc<Kept>, Option<Flight>> {
        let Some(entries) = &self.entries else {
            return Err(None);
        };
        let lookup = || entries.get(key).filter(|kept| self.holds(kept));
        let found = match lookup() {
            Some(kept) => Ok(kept),
            None => match self.flights.lead_or_wait(key, FLIGHT_WAIT).await {
                Some(flight) => Err(Some(flight)),
                None => lookup().ok_or(None),
            },
        };
        let outcome = if found.is_ok() { "hit" } else { "miss" };
        metrics::counter!("capitole_response_cache_requests_total", "outcome" => outcome)
            .increment(1);
        found
    }

    fn holds(&self, kept: &Kept) -> bool {
        let max_age = Duration::from_secs(u64::try_from(kept.hints.max_age).unwrap_or(0));
        kept.made.elapsed() < max_age && self.changes.unchanged(&kept.depends, kept.since)
    }

    /// What an answer depending on `depends` starts from.
    pub(super) fn start(&self, depends: Depends) -> Start {
        Start {
            depends,
            since: self.changes.last(),
            made: Instant::now(),
        }
    }

    /// Keeps an answer that ran from `start`, whose `data` is serialised as `data`, if it
    /// may be kept: no error, public hints with a `max-age`.
    pub(super) fn keep(
        &self,
        key: ResponseKey,
        start: Start,
        response: &async_graphql::Response,
        data: &str,
    ) {
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
        let kept = Kept {
            data: data.into(),
            hints,
            depends: start.depends,
            since: start.since,
            made: start.made,
        };
        if self.holds(&kept) {
            entries.insert(key, Arc::new(kept));
        }
    }

    /// A write succeeded on this replica: no answer made before it is given again here.
    pub(super) fn written(&self) {
        self.changes.everything();
    }
}

/// Follows the change log from its end as of now: each public change starts a new
/// generation of its kind. When the log cannot be read, or while reads have left the
/// replica whose log it is, every kind starts a new generation (nothing kept is trusted)
/// until it can be again. Ends with the cache.
async fn follow(reads: Reads, read: Weak<Changes>, every: Duration) {
    let mut after: Option<ChangePosition> = None;
    let mut failing = false;
    loop {
        let Some(live) = read.upgrade() else {
            return;
        };
        live.forget_old();
        if !reads.follows_its_reads() {
            live.everything();
        } else if let Err(error) = turn(reads.followed(), &live, &mut after).await {
            live.everything();
            if !failing {
                tracing::warn!(%error, "the response cache cannot read the change log; it keeps nothing until it can");
            }
            failing = true;
        } else {
            failing = false;
        }
        drop(live);
        tokio::time::sleep(every).await;
    }
}

/// Reads what the log holds after `after`, every page of it.
async fn turn(
    db: &Database,
    read: &Changes,
    after: &mut Option<ChangePosition>,
) -> Result<(), capitole_persistence::StorageError> {
    let Some(from) = after.as_mut() else {
        *after = Some(changes::head(db, chrono::Utc::now()).await?);
        // What was kept before the follower knew where the log ends is not trusted.
        read.everything();
        return Ok(());
    };
    loop {
        let request = PageRequest::after(500, Some(from.encode()));
        let page = changes::page(db, &ChangeReader::Public, &request, &[]).await?;
        for (entry, _) in &page.rows {
            read.item(entry.kind, entry.id);
        }
        if let Some((last, _)) = page.rows.last() {
            *from = last.position;
        }
        if !page.has_next_page {
            return Ok(());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_request_makes_an_answer_while_the_others_asking_for_it_wait() {
        let flights = Flights::default();
        let key = [1; 32];
        let leader = flights.lead_or_wait(&key, FLIGHT_WAIT).await.unwrap();
        let waiting = tokio::spawn({
            let flights = flights.clone();
            async move { flights.lead_or_wait(&key, FLIGHT_WAIT).await.is_none() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "waits for the leader");
        // Another answer is made meanwhile.
        assert!(flights.lead_or_wait(&[2; 32], FLIGHT_WAIT).await.is_some());
        drop(leader);
        assert!(waiting.await.unwrap(), "woken, to look again");
        // The flight is over: the next request leads again.
        assert!(flights.lead_or_wait(&key, FLIGHT_WAIT).await.is_some());
    }
}
