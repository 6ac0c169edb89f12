//! What the storage of residents' activity (check-ins, tips, reactions) shares: the error
//! of its writes, the person's lock and the counts behind the daily limits, the counters of
//! places and tips that each write moves in its own transaction (so that statistics stay
//! exact under concurrent writes and cost one lookup to read) and their recount after an
//! erasure, and the statements that read one figure or the latest rows of many keys at
//! once.

use std::collections::HashMap;

use capitole_domain::community::{DailyLimit, Refusal, Vote, rating};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult};
use uuid::Uuid;

use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::place_stat;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Why a resident's write did not go through.
#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    /// The rules refuse it (the refusal's message says why).
    #[error("{0}")]
    Refused(Refusal),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<Refusal> for ActivityError {
    fn from(refusal: Refusal) -> Self {
        ActivityError::Refused(refusal)
    }
}

impl From<sea_orm::DbErr> for ActivityError {
    fn from(error: sea_orm::DbErr) -> Self {
        ActivityError::Storage(error.into())
    }
}

/// Serialises one person's writes, so that rules such as the daily limits hold under
/// concurrent requests (SQLite transactions are serialised already).
pub(crate) async fn lock_person(
    txn: &DatabaseTransaction,
    user_id: Uuid,
) -> Result<(), StorageError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("SELECT id FROM users WHERE id = ")
            .bind(user_id)
            .push(" FOR UPDATE");
        txn.query_one_raw(sql.build()).await?;
    }
    Ok(())
}

/// Takes the person's lock and refuses the write when their rows of `table` (which has
/// `user_id` and `created_at`) in the limit's window already reach it.
pub(crate) async fn within_daily_limit(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    table: &str,
    limit: DailyLimit,
    now: DateTime<Utc>,
) -> Result<(), ActivityError> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    lock_person(txn, user_id).await?;
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("SELECT COUNT(*) AS n FROM ")
        .push(table)
        .push(" WHERE user_id = ")
        .bind(user_id)
        .push(" AND created_at >= ")
        .bind(limit.counts_from(now));
    let done = Count::find_by_statement(sql.build())
        .one(txn)
        .await?
        .map_or(0, |c| u64::try_from(c.n).unwrap_or(0));
    if limit.allows(done) {
        Ok(())
    } else {
        Err(Refusal::DailyLimit(limit).into())
    }
}

/// A counter of `place_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceCounter {
    CheckIns,
    Visitors,
    Tips,
    Likes,
    Dislikes,
}

impl PlaceCounter {
    const ALL: [PlaceCounter; 5] = [
        PlaceCounter::CheckIns,
        PlaceCounter::Visitors,
        PlaceCounter::Tips,
        PlaceCounter::Likes,
        PlaceCounter::Dislikes,
    ];

    fn column(self) -> &'static str {
        match self {
            PlaceCounter::CheckIns => "check_ins",
            PlaceCounter::Visitors => "visitors",
            PlaceCounter::Tips => "tips",
            PlaceCounter::Likes => "likes",
            PlaceCounter::Dislikes => "dislikes",
        }
    }

    /// The counter of a vote.
    pub(crate) fn of(vote: Vote) -> Self {
        match vote {
            Vote::Like => PlaceCounter::Likes,
            Vote::Dislike => PlaceCounter::Dislikes,
        }
    }
}

/// Adds to a place's counters, in one statement (the place's row of `place_stats` is made
/// on its first activity).
pub(crate) async fn add_to_place(
    txn: &DatabaseTransaction,
    place_id: Uuid,
    deltas: &[(PlaceCounter, i64)],
) -> Result<(), StorageError> {
    let delta = |counter: PlaceCounter| {
        deltas
            .iter()
            .filter(|(c, _)| *c == counter)
            .map(|(_, d)| d)
            .sum::<i64>()
    };
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push(
        "INSERT INTO place_stats (place_id, check_ins, visitors, tips, likes, dislikes) VALUES (",
    )
    .bind(place_id);
    for counter in PlaceCounter::ALL {
        sql.push(", ").bind(delta(counter));
    }
    sql.push(") ON CONFLICT (place_id) DO UPDATE SET ");
    for (i, (counter, _)) in deltas.iter().enumerate() {
        let column = counter.column();
        if i > 0 {
            sql.push(", ");
        }
        sql.push(column)
            .push(" = place_stats.")
            .push(column)
            .push(" + excluded.")
            .push(column);
    }
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Brings a place's rating up to date with its likes and dislikes; returns them.
pub(crate) async fn refresh_rating(
    txn: &DatabaseTransaction,
    place_id: Uuid,
) -> Result<(i64, i64), StorageError> {
    let stats = place_stat::Entity::find_by_id(place_id).one(txn).await?;
    let (likes, dislikes) = stats.map_or((0, 0), |s| (s.likes, s.dislikes));
    let value = rating(
        u64::try_from(likes).unwrap_or(0),
        u64::try_from(dislikes).unwrap_or(0),
    );
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("UPDATE places SET rating = ")
        .bind(value)
        .push(" WHERE id = ")
        .bind(place_id);
    txn.execute_raw(sql.build()).await?;
    Ok((likes, dislikes))
}

/// Adds one to a tip's counter (`like_count` or `report_count`).
pub(crate) async fn count_one_more(
    txn: &DatabaseTransaction,
    tip_id: Uuid,
    column: &str,
) -> Result<(), StorageError> {
    let mut sql = Sql::new(txn.get_database_backend());
    sql.push("UPDATE tips SET ")
        .push(column)
        .push(" = ")
        .push(column)
        .push(" + 1 WHERE id = ")
        .bind(tip_id);
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// The places and tips a person's activity counts in.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    places: Vec<Uuid>,
    tips: Vec<Uuid>,
}

/// What `user_id`'s check-ins, tips, votes, likes and reports count in, read before they
/// go.
pub(crate) async fn touched_by(
    txn: &DatabaseTransaction,
    user_id: Uuid,
) -> Result<Touched, StorageError> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let ids = |sql: Sql| async move {
        Ok::<Vec<Uuid>, StorageError>(
            Id::find_by_statement(sql.build())
                .all(txn)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect(),
        )
    };
    let backend = txn.get_database_backend();
    let mut places = Sql::new(backend);
    places
        .push("SELECT place_id AS id FROM check_ins WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT place_id AS id FROM tips WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT place_id AS id FROM place_votes WHERE user_id = ")
        .bind(user_id);
    let mut tips = Sql::new(backend);
    tips.push("SELECT tip_id AS id FROM tip_likes WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT tip_id AS id FROM tip_reports WHERE user_id = ")
        .bind(user_id);
    Ok(Touched {
        places: ids(places).await?,
        tips: ids(tips).await?,
    })
}

/// Counts again, from the rows themselves, the figures of these places and tips, and
/// brings the places' ratings up to date. Popularity follows at the next fold of
/// check-ins (`check_ins::fold_popularity`), which takes away what the recount removed.
pub(crate) async fn recount(
    txn: &DatabaseTransaction,
    touched: &Touched,
) -> Result<(), StorageError> {
    let backend = txn.get_database_backend();
    for chunk in touched.tips.chunks(500) {
        let mut sql = Sql::new(backend);
        sql.push(
            "UPDATE tips SET like_count = (SELECT COUNT(*) FROM tip_likes l WHERE l.tip_id = tips.id), \
             report_count = (SELECT COUNT(*) FROM tip_reports r WHERE r.tip_id = tips.id) WHERE id IN ",
        )
        .bind_list(chunk.iter().copied());
        txn.execute_raw(sql.build()).await?;
    }
    for chunk in touched.places.chunks(500) {
        let mut sql = Sql::new(backend);
        sql.push(
            "UPDATE place_stats SET \
             check_ins = (SELECT COUNT(*) FROM check_ins c WHERE c.place_id = place_stats.place_id), \
             visitors = (SELECT COUNT(DISTINCT c.user_id) FROM check_ins c WHERE c.place_id = place_stats.place_id), \
             tips = (SELECT COUNT(*) FROM tips t WHERE t.place_id = place_stats.place_id AND t.hidden_at IS NULL), \
             likes = (SELECT COUNT(*) FROM place_votes v WHERE v.place_id = place_stats.place_id AND v.vote = ",
        )
        .bind(Vote::Like.code())
        .push(
            "), dislikes = (SELECT COUNT(*) FROM place_votes v WHERE v.place_id = place_stats.place_id AND v.vote = ",
        )
        .bind(Vote::Dislike.code())
        .push(") WHERE place_id IN ")
        .bind_list(chunk.iter().copied());
        txn.execute_raw(sql.build()).await?;
        for &place_id in chunk {
            refresh_rating(txn, place_id).await?;
        }
    }
    Ok(())
}

/// How many rows of `table` each key has in `key_column`, in one statement: `counted` is
/// what is counted (`COUNT(*)`, `COUNT(DISTINCT user_id)`), `since` (if any) keeps the rows
/// created from then on. Keys without rows are left out.
pub(crate) async fn count_per_key(
    db: &Database,
    table: &str,
    key_column: &str,
    counted: &str,
    keys: &[Uuid],
    since: Option<DateTime<Utc>>,
) -> Result<HashMap<Uuid, i64>, StorageError> {
    #[derive(FromQueryResult)]
    struct Row {
        k: Uuid,
        n: i64,
    }
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(key_column)
        .push(" AS k, ")
        .push(counted)
        .push(" AS n FROM ")
        .push(table)
        .push(" WHERE ")
        .push(key_column)
        .push(" IN ")
        .bind_list(keys.iter().copied());
    if let Some(since) = since {
        sql.push(" AND created_at >= ").bind(since);
    }
    sql.push(" GROUP BY ").push(key_column);
    Ok(Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .map(|r| (r.k, r.n))
        .collect())
}

/// Which rows [`latest_of_each`] reads.
pub(crate) struct Latest {
    /// `SELECT <columns> FROM <table>`.
    pub select: &'static str,
    /// The column that holds the key.
    pub key_column: &'static str,
    /// More conditions, each starting with ` AND`.
    pub condition: &'static str,
}

/// The latest rows (by `created_at`, then `id`) of each key, `per_key` at most, latest
/// first, in one statement: a union of one index-ordered `LIMIT` per key, so that a key
/// with many rows costs no more than one with few.
pub(crate) async fn latest_of_each<M: FromQueryResult>(
    db: &Database,
    rows: Latest,
    keys: &[Uuid],
    per_key: usize,
    key_and_order: impl Fn(&M) -> (Uuid, DateTime<Utc>, Uuid),
) -> Result<HashMap<Uuid, Vec<M>>, StorageError> {
    let mut grouped: HashMap<Uuid, Vec<M>> = HashMap::new();
    if keys.is_empty() {
        return Ok(grouped);
    }
    let mut sql = Sql::new(db.db_backend());
    for (i, &key) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT * FROM (")
            .push(rows.select)
            .push(" WHERE ")
            .push(rows.key_column)
            .push(" = ")
            .uuid(key)
            .push(rows.condition)
            .push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .number(per_key)
            .push(") AS latest")
            .number(i);
    }
    for row in M::find_by_statement(sql.build())
        .all(db.connection())
        .await?
    {
        grouped.entry(key_and_order(&row).0).or_default().push(row);
    }
    for group in grouped.values_mut() {
        group.sort_by(|a, b| {
            let (_, a_at, a_id) = key_and_order(a);
            let (_, b_at, b_id) = key_and_order(b);
            b_at.cmp(&a_at).then(b_id.cmp(&a_id))
        });
    }
    Ok(grouped)
}

/// The sort key of a latest-first list.
#[derive(serde::Serialize, serde::Deserialize)]
struct LatestKey(DateTime<Utc>, Uuid);

/// The cursor of a row with this time and id in a latest-first list.
pub(crate) fn latest_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    cursor::encode(&LatestKey(at, id))
}

/// A page of a latest-first list (by `created_at`, then `id`): `sql` selects the rows of
/// table alias `alias` and ends with its conditions (`... WHERE c.user_id = $1`); the
/// page's keyset condition, order and limit follow.
pub(crate) async fn latest_first<M: FromQueryResult>(
    db: &Database,
    mut sql: Sql,
    alias: &str,
    request: &PageRequest,
    at_and_id: impl Fn(&M) -> (DateTime<Utc>, Uuid),
) -> Result<Page<M>, StorageError> {
    let (at, id) = (format!("{alias}.created_at"), format!("{alias}.id"));
    let keyset = [
        (at.as_str(), Sort::Descending),
        (id.as_str(), Sort::Descending),
    ];
    Keyset(&keyset).push_page(&mut sql, request, |LatestKey(at, id)| {
        vec![at.into(), id.into()]
    })?;
    let rows = M::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |row| {
        let (at, id) = at_and_id(row);
        latest_cursor(at, id)
    }))
}
