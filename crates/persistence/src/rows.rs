//! Rows read by column position. sea-orm's derived models look each column up by name and,
//! for every NULL, format the column's name into an error that is then thrown away; on a
//! page of events that is most of the time spent turning rows into models. The models the
//! graph reads most are read here in the order of their fields, which is the order
//! sea-orm selects them in and the order [`columns`] writes them.

use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::sqlx::{self, Postgres, Row as _};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult, RuntimeErr, TryGetable};

use crate::entities::{article, event, event_occurrence, organization, place, tip};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Reads the columns of one row one after the other, from a starting position.
pub struct Reader<'a> {
    row: &'a QueryResult,
    pg: Option<&'a sqlx::postgres::PgRow>,
    next: usize,
}

impl<'a> Reader<'a> {
    /// A reader whose first column is the row's column `first` (0-based).
    pub(crate) fn new(row: &'a QueryResult, first: usize) -> Self {
        Self {
            row,
            pg: row.try_as_pg_row(),
            next: first,
        }
    }

    /// The next column.
    /// Reads a model that a LEFT JOIN may have left out: `None` when its first column (its
    /// id) is NULL, its other columns skipped.
    pub(crate) fn optional<M: Positional>(
        &mut self,
        columns: Columns<M>,
    ) -> Result<Option<M>, DbErr> {
        let start = self.next;
        let id: Option<uuid::Uuid> = self.get()?;
        self.next = start;
        match id {
            None => {
                self.next += columns.count();
                Ok(None)
            }
            Some(_) => M::read_only(self, columns).map(Some),
        }
    }

    pub(crate) fn get<T>(&mut self) -> Result<T, DbErr>
    where
        T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>,
    {
        let index = self.next;
        self.next += 1;
        match self.pg {
            // The column lists are written from the models themselves, so each column's
            // type is the field's: checking it again for every value of every row cost
            // about a tenth of a page's time. A value that does not decode is still an
            // error.
            Some(pg) => pg
                .try_get_unchecked::<T, usize>(index)
                .map_err(|error| DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))),
            None => self.row.try_get_by_index::<T>(index),
        }
    }
}

/// A model read by position.
pub trait Positional: Sized {
    /// Its fields, in the order they are read.
    const FIELDS: &'static [&'static str];

    /// Reads the model's columns from the reader's position on.
    #[doc(hidden)]
    fn read(reader: &mut Reader<'_>) -> Result<Self, DbErr> {
        Self::read_only(reader, Columns::ALL)
    }

    /// Reads the model's columns in `columns` (the only ones selected) from the reader's
    /// position on; the other fields take their type's default.
    #[doc(hidden)]
    fn read_only(reader: &mut Reader<'_>, columns: Columns<Self>) -> Result<Self, DbErr>;
}

/// Some of a model's columns: those a page needs when it shows only some fields of each
/// item. The first column (the id) is always among them. A model read with fewer than all
/// its columns holds defaults in the others, so it stays with the page that asked for it.
pub struct Columns<M> {
    bits: u64,
    model: PhantomData<fn() -> M>,
}

impl<M> Clone for Columns<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Columns<M> {}

impl<M> PartialEq for Columns<M> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<M> std::fmt::Debug for Columns<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Columns({:#b})", self.bits)
    }
}

impl<M> Columns<M> {
    /// Every column.
    pub const ALL: Self = Self::from_bits(u64::MAX);
    /// The id alone.
    pub const ID: Self = Self::from_bits(1);

    const fn from_bits(bits: u64) -> Self {
        Self {
            bits,
            model: PhantomData,
        }
    }

    /// These columns and `other`'s.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self::from_bits(self.bits | other.bits)
    }

    /// Whether every column is among them.
    pub fn is_all(self) -> bool
    where
        M: Positional,
    {
        (0..M::FIELDS.len()).all(|i| self.has(i))
    }

    fn has(self, index: usize) -> bool {
        index >= 64 || self.bits & (1 << index) != 0
    }
}

impl<M: Positional> Columns<M> {
    /// The id and the columns named (as the model's fields are); every column when a name
    /// is not one of them.
    pub fn named(names: &[&str]) -> Self {
        let mut bits = 1;
        for name in names {
            match M::FIELDS.iter().position(|field| field == name) {
                Some(index) if index < 64 => bits |= 1 << index,
                _ => return Self::ALL,
            }
        }
        Self::from_bits(bits)
    }

    /// The select list of these columns: `alias.field, …`.
    pub(crate) fn list(self, alias: &str) -> String {
        M::FIELDS
            .iter()
            .enumerate()
            .filter(|(index, _)| self.has(*index))
            .map(|(_, field)| format!("{alias}.{field}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How many columns the select list holds.
    fn count(self) -> usize {
        (0..M::FIELDS.len())
            .filter(|index| self.has(*index))
            .count()
    }
}

macro_rules! positional {
    ($model:path { $($field:ident),* $(,)? }) => {
        impl Positional for $model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn read_only(reader: &mut Reader<'_>, columns: Columns<Self>) -> Result<Self, DbErr> {
                let mut index = 0;
                let mut selected = || {
                    let selected = columns.has(index);
                    index += 1;
                    selected
                };
                // Struct fields are evaluated in the order written: the order of FIELDS.
                Ok(Self {
                    $($field: if selected() { reader.get()? } else { Default::default() },)*
                })
            }
        }
    };
}

positional!(place::Model {
    id,
    slug,
    name,
    name_folded,
    description,
    latitude,
    longitude,
    address,
    postal_code,
    city,
    neighborhood_id,
    phone,
    email,
    website,
    opening_hours,
    accessibility,
    popularity,
    rating,
    created_at,
    updated_at,
    version,
    source,
    external_id,
    closure,
    closed_until,
    easy_read_summary,
    accessibility_features,
    pictures,
    media,
});

positional!(event::Model {
    id,
    slug,
    title,
    summary,
    easy_read_summary,
    description,
    search_text,
    status,
    attendance_mode,
    online_url,
    age_min,
    age_max,
    accessibility,
    audiences,
    is_free,
    price,
    registration_url,
    registration_phone,
    registration_email,
    place_id,
    location_text,
    recurrence_rule,
    duration_minutes,
    created_at,
    updated_at,
    version,
    source,
    external_id,
    recurrence_start,
    recurrence_exceptions,
    accessibility_features,
    inherits_accessibility,
    pictures,
    media,
});

positional!(event_occurrence::Model {
    id,
    event_id,
    starts_at,
    ends_at,
    status,
});

positional!(article::Model {
    id,
    slug,
    title,
    summary,
    easy_read_summary,
    body,
    search_text,
    status,
    published_at,
    author_name,
    cover_url,
    cover_alt,
    cover_credit,
    media,
    tags,
    audiences,
    created_at,
    updated_at,
    version,
    review_requested_at,
});

positional!(organization::Model {
    id,
    slug,
    name,
    kind,
    website,
    description,
    social_accounts,
    created_at,
});

positional!(tip::Model {
    id,
    place_id,
    user_id,
    text,
    created_at,
    like_count,
    report_count,
    hidden_at,
    hidden_by,
});

/// A model read by position from the first column of each row.
pub(crate) struct ByPosition<T>(pub T);

impl<T: Positional> FromQueryResult for ByPosition<T> {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        T::read(&mut Reader::new(row, 0)).map(ByPosition)
    }
}

/// Runs a statement and reads each of its rows with `read`.
pub(crate) async fn read_rows<T>(
    db: &Database,
    sql: Sql,
    read: impl Fn(&mut Reader<'_>) -> Result<T, DbErr>,
) -> Result<Vec<T>, StorageError> {
    let rows = db.connection().query_all_raw(sql.build()).await?;
    Ok(rows
        .iter()
        .map(|row| read(&mut Reader::new(row, 0)))
        .collect::<Result<Vec<_>, _>>()?)
}

/// The columns of `T` for a select list: `alias.field, …`.
pub(crate) fn column_list<T: Positional>(alias: &str) -> String {
    Columns::<T>::ALL.list(alias)
}

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::*;

    fn entity_fields<C: Iterable + IdenStatic>() -> Vec<&'static str> {
        C::iter().map(|c| c.as_str()).collect()
    }

    #[test]
    fn models_are_read_in_the_order_sea_orm_selects_them() {
        assert_eq!(
            place::Model::FIELDS,
            entity_fields::<place::Column>().as_slice()
        );
        assert_eq!(
            event::Model::FIELDS,
            entity_fields::<event::Column>().as_slice()
        );
        assert_eq!(
            event_occurrence::Model::FIELDS,
            entity_fields::<event_occurrence::Column>().as_slice()
        );
        assert_eq!(
            article::Model::FIELDS,
            entity_fields::<article::Column>().as_slice()
        );
        assert_eq!(
            organization::Model::FIELDS,
            entity_fields::<organization::Column>().as_slice()
        );
        assert_eq!(
            tip::Model::FIELDS,
            entity_fields::<tip::Column>().as_slice()
        );
    }

    #[test]
    fn column_lists_follow_the_fields() {
        assert_eq!(
            column_list::<event_occurrence::Model>("o"),
            "o.id, o.event_id, o.starts_at, o.ends_at, o.status"
        );
        let some = Columns::<event_occurrence::Model>::named(&["starts_at"]);
        assert_eq!(some.list("o"), "o.id, o.starts_at");
        assert!(!some.is_all());
        assert!(Columns::<event_occurrence::Model>::named(&["no_such_column"]).is_all());
    }
}
