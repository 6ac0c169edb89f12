//! Posts on social networks that announced an article, an event or a place: recorded and
//! removed by its editors, each write in one transaction with its audit entry and its change
//! log entry (the posts are part of what readers of the item see, so the item is `UPDATED`,
//! at the version it has), and read in batches for the items of a page.

use capitole_domain::audit::AuditAction;
use std::collections::HashMap;

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::social::Network;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use crate::article::article_updated;
use crate::audit::{Actor, audit};
use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::edits::record_change;
use crate::entities::{event, place, social_post};
use crate::publishers::{self, Published};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Records a post on `network` at `url` (already checked and normalised) announcing an
/// article, an event or a place (`item`), once per address: recording it again returns the
/// existing record and changes nothing.
pub async fn record(
    db: &Database,
    (kind, item_id): (ItemKind, Uuid),
    network: Network,
    url: &str,
    posted_at: DateTime<Utc>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<social_post::Model, StorageError> {
    let txn = db.begin_write().await?;
    let existing = social_post::Entity::find()
        .filter(social_post::Column::ItemKind.eq(kind.code()))
        .filter(social_post::Column::ItemId.eq(item_id))
        .filter(social_post::Column::Url.eq(url))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    let row = social_post::Model {
        id: capitole_domain::ids::new_id(),
        item_kind: kind.code().to_owned(),
        item_id,
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
        kind,
        item_id,
        AuditAction::RecordSocialPost,
        json!({ "network": row.network, "url": row.url }),
        now,
    )
    .await?;
    item_updated(&txn, (kind, item_id), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// The post with this id.
pub async fn find(db: &Database, id: Uuid) -> Result<Option<social_post::Model>, StorageError> {
    Ok(social_post::Entity::find_by_id(id)
        .one(db.connection())
        .await?)
}

/// Removes a recorded post of an article, an event or a place.
pub async fn remove(
    db: &Database,
    post: &social_post::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let kind = announced(post).ok_or(StorageError::NotFound)?;
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
        kind,
        post.item_id,
        AuditAction::RemoveSocialPost,
        json!({ "network": post.network, "url": post.url }),
        now,
    )
    .await?;
    item_updated(&txn, (kind, post.item_id), now).await?;
    txn.commit().await?;
    Ok(())
}

/// The kind of item a post announced: an article, an event or a place.
pub fn announced(post: &social_post::Model) -> Option<ItemKind> {
    ItemKind::from_code(&post.item_kind)
        .filter(|kind| matches!(kind, ItemKind::Article | ItemKind::Event | ItemKind::Place))
}

/// Appends the change log's entry of an item whose posts changed: `UPDATED` at the version
/// it has (its own fields did not change), public if the item is (events and places always
/// are).
async fn item_updated(
    txn: &DatabaseTransaction,
    (kind, id): (ItemKind, Uuid),
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let (version, published) = match kind {
        ItemKind::Article => return article_updated(txn, id, now).await,
        ItemKind::Event => (
            event::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(|row| row.version),
            Published::Event,
        ),
        ItemKind::Place => (
            place::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(|row| row.version),
            Published::Place,
        ),
        ItemKind::Tip | ItemKind::Organization => return Err(StorageError::NotFound),
    };
    let version = version.ok_or(StorageError::NotFound)?;
    let organization = publishers::first_of(txn, published, id).await?;
    record_change(
        txn,
        kind,
        id,
        ChangeKind::Updated,
        version,
        organization,
        now,
    )
    .await
}

/// The order of an item's posts: oldest first.
const POST_ORDER: Keyset<'static> =
    Keyset(&[("s.posted_at", Sort::Ascending), ("s.id", Sort::Ascending)]);

#[derive(serde::Serialize, serde::Deserialize)]
struct PostKey(DateTime<Utc>, Uuid);

/// One page of the posts announcing each of these items, oldest first, all with the same
/// page request, in one statement.
pub async fn of_items(
    db: &Database,
    item_ids: &[Uuid],
    request: &PageRequest,
) -> Result<HashMap<Uuid, Page<social_post::Model>>, StorageError> {
    if item_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT id, item_kind, item_id, network, url, posted_at, recorded_by, created_at FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.item_id ORDER BY ");
    POST_ORDER.push_order(&mut sql, request.direction);
    sql.push(") AS position FROM social_posts s WHERE s.item_id IN ")
        .bind_list(item_ids.iter().copied());
    if let Some(PostKey(at, id)) = request.key()? {
        POST_ORDER.push_beyond(&mut sql, &[at.into(), id.into()], request.direction);
    }
    sql.push(") numbered WHERE position <= ")
        .number(request.fetch())
        .push(" ORDER BY item_id, position");
    let mut grouped: HashMap<Uuid, Vec<social_post::Model>> = HashMap::new();
    for row in social_post::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?
    {
        grouped.entry(row.item_id).or_default().push(row);
    }
    Ok(item_ids
        .iter()
        .map(|id| {
            let rows = grouped.remove(id).unwrap_or_default();
            let page = Page::from_rows(rows, request, |p| {
                cursor::encode(&PostKey(p.posted_at, p.id))
            });
            (*id, page)
        })
        .collect())
}

/// How many posts announced an item.
pub async fn count_of_item(db: &Database, item_id: Uuid) -> Result<u64, StorageError> {
    Ok(social_post::Entity::find()
        .filter(social_post::Column::ItemId.eq(item_id))
        .count(db.connection())
        .await?)
}
