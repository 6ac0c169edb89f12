//! Publishers' accounts on social networks, kept by their editors: each address is checked
//! against its network (an account's page, not a post) before anything is written.

use capitole_domain::editorial::{Checked, FieldErrors};
use capitole_domain::social::AccountLink;
use capitole_persistence::StorageError;
use capitole_persistence::entities::organization;
use capitole_persistence::organizations::{self, AccountEdit, AccountEdited};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};
use crate::{Principal, ServiceResult, Services};

/// Lists the account `link` among those of the organization `id` (its editors and
/// administrators). Listing an address again returns the organization as it is.
pub async fn add_social_account(
    services: &Services,
    by: &Principal,
    id: Uuid,
    link: Checked<AccountLink>,
    now: DateTime<Utc>,
) -> ServiceResult<organization::Model> {
    let actor = by.editor_of(&[id])?;
    let link = link.into_result()?;
    let edit = AccountEdit::Add(link);
    edited(organizations::edit_social_accounts(&services.db, id, &edit, &actor, now).await)
}

/// Removes the account at `url` from those of the organization `id` (its editors and
/// administrators).
pub async fn remove_social_account(
    services: &Services,
    by: &Principal,
    id: Uuid,
    url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<organization::Model> {
    let actor = by.editor_of(&[id])?;
    let edit = AccountEdit::Remove(url.trim().to_owned());
    edited(organizations::edit_social_accounts(&services.db, id, &edit, &actor, now).await)
}

fn edited(outcome: Result<AccountEdited, StorageError>) -> ServiceResult<organization::Model> {
    match outcome {
        Ok(AccountEdited::Done(organization)) => Ok(organization),
        Ok(AccountEdited::Full) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "url",
                format!(
                    "an organization lists at most {} social accounts; remove one first",
                    AccountLink::MAX_PER_ORGANIZATION
                ),
            );
            Err(errors.into())
        }
        Ok(AccountEdited::NotListed) => Err(ServiceError::not_found(
            "the organization has no social account at this address",
        )),
        Ok(AccountEdited::Busy) => Err(ServiceError::new(
            ErrorCode::Conflict,
            "the organization's social accounts are being changed by someone else; try again",
        )),
        Err(StorageError::NotFound) => Err(ServiceError::not_found("no organization has this id")),
        Err(error) => Err(error.into()),
    }
}
