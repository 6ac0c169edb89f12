//! Facets: how many items of a list each value of one dimension holds (categories,
//! neighbourhoods, audiences, accessibility, free or not), counted by the database under
//! the list's filter, one statement per facet. Each list clears the facet's own dimension
//! from its filter before counting, as shops do, so that every value shows what choosing it
//! would give.

use std::collections::HashMap;

use capitole_domain::Audience;
use capitole_domain::event::Accessibility;
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

use crate::articles::{self, ArticleVisibility, NewsFilter};
use crate::events::{self, EventFilter};
use crate::places::{self, PlaceFilter};
use crate::rows::read_rows;
use crate::sql::Sql;
use crate::{Database, StorageError};

/// A dimension a list is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    /// Categories, each counting the items of its whole subtree.
    Categories,
    /// Neighbourhoods.
    Neighborhoods,
    /// Audiences.
    Audiences,
    /// Accessibility.
    Accessibility,
    /// Free or not.
    Free,
}

/// One value of a facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacetValue {
    /// A category or a neighbourhood.
    Id(Uuid),
    /// An audience or an accessibility need, by its stored code.
    Code(&'static str),
    /// Free (`true`) or not.
    Flag(bool),
}

/// The values of a facet with how many items each holds; values holding none are left out.
pub type FacetCounts = Vec<(FacetValue, u64)>;

/// The items a facet counts: `from` names the table and its alias (`events e`), `id` the
/// item's id column, and `conditions` pushes the filter after `WHERE`.
pub(crate) struct Subject<'a> {
    pub from: &'static str,
    pub id: &'static str,
    pub conditions: &'a (dyn Fn(&mut Sql) + Sync),
}

/// Every category with each of its ancestors (itself included), for counting a category's
/// whole subtree.
const ANCESTORS: &str = "WITH RECURSIVE up (category_id, ancestor_id) AS (SELECT id, id FROM categories UNION ALL SELECT up.category_id, c.parent_id FROM up JOIN categories c ON c.id = up.ancestor_id WHERE c.parent_id IS NOT NULL) ";

/// The items of `subject` counted per category of `link` (a table of `item_column` and
/// `category_id`), each category counting the distinct items of its subtree.
pub(crate) async fn by_category(
    db: &Database,
    subject: &Subject<'_>,
    (link, item_column): (&str, &str),
) -> Result<FacetCounts, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push(ANCESTORS)
        .push("SELECT up.ancestor_id AS value, COUNT(DISTINCT ")
        .push(subject.id)
        .push(") AS n FROM ")
        .push(subject.from);
    sql.push(" JOIN ").push(link).push(" l ON l.");
    sql.push(item_column).push(" = ").push(subject.id);
    sql.push(" JOIN up ON up.category_id = l.category_id WHERE ");
    (subject.conditions)(&mut sql);
    sql.push(" GROUP BY up.ancestor_id");
    by_id(db, sql).await
}

/// The items of `subject` counted per neighbourhood, read from `value` (a column of the
/// item, or of a table `join`ed as `l`).
pub(crate) async fn by_neighborhood(
    db: &Database,
    subject: &Subject<'_>,
    join: Option<(&str, &str)>,
    value: &str,
) -> Result<FacetCounts, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(value)
        .push(" AS value, COUNT(DISTINCT ")
        .push(subject.id)
        .push(") AS n FROM ")
        .push(subject.from);
    if let Some((link, item_column)) = join {
        sql.push(" JOIN ").push(link).push(" l ON l.");
        sql.push(item_column).push(" = ").push(subject.id);
    }
    sql.push(" WHERE ");
    (subject.conditions)(&mut sql);
    sql.push(" AND ").push(value).push(" IS NOT NULL GROUP BY ");
    sql.push(value);
    by_id(db, sql).await
}

async fn by_id(db: &Database, sql: Sql) -> Result<FacetCounts, StorageError> {
    let rows = read_rows(db, sql, |row| {
        Ok((FacetValue::Id(row.get::<Uuid>()?), count(row.get::<i64>()?)))
    })
    .await?;
    Ok(rows.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// The items of `subject` counted per code held in `column` (stored as `|code|code|`), all
/// codes in one pass.
pub(crate) async fn by_code(
    db: &Database,
    subject: &Subject<'_>,
    column: &str,
    codes: &[&'static str],
) -> Result<FacetCounts, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ");
    for (i, code) in codes.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("COUNT(CASE WHEN ");
        sql.contains(column, &format!("|{code}|"));
        sql.push(" THEN 1 END)");
    }
    sql.push(" FROM ").push(subject.from).push(" WHERE ");
    (subject.conditions)(&mut sql);
    let counts = read_rows(db, sql, |row| {
        codes
            .iter()
            .map(|_| row.get::<i64>().map(count))
            .collect::<Result<Vec<u64>, DbErr>>()
    })
    .await?;
    let counts = counts.into_iter().next().unwrap_or_default();
    Ok(codes
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(code, n)| (FacetValue::Code(code), n))
        .collect())
}

/// The items of `subject` counted by a boolean `column`.
pub(crate) async fn by_flag(
    db: &Database,
    subject: &Subject<'_>,
    column: &str,
) -> Result<FacetCounts, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(CASE WHEN ")
        .push(column)
        .push(" = ")
        .bind(true)
        .push(" THEN 1 END), COUNT(CASE WHEN ")
        .push(column)
        .push(" = ")
        .bind(false)
        .push(" THEN 1 END) FROM ")
        .push(subject.from)
        .push(" WHERE ");
    (subject.conditions)(&mut sql);
    let rows = read_rows(db, sql, |row| {
        Ok((count(row.get::<i64>()?), count(row.get::<i64>()?)))
    })
    .await?;
    let (yes, no) = rows.into_iter().next().unwrap_or_default();
    Ok([(true, yes), (false, no)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(flag, n)| (FacetValue::Flag(flag), n))
        .collect())
}

/// Adds the counts of `more` (counted over other items) to `into`.
pub(crate) fn merge(into: &mut FacetCounts, more: FacetCounts) {
    let mut index: HashMap<FacetValue, usize> =
        into.iter().enumerate().map(|(i, (v, _))| (*v, i)).collect();
    for (value, n) in more {
        match index.get(&value) {
            Some(&i) => into[i].1 += n,
            None => {
                index.insert(value, into.len());
                into.push((value, n));
            }
        }
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// How many events of the agenda's `filter` each value of `facet` holds (an event counts
/// when it has a date in the filter's span that is not cancelled).
pub async fn of_events(
    db: &Database,
    filter: &EventFilter,
    facet: Facet,
) -> Result<FacetCounts, StorageError> {
    let mut filter = filter.clone();
    match facet {
        Facet::Categories => filter.categories.clear(),
        Facet::Neighborhoods => filter.neighborhoods.clear(),
        Facet::Audiences => filter.audiences.clear(),
        Facet::Accessibility => filter.accessibility.clear(),
        Facet::Free => filter.free_only = false,
    }
    let near = events::near_places(db, &filter).await?;
    if events::holds_no_place(&near) {
        return Ok(Vec::new());
    }
    let conditions = |sql: &mut Sql| {
        sql.push(
            "EXISTS (SELECT 1 FROM event_occurrences o WHERE o.event_id = e.id AND o.starts_at >= ",
        )
        .bind(filter.starts_after);
        if let Some(before) = filter.starts_before {
            sql.push(" AND o.starts_at < ").bind(before);
        }
        sql.push(" AND o.status <> ")
            .push(events::CANCELLED)
            .push(")");
        events::push_event_conditions(sql, &filter, near.as_ref());
    };
    let subject = Subject {
        from: "events e",
        id: "e.id",
        conditions: &conditions,
    };
    match facet {
        Facet::Categories => by_category(db, &subject, ("event_categories", "event_id")).await,
        Facet::Neighborhoods => {
            let link = Some(("event_neighborhoods", "event_id"));
            by_neighborhood(db, &subject, link, "l.neighborhood_id").await
        }
        Facet::Audiences => by_code(db, &subject, "e.audiences", &audience_codes()).await,
        Facet::Accessibility => {
            by_code(db, &subject, "e.accessibility", &accessibility_codes()).await
        }
        Facet::Free => by_flag(db, &subject, "e.is_free").await,
    }
}

/// How many events of the agenda's `filter` have a date starting on each day, the filter's
/// own span replaced by the days: `bounds` are the days' starts followed by the last one's
/// end. Each count is the agenda's `totalCount` for that day.
pub async fn events_per_day(
    db: &Database,
    filter: &EventFilter,
    bounds: &[DateTime<Utc>],
) -> Result<Vec<u64>, StorageError> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
        return Ok(Vec::new());
    };
    let days = bounds.len().saturating_sub(1);
    let near = events::near_places(db, filter).await?;
    if days == 0 || events::holds_no_place(&near) {
        return Ok(vec![0; days]);
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ");
    for (i, day) in bounds.windows(2).enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("COUNT(DISTINCT CASE WHEN o.starts_at >= ")
            .bind(day[0])
            .push(" AND o.starts_at < ")
            .bind(day[1])
            .push(" THEN o.event_id END)");
    }
    sql.push(" FROM event_occurrences o JOIN events e ON e.id = o.event_id WHERE o.starts_at >= ")
        .bind(*first)
        .push(" AND o.starts_at < ")
        .bind(*last)
        .push(" AND o.status <> ")
        .push(events::CANCELLED);
    events::push_event_conditions(&mut sql, filter, near.as_ref());
    let rows = read_rows(db, sql, |row| {
        (0..days)
            .map(|_| row.get::<i64>().map(count))
            .collect::<Result<Vec<u64>, DbErr>>()
    })
    .await?;
    Ok(rows.into_iter().next().unwrap_or_else(|| vec![0; days]))
}

/// The most places a statement names one by one when a filter needs Rust to tell which
/// places it holds (a distance on SQLite, opening hours).
const PLACES_PER_STATEMENT: usize = 5_000;

/// How many places of `filter` each value of `facet` holds (places have no audience and
/// no price: those facets are empty).
pub async fn of_places(
    db: &Database,
    filter: &PlaceFilter,
    facet: Facet,
) -> Result<FacetCounts, StorageError> {
    let mut filter = filter.clone();
    match facet {
        Facet::Categories => filter.categories.clear(),
        Facet::Neighborhoods => filter.neighborhoods.clear(),
        Facet::Accessibility => filter.accessibility.clear(),
        Facet::Audiences | Facet::Free => return Ok(Vec::new()),
    }
    let postgres = db.backend() == crate::Backend::Postgres;
    if filter.open_at.is_none() && (filter.near.is_none() || postgres) {
        let conditions = |sql: &mut Sql| {
            sql.push("1 = 1");
            if let Some((point, radius)) = filter.near {
                sql.push(" AND ");
                places::push_within_circle(sql, point, radius);
            }
            places::push_conditions(sql, &filter);
        };
        return of_places_where(db, &conditions, facet).await;
    }
    let ids = places::checked_in_rust(db, &filter).await?;
    let mut counts = Vec::new();
    for chunk in ids.chunks(PLACES_PER_STATEMENT) {
        let conditions = |sql: &mut Sql| {
            sql.push("p.id IN ").bind_list(chunk.iter().copied());
        };
        merge(&mut counts, of_places_where(db, &conditions, facet).await?);
    }
    Ok(counts)
}

async fn of_places_where(
    db: &Database,
    conditions: &(dyn Fn(&mut Sql) + Sync),
    facet: Facet,
) -> Result<FacetCounts, StorageError> {
    let subject = Subject {
        from: "places p",
        id: "p.id",
        conditions,
    };
    match facet {
        Facet::Categories => by_category(db, &subject, ("place_categories", "place_id")).await,
        Facet::Neighborhoods => by_neighborhood(db, &subject, None, "p.neighborhood_id").await,
        Facet::Accessibility => {
            by_code(db, &subject, "p.accessibility", &accessibility_codes()).await
        }
        Facet::Audiences | Facet::Free => Ok(Vec::new()),
    }
}

/// How many articles of a news list each value of `facet` holds (articles have no
/// accessibility and no price: those facets are empty).
pub async fn of_news(
    db: &Database,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
    facet: Facet,
) -> Result<FacetCounts, StorageError> {
    let mut filter = filter.clone();
    match facet {
        Facet::Categories => filter.categories.clear(),
        Facet::Neighborhoods => filter.neighborhoods.clear(),
        Facet::Audiences => filter.audiences.clear(),
        Facet::Accessibility | Facet::Free => return Ok(Vec::new()),
    }
    let conditions = |sql: &mut Sql| articles::push_conditions(sql, visibility, &filter);
    let subject = Subject {
        from: "articles a",
        id: "a.id",
        conditions: &conditions,
    };
    match facet {
        Facet::Categories => by_category(db, &subject, ("article_categories", "article_id")).await,
        Facet::Neighborhoods => {
            let link = Some(("article_neighborhoods", "article_id"));
            by_neighborhood(db, &subject, link, "l.neighborhood_id").await
        }
        Facet::Audiences => by_code(db, &subject, "a.audiences", &audience_codes()).await,
        Facet::Accessibility | Facet::Free => Ok(Vec::new()),
    }
}

fn audience_codes() -> Vec<&'static str> {
    Audience::ALL.iter().map(|a| a.code()).collect()
}

fn accessibility_codes() -> Vec<&'static str> {
    Accessibility::ALL.iter().map(|a| a.code()).collect()
}
