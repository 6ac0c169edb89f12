//! Editorial writes on articles, each in one transaction with its audit entry: create,
//! update (with optimistic concurrency on `version`), status changes, deletion of drafts,
//! revisions, slugs that keep resolving, and the publication of scheduled articles exactly
//! once, however many replicas run the scheduler.

use std::collections::BTreeMap;

use capitole_domain::article::ArticleStatus;
use capitole_domain::change::ItemKind;
use capitole_domain::editorial::Transition;
use capitole_domain::text::fold;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::entities::{
    article, article_event, article_neighborhood, article_organization, article_place,
    article_revision, slug_history, social_post,
};
use crate::slugs;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// The content of an article, checked by the caller.
#[derive(Debug, Clone, Default)]
pub struct ArticleContent {
    pub title: String,
    pub summary: String,
    pub easy_read_summary: Option<String>,
    pub body: String,
    pub author_name: Option<String>,
    pub cover_url: Option<String>,
    pub cover_alt: Option<String>,
    pub cover_credit: Option<String>,
    /// JSON array of media.
    pub media: String,
    /// Encoded `|tag|…|`.
    pub tags: String,
    /// Encoded `|CODE|…|`.
    pub audiences: String,
}

/// What an article links to.
#[derive(Debug, Clone, Default)]
pub struct ArticleLinks {
    pub organizations: Vec<Uuid>,
    pub neighborhoods: Vec<Uuid>,
    pub events: Vec<Uuid>,
    pub places: Vec<Uuid>,
}

/// A change to an article: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct ArticleChange {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub easy_read_summary: Option<Option<String>>,
    pub body: Option<String>,
    pub author_name: Option<Option<String>>,
    pub cover_url: Option<Option<String>>,
    pub cover_alt: Option<Option<String>>,
    pub cover_credit: Option<Option<String>>,
    pub media: Option<String>,
    pub tags: Option<String>,
    pub audiences: Option<String>,
    /// A new slug; the old one keeps resolving.
    pub slug: Option<String>,
    pub organizations: Option<Vec<Uuid>>,
    pub neighborhoods: Option<Vec<Uuid>>,
    pub events: Option<Vec<Uuid>>,
    pub places: Option<Vec<Uuid>>,
}

fn stale(expected: i64, found: i64) -> StorageError {
    StorageError::Stale {
        expected,
        current: found,
    }
}

async fn replace_links(
    txn: &DatabaseTransaction,
    article_id: Uuid,
    organizations: Option<&[Uuid]>,
    neighborhoods: Option<&[Uuid]>,
    events: Option<&[Uuid]>,
    places: Option<&[Uuid]>,
) -> Result<(), StorageError> {
    if let Some(ids) = organizations {
        article_organization::Entity::delete_many()
            .filter(article_organization::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids.iter().enumerate().map(|(position, &organization_id)| {
                article_organization::ActiveModel {
                    article_id: Set(article_id),
                    organization_id: Set(organization_id),
                    position: Set(i64::try_from(position).unwrap_or(0)),
                }
            });
            article_organization::Entity::insert_many(rows)
                .exec(txn)
                .await?;
        }
    }
    if let Some(ids) = neighborhoods {
        article_neighborhood::Entity::delete_many()
            .filter(article_neighborhood::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids
                .iter()
                .map(|&neighborhood_id| article_neighborhood::ActiveModel {
                    article_id: Set(article_id),
                    neighborhood_id: Set(neighborhood_id),
                });
            article_neighborhood::Entity::insert_many(rows)
                .exec(txn)
                .await?;
        }
    }
    if let Some(ids) = events {
        article_event::Entity::delete_many()
            .filter(article_event::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids.iter().map(|&event_id| article_event::ActiveModel {
                article_id: Set(article_id),
                event_id: Set(event_id),
            });
            article_event::Entity::insert_many(rows).exec(txn).await?;
        }
    }
    if let Some(ids) = places {
        article_place::Entity::delete_many()
            .filter(article_place::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids.iter().map(|&place_id| article_place::ActiveModel {
                article_id: Set(article_id),
                place_id: Set(place_id),
            });
            article_place::Entity::insert_many(rows).exec(txn).await?;
        }
    }
    Ok(())
}

async fn revision(
    txn: &DatabaseTransaction,
    row: &article::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    article_revision::Entity::insert(article_revision::ActiveModel {
        id: Set(capitole_domain::ids::new_id()),
        article_id: Set(row.id),
        version: Set(row.version),
        title: Set(row.title.clone()),
        summary: Set(row.summary.clone()),
        easy_read_summary: Set(row.easy_read_summary.clone()),
        body: Set(row.body.clone()),
        tags: Set(row.tags.clone()),
        audiences: Set(row.audiences.clone()),
        status: Set(row.status.clone()),
        author_id: Set(actor.user_id),
        created_at: Set(now),
    })
    .exec(txn)
    .await?;
    Ok(())
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<article::Model, StorageError> {
    article::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StorageError::NotFound)
}

/// Creates a draft with a slug made free from `slug_base`.
pub async fn create_article(
    db: &Database,
    content: ArticleContent,
    links: ArticleLinks,
    slug_base: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let slug = slugs::free(&txn, ItemKind::Article, slug_base, None).await?;
    let id = capitole_domain::ids::new_id();
    let row = article::Model {
        id,
        slug,
        search_text: fold(&format!("{} {}", content.title, content.summary)),
        title: content.title,
        summary: content.summary,
        easy_read_summary: content.easy_read_summary,
        body: content.body,
        status: ArticleStatus::Draft.code().to_owned(),
        published_at: None,
        author_name: content.author_name,
        cover_url: content.cover_url,
        cover_alt: content.cover_alt,
        cover_credit: content.cover_credit,
        media: content.media,
        tags: content.tags,
        audiences: content.audiences,
        created_at: now,
        updated_at: now,
        version: 1,
        review_requested_at: None,
    };
    article::Entity::insert(article::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    replace_links(
        &txn,
        id,
        Some(&links.organizations),
        Some(&links.neighborhoods),
        Some(&links.events),
        Some(&links.places),
    )
    .await?;
    revision(&txn, &row, actor, now).await?;
    audit(
        &txn,
        actor,
        ItemKind::Article,
        id,
        "CREATE",
        json!({ "title": row.title, "slug": row.slug, "organizations": links.organizations }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The organizations that publish an article, in order.
pub async fn organizations_of(db: &Database, article_id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    Ok(article_organization::Entity::find()
        .filter(article_organization::Column::ArticleId.eq(article_id))
        .order_by_asc(article_organization::Column::Position)
        .all(db.connection())
        .await?
        .into_iter()
        .map(|l| l.organization_id)
        .collect())
}

/// The article with this id, whatever its status (for editorial checks).
pub async fn article(db: &Database, id: Uuid) -> Result<Option<article::Model>, StorageError> {
    Ok(article::Entity::find_by_id(id).one(db.connection()).await?)
}

fn diff(
    changes: &mut BTreeMap<&'static str, Value>,
    field: &'static str,
    from: impl Into<Value>,
    to: impl Into<Value>,
) {
    let (from, to) = (from.into(), to.into());
    if from != to {
        changes.insert(field, json!({ "from": from, "to": to }));
    }
}

/// Applies a change to the article at `expected_version`; a stale version is
/// [`StorageError::Stale`] and changes nothing.
pub async fn update_article(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    change: ArticleChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let before = load(&txn, id).await?;
    if before.version != expected_version {
        return Err(stale(expected_version, before.version));
    }
    let mut after = before.clone();
    let mut changes = BTreeMap::new();
    if let Some(v) = change.title {
        after.title = v;
    }
    if let Some(v) = change.summary {
        after.summary = v;
    }
    if let Some(v) = change.easy_read_summary {
        after.easy_read_summary = v;
    }
    if let Some(v) = change.body {
        after.body = v;
    }
    if let Some(v) = change.author_name {
        after.author_name = v;
    }
    if let Some(v) = change.cover_url {
        after.cover_url = v;
    }
    if let Some(v) = change.cover_alt {
        after.cover_alt = v;
    }
    if let Some(v) = change.cover_credit {
        after.cover_credit = v;
    }
    if let Some(v) = change.media {
        after.media = v;
    }
    if let Some(v) = change.tags {
        after.tags = v;
    }
    if let Some(v) = change.audiences {
        after.audiences = v;
    }
    if let Some(slug) = change.slug
        && slug != before.slug
    {
        slugs::change(&txn, ItemKind::Article, id, &before.slug, &slug, now).await?;
        after.slug = slug;
    }
    after.search_text = fold(&format!("{} {}", after.title, after.summary));
    after.version = before.version + 1;
    after.updated_at = now;
    let text_fields: [(&'static str, Option<&String>, Option<&String>); 10] = [
        ("title", Some(&before.title), Some(&after.title)),
        ("summary", Some(&before.summary), Some(&after.summary)),
        (
            "easyReadSummary",
            before.easy_read_summary.as_ref(),
            after.easy_read_summary.as_ref(),
        ),
        (
            "authorName",
            before.author_name.as_ref(),
            after.author_name.as_ref(),
        ),
        (
            "coverUrl",
            before.cover_url.as_ref(),
            after.cover_url.as_ref(),
        ),
        (
            "coverAlt",
            before.cover_alt.as_ref(),
            after.cover_alt.as_ref(),
        ),
        (
            "coverCredit",
            before.cover_credit.as_ref(),
            after.cover_credit.as_ref(),
        ),
        ("tags", Some(&before.tags), Some(&after.tags)),
        ("audiences", Some(&before.audiences), Some(&after.audiences)),
        ("slug", Some(&before.slug), Some(&after.slug)),
    ];
    for (field, from, to) in text_fields {
        diff(&mut changes, field, from.cloned(), to.cloned());
    }
    if before.body != after.body {
        changes.insert("body", json!({ "changed": true, "fromLength": before.body.chars().count(), "toLength": after.body.chars().count() }));
    }
    if before.media != after.media {
        changes.insert("media", json!({ "changed": true }));
    }
    let updated = article::Entity::update_many()
        .set(article::ActiveModel {
            slug: Set(after.slug.clone()),
            title: Set(after.title.clone()),
            summary: Set(after.summary.clone()),
            easy_read_summary: Set(after.easy_read_summary.clone()),
            body: Set(after.body.clone()),
            search_text: Set(after.search_text.clone()),
            author_name: Set(after.author_name.clone()),
            cover_url: Set(after.cover_url.clone()),
            cover_alt: Set(after.cover_alt.clone()),
            cover_credit: Set(after.cover_credit.clone()),
            media: Set(after.media.clone()),
            tags: Set(after.tags.clone()),
            audiences: Set(after.audiences.clone()),
            updated_at: Set(now),
            version: Set(after.version),
            ..Default::default()
        })
        .filter(article::Column::Id.eq(id))
        .filter(article::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        let current = load(&txn, id).await?;
        return Err(stale(expected_version, current.version));
    }
    for (field, ids) in [
        ("organizations", &change.organizations),
        ("neighborhoods", &change.neighborhoods),
        ("relatedEvents", &change.events),
        ("relatedPlaces", &change.places),
    ] {
        if let Some(ids) = ids {
            changes.insert(field, json!({ "to": ids }));
        }
    }
    replace_links(
        &txn,
        id,
        change.organizations.as_deref(),
        change.neighborhoods.as_deref(),
        change.events.as_deref(),
        change.places.as_deref(),
    )
    .await?;
    revision(&txn, &after, actor, now).await?;
    audit(
        &txn,
        actor,
        ItemKind::Article,
        id,
        "UPDATE",
        json!(changes),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Moves an article along its workflow (`publish_at` for scheduling).
pub async fn transition(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    transition: Transition,
    publish_at: Option<DateTime<Utc>>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let before = load(&txn, id).await?;
    if before.version != expected_version {
        return Err(stale(expected_version, before.version));
    }
    let from = ArticleStatus::from_code(&before.status).unwrap_or(ArticleStatus::Draft);
    let to = transition.apply(from).map_err(StorageError::BadRequest)?;
    let mut after = before.clone();
    after.status = to.code().to_owned();
    after.version += 1;
    after.updated_at = now;
    match transition {
        Transition::SubmitForReview => after.review_requested_at = Some(now),
        Transition::Publish => {
            // A re-published archive keeps its date; anything else is published now.
            if from != ArticleStatus::Archived || before.published_at.is_none() {
                after.published_at = Some(now);
            }
            after.review_requested_at = None;
        }
        Transition::Schedule => after.published_at = publish_at,
        Transition::Unpublish => after.published_at = None,
        Transition::Archive => {}
    }
    let updated = article::Entity::update_many()
        .set(article::ActiveModel {
            status: Set(after.status.clone()),
            published_at: Set(after.published_at),
            review_requested_at: Set(after.review_requested_at),
            updated_at: Set(now),
            version: Set(after.version),
            ..Default::default()
        })
        .filter(article::Column::Id.eq(id))
        .filter(article::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        let current = load(&txn, id).await?;
        return Err(stale(expected_version, current.version));
    }
    let changes = json!({
        "status": { "from": before.status, "to": after.status },
        "publishedAt": { "from": before.published_at, "to": after.published_at },
    });
    audit(
        &txn,
        actor,
        ItemKind::Article,
        id,
        transition.action(),
        changes,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a draft (published articles are archived, not deleted).
pub async fn delete_draft(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let txn = db.begin_write().await?;
    let before = load(&txn, id).await?;
    if before.version != expected_version {
        return Err(stale(expected_version, before.version));
    }
    if before.status != ArticleStatus::Draft.code() {
        return Err(StorageError::BadRequest(format!(
            "only drafts are deleted; a {} article is unpublished or archived instead",
            before.status
        )));
    }
    slug_history::Entity::delete_many()
        .filter(slug_history::Column::ItemId.eq(id))
        .exec(&txn)
        .await?;
    article::Entity::delete_many()
        .filter(article::Column::Id.eq(id))
        .filter(article::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        actor,
        ItemKind::Article,
        id,
        "DELETE",
        json!({ "title": before.title, "slug": before.slug }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Publishes every scheduled article whose time has come, and returns their ids. Each
/// article is switched by exactly one caller: the switch is one conditional UPDATE, so a
/// concurrent scheduler (another replica) finds nothing left to switch.
pub async fn publish_due(db: &Database, now: DateTime<Utc>) -> Result<Vec<Uuid>, StorageError> {
    #[derive(FromQueryResult)]
    struct Published {
        id: Uuid,
    }
    let txn = db.begin_write().await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE articles SET status = 'PUBLISHED', version = version + 1, updated_at = ")
        .bind(now)
        .push(" WHERE status = 'SCHEDULED' AND published_at <= ")
        .bind(now)
        .push(" RETURNING id");
    let ids: Vec<Uuid> = Published::find_by_statement(sql.build())
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let actor = Actor::scheduler();
    for &id in &ids {
        audit(
            &txn,
            &actor,
            ItemKind::Article,
            id,
            "PUBLISH",
            json!({ "status": { "from": "SCHEDULED", "to": "PUBLISHED" } }),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// The revisions of an article, newest first.
pub async fn revisions(
    db: &Database,
    article_id: Uuid,
) -> Result<Vec<article_revision::Model>, StorageError> {
    Ok(article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.eq(article_id))
        .order_by_desc(article_revision::Column::Version)
        .all(db.connection())
        .await?)
}

/// A post to record.
#[derive(Debug, Clone)]
pub struct NewSocialPost {
    /// `ItemKind::Article` or `EVENT`.
    pub item_kind: ItemKind,
    /// The item announced.
    pub item_id: Uuid,
    /// The network's code.
    pub network: String,
    /// The post's normalised address.
    pub url: String,
    /// When it was posted.
    pub posted_at: DateTime<Utc>,
}

/// Records a post announcing an item (once per address: recording it again returns the
/// existing record).
pub async fn record_social_post(
    db: &Database,
    post: NewSocialPost,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<social_post::Model, StorageError> {
    let txn = db.begin_write().await?;
    let existing = social_post::Entity::find()
        .filter(social_post::Column::ItemKind.eq(post.item_kind.code()))
        .filter(social_post::Column::ItemId.eq(post.item_id))
        .filter(social_post::Column::Url.eq(post.url.clone()))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    let row = social_post::Model {
        id: capitole_domain::ids::new_id(),
        item_kind: post.item_kind.code().to_owned(),
        item_id: post.item_id,
        network: post.network,
        url: post.url,
        posted_at: post.posted_at,
        recorded_by: actor.user_id,
        created_at: now,
    };
    social_post::Entity::insert(social_post::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        actor,
        post.item_kind,
        post.item_id,
        "RECORD_SOCIAL_POST",
        json!({ "network": row.network, "url": row.url }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The post with this id.
pub async fn social_post(
    db: &Database,
    id: Uuid,
) -> Result<Option<social_post::Model>, StorageError> {
    Ok(social_post::Entity::find_by_id(id)
        .one(db.connection())
        .await?)
}

/// Removes a recorded post.
pub async fn remove_social_post(
    db: &Database,
    post: &social_post::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let txn = db.begin_write().await?;
    social_post::Entity::delete_by_id(post.id)
        .exec(&txn)
        .await?;
    let kind = ItemKind::from_code(&post.item_kind).ok_or(StorageError::NotFound)?;
    audit(
        &txn,
        actor,
        kind,
        post.item_id,
        "REMOVE_SOCIAL_POST",
        json!({ "network": post.network, "url": post.url }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The posts announcing each of these items, oldest first, in one statement.
pub async fn social_posts_of(
    db: &Database,
    item_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<social_post::Model>>, StorageError> {
    let mut grouped: std::collections::HashMap<Uuid, Vec<social_post::Model>> =
        std::collections::HashMap::new();
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
