//! Facets of the lists of events, places and news: how many items of the list each value of
//! a dimension holds, each dimension counted under the list's filter without its own
//! condition, so that every value shows what choosing it would give. The facets a query
//! asks for are counted together, the first time one of them is resolved, and only then.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Lookahead, Object, SimpleObject};
use capitole_domain::event::CategoryKind;
use capitole_domain::windows::start_of_day;
use capitole_persistence::StorageError;
use capitole_persistence::articles::{ArticleVisibility, NewsFilter};
use capitole_persistence::catalog as storage_catalog;
use capitole_persistence::events::EventFilter;
use capitole_persistence::facets::{self, Counted, Facet, FacetCounts, FacetValue};
use capitole_persistence::places::PlaceFilter;
use chrono::NaiveDate;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::catalog::{Category, Neighborhood};
use super::scalars::Date;
use super::{Accessibility, Audience};
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};

/// A category with how many items of the list it or a category below it holds.
#[derive(SimpleObject)]
pub(crate) struct CategoryFacet {
    /// The category's slug, as the filter's `categories` takes it.
    value: String,
    /// The category.
    category: Category,
    /// How many items of the list, under every other condition of the filter.
    count: i64,
    /// Whether the filter names it.
    selected: bool,
}

/// A neighbourhood with how many items of the list concern it.
#[derive(SimpleObject)]
pub(crate) struct NeighborhoodFacet {
    /// The neighbourhood's slug, as the filter's `neighborhoods` takes it.
    value: String,
    /// The neighbourhood.
    neighborhood: Neighborhood,
    /// How many items of the list, under every other condition of the filter.
    count: i64,
    /// Whether the filter names it.
    selected: bool,
}

/// An audience with how many items of the list are for it.
#[derive(SimpleObject)]
pub(crate) struct AudienceFacet {
    /// The audience, as the filter's `audiences` takes it.
    value: Audience,
    /// How many items of the list, under every other condition of the filter.
    count: i64,
    /// Whether the filter names it.
    selected: bool,
}

/// An accessibility need with how many items of the list are prepared for it.
#[derive(SimpleObject)]
pub(crate) struct AccessibilityFacet {
    /// The need, as the filter's `accessibility` takes it.
    value: Accessibility,
    /// How many items of the list, under every other condition of the filter.
    count: i64,
    /// Whether the filter names it.
    selected: bool,
}

/// Free (`true`) or not, with how many items of the list are so.
#[derive(SimpleObject)]
pub(crate) struct BooleanFacet {
    /// Free or not.
    value: bool,
    /// How many items of the list, under every other condition of the filter.
    count: i64,
    /// Whether the filter asks for it (`freeOnly` asks for `true`).
    selected: bool,
}

/// A day of city time with how many events of the list have a date starting on it.
#[derive(SimpleObject)]
pub(crate) struct DayFacet {
    /// The day.
    date: Date,
    /// How many events, under every condition of the filter but its span of time: the
    /// list's `totalCount` with `startsAfter` and `startsBefore` bounding this day.
    count: i64,
}

/// The facets a query asks of a list, and their counts once read: every facet asked is
/// counted the first time one of them is resolved (one statement for all those whose
/// dimension the filter leaves open).
#[derive(Clone)]
pub(crate) struct Asked {
    facets: Arc<[Facet]>,
    counted: Arc<OnceCell<Counted>>,
}

impl Asked {
    /// The facets asked under `facets`, the selection of a list's `facets` field.
    pub(crate) fn of(facets: &Lookahead<'_>) -> Self {
        const NAMES: [(&str, Facet); 5] = [
            ("categories", Facet::Categories),
            ("neighborhoods", Facet::Neighborhoods),
            ("audiences", Facet::Audiences),
            ("accessibility", Facet::Accessibility),
            ("isFree", Facet::Free),
        ];
        let facets: Vec<Facet> = NAMES
            .iter()
            .filter(|(name, _)| facets.field(name).exists())
            .map(|(_, facet)| *facet)
            .collect();
        Self {
            facets: facets.into(),
            counted: Arc::default(),
        }
    }

    /// The counts of `facet`: from those of every facet asked, read with `read` the first
    /// time; alone when it was not foreseen.
    async fn counts<F, R>(&self, facet: Facet, read: R) -> ApiResult<FacetCounts>
    where
        R: Fn(Vec<Facet>) -> F,
        F: Future<Output = Result<Counted, StorageError>>,
    {
        if self.facets.contains(&facet) {
            let counted = self
                .counted
                .get_or_try_init(|| read(self.facets.to_vec()))
                .await
                .map_err(to_gql)?;
            return Ok(counted.get(&facet).cloned().unwrap_or_default());
        }
        let mut counted = read(vec![facet]).await.map_err(to_gql)?;
        Ok(counted.remove(&facet).unwrap_or_default())
    }
}

/// The most days `dates` counts.
const MAX_DAYS: i32 = 62;

/// The facets of a page of the agenda.
#[derive(Clone)]
pub(crate) struct EventFacets {
    filter: Arc<EventFilter>,
    first_day: NaiveDate,
    asked: Asked,
}

impl EventFacets {
    /// The facets of the agenda under `filter`, with days counted from `first_day`, those
    /// `asked` read together.
    pub(crate) fn new(filter: EventFilter, first_day: NaiveDate, asked: Asked) -> Self {
        Self {
            filter: Arc::new(filter),
            first_day,
            asked,
        }
    }

    async fn counts(&self, ctx: &Context<'_>, facet: Facet) -> ApiResult<FacetCounts> {
        let scope = scope(ctx)?;
        let read = |asked: Vec<Facet>| async move {
            facets::of_events(&scope.db, &self.filter, &asked).await
        };
        self.asked.counts(facet, read).await
    }
}

/// How many events of the agenda each value of a dimension holds.
#[Object]
impl EventFacets {
    /// Event categories, each counting the events of its subtree; most events first.
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<CategoryFacet>> {
        let counts = self.counts(ctx, Facet::Categories).await?;
        categories(
            scope(ctx)?,
            CategoryKind::Event,
            counts,
            &self.filter.categories,
        )
        .await
    }
    /// Neighbourhoods; most events first.
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<NeighborhoodFacet>> {
        let counts = self.counts(ctx, Facet::Neighborhoods).await?;
        neighborhoods(scope(ctx)?, counts, &self.filter.neighborhoods).await
    }
    /// Audiences, in the order of the `Audience` enum.
    async fn audiences(&self, ctx: &Context<'_>) -> ApiResult<Vec<AudienceFacet>> {
        let counts = self.counts(ctx, Facet::Audiences).await?;
        Ok(audiences(&counts, &self.filter.audiences))
    }
    /// Accessibility needs, in the order of the `Accessibility` enum.
    async fn accessibility(&self, ctx: &Context<'_>) -> ApiResult<Vec<AccessibilityFacet>> {
        let counts = self.counts(ctx, Facet::Accessibility).await?;
        Ok(accessibility(&counts, &self.filter.accessibility))
    }
    /// Free events (`true`) and the others.
    async fn is_free(&self, ctx: &Context<'_>) -> ApiResult<Vec<BooleanFacet>> {
        let counts = self.counts(ctx, Facet::Free).await?;
        Ok(counts
            .into_iter()
            .filter_map(|(value, count)| match value {
                FacetValue::Flag(value) => Some(BooleanFacet {
                    value,
                    count: signed(count),
                    selected: value && self.filter.free_only,
                }),
                _ => None,
            })
            .collect())
    }
    /// Every day from the first day of the list (the day of `startsAfter`, or today) on,
    /// with how many events have a date starting that day, in city time; days without
    /// events count 0.
    async fn dates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days: 1 to 62.", default = 14)] days: i32,
    ) -> ApiResult<Vec<DayFacet>> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(to_gql(ApiError::bad_input(format!(
                "`days` must be between 1 and {MAX_DAYS}"
            ))));
        }
        let scope = scope(ctx)?;
        let dates: Vec<NaiveDate> = self.first_day.iter_days().take(days as usize + 1).collect();
        let bounds: Vec<_> = dates
            .iter()
            .map(|day| start_of_day(*day, scope.timezone))
            .collect();
        let counts = facets::events_per_day(&scope.db, &self.filter, &bounds)
            .await
            .map_err(to_gql)?;
        Ok(dates
            .into_iter()
            .zip(counts)
            .map(|(date, count)| DayFacet {
                date: Date(date),
                count: signed(count),
            })
            .collect())
    }
}

/// The facets of a list of places.
#[derive(Clone)]
pub(crate) struct PlaceFacets(pub Arc<PlaceFilter>, pub Asked);

impl PlaceFacets {
    async fn counts(&self, ctx: &Context<'_>, facet: Facet) -> ApiResult<FacetCounts> {
        let scope = scope(ctx)?;
        let read =
            |asked: Vec<Facet>| async move { facets::of_places(&scope.db, &self.0, &asked).await };
        self.1.counts(facet, read).await
    }
}

/// How many places of the list each value of a dimension holds.
#[Object]
impl PlaceFacets {
    /// Place categories, each counting the places of its subtree; most places first.
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<CategoryFacet>> {
        let counts = self.counts(ctx, Facet::Categories).await?;
        categories(scope(ctx)?, CategoryKind::Place, counts, &self.0.categories).await
    }
    /// Neighbourhoods; most places first.
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<NeighborhoodFacet>> {
        let counts = self.counts(ctx, Facet::Neighborhoods).await?;
        neighborhoods(scope(ctx)?, counts, &self.0.neighborhoods).await
    }
    /// Accessibility needs, in the order of the `Accessibility` enum.
    async fn accessibility(&self, ctx: &Context<'_>) -> ApiResult<Vec<AccessibilityFacet>> {
        let counts = self.counts(ctx, Facet::Accessibility).await?;
        Ok(accessibility(&counts, &self.0.accessibility))
    }
}

/// The facets of a news list.
#[derive(Clone)]
pub(crate) struct NewsFacets {
    visibility: Arc<ArticleVisibility>,
    filter: Arc<NewsFilter>,
    asked: Asked,
}

impl NewsFacets {
    /// The facets of the news list `filter` as `visibility` lets the reader see it, those
    /// `asked` read together.
    pub(crate) fn new(visibility: ArticleVisibility, filter: NewsFilter, asked: Asked) -> Self {
        Self {
            visibility: Arc::new(visibility),
            filter: Arc::new(filter),
            asked,
        }
    }

    async fn counts(&self, ctx: &Context<'_>, facet: Facet) -> ApiResult<FacetCounts> {
        let scope = scope(ctx)?;
        let read = |asked: Vec<Facet>| async move {
            facets::of_news(&scope.db, &self.visibility, &self.filter, &asked).await
        };
        self.asked.counts(facet, read).await
    }
}

/// How many articles of the list each value of a dimension holds.
#[Object]
impl NewsFacets {
    /// News categories, each counting the articles of its subtree; most articles first.
    async fn categories(&self, ctx: &Context<'_>) -> ApiResult<Vec<CategoryFacet>> {
        let counts = self.counts(ctx, Facet::Categories).await?;
        categories(
            scope(ctx)?,
            CategoryKind::Article,
            counts,
            &self.filter.categories,
        )
        .await
    }
    /// Neighbourhoods; most articles first.
    async fn neighborhoods(&self, ctx: &Context<'_>) -> ApiResult<Vec<NeighborhoodFacet>> {
        let counts = self.counts(ctx, Facet::Neighborhoods).await?;
        neighborhoods(scope(ctx)?, counts, &self.filter.neighborhoods).await
    }
    /// Audiences, in the order of the `Audience` enum.
    async fn audiences(&self, ctx: &Context<'_>) -> ApiResult<Vec<AudienceFacet>> {
        let counts = self.counts(ctx, Facet::Audiences).await?;
        Ok(audiences(&counts, &self.filter.audiences))
    }
}

fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn by_id(counts: FacetCounts) -> HashMap<Uuid, u64> {
    counts
        .into_iter()
        .filter_map(|(value, count)| match value {
            FacetValue::Id(id) => Some((id, count)),
            _ => None,
        })
        .collect()
}

fn by_code(counts: &FacetCounts) -> HashMap<&'static str, u64> {
    counts
        .iter()
        .filter_map(|(value, count)| match value {
            FacetValue::Code(code) => Some((*code, *count)),
            _ => None,
        })
        .collect()
}

/// The categories of `kind` holding items, most items first, then by name. A category is
/// selected when the filter names it, not only through a category above it.
async fn categories(
    scope: &RequestScope,
    kind: CategoryKind,
    counts: FacetCounts,
    filtered: &[Uuid],
) -> ApiResult<Vec<CategoryFacet>> {
    let mut counts = by_id(counts);
    let all = storage_catalog::categories(&scope.db, Some(kind))
        .await
        .map_err(|e| to_gql(ApiError::from(e)))?;
    let mut facets: Vec<CategoryFacet> = all
        .into_iter()
        .filter_map(|category| {
            let count = counts.remove(&category.id)?;
            let selected = filtered.contains(&category.id)
                && !category.parent_id.is_some_and(|p| filtered.contains(&p));
            Some(CategoryFacet {
                value: category.slug.clone(),
                category: Category(category),
                count: signed(count),
                selected,
            })
        })
        .collect();
    facets.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.0.name.cmp(&b.category.0.name))
    });
    Ok(facets)
}

/// The neighbourhoods holding items, most items first, then by name.
async fn neighborhoods(
    scope: &RequestScope,
    counts: FacetCounts,
    filtered: &[Uuid],
) -> ApiResult<Vec<NeighborhoodFacet>> {
    let mut counts = by_id(counts);
    let all = storage_catalog::neighborhoods(&scope.db)
        .await
        .map_err(|e| to_gql(ApiError::from(e)))?;
    let mut facets: Vec<NeighborhoodFacet> = all
        .into_iter()
        .filter_map(|neighborhood| {
            let count = counts.remove(&neighborhood.id)?;
            Some(NeighborhoodFacet {
                value: neighborhood.slug.clone(),
                selected: filtered.contains(&neighborhood.id),
                neighborhood: Neighborhood(neighborhood),
                count: signed(count),
            })
        })
        .collect();
    facets.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.neighborhood.0.name.cmp(&b.neighborhood.0.name))
    });
    Ok(facets)
}

/// The audiences holding items or named by the filter.
fn audiences(counts: &FacetCounts, filtered: &[capitole_domain::Audience]) -> Vec<AudienceFacet> {
    let counts = by_code(counts);
    capitole_domain::Audience::ALL
        .iter()
        .filter_map(|audience| {
            let count = counts.get(audience.code()).copied().unwrap_or(0);
            let selected = filtered.contains(audience);
            (count > 0 || selected).then(|| AudienceFacet {
                value: (*audience).into(),
                count: signed(count),
                selected,
            })
        })
        .collect()
}

/// The accessibility needs holding items or named by the filter.
fn accessibility(
    counts: &FacetCounts,
    filtered: &[capitole_domain::event::Accessibility],
) -> Vec<AccessibilityFacet> {
    let counts = by_code(counts);
    capitole_domain::event::Accessibility::ALL
        .iter()
        .filter_map(|need| {
            let count = counts.get(need.code()).copied().unwrap_or(0);
            let selected = filtered.contains(need);
            (count > 0 || selected).then(|| AccessibilityFacet {
                value: (*need).into(),
                count: signed(count),
                selected,
            })
        })
        .collect()
}
