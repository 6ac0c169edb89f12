//! People as others see them: their display name and whether they share their check-ins,
//! and the privacy choices behind it.

use std::collections::HashMap;

use capitole_domain::community::PrivacyChoices;
use sea_orm::{ActiveValue::Set, EntityTrait, FromQueryResult};
use uuid::Uuid;

use crate::entities::user;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Records a person's privacy choices; a choice left out stays as it was. Returns the
/// person's account as it is now.
pub async fn set_privacy(
    db: &Database,
    user_id: Uuid,
    choices: PrivacyChoices,
) -> Result<user::Model, StorageError> {
    if choices.is_empty() {
        return user::Entity::find_by_id(user_id)
            .one(db.connection())
            .await?
            .ok_or(StorageError::NotFound);
    }
    let mut model = user::ActiveModel {
        id: Set(user_id),
        ..Default::default()
    };
    if let Some(v) = choices.check_ins_public {
        model.check_ins_public = Set(v);
    }
    if let Some(v) = choices.hidden_from_mayor {
        model.hidden_from_mayor = Set(v);
    }
    Ok(user::Entity::update(model).exec(db.connection()).await?)
}

/// What others may know of a person: their name and whether they share their check-ins.
#[derive(Debug, Clone, FromQueryResult)]
pub struct PublicProfile {
    /// The person's id.
    pub id: Uuid,
    /// How their name is shown.
    pub display_name: String,
    /// Whether others may read their check-ins.
    pub check_ins_public: bool,
}

/// The public profiles of these people (tip authors, say), in one statement.
pub async fn public_profiles(
    db: &Database,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, PublicProfile>, StorageError> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT id, display_name, check_ins_public FROM users WHERE id IN ")
        .bind_list(user_ids.iter().copied());
    Ok(PublicProfile::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}
