//! What others learn of a person: the signed-in person's privacy choices.

use capitole_domain::community::PrivacyChoices;
use capitole_persistence::entities::user;
use capitole_persistence::profiles;

use crate::{Principal, ServiceResult, Services};

/// Records the signed-in person's privacy choices; a choice left out stays as it was.
/// Returns their account as it is now.
pub async fn update_privacy(
    services: &Services,
    by: &Principal,
    choices: PrivacyChoices,
) -> ServiceResult<user::Model> {
    let person = by.user()?;
    Ok(profiles::set_privacy(&services.db, person.user_id, choices).await?)
}
