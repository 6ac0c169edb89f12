//! Storage behaviour every screen relies on, run on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use capitole_domain::geo::{Coordinates, RadiusMeters};
use capitole_domain::place::PlaceOrder;
use capitole_domain::search::SearchQuery;
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::entities::{article, event_occurrence, place};
use capitole_persistence::events::{self, AgendaColumns, EventFilter};
use capitole_persistence::places::{self, PlaceFilter};
use capitole_persistence::testing::{TestDatabase, databases};
use capitole_persistence::{Columns, Database, PageRequest, seed};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

#[path = "persistence/agenda_changes.rs"]
mod agenda_changes;
#[path = "persistence/agenda_orders.rs"]
mod agenda_orders;
#[path = "persistence/article_writes.rs"]
mod article_writes;
#[path = "persistence/changes.rs"]
mod changes;
#[path = "persistence/community.rs"]
mod community;
#[path = "persistence/privacy.rs"]
mod privacy;
#[path = "persistence/publishers.rs"]
mod publishers;
#[path = "persistence/slow_statements.rs"]
mod slow_statements;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

async fn demo_databases() -> Vec<(TestDatabase, DateTime<Utc>)> {
    let mut out = Vec::new();
    for test_db in databases().await {
        let now = now();
        seed::demo(&test_db.db, now, PARIS)
            .await
            .expect("seed demo");
        out.push((test_db, now));
    }
    out
}

async fn counts(db: &Database) -> (u64, u64, u64, u64) {
    let c = db.connection();
    (
        place::Entity::find().count(c).await.unwrap(),
        capitole_persistence::entities::event::Entity::find()
            .count(c)
            .await
            .unwrap(),
        event_occurrence::Entity::find().count(c).await.unwrap(),
        article::Entity::find().count(c).await.unwrap(),
    )
}

#[tokio::test]
async fn seeding_the_demo_twice_changes_nothing() {
    for (test_db, now) in demo_databases().await {
        let before = counts(&test_db.db).await;
        assert!(
            before.0 >= 40 && before.1 >= 30 && before.3 >= 20,
            "{}: {before:?}",
            test_db.label
        );
        let report = seed::demo(&test_db.db, now + Duration::days(3), PARIS)
            .await
            .unwrap();
        assert!(report.already_present, "{}", test_db.label);
        assert_eq!(counts(&test_db.db).await, before, "{}", test_db.label);
        test_db.remove().await;
    }
}

fn capitole() -> Coordinates {
    Coordinates::parse(43.6045, 1.4440).unwrap()
}

async fn all_pages(
    db: &Database,
    filter: &PlaceFilter,
    order: PlaceOrder,
    size: usize,
) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = places::list(
            db,
            filter,
            order,
            &PageRequest::after(size, after.clone()),
            Columns::named(&["slug"]),
        )
        .await
        .unwrap();
        out.extend(
            page.rows
                .iter()
                .map(|(row, _)| (row.place.slug.clone(), row.distance_meters)),
        );
        if !page.has_next_page {
            return out;
        }
        after = page.rows.last().map(|(_, cursor)| cursor.clone());
    }
}

#[tokio::test]
async fn nearest_places_are_exact_ordered_and_paged_alike_on_every_engine() {
    let mut results = Vec::new();
    for (test_db, _) in demo_databases().await {
        let db = &test_db.db;
        let radius = RadiusMeters::parse(1_500).unwrap();
        let filter = PlaceFilter {
            near: Some((capitole(), radius)),
            ..Default::default()
        };
        let paged = all_pages(db, &filter, PlaceOrder::Distance, 3).await;
        let whole = all_pages(db, &filter, PlaceOrder::Distance, 100).await;
        assert_eq!(
            paged, whole,
            "{}: pages join up without gaps or repeats",
            test_db.label
        );
        assert!(
            whole.len() >= 10,
            "{}: {} places",
            test_db.label,
            whole.len()
        );

        // Every place within the radius is there, measured exactly, nearest first.
        let all = place::Entity::find().all(db.connection()).await.unwrap();
        let mut expected: Vec<(String, f64)> = all
            .iter()
            .map(|p| {
                (
                    p.slug.clone(),
                    capitole()
                        .distance_meters(Coordinates::parse(p.latitude, p.longitude).unwrap()),
                )
            })
            .filter(|(_, d)| *d <= 1_500.0)
            .collect();
        expected.sort_by(|a, b| a.1.total_cmp(&b.1));
        let got: Vec<(String, f64)> = whole.iter().map(|(s, d)| (s.clone(), d.unwrap())).collect();
        assert_eq!(got.len(), expected.len(), "{}", test_db.label);
        for ((slug, d), (expected_slug, expected_d)) in got.iter().zip(&expected) {
            assert_eq!(slug, expected_slug, "{}", test_db.label);
            assert!(
                (d - expected_d).abs() < 0.01,
                "{}: {d} vs {expected_d}",
                test_db.label
            );
        }
        assert_eq!(
            places::count(db, &filter).await.unwrap(),
            expected.len() as u64
        );
        results.push(whole);
        test_db.remove().await;
    }
    if let [sqlite, postgres] = results.as_slice() {
        let slugs =
            |r: &Vec<(String, Option<f64>)>| r.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>();
        assert_eq!(
            slugs(sqlite),
            slugs(postgres),
            "both engines return the same places in the same order"
        );
    }
}

#[tokio::test]
async fn a_distance_order_without_a_point_and_a_foreign_cursor_are_refused() {
    for (test_db, _) in demo_databases().await {
        let db = &test_db.db;
        let error = places::list(
            db,
            &PlaceFilter::default(),
            PlaceOrder::Distance,
            &PageRequest::first(5),
            Columns::ALL,
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("near"), "{error}");
        assert!(
            places::list(
                db,
                &PlaceFilter::default(),
                PlaceOrder::Name,
                &PageRequest::after(5, Some("garbage".into())),
                Columns::ALL,
            )
            .await
            .is_err()
        );
        let page = places::list(
            db,
            &PlaceFilter::default(),
            PlaceOrder::Popularity,
            &PageRequest::first(5),
            Columns::ALL,
        )
        .await
        .unwrap();
        let popularity_cursor = page.rows[0].1.clone();
        assert!(
            places::list(
                db,
                &PlaceFilter::default(),
                PlaceOrder::Name,
                &PageRequest::after(5, Some(popularity_cursor.clone())),
                Columns::ALL,
            )
            .await
            .is_err()
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn name_search_ignores_accents_and_case() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let filter = PlaceFilter {
            search: SearchQuery::parse("MUSEE"),
            ..Default::default()
        };
        let found = all_pages(db, &filter, PlaceOrder::Name, 50).await;
        assert!(
            found.iter().any(|(slug, _)| slug.contains("musee")),
            "{}: {found:?}",
            test_db.label
        );

        let events_filter = EventFilter {
            search: SearchQuery::parse("marche noel"),
            ..EventFilter::from(now - Duration::days(30))
        };
        let page = events::list(
            db,
            &events_filter,
            &PageRequest::first(20),
            AgendaColumns::ALL,
        )
        .await
        .unwrap();
        assert!(
            page.rows
                .iter()
                .any(|(row, _)| row.event.title.contains("Marché de Noël")),
            "{}: 'marche noel' finds 'Marché de Noël'",
            test_db.label
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_agenda_lists_each_event_once_at_its_first_date_and_skips_cancelled_dates() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let filter = EventFilter::from(now);
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = events::list(
                db,
                &filter,
                &PageRequest::after(4, after.clone()),
                AgendaColumns::ALL,
            )
            .await
            .unwrap();
            for (row, _) in &page.rows {
                assert!(row.occurrence.starts_at >= now);
                assert_ne!(row.occurrence.status, "CANCELLED");
                seen.push((row.occurrence.starts_at, row.event.id));
            }
            if !page.has_next_page {
                break;
            }
            after = page.rows.last().map(|(_, c)| c.clone());
        }
        let mut ids: Vec<_> = seen.iter().map(|(_, id)| *id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), seen.len(), "{}: each event once", test_db.label);
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "{}: soonest first",
            test_db.label
        );
        assert_eq!(events::count(db, &filter).await.unwrap(), seen.len() as u64);

        // Each listed date is the event's first date from now on that is not cancelled.
        let next = events::next_occurrences(db, &ids, now).await.unwrap();
        for (starts_at, id) in &seen {
            assert_eq!(next[id].starts_at, *starts_at, "{}", test_db.label);
        }
        test_db.remove().await;
    }
}

#[tokio::test]
async fn a_weekly_market_keeps_its_local_time_and_one_date_is_cancelled() {
    for (test_db, _) in demo_databases().await {
        let db = &test_db.db;
        let market = events::by_slug(db, "marche-plein-vent-saint-aubin")
            .await
            .unwrap();
        let Some(market) = market else {
            // The demo names its Sunday market this way; a renamed market must keep a rule.
            panic!(
                "{}: the demo has the Saint-Aubin Sunday market",
                test_db.label
            );
        };
        assert!(market.recurrence_rule.is_some());
        let pages = events::occurrences_of(
            db,
            &[market.id],
            events::OccurrenceWindow {
                from: None,
                to: None,
            },
            &PageRequest::first(100),
        )
        .await
        .unwrap();
        let dates: Vec<_> = pages[&market.id]
            .rows
            .iter()
            .map(|(o, _)| o.clone())
            .collect();
        assert!(dates.len() >= 5, "{}", test_db.label);
        let local_times: Vec<_> = dates
            .iter()
            .map(|o| o.starts_at.with_timezone(&PARIS).time())
            .collect();
        assert!(
            local_times.windows(2).all(|w| w[0] == w[1]),
            "{}: same local time every week",
            test_db.label
        );
        assert_eq!(
            dates.iter().filter(|o| o.status == "CANCELLED").count(),
            1,
            "{}",
            test_db.label
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn drafts_and_scheduled_articles_never_reach_the_public() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let visibility = ArticleVisibility::Public { now };
        let hidden: Vec<article::Model> = article::Entity::find()
            .all(db.connection())
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.status == "DRAFT" || a.status == "SCHEDULED")
            .collect();
        assert!(
            hidden.len() >= 2,
            "{}: the demo has drafts and scheduled articles",
            test_db.label
        );
        let filter = NewsFilter {
            include_archived: true,
            ..Default::default()
        };
        let page = articles::list(
            db,
            &visibility,
            &filter,
            &PageRequest::first(100),
            Columns::ALL,
        )
        .await
        .unwrap();
        for a in &hidden {
            assert!(
                page.rows.iter().all(|(row, _)| row.id != a.id),
                "{}: {} listed",
                test_db.label,
                a.slug
            );
            assert!(
                articles::by_slug(db, &visibility, &a.slug)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        let ids: Vec<_> = hidden.iter().map(|a| a.id).collect();
        assert!(
            articles::by_ids(db, &visibility, &ids)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            page.rows
                .iter()
                .all(|(row, _)| row.published_at.unwrap() <= now)
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn news_pages_run_latest_first_without_gaps() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let visibility = ArticleVisibility::Public { now };
        let filter = NewsFilter::default();
        let whole = articles::list(
            db,
            &visibility,
            &filter,
            &PageRequest::first(100),
            Columns::ALL,
        )
        .await
        .unwrap();
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = articles::list(
                db,
                &visibility,
                &filter,
                &PageRequest::after(7, after.clone()),
                // A page that shows titles only pages as one that reads every column.
                Columns::named(&["title"]),
            )
            .await
            .unwrap();
            paged.extend(page.rows.iter().map(|(a, _)| a.id));
            if !page.has_next_page {
                break;
            }
            after = page.rows.last().map(|(_, c)| c.clone());
        }
        let whole_ids: Vec<_> = whole.rows.iter().map(|(a, _)| a.id).collect();
        assert_eq!(paged, whole_ids, "{}", test_db.label);
        let dates: Vec<_> = whole
            .rows
            .iter()
            .map(|(a, _)| a.published_at.unwrap())
            .collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]));
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_city_time_window_today_holds_the_events_starting_today() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let (start, end) = capitole_domain::windows::TimeWindow::Today.range(now, PARIS);
        let filter = EventFilter {
            starts_before: Some(end),
            ..EventFilter::from(start)
        };
        let page = events::list(db, &filter, &PageRequest::first(100), AgendaColumns::ALL)
            .await
            .unwrap();
        for (row, _) in &page.rows {
            assert!(row.occurrence.starts_at >= start && row.occurrence.starts_at < end);
        }
        test_db.remove().await;
    }
}

#[tokio::test]
async fn places_at_the_very_same_spot_are_all_paged_through_once() {
    use capitole_persistence::sea_orm::{ActiveModelTrait, IntoActiveModel};
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let mut slugs = Vec::new();
        for n in 0..7 {
            let slug = format!("kiosque-{n}");
            let row = place::Model {
                id: capitole_domain::ids::new_id(),
                slug: slug.clone(),
                name: format!("Kiosque {n}"),
                name_folded: format!("kiosque {n}"),
                description: String::new(),
                latitude: 43.6050,
                longitude: 1.4450,
                address: String::new(),
                postal_code: String::new(),
                city: String::new(),
                neighborhood_id: None,
                phone: None,
                email: None,
                website: None,
                opening_hours: "{}".into(),
                accessibility: "|".into(),
                popularity: 0,
                rating: None,
                created_at: now,
                updated_at: now,
                version: 1,
                source: None,
                external_id: None,
                closure: "OPEN".into(),
                closed_until: None,
                easy_read_summary: None,
                accessibility_features: "|".into(),
                pictures: "[]".into(),
                media: "[]".into(),
            };
            row.into_active_model()
                .insert(db.connection())
                .await
                .unwrap();
            slugs.push(slug);
        }
        let near = Coordinates::parse(43.6050, 1.4450).unwrap();
        let filter = PlaceFilter {
            near: Some((near, RadiusMeters::parse(300).unwrap())),
            ..Default::default()
        };
        for size in [1, 2, 3] {
            let paged = all_pages(db, &filter, PlaceOrder::Distance, size).await;
            let first_seven: Vec<String> = paged.iter().take(7).map(|(s, _)| s.clone()).collect();
            let mut sorted = first_seven.clone();
            sorted.sort();
            assert_eq!(
                sorted, slugs,
                "{} page size {size}: {first_seven:?}",
                test_db.label
            );
            let mut all: Vec<_> = paged.iter().map(|(s, _)| s.clone()).collect();
            let total = all.len();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), total, "{}: no place twice", test_db.label);
        }
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_synthetic_city() {
    use capitole_persistence::seed::{SyntheticSize, synthetic_sized};
    let size = SyntheticSize {
        places: 300,
        events: 120,
        articles: 40,
        community: capitole_persistence::seed::CommunitySize {
            users: 50,
            tips: 200,
            check_ins: 1_000,
        },
    };
    let now = now();
    let mut cities = Vec::new();
    for seed_value in [7, 7, 8] {
        let test_db = capitole_persistence::testing::sqlite().await;
        let report = synthetic_sized(&test_db.db, size, seed_value, now, PARIS)
            .await
            .unwrap();
        assert_eq!(
            (report.places, report.events, report.articles),
            (300, 120, 40)
        );
        let mut places: Vec<_> = place::Entity::find()
            .all(test_db.db.connection())
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.slug.starts_with("synthetic-"))
            .map(|p| {
                (
                    p.id,
                    p.slug,
                    p.latitude.to_bits(),
                    p.longitude.to_bits(),
                    p.popularity,
                )
            })
            .collect();
        places.sort();
        let mut dates: Vec<_> = event_occurrence::Entity::find()
            .all(test_db.db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.id, o.event_id, o.starts_at))
            .collect();
        dates.sort();
        assert!(
            synthetic_sized(&test_db.db, size, seed_value, now, PARIS)
                .await
                .unwrap()
                .already_present
        );
        cities.push((places, dates));
        test_db.remove().await;
    }
    assert!(
        cities[0] == cities[1],
        "the same seed gives the same places and dates"
    );
    assert!(
        cities[0].0 != cities[2].0,
        "another seed gives another city"
    );
}

#[tokio::test]
async fn the_agenda_near_a_point_holds_exactly_the_events_at_places_inside_the_circle() {
    for (test_db, now) in demo_databases().await {
        let db = &test_db.db;
        let radius = RadiusMeters::parse(800).unwrap();
        let all = events::list(
            db,
            &EventFilter::from(now),
            &PageRequest::first(100),
            AgendaColumns::ALL,
        )
        .await
        .unwrap();
        let places: std::collections::HashMap<_, _> = place::Entity::find()
            .all(db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut expected: Vec<_> = all
            .rows
            .iter()
            .filter(|(row, _)| {
                row.event
                    .place_id
                    .and_then(|id| places.get(&id))
                    .is_some_and(|p| {
                        capitole()
                            .distance_meters(Coordinates::parse(p.latitude, p.longitude).unwrap())
                            <= 800.0
                    })
            })
            .map(|(row, _)| row.event.id)
            .collect();
        let filter = EventFilter {
            near: Some((capitole(), radius)),
            ..EventFilter::from(now)
        };
        let near = events::list(db, &filter, &PageRequest::first(100), AgendaColumns::ALL)
            .await
            .unwrap();
        let mut got: Vec<_> = near.rows.iter().map(|(row, _)| row.event.id).collect();
        expected.sort();
        got.sort();
        assert!(
            !expected.is_empty() && expected.len() < all.rows.len(),
            "{}",
            test_db.label
        );
        assert_eq!(got, expected, "{}", test_db.label);
        assert_eq!(
            events::count(db, &filter).await.unwrap(),
            expected.len() as u64
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn synthetic_residents_and_their_activity_add_up_on_both_engines() {
    use capitole_persistence::entities::{check_in, place_stat, tip, user};
    use capitole_persistence::sea_orm::PaginatorTrait;
    use capitole_persistence::seed::{CommunitySize, SyntheticSize, synthetic_sized};
    let size = SyntheticSize {
        places: 200,
        events: 20,
        articles: 10,
        community: CommunitySize {
            users: 40,
            tips: 300,
            check_ins: 2_000,
        },
    };
    for test_db in databases().await {
        let db = &test_db.db;
        let report = synthetic_sized(db, size, 3, now(), PARIS).await.unwrap();
        assert_eq!(
            (report.users, report.tips, report.check_ins),
            (40, 300, 2_000)
        );
        let conn = db.connection();
        assert_eq!(
            user::Entity::find().count(conn).await.unwrap(),
            40,
            "{}",
            test_db.label
        );
        assert_eq!(
            tip::Entity::find().count(conn).await.unwrap(),
            300,
            "{}",
            test_db.label
        );
        let check_ins = check_in::Entity::find().all(conn).await.unwrap();
        assert_eq!(check_ins.len(), 2_000, "{}", test_db.label);
        // Spread over the last 90 days, never in the future.
        let now = now();
        assert!(
            check_ins
                .iter()
                .all(|c| c.created_at <= now && c.created_at > now - chrono::Duration::days(91))
        );
        // The counters agree with the rows, and activity is skewed towards a few places.
        let stats = place_stat::Entity::find().all(conn).await.unwrap();
        assert_eq!(
            stats.iter().map(|s| s.check_ins).sum::<i64>(),
            2_000,
            "{}",
            test_db.label
        );
        assert_eq!(stats.iter().map(|s| s.tips).sum::<i64>(), 300);
        let busiest = stats.iter().map(|s| s.check_ins).max().unwrap_or(0);
        assert!(
            busiest > 2_000 / 200 * 5,
            "{}: the busiest place has {busiest}",
            test_db.label
        );
        for s in &stats {
            let visitors: std::collections::HashSet<_> = check_ins
                .iter()
                .filter(|c| c.place_id == s.place_id)
                .map(|c| c.user_id)
                .collect();
            assert_eq!(s.visitors, visitors.len() as i64);
        }
        test_db.remove().await;
    }
}
