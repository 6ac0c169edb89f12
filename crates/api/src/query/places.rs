//! Root fields for places.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use capitole_domain::change::ItemKind;
use capitole_domain::event::CategoryKind;
use capitole_domain::place::PlaceOrder as DomainOrder;
use capitole_persistence::places::{self, PlaceFilter as StorageFilter};

use super::filters;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::Kind;
use crate::loaders::PlaceId;
use crate::lookup::by_id_or_slug;
use crate::types::accessibility::AccessibilityFeature;
use crate::types::columns;
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::facets::{Asked, PlaceFacets};
use crate::types::place::{Place, PlaceConnection, PlaceEdge};
use crate::types::{Accessibility, BoundingBoxInput, GeoCircleInput, check_list, search_text};

/// How a list of places is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::place::PlaceOrder")]
pub(crate) enum PlaceOrder {
    /// Nearest first (needs `filter.near`).
    Distance,
    /// Most visited first (by `popularity`).
    Popularity,
    /// Best rated first; unrated places last.
    Rating,
    /// Alphabetical, ignoring accents and case.
    Name,
}

/// Which places a list holds. Every condition must hold.
#[derive(InputObject, Default)]
pub(crate) struct PlaceFilter {
    /// Only places within this circle; edges then carry `distanceMeters`.
    pub near: Option<GeoCircleInput>,
    /// Only places within this box (a map's viewport).
    pub bbox: Option<BoundingBoxInput>,
    /// Only places in one of these categories or below them (slugs of place categories).
    pub categories: Option<Vec<String>>,
    /// Only places published by one of these organizations (slugs).
    pub publishers: Option<Vec<String>>,
    /// Only places open now, in city time.
    #[graphql(default)]
    pub open_now: bool,
    /// Only places in one of these neighbourhoods (slugs).
    pub neighborhoods: Option<Vec<String>>,
    /// Only places prepared for all of these.
    pub accessibility: Option<Vec<Accessibility>>,
    /// Only places with all of these features.
    pub accessibility_features: Option<Vec<AccessibilityFeature>>,
    /// Only places that hold every word (French words as search reads them: accents, case,
    /// stop words and plurals do not matter; the last word may be unfinished).
    pub search: Option<String>,
}

pub(crate) async fn storage_filter(
    scope: &RequestScope,
    filter: PlaceFilter,
) -> Result<StorageFilter, ApiError> {
    let accessibility = filter.accessibility.unwrap_or_default();
    let features = filter.accessibility_features.unwrap_or_default();
    check_list("accessibility", &accessibility)?;
    check_list("accessibilityFeatures", &features)?;
    Ok(StorageFilter {
        near: filter.near.map(GeoCircleInput::parse).transpose()?,
        bbox: filter.bbox.map(BoundingBoxInput::parse).transpose()?,
        categories: filters::categories_filter(scope, CategoryKind::Place, filter.categories)
            .await?,
        neighborhoods: filters::neighborhoods_filter(scope, filter.neighborhoods).await?,
        publishers: filters::publishers_filter(scope, filter.publishers).await?,
        accessibility: accessibility.into_iter().map(Into::into).collect(),
        accessibility_features: features.into_iter().map(Into::into).collect(),
        search: search_text(filter.search.as_deref())?,
        open_at: filter.open_now.then_some((scope.now, scope.timezone)),
    })
}

#[derive(Default)]
pub(crate) struct PlaceQuery;

#[Object]
impl PlaceQuery {
    /// Places, by name unless `orderBy` says otherwise (by distance when `near` is given).
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging, a filter and an order"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
        #[graphql(desc = "Which places.")] filter: Option<PlaceFilter>,
        #[graphql(desc = "The order (default: DISTANCE with `near`, else NAME).")] order_by: Option<
            PlaceOrder,
        >,
    ) -> ApiResult<PlaceConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let filter = storage_filter(scope, filter.unwrap_or_default())
            .await
            .map_err(to_gql)?;
        let order = order_by
            .map(DomainOrder::from)
            .unwrap_or(if filter.near.is_some() {
                DomainOrder::Distance
            } else {
                DomainOrder::Name
            });
        let page = places::list(&scope.db, &filter, order, &request, columns::of_places(ctx))
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |row, cursor| PlaceEdge {
            cursor,
            node: Place(row.place),
            distance_meters: row.distance_meters.map(|d| (d * 10.0).round() / 10.0),
        });
        Ok(PlaceConnection {
            edges,
            page_info,
            facets: PlaceFacets(
                std::sync::Arc::new(filter.clone()),
                Asked::of(&ctx.look_ahead().field("facets")),
            ),
            count: CountQuery::Places(Box::new(filter)),
        })
    }

    /// One place by global id or by slug.
    #[graphql(cache_control(max_age = 300))]
    async fn place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its global id.")] id: Option<ID>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
    ) -> ApiResult<Option<Place>> {
        let scope = scope(ctx)?;
        let by_slug = |slug: String| async move { places::by_slug(&scope.db, &slug).await };
        let named = (Kind::Place, ItemKind::Place);
        let found = by_id_or_slug(scope, (id, slug), named, PlaceId, by_slug).await?;
        Ok(found.map(Place))
    }
}
