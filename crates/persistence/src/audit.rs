//! The audit log: who did what to which item, and when, written in the transaction of
//! every editorial and moderation write; editors read the entries of their organizations,
//! administrators read them all.

use capitole_domain::audit::AuditAction;
use capitole_domain::change::ItemKind;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait, FromQueryResult};
use serde_json::Value;
use uuid::Uuid;

use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::audit_entry;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Who makes an editorial write, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Their account (none for the scheduler).
    pub user_id: Option<Uuid>,
    /// How the log names them.
    pub label: String,
    /// The organization they act for.
    pub organization: Option<Uuid>,
}

impl Actor {
    /// The background task that publishes scheduled articles.
    pub fn scheduler() -> Self {
        Self {
            user_id: None,
            label: "scheduler".into(),
            organization: None,
        }
    }
}

/// Records in the audit log, in the transaction of the write, that `actor` did `action` to
/// an item, with the fields it changed.
pub(crate) async fn audit(
    txn: &DatabaseTransaction,
    actor: &Actor,
    item_kind: ItemKind,
    item_id: Uuid,
    action: AuditAction,
    changes: Value,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    audit_all(txn, actor, item_kind, action, vec![(item_id, changes)], now).await
}

/// Entries one statement inserts at most (9 values each, well within both engines' limits
/// on bound values).
const AUDIT_CHUNK: usize = 500;

/// Records that `actor` did `action` to each of these items of one kind, each with the
/// fields it changed, in a few statements whatever their number.
pub(crate) async fn audit_all(
    txn: &DatabaseTransaction,
    actor: &Actor,
    item_kind: ItemKind,
    action: AuditAction,
    items: Vec<(Uuid, Value)>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let rows: Vec<audit_entry::ActiveModel> = items
        .into_iter()
        .map(|(item_id, changes)| audit_entry::ActiveModel {
            id: Set(capitole_domain::ids::new_id()),
            at: Set(now),
            actor_id: Set(actor.user_id),
            actor: Set(actor.label.clone()),
            organization_id: Set(actor.organization),
            item_kind: Set(item_kind.code().to_owned()),
            item_id: Set(item_id),
            action: Set(action.code().to_owned()),
            changes: Set(changes.to_string()),
        })
        .collect();
    for chunk in rows.chunks(AUDIT_CHUNK) {
        audit_entry::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Which audit entries a reader may list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about articles of these organizations (editors); `None` is every entry
    /// (administrators).
    pub organizations: Option<Vec<Uuid>>,
    /// Only entries about this item.
    pub item: Option<Uuid>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct AuditKey(DateTime<Utc>, Uuid);

/// A page of the audit log, newest first. Entries of deleted articles stay readable by
/// administrators; editors see entries about articles, events and places their
/// organizations publish and entries written for their organizations.
pub async fn audit_log(
    db: &Database,
    filter: &AuditFilter,
    request: &PageRequest,
) -> Result<Page<audit_entry::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT l.* FROM audit_log l WHERE 1 = 1");
    push_audit_filter(&mut sql, filter);
    let keyset = Keyset(&[("l.at", Sort::Descending), ("l.id", Sort::Descending)]);
    keyset.push_page(&mut sql, request, |AuditKey(at, id)| {
        vec![at.into(), id.into()]
    })?;
    let rows = audit_entry::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |e| {
        cursor::encode(&AuditKey(e.at, e.id))
    }))
}

fn push_audit_filter(sql: &mut Sql, filter: &AuditFilter) {
    if let Some(organizations) = &filter.organizations {
        if organizations.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND (l.organization_id IN ")
                .bind_list(organizations.iter().copied())
                .push(" OR l.item_id IN (SELECT article_id FROM article_organizations WHERE organization_id IN ")
                .bind_list(organizations.iter().copied())
                .push(") OR l.item_id IN (SELECT event_id FROM event_organizations WHERE organization_id IN ")
                .bind_list(organizations.iter().copied())
                .push(") OR l.item_id IN (SELECT place_id FROM place_organizations WHERE organization_id IN ")
                .bind_list(organizations.iter().copied())
                .push("))");
        }
    }
    if let Some(item) = filter.item {
        sql.push(" AND l.item_id = ").bind(item);
    }
}

/// How many entries of the audit log a filter holds.
pub async fn audit_count(db: &Database, filter: &AuditFilter) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM audit_log l WHERE 1 = 1");
    push_audit_filter(&mut sql, filter);
    crate::places::count_of(db, sql).await
}
