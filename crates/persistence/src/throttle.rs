//! Attempt counters that slow down guessing and floods: one row per subject (an account,
//! an address, an account from one address, sign-ups from an address), counting attempts
//! in a window that starts with the first of them. An attempt is counted *before* the work
//! it guards (a password check, a password hash), by one statement that adds it and
//! returns the count, so concurrent attempts cannot all see a count under the limit.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};

use crate::entities::login_throttle;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// The subject counting sign-in attempts on one account, from anywhere.
pub fn account_subject(email: &str) -> String {
    format!("account:{email}")
}

/// The subject counting sign-in attempts on one account from one client address (an
/// address key: one IPv4 address or one IPv6 /64).
pub fn pair_subject(email: &str, address: &str) -> String {
    format!("{}{address}", pair_prefix(email))
}

fn pair_prefix(email: &str) -> String {
    format!("pair:{email}|")
}

/// The subject counting sign-in attempts from one client address, on any account.
pub fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

/// The subject counting the mails sent to one address about its account.
pub fn mail_subject(email: &str) -> String {
    format!("mail:{email}")
}

/// The subject counting sign-ups from one client address.
pub fn sign_up_subject(address: &str) -> String {
    format!("sign-up:{address}")
}

/// Counts one attempt for `subject` and returns how many its window holds now, this one
/// included. A window that started at or before `since` starts over with this attempt.
pub async fn count_attempt(
    db: &Database,
    subject: &str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<u32, StorageError> {
    #[derive(FromQueryResult)]
    struct Counted {
        failures: i64,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("INSERT INTO login_throttle (subject, failures, window_started_at) VALUES (")
        .bind(subject.to_owned())
        .push(", 1, ")
        .bind(now)
        .push(
            ") ON CONFLICT (subject) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_started_at <= ",
        )
        .bind(since)
        .push(
            " THEN 1 ELSE login_throttle.failures + 1 END, \
             window_started_at = CASE WHEN login_throttle.window_started_at <= ",
        )
        .bind(since)
        .push(
            " THEN excluded.window_started_at ELSE login_throttle.window_started_at END \
             RETURNING CAST(failures AS BIGINT) AS failures",
        );
    let counted = Counted::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map_or(1, |row| row.failures);
    Ok(u32::try_from(counted).unwrap_or(u32::MAX))
}

/// Takes one counted attempt back (it turned out to be the owner, who is not guessing).
pub async fn refund_attempt(db: &Database, subject: &str) -> Result<(), StorageError> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::Subject.eq(subject))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(db.connection())
        .await?;
    Ok(())
}

/// Forgets the attempts of these subjects (after the owner proved who they are).
pub async fn forget(db: &Database, subjects: &[&str]) -> Result<(), StorageError> {
    if subjects.is_empty() {
        return Ok(());
    }
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Subject.is_in(subjects.iter().copied()))
        .exec(db.connection())
        .await?;
    Ok(())
}

/// Appends the condition that picks the counters of one account: from anywhere, from each
/// address, and of the mails sent to it.
fn of_account_where(sql: &mut Sql, email: &str) {
    let prefix = pair_prefix(email);
    sql.push(" WHERE subject IN (")
        .bind(account_subject(email))
        .push(", ")
        .bind(mail_subject(email))
        .push(") OR substr(subject, 1, ")
        .bind(i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX))
        .push(") = ")
        .bind(prefix);
}

/// The counters that concern one account: from anywhere, from each address, and of the
/// mails sent to it.
pub async fn of_account(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Vec<login_throttle::Model>, StorageError> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT * FROM login_throttle");
    of_account_where(&mut sql, email);
    sql.push(" ORDER BY subject");
    Ok(login_throttle::Model::find_by_statement(sql.build())
        .all(conn)
        .await?)
}

/// Forgets the counters that concern one account (its erasure, a new password).
pub(crate) async fn forget_account(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<(), StorageError> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("DELETE FROM login_throttle");
    of_account_where(&mut sql, email);
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Deletes the counters whose window started at or before `before`; returns how many.
pub async fn purge(db: &Database, before: DateTime<Utc>) -> Result<u64, StorageError> {
    Ok(login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lte(before))
        .exec(db.connection())
        .await?
        .rows_affected)
}
