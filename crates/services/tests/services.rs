//! Service paths GraphQL does not reach: the command line's importer and the scheduler act
//! as operators, named in the audit log by their label. Run on SQLite and (when configured)
//! PostgreSQL.

#![allow(clippy::unwrap_used)]

use capitole_domain::agenda::{DefaultPublisher, ExternalKey, Names};
use capitole_domain::event::{EventDraft, EventForm};
use capitole_domain::schedule::{RecurrenceForm, ScheduleForm};
use capitole_persistence::entities::audit_entry;
use capitole_persistence::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use capitole_persistence::testing::{TestDatabase, databases};
use capitole_persistence::{Outcome, seed};
use capitole_services::references::references;
use capitole_services::{ErrorCode, Principal, Services, events};
use chrono::{DateTime, Duration, SubsecRound, Utc};

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

async fn demo_services() -> Vec<(TestDatabase, Services, DateTime<Utc>)> {
    let mut out = Vec::new();
    for test_db in databases().await {
        let now = Utc::now().trunc_subsecs(0);
        seed::demo(&test_db.db, now, PARIS).await.unwrap();
        let services = Services {
            db: test_db.db.clone(),
            timezone: PARIS,
        };
        out.push((test_db, services, now));
    }
    out
}

/// A weekly market, published by the organizations of `publishers` (slugs), or by the
/// publishers the references fall back on.
fn market(now: DateTime<Utc>, publishers: Option<&[&str]>) -> EventForm {
    EventForm {
        title: "Marché du mardi".into(),
        location_text: Some("Place du Capitole".into()),
        publishers: publishers.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
        schedule: ScheduleForm {
            dates: Vec::new(),
            recurrence: Some(RecurrenceForm {
                rule: "FREQ=WEEKLY;BYDAY=TU".into(),
                first_start: (now + Duration::days(1))
                    .format("%Y-%m-%dT07:00")
                    .to_string(),
                duration_minutes: 240,
                exceptions: Vec::new(),
            }),
        },
        ..EventForm::default()
    }
}

/// The draft of `form` as an import for `publisher` reads it.
async fn draft(
    services: &Services,
    operator: &Principal,
    form: EventForm,
    publisher: &str,
    now: DateTime<Utc>,
) -> EventDraft {
    let mut names = Names::default();
    form.names(&mut names);
    names.organizations.insert(publisher.to_owned());
    let mut found = references(services, operator, &names).await.unwrap();
    let organization = found.organizations[publisher];
    found.publisher = DefaultPublisher::Organizations(vec![organization]);
    EventDraft::parse(form, &found, PARIS, now).unwrap()
}

#[tokio::test]
async fn an_importer_upserts_the_events_of_every_organization_under_its_own_name() {
    for (test_db, services, now) in demo_services().await {
        let label = test_db.label;
        let operator = Principal::operator("import:openagenda-toulouse");
        let key = ExternalKey::parse("openagenda-toulouse", "oa-1").unwrap();
        let own = draft(
            &services,
            &operator,
            market(now, None),
            "ville-de-toulouse",
            now,
        )
        .await;
        let (row, outcome) = events::upsert(&services, &operator, &key, own, false, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::Created, "{label}");
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::ItemId.eq(row.id))
            .all(test_db.db.connection())
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{label}");
        assert_eq!(entries[0].actor, "import:openagenda-toulouse", "{label}");
        assert_eq!(entries[0].actor_id, None, "{label}");
        let ville =
            capitole_persistence::catalog::organization_by_slug(&test_db.db, "ville-de-toulouse")
                .await
                .unwrap()
                .unwrap()
                .id;
        assert_eq!(entries[0].organization_id, Some(ville), "{label}");
        let publishers = capitole_persistence::publishers::of(
            &test_db.db,
            capitole_persistence::publishers::Published::Event,
            &[row.id],
        )
        .await
        .unwrap();
        let slugs: Vec<&str> = publishers[&row.id]
            .iter()
            .map(|o| o.slug.as_str())
            .collect();
        assert_eq!(slugs, ["ville-de-toulouse"], "{label}");
        // The same item again changes nothing.
        let again = draft(
            &services,
            &operator,
            market(now, None),
            "ville-de-toulouse",
            now,
        )
        .await;
        let (_, outcome) = events::upsert(&services, &operator, &key, again, false, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::Unchanged, "{label}");
        // An item may name other publishers: the operator edits for every organization.
        let other = market(now, Some(&["toulouse-metropole", "ville-de-toulouse"]));
        let other = draft(&services, &operator, other, "ville-de-toulouse", now).await;
        let (moved, outcome) = events::upsert(&services, &operator, &key, other, false, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome, Outcome::Updated, "{label}");
        assert_eq!(moved.id, row.id, "{label}");
        let publishers = capitole_persistence::publishers::of(
            &test_db.db,
            capitole_persistence::publishers::Published::Event,
            &[row.id],
        )
        .await
        .unwrap();
        let slugs: Vec<&str> = publishers[&row.id]
            .iter()
            .map(|o| o.slug.as_str())
            .collect();
        assert_eq!(
            slugs,
            ["toulouse-metropole", "ville-de-toulouse"],
            "{label}"
        );
        // Nobody signed in may.
        let refused = references(&services, &Principal::Anonymous, &Names::default()).await;
        assert_eq!(
            refused.map(|_| ()).map_err(|e| e.code()),
            Err(ErrorCode::Unauthenticated),
            "{label}"
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_scheduler_extends_recurrences_once_as_time_passes() {
    for (test_db, services, now) in demo_services().await {
        let label = test_db.label;
        let operator = Principal::operator("scheduler");
        let market = draft(
            &services,
            &operator,
            market(now, None),
            "ville-de-toulouse",
            now,
        )
        .await;
        events::create(&services, &operator, market, false, now)
            .await
            .unwrap();
        let later = now + Duration::days(60);
        let added = events::extend_recurrences(&services, &operator, later)
            .await
            .unwrap();
        assert!(added >= 8, "{label}: {added}");
        let again = events::extend_recurrences(&services, &operator, later)
            .await
            .unwrap();
        assert_eq!(again, 0, "{label}");
        let refused = events::extend_recurrences(&services, &Principal::Anonymous, later).await;
        assert_eq!(
            refused.map_err(|e| e.code()),
            Err(ErrorCode::Unauthenticated),
            "{label}"
        );
        test_db.remove().await;
    }
}
