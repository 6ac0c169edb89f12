//! The agenda as iCalendar: what a calendar app reads back (with the `icalendar` parser and
//! the `rrule` expander) is the graph's own dates, in city time, across daylight saving;
//! the agenda's calendar filters and pages as the graph does; errors and revalidation.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use capitole_domain::access::Role;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use icalendar::parser::{Component, read_calendar, unfold};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::accounts::{access_of, create, run};
use super::{TestApp, apps};

const CREATE_EVENT: &str =
    "mutation($input: EventInput!) { createEvent(input: $input) { event { id slug version } } }";
const CREATE_PLACE: &str =
    "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id } } }";

/// A GET of `uri`, with extra headers; the status, headers and body as text.
async fn get(app: &TestApp, uri: &str, extra: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::builder().method(Method::GET).uri(uri);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A calendar as the `icalendar` parser reads it, checked to write back to itself.
fn parse(text: &str) -> (Vec<(String, String)>, Vec<Component<'static>>) {
    let unfolded = unfold(text);
    let calendar = read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // Parse, write, parse: the same calendar.
    let written = calendar.to_string();
    let again_text = unfold(&written);
    let again = read_calendar(&again_text).unwrap();
    assert_eq!(again.properties, calendar.properties);
    assert_eq!(again.components, calendar.components);
    let properties = calendar
        .properties
        .iter()
        .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
        .collect();
    let components = calendar
        .components
        .iter()
        .map(|c| c.clone().into_owned())
        .collect();
    (properties, components)
}

trait Owned {
    fn into_owned(self) -> Component<'static>;
}

impl Owned for Component<'_> {
    fn into_owned(self) -> Component<'static> {
        Component {
            name: self.name.into_owned(),
            properties: self
                .properties
                .into_iter()
                .map(|p| icalendar::parser::Property {
                    name: p.name.into_owned(),
                    val: p.val.into_owned(),
                    params: p
                        .params
                        .into_iter()
                        .map(|q| icalendar::parser::Parameter {
                            key: q.key.into_owned(),
                            val: q.val.map(|v| v.into_owned()),
                        })
                        .collect(),
                })
                .collect(),
            components: self.components.into_iter().map(Owned::into_owned).collect(),
        }
    }
}

/// The value of a component's property.
fn value<'c>(component: &'c Component<'_>, name: &str) -> Option<&'c str> {
    component.find_prop(name).map(|p| p.val.as_str())
}

/// Every value of a property given on several lines (`EXDATE`), with its `TZID`.
fn values(component: &Component<'_>, name: &str) -> Vec<String> {
    component
        .properties
        .iter()
        .filter(|p| p.name.as_str() == name)
        .map(|p| {
            let tzid = p
                .params
                .iter()
                .find(|q| q.key.as_str() == "TZID")
                .and_then(|q| q.val.as_ref())
                .map(|v| format!(";TZID={}", v.as_str()))
                .unwrap_or_default();
            format!("{name}{tzid}:{}", p.val.as_str())
        })
        .collect()
}

fn tzid<'c>(component: &'c Component<'_>, name: &str) -> Option<&'c str> {
    component
        .find_prop(name)?
        .params
        .iter()
        .find(|q| q.key.as_str() == "TZID")
        .and_then(|q| q.val.as_ref())
        .map(|v| v.as_str())
}

fn events(components: &[Component<'_>]) -> Vec<Component<'static>> {
    components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .map(|c| c.clone().into_owned())
        .collect()
}

/// A local date-time of a calendar in Paris, as an instant.
fn paris_instant(text: &str) -> DateTime<Utc> {
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S").unwrap();
    local
        .and_local_timezone(chrono_tz::Europe::Paris)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// The starts of an event's dates as a calendar app expands them: the series' `RRULE`,
/// `RDATE` and `EXDATE` from its `DTSTART` (with `rrule`), each override's date replaced by
/// its own start, cancelled overrides left out; those starting in `[from, to)`.
fn expand(vevents: &[Component<'_>], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let master = vevents
        .iter()
        .find(|v| v.find_prop("RECURRENCE-ID").is_none())
        .unwrap();
    let start_zone = tzid(master, "DTSTART").unwrap();
    let mut lines = vec![format!(
        "DTSTART;TZID={start_zone}:{}",
        value(master, "DTSTART").unwrap()
    )];
    for name in ["RRULE", "RDATE", "EXDATE"] {
        lines.extend(values(master, name));
    }
    let set: rrule::RRuleSet = lines.join("\n").parse().unwrap();
    let overrides: Vec<&Component<'_>> = vevents
        .iter()
        .filter(|v| v.find_prop("RECURRENCE-ID").is_some())
        .collect();
    let replaced: BTreeSet<DateTime<Utc>> = overrides
        .iter()
        .map(|o| paris_instant(value(o, "RECURRENCE-ID").unwrap()))
        .collect();
    let mut starts: Vec<DateTime<Utc>> = set
        .all(2000)
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| !replaced.contains(d))
        .chain(
            overrides
                .iter()
                .filter(|o| value(o, "STATUS") != Some("CANCELLED"))
                .map(|o| paris_instant(value(o, "DTSTART").unwrap())),
        )
        .filter(|d| *d >= from && *d < to)
        .collect();
    starts.sort();
    starts
}

/// The last Sunday of March of `year`, when Europe switches to summer time.
fn last_sunday_of_march(year: i32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap();
    }
    day
}

async fn editor(app: &TestApp) -> String {
    create(
        app,
        "agenda@example.org",
        Role::Editor,
        &["ville-de-toulouse"],
    )
    .await;
    access_of(app, "agenda@example.org").await
}

#[tokio::test]
async fn a_weekly_market_across_the_march_switch_reads_back_as_the_graphs_dates() {
    for app in apps().await {
        let label = app.test_db.label;
        let token = editor(&app).await;
        let (_, place) = run(&app, Some(&token), CREATE_PLACE, json!({ "input": {
            "name": "Place du marché",
            "location": { "latitude": 43.6045, "longitude": 1.444, "address": "Place du Capitole", "postalCode": "31000", "city": "Toulouse" },
            "categories": ["park-garden"],
            "publishers": ["ville-de-toulouse"]
        } })).await;
        let venue = place["data"]["createPlace"]["place"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {place}"))
            .to_owned();
        // Saturdays from three weeks before the switch to summer time, 08:00 to 10:00; the
        // third one moves to the afternoon, the fifth is cancelled.
        let year = Utc::now().year() + 1;
        let first = last_sunday_of_march(year) - Duration::days(22);
        let moved = first + Duration::weeks(2);
        let cancelled = first + Duration::weeks(4);
        let (_, created) = run(&app, Some(&token), CREATE_EVENT, json!({ "input": {
            "title": "Marché de plein vent; bio, local",
            "summary": "Producteurs du Lauragais.",
            "description": "Fruits, **légumes** et fromages.\n\nTous les samedis.",
            "publishers": ["ville-de-toulouse"],
            "categories": ["event-concert"],
            "venue": venue,
            "occurrences": [{ "startsAt": format!("{moved}T14:00:00+01:00"), "endsAt": format!("{moved}T16:30:00+01:00") }],
            "recurrence": {
                "rule": "FREQ=WEEKLY;BYDAY=SA",
                "firstStart": format!("{first}T08:00"),
                "durationMinutes": 120,
                "exceptions": [moved.to_string()]
            }
        } })).await;
        let event = &created["data"]["createEvent"]["event"];
        let id = event["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {created}"))
            .to_owned();
        let slug = event["slug"].as_str().unwrap().to_owned();
        let (_, status) = run(&app, Some(&token), "mutation($id: ID!, $v: Int!, $at: DateTime!) { setOccurrenceStatus(eventId: $id, version: $v, startsAt: $at, status: CANCELLED) { event { version } } }", json!({ "id": id, "v": event["version"], "at": format!("{cancelled}T06:00:00Z") })).await;
        assert!(status["errors"].is_null(), "{label}: {status}");

        let from = first.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let to = from + Duration::weeks(10);
        let (_, dates) = run(&app, None, "query($id: ID!, $from: DateTime, $to: DateTime) { event(id: $id) { occurrences(first: 100, from: $from, to: $to) { nodes { startsAt status } } } }", json!({ "id": id, "from": from, "to": to })).await;
        let graph: Vec<DateTime<Utc>> = dates["data"]["event"]["occurrences"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {dates}"))
            .iter()
            .filter(|n| n["status"] != "CANCELLED")
            .map(|n| n["startsAt"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(graph.len(), 9, "{label}: {dates}");

        let (code, headers, text) = get(&app, &format!("/events/{slug}.ics"), &[]).await;
        assert_eq!(code, StatusCode::OK, "{label}: {text}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/calendar; charset=utf-8"
        );
        assert!(
            text.lines().all(|l| l.len() <= 76),
            "{label}: a line is longer than 75 octets"
        );
        let (properties, components) = parse(&text);
        let property = |name: &str| {
            properties
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(property("VERSION"), Some("2.0"));
        assert_eq!(property("METHOD"), Some("PUBLISH"));
        assert_eq!(property("CALSCALE"), Some("GREGORIAN"));
        assert_eq!(property("X-WR-TIMEZONE"), Some("Europe/Paris"));
        assert!(
            property("X-WR-CALDESC")
                .unwrap()
                .contains("Licence Ouverte"),
            "{text}"
        );
        let zone = components
            .iter()
            .find(|c| c.name.as_str() == "VTIMEZONE")
            .unwrap_or_else(|| panic!("{label}: no VTIMEZONE\n{text}"));
        assert_eq!(value(zone, "TZID"), Some("Europe/Paris"));
        let switch = last_sunday_of_march(year)
            .format("%Y%m%dT020000")
            .to_string();
        assert!(
            zone.components.iter().any(|c| c.name.as_str() == "DAYLIGHT"
                && value(c, "DTSTART") == Some(switch.as_str())
                && value(c, "TZOFFSETTO") == Some("+0200")),
            "{label}: {text}"
        );

        let vevents = events(&components);
        let master = vevents
            .iter()
            .find(|v| v.find_prop("RECURRENCE-ID").is_none())
            .unwrap();
        assert_eq!(value(master, "RRULE"), Some("FREQ=WEEKLY;BYDAY=SA"));
        assert_eq!(tzid(master, "DTSTART"), Some("Europe/Paris"));
        assert_eq!(
            value(master, "DTSTART"),
            Some(first.format("%Y%m%dT080000").to_string().as_str())
        );
        assert_eq!(
            value(master, "DTEND"),
            Some(first.format("%Y%m%dT100000").to_string().as_str())
        );
        // Text is escaped on the wire and reads back as written.
        assert!(
            unfold(&text).contains("SUMMARY:Marché de plein vent\\; bio\\, local\r\n"),
            "{text}"
        );
        assert_eq!(
            value(master, "SUMMARY"),
            Some("Marché de plein vent; bio, local")
        );
        assert!(
            value(master, "UID").unwrap().starts_with(&format!("{id}@")),
            "{text}"
        );
        assert_eq!(value(master, "GEO"), Some("43.604500;1.444000"));
        assert!(
            value(master, "LOCATION")
                .unwrap()
                .starts_with("Place du marché, Place du Capitole, 31000 Toulouse")
        );
        assert!(
            value(master, "URL")
                .unwrap()
                .ends_with(&format!("/items/{id}.jsonld")),
            "{text}"
        );
        assert!(
            value(master, "DESCRIPTION")
                .unwrap()
                .contains("Producteurs du Lauragais.\n\nFruits"),
            "{text}"
        );
        assert!(value(master, "CATEGORIES").is_some(), "{text}");
        assert!(value(master, "ORGANIZER").is_some(), "{text}");
        assert!(value(master, "DTSTAMP").is_some() && value(master, "LAST-MODIFIED").is_some());
        // The cancelled Saturday is excluded, at its summer-time hour.
        let exdates = values(master, "EXDATE").join(",");
        assert!(
            exdates.contains(&cancelled.format("%Y%m%dT080000").to_string()),
            "{label}: {text}"
        );
        // The moved Saturday: its date in the series, and its new times.
        let moved_override = vevents
            .iter()
            .find(|v| v.find_prop("RECURRENCE-ID").is_some())
            .unwrap_or_else(|| panic!("{label}: no override\n{text}"));
        assert_eq!(
            value(moved_override, "RECURRENCE-ID"),
            Some(moved.format("%Y%m%dT080000").to_string().as_str())
        );
        assert_eq!(
            value(moved_override, "DTSTART"),
            Some(moved.format("%Y%m%dT140000").to_string().as_str())
        );
        assert_eq!(
            value(moved_override, "DTEND"),
            Some(moved.format("%Y%m%dT163000").to_string().as_str())
        );
        assert_eq!(value(moved_override, "UID"), value(master, "UID"));

        // Expanded as a calendar app does: the graph's dates, 08:00 in Paris on both sides
        // of the switch (07:00 then 06:00 UTC).
        let expanded = expand(&vevents, from, to);
        assert_eq!(expanded, graph, "{label}: {text}");
        let hours: BTreeSet<String> = expanded
            .iter()
            .map(|d| d.format("%H").to_string())
            .collect();
        assert!(
            hours.contains("07") && hours.contains("06"),
            "{label}: {hours:?}"
        );

        // Over every date the graph holds (18 months ahead), the same again, and winter
        // time again after the October switch when the dates reach it.
        let (_, stored) = run(&app, None, "query($id: ID!, $from: DateTime) { event(id: $id) { occurrences(first: 100, from: $from) { totalCount nodes { startsAt status } } } }", json!({ "id": id, "from": from })).await;
        let occurrences = &stored["data"]["event"]["occurrences"];
        assert!(occurrences["totalCount"].as_i64().unwrap() < 100, "{label}");
        let every: Vec<DateTime<Utc>> = occurrences["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["status"] != "CANCELLED")
            .map(|n| n["startsAt"].as_str().unwrap().parse().unwrap())
            .collect();
        let last = *every.last().unwrap();
        let expanded = expand(&vevents, from, last + Duration::seconds(1));
        assert_eq!(expanded, every, "{label}");
        let mut october = NaiveDate::from_ymd_opt(year, 10, 31).unwrap();
        while october.weekday() != Weekday::Sun {
            october = october.pred_opt().unwrap();
        }
        if last.date_naive() > october + Duration::days(7) {
            assert!(
                expanded
                    .iter()
                    .any(|d| d.date_naive() > october && d.format("%H").to_string() == "07"),
                "{label}: {expanded:?}"
            );
        }

        // A slug nobody has is a 404 in the graph's error shape.
        let (code, headers, body) = get(&app, "/events/no-such-event.ics", &[]).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{label}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{body}"
        );
        let (code, _, _) = get(&app, &format!("/events/{slug}"), &[]).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{label}");
        app.test_db.remove().await;
    }
}

/// The global ids of the events a calendar holds, in its order.
fn event_ids(text: &str) -> Vec<String> {
    let (_, components) = parse(text);
    events(&components)
        .iter()
        .filter(|v| v.find_prop("RECURRENCE-ID").is_none())
        .map(|v| {
            value(v, "UID")
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The next page's address of a `Link` header, as a path and query.
fn next_page(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(header::LINK)?.to_str().unwrap();
    let url = link.split(['<', '>']).nth(1)?;
    let path = url.find("/feeds/")?;
    Some(url[path..].to_owned())
}

#[tokio::test]
async fn the_agenda_calendar_holds_the_graphs_events_in_pages_and_answers_revalidation() {
    for app in apps().await {
        let label = app.test_db.label;
        let graph = |filter: Value| {
            let app = &app;
            async move {
                let (_, body) = run(
                    app,
                    None,
                    "query($f: EventFilter) { events(first: 100, filter: $f) { nodes { id } } }",
                    json!({ "f": filter }),
                )
                .await;
                body["data"]["events"]["nodes"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{body}"))
                    .iter()
                    .map(|n| n["id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        let (code, headers, text) = get(&app, "/feeds/events.ics?limit=100", &[]).await;
        assert_eq!(code, StatusCode::OK, "{label}: {text}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/calendar; charset=utf-8"
        );
        // A client holding the answer revalidates it for one statement.
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let (code, _, body) = get(
            &app,
            "/feeds/events.ics?limit=100",
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(code, StatusCode::NOT_MODIFIED, "{label}");
        assert!(body.is_empty());
        let all = graph(json!({})).await;
        assert!(all.len() > 3, "{label}: the demo city has events");
        assert_eq!(event_ids(&text), all, "{label}");

        // Filters are the graph's.
        let (_, _, concerts) = get(
            &app,
            "/feeds/events.ics?category=event-concert&freeOnly=true",
            &[],
        )
        .await;
        let expected = graph(json!({ "categories": ["event-concert"], "freeOnly": true })).await;
        assert!(
            expected.len() < all.len(),
            "{label}: the filter keeps fewer events"
        );
        assert_eq!(event_ids(&concerts), expected, "{label}");

        // Pages of two, linked, make the whole agenda.
        let mut paged = Vec::new();
        let mut next = Some("/feeds/events.ics?limit=2".to_owned());
        while let Some(uri) = next {
            let (code, headers, text) = get(&app, &uri, &[]).await;
            assert_eq!(code, StatusCode::OK, "{label}: {uri}: {text}");
            let ids = event_ids(&text);
            assert!(ids.len() <= 2);
            paged.extend(ids);
            next = next_page(&headers);
        }
        assert_eq!(paged, all, "{label}");

        // Bad parameters are named.
        for (query, named) in [
            ("color=red", "`color`"),
            ("limit=0", "`limit`"),
            ("startsAfter=soon", "not valid"),
        ] {
            let (code, _, body) = get(&app, &format!("/feeds/events.ics?{query}"), &[]).await;
            assert_eq!(code, StatusCode::BAD_REQUEST, "{label}: {query}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(named), "{label}: {query}: {message}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }

        // An event whose dates are all past is not in the agenda's calendar, though its own
        // calendar still answers.
        let token = editor(&app).await;
        let past = (Utc::now() - Duration::days(30)).date_naive();
        let (_, created) = run(&app, Some(&token), CREATE_EVENT, json!({ "input": {
            "title": "Conférence passée",
            "publishers": ["ville-de-toulouse"],
            "locationText": "Salle du Sénéchal",
            "occurrences": [{ "startsAt": format!("{past}T18:00:00Z"), "endsAt": format!("{past}T20:00:00Z") }]
        } })).await;
        let past_id = created["data"]["createEvent"]["event"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {created}"))
            .to_owned();
        let past_slug = created["data"]["createEvent"]["event"]["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, _, text) = get(&app, "/feeds/events.ics?limit=1000", &[]).await;
        assert!(!event_ids(&text).contains(&past_id), "{label}");
        let (code, _, one) = get(&app, &format!("/events/{past_slug}.ics"), &[]).await;
        assert_eq!(code, StatusCode::OK, "{label}: {one}");
        let (_, components) = parse(&one);
        let vevents = events(&components);
        assert_eq!(vevents.len(), 1, "{label}: {one}");
        assert!(vevents[0].find_prop("RRULE").is_none() && vevents[0].find_prop("RDATE").is_none());
        assert_eq!(value(&vevents[0], "LOCATION"), Some("Salle du Sénéchal"));
        assert_eq!(value(&vevents[0], "STATUS"), Some("CONFIRMED"));
        // Renamed and then cancelled, the event keeps its UID under its old address and
        // says it is cancelled.
        let (_, renamed) = run(&app, Some(&token), "mutation($id: ID!) { updateEvent(id: $id, version: 1, patch: { slug: \"conference-annulee\" }) { event { version } } }", json!({ "id": past_id })).await;
        assert!(renamed["errors"].is_null(), "{label}: {renamed}");
        let (_, cancelled) = run(
            &app,
            Some(&token),
            "mutation($id: ID!) { cancelEvent(id: $id, version: 2) { event { status } } }",
            json!({ "id": past_id }),
        )
        .await;
        assert!(cancelled["errors"].is_null(), "{label}: {cancelled}");
        let (code, _, again) = get(&app, &format!("/events/{past_slug}.ics"), &[]).await;
        assert_eq!(code, StatusCode::OK, "{label}: {again}");
        let (_, components) = parse(&again);
        let renamed_events = events(&components);
        assert_eq!(value(&renamed_events[0], "UID"), value(&vevents[0], "UID"));
        assert_eq!(
            value(&renamed_events[0], "STATUS"),
            Some("CANCELLED"),
            "{label}: {again}"
        );
        // The change makes the earlier answer stale (on PostgreSQL once every transaction
        // older than the change has ended, which other clients of the server may delay).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (code, _, _) = get(
                &app,
                "/feeds/events.ics?limit=100",
                &[("if-none-match", &etag)],
            )
            .await;
            if code == StatusCode::OK {
                break;
            }
            assert_eq!(code, StatusCode::NOT_MODIFIED, "{label}");
            assert!(
                std::time::Instant::now() < deadline,
                "{label}: the change never showed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        app.test_db.remove().await;
    }
}
