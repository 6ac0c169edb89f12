//! Publishers' accounts on social networks, kept by their editors.

use async_graphql::{Context, ID, Object, SimpleObject};
use capitole_domain::social::AccountLink;
use capitole_services::organizations;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::article::Network;
use crate::types::catalog::Organization;
use crate::types::scalars::Url;

/// What `addSocialAccount` answers: the organization with its accounts as they are now.
#[derive(SimpleObject)]
pub(crate) struct AddSocialAccountPayload {
    /// The organization.
    organization: Organization,
}

/// What `removeSocialAccount` answers: the organization with its accounts as they are now.
#[derive(SimpleObject)]
pub(crate) struct RemoveSocialAccountPayload {
    /// The organization.
    organization: Organization,
}

/// Keeping publishers' social accounts.
#[derive(Default)]
pub(crate) struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Lists an account of an organization on a social network (its editors and
    /// administrators). The address must be on that network and be an account's page, not
    /// a post's; it is cleaned of tracking parameters. Listing an address again changes
    /// nothing. An organization lists at most 20 accounts.
    async fn add_social_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the organization.")] organization_id: ID,
        #[graphql(desc = "The network the account is on.")] network: Network,
        #[graphql(desc = "The address of the account's page.")] url: Url,
    ) -> ApiResult<AddSocialAccountPayload> {
        let scope = scope(ctx)?;
        let id = ids::decode_as(Kind::Organization, &organization_id).map_err(to_gql)?;
        let link = AccountLink::parse(network.into(), &url.0);
        organizations::add_social_account(&scope.services(), &scope.principal, id, link, scope.now)
            .await
            .map(|model| AddSocialAccountPayload {
                organization: Organization(model),
            })
            .map_err(to_gql)
    }

    /// Removes an account of an organization (its editors and administrators), by the
    /// address `socialAccounts` gives.
    async fn remove_social_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the organization.")] organization_id: ID,
        #[graphql(desc = "The address of the account, as `socialAccounts` gives it.")] url: Url,
    ) -> ApiResult<RemoveSocialAccountPayload> {
        let scope = scope(ctx)?;
        let id = ids::decode_as(Kind::Organization, &organization_id).map_err(to_gql)?;
        organizations::remove_social_account(
            &scope.services(),
            &scope.principal,
            id,
            &url.0,
            scope.now,
        )
        .await
        .map(|model| RemoveSocialAccountPayload {
            organization: Organization(model),
        })
        .map_err(to_gql)
    }
}
