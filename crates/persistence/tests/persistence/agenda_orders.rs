//! The agenda nearest venue first, over a city large enough that the walk out from the point
//! takes many steps: the same list, in the same order, as measuring and sorting every
//! event of the circle, paged both ways.

use capitole_domain::event::EventOrder;
use capitole_persistence::seed::{CommunitySize, SyntheticSize, synthetic_sized};
use capitole_persistence::{Direction, Page};
use uuid::Uuid;

use super::*;

/// Every page of the agenda by distance, `size` at a time, in the list's order.
async fn every_page(
    db: &Database,
    filter: &EventFilter,
    size: usize,
    direction: Direction,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let request = match direction {
            Direction::Forward => PageRequest::after(size, cursor.take()),
            Direction::Backward => PageRequest::before(size, cursor.take()),
        };
        let page: Page<_> = events::ranked(
            db,
            filter,
            EventOrder::Distance,
            &request,
            AgendaColumns::ALL,
        )
        .await
        .unwrap();
        let found: Vec<Uuid> = page.rows.iter().map(|(row, _)| row.event.id).collect();
        match direction {
            Direction::Forward => {
                ids.extend(found);
                if !page.has_next_page {
                    return ids;
                }
                cursor = page.rows.last().map(|(_, c)| c.clone());
            }
            Direction::Backward => {
                ids.splice(0..0, found);
                if !page.has_previous_page {
                    return ids;
                }
                cursor = page.rows.first().map(|(_, c)| c.clone());
            }
        }
    }
}

#[tokio::test]
async fn the_agenda_nearest_first_is_every_event_of_the_circle_measured_and_sorted() {
    let size = SyntheticSize {
        places: 1_500,
        events: 700,
        articles: 0,
        community: CommunitySize {
            users: 0,
            tips: 0,
            check_ins: 0,
        },
    };
    let point = Coordinates::parse(43.6045, 1.444).unwrap();
    for test_db in databases().await {
        let db = &test_db.db;
        let label = &test_db.label;
        synthetic_sized(db, size, 11, now(), PARIS).await.unwrap();
        let filter = EventFilter {
            near: Some((point, RadiusMeters::parse(3_000).unwrap())),
            ..EventFilter::from(now())
        };
        // Every event of the circle at its first date, measured and sorted here.
        let mut expected = Vec::new();
        let mut after = None;
        loop {
            let request = PageRequest::after(100, after.take());
            let page = events::list(db, &filter, &request, AgendaColumns::ALL)
                .await
                .unwrap();
            for (row, _) in &page.rows {
                let venue = row.venue.as_ref().unwrap();
                let at = Coordinates::parse(venue.latitude, venue.longitude).unwrap();
                expected.push((
                    point.distance_meters(at),
                    row.occurrence.starts_at,
                    row.event.id,
                ));
            }
            if !page.has_next_page {
                break;
            }
            after = page.rows.last().map(|(_, c)| c.clone());
        }
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let expected: Vec<Uuid> = expected.into_iter().map(|k| k.2).collect();
        // Enough places that the walk out from the point takes several steps (of 200).
        let around = PlaceFilter {
            near: filter.near,
            ..PlaceFilter::default()
        };
        let places_around = places::count(db, &around).await.unwrap();
        assert!(places_around > 400, "{label}: {places_around} places");
        assert!(expected.len() > 150, "{label}: {} events", expected.len());
        let forward = every_page(db, &filter, 100, Direction::Forward).await;
        assert_eq!(forward, expected, "{label}: forward");
        let backward = every_page(db, &filter, 100, Direction::Backward).await;
        assert_eq!(backward, expected, "{label}: backward");
        test_db.remove().await;
    }
}
