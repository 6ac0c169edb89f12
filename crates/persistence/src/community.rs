//! What residents add to places and events, each write in one transaction with the
//! counters it moves, so that statistics stay exact under concurrent writes and cost one
//! lookup to read: check-ins (with a cooldown and idempotency keys), tips with likes,
//! reports and moderation, likes and dislikes of places, saved items, and "going".

use std::collections::HashMap;

use capitole_domain::change::ItemKind;
use capitole_domain::community::{CHECK_IN_COOLDOWN, Vote, rating};
use capitole_domain::geo::{Coordinates, RadiusMeters};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, audit};
use crate::cursor::{self, Page};
use crate::entities::{
    attendance, check_in, event_occurrence, place, place_stat, place_vote, save, tip, tip_like,
    tip_report, user,
};
use crate::sql::Sql;
use crate::{Backend, Database, StorageError};

/// Check-ins one person may make in a day, all places together.
pub const CHECK_INS_PER_DAY: u64 = 50;
/// Tips one person may leave in a day.
pub const TIPS_PER_DAY: u64 = 20;
/// Tips one person may report in a day.
pub const REPORTS_PER_DAY: u64 = 20;

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    /// Checked in at this place less than the cooldown ago.
    #[error("you checked in here less than 30 minutes ago; try again after {0}")]
    TooSoon(DateTime<Utc>),
    /// A daily limit is reached.
    #[error("{0}")]
    Limit(String),
    /// An idempotency key was used before for another request.
    #[error("this idempotency key was used for a check-in at another place")]
    KeyReused,
    /// No place has this id.
    #[error("no place has this id")]
    UnknownPlace,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sea_orm::DbErr> for CommunityError {
    fn from(error: sea_orm::DbErr) -> Self {
        CommunityError::Storage(error.into())
    }
}

/// Serialises one person's writes, so that rules such as the cooldown hold under
/// concurrent requests (SQLite transactions are serialised already).
async fn lock_user(
    txn: &DatabaseTransaction,
    db: &Database,
    user_id: Uuid,
) -> Result<(), StorageError> {
    if db.backend() == Backend::Postgres {
        let mut sql = Sql::new(db.db_backend());
        sql.push("SELECT id FROM users WHERE id = ")
            .bind(user_id)
            .push(" FOR UPDATE");
        txn.query_one_raw(sql.build()).await?;
    }
    Ok(())
}

async fn bump_stats(
    txn: &DatabaseTransaction,
    db: &Database,
    place_id: Uuid,
    column: &str,
    delta: i64,
) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "INSERT INTO place_stats (place_id, check_ins, visitors, tips, likes, dislikes) VALUES (",
    )
    .bind(place_id)
    .push(", 0, 0, 0, 0, 0) ON CONFLICT (place_id) DO NOTHING");
    txn.execute_raw(sql.build()).await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE place_stats SET ")
        .push(column)
        .push(" = ")
        .push(column)
        .push(" + ")
        .bind(delta)
        .push(" WHERE place_id = ")
        .bind(place_id);
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

async fn count_since<E, C>(
    txn: &DatabaseTransaction,
    query: sea_orm::Select<E>,
    column: C,
    since: DateTime<Utc>,
) -> Result<u64, StorageError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    Ok(query.filter(column.gte(since)).count(txn).await?)
}

/// What a check-in came to.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// The check-in.
    pub check_in: check_in::Model,
    /// True when the same idempotency key had already made it: nothing new was stored.
    pub replayed: bool,
}

/// Checks a person in at a place: at most once per place every 30 minutes and
/// [`CHECK_INS_PER_DAY`] times a day; a retried request with the same idempotency key gets
/// the first check-in back. Moves the place's counters in the same transaction; its
/// popularity takes the check-in in at the next [`fold_popularity`].
pub async fn check_in(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    message: Option<String>,
    idempotency_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<CheckedIn, CommunityError> {
    let row = check_in::Model {
        id: capitole_domain::ids::new_id(),
        user_id,
        place_id,
        created_at: now,
        message,
        idempotency_key,
    };
    let outcome = if db.backend() == Backend::Postgres {
        check_in_postgres(db, &row).await?
    } else {
        check_in_in_transaction(db, &row).await?
    };
    match outcome {
        CheckInOutcome::Created => Ok(CheckedIn {
            check_in: row,
            replayed: false,
        }),
        CheckInOutcome::Replayed(earlier) if earlier.place_id == place_id => Ok(CheckedIn {
            check_in: earlier,
            replayed: true,
        }),
        CheckInOutcome::Replayed(_) => Err(CommunityError::KeyReused),
        CheckInOutcome::TooSoon(last) => Err(CommunityError::TooSoon(last + CHECK_IN_COOLDOWN)),
        CheckInOutcome::DailyLimit => Err(CommunityError::Limit(format!(
            "at most {CHECK_INS_PER_DAY} check-ins a day; try again tomorrow"
        ))),
        CheckInOutcome::UnknownPlace => Err(CommunityError::UnknownPlace),
        CheckInOutcome::UnknownUser => Err(CommunityError::Storage(StorageError::NotFound)),
    }
}

/// What the rules of a check-in decided.
enum CheckInOutcome {
    Created,
    /// The person's earlier check-in with the same idempotency key.
    Replayed(check_in::Model),
    /// The person's last check-in at this place, less than the cooldown ago.
    TooSoon(DateTime<Utc>),
    DailyLimit,
    UnknownPlace,
    UnknownUser,
}

/// The window of the daily limit, ending at `now`.
fn day_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(1)
}

/// PostgreSQL: one statement, the function `capitole_check_in` (see its migration), which
/// takes the person's lock, applies the rules and writes the row and the counters.
async fn check_in_postgres(
    db: &Database,
    row: &check_in::Model,
) -> Result<CheckInOutcome, CommunityError> {
    #[derive(FromQueryResult)]
    struct Answer {
        outcome: String,
        earlier_id: Option<Uuid>,
        earlier_place: Option<Uuid>,
        earlier_at: Option<DateTime<Utc>>,
        earlier_message: Option<String>,
    }
    let per_day = i64::try_from(CHECK_INS_PER_DAY).unwrap_or(i64::MAX);
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT outcome, earlier_id, earlier_place, earlier_at, earlier_message FROM capitole_check_in(")
        .bind(row.id)
        .push(", ")
        .bind(row.user_id)
        .push(", ")
        .bind(row.place_id)
        .push(", ")
        .bind(row.created_at)
        .push(", ")
        .bind(row.message.clone())
        .push(", ")
        .bind(row.idempotency_key.clone())
        .push(", ")
        .bind(row.created_at - CHECK_IN_COOLDOWN)
        .push(", ")
        .bind(day_before(row.created_at))
        .push(", ")
        .bind(per_day)
        .push(")");
    let answer = Answer::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .ok_or(CommunityError::Storage(StorageError::NotFound))?;
    let broken = || {
        unexpected(format!(
            "capitole_check_in answered {:?} without the check-in it names",
            answer.outcome
        ))
    };
    Ok(match answer.outcome.as_str() {
        "created" => CheckInOutcome::Created,
        "replayed" => CheckInOutcome::Replayed(check_in::Model {
            id: answer.earlier_id.ok_or_else(broken)?,
            user_id: row.user_id,
            place_id: answer.earlier_place.ok_or_else(broken)?,
            created_at: answer.earlier_at.ok_or_else(broken)?,
            message: answer.earlier_message.clone(),
            idempotency_key: row.idempotency_key.clone(),
        }),
        "too_soon" => CheckInOutcome::TooSoon(answer.earlier_at.ok_or_else(broken)?),
        "daily_limit" => CheckInOutcome::DailyLimit,
        "unknown_place" => CheckInOutcome::UnknownPlace,
        "unknown_user" => CheckInOutcome::UnknownUser,
        other => {
            return Err(unexpected(format!(
                "capitole_check_in answered an unknown outcome {other:?}"
            )));
        }
    })
}

/// An answer of the database that breaks the function's contract (logged, never shown).
fn unexpected(detail: String) -> CommunityError {
    CommunityError::Storage(StorageError::Internal(sea_orm::DbErr::Custom(detail)))
}

/// SQLite: the same steps in one write transaction (SQLite serialises writers).
async fn check_in_in_transaction(
    db: &Database,
    row: &check_in::Model,
) -> Result<CheckInOutcome, CommunityError> {
    #[derive(FromQueryResult)]
    struct Rules {
        place_known: i64,
        replay_id: Option<Uuid>,
        last_here: Option<DateTime<Utc>>,
        today: i64,
    }
    let txn = db.begin_write().await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT (SELECT COUNT(*) FROM places p WHERE p.id = ")
        .bind(row.place_id)
        .push(") AS place_known, (SELECT c.id FROM check_ins c WHERE c.user_id = u.id AND c.idempotency_key = ")
        .bind(row.idempotency_key.clone())
        .push(") AS replay_id, (SELECT MAX(c.created_at) FROM check_ins c WHERE c.user_id = u.id AND c.place_id = ")
        .bind(row.place_id)
        .push(") AS last_here, (SELECT COUNT(*) FROM check_ins c WHERE c.user_id = u.id AND c.created_at >= ")
        .bind(day_before(row.created_at))
        .push(") AS today FROM users u WHERE u.id = ")
        .bind(row.user_id);
    let Some(rules) = Rules::find_by_statement(sql.build()).one(&txn).await? else {
        return Ok(CheckInOutcome::UnknownUser);
    };
    if rules.place_known == 0 {
        return Ok(CheckInOutcome::UnknownPlace);
    }
    if let Some(replay) = rules.replay_id {
        let earlier = check_in::Entity::find_by_id(replay)
            .one(&txn)
            .await?
            .ok_or(CommunityError::Storage(StorageError::NotFound))?;
        return Ok(CheckInOutcome::Replayed(earlier));
    }
    if let Some(last) = rules.last_here
        && last + CHECK_IN_COOLDOWN > row.created_at
    {
        return Ok(CheckInOutcome::TooSoon(last));
    }
    if u64::try_from(rules.today).unwrap_or(0) >= CHECK_INS_PER_DAY {
        return Ok(CheckInOutcome::DailyLimit);
    }
    check_in::Entity::insert(check_in::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "INSERT INTO place_stats (place_id, check_ins, visitors, tips, likes, dislikes) VALUES (",
    )
    .bind(row.place_id)
    .push(", 1, ")
    .bind(i64::from(rules.last_here.is_none()))
    .push(
        ", 0, 0, 0) ON CONFLICT (place_id) DO UPDATE SET check_ins = place_stats.check_ins + 1, \
             visitors = place_stats.visitors + excluded.visitors",
    );
    txn.execute_raw(sql.build()).await?;
    txn.commit().await?;
    Ok(CheckInOutcome::Created)
}

/// Brings places' popularity up to date with their check-ins, in one statement; returns
/// how many places changed. Check-ins move only `place_stats`, so that a busy place's
/// heavily indexed row is not rewritten by each of them (see the migration
/// `m20261130_000008_check_in_path`). Safe to run from several processes at once:
/// `popularity - counted_check_ins` never changes, so a fold that read older counts is
/// corrected by the next.
pub async fn fold_popularity(db: &Database) -> Result<u64, StorageError> {
    let done = db
        .connection()
        .execute_unprepared(
            "UPDATE places SET popularity = places.popularity + (s.check_ins - places.counted_check_ins), \
             counted_check_ins = s.check_ins \
             FROM place_stats s WHERE s.place_id = places.id AND s.check_ins <> places.counted_check_ins",
        )
        .await?;
    Ok(done.rows_affected())
}

/// The counters of these places (places without any activity are left out).
pub async fn stats_of(
    db: &Database,
    place_ids: &[Uuid],
) -> Result<Vec<place_stat::Model>, StorageError> {
    if place_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(place_stat::Entity::find()
        .filter(place_stat::Column::PlaceId.is_in(place_ids.iter().copied()))
        .all(db.connection())
        .await?)
}

/// How many different people checked in at each of these places since `since`.
pub async fn here_now(
    db: &Database,
    place_ids: &[Uuid],
    since: DateTime<Utc>,
) -> Result<HashMap<Uuid, i64>, StorageError> {
    #[derive(FromQueryResult)]
    struct Row {
        place_id: Uuid,
        n: i64,
    }
    if place_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT place_id, COUNT(DISTINCT user_id) AS n FROM check_ins WHERE place_id IN ")
        .bind_list(place_ids.iter().copied())
        .push(" AND created_at >= ")
        .bind(since)
        .push(" GROUP BY place_id");
    Ok(Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .map(|r| (r.place_id, r.n))
        .collect())
}

/// Places within `radius` of `center` ordered by their check-ins since `since` (most
/// first), with that count; places without check-ins in the window are left out. The
/// places in the circle's box are counted one by one through the (place, time) index, which
/// costs far less than reading every recent check-in of the city.
pub async fn trending(
    db: &Database,
    center: Coordinates,
    radius: RadiusMeters,
    since: DateTime<Utc>,
    first: usize,
) -> Result<Vec<(place::Model, i64)>, StorageError> {
    #[derive(FromQueryResult)]
    struct Row {
        place_id: Uuid,
        latitude: f64,
        longitude: f64,
        n: i64,
    }
    let bbox = center.bounding_box(radius);
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT place_id, latitude, longitude, n FROM (SELECT p.id AS place_id, p.latitude, p.longitude, \
         (SELECT COUNT(*) FROM check_ins c WHERE c.place_id = p.id AND c.created_at >= ",
    )
    .bind(since)
    .push(") AS n FROM places p WHERE p.latitude BETWEEN ")
    .float(bbox.min_latitude)
    .push(" AND ")
    .float(bbox.max_latitude)
    .push(" AND p.longitude BETWEEN ")
    .float(bbox.min_longitude)
    .push(" AND ")
    .float(bbox.max_longitude)
    .push(") counted WHERE n > 0 ORDER BY n DESC, place_id");
    let limit = f64::from(radius.meters());
    let counts: Vec<Row> = Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .filter(|r| {
            Coordinates::parse(r.latitude, r.longitude)
                .is_ok_and(|c| c.distance_meters(center) <= limit)
        })
        .take(first)
        .collect();
    let ids: Vec<Uuid> = counts.iter().map(|r| r.place_id).collect();
    let mut places: HashMap<Uuid, place::Model> = crate::places::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(counts
        .into_iter()
        .filter_map(|r| places.remove(&r.place_id).map(|p| (p, r.n)))
        .collect())
}

/// The mayor of a place: the person with the most days (in the city's time) with a
/// check-in there since `since`, among those who share their check-ins and do not hide
/// from it; ties go to the one with more check-ins, then to the earliest to reach their
/// last day. Being mayor shows where and how often one goes, so it follows the same
/// choice as showing one's check-ins: private check-ins (the default) never make a mayor.
pub async fn mayor(
    db: &Database,
    place_id: Uuid,
    since: DateTime<Utc>,
    timezone: Tz,
) -> Result<Option<(user::Model, i64)>, StorageError> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
        created_at: DateTime<Utc>,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT c.user_id, c.created_at FROM check_ins c JOIN users u ON u.id = c.user_id \
         WHERE c.place_id = ",
    )
    .bind(place_id)
    .push(" AND c.created_at >= ")
    .bind(since)
    .push(" AND u.check_ins_public = ")
    .bind(true)
    .push(" AND u.hidden_from_mayor = ")
    .bind(false)
    .push(" ORDER BY c.created_at");
    let rows = Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    // user → (days, check-ins, last new day)
    let mut tally: HashMap<
        Uuid,
        (
            std::collections::BTreeSet<chrono::NaiveDate>,
            i64,
            DateTime<Utc>,
        ),
    > = HashMap::new();
    for row in rows {
        let day = row.created_at.with_timezone(&timezone).date_naive();
        let entry = tally
            .entry(row.user_id)
            .or_insert_with(|| (std::collections::BTreeSet::new(), 0, row.created_at));
        if entry.0.insert(day) {
            entry.2 = row.created_at;
        }
        entry.1 += 1;
    }
    let best = tally.into_iter().max_by(|(a_id, a), (b_id, b)| {
        a.0.len()
            .cmp(&b.0.len())
            .then(a.1.cmp(&b.1))
            .then(b.2.cmp(&a.2))
            .then(b_id.cmp(a_id))
    });
    let Some((user_id, (days, _, _))) = best else {
        return Ok(None);
    };
    let found = user::Entity::find_by_id(user_id)
        .one(db.connection())
        .await?;
    Ok(found.map(|u| (u, i64::try_from(days.len()).unwrap_or(i64::MAX))))
}

/// Leaves a tip on a place.
pub async fn add_tip(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    text: String,
    now: DateTime<Utc>,
) -> Result<tip::Model, CommunityError> {
    let txn = db.begin_write().await?;
    lock_user(&txn, db, user_id).await?;
    let today = count_since(
        &txn,
        tip::Entity::find().filter(tip::Column::UserId.eq(user_id)),
        tip::Column::CreatedAt,
        now - Duration::days(1),
    )
    .await?;
    if today >= TIPS_PER_DAY {
        return Err(CommunityError::Limit(format!(
            "at most {TIPS_PER_DAY} tips a day; try again tomorrow"
        )));
    }
    let row = tip::Model {
        id: capitole_domain::ids::new_id(),
        place_id,
        user_id,
        text,
        created_at: now,
        like_count: 0,
        report_count: 0,
        hidden_at: None,
        hidden_by: None,
    };
    tip::Entity::insert(tip::ActiveModel::from(row.clone()))
        .exec(&txn)
        .await?;
    bump_stats(&txn, db, place_id, "tips", 1).await?;
    txn.commit().await?;
    Ok(row)
}

/// The tip with this id, hidden or not.
pub async fn tip(db: &Database, id: Uuid) -> Result<Option<tip::Model>, StorageError> {
    Ok(tip::Entity::find_by_id(id).one(db.connection()).await?)
}

/// Visible tips with these ids.
pub async fn visible_tips(db: &Database, ids: &[Uuid]) -> Result<Vec<tip::Model>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tip::Entity::find()
        .filter(tip::Column::Id.is_in(ids.iter().copied()))
        .filter(tip::Column::HiddenAt.is_null())
        .all(db.connection())
        .await?)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TipKey(DateTime<Utc>, Uuid);

/// The cursor of a tip in its place's list.
pub fn tip_cursor(tip: &tip::Model) -> String {
    cursor::encode(&TipKey(tip.created_at, tip.id))
}

/// How many visible tips a place has.
pub async fn tip_count(db: &Database, place_id: Uuid) -> Result<u64, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::PlaceId.eq(place_id))
        .filter(tip::Column::HiddenAt.is_null())
        .count(db.connection())
        .await?)
}

/// A page of a place's visible tips, latest first.
pub async fn tips_of_place(
    db: &Database,
    place_id: Uuid,
    first: usize,
    after: Option<&str>,
) -> Result<Page<tip::Model>, StorageError> {
    let after = after.map(cursor::decode::<TipKey>).transpose()?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT t.* FROM tips t WHERE t.place_id = ")
        .bind(place_id)
        .push(" AND t.hidden_at IS NULL");
    if let Some(TipKey(at, id)) = after {
        sql.push(" AND (t.created_at < ").bind(at);
        sql.push(" OR (t.created_at = ")
            .bind(at)
            .push(" AND t.id < ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY t.created_at DESC, t.id DESC LIMIT ")
        .number(first + 1);
    let rows = tip::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, first, |t| {
        cursor::encode(&TipKey(t.created_at, t.id))
    }))
}

/// The latest visible tips of each of these places (at most `per_place` each), in one
/// statement: one index range per place, however many tips the busiest places have.
pub async fn latest_tips_of_places(
    db: &Database,
    place_ids: &[Uuid],
    per_place: usize,
) -> Result<HashMap<Uuid, Vec<tip::Model>>, StorageError> {
    latest_of_each(
        db,
        Latest {
            select: "SELECT id, place_id, user_id, text, created_at, like_count, report_count, \
                     hidden_at, hidden_by FROM tips",
            key_column: "place_id",
            condition: " AND hidden_at IS NULL",
        },
        place_ids,
        per_place,
        |t: &tip::Model| (t.place_id, t.created_at, t.id),
    )
    .await
}

/// Which rows [`latest_of_each`] reads.
struct Latest {
    /// `SELECT <columns> FROM <table>`.
    select: &'static str,
    /// The column that holds the key.
    key_column: &'static str,
    /// More conditions, each starting with ` AND`.
    condition: &'static str,
}

/// The latest rows (by `created_at`, then `id`) of each key, `per_key` at most, latest
/// first, in one statement: a union of one index-ordered `LIMIT` per key, so that a key
/// with many rows costs no more than one with few.
async fn latest_of_each<M: FromQueryResult>(
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

/// Likes a tip (once per person); false when they had liked it already.
pub async fn like_tip(
    db: &Database,
    user_id: Uuid,
    tip_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let txn = db.begin_write().await?;
    let inserted = tip_like::Entity::insert(tip_like::ActiveModel {
        tip_id: Set(tip_id),
        user_id: Set(user_id),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([tip_like::Column::TipId, tip_like::Column::UserId])
    .exec(&txn)
    .await?;
    let added = !matches!(inserted, sea_orm::TryInsertResult::Conflicted);
    if added {
        count_one_more(&txn, db, tip_id, "like_count").await?;
    }
    txn.commit().await?;
    Ok(added)
}

/// Adds one to a tip's counter (`like_count` or `report_count`).
async fn count_one_more(
    txn: &DatabaseTransaction,
    db: &Database,
    tip_id: Uuid,
    column: &str,
) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE tips SET ")
        .push(column)
        .push(" = ")
        .push(column)
        .push(" + 1 WHERE id = ")
        .bind(tip_id);
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Reports a tip for moderation (once per person).
pub async fn report_tip(
    db: &Database,
    user_id: Uuid,
    tip_id: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, CommunityError> {
    let txn = db.begin_write().await?;
    lock_user(&txn, db, user_id).await?;
    let today = count_since(
        &txn,
        tip_report::Entity::find().filter(tip_report::Column::UserId.eq(user_id)),
        tip_report::Column::CreatedAt,
        now - Duration::days(1),
    )
    .await?;
    if today >= REPORTS_PER_DAY {
        return Err(CommunityError::Limit(format!(
            "at most {REPORTS_PER_DAY} reports a day; the moderators have been told already"
        )));
    }
    let inserted = tip_report::Entity::insert(tip_report::ActiveModel {
        tip_id: Set(tip_id),
        user_id: Set(user_id),
        reason: Set(reason),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([tip_report::Column::TipId, tip_report::Column::UserId])
    .exec(&txn)
    .await?;
    let added = !matches!(inserted, sea_orm::TryInsertResult::Conflicted);
    if added {
        count_one_more(&txn, db, tip_id, "report_count").await?;
    }
    txn.commit().await?;
    Ok(added)
}

/// Hides (or, with `hidden` false, restores) a tip; the place's tip count follows, and the
/// audit log records the moderator's `HIDE` or `RESTORE` in the same transaction. A tip
/// already in that state is left as it is, with no entry.
pub async fn moderate_tip(
    db: &Database,
    tip_id: Uuid,
    hidden: bool,
    moderator: &Actor,
    now: DateTime<Utc>,
) -> Result<tip::Model, StorageError> {
    let txn = db.begin_write().await?;
    let row = tip::Entity::find_by_id(tip_id)
        .one(&txn)
        .await?
        .ok_or(StorageError::NotFound)?;
    if row.hidden_at.is_some() == hidden {
        return Ok(row);
    }
    let mut updated = row.clone();
    updated.hidden_at = hidden.then_some(now);
    updated.hidden_by = moderator.user_id.filter(|_| hidden);
    tip::Entity::update(tip::ActiveModel {
        id: Set(row.id),
        hidden_at: Set(updated.hidden_at),
        hidden_by: Set(updated.hidden_by),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    bump_stats(&txn, db, row.place_id, "tips", if hidden { -1 } else { 1 }).await?;
    audit(
        &txn,
        moderator,
        ItemKind::Tip,
        row.id,
        if hidden { "HIDE" } else { "RESTORE" },
        json!({ "hidden": { "from": !hidden, "to": hidden } }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Visible tips with reports, most reported first: the moderators' queue.
pub async fn report_queue(db: &Database, first: usize) -> Result<Vec<tip::Model>, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::ReportCount.gt(0))
        .filter(tip::Column::HiddenAt.is_null())
        .order_by_desc(tip::Column::ReportCount)
        .order_by_asc(tip::Column::CreatedAt)
        .limit(u64::try_from(first).unwrap_or(100))
        .all(db.connection())
        .await?)
}

/// Sets (or, with `None`, withdraws) a person's vote on a place; the place's counts and
/// rating follow. Returns the place's (likes, dislikes).
pub async fn vote(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    vote: Option<Vote>,
    now: DateTime<Utc>,
) -> Result<(i64, i64), StorageError> {
    let txn = db.begin_write().await?;
    let before = place_vote::Entity::find_by_id((place_id, user_id))
        .one(&txn)
        .await?
        .and_then(|v| Vote::from_code(&v.vote));
    if before != vote {
        let column = |v: Vote| match v {
            Vote::Like => "likes",
            Vote::Dislike => "dislikes",
        };
        if let Some(old) = before {
            bump_stats(&txn, db, place_id, column(old), -1).await?;
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
            bump_stats(&txn, db, place_id, column(new), 1).await?;
        }
    }
    let stats = place_stat::Entity::find_by_id(place_id).one(&txn).await?;
    let (likes, dislikes) = stats.map_or((0, 0), |s| (s.likes, s.dislikes));
    let value = rating(
        u64::try_from(likes).unwrap_or(0),
        u64::try_from(dislikes).unwrap_or(0),
    );
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE places SET rating = ")
        .bind(value)
        .push(" WHERE id = ")
        .bind(place_id);
    txn.execute_raw(sql.build()).await?;
    txn.commit().await?;
    Ok((likes, dislikes))
}

/// A person's vote on a place.
pub async fn vote_of(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
) -> Result<Option<Vote>, StorageError> {
    Ok(place_vote::Entity::find_by_id((place_id, user_id))
        .one(db.connection())
        .await?
        .and_then(|v| Vote::from_code(&v.vote)))
}

/// Saves an item to a person's list (or, with `saved` false, removes it).
pub async fn set_saved(
    db: &Database,
    user_id: Uuid,
    item_kind: &str,
    item_id: Uuid,
    saved: bool,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if saved {
        save::Entity::insert(save::ActiveModel {
            user_id: Set(user_id),
            item_kind: Set(item_kind.to_owned()),
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
        save::Entity::delete_by_id((user_id, item_kind.to_owned(), item_id))
            .exec(db.connection())
            .await?;
    }
    Ok(())
}

/// A person's saved items, latest first.
pub async fn saves_of(
    db: &Database,
    user_id: Uuid,
    first: usize,
) -> Result<Vec<save::Model>, StorageError> {
    Ok(save::Entity::find()
        .filter(save::Column::UserId.eq(user_id))
        .order_by_desc(save::Column::CreatedAt)
        .limit(u64::try_from(first).unwrap_or(100))
        .all(db.connection())
        .await?)
}

/// Whether a date of an event exists.
pub async fn occurrence_exists(db: &Database, id: Uuid) -> Result<bool, StorageError> {
    Ok(event_occurrence::Entity::find_by_id(id)
        .one(db.connection())
        .await?
        .is_some())
}

/// Says a person is going (or, with `going` false, no longer going) to a date.
pub async fn set_going(
    db: &Database,
    user_id: Uuid,
    occurrence_id: Uuid,
    going: bool,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
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
    Ok(())
}

/// How many people are going to each of these dates, in one statement.
pub async fn attendees_of(
    db: &Database,
    occurrence_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, StorageError> {
    #[derive(FromQueryResult)]
    struct Row {
        occurrence_id: Uuid,
        n: i64,
    }
    if occurrence_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT occurrence_id, COUNT(*) AS n FROM attendances WHERE occurrence_id IN ")
        .bind_list(occurrence_ids.iter().copied())
        .push(" GROUP BY occurrence_id");
    Ok(Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .map(|r| (r.occurrence_id, r.n))
        .collect())
}

/// The dates a person is going to that have not started, soonest first.
pub async fn going_of(
    db: &Database,
    user_id: Uuid,
    now: DateTime<Utc>,
    first: usize,
) -> Result<Vec<event_occurrence::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT o.* FROM event_occurrences o JOIN attendances a ON a.occurrence_id = o.id WHERE a.user_id = ")
        .bind(user_id)
        .push(" AND o.starts_at >= ")
        .bind(now)
        .push(" ORDER BY o.starts_at, o.id LIMIT ")
        .number(first);
    Ok(event_occurrence::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CheckInKey(DateTime<Utc>, Uuid);

/// A page of a person's check-ins, latest first.
pub async fn check_ins_of(
    db: &Database,
    user_id: Uuid,
    first: usize,
    after: Option<&str>,
) -> Result<Page<check_in::Model>, StorageError> {
    let after = after.map(cursor::decode::<CheckInKey>).transpose()?;
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT c.* FROM check_ins c WHERE c.user_id = ")
        .bind(user_id);
    if let Some(CheckInKey(at, id)) = after {
        sql.push(" AND (c.created_at < ").bind(at);
        sql.push(" OR (c.created_at = ")
            .bind(at)
            .push(" AND c.id < ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .number(first + 1);
    let rows = check_in::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, first, |c| {
        cursor::encode(&CheckInKey(c.created_at, c.id))
    }))
}

/// How many check-ins a person made.
pub async fn check_in_count(db: &Database, user_id: Uuid) -> Result<u64, StorageError> {
    Ok(check_in::Entity::find()
        .filter(check_in::Column::UserId.eq(user_id))
        .count(db.connection())
        .await?)
}

/// A person's tips (visible ones), latest first.
pub async fn tips_of_user(
    db: &Database,
    user_id: Uuid,
    first: usize,
) -> Result<Vec<tip::Model>, StorageError> {
    Ok(tip::Entity::find()
        .filter(tip::Column::UserId.eq(user_id))
        .filter(tip::Column::HiddenAt.is_null())
        .order_by_desc(tip::Column::CreatedAt)
        .limit(u64::try_from(first).unwrap_or(100))
        .all(db.connection())
        .await?)
}

/// A person's privacy choices.
pub async fn set_privacy(
    db: &Database,
    user_id: Uuid,
    check_ins_public: Option<bool>,
    hidden_from_mayor: Option<bool>,
) -> Result<(), StorageError> {
    let mut model = user::ActiveModel {
        id: Set(user_id),
        ..Default::default()
    };
    if let Some(v) = check_ins_public {
        model.check_ins_public = Set(v);
    }
    if let Some(v) = hidden_from_mayor {
        model.hidden_from_mayor = Set(v);
    }
    if check_ins_public.is_some() || hidden_from_mayor.is_some() {
        user::Entity::update(model).exec(db.connection()).await?;
    }
    Ok(())
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

/// The latest check-ins of each of these people (up to `per_person`), latest first, in one
/// statement; people without check-ins are left out. Whether the caller may read them is
/// the caller's to decide.
pub async fn latest_check_ins_of_people(
    db: &Database,
    user_ids: &[Uuid],
    per_person: usize,
) -> Result<HashMap<Uuid, Vec<check_in::Model>>, StorageError> {
    latest_of_each(
        db,
        Latest {
            select: "SELECT id, user_id, place_id, created_at, message, idempotency_key FROM check_ins",
            key_column: "user_id",
            condition: "",
        },
        user_ids,
        per_person,
        |c: &check_in::Model| (c.user_id, c.created_at, c.id),
    )
    .await
}

/// The places and tips a person's activity counts in.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    places: Vec<Uuid>,
    tips: Vec<Uuid>,
}

pub(crate) async fn touched_by(
    txn: &DatabaseTransaction,
    db: &Database,
    user_id: Uuid,
) -> Result<Touched, StorageError> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT place_id AS id FROM check_ins WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT place_id AS id FROM tips WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT place_id AS id FROM place_votes WHERE user_id = ")
        .bind(user_id);
    let places = Id::find_by_statement(sql.build())
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT tip_id AS id FROM tip_likes WHERE user_id = ")
        .bind(user_id)
        .push(" UNION SELECT tip_id AS id FROM tip_reports WHERE user_id = ")
        .bind(user_id);
    let tips = Id::find_by_statement(sql.build())
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(Touched { places, tips })
}

/// Counts again, from the rows themselves, the figures of these places and tips.
pub(crate) async fn recount(
    txn: &DatabaseTransaction,
    db: &Database,
    touched: &Touched,
) -> Result<(), StorageError> {
    for chunk in touched.tips.chunks(500) {
        let mut sql = Sql::new(db.db_backend());
        sql.push(
            "UPDATE tips SET like_count = (SELECT COUNT(*) FROM tip_likes l WHERE l.tip_id = tips.id), \
             report_count = (SELECT COUNT(*) FROM tip_reports r WHERE r.tip_id = tips.id) WHERE id IN ",
        )
        .bind_list(chunk.iter().copied());
        txn.execute_raw(sql.build()).await?;
    }
    for chunk in touched.places.chunks(500) {
        let mut sql = Sql::new(db.db_backend());
        sql.push(
            "UPDATE place_stats SET \
             check_ins = (SELECT COUNT(*) FROM check_ins c WHERE c.place_id = place_stats.place_id), \
             visitors = (SELECT COUNT(DISTINCT c.user_id) FROM check_ins c WHERE c.place_id = place_stats.place_id), \
             tips = (SELECT COUNT(*) FROM tips t WHERE t.place_id = place_stats.place_id AND t.hidden_at IS NULL), \
             likes = (SELECT COUNT(*) FROM place_votes v WHERE v.place_id = place_stats.place_id AND v.vote = 'LIKE'), \
             dislikes = (SELECT COUNT(*) FROM place_votes v WHERE v.place_id = place_stats.place_id AND v.vote = 'DISLIKE') \
             WHERE place_id IN ",
        )
        .bind_list(chunk.iter().copied());
        txn.execute_raw(sql.build()).await?;
        for &place_id in chunk {
            let stats = place_stat::Entity::find_by_id(place_id).one(txn).await?;
            let (check_ins, likes, dislikes) =
                stats.map_or((0, 0, 0), |s| (s.check_ins, s.likes, s.dislikes));
            let value = rating(
                u64::try_from(likes).unwrap_or(0),
                u64::try_from(dislikes).unwrap_or(0),
            );
            let mut sql = Sql::new(db.db_backend());
            sql.push("UPDATE places SET rating = ")
                .bind(value)
                .push(", popularity = ")
                .bind(check_ins)
                .push(" WHERE id = ")
                .bind(place_id);
            txn.execute_raw(sql.build()).await?;
        }
    }
    Ok(())
}

/// A person's activity, for the export of their data.
pub(crate) async fn export(
    db: &Database,
    user_id: Uuid,
) -> Result<serde_json::Value, StorageError> {
    use serde_json::json;
    let conn = db.connection();
    let check_ins = check_in::Entity::find()
        .filter(check_in::Column::UserId.eq(user_id))
        .order_by_asc(check_in::Column::CreatedAt)
        .all(conn)
        .await?;
    let tips = tip::Entity::find()
        .filter(tip::Column::UserId.eq(user_id))
        .order_by_asc(tip::Column::CreatedAt)
        .all(conn)
        .await?;
    let votes = place_vote::Entity::find()
        .filter(place_vote::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let likes = tip_like::Entity::find()
        .filter(tip_like::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let reports = tip_report::Entity::find()
        .filter(tip_report::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let saves = save::Entity::find()
        .filter(save::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let going = attendance::Entity::find()
        .filter(attendance::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    Ok(json!({
        "checkIns": check_ins.iter().map(|c| json!({ "place": c.place_id, "at": c.created_at, "message": c.message })).collect::<Vec<_>>(),
        "tips": tips.iter().map(|t| json!({ "place": t.place_id, "text": t.text, "at": t.created_at, "hidden": t.hidden_at.is_some() })).collect::<Vec<_>>(),
        "placeVotes": votes.iter().map(|v| json!({ "place": v.place_id, "vote": v.vote, "at": v.updated_at })).collect::<Vec<_>>(),
        "tipLikes": likes.iter().map(|l| json!({ "tip": l.tip_id, "at": l.created_at })).collect::<Vec<_>>(),
        "tipReports": reports.iter().map(|r| json!({ "tip": r.tip_id, "reason": r.reason, "at": r.created_at })).collect::<Vec<_>>(),
        "saved": saves.iter().map(|s| json!({ "kind": s.item_kind, "id": s.item_id, "at": s.created_at })).collect::<Vec<_>>(),
        "going": going.iter().map(|g| json!({ "date": g.occurrence_id, "at": g.created_at })).collect::<Vec<_>>(),
    }))
}
