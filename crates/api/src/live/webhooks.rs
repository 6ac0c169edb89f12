//! The deliveries of webhooks, made by every replica: each queues the changes that webhooks
//! follow, from the cursor the database keeps (a delivery is queued once per webhook and
//! change, whichever replica queues it), then sends what is due. It wakes when the change
//! feed hands on entries and when the next retry is due, and at least every few seconds
//! (for what another replica queued, or a webhook enabled again): see [`super::followers`].

use std::sync::Arc;
use std::time::Duration;

use async_graphql::InputType;
use capitole_domain::access::{RateTier, Scope};
use capitole_domain::change::ItemKind;
use capitole_domain::text::decode_codes;
use capitole_domain::webhook::WebhookEvent;
use capitole_persistence::changes::{self, ChangeEntry, ChangeReader};
use capitole_persistence::webhooks::{self as storage, NewDelivery, Subscriber};
use capitole_persistence::{PageRequest, StorageError};
use capitole_services::principal::App;
use capitole_services::{Principal, Services, webhooks};
use chrono::Utc;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::followers::{IDLE, follow, resume, skip_to};
use super::topics::{event_in, news_in};
use crate::ApiContext;
use crate::context::RequestScope;
use crate::error::{ApiError, ErrorCode};
use crate::query::events::EventFilter;
use crate::query::news::NewsFilter;
use crate::types::webhook::{StoredFilter, body};

/// Entries of the log read at once.
const PAGE: usize = 200;
use capitole_persistence::webhooks::CURSOR;

/// Queues and sends webhooks' deliveries until the feed ends (with the service).
pub(crate) async fn run(api: ApiContext, entries: broadcast::Receiver<Arc<ChangeEntry>>) {
    let services = Services {
        db: api.db.background(),
        timezone: api.timezone,
    };
    follow("webhooks", entries, || async {
        queue(&api, &services).await?;
        webhooks::deliver_due(&services, &api.webhooks)
            .await
            .map_err(|e| e.message().to_owned())?;
        let next = storage::next_due(&services.db)
            .await
            .map_err(|e| e.to_string())?;
        Ok(next.map_or(IDLE, |at| {
            (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
        }))
    })
    .await;
}

/// Queues the deliveries of the entries after the cursor, a page at a time, moving the
/// cursor on after each page; stops when another replica moved it meanwhile (it queues the
/// rest).
async fn queue(api: &ApiContext, services: &Services) -> Result<(), String> {
    let db = &services.db;
    let text = |e: StorageError| e.to_string();
    // Taken before the webhooks are read: a webhook registered after this reads only
    // entries after it.
    let Some((mut cursor, head)) = resume(db, CURSOR).await? else {
        return Ok(());
    };
    let subscribers = storage::subscribers(db).await.map_err(text)?;
    if subscribers.is_empty() {
        return skip_to(db, CURSOR, &cursor, head).await;
    }
    let followers: Vec<Follower> = subscribers.into_iter().map(Follower::new).collect();
    loop {
        let request = PageRequest::after(PAGE, Some(cursor.clone()));
        let kinds = [ItemKind::Article, ItemKind::Event, ItemKind::Place];
        let page = changes::page(db, &ChangeReader::Public, &request, &kinds)
            .await
            .map_err(text)?;
        let Some(last) = page.rows.last().map(|(entry, _)| entry.position.encode()) else {
            return Ok(());
        };
        let now = Utc::now();
        let mut queued = Vec::new();
        for (entry, _) in &page.rows {
            let Some(event) = WebhookEvent::of(entry.kind, entry.change) else {
                continue;
            };
            for follower in &followers {
                if follower.follows(api, event, entry, now).await? {
                    let id = Uuid::now_v7();
                    queued.push(NewDelivery {
                        id,
                        webhook_id: follower.subscriber.id,
                        change_position: entry.position.number(),
                        event: event.code().to_owned(),
                        body: body(id, follower.subscriber.id, event, entry, now),
                    });
                }
            }
        }
        storage::enqueue(db, &queued, now).await.map_err(text)?;
        if !changes::advance_cursor(db, CURSOR, &cursor, &last)
            .await
            .map_err(text)?
            || !page.has_next_page
        {
            return Ok(());
        }
        cursor = last;
    }
}

/// A webhook as the queue reads it: what it follows, and as whom.
struct Follower {
    subscriber: Subscriber,
    events: Vec<WebhookEvent>,
    filter: StoredFilter,
    app: Principal,
}

impl Follower {
    fn new(subscriber: Subscriber) -> Self {
        let events = webhooks::events(&subscriber.events);
        let filter = subscriber
            .filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
            .unwrap_or_default();
        let app = Principal::App(App {
            token_id: subscriber.token_id,
            scopes: decode_codes(&subscriber.scopes)
                .filter_map(Scope::from_code)
                .collect(),
            tier: RateTier::from_code(&subscriber.tier).unwrap_or(RateTier::Standard),
        });
        Self {
            subscriber,
            events,
            filter,
            app,
        }
    }

    /// Whether the webhook follows `entry` (an `event`): registered before it, following
    /// that event, and the item kept by its filter as the app reads it now. An error is the
    /// database's: the entry is read again later.
    async fn follows(
        &self,
        api: &ApiContext,
        event: WebhookEvent,
        entry: &ChangeEntry,
        now: chrono::DateTime<Utc>,
    ) -> Result<bool, String> {
        if entry.at < self.subscriber.created_at || !self.events.contains(&event) {
            return Ok(false);
        }
        let scope = || RequestScope::new(api, now, self.app.clone(), None);
        let kept = match event {
            WebhookEvent::PlaceChanged => Ok(self
                .filter
                .places
                .as_ref()
                .is_none_or(|places| places.contains(&entry.id))),
            WebhookEvent::EventChanged => match parse::<EventFilter>(&self.filter.events) {
                Ok(filter) => event_in(&scope(), filter, entry).await,
                Err(error) => Err(error),
            },
            WebhookEvent::NewsPublished => match parse::<NewsFilter>(&self.filter.news) {
                Ok(filter) => news_in(&scope(), filter, entry).await,
                Err(error) => Err(error),
            },
        };
        match kept {
            Ok(kept) => Ok(kept),
            Err(error)
                if matches!(
                    error.code(),
                    ErrorCode::ServiceUnavailable | ErrorCode::Internal
                ) =>
            {
                Err(error.message().to_owned())
            }
            Err(error) => {
                // Something its filter names is gone (a category, a neighbourhood).
                tracing::warn!(
                    webhook = %self.subscriber.id,
                    error = error.message(),
                    "a webhook's filter no longer applies; its change is not queued"
                );
                Ok(false)
            }
        }
    }
}

/// A filter part as stored, read back as the input it was.
pub(super) fn parse<T: InputType>(
    stored: &Option<serde_json::Value>,
) -> Result<Option<T>, ApiError> {
    stored
        .as_ref()
        .map(|json| {
            T::parse(Some(
                async_graphql::Value::from_json(json.clone()).unwrap_or_default(),
            ))
            .map_err(|_| ApiError::bad_input("the stored filter is no longer valid"))
        })
        .transpose()
}
