//! Webhooks as their apps read and register them, and the JSON each delivery carries.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use capitole_domain::webhook as domain;
use capitole_persistence::changes::ChangeEntry;
use capitole_persistence::webhooks::{DeliveryRow, WebhookRow};
use capitole_services::webhooks;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::context::scope;
use crate::error::{ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::query::events::EventFilter;
use crate::query::news::NewsFilter;
use crate::types::connection::{CountQuery, connection, edges, page_request};
use crate::types::scalars::Url;

/// What a webhook follows.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::webhook::WebhookEvent")]
pub(crate) enum WebhookEvent {
    /// A news article is published (among those `filter.news` keeps).
    NewsPublished,
    /// An event is made, edited, cancelled, rescheduled, published, unpublished or deleted
    /// (among those `filter.events` keeps; an event that leaves public view always counts).
    EventChanged,
    /// A place is made, edited (hours, closure, description), hidden or deleted (among
    /// `filter.places`).
    PlaceChanged,
}

/// Whether a webhook is called.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::webhook::WebhookStatus")]
pub(crate) enum WebhookStatus {
    /// Deliveries are made.
    Active,
    /// Its calls failed too many times in a row: nothing is delivered until
    /// `enableWebhook`.
    Disabled,
}

/// Where one delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "capitole_domain::webhook::DeliveryStatus")]
pub(crate) enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Every attempt failed, for as long as deliveries are tried (a day).
    Failed,
}

/// Which items a webhook follows; each part narrows one event, and an event without its
/// part follows every public item of its kind.
#[derive(InputObject, Default)]
pub(crate) struct WebhookFilter {
    /// The articles `NEWS_PUBLISHED` follows: those the list of news with this filter holds.
    pub news: Option<NewsFilter>,
    /// The events `EVENT_CHANGED` follows: those the agenda with this filter holds.
    pub events: Option<EventFilter>,
    /// The places `PLACE_CHANGED` follows, by global id (at most 100).
    pub places: Option<Vec<ID>>,
}

/// What a webhook follows, as stored: the parts of its filter as JSON.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub news: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub places: Option<Vec<Uuid>>,
}

/// An endpoint of a third-party app that Capitole calls when what it follows changes.
#[derive(Clone)]
pub(crate) struct Webhook(pub WebhookRow);

/// An endpoint of a third-party app that Capitole calls when what it follows changes:
/// each call is a `POST` of JSON, signed in `Capitole-Signature`.
#[Object]
impl Webhook {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(Kind::Webhook, self.0.id)
    }

    /// The endpoint.
    async fn url(&self) -> Url {
        Url::from(self.0.url.as_str())
    }

    /// What it follows.
    async fn events(&self) -> Vec<WebhookEvent> {
        webhooks::events(&self.0.events)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// Whether it is called.
    async fn status(&self) -> WebhookStatus {
        domain::WebhookStatus::from_code(&self.0.status)
            .unwrap_or(domain::WebhookStatus::Disabled)
            .into()
    }

    /// Attempts that failed since the last one that succeeded.
    async fn consecutive_failures(&self) -> i64 {
        self.0.consecutive_failures
    }

    /// When it was registered: it receives the changes made from then on.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was disabled, while it is.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }

    /// Its deliveries, newest first (kept for as long as the change log keeps its entries;
    /// pending ones until they are delivered or given up).
    async fn deliveries(
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
    ) -> ApiResult<WebhookDeliveryConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        let page = webhooks::deliveries(&scope.services(), &scope.principal, self.0.id, &request)
            .await
            .map_err(to_gql)?;
        let (edges, page_info) = edges(page, |row, cursor| WebhookDeliveryEdge {
            cursor,
            node: WebhookDelivery(row),
        });
        Ok(WebhookDeliveryConnection {
            edges,
            page_info,
            count: CountQuery::WebhookDeliveries(self.0.id),
        })
    }
}

/// A webhook in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct WebhookEdge {
    /// The cursor of this webhook in the list.
    pub cursor: String,
    /// The webhook.
    pub node: Webhook,
}

connection!(
    /// A page of an app's webhooks, oldest first.
    WebhookConnection, WebhookEdge, Webhook
);

/// One change told to a webhook, with its attempts.
#[derive(Clone)]
pub(crate) struct WebhookDelivery(pub DeliveryRow);

/// One change told to a webhook, with its attempts.
#[Object]
impl WebhookDelivery {
    /// Its id: the `id` of the JSON sent and the `Capitole-Delivery` header, the same on
    /// every attempt (receivers use it to act once on a delivery they receive twice).
    async fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// What it tells of.
    async fn event(&self) -> Option<WebhookEvent> {
        domain::WebhookEvent::from_code(&self.0.event).map(Into::into)
    }

    /// Where it stands.
    async fn status(&self) -> DeliveryStatus {
        domain::DeliveryStatus::from_code(&self.0.status)
            .unwrap_or(domain::DeliveryStatus::Pending)
            .into()
    }

    /// The JSON it sends.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Attempts made.
    async fn attempts(&self) -> i64 {
        self.0.attempts
    }

    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it is tried next, while it is pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == domain::DeliveryStatus::Pending.code()).then_some(self.0.next_attempt_at)
    }

    /// When it was last tried.
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    /// The status code the endpoint answered the last attempt with.
    async fn response_code(&self) -> Option<i64> {
        self.0.response_code
    }

    /// Why the last attempt failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// When it was delivered.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

/// A delivery in a list.
#[derive(SimpleObject, Clone)]
pub(crate) struct WebhookDeliveryEdge {
    /// The cursor of this delivery in the list.
    pub cursor: String,
    /// The delivery.
    pub node: WebhookDelivery,
}

connection!(
    /// A page of a webhook's deliveries, newest first.
    WebhookDeliveryConnection, WebhookDeliveryEdge, WebhookDelivery
);

/// The JSON a delivery sends: which delivery, of which webhook, what happened to which
/// item, and the change's cursor in the change log (to resume `changes` or a subscription
/// from it). The item itself is read from the graph.
pub(crate) fn body(
    delivery: Uuid,
    webhook: Uuid,
    event: domain::WebhookEvent,
    entry: &ChangeEntry,
    now: DateTime<Utc>,
) -> String {
    let kind = Kind::from(entry.kind);
    json!({
        "id": delivery.to_string(),
        "webhook": ids::encode(Kind::Webhook, webhook).to_string(),
        "event": event.code(),
        "createdAt": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "change": {
            "cursor": crate::types::connection::wrap_cursor(&entry.position.encode()),
            "kind": entry.kind.code(),
            "change": entry.change.code(),
            "id": ids::encode(kind, entry.id).to_string(),
            "version": entry.version,
            "at": entry.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        },
    })
    .to_string()
}
