//! The change log: every write that changes what a reader sees appends one entry here, in
//! the transaction of the write, so that a write that rolls back leaves no entry and a
//! committed one always has exactly one.

use capitole_domain::change::{ChangeKind, ItemKind};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::cursor::{Keyset, PageRequest, Sort};
use crate::sql::Sql;
use crate::{Database, Page, StorageError};

/// One entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    /// What kind of item changed.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// What happened.
    pub change: ChangeKind,
    /// Its version after the change (0 for items without versions).
    pub version: i64,
    /// The organization that publishes it, if any: its editors read the entries of its
    /// drafts.
    pub organization: Option<Uuid>,
    /// Whether the public could see the item before or after the change: anonymous readers
    /// only read such entries.
    pub public: bool,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Appends `change` to the log, on the connection (a transaction) of the write it records.
pub async fn append(conn: &impl ConnectionTrait, change: &NewChange) -> Result<(), StorageError> {
    append_all(conn, std::slice::from_ref(change)).await
}

/// Entries one statement appends at most (7 values each, well within both engines' limits
/// on bound values).
const PER_STATEMENT: usize = 500;

/// Appends `changes` to the log, in their order, on the connection (a transaction) of the
/// write that records them all (one entry per item it changed), and writes the search
/// documents of the articles, events and places among them again.
pub async fn append_all(
    conn: &impl ConnectionTrait,
    changes: &[NewChange],
) -> Result<(), StorageError> {
    let postgres = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    for chunk in changes.chunks(PER_STATEMENT) {
        let mut sql = Sql::new(conn.get_database_backend());
        if postgres {
            sql.push("WITH appended AS (");
        }
        sql.push(
            "INSERT INTO change_log (item_kind, item_id, change, version, organization_id, public, at) VALUES ",
        );
        for (i, change) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(change.kind.code())
                .push(", ")
                .bind(change.id)
                .push(", ")
                .bind(change.change.code())
                .push(", ")
                .bind(change.version)
                .push(", ")
                .bind(change.organization)
                .push(", ")
                .bind(change.public)
                .push(", ")
                .bind(change.at)
                .push(")");
        }
        if postgres {
            // Delivered to every listening replica when the write commits, never if it
            // rolls back; the payload is the position of the last entry appended.
            sql.push(" RETURNING position) SELECT pg_notify('")
                .push(CHANNEL)
                .push("', MAX(position)::text) FROM appended");
        }
        conn.execute_raw(sql.build()).await?;
    }
    // What search finds follows every change, in the same transaction.
    for kind in [ItemKind::Article, ItemKind::Event, ItemKind::Place] {
        let mut ids: Vec<Uuid> = changes
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            crate::search::reindex(conn, kind, &ids).await?;
        }
    }
    Ok(())
}

/// The PostgreSQL channel on which every write that appends to the log notifies, at commit.
pub const CHANNEL: &str = "capitole_changes";

/// Tells a follower of the log that entries were committed, by any process: on
/// PostgreSQL, a connection of its own listening on [`CHANNEL`]. SQLite is written by one
/// process, whose writers tell its followers themselves.
pub struct LogListener(sea_orm::sqlx::postgres::PgListener);

impl LogListener {
    /// Listens to the log of `db`; `None` on SQLite.
    pub async fn connect(db: &Database) -> Result<Option<Self>, StorageError> {
        let Some(url) = db.postgres_url() else {
            return Ok(None);
        };
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(url)
            .await
            .map_err(unavailable)?;
        listener.listen(CHANNEL).await.map_err(unavailable)?;
        Ok(Some(Self(listener)))
    }

    /// Waits until entries were committed (`true`), or until the connection was lost and
    /// made again (`false`: notifications may have been missed meanwhile, read the log).
    pub async fn next(&mut self) -> Result<bool, StorageError> {
        Ok(self.0.try_recv().await.map_err(unavailable)?.is_some())
    }
}

fn unavailable(error: sea_orm::sqlx::Error) -> StorageError {
    StorageError::Unavailable(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
        error.to_string(),
    )))
}

/// Who reads the log: the public reads entries of what the public could see; an editor
/// also reads the entries of their organizations' items; administrators read everything.
#[derive(Debug, Clone)]
pub enum ChangeReader {
    /// Anonymous callers, residents and apps.
    Public,
    /// An editor of these organizations.
    Editor(std::sync::Arc<[Uuid]>),
    /// An administrator or an operator.
    Everything,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    /// Where it stands in the log.
    pub position: ChangePosition,
    /// What kind of item changed.
    pub kind: ItemKind,
    /// Its id.
    pub id: Uuid,
    /// What happened.
    pub change: ChangeKind,
    /// Its version after the change.
    pub version: i64,
    /// The organization that publishes it, if any.
    pub organization: Option<Uuid>,
    /// Whether the public could see the item before or after the change.
    pub public: bool,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl ChangeReader {
    /// Whether this reader may read `entry`: the rule of [`page`], for entries read by
    /// someone else.
    pub fn admits(&self, entry: &ChangeEntry) -> bool {
        match self {
            ChangeReader::Everything => true,
            ChangeReader::Public => entry.public,
            ChangeReader::Editor(organizations) => {
                entry.public
                    || entry
                        .organization
                        .is_some_and(|o| organizations.contains(&o))
            }
        }
    }
}

/// A place in the log: readers resume after it. Entries are ordered by the transaction
/// that wrote them (PostgreSQL's transaction id; 0 on SQLite, where writers take turns),
/// then by their position, and read only once their transaction has ended, so that a
/// reader following positions never skips an entry that commits late. `at` is when the
/// entry was written, which tells whether the place is still within the log's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangePosition {
    tx: i64,
    position: i64,
    at: DateTime<Utc>,
}

impl ChangePosition {
    /// The position as an opaque text.
    pub fn encode(&self) -> String {
        crate::cursor::encode(self)
    }

    /// A position made by [`ChangePosition::encode`]; anything else is
    /// [`StorageError::BadCursor`].
    pub fn decode(text: &str) -> Result<Self, StorageError> {
        crate::cursor::decode(text)
    }

    /// When the entry at this position was written.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The entry's number in the log: unique, but on PostgreSQL not in commit order.
    pub fn number(&self) -> i64 {
        self.position
    }

    /// Whether this position comes after `other` in the log's order.
    pub fn follows(&self, other: &ChangePosition) -> bool {
        (self.tx, self.position) > (other.tx, other.position)
    }
}

#[derive(sea_orm::FromQueryResult)]
struct Row {
    position: i64,
    tx: i64,
    item_kind: String,
    item_id: Uuid,
    change: String,
    version: i64,
    organization_id: Option<Uuid>,
    public: bool,
    at: DateTime<Utc>,
}

impl Row {
    fn entry(self) -> Option<ChangeEntry> {
        Some(ChangeEntry {
            position: ChangePosition {
                tx: self.tx,
                position: self.position,
                at: self.at,
            },
            kind: ItemKind::from_code(&self.item_kind)?,
            id: self.item_id,
            change: ChangeKind::from_code(&self.change)?,
            version: self.version,
            organization: self.organization_id,
            public: self.public,
            at: self.at,
        })
    }
}

/// The transactions whose entries may be read: on PostgreSQL, those below the oldest
/// transaction still running (every one of them has committed or rolled back, so nothing
/// can appear below that line any more); on SQLite, every committed one.
fn push_horizon(sql: &mut Sql) {
    if sql.is_postgres() {
        sql.push(" AND c.tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
    }
}

fn push_reader(sql: &mut Sql, reader: &ChangeReader) {
    match reader {
        ChangeReader::Everything => {}
        ChangeReader::Public => {
            sql.push(" AND c.public = ").bind(true);
        }
        ChangeReader::Editor(organizations) if organizations.is_empty() => {
            sql.push(" AND c.public = ").bind(true);
        }
        ChangeReader::Editor(organizations) => {
            sql.push(" AND (c.public = ")
                .bind(true)
                .push(" OR c.organization_id IN ")
                .bind_list(organizations.iter().copied())
                .push(")");
        }
    }
}

/// The log's order: by transaction, then by position.
const LOG_ORDER: Keyset<'static> =
    Keyset(&[("c.tx", Sort::Ascending), ("c.position", Sort::Ascending)]);

/// A page of the entries that `reader` may read, of the `kinds` given (every kind when
/// empty), in log order: forward from the oldest kept or from the request's position,
/// backward from the log's end or from the request's position.
pub async fn page(
    db: &Database,
    reader: &ChangeReader,
    request: &PageRequest,
    kinds: &[ItemKind],
) -> Result<Page<ChangeEntry>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push(
        "SELECT c.position, c.tx, c.item_kind, c.item_id, c.change, c.version, c.organization_id, c.public, c.at FROM change_log c WHERE 1 = 1",
    );
    push_horizon(&mut sql);
    push_reader(&mut sql, reader);
    push_kinds(&mut sql, kinds);
    LOG_ORDER.push_page(&mut sql, request, |p: ChangePosition| {
        vec![p.tx.into(), p.position.into()]
    })?;
    let rows = Row::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    let entries = rows.into_iter().filter_map(Row::entry).collect();
    Ok(Page::from_rows(entries, request, |e: &ChangeEntry| {
        e.position.encode()
    }))
}

fn push_kinds(sql: &mut Sql, kinds: &[ItemKind]) {
    if !kinds.is_empty() {
        sql.push(" AND c.item_kind IN ")
            .bind_list(kinds.iter().map(|k| k.code()));
    }
}

/// How many entries of the log `reader` may read, of the `kinds` given.
pub async fn count(
    db: &Database,
    reader: &ChangeReader,
    kinds: &[ItemKind],
) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM change_log c WHERE 1 = 1");
    push_horizon(&mut sql);
    push_reader(&mut sql, reader);
    push_kinds(&mut sql, kinds);
    crate::places::count_of(db, sql).await
}

/// The end of the log as of now: reading after it gives every change that commits from
/// now on (and possibly a few that committed just before, which a reader applies again
/// harmlessly). Take it before a full read, then follow the log from it.
pub async fn head(db: &Database, now: DateTime<Utc>) -> Result<ChangePosition, StorageError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Head {
        tx: i64,
        position: i64,
    }
    let text = if db.backend() == crate::Backend::Postgres {
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS tx, CAST(0 AS BIGINT) AS position"
    } else {
        "SELECT CAST(0 AS INTEGER) AS tx, COALESCE(MAX(position), 0) AS position FROM change_log"
    };
    let head = Head::find_by_statement(sea_orm::Statement::from_string(db.db_backend(), text))
        .one(db.connection())
        .await?
        .unwrap_or(Head { tx: 0, position: 0 });
    Ok(ChangePosition {
        tx: head.tx,
        position: head.position,
        at: now,
    })
}

/// How far `replica` is behind `primary`, by the change log: how long ago the oldest
/// entry of the primary's log that the replica does not hold yet was written; zero when it
/// holds the newest. An entry stands in the log in the transaction of its write, so a
/// replica that holds an entry holds the write too.
pub async fn replica_lag(
    primary: &Database,
    replica: &Database,
    now: DateTime<Utc>,
) -> Result<chrono::TimeDelta, StorageError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Newest {
        position: Option<i64>,
    }
    #[derive(sea_orm::FromQueryResult)]
    struct Oldest {
        at: Option<DateTime<Utc>>,
    }
    let newest = Newest::find_by_statement(sea_orm::Statement::from_string(
        replica.db_backend(),
        "SELECT MAX(position) AS position FROM change_log",
    ))
    .one(replica.connection())
    .await?
    .and_then(|n| n.position)
    .unwrap_or(0);
    let mut sql = Sql::new(primary.db_backend());
    sql.push("SELECT MIN(at) AS at FROM change_log WHERE position > ")
        .bind(newest);
    let oldest = Oldest::find_by_statement(sql.build())
        .one(primary.connection())
        .await?
        .and_then(|o| o.at);
    Ok(oldest.map_or(chrono::TimeDelta::zero(), |at| {
        (now - at).max(chrono::TimeDelta::zero())
    }))
}

/// What the public data is as of, by the change log: the last entry the public may read
/// in log order (with when it was written), and the newest public entry committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicMark {
    /// `None` while no public entry may be read yet (on PostgreSQL, while a transaction
    /// older than every public entry is still running anywhere on the server).
    last: Option<ChangePosition>,
    newest: i64,
}

impl PublicMark {
    /// When the last entry readers of the log can see was written, if there is one.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        self.last.map(|last| last.at)
    }

    /// The mark as an opaque text: a different text means the public data may differ.
    pub fn encode(&self) -> String {
        let last = self.last.map(|last| last.encode()).unwrap_or_default();
        format!("{last}.{}", self.newest)
    }
}

/// The mark of the public data ([`PublicMark`]), or `None` while the log has no public
/// entry. Any public change that commits moves it: on PostgreSQL, the newest committed
/// entry moves at once, and the last readable entry once every transaction older than the
/// change's has ended (as for readers of [`page`]), which catches a change that commits
/// after a newer one. One statement, which always answers one row.
pub async fn public_mark(db: &Database) -> Result<Option<PublicMark>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT (SELECT MAX(n.position) FROM change_log n WHERE n.public = ")
        .bind(true)
        .push(") AS newest, c.tx, c.position, c.at FROM (SELECT 1 AS one) o LEFT JOIN (SELECT c.tx, c.position, c.at FROM change_log c WHERE c.public = ")
        .bind(true);
    push_horizon(&mut sql);
    sql.push(" ORDER BY c.tx DESC, c.position DESC LIMIT 1) c ON 1 = 1");
    #[derive(sea_orm::FromQueryResult)]
    struct Mark {
        newest: Option<i64>,
        tx: Option<i64>,
        position: Option<i64>,
        at: Option<DateTime<Utc>>,
    }
    let mark = Mark::find_by_statement(sql.build())
        .one(db.connection())
        .await?;
    Ok(mark.and_then(|m| {
        let last = match (m.tx, m.position, m.at) {
            (Some(tx), Some(position), Some(at)) => Some(ChangePosition { tx, position, at }),
            _ => None,
        };
        Some(PublicMark {
            last,
            newest: m.newest?,
        })
    }))
}

/// How far in the log the follower `name` has gone (an encoded position), if it ever
/// started: the followers that resume after a restart (webhooks, Web Push) keep their
/// place in the database, where every replica reads it.
pub async fn cursor(db: &Database, name: &str) -> Result<Option<String>, StorageError> {
    #[derive(FromQueryResult)]
    struct Cursor {
        position: String,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT position FROM log_cursors WHERE name = ")
        .bind(name.to_owned());
    Ok(Cursor::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map(|c| c.position))
}

/// Sets the cursor of `name` where none was set yet (its first start); another replica's
/// first start may set it first.
pub async fn start_cursor(db: &Database, name: &str, position: &str) -> Result<(), StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO log_cursors (name, position) VALUES (")
        .bind(name.to_owned())
        .push(", ")
        .bind(position.to_owned())
        .push(") ON CONFLICT (name) DO NOTHING");
    db.connection().execute_raw(sql.build()).await?;
    Ok(())
}

/// Moves the cursor of `name` from `from` to `to`, unless another replica moved it
/// meanwhile; whether it moved.
pub async fn advance_cursor(
    db: &Database,
    name: &str,
    from: &str,
    to: &str,
) -> Result<bool, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("UPDATE log_cursors SET position = ")
        .bind(to.to_owned())
        .push(" WHERE name = ")
        .bind(name.to_owned())
        .push(" AND position = ")
        .bind(from.to_owned());
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected()
        == 1)
}

/// Deletes the entries written before `before`, and returns how many went. Readers whose
/// position is older than the retention must reload instead (see
/// [`StorageError::CursorExpired`]).
pub async fn compact(db: &Database, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("DELETE FROM change_log WHERE at < ").bind(before);
    Ok(db
        .connection()
        .execute_raw(sql.build())
        .await?
        .rows_affected())
}
