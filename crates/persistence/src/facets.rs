//! Facets: how many items of a list each value of one dimension holds (categories,
//! neighbourhoods, audiences, accessibility, free or not), counted by the database under
//! the list's filter. Each facet is counted under the filter without its own dimension, as
//! shops do, so that every value shows what choosing it would give: the facets whose
//! dimension the filter leaves open share one statement, and each facet whose dimension
//! the filter narrows has one of its own.

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

/// The counts of several facets of one list.
pub type Counted = HashMap<Facet, FacetCounts>;

/// The items a facet counts: `from` names the table and its alias (`events e`), `id` the
/// item's id column, and `conditions` pushes the filter after `WHERE`.
struct Subject<'a> {
    from: &'static str,
    id: &'static str,
    conditions: &'a (dyn Fn(&mut Sql) + Sync),
}

/// Where the values of a facet are read.
#[derive(Clone)]
enum Values {
    /// Categories linked to the items by a table (`link`, its column naming the item), each
    /// category counting the distinct items of its subtree.
    Categories {
        link: &'static str,
        item: &'static str,
    },
    /// Ids linked to the items by a table (`link`, its `item` column, its `value` column).
    Linked {
        link: &'static str,
        item: &'static str,
        value: &'static str,
    },
    /// An id held in a column of the item.
    Column(&'static str),
    /// Codes held in a column of the item, as `|code|code|`.
    Codes(&'static str, Vec<&'static str>),
    /// A boolean column of the item.
    Flag(&'static str),
}

impl Values {
    /// The item's column the facet reads, carried in the items' common table.
    fn column(&self) -> Option<&'static str> {
        match self {
            Self::Column(column) | Self::Codes(column, _) | Self::Flag(column) => Some(column),
            Self::Categories { .. } | Self::Linked { .. } => None,
        }
    }
}

/// Where one kind of item keeps each dimension (`None`: the kind has no such dimension,
/// and its facet is empty).
struct Dimensions {
    /// The table linking the items to their categories, and its column naming the item.
    categories: (&'static str, &'static str),
    neighborhoods: Values,
    audiences: Option<&'static str>,
    accessibility: Option<&'static str>,
    free: Option<&'static str>,
}

const EVENTS: Dimensions = Dimensions {
    categories: ("event_categories", "event_id"),
    neighborhoods: Values::Linked {
        link: "event_neighborhoods",
        item: "event_id",
        value: "neighborhood_id",
    },
    audiences: Some("e.audiences"),
    accessibility: Some("e.accessibility"),
    free: Some("e.is_free"),
};

const PLACES: Dimensions = Dimensions {
    categories: ("place_categories", "place_id"),
    neighborhoods: Values::Column("p.neighborhood_id"),
    audiences: None,
    accessibility: Some("p.accessibility"),
    free: None,
};

const NEWS: Dimensions = Dimensions {
    categories: ("article_categories", "article_id"),
    neighborhoods: Values::Linked {
        link: "article_neighborhoods",
        item: "article_id",
        value: "neighborhood_id",
    },
    audiences: Some("a.audiences"),
    accessibility: None,
    free: None,
};

impl Dimensions {
    /// Where each facet of `facets` is read; the facets the kind has no dimension for are
    /// left out, and counted empty in `counted`.
    fn read(&self, facets: Vec<Facet>, counted: &mut Counted) -> Vec<(Facet, Values)> {
        let mut read = Vec::new();
        for facet in facets {
            let values = match facet {
                Facet::Categories => Some(Values::Categories {
                    link: self.categories.0,
                    item: self.categories.1,
                }),
                Facet::Neighborhoods => Some(self.neighborhoods.clone()),
                Facet::Audiences => self.audiences.map(|c| Values::Codes(c, audience_codes())),
                Facet::Accessibility => self
                    .accessibility
                    .map(|c| Values::Codes(c, accessibility_codes())),
                Facet::Free => self.free.map(Values::Flag),
            };
            match values {
                Some(values) => read.push((facet, values)),
                None => {
                    counted.insert(facet, Vec::new());
                }
            }
        }
        read
    }
}

/// Every category with each of its ancestors (itself included), for counting a category's
/// whole subtree; the start of a `WITH` list.
const ANCESTORS: &str = "WITH RECURSIVE up (category_id, ancestor_id) AS (SELECT id, id FROM categories UNION ALL SELECT up.category_id, c.parent_id FROM up JOIN categories c ON c.id = up.ancestor_id WHERE c.parent_id IS NOT NULL), ";

/// Appends the start of one counting select: the facet's index, the value's id (or NULL),
/// its code's index (or NULL) and the count, up to `FROM m`.
fn push_select(sql: &mut Sql, facet: usize, value: &str, code: &str, n: &str) {
    sql.push("SELECT CAST(")
        .number(facet)
        .push(" AS BIGINT) AS facet, ")
        .push(value)
        .push(" AS value, ")
        .push(code)
        .push(" AS code, ")
        .push(n)
        .push(" AS n FROM m");
}

/// Counts the items of `subject` under each facet of `asked`, in one statement: a common
/// table `m` holds the items (with the columns the facets read), and each facet's counts
/// are a select over it.
async fn count(
    db: &Database,
    subject: &Subject<'_>,
    asked: &[(Facet, Values)],
) -> Result<Counted, StorageError> {
    let mut counted: Counted = asked
        .iter()
        .map(|(facet, _)| (*facet, Vec::new()))
        .collect();
    if asked.is_empty() {
        return Ok(counted);
    }
    let mut sql = Sql::new(db.db_backend());
    let categories = asked
        .iter()
        .any(|(_, values)| matches!(values, Values::Categories { .. }));
    sql.push(if categories { ANCESTORS } else { "WITH " });
    sql.push("m AS (SELECT ").push(subject.id).push(" AS id");
    for (i, (_, values)) in asked.iter().enumerate() {
        if let Some(column) = values.column() {
            sql.push(", ").push(column).push(" AS v").number(i);
        }
    }
    sql.push(" FROM ").push(subject.from).push(" WHERE ");
    (subject.conditions)(&mut sql);
    sql.push(") ");
    let mut first = true;
    let mut union = |sql: &mut Sql| {
        if !std::mem::take(&mut first) {
            sql.push(" UNION ALL ");
        }
    };
    const NO_ID: &str = "CAST(NULL AS UUID)";
    const NO_CODE: &str = "CAST(NULL AS BIGINT)";
    for (i, (_, values)) in asked.iter().enumerate() {
        let column = format!("m.v{i}");
        match values {
            Values::Categories { link, item } => {
                union(&mut sql);
                push_select(
                    &mut sql,
                    i,
                    "up.ancestor_id",
                    NO_CODE,
                    "COUNT(DISTINCT m.id)",
                );
                sql.push(" JOIN ").push(link).push(" l ON l.").push(item);
                sql.push(
                    " = m.id JOIN up ON up.category_id = l.category_id GROUP BY up.ancestor_id",
                );
            }
            Values::Linked { link, item, value } => {
                let value = format!("l.{value}");
                union(&mut sql);
                push_select(&mut sql, i, &value, NO_CODE, "COUNT(DISTINCT m.id)");
                sql.push(" JOIN ").push(link).push(" l ON l.").push(item);
                sql.push(" = m.id WHERE ")
                    .push(&value)
                    .push(" IS NOT NULL GROUP BY ");
                sql.push(&value);
            }
            Values::Column(_) => {
                union(&mut sql);
                push_select(&mut sql, i, &column, NO_CODE, "COUNT(*)");
                sql.push(" WHERE ")
                    .push(&column)
                    .push(" IS NOT NULL GROUP BY ");
                sql.push(&column);
            }
            Values::Codes(_, codes) => {
                for (j, code) in codes.iter().enumerate() {
                    union(&mut sql);
                    push_select(
                        &mut sql,
                        i,
                        NO_ID,
                        &format!("CAST({j} AS BIGINT)"),
                        "COUNT(*)",
                    );
                    sql.push(" WHERE ").contains(&column, &format!("|{code}|"));
                }
            }
            Values::Flag(_) => {
                for flag in [true, false] {
                    union(&mut sql);
                    let code = format!("CAST({} AS BIGINT)", u8::from(flag));
                    push_select(&mut sql, i, NO_ID, &code, "COUNT(*)");
                    sql.push(" WHERE ").push(&column).push(" = ").bind(flag);
                }
            }
        }
    }
    let rows = read_rows(db, sql, |row| {
        Ok((
            row.get::<i64>()?,
            row.get::<Option<Uuid>>()?,
            row.get::<Option<i64>>()?,
            row.get::<i64>()?,
        ))
    })
    .await?;
    for (facet, id, code, n) in rows {
        let Some((facet, values)) = usize::try_from(facet).ok().and_then(|i| asked.get(i)) else {
            continue;
        };
        let value = match (values, id, code) {
            (Values::Codes(_, codes), _, Some(code)) => usize::try_from(code)
                .ok()
                .and_then(|j| codes.get(j))
                .map(|code| FacetValue::Code(code)),
            (Values::Flag(_), _, Some(code)) => Some(FacetValue::Flag(code == 1)),
            (_, Some(id), _) => Some(FacetValue::Id(id)),
            _ => None,
        };
        if let (Some(value), n @ 1..) = (value, count_of(n))
            && let Some(counts) = counted.get_mut(facet)
        {
            counts.push((value, n));
        }
    }
    Ok(counted)
}

/// The facets asked, grouped by the filter each is counted under: those whose dimension
/// `without` finds open share `filter` itself; each other one is counted under the filter
/// `without` gives, its own dimension cleared.
fn grouped<F: Clone>(
    filter: &F,
    asked: &[Facet],
    without: impl Fn(&F, Facet) -> Option<F>,
) -> Vec<(F, Vec<Facet>)> {
    let mut shared = Vec::new();
    let mut groups = Vec::new();
    for facet in asked {
        match without(filter, *facet) {
            Some(cleared) => groups.push((cleared, vec![*facet])),
            None => shared.push(*facet),
        }
    }
    if !shared.is_empty() {
        groups.insert(0, (filter.clone(), shared));
    }
    groups
}

/// Adds the counts of `more` (counted over other items) to `into`.
fn merge(into: &mut FacetCounts, more: FacetCounts) {
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

fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// How many events of the agenda's `filter` each value of the facets `asked` holds (an
/// event counts when it has a date in the filter's span that is not cancelled).
pub async fn of_events(
    db: &Database,
    filter: &EventFilter,
    asked: &[Facet],
) -> Result<Counted, StorageError> {
    let mut counted = Counted::new();
    for (filter, facets) in grouped(filter, asked, event_filter_without) {
        let asked = EVENTS.read(facets, &mut counted);
        let near = events::near_places(db, &filter).await?;
        if events::holds_no_place(&near) {
            counted.extend(asked.into_iter().map(|(facet, _)| (facet, Vec::new())));
            continue;
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
        counted.extend(count(db, &subject, &asked).await?);
    }
    Ok(counted)
}

/// The agenda's filter without the dimension of `facet`, when it narrows that dimension.
fn event_filter_without(filter: &EventFilter, facet: Facet) -> Option<EventFilter> {
    let mut cleared = filter.clone();
    match facet {
        Facet::Categories if !filter.categories.is_empty() => cleared.categories.clear(),
        Facet::Neighborhoods if !filter.neighborhoods.is_empty() => cleared.neighborhoods.clear(),
        Facet::Audiences if !filter.audiences.is_empty() => cleared.audiences.clear(),
        Facet::Accessibility if !filter.accessibility.is_empty() => cleared.accessibility.clear(),
        Facet::Free if filter.free_only => cleared.free_only = false,
        _ => return None,
    }
    Some(cleared)
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
    sql.push(" FROM event_occurrences o WHERE o.starts_at >= ")
        .bind(*first)
        .push(" AND o.starts_at < ")
        .bind(*last)
        .push(" AND o.status <> ")
        .push(events::CANCELLED);
    events::push_conditions_on_event_of_date(&mut sql, filter, near.as_ref());
    let rows = read_rows(db, sql, |row| {
        (0..days)
            .map(|_| row.get::<i64>().map(count_of))
            .collect::<Result<Vec<u64>, DbErr>>()
    })
    .await?;
    Ok(rows.into_iter().next().unwrap_or_else(|| vec![0; days]))
}

/// The most places a statement names one by one when a filter needs Rust to tell which
/// places it holds (a distance on SQLite, opening hours).
const PLACES_PER_STATEMENT: usize = 5_000;

/// How many places of `filter` each value of the facets `asked` holds (places have no
/// audience and no price: those facets are empty).
pub async fn of_places(
    db: &Database,
    filter: &PlaceFilter,
    asked: &[Facet],
) -> Result<Counted, StorageError> {
    let mut counted = Counted::new();
    let postgres = db.backend() == crate::Backend::Postgres;
    for (filter, facets) in grouped(filter, asked, place_filter_without) {
        let asked = PLACES.read(facets, &mut counted);
        if asked.is_empty() {
            continue;
        }
        if filter.open_at.is_none() && (filter.near.is_none() || postgres) {
            let conditions = |sql: &mut Sql| {
                sql.push("1 = 1");
                if let Some((point, radius)) = filter.near {
                    sql.push(" AND ");
                    places::push_within_circle(sql, point, radius);
                }
                places::push_conditions(sql, &filter);
            };
            counted.extend(count(db, &place_subject(&conditions), &asked).await?);
            continue;
        }
        let ids = places::checked_in_rust(db, &filter).await?;
        let mut group: Counted = asked
            .iter()
            .map(|(facet, _)| (*facet, Vec::new()))
            .collect();
        for chunk in ids.chunks(PLACES_PER_STATEMENT) {
            let conditions = |sql: &mut Sql| {
                sql.push("p.id IN ").bind_list(chunk.iter().copied());
            };
            for (facet, more) in count(db, &place_subject(&conditions), &asked).await? {
                merge(group.entry(facet).or_default(), more);
            }
        }
        counted.extend(group);
    }
    Ok(counted)
}

fn place_subject<'a>(conditions: &'a (dyn Fn(&mut Sql) + Sync)) -> Subject<'a> {
    Subject {
        from: "places p",
        id: "p.id",
        conditions,
    }
}

/// A list of places' filter without the dimension of `facet`, when it narrows that
/// dimension.
fn place_filter_without(filter: &PlaceFilter, facet: Facet) -> Option<PlaceFilter> {
    let mut cleared = filter.clone();
    match facet {
        Facet::Categories if !filter.categories.is_empty() => cleared.categories.clear(),
        Facet::Neighborhoods if !filter.neighborhoods.is_empty() => cleared.neighborhoods.clear(),
        Facet::Accessibility if !filter.accessibility.is_empty() => cleared.accessibility.clear(),
        _ => return None,
    }
    Some(cleared)
}

/// How many articles of a news list each value of the facets `asked` holds (articles have
/// no accessibility and no price: those facets are empty).
pub async fn of_news(
    db: &Database,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
    asked: &[Facet],
) -> Result<Counted, StorageError> {
    let mut counted = Counted::new();
    for (filter, facets) in grouped(filter, asked, news_filter_without) {
        let conditions = |sql: &mut Sql| articles::push_conditions(sql, visibility, &filter);
        let subject = Subject {
            from: "articles a",
            id: "a.id",
            conditions: &conditions,
        };
        let asked = NEWS.read(facets, &mut counted);
        counted.extend(count(db, &subject, &asked).await?);
    }
    Ok(counted)
}

/// A news list's filter without the dimension of `facet`, when it narrows that dimension.
fn news_filter_without(filter: &NewsFilter, facet: Facet) -> Option<NewsFilter> {
    let mut cleared = filter.clone();
    match facet {
        Facet::Categories if !filter.categories.is_empty() => cleared.categories.clear(),
        Facet::Neighborhoods if !filter.neighborhoods.is_empty() => cleared.neighborhoods.clear(),
        Facet::Audiences if !filter.audiences.is_empty() => cleared.audiences.clear(),
        _ => return None,
    }
    Some(cleared)
}

fn audience_codes() -> Vec<&'static str> {
    Audience::ALL.iter().map(|a| a.code()).collect()
}

fn accessibility_codes() -> Vec<&'static str> {
    Accessibility::ALL.iter().map(|a| a.code()).collect()
}
