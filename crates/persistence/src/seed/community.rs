//! Synthetic residents and their activity for load tests: people, tips and check-ins
//! generated inside the database (a million rows in seconds), spread over the last 90
//! days and skewed towards a few popular places, as real activity is. Who did what where
//! and when follows from the seed; row ids are random.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::sql::Sql;
use crate::{Backend, Database, StorageError};

/// How much activity to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunitySize {
    /// People (`synthetic-user-N@example.org`; they cannot sign in).
    pub users: usize,
    /// Tips.
    pub tips: usize,
    /// Check-ins.
    pub check_ins: usize,
}

/// The seconds activity is spread over.
const SPREAD_SECONDS: i64 = 90 * 86_400;

const TIP_TEXTS: [&str; 8] = [
    "Allez-y tôt le matin, c''est plus calme.",
    "Très bon accueil, personnel aux petits soins.",
    "Accessible en fauteuil par l''entrée latérale.",
    "Le mercredi après-midi, ateliers pour les enfants.",
    "Pensez à réserver le week-end.",
    "Vue superbe au coucher du soleil.",
    "Station VélôToulouse juste à côté.",
    "Wi-Fi gratuit et prises près des fenêtres.",
];

/// A deterministic pseudo-random number in `0..2^31` for row `n` (a linear congruential
/// step over the row number and the seed, in SQL both engines compute alike).
fn hash(n: &str, seed: u64, salt: u64) -> String {
    let offset = (seed.wrapping_mul(2_654_435_761).wrapping_add(salt)) % 2_147_483_648;
    format!("(((CAST({n} AS BIGINT) + {offset}) * 1103515245 + 12345) % 2147483648)")
}

/// Rows `0..count` as a subquery yielding column `n`.
fn rows(backend: Backend, count: usize) -> String {
    match backend {
        Backend::Postgres => format!(
            "(SELECT generate_series(0, {}) AS n) AS seq",
            count.saturating_sub(1)
        ),
        Backend::Sqlite => format!(
            "(WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {}) SELECT n FROM seq) AS seq",
            count.saturating_sub(1)
        ),
    }
}

fn new_uuid(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "gen_random_uuid()",
        Backend::Sqlite => "randomblob(16)",
    }
}

/// A timestamp `seconds` (an SQL expression) before `now`, in the column's own format.
fn before_now(backend: Backend, now: DateTime<Utc>, seconds: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "(TIMESTAMPTZ '{}' - ({seconds}) * INTERVAL '1 second')",
            now.format("%Y-%m-%d %H:%M:%S+00")
        ),
        Backend::Sqlite => format!(
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', {} - ({seconds}), 'unixepoch')",
            now.timestamp()
        ),
    }
}

async fn run(txn: &DatabaseTransaction, db: &Database, text: &str) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push(text);
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Writes synthetic people, tips and check-ins, then the places' counters.
pub(crate) async fn generate(
    txn: &DatabaseTransaction,
    db: &Database,
    size: CommunitySize,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if size.users == 0 {
        return Ok(());
    }
    let backend = db.backend();
    if backend == Backend::Postgres {
        // A million rows in one statement take longer than a request may.
        run(txn, db, "SET LOCAL statement_timeout = 0").await?;
    }
    let uuid_type = match backend {
        Backend::Postgres => "UUID",
        Backend::Sqlite => "BLOB",
    };
    let boolean = |e: &str| match backend {
        Backend::Postgres => format!("({e})"),
        Backend::Sqlite => format!("CASE WHEN {e} THEN 1 ELSE 0 END"),
    };
    let stamp = before_now(backend, now, "0");
    // People: one in ten shares their check-ins, one in fifty stays out of mayorships.
    run(
        txn,
        db,
        &format!(
            "INSERT INTO users (id, email, display_name, password_hash, role, created_at, updated_at, \
             password_changed_at, check_ins_public, hidden_from_mayor) \
             SELECT {uuid}, 'synthetic-user-' || n || '@example.org', 'Habitant ' || n, '!', 'CITIZEN', \
             {stamp}, {stamp}, {stamp}, {public}, {hidden} FROM {rows}",
            uuid = new_uuid(backend),
            public = boolean("n % 10 = 0"),
            hidden = boolean("n % 50 = 0"),
            rows = rows(backend, size.users),
        ),
    )
    .await?;
    // Numbered people and places, so that generated rows pick them by number.
    for (table, source) in [
        (
            "seed_people",
            "SELECT id FROM users WHERE email LIKE 'synthetic-user-%' ORDER BY email",
        ),
        ("seed_places", "SELECT id FROM places ORDER BY id"),
    ] {
        run(
            txn,
            db,
            &format!(
                "CREATE TEMPORARY TABLE {table} (k BIGINT PRIMARY KEY, id {uuid_type} NOT NULL)"
            ),
        )
        .await?;
        run(
            txn,
            db,
            &format!("INSERT INTO {table} (k, id) SELECT ROW_NUMBER() OVER () - 1, id FROM ({source}) AS s"),
        )
        .await?;
    }
    let places = "(SELECT COUNT(*) FROM seed_places)";
    // A few places draw most of the activity: the cube of a uniform number.
    let skewed = |salt: u64| {
        let h = hash("n", seed, salt);
        let x = format!(
            "(({h} / 2147483648.0) * ({h} / 2147483648.0) * ({h} / 2147483648.0) * {places})"
        );
        match backend {
            Backend::Postgres => format!("CAST(FLOOR({x}) AS BIGINT)"),
            Backend::Sqlite => format!("CAST({x} AS INTEGER)"),
        }
    };
    let person = |salt: u64| format!("({} % {})", hash("n", seed, salt), size.users);
    let when = |salt: u64| {
        before_now(
            backend,
            now,
            &format!("({} % {SPREAD_SECONDS})", hash("n", seed, salt)),
        )
    };
    run(
        txn,
        db,
        &format!(
            "INSERT INTO check_ins (id, user_id, place_id, created_at, message, idempotency_key) \
             SELECT {uuid}, u.id, p.id, {when}, NULL, NULL FROM {rows} \
             JOIN seed_people u ON u.k = {person} JOIN seed_places p ON p.k = {place}",
            uuid = new_uuid(backend),
            when = when(1),
            rows = rows(backend, size.check_ins),
            person = person(2),
            place = skewed(3),
        ),
    )
    .await?;
    let texts = TIP_TEXTS
        .iter()
        .enumerate()
        .map(|(i, t)| format!("WHEN {i} THEN '{t}'"))
        .collect::<Vec<_>>()
        .join(" ");
    run(
        txn,
        db,
        &format!(
            "INSERT INTO tips (id, place_id, user_id, text, created_at, like_count, report_count) \
             SELECT {uuid}, p.id, u.id, CASE ({h} % {len}) {texts} END, {when}, ({h} % 7), 0 FROM {rows} \
             JOIN seed_people u ON u.k = {person} JOIN seed_places p ON p.k = {place}",
            uuid = new_uuid(backend),
            h = hash("n", seed, 4),
            len = TIP_TEXTS.len(),
            when = when(5),
            rows = rows(backend, size.tips),
            person = person(6),
            place = skewed(7),
        ),
    )
    .await?;
    run(
        txn,
        db,
        "INSERT INTO place_stats (place_id, check_ins, visitors, tips, likes, dislikes) \
         SELECT place_id, COUNT(*), COUNT(DISTINCT user_id), 0, 0, 0 FROM check_ins WHERE TRUE GROUP BY place_id \
         ON CONFLICT (place_id) DO UPDATE SET check_ins = excluded.check_ins, visitors = excluded.visitors",
    )
    .await?;
    run(
        txn,
        db,
        "INSERT INTO place_stats (place_id, check_ins, visitors, tips, likes, dislikes) \
         SELECT place_id, 0, 0, COUNT(*), 0, 0 FROM tips WHERE hidden_at IS NULL GROUP BY place_id \
         ON CONFLICT (place_id) DO UPDATE SET tips = excluded.tips",
    )
    .await?;
    run(
        txn,
        db,
        "UPDATE places SET popularity = (SELECT s.check_ins FROM place_stats s WHERE s.place_id = places.id), \
         counted_check_ins = (SELECT s.check_ins FROM place_stats s WHERE s.place_id = places.id) \
         WHERE id IN (SELECT place_id FROM place_stats)",
    )
    .await?;
    run(txn, db, "DROP TABLE seed_people").await?;
    run(txn, db, "DROP TABLE seed_places").await?;
    Ok(())
}
