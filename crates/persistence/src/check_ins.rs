//! Check-ins: the write (the hottest of the service: one statement on PostgreSQL, one
//! transaction on SQLite, with the cooldown, the daily limit and idempotency keys), the
//! fold of new check-ins into places' popularity, and what is read from them (a place's
//! counters, who is here now, trending places, the mayor, a person's check-ins).

use std::collections::{BTreeSet, HashMap};

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_domain::community::{
    CHECK_IN_COOLDOWN, CHECK_INS_A_DAY, CheckInDraft, Refusal, next_check_in_at,
};
use capitole_domain::geo::{Coordinates, RadiusMeters};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryResult,
    Statement,
};
use uuid::Uuid;

use crate::activity::{
    ActivityError, Latest, PlaceCounter, add_to_place, latest_first, latest_of_each,
};
use crate::changes::{NewChange, append_all};
use crate::cursor::{Page, PageRequest};
use crate::entities::{check_in, place_stat, user};
use crate::sql::Sql;
use crate::{Backend, Database, StorageError};

/// What a check-in came to.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// The check-in.
    pub check_in: check_in::Model,
    /// True when the same idempotency key had already made it: nothing new was stored.
    pub replayed: bool,
}

/// Checks a person in at a place: at most once per place every [`CHECK_IN_COOLDOWN`] and
/// [`CHECK_INS_A_DAY`]; a retried request with the same idempotency key gets the first
/// check-in back. Moves the place's counters in the same transaction; its popularity takes
/// the check-in in at the next [`fold_popularity`], which is also what records it in the
/// change log (see there).
pub async fn check_in(
    db: &Database,
    user_id: Uuid,
    place_id: Uuid,
    draft: &CheckInDraft,
    now: DateTime<Utc>,
) -> Result<CheckedIn, ActivityError> {
    let row = check_in::Model {
        id: capitole_domain::ids::new_id(),
        user_id,
        place_id,
        created_at: now,
        message: draft.message.as_ref().map(|m| m.as_str().to_owned()),
        idempotency_key: draft
            .idempotency_key
            .as_ref()
            .map(|k| k.as_str().to_owned()),
    };
    let outcome = if db.backend() == Backend::Postgres {
        check_in_postgres(db, &row).await?
    } else {
        check_in_in_transaction(db, &row).await?
    };
    match outcome {
        Outcome::Created => Ok(CheckedIn {
            check_in: row,
            replayed: false,
        }),
        Outcome::Replayed(earlier) if earlier.place_id == place_id => Ok(CheckedIn {
            check_in: earlier,
            replayed: true,
        }),
        Outcome::Replayed(_) => Err(Refusal::KeyReused.into()),
        Outcome::TooSoon(last) => Err(Refusal::TooSoon {
            again_at: next_check_in_at(last),
        }
        .into()),
        Outcome::DailyLimit => Err(Refusal::DailyLimit(CHECK_INS_A_DAY).into()),
        Outcome::UnknownPlace => Err(Refusal::UnknownPlace.into()),
        Outcome::UnknownUser => Err(StorageError::NotFound.into()),
    }
}

/// What the rules of a check-in decided.
enum Outcome {
    Created,
    /// The person's earlier check-in with the same idempotency key.
    Replayed(check_in::Model),
    /// The person's last check-in at this place, less than the cooldown ago.
    TooSoon(DateTime<Utc>),
    DailyLimit,
    UnknownPlace,
    UnknownUser,
}

/// PostgreSQL: one statement, the function `capitole_check_in` (see its migration), which
/// takes the person's lock, applies the rules and writes the row and the counters. The
/// rules' figures are its arguments.
async fn check_in_postgres(db: &Database, row: &check_in::Model) -> Result<Outcome, StorageError> {
    #[derive(FromQueryResult)]
    struct Answer {
        outcome: String,
        earlier_id: Option<Uuid>,
        earlier_place: Option<Uuid>,
        earlier_at: Option<DateTime<Utc>>,
        earlier_message: Option<String>,
    }
    let per_day = i64::try_from(CHECK_INS_A_DAY.per_day).unwrap_or(i64::MAX);
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
        .bind(CHECK_INS_A_DAY.counts_from(row.created_at))
        .push(", ")
        .bind(per_day)
        .push(")");
    let answer = Answer::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .ok_or(StorageError::NotFound)?;
    let broken = || {
        unexpected(format!(
            "capitole_check_in answered {:?} without the check-in it names",
            answer.outcome
        ))
    };
    Ok(match answer.outcome.as_str() {
        "created" => Outcome::Created,
        "replayed" => Outcome::Replayed(check_in::Model {
            id: answer.earlier_id.ok_or_else(broken)?,
            user_id: row.user_id,
            place_id: answer.earlier_place.ok_or_else(broken)?,
            created_at: answer.earlier_at.ok_or_else(broken)?,
            message: answer.earlier_message.clone(),
            idempotency_key: row.idempotency_key.clone(),
        }),
        "too_soon" => Outcome::TooSoon(answer.earlier_at.ok_or_else(broken)?),
        "daily_limit" => Outcome::DailyLimit,
        "unknown_place" => Outcome::UnknownPlace,
        "unknown_user" => Outcome::UnknownUser,
        other => {
            return Err(unexpected(format!(
                "capitole_check_in answered an unknown outcome {other:?}"
            )));
        }
    })
}

/// An answer of the database that breaks the function's contract (logged, never shown).
fn unexpected(detail: String) -> StorageError {
    StorageError::Internal(sea_orm::DbErr::Custom(detail))
}

/// SQLite: the same steps in one write transaction (SQLite serialises writers).
async fn check_in_in_transaction(
    db: &Database,
    row: &check_in::Model,
) -> Result<Outcome, StorageError> {
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
        .bind(CHECK_INS_A_DAY.counts_from(row.created_at))
        .push(") AS today FROM users u WHERE u.id = ")
        .bind(row.user_id);
    let Some(rules) = Rules::find_by_statement(sql.build()).one(&txn).await? else {
        return Ok(Outcome::UnknownUser);
    };
    if rules.place_known == 0 {
        return Ok(Outcome::UnknownPlace);
    }
    if let Some(replay) = rules.replay_id {
        let earlier = check_in::Entity::find_by_id(replay)
            .one(&txn)
            .await?
            .ok_or(StorageError::NotFound)?;
        return Ok(Outcome::Replayed(earlier));
    }
    if let Some(last) = rules.last_here
        && next_check_in_at(last) > row.created_at
    {
        return Ok(Outcome::TooSoon(last));
    }
    if !CHECK_INS_A_DAY.allows(u64::try_from(rules.today).unwrap_or(0)) {
        return Ok(Outcome::DailyLimit);
    }
    check_in::Entity::insert(check_in::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let new_visitor = i64::from(rules.last_here.is_none());
    add_to_place(
        &txn,
        row.place_id,
        &[
            (PlaceCounter::CheckIns, 1),
            (PlaceCounter::Visitors, new_visitor),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(Outcome::Created)
}

/// Brings places' popularity up to date with their check-ins and records, in the same
/// transaction, one `PLACE UPDATED` entry in the change log for each place it changed
/// (with the place's current version, public, under its first publisher); returns how many places
/// changed.
///
/// This is where check-ins reach the change log: summed up by place, not one entry per
/// check-in. A check-in is its author's own (private unless they share it), and what the
/// public sees change is the place's figures; an entry per check-in would also add a write
/// to the hottest path, which is one statement on PostgreSQL, and flood the log's readers
/// at busy places. An erasure's recount reaches the log the same way, at the next fold.
///
/// Check-ins move only `place_stats`, so that a busy place's heavily indexed row is not
/// rewritten by each of them (see the migration `m20261130_000008_check_in_path`). Safe to
/// run from several processes at once: `popularity - counted_check_ins` never changes, a
/// fold that read older counts is corrected by the next, and a place's row is folded (and
/// recorded) by one fold at a time.
pub async fn fold_popularity(db: &Database, now: DateTime<Utc>) -> Result<u64, StorageError> {
    #[derive(FromQueryResult)]
    struct Folded {
        id: Uuid,
        version: i64,
    }
    let txn = db.begin_write().await?;
    let folded = Folded::find_by_statement(Statement::from_string(
        db.db_backend(),
        "UPDATE places SET popularity = places.popularity + (s.check_ins - places.counted_check_ins), \
         counted_check_ins = s.check_ins \
         FROM place_stats s WHERE s.place_id = places.id AND s.check_ins <> places.counted_check_ins \
         RETURNING places.id AS id, places.version AS version",
    ))
    .all(&txn)
    .await?;
    let ids: Vec<Uuid> = folded.iter().map(|p| p.id).collect();
    let publishers =
        crate::publishers::ids_of(&txn, crate::publishers::Published::Place, &ids).await?;
    let entries: Vec<NewChange> = folded
        .iter()
        .map(|p| NewChange {
            kind: ItemKind::Place,
            id: p.id,
            change: ChangeKind::Updated,
            version: p.version,
            organization: publishers.get(&p.id).and_then(|o| o.first().copied()),
            public: true,
            at: now,
        })
        .collect();
    append_all(&txn, &entries).await?;
    txn.commit().await?;
    Ok(u64::try_from(entries.len()).unwrap_or(u64::MAX))
}

/// The counters of a place, and who is there now when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceFigures {
    /// Its counters.
    pub stats: place_stat::Model,
    /// Different people who checked in since the time asked (0 when not asked).
    pub here_now: i64,
}

impl FromQueryResult for PlaceFigures {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            stats: place_stat::Model::from_query_result(row, prefix)?,
            here_now: row.try_get(prefix, "here_now")?,
        })
    }
}

/// The counters of these places (places without any activity are left out), in one
/// statement; with `here_since`, also how many different people checked in at each since
/// then (a place without counters has had no check-in).
pub async fn stats_of(
    db: &Database,
    place_ids: &[Uuid],
    here_since: Option<DateTime<Utc>>,
) -> Result<Vec<PlaceFigures>, StorageError> {
    if place_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT s.place_id, s.check_ins, s.visitors, s.tips, s.likes, s.dislikes, ");
    match here_since {
        Some(since) => {
            sql.push(
                "(SELECT COUNT(DISTINCT c.user_id) FROM check_ins c \
                 WHERE c.place_id = s.place_id AND c.created_at >= ",
            )
            .bind(since)
            .push(")");
        }
        None => {
            sql.push("CAST(0 AS BIGINT)");
        }
    }
    sql.push(" AS here_now FROM place_stats s WHERE s.place_id IN ")
        .bind_list(place_ids.iter().copied());
    Ok(PlaceFigures::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// A place in the trending ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendingRow {
    /// The place.
    pub place_id: Uuid,
    /// Its check-ins in the window.
    pub recent_check_ins: i64,
    /// Metres from the centre asked about.
    pub distance_meters: f64,
}

/// Places within `radius` of `center` ordered by their check-ins since `since` (most
/// first, then by id), with that count; places without check-ins in the window are left
/// out. The places in the circle's box are counted one by one through the (place, time)
/// index, which costs far less than reading every recent check-in of the city.
pub async fn trending(
    db: &Database,
    center: Coordinates,
    radius: RadiusMeters,
    since: DateTime<Utc>,
) -> Result<Vec<TrendingRow>, StorageError> {
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
    Ok(Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?
        .into_iter()
        .filter_map(|r| {
            let distance = Coordinates::parse(r.latitude, r.longitude)
                .ok()?
                .distance_meters(center);
            (distance <= limit).then_some(TrendingRow {
                place_id: r.place_id,
                recent_check_ins: r.n,
                distance_meters: distance,
            })
        })
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
    /// A person's days, check-ins, and the time they reached their last day.
    struct Tally {
        days: BTreeSet<NaiveDate>,
        check_ins: i64,
        last_new_day: DateTime<Utc>,
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
    let mut tally: HashMap<Uuid, Tally> = HashMap::new();
    for row in rows {
        let day = row.created_at.with_timezone(&timezone).date_naive();
        let entry = tally.entry(row.user_id).or_insert_with(|| Tally {
            days: BTreeSet::new(),
            check_ins: 0,
            last_new_day: row.created_at,
        });
        if entry.days.insert(day) {
            entry.last_new_day = row.created_at;
        }
        entry.check_ins += 1;
    }
    let best = tally.into_iter().max_by(|(a_id, a), (b_id, b)| {
        a.days
            .len()
            .cmp(&b.days.len())
            .then(a.check_ins.cmp(&b.check_ins))
            .then(b.last_new_day.cmp(&a.last_new_day))
            .then(b_id.cmp(a_id))
    });
    let Some((user_id, best)) = best else {
        return Ok(None);
    };
    let found = user::Entity::find_by_id(user_id)
        .one(db.connection())
        .await?;
    Ok(found.map(|u| (u, i64::try_from(best.days.len()).unwrap_or(i64::MAX))))
}

/// A page of a person's check-ins, latest first.
pub async fn check_ins_of(
    db: &Database,
    user_id: Uuid,
    request: &PageRequest,
) -> Result<Page<check_in::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT c.* FROM check_ins c WHERE c.user_id = ")
        .bind(user_id);
    latest_first(db, sql, "c", request, |c: &check_in::Model| {
        (c.created_at, c.id)
    })
    .await
}

/// The cursor of a check-in in its person's list.
pub fn check_in_cursor(check_in: &check_in::Model) -> String {
    crate::activity::latest_cursor(check_in.created_at, check_in.id)
}

/// How many check-ins a person made.
pub async fn check_in_count(db: &Database, user_id: Uuid) -> Result<u64, StorageError> {
    Ok(check_in::Entity::find()
        .filter(check_in::Column::UserId.eq(user_id))
        .count(db.connection())
        .await?)
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
