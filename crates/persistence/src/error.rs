//! Storage errors: what callers can act on (not found, conflict, bad cursor, unavailable),
//! with the driver's detail kept as a source for the log, never for the client.

use sea_orm::{DbErr, SqlErr};

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
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StorageError::Unavailable(error),
            other => StorageError::Internal(other),
        }
    }
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
