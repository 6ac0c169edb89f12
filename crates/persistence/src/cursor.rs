//! Keyset pages: a page of rows, each with the cursor that resumes the list after it.
//! A cursor is the row's sort key as JSON; the API wraps it opaquely.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StorageError;

/// One page of a keyset-paged list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, each with its cursor.
    pub rows: Vec<(T, String)>,
    /// Whether more rows follow the last one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` rows fetched in order: the extra row only tells
    /// that there is a next page.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        size: usize,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        let has_next_page = rows.len() > size;
        rows.truncate(size);
        let rows = rows.into_iter().map(|row| {
            let cursor = cursor_of(&row);
            (row, cursor)
        });
        Page {
            rows: rows.collect(),
            has_next_page,
        }
    }

    /// Turns every row into another type, keeping cursors.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self
                .rows
                .into_iter()
                .map(|(row, cursor)| (f(row), cursor))
                .collect(),
            has_next_page: self.has_next_page,
        }
    }
}

/// Encodes a sort key.
pub(crate) fn encode<K: Serialize>(key: &K) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

/// Decodes a sort key made by [`encode`] for the same list.
pub(crate) fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, StorageError> {
    serde_json::from_str(cursor).map_err(|_| StorageError::BadCursor)
}
