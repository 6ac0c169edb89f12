//! What administrators do to people's accounts: read the list of them, and give roles.
//! App tokens are in [`crate::tokens`].

use capitole_domain::access::Role;
use capitole_persistence::accounts;
use capitole_persistence::entities::user;
use capitole_persistence::{Page, PageRequest};
use chrono::{DateTime, Utc};

use crate::{Principal, ServiceResult, Services};

/// Every account, by email.
pub async fn users(
    services: &Services,
    by: &Principal,
    request: &PageRequest,
) -> ServiceResult<Page<user::Model>> {
    by.administrator()?;
    Ok(accounts::users(&services.db, request).await?)
}

/// Gives the account with this email a role and, for editors, the organizations they edit
/// for (slugs). It takes effect on their next request.
pub async fn set_role(
    services: &Services,
    by: &Principal,
    email: &str,
    role: Role,
    organizations: &[String],
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    by.administrator()?;
    crate::accounts::set_role(&services.db, email, role, organizations, now).await
}
