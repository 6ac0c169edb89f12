//! What a person says of places and events without writing anything: likes and dislikes of
//! places (whose counts make the place's rating), saved items, and the dates they are going
//! to. None of it reaches the change log: saves and "going" are the person's own, and
//! votes are counters behind a figure (the rating) that readers read again, as they read a
//! place's other figures.

use std::collections::HashMap;

use capitole_domain::community::{Refusal, SavedKind, Vote};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::activity::{ActivityError, PlaceCounter, add_to_place, count_per_key, refresh_rating};
use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::{attendance, event_occurrence, place_vote, save};
use crate::rows::read_rows;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Sets (or, with `None`, withdraws) a person's vote on a place; the place's counts and
/// rating follow in the same transaction. Returns the place's (likes, dislikes).
pub async fn vote(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    vote: Option<Vote>,
    now: DateTime<Utc>,
) -> Result<(i64, i64), ActivityError> {
    #[derive(FromQueryResult)]
    struct Before {
        vote: Option<String>,
    }
    let txn = db.begin_write().await?;
    // The place and the person's vote on it, in one statement.
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT v.vote FROM places p LEFT JOIN place_votes v ON v.place_id = p.id AND v.user_id = ",
    )
    .bind(user_id)
    .push(" WHERE p.id = ")
    .bind(place_id);
    let before = Before::find_by_statement(sql.build())
        .one(&txn)
        .await?
        .ok_or(Refusal::UnknownPlace)?
        .vote
        .and_then(|v| Vote::from_code(&v));
    if before != vote {
        if let Some(old) = before {
            add_to_place(&txn, place_id, &[(PlaceCounter::of(old), -1)]).await?;
        }
        place_vote::Entity::delete_by_id((place_id, user_id))
            .exec(&txn)
            .await?;
        if let Some(new) = vote {
            place_vote::Entity::insert(place_vote::ActiveModel {
                place_id: Set(place_id),
                user_id: Set(user_id),
                vote: Set(new.code().to_owned()),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
            add_to_place(&txn, place_id, &[(PlaceCounter::of(new), 1)]).await?;
        }
    }
    let counts = refresh_rating(&txn, place_id).await?;
    txn.commit().await?;
    Ok(counts)
}

/// Saves an item to a person's list (or, with `saved` false, removes it).
pub async fn set_saved(
    db: &Database,
    user_id: Uuid,
    kind: SavedKind,
    item_id: Uuid,
    saved: bool,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if saved {
        save::Entity::insert(save::ActiveModel {
            user_id: Set(user_id),
            item_kind: Set(kind.code().to_owned()),
            item_id: Set(item_id),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([
            save::Column::UserId,
            save::Column::ItemKind,
            save::Column::ItemId,
        ])
        .exec(db.connection())
        .await?;
    } else {
        save::Entity::delete_by_id((user_id, kind.code().to_owned(), item_id))
            .exec(db.connection())
            .await?;
    }
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SaveKey(DateTime<Utc>, Uuid, String);

/// A page of a person's saved items, latest first.
pub async fn saves_of(
    db: &Database,
    user_id: Uuid,
    request: &PageRequest,
) -> Result<Page<save::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT s.* FROM saves s WHERE s.user_id = ")
        .bind(user_id);
    let keyset = Keyset(&[
        ("s.created_at", Sort::Descending),
        ("s.item_id", Sort::Descending),
        ("s.item_kind", Sort::Descending),
    ]);
    keyset.push_page(&mut sql, request, |SaveKey(at, id, kind)| {
        vec![at.into(), id.into(), kind.into()]
    })?;
    let rows = save::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |s| {
        cursor::encode(&SaveKey(s.created_at, s.item_id, s.item_kind.clone()))
    }))
}

/// How many items a person saved.
pub async fn save_count(db: &Database, user_id: Uuid) -> Result<u64, StorageError> {
    Ok(save::Entity::find()
        .filter(save::Column::UserId.eq(user_id))
        .count(db.connection())
        .await?)
}

/// Says a person is going (or, with `going` false, no longer going) to a date of an event
/// that exists; returns the date.
pub async fn set_going(
    db: &Database,
    user_id: Uuid,
    occurrence_id: Uuid,
    going: bool,
    now: DateTime<Utc>,
) -> Result<event_occurrence::Model, ActivityError> {
    let date = event_occurrence::Entity::find_by_id(occurrence_id)
        .one(db.connection())
        .await?
        .ok_or(Refusal::UnknownDate)?;
    if going {
        attendance::Entity::insert(attendance::ActiveModel {
            user_id: Set(user_id),
            occurrence_id: Set(occurrence_id),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([attendance::Column::UserId, attendance::Column::OccurrenceId])
        .exec(db.connection())
        .await?;
    } else {
        attendance::Entity::delete_by_id((user_id, occurrence_id))
            .exec(db.connection())
            .await?;
    }
    Ok(date)
}

/// How many people are going to each of these dates, in one statement.
pub async fn attendees_of(
    db: &Database,
    occurrence_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, StorageError> {
    count_per_key(
        db,
        "attendances",
        "occurrence_id",
        "COUNT(*)",
        occurrence_ids,
        None,
    )
    .await
}

/// A page of the dates a person is going to that have not started, soonest first.
pub async fn going_of(
    db: &Database,
    user_id: Uuid,
    now: DateTime<Utc>,
    request: &PageRequest,
) -> Result<Page<event_occurrence::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    push_going(&mut sql, "SELECT o.*", user_id, now);
    crate::events::OCCURRENCE_ORDER.push_page(&mut sql, request, |key| {
        crate::events::occurrence_key_values(key)
    })?;
    let rows = event_occurrence::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(
        rows,
        request,
        crate::events::occurrence_cursor,
    ))
}

/// How many dates that have not started a person is going to.
pub async fn going_count(
    db: &Database,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    push_going(&mut sql, "SELECT COUNT(*) AS n", user_id, now);
    crate::places::count_of(db, sql).await
}

/// Whether a person is going to a date of an event that is to come or started less than a
/// day ago.
pub async fn is_going_to_event(
    db: &Database,
    user_id: Uuid,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    push_going(
        &mut sql,
        "SELECT COUNT(*) AS n",
        user_id,
        now - chrono::Duration::days(1),
    );
    sql.push(" AND o.event_id = ").bind(event_id);
    Ok(crate::places::count_of(db, sql).await? > 0)
}

/// The people going to a date of an event that is to come or started less than a day ago.
pub async fn going_to_event(
    db: &Database,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StorageError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Person {
        user_id: Uuid,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT DISTINCT a.user_id FROM event_occurrences o JOIN attendances a ON a.occurrence_id = o.id WHERE o.event_id = ")
        .bind(event_id)
        .push(" AND o.starts_at >= ")
        .bind(now - chrono::Duration::days(1));
    Ok(Person::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}

fn push_going(sql: &mut Sql, select: &str, user_id: Uuid, now: DateTime<Utc>) {
    sql.push(select)
        .push(" FROM event_occurrences o JOIN attendances a ON a.occurrence_id = o.id WHERE a.user_id = ")
        .bind(user_id)
        .push(" AND o.starts_at >= ")
        .bind(now);
}

/// The slugs of the categories a person has shown interest in: those of the places they
/// checked in at or saved, of the events they saved or are going to, and of the articles
/// they saved, in one statement.
pub async fn interests_of(db: &Database, user_id: Uuid) -> Result<Vec<String>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT c.slug FROM categories c WHERE c.id IN (")
        .push("SELECT l.category_id FROM place_categories l JOIN check_ins k ON k.place_id = l.place_id WHERE k.user_id = ")
        .bind(user_id)
        .push(" UNION SELECT l.category_id FROM place_categories l JOIN saves s ON s.item_id = l.place_id WHERE s.user_id = ")
        .bind(user_id)
        .push(" UNION SELECT l.category_id FROM event_categories l JOIN saves s ON s.item_id = l.event_id WHERE s.user_id = ")
        .bind(user_id)
        .push(" UNION SELECT l.category_id FROM event_categories l JOIN event_occurrences o ON o.event_id = l.event_id JOIN attendances a ON a.occurrence_id = o.id WHERE a.user_id = ")
        .bind(user_id)
        .push(" UNION SELECT l.category_id FROM article_categories l JOIN saves s ON s.item_id = l.article_id WHERE s.user_id = ")
        .bind(user_id)
        .push(") ORDER BY c.slug");
    read_rows(db, sql, |row| row.get::<String>()).await
}
