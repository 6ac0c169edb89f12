//! The change log as it grows, for everything in this replica that follows it live.
//!
//! One follower per replica reads the entries committed after the last one it read and
//! hands each to every receiver of a broadcast channel. It reads when a write commits
//! (PostgreSQL notifies the follower of every replica at commit; on SQLite, the one process,
//! the writer nudges it) and also every `every` in any case: a notification can be lost
//! when the listening connection drops, and on PostgreSQL an entry becomes readable only
//! once every older transaction of the server has ended. The log, not the notification,
//! says what changed, so nothing is missed or read twice.
//!
//! A place's statistics (check-ins, popularity) change with every fold of new check-ins:
//! such a change (an `UPDATED` entry that leaves the place's version as it was) is handed
//! on at most once per [`STATISTICS_EVERY`] for each place; the next change handed on
//! carries the figures as they are then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{self, ChangeEntry, ChangePosition, ChangeReader, LogListener};
use capitole_persistence::{Database, PageRequest, StorageError};
use tokio::sync::{Notify, broadcast, watch};

/// Entries a receiver may fall behind by before it is told it lagged (it then reads the
/// log itself from its last entry).
const BACKLOG: usize = 4_096;

/// The same, for the receivers of one item's entries: an item seldom changes that often
/// before its subscribers read, and each followed item holds a channel of this size.
const ITEM_BACKLOG: usize = 64;

/// The channels of the items followed one by one (`eventChanged(id:)`), so that a change
/// wakes only the subscribers of its item: one channel per item, dropped once nobody
/// listens to it (looked for whenever the map has doubled since the last look).
#[derive(Default)]
struct Items {
    channels: HashMap<uuid::Uuid, broadcast::Sender<Arc<ChangeEntry>>>,
    prune_at: usize,
}

/// The change log's new entries, as this replica reads them; followed for as long as a
/// handle to it lives.
#[derive(Clone)]
pub(crate) struct ChangeFeed(Arc<Shared>);

struct Shared {
    entries: broadcast::Sender<Arc<ChangeEntry>>,
    nudge: Notify,
    /// Turns true once the follower knows where the log ended when it started: every
    /// entry committed after that is handed on.
    started: watch::Sender<bool>,
    /// The channels of single items.
    items: Mutex<Items>,
}

impl ChangeFeed {
    /// Follows the log of `db` from its end as of now, reading at least every `every`,
    /// for as long as the service runs.
    pub(crate) fn start(db: &Database, every: Duration) -> Self {
        let (entries, _) = broadcast::channel(BACKLOG);
        let shared = Arc::new(Shared {
            entries,
            nudge: Notify::new(),
            started: watch::Sender::new(false),
            items: Mutex::default(),
        });
        tokio::spawn(follow(db.background(), Arc::downgrade(&shared), every));
        Self(shared)
    }

    /// The entries read from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<ChangeEntry>> {
        self.0.entries.subscribe()
    }

    /// The entries of one item read from now on (its other receivers are not woken by
    /// entries of other items).
    pub(crate) fn subscribe_item(&self, id: uuid::Uuid) -> broadcast::Receiver<Arc<ChangeEntry>> {
        let mut items = self
            .0
            .items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if items.channels.len() >= items.prune_at {
            items
                .channels
                .retain(|_, sender| sender.receiver_count() > 0);
            items.prune_at = (items.channels.len() * 2).max(1_024);
        }
        items
            .channels
            .entry(id)
            .or_insert_with(|| broadcast::channel(ITEM_BACKLOG).0)
            .subscribe()
    }

    /// Waits until every entry readable from now on is either readable in the log now or
    /// handed on later: a subscriber that reads the log from its position after this
    /// (and after subscribing) misses nothing.
    pub(crate) async fn started(&self) {
        let mut started = self.0.started.subscribe();
        // The sender lives as long as `self`.
        let _ = started.wait_for(|s| *s).await;
    }

    /// A write committed in this process: read the log now rather than at the next turn.
    pub(crate) fn nudge(&self) {
        self.0.nudge.notify_one();
    }
}

/// The first wait after a commit was heard but its entry could not be read yet (on
/// PostgreSQL, while an older transaction of the server is still open); it doubles up to
/// the follower's period.
const SOON: Duration = Duration::from_millis(10);

/// The shortest time between two changes of one place's statistics handed on.
pub(crate) const STATISTICS_EVERY: Duration = Duration::from_secs(10);

/// Places seen at most, past which the oldest knowledge is forgotten (a place forgotten
/// has its next change handed on).
const PACED_PLACES: usize = 100_000;

/// What the follower knows of each place's last change handed on: its version, and when.
#[derive(Default)]
struct Pace(HashMap<uuid::Uuid, (i64, Instant)>);

impl Pace {
    /// Whether `entry` is handed on at `now`: anything but a change of a place's
    /// statistics alone that comes within [`STATISTICS_EVERY`] of the place's last one.
    fn hands_on(&mut self, entry: &ChangeEntry, now: Instant) -> bool {
        entry.kind != ItemKind::Place || self.place(entry.id, entry.change, entry.version, now)
    }

    /// [`Pace::hands_on`] for a change of the place `id` that leaves it at `version`.
    fn place(&mut self, id: uuid::Uuid, change: ChangeKind, version: i64, now: Instant) -> bool {
        if let Some((last, at)) = self.0.get(&id)
            && change == ChangeKind::Updated
            && *last == version
            && now.duration_since(*at) < STATISTICS_EVERY
        {
            return false;
        }
        if self.0.len() >= PACED_PLACES {
            self.0.clear();
        }
        self.0.insert(id, (version, now));
        true
    }
}

async fn follow(db: Database, feed: Weak<Shared>, every: Duration) {
    let mut after: Option<ChangePosition> = None;
    let mut pace = Pace::default();
    let mut listener: Option<LogListener> = None;
    let mut listening_failed = false;
    let mut failing = false;
    // Set when a commit was heard and its entries are still to be read.
    let mut soon: Option<Duration> = None;
    loop {
        let Some(feed) = feed.upgrade() else {
            return;
        };
        if listener.is_none() {
            match LogListener::connect(&db).await {
                Ok(connected) => {
                    listener = connected;
                    listening_failed = false;
                }
                Err(error) => {
                    if !listening_failed {
                        tracing::warn!(%error, "cannot listen to the change log; it is read every turn");
                    }
                    listening_failed = true;
                }
            }
        }
        match read(&db, &feed, &mut after, &mut pace).await {
            Ok(handed) => {
                failing = false;
                soon = soon
                    .filter(|_| handed == 0)
                    .map(|wait| wait * 2)
                    .filter(|wait| *wait < every);
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "cannot read the change log; live updates wait for it");
                }
                failing = true;
            }
        }
        let notified = feed.nudge.notified();
        let wait = tokio::time::sleep(soon.unwrap_or(every));
        let heard = match listener.as_mut() {
            Some(listening) => tokio::select! {
                heard = listening.next() => {
                    if heard.is_err() {
                        listener = None;
                    }
                    true
                }
                () = notified => true,
                () = wait => false,
            },
            None => tokio::select! {
                () = notified => true,
                () = wait => false,
            },
        };
        if heard {
            soon = Some(SOON);
        }
    }
}

/// Hands on every entry after `after`, and says how many; the first turn only finds where
/// the log ends.
async fn read(
    db: &Database,
    feed: &Shared,
    after: &mut Option<ChangePosition>,
    pace: &mut Pace,
) -> Result<usize, StorageError> {
    let Some(from) = after.as_mut() else {
        *after = Some(changes::head(db, chrono::Utc::now()).await?);
        feed.started.send_replace(true);
        return Ok(0);
    };
    let mut handed = 0;
    let mut newest = None;
    loop {
        let request = PageRequest::after(500, Some(from.encode()));
        let page = changes::page(db, &ChangeReader::Everything, &request, &[]).await?;
        let now = Instant::now();
        for (entry, _) in page.rows {
            *from = entry.position;
            newest = Some(entry.at);
            handed += 1;
            if pace.hands_on(&entry, now) {
                let entry = Arc::new(entry);
                // Nobody listening is not an error.
                if let Ok(items) = feed.items.lock()
                    && let Some(channel) = items.channels.get(&entry.id)
                {
                    let _ = channel.send(entry.clone());
                }
                let _ = feed.entries.send(entry);
            }
        }
        if !page.has_next_page {
            // How long after its commit this replica read the newest entry (none new:
            // it is up to date).
            let lag = newest.map_or(0.0, |at| {
                (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
            });
            metrics::gauge!("capitole_change_log_lag_seconds").set(lag);
            return Ok(handed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_places_statistics_are_handed_on_at_most_once_per_ten_seconds_and_edits_always() {
        let mut pace = Pace::default();
        let (place, other) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        // The first change of a place, then its statistics again and again.
        assert!(pace.place(place, ChangeKind::Updated, 3, at(0)));
        assert!(!pace.place(place, ChangeKind::Updated, 3, at(4)));
        assert!(!pace.place(place, ChangeKind::Updated, 3, at(9)));
        assert!(pace.place(place, ChangeKind::Updated, 3, at(10)));
        // Each place has its own pace.
        assert!(pace.place(other, ChangeKind::Updated, 1, at(11)));
        // An edit (a new version) or another change always goes.
        assert!(pace.place(place, ChangeKind::Updated, 4, at(12)));
        assert!(pace.place(place, ChangeKind::Hidden, 4, at(13)));
        assert!(!pace.place(place, ChangeKind::Updated, 4, at(14)));
    }
}
