//! Per-request batching: every relation the graph follows goes through one [`Batcher`],
//! which answers each kind of key below in one statement per batch, whatever the page size.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use capitole_persistence::PageRequest;
use capitole_persistence::articles::{self, ArticleVisibility};
use capitole_persistence::entities::{
    article, category, check_in, event, event_occurrence, neighborhood, organization, place,
    social_post, tip, translation,
};
use capitole_persistence::events::{self, AgendaRow, OccurrenceWindow};
use capitole_persistence::publishers::{self, Published};
use capitole_persistence::{
    Database, Page, StorageError, catalog, check_ins, places, profiles, reactions, tips,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Loads everything the graph follows, for one request.
pub(crate) struct Batcher {
    pub db: Database,
    pub now: DateTime<Utc>,
    /// Which articles the caller may read.
    pub articles: ArticleVisibility,
}

/// Storage errors shared between the fields that waited on one batch.
pub(crate) type LoadError = Arc<StorageError>;

fn keyed<K, V>(
    values: Vec<V>,
    key_of: impl Fn(&V) -> Uuid,
    wrap: impl Fn(Uuid) -> K,
) -> HashMap<K, V>
where
    K: Hash + Eq,
{
    values.into_iter().map(|v| (wrap(key_of(&v)), v)).collect()
}

fn uuids<K: Copy>(keys: &[K], unwrap: impl Fn(K) -> Uuid) -> Vec<Uuid> {
    keys.iter().map(|k| unwrap(*k)).collect()
}

macro_rules! by_id_loader {
    ($(#[$doc:meta])* $key:ident => $model:ty, |$db:ident, $batcher:ident, $ids:ident| $fetch:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) struct $key(pub Uuid);

        impl Loader<$key> for Batcher {
            type Value = $model;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $model>, LoadError> {
                let $ids = uuids(keys, |k| k.0);
                let $db = &self.db;
                let $batcher = self;
                let _ = $batcher;
                let values = $fetch.await.map_err(Arc::new)?;
                Ok(keyed(values, |v| v.id, $key))
            }
        }
    };
}

by_id_loader!(
    /// A place by id.
    PlaceId => place::Model, |db, _b, ids| places::by_ids(db, &ids)
);
by_id_loader!(
    /// An event by id.
    EventId => event::Model, |db, _b, ids| events::by_ids(db, &ids)
);
by_id_loader!(
    /// An article by id, if the caller may read it.
    ArticleId => article::Model, |db, b, ids| articles::by_ids(db, &b.articles, &ids)
);
by_id_loader!(
    /// A tip by id, unless a moderator hid it.
    TipId => tip::Model, |db, _b, ids| tips::visible_tips(db, &ids)
);
by_id_loader!(
    /// An organization by id.
    OrganizationId => organization::Model, |db, _b, ids| catalog::organizations_by_ids(db, &ids)
);
by_id_loader!(
    /// A category by id.
    CategoryId => category::Model, |db, _b, ids| catalog::categories_by_ids(db, &ids)
);
by_id_loader!(
    /// A neighbourhood by id.
    NeighborhoodId => neighborhood::Model, |db, _b, ids| catalog::neighborhoods_by_ids(db, &ids)
);

macro_rules! grouped_loader {
    ($(#[$doc:meta])* $key:ident => $value:ty, |$db:ident, $batcher:ident, $ids:ident| $fetch:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) struct $key(pub Uuid);

        impl Loader<$key> for Batcher {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let $ids = uuids(keys, |k| k.0);
                let $db = &self.db;
                let $batcher = self;
                let _ = $batcher;
                let grouped = $fetch.await.map_err(Arc::new)?;
                Ok(grouped.into_iter().map(|(id, value)| ($key(id), value)).collect())
            }
        }
    };
}

grouped_loader!(
    /// The categories of a place.
    CategoriesOfPlace => Vec<category::Model>, |db, _b, ids| catalog::categories_of_places(db, &ids)
);
grouped_loader!(
    /// The categories of an event.
    CategoriesOfEvent => Vec<category::Model>, |db, _b, ids| catalog::categories_of_events(db, &ids)
);
grouped_loader!(
    /// The next date of an event that is not cancelled.
    NextOccurrence => event_occurrence::Model, |db, b, ids| events::next_occurrences(db, &ids, b.now)
);
grouped_loader!(
    /// The categories of an article.
    CategoriesOfArticle => Vec<category::Model>, |db, _b, ids| catalog::categories_of_articles(db, &ids)
);
grouped_loader!(
    /// The publishers of an article, in its order.
    PublishersOfArticle => Vec<organization::Model>, |db, _b, ids| articles::publishers_of(db, &ids)
);
grouped_loader!(
    /// The publishers of an event, in its order.
    PublishersOfEvent => Vec<organization::Model>, |db, _b, ids| publishers::of(db, Published::Event, &ids)
);
grouped_loader!(
    /// The publishers of a place, in its order.
    PublishersOfPlace => Vec<organization::Model>, |db, _b, ids| publishers::of(db, Published::Place, &ids)
);
grouped_loader!(
    /// The neighbourhoods of an article, as ids.
    NeighborhoodsOfArticle => Vec<Uuid>, |db, _b, ids| articles::neighborhoods_of(db, &ids)
);
grouped_loader!(
    /// The neighbourhoods of an event, as ids.
    NeighborhoodsOfEvent => Vec<Uuid>, |db, _b, ids| capitole_persistence::events::neighborhoods_of_events(db, &ids)
);
grouped_loader!(
    /// The events an article is about, as ids.
    EventsOfArticle => Vec<Uuid>, |db, _b, ids| articles::events_of(db, &ids)
);
grouped_loader!(
    /// The translations of an event or a place, in language then field order.
    TranslationsOf => Vec<translation::Model>, |db, _b, ids| capitole_persistence::translations::of_items(db, &ids)
);
grouped_loader!(
    /// The places an article is about, as ids.
    PlacesOfArticle => Vec<Uuid>, |db, _b, ids| articles::places_of(db, &ids)
);

/// The counters of a place (absent when nothing happened there yet), with who is there
/// now when `here_now` is asked: keys of either sort share one statement per sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StatsOfPlace {
    pub place_id: Uuid,
    pub here_now: bool,
}

impl Loader<StatsOfPlace> for Batcher {
    type Value = check_ins::PlaceFigures;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[StatsOfPlace],
    ) -> Result<HashMap<StatsOfPlace, check_ins::PlaceFigures>, LoadError> {
        let mut out = HashMap::with_capacity(keys.len());
        for here_now in [false, true] {
            let ids: Vec<Uuid> = keys
                .iter()
                .filter(|k| k.here_now == here_now)
                .map(|k| k.place_id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let since = here_now.then(|| self.now - capitole_domain::community::HERE_NOW_WINDOW);
            let rows = check_ins::stats_of(&self.db, &ids, since)
                .await
                .map_err(Arc::new)?;
            out.extend(rows.into_iter().map(|s| {
                let key = StatsOfPlace {
                    place_id: s.stats.place_id,
                    here_now,
                };
                (key, s)
            }));
        }
        Ok(out)
    }
}

grouped_loader!(
    /// The latest visible tips of a place, with their authors' public profiles.
    LatestTipsOfPlace => Vec<tips::TipWithAuthor>, |db, _b, ids| tips::latest_tips_of_places(db, &ids, LATEST_TIPS + 1)
);
grouped_loader!(
    /// What others may know of a person (their name, whether they share their check-ins).
    ProfileOf => profiles::PublicProfile, |db, _b, ids| profiles::public_profiles(db, &ids)
);
grouped_loader!(
    /// A person's latest check-ins, latest first (whether the caller may read them is the
    /// field's to decide).
    LatestCheckInsOfPerson => Vec<check_in::Model>, |db, _b, ids| check_ins::latest_check_ins_of_people(db, &ids, LATEST_CHECK_INS + 1)
);
grouped_loader!(
    /// How many people are going to a date.
    AttendeesOf => i64, |db, _b, ids| reactions::attendees_of(db, &ids)
);

/// The longest first page of a place's tips read in one batch with the other places of a
/// list (one more is read to know whether a next page exists): the default page.
pub(crate) const LATEST_TIPS: usize = 20;

/// The longest first page of a person's check-ins read in one batch with other people's
/// (one more is read to know whether a next page exists).
pub(crate) const LATEST_CHECK_INS: usize = 20;

/// The longest first page of a place's upcoming events read in one batch with the other
/// places of a list (one more is read to know whether a next page exists).
pub(crate) const UPCOMING_PER_PLACE: usize = 20;

grouped_loader!(
    /// The upcoming events at a place, soonest first.
    UpcomingAtPlace => Vec<AgendaRow>, |db, b, ids| events::upcoming_at_places(db, &ids, b.now, UPCOMING_PER_PLACE + 1)
);

/// One page of an event's dates; keys asking the same page of different events share a
/// statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct OccurrencePage {
    pub event_id: Uuid,
    pub window: OccurrenceWindow,
    pub request: PageRequest,
}

impl Loader<OccurrencePage> for Batcher {
    type Value = Page<event_occurrence::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[OccurrencePage],
    ) -> Result<HashMap<OccurrencePage, Self::Value>, LoadError> {
        let mut groups: HashMap<(OccurrenceWindow, PageRequest), Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.window, key.request.clone()))
                .or_default()
                .push(key.event_id);
        }
        let mut out = HashMap::new();
        for ((window, request), ids) in groups {
            let pages = events::occurrences_of(&self.db, &ids, window, &request)
                .await
                .map_err(Arc::new)?;
            for (event_id, page) in pages {
                let key = OccurrencePage {
                    event_id,
                    window,
                    request: request.clone(),
                };
                out.insert(key, page);
            }
        }
        Ok(out)
    }
}

/// One page of the social posts of an article, an event or a place; keys asking the same
/// page of different items share a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SocialPostPage {
    pub item_id: Uuid,
    pub request: PageRequest,
}

impl Loader<SocialPostPage> for Batcher {
    type Value = Page<social_post::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[SocialPostPage],
    ) -> Result<HashMap<SocialPostPage, Self::Value>, LoadError> {
        let mut groups: HashMap<PageRequest, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry(key.request.clone())
                .or_default()
                .push(key.item_id);
        }
        let mut out = HashMap::new();
        for (request, ids) in groups {
            let pages = capitole_persistence::social_posts::of_items(&self.db, &ids, &request)
                .await
                .map_err(Arc::new)?;
            for (item_id, page) in pages {
                let key = SocialPostPage {
                    item_id,
                    request: request.clone(),
                };
                out.insert(key, page);
            }
        }
        Ok(out)
    }
}
