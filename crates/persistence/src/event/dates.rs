//! The stored dates of events: made the planned ones when an event's schedule changes
//! (dates that stay keep their id and status), and extended as time passes for recurring
//! events, so that every recurrence keeps its dates stored up to the horizon.

use std::collections::HashMap;

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::ids::new_id;
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::schedule::PlannedDate;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TryInsertResult,
};
use serde::Serialize;
use uuid::Uuid;

use super::columns::{RecurrenceColumns, recurrence_of};
use crate::edits::record_change;
use crate::entities::{event, event_occurrence};
use crate::{Database, StorageError};

/// What synchronising the dates did.
#[derive(Debug, Default, Serialize)]
pub(super) struct DateChanges {
    added: usize,
    removed: usize,
    changed: usize,
}

impl DateChanges {
    /// Whether any date was added, removed or changed.
    pub(super) fn any(&self) -> bool {
        self.added + self.removed + self.changed > 0
    }
}

/// The stored code of a date's status.
fn code(status: Option<OccurrenceStatus>) -> String {
    status
        .unwrap_or(OccurrenceStatus::Scheduled)
        .code()
        .to_owned()
}

/// Makes the stored dates of an event the planned ones: dates that stay keep their id and
/// (unless the plan says otherwise) their status; others are added or removed.
pub(super) async fn sync_dates(
    txn: &DatabaseTransaction,
    event_id: Uuid,
    planned: &[PlannedDate],
) -> Result<DateChanges, StorageError> {
    let existing: HashMap<DateTime<Utc>, event_occurrence::Model> =
        event_occurrence::Entity::find()
            .filter(event_occurrence::Column::EventId.eq(event_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|o| (o.starts_at, o))
            .collect();
    let mut changes = DateChanges::default();
    let mut kept = Vec::new();
    let mut new_rows = Vec::new();
    for date in planned {
        match existing.get(&date.starts_at) {
            Some(current) => {
                kept.push(current.id);
                let status = date
                    .status
                    .map_or_else(|| current.status.clone(), |s| code(Some(s)));
                if current.ends_at != date.ends_at || current.status != status {
                    event_occurrence::ActiveModel {
                        id: Set(current.id),
                        ends_at: Set(date.ends_at),
                        status: Set(status),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                    changes.changed += 1;
                }
            }
            None => new_rows.push(event_occurrence::ActiveModel {
                id: Set(new_id()),
                event_id: Set(event_id),
                starts_at: Set(date.starts_at),
                ends_at: Set(date.ends_at),
                status: Set(code(date.status)),
            }),
        }
    }
    let removed: Vec<Uuid> = existing
        .values()
        .map(|o| o.id)
        .filter(|id| !kept.contains(id))
        .collect();
    changes.removed = removed.len();
    for chunk in removed.chunks(400) {
        event_occurrence::Entity::delete_many()
            .filter(event_occurrence::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    changes.added = new_rows.len();
    while !new_rows.is_empty() {
        let rest = new_rows.split_off(new_rows.len().min(300));
        let chunk = std::mem::replace(&mut new_rows, rest);
        event_occurrence::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(changes)
}

/// Adds the dates recurring events gain as time passes, so that every recurrence keeps
/// its dates stored up to the horizon (18 months ahead) without being edited. Dates
/// already stored, and dates with a status set by hand, are left as they are; running it
/// twice, or on several replicas at once, adds each date once. Each event that gains dates
/// gets a change-log entry (its version stays: no editor changed it). Returns how many dates
/// it added.
pub async fn extend_recurrences(
    db: &Database,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<usize, StorageError> {
    let recurring = event::Entity::find()
        .filter(event::Column::RecurrenceRule.is_not_null())
        .filter(event::Column::RecurrenceStart.is_not_null())
        .all(db.connection())
        .await?;
    let mut added = 0;
    for row in recurring {
        let Some(recurrence) = recurrence_of(&row) else {
            tracing::warn!(event = %row.id, "a stored recurrence cannot be read; its dates are left as they are");
            continue;
        };
        let stored = event_occurrence::Entity::find()
            .filter(event_occurrence::Column::EventId.eq(row.id))
            .all(db.connection())
            .await?;
        let last = stored.iter().map(|o| o.starts_at).max();
        let Ok(spans) = recurrence.new_dates(last, stored.len(), now, tz) else {
            continue;
        };
        if spans.is_empty() {
            continue;
        }
        let fresh = spans
            .into_iter()
            .map(|(starts_at, ends_at)| event_occurrence::ActiveModel {
                id: Set(new_id()),
                event_id: Set(row.id),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                status: Set(code(None)),
            });
        let txn = db.begin_write().await?;
        // An editor may have changed the event since it was read: its dates are then theirs.
        let current = event::Entity::find_by_id(row.id).one(&txn).await?;
        let Some(current) =
            current.filter(|c| RecurrenceColumns::read(c) == RecurrenceColumns::read(&row))
        else {
            continue;
        };
        let inserted = event_occurrence::Entity::insert_many(fresh)
            .on_conflict_do_nothing_on([
                event_occurrence::Column::EventId,
                event_occurrence::Column::StartsAt,
            ])
            .exec_without_returning(&txn)
            .await?;
        let inserted = match inserted {
            TryInsertResult::Inserted(count) => usize::try_from(count).unwrap_or(usize::MAX),
            TryInsertResult::Empty | TryInsertResult::Conflicted => 0,
        };
        if inserted > 0 {
            let publishers =
                crate::publishers::ids_of_one(&txn, crate::publishers::Published::Event, row.id)
                    .await?;
            record_change(
                &txn,
                ItemKind::Event,
                row.id,
                ChangeKind::Updated,
                current.version,
                publishers.first().copied(),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        added += inserted;
    }
    Ok(added)
}
