//! Filling a database: the demo Toulouse (`seed --demo`, `serve --demo`) and a synthetic
//! city of any size for load tests (`seed --synthetic --scale N`). Both write in batches
//! inside one transaction and both leave an already-seeded database as it is.

mod community;
mod demo;
pub mod demo_data;
mod demo_extras;
mod demo_translations;
mod synthetic;

use capitole_domain::change::ItemKind;
use capitole_domain::recurrence::RecurrenceRule;
use capitole_domain::schedule::OccurrenceStatus;
use capitole_domain::windows::local_instant;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseTransaction, EntityTrait, IntoActiveModel};
use uuid::Uuid;

pub use community::CommunitySize;
pub use demo::demo;
pub use synthetic::{SyntheticSize, synthetic, synthetic_sized};

use crate::StorageError;
use crate::entities::{
    article, article_category, article_event, article_neighborhood, article_organization,
    article_place, category, event, event_category, event_neighborhood, event_occurrence,
    event_organization, neighborhood, organization, place, place_category, place_organization,
    translation,
};

/// What a seeding run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Whether the data was there already, so that nothing was written.
    pub already_present: bool,
    /// Places written.
    pub places: usize,
    /// Events written.
    pub events: usize,
    /// Event dates written.
    pub occurrences: usize,
    /// Articles written.
    pub articles: usize,
    /// Residents written.
    pub users: usize,
    /// Tips written.
    pub tips: usize,
    /// Check-ins written.
    pub check_ins: usize,
}

/// How far ahead a recurring event's dates are stored.
pub(crate) const RECURRENCE_HORIZON_DAYS: i64 = 366;
/// The most dates one recurring event stores.
pub(crate) const MAX_OCCURRENCES: usize = 400;

/// Rows waiting to be written, flushed in chunks small enough for either engine's limit
/// on bound parameters.
#[derive(Default)]
pub(crate) struct Batch {
    pub organizations: Vec<organization::Model>,
    pub neighborhoods: Vec<neighborhood::Model>,
    pub categories: Vec<category::Model>,
    pub places: Vec<place::Model>,
    pub place_categories: Vec<place_category::Model>,
    pub place_organizations: Vec<place_organization::Model>,
    pub events: Vec<event::Model>,
    pub event_categories: Vec<event_category::Model>,
    pub event_organizations: Vec<event_organization::Model>,
    pub event_neighborhoods: Vec<event_neighborhood::Model>,
    pub occurrences: Vec<event_occurrence::Model>,
    pub articles: Vec<article::Model>,
    pub article_organizations: Vec<article_organization::Model>,
    pub article_categories: Vec<article_category::Model>,
    pub article_neighborhoods: Vec<article_neighborhood::Model>,
    pub article_events: Vec<article_event::Model>,
    pub article_places: Vec<article_place::Model>,
    pub translations: Vec<translation::Model>,
}

const CHUNK: usize = 400;

async fn insert_all<M, A, E>(
    tx: &DatabaseTransaction,
    rows: &mut Vec<M>,
) -> Result<(), StorageError>
where
    M: IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E: EntityTrait,
{
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(CHUNK));
        let chunk = std::mem::replace(rows, rest);
        E::insert_many(chunk.into_iter().map(IntoActiveModel::into_active_model))
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

impl Batch {
    /// Writes every waiting row, parents before children, and the search documents of its
    /// places, events and articles.
    pub(crate) async fn flush(&mut self, tx: &DatabaseTransaction) -> Result<(), StorageError> {
        let indexed = [
            (
                ItemKind::Place,
                self.places.iter().map(|p| p.id).collect::<Vec<_>>(),
            ),
            (ItemKind::Event, self.events.iter().map(|e| e.id).collect()),
            (
                ItemKind::Article,
                self.articles.iter().map(|a| a.id).collect(),
            ),
        ];
        insert_all(tx, &mut self.organizations).await?;
        insert_all(tx, &mut self.neighborhoods).await?;
        insert_all(tx, &mut self.categories).await?;
        insert_all(tx, &mut self.places).await?;
        insert_all(tx, &mut self.place_categories).await?;
        insert_all(tx, &mut self.place_organizations).await?;
        insert_all(tx, &mut self.events).await?;
        insert_all(tx, &mut self.event_categories).await?;
        insert_all(tx, &mut self.event_organizations).await?;
        insert_all(tx, &mut self.event_neighborhoods).await?;
        insert_all(tx, &mut self.occurrences).await?;
        insert_all(tx, &mut self.articles).await?;
        insert_all(tx, &mut self.article_organizations).await?;
        insert_all(tx, &mut self.article_categories).await?;
        insert_all(tx, &mut self.article_neighborhoods).await?;
        insert_all(tx, &mut self.article_events).await?;
        insert_all(tx, &mut self.article_places).await?;
        insert_all(tx, &mut self.translations).await?;
        for (kind, ids) in indexed {
            crate::search::reindex(tx, kind, &ids).await?;
        }
        Ok(())
    }
}

/// The dates of one event: its first start, explicit further starts, and the starts of its
/// recurrence rule up to the horizon, all at local wall-clock time in `tz`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn occurrences_of(
    event_id: Uuid,
    first_start: NaiveDateTime,
    duration: Duration,
    extra_starts: &[NaiveDateTime],
    rule: Option<&RecurrenceRule>,
    tz: Tz,
    now: DateTime<Utc>,
    mut new_id: impl FnMut() -> Uuid,
) -> Vec<event_occurrence::Model> {
    // A rule decides its own dates (a Sunday market starts on the first Sunday); the first
    // start stands on its own only when there is no rule or the rule yields nothing.
    let until = now + Duration::days(RECURRENCE_HORIZON_DAYS);
    let mut starts: Vec<DateTime<Utc>> = rule
        .map(|rule| {
            rule.starts(first_start, tz, &[], until, MAX_OCCURRENCES)
                .unwrap_or_default()
        })
        .unwrap_or_default();
    if starts.is_empty() {
        starts.push(local_instant(first_start, tz));
    }
    starts.extend(extra_starts.iter().map(|s| local_instant(*s, tz)));
    starts.sort_unstable();
    starts.dedup();
    starts
        .into_iter()
        .map(|starts_at| event_occurrence::Model {
            id: new_id(),
            event_id,
            starts_at,
            ends_at: starts_at + duration,
            status: OccurrenceStatus::Scheduled.code().to_owned(),
        })
        .collect()
}
