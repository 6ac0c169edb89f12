//! What publishers say of themselves that their editors keep up to date: their accounts on
//! social networks. Each change is one transaction with its audit entry and its change-log
//! entry, so that caches on every replica and followers of the log see it.

use capitole_domain::audit::AuditAction;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::social::AccountLink;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::changes::{self, NewChange};
use crate::entities::organization;
use crate::{Database, StorageError, stored_lists};

/// The social accounts an organization's row lists; one this version cannot read is left
/// out.
pub fn social_accounts(row: &organization::Model) -> Vec<AccountLink> {
    stored_lists::decode(&row.social_accounts)
}

/// How an organization's list of social accounts changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEdit {
    /// Lists a checked account; one already listed at that address stays as it is.
    Add(AccountLink),
    /// Removes the account at this address.
    Remove(String),
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEdited {
    /// The organization as it is after the edit.
    Done(organization::Model),
    /// The list is full: an organization lists at most
    /// [`AccountLink::MAX_PER_ORGANIZATION`] accounts.
    Full,
    /// No account of the organization has the address to remove.
    NotListed,
    /// Other edits of the same list kept committing first; nothing was written.
    Busy,
}

/// Times an edit is tried again when another edit of the same list commits between its
/// read and its write.
const ATTEMPTS: usize = 5;

/// Applies `edit` to the social accounts of the organization `id`, by `actor`. The write is
/// guarded by the list it read: two editors adding accounts at once both see theirs listed.
pub async fn edit_social_accounts(
    db: &Database,
    id: Uuid,
    edit: &AccountEdit,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<AccountEdited, StorageError> {
    for _ in 0..ATTEMPTS {
        let txn = db.connection().begin().await?;
        let row = organization::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = social_accounts(&row);
        let mut after = before.clone();
        let (action, entry) = match edit {
            AccountEdit::Add(link) => {
                if before.iter().any(|a| a.url == link.url) {
                    return Ok(AccountEdited::Done(row));
                }
                if before.len() >= AccountLink::MAX_PER_ORGANIZATION {
                    return Ok(AccountEdited::Full);
                }
                after.push(link.clone());
                (AuditAction::Create, json!({ "to": link }))
            }
            AccountEdit::Remove(url) => {
                let Some(at) = before.iter().position(|a| &a.url == url) else {
                    return Ok(AccountEdited::NotListed);
                };
                let removed = after.remove(at);
                (AuditAction::Delete, json!({ "from": removed }))
            }
        };
        let stored = stored_lists::encode(&after);
        let written = organization::Entity::update_many()
            .set(organization::ActiveModel {
                social_accounts: Set(stored.clone()),
                ..Default::default()
            })
            .filter(organization::Column::Id.eq(id))
            .filter(organization::Column::SocialAccounts.eq(row.social_accounts.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if written == 0 {
            continue;
        }
        let changes = json!({ "socialAccounts": entry });
        audit(
            &txn,
            actor,
            ItemKind::Organization,
            id,
            action,
            changes,
            now,
        )
        .await?;
        changes::append(
            &txn,
            &NewChange {
                kind: ItemKind::Organization,
                id,
                change: ChangeKind::Updated,
                version: 0,
                organization: Some(id),
                public: true,
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        return Ok(AccountEdited::Done(organization::Model {
            social_accounts: stored,
            ..row
        }));
    }
    Ok(AccountEdited::Busy)
}
