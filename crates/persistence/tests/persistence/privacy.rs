//! What the GDPR asks of personal data: the export holds everything stored about a person,
//! erasure leaves nothing that names them, and protection data goes after its retention.

use capitole_domain::access::Role;
use capitole_persistence::accounts::{self, NewUser};
use capitole_persistence::entities::{
    article, article_revision, audit_entry, login_throttle, place, refresh_token, session,
    social_post, tip,
};
use capitole_persistence::{account_tokens, privacy, sessions, throttle};
use chrono::Duration;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::demo_databases;

async fn person(db: &capitole_persistence::Database, email: &str) -> Uuid {
    accounts::create_user(
        db,
        NewUser {
            email: email.to_owned(),
            display_name: "Camille".to_owned(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            role: Role::Editor,
            organizations: Vec::new(),
            verified: true,
        },
        super::now(),
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn the_export_holds_everything_about_a_person_and_erasure_leaves_nothing_that_names_them() {
    for (test_db, now) in demo_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let conn = db.connection();
        let camille = person(db, "camille@example.org").await;
        let resident = person(db, "resident@example.org").await;
        let some_place = place::Entity::find().one(conn).await.unwrap().unwrap();
        let some_article = article::Entity::find().one(conn).await.unwrap().unwrap();

        sessions::open(db, camille, "hash-1".into(), now, Duration::days(30))
            .await
            .unwrap();
        let since = now - Duration::minutes(15);
        for subject in [
            throttle::account_subject("camille@example.org"),
            throttle::pair_subject("camille@example.org", "203.0.113.9"),
            throttle::pair_subject("resident@example.org", "203.0.113.9"),
        ] {
            throttle::count_attempt(db, &subject, now, since)
                .await
                .unwrap();
        }
        // What Camille did for an organization: an audit entry, a revision, a recorded
        // post, a tip hidden as a moderator.
        audit_entry::Entity::insert(audit_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            at: Set(now),
            actor_id: Set(Some(camille)),
            actor: Set("Camille".into()),
            organization_id: Set(None),
            item_kind: Set("ARTICLE".into()),
            item_id: Set(some_article.id),
            action: Set("UPDATE".into()),
            changes: Set(r#"{"title":{"from":"a","to":"b"}}"#.into()),
        })
        .exec(conn)
        .await
        .unwrap();
        article_revision::Entity::insert(article_revision::ActiveModel {
            id: Set(Uuid::now_v7()),
            article_id: Set(some_article.id),
            version: Set(some_article.version + 100),
            title: Set("b".into()),
            summary: Set(String::new()),
            easy_read_summary: Set(None),
            body: Set(String::new()),
            tags: Set(String::new()),
            audiences: Set(String::new()),
            status: Set("DRAFT".into()),
            author_id: Set(Some(camille)),
            created_at: Set(now),
            categories: Set("|".into()),
        })
        .exec(conn)
        .await
        .unwrap();
        social_post::Entity::insert(social_post::ActiveModel {
            id: Set(Uuid::now_v7()),
            item_kind: Set("ARTICLE".into()),
            item_id: Set(some_article.id),
            network: Set("FACEBOOK".into()),
            url: Set("https://www.facebook.com/toulouse/posts/1".into()),
            posted_at: Set(now),
            recorded_by: Set(Some(camille)),
            created_at: Set(now),
        })
        .exec(conn)
        .await
        .unwrap();
        let hidden_tip = Uuid::now_v7();
        tip::Entity::insert(tip::ActiveModel {
            id: Set(hidden_tip),
            place_id: Set(some_place.id),
            user_id: Set(resident),
            text: Set("Rude words".into()),
            created_at: Set(now),
            like_count: Set(0),
            report_count: Set(1),
            hidden_at: Set(Some(now)),
            hidden_by: Set(Some(camille)),
        })
        .exec(conn)
        .await
        .unwrap();

        let export = privacy::export_user(db, camille).await.unwrap().unwrap();
        assert_eq!(export["privacy"]["checkInsPublic"], false, "{label}");
        assert_eq!(export["privacy"]["hiddenFromMayor"], false, "{label}");
        assert_eq!(
            export["sessions"].as_array().map(Vec::len),
            Some(1),
            "{label}"
        );
        let counters: Vec<&str> = export["signInAttempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["counter"].as_str().unwrap())
            .collect();
        assert_eq!(
            counters,
            [
                "account:camille@example.org",
                "pair:camille@example.org|203.0.113.9"
            ],
            "{label}"
        );
        let editorial = &export["editorial"];
        assert_eq!(editorial["auditEntries"][0]["action"], "UPDATE", "{label}");
        assert_eq!(
            editorial["auditEntries"][0]["changes"]["title"]["to"], "b",
            "{label}"
        );
        assert_eq!(editorial["articleRevisions"][0]["title"], "b", "{label}");
        assert_eq!(
            editorial["socialPostsRecorded"][0]["network"], "FACEBOOK",
            "{label}"
        );
        assert_eq!(
            editorial["tipsModerated"][0]["tip"],
            hidden_tip.to_string(),
            "{label}"
        );
        assert!(!export.to_string().contains("argon2"), "{label}");

        assert!(
            privacy::delete_user(db, camille, now).await.unwrap(),
            "{label}"
        );
        let entries = audit_entry::Entity::find().all(conn).await.unwrap();
        assert!(
            entries.iter().all(|e| e.actor_id != Some(camille)),
            "{label}"
        );
        assert!(
            entries
                .iter()
                .any(|e| e.actor == privacy::ERASED_ACTOR && e.action == "UPDATE"),
            "{label}"
        );
        assert!(entries.iter().all(|e| e.actor != "Camille"), "{label}");
        let revisions = article_revision::Entity::find().all(conn).await.unwrap();
        assert!(
            revisions.iter().all(|r| r.author_id != Some(camille)),
            "{label}"
        );
        assert!(
            revisions.iter().any(|r| r.title == "b"),
            "{label}: the revision stays"
        );
        let posts = social_post::Entity::find().all(conn).await.unwrap();
        assert!(
            posts.iter().all(|p| p.recorded_by != Some(camille)),
            "{label}"
        );
        let moderated = tip::Entity::find_by_id(hidden_tip)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert!(
            moderated.hidden_at.is_some(),
            "{label}: the tip stays hidden"
        );
        assert_eq!(moderated.hidden_by, None, "{label}");
        let left: Vec<String> = login_throttle::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.subject)
            .collect();
        assert_eq!(left, ["pair:resident@example.org|203.0.113.9"], "{label}");
        assert!(
            session::Entity::find().all(conn).await.unwrap().is_empty(),
            "{label}"
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn protection_data_goes_after_its_retention_and_nothing_else_does() {
    for (test_db, now) in demo_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let conn = db.connection();
        let ana = person(db, "ana@example.org").await;
        let long_ago = now - Duration::days(90);
        // An old session whose token expired long ago, and a live one.
        sessions::open(db, ana, "old".into(), long_ago, Duration::days(30))
            .await
            .unwrap();
        sessions::open(db, ana, "live".into(), now, Duration::days(30))
            .await
            .unwrap();
        // Mailed links: one expired long ago, one live.
        for (token, at) in [("pw_old", long_ago), ("pw_live", now)] {
            account_tokens::issue(
                db,
                ana,
                account_tokens::Purpose::ResetPassword,
                token.into(),
                at,
                Duration::minutes(30),
            )
            .await
            .unwrap();
        }
        throttle::count_attempt(db, "address:203.0.113.9", long_ago, long_ago)
            .await
            .unwrap();
        throttle::count_attempt(
            db,
            "account:typo@exmaple.org",
            now,
            now - Duration::minutes(15),
        )
        .await
        .unwrap();

        let cutoff = now - Duration::days(30);
        let purged = privacy::purge(db, cutoff).await.unwrap();
        assert_eq!(
            purged,
            privacy::Purged {
                attempt_counters: 1,
                refresh_tokens: 1,
                sessions: 1,
                mailed_tokens: 1,
            },
            "{label}"
        );
        let tokens: Vec<String> = refresh_token::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.token_hash)
            .collect();
        assert_eq!(tokens, ["live"], "{label}");
        assert_eq!(
            session::Entity::find().all(conn).await.unwrap().len(),
            1,
            "{label}"
        );
        let counters: Vec<String> = login_throttle::Entity::find()
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.subject)
            .collect();
        assert_eq!(counters, ["account:typo@exmaple.org"], "{label}");
        // A second purge finds nothing more.
        assert_eq!(
            privacy::purge(db, cutoff).await.unwrap(),
            privacy::Purged::default(),
            "{label}"
        );
        test_db.remove().await;
    }
}
