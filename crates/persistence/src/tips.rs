//! Tips: leaving one (with a daily limit), likes and reports (once per person), the
//! moderators' hiding and restoring with its audit entry, the deletion of an erased
//! person's tips, and the pages and lists tips are read in.
//!
//! The change log records a tip's public content: `CREATED` when it is left, `HIDDEN` when
//! a moderator hides it, `UPDATED` when one restores it, `DELETED` when it goes with its
//! author's account; each under its place's first publisher, version 0 (tips have no versions),
//! public unless the tip was hidden both before and after. Likes and reports record
//! nothing: the like count is a counter that moves with every reader's tap, like a place's
//! figures, and reports are input for the moderators, not something the public reads; an
//! offline copy shows the like count it last read.

use std::collections::HashMap;

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::community::{
    Moderation, REPORTS_A_DAY, Refusal, TIPS_A_DAY, TipDraft, TipReport,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryResult,
};
use serde_json::json;
use uuid::Uuid;

use crate::activity::{
    ActivityError, Latest, PlaceCounter, add_to_place, count_one_more, latest_cursor, latest_first,
    latest_of_each, within_daily_limit,
};
use crate::audit::{Actor, audit};
use crate::changes::{NewChange, append, append_all};
use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::{tip, tip_like, tip_report};
use crate::profiles::PublicProfile;
use crate::publishers::{self, Published};
use crate::rows::{Positional, Reader};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// The change log's entry for a change of `tip`, at a place whose first publisher is
/// `owner`.
fn entry(
    tip: Uuid,
    change: ChangeKind,
    owner: Option<Uuid>,
    public: bool,
    at: DateTime<Utc>,
) -> NewChange {
    NewChange {
        kind: ItemKind::Tip,
        id: tip,
        change,
        version: 0,
        organization: owner,
        public,
        at,
    }
}

/// The publishers of a place, in order, or `UnknownPlace`.
async fn publishers_of_place(
    txn: &DatabaseTransaction,
    place_id: Uuid,
) -> Result<Vec<Uuid>, ActivityError> {
    let exists = crate::entities::place::Entity::find_by_id(place_id)
        .one(txn)
        .await?
        .is_some();
    if !exists {
        return Err(ActivityError::Refused(Refusal::UnknownPlace));
    }
    Ok(publishers::ids_of_one(txn, Published::Place, place_id).await?)
}

/// The first publisher of the place `t.place_id`, as a column named `first_publisher`.
const FIRST_PUBLISHER: &str = "(SELECT l.organization_id FROM place_organizations l \
     WHERE l.place_id = t.place_id ORDER BY l.position LIMIT 1) AS first_publisher";

/// Leaves a tip on a place, at most [`TIPS_A_DAY`]; the place's tip count follows and the
/// change log records it `CREATED`, in the same transaction.
pub async fn add_tip(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    draft: &TipDraft,
    now: DateTime<Utc>,
) -> Result<tip::Model, ActivityError> {
    let txn = db.begin_write().await?;
    let owner = publishers_of_place(&txn, place_id).await?.first().copied();
    within_daily_limit(&txn, user_id, "tips", TIPS_A_DAY, now).await?;
    let row = tip::Model {
        id: capitole_domain::ids::new_id(),
        place_id,
        user_id,
        text: draft.text.as_str().to_owned(),
        created_at: now,
        like_count: 0,
        report_count: 0,
        hidden_at: None,
        hidden_by: None,
    };
    tip::Entity::insert(tip::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    add_to_place(&txn, place_id, &[(PlaceCounter::Tips, 1)]).await?;
    append(&txn, &entry(row.id, ChangeKind::Created, owner, true, now)).await?;
    txn.commit().await?;
    Ok(row)
}

/// Visible tips with these ids.
pub async fn visible_tips(db: &Database, ids: &[Uuid]) -> Result<Vec<tip::Model>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tip::Entity::find()
        .filter(tip::Column::Id.is_in(ids.iter().copied()))
        .filter(tip::Column::HiddenAt.is_null())
        .all(db.connection())
        .await?)
}

/// The tip with this id, hidden or not, and the publishers of its place, in order.
pub async fn tip_and_publishers(
    db: &Database,
    id: Uuid,
) -> Result<Option<(tip::Model, Vec<Uuid>)>, StorageError> {
    with_publishers(db.connection(), id).await
}

async fn with_publishers(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(tip::Model, Vec<Uuid>)>, StorageError> {
    let Some(found) = tip::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let publishers = publishers::ids_of_one(conn, Published::Place, found.place_id).await?;
    Ok(Some((found, publishers)))
}

/// A tip its reader may act on: a visible one, or a hidden one for moderators.
async fn tip_for(
    txn: &DatabaseTransaction,
    tip_id: Uuid,
    sees_hidden: bool,
) -> Result<tip::Model, ActivityError> {
    tip::Entity::find_by_id(tip_id)
        .one(txn)
        .await?
        .filter(|t| t.hidden_at.is_none() || sees_hidden)
        .ok_or(ActivityError::Refused(Refusal::UnknownTip))
}

/// Likes a tip the person may see (`sees_hidden`: moderators see hidden ones too), once per
/// person; returns the tip with its count.
pub async fn like_tip(
    db: &Database,
    user_id: Uuid,
    tip_id: Uuid,
    sees_hidden: bool,
    now: DateTime<Utc>,
) -> Result<tip::Model, ActivityError> {
    let txn = db.begin_write().await?;
    let liked = tip_for(&txn, tip_id, sees_hidden).await?;
    let inserted = tip_like::Entity::insert(tip_like::ActiveModel {
        tip_id: Set(tip_id),
        user_id: Set(user_id),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([tip_like::Column::TipId, tip_like::Column::UserId])
    .exec(&txn)
    .await?;
    let fresh = if matches!(inserted, sea_orm::TryInsertResult::Conflicted) {
        liked
    } else {
        count_one_more(&txn, tip_id, "like_count").await?;
        let (fresh, publishers) = with_publishers(&txn, tip_id)
            .await?
            .ok_or(StorageError::NotFound)?;
        let public = fresh.hidden_at.is_none();
        let owner = publishers.first().copied();
        append(&txn, &entry(tip_id, ChangeKind::Liked, owner, public, now)).await?;
        fresh
    };
    txn.commit().await?;
    Ok(fresh)
}

/// Reports a tip the person may see for moderation, once per person and at most
/// [`REPORTS_A_DAY`]; returns the tip with its count (a second report by the same person
/// changes nothing).
pub async fn report_tip(
    db: &Database,
    user_id: Uuid,
    tip_id: Uuid,
    report: &TipReport,
    sees_hidden: bool,
    now: DateTime<Utc>,
) -> Result<tip::Model, ActivityError> {
    let txn = db.begin_write().await?;
    let reported = tip_for(&txn, tip_id, sees_hidden).await?;
    within_daily_limit(&txn, user_id, "tip_reports", REPORTS_A_DAY, now).await?;
    let inserted = tip_report::Entity::insert(tip_report::ActiveModel {
        tip_id: Set(tip_id),
        user_id: Set(user_id),
        reason: Set(report.reason.as_ref().map(|r| r.as_str().to_owned())),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([tip_report::Column::TipId, tip_report::Column::UserId])
    .exec(&txn)
    .await?;
    let fresh = if matches!(inserted, sea_orm::TryInsertResult::Conflicted) {
        reported
    } else {
        count_one_more(&txn, tip_id, "report_count").await?;
        tip_for(&txn, tip_id, true).await?
    };
    txn.commit().await?;
    Ok(fresh)
}

/// Hides or restores a tip; the place's tip count follows, and the audit log (the
/// moderator's `HIDE` or `RESTORE`) and the change log (`HIDDEN` or `UPDATED`) record it in
/// the same transaction. A tip already in that state is left as it is, with no entry.
pub async fn moderate_tip(
    db: &Database,
    tip_id: Uuid,
    moderation: Moderation,
    moderator: &Actor,
    now: DateTime<Utc>,
) -> Result<tip::Model, StorageError> {
    let hidden = moderation.hides();
    let txn = db.begin_write().await?;
    let (row, publishers) = with_publishers(&txn, tip_id)
        .await?
        .ok_or(StorageError::NotFound)?;
    let owner = publishers.first().copied();
    if row.hidden_at.is_some() == hidden {
        return Ok(row);
    }
    let mut updated = row.clone();
    updated.hidden_at = hidden.then_some(now);
    updated.hidden_by = moderator.user_id.filter(|_| hidden);
    tip::Entity::update(tip::ActiveModel {
        id: Set(row.id),
        hidden_at: Set(updated.hidden_at),
        hidden_by: Set(updated.hidden_by),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    add_to_place(
        &txn,
        row.place_id,
        &[(PlaceCounter::Tips, if hidden { -1 } else { 1 })],
    )
    .await?;
    audit(
        &txn,
        moderator,
        ItemKind::Tip,
        row.id,
        moderation.action(),
        json!({ "hidden": { "from": !hidden, "to": hidden } }),
        now,
    )
    .await?;
    let change = if hidden {
        ChangeKind::Hidden
    } else {
        ChangeKind::Updated
    };
    append(&txn, &entry(row.id, change, owner, true, now)).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Records in the change log, in the transaction of an erasure and before it, that the
/// tips of `user_id` are deleted (they go with the account); a tip that was hidden is
/// recorded as not public.
pub(crate) async fn record_deletion_of_tips_by(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    #[derive(FromQueryResult)]
    struct Gone {
        id: Uuid,
        hidden: bool,
        first_publisher: Option<Uuid>,
    }
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT t.id, t.hidden_at IS NOT NULL AS hidden, ")
        .push(FIRST_PUBLISHER)
        .push(" FROM tips t WHERE t.user_id = ")
        .bind(user_id)
        .push(" ORDER BY t.created_at, t.id");
    let gone = Gone::find_by_statement(sql.build()).all(txn).await?;
    let entries: Vec<NewChange> = gone
        .iter()
        .map(|t| entry(t.id, ChangeKind::Deleted, t.first_publisher, !t.hidden, now))
        .collect();
    append_all(txn, &entries).await
}

/// The cursor of a tip in its place's list.
pub fn tip_cursor(tip: &tip::Model) -> String {
    latest_cursor(tip.created_at, tip.id)
}

/// How many visible tips a place has.
pub async fn tip_count(db: &Database, place_id: Uuid) -> Result<u64, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::PlaceId.eq(place_id))
        .filter(tip::Column::HiddenAt.is_null())
        .count(db.connection())
        .await?)
}

/// A page of a place's visible tips, latest first.
pub async fn tips_of_place(
    db: &Database,
    place_id: Uuid,
    request: &PageRequest,
) -> Result<Page<tip::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT t.* FROM tips t WHERE t.place_id = ")
        .bind(place_id)
        .push(" AND t.hidden_at IS NULL");
    latest_first(db, sql, "t", request, |t: &tip::Model| (t.created_at, t.id)).await
}

/// A tip with what others may know of its author, read in the same statement.
#[derive(Debug, Clone)]
pub struct TipWithAuthor {
    /// The tip.
    pub tip: tip::Model,
    /// Its author's public profile (`None` if the account is gone).
    pub author: Option<PublicProfile>,
}

/// Read by position: the tip's columns, then the author's name and whether they share
/// their check-ins.
impl FromQueryResult for TipWithAuthor {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let mut reader = Reader::new(row, 0);
        let tip = tip::Model::read(&mut reader)?;
        let name: Option<String> = reader.get()?;
        let shares: Option<bool> = reader.get()?;
        let author = name.map(|display_name| PublicProfile {
            id: tip.user_id,
            display_name,
            check_ins_public: shares.unwrap_or(false),
        });
        Ok(Self { tip, author })
    }
}

/// The latest visible tips of each of these places (at most `per_place` each), with their
/// authors' public profiles, in one statement: one index range per place, however many
/// tips the busiest places have.
pub async fn latest_tips_of_places(
    db: &Database,
    place_ids: &[Uuid],
    per_place: usize,
) -> Result<HashMap<Uuid, Vec<TipWithAuthor>>, StorageError> {
    latest_of_each(
        db,
        Latest {
            // The tip's columns in the order `TipWithAuthor` reads them.
            select: "SELECT id, place_id, user_id, text, created_at, like_count, report_count, \
                     hidden_at, hidden_by, \
                     (SELECT u.display_name FROM users u WHERE u.id = tips.user_id) AS author_name, \
                     (SELECT u.check_ins_public FROM users u WHERE u.id = tips.user_id) \
                     AS author_shares FROM tips",
            key_column: "place_id",
            condition: " AND hidden_at IS NULL",
        },
        place_ids,
        per_place,
        |t: &TipWithAuthor| (t.tip.place_id, t.tip.created_at, t.tip.id),
    )
    .await
}

/// A page of a person's tips (visible ones), latest first.
pub async fn tips_of_user(
    db: &Database,
    user_id: Uuid,
    request: &PageRequest,
) -> Result<Page<tip::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT t.* FROM tips t WHERE t.user_id = ")
        .bind(user_id)
        .push(" AND t.hidden_at IS NULL");
    latest_first(db, sql, "t", request, |t: &tip::Model| (t.created_at, t.id)).await
}

/// How many visible tips a person left.
pub async fn tip_count_of_user(db: &Database, user_id: Uuid) -> Result<u64, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::UserId.eq(user_id))
        .filter(tip::Column::HiddenAt.is_null())
        .count(db.connection())
        .await?)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ReportKey(i64, DateTime<Utc>, Uuid);

/// A page of the moderators' queue: visible tips with reports, most reported first, then
/// the oldest first.
pub async fn report_queue(
    db: &Database,
    request: &PageRequest,
) -> Result<Page<tip::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT t.* FROM tips t WHERE t.report_count > 0 AND t.hidden_at IS NULL");
    let keyset = Keyset(&[
        ("t.report_count", Sort::Descending),
        ("t.created_at", Sort::Ascending),
        ("t.id", Sort::Ascending),
    ]);
    keyset.push_page(&mut sql, request, |ReportKey(n, at, id)| {
        vec![n.into(), at.into(), id.into()]
    })?;
    let rows = tip::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |t| {
        cursor::encode(&ReportKey(t.report_count, t.created_at, t.id))
    }))
}

/// How many visible tips have reports.
pub async fn report_queue_count(db: &Database) -> Result<u64, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::ReportCount.gt(0))
        .filter(tip::Column::HiddenAt.is_null())
        .count(db.connection())
        .await?)
}
