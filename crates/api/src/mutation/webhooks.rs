//! Third-party apps' webhooks: registered, enabled again and deleted with an app token that
//! has the `webhooks` scope.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use capitole_services::webhooks::{self, WebhookDraft};

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::types::scalars::Url;
use crate::types::webhook::{StoredFilter, Webhook, WebhookEvent, WebhookFilter};

/// Places one webhook's filter may name.
const MAX_PLACES: usize = 100;

/// A webhook to register.
#[derive(InputObject)]
pub(crate) struct CreateWebhookInput {
    /// The endpoint: `https` on a public address. It must answer the challenge Capitole
    /// sends on registration (a signed `POST` of `{"type": "CHALLENGE", "challenge": "…"}`)
    /// with 2xx and the challenge as its body, or `{"challenge": "…"}`.
    pub url: Url,
    /// What it follows (at least one).
    pub events: Vec<WebhookEvent>,
    /// Which items it follows, if not every public one.
    pub filter: Option<WebhookFilter>,
}

/// What `createWebhook` answers: the only place the webhook's secret is shown.
#[derive(SimpleObject)]
pub(crate) struct CreateWebhookPayload {
    /// The key of the signatures of its calls (`Capitole-Signature`). Shown once.
    pub secret: String,
    /// The webhook.
    pub webhook: Webhook,
}

/// What `enableWebhook` answers.
#[derive(SimpleObject)]
pub(crate) struct EnableWebhookPayload {
    /// The webhook, active again.
    pub webhook: Webhook,
}

/// What `deleteWebhook` answers.
#[derive(SimpleObject)]
pub(crate) struct DeleteWebhookPayload {
    /// The global id of the webhook that was deleted, with its deliveries.
    pub deleted_id: ID,
}

#[derive(Default)]
pub(crate) struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook for the calling app, whose token needs the `webhooks` scope.
    /// Capitole first calls the endpoint with a challenge, and registers it only if the
    /// endpoint echoes it. From then on, each change that the webhook follows is sent to it
    /// once, signed with the secret in the answer.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint, what it follows and which items.")]
        input: CreateWebhookInput,
    ) -> ApiResult<CreateWebhookPayload> {
        let scope = scope(ctx)?;
        let events: Vec<capitole_domain::webhook::WebhookEvent> =
            input.events.into_iter().map(Into::into).collect();
        let filter = stored_filter(scope, input.filter, &events)
            .await
            .map_err(to_gql)?;
        let (secret, row) = webhooks::create(
            &scope.services(),
            &scope.webhooks,
            &scope.principal,
            WebhookDraft {
                url: input.url.0,
                events,
                filter,
            },
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(CreateWebhookPayload {
            secret,
            webhook: Webhook(row),
        })
    }

    /// Enables a disabled webhook of the calling app, once its endpoint echoed a new
    /// challenge: the deliveries it had not received go out, and changes are queued for it
    /// again.
    async fn enable_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's global id.")] id: ID,
    ) -> ApiResult<EnableWebhookPayload> {
        let scope = scope(ctx)?;
        let id = ids::decode_as(Kind::Webhook, &id).map_err(to_gql)?;
        let row = webhooks::enable(
            &scope.services(),
            &scope.webhooks,
            &scope.principal,
            id,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(EnableWebhookPayload {
            webhook: Webhook(row),
        })
    }

    /// Deletes a webhook of the calling app, with its deliveries (pending ones are not
    /// sent).
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's global id.")] id: ID,
    ) -> ApiResult<DeleteWebhookPayload> {
        let scope = scope(ctx)?;
        let uuid = ids::decode_as(Kind::Webhook, &id).map_err(to_gql)?;
        webhooks::delete(&scope.services(), &scope.principal, uuid)
            .await
            .map_err(to_gql)?;
        Ok(DeleteWebhookPayload { deleted_id: id })
    }
}

/// Checks a webhook's filter as the lists would (the same errors for the same mistakes)
/// and gives it as stored; each part must narrow an event the webhook follows.
async fn stored_filter(
    scope: &RequestScope,
    filter: Option<WebhookFilter>,
    events: &[capitole_domain::webhook::WebhookEvent],
) -> Result<Option<String>, ApiError> {
    use capitole_domain::webhook::WebhookEvent as Event;
    let Some(filter) = filter else {
        return Ok(None);
    };
    let unfollowed = |part: &str, event: Event| {
        ApiError::bad_input(format!(
            "`filter.{part}` narrows {event}, which the webhook does not follow"
        ))
    };
    let mut stored = StoredFilter::default();
    if let Some(news) = filter.news {
        if !events.contains(&Event::NewsPublished) {
            return Err(unfollowed("news", Event::NewsPublished));
        }
        stored.news = Some(crate::query::news::checked_json(scope, news).await?);
    }
    if let Some(agenda) = filter.events {
        if !events.contains(&Event::EventChanged) {
            return Err(unfollowed("events", Event::EventChanged));
        }
        stored.events = Some(crate::query::events::checked_json(scope, agenda).await?);
    }
    if let Some(places) = filter.places {
        if !events.contains(&Event::PlaceChanged) {
            return Err(unfollowed("places", Event::PlaceChanged));
        }
        if places.is_empty() || places.len() > MAX_PLACES {
            return Err(ApiError::bad_input(format!(
                "`filter.places` names 1 to {MAX_PLACES} places"
            )));
        }
        let ids = places
            .iter()
            .map(|id| ids::decode_as(Kind::Place, id))
            .collect::<Result<Vec<_>, _>>()?;
        stored.places = Some(ids);
    }
    serde_json::to_string(&stored)
        .map(Some)
        .map_err(|_| ApiError::bad_input("the filter cannot be stored"))
}
