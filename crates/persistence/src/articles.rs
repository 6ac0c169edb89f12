//! News articles: the latest first, keyset-paged, the links of articles to their
//! publishers, neighbourhoods, events and places, and their revisions. Writes are in
//! `crate::article`.
//!
//! Who may read which article is decided here once, by [`ArticleVisibility`], and every
//! query that returns articles applies it: lists, lookups by id or slug, and batch loads.

use capitole_domain::change::ItemKind;
use std::collections::HashMap;
use std::sync::OnceLock;

use capitole_domain::Audience;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cursor::{self, Keyset, Page, PageRequest, Sort};
use crate::entities::{
    article, article_event, article_neighborhood, article_place, article_revision, organization,
};
use crate::places::count_of;
use crate::publishers::Published;
use crate::rows::{ByPosition, Columns, Positional, column_list, read_rows};
use crate::sql::Sql;
use crate::{Database, StorageError};

/// Which articles a reader may see.
#[derive(Debug, Clone)]
pub enum ArticleVisibility {
    /// Anyone: published or archived articles whose publication time has come.
    Public {
        /// The instant to judge publication times by.
        now: DateTime<Utc>,
    },
    /// An editor: what anyone sees, and every article (drafts, scheduled) published by one
    /// of their organizations.
    Editor {
        /// The instant to judge publication times by.
        now: DateTime<Utc>,
        /// The organizations they edit for.
        organizations: std::sync::Arc<[Uuid]>,
    },
    /// An administrator: every article.
    Everything,
}

impl ArticleVisibility {
    fn push(&self, sql: &mut Sql) {
        match self {
            ArticleVisibility::Public { now } => {
                sql.push("a.status IN ('PUBLISHED', 'ARCHIVED') AND a.published_at <= ")
                    .bind(*now);
            }
            ArticleVisibility::Editor { now, organizations } => {
                sql.push("((a.status IN ('PUBLISHED', 'ARCHIVED') AND a.published_at <= ")
                    .bind(*now)
                    .push(") OR a.id IN (SELECT article_id FROM article_organizations WHERE organization_id IN ")
                    .bind_list(organizations.iter().copied())
                    .push("))");
            }
            ArticleVisibility::Everything => {
                sql.push("1 = 1");
            }
        }
    }
}

/// Which articles a news list holds.
#[derive(Debug, Clone, Default)]
pub struct NewsFilter {
    /// Only articles published by one of these organizations.
    pub publishers: Vec<Uuid>,
    /// Only articles in one of these categories (subtrees already expanded).
    pub categories: Vec<Uuid>,
    /// Only articles for at least one of these audiences.
    pub audiences: Vec<Audience>,
    /// Only articles with one of these tags.
    pub tags: Vec<String>,
    /// Only articles about one of these neighbourhoods.
    pub neighborhoods: Vec<Uuid>,
    /// Only articles whose search document holds every term (see [`crate::search`]).
    pub search: Option<capitole_domain::search::SearchQuery>,
    /// Also archived articles (lists hold published ones only by default).
    pub include_archived: bool,
    /// Only articles in these statuses, instead of the published ones (the visibility
    /// still decides which of them the reader may see). Such a list is ordered by
    /// publication date, or by last change for articles not yet published.
    pub statuses: Vec<capitole_domain::article::ArticleStatus>,
    /// Only these articles (every one when empty): whether one article is in a list.
    pub ids: Vec<Uuid>,
}

impl NewsFilter {
    /// What the list is ordered by.
    fn sort_key(&self) -> &'static str {
        if self.statuses.is_empty() {
            "a.published_at"
        } else {
            "COALESCE(a.published_at, a.updated_at)"
        }
    }
}

#[derive(Serialize, Deserialize)]
struct NewsKey(DateTime<Utc>, Uuid);

/// The columns of an article, in the order [`Positional`] reads them.
fn columns() -> &'static str {
    static COLUMNS: OnceLock<String> = OnceLock::new();
    COLUMNS.get_or_init(|| column_list::<article::Model>("a"))
}

/// One page of news, latest first, each article with the columns of `columns` only (and
/// the dates that place it in the list).
pub async fn list(
    db: &Database,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
    request: &PageRequest,
    columns: Columns<article::Model>,
) -> Result<Page<article::Model>, StorageError> {
    let columns = columns.with(Columns::named(&["published_at", "updated_at"]));
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(&columns.list("a"))
        .push(" FROM articles a WHERE ");
    push_conditions(&mut sql, visibility, filter);
    let keyset = [
        (filter.sort_key(), Sort::Descending),
        ("a.id", Sort::Descending),
    ];
    Keyset(&keyset).push_page(&mut sql, request, |NewsKey(at, id)| {
        vec![at.into(), id.into()]
    })?;
    let rows = read_rows(db, sql, |row| article::Model::read_only(row, columns)).await?;
    Ok(Page::from_rows(rows, request, |a| {
        cursor::encode(&NewsKey(a.published_at.unwrap_or(a.updated_at), a.id))
    }))
}

/// How many articles a news list holds.
pub async fn count(
    db: &Database,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
) -> Result<u64, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT COUNT(*) AS n FROM articles a WHERE ");
    push_conditions(&mut sql, visibility, filter);
    count_of(db, sql).await
}

pub(crate) fn push_conditions(sql: &mut Sql, visibility: &ArticleVisibility, filter: &NewsFilter) {
    visibility.push(sql);
    if !filter.statuses.is_empty() {
        sql.push(" AND a.status IN ")
            .bind_list(filter.statuses.iter().map(|s| s.code().to_owned()));
    } else if filter.include_archived {
        sql.push(" AND a.status IN ('PUBLISHED', 'ARCHIVED')");
    } else {
        sql.push(" AND a.status = 'PUBLISHED'");
    }
    Published::Article.push_any_of(sql, "a.id", &filter.publishers);
    if !filter.categories.is_empty() {
        sql.push(" AND a.id IN (SELECT article_id FROM article_categories WHERE category_id IN ")
            .bind_list(filter.categories.iter().copied())
            .push(")");
    }
    if !filter.audiences.is_empty() {
        sql.push(" AND (");
        for (i, audience) in filter.audiences.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.contains("a.audiences", &format!("|{}|", audience.code()));
        }
        sql.push(")");
    }
    if !filter.tags.is_empty() {
        sql.push(" AND (");
        for (i, tag) in filter.tags.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.contains("a.tags", &format!("|{tag}|"));
        }
        sql.push(")");
    }
    if !filter.neighborhoods.is_empty() {
        sql.push(
            " AND a.id IN (SELECT article_id FROM article_neighborhoods WHERE neighborhood_id IN ",
        );
        sql.bind_list(filter.neighborhoods.iter().copied())
            .push(")");
    }
    if let Some(search) = &filter.search {
        crate::search::query::push_matching(sql, ItemKind::Article, "a.id", search);
    }
    if !filter.ids.is_empty() {
        sql.push(" AND a.id IN ")
            .bind_list(filter.ids.iter().copied());
    }
}

/// What ranks every article of a list by how well it answers the list's search: its
/// analysed fields and its publication, as [`crate::search::query::candidates`] gives them.
pub async fn search_candidates(
    db: &Database,
    visibility: &ArticleVisibility,
    filter: &NewsFilter,
) -> Result<Vec<crate::search::query::Candidate>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT d.item_id, d.title, d.extra, d.summary, a.published_at AS at, ")
        .push("CAST(NULL AS BIGINT) AS popularity, CAST(NULL AS DOUBLE PRECISION) AS latitude, ")
        .push("CAST(NULL AS DOUBLE PRECISION) AS longitude FROM articles a JOIN search_documents d ON d.item_id = a.id AND d.item_kind = ")
        .bind(ItemKind::Article.code())
        .push(" AND d.language = ")
        .bind(crate::search::ORIGINALS)
        .push(" WHERE ");
    push_conditions(&mut sql, visibility, filter);
    Ok(
        crate::search::query::Candidate::find_by_statement(sql.build())
            .all(db.connection())
            .await?,
    )
}

/// The articles with these ids that `visibility` lets the reader see.
pub async fn by_ids(
    db: &Database,
    visibility: &ArticleVisibility,
    ids: &[Uuid],
) -> Result<Vec<article::Model>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(columns())
        .push(" FROM articles a WHERE ");
    visibility.push(&mut sql);
    sql.push(" AND a.id IN ").bind_list(ids.iter().copied());
    read_rows(db, sql, article::Model::read).await
}

/// The article with this slug, if `visibility` lets the reader see it.
pub async fn by_slug(
    db: &Database,
    visibility: &ArticleVisibility,
    slug: &str,
) -> Result<Option<article::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT ")
        .push(columns())
        .push(" FROM articles a WHERE ");
    visibility.push(&mut sql);
    sql.push(" AND a.slug = ").bind(slug.to_owned());
    Ok(ByPosition::<article::Model>::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .map(|row| row.0))
}

/// The publishers of each of these articles, in the article's order, in one statement.
pub async fn publishers_of(
    db: &Database,
    article_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<organization::Model>>, StorageError> {
    crate::publishers::of(db, Published::Article, article_ids).await
}

/// The neighbourhoods of each of these articles, as ids.
pub async fn neighborhoods_of(
    db: &Database,
    article_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let links = article_neighborhood::Entity::find()
        .filter(article_neighborhood::Column::ArticleId.is_in(article_ids.iter().copied()))
        .all(db.connection())
        .await?;
    Ok(group(
        links.into_iter().map(|l| (l.article_id, l.neighborhood_id)),
    ))
}

/// The events each of these articles is about, as ids.
pub async fn events_of(
    db: &Database,
    article_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let links = article_event::Entity::find()
        .filter(article_event::Column::ArticleId.is_in(article_ids.iter().copied()))
        .all(db.connection())
        .await?;
    Ok(group(links.into_iter().map(|l| (l.article_id, l.event_id))))
}

/// The places each of these articles is about, as ids.
pub async fn places_of(
    db: &Database,
    article_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StorageError> {
    let links = article_place::Entity::find()
        .filter(article_place::Column::ArticleId.is_in(article_ids.iter().copied()))
        .all(db.connection())
        .await?;
    Ok(group(links.into_iter().map(|l| (l.article_id, l.place_id))))
}

/// A page of the revisions of an article, newest first.
pub async fn revisions(
    db: &Database,
    article_id: Uuid,
    request: &PageRequest,
) -> Result<Page<article_revision::Model>, StorageError> {
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT r.* FROM article_revisions r WHERE r.article_id = ")
        .bind(article_id);
    Keyset(&[("r.version", Sort::Descending)])
        .push_page(&mut sql, request, |v: i64| vec![v.into()])?;
    let rows = article_revision::Model::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    Ok(Page::from_rows(rows, request, |r| {
        cursor::encode(&r.version)
    }))
}

/// Every revision of an article, newest first.
pub async fn all_revisions(
    db: &Database,
    article_id: Uuid,
) -> Result<Vec<article_revision::Model>, StorageError> {
    Ok(article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.eq(article_id))
        .order_by_desc(article_revision::Column::Version)
        .all(db.connection())
        .await?)
}

/// How many revisions an article has.
pub async fn revision_count(db: &Database, article_id: Uuid) -> Result<u64, StorageError> {
    Ok(article_revision::Entity::find()
        .filter(article_revision::Column::ArticleId.eq(article_id))
        .count(db.connection())
        .await?)
}

fn group(pairs: impl Iterator<Item = (Uuid, Uuid)>) -> HashMap<Uuid, Vec<Uuid>> {
    let mut grouped: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (owner, item) in pairs {
        grouped.entry(owner).or_default().push(item);
    }
    grouped
}
