//! The editorial workflow of articles as the communications team runs it from GraphQL:
//! drafts, review, publication now or later, slugs, concurrency, hostile input, who may do
//! what, and the trail it leaves.

use axum::http::StatusCode;
use capitole_domain::access::Role;
use capitole_persistence::entities::{article, audit_entry};
use capitole_persistence::sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, Statement,
};
use capitole_persistence::{ConnectSettings, Database};
use capitole_services::articles;
use serde_json::{Value, json};

use super::accounts::{access_of, app_token, create, register, run};
use super::{TestApp, apps, code};

const CREATE: &str = "mutation($input: ArticleInput!, $only: Boolean! = false) { createArticle(input: $input, validateOnly: $only) { validatedOnly article { id slug title status version publishers { slug } } } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $patch: ArticlePatch!) { updateArticle(id: $id, version: $v, patch: $patch) { article { title slug version } } }";

async fn article_count(app: &TestApp) -> u64 {
    article::Entity::find()
        .count(app.db.connection())
        .await
        .unwrap()
}

/// Staff of both publishers, signed in: (ville editor, métropole editor, editor of both,
/// administrator).
async fn staff(app: &TestApp) -> (String, String, String, String) {
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
    create(
        app,
        "both@example.org",
        Role::Editor,
        &["ville-de-toulouse", "toulouse-metropole"],
    )
    .await;
    create(app, "admin@example.org", Role::Administrator, &[]).await;
    (
        access_of(app, "ville@example.org").await,
        access_of(app, "metropole@example.org").await,
        access_of(app, "both@example.org").await,
        access_of(app, "admin@example.org").await,
    )
}

async fn draft(app: &TestApp, token: &str, title: &str) -> Value {
    let (status, body) = run(
        app,
        Some(token),
        CREATE,
        json!({ "input": { "title": title, "summary": "Résumé", "body": "# Titre\n\nTexte.", "tags": ["Culture"], "audiences": ["FAMILIES"] } }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["createArticle"]["article"].clone()
}

async fn node_title(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let (_, body) = run(
        app,
        token,
        "query($id: ID!) { node(id: $id) { ... on NewsArticle { title } } }",
        json!({ "id": id }),
    )
    .await;
    body["data"]["node"]["title"].clone()
}

#[tokio::test]
async fn editors_run_the_whole_article_workflow() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (ville, metropole, _, admin) = staff(&app).await;
        let created = draft(&app, &ville, "Fête de la Musique 2027").await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["status"], "DRAFT");
        assert_eq!(created["version"], 1);
        assert_eq!(created["slug"], "fete-de-la-musique-2027", "{label}");
        assert_eq!(created["publishers"][0]["slug"], "ville-de-toulouse");

        // Preview: the editor sees the draft on every path; nobody else does.
        assert_eq!(
            node_title(&app, Some(&ville), &id).await,
            "Fête de la Musique 2027"
        );
        assert_eq!(node_title(&app, None, &id).await, Value::Null);
        assert_eq!(node_title(&app, Some(&metropole), &id).await, Value::Null);
        let drafts = "{ news(filter: { statuses: [DRAFT] }) { nodes { title } } }";
        let (_, mine) = run(&app, Some(&ville), drafts, json!({})).await;
        assert!(
            mine.to_string().contains("Fête de la Musique 2027"),
            "{label}: {mine}"
        );
        let (_, theirs) = run(&app, None, drafts, json!({})).await;
        assert!(
            !theirs.to_string().contains("Fête de la Musique"),
            "{label}: {theirs}"
        );

        // An update carries the version it edits; a stale one changes nothing.
        let (_, updated) = run(
            &app,
            Some(&ville),
            UPDATE,
            json!({ "id": id, "v": 1, "patch": { "title": "Fête de la Musique" } }),
        )
        .await;
        assert_eq!(
            updated["data"]["updateArticle"]["article"]["version"], 2,
            "{updated}"
        );
        // The slug does not follow the title.
        assert_eq!(
            updated["data"]["updateArticle"]["article"]["slug"],
            "fete-de-la-musique-2027"
        );
        let (_, stale) = run(
            &app,
            Some(&ville),
            UPDATE,
            json!({ "id": id, "v": 1, "patch": { "title": "Écrasé" } }),
        )
        .await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        assert!(
            stale["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("version 2")
        );
        assert_eq!(
            node_title(&app, Some(&ville), &id).await,
            "Fête de la Musique"
        );

        // Review, publication, slug change, archive, unpublish, delete.
        let step = |mutation: &'static str, version: i64| {
            let (app, token, id) = (&app, ville.clone(), id.clone());
            async move {
                let text = format!(
                    "mutation($id: ID!, $v: Int!) {{ x: {mutation}(id: $id, version: $v) {{ article {{ status version publishedAt reviewRequestedAt }} }} }}"
                );
                run(app, Some(&token), &text, json!({ "id": id, "v": version }))
                    .await
                    .1
            }
        };
        let reviewed = step("submitArticleForReview", 2).await;
        assert!(
            reviewed["data"]["x"]["article"]["reviewRequestedAt"].is_string(),
            "{reviewed}"
        );
        let archived_draft = step("archiveArticle", 3).await;
        assert_eq!(code(&archived_draft), "BAD_USER_INPUT", "{archived_draft}");
        let published = step("publishArticle", 3).await;
        assert_eq!(
            published["data"]["x"]["article"]["status"], "PUBLISHED",
            "{published}"
        );
        assert_eq!(
            node_title(&app, None, &id).await,
            "Fête de la Musique",
            "{label}"
        );
        let (_, renamed) = run(
            &app,
            Some(&ville),
            UPDATE,
            json!({ "id": id, "v": 4, "patch": { "slug": "fete-de-la-musique" } }),
        )
        .await;
        assert_eq!(
            renamed["data"]["updateArticle"]["article"]["slug"], "fete-de-la-musique",
            "{renamed}"
        );
        for slug in ["fete-de-la-musique", "fete-de-la-musique-2027"] {
            let (_, found) = run(
                &app,
                None,
                "query($s: String!) { newsArticle(slug: $s) { title } }",
                json!({ "s": slug }),
            )
            .await;
            assert_eq!(
                found["data"]["newsArticle"]["title"], "Fête de la Musique",
                "{label} {slug}"
            );
        }
        assert_eq!(
            step("archiveArticle", 5).await["data"]["x"]["article"]["status"],
            "ARCHIVED"
        );
        assert_eq!(
            step("unpublishArticle", 6).await["data"]["x"]["article"]["status"],
            "DRAFT"
        );
        assert_eq!(node_title(&app, None, &id).await, Value::Null);
        let (_, deleted) = run(
            &app,
            Some(&ville),
            "mutation($id: ID!) { deleteArticle(id: $id, version: 7) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            deleted["data"]["deleteArticle"]["deletedId"], id,
            "{deleted}"
        );

        // The trail: every write, who made it and for which organization; revisions compare.
        let (_, trail) = run(&app, Some(&ville), "query($id: ID!) { auditLog(itemId: $id, first: 50) { totalCount nodes { action actor organization { slug } changes } } }", json!({ "id": id })).await;
        let actions: Vec<&str> = trail["data"]["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "DELETE",
                "UNPUBLISH",
                "ARCHIVE",
                "UPDATE",
                "PUBLISH",
                "SUBMIT_FOR_REVIEW",
                "UPDATE",
                "CREATE"
            ],
            "{label}"
        );
        assert_eq!(
            trail["data"]["auditLog"]["nodes"][6]["changes"]["title"]["to"],
            "Fête de la Musique"
        );
        assert_eq!(
            trail["data"]["auditLog"]["nodes"][0]["organization"]["slug"],
            "ville-de-toulouse"
        );
        // The other publisher's editor does not read this trail; an administrator does.
        let (_, other) = run(
            &app,
            Some(&metropole),
            "query($id: ID!) { auditLog(itemId: $id) { totalCount } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(other["data"]["auditLog"]["totalCount"], 0, "{other}");
        let (_, all) = run(
            &app,
            Some(&admin),
            "query($id: ID!) { auditLog(itemId: $id) { totalCount } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(all["data"]["auditLog"]["totalCount"], 8, "{all}");
        let (_, citizen) = run(&app, None, "{ auditLog { totalCount } }", json!({})).await;
        assert_eq!(code(&citizen), "UNAUTHENTICATED");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn revisions_are_listed_and_compared() {
    for app in apps().await {
        let (ville, metropole, _, _) = staff(&app).await;
        let id = draft(&app, &ville, "Marché de Noël").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        run(&app, Some(&ville), UPDATE, json!({ "id": id, "v": 1, "patch": { "title": "Marché de Noël du Capitole", "tags": ["noel"] } })).await;
        let (_, revisions) = run(
            &app,
            Some(&ville),
            "query($id: ID!) { articleRevisions(id: $id) { nodes { version status title tags } } }",
            json!({ "id": id }),
        )
        .await;
        let versions: Vec<i64> = revisions["data"]["articleRevisions"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_i64().unwrap())
            .collect();
        assert_eq!(versions, [2, 1], "{revisions}");
        for revision in revisions["data"]["articleRevisions"]["nodes"]
            .as_array()
            .unwrap()
        {
            assert_eq!(revision["status"], "DRAFT", "{revisions}");
        }
        let (_, compared) = run(&app, Some(&ville), "query($id: ID!) { compareArticleRevisions(id: $id, from: 1, to: 2) { field from to } }", json!({ "id": id })).await;
        let fields: Vec<&str> = compared["data"]["compareArticleRevisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["title", "tags"], "{compared}");
        let (_, refused) = run(
            &app,
            Some(&metropole),
            "query($id: ID!) { articleRevisions(id: $id) { nodes { version } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(code(&refused), "FORBIDDEN");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn hostile_input_is_refused_field_by_field_and_nothing_is_stored() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (ville, _, _, _) = staff(&app).await;
        let before = article_count(&app).await;
        let tags: Vec<String> = (0..30).map(|i| format!("tag{i}")).collect();
        let input = json!({
            "title": "x".repeat(20_000),
            "summary": "nul \u{0} byte",
            "tags": tags,
            "neighborhoods": ["atlantis"],
            "relatedEvents": ["not-an-id"],
            "coverImage": { "url": "http://insecure.example/image.jpg", "alt": "" },
            "publishers": ["ville-de-toulouse", "toulouse-metropole"],
        });
        let (status, body) = run(&app, Some(&ville), CREATE, json!({ "input": input })).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for expected in [
            "title",
            "summary",
            "tags",
            "neighborhoods[0]",
            "relatedEvents[0]",
            "coverImage.url",
            "coverImage.alt",
            "publishers[1]",
        ] {
            assert!(
                fields.contains(&expected),
                "{label}: {expected} missing from {fields:?}"
            );
        }
        // validateOnly runs every check and stores nothing, even for valid input.
        let (_, checked) = run(
            &app,
            Some(&ville),
            CREATE,
            json!({ "input": { "title": "Valide" }, "only": true }),
        )
        .await;
        assert_eq!(
            checked["data"]["createArticle"]["validatedOnly"], true,
            "{checked}"
        );
        assert!(checked["data"]["createArticle"]["article"].is_null());
        // 10,000 tags are refused before anything runs.
        let many: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let (status, _) = run(
            &app,
            Some(&ville),
            CREATE,
            json!({ "input": { "title": "Tags", "tags": many } }),
        )
        .await;
        assert!(status.is_client_error(), "{label}: {status}");
        assert_eq!(article_count(&app).await, before, "{label}");
        // The service still answers.
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
async fn every_article_mutation_checks_who_asks() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (ville, metropole, both, admin) = staff(&app).await;
        let (citizen, _) = register(&app, "citizen@example.org").await;
        let (token, _) = app_token(&app, "Reader").await;
        let before = article_count(&app).await;
        let input =
            json!({ "input": { "title": "Pour la Ville", "publishers": ["ville-de-toulouse"] } });
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
            let (_, body) = run(&app, caller, CREATE, input.clone()).await;
            assert_eq!(code(&body), expected, "{label} {who}: {body}");
        }
        assert_eq!(article_count(&app).await, before);
        let ours = draft(&app, &ville, "Pour la Ville").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Writes on another organization's article are refused; a draft does not even show.
        for (who, caller, expected) in [
            ("anonymous", None, "UNAUTHENTICATED"),
            ("citizen", Some(citizen.as_str()), "NOT_FOUND"),
            (
                "editor of the other organization",
                Some(metropole.as_str()),
                "NOT_FOUND",
            ),
        ] {
            let (_, body) = run(
                &app,
                caller,
                UPDATE,
                json!({ "id": ours, "v": 1, "patch": { "title": "Détourné" } }),
            )
            .await;
            assert_eq!(code(&body), expected, "{label} {who}: {body}");
        }
        let publish = "mutation($id: ID!, $v: Int!) { publishArticle(id: $id, version: $v) { article { version } } }";
        let (_, body) = run(&app, Some(&admin), publish, json!({ "id": ours, "v": 1 })).await;
        assert_eq!(
            body["data"]["publishArticle"]["article"]["version"], 2,
            "{label}: {body}"
        );
        // Public now, but still not theirs to change.
        let (_, body) = run(
            &app,
            Some(&metropole),
            UPDATE,
            json!({ "id": ours, "v": 2, "patch": { "title": "Détourné" } }),
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN", "{label}: {body}");
        let (_, body) = run(
            &app,
            Some(&citizen),
            UPDATE,
            json!({ "id": ours, "v": 2, "patch": { "title": "Détourné" } }),
        )
        .await;
        assert_eq!(code(&body), "FORBIDDEN", "{label}: {body}");
        // One article, co-published by both organizations, by an editor of both.
        let (_, co) = run(&app, Some(&both), CREATE, json!({ "input": { "title": "Conseil commun", "publishers": ["ville-de-toulouse", "toulouse-metropole"] } })).await;
        let co_id = co["data"]["createArticle"]["article"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{co}"))
            .to_owned();
        let publishers: Vec<&str> = co["data"]["createArticle"]["article"]["publishers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap())
            .collect();
        assert_eq!(publishers, ["ville-de-toulouse", "toulouse-metropole"]);
        // Each single-publisher editor may edit it; the other publisher stays.
        let (_, edited) = run(&app, Some(&metropole), UPDATE, json!({ "id": co_id, "v": 1, "patch": { "title": "Conseil commun (ordre du jour)", "publishers": ["toulouse-metropole"] } })).await;
        assert_eq!(
            edited["data"]["updateArticle"]["article"]["version"], 2,
            "{label}: {edited}"
        );
        let (_, still) = run(
            &app,
            Some(&ville),
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { publishers { slug } } } }",
            json!({ "id": co_id }),
        )
        .await;
        assert_eq!(
            still["data"]["node"]["publishers"].as_array().map(Vec::len),
            Some(2),
            "{still}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn two_editors_saving_the_same_version_cannot_both_win() {
    for app in apps().await {
        let (ville, _, both, _) = staff(&app).await;
        let id = draft(&app, &ville, "Budget participatif").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let save = |token: String, title: &'static str| {
            let (app, id) = (&app, id.clone());
            async move {
                run(
                    app,
                    Some(&token),
                    UPDATE,
                    json!({ "id": id, "v": 1, "patch": { "title": title } }),
                )
                .await
                .1
            }
        };
        let (a, b) = tokio::join!(
            save(ville.clone(), "Version A"),
            save(both.clone(), "Version B")
        );
        let won: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|r| r["data"]["updateArticle"].is_object())
            .collect();
        let lost: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|r| code(r) == "CONFLICT")
            .collect();
        assert_eq!(
            (won.len(), lost.len()),
            (1, 1),
            "{} {a} {b}",
            app.test_db.label
        );
        let title = node_title(&app, Some(&ville), &id).await;
        assert_eq!(title, won[0]["data"]["updateArticle"]["article"]["title"]);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn scheduled_articles_are_published_once_by_competing_replicas() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (ville, _, _, _) = staff(&app).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let id = draft(&app, &ville, &format!("Annonce {n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
            let (_, scheduled) = run(&app, Some(&ville), "mutation($id: ID!, $at: DateTime!) { scheduleArticle(id: $id, version: 1, publishAt: $at) { article { status } } }", json!({ "id": id, "at": at })).await;
            assert_eq!(
                scheduled["data"]["scheduleArticle"]["article"]["status"], "SCHEDULED",
                "{scheduled}"
            );
            ids.push(id);
        }
        let (_, past) = run(&app, Some(&ville), "mutation($id: ID!) { scheduleArticle(id: $id, version: 2, publishAt: \"2020-01-01T00:00:00Z\") { article { status } } }", json!({ "id": ids[0] })).await;
        assert_eq!(
            past["errors"][0]["extensions"]["fields"][0]["field"], "publishAt",
            "{past}"
        );
        assert_eq!(node_title(&app, None, &ids[0]).await, Value::Null);
        // Their time comes (for the demo city's scheduled articles too).
        let mut due_count: usize = 0;
        for row in article::Entity::find()
            .filter(article::Column::Status.eq("SCHEDULED"))
            .all(app.db.connection())
            .await
            .unwrap()
        {
            let mut due: article::ActiveModel = row.into();
            due.published_at = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
            due.update(app.db.connection()).await.unwrap();
            due_count += 1;
        }
        assert!(due_count >= 5);
        // Four schedulers, each on its own connection pool as replicas would be, race.
        let mut replicas = Vec::new();
        for _ in 0..4 {
            replicas.push(
                Database::connect(&ConnectSettings::new(app.test_db.url.clone()))
                    .await
                    .unwrap(),
            );
        }
        let now = chrono::Utc::now();
        let runs = replicas.iter().map(|db| articles::publish_due(db, now));
        let published: usize = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .map(|r| r.unwrap().len())
            .sum();
        assert_eq!(published, due_count, "{label}");
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("PUBLISH"))
            .filter(audit_entry::Column::Actor.eq("scheduler"))
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(
            entries as usize, due_count,
            "{label}: one publication entry per article"
        );
        let sql = "SELECT COUNT(*) AS n FROM change_log WHERE change = 'PUBLISHED' AND public";
        let backend = app.db.connection().get_database_backend();
        let logged: i64 = app
            .db
            .connection()
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        assert_eq!(
            logged as usize, due_count,
            "{label}: one change log entry per article"
        );
        // Readers see the publications once the replica's response cache has read them
        // in the change log (see "Response cache" in docs/http.md).
        for id in &ids {
            let mut title = node_title(&app, None, id).await;
            for _ in 0..200 {
                if title.is_string() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                title = node_title(&app, None, id).await;
            }
            assert!(title.is_string(), "{label}");
        }
        // Nothing is left to publish.
        assert!(
            articles::publish_due(&replicas[0], chrono::Utc::now())
                .await
                .unwrap()
                .is_empty()
        );
        for db in replicas {
            db.close().await;
        }
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn media_are_recognised_and_social_posts_are_recorded() {
    for app in apps().await {
        let label = &app.test_db.label;
        let (ville, metropole, _, _) = staff(&app).await;
        let media = json!([
            { "url": "https://youtu.be/dQw4w9WgXcQ?si=tracking" },
            { "url": "https://www.dailymotion.com/video/x8q4k2m", "caption": "Le direct" },
            { "url": "https://www.flickr.com/photos/toulouse/albums/72177720301234567" },
            { "url": "https://www.toulouse.fr/photo.jpg", "alt": "La place du Capitole", "credit": "Ville de Toulouse" },
        ]);
        let (_, created) = run(&app, Some(&ville), "mutation($input: ArticleInput!) { createArticle(input: $input) { article { id media { kind provider providerId url embedUrl alt caption } } } }", json!({ "input": { "title": "En images", "media": media } })).await;
        let article = &created["data"]["createArticle"]["article"];
        let stored = article["media"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: {created}"));
        assert_eq!(stored[0]["provider"], "YOUTUBE");
        assert_eq!(
            stored[0]["url"],
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
        );
        assert_eq!(
            stored[0]["embedUrl"],
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
        assert_eq!(stored[1]["provider"], "DAILYMOTION");
        assert_eq!(stored[2]["kind"], "ALBUM");
        assert_eq!(stored[3]["alt"], "La place du Capitole");
        let id = article["id"].as_str().unwrap().to_owned();

        // An image without alt text, plain http and a channel page are refused, each named.
        let bad = json!([
            { "url": "https://www.toulouse.fr/photo.jpg" },
            { "url": "http://www.toulouse.fr/photo.jpg", "alt": "x" },
            { "url": "https://www.youtube.com/watch?list=PL123" },
        ]);
        let (_, refused) = run(
            &app,
            Some(&ville),
            UPDATE,
            json!({ "id": id, "v": 1, "patch": { "media": bad } }),
        )
        .await;
        let fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{refused}"))
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["media[0]", "media[1]", "media[2]"], "{label}");

        // Syndication: posts recorded per article, checked against their network.
        let record = "mutation($id: ID!, $n: Network!, $u: URL!) { recordSocialPost(articleId: $id, network: $n, url: $u) { socialPost { id network url } } }";
        let (_, posted) = run(&app, Some(&ville), record, json!({ "id": id, "n": "FACEBOOK", "u": "https://www.facebook.com/toulouse/posts/123?fbclid=abc" })).await;
        assert_eq!(
            posted["data"]["recordSocialPost"]["socialPost"]["url"],
            "https://www.facebook.com/toulouse/posts/123",
            "{label}: {posted}"
        );
        let (_, again) = run(&app, Some(&ville), record, json!({ "id": id, "n": "FACEBOOK", "u": "https://www.facebook.com/toulouse/posts/123" })).await;
        assert_eq!(
            again["data"]["recordSocialPost"]["socialPost"]["id"],
            posted["data"]["recordSocialPost"]["socialPost"]["id"]
        );
        let (_, wrong) = run(&app, Some(&ville), record, json!({ "id": id, "n": "INSTAGRAM", "u": "https://www.facebook.com/toulouse/posts/456" })).await;
        assert_eq!(
            wrong["errors"][0]["extensions"]["fields"][0]["field"], "url",
            "{wrong}"
        );
        let (_, other) = run(
            &app,
            Some(&metropole),
            record,
            json!({ "id": id, "n": "X", "u": "https://x.com/toulouse/status/1" }),
        )
        .await;
        assert_eq!(code(&other), "NOT_FOUND", "{label}: {other}");
        run(&app, Some(&ville), record, json!({ "id": id, "n": "DAILYMOTION", "u": "https://www.dailymotion.com/video/x8q4k2m" })).await;
        let (_, listed) = run(&app, Some(&ville), "query($id: ID!) { node(id: $id) { ... on NewsArticle { socialPosts { nodes { id network } } } } }", json!({ "id": id })).await;
        let posts = listed["data"]["node"]["socialPosts"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(posts.len(), 2, "{listed}");
        let (_, removed) = run(
            &app,
            Some(&ville),
            "mutation($id: ID!) { removeSocialPost(id: $id) { deletedId } }",
            json!({ "id": posts[0]["id"] }),
        )
        .await;
        assert_eq!(
            removed["data"]["removeSocialPost"]["deletedId"], posts[0]["id"],
            "{removed}"
        );
        let (_, listed) = run(
            &app,
            Some(&ville),
            "query($id: ID!) { node(id: $id) { ... on NewsArticle { socialPosts { nodes { network } } } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            listed["data"]["node"]["socialPosts"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        app.test_db.remove().await;
    }
}
