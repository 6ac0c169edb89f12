//! Slugs of articles, events and places: a new item takes the first free slug of its
//! title, and a slug an item leaves keeps resolving to it (the slug history), so that
//! shared links never break. One set of functions serves every kind of item.

use capitole_domain::change::ItemKind;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, FromQueryResult};
use uuid::Uuid;

use crate::entities::slug_history;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// The table holding the items of `kind` (only kinds with slugs are asked for).
fn table_of(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Article => "articles",
        ItemKind::Event => "events",
        ItemKind::Place => "places",
        ItemKind::Tip => "tips",
        ItemKind::Organization => "organizations",
    }
}

/// Whether another item of `kind` than `except` has `slug`, now or before.
pub(crate) async fn taken(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    slug: &str,
    except: Option<Uuid>,
) -> Result<bool, StorageError> {
    #[derive(FromQueryResult)]
    struct Holder {
        id: Uuid,
    }
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT id FROM ")
        .push(table_of(kind))
        .push(" WHERE slug = ")
        .bind(slug);
    let current = Holder::find_by_statement(sql.build()).one(conn).await?;
    if current.is_some_and(|h| Some(h.id) != except) {
        return Ok(true);
    }
    let retired = slug_history::Entity::find_by_id((kind.code().to_owned(), slug.to_owned()))
        .one(conn)
        .await?;
    Ok(retired.is_some_and(|r| Some(r.item_id) != except))
}

/// The first free slug among `base`, `base-2`, `base-3`… (current and retired slugs of
/// other items of the kind count as taken).
pub(crate) async fn free(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    base: &str,
    except: Option<Uuid>,
) -> Result<String, StorageError> {
    if !taken(conn, kind, base, except).await? {
        return Ok(base.to_owned());
    }
    let stem: String = base.chars().take(110).collect();
    let stem = stem.trim_end_matches('-');
    for n in 2..1_000 {
        let candidate = format!("{stem}-{n}");
        if !taken(conn, kind, &candidate, except).await? {
            return Ok(candidate);
        }
    }
    Err(StorageError::Conflict {
        field: "slug".into(),
    })
}

/// Moves an item from slug `old` to `new`; `old` keeps resolving to it. A slug another item
/// has, or had, is a conflict.
pub(crate) async fn change(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    id: Uuid,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if taken(conn, kind, new, Some(id)).await? {
        return Err(StorageError::Conflict {
            field: "slug".into(),
        });
    }
    slug_history::Entity::delete_by_id((kind.code().to_owned(), new.to_owned()))
        .exec(conn)
        .await?;
    slug_history::Entity::insert(slug_history::ActiveModel {
        kind: Set(kind.code().to_owned()),
        slug: Set(old.to_owned()),
        item_id: Set(id),
        retired_at: Set(now),
    })
    .exec(conn)
    .await?;
    Ok(())
}

/// The item of `kind` that had `slug` before, if any.
pub async fn retired(
    db: &Database,
    kind: ItemKind,
    slug: &str,
) -> Result<Option<Uuid>, StorageError> {
    Ok(
        slug_history::Entity::find_by_id((kind.code().to_owned(), slug.to_owned()))
            .one(db.connection())
            .await?
            .map(|r| r.item_id),
    )
}
