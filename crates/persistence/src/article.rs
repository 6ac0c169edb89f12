//! Writes of articles, each in one transaction with its audit entry, its revision and its
//! change log entry: create, update (with optimistic concurrency on `version`), steps of the
//! workflow, deletion of drafts, and the publication of scheduled articles exactly once,
//! however many replicas run the scheduler. Writes take the domain's checked values and
//! encode the columns here: tags and audiences as `|CODE|` lists, media as JSON, the cover
//! as three columns; publishers and categories are link tables, kept in order. The lists of news and their visibility are in `crate::articles`.

use capitole_domain::audit::AuditAction;
use std::collections::BTreeMap;

use capitole_domain::Audience;
use capitole_domain::article::{ArticleStatus, Publication, Transition};
use capitole_domain::article_draft::{ArticleContent, ContentPatch, Cover, LinkIds};
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::text::{encode_codes, fold};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::changes::{self, NewChange};
use crate::entities::{article, article_category, article_revision, category, slug_history};
use crate::publishers::{self, Published};
use crate::slugs;
use crate::sql::Sql;
use crate::{Database, StorageError, stored_lists};

/// The article with this id, whatever its status (for editorial checks).
pub async fn find(db: &Database, id: Uuid) -> Result<Option<article::Model>, StorageError> {
    Ok(article::Entity::find_by_id(id).one(db.connection()).await?)
}

/// The organizations that publish an article, in order.
pub async fn publishers(db: &Database, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    publishers::ids_of_one(db.connection(), Published::Article, id).await
}

/// Where a stored article stands in its publication.
pub fn publication(row: &article::Model) -> Publication {
    Publication {
        status: ArticleStatus::from_code(&row.status).unwrap_or(ArticleStatus::Draft),
        published_at: row.published_at,
        review_requested_at: row.review_requested_at,
    }
}

/// Creates a draft whose slug is the first free one made from its title.
pub async fn create(
    db: &Database,
    content: &ArticleContent,
    links: &LinkIds,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let slug = slugs::free(&txn, ItemKind::Article, content.slug().as_str(), None).await?;
    let (cover_url, cover_alt, cover_credit) = cover_columns(content.cover.as_ref());
    let row = article::Model {
        id: capitole_domain::ids::new_id(),
        slug,
        search_text: fold(&format!("{} {}", content.title, content.summary)),
        title: content.title.clone(),
        summary: content.summary.clone(),
        easy_read_summary: content.easy_read_summary.clone(),
        body: content.body.clone(),
        status: ArticleStatus::Draft.code().to_owned(),
        published_at: None,
        author_name: content.author_name.clone(),
        cover_url,
        cover_alt,
        cover_credit,
        media: stored_lists::encode(&content.media),
        tags: tags_column(&content.tags),
        audiences: audiences_column(&content.audiences),
        created_at: now,
        updated_at: now,
        version: 1,
        review_requested_at: None,
    };
    article::Entity::insert(article::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    replace_links(&txn, row.id, links).await?;
    let categories = links.categories.clone().unwrap_or_default();
    revision(&txn, &row, &categories, actor, now).await?;
    let organizations = links.publishers.clone().unwrap_or_default();
    audit(
        &txn,
        actor,
        ItemKind::Article,
        row.id,
        AuditAction::Create,
        json!({ "title": row.title, "slug": row.slug, "publishers": organizations, "categories": categories }),
        now,
    )
    .await?;
    // A new article is a draft: the public never hears of it.
    let organization = organizations.first().copied();
    log(&txn, &row, ChangeKind::Created, false, organization, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Applies a change to the article at `expected_version`; a stale version is
/// [`StorageError::Stale`] and changes nothing.
pub async fn update(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    patch: &ContentPatch,
    links: &LinkIds,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let before = current(&txn, id, expected_version).await?;
    let mut after = patched(&before, patch);
    if after.slug != before.slug {
        slugs::change(&txn, ItemKind::Article, id, &before.slug, &after.slug, now).await?;
    }
    after.version = before.version + 1;
    after.updated_at = now;
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
        return Err(stale(&txn, id, expected_version).await);
    }
    let mut changes = differences(&before, &after);
    let categories_before = categories_of(&txn, id).await?;
    if let Some(categories) = links
        .categories
        .as_ref()
        .filter(|c| **c != categories_before)
    {
        changes.insert(
            "categories",
            json!({ "from": categories_before, "to": categories }),
        );
    }
    for (field, ids) in [
        ("publishers", &links.publishers),
        ("neighborhoods", &links.neighborhoods),
        ("relatedEvents", &links.events),
        ("relatedPlaces", &links.places),
    ] {
        if let Some(ids) = ids {
            changes.insert(field, json!({ "to": ids }));
        }
    }
    replace_links(&txn, id, links).await?;
    let categories = links.categories.clone().unwrap_or(categories_before);
    revision(&txn, &after, &categories, actor, now).await?;
    audit(
        &txn,
        actor,
        ItemKind::Article,
        id,
        AuditAction::Update,
        json!(changes),
        now,
    )
    .await?;
    let standing = publication(&after);
    let (change, public) = standing.change_to(&standing, now);
    let organization = match &links.publishers {
        Some(organizations) => organizations.first().copied(),
        None => first_publisher(&txn, id).await?,
    };
    log(&txn, &after, change, public, organization, now).await?;
    txn.commit().await?;
    Ok(after)
}

/// The row `before` with `patch` applied (its version and time are the caller's).
fn patched(before: &article::Model, patch: &ContentPatch) -> article::Model {
    let mut after = before.clone();
    let ContentPatch {
        title,
        summary,
        easy_read_summary,
        body,
        author_name,
        cover,
        tags,
        audiences,
        media,
        slug,
    } = patch;
    if let Some(v) = title {
        after.title.clone_from(v);
    }
    if let Some(v) = summary {
        after.summary.clone_from(v);
    }
    if let Some(v) = easy_read_summary {
        after.easy_read_summary.clone_from(v);
    }
    if let Some(v) = body {
        after.body.clone_from(v);
    }
    if let Some(v) = author_name {
        after.author_name.clone_from(v);
    }
    if let Some(v) = cover {
        (after.cover_url, after.cover_alt, after.cover_credit) = cover_columns(v.as_ref());
    }
    if let Some(v) = tags {
        after.tags = tags_column(v);
    }
    if let Some(v) = audiences {
        after.audiences = audiences_column(v);
    }
    if let Some(v) = media {
        after.media = stored_lists::encode(v);
    }
    if let Some(v) = slug {
        after.slug = v.as_str().to_owned();
    }
    after.search_text = fold(&format!("{} {}", after.title, after.summary));
    after
}

/// The fields an update changed, for the audit log: `from` and `to` of each, and only
/// whether the body and media changed (with the body's lengths).
fn differences(before: &article::Model, after: &article::Model) -> BTreeMap<&'static str, Value> {
    let mut changes = BTreeMap::new();
    let fields: [(&'static str, Option<&String>, Option<&String>); 10] = [
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
    for (field, from, to) in fields {
        if from != to {
            changes.insert(field, json!({ "from": from, "to": to }));
        }
    }
    if before.body != after.body {
        changes.insert(
            "body",
            json!({ "changed": true, "fromLength": before.body.chars().count(), "toLength": after.body.chars().count() }),
        );
    }
    if before.media != after.media {
        changes.insert("media", json!({ "changed": true }));
    }
    changes
}

/// Takes the article at `expected_version` one step along its workflow.
pub async fn transition(
    db: &Database,
    id: Uuid,
    expected_version: i64,
    step: Transition,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<article::Model, StorageError> {
    let txn = db.begin_write().await?;
    let before = current(&txn, id, expected_version).await?;
    let from = publication(&before);
    let to = step.apply(&from, now).map_err(StorageError::BadRequest)?;
    let mut after = before.clone();
    after.status = to.status.code().to_owned();
    after.published_at = to.published_at;
    after.review_requested_at = to.review_requested_at;
    after.version += 1;
    after.updated_at = now;
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
        return Err(stale(&txn, id, expected_version).await);
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
        step.action(),
        changes,
        now,
    )
    .await?;
    let (change, public) = from.change_to(&to, now);
    let organization = first_publisher(&txn, id).await?;
    log(&txn, &after, change, public, organization, now).await?;
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
    let before = current(&txn, id, expected_version).await?;
    if before.status != ArticleStatus::Draft.code() {
        return Err(StorageError::BadRequest(format!(
            "only drafts are deleted; a {} article is unpublished or archived instead",
            before.status
        )));
    }
    let organization = first_publisher(&txn, id).await?;
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
        AuditAction::Delete,
        json!({ "title": before.title, "slug": before.slug }),
        now,
    )
    .await?;
    // Only drafts are deleted, and the public never heard of them.
    log(&txn, &before, ChangeKind::Deleted, false, organization, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Publishes every scheduled article whose time has come, and returns their ids. Each
/// article is switched by exactly one caller: the switch is one conditional UPDATE, so a
/// concurrent scheduler (another replica) finds nothing left to switch, and the change log
/// hears of each publication once, in the transaction of the switch.
pub async fn publish_due(db: &Database, now: DateTime<Utc>) -> Result<Vec<Uuid>, StorageError> {
    #[derive(FromQueryResult)]
    struct Switched {
        id: Uuid,
        version: i64,
        published_at: Option<DateTime<Utc>>,
    }
    let txn = db.begin_write().await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE articles SET status = 'PUBLISHED', version = version + 1, updated_at = ")
        .bind(now)
        .push(" WHERE status = 'SCHEDULED' AND published_at <= ")
        .bind(now)
        .push(" RETURNING id, version, published_at");
    let published = Switched::find_by_statement(sql.build()).all(&txn).await?;
    let ids: Vec<Uuid> = published.iter().map(|p| p.id).collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    let first_publishers: std::collections::HashMap<Uuid, Uuid> =
        publishers::ids_of(&txn, publishers::Published::Article, &ids)
            .await?
            .into_iter()
            .filter_map(|(article, organizations)| Some((article, *organizations.first()?)))
            .collect();
    let actor = Actor::scheduler();
    for article in &published {
        audit(
            &txn,
            &actor,
            ItemKind::Article,
            article.id,
            AuditAction::Publish,
            json!({ "status": { "from": "SCHEDULED", "to": "PUBLISHED" } }),
            now,
        )
        .await?;
        let due = Publication {
            status: ArticleStatus::Scheduled,
            published_at: article.published_at,
            review_requested_at: None,
        };
        let out = Publication {
            status: ArticleStatus::Published,
            ..due
        };
        let (change, public) = due.change_to(&out, now);
        changes::append(
            &txn,
            &NewChange {
                kind: ItemKind::Article,
                id: article.id,
                change,
                version: article.version,
                organization: first_publishers.get(&article.id).copied(),
                public,
                at: now,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// Appends the change log's entry for a write that left the article as `row`.
pub(crate) async fn log(
    txn: &DatabaseTransaction,
    row: &article::Model,
    change: ChangeKind,
    public: bool,
    organization: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    changes::append(
        txn,
        &NewChange {
            kind: ItemKind::Article,
            id: row.id,
            change,
            version: row.version,
            organization,
            public,
            at: now,
        },
    )
    .await
}

/// Appends the change log's entry of an article whose posts or translations changed:
/// `UPDATED` at the version it has now, public if the article is.
pub(crate) async fn article_updated(
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

/// The first publisher of an article, the one the change log names.
pub(crate) async fn first_publisher(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Uuid>, StorageError> {
    publishers::first_of(conn, Published::Article, id).await
}

/// The categories of an article, as ids, in order.
async fn categories_of(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>, StorageError> {
    Ok(article_category::Entity::find()
        .filter(article_category::Column::ArticleId.eq(id))
        .order_by_asc(article_category::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.category_id)
        .collect())
}

/// The article, if it is at `expected_version`.
async fn current(
    txn: &DatabaseTransaction,
    id: Uuid,
    expected_version: i64,
) -> Result<article::Model, StorageError> {
    let row = article::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    if row.version == expected_version {
        Ok(row)
    } else {
        Err(StorageError::Stale {
            expected: expected_version,
            current: row.version,
        })
    }
}

/// The error of a conditional write that found the article at another version.
async fn stale(txn: &DatabaseTransaction, id: Uuid, expected_version: i64) -> StorageError {
    match article::Entity::find_by_id(id).one(txn).await {
        Ok(Some(row)) => StorageError::Stale {
            expected: expected_version,
            current: row.version,
        },
        Ok(None) => StorageError::NotFound,
        Err(e) => e.into(),
    }
}

fn cover_columns(cover: Option<&Cover>) -> (Option<String>, Option<String>, Option<String>) {
    match cover {
        Some(c) => (Some(c.url.clone()), Some(c.alt.clone()), c.credit.clone()),
        None => (None, None, None),
    }
}

fn tags_column(tags: &[String]) -> String {
    encode_codes(tags.iter().map(String::as_str))
}

fn audiences_column(audiences: &[Audience]) -> String {
    encode_codes(audiences.iter().map(|a| a.code()))
}

/// Replaces the lists of links `links` gives.
async fn replace_links(
    txn: &DatabaseTransaction,
    article_id: Uuid,
    links: &LinkIds,
) -> Result<(), StorageError> {
    if let Some(ids) = &links.publishers {
        publishers::replace(txn, Published::Article, article_id, ids).await?;
    }
    if let Some(ids) = &links.categories {
        article_category::Entity::delete_many()
            .filter(article_category::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        if !ids.is_empty() {
            let rows = ids.iter().enumerate().map(|(position, &category_id)| {
                article_category::ActiveModel {
                    article_id: Set(article_id),
                    category_id: Set(category_id),
                    position: Set(i64::try_from(position).unwrap_or(0)),
                }
            });
            article_category::Entity::insert_many(rows)
                .exec(txn)
                .await?;
        }
    }
    let lists = [
        (
            "article_neighborhoods",
            "neighborhood_id",
            &links.neighborhoods,
        ),
        ("article_events", "event_id", &links.events),
        ("article_places", "place_id", &links.places),
    ];
    for (table, column, ids) in lists {
        let Some(ids) = ids else { continue };
        let mut delete = Sql::new(txn.get_database_backend());
        delete
            .push("DELETE FROM ")
            .push(table)
            .push(" WHERE article_id = ")
            .bind(article_id);
        txn.execute_raw(delete.build()).await?;
        if ids.is_empty() {
            continue;
        }
        let mut insert = Sql::new(txn.get_database_backend());
        insert
            .push("INSERT INTO ")
            .push(table)
            .push(" (article_id, ")
            .push(column)
            .push(") VALUES ");
        for (position, id) in ids.iter().enumerate() {
            insert.push(if position == 0 { "(" } else { ", (" });
            insert.bind(article_id).push(", ").bind(*id).push(")");
        }
        txn.execute_raw(insert.build()).await?;
    }
    Ok(())
}

async fn revision(
    txn: &DatabaseTransaction,
    row: &article::Model,
    categories: &[Uuid],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    // The revision keeps the categories' slugs, in order, as it keeps tags.
    let found = category::Entity::find()
        .filter(category::Column::Id.is_in(categories.iter().copied()))
        .all(txn)
        .await?;
    let slugs: Vec<&str> = categories
        .iter()
        .filter_map(|id| found.iter().find(|c| c.id == *id))
        .map(|c| c.slug.as_str())
        .collect();
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
        categories: Set(encode_codes(slugs)),
    })
    .exec(txn)
    .await?;
    Ok(())
}
