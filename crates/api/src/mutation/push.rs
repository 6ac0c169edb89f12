//! Web Push: a signed-in person's browser registers the push subscription it was given,
//! with what it wants to hear of, and removes it.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use capitole_persistence::push::PushSubscriptionRow;
use capitole_services::push::{self, NearbyDraft, PushDraft};
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
    /// Events that start soon near a point (the person's, when they opt in): a reminder
    /// for each date of a public event at a place within the circle, once, shortly before
    /// it starts. None when absent.
    pub starting_soon_nearby: Option<PushNearbyInput>,
}

/// Where and how soon a person wants to hear of events that start soon.
#[derive(InputObject)]
pub(crate) struct PushNearbyInput {
    /// Latitude of the point, in degrees (−90 to 90).
    pub latitude: f64,
    /// Longitude of the point, in degrees (−180 to 180).
    pub longitude: f64,
    /// How far from the point, in metres (1 to 10000).
    #[graphql(default = 1000)]
    pub radius_meters: i32,
    /// How long before a date starts the reminder comes, in minutes (5 to 180).
    #[graphql(default = 60)]
    pub within_minutes: i32,
}

/// Where and how soon a subscription hears of events that start soon.
#[derive(SimpleObject)]
pub(crate) struct PushNearby {
    /// Latitude of the point, in degrees.
    pub latitude: f64,
    /// Longitude of the point, in degrees.
    pub longitude: f64,
    /// How far from the point, in metres.
    pub radius_meters: i32,
    /// How long before a date starts, in minutes.
    pub within_minutes: i32,
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

    /// Events that start soon near a point, if it hears of them.
    async fn starting_soon_nearby(&self) -> Option<PushNearby> {
        self.0.nearby().map(|nearby| PushNearby {
            latitude: nearby.latitude,
            longitude: nearby.longitude,
            radius_meters: i32::try_from(nearby.radius_meters).unwrap_or(i32::MAX),
            within_minutes: i32::try_from(nearby.minutes).unwrap_or(i32::MAX),
        })
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
                nearby: input.topics.starting_soon_nearby.map(|nearby| NearbyDraft {
                    latitude: nearby.latitude,
                    longitude: nearby.longitude,
                    radius_meters: i64::from(nearby.radius_meters),
                    minutes: i64::from(nearby.within_minutes),
                }),
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
