//! The relations of the vocabulary from GraphQL: events and places co-published by the city
//! and the metropolitan authority, edited by editors of either; relation filters named after
//! the item's field, each a list matching any of its values; news categories.

use capitole_domain::access::Role;
use capitole_persistence::entities::organization;
use capitole_persistence::sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use super::accounts::{access_of, create, run};
use super::{TestApp, apps, code};

const CREATE_EVENT: &str = "mutation($input: EventInput!) { createEvent(input: $input) { event { id version publishers { slug } } } }";
const UPDATE_EVENT: &str = "mutation($id: ID!, $v: Int!, $patch: EventPatch!) { updateEvent(id: $id, version: $v, patch: $patch) { event { version title publishers { slug } } } }";
const CREATE_PLACE: &str = "mutation($input: PlaceInput!) { createPlace(input: $input) { place { id version publishers { slug } } } }";
const CREATE_ARTICLE: &str = "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id version categories { slug kind } } } }";
const UPDATE_ARTICLE: &str = "mutation($id: ID!, $v: Int!, $patch: ArticlePatch!) { updateArticle(id: $id, version: $v, patch: $patch) { article { version categories { slug } } } }";

fn event(publishers: &[&str]) -> Value {
    let starts = chrono::Utc::now() + chrono::Duration::days(12);
    json!({
        "title": "Nuit des musées",
        "publishers": publishers,
        "isFree": true,
        "locationText": "Centre-ville",
        "occurrences": [{ "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::Duration::hours(3)).to_rfc3339() }]
    })
}

fn place(publishers: &[&str]) -> Value {
    json!({
        "name": "Maison de la Métropole",
        "location": { "latitude": 43.6045, "longitude": 1.4442, "address": "1 place du Capitole", "postalCode": "31000", "city": "Toulouse" },
        "publishers": publishers
    })
}

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|o| o["slug"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// (ville editor, métropole editor, editor of a third organization, administrator), signed
/// in.
async fn staff(app: &TestApp) -> (String, String, String, String) {
    organization::Entity::insert(organization::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        slug: Set("tisseo".into()),
        name: Set("Tisséo".into()),
        kind: Set("TRANSPORT".into()),
        website: Set(None),
        description: Set(String::new()),
        social_accounts: Set("[]".into()),
        created_at: Set(chrono::Utc::now()),
    })
    .exec(app.db.connection())
    .await
    .unwrap();
    create(
        app,
        "ville@example.org",
        Role::Editor,
        &["ville-de-toulouse"],
    )
    .await;
    create(
        app,
        "metro@example.org",
        Role::Editor,
        &["toulouse-metropole"],
    )
    .await;
    create(app, "none@example.org", Role::Editor, &["tisseo"]).await;
    create(app, "admin@example.org", Role::Administrator, &[]).await;
    (
        access_of(app, "ville@example.org").await,
        access_of(app, "metro@example.org").await,
        access_of(app, "none@example.org").await,
        access_of(app, "admin@example.org").await,
    )
}

async fn count(app: &TestApp, text: &str) -> i64 {
    let (_, body) = run(app, None, text, json!({})).await;
    let data = &body["data"];
    let connection = data
        .as_object()
        .and_then(|o| o.values().next())
        .unwrap_or_else(|| panic!("{body}"));
    connection["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn an_editor_of_either_publisher_edits_a_co_published_event_or_place_and_nobody_else() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, metro, none, admin) = staff(&app).await;
        let both = ["toulouse-metropole", "ville-de-toulouse"];

        // An event and a place co-published by both.
        let (_, body) = run(
            &app,
            Some(&admin),
            CREATE_EVENT,
            json!({ "input": event(&both) }),
        )
        .await;
        let created = &body["data"]["createEvent"]["event"];
        assert_eq!(slugs(&created["publishers"]), both, "{label}: {body}");
        let event_id = created["id"].as_str().unwrap().to_owned();
        let (_, body) = run(
            &app,
            Some(&admin),
            CREATE_PLACE,
            json!({ "input": place(&both) }),
        )
        .await;
        let created = &body["data"]["createPlace"]["place"];
        assert_eq!(slugs(&created["publishers"]), both, "{label}: {body}");
        let place_id = created["id"].as_str().unwrap().to_owned();

        // The editors of either publisher edit them; an editor of neither may not.
        let mut version = 1;
        for (who, token) in [("ville", &ville), ("métropole", &metro)] {
            let patch = json!({ "title": format!("Nuit des musées ({who})") });
            let (_, body) = run(
                &app,
                Some(token),
                UPDATE_EVENT,
                json!({ "id": event_id, "v": version, "patch": patch }),
            )
            .await;
            assert!(body.get("errors").is_none(), "{label} {who}: {body}");
            version += 1;
        }
        let (_, refused) = run(
            &app,
            Some(&none),
            UPDATE_EVENT,
            json!({ "id": event_id, "v": version, "patch": { "title": "Non" } }),
        )
        .await;
        assert_eq!(code(&refused), "FORBIDDEN", "{label}: {refused}");
        let close = "mutation($id: ID!, $v: Int!) { closePlace(id: $id, version: $v) { place { version } } }";
        let reopen = "mutation($id: ID!, $v: Int!) { reopenPlace(id: $id, version: $v) { place { version } } }";
        let (_, body) = run(&app, Some(&metro), close, json!({ "id": place_id, "v": 1 })).await;
        assert_eq!(
            body["data"]["closePlace"]["place"]["version"], 2,
            "{label}: {body}"
        );
        let (_, refused) = run(&app, Some(&none), reopen, json!({ "id": place_id, "v": 2 })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{label}: {refused}");
        let (_, body) = run(
            &app,
            Some(&ville),
            reopen,
            json!({ "id": place_id, "v": 2 }),
        )
        .await;
        assert_eq!(
            body["data"]["reopenPlace"]["place"]["version"], 3,
            "{label}: {body}"
        );
        let cancel = "mutation($id: ID!, $v: Int!) { cancelEvent(id: $id, version: $v) { event { version } } }";
        let (_, body) = run(
            &app,
            Some(&metro),
            cancel,
            json!({ "id": event_id, "v": version }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{label}: {body}");
        version += 1;

        // The city's editor names only the city; the metropolis, which they do not edit
        // for, stays.
        let (_, body) = run(&app, Some(&ville), UPDATE_EVENT, json!({ "id": event_id, "v": version, "patch": { "publishers": ["ville-de-toulouse"] } })).await;
        let kept = &body["data"]["updateEvent"]["event"]["publishers"];
        assert_eq!(slugs(kept), both, "{label}: {body}");

        // The metropolis's editor reads the whole trail, the city's entries included.
        let trail = "query($id: ID) { auditLog(itemId: $id, first: 50) { nodes { action organization { slug } } } }";
        let (_, body) = run(&app, Some(&metro), trail, json!({ "id": event_id })).await;
        let entries = body["data"]["auditLog"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(
            entries
                .iter()
                .any(|e| e["organization"]["slug"] == "ville-de-toulouse"),
            "{label}: {body}"
        );

        // Naming a publisher one does not edit for is refused, and nothing is stored.
        let events_before = count(
            &app,
            "{ events(filter: { startsAfter: \"2000-01-01T00:00:00Z\" }) { totalCount } }",
        )
        .await;
        let (_, refused) = run(
            &app,
            Some(&ville),
            CREATE_EVENT,
            json!({ "input": event(&["ville-de-toulouse", "toulouse-metropole"]) }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
        assert_eq!(fields(&refused), ["publishers[1]"], "{label}: {refused}");
        let (_, refused) = run(
            &app,
            Some(&ville),
            CREATE_EVENT,
            json!({ "input": event(&["toulouse-metropole"]) }),
        )
        .await;
        assert_eq!(code(&refused), "FORBIDDEN", "{label}: {refused}");
        let (_, refused) = run(
            &app,
            Some(&metro),
            CREATE_PLACE,
            json!({ "input": place(&["toulouse-metropole", "ville-de-toulouse"]) }),
        )
        .await;
        assert_eq!(fields(&refused), ["publishers[1]"], "{label}: {refused}");
        let (_, refused) = run(
            &app,
            Some(&ville),
            CREATE_EVENT,
            json!({ "input": event(&["atlantis"]) }),
        )
        .await;
        assert_eq!(fields(&refused), ["publishers[0]"], "{label}: {refused}");
        assert_eq!(
            count(
                &app,
                "{ events(filter: { startsAfter: \"2000-01-01T00:00:00Z\" }) { totalCount } }"
            )
            .await,
            events_before,
            "{label}"
        );
        // Without publishers, the editor's own organizations publish.
        let mut own = event(&[]);
        own.as_object_mut().unwrap().remove("publishers");
        let (_, body) = run(&app, Some(&metro), CREATE_EVENT, json!({ "input": own })).await;
        let created = &body["data"]["createEvent"]["event"]["publishers"];
        assert_eq!(slugs(created), ["toulouse-metropole"], "{label}: {body}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn relation_filters_take_lists_that_match_any_of_their_values() {
    for app in apps().await {
        let label = app.test_db.label;
        let since = "startsAfter: \"2000-01-01T00:00:00Z\"";
        let events = |filter: &str| {
            format!(
                "{{ events(first: 100, filter: {{ {since}, {filter} }}) {{ totalCount nodes {{ slug publishers {{ slug }} venue {{ id }} }} }} }}"
            )
        };
        let (_, body) = run(
            &app,
            None,
            &events("publishers: [\"toulouse-metropole\"]"),
            json!({}),
        )
        .await;
        let nodes = body["data"]["events"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .clone();
        assert!(
            nodes.iter().any(|n| n["slug"] == "balade-ville-rose"),
            "{label}: co-published"
        );
        assert!(
            nodes
                .iter()
                .all(|n| slugs(&n["publishers"]).contains(&"toulouse-metropole".to_owned())),
            "{label}: {body}"
        );
        let of = |filter: String| {
            let app = &app;
            async move { count(app, &filter).await }
        };
        let ville = of(events("publishers: [\"ville-de-toulouse\"]")).await;
        let metro = of(events("publishers: [\"toulouse-metropole\"]")).await;
        let either = of(events(
            "publishers: [\"ville-de-toulouse\", \"toulouse-metropole\"]",
        ))
        .await;
        assert_eq!(
            either,
            ville + metro - 1,
            "{label}: one event is co-published"
        );
        let capitole = of(events("neighborhoods: [\"capitole\"]")).await;
        let two = of(events("neighborhoods: [\"capitole\", \"saint-cyprien\"]")).await;
        assert!(capitole > 0 && two > capitole, "{label}: {capitole} {two}");
        let venue = nodes
            .iter()
            .find_map(|n| n["venue"]["id"].as_str())
            .unwrap_or_else(|| panic!("{label}: an event with a venue"))
            .to_owned();
        let (_, body) = run(
            &app,
            None,
            &events(&format!("venues: [\"{venue}\"]")),
            json!({}),
        )
        .await;
        let at_venue = body["data"]["events"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(!at_venue.is_empty(), "{label}");
        assert!(
            at_venue.iter().all(|n| n["venue"]["id"] == venue.as_str()),
            "{label}: {body}"
        );

        let places = |filter: &str| {
            format!("{{ places(first: 100, filter: {{ {filter} }}) {{ totalCount }} }}")
        };
        let ville = of(places("publishers: [\"ville-de-toulouse\"]")).await;
        let metro = of(places("publishers: [\"toulouse-metropole\"]")).await;
        let either = of(places(
            "publishers: [\"toulouse-metropole\", \"ville-de-toulouse\"]",
        ))
        .await;
        assert_eq!(
            either,
            ville + metro - 1,
            "{label}: one place is co-published"
        );
        let capitole = of(places("neighborhoods: [\"capitole\"]")).await;
        let two = of(places("neighborhoods: [\"capitole\", \"saint-cyprien\"]")).await;
        assert!(capitole > 0 && two > capitole, "{label}: {capitole} {two}");

        let news = |filter: &str| {
            format!(
                "{{ news(first: 100, filter: {{ {filter} }}) {{ totalCount nodes {{ slug tags categories {{ slug }} }} }} }}"
            )
        };
        let (_, body) = run(
            &app,
            None,
            &news("tags: [\"velo\", \"piscines\"]"),
            json!({}),
        )
        .await;
        let tagged = body["data"]["news"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(tagged.len() >= 2, "{label}: {body}");
        assert!(
            tagged.iter().all(|n| n["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "velo" || t == "piscines")),
            "{label}: {body}"
        );
        let ville = of(news("publishers: [\"ville-de-toulouse\"]")).await;
        let both = of(news(
            "publishers: [\"ville-de-toulouse\", \"toulouse-metropole\"]",
        ))
        .await;
        assert!(both > ville, "{label}");

        // Unknown slugs are input errors, whichever the relation; so is a category of
        // another tree.
        for text in [
            events("publishers: [\"atlantis\"]"),
            events("neighborhoods: [\"atlantis\"]"),
            events("categories: [\"museum\"]"),
            places("publishers: [\"atlantis\"]"),
            places("neighborhoods: [\"atlantis\"]"),
            places("categories: [\"event-concert\"]"),
            news("publishers: [\"atlantis\"]"),
            news("neighborhoods: [\"atlantis\"]"),
            news("categories: [\"culture\"]"),
            events("venues: [\"not-an-id\"]"),
        ] {
            let (_, body) = run(&app, None, &text, json!({})).await;
            assert_eq!(code(&body), "BAD_USER_INPUT", "{label} {text}: {body}");
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn news_has_categories_of_its_own_checked_filtered_and_kept_in_revisions() {
    for app in apps().await {
        let label = app.test_db.label;
        let (ville, _, _, _) = staff(&app).await;

        // The demo's tree of news categories, and its articles in it.
        let (_, body) = run(
            &app,
            None,
            "{ categories(kind: ARTICLE) { slug kind parent { slug } } }",
            json!({}),
        )
        .await;
        let tree = body["data"]["categories"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(
            tree.iter().all(|c| c["kind"] == "ARTICLE"),
            "{label}: {body}"
        );
        let roots = tree.iter().filter(|c| c["parent"].is_null()).count();
        let children = tree.len() - roots;
        assert!(roots >= 7 && children >= 3, "{label}: {body}");
        let (_, body) = run(&app, None, "{ newsArticle(slug: \"teleo-telepherique-urbain\") { categories { slug kind parent { slug } } } }", json!({})).await;
        let categories = &body["data"]["newsArticle"]["categories"];
        assert_eq!(
            slugs(categories),
            ["news-public-transport"],
            "{label}: {body}"
        );
        assert_eq!(categories[0]["parent"]["slug"], "news-mobility", "{label}");

        // A slug of another tree, or of nothing, is refused by name; nothing is stored.
        let news_count = "{ news(filter: { statuses: [DRAFT] }) { totalCount } }";
        let (_, before) = run(&app, Some(&ville), news_count, json!({})).await;
        for (categories, field) in [
            (json!(["museum"]), "categories[0]"),
            (json!(["news-sport", "nope"]), "categories[1]"),
        ] {
            let input = json!({ "title": "Semi-marathon", "categories": categories });
            let (_, refused) = run(
                &app,
                Some(&ville),
                CREATE_ARTICLE,
                json!({ "input": input }),
            )
            .await;
            assert_eq!(code(&refused), "BAD_USER_INPUT", "{label}: {refused}");
            assert_eq!(fields(&refused), [field], "{label}: {refused}");
        }
        let (_, after) = run(&app, Some(&ville), news_count, json!({})).await;
        assert_eq!(before["data"], after["data"], "{label}");

        // Written, changed, filtered with the categories below the one named.
        let input = json!({ "title": "Semi-marathon", "categories": ["news-sport"] });
        let (_, body) = run(
            &app,
            Some(&ville),
            CREATE_ARTICLE,
            json!({ "input": input }),
        )
        .await;
        let article = &body["data"]["createArticle"]["article"];
        assert_eq!(
            slugs(&article["categories"]),
            ["news-sport"],
            "{label}: {body}"
        );
        assert_eq!(article["categories"][0]["kind"], "ARTICLE", "{label}");
        let id = article["id"].as_str().unwrap().to_owned();
        let patch = json!({ "categories": ["news-cycling", "news-sport"] });
        let (_, body) = run(
            &app,
            Some(&ville),
            UPDATE_ARTICLE,
            json!({ "id": id, "v": 1, "patch": patch }),
        )
        .await;
        let changed = &body["data"]["updateArticle"]["article"]["categories"];
        assert_eq!(
            slugs(changed),
            ["news-cycling", "news-sport"],
            "{label}: {body}"
        );
        let drafts_in = |category: &str| {
            format!(
                "{{ news(filter: {{ statuses: [DRAFT], categories: [\"{category}\"] }}) {{ nodes {{ id }} }} }}"
            )
        };
        for (category, found) in [
            ("news-mobility", true),
            ("news-cycling", true),
            ("news-culture", false),
        ] {
            let (_, body) = run(&app, Some(&ville), &drafts_in(category), json!({})).await;
            let ids = body["data"]["news"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"));
            assert_eq!(
                ids.iter().any(|n| n["id"] == id.as_str()),
                found,
                "{label} {category}: {body}"
            );
        }

        // Revisions keep them, as they keep tags; the audit entry names the change.
        let (_, body) = run(&app, Some(&ville), "query($id: ID!) { articleRevisions(id: $id) { nodes { version categories } } compareArticleRevisions(id: $id, from: 1, to: 2) { field from to } }", json!({ "id": id })).await;
        let revisions = &body["data"]["articleRevisions"]["nodes"];
        assert_eq!(
            revisions[0]["categories"],
            json!(["news-cycling", "news-sport"]),
            "{label}: {body}"
        );
        assert_eq!(
            revisions[1]["categories"],
            json!(["news-sport"]),
            "{label}: {body}"
        );
        let compared = body["data"]["compareArticleRevisions"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(
            compared.iter().any(|c| c["field"] == "categories"),
            "{label}: {body}"
        );
        let (_, body) = run(
            &app,
            Some(&ville),
            "query($id: ID) { auditLog(itemId: $id, first: 5) { nodes { action changes } } }",
            json!({ "id": id }),
        )
        .await;
        let update = &body["data"]["auditLog"]["nodes"][0];
        assert_eq!(update["action"], "UPDATE", "{label}: {body}");
        assert!(
            update["changes"].to_string().contains("categories"),
            "{label}: {body}"
        );
        app.test_db.remove().await;
    }
}
