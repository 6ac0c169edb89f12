//! Editing the agenda from GraphQL: events with dates and recurrences, statuses of events
//! and of single dates, places and their closures, upserts from a publisher's agenda, who
//! may do what, hostile input and concurrent edits.

use axum::http::StatusCode;
use capitole_domain::access::Role;
use capitole_persistence::entities::{audit_entry, event, event_occurrence, place};
use capitole_persistence::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use super::accounts::{access_of, app_token, create, register, run};
use super::{TestApp, apps, code};

const CREATE_EVENT: &str = "mutation($input: EventInput!, $only: Boolean! = false) { createEvent(input: $input, validateOnly: $only) { validatedOnly event { id slug version status publishers { slug } } } }";
const CREATE_PLACE: &str = "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id slug version publishers { slug } } } }";
const UPSERT_EVENT: &str = "mutation($s: String!, $x: String!, $input: EventInput!) { upsertEvent(source: $s, externalId: $x, input: $input) { outcome event { id version title occurrences(first: 100) { totalCount } } } }";
const UPSERT_PLACE: &str = "mutation($s: String!, $x: String!, $input: PlaceInput!) { upsertPlace(source: $s, externalId: $x, input: $input) { outcome place { id version name } } }";

async fn event_count(app: &TestApp) -> u64 {
    event::Entity::find()
        .count(app.db.connection())
        .await
        .unwrap()
}

async fn place_count(app: &TestApp) -> u64 {
    place::Entity::find()
        .count(app.db.connection())
        .await
        .unwrap()
}

/// (ville editor, métropole editor, administrator), signed in.
async fn staff(app: &TestApp) -> (String, String, String) {
    create(
        app,
        "ville@example.org",
        Role::Editor,
        &["ville-de-toulouse"],
    )
    .await;
    create(
        app,
        "metropole@example.org",
        Role::Editor,
        &["toulouse-metropole"],
    )
    .await;
    create(app, "admin@example.org", Role::Administrator, &[]).await;
    (
        access_of(app, "ville@example.org").await,
        access_of(app, "metropole@example.org").await,
        access_of(app, "admin@example.org").await,
    )
}

fn in_days(days: i64, hour: u32) -> String {
    let date = (Utc::now() + Duration::days(days)).date_naive();
    date.and_hms_opt(hour, 0, 0).unwrap().and_utc().to_rfc3339()
}

fn concert() -> Value {
    json!({
        "title": "Concert au jardin",
        "publishers": ["ville-de-toulouse"],
        "summary": "Un concert gratuit.",
        "description": "**Orchestre** de chambre.",
        "categories": ["event-concert"],
        "audiences": ["FAMILIES"],
        "neighborhoods": ["capitole"],
        "ageMin": 6,
        "isFree": true,
        "locationText": "Jardin des Plantes",
        "occurrences": [
            { "startsAt": in_days(10, 18), "endsAt": in_days(10, 20) },
            { "startsAt": in_days(11, 18), "endsAt": in_days(11, 20) }
        ]
    })
}

fn garden() -> Value {
    json!({
        "name": "Jardin partagé des Récollets",
        "location": { "latitude": 43.585, "longitude": 1.435, "address": "Rue des Récollets", "postalCode": "31400", "city": "Toulouse" },
        "categories": ["park-garden"],
        "contact": { "phone": "05 61 22 29 22", "website": "https://www.toulouse.fr" },
        "openingHours": { "weekly": [{ "day": "SATURDAY", "opens": "09:00", "closes": "18:00" }] },
        "accessibility": ["MOTOR"],
        "publishers": ["ville-de-toulouse"]
    })
}

async fn new_event(app: &TestApp, token: &str, input: Value) -> Value {
    let (status, body) = run(app, Some(token), CREATE_EVENT, json!({ "input": input })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = body["data"]["createEvent"]["event"].clone();
    assert!(event.is_object(), "{body}");
    event
}

async fn new_place(app: &TestApp, token: &str) -> Value {
    let (_, body) = run(app, Some(token), CREATE_PLACE, json!({ "input": garden() })).await;
    let place = body["data"]["createPlace"]["place"].clone();
    assert!(place.is_object(), "{body}");
    place
}

async fn version_of(app: &TestApp, id: &str) -> i64 {
    let (_, body) = run(
        app,
        None,
        "query($id: ID!) { node(id: $id) { ... on Event { version } ... on Place { version } } }",
        json!({ "id": id }),
    )
    .await;
    body["data"]["node"]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

fn first_field(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_agenda_mutation_checks_who_asks() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, metropole, admin) = staff(&app).await;
        let (citizen, _) = register(&app, "citizen@example.org").await;
        let (token, _) = app_token(&app, "Reader").await;
        let event = new_event(&app, &ville, concert()).await;
        assert_eq!(event["publishers"][0]["slug"], "ville-de-toulouse");
        let event_id = event["id"].as_str().unwrap().to_owned();
        let place = new_place(&app, &ville).await;
        assert_eq!(place["publishers"][0]["slug"], "ville-de-toulouse");
        let place_id = place["id"].as_str().unwrap().to_owned();
        let starts_at = in_days(11, 18);
        let mutations: Vec<(&str, String, Value)> = vec![
            ("createEvent", CREATE_EVENT.to_owned(), json!({ "input": concert() })),
            ("updateEvent", "mutation($id: ID!, $v: Int!) { updateEvent(id: $id, version: $v, patch: { title: \"Concert\" }) { event { version } } }".into(), json!({ "id": event_id })),
            ("postponeEvent", "mutation($id: ID!, $v: Int!) { postponeEvent(id: $id, version: $v) { event { version } } }".into(), json!({ "id": event_id })),
            ("rescheduleEvent", "mutation($id: ID!, $v: Int!, $d: [DateInput!]!) { rescheduleEvent(id: $id, version: $v, occurrences: $d) { event { version } } }".into(), json!({ "id": event_id, "d": [{ "startsAt": in_days(11, 18), "endsAt": in_days(11, 20) }, { "startsAt": in_days(12, 18), "endsAt": in_days(12, 20) }] })),
            ("setEventStatus", "mutation($id: ID!, $v: Int!) { setEventStatus(id: $id, version: $v, status: FULL) { event { version } } }".into(), json!({ "id": event_id })),
            ("setOccurrenceStatus", "mutation($id: ID!, $v: Int!, $at: DateTime!) { setOccurrenceStatus(eventId: $id, version: $v, startsAt: $at, status: FULL) { event { version } } }".into(), json!({ "id": event_id, "at": starts_at })),
            ("cancelEvent", "mutation($id: ID!, $v: Int!) { cancelEvent(id: $id, version: $v) { event { version } } }".into(), json!({ "id": event_id })),
            ("upsertEvent", UPSERT_EVENT.to_owned(), json!({ "s": "agenda-ville", "x": "42", "input": concert() })),
            ("createPlace", CREATE_PLACE.to_owned(), json!({ "input": garden() })),
            ("updatePlace", "mutation($id: ID!, $v: Int!) { updatePlace(id: $id, version: $v, patch: { name: \"Jardin\" }) { place { version } } }".into(), json!({ "id": place_id })),
            ("closePlace", "mutation($id: ID!, $v: Int!, $u: DateTime) { closePlace(id: $id, version: $v, until: $u) { place { version } } }".into(), json!({ "id": place_id, "u": in_days(30, 0) })),
            ("reopenPlace", "mutation($id: ID!, $v: Int!) { reopenPlace(id: $id, version: $v) { place { version } } }".into(), json!({ "id": place_id })),
            ("upsertPlace", UPSERT_PLACE.to_owned(), json!({ "s": "agenda-ville", "x": "p-1", "input": garden() })),
        ];
        for (name, text, variables) in &mutations {
            let item = if name.contains("Place") {
                &place_id
            } else {
                &event_id
            };
            let events_before = event_count(&app).await;
            let places_before = place_count(&app).await;
            let version = version_of(&app, item).await;
            let mut variables = variables.clone();
            variables["v"] = json!(version);
            for (who, caller, expected) in [
                ("anonymous", None, "UNAUTHENTICATED"),
                ("citizen", Some(citizen.as_str()), "FORBIDDEN"),
                ("app token", Some(token.as_str()), "FORBIDDEN"),
                (
                    "editor of the other organization",
                    Some(metropole.as_str()),
                    "FORBIDDEN",
                ),
            ] {
                let (_, body) = run(&app, caller, text, variables.clone()).await;
                assert_eq!(code(&body), expected, "{label} {name} {who}: {body}");
            }
            assert_eq!(version_of(&app, item).await, version, "{label} {name}");
            assert_eq!(event_count(&app).await, events_before, "{label} {name}");
            assert_eq!(place_count(&app).await, places_before, "{label} {name}");
            // The editor of a publisher may, and so may an administrator.
            for (who, caller) in [("editor", &ville), ("administrator", &admin)] {
                let mut variables = variables.clone();
                variables["v"] = json!(version_of(&app, item).await);
                if name.starts_with("upsert") {
                    variables["x"] = json!(format!("{who}-{name}"));
                }
                let (_, body) = run(&app, Some(caller), text, variables).await;
                assert!(body.get("errors").is_none(), "{label} {name} {who}: {body}");
            }
        }
        // A place without publishers is the administrators'.
        let mut input = garden();
        input.as_object_mut().unwrap().remove("publishers");
        let (_, ownerless) = run(&app, Some(&admin), CREATE_PLACE, json!({ "input": input })).await;
        let ownerless_id = ownerless["data"]["createPlace"]["place"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{ownerless}"))
            .to_owned();
        assert_eq!(
            ownerless["data"]["createPlace"]["place"]["publishers"],
            json!([])
        );
        let (_, refused) = run(&app, Some(&ville), "mutation($id: ID!) { updatePlace(id: $id, version: 1, patch: { name: \"X\" }) { place { version } } }", json!({ "id": ownerless_id })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{label}: {refused}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn hostile_event_and_place_input_is_refused_field_by_field_and_nothing_is_stored() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _) = staff(&app).await;
        let (events_before, places_before) = (event_count(&app).await, place_count(&app).await);
        let input = json!({
            "title": "x".repeat(20_000),
            "summary": "nul \u{0} byte",
            "categories": ["nope"],
            "neighborhoods": ["atlantis"],
            "ageMin": 12,
            "ageMax": 3,
            "isFree": true,
            "price": "10 €",
            "attendanceMode": "ONLINE",
            "registration": { "email": "agenda@toulouse.fr", "url": "http://insecure.example" },
            "venue": "not-an-id",
            "occurrences": [{ "startsAt": in_days(3, 10), "endsAt": in_days(3, 9) }],
            "recurrence": { "rule": "FREQ=FORTNIGHTLY", "firstStart": "soon", "durationMinutes": 0 }
        });
        let (status, body) = run(&app, Some(&ville), CREATE_EVENT, json!({ "input": input })).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let fields = first_field(&body);
        for expected in [
            "title",
            "summary",
            "categories[0]",
            "neighborhoods[0]",
            "ageMax",
            "price",
            "onlineUrl",
            "registration.url",
            "venue",
            "occurrences[0].endsAt",
            "recurrence.rule",
            "recurrence.firstStart",
            "recurrence.durationMinutes",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{label}: {expected} missing from {fields:?}"
            );
        }
        // A 1 MB title and 10,000 categories never reach the resolvers.
        let (status, _) = run(
            &app,
            Some(&ville),
            CREATE_EVENT,
            json!({ "input": { "title": "x".repeat(1_000_000) } }),
        )
        .await;
        assert!(status.is_client_error(), "{label}: {status}");
        let many: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        let mut input = concert();
        input["categories"] = json!(many);
        let (status, body) = run(&app, Some(&ville), CREATE_EVENT, json!({ "input": input })).await;
        assert!(
            status.is_client_error() || code(&body) == "BAD_USER_INPUT",
            "{label}: {status} {body}"
        );
        // Places: coordinates out of range, bad hours, bad contact.
        let mut place = garden();
        place["name"] = json!("");
        place["location"]["latitude"] = json!(123.0);
        place["contact"] = json!({ "website": "http://insecure.example/" });
        place["openingHours"] =
            json!({ "weekly": [{ "day": "MONDAY", "opens": "09:00", "closes": "09:00" }] });
        let (_, body) = run(&app, Some(&ville), CREATE_PLACE, json!({ "input": place })).await;
        let fields = first_field(&body);
        for expected in [
            "name",
            "location.latitude",
            "contact.website",
            "openingHours",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{label}: {expected} missing from {fields:?} {body}"
            );
        }
        // validateOnly checks everything and stores nothing.
        let (_, checked) = run(
            &app,
            Some(&ville),
            CREATE_EVENT,
            json!({ "input": concert(), "only": true }),
        )
        .await;
        assert_eq!(
            checked["data"]["createEvent"]["validatedOnly"], true,
            "{checked}"
        );
        assert_eq!(event_count(&app).await, events_before, "{label}");
        assert_eq!(place_count(&app).await, places_before, "{label}");
        assert_eq!(
            run(&app, None, "{ organizations { slug } }", json!({}))
                .await
                .0,
            StatusCode::OK
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn a_stale_version_gets_a_conflict_and_changes_nothing() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _) = staff(&app).await;
        let id = new_event(&app, &ville, concert()).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let update = "mutation($id: ID!, $v: Int!, $t: String!) { updateEvent(id: $id, version: $v, patch: { title: $t, slug: \"concert-du-jardin\" }) { event { version title slug } } }";
        let (_, first) = run(
            &app,
            Some(&ville),
            update,
            json!({ "id": id, "v": 1, "t": "Concert du jardin" }),
        )
        .await;
        assert_eq!(
            first["data"]["updateEvent"]["event"]["version"], 2,
            "{label}: {first}"
        );
        let (_, stale) = run(
            &app,
            Some(&ville),
            update,
            json!({ "id": id, "v": 1, "t": "Écrasé" }),
        )
        .await;
        assert_eq!(code(&stale), "CONFLICT", "{label}: {stale}");
        for (slug, expected) in [
            ("concert-du-jardin", "Concert du jardin"),
            ("concert-au-jardin", "Concert du jardin"),
        ] {
            let (_, found) = run(
                &app,
                None,
                "query($s: String!) { event(slug: $s) { title } }",
                json!({ "s": slug }),
            )
            .await;
            assert_eq!(
                found["data"]["event"]["title"], expected,
                "{label} {slug}: {found}"
            );
        }
        let (_, stale) = run(
            &app,
            Some(&ville),
            "mutation($id: ID!) { cancelEvent(id: $id, version: 1) { event { version } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(code(&stale), "CONFLICT", "{label}: {stale}");
        // The trail names the event and what changed.
        let (_, trail) = run(
            &app,
            Some(&ville),
            "query($id: ID!) { auditLog(itemId: $id) { totalCount nodes { itemKind itemId action changes } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            trail["data"]["auditLog"]["totalCount"], 2,
            "{label}: {trail}"
        );
        let latest = &trail["data"]["auditLog"]["nodes"][0];
        assert_eq!(latest["itemKind"], "EVENT");
        assert_eq!(latest["itemId"], json!(id));
        assert_eq!(latest["action"], "UPDATE");
        assert_eq!(
            latest["changes"]["title"]["to"], "Concert du jardin",
            "{latest}"
        );
        assert_eq!(
            latest["changes"]["slug"]["to"], "concert-du-jardin",
            "{latest}"
        );
        let place = new_place(&app, &ville).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let close = "mutation($id: ID!, $v: Int!, $u: DateTime) { closePlace(id: $id, version: $v, until: $u) { place { version closure closedUntil isOpenNow } } }";
        let (_, closed) = run(
            &app,
            Some(&ville),
            close,
            json!({ "id": place, "v": 1, "u": in_days(20, 0) }),
        )
        .await;
        assert_eq!(
            closed["data"]["closePlace"]["place"]["closure"], "TEMPORARILY_CLOSED",
            "{label}: {closed}"
        );
        assert_eq!(closed["data"]["closePlace"]["place"]["isOpenNow"], false);
        assert!(closed["data"]["closePlace"]["place"]["closedUntil"].is_string());
        let (_, stale) = run(
            &app,
            Some(&ville),
            close,
            json!({ "id": place, "v": 1, "u": null }),
        )
        .await;
        assert_eq!(code(&stale), "CONFLICT", "{label}: {stale}");
        let (_, reopened) = run(
            &app,
            Some(&ville),
            "mutation($id: ID!) { reopenPlace(id: $id, version: 2) { place { closure version } } }",
            json!({ "id": place }),
        )
        .await;
        assert_eq!(
            reopened["data"]["reopenPlace"]["place"]["closure"], "OPEN",
            "{label}: {reopened}"
        );
        let (_, gone) = run(
            &app,
            Some(&ville),
            close,
            json!({ "id": place, "v": 3, "u": null }),
        )
        .await;
        assert_eq!(
            gone["data"]["closePlace"]["place"]["closure"], "PERMANENTLY_CLOSED",
            "{label}: {gone}"
        );
        app.test_db.remove().await;
    }
}

/// The first Saturday of March of `year`.
fn first_saturday_of_march(year: i32) -> NaiveDate {
    let mut date = NaiveDate::from_ymd_opt(year, 3, 1).unwrap();
    while date.weekday() != Weekday::Sat {
        date = date.succ_opt().unwrap();
    }
    date
}

#[tokio::test]
async fn a_weekly_market_stays_at_eight_across_daylight_saving_and_one_cancelled_date_leaves_the_agenda()
 {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _) = staff(&app).await;
        let year = Utc::now().year();
        let first = first_saturday_of_march(year);
        let skipped = first + Duration::days(14);
        let mut input = concert();
        input["title"] = json!("Marché de plein vent");
        input["occurrences"] = json!([]);
        input["recurrence"] = json!({
            "rule": "FREQ=WEEKLY;BYDAY=SA",
            "firstStart": format!("{first}T08:00"),
            "durationMinutes": 300,
            "exceptions": [skipped.to_string()]
        });
        let event = new_event(&app, &ville, input).await;
        let id = event["id"].as_str().unwrap().to_owned();
        let dates = "query($id: ID!, $from: DateTime, $to: DateTime) { event(id: $id) { recurrenceRule occurrences(first: 100, from: $from, to: $to) { totalCount nodes { startsAt localStartsAt status } } } }";
        let from = format!("{first}T00:00:00Z");
        let to = format!("{year}-11-30T00:00:00Z");
        let (_, body) = run(
            &app,
            None,
            dates,
            json!({ "id": id, "from": from, "to": to }),
        )
        .await;
        let nodes = body["data"]["event"]["occurrences"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .clone();
        assert!(nodes.len() > 30, "{label}: {body}");
        let locals: Vec<&str> = nodes
            .iter()
            .map(|n| n["localStartsAt"].as_str().unwrap())
            .collect();
        for local in &locals {
            assert!(local.contains("T08:00:00+0"), "{label}: {local}");
        }
        // Winter time before the last Sunday of March and after the last of October.
        assert!(locals.first().unwrap().ends_with("+01:00"), "{locals:?}");
        assert!(
            locals
                .iter()
                .any(|l| l.starts_with(&format!("{year}-07")) && l.ends_with("+02:00"))
        );
        assert!(locals.last().unwrap().ends_with("+01:00"), "{locals:?}");
        let utc_hours: Vec<&str> = nodes
            .iter()
            .map(|n| &n["startsAt"].as_str().unwrap()[11..13])
            .collect();
        assert!(
            utc_hours.contains(&"07") && utc_hours.contains(&"06"),
            "{utc_hours:?}"
        );
        assert!(
            !locals.iter().any(|l| l.starts_with(&skipped.to_string())),
            "{label}: exception kept"
        );

        // One future Saturday is cancelled: it leaves the agenda, the event stays.
        let today = Utc::now().date_naive();
        let mut saturday = today + Duration::days(7);
        while saturday.weekday() != Weekday::Sat {
            saturday = saturday.succ_opt().unwrap();
        }
        let (_, future) = run(&app, None, dates, json!({ "id": id, "from": format!("{saturday}T00:00:00Z"), "to": format!("{saturday}T23:59:59Z") })).await;
        let starts_at = future["data"]["event"]["occurrences"]["nodes"][0]["startsAt"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: {future}"))
            .to_owned();
        let agenda = "query($a: DateTime!, $b: DateTime!) { events(first: 100, filter: { startsAfter: $a, startsBefore: $b }) { nodes { id } } }";
        let window =
            json!({ "a": format!("{saturday}T00:00:00Z"), "b": format!("{saturday}T23:59:59Z") });
        let listed = |body: &Value| {
            body["data"]["events"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["id"] == json!(id))
        };
        let (_, before) = run(&app, None, agenda, window.clone()).await;
        assert!(listed(&before), "{label}: {before}");
        let version = version_of(&app, &id).await;
        let (_, cancelled) = run(&app, Some(&ville), "mutation($id: ID!, $v: Int!, $at: DateTime!) { setOccurrenceStatus(eventId: $id, version: $v, startsAt: $at, status: CANCELLED) { event { version status } } }", json!({ "id": id, "v": version, "at": starts_at })).await;
        assert_eq!(
            cancelled["data"]["setOccurrenceStatus"]["event"]["version"],
            version + 1,
            "{label}: {cancelled}"
        );
        assert_eq!(
            cancelled["data"]["setOccurrenceStatus"]["event"]["status"],
            "SCHEDULED"
        );
        let (_, after) = run(&app, None, agenda, window).await;
        assert!(!listed(&after), "{label}: {after}");
        let (_, still) = run(&app, None, dates, json!({ "id": id, "from": format!("{saturday}T00:00:00Z"), "to": format!("{saturday}T23:59:59Z") })).await;
        assert_eq!(
            still["data"]["event"]["occurrences"]["nodes"][0]["status"], "CANCELLED",
            "{label}: {still}"
        );
        // The next Saturday is still listed.
        let next = saturday + Duration::days(7);
        let (_, later) = run(
            &app,
            None,
            agenda,
            json!({ "a": format!("{next}T00:00:00Z"), "b": format!("{next}T23:59:59Z") }),
        )
        .await;
        assert!(listed(&later), "{label}: {later}");
        // Postponed, the event keeps its dates and says so.
        let (_, postponed) = run(
            &app,
            Some(&ville),
            "mutation($id: ID!, $v: Int!) { postponeEvent(id: $id, version: $v) { event { status } } }",
            json!({ "id": id, "v": version + 1 }),
        )
        .await;
        assert_eq!(
            postponed["data"]["postponeEvent"]["event"]["status"], "POSTPONED",
            "{label}: {postponed}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn upserts_from_an_agenda_are_idempotent() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _) = staff(&app).await;
        let mut input = concert();
        input["recurrence"] = json!({ "rule": "FREQ=WEEKLY;BYDAY=WE;COUNT=10", "firstStart": in_days(5, 10)[..16].to_owned(), "durationMinutes": 90 });
        let variables = json!({ "s": "openagenda-toulouse", "x": "evt-1", "input": input });
        let (_, first) = run(&app, Some(&ville), UPSERT_EVENT, variables.clone()).await;
        assert_eq!(
            first["data"]["upsertEvent"]["outcome"], "CREATED",
            "{label}: {first}"
        );
        let (_, second) = run(&app, Some(&ville), UPSERT_EVENT, variables.clone()).await;
        assert_eq!(
            second["data"]["upsertEvent"]["outcome"], "UNCHANGED",
            "{label}: {second}"
        );
        let (a, b) = (
            &first["data"]["upsertEvent"]["event"],
            &second["data"]["upsertEvent"]["event"],
        );
        assert_eq!(a["id"], b["id"]);
        assert_eq!(b["version"], 1);
        assert_eq!(
            a["occurrences"]["totalCount"],
            b["occurrences"]["totalCount"]
        );
        assert_eq!(b["occurrences"]["totalCount"], 12, "{label}: {second}");
        let rows = event::Entity::find()
            .filter(event::Column::Source.eq("openagenda-toulouse"))
            .all(app.db.connection())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{label}");
        let dates = event_occurrence::Entity::find()
            .filter(event_occurrence::Column::EventId.eq(rows[0].id))
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(dates, 12, "{label}");
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::ItemId.eq(rows[0].id))
            .filter(audit_entry::Column::ItemKind.eq("EVENT"))
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(entries, 1, "{label}: one audit entry");
        // A change from the source updates the same event.
        let mut changed = variables.clone();
        changed["input"]["title"] = json!("Concert au jardin (complet)");
        let (_, third) = run(&app, Some(&ville), UPSERT_EVENT, changed).await;
        assert_eq!(
            third["data"]["upsertEvent"]["outcome"], "UPDATED",
            "{label}: {third}"
        );
        assert_eq!(third["data"]["upsertEvent"]["event"]["version"], 2);
        assert_eq!(third["data"]["upsertEvent"]["event"]["id"], a["id"]);

        // Places too.
        let place = json!({ "s": "openagenda-toulouse", "x": "lieu-7", "input": garden() });
        let (_, p1) = run(&app, Some(&ville), UPSERT_PLACE, place.clone()).await;
        let (_, p2) = run(&app, Some(&ville), UPSERT_PLACE, place.clone()).await;
        assert_eq!(
            p1["data"]["upsertPlace"]["outcome"], "CREATED",
            "{label}: {p1}"
        );
        assert_eq!(
            p2["data"]["upsertPlace"]["outcome"], "UNCHANGED",
            "{label}: {p2}"
        );
        assert_eq!(
            p1["data"]["upsertPlace"]["place"]["id"],
            p2["data"]["upsertPlace"]["place"]["id"]
        );
        assert_eq!(p2["data"]["upsertPlace"]["place"]["version"], 1);
        let places = place::Entity::find()
            .filter(place::Column::ExternalId.eq("lieu-7"))
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(places, 1, "{label}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn recurring_dates_keep_coming_as_the_horizon_moves_on() {
    const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _) = staff(&app).await;
        let mut input = concert();
        input["title"] = json!("Marché du mardi");
        input["occurrences"] = json!([]);
        input["recurrence"] = json!({ "rule": "FREQ=WEEKLY;BYDAY=TU", "firstStart": in_days(1, 7)[..16].to_owned(), "durationMinutes": 240 });
        let event = new_event(&app, &ville, input).await;
        let uuid = {
            use base64::Engine;
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(event["id"].as_str().unwrap())
                .unwrap();
            let text = String::from_utf8(raw).unwrap();
            uuid::Uuid::parse_str(text.split(':').nth(1).unwrap()).unwrap()
        };
        let dates = |app: &TestApp| {
            let db = app.db.clone();
            async move {
                event_occurrence::Entity::find()
                    .filter(event_occurrence::Column::EventId.eq(uuid))
                    .all(db.connection())
                    .await
                    .unwrap()
            }
        };
        let before = dates(&app).await;
        let last = before.iter().map(|o| o.starts_at).max().unwrap();
        // Nothing to add today.
        let today = capitole_persistence::event::extend_recurrences(&app.db, Utc::now(), PARIS)
            .await
            .unwrap();
        assert_eq!(today, 0, "{label}");
        // Sixty days later, about eight more Tuesdays are within the horizon, once.
        let later = Utc::now() + Duration::days(60);
        let added = capitole_persistence::event::extend_recurrences(&app.db, later, PARIS)
            .await
            .unwrap();
        assert!((8..=9).contains(&added), "{label}: {added}");
        assert_eq!(
            capitole_persistence::event::extend_recurrences(&app.db, later, PARIS)
                .await
                .unwrap(),
            0
        );
        let after = dates(&app).await;
        assert_eq!(after.len(), before.len() + added);
        let fresh: Vec<_> = after.iter().filter(|o| o.starts_at > last).collect();
        assert!(
            fresh.iter().all(|o| o
                .starts_at
                .with_timezone(&PARIS)
                .format("%a %H:%M")
                .to_string()
                == "Tue 07:00"),
            "{label}"
        );
        app.test_db.remove().await;
    }
}
