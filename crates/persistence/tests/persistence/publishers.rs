//! Publishers of events and places: the migration that gave them publishers moved every
//! organizer and owner, and the list filters match any of the publishers, neighbourhoods,
//! venues, tags and categories they are given.

use std::collections::HashMap;

use capitole_domain::event::CategoryKind;
use capitole_domain::place::PlaceOrder;
use capitole_migrations::{Migrator, MigratorTrait};
use capitole_persistence::articles::{self, ArticleVisibility, NewsFilter};
use capitole_persistence::events::{self, AgendaColumns, EventFilter};
use capitole_persistence::places::{self, PlaceFilter};
use capitole_persistence::publishers::{self, Published};
use capitole_persistence::{Columns, PageRequest, catalog};
use sea_orm::{FromQueryResult, Statement};
use uuid::Uuid;

use super::demo_databases;

#[derive(FromQueryResult)]
struct Column {
    id: Uuid,
    organization: Option<Uuid>,
}

async fn column(db: &capitole_persistence::Database, sql: &str) -> HashMap<Uuid, Option<Uuid>> {
    let statement = Statement::from_string(db.connection().get_database_backend(), sql);
    Column::find_by_statement(statement)
        .all(db.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.organization))
        .collect()
}

async fn firsts(
    db: &capitole_persistence::Database,
    kind: Published,
    ids: &[Uuid],
) -> HashMap<Uuid, Option<Uuid>> {
    let all = publishers::of(db, kind, ids).await.unwrap();
    ids.iter()
        .map(|id| (*id, all.get(id).and_then(|p| p.first()).map(|o| o.id)))
        .collect()
}

#[tokio::test]
async fn the_migration_moves_every_organizer_and_owner_into_publishers_and_back() {
    for (test_db, _) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let event_ids: Vec<Uuid> = column(db, "SELECT id, NULL AS organization FROM events")
            .await
            .into_keys()
            .collect();
        let place_ids: Vec<Uuid> = column(db, "SELECT id, NULL AS organization FROM places")
            .await
            .into_keys()
            .collect();
        let event_firsts = firsts(db, Published::Event, &event_ids).await;
        let place_firsts = firsts(db, Published::Place, &place_ids).await;
        assert!(event_firsts.values().all(Option::is_some), "{label}");
        assert!(place_firsts.values().any(Option::is_some), "{label}");
        assert!(place_firsts.values().any(Option::is_none), "{label}");

        // Before the step, an event had one organizer and a place at most one owner: the
        // first publisher of each.
        let steps = Migrator::migrations();
        let after_step = steps
            .iter()
            .rev()
            .position(|m| m.name() == "m20261205_000014_publishers")
            .unwrap();
        Migrator::down(
            db.connection(),
            Some(u32::try_from(after_step + 1).unwrap()),
        )
        .await
        .unwrap();
        let organizers = column(db, "SELECT id, organization_id AS organization FROM events").await;
        let owners = column(
            db,
            "SELECT id, owner_organization_id AS organization FROM places",
        )
        .await;
        assert_eq!(organizers, event_firsts, "{label}");
        assert_eq!(owners, place_firsts, "{label}");

        // The step moves each of them, none lost, into the publishers.
        Migrator::up(db.connection(), None).await.unwrap();
        let moved = publishers::of(db, Published::Event, &event_ids)
            .await
            .unwrap();
        for (id, first) in &event_firsts {
            let publishers: Vec<Uuid> = moved[id].iter().map(|o| o.id).collect();
            assert_eq!(
                publishers,
                first.iter().copied().collect::<Vec<_>>(),
                "{label}"
            );
        }
        assert_eq!(
            firsts(db, Published::Place, &place_ids).await,
            place_firsts,
            "{label}"
        );
        test_db.remove().await;
    }
}

async fn organization(db: &capitole_persistence::Database, slug: &str) -> Uuid {
    catalog::organization_by_slug(db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn neighborhood(db: &capitole_persistence::Database, slug: &str) -> Uuid {
    catalog::neighborhood_by_slug(db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn relation_filters_match_any_of_their_values() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let ville = organization(db, "ville-de-toulouse").await;
        let metropole = organization(db, "toulouse-metropole").await;
        let past = now - chrono::Duration::days(400);

        // Events: each list matches any of its values; two values hold at least as many
        // events as each alone, and a co-published event is in both.
        let events_of = |filter: EventFilter| async move {
            let page = events::list(db, &filter, &PageRequest::first(100), AgendaColumns::ALL)
                .await
                .unwrap();
            page.rows
                .into_iter()
                .map(|(r, _)| r.event.slug)
                .collect::<Vec<_>>()
        };
        let by = |publishers: Vec<Uuid>| EventFilter {
            publishers,
            ..EventFilter::from(past)
        };
        let of_ville = events_of(by(vec![ville])).await;
        let of_metropole = events_of(by(vec![metropole])).await;
        let of_both = events_of(by(vec![ville, metropole])).await;
        assert!(
            of_ville.contains(&"balade-ville-rose".to_owned()),
            "{label}"
        );
        assert!(
            of_metropole.contains(&"balade-ville-rose".to_owned()),
            "{label}"
        );
        let mut union: Vec<String> = of_ville.iter().chain(&of_metropole).cloned().collect();
        union.sort();
        union.dedup();
        let mut both = of_both.clone();
        both.sort();
        assert_eq!(both, union, "{label}");
        let capitole = neighborhood(db, "capitole").await;
        let near = EventFilter {
            neighborhoods: vec![capitole],
            ..EventFilter::from(past)
        };
        let in_capitole = events_of(near).await;
        assert!(!in_capitole.is_empty(), "{label}");
        let venues: Vec<Uuid> = places::list(
            db,
            &PlaceFilter::default(),
            PlaceOrder::Name,
            &PageRequest::first(100),
            Columns::ALL,
        )
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|(r, _)| r.place.id)
        .collect();
        let at_any = EventFilter {
            venues: venues.clone(),
            ..EventFilter::from(past)
        };
        let at_some = events_of(at_any).await;
        assert!(!at_some.is_empty(), "{label}");
        let at_first = EventFilter {
            venues: vec![venues[0]],
            ..EventFilter::from(past)
        };
        assert!(events_of(at_first).await.len() <= at_some.len(), "{label}");

        // Places: by publisher (the co-published one in both) and by neighbourhood.
        let places_of = |filter: PlaceFilter| async move {
            places::list(
                db,
                &filter,
                PlaceOrder::Name,
                &PageRequest::first(100),
                Columns::ALL,
            )
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|(r, _)| r.place.slug)
            .collect::<Vec<_>>()
        };
        let city_places = places_of(PlaceFilter {
            publishers: vec![ville],
            ..PlaceFilter::default()
        })
        .await;
        let metro_places = places_of(PlaceFilter {
            publishers: vec![metropole],
            ..PlaceFilter::default()
        })
        .await;
        for list in [&city_places, &metro_places] {
            assert!(
                list.contains(&"office-de-tourisme-donjon".to_owned()),
                "{label}"
            );
        }
        assert!(
            !city_places.contains(&"museum-de-toulouse".to_owned()),
            "{label}"
        );
        let count = places::count(
            db,
            &PlaceFilter {
                publishers: vec![ville, metropole],
                ..PlaceFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            count as usize,
            city_places.len() + metro_places.len() - 1,
            "{label}: one place is co-published"
        );
        let in_capitole = places_of(PlaceFilter {
            neighborhoods: vec![capitole],
            ..PlaceFilter::default()
        })
        .await;
        let elsewhere = neighborhood(db, "saint-cyprien").await;
        let in_either = places_of(PlaceFilter {
            neighborhoods: vec![capitole, elsewhere],
            ..PlaceFilter::default()
        })
        .await;
        assert!(!in_capitole.is_empty(), "{label}");
        assert!(in_either.len() > in_capitole.len(), "{label}");

        // News: by category (with the categories below it), tag and publisher.
        let everything = &ArticleVisibility::Everything;
        let news_of = |filter: NewsFilter| async move {
            articles::list(
                db,
                everything,
                &filter,
                &PageRequest::first(100),
                Columns::ALL,
            )
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|(a, _)| a.slug)
            .collect::<Vec<_>>()
        };
        let mobility =
            catalog::category_subtree_ids(db, CategoryKind::Article, &["news-mobility".into()])
                .await
                .unwrap();
        assert!(mobility.len() >= 3, "{label}: the tree below it");
        let moving = news_of(NewsFilter {
            categories: mobility,
            ..NewsFilter::default()
        })
        .await;
        assert!(
            moving.contains(&"teleo-telepherique-urbain".to_owned()),
            "{label}"
        );
        assert!(
            moving.contains(&"reseau-express-velo-nouvelles-pistes".to_owned()),
            "{label}"
        );
        assert!(
            !moving.contains(&"piscines-horaires-hiver".to_owned()),
            "{label}"
        );
        let tagged = news_of(NewsFilter {
            tags: vec!["velo".into(), "piscines".into()],
            ..NewsFilter::default()
        })
        .await;
        assert!(
            tagged.contains(&"reseau-express-velo-nouvelles-pistes".to_owned()),
            "{label}"
        );
        assert!(
            tagged.contains(&"piscines-horaires-hiver".to_owned()),
            "{label}"
        );
        assert!(
            !tagged.contains(&"teleo-telepherique-urbain".to_owned()),
            "{label}"
        );
        // A slug of another tree is unknown there.
        let refused =
            catalog::category_subtree_ids(db, CategoryKind::Article, &["museum".into()]).await;
        assert!(refused.is_err(), "{label}");
        test_db.remove().await;
    }
}
