//! Live updates: the change log followed as it grows ([`feed`]), the topics clients
//! subscribe to ([`topics`]) and the WebSocket that carries them ([`ws`]).

pub(crate) mod deliveries;
pub(crate) mod feed;
mod followers;
mod protocol;
mod push;
mod reminders;
pub(crate) mod topics;
mod webhooks;
pub(crate) mod ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use feed::ChangeFeed;

/// The limits of live connections.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// How long a client has to send `connection_init` after connecting.
    pub init_timeout: Duration,
    /// Subscriptions one connection may run at once.
    pub subscriptions_per_connection: usize,
    /// Connections open at once from one address.
    pub connections_per_address: usize,
    /// Connections open at once with one person's or app's credentials.
    pub connections_per_principal: usize,
    /// Messages waiting for a client that does not read them, past which its connection is
    /// closed.
    pub buffer: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            subscriptions_per_connection: 20,
            connections_per_address: 100,
            connections_per_principal: 10,
            buffer: 256,
        }
    }
}

/// What the live connections of a replica share.
pub(crate) struct Live {
    pub feed: ChangeFeed,
    pub settings: LiveSettings,
    /// Connections open by address.
    pub connections: Connections,
    /// Connections open by credentials.
    pub by_principal: Connections,
    /// Answers of deliveries shared by anonymous subscribers.
    pub deliveries: deliveries::SharedDeliveries,
}

impl Live {
    /// Starts sending webhooks' deliveries and Web Push messages, for as long as `feed`
    /// lives.
    pub(crate) fn deliver_webhooks(api: &crate::ApiContext, feed: &ChangeFeed) {
        tokio::spawn(webhooks::run(api.clone(), feed.subscribe()));
        tokio::spawn(push::run(api.clone(), feed.subscribe()));
        tokio::spawn(reminders::run(api.clone()));
    }

    pub(crate) fn new(feed: ChangeFeed, settings: LiveSettings) -> Self {
        Self {
            connections: Connections::new(settings.connections_per_address),
            by_principal: Connections::new(settings.connections_per_principal),
            deliveries: deliveries::SharedDeliveries::new(),
            feed,
            settings,
        }
    }
}

/// Open connections counted by key, up to a limit per key.
#[derive(Clone)]
pub(crate) struct Connections {
    open: Arc<Mutex<HashMap<String, usize>>>,
    limit: usize,
}

/// One open connection of a key; the count goes down when it is dropped.
pub(crate) struct Seat {
    open: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Connections {
    fn new(limit: usize) -> Self {
        Self {
            open: Arc::default(),
            limit,
        }
    }

    /// A seat for one more connection of `key`, unless it holds its limit already.
    pub(crate) fn take(&self, key: String) -> Option<Seat> {
        let mut open = self.open.lock().ok()?;
        let count = open.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Seat {
            open: self.open.clone(),
            key,
        })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(count) = open.get_mut(&self.key)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_its_limit_of_seats_and_gets_one_back_when_one_ends() {
        let connections = Connections::new(2);
        let first = connections.take("a".to_owned()).unwrap();
        let _second = connections.take("a".to_owned()).unwrap();
        assert!(connections.take("a".to_owned()).is_none());
        assert!(connections.take("b".to_owned()).is_some());
        drop(first);
        assert!(connections.take("a".to_owned()).is_some());
    }
}
