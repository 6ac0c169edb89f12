//! The feed of an audience, and a person's own, on both databases: ranked by what the
//! reader says of themselves, with reasons that hold, the same for the same request, never
//! more than three of a kind in a row while others remain.

use serde_json::{Value, json};

use super::accounts::{register, run};
use super::{apps, code};

const FEED: &str = "query($a: [Audience!], $n: String, $i: [String!], $p: GeoPointInput, $first: Int, $after: String) { feed(audiences: $a, neighborhood: $n, interests: $i, near: $p, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { score distanceMeters reasons { kind label } node { __typename ... on NewsArticle { id audiences categories { slug parent { slug } } neighborhoods { slug } } ... on Event { id audiences categories { slug parent { slug } } neighborhoods { slug } } ... on Place { id categories { slug parent { slug } } neighborhood { slug } } } } } }";

/// The kinds of a feed in order never hold four of a kind in a row, unless nothing else
/// follows.
fn mixed(edges: &[Value]) -> bool {
    let kinds: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["__typename"].as_str().unwrap())
        .collect();
    kinds
        .windows(4)
        .enumerate()
        .all(|(i, w)| !w.iter().all(|k| *k == w[0]) || kinds[i..].iter().all(|k| *k == w[0]))
}

fn slugs(node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for category in node["categories"].as_array().into_iter().flatten() {
        out.push(category["slug"].as_str().unwrap().to_owned());
        if let Some(parent) = category["parent"]["slug"].as_str() {
            out.push(parent.to_owned());
        }
    }
    out
}

#[tokio::test]
async fn the_feed_of_an_audience_answers_what_it_says_of_itself_with_reasons() {
    for app in apps().await {
        let label = &app.test_db.label;
        let asked = json!({
            "a": ["FAMILIES"],
            "n": "capitole",
            "i": ["museum", "event-family"],
            "p": { "latitude": 43.6045, "longitude": 1.444 },
            "first": 100,
        });
        let (_, body) = run(&app, None, FEED, asked.clone()).await;
        let feed = &body["data"]["feed"];
        let edges = feed["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .clone();
        assert!(edges.len() >= 40, "{label}: {} items", edges.len());
        assert!(mixed(&edges), "{label}: four of a kind in a row");
        let kinds = |kind: &str| {
            edges
                .iter()
                .filter(|e| e["node"]["__typename"] == kind)
                .count()
        };
        assert!(
            kinds("NewsArticle") > 0 && kinds("Event") > 0 && kinds("Place") > 0,
            "{label}"
        );
        // Mixing keeps each kind in score order.
        for kind in ["NewsArticle", "Event", "Place"] {
            let scores: Vec<f64> = edges
                .iter()
                .filter(|e| e["node"]["__typename"] == kind)
                .map(|e| e["score"].as_f64().unwrap())
                .collect();
            assert!(
                scores.windows(2).all(|w| w[0] >= w[1]),
                "{label}: {kind} {scores:?}"
            );
        }
        // Every reason holds, and the first items have some.
        assert!(
            edges[..5]
                .iter()
                .all(|e| !e["reasons"].as_array().unwrap().is_empty()),
            "{label}"
        );
        let mut seen = Vec::new();
        for edge in &edges {
            let node = &edge["node"];
            for reason in edge["reasons"].as_array().unwrap() {
                let kind = reason["kind"].as_str().unwrap();
                seen.push(kind.to_owned());
                match kind {
                    "AUDIENCE" => {
                        assert!(
                            node["audiences"]
                                .as_array()
                                .unwrap()
                                .contains(&json!("FAMILIES")),
                            "{label}: {edge}"
                        );
                        assert_eq!(reason["label"], "for families");
                    }
                    "INTEREST" => {
                        let found = slugs(node);
                        assert!(
                            found.iter().any(|s| s == "museum" || s == "event-family"),
                            "{label}: {edge}"
                        );
                    }
                    "NEIGHBORHOOD" => {
                        let here = node["neighborhood"]["slug"] == "capitole"
                            || node["neighborhoods"]
                                .as_array()
                                .is_some_and(|n| n.iter().any(|n| n["slug"] == "capitole"));
                        assert!(here, "{label}: {edge}");
                        assert_eq!(reason["label"], "in your neighbourhood");
                    }
                    "NEARBY" => {
                        let meters = edge["distanceMeters"].as_f64().unwrap();
                        assert!(meters <= 2000.0, "{label}: {edge}");
                        assert!(reason["label"].as_str().unwrap().ends_with(" away"));
                    }
                    "STARTS_SOON" => {
                        assert!(reason["label"].as_str().unwrap().starts_with("starts in "))
                    }
                    _ => {}
                }
            }
        }
        for kind in ["AUDIENCE", "INTEREST", "NEIGHBORHOOD", "NEARBY"] {
            assert!(seen.iter().any(|s| s == kind), "{label}: no {kind} reason");
        }
        // The same request gives the same feed, and pages hold it in the same order.
        let (_, again) = run(&app, None, FEED, asked.clone()).await;
        assert_eq!(again["data"]["feed"]["edges"], feed["edges"], "{label}");
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut variables = asked.clone();
            variables["first"] = json!(7);
            variables["after"] = json!(after);
            let (_, body) = run(&app, None, FEED, variables).await;
            let page = &body["data"]["feed"];
            paged.extend(
                page["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["id"].clone()),
            );
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        let whole = feed["totalCount"].as_u64().unwrap() as usize;
        assert_eq!(paged.len(), whole, "{label}");
        let first: Vec<Value> = edges.iter().map(|e| e["node"]["id"].clone()).collect();
        assert_eq!(paged[..first.len()], first[..], "{label}");

        // Without anything said, there is still a feed, without interests or audiences.
        let (_, plain) = run(&app, None, FEED, json!({ "first": 30 })).await;
        let plain = plain["data"]["feed"]["edges"].as_array().unwrap().clone();
        assert!(plain.len() == 30 && mixed(&plain), "{label}");
        assert!(
            plain
                .iter()
                .all(|e| e["reasons"].as_array().unwrap().iter().all(|r| ![
                    "AUDIENCE",
                    "INTEREST",
                    "NEIGHBORHOOD",
                    "NEARBY"
                ]
                .contains(&r["kind"].as_str().unwrap()))),
            "{label}"
        );

        for refused in [
            json!({ "i": ["no-such-category"] }),
            json!({ "n": "atlantis" }),
        ] {
            let (_, body) = run(&app, None, FEED, refused).await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
        }
    }
}

#[tokio::test]
async fn a_persons_feed_takes_their_interests_from_what_they_saved() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (token, _) = register(&app, "feed-ana@example.org").await;
        let (_, body) = run(
            &app,
            None,
            "{ places(filter: { categories: [\"market\"] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
        let market = body["data"]["places"]["nodes"][0]["id"].clone();
        let (_, saved) = run(
            &app,
            Some(&token),
            "mutation($id: ID!) { setSaved(id: $id) { saved } }",
            json!({ "id": market }),
        )
        .await;
        assert_eq!(saved["data"]["setSaved"]["saved"], true, "{label}: {saved}");
        let (_, body) = run(
            &app,
            Some(&token),
            "{ viewer { feed(first: 40) { edges { reasons { kind label } node { __typename ... on Place { categories { slug } } } } } } }",
            json!({}),
        )
        .await;
        let edges = body["data"]["viewer"]["feed"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {body}"))
            .clone();
        let interests: Vec<&Value> = edges
            .iter()
            .filter(|e| {
                e["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["kind"] == "INTEREST")
            })
            .collect();
        assert!(!interests.is_empty(), "{label}: {body}");
        assert!(
            interests.iter().any(|e| e["node"]["categories"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["slug"] == "market"))),
            "{label}"
        );
        // Nobody else's feed knows of it.
        let (_, body) = run(&app, None, "{ viewer { id } }", json!({})).await;
        assert!(body["data"]["viewer"].is_null(), "{label}");
    }
}
