//! Editing the agenda's events: explicit dates and RFC 5545 recurrences expanded in city
//! time, the status of an event and of single dates, and upserts of the events a
//! publisher's own system owns. Every write checks who asks (editors of the organizer,
//! administrators), reports every failed field at once, can be tried with `validateOnly`,
//! and carries the version it edits (upserts excepted: the publisher's system is the
//! reference for its items). The rules are the domain's, the writes the events service's.

pub(crate) mod input;

use async_graphql::{Context, ID, Object};
use capitole_domain::event::StatusChange;
use capitole_domain::schedule::Schedule;
use capitole_services::events;
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use self::input::{DateInput, EventInput, EventPatchInput, RecurrenceInput, schedule_form};
use super::agenda::refuse;
use super::payloads::{
    CancelEventPayload, CreateEventPayload, PostponeEventPayload, RescheduleEventPayload,
    SetEventStatusPayload, SetOccurrenceStatusPayload, UpdateEventPayload, UpsertEventPayload,
};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::event::{EventStatus, OccurrenceStatus};
use crate::types::scalars::Url;

fn event_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Event, id).map_err(to_gql)
}

#[derive(Default)]
pub(crate) struct EventMutation;

#[Object]
impl EventMutation {
    /// Adds an event to the agenda, with explicit dates and/or a recurrence (expanded up to
    /// 18 months ahead, at most 500 dates, in city time). Editors of the organizer and
    /// administrators only.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new event.")] input: EventInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<CreateEventPayload> {
        let scope = scope(ctx)?;
        let draft = input.draft(scope).await?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = events::create(&scope.services(), by, draft, validate_only, now).await;
        Ok(stored.map_err(to_gql)?.into())
    }

    /// Changes an event at `version`; if someone else changed it since, nothing is stored
    /// and the answer is `CONFLICT`.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] id: ID,
        #[graphql(desc = "The version being edited.")] version: i32,
        #[graphql(desc = "The fields to change; the others stay as they are.")]
        patch: EventPatchInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<UpdateEventPayload> {
        let scope = scope(ctx)?;
        let id = event_id(&id)?;
        let patch = patch.patch(scope).await?;
        let (by, version, now) = (&scope.principal, i64::from(version), scope.now);
        let stored = events::update(
            &scope.services(),
            by,
            id,
            version,
            patch,
            validate_only,
            now,
        )
        .await;
        Ok(stored.map_err(to_gql)?.into())
    }

    /// Cancels the whole event; it stays in the agenda, marked cancelled.
    async fn cancel_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<CancelEventPayload> {
        let scope = scope(ctx)?;
        let (id, version) = (event_id(&id)?, i64::from(version));
        let stored = events::cancel(&scope.services(), &scope.principal, id, version, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Puts the event off to dates not yet known.
    async fn postpone_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<PostponeEventPayload> {
        let scope = scope(ctx)?;
        let (id, version) = (event_id(&id)?, i64::from(version));
        let stored = events::postpone(&scope.services(), &scope.principal, id, version, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Moves the event to new dates: its dates become exactly those given (dates that stay
    /// keep their status) and its status RESCHEDULED.
    async fn reschedule_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(
            default,
            desc = "The new explicit dates: the event's dates become exactly these and the recurrence's; dates that stay keep their status."
        )]
        occurrences: Vec<DateInput>,
        #[graphql(desc = "The new recurrence, if any.")] recurrence: Option<RecurrenceInput>,
    ) -> ApiResult<RescheduleEventPayload> {
        let scope = scope(ctx)?;
        let (id, version) = (event_id(&id)?, i64::from(version));
        let form = schedule_form(occurrences, recurrence);
        let schedule = Schedule::parse(&form, scope.timezone, scope.now).map_err(refuse)?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = events::reschedule(&scope.services(), by, id, version, schedule, now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Sets where the event stands as a whole. MOVED_ONLINE needs an https `onlineUrl`
    /// (given here or already set) and makes the event online only.
    async fn set_event_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(desc = "The event's new status.")] status: EventStatus,
        #[graphql(
            desc = "Where to follow it online (an https address): needed when it moves online."
        )]
        online_url: Option<Url>,
    ) -> ApiResult<SetEventStatusPayload> {
        let scope = scope(ctx)?;
        let (id, version) = (event_id(&id)?, i64::from(version));
        let change = StatusChange::parse(status.into(), online_url.as_ref().map(|u| u.0.as_str()))
            .map_err(refuse)?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = events::set_status(&scope.services(), by, id, version, change, now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Sets where one date stands (one cancelled date of a weekly market): a cancelled date
    /// leaves the agenda, the event and its other dates stay.
    async fn set_occurrence_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event.")] event_id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(desc = "When the date starts.")] starts_at: DateTime<Utc>,
        #[graphql(desc = "The date's new status.")] status: OccurrenceStatus,
    ) -> ApiResult<SetOccurrenceStatusPayload> {
        let scope = scope(ctx)?;
        let (id, version) = (self::event_id(&event_id)?, i64::from(version));
        let (starts_at, status) = (starts_at.trunc_subsecs(0), status.into());
        let (by, now) = (&scope.principal, scope.now);
        let stored = events::set_occurrence_status(
            &scope.services(),
            by,
            id,
            version,
            starts_at,
            status,
            now,
        )
        .await
        .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Creates or updates the event a publisher's system knows as (`source`, `externalId`).
    /// No version is needed: that system is the reference for its items. The same call twice
    /// changes nothing the second time (no new version, no audit entry).
    async fn upsert_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The publisher's system, such as `openagenda-toulouse`.")] source: String,
        #[graphql(desc = "The event's id in that system.")] external_id: String,
        #[graphql(desc = "The whole event, as the publisher's system has it.")] input: EventInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<UpsertEventPayload> {
        let scope = scope(ctx)?;
        let (key, draft) = input.keyed_draft(scope, &source, &external_id).await?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = events::upsert(&scope.services(), by, &key, draft, validate_only, now).await;
        Ok(stored.map_err(to_gql)?.into())
    }
}
