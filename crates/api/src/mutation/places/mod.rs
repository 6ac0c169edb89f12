//! Editing places: creating and changing them, closing and reopening them, and upserts of
//! the places a publisher's own system owns. Every write checks who asks (editors of the
//! owner, administrators; only administrators edit places without an owner), reports every
//! failed field at once, can be tried with `validateOnly`, and carries the version it edits
//! (upserts excepted). The rules are the domain's, the writes the places service's.

pub(crate) mod input;

use async_graphql::{Context, ID, Object};
use capitole_domain::place::Closure;
use capitole_services::places;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use self::input::{PlaceInput, PlacePatchInput};
use super::agenda::refuse;
use super::payloads::{
    ClosePlacePayload, CreatePlacePayload, ReopenPlacePayload, UpdatePlacePayload,
    UpsertPlacePayload,
};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};

fn place_id(id: &ID) -> ApiResult<Uuid> {
    ids::decode_as(Kind::Place, id).map_err(to_gql)
}

#[derive(Default)]
pub(crate) struct PlaceMutation;

#[Object]
impl PlaceMutation {
    /// Adds a place. Editors of its owner and administrators only; only administrators
    /// add places without an owner.
    async fn create_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new place.")] input: PlaceInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<CreatePlacePayload> {
        let scope = scope(ctx)?;
        let draft = input.draft(scope).await?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = places::create(&scope.services(), by, draft, validate_only, now).await;
        Ok(stored.map_err(to_gql)?.into())
    }

    /// Changes a place at `version` (`CONFLICT` when someone changed it since).
    async fn update_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(desc = "The fields to change; the others stay as they are.")]
        patch: PlacePatchInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<UpdatePlacePayload> {
        let scope = scope(ctx)?;
        let id = place_id(&id)?;
        let patch = patch.patch(scope).await?;
        let (by, version, now) = (&scope.principal, i64::from(version), scope.now);
        let stored = places::update(
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

    /// Closes a place: until `until` (in the future) for a temporary closure, for good when
    /// `until` is null. `isOpenNow` is false while it is closed.
    async fn close_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(
            desc = "When it reopens (in the future) for a temporary closure; null closes it for good."
        )]
        until: Option<DateTime<Utc>>,
    ) -> ApiResult<ClosePlacePayload> {
        let scope = scope(ctx)?;
        let closure = Closure::closing(until, scope.now).map_err(refuse)?;
        let (id, version) = (place_id(&id)?, i64::from(version));
        let (by, now) = (&scope.principal, scope.now);
        let stored = places::close(&scope.services(), by, id, version, closure, now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Reopens a closed place: its opening hours apply again.
    async fn reopen_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the place.")] id: ID,
        #[graphql(
            desc = "The `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
    ) -> ApiResult<ReopenPlacePayload> {
        let scope = scope(ctx)?;
        let (id, version) = (place_id(&id)?, i64::from(version));
        let stored = places::reopen(&scope.services(), &scope.principal, id, version, scope.now)
            .await
            .map_err(to_gql)?;
        Ok(stored.into())
    }

    /// Creates or updates the place a publisher's system knows as (`source`, `externalId`),
    /// without a version; the same call twice changes nothing the second time.
    async fn upsert_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The publisher's system that owns the place (e.g. `openagenda-toulouse`)."
        )]
        source: String,
        #[graphql(desc = "The place's id in that system.")] external_id: String,
        #[graphql(desc = "The whole place, as the publisher's system has it.")] input: PlaceInput,
        #[graphql(desc = "Only check the input; store nothing.", default = false)]
        validate_only: bool,
    ) -> ApiResult<UpsertPlacePayload> {
        let scope = scope(ctx)?;
        let (key, draft) = input.keyed_draft(scope, &source, &external_id).await?;
        let (by, now) = (&scope.principal, scope.now);
        let stored = places::upsert(&scope.services(), by, &key, draft, validate_only, now).await;
        Ok(stored.map_err(to_gql)?.into())
    }
}
