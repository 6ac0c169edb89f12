//! The change log as it grows, for everything in this replica that follows it live.
//!
//! One follower per replica reads the entries committed after the last one it read and
//! hands each to every receiver of a broadcast channel. It reads when a write commits
//! (PostgreSQL notifies the follower of every replica at commit; on SQLite, the one process,
//! the writer nudges it) and also every `every` in any case: a notification can be lost
//! when the listening connection drops, and on PostgreSQL an entry becomes readable only
//! once every older transaction of the server has ended. The log, not the notification,
//! says what changed, so nothing is missed or read twice.

use std::sync::{Arc, Weak};
use std::time::Duration;

use capitole_persistence::changes::{self, ChangeEntry, ChangePosition, ChangeReader, LogListener};
use capitole_persistence::{Database, PageRequest, StorageError};
use tokio::sync::{Notify, broadcast, watch};

/// Entries a receiver may fall behind by before it is told it lagged (it then reads the
/// log itself from its last entry).
const BACKLOG: usize = 4_096;

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
        });
        tokio::spawn(follow(db.background(), Arc::downgrade(&shared), every));
        Self(shared)
    }

    /// The entries read from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<ChangeEntry>> {
        self.0.entries.subscribe()
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

async fn follow(db: Database, feed: Weak<Shared>, every: Duration) {
    let mut after: Option<ChangePosition> = None;
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
        match read(&db, &feed, &mut after).await {
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
) -> Result<usize, StorageError> {
    let Some(from) = after.as_mut() else {
        *after = Some(changes::head(db, chrono::Utc::now()).await?);
        feed.started.send_replace(true);
        return Ok(0);
    };
    let mut handed = 0;
    loop {
        let request = PageRequest::after(500, Some(from.encode()));
        let page = changes::page(db, &ChangeReader::Everything, &request, &[]).await?;
        for (entry, _) in page.rows {
            *from = entry.position;
            handed += 1;
            // Nobody listening is not an error.
            let _ = feed.entries.send(Arc::new(entry));
        }
        if !page.has_next_page {
            return Ok(handed);
        }
    }
}
