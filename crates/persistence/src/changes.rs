//! The change log: every write that changes what a reader sees appends one entry here, in
//! the transaction of the write, so that a write that rolls back leaves no entry and a
//! committed one always has exactly one.

use capitole_domain::change::{ChangeKind, ItemKind};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::StorageError;
use crate::sql::Sql;

/// One entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    /// What kind of item changed.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// What happened.
    pub change: ChangeKind,
    /// Its version after the change (0 for items without versions).
    pub version: i64,
    /// The organization that publishes it, if any: its editors read the entries of its
    /// drafts.
    pub organization: Option<Uuid>,
    /// Whether the public could see the item before or after the change: anonymous readers
    /// only read such entries.
    pub public: bool,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Appends `change` to the log, on the connection (a transaction) of the write it records.
pub async fn append(conn: &impl ConnectionTrait, change: &NewChange) -> Result<(), StorageError> {
    append_all(conn, std::slice::from_ref(change)).await
}

/// Entries one statement appends at most (7 values each, well within both engines' limits
/// on bound values).
const PER_STATEMENT: usize = 500;

/// Appends `changes` to the log, in their order, on the connection (a transaction) of the
/// write that records them all (one entry per item it changed).
pub async fn append_all(
    conn: &impl ConnectionTrait,
    changes: &[NewChange],
) -> Result<(), StorageError> {
    for chunk in changes.chunks(PER_STATEMENT) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push(
            "INSERT INTO change_log (item_kind, item_id, change, version, organization_id, public, at) VALUES ",
        );
        for (i, change) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(change.kind.code())
                .push(", ")
                .bind(change.id)
                .push(", ")
                .bind(change.change.code())
                .push(", ")
                .bind(change.version)
                .push(", ")
                .bind(change.organization)
                .push(", ")
                .bind(change.public)
                .push(", ")
                .bind(change.at)
                .push(")");
        }
        conn.execute_raw(sql.build()).await?;
    }
    Ok(())
}
