//! The change log of events and places: every committed write appends exactly one entry in
//! its transaction (CREATED, UPDATED, CANCELLED when an event becomes cancelled), always
//! public, with the version after the write and the publishing organization; a write that
//! changes nothing, a stale version and a refused edit append none.

use capitole_domain::agenda::{DefaultPublisher, ExternalKey, References};
use capitole_domain::audit::AuditAction;
use capitole_domain::event::{
    EventDraft, EventForm, EventPatch, EventPatchForm, EventStatus, StatusChange,
};
use capitole_domain::place::{
    Closure, LocationForm, PlaceDraft, PlaceForm, PlacePatch, PlacePatchForm,
};
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::schedule::{DateForm, RecurrenceForm, ScheduleForm};
use capitole_persistence::audit::Actor;
use capitole_persistence::{Database, Outcome, StorageError, catalog, event, place};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{FromQueryResult, Statement};
use uuid::Uuid;

use super::{PARIS, demo_databases};

/// One entry of the change log, as the tests read it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct Entry {
    item_kind: String,
    item_id: Uuid,
    change: String,
    version: i64,
    public: bool,
    organization_id: Option<Uuid>,
}

/// The entries about `id`, in log order.
async fn entries(db: &Database, id: Uuid) -> Vec<Entry> {
    let conn = db.connection();
    let sql = "SELECT item_kind, item_id, change, version, public, organization_id FROM change_log ORDER BY position";
    let all = Entry::find_by_statement(Statement::from_string(conn.get_database_backend(), sql))
        .all(conn)
        .await
        .unwrap();
    all.into_iter().filter(|e| e.item_id == id).collect()
}

/// (kind, change, version) of each entry.
fn shape(entries: &[Entry]) -> Vec<(&str, &str, i64)> {
    entries
        .iter()
        .map(|e| (e.item_kind.as_str(), e.change.as_str(), e.version))
        .collect()
}

fn actor() -> Actor {
    Actor {
        user_id: None,
        label: "test".into(),
        organization: None,
    }
}

async fn organization(db: &Database, slug: &str) -> Uuid {
    catalog::organization_by_slug(db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn references(publisher: Uuid) -> References {
    References {
        publisher: DefaultPublisher::Organizations(vec![publisher]),
        ..References::default()
    }
}

fn concert(now: DateTime<Utc>, organizer: Uuid) -> EventDraft {
    let starts_at = now + Duration::days(10);
    let form = EventForm {
        title: "Concert au jardin".into(),
        location_text: Some("Jardin des Plantes".into()),
        schedule: ScheduleForm {
            dates: vec![
                DateForm {
                    starts_at,
                    ends_at: starts_at + Duration::hours(2),
                    status: None,
                },
                DateForm {
                    starts_at: starts_at + Duration::days(1),
                    ends_at: starts_at + Duration::days(1) + Duration::hours(2),
                    status: None,
                },
            ],
            recurrence: None,
        },
        ..EventForm::default()
    };
    EventDraft::parse(form, &references(organizer), PARIS, now).unwrap()
}

fn patch(now: DateTime<Utc>, form: EventPatchForm) -> EventPatch {
    EventPatch::parse(form, &References::default(), PARIS, now).unwrap()
}

fn retitled(now: DateTime<Utc>, title: &str) -> EventPatch {
    patch(
        now,
        EventPatchForm {
            title: Some(title.into()),
            ..EventPatchForm::default()
        },
    )
}

/// Edits an event as `patch` says, for any caller.
async fn edit_event(
    db: &Database,
    id: Uuid,
    version: i64,
    now: DateTime<Utc>,
    patch: EventPatch,
) -> Result<capitole_persistence::entities::event::Model, StorageError> {
    event::edit(db, id, version, AuditAction::Update, now, |current| {
        Ok::<_, StorageError>((actor(), patch.apply(current).unwrap()))
    })
    .await
}

#[tokio::test]
async fn every_write_of_an_event_appends_exactly_one_public_entry_and_a_cancellation_says_so() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let ville = organization(db, "ville-de-toulouse").await;
        let row = event::create(db, &concert(now, ville), &actor(), now)
            .await
            .unwrap();
        let id = row.id;
        let created = entries(db, id).await;
        assert_eq!(shape(&created), [("EVENT", "CREATED", 1)], "{label}");
        assert!(created[0].public, "{label}");
        assert_eq!(created[0].organization_id, Some(ville), "{label}");

        // An edit: UPDATED at the new version.
        edit_event(db, id, 1, now, retitled(now, "Concert du jardin"))
            .await
            .unwrap();
        // The same edit again changes nothing and appends nothing.
        let same = edit_event(db, id, 2, now, retitled(now, "Concert du jardin"))
            .await
            .unwrap();
        assert_eq!(same.version, 2, "{label}");
        // A stale version and a refused edit append nothing.
        let stale = edit_event(db, id, 1, now, retitled(now, "Trop tard")).await;
        assert!(matches!(stale, Err(StorageError::Stale { .. })), "{label}");
        let refused = event::edit(db, id, 2, AuditAction::Update, now, |_| {
            Err::<(Actor, _), _>(StorageError::BadRequest("refused".into()))
        })
        .await;
        assert!(refused.is_err(), "{label}");
        assert_eq!(
            shape(&entries(db, id).await),
            [("EVENT", "CREATED", 1), ("EVENT", "UPDATED", 2)],
            "{label}"
        );

        // Cancelling says CANCELLED; an edit of the cancelled event is an update again.
        let cancel = StatusChange::parse(EventStatus::Cancelled, None).unwrap();
        let cancelled = event::edit(db, id, 2, AuditAction::Cancel, now, |current| {
            Ok::<_, StorageError>((actor(), cancel.apply(current).unwrap()))
        })
        .await
        .unwrap();
        assert_eq!(cancelled.status, "CANCELLED", "{label}");
        edit_event(db, id, 3, now, retitled(now, "Concert annulé"))
            .await
            .unwrap();

        // One date's status is an update of the event; setting it again appends nothing.
        let first = now + Duration::days(10);
        for version in [4, 5] {
            event::set_occurrence_status(
                db,
                id,
                version,
                first,
                OccurrenceStatus::Full,
                now,
                |_| Ok::<_, StorageError>(actor()),
            )
            .await
            .unwrap();
        }
        let all = entries(db, id).await;
        assert_eq!(
            shape(&all),
            [
                ("EVENT", "CREATED", 1),
                ("EVENT", "UPDATED", 2),
                ("EVENT", "CANCELLED", 3),
                ("EVENT", "UPDATED", 4),
                ("EVENT", "UPDATED", 5),
            ],
            "{label}"
        );
        assert!(all.iter().all(|e| e.public), "{label}");
        test_db.remove().await;
    }
}

#[tokio::test]
async fn an_upsert_logs_what_it_did_and_nothing_when_the_item_is_already_so() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let metropole = organization(db, "toulouse-metropole").await;
        let key = &ExternalKey::parse("openagenda-toulouse", "evt-1").unwrap();
        let upsert = |draft: EventDraft| async move {
            event::upsert(db, key, draft, now, |_| Ok::<_, StorageError>(actor()))
                .await
                .unwrap()
        };
        let (row, outcome) = upsert(concert(now, metropole)).await;
        assert_eq!(outcome, Outcome::Created, "{label}");
        let (_, outcome) = upsert(concert(now, metropole)).await;
        assert_eq!(outcome, Outcome::Unchanged, "{label}");
        let mut changed = EventForm {
            title: "Concert au jardin (complet)".into(),
            location_text: Some("Jardin des Plantes".into()),
            status: Some(EventStatus::Cancelled),
            ..EventForm::default()
        };
        changed.schedule = ScheduleForm {
            dates: Vec::new(),
            recurrence: Some(RecurrenceForm {
                rule: "FREQ=WEEKLY;BYDAY=WE;COUNT=3".into(),
                first_start: (now + Duration::days(3))
                    .format("%Y-%m-%dT10:00")
                    .to_string(),
                duration_minutes: 90,
                exceptions: Vec::new(),
            }),
        };
        let draft = EventDraft::parse(changed, &references(metropole), PARIS, now).unwrap();
        let (_, outcome) = upsert(draft).await;
        assert_eq!(outcome, Outcome::Updated, "{label}");
        let all = entries(db, row.id).await;
        assert_eq!(
            shape(&all),
            [("EVENT", "CREATED", 1), ("EVENT", "CANCELLED", 2)],
            "{label}"
        );
        assert!(
            all.iter().all(|e| e.organization_id == Some(metropole)),
            "{label}"
        );
        test_db.remove().await;
    }
}

#[tokio::test]
async fn the_dates_time_brings_to_a_recurrence_are_logged_once_without_a_new_version() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let ville = organization(db, "ville-de-toulouse").await;
        let form = EventForm {
            title: "Marché du mardi".into(),
            location_text: Some("Place du Capitole".into()),
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
        };
        let draft = EventDraft::parse(form, &references(ville), PARIS, now).unwrap();
        let row = event::create(db, &draft, &actor(), now).await.unwrap();
        let later = now + Duration::days(60);
        let added = event::extend_recurrences(db, later, PARIS).await.unwrap();
        assert!(added >= 8, "{label}: {added}");
        assert_eq!(
            event::extend_recurrences(db, later, PARIS).await.unwrap(),
            0,
            "{label}"
        );
        assert_eq!(
            shape(&entries(db, row.id).await),
            [("EVENT", "CREATED", 1), ("EVENT", "UPDATED", 1)],
            "{label}"
        );
        test_db.remove().await;
    }
}

fn garden(publisher: &str) -> PlaceForm {
    PlaceForm {
        name: "Jardin partagé des Récollets".into(),
        location: LocationForm {
            latitude: 43.585,
            longitude: 1.435,
            address: "Rue des Récollets".into(),
            postal_code: "31400".into(),
            city: "Toulouse".into(),
        },
        publishers: Some(vec![publisher.into()]),
        ..PlaceForm::default()
    }
}

#[tokio::test]
async fn every_write_of_a_place_appends_exactly_one_public_entry() {
    for (test_db, now) in demo_databases().await {
        let (db, label) = (&test_db.db, test_db.label);
        let ville = organization(db, "ville-de-toulouse").await;
        let mut refs = References::default();
        refs.organizations.insert("ville-de-toulouse".into(), ville);
        let draft = PlaceDraft::parse(garden("ville-de-toulouse"), &refs).unwrap();
        let row = place::create(db, &draft, &actor(), now).await.unwrap();
        let id = row.id;
        let rename = |name: &str| {
            let form = PlacePatchForm {
                name: Some(name.into()),
                ..PlacePatchForm::default()
            };
            PlacePatch::parse(form, &refs).unwrap()
        };
        let edit = |version: i64, patch: PlacePatch| async move {
            place::edit(db, id, version, AuditAction::Update, now, |current| {
                Ok::<_, StorageError>((actor(), patch.apply(current)))
            })
            .await
        };
        edit(1, rename("Jardin des Récollets")).await.unwrap();
        let same = edit(2, rename("Jardin des Récollets")).await.unwrap();
        assert_eq!(same.version, 2, "{label}");
        let stale = edit(1, rename("Trop tard")).await;
        assert!(matches!(stale, Err(StorageError::Stale { .. })), "{label}");
        let closure = Closure::closing(Some(now + Duration::days(20)), now).unwrap();
        let closed = place::edit(db, id, 2, AuditAction::Close, now, |current| {
            Ok::<_, StorageError>((
                actor(),
                capitole_domain::place::PlaceEdit::closure(current, closure),
            ))
        })
        .await
        .unwrap();
        assert_eq!(closed.closure, "TEMPORARILY_CLOSED", "{label}");

        // An upsert creates, then changes nothing, then updates; the closure stays the city's.
        let key = ExternalKey::parse("openagenda-toulouse", "lieu-7").unwrap();
        let upsert = |name: &str| {
            let mut form = garden("ville-de-toulouse");
            form.name = name.into();
            let draft = PlaceDraft::parse(form, &refs).unwrap();
            let key = key.clone();
            async move {
                place::upsert(db, &key, draft, now, |_| Ok::<_, StorageError>(actor()))
                    .await
                    .unwrap()
            }
        };
        let (upserted, outcome) = upsert("Jardin des Plantes").await;
        assert_eq!(outcome, Outcome::Created, "{label}");
        assert_eq!(upsert("Jardin des Plantes").await.1, Outcome::Unchanged);
        assert_eq!(upsert("Grand Rond").await.1, Outcome::Updated);

        let all = entries(db, id).await;
        assert_eq!(
            shape(&all),
            [
                ("PLACE", "CREATED", 1),
                ("PLACE", "UPDATED", 2),
                ("PLACE", "UPDATED", 3),
            ],
            "{label}"
        );
        assert!(
            all.iter()
                .all(|e| e.public && e.organization_id == Some(ville)),
            "{label}"
        );
        assert_eq!(
            shape(&entries(db, upserted.id).await),
            [("PLACE", "CREATED", 1), ("PLACE", "UPDATED", 2)],
            "{label}"
        );
        test_db.remove().await;
    }
}
