//! Who publishes what: articles, events and places each have one or more publishers (an
//! organization each), kept in order in a link table of their own (`article_organizations`,
//! `event_organizations`, `place_organizations`); the first is the one the change log
//! names. Places may have none: those are the administrators'.

use std::collections::HashMap;
use std::sync::OnceLock;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};
use uuid::Uuid;

use crate::entities::organization;
use crate::rows::{Positional, Reader, column_list};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// A kind of item that has publishers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// News articles.
    Article,
    /// Events.
    Event,
    /// Places.
    Place,
}

impl Published {
    /// The link table.
    fn table(self) -> &'static str {
        match self {
            Published::Article => "article_organizations",
            Published::Event => "event_organizations",
            Published::Place => "place_organizations",
        }
    }

    /// The link table's column that names the item.
    fn item_column(self) -> &'static str {
        match self {
            Published::Article => "article_id",
            Published::Event => "event_id",
            Published::Place => "place_id",
        }
    }

    /// Adds ` AND {item} IN (items published by one of organizations)` to `sql`.
    pub(crate) fn push_any_of(self, sql: &mut Sql, item: &str, organizations: &[Uuid]) {
        if organizations.is_empty() {
            return;
        }
        sql.push(" AND ")
            .push(item)
            .push(" IN (SELECT ")
            .push(self.item_column())
            .push(" FROM ")
            .push(self.table())
            .push(" WHERE organization_id IN ")
            .bind_list(organizations.iter().copied())
            .push(")");
    }
}

#[derive(FromQueryResult)]
struct Link {
    item_id: Uuid,
    organization_id: Uuid,
}

/// The publishers of each of these items, as ids, in each item's order.
pub(crate) async fn ids_of(
    conn: &impl ConnectionTrait,
    kind: Published,
    items: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let mut grouped: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if items.is_empty() {
        return Ok(grouped);
    }
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT ")
        .push(kind.item_column())
        .push(" AS item_id, organization_id FROM ")
        .push(kind.table())
        .push(" WHERE ")
        .push(kind.item_column())
        .push(" IN ")
        .bind_list(items.iter().copied())
        .push(" ORDER BY ")
        .push(kind.item_column())
        .push(", position");
    for link in Link::find_by_statement(sql.build()).all(conn).await? {
        grouped
            .entry(link.item_id)
            .or_default()
            .push(link.organization_id);
    }
    Ok(grouped)
}

/// The publishers of one item, as ids, in order.
pub(crate) async fn ids_of_one(
    conn: &impl ConnectionTrait,
    kind: Published,
    item: Uuid,
) -> Result<Vec<Uuid>, StorageError> {
    Ok(ids_of(conn, kind, &[item])
        .await?
        .remove(&item)
        .unwrap_or_default())
}

/// The first publisher of one item: the one the change log names.
pub(crate) async fn first_of(
    conn: &impl ConnectionTrait,
    kind: Published,
    item: Uuid,
) -> Result<Option<Uuid>, StorageError> {
    Ok(ids_of_one(conn, kind, item).await?.first().copied())
}

/// Makes the publishers of an item these, in order.
pub(crate) async fn replace(
    conn: &impl ConnectionTrait,
    kind: Published,
    item: Uuid,
    organizations: &[Uuid],
) -> Result<(), StorageError> {
    let mut delete = Sql::new(conn.get_database_backend());
    delete
        .push("DELETE FROM ")
        .push(kind.table())
        .push(" WHERE ")
        .push(kind.item_column())
        .push(" = ")
        .bind(item);
    conn.execute_raw(delete.build()).await?;
    if organizations.is_empty() {
        return Ok(());
    }
    let mut insert = Sql::new(conn.get_database_backend());
    insert
        .push("INSERT INTO ")
        .push(kind.table())
        .push(" (")
        .push(kind.item_column())
        .push(", organization_id, position) VALUES ");
    for (position, organization) in organizations.iter().enumerate() {
        insert.push(if position == 0 { "(" } else { ", (" });
        insert
            .bind(item)
            .push(", ")
            .bind(*organization)
            .push(", ")
            .bind(i64::try_from(position).unwrap_or(0))
            .push(")");
    }
    conn.execute_raw(insert.build()).await?;
    Ok(())
}

/// The publishers of each of these items, in each item's order, in one statement.
pub async fn of(
    db: &Database,
    kind: Published,
    items: &[Uuid],
) -> Result<HashMap<Uuid, Vec<organization::Model>>, StorageError> {
    if items.is_empty() {
        return Ok(HashMap::new());
    }
    struct Publisher {
        item_id: Uuid,
        organization: organization::Model,
    }
    impl FromQueryResult for Publisher {
        fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
            let mut reader = Reader::new(row, 0);
            Ok(Self {
                item_id: reader.get()?,
                organization: organization::Model::read(&mut reader)?,
            })
        }
    }
    static COLUMNS: OnceLock<String> = OnceLock::new();
    let columns = COLUMNS.get_or_init(|| column_list::<organization::Model>("o"));
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT l.")
        .push(kind.item_column())
        .push(", ")
        .push(columns)
        .push(" FROM ")
        .push(kind.table())
        .push(" l JOIN organizations o ON o.id = l.organization_id WHERE l.")
        .push(kind.item_column())
        .push(" IN ")
        .bind_list(items.iter().copied())
        .push(" ORDER BY l.")
        .push(kind.item_column())
        .push(", l.position");
    let rows = Publisher::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<organization::Model>> = HashMap::new();
    for row in rows {
        grouped
            .entry(row.item_id)
            .or_default()
            .push(row.organization);
    }
    Ok(grouped)
}
