//! Keeping the search index: an item's document is written again, in the transaction of
//! the write, whenever the change log records a change of it (see
//! [`crate::changes::append_all`]), and for every item a seed writes. An item that is gone
//! loses its documents. An item has the document of its originals, read as French, and
//! one per language it is translated into: the translated texts, each read with its own
//! language's analyser, and the originals where a text is not translated.

use std::collections::{BTreeSet, HashMap};

use capitole_domain::change::ItemKind;
use capitole_domain::search::{Analyser, analyse};
use capitole_domain::translation::TranslatedField;
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::StorageError;
use crate::sql::Sql;

/// Documents written by one statement (6 bound values each).
const PER_STATEMENT: usize = 200;
/// Terms added to the vocabulary by one statement.
const TERMS_PER_STATEMENT: usize = 500;

/// An item's texts, as stored.
#[derive(FromQueryResult)]
struct Texts {
    id: Uuid,
    title: String,
    extra: String,
    summary: String,
    body: String,
}

/// A name an item is known by elsewhere: a category's, a neighbourhood's.
#[derive(FromQueryResult)]
struct Named {
    id: Uuid,
    name: String,
}

/// The texts of the items of `kind` among `ids`, and the names of their categories and
/// neighbourhoods, as two statements.
fn statements(kind: ItemKind, sql: &mut Sql, names: &mut Sql, ids: &[Uuid]) -> bool {
    let list = |sql: &mut Sql| {
        sql.bind_list(ids.iter().copied());
    };
    let (texts, links): (&str, &[(&str, &str, &str, &str)]) = match kind {
        ItemKind::Article => (
            "SELECT a.id, a.title, REPLACE(a.tags, '|', ' ') AS extra, a.summary, a.body \
             FROM articles a WHERE a.id IN ",
            &[
                (
                    "article_categories",
                    "article_id",
                    "categories",
                    "category_id",
                ),
                (
                    "article_neighborhoods",
                    "article_id",
                    "neighborhoods",
                    "neighborhood_id",
                ),
            ],
        ),
        ItemKind::Event => (
            "SELECT e.id, e.title, COALESCE(v.name, '') || ' ' || COALESCE(e.location_text, '') AS extra, \
             e.summary, e.description AS body FROM events e LEFT JOIN places v ON v.id = e.place_id \
             WHERE e.id IN ",
            &[
                ("event_categories", "event_id", "categories", "category_id"),
                (
                    "event_neighborhoods",
                    "event_id",
                    "neighborhoods",
                    "neighborhood_id",
                ),
            ],
        ),
        ItemKind::Place => (
            "SELECT p.id, p.name AS title, COALESCE(n.name, '') AS extra, p.description AS summary, \
             p.address || ' ' || p.city AS body FROM places p \
             LEFT JOIN neighborhoods n ON n.id = p.neighborhood_id WHERE p.id IN ",
            &[("place_categories", "place_id", "categories", "category_id")],
        ),
        _ => return false,
    };
    sql.push(texts);
    list(sql);
    for (i, (link, item, table, key)) in links.iter().enumerate() {
        if i > 0 {
            names.push(" UNION ALL ");
        }
        names
            .push("SELECT x.")
            .push(item)
            .push(" AS id, t.name AS name FROM ")
            .push(link)
            .push(" x JOIN ")
            .push(table)
            .push(" t ON t.id = x.")
            .push(key)
            .push(" WHERE x.")
            .push(item)
            .push(" IN ");
        list(names);
    }
    true
}

/// Writes again the documents of the items of `kind` among `ids` (articles, events and
/// places; other kinds have none), deleting those of items that are gone.
pub(crate) async fn reindex(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    ids: &[Uuid],
) -> Result<(), StorageError> {
    let backend = conn.get_database_backend();
    for ids in ids.chunks(PER_STATEMENT) {
        let (mut sql, mut names_sql) = (Sql::new(backend), Sql::new(backend));
        if !statements(kind, &mut sql, &mut names_sql, ids) {
            return Ok(());
        }
        let texts = Texts::find_by_statement(sql.build()).all(conn).await?;
        let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
        for named in Named::find_by_statement(names_sql.build())
            .all(conn)
            .await?
        {
            names.entry(named.id).or_default().push(named.name);
        }
        let found: BTreeSet<Uuid> = texts.iter().map(|t| t.id).collect();
        let gone: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        if !gone.is_empty() {
            let mut sql = Sql::new(backend);
            sql.push("DELETE FROM search_documents WHERE item_kind = ")
                .bind(kind.code())
                .push(" AND item_id IN ")
                .bind_list(gone);
            conn.execute_raw(sql.build()).await?;
        }
        let mut documents: Vec<Document> = texts
            .into_iter()
            .map(|t| {
                let mut extra = t.extra;
                for name in names.remove(&t.id).unwrap_or_default() {
                    extra.push(' ');
                    extra.push_str(&name);
                }
                let fields = [
                    analyse(&t.title),
                    analyse(&extra),
                    analyse(&t.summary),
                    analyse(&t.body),
                ];
                (t.id, ORIGINALS.to_owned(), fields)
            })
            .collect();
        if documents.is_empty() {
            continue;
        }
        let translations = translated(conn, kind, &documents).await?;
        documents.extend(translations);
        // Always in the same order, so that concurrent writers lock rows alike.
        documents.sort_by(|(a, x, _), (b, y, _)| (a, x).cmp(&(b, y)));
        write(conn, kind, &documents).await?;
        let terms: BTreeSet<&str> = documents
            .iter()
            .flat_map(|(_, _, fields)| fields.iter().flat_map(|f| f.split_whitespace()))
            .collect();
        learn(conn, terms).await?;
    }
    Ok(())
}

/// A translated text of an item, or (with an empty field) a language it has a document in.
#[derive(FromQueryResult)]
struct Translated {
    item_id: Uuid,
    language: String,
    field: String,
    text: String,
}

/// The language of the documents of the originals, read as French: none.
pub const ORIGINALS: &str = "";

/// A document to write: an item's, in a language (empty for the originals), with its four
/// analysed fields.
type Document = (Uuid, String, [String; 4]);

/// The documents of the translations of `originals`' items (of `kind`): one per item and
/// language, holding each translated text read with its language's analyser and, for a
/// text not translated, the original's terms. The documents of languages an item is no
/// longer translated into are deleted.
async fn translated(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    originals: &[Document],
) -> Result<Vec<Document>, StorageError> {
    let backend = conn.get_database_backend();
    let ids = || originals.iter().map(|(id, _, _)| *id);
    let mut sql = Sql::new(backend);
    sql.push("SELECT item_id, language, field, text FROM translations WHERE item_id IN ")
        .bind_list(ids())
        .push(" UNION ALL SELECT item_id, language, '' AS field, '' AS text FROM search_documents WHERE item_kind = ")
        .bind(kind.code())
        .push(" AND language <> ")
        .bind(ORIGINALS)
        .push(" AND item_id IN ")
        .bind_list(ids());
    let rows = Translated::find_by_statement(sql.build()).all(conn).await?;
    let mut documents: Vec<Document> = Vec::new();
    let mut indexed: BTreeSet<(Uuid, String)> = BTreeSet::new();
    for row in rows {
        if row.field.is_empty() {
            indexed.insert((row.item_id, row.language));
            continue;
        }
        let Some(field) = TranslatedField::from_code(&row.field) else {
            continue;
        };
        let at = match (kind, field) {
            (_, TranslatedField::Title | TranslatedField::Name) => 0,
            (ItemKind::Place, TranslatedField::Description) | (_, TranslatedField::Summary) => 2,
            (_, TranslatedField::Description | TranslatedField::Body) => 3,
            // Not indexed, as the originals' is not.
            (_, TranslatedField::EasyReadSummary | TranslatedField::OpeningHoursNotes) => continue,
        };
        let position = documents
            .iter()
            .position(|(id, language, _)| *id == row.item_id && *language == row.language);
        let document = match position {
            Some(i) => &mut documents[i],
            None => {
                let Some((_, _, fields)) = originals.iter().find(|(id, _, _)| *id == row.item_id)
                else {
                    continue;
                };
                documents.push((row.item_id, row.language.clone(), fields.clone()));
                let last = documents.len() - 1;
                &mut documents[last]
            }
        };
        document.2[at] = Analyser::of(&row.language).analyse(&row.text);
    }
    let stale: Vec<&(Uuid, String)> = indexed
        .iter()
        .filter(|(id, language)| !documents.iter().any(|(i, l, _)| i == id && l == language))
        .collect();
    for (id, language) in stale {
        let mut sql = Sql::new(backend);
        sql.push("DELETE FROM search_documents WHERE item_kind = ")
            .bind(kind.code())
            .push(" AND item_id = ")
            .bind(*id)
            .push(" AND language = ")
            .bind(language.clone());
        conn.execute_raw(sql.build()).await?;
    }
    Ok(documents)
}

async fn write(
    conn: &impl ConnectionTrait,
    kind: ItemKind,
    documents: &[Document],
) -> Result<(), StorageError> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push(
        "INSERT INTO search_documents (item_kind, item_id, language, title, extra, summary, body) VALUES ",
    );
    for (i, (id, language, fields)) in documents.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(kind.code())
            .push(", ")
            .bind(*id)
            .push(", ")
            .bind(language.clone());
        for field in fields {
            sql.push(", ").bind(field.clone());
        }
        sql.push(")");
    }
    sql.push(
        " ON CONFLICT (item_kind, item_id, language) DO UPDATE SET title = excluded.title, \
         extra = excluded.extra, summary = excluded.summary, body = excluded.body",
    );
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Adds terms to the vocabulary that misspellings are matched against.
async fn learn(conn: &impl ConnectionTrait, terms: BTreeSet<&str>) -> Result<(), StorageError> {
    let terms: Vec<&str> = terms.into_iter().collect();
    for chunk in terms.chunks(TERMS_PER_STATEMENT) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("INSERT INTO search_vocabulary (term) VALUES ");
        for (i, term) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind((*term).to_owned())
                .push(")");
        }
        sql.push(" ON CONFLICT (term) DO NOTHING");
        conn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// The items of every kind that have no document yet: those written before the index
/// existed, or by hand. Returns how many it indexed.
pub async fn index_missing(db: &crate::Database) -> Result<usize, StorageError> {
    let mut indexed = 0;
    for (kind, table) in [
        (ItemKind::Place, "places"),
        (ItemKind::Event, "events"),
        (ItemKind::Article, "articles"),
    ] {
        loop {
            #[derive(FromQueryResult)]
            struct Missing {
                id: Uuid,
            }
            let mut sql = Sql::new(db.db_backend());
            sql.push("SELECT t.id FROM ")
                .push(table)
                .push(" t WHERE NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.item_kind = ")
                .bind(kind.code())
                .push(" AND d.language = ")
                .bind(ORIGINALS)
                .push(" AND d.item_id = t.id) ORDER BY t.id LIMIT 1000");
            let missing: Vec<Uuid> = Missing::find_by_statement(sql.build())
                .all(db.connection())
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            if missing.is_empty() {
                break;
            }
            let txn = sea_orm::TransactionTrait::begin(db.connection()).await?;
            reindex(&txn, kind, &missing).await?;
            txn.commit().await?;
            indexed += missing.len();
        }
    }
    Ok(indexed)
}
