//! The social layer as residents and moderators use it: check-ins with their limits and
//! idempotency, tips with likes, reports and moderation on every path, votes and ratings,
//! saves and going, the mayor and trending places from crafted histories, and exact
//! counts under concurrent check-ins.

use axum::http::StatusCode;
use capitole_domain::access::Role;
use capitole_persistence::entities::{check_in, place};
use capitole_persistence::sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use super::accounts::{access_of, app_token, create, register, run};
use super::{TestApp, apps, code};

const CHECK_IN: &str = "mutation($p: ID!, $m: String, $k: String) { checkIn(placeId: $p, message: $m, idempotencyKey: $k) { replayed checkIn { id createdAt } } }";
const STATS: &str = "query($id: ID!) { node(id: $id) { ... on Place { stats { checkInCount visitorCount tipCount likeCount dislikeCount rating hereNow } } } }";

async fn place_id(app: &TestApp, slug: &str) -> (String, uuid::Uuid) {
    let (_, body) = run(
        app,
        None,
        "query($s: String!) { place(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await;
    let id = body["data"]["place"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let row = place::Entity::find()
        .filter(place::Column::Slug.eq(slug))
        .one(app.db.connection())
        .await
        .unwrap()
        .unwrap();
    (id, row.id)
}

async fn any_place_slug(app: &TestApp, n: usize) -> String {
    let (_, body) = run(
        app,
        None,
        "{ places(first: 10) { nodes { slug } } }",
        json!({}),
    )
    .await;
    body["data"]["places"]["nodes"][n]["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn stats(app: &TestApp, id: &str) -> Value {
    run(app, None, STATS, json!({ "id": id })).await.1["data"]["node"]["stats"].clone()
}

#[tokio::test]
async fn check_ins_are_limited_idempotent_and_private() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 0).await;
        let (place, _) = place_id(&app, &slug).await;
        let (ana, _) = register(&app, "ana@example.org").await;
        let (bob, _) = register(&app, "bob@example.org").await;
        let (_, first) = run(
            &app,
            Some(&ana),
            CHECK_IN,
            json!({ "p": place, "m": "Café en terrasse", "k": "k-1" }),
        )
        .await;
        assert_eq!(
            first["data"]["checkIn"]["replayed"], false,
            "{label}: {first}"
        );
        // A retried request with the same key returns the same check-in.
        let (_, retry) = run(
            &app,
            Some(&ana),
            CHECK_IN,
            json!({ "p": place, "m": "Café en terrasse", "k": "k-1" }),
        )
        .await;
        assert_eq!(retry["data"]["checkIn"]["replayed"], true);
        assert_eq!(
            retry["data"]["checkIn"]["checkIn"]["id"],
            first["data"]["checkIn"]["checkIn"]["id"]
        );
        // A second check-in within 30 minutes is refused, clearly.
        let (_, again) = run(
            &app,
            Some(&ana),
            CHECK_IN,
            json!({ "p": place, "k": "k-2" }),
        )
        .await;
        assert_eq!(code(&again), "RATE_LIMITED", "{again}");
        assert!(
            again["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("30 minutes")
        );
        // Hostile input is refused with nothing stored.
        let (_, hostile) = run(
            &app,
            Some(&bob),
            CHECK_IN,
            json!({ "p": place, "m": "x".repeat(1000), "k": "clé invalide" }),
        )
        .await;
        let fields: Vec<&str> = hostile["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["message", "idempotencyKey"]);
        // A place that does not exist (a well-formed id of nothing).
        let nowhere = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("Place:{}", uuid::Uuid::nil().simple()))
        };
        let (_, unknown) = run(&app, Some(&bob), CHECK_IN, json!({ "p": nowhere })).await;
        assert_eq!(code(&unknown), "NOT_FOUND", "{label}: {unknown}");
        assert_eq!(unknown["errors"][0]["message"], "no place has this id");
        let count = check_in::Entity::find()
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(count, 1, "{label}");
        // Only signed-in people check in; app tokens read the public results.
        let (token, _) = app_token(&app, "Reader").await;
        assert_eq!(
            code(&run(&app, None, CHECK_IN, json!({ "p": place })).await.1),
            "UNAUTHENTICATED"
        );
        assert_eq!(
            code(
                &run(&app, Some(&token), CHECK_IN, json!({ "p": place }))
                    .await
                    .1
            ),
            "FORBIDDEN"
        );
        let figures = stats(&app, &place).await;
        assert_eq!(figures["checkInCount"], 1, "{label}: {figures}");
        assert_eq!(figures["visitorCount"], 1);
        assert_eq!(figures["hereNow"], 1);
        // Check-ins are the person's own: their viewer lists them; nobody else reads them.
        let (_, mine) = run(
            &app,
            Some(&ana),
            "{ viewer { checkIns { totalCount nodes { message place { slug } } } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            mine["data"]["viewer"]["checkIns"]["totalCount"], 1,
            "{mine}"
        );
        assert_eq!(
            mine["data"]["viewer"]["checkIns"]["nodes"][0]["place"]["slug"],
            slug.as_str()
        );
        let (_, theirs) = run(
            &app,
            Some(&bob),
            "{ viewer { checkIns { totalCount } } }",
            json!({}),
        )
        .await;
        assert_eq!(theirs["data"]["viewer"]["checkIns"]["totalCount"], 0);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn concurrent_check_ins_are_counted_exactly() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 1).await;
        let (place, _) = place_id(&app, &slug).await;
        let mut tokens = Vec::new();
        for i in 0..12 {
            tokens.push(register(&app, &format!("p{i}@example.org")).await.0);
        }
        // Everyone checks in at once; each sends the same request twice.
        let runs = tokens.iter().enumerate().flat_map(|(i, t)| {
            let key = format!("key-{i}");
            [(t.clone(), key.clone()), (t.clone(), key)]
        });
        let calls = runs.map(|(t, key)| {
            let (app, place) = (&app, place.clone());
            async move {
                run(app, Some(&t), CHECK_IN, json!({ "p": place, "k": key }))
                    .await
                    .1
            }
        });
        let results = futures_util::future::join_all(calls).await;
        assert!(
            results.iter().all(|r| r["data"]["checkIn"].is_object()),
            "{label}: {results:?}"
        );
        let replayed = results
            .iter()
            .filter(|r| r["data"]["checkIn"]["replayed"] == true)
            .count();
        assert_eq!(replayed, 12, "{label}");
        let figures = stats(&app, &place).await;
        assert_eq!(figures["checkInCount"], 12, "{label}: {figures}");
        assert_eq!(figures["visitorCount"], 12);
        let rows = check_in::Entity::find()
            .count(app.db.connection())
            .await
            .unwrap();
        assert_eq!(rows, 12);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn hidden_tips_disappear_from_every_public_path() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 2).await;
        let (place, _) = place_id(&app, &slug).await;
        let (ana, _) = register(&app, "ana@example.org").await;
        let (bob, _) = register(&app, "bob@example.org").await;
        create(
            &app,
            "moderation@example.org",
            Role::Editor,
            &["ville-de-toulouse"],
        )
        .await;
        let moderator = access_of(&app, "moderation@example.org").await;
        let add = "mutation($p: ID!, $t: String!) { addTip(placeId: $p, text: $t) { tip { id author { displayName } } } }";
        let (_, tip) = run(
            &app,
            Some(&ana),
            add,
            json!({ "p": place, "t": "Le marché du dimanche est plus calme avant 9 h." }),
        )
        .await;
        let tip_id = tip["data"]["addTip"]["tip"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{tip}"))
            .to_owned();
        assert_eq!(tip["data"]["addTip"]["tip"]["author"]["displayName"], "Ana");
        let (_, liked) = run(
            &app,
            Some(&bob),
            "mutation($t: ID!) { likeTip(tipId: $t) { tip { likeCount } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(liked["data"]["likeTip"]["tip"]["likeCount"], 1, "{liked}");
        let (_, twice) = run(
            &app,
            Some(&bob),
            "mutation($t: ID!) { likeTip(tipId: $t) { tip { likeCount } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(
            twice["data"]["likeTip"]["tip"]["likeCount"], 1,
            "a like counts once"
        );
        // Hostile tips are refused.
        let (_, hostile) = run(
            &app,
            Some(&ana),
            add,
            json!({ "p": place, "t": "bip\u{7}" }),
        )
        .await;
        assert_eq!(code(&hostile), "BAD_USER_INPUT");
        // Reported, then hidden by a moderator.
        let (_, reported) = run(
            &app,
            Some(&bob),
            "mutation($t: ID!) { reportTip(tipId: $t, reason: \"hors sujet\") { tip { id } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(
            reported["data"]["reportTip"]["tip"]["id"], tip_id,
            "{reported}"
        );
        let (_, queue) = run(
            &app,
            Some(&moderator),
            "{ reportedTips { nodes { id reportCount } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            queue["data"]["reportedTips"]["nodes"][0]["reportCount"], 1,
            "{queue}"
        );
        let (_, refused) = run(
            &app,
            Some(&bob),
            "{ reportedTips { nodes { id } } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&refused), "FORBIDDEN");
        let (_, hid_by_citizen) = run(
            &app,
            Some(&bob),
            "mutation($t: ID!) { hideTip(tipId: $t) { tip { hidden } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(code(&hid_by_citizen), "FORBIDDEN");
        let (_, hidden) = run(
            &app,
            Some(&moderator),
            "mutation($t: ID!) { hideTip(tipId: $t) { tip { hidden } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(hidden["data"]["hideTip"]["tip"]["hidden"], true, "{hidden}");
        // Gone from the place (first page and later pages), its count, the author's viewer
        // list, and the report queue; it cannot be liked any more.
        let tips_of = "query($s: String!) { place(slug: $s) { tips { totalCount nodes { id } } more: tips(first: 20) { nodes { id } } } }";
        let (_, public) = run(&app, None, tips_of, json!({ "s": slug })).await;
        assert_eq!(
            public["data"]["place"]["tips"]["totalCount"], 0,
            "{label}: {public}"
        );
        assert!(!public.to_string().contains(&tip_id));
        assert_eq!(stats(&app, &place).await["tipCount"], 0);
        let (_, own) = run(
            &app,
            Some(&ana),
            "{ viewer { tips { nodes { id } } } }",
            json!({}),
        )
        .await;
        assert!(!own.to_string().contains(&tip_id), "{own}");
        let (_, like_hidden) = run(
            &app,
            Some(&bob),
            "mutation($t: ID!) { likeTip(tipId: $t) { tip { likeCount } } }",
            json!({ "t": tip_id }),
        )
        .await;
        assert_eq!(code(&like_hidden), "NOT_FOUND");
        // Restored: back everywhere.
        run(
            &app,
            Some(&moderator),
            "mutation($t: ID!) { restoreTip(tipId: $t) { tip { hidden } } }",
            json!({ "t": tip_id }),
        )
        .await;
        let (_, back) = run(&app, None, tips_of, json!({ "s": slug })).await;
        assert_eq!(back["data"]["place"]["tips"]["totalCount"], 1, "{back}");
        assert_eq!(stats(&app, &place).await["tipCount"], 1);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn moderating_a_tip_leaves_audit_entries_naming_the_moderator_and_the_tip() {
    const TRAIL: &str = "query($id: ID) { auditLog(itemId: $id, first: 10) { totalCount nodes { actor action itemKind itemId organization { slug } changes } } }";
    const HIDE: &str = "mutation($t: ID!) { hideTip(tipId: $t) { tip { hidden } } }";
    const RESTORE: &str = "mutation($t: ID!) { restoreTip(tipId: $t) { tip { hidden } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        // A place the city runs, so that the entries are written for the city.
        let (_, listed) = run(
            &app,
            None,
            "{ places(first: 100) { nodes { id publishers { slug } } } }",
            json!({}),
        )
        .await;
        let place = listed["data"]["places"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["publishers"][0]["slug"] == "ville-de-toulouse")
            .unwrap_or_else(|| panic!("{label}: no place of the city: {listed}"))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (ana, _) = register(&app, "ana@example.org").await;
        let (_, tip) = run(
            &app,
            Some(&ana),
            "mutation($p: ID!) { addTip(placeId: $p, text: \"Hors sujet\") { tip { id } } }",
            json!({ "p": place }),
        )
        .await;
        let tip_id = tip["data"]["addTip"]["tip"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let staff: [(&str, &str, Role, &[&str]); 3] = [
            (
                "moderation@example.org",
                "Modération Ville",
                Role::Editor,
                &["ville-de-toulouse"],
            ),
            (
                "metropole@example.org",
                "Rédaction Métropole",
                Role::Editor,
                &["toulouse-metropole"],
            ),
            (
                "admin@example.org",
                "Administration",
                Role::Administrator,
                &[],
            ),
        ];
        for (email, name, role, organizations) in staff {
            let organizations: Vec<String> =
                organizations.iter().map(|o| (*o).to_owned()).collect();
            capitole_services::accounts::create_user(
                &app.db,
                email,
                super::accounts::PASSWORD,
                name,
                role,
                &organizations,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        }
        let moderator = access_of(&app, "moderation@example.org").await;
        let metropole = access_of(&app, "metropole@example.org").await;
        let admin = access_of(&app, "admin@example.org").await;
        let (_, hidden) = run(&app, Some(&moderator), HIDE, json!({ "t": tip_id })).await;
        assert_eq!(
            hidden["data"]["hideTip"]["tip"]["hidden"], true,
            "{label}: {hidden}"
        );
        let (_, restored) = run(&app, Some(&moderator), RESTORE, json!({ "t": tip_id })).await;
        assert_eq!(
            restored["data"]["restoreTip"]["tip"]["hidden"], false,
            "{restored}"
        );
        // Restoring a visible tip changes nothing and records nothing.
        run(&app, Some(&moderator), RESTORE, json!({ "t": tip_id })).await;

        let (_, trail) = run(&app, Some(&admin), TRAIL, json!({ "id": tip_id })).await;
        let log = &trail["data"]["auditLog"];
        assert_eq!(log["totalCount"], 2, "{label}: {trail}");
        let entries = log["nodes"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{label}: {trail}");
        for (entry, (action, hidden)) in entries.iter().zip([("RESTORE", false), ("HIDE", true)]) {
            assert_eq!(entry["action"], action, "{label}: {trail}");
            assert_eq!(entry["actor"], "Modération Ville");
            assert_eq!(entry["itemKind"], "TIP");
            assert_eq!(entry["itemId"], tip_id.as_str());
            assert_eq!(entry["organization"]["slug"], "ville-de-toulouse");
            assert_eq!(
                entry["changes"],
                json!({ "hidden": { "from": !hidden, "to": hidden } })
            );
        }
        // Administrators read them in the whole trail too; the city's editors read them,
        // the metropolitan authority's do not.
        let (_, everything) = run(&app, Some(&admin), TRAIL, json!({})).await;
        let newest: Vec<(&str, &str)> = everything["data"]["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .map(|e| (e["action"].as_str().unwrap(), e["itemId"].as_str().unwrap()))
            .collect();
        assert_eq!(
            newest,
            [("RESTORE", tip_id.as_str()), ("HIDE", tip_id.as_str())],
            "{label}: {everything}"
        );
        let (_, colleague) = run(&app, Some(&moderator), TRAIL, json!({ "id": tip_id })).await;
        assert_eq!(
            colleague["data"]["auditLog"]["totalCount"], 2,
            "{colleague}"
        );
        let (_, other) = run(&app, Some(&metropole), TRAIL, json!({ "id": tip_id })).await;
        assert_eq!(other["data"]["auditLog"]["totalCount"], 0, "{other}");
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn votes_make_a_rating_once_enough_people_voted() {
    for app in apps().await {
        let slug = any_place_slug(&app, 3).await;
        let (place, _) = place_id(&app, &slug).await;
        let rate = "mutation($p: ID!, $v: Vote) { ratePlace(placeId: $p, vote: $v) { place { id stats { likeCount dislikeCount rating } } } }";
        let mut last = Value::Null;
        for i in 0..6 {
            let (token, _) = register(&app, &format!("v{i}@example.org")).await;
            let vote = if i < 5 { "LIKE" } else { "DISLIKE" };
            last = run(&app, Some(&token), rate, json!({ "p": place, "v": vote }))
                .await
                .1;
            if i == 3 {
                assert!(
                    last["data"]["ratePlace"]["place"]["stats"]["rating"].is_null(),
                    "too few votes: {last}"
                );
            }
            if i == 5 {
                // Changing one's mind moves the counts, not adds to them.
                run(&app, Some(&token), rate, json!({ "p": place, "v": "LIKE" })).await;
                last = run(
                    &app,
                    Some(&token),
                    rate,
                    json!({ "p": place, "v": "DISLIKE" }),
                )
                .await
                .1;
            }
        }
        assert_eq!(last["data"]["ratePlace"]["place"]["id"], place.as_str());
        let figures = &last["data"]["ratePlace"]["place"]["stats"];
        assert_eq!(figures["likeCount"], 5, "{last}");
        assert_eq!(figures["dislikeCount"], 1);
        let rating = figures["rating"].as_f64().unwrap();
        assert!((3.0..9.0).contains(&rating), "{rating}");
        // The places list orders by it.
        let (_, ordered) = run(
            &app,
            None,
            "{ places(first: 1, orderBy: RATING) { nodes { slug } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            ordered["data"]["places"]["nodes"][0]["slug"],
            slug.as_str(),
            "{ordered}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn the_mayor_and_trending_places_come_from_the_history() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 4).await;
        let (place, place_uuid) = place_id(&app, &slug).await;
        let mut people = Vec::new();
        for name in ["ana", "bob", "chloe"] {
            register(&app, &format!("{name}@example.org")).await;
            let user = capitole_persistence::accounts::user_by_email(
                &app.db,
                &format!("{name}@example.org"),
            )
            .await
            .unwrap()
            .unwrap();
            people.push(user.id);
        }
        // A crafted history: Ana on 5 different days, Bob 8 times on 2 days, Chloé on 6
        // days but she hides from the mayorship, and old visits that no longer count.
        let now = chrono::Utc::now();
        let mut rows = Vec::new();
        let mut add = |user: uuid::Uuid, at: chrono::DateTime<chrono::Utc>| {
            rows.push(check_in::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                user_id: Set(user),
                place_id: Set(place_uuid),
                created_at: Set(at),
                message: Set(None),
                idempotency_key: Set(None),
            });
        };
        for d in 1..=5 {
            add(people[0], now - chrono::Duration::days(d));
        }
        for h in 0..8 {
            add(
                people[1],
                now - chrono::Duration::days(1 + h % 2) - chrono::Duration::hours(h),
            );
        }
        for d in 1..=6 {
            add(people[2], now - chrono::Duration::days(d));
        }
        for d in 70..90 {
            add(people[1], now - chrono::Duration::days(d));
        }
        check_in::Entity::insert_many(rows)
            .exec(app.db.connection())
            .await
            .unwrap();
        let share = |public, hidden| capitole_domain::community::PrivacyChoices {
            check_ins_public: public,
            hidden_from_mayor: hidden,
        };
        for person in &people {
            capitole_persistence::profiles::set_privacy(&app.db, *person, share(Some(true), None))
                .await
                .unwrap();
        }
        capitole_persistence::profiles::set_privacy(&app.db, people[2], share(None, Some(true)))
            .await
            .unwrap();
        let (_, mayor) = run(&app, None, "query($id: ID!) { node(id: $id) { ... on Place { mayor { days person { displayName } } } } }", json!({ "id": place })).await;
        assert_eq!(
            mayor["data"]["node"]["mayor"]["days"], 5,
            "{label}: {mayor}"
        );
        assert_eq!(
            mayor["data"]["node"]["mayor"]["person"]["displayName"],
            "Ana"
        );

        // Trending: check-ins in the last hours near a point, most first.
        let other_slug = any_place_slug(&app, 5).await;
        let (other, other_uuid) = place_id(&app, &other_slug).await;
        let recent = |place: uuid::Uuid, user: uuid::Uuid, minutes: i64| check_in::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            user_id: Set(user),
            place_id: Set(place),
            created_at: Set(now - chrono::Duration::minutes(minutes)),
            message: Set(None),
            idempotency_key: Set(None),
        };
        let trending_rows = vec![
            recent(other_uuid, people[0], 10),
            recent(other_uuid, people[1], 20),
            recent(other_uuid, people[2], 30),
            recent(place_uuid, people[0], 40),
            recent(place_uuid, people[1], 60 * 5),
        ];
        check_in::Entity::insert_many(trending_rows)
            .exec(app.db.connection())
            .await
            .unwrap();
        let (_, trending) = run(&app, None, "{ trendingPlaces(near: { latitude: 43.6045, longitude: 1.444, radiusMeters: 50000 }) { edges { recentCheckIns node { id } } } }", json!({})).await;
        let list = trending["data"]["trendingPlaces"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{trending}"));
        assert!(list.len() >= 2, "{label}: {trending}");
        assert_eq!(list[0]["node"]["id"], other.as_str());
        assert_eq!(list[0]["recentCheckIns"], 3);
        assert_eq!(list[1]["node"]["id"], place.as_str());
        assert_eq!(
            list[1]["recentCheckIns"], 1,
            "the 5-hour-old visit is not trending"
        );
        app.test_db.remove().await;
    }
}

/// Signs up a resident under their own name; returns their access token and id.
async fn resident(app: &TestApp, name: &str) -> (String, uuid::Uuid) {
    let email = format!("{}@example.org", name.to_lowercase());
    let (token, _) = super::accounts::register_as(app, &email, name).await;
    let user = capitole_persistence::accounts::user_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    (token, user.id)
}

#[tokio::test]
async fn only_people_who_share_their_check_ins_can_be_mayor() {
    const MAYOR: &str = "query($id: ID!) { node(id: $id) { ... on Place { mayor { days person { displayName } } } } }";
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 3).await;
        let (place, place_uuid) = place_id(&app, &slug).await;
        // Dora came on 6 days and keeps her check-ins private (the default); Élie came on
        // 4 days and shares them; Fanny came on 5 days, shares them, but hides from
        // mayorships.
        let (dora, dora_id) = resident(&app, "Dora").await;
        let (elie, elie_id) = resident(&app, "Élie").await;
        let (fanny, fanny_id) = resident(&app, "Fanny").await;
        let now = chrono::Utc::now();
        let mut rows = Vec::new();
        for (person, days) in [(dora_id, 6), (elie_id, 4), (fanny_id, 5)] {
            for d in 1..=days {
                rows.push(check_in::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    user_id: Set(person),
                    place_id: Set(place_uuid),
                    created_at: Set(now - chrono::Duration::days(d)),
                    message: Set(None),
                    idempotency_key: Set(None),
                });
            }
        }
        check_in::Entity::insert_many(rows)
            .exec(app.db.connection())
            .await
            .unwrap();
        let privacy = "mutation($public: Boolean, $hidden: Boolean) { updatePrivacy(checkInsPublic: $public, hiddenFromMayor: $hidden) { viewer { checkInsPublic hiddenFromMayor } } }";
        for (token, public, hidden) in [(&elie, true, false), (&fanny, true, true)] {
            let (_, set) = run(
                &app,
                Some(token),
                privacy,
                json!({ "public": public, "hidden": hidden }),
            )
            .await;
            let viewer = &set["data"]["updatePrivacy"]["viewer"];
            assert_eq!(viewer["checkInsPublic"], public, "{label}: {set}");
            assert_eq!(viewer["hiddenFromMayor"], hidden, "{label}: {set}");
        }
        // A choice left out stays as it was.
        let (_, kept) = run(
            &app,
            Some(&fanny),
            privacy,
            json!({ "public": null, "hidden": null }),
        )
        .await;
        assert_eq!(
            kept["data"]["updatePrivacy"]["viewer"],
            json!({ "checkInsPublic": true, "hiddenFromMayor": true }),
            "{label}: {kept}"
        );

        let (_, before) = run(&app, None, MAYOR, json!({ "id": place })).await;
        assert_eq!(
            before["data"]["node"]["mayor"],
            json!({ "days": 4, "person": { "displayName": "Élie" } }),
            "{label}: private check-ins make no mayor"
        );

        run(&app, Some(&dora), privacy, json!({ "public": true })).await;
        let (_, shared) = run(&app, None, MAYOR, json!({ "id": place })).await;
        assert_eq!(
            shared["data"]["node"]["mayor"],
            json!({ "days": 6, "person": { "displayName": "Dora" } }),
            "{label}: once she shares them, her days count"
        );

        // Whoever asks, the same answer: her own session sees no more than the public.
        run(&app, Some(&dora), privacy, json!({ "public": false })).await;
        let (_, own) = run(&app, Some(&dora), MAYOR, json!({ "id": place })).await;
        assert_eq!(
            own["data"]["node"]["mayor"]["person"]["displayName"], "Élie",
            "{label}: {own}"
        );
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn saves_and_going_belong_to_the_viewer() {
    for app in apps().await {
        let (ana, _) = register(&app, "ana@example.org").await;
        let slug = any_place_slug(&app, 0).await;
        let (place, _) = place_id(&app, &slug).await;
        let (_, events) = run(
            &app,
            None,
            "{ events(first: 1) { nodes { id nextOccurrence { id } } } }",
            json!({}),
        )
        .await;
        let event = events["data"]["events"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let date = events["data"]["events"]["nodes"][0]["nextOccurrence"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for id in [&place, &event] {
            let (_, saved) = run(
                &app,
                Some(&ana),
                "mutation($id: ID!) { setSaved(id: $id) { saved item { id } } }",
                json!({ "id": id }),
            )
            .await;
            assert_eq!(saved["data"]["setSaved"]["saved"], true, "{saved}");
            assert_eq!(saved["data"]["setSaved"]["item"]["id"], id.as_str());
        }
        // Only places, events and articles are saved; the refusal stores nothing.
        let (_, refused) = run(
            &app,
            Some(&ana),
            "mutation($id: ID!) { setSaved(id: $id) { saved } }",
            json!({ "id": date }),
        )
        .await;
        assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
        assert!(refused["data"].is_null(), "{refused}");
        let (_, going) = run(
            &app,
            Some(&ana),
            "mutation($id: ID!) { setGoing(occurrenceId: $id) { going occurrence { id attendeeCount } } }",
            json!({ "id": date }),
        )
        .await;
        assert_eq!(going["data"]["setGoing"]["going"], true, "{going}");
        assert_eq!(
            going["data"]["setGoing"]["occurrence"],
            json!({ "id": date, "attendeeCount": 1 }),
            "{going}"
        );
        let (_, viewer) = run(&app, Some(&ana), "{ viewer { saved { nodes { ... on Place { slug } ... on Event { id } } } going { nodes { id attendeeCount } } } }", json!({})).await;
        assert_eq!(
            viewer["data"]["viewer"]["saved"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(2),
            "{viewer}"
        );
        assert_eq!(
            viewer["data"]["viewer"]["going"]["nodes"][0]["attendeeCount"],
            1
        );
        let (status, anonymous) = run(
            &app,
            None,
            "mutation($id: ID!) { setSaved(id: $id) { saved } }",
            json!({ "id": place }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(code(&anonymous), "UNAUTHENTICATED");
        // The export carries it; erasure removes it and leaves the figures consistent.
        run(&app, Some(&ana), CHECK_IN, json!({ "p": place })).await;
        let (_, export) = run(&app, Some(&ana), "{ exportMyData }", json!({})).await;
        let community = &export["data"]["exportMyData"]["community"];
        assert_eq!(
            community["checkIns"].as_array().map(Vec::len),
            Some(1),
            "{export}"
        );
        assert_eq!(community["saved"].as_array().map(Vec::len), Some(2));
        let (_, erased) = run(
            &app,
            Some(&ana),
            "mutation($p: String!) { deleteMyAccount(password: $p) { deletedId } }",
            json!({ "p": super::accounts::PASSWORD }),
        )
        .await;
        assert!(
            erased["data"]["deleteMyAccount"]["deletedId"].is_string(),
            "{erased}"
        );
        let figures = stats(&app, &place).await;
        assert_eq!(figures["checkInCount"], 0, "{figures}");
        assert_eq!(figures["visitorCount"], 0);
        app.test_db.remove().await;
    }
}

#[tokio::test]
async fn check_ins_show_to_others_only_when_their_author_shares_them() {
    for app in apps().await {
        let slug = any_place_slug(&app, 0).await;
        let (place, _) = place_id(&app, &slug).await;
        let (ana, _) = register(&app, "ana@example.org").await;
        let (bob, _) = register(&app, "bob@example.org").await;
        run(&app, Some(&ana), CHECK_IN, json!({ "p": place })).await;
        let add = "mutation($p: ID!) { addTip(placeId: $p, text: \"Bon plan\") { tip { id } } }";
        run(&app, Some(&ana), add, json!({ "p": place })).await;
        let seen = "query($s: String!) { place(slug: $s) { tips { nodes { author { displayName checkIns { nodes { place { slug } } } } } } } }";
        let (_, private) = run(&app, Some(&bob), seen, json!({ "s": slug })).await;
        let author = &private["data"]["place"]["tips"]["nodes"][0]["author"];
        assert_eq!(author["displayName"], "Ana", "{private}");
        assert!(
            author["checkIns"].is_null(),
            "private by default: {private}"
        );
        let (_, own) = run(&app, Some(&ana), seen, json!({ "s": slug })).await;
        assert_eq!(
            own["data"]["place"]["tips"]["nodes"][0]["author"]["checkIns"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        run(
            &app,
            Some(&ana),
            "mutation { updatePrivacy(checkInsPublic: true) { viewer { checkInsPublic } } }",
            json!({}),
        )
        .await;
        let (_, shared) = run(&app, Some(&bob), seen, json!({ "s": slug })).await;
        assert_eq!(
            shared["data"]["place"]["tips"]["nodes"][0]["author"]["checkIns"]["nodes"][0]["place"]
                ["slug"],
            slug.as_str(),
            "{shared}"
        );
        // Pages of 1 to 100, as every list: a larger page is refused with the range, not cut
        // short; a page past the first batch is read on its own.
        let (_, too_many) = run(&app, Some(&bob), "query($s: String!) { place(slug: $s) { tips { nodes { author { checkIns(first: 101) { nodes { id } } } } } } }", json!({ "s": slug })).await;
        assert_eq!(code(&too_many), "BAD_USER_INPUT", "{too_many}");
        assert_eq!(
            too_many["errors"][0]["message"],
            "`first` must be between 1 and 100, got 101"
        );
        let (_, larger) = run(&app, Some(&bob), "query($s: String!) { place(slug: $s) { tips { nodes { author { checkIns(first: 21) { totalCount nodes { place { slug } } } } } } } }", json!({ "s": slug })).await;
        let checked_in = &larger["data"]["place"]["tips"]["nodes"][0]["author"]["checkIns"];
        assert_eq!(checked_in["totalCount"], 1, "{larger}");
        assert_eq!(checked_in["nodes"][0]["place"]["slug"], slug.as_str());
        // However many authors a place's tips have, their check-ins cost the same
        // statements: profiles and check-ins are read for all authors at once.
        let statements = || async {
            let before = app.db.statement_count();
            let (_, body) = run(&app, None, seen, json!({ "s": slug })).await;
            (app.db.statement_count() - before, body)
        };
        let (one_author, _) = statements().await;
        for i in 0..5 {
            let (token, _) = register(&app, &format!("author{i}@example.org")).await;
            run(&app, Some(&token), CHECK_IN, json!({ "p": place })).await;
            run(&app, Some(&token), add, json!({ "p": place })).await;
            run(
                &app,
                Some(&token),
                "mutation { updatePrivacy(checkInsPublic: true) { viewer { checkInsPublic } } }",
                json!({}),
            )
            .await;
        }
        let (six_authors, body) = statements().await;
        let authors = body["data"]["place"]["tips"]["nodes"].as_array().unwrap();
        assert_eq!(authors.len(), 6, "{body}");
        assert!(
            authors
                .iter()
                .all(|t| t["author"]["checkIns"]["nodes"].as_array().map(Vec::len) == Some(1)),
            "{body}"
        );
        assert_eq!(six_authors, one_author, "{}", app.test_db.label);
        app.test_db.remove().await;
    }
}

/// The schema's descriptions are written out by hand; they state the rules' figures as
/// the domain defines them, so that a changed figure cannot leave its description behind.
#[test]
fn the_schema_states_the_rules_figures_as_the_domain_defines_them() {
    use capitole_domain::community::{
        CHECK_IN_COOLDOWN, CHECK_IN_MESSAGE_MAX, CHECK_INS_A_DAY, HERE_NOW_WINDOW, MAYOR_WINDOW,
        RATING_MIN_VOTES, REPORT_REASON_MAX, REPORTS_A_DAY, TIP_MAX, TIP_MIN, TIPS_A_DAY,
        TRENDING_WINDOW, in_words,
    };
    let sdl = capitole_api::build_schema()
        .sdl()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let stated = [
        format!("with an optional short message (up to {CHECK_IN_MESSAGE_MAX} characters)"),
        format!(
            "At most once per place every {}, and {} times a day",
            in_words(CHECK_IN_COOLDOWN),
            CHECK_INS_A_DAY.per_day
        ),
        format!(
            "Leaves a tip on a place ({TIP_MIN} to {TIP_MAX} characters; {} a day)",
            TIPS_A_DAY.per_day
        ),
        format!(
            "(once per person, {} reports a day), with an optional reason (up to {REPORT_REASON_MAX} characters)",
            REPORTS_A_DAY.per_day
        ),
        format!("(null until {RATING_MIN_VOTES} people voted)"),
        format!(
            "Different people who checked in during the last {}",
            in_words(HERE_NOW_WINDOW)
        ),
        format!(
            "with the most check-ins in the last {}",
            in_words(TRENDING_WINDOW)
        ),
        format!("Check-ins in the last {}", in_words(TRENDING_WINDOW)),
        format!(
            "who checked in there on the most days in the last {},",
            MAYOR_WINDOW.num_days()
        ),
        format!(
            "On how many days of the last {} they checked in",
            MAYOR_WINDOW.num_days()
        ),
    ];
    for phrase in stated {
        assert!(
            sdl.contains(&phrase),
            "the schema no longer says {phrase:?}: write the rule's figure into its description"
        );
    }
}

/// A check-in is the service's hottest write: beyond the caller's authentication, one
/// statement on PostgreSQL (the function that applies the rules and writes), and on SQLite
/// the rules' read, the row and the counters in one transaction. The change log costs it
/// nothing: check-ins reach the log at the fold.
#[tokio::test]
async fn a_check_in_costs_one_statement_on_postgresql() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 0).await;
        let (place, _) = place_id(&app, &slug).await;
        let (ana, _) = register(&app, "ana@example.org").await;
        let statements = |query: &'static str, variables: Value| {
            let (app, ana) = (&app, &ana);
            async move {
                let before = app.db.statement_count();
                let (_, body) = run(app, Some(ana), query, variables).await;
                assert!(body.get("errors").is_none(), "{body}");
                app.db.statement_count() - before
            }
        };
        let authentication = statements("{ __typename }", json!({})).await;
        let check_in = statements(CHECK_IN, json!({ "p": place, "k": "k-1" })).await;
        let expected = match app.db.backend() {
            capitole_persistence::Backend::Postgres => 1,
            capitole_persistence::Backend::Sqlite => 3,
        };
        assert_eq!(check_in - authentication, expected, "{label}");
        app.test_db.remove().await;
    }
}

/// How many rows the residents' reactions left: votes, saves, dates going to and reports.
async fn reaction_rows(app: &TestApp) -> [u64; 4] {
    use capitole_persistence::entities::{attendance, place_vote, save, tip_report};
    let db = app.db.connection();
    [
        place_vote::Entity::find().count(db).await.unwrap(),
        save::Entity::find().count(db).await.unwrap(),
        attendance::Entity::find().count(db).await.unwrap(),
        tip_report::Entity::find().count(db).await.unwrap(),
    ]
}

#[tokio::test]
async fn refused_reactions_answer_an_error_code_and_store_nothing() {
    for app in apps().await {
        let label = &app.test_db.label;
        let slug = any_place_slug(&app, 1).await;
        let (place, _) = place_id(&app, &slug).await;
        let (ana, _) = register(&app, "ana@example.org").await;
        let (_, tip) = run(
            &app,
            Some(&ana),
            "mutation($p: ID!) { addTip(placeId: $p, text: \"Terrasse au soleil\") { tip { id } } }",
            json!({ "p": place }),
        )
        .await;
        let tip_id = tip["data"]["addTip"]["tip"]["id"].clone();
        let before = reaction_rows(&app).await;
        let privacy = "{ viewer { checkInsPublic hiddenFromMayor } }";
        let choices = run(&app, Some(&ana), privacy, json!({})).await.1["data"].clone();
        // A place id where a tip's is expected, and the other way round.
        let wrong_kind = [
            (
                "mutation($id: ID!) { ratePlace(placeId: $id, vote: LIKE) { place { id } } }",
                tip_id.clone(),
            ),
            (
                "mutation($id: ID!) { setGoing(occurrenceId: $id) { going } }",
                json!(place),
            ),
            (
                "mutation($id: ID!) { reportTip(tipId: $id) { tip { id } } }",
                json!(place),
            ),
            (
                "mutation($id: ID!) { setSaved(id: $id) { saved } }",
                tip_id.clone(),
            ),
        ];
        for (text, id) in &wrong_kind {
            let (status, body) = run(&app, Some(&ana), text, json!({ "id": id })).await;
            assert_eq!(status, StatusCode::OK, "{label}: {body}");
            assert_eq!(code(&body), "BAD_USER_INPUT", "{label} {text}: {body}");
            assert!(body["data"].is_null(), "{label}: {body}");
            // Anonymous callers are refused before anything else.
            let (_, body) = run(&app, None, text, json!({ "id": id })).await;
            assert!(
                ["UNAUTHENTICATED", "BAD_USER_INPUT"].contains(&code(&body)),
                "{label} {text}: {body}"
            );
        }
        for text in [
            "mutation($id: ID!) { ratePlace(placeId: $id, vote: LIKE) { place { id } } }",
            "mutation($id: ID!) { setSaved(id: $id) { saved } }",
        ] {
            let (_, body) = run(&app, None, text, json!({ "id": place })).await;
            assert_eq!(code(&body), "UNAUTHENTICATED", "{label} {text}: {body}");
            assert!(body["data"].is_null(), "{label}: {body}");
        }
        let (_, body) = run(
            &app,
            None,
            "mutation { updatePrivacy(checkInsPublic: true) { viewer { checkInsPublic } } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{label}: {body}");
        // A reason over 300 characters: refused with the field named.
        let (_, body) = run(
            &app,
            Some(&ana),
            "mutation($id: ID!, $r: String) { reportTip(tipId: $id, reason: $r) { tip { id } } }",
            json!({ "id": tip_id, "r": "x".repeat(301) }),
        )
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{label}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["fields"][0]["field"],
            "reason"
        );
        assert_eq!(reaction_rows(&app).await, before, "{label}");
        assert_eq!(
            run(&app, Some(&ana), privacy, json!({})).await.1["data"],
            choices,
            "{label}"
        );
        app.test_db.remove().await;
    }
}
