//! Storage errors: what callers can act on (not found, conflict, bad cursor, unavailable),
//! with the driver's detail kept as a source for the log, never for the client.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique value is taken (`field` names it).
    #[error("{field} is already taken")]
    Conflict {
        /// The column whose value is taken.
        field: String,
    },
    /// Nothing has that id.
    #[error("not found")]
    NotFound,
    /// The item changed since the version the caller edits.
    #[error("the item is at version {current}, not {expected}")]
    Stale {
        /// The version the caller edited.
        expected: i64,
        /// The version stored now.
        current: i64,
    },
    /// A page cursor that this service did not make, or made for another list.
    #[error("the cursor is not valid for this list")]
    BadCursor,
    /// A position in the change log older than what the log keeps: the reader must read
    /// everything again.
    #[error("the position is older than the change log's retention")]
    CursorExpired,
    /// The request asks for something storage cannot answer as asked.
    #[error("{0}")]
    BadRequest(String),
    /// The database cannot be reached or is saturated.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    /// Anything else; the source holds the detail.
    #[error("storage failure")]
    Internal(#[source] DbErr),
}

impl From<DbErr> for StorageError {
    fn from(error: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = error.sql_err() {
            return StorageError::Conflict {
                field: conflicting_field(&detail),
            };
        }
        match error {
            DbErr::ConnectionAcquire(_) => {
                // Every connection was lent for the whole acquire timeout, or none could
                // be opened.
                metrics::counter!("capitole_db_acquire_failures_total").increment(1);
                StorageError::Unavailable(error)
            }
            DbErr::Conn(_) => StorageError::Unavailable(error),
            other if unavailable(&other) => StorageError::Unavailable(other),
            other => StorageError::Internal(other),
        }
    }
}

/// Whether a statement failed because the database did not serve it, rather than because
/// of the statement: the connection broke, the pool was closed, the statement ran past
/// its timeout, the server is shutting down or starting, or (SQLite) the file stayed
/// locked past the busy timeout or its disk is full.
fn unavailable(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    let (DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error))) =
        error
    else {
        return false;
    };
    match error.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Database(error) => error.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATE (five characters) or SQLite's extended result code.
fn unavailable_code(code: &str) -> bool {
    if code.len() == 5 {
        // Connection exceptions; statement cancelled (the statement timeout); the server
        // shutting down, crashed or starting; too many connections; out of memory or disk.
        return code.starts_with("08")
            || matches!(
                code,
                "57014" | "57P01" | "57P02" | "57P03" | "53300" | "53100" | "53200"
            );
    }
    // SQLITE_BUSY, SQLITE_LOCKED and SQLITE_FULL, whatever their extended code.
    code.parse::<u32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 13))
}

/// Names the column of a unique-constraint message from either engine
/// (SQLite: `UNIQUE constraint failed: places.slug`; PostgreSQL: `Key (slug)=(x) already exists`).
fn conflicting_field(detail: &str) -> String {
    if let Some(rest) = detail.split("UNIQUE constraint failed: ").nth(1) {
        let column = rest.split([',', ' ']).next().unwrap_or(rest);
        return column.rsplit('.').next().unwrap_or(column).to_owned();
    }
    if let Some(rest) = detail.split("Key (").nth(1)
        && let Some(column) = rest.split(')').next()
    {
        return column.to_owned();
    }
    "value".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_does_not_serve_is_told_from_a_statement_that_is_wrong() {
        for code in [
            "57014", "57P01", "57P03", "08006", "53300", "5", "517", "6", "13",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        // Syntax, unique and foreign-key violations, SQLITE_CONSTRAINT and SQLITE_ERROR.
        for code in ["42601", "23505", "23503", "19", "2067", "1"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }

    #[test]
    fn the_conflicting_column_is_named_for_both_engines() {
        assert_eq!(
            conflicting_field("UNIQUE constraint failed: places.slug"),
            "slug"
        );
        assert_eq!(
            conflicting_field(
                "duplicate key value violates unique constraint \"places_slug_key\" Key (slug)=(x) already exists."
            ),
            "slug"
        );
        assert_eq!(conflicting_field("something else"), "value");
    }
}
