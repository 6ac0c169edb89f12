//! Tables: places, the agenda date by date, and the news as CSV (RFC 4180: a header row,
//! CRLF line ends, fields quoted when they hold a comma, a quote or a line end, UTF-8),
//! with the licence in a `Link: <…>; rel="license"` header.
//!
//! A table holds the whole set its filter selects, however large: it is read from storage
//! in keyset chunks, one after the other, while the body is sent, so an export of every
//! place of a metropolis takes the memory of one chunk. Columns are named as the graph's
//! fields; a list (categories, publishers…) is one field, its items joined with `;`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::Response;
use capitole_domain::language::Language;
use capitole_domain::place::PlaceOrder;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter as StorageNews};
use capitole_persistence::entities::place;
use capitole_persistence::events::{self, AgendaColumns, EventFilter as StorageEvents};
use capitole_persistence::places::{self, PlaceFilter as StoragePlaces};
use capitole_persistence::{Columns, Database, PageRequest};
use chrono_tz::Tz;
use futures_util::Stream;
use futures_util::stream::try_unfold;

use super::OpenData;
use super::maps::{PLACE_ORDER, link_licence, place_order, places_freshness};
use super::params::{EVENT_FILTER, NEWS_FILTER, PLACE_FILTER, QueryParams};
use super::records::{self, Record, Related};
use super::respond::{Export, Freshness, export_error};
use super::translated::{self, Translated};
use crate::error::{ApiError, ErrorCode};
use crate::http::Peer;
use crate::query::events::EventFilter;
use crate::query::news::NewsFilter;
use crate::query::places::PlaceFilter;

/// The media type of a table.
const CSV: &str = "text/csv; charset=utf-8; header=present";

/// Rows read from storage at a time.
const CHUNK_ROWS: usize = 500;

/// What a table reads, chunk after chunk.
#[derive(Clone)]
enum Table {
    Places {
        filter: Box<StoragePlaces>,
        order: PlaceOrder,
    },
    Dates {
        filter: Box<StorageEvents>,
        timezone: Tz,
    },
    News {
        visibility: ArticleVisibility,
        filter: Box<StorageNews>,
    },
}

impl Table {
    /// The names of the table's columns, which every record of it has, in order.
    fn columns(&self) -> Vec<&'static str> {
        match self {
            Table::Places { filter, .. } => {
                let mut columns = records::PLACE_COLUMNS.to_vec();
                if filter.near.is_some() {
                    columns.push("distanceMeters");
                }
                columns
            }
            Table::Dates { .. } => records::DATE_COLUMNS.to_vec(),
            Table::News { .. } => records::NEWS_COLUMNS.to_vec(),
        }
    }

    /// The records of one chunk, and the cursor after it when more rows follow.
    async fn chunk(
        &self,
        (db, language): (&Database, Option<&Language>),
        cursor: Option<String>,
    ) -> Result<(Vec<Record>, Option<String>), ApiError> {
        let request = PageRequest::after(CHUNK_ROWS, cursor);
        match self {
            Table::Places { filter, order } => {
                let mut page = places::list(db, filter, *order, &request, Columns::ALL).await?;
                let ids = page.rows.iter().map(|(row, _)| row.place.id);
                let translated = Translated::of(db, language, ids).await?;
                for (row, _) in &mut page.rows {
                    translated.place(&mut row.place);
                }
                let models: Vec<&place::Model> =
                    page.rows.iter().map(|(row, _)| &row.place).collect();
                let related = Related::of_places(db, &models).await?;
                let rows = page
                    .rows
                    .iter()
                    .map(|(row, _)| records::place(&row.place, &related, true, row.distance_meters))
                    .collect();
                Ok((rows, records::next_cursor(&page)))
            }
            Table::Dates { filter, timezone } => {
                let mut page = events::dates(db, filter, &request, AgendaColumns::ALL).await?;
                let ids = translated::agenda_ids(page.rows.iter().map(|(row, _)| row));
                let translated = Translated::of(db, language, ids).await?;
                for (row, _) in &mut page.rows {
                    translated.agenda_row(row);
                }
                let related = Related::of_events(db, &records::event_ids(&page)).await?;
                let rows = page
                    .rows
                    .iter()
                    .map(|(row, _)| {
                        records::event_at(
                            &row.event,
                            &row.occurrence,
                            row.venue.as_ref(),
                            &related,
                            *timezone,
                            true,
                        )
                    })
                    .collect();
                Ok((rows, records::next_cursor(&page)))
            }
            Table::News { visibility, filter } => {
                let mut page =
                    articles::list(db, visibility, filter, &request, Columns::ALL).await?;
                let ids: Vec<_> = page.rows.iter().map(|(a, _)| a.id).collect();
                let translated = Translated::of(db, language, ids.iter().copied()).await?;
                for (article, _) in &mut page.rows {
                    translated.article(article);
                }
                let related = Related::of_articles(db, &ids).await?;
                let rows = page
                    .rows
                    .iter()
                    .map(|(a, _)| records::article(a, &related))
                    .collect();
                Ok((rows, records::next_cursor(&page)))
            }
        }
    }
}

/// Where a table's body stands between two chunks.
struct Progress {
    table: Table,
    db: Database,
    /// The language asked, when it is not the city's.
    language: Option<Language>,
    cursor: Option<String>,
    /// Whether the header row is written (with the first chunk).
    started: bool,
    done: bool,
}

/// The table's body: the header row with the first chunk, then each chunk's rows.
fn body(
    table: Table,
    (db, language): (Database, Option<Language>),
) -> impl Stream<Item = Result<Bytes, ApiError>> + Send {
    let progress = Progress {
        table,
        db,
        language,
        cursor: None,
        started: false,
        done: false,
    };
    try_unfold(progress, |mut progress| async move {
        if progress.done {
            return Ok(None);
        }
        let (records, cursor) = progress
            .table
            .chunk(
                (&progress.db, progress.language.as_ref()),
                progress.cursor.take(),
            )
            .await?;
        let header = (!progress.started).then(|| progress.table.columns());
        debug_assert!(records.iter().all(|record| {
            let names = record.iter().map(|(name, _)| *name);
            names.eq(progress.table.columns())
        }));
        let bytes = write(&records, header)?;
        progress.started = true;
        progress.done = cursor.is_none();
        progress.cursor = cursor;
        Ok(Some((bytes, progress)))
    })
}

/// Records as CSV rows, after the header row when `header`.
fn write(records: &[Record], header: Option<Vec<&'static str>>) -> Result<Bytes, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(records.len() * 256));
    let failed = |_| ApiError::new(ErrorCode::Internal, "the table could not be written");
    if let Some(columns) = header {
        writer.write_record(&columns).map_err(failed)?;
    }
    for record in records {
        writer
            .write_record(record.iter().map(|(_, field)| field.to_cell()))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|_| ApiError::new(ErrorCode::Internal, "the table could not be written"))?;
    Ok(Bytes::from(bytes))
}

/// Starts a table's answer: the stream, its content type and its licence link.
fn answer(export: Export, table: Table) -> Response {
    let db = export.scope.db.clone();
    let language = translated::wanted(&export.scope);
    let mut links = Response::default();
    link_licence(export.state(), &mut links);
    let mut response = export.stream(CSV, body(table, (db, language)));
    expose_links(&mut response, &links);
    response
}

/// `GET /data/places.csv`: every place the `PlaceFilter` parameters select, by name (or by
/// `order`).
pub(super) async fn places(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state
        .begin(peer, &headers, &uri, places_freshness(&uri))
        .await
    {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    let table = async {
        let params = QueryParams::parse(uri.query())?;
        let filter: PlaceFilter = params.filter(PLACE_FILTER, &[PLACE_ORDER])?;
        let filter = crate::query::places::storage_filter(&export.scope, filter).await?;
        let order = place_order(&params, &filter)?;
        Ok::<_, ApiError>(Table::Places {
            filter: Box::new(filter),
            order,
        })
    };
    match table.await {
        Ok(table) => answer(export, table),
        Err(error) => export_error(error),
    }
}

/// `GET /data/events.csv`: every date of the events the `EventFilter` parameters select,
/// cancelled ones included, one row each, in start order.
pub(super) async fn events(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    let table = async {
        let params = QueryParams::parse(uri.query())?;
        let filter: EventFilter = params.filter(EVENT_FILTER, &[])?;
        let filter = crate::query::events::storage_filter(&export.scope, filter).await?;
        Ok::<_, ApiError>(Table::Dates {
            filter: Box::new(filter),
            timezone: export.scope.timezone,
        })
    };
    match table.await {
        Ok(table) => answer(export, table),
        Err(error) => export_error(error),
    }
}

/// `GET /data/news.csv`: every published article the `NEWS_FILTER` parameters select,
/// latest first.
pub(super) async fn news(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    let table = async {
        let params = QueryParams::parse(uri.query())?;
        let filter: NewsFilter = params.filter(NEWS_FILTER, &[])?;
        let filter = crate::query::news::storage_filter(&export.scope, filter).await?;
        Ok::<_, ApiError>(Table::News {
            visibility: export.scope.principal.article_visibility(export.scope.now),
            filter: Box::new(filter),
        })
    };
    match table.await {
        Ok(table) => answer(export, table),
        Err(error) => export_error(error),
    }
}

/// Copies the `Link` headers made aside onto the answer (which exposes them to web pages).
fn expose_links(response: &mut Response, links: &Response) {
    for value in links.headers().get_all(header::LINK) {
        response.headers_mut().append(header::LINK, value.clone());
    }
}
