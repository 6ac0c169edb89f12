//! What the followers of the change log that keep their place in the database (webhooks,
//! Web Push) share: the loop that wakes them, and where they resume.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use capitole_persistence::changes::{self, ChangeEntry, ChangePosition};
use capitole_persistence::{Database, StorageError};
use chrono::Utc;
use tokio::sync::broadcast;

/// The longest sleep between two rounds: what another replica queued, or a webhook enabled
/// again, is seen within it.
pub(super) const IDLE: Duration = Duration::from_secs(5);

/// Runs `round` at once, then whenever the feed hands on entries and at the latest after
/// the wait it asks for (at most [`IDLE`]), until the feed ends (with the service). A
/// failing round is logged once until one succeeds again.
pub(super) async fn follow<F, Fut>(
    what: &'static str,
    mut entries: broadcast::Receiver<Arc<ChangeEntry>>,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Duration, String>>,
{
    let mut failing = false;
    loop {
        let wait = match round().await {
            Ok(wait) => {
                failing = false;
                wait.min(IDLE)
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(error, "cannot send {what} now; trying again soon");
                }
                failing = true;
                IDLE
            }
        };
        tokio::select! {
            received = entries.recv() => {
                if matches!(received, Err(broadcast::error::RecvError::Closed)) {
                    return;
                }
                // One round reads everything committed by now.
                while entries.try_recv().is_ok() {}
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Where the follower `name` resumes: its cursor, and the log's end read before it (so
/// that what is registered after this reads only entries after that end). `None` when it
/// had no cursor: it starts at the end.
pub(super) async fn resume(
    db: &Database,
    name: &str,
) -> Result<Option<(String, ChangePosition)>, String> {
    let text = |e: StorageError| e.to_string();
    let head = changes::head(db, Utc::now()).await.map_err(text)?;
    match changes::cursor(db, name).await.map_err(text)? {
        Some(cursor) => Ok(Some((cursor, head))),
        None => {
            changes::start_cursor(db, name, &head.encode())
                .await
                .map_err(text)?;
            Ok(None)
        }
    }
}

/// Moves the follower `name` on to `head` when nobody listens: nothing to send.
pub(super) async fn skip_to(
    db: &Database,
    name: &str,
    cursor: &str,
    head: ChangePosition,
) -> Result<(), String> {
    let text = |e: StorageError| e.to_string();
    let from = ChangePosition::decode(cursor).map_err(text)?;
    if head.follows(&from) {
        changes::advance_cursor(db, name, cursor, &head.encode())
            .await
            .map_err(text)?;
    }
    Ok(())
}
