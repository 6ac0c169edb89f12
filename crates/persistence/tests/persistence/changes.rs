//! The change log: an entry commits with its write or not at all, and a reader following
//! positions reads every committed entry exactly once, in one order, however writers
//! interleave.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{self, ChangePosition, ChangeReader, NewChange};
use capitole_persistence::testing::databases;
use capitole_persistence::{Database, PageRequest, StorageError};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::now;

fn entry(kind: ItemKind, id: Uuid, public: bool, organization: Option<Uuid>) -> NewChange {
    NewChange {
        kind,
        id,
        change: ChangeKind::Updated,
        version: 2,
        organization,
        public,
        at: now(),
    }
}

async fn everything_after(
    db: &Database,
    reader: &ChangeReader,
    mut after: Option<ChangePosition>,
) -> (Vec<Uuid>, Option<ChangePosition>) {
    let mut ids = Vec::new();
    loop {
        let request = PageRequest::after(7, after.map(|a| a.encode()));
        let page = changes::page(db, reader, &request, &[]).await.unwrap();
        for (entry, cursor) in &page.rows {
            ids.push(entry.id);
            after = Some(ChangePosition::decode(cursor).unwrap());
        }
        if !page.has_next_page {
            return (ids, after);
        }
    }
}

/// Reads after `after` until `expected` entries arrived (or ten seconds passed): on
/// PostgreSQL, entries wait until every transaction older than theirs has ended, and other
/// tests' transactions share the server.
async fn settled(
    db: &Database,
    reader: &ChangeReader,
    after: Option<ChangePosition>,
    expected: usize,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut position = after;
    for _ in 0..200 {
        let (more, next) = everything_after(db, reader, position).await;
        ids.extend(more);
        position = next.or(position);
        if ids.len() >= expected {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    ids
}

#[tokio::test]
async fn a_rolled_back_write_leaves_no_entry_and_a_committed_one_exactly_one() {
    for test_db in databases().await {
        let db = &test_db.db;
        let kept = Uuid::now_v7();
        let dropped = Uuid::now_v7();
        let txn = db.begin_write().await.unwrap();
        changes::append(&txn, &entry(ItemKind::Event, dropped, true, None))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        let txn = db.begin_write().await.unwrap();
        changes::append(&txn, &entry(ItemKind::Event, kept, true, None))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let ids = settled(db, &ChangeReader::Everything, None, 1).await;
        assert_eq!(ids, vec![kept], "{}", test_db.label);
        test_db.remove().await;
    }
}

#[tokio::test]
async fn readers_read_public_entries_and_editors_those_of_their_organizations() {
    for test_db in databases().await {
        let db = &test_db.db;
        let city = Uuid::now_v7();
        let metropole = Uuid::now_v7();
        let public = Uuid::now_v7();
        let city_draft = Uuid::now_v7();
        let metropole_draft = Uuid::now_v7();
        let txn = db.connection().begin().await.unwrap();
        for change in [
            entry(ItemKind::Article, public, true, Some(city)),
            entry(ItemKind::Article, city_draft, false, Some(city)),
            entry(ItemKind::Article, metropole_draft, false, Some(metropole)),
        ] {
            changes::append(&txn, &change).await.unwrap();
        }
        txn.commit().await.unwrap();
        let read = |reader: ChangeReader, expected: usize| async move {
            settled(db, &reader, None, expected).await
        };
        // Everything first: once it is read, the others are readable too.
        assert_eq!(
            read(ChangeReader::Everything, 3).await,
            vec![public, city_draft, metropole_draft]
        );
        assert_eq!(read(ChangeReader::Public, 1).await, vec![public]);
        assert_eq!(
            read(ChangeReader::Editor(Arc::from(vec![city])), 2).await,
            vec![public, city_draft]
        );
        let only_events = changes::page(
            db,
            &ChangeReader::Everything,
            &PageRequest::first(10),
            &[ItemKind::Event],
        )
        .await
        .unwrap();
        assert!(only_events.rows.is_empty(), "{}", test_db.label);
        test_db.remove().await;
    }
}

#[tokio::test]
async fn a_reader_following_positions_during_concurrent_writes_reads_each_entry_exactly_once() {
    for test_db in databases().await {
        let db = test_db.db.clone();
        // Writers hold their transactions open for different times, so that they commit in
        // another order than the one they appended in.
        let mut writers = Vec::new();
        for writer in 0..8u64 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let mut written = Vec::new();
                for round in 0..6u64 {
                    let id = Uuid::now_v7();
                    let txn = db.begin_write().await.unwrap();
                    changes::append(&txn, &entry(ItemKind::Place, id, true, None))
                        .await
                        .unwrap();
                    tokio::time::sleep(StdDuration::from_millis((writer * 7 + round * 3) % 11))
                        .await;
                    if (writer + round) % 5 == 0 {
                        txn.rollback().await.unwrap();
                    } else {
                        txn.commit().await.unwrap();
                        written.push(id);
                    }
                }
                written
            }));
        }
        let reader = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut after = None;
                for _ in 0..40 {
                    let (ids, position) = everything_after(&db, &ChangeReader::Public, after).await;
                    seen.extend(ids);
                    after = position.or(after);
                    tokio::time::sleep(StdDuration::from_millis(3)).await;
                }
                (seen, after)
            })
        };
        let mut committed = HashSet::new();
        for writer in writers {
            committed.extend(writer.await.unwrap());
        }
        let (mut seen, after) = reader.await.unwrap();
        // Whatever the reader had not reached yet, it reads now that writers are done.
        let missing = committed.len().saturating_sub(seen.len());
        seen.extend(settled(&db, &ChangeReader::Public, after, missing).await);
        let distinct: HashSet<Uuid> = seen.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "{}: an entry was read twice",
            test_db.label
        );
        assert_eq!(
            distinct, committed,
            "{}: an entry was skipped",
            test_db.label
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_head_is_where_new_changes_begin_and_compaction_drops_old_entries() {
    for test_db in databases().await {
        let db = &test_db.db;
        let old = Uuid::now_v7();
        let txn = db.begin_write().await.unwrap();
        let mut aged = entry(ItemKind::Tip, old, true, None);
        aged.at = now() - chrono::Duration::days(40);
        changes::append(&txn, &aged).await.unwrap();
        txn.commit().await.unwrap();
        let head = changes::head(db, now()).await.unwrap();
        let new = Uuid::now_v7();
        let txn = db.begin_write().await.unwrap();
        changes::append(&txn, &entry(ItemKind::Tip, new, true, None))
            .await
            .unwrap();
        txn.commit().await.unwrap();
        // The head may give again a change that committed just before it (on PostgreSQL,
        // while an older transaction of the server is still open), never miss one after it.
        let ids = settled(db, &ChangeReader::Public, Some(head), 1).await;
        assert_eq!(ids.last(), Some(&new), "{}", test_db.label);
        assert!(
            ids.iter().all(|id| *id == new || *id == old),
            "{}",
            test_db.label
        );
        let removed = changes::compact(db, now() - chrono::Duration::days(30))
            .await
            .unwrap();
        assert_eq!(removed, 1, "{}", test_db.label);
        let ids = settled(db, &ChangeReader::Public, None, 1).await;
        assert_eq!(ids, vec![new], "{}", test_db.label);
        assert!(matches!(
            ChangePosition::decode("not a position"),
            Err(StorageError::BadCursor)
        ));
        test_db.remove().await;
    }
}
