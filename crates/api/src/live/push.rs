//! Web Push messages, sent by every replica that serves: each reads the change log from
//! the cursor the database keeps for Web Push, works out the messages of a page of entries
//! (news for the subscriptions whose filter keeps the article, changes of an event for the
//! subscriptions of the people going to it), moves the cursor on, and sends them only if
//! it moved it (another replica that moved it first sends them instead). A message is sent
//! at most once: one lost when a replica stops in the middle of a page is not sent again.

use std::collections::HashMap;
use std::sync::Arc;

use capitole_domain::change::{ChangeKind, ItemKind};
use capitole_persistence::changes::{self, ChangeEntry, ChangeReader};
use capitole_persistence::push::{self as storage, CURSOR, PushSubscriptionRow};
use capitole_persistence::{PageRequest, StorageError, reactions};
use capitole_services::push::Sent;
use capitole_services::{Principal, Services};
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::broadcast;

use super::followers::{IDLE, follow, resume, skip_to};
use super::topics::news_in;
use super::webhooks::parse;
use crate::ApiContext;
use crate::context::RequestScope;
use crate::ids::{self, Kind};
use crate::loaders::{ArticleId, EventId};
use crate::query::news::NewsFilter;

/// Entries of the log read at once.
const PAGE: usize = 100;
/// Messages sent at once.
const AT_ONCE: usize = 16;

/// Sends Web Push messages until the feed ends (with the service); nothing when Web Push
/// is off.
pub(crate) async fn run(api: ApiContext, entries: broadcast::Receiver<Arc<ChangeEntry>>) {
    if api.push.public_key().is_none() {
        return;
    }
    let services = Services {
        db: api.db.background(),
        timezone: api.timezone,
    };
    follow("Web Push messages", entries, || async {
        round(&api, &services).await.map(|()| IDLE)
    })
    .await;
}

/// Sends the messages of the entries after the cursor, a page at a time.
async fn round(api: &ApiContext, services: &Services) -> Result<(), String> {
    let db = &services.db;
    let text = |e: StorageError| e.to_string();
    let Some((mut cursor, head)) = resume(db, CURSOR).await? else {
        return Ok(());
    };
    let listening = storage::listening(db).await.map_err(text)?;
    if listening.is_empty() {
        return skip_to(db, CURSOR, &cursor, head).await;
    }
    loop {
        let request = PageRequest::after(PAGE, Some(cursor.clone()));
        let kinds = [ItemKind::Article, ItemKind::Event];
        let page = changes::page(db, &ChangeReader::Public, &request, &kinds)
            .await
            .map_err(text)?;
        let Some(last) = page.rows.last().map(|(entry, _)| entry.position.encode()) else {
            return Ok(());
        };
        let mut messages = Vec::new();
        for (entry, _) in &page.rows {
            messages.extend(messages_of(api, entry, &listening).await?);
        }
        if !changes::advance_cursor(db, CURSOR, &cursor, &last)
            .await
            .map_err(text)?
        {
            return Ok(());
        }
        send(api, services, messages).await;
        if !page.has_next_page {
            return Ok(());
        }
        cursor = last;
    }
}

/// The messages `entry` makes for the subscriptions listening.
async fn messages_of(
    api: &ApiContext,
    entry: &ChangeEntry,
    listening: &[PushSubscriptionRow],
) -> Result<Vec<(PushSubscriptionRow, String)>, String> {
    let now = Utc::now();
    let scope = RequestScope::new(api, now, Principal::Anonymous, None);
    let cursor = crate::types::connection::wrap_cursor(&entry.position.encode());
    let failed = |e: async_graphql::Error| e.message;
    let mut out = Vec::new();
    match (entry.kind, entry.change) {
        (ItemKind::Article, ChangeKind::Published) => {
            let Some(article) = scope.load(ArticleId(entry.id)).await.map_err(failed)? else {
                return Ok(out);
            };
            let message = json!({
                "kind": "NEWS_PUBLISHED",
                "id": ids::encode(Kind::NewsArticle, entry.id).to_string(),
                "title": article.title,
                "body": article.summary,
                "cursor": cursor,
            })
            .to_string();
            // Many subscriptions share a filter (every article, one audience): each
            // distinct filter is applied once.
            let mut kept: HashMap<&str, bool> = HashMap::new();
            for subscription in listening.iter() {
                let Some(filter) = subscription.news.as_deref() else {
                    continue;
                };
                let keeps = match kept.get(filter) {
                    Some(keeps) => *keeps,
                    None => {
                        let news: Option<serde_json::Value> = serde_json::from_str(filter).ok();
                        let keeps = match parse::<NewsFilter>(&news) {
                            Ok(filter) => news_in(&scope, filter, entry).await.unwrap_or(false),
                            Err(_) => false,
                        };
                        kept.insert(filter, keeps);
                        keeps
                    }
                };
                if keeps {
                    out.push((subscription.clone(), message.clone()));
                }
            }
        }
        (ItemKind::Event, change) => {
            let going = reactions::going_to_event(&api.db, entry.id, now)
                .await
                .map_err(|e| e.to_string())?;
            if going.is_empty() {
                return Ok(out);
            }
            let title = scope
                .load(EventId(entry.id))
                .await
                .map_err(failed)?
                .map(|event| event.title);
            let message = json!({
                "kind": "EVENT_CHANGED",
                "change": change.code(),
                "id": ids::encode(Kind::Event, entry.id).to_string(),
                "title": title,
                "cursor": cursor,
            })
            .to_string();
            for subscription in listening
                .iter()
                .filter(|s| s.going && going.contains(&s.user_id))
            {
                out.push((subscription.clone(), message.clone()));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Sends the messages, a few at a time; forgets the subscriptions that are gone.
pub(super) async fn send(
    api: &ApiContext,
    services: &Services,
    messages: Vec<(PushSubscriptionRow, String)>,
) {
    let sent = futures_util::stream::iter(messages)
        .map(|(subscription, message)| async move {
            let now = Utc::now();
            let outcome = api.push.send(&subscription, &message, now).await;
            (subscription, outcome, now)
        })
        .buffer_unordered(AT_ONCE);
    let outcomes: Vec<_> = sent.collect().await;
    for (subscription, outcome, now) in outcomes {
        let label = match &outcome {
            Sent::Delivered => "delivered",
            Sent::Gone => "gone",
            Sent::Failed(_) => "failed",
        };
        metrics::counter!("capitole_push_messages_total", "outcome" => label).increment(1);
        let recorded = match outcome {
            Sent::Delivered => storage::sent(&services.db, subscription.id, now).await,
            Sent::Gone => storage::remove(&services.db, &subscription.endpoint, None)
                .await
                .map(|_| ()),
            Sent::Failed(error) => {
                tracing::debug!(error, "a Web Push message was not sent");
                Ok(())
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, "cannot record a Web Push message's outcome");
        }
    }
}
