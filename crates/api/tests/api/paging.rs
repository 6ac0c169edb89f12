//! Paging, the same for every connection of the graph: walked forward with `first` and
//! `after`, then backward with `last` and `before`, each list gives the same items in the
//! same order both ways, with `pageInfo` telling where the ends are; sizes default to 20
//! and are refused outside 1 to 100, as are `first` with `last` and mixed directions.

use capitole_domain::access::Role;
use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::entities::{
    article, article_revision, attendance, audit_entry, check_in, event_occurrence, place, save,
    social_post, tip, user,
};
use capitole_persistence::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::accounts::{access_of, app_token, create, run};
use super::{TestApp, apps, code};

/// How many rows of each small list the test writes.
const ROWS: i64 = 5;

/// The ids the lists of the test are read at.
struct Fixture {
    admin: String,
    ana: String,
    place: String,
    place_slug: String,
    busy_place_slug: String,
    event_slug: String,
    article: String,
}

fn global_id(kind: &str, id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{}", id.simple()))
}

/// Writes a few rows of every list that the demo data leaves empty.
async fn fixture(app: &TestApp) -> Fixture {
    let db = app.db.connection();
    let now = Utc::now();
    create(app, "admin@example.org", Role::Administrator, &[]).await;
    create(app, "ana@example.org", Role::Citizen, &[]).await;
    for n in 0..3 {
        create(app, &format!("user{n}@example.org"), Role::Citizen, &[]).await;
        app_token(app, &format!("app {n}")).await;
    }
    let ana = user::Entity::find()
        .filter(user::Column::Email.eq("ana@example.org"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let ana_id = ana.id;
    let mut shared = ana.into_active_model();
    shared.check_ins_public = Set(true);
    shared.update(db).await.unwrap();
    let places = place::Entity::find()
        .order_by_asc(place::Column::NameFolded)
        .all(db)
        .await
        .unwrap();
    let first_place = places[0].clone();
    let article = article::Entity::find()
        .filter(article::Column::Status.eq("PUBLISHED"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (event_id, event_slug) = {
        let event = capitole_persistence::entities::event::Entity::find()
            .one(db)
            .await
            .unwrap()
            .unwrap();
        (event.id, event.slug)
    };
    for n in 0..ROWS {
        let at = now - Duration::minutes(n * 5);
        let id = Uuid::now_v7();
        // Two rows share a time, so that ties are ordered by id both ways.
        let tied = if n == 2 {
            now - Duration::minutes(5)
        } else {
            at
        };
        check_in::ActiveModel {
            id: Set(id),
            user_id: Set(ana_id),
            place_id: Set(places[n as usize].id),
            created_at: Set(tied),
            message: Set(None),
            idempotency_key: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
        tip::ActiveModel {
            id: Set(Uuid::now_v7()),
            place_id: Set(first_place.id),
            user_id: Set(ana_id),
            text: Set(format!("Tip {n}")),
            created_at: Set(tied),
            like_count: Set(0),
            report_count: Set(1 + n % 2),
            hidden_at: Set(None),
            hidden_by: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
        save::ActiveModel {
            user_id: Set(ana_id),
            item_kind: Set("PLACE".to_owned()),
            item_id: Set(places[n as usize].id),
            created_at: Set(tied),
        }
        .insert(db)
        .await
        .unwrap();
        let occurrence = Uuid::now_v7();
        event_occurrence::ActiveModel {
            id: Set(occurrence),
            event_id: Set(event_id),
            starts_at: Set(now + Duration::days(400 + n)),
            ends_at: Set(now + Duration::days(400 + n) + Duration::hours(2)),
            status: Set("SCHEDULED".to_owned()),
        }
        .insert(db)
        .await
        .unwrap();
        attendance::ActiveModel {
            user_id: Set(ana_id),
            occurrence_id: Set(occurrence),
            created_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
        social_post::ActiveModel {
            id: Set(Uuid::now_v7()),
            item_kind: Set(ItemKind::Article.code().to_owned()),
            item_id: Set(article.id),
            network: Set(capitole_domain::social::Network::Facebook.code().to_owned()),
            url: Set(format!("https://www.facebook.com/toulouse/posts/{n}")),
            posted_at: Set(tied),
            recorded_by: Set(None),
            created_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
        article_revision::ActiveModel {
            id: Set(Uuid::now_v7()),
            article_id: Set(article.id),
            version: Set(100 + n),
            title: Set(article.title.clone()),
            summary: Set(article.summary.clone()),
            easy_read_summary: Set(None),
            body: Set(article.body.clone()),
            tags: Set(article.tags.clone()),
            audiences: Set(article.audiences.clone()),
            categories: Set(String::new()),
            status: Set(article.status.clone()),
            author_id: Set(None),
            created_at: Set(tied),
        }
        .insert(db)
        .await
        .unwrap();
        audit_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            at: Set(tied),
            actor_id: Set(None),
            actor: Set("scheduler".to_owned()),
            organization_id: Set(None),
            item_kind: Set(ItemKind::Article.code().to_owned()),
            item_id: Set(article.id),
            action: Set("UPDATE".to_owned()),
            changes: Set("{}".to_owned()),
        }
        .insert(db)
        .await
        .unwrap();
        let change = capitole_persistence::changes::NewChange {
            kind: ItemKind::Place,
            id: places[n as usize].id,
            change: ChangeKind::Updated,
            version: 1,
            organization: None,
            public: true,
            at: now,
        };
        capitole_persistence::changes::append(db, &change)
            .await
            .unwrap();
    }
    // The place with the most upcoming events.
    let (_, listed) = run(
        app,
        None,
        "{ places(first: 100) { nodes { slug upcomingEvents { totalCount } } } }",
        json!({}),
    )
    .await;
    let busy_place_slug = listed["data"]["places"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|p| p["upcomingEvents"]["totalCount"].as_i64())
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .unwrap();
    Fixture {
        admin: access_of(app, "admin@example.org").await,
        ana: access_of(app, "ana@example.org").await,
        place: global_id("Place", first_place.id),
        place_slug: first_place.slug,
        busy_place_slug,
        event_slug,
        article: global_id("NewsArticle", article.id),
    }
}

/// One connection of the graph: a document whose variables `$first`, `$after`, `$last`
/// and `$before` page it, where its connection is in the answer, who reads it.
struct Case {
    name: &'static str,
    document: String,
    path: Vec<&'static str>,
    variables: Value,
    token: Option<String>,
}

const PAGE: &str =
    "edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount";
const ARGS: &str = "first: $first, after: $after, last: $last, before: $before";
const VARS: &str = "$first: Int, $after: String, $last: Int, $before: String";

fn root(name: &'static str, field: &str, token: Option<&str>) -> Case {
    Case {
        name,
        document: format!("query({VARS}) {{ {field}({ARGS}) {{ {PAGE} }} }}"),
        path: vec![name],
        variables: json!({}),
        token: token.map(str::to_owned),
    }
}

fn cases(f: &Fixture) -> Vec<Case> {
    let near = "near: { latitude: 43.6045, longitude: 1.444, radiusMeters: 50000 }";
    let admin = Some(f.admin.as_str());
    let ana = Some(f.ana.as_str());
    let mut cases = vec![
        root("news", "news", None),
        root("events", "events", None),
        root("places", "places", None),
        root("auditLog", "auditLog", admin),
        root("changes", "changes", None),
        root("users", "users", admin),
        root("apiTokens", "apiTokens", admin),
        root("reportedTips", "reportedTips", admin),
    ];
    for (name, args) in [
        ("places by popularity", "orderBy: POPULARITY"),
        ("places by rating", "orderBy: RATING"),
        ("places by distance", &format!("filter: {{ {near} }}")),
        (
            "places near, by name",
            &format!("filter: {{ {near} }}, orderBy: NAME"),
        ),
    ] {
        cases.push(Case {
            name,
            document: format!("query({VARS}) {{ places({args}, {ARGS}) {{ {PAGE} }} }}"),
            path: vec!["places"],
            variables: json!({}),
            token: None,
        });
    }
    cases.push(Case {
        name: "events near",
        document: format!("query({VARS}) {{ events(filter: {{ {near} }}, {ARGS}) {{ {PAGE} }} }}"),
        path: vec!["events"],
        variables: json!({}),
        token: None,
    });
    cases.push(Case {
        name: "trendingPlaces",
        document: format!(
            "query({VARS}) {{ trendingPlaces({near}, {ARGS}) {{ {PAGE} edges {{ recentCheckIns distanceMeters }} }} }}"
        ),
        path: vec!["trendingPlaces"],
        variables: json!({}),
        token: None,
    });
    cases.push(Case {
        name: "articleRevisions",
        document: format!(
            "query($id: ID!, {VARS}) {{ articleRevisions(id: $id, {ARGS}) {{ {PAGE} }} }}"
        ),
        path: vec!["articleRevisions"],
        variables: json!({ "id": f.article }),
        token: admin.map(str::to_owned),
    });
    cases.push(Case {
        name: "NewsArticle.socialPosts",
        document: format!(
            "query($id: ID!, {VARS}) {{ node(id: $id) {{ ... on NewsArticle {{ socialPosts({ARGS}) {{ {PAGE} }} }} }} }}"
        ),
        path: vec!["node", "socialPosts"],
        variables: json!({ "id": f.article }),
        token: None,
    });
    for field in ["tips", "upcomingEvents"] {
        cases.push(Case {
            name: if field == "tips" { "Place.tips" } else { "Place.upcomingEvents" },
            document: format!(
                "query($s: String!, {VARS}) {{ place(slug: $s) {{ {field}({ARGS}) {{ {PAGE} }} }} }}"
            ),
            path: vec!["place", field],
            variables: json!({ "s": if field == "tips" { &f.place_slug } else { &f.busy_place_slug } }),
            token: None,
        });
    }
    cases.push(Case {
        name: "Event.occurrences",
        document: format!(
            "query($s: String!, {VARS}) {{ event(slug: $s) {{ occurrences({ARGS}) {{ {PAGE} }} }} }}"
        ),
        path: vec!["event", "occurrences"],
        variables: json!({ "s": f.event_slug }),
        token: None,
    });
    for field in ["checkIns", "tips", "saved", "going"] {
        cases.push(Case {
            name: match field {
                "checkIns" => "Viewer.checkIns",
                "tips" => "Viewer.tips",
                "saved" => "Viewer.saved",
                _ => "Viewer.going",
            },
            document: format!("query({VARS}) {{ viewer {{ {field}({ARGS}) {{ {PAGE} }} }} }}"),
            path: vec!["viewer", field],
            variables: json!({}),
            token: ana.map(str::to_owned),
        });
    }
    cases.push(Case {
        name: "Person.checkIns",
        document: format!(
            "query($id: ID!, {VARS}) {{ node(id: $id) {{ ... on Place {{ tips(first: 1) {{ nodes {{ author {{ checkIns({ARGS}) {{ {PAGE} }} }} }} }} }} }} }}"
        ),
        path: vec!["node", "tips", "nodes", "0", "author", "checkIns"],
        variables: json!({ "id": f.place }),
        token: None,
    });
    cases
}

/// The connection of an answer.
fn at<'a>(body: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(
        body.get("data").unwrap_or(&Value::Null),
        |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[*key],
        },
    )
}

/// One page of a case.
async fn page(app: &TestApp, case: &Case, paging: Value) -> Value {
    let mut variables = case.variables.clone();
    for (key, value) in paging.as_object().unwrap() {
        variables[key] = value.clone();
    }
    let (_, body) = run(app, case.token.as_deref(), &case.document, variables).await;
    assert!(body.get("errors").is_none(), "{}: {body}", case.name);
    at(&body, &case.path).clone()
}

fn cursors(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{connection}"))
        .iter()
        .map(|edge| edge["cursor"].as_str().unwrap().to_owned())
        .collect()
}

fn flag(connection: &Value, name: &str) -> bool {
    connection["pageInfo"][name].as_bool().unwrap()
}

#[tokio::test]
async fn every_connection_walks_forward_and_backward_through_the_same_items() {
    for app in apps().await {
        let label = app.test_db.label;
        let f = fixture(&app).await;
        for case in cases(&f) {
            let name = format!("{label} {}", case.name);
            let size = 2;
            // Forward, from the start.
            let mut forward = Vec::new();
            let mut after = Value::Null;
            let mut pages = 0;
            loop {
                let connection = page(&app, &case, json!({ "first": size, "after": after })).await;
                let items = cursors(&connection);
                if pages == 0 {
                    assert!(
                        !flag(&connection, "hasPreviousPage"),
                        "{name}: {connection}"
                    );
                } else {
                    assert!(flag(&connection, "hasPreviousPage"), "{name}: {connection}");
                }
                assert!(items.len() <= size, "{name}: {connection}");
                forward.extend(items);
                pages += 1;
                assert!(pages < 1_000, "{name}: the walk does not end");
                if !flag(&connection, "hasNextPage") {
                    assert!(
                        connection["pageInfo"]["endCursor"].is_string(),
                        "{name}: {connection}"
                    );
                    let total = connection["totalCount"].as_u64().unwrap();
                    assert_eq!(forward.len() as u64, total, "{name}");
                    break;
                }
                after = connection["pageInfo"]["endCursor"].clone();
            }
            assert!(
                forward.len() > size,
                "{name}: only {} items, too few to page",
                forward.len()
            );
            // Backward, from the end.
            let mut backward = Vec::new();
            let mut before = Value::Null;
            let mut pages = 0;
            loop {
                let connection = page(&app, &case, json!({ "last": size, "before": before })).await;
                let items = cursors(&connection);
                if pages == 0 {
                    assert!(!flag(&connection, "hasNextPage"), "{name}: {connection}");
                } else {
                    assert!(flag(&connection, "hasNextPage"), "{name}: {connection}");
                }
                assert!(
                    !items.is_empty() && items.len() <= size,
                    "{name}: {connection}"
                );
                backward.splice(0..0, items);
                pages += 1;
                assert!(pages < 1_000, "{name}: the walk does not end");
                if !flag(&connection, "hasPreviousPage") {
                    break;
                }
                before = connection["pageInfo"]["startCursor"].clone();
            }
            assert_eq!(forward, backward, "{name}: the two walks differ");
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn pages_hold_twenty_items_unless_asked_and_refuse_sizes_outside_one_to_one_hundred() {
    for app in apps().await {
        let label = app.test_db.label;
        let (_, body) = run(
            &app,
            None,
            "{ places { edges { cursor } pageInfo { hasNextPage } } end: places(last: 3) { edges { cursor } pageInfo { hasPreviousPage hasNextPage } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            body["data"]["places"]["edges"].as_array().map(Vec::len),
            Some(20),
            "{label}: {body}"
        );
        assert_eq!(body["data"]["places"]["pageInfo"]["hasNextPage"], true);
        // `last` alone reads the end of the list, in the list's order.
        let end = &body["data"]["end"];
        assert_eq!(end["edges"].as_array().map(Vec::len), Some(3), "{body}");
        assert_eq!(end["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(end["pageInfo"]["hasNextPage"], false);
        let (_, whole) = run(
            &app,
            None,
            "{ places(first: 100) { edges { cursor } } }",
            json!({}),
        )
        .await;
        let all = cursors(&whole["data"]["places"]);
        if all.len() < 100 {
            assert_eq!(cursors(end), all[all.len() - 3..].to_vec(), "{label}");
        }
        let refused = [
            (
                "{ places(last: 0) { totalCount } }",
                "`last` must be between 1 and 100, got 0",
            ),
            (
                "{ news(last: 101) { totalCount } }",
                "`last` must be between 1 and 100, got 101",
            ),
            (
                "{ changes(first: 1000) { totalCount } }",
                "`first` must be between 1 and 100, got 1000",
            ),
            (
                "{ places(first: 1) { nodes { upcomingEvents(first: 1000000) { totalCount } } } }",
                "`first` must be between 1 and 100, got 1000000",
            ),
            (
                "{ events(first: 2, last: 2) { totalCount } }",
                "give `first` or `last`, not both: `first` pages forward, `last` backward",
            ),
            (
                "{ events(first: 2, before: \"eA\") { totalCount } }",
                "page forward with `first` and `after`, or backward with `last` and `before`, not both ways at once",
            ),
            (
                "{ events(last: 2, before: \"not a cursor!\") { totalCount } }",
                "`before` is not a cursor of this list",
            ),
        ];
        for (text, message) in refused {
            let (_, body) = run(&app, None, text, json!({})).await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{label} {text}: {body}");
            assert_eq!(body["errors"][0]["message"], message, "{label} {text}");
        }
        app.test_db.remove().await;
    }
}
