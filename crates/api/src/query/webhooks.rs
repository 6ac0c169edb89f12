//! What leaves Capitole on its own: the calling app's webhooks, and the key of Web Push.

use async_graphql::{Context, ID, Object};
use capitole_services::webhooks;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::webhook::{Webhook, WebhookConnection, WebhookEdge};

#[derive(Default)]
pub(crate) struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The public key browsers subscribe to Capitole's Web Push with
    /// (`PushManager.subscribe({ applicationServerKey })`): a P-256 point, base64url. Null
    /// when Web Push is off on this server.
    #[graphql(cache_control(max_age = 300))]
    async fn vapid_public_key(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(scope(ctx)?.push.public_key().map(str::to_owned))
    }

    /// The webhooks of the calling app, oldest first. Needs an app token with the
    /// `webhooks` scope.
    #[graphql(cache_control(private))]
    async fn webhooks(
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
    ) -> ApiResult<WebhookConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = webhooks::list(&scope.services(), &scope.principal, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |row, cursor| WebhookEdge {
            cursor,
            node: Webhook(row),
        });
        Ok(WebhookConnection {
            edges,
            page_info,
            count: CountQuery::Webhooks,
        })
    }

    /// One webhook of the calling app. Needs an app token with the `webhooks` scope.
    #[graphql(cache_control(private))]
    async fn webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's global id.")] id: ID,
    ) -> ApiResult<Webhook> {
        let scope = scope(ctx)?;
        let id = ids::decode_as(Kind::Webhook, &id).map_err(to_gql)?;
        webhooks::get(&scope.services(), &scope.principal, id)
            .await
            .map(Webhook)
            .map_err(to_gql)
    }
}
