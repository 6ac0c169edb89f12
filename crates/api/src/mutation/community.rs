//! What signed-in residents do at places and events: check in, leave and like tips,
//! report them, vote, save items and say they are going. These writes always act for the
//! signed-in person; app tokens read the public results. Moderators hide and restore tips.

use async_graphql::{Context, ID, Object};
use capitole_domain::community::{
    REPORT_REASON_MAX, SavedKind, check_check_in_message, check_idempotency_key, check_tip,
};
use capitole_domain::editorial::{FieldErrors, Lines, check_optional_text};
use capitole_persistence::community::{self, CommunityError};
use uuid::Uuid;

use crate::auth::SignedIn;
use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, ErrorCode, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{ArticleId, EventId, PlaceId};
use crate::types::community::{CheckIn, CheckInPayload, PlaceStats, Tip, Vote};

fn refused(error: CommunityError) -> async_graphql::Error {
    match error {
        CommunityError::TooSoon(_) | CommunityError::Limit(_) => {
            to_gql(ApiError::new(ErrorCode::RateLimited, error.to_string()))
        }
        CommunityError::KeyReused => to_gql(ApiError::new(ErrorCode::Conflict, error.to_string())),
        CommunityError::UnknownPlace => {
            to_gql(ApiError::new(ErrorCode::NotFound, error.to_string()))
        }
        CommunityError::Storage(e) => to_gql(e),
    }
}

fn person(scope: &RequestScope) -> ApiResult<&SignedIn> {
    scope.principal.user().map_err(to_gql)
}

/// A place that exists, by id.
async fn place_id(scope: &RequestScope, id: &ID) -> ApiResult<Uuid> {
    let uuid = ids::decode_as(Kind::Place, id).map_err(to_gql)?;
    scope
        .load(PlaceId(uuid))
        .await?
        .map(|p| p.id)
        .ok_or_else(|| to_gql(ApiError::new(ErrorCode::NotFound, "no place has this id")))
}

/// A tip the caller may see (moderators see hidden ones too).
async fn tip_id(
    scope: &RequestScope,
    id: &ID,
) -> ApiResult<capitole_persistence::entities::tip::Model> {
    let uuid = ids::decode_as(Kind::Tip, id).map_err(to_gql)?;
    community::tip(&scope.db, uuid)
        .await
        .map_err(to_gql)?
        .filter(|t| t.hidden_at.is_none() || scope.principal.is_moderator())
        .ok_or_else(|| to_gql(ApiError::new(ErrorCode::NotFound, "no tip has this id")))
}

fn check(errors: FieldErrors) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(to_gql(ApiError::fields(errors)))
    }
}

#[derive(Default)]
pub(crate) struct CommunityMutation;

#[Object]
impl CommunityMutation {
    /// Checks the signed-in person in at a place, with an optional short message (up to
    /// 140 characters). At most once per place every 30 minutes, and 50 times a day
    /// (`RATE_LIMITED` beyond). Send an `idempotencyKey` (a UUID): a retried request with
    /// the same key returns the first check-in instead of making a second one.
    async fn check_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place's id.")] place_id: ID,
        message: Option<String>,
        idempotency_key: Option<String>,
    ) -> ApiResult<CheckInPayload> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let mut errors = FieldErrors::default();
        let message = check_check_in_message(&mut errors, message.as_deref());
        if let Some(key) = &idempotency_key {
            check_idempotency_key(&mut errors, key);
        }
        check(errors)?;
        // The place's existence is checked with the rules, in the same statement.
        let place = ids::decode_as(Kind::Place, &place_id).map_err(to_gql)?;
        let done = community::check_in(
            &scope.db,
            user.user_id,
            place,
            message,
            idempotency_key,
            scope.now,
        )
        .await
        .map_err(refused)?;
        Ok(CheckInPayload {
            check_in: CheckIn(done.check_in),
            replayed: done.replayed,
        })
    }

    /// Leaves a tip on a place (1 to 500 characters; 20 a day).
    async fn add_tip(&self, ctx: &Context<'_>, place_id: ID, text: String) -> ApiResult<Tip> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let mut errors = FieldErrors::default();
        let text = check_tip(&mut errors, &text);
        check(errors)?;
        let place = self::place_id(scope, &place_id).await?;
        community::add_tip(&scope.db, user.user_id, place, text, scope.now)
            .await
            .map(Tip)
            .map_err(refused)
    }

    /// Likes a tip (once per person).
    async fn like_tip(&self, ctx: &Context<'_>, tip_id: ID) -> ApiResult<Tip> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let tip = self::tip_id(scope, &tip_id).await?;
        community::like_tip(&scope.db, user.user_id, tip.id, scope.now)
            .await
            .map_err(to_gql)?;
        let fresh = community::tip(&scope.db, tip.id).await.map_err(to_gql)?;
        Ok(Tip(fresh.unwrap_or(tip)))
    }

    /// Reports a tip to the moderators (once per person, 20 reports a day), with an
    /// optional reason (up to 300 characters).
    async fn report_tip(
        &self,
        ctx: &Context<'_>,
        tip_id: ID,
        reason: Option<String>,
    ) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let mut errors = FieldErrors::default();
        let reason = check_optional_text(
            &mut errors,
            "reason",
            reason.as_deref(),
            REPORT_REASON_MAX,
            Lines::Multiple,
        );
        check(errors)?;
        let tip = self::tip_id(scope, &tip_id).await?;
        community::report_tip(&scope.db, user.user_id, tip.id, reason, scope.now)
            .await
            .map_err(refused)?;
        Ok(true)
    }

    /// Hides a tip from every public path (moderators: editors and administrators).
    async fn hide_tip(&self, ctx: &Context<'_>, tip_id: ID) -> ApiResult<Tip> {
        moderate(ctx, &tip_id, true).await
    }

    /// Shows a hidden tip again (moderators).
    async fn restore_tip(&self, ctx: &Context<'_>, tip_id: ID) -> ApiResult<Tip> {
        moderate(ctx, &tip_id, false).await
    }

    /// Likes or dislikes a place, or withdraws the vote (`vote: null`). Returns the place's
    /// figures.
    async fn rate_place(
        &self,
        ctx: &Context<'_>,
        place_id: ID,
        vote: Option<Vote>,
    ) -> ApiResult<PlaceStats> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let place = self::place_id(scope, &place_id).await?;
        community::vote(
            &scope.db,
            user.user_id,
            place,
            vote.map(Into::into),
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(PlaceStats { place_id: place })
    }

    /// Saves a place, an event or an article to the signed-in person's list (or removes it
    /// with `saved: false`).
    async fn set_saved(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] saved: bool,
    ) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let (kind, uuid) = ids::decode(&id).map_err(to_gql)?;
        let (saved_kind, exists) = match kind {
            Kind::Place => (SavedKind::Place, scope.load(PlaceId(uuid)).await?.is_some()),
            Kind::Event => (SavedKind::Event, scope.load(EventId(uuid)).await?.is_some()),
            Kind::NewsArticle => (
                SavedKind::Article,
                scope.load(ArticleId(uuid)).await?.is_some(),
            ),
            _ => {
                return Err(to_gql(ApiError::bad_input(
                    "only places, events and articles are saved",
                )));
            }
        };
        if saved && !exists {
            return Err(to_gql(ApiError::new(
                ErrorCode::NotFound,
                "nothing readable has this id",
            )));
        }
        community::set_saved(
            &scope.db,
            user.user_id,
            saved_kind.code(),
            uuid,
            saved,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(saved)
    }

    /// Says the signed-in person is going to a date of an event (or, with `going: false`,
    /// no longer going).
    async fn set_going(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The date's id (`Occurrence.id`).")] occurrence_id: ID,
        #[graphql(default = true)] going: bool,
    ) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        let uuid = ids::decode_as(Kind::Occurrence, &occurrence_id).map_err(to_gql)?;
        let exists = community::occurrence_exists(&scope.db, uuid)
            .await
            .map_err(to_gql)?;
        if !exists {
            return Err(to_gql(ApiError::new(
                ErrorCode::NotFound,
                "no date has this id",
            )));
        }
        community::set_going(&scope.db, user.user_id, uuid, going, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(going)
    }

    /// The signed-in person's privacy choices: whether others may see their check-ins
    /// (private by default), which is also what lets them be a place's mayor, and whether
    /// they stay out of mayorships even so. An argument left out keeps its choice.
    async fn update_privacy(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Share one's check-ins with others; only people who share them can be a place's mayor."
        )]
        check_ins_public: Option<bool>,
        #[graphql(desc = "Never appear as a place's mayor, even while sharing check-ins.")]
        hidden_from_mayor: Option<bool>,
    ) -> ApiResult<bool> {
        let scope = scope(ctx)?;
        let user = person(scope)?;
        community::set_privacy(&scope.db, user.user_id, check_ins_public, hidden_from_mayor)
            .await
            .map_err(to_gql)?;
        Ok(true)
    }
}

/// Hides or restores a tip, with its audit entry, for a moderator.
async fn moderate(ctx: &Context<'_>, tip_id: &ID, hidden: bool) -> ApiResult<Tip> {
    let scope = scope(ctx)?;
    person(scope)?;
    // Refused before the tip is looked up, so that citizens learn nothing of hidden tips.
    if !scope.principal.is_moderator() {
        return Err(to_gql(ApiError::new(
            ErrorCode::Forbidden,
            "only moderators hide and restore tips",
        )));
    }
    let tip = self::tip_id(scope, tip_id).await?;
    let owner = scope
        .load(PlaceId(tip.place_id))
        .await?
        .and_then(|place| place.owner_organization_id);
    let actor = scope.principal.moderator(owner).map_err(to_gql)?;
    community::moderate_tip(&scope.db, tip.id, hidden, &actor, scope.now)
        .await
        .map(Tip)
        .map_err(to_gql)
}
