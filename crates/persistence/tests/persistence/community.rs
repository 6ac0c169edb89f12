//! Residents' activity in storage: the rules of check-ins on both engines, and what each
//! write of the social layer leaves in the change log (tips: their public content;
//! check-ins: one entry per place at the fold; votes, saves and going: nothing), including
//! writes that are refused and the erasure of an account.

use capitole_domain::access::Role;
use capitole_domain::community::{
    CHECK_IN_COOLDOWN, CHECK_INS_A_DAY, CheckInDraft, Moderation, Refusal, SavedKind, TIPS_A_DAY,
    TipDraft, TipReport, Vote,
};
use capitole_domain::place::PlaceOrder;
use capitole_persistence::accounts::{NewUser, create_user};
use capitole_persistence::audit::Actor;
use capitole_persistence::entities::{check_in, event_occurrence, place, place_stat, tip};
use capitole_persistence::places::{self, PlaceFilter};
use capitole_persistence::{
    ActivityError, Columns, Database, PageRequest, check_ins, privacy, reactions, tips,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, FromQueryResult, Statement};
use uuid::Uuid;

use super::demo_databases;

/// One entry of the change log, as a test reads it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct Entry {
    item_kind: String,
    item_id: Uuid,
    change: String,
    version: i64,
    public: bool,
    organization_id: Option<Uuid>,
}

/// The whole change log, in order.
async fn change_log(db: &Database) -> Vec<Entry> {
    let conn = db.connection();
    Entry::find_by_statement(Statement::from_string(
        conn.get_database_backend(),
        "SELECT item_kind, item_id, change, version, public, organization_id FROM change_log ORDER BY position",
    ))
    .all(conn)
    .await
    .unwrap()
}

/// The entries appended since the log held `before` entries.
async fn appended(db: &Database, before: usize) -> Vec<Entry> {
    change_log(db).await.split_off(before)
}

async fn resident(db: &Database, email: &str, role: Role, now: DateTime<Utc>) -> Uuid {
    create_user(
        db,
        NewUser {
            email: email.into(),
            display_name: email.split('@').next().unwrap_or(email).into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role,
            organizations: Vec::new(),
            verified: true,
        },
        now,
    )
    .await
    .unwrap()
    .id
}

/// Places by name, the first of them published by an organization.
async fn spots(db: &Database) -> Vec<place::Model> {
    let all = places::list(
        db,
        &PlaceFilter::default(),
        PlaceOrder::Name,
        &PageRequest::first(60),
        Columns::ALL,
    )
    .await
    .unwrap();
    let mut spots: Vec<place::Model> = all.rows.into_iter().map(|(r, _)| r.place).collect();
    let mut owned = None;
    for (i, spot) in spots.iter().enumerate() {
        if first_publisher(db, spot.id).await.is_some() {
            owned = Some(i);
            break;
        }
    }
    spots.swap(0, owned.expect("a place published by an organization"));
    spots
}

/// The first publisher of a place, the one the change log names.
async fn first_publisher(db: &Database, place: Uuid) -> Option<Uuid> {
    let publishers = capitole_persistence::publishers::of(
        db,
        capitole_persistence::publishers::Published::Place,
        &[place],
    )
    .await
    .unwrap();
    publishers.get(&place).and_then(|p| p.first()).map(|o| o.id)
}

fn refusal<T: std::fmt::Debug>(result: Result<T, ActivityError>) -> Refusal {
    match result {
        Err(ActivityError::Refused(refusal)) => refusal,
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn check_in_rules_hold_on_both_engines() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, &test_db.label);
        let person = resident(db, "lea@example.org", Role::Citizen, now).await;
        let spots = spots(db).await;
        let (here, there) = (&spots[0], &spots[1]);
        let check = |place: Uuid, key: Option<&str>, at: DateTime<Utc>| {
            let draft = CheckInDraft::parse(Some("Bonjour"), key).unwrap();
            async move { check_ins::check_in(db, person, place, &draft, at).await }
        };
        let logged = change_log(db).await.len();

        let first = check(here.id, Some("k-1"), now).await.unwrap();
        assert!(!first.replayed, "{label}");
        // The same key again returns the first check-in, whatever the time.
        let again = check(here.id, Some("k-1"), now + Duration::minutes(1))
            .await
            .unwrap();
        assert!(again.replayed, "{label}");
        assert_eq!(again.check_in.id, first.check_in.id);
        assert_eq!(again.check_in.created_at, first.check_in.created_at);
        assert_eq!(again.check_in.message.as_deref(), Some("Bonjour"));
        // ... but not at another place.
        assert_eq!(
            refusal(check(there.id, Some("k-1"), now).await),
            Refusal::KeyReused
        );
        // Within the cooldown at the same place: refused, with the time it opens again.
        let soon = now + CHECK_IN_COOLDOWN - Duration::minutes(1);
        assert_eq!(
            refusal(check(here.id, Some("k-2"), soon).await),
            Refusal::TooSoon {
                again_at: now + CHECK_IN_COOLDOWN
            },
            "{label}"
        );
        // Elsewhere, or once the cooldown is over, it goes through.
        check(there.id, Some("k-3"), now).await.unwrap();
        check(here.id, None, now + CHECK_IN_COOLDOWN).await.unwrap();
        // A place that does not exist.
        assert_eq!(
            refusal(check(Uuid::nil(), None, now).await),
            Refusal::UnknownPlace
        );
        // The daily limit counts the last 24 hours, every place together.
        let later = now + Duration::hours(2);
        let per_day = usize::try_from(CHECK_INS_A_DAY.per_day).unwrap();
        for spot in &spots[2..per_day - 1] {
            check(spot.id, None, later).await.unwrap();
        }
        let over = &spots[per_day - 1];
        assert_eq!(
            refusal(check(over.id, None, later).await),
            Refusal::DailyLimit(CHECK_INS_A_DAY),
            "{label}"
        );
        check(
            over.id,
            None,
            now + Duration::days(1) + Duration::minutes(1),
        )
        .await
        .unwrap();

        // Refusals stored nothing; each check-in counted once, each visitor once; no
        // check-in wrote to the change log.
        let conn = db.connection();
        let rows = check_in::Entity::find().all(conn).await.unwrap();
        assert_eq!(rows.len(), per_day + 1, "{label}");
        let stats = place_stat::Entity::find_by_id(here.id)
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stats.check_ins, stats.visitors), (2, 1), "{label}");
        assert_eq!(change_log(db).await.len(), logged, "{label}");

        // Popularity takes the check-ins in when they are folded, once however many folds,
        // and each fold records the places it changed, once each.
        let popularity = |id| async move {
            place::Entity::find_by_id(id)
                .one(conn)
                .await
                .unwrap()
                .unwrap()
                .popularity
        };
        assert_eq!(popularity(here.id).await, here.popularity, "{label}");
        assert_eq!(
            check_ins::fold_popularity(db, now).await.unwrap(),
            per_day as u64
        );
        let folded = appended(db, logged).await;
        assert_eq!(folded.len(), per_day, "{label}");
        for spot in spots.iter().take(per_day) {
            let entry = folded
                .iter()
                .find(|e| e.item_id == spot.id)
                .unwrap_or_else(|| panic!("{label}: {} not recorded", spot.name));
            assert_eq!(
                (entry.item_kind.as_str(), entry.change.as_str()),
                ("PLACE", "UPDATED")
            );
            assert_eq!(entry.version, spot.version, "{label}");
            assert!(entry.public, "{label}");
            assert_eq!(
                entry.organization_id,
                first_publisher(db, spot.id).await,
                "{label}"
            );
        }
        assert_eq!(check_ins::fold_popularity(db, now).await.unwrap(), 0);
        assert_eq!(change_log(db).await.len(), logged + per_day, "{label}");
        assert_eq!(popularity(here.id).await, here.popularity + 2, "{label}");
        assert_eq!(popularity(there.id).await, there.popularity + 1, "{label}");
        test_db.remove().await;
    }
}

#[tokio::test]
async fn tips_record_their_public_content_and_nothing_else() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, &test_db.label);
        let ana = resident(db, "ana@example.org", Role::Citizen, now).await;
        let bob = resident(db, "bob@example.org", Role::Citizen, now).await;
        let moderator = resident(db, "moderation@example.org", Role::Editor, now).await;
        let spots = spots(db).await;
        let here = &spots[0];
        let owner = first_publisher(db, here.id).await;
        let draft = TipDraft::parse("Le marché est plus calme avant 9 h.").unwrap();
        let before = change_log(db).await.len();

        // Left: CREATED, public, under the place's owner, version 0.
        let left = tips::add_tip(db, ana, here.id, &draft, now).await.unwrap();
        let expected = |change: &str, public: bool| Entry {
            item_kind: "TIP".into(),
            item_id: left.id,
            change: change.into(),
            version: 0,
            public,
            organization_id: owner,
        };
        assert_eq!(
            appended(db, before).await,
            [expected("CREATED", true)],
            "{label}"
        );

        // A like records LIKED, once (its author hears of it); reports record nothing.
        let liked = tips::like_tip(db, bob, left.id, false, now).await.unwrap();
        assert_eq!(liked.like_count, 1, "{label}");
        let twice = tips::like_tip(db, bob, left.id, false, now).await.unwrap();
        assert_eq!(twice.like_count, 1, "a like counts once");
        assert_eq!(
            appended(db, before + 1).await,
            [expected("LIKED", true)],
            "{label}"
        );
        let report = TipReport::parse(Some("hors sujet")).unwrap();
        let reported = tips::report_tip(db, bob, left.id, &report, false, now)
            .await
            .unwrap();
        assert_eq!(reported.report_count, 1, "{label}");
        let again = tips::report_tip(db, bob, left.id, &report, false, now)
            .await
            .unwrap();
        assert_eq!(again.report_count, 1, "a report counts once");
        assert_eq!(change_log(db).await.len(), before + 2, "{label}");

        // Hidden: HIDDEN (the public saw it before); hiding again records nothing; hidden,
        // it is unknown to residents and known to moderators; restored: UPDATED.
        let actor = Actor {
            user_id: Some(moderator),
            label: "Modération".into(),
            organization: owner,
        };
        let hidden = tips::moderate_tip(db, left.id, Moderation::Hide, &actor, now)
            .await
            .unwrap();
        assert!(hidden.hidden_at.is_some());
        tips::moderate_tip(db, left.id, Moderation::Hide, &actor, now)
            .await
            .unwrap();
        assert_eq!(
            refusal(tips::like_tip(db, ana, left.id, false, now).await),
            Refusal::UnknownTip
        );
        assert_eq!(
            tips::like_tip(db, moderator, left.id, true, now)
                .await
                .unwrap()
                .like_count,
            2
        );
        tips::moderate_tip(db, left.id, Moderation::Restore, &actor, now)
            .await
            .unwrap();
        assert_eq!(
            appended(db, before).await,
            [
                expected("CREATED", true),
                expected("LIKED", true),
                expected("HIDDEN", true),
                // A moderator's like of a hidden tip: not for the public.
                expected("LIKED", false),
                expected("UPDATED", true)
            ],
            "{label}"
        );

        // Refused writes store and record nothing.
        let logged = change_log(db).await.len();
        assert_eq!(
            refusal(tips::add_tip(db, ana, Uuid::nil(), &draft, now).await),
            Refusal::UnknownPlace
        );
        let per_day = usize::try_from(TIPS_A_DAY.per_day).unwrap();
        for _ in 1..per_day {
            tips::add_tip(db, ana, here.id, &draft, now).await.unwrap();
        }
        let logged_all = change_log(db).await.len();
        assert_eq!(logged_all, logged + per_day - 1, "{label}");
        assert_eq!(
            refusal(tips::add_tip(db, ana, here.id, &draft, now).await),
            Refusal::DailyLimit(TIPS_A_DAY)
        );
        assert_eq!(change_log(db).await.len(), logged_all, "{label}");
        let stored = tip::Entity::find().all(db.connection()).await.unwrap();
        assert_eq!(
            stored.iter().filter(|t| t.user_id == ana).count(),
            per_day,
            "{label}"
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn an_erasure_deletes_the_tips_and_its_check_ins_leave_popularity_at_the_next_fold() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, &test_db.label);
        let ana = resident(db, "ana@example.org", Role::Citizen, now).await;
        let bob = resident(db, "bob@example.org", Role::Citizen, now).await;
        let spots = spots(db).await;
        let here = &spots[0];
        let owner = first_publisher(db, here.id).await;
        let draft = TipDraft::parse("Bon plan").unwrap();
        let shown = tips::add_tip(db, ana, here.id, &draft, now).await.unwrap();
        let kept = tips::add_tip(db, bob, here.id, &draft, now).await.unwrap();
        let hidden = tips::add_tip(db, ana, here.id, &draft, now).await.unwrap();
        let actor = Actor {
            user_id: None,
            label: "moderation".into(),
            organization: None,
        };
        tips::moderate_tip(db, hidden.id, Moderation::Hide, &actor, now)
            .await
            .unwrap();
        for person in [ana, bob] {
            let draft = CheckInDraft::parse(None, None).unwrap();
            check_ins::check_in(db, person, here.id, &draft, now)
                .await
                .unwrap();
        }
        check_ins::fold_popularity(db, now).await.unwrap();
        let popularity = || async {
            place::Entity::find_by_id(here.id)
                .one(db.connection())
                .await
                .unwrap()
                .unwrap()
                .popularity
        };
        assert_eq!(popularity().await, here.popularity + 2, "{label}");
        let before = change_log(db).await.len();

        assert!(privacy::delete_user(db, ana, now).await.unwrap());
        // Each of her tips is recorded deleted, the hidden one as not public; Bob's stays.
        let deleted = appended(db, before).await;
        let gone = |id: Uuid, public: bool| Entry {
            item_kind: "TIP".into(),
            item_id: id,
            change: "DELETED".into(),
            version: 0,
            public,
            organization_id: owner,
        };
        assert_eq!(deleted.len(), 2, "{label}: {deleted:?}");
        assert!(deleted.contains(&gone(shown.id, true)), "{label}");
        assert!(deleted.contains(&gone(hidden.id, false)), "{label}");
        let left: Vec<Uuid> = tip::Entity::find()
            .all(db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert!(left.contains(&kept.id), "{label}");
        assert!(!left.contains(&shown.id) && !left.contains(&hidden.id));
        // Her check-in leaves the counters at once and the popularity at the next fold,
        // which records the place.
        let stats = place_stat::Entity::find_by_id(here.id)
            .one(db.connection())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stats.check_ins, stats.visitors, stats.tips), (1, 1, 1));
        assert_eq!(check_ins::fold_popularity(db, now).await.unwrap(), 1);
        assert_eq!(popularity().await, here.popularity + 1, "{label}");
        let folded = appended(db, before + 2).await;
        assert_eq!(folded.len(), 1, "{label}");
        assert_eq!(
            (folded[0].item_id, folded[0].change.as_str()),
            (here.id, "UPDATED")
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn votes_saves_and_going_record_nothing() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, &test_db.label);
        let ana = resident(db, "ana@example.org", Role::Citizen, now).await;
        let here = &spots(db).await[0];
        let date = event_occurrence::Entity::find()
            .one(db.connection())
            .await
            .unwrap()
            .unwrap();
        let before = change_log(db).await.len();

        assert_eq!(
            reactions::vote(db, ana, here.id, Some(Vote::Like), now)
                .await
                .unwrap(),
            (1, 0)
        );
        assert_eq!(
            reactions::vote(db, ana, here.id, Some(Vote::Dislike), now)
                .await
                .unwrap(),
            (0, 1),
            "changing one's mind moves the counts"
        );
        assert_eq!(
            reactions::vote(db, ana, here.id, None, now).await.unwrap(),
            (0, 0)
        );
        reactions::set_saved(db, ana, SavedKind::Place, here.id, true, now)
            .await
            .unwrap();
        reactions::set_saved(db, ana, SavedKind::Place, here.id, false, now)
            .await
            .unwrap();
        reactions::set_going(db, ana, date.id, true, now)
            .await
            .unwrap();
        assert_eq!(
            refusal(reactions::vote(db, ana, Uuid::nil(), Some(Vote::Like), now).await),
            Refusal::UnknownPlace
        );
        assert_eq!(
            refusal(reactions::set_going(db, ana, Uuid::nil(), true, now).await),
            Refusal::UnknownDate
        );
        assert_eq!(change_log(db).await.len(), before, "{label}");
        test_db.remove().await;
    }
}
