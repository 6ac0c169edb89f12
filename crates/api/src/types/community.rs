//! What residents add to places, as the graph shows it: tips, check-ins, the public figures
//! of a place, its mayor, and the people behind them (only their display name, unless they
//! chose to share their check-ins). A place's `tips` and `mayor` are read here.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use capitole_domain::community::MAYOR_WINDOW;
use capitole_persistence::check_ins::PlaceFigures;
use capitole_persistence::entities::{check_in, tip};
use capitole_persistence::{Page, PageRequest, check_ins, tips};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Place;
use super::connection::{CountQuery, connection, edges, page_request};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{
    LATEST_CHECK_INS, LATEST_TIPS, LatestCheckInsOfPerson, LatestTipsOfPlace, PlaceId, ProfileOf,
    StatsOfPlace,
};

/// What a person thinks of a place.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::community::Vote")]
pub(crate) enum Vote {
    /// They like it.
    Like,
    /// They do not.
    Dislike,
}

/// A person as others see them: a name.
pub(crate) struct Person(pub Uuid);

/// A person as others see them: a name.
#[Object]
impl Person {
    /// How their name is shown.
    async fn display_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let profile = scope(ctx)?.load(ProfileOf(self.0)).await?;
        Ok(profile.map_or_else(|| "—".to_owned(), |p| p.display_name))
    }
    /// Their check-ins, latest first, if they chose to share them (null otherwise). The
    /// first page of up to 20 is read with the other people of a list in one statement.
    async fn check_ins(
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
    ) -> ApiResult<Option<CheckInConnection>> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let Some(profile) = scope.load(ProfileOf(self.0)).await? else {
            return Ok(None);
        };
        if !profile.check_ins_public && !scope.principal.may_read_private_of(profile.id) {
            return Ok(None);
        }
        let page = if request.is_first_page() && request.size <= LATEST_CHECK_INS {
            let latest = scope
                .load(LatestCheckInsOfPerson(profile.id))
                .await?
                .unwrap_or_default();
            Page::from_rows(latest, &request, check_ins::check_in_cursor)
        } else {
            check_ins::check_ins_of(&scope.db, profile.id, &request)
                .await
                .map_err(to_gql)?
        };
        let (edges, page_info) = edges(page, |c, cursor| CheckInEdge {
            cursor,
            node: CheckIn(c),
        });
        Ok(Some(CheckInConnection {
            edges,
            page_info,
            count: CountQuery::CheckInsOf(profile.id),
        }))
    }
}

/// A tip left on a place.
#[derive(Clone)]
pub(crate) struct Tip(pub tip::Model);

/// A tip left on a place.
#[Object(cache_control(max_age = 60))]
impl Tip {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Tip, self.0.id)
    }
    /// What it says.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// How many people liked it.
    async fn like_count(&self) -> i64 {
        self.0.like_count
    }
    /// Who wrote it.
    async fn author(&self) -> Person {
        Person(self.0.user_id)
    }
    /// The place it is about.
    async fn place(&self, ctx: &Context<'_>) -> ApiResult<Option<Place>> {
        Ok(scope(ctx)?.load(PlaceId(self.0.place_id)).await?.map(Place))
    }
    /// For moderators: how many people reported it.
    async fn report_count(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        Ok(scope(ctx)?
            .principal
            .is_moderator()
            .then_some(self.0.report_count))
    }
    /// For moderators: whether it is hidden from the public.
    async fn hidden(&self, ctx: &Context<'_>) -> ApiResult<Option<bool>> {
        Ok(scope(ctx)?
            .principal
            .is_moderator()
            .then_some(self.0.hidden_at.is_some()))
    }
}

/// A tip in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct TipEdge {
    /// The cursor of this tip in the list.
    pub cursor: String,
    /// The tip.
    pub node: Tip,
}

connection!(
    /// A page of tips, latest first.
    TipConnection, TipEdge, Tip
);

/// A place's tips: the first page of up to 20 comes from the batch of the whole list.
pub(crate) async fn tips_of(
    ctx: &Context<'_>,
    place_id: Uuid,
    request: PageRequest,
) -> ApiResult<TipConnection> {
    let scope = scope(ctx)?;
    let page = if request.is_first_page() && request.size <= LATEST_TIPS {
        let latest = scope
            .load(LatestTipsOfPlace(place_id))
            .await?
            .unwrap_or_default();
        // The authors came with their tips: their names need no statement of their own.
        let authors = latest
            .iter()
            .filter_map(|t| t.author.clone().map(|a| (ProfileOf(a.id), a)));
        scope.loader.feed_many(authors).await;
        let latest = latest.into_iter().map(|t| t.tip).collect();
        Page::from_rows(latest, &request, tips::tip_cursor)
    } else {
        tips::tips_of_place(&scope.db, place_id, &request)
            .await
            .map_err(to_gql)?
    };
    let (edges, page_info) = edges(page, |t, cursor| TipEdge {
        cursor,
        node: Tip(t),
    });
    Ok(TipConnection {
        edges,
        page_info,
        count: CountQuery::TipsOfPlace(place_id),
    })
}

/// The mayor of a place.
pub(crate) async fn mayor_of(ctx: &Context<'_>, place_id: Uuid) -> ApiResult<Option<Mayor>> {
    let scope = scope(ctx)?;
    let found = check_ins::mayor(
        &scope.db,
        place_id,
        scope.now - MAYOR_WINDOW,
        scope.timezone,
    )
    .await
    .map_err(to_gql)?;
    Ok(found.map(|(user, days)| Mayor {
        person: Person(user.id),
        days,
    }))
}

/// A check-in of a person at a place.
#[derive(Clone)]
pub(crate) struct CheckIn(pub check_in::Model);

/// A check-in of a person at a place.
#[Object]
impl CheckIn {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::CheckIn, self.0.id)
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The short message left with it.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// Where.
    async fn place(&self, ctx: &Context<'_>) -> ApiResult<Option<Place>> {
        Ok(scope(ctx)?.load(PlaceId(self.0.place_id)).await?.map(Place))
    }
}

/// A check-in in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct CheckInEdge {
    /// The cursor of this check-in in the list.
    pub cursor: String,
    /// The check-in.
    pub node: CheckIn,
}

connection!(
    /// A page of check-ins, latest first.
    CheckInConnection, CheckInEdge, CheckIn
);

/// What a check-in came to.
#[derive(SimpleObject)]
pub(crate) struct CheckInPayload {
    /// The check-in.
    pub check_in: CheckIn,
    /// True when this idempotency key had already checked in: nothing new was stored.
    pub replayed: bool,
}

/// The public figures of a place, read for all places of a list in one statement.
pub(crate) struct PlaceStats {
    pub place_id: Uuid,
    /// Whether `hereNow` is selected: it is then read in the same statement.
    pub here_now: bool,
}

impl PlaceStats {
    async fn counters(&self, ctx: &Context<'_>) -> ApiResult<Option<PlaceFigures>> {
        scope(ctx)?
            .load(StatsOfPlace {
                place_id: self.place_id,
                here_now: self.here_now,
            })
            .await
    }
}

/// The public figures of a place, read for all places of a list in one statement.
#[Object(cache_control(max_age = 30))]
impl PlaceStats {
    /// Check-ins, all time.
    async fn check_in_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counters(ctx).await?.map_or(0, |s| s.stats.check_ins))
    }
    /// Different people who checked in, all time.
    async fn visitor_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counters(ctx).await?.map_or(0, |s| s.stats.visitors))
    }
    /// Visible tips.
    async fn tip_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counters(ctx).await?.map_or(0, |s| s.stats.tips))
    }
    /// People who like it.
    async fn like_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counters(ctx).await?.map_or(0, |s| s.stats.likes))
    }
    /// People who do not.
    async fn dislike_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.counters(ctx).await?.map_or(0, |s| s.stats.dislikes))
    }
    /// Its rating out of 10 (null until 5 people voted): the lower bound of the 95%
    /// confidence interval of the share of likes, so that a few votes do not outrank
    /// many.
    async fn rating(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        Ok(self.counters(ctx).await?.and_then(|s| {
            capitole_domain::community::rating(
                u64::try_from(s.stats.likes).unwrap_or(0),
                u64::try_from(s.stats.dislikes).unwrap_or(0),
            )
        }))
    }
    /// Different people who checked in during the last 3 hours.
    async fn here_now(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let figures = scope(ctx)?
            .load(StatsOfPlace {
                place_id: self.place_id,
                here_now: true,
            })
            .await?;
        Ok(figures.map_or(0, |s| s.here_now))
    }
}

/// The mayor of a place: who checked in there on the most days in the last 60, among
/// the people who share their check-ins (private check-ins never make a mayor).
#[derive(SimpleObject)]
pub(crate) struct Mayor {
    /// The mayor.
    pub person: Person,
    /// On how many days of the last 60 they checked in.
    pub days: i64,
}

/// A place trending now, with its recent check-ins.
#[derive(SimpleObject, Clone)]
pub(crate) struct TrendingPlaceEdge {
    /// The cursor of this place in the ranking.
    pub cursor: String,
    /// The place.
    pub node: Place,
    /// Check-ins in the last 3 hours.
    pub recent_check_ins: i64,
    /// Its distance from the given point, in metres.
    pub distance_meters: f64,
}

connection!(
    /// A page of trending places, most check-ins first.
    TrendingPlaceConnection, TrendingPlaceEdge, Place
);
