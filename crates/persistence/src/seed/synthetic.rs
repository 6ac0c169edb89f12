//! A synthetic city of any size around the demo Toulouse, for load tests: at scale 1,
//! 50,000 places, 20,000 events with their dates and 5,000 articles. The same seed gives
//! the same city.

use capitole_domain::Audience;
use capitole_domain::event::{AttendanceMode, EventStatus};
use capitole_domain::recurrence::RecurrenceRule;
use capitole_domain::text::{encode_codes, fold};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, SubsecRound, Utc};
use chrono_tz::Tz;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::demo::{ensure_catalog, weekly_hours};
use super::{Batch, SeedReport, occurrences_of};
use crate::entities::{
    article, article_category, article_organization, event, event_category, event_organization,
    place, place_category,
};
use crate::{Database, StorageError};

const PLACES_PER_SCALE: usize = 50_000;
const EVENTS_PER_SCALE: usize = 20_000;
const ARTICLES_PER_SCALE: usize = 5_000;
/// Rows held in memory before a flush.
const FLUSH_EVERY: usize = 5_000;

const CENTRE: (f64, f64) = (43.6045, 1.4440);
const WORDS: &[&str] = &[
    "Café",
    "Jardin",
    "Atelier",
    "Halle",
    "Maison",
    "Théâtre",
    "Librairie",
    "Marché",
    "Galerie",
    "Studio",
    "Square",
    "Brasserie",
    "Musée",
    "Salle",
    "Espace",
    "Cour",
    "Fête",
    "Festival",
    "Concert",
    "Balade",
    "Rencontre",
    "Exposition",
];
const NAMES: &[&str] = &[
    "Garonne",
    "Capitole",
    "Saint-Cyprien",
    "Carmes",
    "Violette",
    "Rose",
    "Occitanie",
    "Brique",
    "Canal",
    "Minimes",
    "Bonnefoy",
    "Pont-Neuf",
    "Daurade",
    "Esquirol",
    "Matabiau",
    "Compans",
    "Jacobins",
    "Pastel",
    "Cassoulet",
    "Amidonniers",
];

/// How many items a synthetic city holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSize {
    /// Places.
    pub places: usize,
    /// Events (each with one to eight dates).
    pub events: usize,
    /// Articles.
    pub articles: usize,
    /// Residents and their activity.
    pub community: super::community::CommunitySize,
}

impl SyntheticSize {
    /// `scale` times 50,000 places, 20,000 events, 5,000 articles, 10,000 residents,
    /// 200,000 tips and 1,000,000 check-ins.
    pub fn scale(scale: u32) -> Self {
        let scale = scale as usize;
        Self {
            places: PLACES_PER_SCALE * scale,
            events: EVENTS_PER_SCALE * scale,
            articles: ARTICLES_PER_SCALE * scale,
            community: super::community::CommunitySize {
                users: 10_000 * scale,
                tips: 200_000 * scale,
                check_ins: 1_000_000 * scale,
            },
        }
    }
}

/// Writes a synthetic city of `scale` times the base size, drawn from `seed`, unless one is
/// there already.
pub async fn synthetic(
    db: &Database,
    scale: u32,
    seed: u64,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<SeedReport, StorageError> {
    synthetic_sized(db, SyntheticSize::scale(scale), seed, now, tz).await
}

/// Writes a synthetic city of the given size, drawn from `seed`, unless one is there already.
pub async fn synthetic_sized(
    db: &Database,
    size: SyntheticSize,
    seed: u64,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<SeedReport, StorageError> {
    let now = now.trunc_subsecs(0);
    let tx = db.connection().begin().await?;
    let catalog = ensure_catalog(&tx, now).await?;
    let present = place::Entity::find()
        .filter(place::Column::Slug.eq("synthetic-place-0"))
        .one(&tx)
        .await?
        .is_some();
    if present {
        tx.commit().await?;
        return Ok(SeedReport {
            already_present: true,
            ..SeedReport::default()
        });
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut new_id = {
        let mut id_rng = SmallRng::seed_from_u64(seed ^ 0x05ee_d1d5);
        let base_ms = now.timestamp_millis().max(0) as u64;
        let mut counter = 0u64;
        move || {
            counter += 1;
            let bytes: [u8; 10] = id_rng.random();
            uuid::Builder::from_unix_timestamp_millis(base_ms + counter / 64, &bytes).into_uuid()
        }
    };
    let mut place_categories: Vec<Uuid> = Vec::new();
    let mut event_categories: Vec<Uuid> = Vec::new();
    let mut news_categories: Vec<Uuid> = Vec::new();
    let mut slugs: Vec<&String> = catalog.categories.keys().collect();
    slugs.sort();
    for slug in slugs {
        let (id, kind) = &catalog.categories[slug];
        match kind.as_str() {
            "PLACE" => place_categories.push(*id),
            "EVENT" => event_categories.push(*id),
            _ => news_categories.push(*id),
        }
    }
    let mut neighborhoods: Vec<Uuid> = catalog.neighborhoods.values().copied().collect();
    neighborhoods.sort();
    let mut organizations: Vec<Uuid> = catalog.organizations.values().copied().collect();
    organizations.sort();
    let mut report = SeedReport::default();
    let mut batch = Batch::default();
    let hours = weekly_hours(&[
        (1, "10:00", "19:00"),
        (2, "10:00", "19:00"),
        (3, "10:00", "19:00"),
        (4, "10:00", "19:00"),
        (5, "10:00", "19:00"),
    ]);
    let hours = serde_json::to_string(&hours).unwrap_or_else(|_| "{}".into());
    let mut place_ids = Vec::with_capacity(size.places);
    let mut step_free_places = std::collections::HashSet::new();

    for n in 0..size.places {
        let id = new_id();
        place_ids.push(id);
        let name = format!("{} {} {}", pick(&mut rng, WORDS), pick(&mut rng, NAMES), n);
        // Denser near the centre, as a city is: a radius drawn from a squared uniform.
        let distance = rng.random::<f64>().powi(2) * 0.16;
        let angle = rng.random::<f64>() * std::f64::consts::TAU;
        let latitude = CENTRE.0 + distance * angle.sin();
        let longitude = CENTRE.1 + distance * angle.cos() * 1.38;
        // Drawn in the order of the row's fields, as they always were.
        let address = format!("{} rue {}", rng.random_range(1..200), pick(&mut rng, NAMES));
        let neighborhood_id = pick_opt(&mut rng, &neighborhoods);
        let step_free = rng.random_bool(0.4);
        if step_free {
            step_free_places.insert(id);
        }
        batch.places.push(place::Model {
            id,
            slug: format!("synthetic-place-{n}"),
            name_folded: fold(&name),
            name,
            description: String::new(),
            latitude,
            longitude,
            address,
            postal_code: "31000".to_owned(),
            city: "Toulouse".to_owned(),
            neighborhood_id,
            phone: None,
            email: None,
            website: None,
            opening_hours: hours.clone(),
            accessibility: if step_free { "|MOTOR|" } else { "|" }.to_owned(),
            popularity: rng.random_range(0..1000),
            rating: rng
                .random_bool(0.6)
                .then(|| f64::from(rng.random_range(40..100u8)) / 10.0),
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            external_id: None,
            closure: "OPEN".to_owned(),
            closed_until: None,
            easy_read_summary: None,
            accessibility_features: if step_free {
                "|STEP_FREE_ENTRANCE|"
            } else {
                "|"
            }
            .to_owned(),
            pictures: "[]".to_owned(),
            media: "[]".to_owned(),
        });
        if let Some(category_id) = pick_opt(&mut rng, &place_categories) {
            batch.place_categories.push(place_category::Model {
                place_id: id,
                category_id,
                position: 0,
            });
        }
        report.places += 1;
        if batch.places.len() >= FLUSH_EVERY {
            batch.flush(&tx).await?;
        }
    }
    batch.flush(&tx).await?;

    let weekly = RecurrenceRule::parse("FREQ=WEEKLY;COUNT=8").ok();
    let today = now.with_timezone(&tz).date_naive();
    for n in 0..size.events {
        let id = new_id();
        let title = format!("{} {} {}", pick(&mut rng, WORDS), pick(&mut rng, NAMES), n);
        let day = today + Duration::days(rng.random_range(-30..180));
        let time = NaiveTime::from_hms_opt(
            rng.random_range(8..22),
            [0, 15, 30, 45][rng.random_range(0..4)],
            0,
        )
        .unwrap_or(NaiveTime::MIN);
        let first = NaiveDateTime::new(day, time);
        let recurring = rng.random_bool(0.15);
        let extra: Vec<NaiveDateTime> = if recurring {
            Vec::new()
        } else {
            (1..rng.random_range(1..4))
                .map(|k| first + Duration::days(k))
                .collect()
        };
        let duration_minutes = [60, 90, 120, 180][rng.random_range(0..4)];
        let rule = if recurring { weekly.as_ref() } else { None };
        let occurrences = occurrences_of(
            id,
            first,
            Duration::minutes(duration_minutes),
            &extra,
            rule,
            tz,
            now,
            &mut new_id,
        );
        report.occurrences += occurrences.len();
        batch.occurrences.extend(occurrences);
        let audience = Audience::ALL[rng.random_range(0..Audience::ALL.len())];
        let free = rng.random_bool(0.4);
        let place_id = pick_opt(&mut rng, &place_ids);
        // Events state no accessibility of their own and show their venue's.
        let step_free = place_id.is_some_and(|p| step_free_places.contains(&p));
        batch.events.push(event::Model {
            id,
            slug: format!("synthetic-event-{n}"),
            search_text: fold(&title),
            title,
            summary: "Un rendez-vous du quartier.".to_owned(),
            easy_read_summary: None,
            description: String::new(),
            status: EventStatus::Scheduled.code().to_owned(),
            attendance_mode: AttendanceMode::InPerson.code().to_owned(),
            online_url: None,
            age_min: None,
            age_max: None,
            accessibility: if step_free { "|MOTOR|" } else { "|" }.to_owned(),
            audiences: encode_codes([audience.code()]),
            is_free: free,
            price: (!free).then(|| "10 €".to_owned()),
            registration_url: None,
            registration_phone: None,
            registration_email: None,
            place_id,
            location_text: None,
            recurrence_rule: rule.map(|r| r.as_str().to_owned()),
            duration_minutes,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            external_id: None,
            recurrence_start: None,
            recurrence_exceptions: "|".to_owned(),
            accessibility_features: if step_free {
                "|STEP_FREE_ENTRANCE|"
            } else {
                "|"
            }
            .to_owned(),
            inherits_accessibility: true,
            pictures: "[]".to_owned(),
            media: "[]".to_owned(),
        });
        if let Some(organization_id) = organizations.get(n % organizations.len().max(1)) {
            batch.event_organizations.push(event_organization::Model {
                event_id: id,
                organization_id: *organization_id,
                position: 0,
            });
        }
        if let Some(category_id) = pick_opt(&mut rng, &event_categories) {
            batch.event_categories.push(event_category::Model {
                event_id: id,
                category_id,
                position: 0,
            });
        }
        report.events += 1;
        if batch.events.len() >= FLUSH_EVERY {
            batch.flush(&tx).await?;
        }
    }
    batch.flush(&tx).await?;

    for n in 0..size.articles {
        let id = new_id();
        let title = format!(
            "{} {} : ce qui change {}",
            pick(&mut rng, WORDS),
            pick(&mut rng, NAMES),
            n
        );
        let published_at = now - Duration::minutes(rng.random_range(10..(2 * 365 * 24 * 60)));
        let audience = Audience::ALL[rng.random_range(0..Audience::ALL.len())];
        batch.articles.push(article::Model {
            id,
            slug: format!("synthetic-article-{n}"),
            search_text: fold(&title),
            title,
            summary: "Les nouvelles du quartier, en bref.".to_owned(),
            easy_read_summary: None,
            body: "Un article **synthétique** pour les tests de charge.".to_owned(),
            status: if rng.random_bool(0.95) {
                "PUBLISHED"
            } else {
                "DRAFT"
            }
            .to_owned(),
            published_at: Some(published_at),
            author_name: Some("Capitole".to_owned()),
            cover_url: None,
            cover_alt: None,
            cover_credit: None,
            media: "[]".to_owned(),
            tags: "|".to_owned(),
            audiences: encode_codes([audience.code()]),
            created_at: now,
            updated_at: now,
            version: 1,
            review_requested_at: None,
        });
        if let Some(organization_id) = pick_opt(&mut rng, &organizations) {
            batch
                .article_organizations
                .push(article_organization::Model {
                    article_id: id,
                    organization_id,
                    position: 0,
                });
        }
        if let Some(category_id) = news_categories.get(n % news_categories.len().max(1)) {
            batch.article_categories.push(article_category::Model {
                article_id: id,
                category_id: *category_id,
                position: 0,
            });
        }
        report.articles += 1;
        if batch.articles.len() >= FLUSH_EVERY {
            batch.flush(&tx).await?;
        }
    }
    batch.flush(&tx).await?;
    super::community::generate(&tx, db, size.community, seed, now).await?;
    report.users = size.community.users;
    report.tips = size.community.tips;
    report.check_ins = size.community.check_ins;
    tx.commit().await?;
    if db.backend() == crate::Backend::Postgres {
        // Fresh statistics, so that the planner uses the indexes from the first request on.
        db.connection().execute_unprepared("ANALYZE").await?;
    }
    Ok(report)
}

fn pick<'a>(rng: &mut SmallRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn pick_opt<T: Copy>(rng: &mut SmallRng, items: &[T]) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        Some(items[rng.random_range(0..items.len())])
    }
}
