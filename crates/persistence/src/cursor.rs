//! Keyset pages, read in either direction: what page a reader asks for ([`PageRequest`]),
//! the page it gets ([`Page`], each row with the cursor that names its place in the list),
//! and the SQL of a keyset condition and order ([`Keyset`]) that every list shares.
//!
//! A forward page reads the rows that follow its cursor in the list's order; a backward
//! page reads the rows that precede it, by reversing both the order and the comparison,
//! and hands them back in the list's order. Either way one more row than the page holds
//! is read, which tells whether more rows lie beyond the page. A cursor is the row's sort
//! key as JSON; the API wraps it opaquely.

use sea_orm::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StorageError;
use crate::sql::Sql;

/// Which way a page reads its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the start of the list, or from just after the cursor.
    Forward,
    /// From the end of the list, or from just before the cursor, towards the start.
    Backward,
}

/// One page of a list to read: how many rows, which way, from which cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// How many rows the page holds at most.
    pub size: usize,
    /// Which way it reads.
    pub direction: Direction,
    /// Forward: the page follows this row; backward: it precedes it. `None` starts at the
    /// list's start (forward) or end (backward).
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first `size` rows of the list.
    pub fn first(size: usize) -> Self {
        Self {
            size,
            direction: Direction::Forward,
            cursor: None,
        }
    }

    /// The `size` rows after `cursor` (from the start when `None`).
    pub fn after(size: usize, cursor: Option<String>) -> Self {
        Self {
            size,
            direction: Direction::Forward,
            cursor,
        }
    }

    /// The `size` rows before `cursor` (the last ones when `None`).
    pub fn before(size: usize, cursor: Option<String>) -> Self {
        Self {
            size,
            direction: Direction::Backward,
            cursor,
        }
    }

    /// Whether the page reads towards the start of the list.
    pub fn is_backward(&self) -> bool {
        self.direction == Direction::Backward
    }

    /// Whether this is the list's first page read forward, the page a batch of many
    /// owners (every place's first tips) can answer.
    pub fn is_first_page(&self) -> bool {
        self.direction == Direction::Forward && self.cursor.is_none()
    }

    /// How many rows to read: one more than the page, to tell whether more lie beyond.
    pub fn fetch(&self) -> usize {
        self.size + 1
    }

    /// The sort key of the cursor, decoded for this list.
    pub(crate) fn key<K: DeserializeOwned>(&self) -> Result<Option<K>, StorageError> {
        self.cursor.as_deref().map(decode).transpose()
    }
}

/// One page of a keyset-paged list, in the list's order whichever way it was read.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, each with its cursor.
    pub rows: Vec<(T, String)>,
    /// Whether rows follow the last one. Exact for a forward page; for a backward page,
    /// true when it was read before a cursor (the cursor's row follows it).
    pub has_next_page: bool,
    /// Whether rows precede the first one. Exact for a backward page; for a forward page,
    /// true when it was read after a cursor (the cursor's row precedes it).
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// A page without rows.
    pub fn empty() -> Self {
        Page {
            rows: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
        }
    }

    /// Builds a page from up to `request.fetch()` rows read in the request's direction
    /// (a backward page's rows come last first): the extra row only tells that more rows
    /// lie beyond the page.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        let more = rows.len() > request.size;
        rows.truncate(request.size);
        let cursor_given = request.cursor.is_some();
        let (has_next_page, has_previous_page) = match request.direction {
            Direction::Forward => (more, cursor_given),
            Direction::Backward => {
                rows.reverse();
                (cursor_given, more)
            }
        };
        let rows = rows.into_iter().map(|row| {
            let cursor = cursor_of(&row);
            (row, cursor)
        });
        Page {
            rows: rows.collect(),
            has_next_page,
            has_previous_page,
        }
    }

    /// A page of a list held in memory, in its order: the rows after (or before) the row
    /// whose cursor is the request's. A cursor that names no row of the list is refused.
    pub fn of_list(
        list: Vec<T>,
        request: &PageRequest,
        cursor_of: impl Fn(&T) -> String,
    ) -> Result<Self, StorageError> {
        let at = match &request.cursor {
            Some(cursor) => Some(
                list.iter()
                    .position(|row| cursor_of(row) == *cursor)
                    .ok_or(StorageError::BadCursor)?,
            ),
            None => None,
        };
        let rows: Vec<T> = match request.direction {
            Direction::Forward => {
                let start = at.map_or(0, |i| i + 1);
                list.into_iter().skip(start).take(request.fetch()).collect()
            }
            Direction::Backward => {
                let end = at.unwrap_or(list.len());
                let mut before: Vec<T> = list.into_iter().take(end).collect();
                before.reverse();
                before.truncate(request.fetch());
                before
            }
        };
        Ok(Self::from_rows(rows, request, cursor_of))
    }

    /// A page of a list held in memory and sorted by `order`, whose rows are their own sort
    /// keys (each row's cursor is the row): the rows after (or before) the request's key.
    /// The key need not be in the list any more, so that paging goes on in order when the
    /// list changes between pages.
    pub fn of_sorted(
        mut list: Vec<T>,
        request: &PageRequest,
        order: impl Fn(&T, &T) -> std::cmp::Ordering,
    ) -> Result<Self, StorageError>
    where
        T: Serialize + DeserializeOwned,
    {
        let beyond: Option<T> = request.key()?;
        let rows: Vec<T> = match request.direction {
            Direction::Forward => {
                let start = beyond.map_or(0, |b| list.partition_point(|k| order(k, &b).is_le()));
                list.into_iter().skip(start).take(request.fetch()).collect()
            }
            Direction::Backward => {
                let end = beyond.map_or(list.len(), |b| {
                    list.partition_point(|k| order(k, &b).is_lt())
                });
                list.truncate(end);
                list.into_iter().rev().take(request.fetch()).collect()
            }
        };
        Ok(Self::from_rows(rows, request, encode))
    }

    /// Turns every row into another type, keeping cursors.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        self.filter_map(|row| Some(f(row)))
    }

    /// Turns every row into another type, keeping cursors and leaving out the rows `f`
    /// gives nothing for (an item deleted since its key was read).
    pub fn filter_map<U>(self, mut f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            rows: self
                .rows
                .into_iter()
                .filter_map(|(row, cursor)| f(row).map(|row| (row, cursor)))
                .collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// How a column of a sort key orders the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// The sort key of a list in SQL: its columns (expressions) in order, the last one
/// unique, so that the key names exactly one place in the list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keyset<'a>(pub &'a [(&'a str, Sort)]);

impl Keyset<'_> {
    /// Whether a column reads smallest first for a page read in `direction`.
    fn ascending(sort: Sort, direction: Direction) -> bool {
        (sort == Sort::Ascending) == (direction == Direction::Forward)
    }

    /// Appends ` AND k1 >= v1 AND (k1 > v1 OR (k1 = v1 AND k2 > v2) …)`: the rows beyond
    /// the key `values` in the way `direction` reads (each comparison turned for descending
    /// columns and for backward pages). The first bound says nothing more than the rest,
    /// but it is what lets the database start an index scan at the key instead of reading
    /// every row before it.
    pub(crate) fn push_beyond(&self, sql: &mut Sql, values: &[Value], direction: Direction) {
        if let (Some((column, sort)), Some(value)) = (self.0.first(), values.first())
            && self.0.len() > 1
        {
            let op = if Self::ascending(*sort, direction) {
                " >= "
            } else {
                " <= "
            };
            sql.push(" AND ").push(column).push(op).bind(value.clone());
        }
        sql.push(" AND (");
        for (i, (column, sort)) in self.0.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(");
            for (equal, value) in self.0.iter().zip(values).take(i) {
                sql.push(equal.0)
                    .push(" = ")
                    .bind(value.clone())
                    .push(" AND ");
            }
            let op = if Self::ascending(*sort, direction) {
                " > "
            } else {
                " < "
            };
            sql.push(column).push(op).bind(values[i].clone()).push(")");
        }
        sql.push(")");
    }

    /// Appends `k1 ASC, k2 DESC…`, the order a page read in `direction` reads rows in.
    pub(crate) fn push_order(&self, sql: &mut Sql, direction: Direction) {
        for (i, (column, sort)) in self.0.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(column).push(if Self::ascending(*sort, direction) {
                " ASC"
            } else {
                " DESC"
            });
        }
    }

    /// Appends the page's keyset condition (when it has a cursor, whose key `values_of`
    /// turns into the columns' values), then ` ORDER BY … LIMIT size + 1`.
    pub(crate) fn push_page<K: DeserializeOwned>(
        &self,
        sql: &mut Sql,
        request: &PageRequest,
        values_of: impl FnOnce(K) -> Vec<Value>,
    ) -> Result<(), StorageError> {
        if let Some(key) = request.key::<K>()? {
            self.push_beyond(sql, &values_of(key), request.direction);
        }
        sql.push(" ORDER BY ");
        self.push_order(sql, request.direction);
        sql.push(" LIMIT ").number(request.fetch());
        Ok(())
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cursor(n: &i32) -> String {
        n.to_string()
    }

    #[test]
    fn a_backward_page_comes_back_in_the_lists_order_and_knows_what_precedes_it() {
        // Read backward from the end: 9, 8, 7 and one more to tell that rows precede.
        let page = Page::from_rows(vec![9, 8, 7, 6], &PageRequest::before(3, None), cursor);
        let rows: Vec<i32> = page.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(rows, [7, 8, 9]);
        assert!(page.has_previous_page);
        assert!(!page.has_next_page);
        let start = Page::from_rows(
            vec![2, 1],
            &PageRequest::before(3, Some("3".into())),
            cursor,
        );
        assert_eq!(start.rows.len(), 2);
        assert!(!start.has_previous_page);
        assert!(start.has_next_page);
    }

    #[test]
    fn a_list_in_memory_pages_both_ways_around_a_cursor() {
        let list: Vec<i32> = (1..=5).collect();
        let after = Page::of_list(
            list.clone(),
            &PageRequest::after(2, Some("2".into())),
            cursor,
        )
        .unwrap();
        assert_eq!(after.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 4]);
        assert!(after.has_next_page && after.has_previous_page);
        let before = Page::of_list(
            list.clone(),
            &PageRequest::before(2, Some("2".into())),
            cursor,
        )
        .unwrap();
        assert_eq!(before.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1]);
        assert!(!before.has_previous_page && before.has_next_page);
        assert!(Page::of_list(list, &PageRequest::after(2, Some("9".into())), cursor).is_err());
    }

    #[test]
    fn a_keyset_turns_its_comparisons_and_order_for_descending_columns_and_backward_pages() {
        let keyset = Keyset(&[("a.at", Sort::Descending), ("a.id", Sort::Descending)]);
        let values = [Value::from(1i64), Value::from(2i64)];
        let text = |direction| {
            let mut sql = Sql::new(sea_orm::DbBackend::Sqlite);
            keyset.push_beyond(&mut sql, &values, direction);
            sql.push(" ORDER BY ");
            keyset.push_order(&mut sql, direction);
            sql.build().sql
        };
        assert_eq!(
            text(Direction::Forward),
            " AND a.at <= ? AND ((a.at < ?) OR (a.at = ? AND a.id < ?)) ORDER BY a.at DESC, a.id DESC"
        );
        assert_eq!(
            text(Direction::Backward),
            " AND a.at >= ? AND ((a.at > ?) OR (a.at = ? AND a.id > ?)) ORDER BY a.at ASC, a.id ASC"
        );
    }
}
