//! Root fields about the caller and, for administrators, about accounts and app tokens.

use async_graphql::types::Json;
use async_graphql::{Context, Object};
use capitole_persistence::accounts;
use capitole_services::{admin, tokens};
use serde_json::Value;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::types::account::{
    ApiToken, ApiTokenConnection, ApiTokenEdge, User, UserConnection, UserEdge, Viewer,
};
use crate::types::connection::{CountQuery, edges, page_request};
use capitole_services::Principal;

/// What the services of a request act on.
#[derive(Default)]
pub(crate) struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in person; null for anonymous callers and app tokens.
    #[graphql(cache_control(private))]
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Option<Viewer>> {
        let scope = scope(ctx)?;
        let Principal::User(user) = &scope.principal else {
            return Ok(None);
        };
        Ok(accounts::user_by_id(&scope.db, user.user_id)
            .await
            .map_err(to_gql)?
            .map(|m| Viewer(User(m))))
    }

    /// Everything Capitole stores about the signed-in person, as one JSON document (their
    /// right of access under the GDPR). Secrets (password and token hashes) are left out.
    #[graphql(cache_control(private))]
    async fn export_my_data(&self, ctx: &Context<'_>) -> ApiResult<Json<Value>> {
        let scope = scope(ctx)?;
        capitole_services::accounts::export(&scope.services(), &scope.principal)
            .await
            .map(Json)
            .map_err(to_gql)
    }

    /// Every account, by email (administrators only).
    #[graphql(cache_control(private))]
    async fn users(
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
    ) -> ApiResult<UserConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = admin::users(&scope.services(), &scope.principal, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |u, cursor| UserEdge {
            cursor,
            node: User(u),
        });
        Ok(UserConnection {
            edges,
            page_info,
            count: CountQuery::Users,
        })
    }

    /// Every third-party app token, newest first, without secrets (administrators only).
    #[graphql(cache_control(private))]
    async fn api_tokens(
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
    ) -> ApiResult<ApiTokenConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = tokens::list(&scope.services(), &scope.principal, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |t, cursor| ApiTokenEdge {
            cursor,
            node: ApiToken(t),
        });
        Ok(ApiTokenConnection {
            edges,
            page_info,
            count: CountQuery::ApiTokens,
        })
    }
}
