//! Deliveries made once for every anonymous subscriber of the same document: anonymous
//! callers all read the public graph, so the answer a subscription gives for one entry of
//! the log is the same for each of them. The first subscriber to be handed the entry runs
//! the document; the others are given its answer. Answers are kept for a short while, by
//! the entry, the document, its operation and its variables.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use capitole_persistence::changes::ChangeEntry;
use moka::sync::Cache;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// The answers of one turn: the payloads of the `next` messages it sends.
pub(crate) type Payloads = Arc<Vec<Value>>;

/// Answers of deliveries to anonymous subscribers, shared between them.
#[derive(Clone)]
pub(crate) struct SharedDeliveries(Cache<[u8; 32], Arc<OnceCell<Payloads>>>);

impl SharedDeliveries {
    pub(crate) fn new() -> Self {
        Self(
            Cache::builder()
                .max_capacity(10_000)
                // Longer than any subscriber takes to be handed an entry.
                .time_to_live(Duration::from_secs(60))
                .build(),
        )
    }

    /// The answer of the turn under `key`, made by `make` the first time it is asked for
    /// (the others asking meanwhile wait for it).
    pub(crate) async fn get_or_make<F, Fut>(&self, key: [u8; 32], make: F) -> Payloads
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Vec<Value>>,
    {
        let cell = self.0.get_with(key, || Arc::new(OnceCell::new()));
        cell.get_or_init(|| async { Arc::new(make().await) })
            .await
            .clone()
    }
}

/// The key of the turn of `entry` for a document, its operation and its variables.
pub(crate) fn key(
    entry: &ChangeEntry,
    query: &str,
    operation: Option<&str>,
    variables: Option<&Value>,
) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(entry.position.encode());
    digest.update([0]);
    digest.update(query);
    digest.update([0]);
    digest.update(operation.unwrap_or_default());
    digest.update([0]);
    digest.update(variables.map(Value::to_string).unwrap_or_default());
    digest.finalize().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_turn_is_made_once_for_everyone_asking_for_it() {
        let shared = SharedDeliveries::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let make = |runs: Arc<AtomicUsize>, answer: &'static str| async move {
            runs.fetch_add(1, Ordering::Relaxed);
            vec![Value::from(answer)]
        };
        let first = shared
            .get_or_make([1; 32], || make(runs.clone(), "first"))
            .await;
        let again = shared
            .get_or_make([1; 32], || make(runs.clone(), "second"))
            .await;
        assert_eq!(
            (first[0].as_str(), again[0].as_str()),
            (Some("first"), Some("first"))
        );
        let other = shared
            .get_or_make([2; 32], || make(runs.clone(), "other"))
            .await;
        assert_eq!(other[0], "other");
        assert_eq!(runs.load(Ordering::Relaxed), 2);
    }
}
