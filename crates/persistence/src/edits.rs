//! What the writes of events and places share. An edit reads the item in the transaction
//! that writes it and lets the caller decide on it (who may, what it becomes); a stale
//! version changes nothing; the audit log names the fields that changed; the change log gets
//! exactly one entry per committed change, and none when nothing changed. Items a
//! publisher's own system owns are found by (source, external id) and created or replaced
//! whatever their version: replacing an item by itself writes nothing.

use capitole_domain::audit::AuditAction;
use std::collections::BTreeMap;

use capitole_domain::agenda::ExternalKey;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::text::encode_codes;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::Actor;
use crate::changes::{self, NewChange};
use crate::{Database, StorageError};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new item.
    Created,
    /// An existing item changed.
    Updated,
    /// The item was already so; nothing was written.
    Unchanged,
}

/// The refusal of a write at `expected` to an item now at `current`.
pub(crate) fn stale(expected: i64, current: i64) -> StorageError {
    StorageError::Stale { expected, current }
}

/// A set of codes as stored: sorted, once each, `|A|B|`.
pub(crate) fn encode_set<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    let mut codes: Vec<&str> = codes.into_iter().collect();
    codes.sort_unstable();
    codes.dedup();
    encode_codes(codes)
}

/// Fields whose old and new values the audit log leaves out (it says that they changed).
const LONG_FIELDS: [&str; 2] = ["description", "openingHours"];

/// The fields that differ between two states, as `{ field: { from, to } }`.
pub(crate) fn differences(
    before: &impl Serialize,
    after: &impl Serialize,
) -> BTreeMap<String, Value> {
    let (before, after) = (json!(before), json!(after));
    let mut changes = BTreeMap::new();
    if let (Value::Object(before), Value::Object(after)) = (before, after) {
        for (field, to) in after {
            let from = before.get(&field).cloned().unwrap_or(Value::Null);
            if from == to {
                continue;
            }
            let entry = if LONG_FIELDS.contains(&field.as_str()) {
                json!({ "changed": true })
            } else {
                json!({ "from": from, "to": to })
            };
            changes.insert(field, entry);
        }
    }
    changes
}

/// Appends the change-log entry of a write to an event or a place. Both are public, whatever
/// their status: every reader may hear of them.
pub(crate) async fn record_change(
    txn: &DatabaseTransaction,
    kind: ItemKind,
    id: Uuid,
    change: ChangeKind,
    version: i64,
    organization: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    changes::append(
        txn,
        &NewChange {
            kind,
            id,
            change,
            version,
            organization,
            public: true,
            at,
        },
    )
    .await
}

/// A kind of item that editors change at a version and publishers' systems upsert: events
/// and places.
pub(crate) trait Versioned {
    /// The item's row.
    type Row: Clone;
    /// What an editor sets on it.
    type Content;
    /// A new item.
    type Draft;
    /// What an edit makes of it.
    type Edit;

    /// The version a row is at.
    fn version(row: &Self::Row) -> i64;

    /// The edit that makes an item the `draft` (an upsert of a known item).
    fn edit_of(draft: Self::Draft) -> Self::Edit;

    /// The row and content of the item `id`.
    async fn load(
        conn: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<(Self::Row, Self::Content)>, StorageError>;

    /// The row and content of the item a publisher's system knows as `key`.
    async fn find(
        conn: &impl ConnectionTrait,
        key: &ExternalKey,
    ) -> Result<Option<(Self::Row, Self::Content)>, StorageError>;

    /// Inserts a new item, with its audit and change-log entries.
    async fn insert(
        txn: &DatabaseTransaction,
        draft: &Self::Draft,
        key: Option<&ExternalKey>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Self::Row, StorageError>;

    /// Writes `edit` over `before` (whose content is `current`) as `action`, with its audit
    /// and change-log entries; `None`, and nothing written, when it changes nothing.
    async fn save(
        txn: &DatabaseTransaction,
        before: &Self::Row,
        current: &Self::Content,
        edit: Self::Edit,
        action: AuditAction,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<Self::Row>, StorageError>;
}

/// Creates an item.
pub(crate) async fn create<T: Versioned>(
    db: &Database,
    draft: &T::Draft,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<T::Row, StorageError> {
    let txn = db.begin_write().await?;
    let row = T::insert(&txn, draft, None, actor, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Edits the item `id` at `expected_version`: `decide` sees its content as the transaction
/// reads it and says who acts and what it becomes (or refuses). Returns the item as it is
/// after the edit.
pub(crate) async fn edit<T: Versioned, E: From<StorageError>>(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    action: AuditAction,
    now: DateTime<Utc>,
    decide: impl FnOnce(&T::Content) -> Result<(Actor, T::Edit), E>,
) -> Result<T::Row, E> {
    let txn = db.begin_write().await?;
    let (row, current) = T::load(&txn, id).await?.ok_or(StorageError::NotFound)?;
    let (actor, edit) = decide(&current)?;
    if T::version(&row) != expected_version {
        return Err(stale(expected_version, T::version(&row)).into());
    }
    let saved = T::save(&txn, &row, &current, edit, action, &actor, now).await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(saved.unwrap_or(row))
}

/// Creates or replaces the item a publisher's system knows as `key`, whatever its version:
/// `access` sees the current content, if the item exists, and says who acts (or refuses).
pub(crate) async fn upsert<T: Versioned, E: From<StorageError>>(
    db: &Database,
    key: &ExternalKey,
    draft: T::Draft,
    now: DateTime<Utc>,
    access: impl FnOnce(Option<&T::Content>) -> Result<Actor, E>,
) -> Result<(T::Row, Outcome), E> {
    let txn = db.begin_write().await?;
    let existing = T::find(&txn, key).await?;
    let actor = access(existing.as_ref().map(|(_, content)| content))?;
    let result = match existing {
        None => (
            T::insert(&txn, &draft, Some(key), &actor, now).await?,
            Outcome::Created,
        ),
        Some((row, current)) => {
            let edit = T::edit_of(draft);
            match T::save(&txn, &row, &current, edit, AuditAction::Upsert, &actor, now).await? {
                Some(row) => (row, Outcome::Updated),
                None => (row, Outcome::Unchanged),
            }
        }
    };
    txn.commit().await.map_err(StorageError::from)?;
    Ok(result)
}
