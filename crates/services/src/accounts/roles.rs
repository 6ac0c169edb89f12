//! Creating accounts and giving them roles, as the command line does it: whoever runs it
//! runs the service, so nothing here asks who is acting. Administrators reach the same
//! through [`crate::admin`], which checks that they are.

use capitole_domain::access::Role;
use capitole_persistence::accounts::{self, NewUser};
use capitole_persistence::entities::user;
use capitole_persistence::{Database, StorageError, catalog};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{check_new_account, email, hash};
use crate::{ErrorCode, ServiceError, ServiceResult};

/// The ids of organizations named by slug; an unknown slug is an input error.
async fn organization_ids(db: &Database, slugs: &[String]) -> ServiceResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let found = catalog::organization_by_slug(db, slug)
            .await?
            .ok_or_else(|| ServiceError::bad_input(format!("unknown organization `{slug}`")))?;
        if !ids.contains(&found.id) {
            ids.push(found.id);
        }
    }
    Ok(ids)
}

fn check_role_organizations(role: Role, organizations: &[Uuid]) -> ServiceResult<()> {
    match role {
        Role::Editor if organizations.is_empty() => Err(ServiceError::bad_input(
            "an editor edits for at least one organization (`organizations`)",
        )),
        Role::Citizen | Role::Administrator if !organizations.is_empty() => {
            Err(ServiceError::bad_input("only editors have organizations"))
        }
        _ => Ok(()),
    }
}

/// Creates an account with a checked email, password and role, its address taken as
/// verified (whoever creates it vouches for it).
pub async fn create_user(
    db: &Database,
    raw_email: &str,
    password: &str,
    display_name: &str,
    role: Role,
    organization_slugs: &[String],
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let (email, display_name) = check_new_account(raw_email, password, display_name)?;
    let organizations = organization_ids(db, organization_slugs).await?;
    check_role_organizations(role, &organizations)?;
    let new = NewUser {
        email: email.as_str().to_owned(),
        display_name,
        password_hash: hash(password).await?,
        role,
        organizations,
        verified: true,
    };
    accounts::create_user(db, new, now)
        .await
        .map_err(|error| match error {
            StorageError::Conflict { .. } => {
                ServiceError::new(ErrorCode::Conflict, "an account already uses this email")
            }
            other => other.into(),
        })
}

/// Gives the account with this email a role (and, for editors, organizations).
pub async fn set_role(
    db: &Database,
    raw_email: &str,
    role: Role,
    organization_slugs: &[String],
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let email = email(raw_email)?;
    let organizations = organization_ids(db, organization_slugs).await?;
    check_role_organizations(role, &organizations)?;
    let not_found = || ServiceError::not_found("no account uses this email");
    let found = accounts::user_by_email(db, email.as_str())
        .await?
        .ok_or_else(not_found)?;
    accounts::set_role(db, found.id, role, &organizations, now).await?;
    accounts::user_by_id(db, found.id)
        .await?
        .ok_or_else(not_found)
}
