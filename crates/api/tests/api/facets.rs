//! Facets of the agenda, of places and of news, on both databases: every count equals the
//! `totalCount` of the list filtered on that value, and each facet ignores its own
//! dimension of the filter.

use chrono::{NaiveDate, TimeZone};
use serde_json::{Value, json};

use super::accounts::run;
use super::{PARIS, TestApp, apps};

/// The `totalCount` of `list` under `filter`.
async fn total(app: &TestApp, list: &str, input: &str, filter: &Value) -> i64 {
    let query = format!("query($f: {input}) {{ {list}(filter: $f) {{ totalCount }} }}");
    let (_, body) = run(app, None, &query, json!({ "f": filter })).await;
    body["data"][list]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}: {body}", app.test_db.label))
}

/// `filter` with `dimension` set to `value` (a list of one, or a flag).
fn with(filter: &Value, dimension: &str, value: Value) -> Value {
    let mut filter = filter.clone();
    filter[dimension] = value;
    filter
}

/// Checks each value of each facet of `list` under `filter` against the list filtered on
/// that value (the facet's own dimension replaced); returns the facets.
async fn check_counts(
    app: &TestApp,
    (list, input, facets): (&str, &str, &[&str]),
    filter: &Value,
) -> Value {
    let label = &app.test_db.label;
    let selection: String = facets
        .iter()
        .map(|facet| match *facet {
            "isFree" => "isFree { value count selected }".to_owned(),
            _ => format!("{facet} {{ value count selected }}"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let query = format!(
        "query($f: {input}) {{ {list}(filter: $f, first: 1) {{ totalCount facets {{ {selection} }} }} }}"
    );
    let (_, body) = run(app, None, &query, json!({ "f": filter })).await;
    let found = body["data"][list]["facets"].clone();
    assert!(found.is_object(), "{label}: {body}");
    for facet in facets {
        let values = found[facet]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"));
        assert!(!values.is_empty(), "{label}: no {facet} in {body}");
        for value in values.iter().take(6) {
            let (dimension, chosen) = match *facet {
                "isFree" => ("freeOnly", value["value"].clone()),
                other => (other, json!([value["value"]])),
            };
            if dimension == "freeOnly" && chosen == json!(false) {
                // `freeOnly: false` does not ask for paying items only: the two values sum
                // to the list without the condition.
                let all = total(app, list, input, &with(filter, "freeOnly", json!(false))).await;
                let free = values
                    .iter()
                    .find(|v| v["value"] == json!(true))
                    .map_or(0, |v| v["count"].as_i64().unwrap());
                assert_eq!(free + value["count"].as_i64().unwrap(), all, "{label}");
                continue;
            }
            let expected = total(app, list, input, &with(filter, dimension, chosen)).await;
            assert_eq!(
                value["count"].as_i64().unwrap(),
                expected,
                "{label}: {list} {facet} {value} under {filter}"
            );
        }
        // Most items first, where the facet is not in an enum's order.
        if ["categories", "neighborhoods"].contains(facet) {
            assert!(
                values
                    .windows(2)
                    .all(|w| w[0]["count"].as_i64() >= w[1]["count"].as_i64()),
                "{label}: {facet}"
            );
        }
    }
    found
}

#[tokio::test]
async fn every_facet_count_is_the_count_of_the_list_filtered_on_its_value() {
    const EVENT: (&str, &str, &[&str]) = (
        "events",
        "EventFilter",
        &[
            "categories",
            "neighborhoods",
            "audiences",
            "accessibility",
            "isFree",
        ],
    );
    const PLACE: (&str, &str, &[&str]) = (
        "places",
        "PlaceFilter",
        &["categories", "neighborhoods", "accessibility"],
    );
    const NEWS: (&str, &str, &[&str]) = (
        "news",
        "NewsFilter",
        &["categories", "neighborhoods", "audiences"],
    );
    for app in apps().await {
        let label = &app.test_db.label;
        let all = check_counts(&app, EVENT, &json!({})).await;
        // A facet ignores its own dimension: choosing a category leaves the categories'
        // counts as they were, and narrows the others.
        let category = all["categories"][0]["value"].clone();
        let narrowed = check_counts(&app, EVENT, &json!({ "categories": [category] })).await;
        assert_eq!(narrowed["categories"], {
            let mut expected = all["categories"].clone();
            for value in expected.as_array_mut().unwrap() {
                value["selected"] = json!(value["value"] == category);
            }
            expected
        });
        let sum = |facets: &Value, facet: &str| -> i64 {
            facets[facet]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["count"].as_i64().unwrap())
                .sum()
        };
        assert!(sum(&narrowed, "isFree") < sum(&all, "isFree"), "{label}");
        check_counts(
            &app,
            EVENT,
            &json!({ "freeOnly": true, "window": "NEXT_7_DAYS" }),
        )
        .await;

        check_counts(&app, PLACE, &json!({})).await;
        // Opening hours and (on SQLite) distances are checked in Rust: the facets count the
        // same places as the list.
        check_counts(&app, PLACE, &json!({ "openNow": true })).await;
        let near =
            json!({ "near": { "latitude": 43.6045, "longitude": 1.444, "radiusMeters": 1500 } });
        check_counts(&app, PLACE, &near).await;

        let news = check_counts(&app, NEWS, &json!({})).await;
        let audience = news["audiences"][0]["value"].clone();
        check_counts(&app, NEWS, &json!({ "audiences": [audience] })).await;
    }
}

#[tokio::test]
async fn the_facets_a_query_asks_are_counted_in_one_statement_and_one_per_narrowed_dimension() {
    const FACETS: &str =
        "audiences { value count } accessibility { value count } isFree { value count }";
    for app in apps().await {
        let label = &app.test_db.label;
        let cost = |filter: Value, facets: &str| {
            let facets = facets.to_owned();
            let app = &app;
            async move {
                let selection = if facets.is_empty() {
                    String::new()
                } else {
                    format!("facets {{ {facets} }}")
                };
                let query = format!(
                    "query($f: EventFilter) {{ events(filter: $f, first: 1) {{ totalCount {selection} }} }}"
                );
                let before = app.db.statement_count();
                let (_, body) = run(app, None, &query, json!({ "f": filter })).await;
                assert!(body.get("errors").is_none(), "{body}");
                (app.db.statement_count() - before, body)
            }
        };
        let open = json!({ "window": "NEXT_7_DAYS" });
        let (page, _) = cost(open.clone(), "").await;
        let (together, body) = cost(open.clone(), FACETS).await;
        assert_eq!(together - page, 1, "{label}: {body}");
        // One facet's dimension narrowed: it is counted without it, apart from the others.
        let narrowed = json!({ "window": "NEXT_7_DAYS", "audiences": ["FAMILIES"] });
        let (page, _) = cost(narrowed.clone(), "").await;
        let (apart, body) = cost(narrowed, FACETS).await;
        assert_eq!(apart - page, 2, "{label}: {body}");
        // The counts are those each facet gives when asked alone.
        for facet in ["audiences", "accessibility", "isFree"] {
            let alone = format!("{facet} {{ value count }}");
            let (_, single) = cost(open.clone(), &alone).await;
            let (_, all) = cost(open.clone(), FACETS).await;
            assert_eq!(
                single["data"]["events"]["facets"][facet], all["data"]["events"]["facets"][facet],
                "{label}"
            );
        }
    }
}

#[tokio::test]
async fn the_days_of_the_agenda_count_the_events_starting_on_each_day() {
    for app in apps().await {
        let label = &app.test_db.label;
        let query = "query($f: EventFilter, $d: Int) { events(filter: $f, first: 1) { facets { dates(days: $d) { date count } } } }";
        let filter = json!({ "categories": ["event-concert"], "window": "TOMORROW" });
        let (_, body) = run(&app, None, query, json!({ "f": filter, "d": 10 })).await;
        let days = body["data"]["events"]["facets"]["dates"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .clone();
        assert_eq!(days.len(), 10, "{label}");
        // The window is the facet's own dimension: the days run from today on.
        let today = chrono::Utc::now().with_timezone(&PARIS).date_naive();
        assert_eq!(days[0]["date"], json!(today.to_string()), "{label}");
        let mut events = 0;
        for day in &days {
            let date: NaiveDate = day["date"].as_str().unwrap().parse().unwrap();
            let start = |date: NaiveDate| {
                PARIS
                    .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
                    .earliest()
                    .unwrap()
                    .to_rfc3339()
            };
            let bounded = json!({
                "categories": ["event-concert"],
                "startsAfter": start(date),
                "startsBefore": start(date.succ_opt().unwrap()),
            });
            let expected = total(&app, "events", "EventFilter", &bounded).await;
            assert_eq!(day["count"].as_i64().unwrap(), expected, "{label}: {day}");
            events += expected;
        }
        assert!(events > 0, "{label}: no concert in ten days");

        for days in [0, 63] {
            let (_, body) = run(&app, None, query, json!({ "d": days })).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{label}: {body}"
            );
        }
    }
}
