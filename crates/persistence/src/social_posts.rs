//! Posts on social networks that announced an article: recorded and removed by its
//! editors, each write in one transaction with its audit entry and its change log entry
//! (the posts are part of what readers of the article see, so the article is `UPDATED`,
//! at the version it has), and read in batches for the articles of a page.

use capitole_domain::audit::AuditAction;
use std::collections::HashMap;

use capitole_domain::change::ItemKind;
use capitole_domain::social::Network;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::article::{first_publisher, log, publication};
use crate::audit::{Actor, audit};
use crate::entities::{article, social_post};
use crate::{Database, StorageError};

/// Records a post on `network` at `url` (already checked and normalised) announcing an
/// article, once per address: recording it again returns the existing record and changes
/// nothing.
pub async fn record(
    db: &Database,
    article_id: Uuid,
    network: Network,
    url: &str,
    posted_at: DateTime<Utc>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<social_post::Model, StorageError> {
    let txn = db.begin_write().await?;
    let existing = social_post::Entity::find()
        .filter(social_post::Column::ItemKind.eq(ItemKind::Article.code()))
        .filter(social_post::Column::ItemId.eq(article_id))
        .filter(social_post::Column::Url.eq(url))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    let row = social_post::Model {
        id: capitole_domain::ids::new_id(),
        item_kind: ItemKind::Article.code().to_owned(),
        item_id: article_id,
        network: network.code().to_owned(),
        url: url.to_owned(),
        posted_at,
        recorded_by: actor.user_id,
        created_at: now,
    };
    social_post::Entity::insert(social_post::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        actor,
        ItemKind::Article,
        article_id,
        AuditAction::RecordSocialPost,
        json!({ "network": row.network, "url": row.url }),
        now,
    )
    .await?;
    article_updated(&txn, article_id, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// The post with this id.
pub async fn find(db: &Database, id: Uuid) -> Result<Option<social_post::Model>, StorageError> {
    Ok(social_post::Entity::find_by_id(id)
        .one(db.connection())
        .await?)
}

/// Removes a recorded post of an article.
pub async fn remove(
    db: &Database,
    post: &social_post::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if post.item_kind != ItemKind::Article.code() {
        return Err(StorageError::NotFound);
    }
    let txn = db.begin_write().await?;
    let removed = social_post::Entity::delete_by_id(post.id)
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        // Someone else removed it first; their write had the entries.
        return Err(StorageError::NotFound);
    }
    audit(
        &txn,
        actor,
        ItemKind::Article,
        post.item_id,
        AuditAction::RemoveSocialPost,
        json!({ "network": post.network, "url": post.url }),
        now,
    )
    .await?;
    article_updated(&txn, post.item_id, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Appends the change log's entry of an article whose posts changed: `UPDATED` at the
/// version it has (its own fields did not change), public if the article is.
async fn article_updated(
    txn: &DatabaseTransaction,
    article_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let row = article::Entity::find_by_id(article_id)
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    let standing = publication(&row);
    let (change, public) = standing.change_to(&standing, now);
    let organization = first_publisher(txn, article_id).await?;
    log(txn, &row, change, public, organization, now).await
}

/// The posts announcing each of these items, oldest first, in one statement.
pub async fn of_items(
    db: &Database,
    item_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<social_post::Model>>, StorageError> {
    let mut grouped: HashMap<Uuid, Vec<social_post::Model>> = HashMap::new();
    if item_ids.is_empty() {
        return Ok(grouped);
    }
    let rows = social_post::Entity::find()
        .filter(social_post::Column::ItemId.is_in(item_ids.iter().copied()))
        .order_by_asc(social_post::Column::PostedAt)
        .order_by_asc(social_post::Column::Id)
        .all(db.connection())
        .await?;
    for row in rows {
        grouped.entry(row.item_id).or_default().push(row);
    }
    Ok(grouped)
}
