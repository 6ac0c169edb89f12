//! What signed-in residents do at places and events: check in, leave and like tips,
//! report them, vote, save items and say they are going. These writes always act for the
//! signed-in person; app tokens read the public results. Moderators hide and restore tips.
//! Each resolver converts its arguments into the domain's values and calls one service of
//! `capitole_services`, where access and the rules are decided.

use async_graphql::{Context, ID, Object};
use capitole_domain::community::{
    CheckInDraft, Moderation, PrivacyChoices, SavedKind, TipDraft, TipReport,
};
use capitole_persistence::entities::tip as tip_row;
use capitole_services::{check_ins, profiles, reactions, tips};
use uuid::Uuid;

use super::payloads::{
    AddTipPayload, HideTipPayload, LikeTipPayload, RatePlacePayload, ReportTipPayload,
    RestoreTipPayload, SetGoingPayload, SetSavedPayload, UpdatePrivacyPayload,
};
use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::community::{CheckIn, CheckInPayload, Vote};
use crate::types::event::Occurrence;

fn place(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Place, id).map_err(to_gql)
}

fn tip(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Tip, id).map_err(to_gql)
}

/// What may be saved, from its global id: its kind for the list, its kind of global id,
/// and its id.
fn saved_item(id: &ID) -> ApiResult<(SavedKind, Kind, Uuid)> {
    let (kind, uuid) = ids::decode(id).map_err(to_gql)?;
    let saved = match kind {
        Kind::Place => SavedKind::Place,
        Kind::Event => SavedKind::Event,
        Kind::NewsArticle => SavedKind::Article,
        _ => {
            return Err(to_gql(ApiError::bad_input(
                "only places, events and articles are saved",
            )));
        }
    };
    Ok((saved, kind, uuid))
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
        #[graphql(desc = "A short message shown with the check-in (up to 140 characters).")]
        message: Option<String>,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): the same key again returns the first check-in instead of making a second one."
        )]
        idempotency_key: Option<String>,
    ) -> ApiResult<CheckInPayload> {
        let scope = scope(ctx)?;
        let draft = CheckInDraft::parse(message.as_deref(), idempotency_key.as_deref())
            .map_err(|e| to_gql(ApiError::fields(e)))?;
        // The place's existence is checked with the rules, in the same statement.
        let place = place(&place_id)?;
        let done =
            check_ins::check_in(&scope.services(), &scope.principal, place, draft, scope.now)
                .await
                .map_err(to_gql)?;
        Ok(CheckInPayload {
            check_in: CheckIn(done.check_in),
            replayed: done.replayed,
        })
    }

    /// Leaves a tip on a place (1 to 500 characters; 20 a day).
    async fn add_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place.")] place_id: ID,
        #[graphql(desc = "What the tip says (1 to 500 characters).")] text: String,
    ) -> ApiResult<AddTipPayload> {
        let scope = scope(ctx)?;
        let draft = TipDraft::parse(&text).map_err(|e| to_gql(ApiError::fields(e)))?;
        let place = place(&place_id)?;
        tips::add(&scope.services(), &scope.principal, place, draft, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Likes a tip (once per person).
    async fn like_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the tip.")] tip_id: ID,
    ) -> ApiResult<LikeTipPayload> {
        let scope = scope(ctx)?;
        let tip = tip(&tip_id)?;
        tips::like(&scope.services(), &scope.principal, tip, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Reports a tip to the moderators (once per person, 20 reports a day), with an
    /// optional reason (up to 300 characters).
    async fn report_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the tip.")] tip_id: ID,
        #[graphql(desc = "Why it should be looked at (up to 300 characters).")] reason: Option<
            String,
        >,
    ) -> ApiResult<ReportTipPayload> {
        let scope = scope(ctx)?;
        let report =
            TipReport::parse(reason.as_deref()).map_err(|e| to_gql(ApiError::fields(e)))?;
        let tip = tip(&tip_id)?;
        tips::report(&scope.services(), &scope.principal, tip, report, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }

    /// Hides a tip from every public path (moderators: editors and administrators).
    async fn hide_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the tip.")] tip_id: ID,
    ) -> ApiResult<HideTipPayload> {
        moderate(ctx, &tip_id, Moderation::Hide).await
    }

    /// Shows a hidden tip again (moderators).
    async fn restore_tip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the tip.")] tip_id: ID,
    ) -> ApiResult<RestoreTipPayload> {
        moderate(ctx, &tip_id, Moderation::Restore).await
    }

    /// Likes or dislikes a place, or withdraws the vote (`vote: null`). The place's figures
    /// (`place.stats`) count the vote.
    async fn rate_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place.")] place_id: ID,
        #[graphql(desc = "`LIKE` or `DISLIKE`; null withdraws the vote.")] vote: Option<Vote>,
    ) -> ApiResult<RatePlacePayload> {
        let scope = scope(ctx)?;
        let place = place(&place_id)?;
        let vote = vote.map(Into::into);
        reactions::rate_place(&scope.services(), &scope.principal, place, vote, scope.now)
            .await
            .map(|_| RatePlacePayload { place_id: place })
            .map_err(to_gql)
    }

    /// Saves a place, an event or an article to the signed-in person's list (or removes it
    /// with `saved: false`).
    async fn set_saved(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place, event or article.")] id: ID,
        #[graphql(
            default = true,
            desc = "Whether to keep it in the list (`false` removes it)."
        )]
        saved: bool,
    ) -> ApiResult<SetSavedPayload> {
        let scope = scope(ctx)?;
        let (list_kind, kind, item_id) = saved_item(&id)?;
        reactions::set_saved(
            &scope.services(),
            &scope.principal,
            list_kind,
            item_id,
            saved,
            scope.now,
        )
        .await
        .map(|()| SetSavedPayload {
            kind,
            item_id,
            saved,
        })
        .map_err(to_gql)
    }

    /// Says the signed-in person is going to a date of an event (or, with `going: false`,
    /// no longer going).
    async fn set_going(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The date's id (`Occurrence.id`).")] occurrence_id: ID,
        #[graphql(
            default = true,
            desc = "Whether the person goes (`false`: no longer going)."
        )]
        going: bool,
    ) -> ApiResult<SetGoingPayload> {
        let scope = scope(ctx)?;
        let date = ids::decode_as(Kind::Occurrence, &occurrence_id).map_err(to_gql)?;
        reactions::set_going(&scope.services(), &scope.principal, date, going, scope.now)
            .await
            .map(|date| SetGoingPayload {
                occurrence: Occurrence(date),
                going,
            })
            .map_err(to_gql)
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
    ) -> ApiResult<UpdatePrivacyPayload> {
        let scope = scope(ctx)?;
        let choices = PrivacyChoices {
            check_ins_public,
            hidden_from_mayor,
        };
        profiles::update_privacy(&scope.services(), &scope.principal, choices)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }
}

/// Hides or restores a tip, with its audit entry, for a moderator; answers the payload of
/// the mutation that asked.
async fn moderate<P: From<tip_row::Model>>(
    ctx: &Context<'_>,
    tip_id: &ID,
    moderation: Moderation,
) -> ApiResult<P> {
    let scope = scope(ctx)?;
    let tip = tip(tip_id)?;
    tips::moderate(
        &scope.services(),
        &scope.principal,
        tip,
        moderation,
        scope.now,
    )
    .await
    .map(Into::into)
    .map_err(to_gql)
}
