//! What the change log hears of article writes: exactly one entry per committed write, in
//! its transaction, public only when the public could see the article before or after, and
//! nothing for a write that is refused or changes nothing.

use capitole_domain::article::{PublishAt, Transition};
use capitole_domain::article_draft::{
    ArticleContent, ArticleDraft, ContentPatch, LinkIds, NewArticle,
};
use capitole_domain::social::Network;
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::{article, organization};
use capitole_persistence::testing::databases;
use capitole_persistence::{Database, StorageError, social_posts};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, FromQueryResult, Statement};
use uuid::Uuid;

use super::now;

type Entry = (String, Uuid, String, i64, bool);

/// The change log, oldest first.
async fn log(db: &Database) -> Vec<Entry> {
    #[derive(FromQueryResult)]
    struct Row {
        item_kind: String,
        item_id: Uuid,
        change: String,
        version: i64,
        public: bool,
    }
    let sql =
        "SELECT item_kind, item_id, change, version, public FROM change_log ORDER BY position";
    Row::find_by_statement(Statement::from_string(
        db.connection().get_database_backend(),
        sql,
    ))
    .all(db.connection())
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.item_kind, r.item_id, r.change, r.version, r.public))
    .collect()
}

/// The entries appended since the log held `before` entries.
async fn since(db: &Database, before: usize) -> Vec<(String, i64, bool)> {
    log(db)
        .await
        .into_iter()
        .skip(before)
        .map(|(kind, _, change, version, public)| {
            assert_eq!(kind, "ARTICLE");
            (change, version, public)
        })
        .collect()
}

fn entry(change: &str, version: i64, public: bool) -> (String, i64, bool) {
    (change.to_owned(), version, public)
}

async fn publisher(db: &Database, now: DateTime<Utc>) -> Uuid {
    let id = Uuid::now_v7();
    organization::Entity::insert(organization::ActiveModel {
        id: Set(id),
        slug: Set(format!("publisher-{}", id.simple())),
        name: Set("Ville".into()),
        kind: Set("CITY".into()),
        website: Set(None),
        description: Set(String::new()),
        social_accounts: Set("[]".into()),
        created_at: Set(now),
    })
    .exec(db.connection())
    .await
    .unwrap();
    id
}

fn content(title: &str) -> ArticleContent {
    ArticleDraft::parse(NewArticle {
        title: title.into(),
        ..NewArticle::default()
    })
    .into_result()
    .unwrap()
    .content
}

fn links(organization: Uuid) -> LinkIds {
    LinkIds {
        publishers: Some(vec![organization]),
        categories: Some(Vec::new()),
        neighborhoods: Some(Vec::new()),
        events: Some(Vec::new()),
        places: Some(Vec::new()),
    }
}

fn editor(organization: Uuid) -> Actor {
    Actor {
        user_id: None,
        label: "Camille".into(),
        organization: Some(organization),
    }
}

#[tokio::test]
async fn every_article_write_appends_exactly_its_entry_and_refused_ones_none() {
    use capitole_persistence::article::{create, delete_draft, transition, update};
    for test_db in databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let now = now();
        let organization = publisher(db, now).await;
        let actor = editor(organization);

        let draft = create(db, &content("Fête"), &links(organization), &actor, now)
            .await
            .unwrap();
        let id = draft.id;
        let entries = log(db).await;
        assert_eq!(
            entries,
            [("ARTICLE".into(), id, "CREATED".into(), 1, false)],
            "{label}: a draft is created out of the public's sight"
        );
        let organizations: Vec<Option<Uuid>> = {
            #[derive(FromQueryResult)]
            struct Row {
                organization_id: Option<Uuid>,
            }
            let sql = "SELECT organization_id FROM change_log";
            Row::find_by_statement(Statement::from_string(
                db.connection().get_database_backend(),
                sql,
            ))
            .all(db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.organization_id)
            .collect()
        };
        assert_eq!(organizations, [Some(organization)], "{label}");

        let title = ContentPatch {
            title: Some("Fête de la Musique".into()),
            ..ContentPatch::default()
        };
        let unchanged = LinkIds::default();
        update(db, id, 1, &title, &unchanged, &actor, now)
            .await
            .unwrap();
        let stale = update(db, id, 1, &title, &unchanged, &actor, now).await;
        assert!(matches!(stale, Err(StorageError::Stale { .. })), "{label}");
        assert_eq!(
            since(db, 1).await,
            [entry("UPDATED", 2, false)],
            "{label}: a stale write appends nothing"
        );

        let later = PublishAt::parse(now + Duration::days(2), now).unwrap();
        let steps = [
            (Transition::SubmitForReview, entry("UPDATED", 3, false)),
            (Transition::Schedule(later), entry("UPDATED", 4, false)),
            (Transition::Publish, entry("PUBLISHED", 5, true)),
            (Transition::Archive, entry("UPDATED", 6, true)),
            (Transition::Publish, entry("UPDATED", 7, true)),
            (Transition::Unpublish, entry("UNPUBLISHED", 8, true)),
        ];
        for (version, (step, expected)) in (2..).zip(steps) {
            let before = log(db).await.len();
            transition(db, id, version, step, &actor, now)
                .await
                .unwrap_or_else(|e| panic!("{label}: {step:?}: {e}"));
            assert_eq!(since(db, before).await, [expected], "{label}: {step:?}");
        }
        let before = log(db).await.len();
        let refused = transition(db, id, 8, Transition::Archive, &actor, now).await;
        assert!(
            matches!(refused, Err(StorageError::BadRequest(_))),
            "{label}"
        );

        // A public article's edit is public; the published one cannot be deleted.
        transition(db, id, 8, Transition::Publish, &actor, now)
            .await
            .unwrap();
        update(db, id, 9, &title, &unchanged, &actor, now)
            .await
            .unwrap();
        let kept = delete_draft(db, id, 10, &actor, now).await;
        assert!(matches!(kept, Err(StorageError::BadRequest(_))), "{label}");
        transition(db, id, 10, Transition::Unpublish, &actor, now)
            .await
            .unwrap();
        delete_draft(db, id, 11, &actor, now).await.unwrap();
        assert_eq!(
            since(db, before).await,
            [
                entry("PUBLISHED", 9, true),
                entry("UPDATED", 10, true),
                entry("UNPUBLISHED", 11, true),
                entry("DELETED", 11, false),
            ],
            "{label}"
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_scheduler_publishes_each_due_article_once_with_one_entry() {
    use capitole_persistence::article::{create, publish_due, transition};
    for test_db in databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let now = now();
        let organization = publisher(db, now).await;
        let actor = editor(organization);
        let soon = PublishAt::parse(now + Duration::hours(1), now).unwrap();
        let mut due = Vec::new();
        for title in ["Un", "Deux", "Pas encore"] {
            let row = create(db, &content(title), &links(organization), &actor, now)
                .await
                .unwrap();
            transition(db, row.id, 1, Transition::Schedule(soon), &actor, now)
                .await
                .unwrap();
            due.push(row.id);
        }
        let waiting = due.pop().unwrap();
        // Their time comes, except for the last one.
        for id in &due {
            article::Entity::update(article::ActiveModel {
                id: Set(*id),
                published_at: Set(Some(now - Duration::minutes(1))),
                ..Default::default()
            })
            .exec(db.connection())
            .await
            .unwrap();
        }
        let before = log(db).await.len();
        let mut published = publish_due(db, now).await.unwrap();
        published.sort();
        due.sort();
        assert_eq!(published, due, "{label}");
        let entries: Vec<Entry> = log(db).await.into_iter().skip(before).collect();
        let mut ids: Vec<Uuid> = entries.iter().map(|e| e.1).collect();
        ids.sort();
        assert_eq!(ids, due, "{label}: one entry per published article");
        assert!(
            entries
                .iter()
                .all(|(_, _, change, version, public)| change == "PUBLISHED"
                    && *version == 3
                    && *public),
            "{label}: {entries:?}"
        );
        assert!(publish_due(db, now).await.unwrap().is_empty(), "{label}");
        assert_eq!(log(db).await.len(), before + 2, "{label}: nothing twice");
        assert!(!ids.contains(&waiting));
        test_db.remove().await;
    }
}

#[tokio::test]
async fn social_posts_update_the_article_they_announce_at_its_version() {
    use capitole_persistence::article::{create, transition};
    for test_db in databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let now = now();
        let organization = publisher(db, now).await;
        let actor = editor(organization);
        let row = create(db, &content("Annonce"), &links(organization), &actor, now)
            .await
            .unwrap();
        let url = "https://www.facebook.com/toulouse/posts/1";
        let post = social_posts::record(
            db,
            (capitole_domain::change::ItemKind::Article, row.id),
            Network::Facebook,
            url,
            now,
            &actor,
            now,
        )
        .await
        .unwrap();
        let again = social_posts::record(
            db,
            (capitole_domain::change::ItemKind::Article, row.id),
            Network::Facebook,
            url,
            now,
            &actor,
            now,
        )
        .await
        .unwrap();
        assert_eq!(again.id, post.id, "{label}");
        assert_eq!(
            since(db, 1).await,
            [entry("UPDATED", 1, false)],
            "{label}: recording it again changes nothing"
        );
        transition(db, row.id, 1, Transition::Publish, &actor, now)
            .await
            .unwrap();
        social_posts::remove(db, &post, &actor, now).await.unwrap();
        let twice = social_posts::remove(db, &post, &actor, now).await;
        assert!(matches!(twice, Err(StorageError::NotFound)), "{label}");
        assert_eq!(
            since(db, 2).await,
            [entry("PUBLISHED", 2, true), entry("UPDATED", 2, true)],
            "{label}"
        );
        test_db.remove().await;
    }
}
