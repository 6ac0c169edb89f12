//! What administrators change: people's roles and third-party app tokens.

use async_graphql::{Context, ID, InputObject, Object};

use capitole_services::{admin, tokens};

use super::payloads::{CreateApiTokenPayload, RevokeApiTokenPayload, SetUserRolePayload};
use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::account::{ApiToken, RateTier, Role, Scope};
use crate::types::scalars::Email;

/// A new app token.
#[derive(InputObject)]
pub(crate) struct CreateApiTokenInput {
    /// The app's name.
    pub app: String,
    /// The email address of whoever answers for the app.
    pub contact: Email,
    /// What it may do (at least one).
    pub scopes: Vec<Scope>,
    /// Its budget.
    #[graphql(default_with = "RateTier::Standard")]
    pub tier: RateTier,
}

#[derive(Default)]
pub(crate) struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Gives a person a role; editors also get the organizations they edit for (slugs).
    /// Takes effect on their next request. Administrators only.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address.")] email: Email,
        #[graphql(desc = "The new role.")] role: Role,
        #[graphql(desc = "For editors: the organizations' slugs.", default)] organizations: Vec<
            String,
        >,
    ) -> ApiResult<SetUserRolePayload> {
        let scope = scope(ctx)?;
        crate::types::check_list("organizations", &organizations).map_err(to_gql)?;
        admin::set_role(
            &scope.services(),
            &scope.principal,
            &email.0,
            role.into(),
            &organizations,
            scope.now,
        )
        .await
        .map(Into::into)
        .map_err(to_gql)
    }

    /// Makes a token for a third-party app. Its secret is in the answer and nowhere else.
    /// Administrators only.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The app, its contact and what its token allows.")]
        input: CreateApiTokenInput,
    ) -> ApiResult<CreateApiTokenPayload> {
        let scope = scope(ctx)?;
        let scopes: Vec<_> = input.scopes.into_iter().map(Into::into).collect();
        let (token, row) = tokens::create(
            &scope.services(),
            &scope.principal,
            &input.app,
            &input.contact.0,
            &scopes,
            input.tier.into(),
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(CreateApiTokenPayload {
            token,
            api_token: ApiToken(row),
        })
    }

    /// Revokes an app token: it stops working with the next request. Administrators only.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's global id.")] id: ID,
    ) -> ApiResult<RevokeApiTokenPayload> {
        let scope = scope(ctx)?;
        let uuid = ids::decode_as(Kind::ApiToken, &id).map_err(to_gql)?;
        tokens::revoke(&scope.services(), &scope.principal, uuid, scope.now)
            .await
            .map(Into::into)
            .map_err(to_gql)
    }
}
