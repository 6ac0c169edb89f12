//! Web Push: a signed-in person's browser registers the push subscription it was given,
//! with what it wants to hear of, and removes it.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use capitole_persistence::push::PushSubscriptionRow;
use capitole_services::push::{self, PushDraft};
use chrono::{DateTime, Utc};

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::query::news::NewsFilter;
use crate::types::scalars::Url;

/// The keys of a push subscription, as `PushSubscription.toJSON()` gives them.
#[derive(InputObject)]
pub(crate) struct PushKeysInput {
    /// The browser's public key (P-256, base64url).
    #[graphql(name = "p256dh")]
    pub p256dh: String,
    /// The browser's authentication secret (16 bytes, base64url).
    pub auth: String,
}

/// What a browser wants to hear of.
#[derive(InputObject)]
pub(crate) struct PushTopicsInput {
    /// News as it is published, among those the list of news with this filter holds
    /// (audiences, neighbourhoods, categories…); none when absent.
    pub news: Option<NewsFilter>,
    /// Changes of the events the person is going to (rescheduled, cancelled, edited).
    #[graphql(default = true)]
    pub going: bool,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it, with its topics.
#[derive(InputObject)]
pub(crate) struct RegisterPushSubscriptionInput {
    /// The push service's address for this browser.
    pub endpoint: Url,
    /// The browser's keys.
    pub keys: PushKeysInput,
    /// What it wants to hear of.
    pub topics: PushTopicsInput,
}

/// A browser's push subscription.
#[derive(Clone)]
pub(crate) struct PushSubscription(PushSubscriptionRow);

/// A browser's push subscription.
#[Object]
impl PushSubscription {
    /// The push service's address for this browser.
    async fn endpoint(&self) -> Url {
        Url::from(self.0.endpoint.as_str())
    }

    /// Whether it hears of news.
    async fn news(&self) -> bool {
        self.0.news.is_some()
    }

    /// Whether it hears of changes of the events its person is going to.
    async fn going(&self) -> bool {
        self.0.going
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When a message last reached its push service.
    async fn last_sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_sent_at
    }
}

/// What `registerPushSubscription` answers.
#[derive(SimpleObject)]
pub(crate) struct RegisterPushSubscriptionPayload {
    /// The subscription, as registered.
    pub push_subscription: PushSubscription,
}

/// What `unregisterPushSubscription` answers.
#[derive(SimpleObject)]
pub(crate) struct UnregisterPushSubscriptionPayload {
    /// Whether the person had a subscription at this address.
    pub removed: bool,
}

#[derive(Default)]
pub(crate) struct PushMutation;

#[Object]
impl PushMutation {
    /// Registers the signed-in person's push subscription (the browser's, subscribed with
    /// `vapidPublicKey`): Capitole sends it what its topics ask for, encrypted for the
    /// browser. Registering the same endpoint again replaces its keys and topics.
    async fn register_push_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription and its topics.")] input: RegisterPushSubscriptionInput,
    ) -> ApiResult<RegisterPushSubscriptionPayload> {
        let scope = scope(ctx)?;
        let news = match input.topics.news {
            Some(filter) => Some(
                crate::query::news::checked_json(scope, filter)
                    .await
                    .map_err(to_gql)?
                    .to_string(),
            ),
            None => None,
        };
        let row = push::register(
            &scope.services(),
            &scope.push,
            &scope.principal,
            PushDraft {
                endpoint: input.endpoint.0,
                p256dh: input.keys.p256dh,
                auth: input.keys.auth,
                news,
                going: input.topics.going,
            },
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(RegisterPushSubscriptionPayload {
            push_subscription: PushSubscription(row),
        })
    }

    /// Removes one of the signed-in person's push subscriptions (when the browser
    /// unsubscribes, or the person turns notifications off).
    async fn unregister_push_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The push service's address for the browser.")] endpoint: Url,
    ) -> ApiResult<UnregisterPushSubscriptionPayload> {
        let scope = scope(ctx)?;
        let removed = push::unregister(&scope.services(), &scope.principal, &endpoint.0)
            .await
            .map_err(to_gql)?;
        Ok(UnregisterPushSubscriptionPayload { removed })
    }
}
