//! The demo Toulouse, written from [`super::demo_data`] relative to the day it is loaded.

use std::collections::HashMap;

use capitole_domain::ids::new_id;
use capitole_domain::opening_hours::{DayOfWeek, OpeningHours, WeeklyRange};
use capitole_domain::recurrence::RecurrenceRule;
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::text::{encode_codes, fold};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, SubsecRound, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::demo_data::{
    ARTICLES, CATEGORIES, DemoHours, EVENTS, NEIGHBORHOODS, ORGANIZATIONS, PLACE_EASY_READ, PLACES,
};
use super::demo_extras::{
    add_translations, event_accessibility, media_of, pictures_of, place_accessibility,
};
use super::{Batch, SeedReport, occurrences_of};
use crate::entities::{
    article, article_category, article_event, article_neighborhood, article_organization,
    article_place, category, event, event_category, event_neighborhood, event_organization,
    neighborhood, organization, place, place_category, place_organization,
};
use crate::{Database, StorageError, accessibility};

/// The ids of the publishers, neighbourhoods and categories, by slug.
pub(crate) struct Catalog {
    pub organizations: HashMap<String, Uuid>,
    pub neighborhoods: HashMap<String, Uuid>,
    pub categories: HashMap<String, (Uuid, String)>,
}

/// Loads the demo Toulouse into an empty database, with dates relative to `now` in `tz`.
/// A database that has it already is left as it is.
pub async fn demo(db: &Database, now: DateTime<Utc>, tz: Tz) -> Result<SeedReport, StorageError> {
    let now = now.trunc_subsecs(0);
    let tx = db.connection().begin().await?;
    let catalog = ensure_catalog(&tx, now).await?;
    let first_slug = PLACES.first().map(|p| p.slug).unwrap_or_default();
    let present = place::Entity::find()
        .filter(place::Column::Slug.eq(first_slug))
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
    let mut batch = Batch::default();
    let places = add_places(&mut batch, &catalog, now);
    let events = add_events(&mut batch, &catalog, &places, now, tz);
    add_articles(&mut batch, &catalog, &places, &events, now);
    add_translations(&mut batch, &catalog, &places, &events, now);
    let report = SeedReport {
        already_present: false,
        places: batch.places.len(),
        events: batch.events.len(),
        occurrences: batch.occurrences.len(),
        articles: batch.articles.len(),
        ..SeedReport::default()
    };
    batch.flush(&tx).await?;
    tx.commit().await?;
    Ok(report)
}

/// Writes the publishers, neighbourhoods and category trees unless they are there, and
/// returns their ids by slug.
pub(crate) async fn ensure_catalog(
    tx: &DatabaseTransaction,
    now: DateTime<Utc>,
) -> Result<Catalog, StorageError> {
    let mut batch = Batch::default();
    let existing_organizations: HashMap<String, Uuid> = organization::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|o| (o.slug, o.id))
        .collect();
    let mut organizations = existing_organizations.clone();
    for o in ORGANIZATIONS
        .iter()
        .filter(|o| !existing_organizations.contains_key(o.slug))
    {
        let id = new_id();
        organizations.insert(o.slug.to_owned(), id);
        let social: Vec<_> = o
            .social
            .iter()
            .map(|(network, url)| json!({ "network": network, "url": url }))
            .collect();
        batch.organizations.push(organization::Model {
            id,
            slug: o.slug.to_owned(),
            name: o.name.to_owned(),
            kind: o.kind.to_owned(),
            website: Some(o.website.to_owned()),
            description: o.description.to_owned(),
            social_accounts: serde_json::Value::Array(social).to_string(),
            created_at: now,
        });
    }
    let existing_neighborhoods: HashMap<String, Uuid> = neighborhood::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|n| (n.slug, n.id))
        .collect();
    let mut neighborhoods = existing_neighborhoods.clone();
    for n in NEIGHBORHOODS
        .iter()
        .filter(|n| !existing_neighborhoods.contains_key(n.slug))
    {
        let id = new_id();
        neighborhoods.insert(n.slug.to_owned(), id);
        batch.neighborhoods.push(neighborhood::Model {
            id,
            slug: n.slug.to_owned(),
            name: n.name.to_owned(),
            latitude: Some(n.latitude),
            longitude: Some(n.longitude),
        });
    }
    let existing_categories: HashMap<String, (Uuid, String)> = category::Entity::find()
        .all(tx)
        .await?
        .into_iter()
        .map(|c| (c.slug, (c.id, c.kind)))
        .collect();
    let mut categories = existing_categories.clone();
    for c in CATEGORIES
        .iter()
        .filter(|c| !existing_categories.contains_key(c.slug))
    {
        let id = new_id();
        let parent_id = c.parent.and_then(|p| categories.get(p)).map(|(id, _)| *id);
        categories.insert(c.slug.to_owned(), (id, c.kind.to_owned()));
        batch.categories.push(category::Model {
            id,
            slug: c.slug.to_owned(),
            kind: c.kind.to_owned(),
            name: c.name.to_owned(),
            parent_id,
        });
    }
    batch.flush(tx).await?;
    Ok(Catalog {
        organizations,
        neighborhoods,
        categories,
    })
}

/// Weekly hours from the demo's compact form; "00:00–00:00" means open around the clock.
pub(crate) fn weekly_hours(hours: DemoHours) -> OpeningHours {
    const DAYS: [DayOfWeek; 7] = [
        DayOfWeek::Monday,
        DayOfWeek::Tuesday,
        DayOfWeek::Wednesday,
        DayOfWeek::Thursday,
        DayOfWeek::Friday,
        DayOfWeek::Saturday,
        DayOfWeek::Sunday,
    ];
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(NaiveTime::MIN);
    let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut weekly = Vec::new();
    for &(day, opens, closes) in hours {
        let day = DAYS[usize::from(day) % 7];
        let (opens, closes) = (time(opens), time(closes));
        if opens == closes {
            weekly.push(WeeklyRange {
                day,
                opens,
                closes: noon,
            });
            weekly.push(WeeklyRange {
                day,
                opens: noon,
                closes,
            });
        } else {
            weekly.push(WeeklyRange { day, opens, closes });
        }
    }
    OpeningHours {
        weekly,
        exceptions: Vec::new(),
    }
}

fn add_places(
    batch: &mut Batch,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> HashMap<&'static str, Uuid> {
    let mut ids = HashMap::new();
    for p in PLACES {
        let id = new_id();
        ids.insert(p.slug, id);
        let (accessibility, accessibility_features) =
            accessibility::encode(&place_accessibility(p));
        batch.places.push(place::Model {
            id,
            slug: p.slug.to_owned(),
            name: p.name.to_owned(),
            name_folded: fold(p.name),
            description: p.description.to_owned(),
            latitude: p.latitude,
            longitude: p.longitude,
            address: p.address.to_owned(),
            postal_code: p.postal_code.to_owned(),
            city: "Toulouse".to_owned(),
            neighborhood_id: catalog.neighborhoods.get(p.neighborhood).copied(),
            phone: p.phone.map(str::to_owned),
            email: None,
            website: p.website.map(str::to_owned),
            opening_hours: serde_json::to_string(&weekly_hours(p.hours))
                .unwrap_or_else(|_| "{}".into()),
            accessibility,
            accessibility_features,
            popularity: p.popularity,
            rating: None,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            external_id: None,
            closure: "OPEN".to_owned(),
            closed_until: None,
            easy_read_summary: PLACE_EASY_READ
                .iter()
                .find(|(slug, _)| *slug == p.slug)
                .map(|(_, summary)| (*summary).to_owned()),
            pictures: pictures_of(p.slug),
            media: media_of(p.slug),
        });
        for (position, slug) in p.publishers.iter().enumerate() {
            if let Some(organization_id) = catalog.organizations.get(*slug) {
                batch.place_organizations.push(place_organization::Model {
                    place_id: id,
                    organization_id: *organization_id,
                    position: position as i64,
                });
            }
        }
        for (position, slug) in p.categories.iter().enumerate() {
            if let Some((category_id, _)) = catalog.categories.get(*slug) {
                batch.place_categories.push(place_category::Model {
                    place_id: id,
                    category_id: *category_id,
                    position: position as i64,
                });
            }
        }
    }
    ids
}

fn add_events(
    batch: &mut Batch,
    catalog: &Catalog,
    places: &HashMap<&'static str, Uuid>,
    now: DateTime<Utc>,
    tz: Tz,
) -> HashMap<&'static str, Uuid> {
    let today = now.with_timezone(&tz).date_naive();
    let mut ids = HashMap::new();
    for e in EVENTS {
        let publishers: Vec<Uuid> = e
            .publishers
            .iter()
            .filter_map(|slug| catalog.organizations.get(*slug).copied())
            .collect();
        if publishers.is_empty() {
            continue;
        }
        let id = new_id();
        ids.insert(e.slug, id);
        let time = NaiveTime::parse_from_str(e.start_time, "%H:%M").unwrap_or(NaiveTime::MIN);
        let at = |offset: i64| NaiveDateTime::new(today + Duration::days(offset), time);
        let extra: Vec<NaiveDateTime> = e.extra_days.iter().map(|d| at(*d)).collect();
        let rule = e.rrule.and_then(|r| RecurrenceRule::parse(r).ok());
        let duration = Duration::minutes(e.duration_minutes);
        let mut occurrences = occurrences_of(
            id,
            at(e.day_offset),
            duration,
            &extra,
            rule.as_ref(),
            tz,
            now,
            new_id,
        );
        if let Some(cancelled) = e.cancelled_occurrence.and_then(|i| occurrences.get_mut(i)) {
            cancelled.status = OccurrenceStatus::Cancelled.code().to_owned();
        }
        batch.occurrences.extend(occurrences);
        let (inherits_accessibility, shown) = event_accessibility(e);
        let (accessibility, accessibility_features) = accessibility::encode(&shown);
        batch.events.push(event::Model {
            id,
            slug: e.slug.to_owned(),
            title: e.title.to_owned(),
            summary: e.summary.to_owned(),
            easy_read_summary: e.easy_read.map(str::to_owned),
            description: e.description.to_owned(),
            search_text: fold(&format!("{} {}", e.title, e.summary)),
            status: e.status.to_owned(),
            attendance_mode: e.attendance.to_owned(),
            online_url: e.online_url.map(str::to_owned),
            age_min: e.age_min,
            age_max: e.age_max,
            accessibility,
            accessibility_features,
            inherits_accessibility,
            pictures: pictures_of(e.slug),
            media: media_of(e.slug),
            audiences: encode_codes(e.audiences.iter().copied()),
            is_free: e.free,
            price: e.price.map(str::to_owned),
            registration_url: e.registration_url.map(str::to_owned),
            registration_phone: e.registration_phone.map(str::to_owned),
            registration_email: e.registration_email.map(str::to_owned),
            place_id: e.place.and_then(|p| places.get(p)).copied(),
            location_text: e.location_text.map(str::to_owned),
            recurrence_rule: rule.map(|r| r.as_str().to_owned()),
            duration_minutes: e.duration_minutes,
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            external_id: None,
            recurrence_start: e
                .rrule
                .map(|_| at(e.day_offset).format("%Y-%m-%dT%H:%M:%S").to_string()),
            recurrence_exceptions: "|".to_owned(),
        });
        // An event at a venue concerns the venue's neighbourhood.
        let neighborhood = e
            .place
            .and_then(|slug| PLACES.iter().find(|p| p.slug == slug))
            .and_then(|p| catalog.neighborhoods.get(p.neighborhood));
        if let Some(neighborhood_id) = neighborhood {
            batch.event_neighborhoods.push(event_neighborhood::Model {
                event_id: id,
                neighborhood_id: *neighborhood_id,
            });
        }
        for (position, organization_id) in publishers.into_iter().enumerate() {
            batch.event_organizations.push(event_organization::Model {
                event_id: id,
                organization_id,
                position: position as i64,
            });
        }
        for (position, slug) in e.categories.iter().enumerate() {
            if let Some((category_id, _)) = catalog.categories.get(*slug) {
                batch.event_categories.push(event_category::Model {
                    event_id: id,
                    category_id: *category_id,
                    position: position as i64,
                });
            }
        }
    }
    ids
}

fn add_articles(
    batch: &mut Batch,
    catalog: &Catalog,
    places: &HashMap<&'static str, Uuid>,
    events: &HashMap<&'static str, Uuid>,
    now: DateTime<Utc>,
) {
    for a in ARTICLES {
        let id = new_id();
        let published_at =
            (a.status != "DRAFT").then(|| now - Duration::days(a.days_ago) - Duration::hours(2));
        // Videos are stored as an editor's would be: recognised and normalised.
        let media: Vec<_> = a
            .video_url
            .iter()
            .filter_map(|url| {
                capitole_domain::media::check_media(capitole_domain::media::MediaInput {
                    url: (*url).to_owned(),
                    ..Default::default()
                })
                .ok()
            })
            .filter_map(|m| serde_json::to_value(m).ok())
            .collect();
        batch.articles.push(article::Model {
            id,
            slug: a.slug.to_owned(),
            title: a.title.to_owned(),
            summary: a.summary.to_owned(),
            easy_read_summary: a.easy_read.map(str::to_owned),
            body: a.body.to_owned(),
            search_text: fold(&format!("{} {}", a.title, a.summary)),
            status: a.status.to_owned(),
            published_at,
            author_name: Some(a.author.to_owned()),
            cover_url: a.cover_url.map(str::to_owned),
            cover_alt: a.cover_alt.map(str::to_owned),
            cover_credit: None,
            media: serde_json::Value::Array(media).to_string(),
            tags: encode_codes(a.tags.iter().copied()),
            audiences: encode_codes(a.audiences.iter().copied()),
            created_at: now,
            updated_at: now,
            version: 1,
            review_requested_at: None,
        });
        for (position, slug) in a.publishers.iter().enumerate() {
            if let Some(organization_id) = catalog.organizations.get(*slug) {
                batch
                    .article_organizations
                    .push(article_organization::Model {
                        article_id: id,
                        organization_id: *organization_id,
                        position: position as i64,
                    });
            }
        }
        for (position, slug) in a.categories.iter().enumerate() {
            if let Some((category_id, _)) = catalog.categories.get(*slug) {
                batch.article_categories.push(article_category::Model {
                    article_id: id,
                    category_id: *category_id,
                    position: position as i64,
                });
            }
        }
        for slug in a.neighborhoods {
            if let Some(neighborhood_id) = catalog.neighborhoods.get(*slug) {
                batch
                    .article_neighborhoods
                    .push(article_neighborhood::Model {
                        article_id: id,
                        neighborhood_id: *neighborhood_id,
                    });
            }
        }
        for slug in a.related_events {
            if let Some(event_id) = events.get(slug) {
                batch.article_events.push(article_event::Model {
                    article_id: id,
                    event_id: *event_id,
                });
            }
        }
        for slug in a.related_places {
            if let Some(place_id) = places.get(slug) {
                batch.article_places.push(article_place::Model {
                    article_id: id,
                    place_id: *place_id,
                });
            }
        }
    }
}

/// Checks the demo data's cross-references, so a typo in the data file fails a test rather
/// than silently dropping a link.
#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use capitole_domain::Slug;

    use super::super::demo_data::*;
    use super::*;

    #[test]
    fn every_demo_reference_names_an_existing_item_and_every_slug_is_valid() {
        let orgs: HashSet<&str> = ORGANIZATIONS.iter().map(|o| o.slug).collect();
        let hoods: HashSet<&str> = NEIGHBORHOODS.iter().map(|n| n.slug).collect();
        let cats: HashSet<&str> = CATEGORIES.iter().map(|c| c.slug).collect();
        let of_kind = |kind: &str| -> HashSet<&str> {
            CATEGORIES
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.slug)
                .collect()
        };
        let (place_cats, event_cats, news_cats) =
            (of_kind("PLACE"), of_kind("EVENT"), of_kind("ARTICLE"));
        let places: HashSet<&str> = PLACES.iter().map(|p| p.slug).collect();
        let events: HashSet<&str> = EVENTS.iter().map(|e| e.slug).collect();
        assert_eq!(places.len(), PLACES.len(), "place slugs are unique");
        assert_eq!(events.len(), EVENTS.len(), "event slugs are unique");
        assert_eq!(cats.len(), CATEGORIES.len(), "category slugs are unique");
        for slug in orgs
            .iter()
            .chain(&hoods)
            .chain(&cats)
            .chain(&places)
            .chain(&events)
        {
            assert!(Slug::parse(slug).is_ok(), "{slug}");
        }
        for p in PLACES {
            assert!(hoods.contains(p.neighborhood), "{}", p.slug);
            assert!(
                p.categories.iter().all(|c| place_cats.contains(c)),
                "{}",
                p.slug
            );
            assert!(p.publishers.iter().all(|o| orgs.contains(o)), "{}", p.slug);
            assert!(weekly_hours(p.hours).validate().is_ok(), "{}", p.slug);
        }
        for e in EVENTS {
            assert!(!e.publishers.is_empty(), "{}", e.slug);
            assert!(e.publishers.iter().all(|o| orgs.contains(o)), "{}", e.slug);
            assert!(e.place.is_none_or(|p| places.contains(p)), "{}", e.slug);
            assert!(
                e.categories.iter().all(|c| event_cats.contains(c)),
                "{}",
                e.slug
            );
            assert!(
                e.rrule.is_none_or(|r| RecurrenceRule::parse(r).is_ok()),
                "{}",
                e.slug
            );
            assert!(
                capitole_domain::event::EventStatus::from_code(e.status).is_some(),
                "{}",
                e.slug
            );
            assert!(
                capitole_domain::event::AttendanceMode::from_code(e.attendance).is_some(),
                "{}",
                e.slug
            );
            assert!(
                e.audiences
                    .iter()
                    .all(|a| capitole_domain::Audience::from_code(a).is_some()),
                "{}",
                e.slug
            );
        }
        for a in ARTICLES {
            assert!(a.publishers.iter().all(|o| orgs.contains(o)), "{}", a.slug);
            assert!(
                !a.categories.is_empty() && a.categories.iter().all(|c| news_cats.contains(c)),
                "{}",
                a.slug
            );
            assert!(
                a.neighborhoods.iter().all(|n| hoods.contains(n)),
                "{}",
                a.slug
            );
            assert!(
                a.related_events.iter().all(|e| events.contains(e)),
                "{}",
                a.slug
            );
            assert!(
                a.related_places.iter().all(|p| places.contains(p)),
                "{}",
                a.slug
            );
            assert!(
                capitole_domain::article::ArticleStatus::from_code(a.status).is_some(),
                "{}",
                a.slug
            );
        }
        assert!(PLACES.len() >= 40 && EVENTS.len() >= 30 && ARTICLES.len() >= 20);
        let co_published = |publishers: &[&str]| {
            publishers.contains(&"ville-de-toulouse") && publishers.contains(&"toulouse-metropole")
        };
        assert!(PLACES.iter().any(|p| co_published(p.publishers)));
        assert!(EVENTS.iter().any(|e| co_published(e.publishers)));
        for c in CATEGORIES {
            let parent = c.parent.map(|p| CATEGORIES.iter().find(|x| x.slug == p));
            assert!(
                parent.is_none_or(|p| p.is_some_and(|p| p.kind == c.kind)),
                "{}",
                c.slug
            );
        }
    }
}
