//! The agenda as iCalendar (RFC 5545), for calendar apps to subscribe to: the agenda's
//! events, filtered and ordered as the graph's `events` (`/feeds/events.ics`), and one
//! event with all its dates (`/events/{slug}.ics`). Each event is one series written as the
//! recurrence set of its stored dates ([`series`]), in the city's time zone with that
//! zone's `VTIMEZONE` ([`ics`]).
//!
//! Names and text are the graph's; nothing here counts people (no attendance), so that the
//! change log covers every byte of a calendar.

mod ics;
mod series;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use capitole_domain::change::ItemKind;
use capitole_domain::event::EventStatus;
use capitole_domain::schedule::{MAX_DATES, OccurrenceStatus};
use capitole_persistence::entities::{category, event, organization, place};
use capitole_persistence::events::{self, AgendaColumns, OccurrenceWindow};
use capitole_persistence::publishers::{self, Published};
use capitole_persistence::{PageRequest, catalog, places, slugs};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use self::ics::Ics;
use self::series::{Date, Series};
use super::OpenData;
use super::params::{EVENT_FILTER, QueryParams};
use super::respond::{Export, Freshness, export_error};
use super::translated::{self, Translated};
use crate::context::RequestScope;
use crate::error::{ApiError, ErrorCode};
use crate::http::Peer;
use crate::ids::{self, Kind};
use crate::query::events::{EventFilter, storage_filter};
use crate::text::to_plain_text;

/// The content type of calendars.
const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Events per page of the agenda's calendar, when the request does not say.
const DEFAULT_EVENTS: usize = 100;
/// The most events one page of the agenda's calendar holds.
const MAX_EVENTS: usize = 1000;

/// `GET /feeds/events.ics`: the agenda's events, with the graph's filters as parameters,
/// `limit` events after `after`, each with all its dates.
pub(crate) async fn agenda(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Minute).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match agenda_calendar(&export, &uri).await {
        Ok((text, next)) => {
            let link = next_link(&export, &uri, next.as_deref());
            export.body(CONTENT_TYPE, text, link).await
        }
        Err(error) => export_error(error),
    }
}

/// The `Link: rel="next"` header of a page, made apart because writing the body consumes
/// the export.
fn next_link(export: &Export, uri: &Uri, end_cursor: Option<&str>) -> HeaderMap {
    let mut holder = Response::default();
    export.link_next(&mut holder, uri, end_cursor);
    std::mem::take(holder.headers_mut())
}

async fn agenda_calendar(export: &Export, uri: &Uri) -> Result<(String, Option<String>), ApiError> {
    let scope = &export.scope;
    let params = QueryParams::parse(uri.query())?;
    let filter: EventFilter = params.filter(EVENT_FILTER, &["limit", "after"])?;
    let request = params.page(DEFAULT_EVENTS, MAX_EVENTS)?;
    let filter = storage_filter(scope, filter).await?;
    let page = events::list(&scope.db, &filter, &request, AgendaColumns::ALL).await?;
    let next = if page.has_next_page {
        page.rows.last().map(|(_, cursor)| cursor.clone())
    } else {
        None
    };
    let mut venues = HashMap::new();
    let mut rows = Vec::with_capacity(page.rows.len());
    for (row, _) in page.rows {
        if let Some(venue) = row.venue {
            venues.insert(venue.id, venue);
        }
        rows.push(row.event);
    }
    let state = export.state();
    let agenda = Agenda::load(scope, rows, venues).await?;
    let heading = Heading {
        name: format!("{} – agenda", state.settings.publisher),
        about: format!("The agenda of {}", state.settings.publisher),
        source: state.link(uri.path_and_query().map_or(uri.path(), |p| p.as_str())),
    };
    Ok((
        agenda.write(state, scope.timezone, &heading, scope.now),
        next,
    ))
}

/// `GET /events/{slug}.ics`: one event with all its dates. A slug the event had before
/// still leads to it, as in the graph.
pub(crate) async fn one(
    State(state): State<Arc<OpenData>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
    Path(file): Path<String>,
) -> Response {
    let export = match state.begin(peer, &headers, &uri, Freshness::Stable).await {
        Ok(export) => export,
        Err(answer) => return answer,
    };
    match event_calendar(&export, &file, &uri).await {
        Ok(text) => export.body(CONTENT_TYPE, text, HeaderMap::new()).await,
        Err(error) => export_error(error),
    }
}

async fn event_calendar(export: &Export, file: &str, uri: &Uri) -> Result<String, ApiError> {
    let scope = &export.scope;
    let not_found = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no event has the address `/events/{file}`"),
        )
    };
    let slug = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let found = match events::by_slug(&scope.db, slug).await? {
        Some(found) => Some(found),
        None => match slugs::retired(&scope.db, ItemKind::Event, slug).await? {
            Some(id) => events::by_ids(&scope.db, &[id]).await?.into_iter().next(),
            None => None,
        },
    };
    let event = found.ok_or_else(not_found)?;
    let agenda = Agenda::load(scope, vec![event], HashMap::new()).await?;
    let event = &agenda.events[0];
    let state = export.state();
    let heading = Heading {
        name: event.title.clone(),
        about: format!(
            "{}, from the agenda of {}",
            event.title, state.settings.publisher
        ),
        source: state.link(uri.path()),
    };
    Ok(agenda.write(state, scope.timezone, &heading, scope.now))
}

/// What a calendar says about itself.
struct Heading {
    /// Its name in calendar apps.
    name: String,
    /// What it holds, in one sentence.
    about: String,
    /// The address it is read from.
    source: String,
}

/// Events with everything their calendar entries show, read in a few statements whatever
/// their number.
struct Agenda {
    events: Vec<event::Model>,
    venues: HashMap<Uuid, place::Model>,
    categories: HashMap<Uuid, Vec<category::Model>>,
    publishers: HashMap<Uuid, Vec<organization::Model>>,
    dates: HashMap<Uuid, Vec<Date>>,
}

impl Agenda {
    /// Reads what these events' entries show; `venues` are those already read.
    async fn load(
        scope: &RequestScope,
        mut events: Vec<event::Model>,
        mut venues: HashMap<Uuid, place::Model>,
    ) -> Result<Self, ApiError> {
        let db = &scope.db;
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let missing: Vec<Uuid> = events
            .iter()
            .filter_map(|e| e.place_id)
            .filter(|id| !venues.contains_key(id))
            .collect();
        if !missing.is_empty() {
            for venue in places::by_ids(db, &missing).await? {
                venues.insert(venue.id, venue);
            }
        }
        // In the language the calendar is asked in, where its texts are translated.
        let language = translated::wanted(scope);
        let texts = ids.iter().chain(venues.keys()).copied();
        let translated = Translated::of(db, language.as_ref(), texts).await?;
        events.iter_mut().for_each(|e| translated.event(e));
        venues.values_mut().for_each(|v| translated.place(v));
        let categories = catalog::categories_of_events(db, &ids).await?;
        let publishers = publishers::of(db, Published::Event, &ids).await?;
        let every_date = OccurrenceWindow {
            from: None,
            to: None,
        };
        let pages =
            events::occurrences_of(db, &ids, every_date, &PageRequest::after(MAX_DATES, None))
                .await?;
        let dates = pages
            .into_iter()
            .map(|(id, page)| {
                let dates = page
                    .rows
                    .into_iter()
                    .map(|(o, _)| Date {
                        starts_at: o.starts_at,
                        ends_at: o.ends_at,
                        cancelled: events::occurrence_status(&o) == OccurrenceStatus::Cancelled,
                    })
                    .collect();
                (id, dates)
            })
            .collect();
        Ok(Self {
            events,
            venues,
            categories,
            publishers,
            dates,
        })
    }

    /// The calendar of these events in the city of `tz`.
    fn write(&self, state: &OpenData, tz: Tz, heading: &Heading, now: DateTime<Utc>) -> String {
        let entries: Vec<(&event::Model, Series)> = self
            .events
            .iter()
            .filter_map(|e| {
                let dates = self.dates.get(&e.id).map(Vec::as_slice).unwrap_or_default();
                let recurrence = capitole_persistence::event::recurrence(e);
                series::series(recurrence.as_ref(), dates, tz).map(|s| (e, s))
            })
            .collect();
        let licence = &state.settings.licence;
        let description = format!(
            "{}. Data published by {} under the {} ({}).",
            heading.about, state.settings.publisher, licence.name, licence.url
        );
        let mut out = Ics::default();
        out.begin("VCALENDAR");
        out.raw("VERSION", &[], "2.0");
        out.raw("PRODID", &[], "-//Capitole//Open data calendars//EN");
        out.raw("CALSCALE", &[], "GREGORIAN");
        out.raw("METHOD", &[], "PUBLISH");
        out.text("NAME", &[], &heading.name);
        out.text("X-WR-CALNAME", &[], &heading.name);
        out.text("DESCRIPTION", &[], &description);
        out.text("X-WR-CALDESC", &[], &description);
        out.raw("X-WR-TIMEZONE", &[], tz.name());
        out.raw("SOURCE", &[("VALUE", "URI")], &heading.source);
        out.raw("REFRESH-INTERVAL", &[("VALUE", "DURATION")], "PT1H");
        out.raw("X-PUBLISHED-TTL", &[], "PT1H");
        // The zone covers every date written, and a year beyond the last for the series
        // that go on.
        let (first_year, last_year) = ics::years_of(
            tz,
            entries.iter().flat_map(|(e, s)| {
                let last = self
                    .dates
                    .get(&e.id)
                    .and_then(|d| d.iter().map(|d| d.ends_at).max());
                s.instants().chain(last)
            }),
        )
        .unwrap_or_else(|| {
            let year = now.with_timezone(&tz).year();
            (year, year)
        });
        ics::vtimezone(&mut out, tz, first_year, last_year.saturating_add(1));
        let host = url::Url::parse(&state.base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "capitole".to_owned());
        for (event, series) in &entries {
            self.write_event(&mut out, state, tz, &host, event, series);
        }
        out.end("VCALENDAR");
        out.finish()
    }

    /// One event: the series, then each date that differs from it.
    fn write_event(
        &self,
        out: &mut Ics,
        state: &OpenData,
        tz: Tz,
        host: &str,
        event: &event::Model,
        series: &Series,
    ) {
        let global_id = ids::encode(Kind::Event, event.id).0;
        let uid = format!("{global_id}@{host}");
        let status = EventStatus::from_code(&event.status).unwrap_or(EventStatus::Scheduled);
        out.begin("VEVENT");
        out.text("UID", &[], &uid);
        out.utc("DTSTAMP", event.updated_at);
        out.local("DTSTART", tz, series.starts_at);
        out.local("DTEND", tz, series.starts_at + series.duration);
        if let Some(rule) = &series.rule {
            out.raw("RRULE", &[], rule);
        }
        out.locals("RDATE", tz, &series.added);
        out.locals("EXDATE", tz, &series.excluded);
        self.describe(out, state, event, &global_id, ical_status(status, false));
        out.end("VEVENT");
        for moved in &series.overrides {
            out.begin("VEVENT");
            out.text("UID", &[], &uid);
            out.utc("DTSTAMP", event.updated_at);
            out.local("RECURRENCE-ID", tz, moved.recurrence_id);
            out.local("DTSTART", tz, moved.starts_at);
            out.local("DTEND", tz, moved.ends_at);
            self.describe(
                out,
                state,
                event,
                &global_id,
                ical_status(status, moved.cancelled),
            );
            out.end("VEVENT");
        }
    }

    /// What the series and each of its overrides say about the event.
    fn describe(
        &self,
        out: &mut Ics,
        state: &OpenData,
        event: &event::Model,
        global_id: &str,
        status: &str,
    ) {
        out.utc("CREATED", event.created_at);
        out.utc("LAST-MODIFIED", event.updated_at);
        out.raw("SEQUENCE", &[], &event.version.max(0).to_string());
        out.text("SUMMARY", &[], &event.title);
        let mut description = event.summary.trim().to_owned();
        let details = to_plain_text(&event.description);
        if !details.trim().is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(details.trim());
        }
        if !description.is_empty() {
            out.text("DESCRIPTION", &[], &description);
        }
        let venue = event.place_id.and_then(|id| self.venues.get(&id));
        if let Some(venue) = venue {
            let address = [
                venue.name.as_str(),
                venue.address.as_str(),
                &format!("{} {}", venue.postal_code, venue.city),
            ]
            .iter()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
            out.text("LOCATION", &[], &address);
            out.raw(
                "GEO",
                &[],
                &format!("{:.6};{:.6}", venue.latitude, venue.longitude),
            );
        } else if let Some(text) = event
            .location_text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            out.text("LOCATION", &[], text);
        } else if let Some(online) = &event.online_url {
            out.text("LOCATION", &[], online);
        }
        out.raw(
            "URL",
            &[("VALUE", "URI")],
            &state.item_page("events", &event.slug, global_id),
        );
        if let Some(categories) = self.categories.get(&event.id).filter(|c| !c.is_empty()) {
            let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
            out.texts("CATEGORIES", &names);
        }
        let publishers = self
            .publishers
            .get(&event.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(first) = publishers.first() {
            // An organizer is an address; an organization's website is the one it has.
            let address = first.website.clone().unwrap_or_else(|| state.link("/"));
            out.raw("ORGANIZER", &[("CN", first.name.as_str())], &address);
        }
        for other in publishers.iter().skip(1) {
            out.text("CONTACT", &[], &other.name);
        }
        out.raw("STATUS", &[], status);
        out.raw("CLASS", &[], "PUBLIC");
    }
}

/// The iCalendar status of an event (or of one of its dates, `cancelled`): postponed
/// events are tentative, cancelled ones cancelled, every other confirmed.
fn ical_status(status: EventStatus, cancelled: bool) -> &'static str {
    match status {
        _ if cancelled => "CANCELLED",
        EventStatus::Cancelled => "CANCELLED",
        EventStatus::Postponed => "TENTATIVE",
        EventStatus::Scheduled
        | EventStatus::Rescheduled
        | EventStatus::MovedOnline
        | EventStatus::Full => "CONFIRMED",
    }
}
