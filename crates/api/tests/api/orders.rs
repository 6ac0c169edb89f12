//! The orders of the agenda (by date, by distance, by how many people go) and of the news
//! (by date, by relevance), on both databases: each order holds across pages, both ways.

use serde_json::{Value, json};

use super::accounts::{register, run};
use super::{TestApp, apps, code};

const CENTRE: (f64, f64) = (43.6045, 1.444);

/// Every edge of a list, paging forward `size` at a time (then backward from its end, which
/// must give the same list); `list` is the root field, `query` its full text with `$after`,
/// `$before`, `$first` and `$last`.
async fn every_edge(app: &TestApp, list: &str, query: &str, variables: &Value) -> Vec<Value> {
    let label = &app.test_db.label;
    let page = |after: Option<String>, before: Option<String>, backward: bool| {
        let mut variables = variables.clone();
        variables["after"] = json!(after);
        variables["before"] = json!(before);
        variables[if backward { "last" } else { "first" }] = json!(3);
        variables
    };
    let mut forward = Vec::new();
    let mut after = None;
    loop {
        let (_, body) = run(app, None, query, page(after.clone(), None, false)).await;
        let connection = &body["data"][list];
        let edges = connection["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"));
        forward.extend(edges.iter().cloned());
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        assert!(forward.len() < 400, "{label}: the pages never end");
    }
    let mut backward = Vec::new();
    let mut before = None;
    loop {
        let (_, body) = run(app, None, query, page(None, before.clone(), true)).await;
        let connection = &body["data"][list];
        let edges = connection["edges"].as_array().unwrap();
        for edge in edges.iter().rev() {
            backward.insert(0, edge.clone());
        }
        if connection["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = connection["pageInfo"]["startCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let ids =
        |edges: &[Value]| -> Vec<Value> { edges.iter().map(|e| e["node"]["id"].clone()).collect() };
    assert_eq!(ids(&forward), ids(&backward), "{label}: {list} both ways");
    forward
}

const EVENTS: &str = "query($f: EventFilter, $o: EventOrder, $first: Int, $after: String, $last: Int, $before: String) { events(filter: $f, orderBy: $o, first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { distanceMeters occurrence { id startsAt } node { id title } } } }";

#[tokio::test]
async fn events_come_nearest_first_or_most_awaited_first_across_pages() {
    for app in apps().await {
        let label = &app.test_db.label;
        let near = json!({ "near": { "latitude": CENTRE.0, "longitude": CENTRE.1, "radiusMeters": 3000 } });
        let nearest = every_edge(
            &app,
            "events",
            EVENTS,
            &json!({ "f": near, "o": "DISTANCE" }),
        )
        .await;
        let by_date = every_edge(&app, "events", EVENTS, &json!({ "f": near })).await;
        assert!(nearest.len() > 5, "{label}: {} events", nearest.len());
        assert_eq!(nearest.len(), by_date.len(), "{label}");
        let distances: Vec<f64> = nearest
            .iter()
            .map(|e| e["distanceMeters"].as_f64().unwrap())
            .collect();
        assert!(
            distances.windows(2).all(|w| w[0] <= w[1]),
            "{label}: {distances:?}"
        );
        assert!(distances.iter().all(|d| *d <= 3000.0), "{label}");
        // The same events, each at the same first date, whatever the order.
        let mut a: Vec<String> = nearest
            .iter()
            .map(|e| format!("{}{}", e["node"]["id"], e["occurrence"]["id"]))
            .collect();
        let mut b: Vec<String> = by_date
            .iter()
            .map(|e| format!("{}{}", e["node"]["id"], e["occurrence"]["id"]))
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{label}");
        // Without a point there is nothing to measure from.
        let (_, body) = run(&app, None, EVENTS, json!({ "o": "DISTANCE", "first": 3 })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");

        // Two people go to the tenth event of the agenda, one to the twentieth: they lead
        // the agenda by popularity, the rest follows by date.
        let (_, body) = run(&app, None, EVENTS, json!({ "first": 30 })).await;
        let agenda = body["data"]["events"]["edges"].as_array().unwrap().clone();
        let (tenth, twentieth) = (&agenda[9], &agenda[19]);
        for (person, dates) in [
            ("orders-ana@example.org", vec![tenth, twentieth]),
            ("orders-bea@example.org", vec![tenth]),
        ] {
            let (token, _) = register(&app, person).await;
            for edge in dates {
                let (_, going) = run(
                    &app,
                    Some(&token),
                    "mutation($id: ID!) { setGoing(occurrenceId: $id) { going } }",
                    json!({ "id": edge["occurrence"]["id"] }),
                )
                .await;
                assert_eq!(going["data"]["setGoing"]["going"], true, "{label}: {going}");
            }
        }
        let popular = every_edge(&app, "events", EVENTS, &json!({ "o": "POPULARITY" })).await;
        let every = every_edge(&app, "events", EVENTS, &json!({})).await;
        assert_eq!(popular.len(), every.len(), "{label}");
        assert_eq!(popular[0]["node"]["id"], tenth["node"]["id"], "{label}");
        assert_eq!(popular[1]["node"]["id"], twentieth["node"]["id"], "{label}");
        let rest: Vec<&Value> = every
            .iter()
            .filter(|e| {
                e["node"]["id"] != tenth["node"]["id"] && e["node"]["id"] != twentieth["node"]["id"]
            })
            .map(|e| &e["node"]["id"])
            .collect();
        let popular_rest: Vec<&Value> = popular[2..].iter().map(|e| &e["node"]["id"]).collect();
        assert_eq!(popular_rest, rest, "{label}");
        // A cursor of one order is not one of another.
        let (_, body) = run(&app, None, EVENTS, json!({ "first": 1 })).await;
        let cursor = body["data"]["events"]["pageInfo"]["endCursor"].clone();
        let (_, body) = run(
            &app,
            None,
            EVENTS,
            json!({ "o": "POPULARITY", "first": 3, "after": cursor }),
        )
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
    }
}

#[tokio::test]
async fn news_come_best_answer_first_as_search_ranks_them() {
    const NEWS: &str = "query($f: NewsFilter, $o: NewsOrder, $first: Int, $after: String, $last: Int, $before: String) { news(filter: $f, orderBy: $o, first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id title } } } }";
    const SEARCH: &str = "query($q: String!) { search(query: $q, kinds: [ARTICLE], first: 100) { edges { score node { ... on NewsArticle { id } } } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let filter = json!({ "search": "toulouse" });
        let ranked = every_edge(
            &app,
            "news",
            NEWS,
            &json!({ "f": filter, "o": "RELEVANCE" }),
        )
        .await;
        assert!(ranked.len() > 3, "{label}: {} articles", ranked.len());
        let (_, body) = run(&app, None, SEARCH, json!({ "q": "toulouse" })).await;
        let searched: Vec<Value> = body["data"]["search"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect();
        let listed: Vec<Value> = ranked.iter().map(|e| e["node"]["id"].clone()).collect();
        assert_eq!(listed, searched, "{label}");
        let by_date = every_edge(&app, "news", NEWS, &json!({ "f": filter })).await;
        assert_eq!(by_date.len(), ranked.len(), "{label}");
        assert_ne!(
            by_date.iter().map(|e| &e["node"]["id"]).collect::<Vec<_>>(),
            listed.iter().collect::<Vec<_>>(),
            "{label}: relevance is not the date order"
        );
        let (_, body) = run(&app, None, NEWS, json!({ "o": "RELEVANCE", "first": 3 })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
    }
}
