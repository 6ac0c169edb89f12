//! Reading the search index: the items that hold every term of a query (the last one also
//! as the start of a word), with what ranks them, and the condition a list adds to keep
//! only such items.
//!
//! SQLite asks its FTS5 index (`MATCH`), PostgreSQL its `tsvector` (`@@`), with the same
//! terms; each returns its best candidates by its own measure of relevance, and Capitole
//! ranks them (see `capitole_domain::search`), the same way on both.

use capitole_domain::change::ItemKind;
use capitole_domain::search::{SearchQuery, TYPO_MIN_SIMILARITY, similarity};
use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use uuid::Uuid;

use crate::search::ORIGINALS;
use crate::sql::Sql;
use crate::{Backend, Database, StorageError};

/// An item that holds every term, with what ranks it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Candidate {
    /// The item's id.
    pub item_id: Uuid,
    /// Its analysed title.
    pub title: String,
    /// Its analysed categories, tags, neighbourhood and venue.
    pub extra: String,
    /// Its analysed summary.
    pub summary: String,
    /// An article's publication; an event's next date (under way or to come).
    pub at: Option<DateTime<Utc>>,
    /// A place's popularity.
    pub popularity: Option<i64>,
    /// The place's (or the event's venue's) latitude.
    pub latitude: Option<f64>,
    /// Its longitude.
    pub longitude: Option<f64>,
}

/// Where in an item's document the terms must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Anywhere.
    Document,
    /// In its title (a place's name): what autocompletion looks at.
    Title,
}

/// The search expression of a query for the engine: every term, the last one or a word
/// that starts with the last word typed.
fn expression(backend: Backend, query: &SearchQuery, within: Within) -> String {
    let postgres = backend == Backend::Postgres;
    // PostgreSQL: the title is weight A (`term:A`, `prefix:*A`).
    let (weight, prefixed) = match within {
        Within::Title => (":A", ":*A"),
        Within::Document => ("", ":*"),
    };
    let last = query.terms.len() - 1;
    let parts = query.terms.iter().enumerate().map(|(i, term)| {
        match (postgres, query.prefix.as_deref().filter(|_| i == last)) {
            (true, Some(prefix)) => format!("({term}{weight} | {prefix}{prefixed})"),
            (true, None) => format!("{term}{weight}"),
            (false, Some(prefix)) => format!("(\"{term}\" OR \"{prefix}\"*)"),
            (false, None) => format!("\"{term}\""),
        }
    });
    let joint = if postgres { " & " } else { " AND " };
    let all = parts.collect::<Vec<_>>().join(joint);
    if !postgres && within == Within::Title {
        format!("title : ({all})")
    } else {
        all
    }
}

/// Appends ` AND {id_column} IN (…)`: only items of `kind` that hold every term of `query`.
pub(crate) fn push_matching(sql: &mut Sql, kind: ItemKind, id_column: &str, query: &SearchQuery) {
    let backend = if sql.is_postgres() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    sql.push(" AND ").push(id_column);
    if sql.is_postgres() {
        sql.push(" IN (SELECT d.item_id FROM search_documents d WHERE d.item_kind = ")
            .bind(kind.code())
            .push(" AND d.language = ")
            .bind(ORIGINALS)
            .push(" AND d.terms @@ to_tsquery('simple', ")
            .bind(expression(backend, query, Within::Document))
            .push("))");
    } else {
        sql.push(" IN (SELECT d.item_id FROM search_index JOIN search_documents d ON d.doc = search_index.rowid WHERE search_index MATCH ")
            .bind(expression(backend, query, Within::Document))
            .push(" AND d.item_kind = ")
            .bind(kind.code())
            .push(" AND d.language = ")
            .bind(ORIGINALS)
            .push(")");
    }
}

/// The public items of `kind` that hold every term of `query` (`within` their document in
/// `language`, [`ORIGINALS`] for the originals', or their title), at most `limit`, the most
/// relevant first by the engine's measure: published articles, events with a date under
/// way or to come, places.
pub async fn candidates(
    db: &Database,
    kind: ItemKind,
    (query, within, language): (&SearchQuery, Within, &str),
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Candidate>, StorageError> {
    let backend = db.backend();
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT d.item_id, d.title, d.extra, d.summary, ");
    match kind {
        ItemKind::Article => sql.push(
            "a.published_at AS at, CAST(NULL AS BIGINT) AS popularity, \
             CAST(NULL AS DOUBLE PRECISION) AS latitude, CAST(NULL AS DOUBLE PRECISION) AS longitude",
        ),
        ItemKind::Event => sql.push(
            "(SELECT MIN(o.starts_at) FROM event_occurrences o WHERE o.event_id = x.id AND o.ends_at >= ",
        )
        .bind(now)
        .push(" AND o.status <> 'CANCELLED') AS at, CAST(NULL AS BIGINT) AS popularity, v.latitude, v.longitude"),
        ItemKind::Place => sql.push("CAST(NULL AS TIMESTAMPTZ) AS at, x.popularity, x.latitude, x.longitude"),
        _ => return Ok(Vec::new()),
    };
    let matched = expression(backend, query, within);
    if backend == Backend::Postgres {
        sql.push(" FROM search_documents d ");
    } else {
        sql.push(" FROM search_index JOIN search_documents d ON d.doc = search_index.rowid ");
    }
    match kind {
        ItemKind::Article => sql.push("JOIN articles a ON a.id = d.item_id "),
        ItemKind::Event => {
            sql.push("JOIN events x ON x.id = d.item_id LEFT JOIN places v ON v.id = x.place_id ")
        }
        _ => sql.push("JOIN places x ON x.id = d.item_id "),
    };
    sql.push("WHERE d.item_kind = ")
        .bind(kind.code())
        .push(" AND d.language = ")
        .bind(language.to_owned());
    if backend == Backend::Postgres {
        sql.push(" AND d.terms @@ to_tsquery('simple', ")
            .bind(matched.clone())
            .push(")");
    } else {
        sql.push(" AND search_index MATCH ").bind(matched.clone());
    }
    match kind {
        ItemKind::Article => {
            sql.push(" AND a.status = 'PUBLISHED' AND a.published_at <= ")
                .bind(now);
        }
        ItemKind::Event => {
            sql.push(" AND EXISTS (SELECT 1 FROM event_occurrences o WHERE o.event_id = x.id AND o.ends_at >= ")
                .bind(now)
                .push(" AND o.status <> 'CANCELLED')");
        }
        _ => {}
    }
    if backend == Backend::Postgres {
        sql.push(" ORDER BY ts_rank(d.terms, to_tsquery('simple', ")
            .bind(matched)
            .push(")) DESC, d.item_id");
    } else {
        sql.push(" ORDER BY bm25(search_index, 10.0, 4.0, 3.0, 1.0), d.item_id");
    }
    sql.push(" LIMIT ").number(limit);
    Ok(Candidate::find_by_statement(sql.build())
        .all(db.connection())
        .await?)
}

/// Whether the index knows `term` (some item holds it, or held it).
pub async fn knows(db: &Database, term: &str) -> Result<bool, StorageError> {
    #[derive(FromQueryResult)]
    struct Found {
        #[allow(dead_code)]
        term: String,
    }
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT term FROM search_vocabulary WHERE term = ")
        .bind(term.to_owned());
    Ok(Found::find_by_statement(sql.build())
        .one(db.connection())
        .await?
        .is_some())
}

/// The term of the vocabulary most like `term` (a misspelling of it, perhaps), if one is
/// alike enough: the most similar by trigrams, then the first in order. PostgreSQL narrows
/// the vocabulary with its trigram index; SQLite reads the terms of about the same length.
pub async fn closest(db: &Database, term: &str) -> Result<Option<String>, StorageError> {
    #[derive(FromQueryResult)]
    struct Term {
        term: String,
    }
    let letters = i64::try_from(term.chars().count()).unwrap_or(i64::MAX);
    let mut sql = Sql::new(db.db_backend());
    sql.push("SELECT term FROM search_vocabulary WHERE ");
    if sql.is_postgres() {
        sql.push("term % ").bind(term.to_owned()).push(" AND ");
    }
    sql.push("LENGTH(term) BETWEEN ")
        .bind(letters - 2)
        .push(" AND ")
        .bind(letters + 2);
    let terms = Term::find_by_statement(sql.build())
        .all(db.connection())
        .await?;
    let mut best: Option<(f64, String)> = None;
    for Term { term: known } in terms {
        let alike = similarity(term, &known);
        let better = match &best {
            None => true,
            Some((score, name)) => alike > *score || (alike == *score && known < *name),
        };
        if alike >= TYPO_MIN_SIMILARITY && better {
            best = Some((alike, known));
        }
    }
    Ok(best.map(|(_, term)| term))
}
