//! GraphQL subscriptions over WebSocket, in the `graphql-transport-ws` protocol (the one
//! of graphql-ws, which Apollo Client, urql and GraphiQL speak), at `/graphql/ws` and on
//! `/graphql` by upgrade.
//!
//! A connection starts with `connection_init`, within the init timeout, carrying the
//! caller's credentials (`{"Authorization": "Bearer …"}`, or the upgrade request's own
//! `Authorization` header; none is anonymous). Then each `subscribe` runs one subscription
//! until the client sends `complete` or goes away. Every refusal closes the connection with
//! a code of its own (see `protocol::Close`); a refused subscription gets an `error` message and
//! the connection goes on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError, Variables};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use capitole_persistence::PageRequest;
use capitole_persistence::changes::{ChangeEntry, ChangePosition};
use capitole_services::Principal;
use chrono::Utc;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast, mpsc};
use tokio::task::JoinHandle;

use super::Seat;
use super::protocol::{
    ClientMessage, Close, SubscribePayload, close, credentials, error_message, send,
};
use super::topics::{Deliver, Describe, Topic};
use crate::context::RequestScope;
use crate::error::ApiError;
use crate::http::client::Peer;
use crate::http::graphql::identify::rate_subject;
use crate::http::graphql::negotiate::MediaType;
use crate::http::graphql::state::GraphqlState;

/// The protocol's name, as the client offers it in `Sec-WebSocket-Protocol`.
pub(crate) const PROTOCOL: &str = "graphql-transport-ws";

/// `GET /graphql/ws`: the WebSocket of subscriptions.
pub(crate) async fn upgrade(
    State(state): State<Arc<GraphqlState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let client = state.proxies.client_ip(peer, &headers);
    let Some(address_seat) = state.live.connections.take(address_key(client)) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many WebSocket connections from this address",
        )
            .into_response();
    };
    let authorization = headers.get(header::AUTHORIZATION).cloned();
    let max_bytes = state.body_limit;
    // Messages are small and mostly idle connections are many: buffers of a few KiB
    // (they grow for a larger message) instead of 128 KiB each way.
    upgrade
        .protocols([PROTOCOL])
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(max_bytes)
        .on_upgrade(move |socket| async move {
            let offered = socket.protocol().is_some();
            let connection = Connection {
                state,
                client,
                authorization,
                _address_seat: address_seat,
            };
            connection.run(socket, offered).await;
        })
}

/// `GET /graphql`: a WebSocket upgrade goes to the subscriptions, anything else is a query.
pub(crate) async fn get_or_upgrade(
    State(state): State<Arc<GraphqlState>>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let upgrading = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Ok(Peer(peer)) = Peer::from_request_parts(&mut parts, &state).await;
    if upgrading {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(ws) => upgrade(State(state), Peer(peer), parts.headers.clone(), ws).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let raw = parts.uri.query().map(str::to_owned);
    crate::http::graphql::get(
        State(state),
        Peer(peer),
        parts.headers,
        axum::extract::RawQuery(raw),
    )
    .await
}

fn address_key(client: Option<IpAddr>) -> String {
    crate::http::client::address_key(client)
}

/// What subscriptions send to their connection.
enum Out {
    Text(String),
}

struct Connection {
    state: Arc<GraphqlState>,
    client: Option<IpAddr>,
    authorization: Option<HeaderValue>,
    _address_seat: Seat,
}

impl Connection {
    async fn run(self, mut socket: WebSocket, offered: bool) {
        if !offered {
            close(
                &mut socket,
                Close::Subprotocol,
                "Subprotocol not acceptable",
            )
            .await;
            return;
        }
        let settings = self.state.live.settings.clone();
        let principal =
            match tokio::time::timeout(settings.init_timeout, self.init(&mut socket)).await {
                Ok(Some(principal)) => principal,
                Ok(None) => return,
                Err(_) => {
                    close(
                        &mut socket,
                        Close::InitTimeout,
                        "Connection initialisation timeout",
                    )
                    .await;
                    return;
                }
            };
        // Anonymous callers are counted by address only.
        let _principal_seat = if matches!(principal, Principal::Anonymous) {
            None
        } else {
            let key = rate_subject(&principal, self.client).key;
            let Some(seat) = self.state.live.by_principal.take(key) else {
                close(
                    &mut socket,
                    Close::Policy,
                    "too many WebSocket connections for these credentials",
                )
                .await;
                return;
            };
            Some(seat)
        };
        if send(&mut socket, &json!({ "type": "connection_ack" }))
            .await
            .is_err()
        {
            return;
        }
        let (out, mut outbox) = mpsc::channel::<Out>(settings.buffer);
        let slow = Arc::new(Notify::new());
        let mut running: HashMap<String, JoinHandle<()>> = HashMap::new();
        let follower = Follower {
            state: self.state.clone(),
            principal,
            client: self.client,
            out,
            slow: slow.clone(),
        };
        loop {
            running.retain(|_, task| !task.is_finished());
            tokio::select! {
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => {
                            close(&mut socket, Close::BadMessage, "messages are JSON text").await;
                            break;
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => continue,
                    };
                    let message = match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(message) => message,
                        Err(error) => {
                            close(&mut socket, Close::BadMessage, &format!("Invalid message: {error}")).await;
                            break;
                        }
                    };
                    match message {
                        ClientMessage::ConnectionInit { .. } => {
                            close(&mut socket, Close::TooManyInits, "Too many initialisation requests").await;
                            break;
                        }
                        ClientMessage::Ping { payload } => {
                            let pong = match payload {
                                Some(payload) => json!({ "type": "pong", "payload": payload }),
                                None => json!({ "type": "pong" }),
                            };
                            if send(&mut socket, &pong).await.is_err() {
                                break;
                            }
                        }
                        ClientMessage::Pong { .. } => {}
                        ClientMessage::Subscribe { id, payload } => {
                            if running.contains_key(&id) {
                                close(&mut socket, Close::Duplicate, &format!("Subscriber for {id} already exists")).await;
                                break;
                            }
                            if running.len() >= settings.subscriptions_per_connection {
                                let message = format!(
                                    "a connection holds at most {} subscriptions; complete one first",
                                    settings.subscriptions_per_connection
                                );
                                if send(&mut socket, &error_message(&id, &[ServerError::new(message, None)])).await.is_err() {
                                    break;
                                }
                                continue;
                            }
                            let task = tokio::spawn(follower.clone().run(id.clone(), payload));
                            running.insert(id, task);
                        }
                        ClientMessage::Complete { id } => {
                            if let Some(task) = running.remove(&id) {
                                task.abort();
                            }
                        }
                    }
                }
                Some(Out::Text(text)) = outbox.recv() => {
                    if socket.send(Message::Text(Utf8Bytes::from(text))).await.is_err() {
                        break;
                    }
                }
                () = slow.notified() => {
                    close(&mut socket, Close::Policy, "the client did not read its messages in time").await;
                    break;
                }
            }
        }
        for task in running.into_values() {
            task.abort();
        }
    }

    /// Waits for `connection_init` and identifies the caller; `None` when the connection
    /// was closed instead.
    async fn init(&self, socket: &mut WebSocket) -> Option<Principal> {
        loop {
            let text = match socket.recv().await? {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(Message::Binary(_)) => {
                    close(socket, Close::BadMessage, "messages are JSON text").await;
                    return None;
                }
                Ok(_) => continue,
            };
            match serde_json::from_str::<ClientMessage>(&text) {
                Ok(ClientMessage::ConnectionInit { payload }) => {
                    return self.identify(socket, payload.as_ref()).await;
                }
                Ok(ClientMessage::Subscribe { .. }) => {
                    close(socket, Close::Unauthorized, "Unauthorized").await;
                    return None;
                }
                Ok(ClientMessage::Ping { .. } | ClientMessage::Pong { .. }) => {}
                Ok(ClientMessage::Complete { .. }) => {}
                Err(error) => {
                    close(
                        socket,
                        Close::BadMessage,
                        &format!("Invalid message: {error}"),
                    )
                    .await;
                    return None;
                }
            }
        }
    }

    async fn identify(&self, socket: &mut WebSocket, payload: Option<&Value>) -> Option<Principal> {
        let given = payload.and_then(credentials).map(HeaderValue::from_str);
        let authorization = match given {
            Some(Ok(value)) => Some(value),
            Some(Err(_)) => {
                close(
                    socket,
                    Close::Forbidden,
                    "Forbidden: the credentials are not valid",
                )
                .await;
                return None;
            }
            None => self.authorization.clone(),
        };
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value);
        }
        match self
            .state
            .identifier
            .identify(MediaType::Json, &headers, self.client, Utc::now())
            .await
        {
            Ok(principal) => Some(principal),
            Err(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                close(
                    socket,
                    Close::Internal,
                    "the database is unavailable; try again later",
                )
                .await;
                None
            }
            Err(_) => {
                close(
                    socket,
                    Close::Forbidden,
                    "Forbidden: the credentials are not valid",
                )
                .await;
                None
            }
        }
    }
}

/// What runs each subscription of one connection.
#[derive(Clone)]
struct Follower {
    state: Arc<GraphqlState>,
    principal: Principal,
    client: Option<IpAddr>,
    out: mpsc::Sender<Out>,
    slow: Arc<Notify>,
}

impl Follower {
    /// Sends a message to the client; `false` when the connection is gone or the client
    /// is too slow to take it (the connection is then closed).
    fn post(&self, message: &Value) -> bool {
        match self.out.try_send(Out::Text(message.to_string())) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.slow.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn refuse(&self, id: &str, errors: &[ServerError]) {
        self.post(&error_message(id, errors));
    }

    fn scope(&self) -> RequestScope {
        RequestScope::new(
            &self.state.api,
            Utc::now(),
            self.principal.clone(),
            self.client,
        )
    }

    /// The request of each turn of the subscription, with its data.
    fn request(&self, payload: &SubscribePayload) -> Request {
        let mut request = Request::new(payload.query.clone()).variables(Variables::from_json(
            payload.variables.clone().unwrap_or(Value::Null),
        ));
        if let Some(name) = &payload.operation_name {
            request = request.operation_name(name.clone());
        }
        request.data(self.state.open_data.clone())
    }

    async fn run(self, id: String, payload: SubscribePayload) {
        let topic = match self.start(&payload).await {
            Ok(topic) => topic,
            Err(errors) => {
                self.refuse(&id, &errors);
                return;
            }
        };
        let mut feed = match topic.item {
            Some(item) => self.state.live.feed.subscribe_item(item),
            None => self.state.live.feed.subscribe(),
        };
        let reader = self.principal.change_reader();
        let mut last: Option<ChangePosition> = None;
        if let Some(after) = topic.after.clone() {
            // What the feed will not hand on is in the log by then.
            self.state.live.feed.started().await;
            match self.backlog(&id, &payload, &topic, after, &mut last).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(errors) => {
                    self.refuse(&id, &errors);
                    return;
                }
            }
        }
        loop {
            match feed.recv().await {
                Ok(entry) => {
                    if last.is_some_and(|l| !entry.position.follows(&l)) {
                        continue;
                    }
                    last = Some(entry.position);
                    if reader.admits(&entry)
                        && topic.may_take(&entry)
                        && !self.deliver(&id, &payload, entry).await
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Fell behind the feed: read what was missed from the log itself.
                    let Some(from) = last else {
                        continue;
                    };
                    let cursor = from.encode();
                    match self.backlog(&id, &payload, &topic, cursor, &mut last).await {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(errors) => {
                            self.refuse(&id, &errors);
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => {
                    self.post(&json!({ "type": "complete", "id": id }));
                    return;
                }
            }
        }
    }

    /// Checks the document (one subscription operation, within the limits and the
    /// caller's budget) and finds what it follows.
    async fn start(&self, payload: &SubscribePayload) -> Result<Topic, Vec<ServerError>> {
        let state = &self.state;
        let refuse = |message: String| vec![ServerError::new(message, None)];
        state
            .analyzer
            .check_size(&payload.query)
            .map_err(|v| refuse(v.message()))?;
        let document = async_graphql::parser::parse_query(&payload.query)
            .map_err(|error| refuse(error.to_string()))?;
        let operation = document
            .operations
            .iter()
            .find(|(name, _)| match (&payload.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            })
            .map(|(_, operation)| operation.node.ty)
            .ok_or_else(|| refuse("the document holds no such operation".to_owned()))?;
        if operation != OperationType::Subscription {
            return Err(refuse(
                "only subscriptions run over WebSocket; send queries and mutations to /graphql"
                    .to_owned(),
            ));
        }
        let variables = Variables::from_json(payload.variables.clone().unwrap_or(Value::Null));
        let analysis = state
            .analyzer
            .analyse(&document, payload.operation_name.as_deref(), &variables)
            .map_err(|v| refuse(v.message()))?;
        let rate = state
            .limiter
            .charge(&rate_subject(&self.principal, self.client), analysis.cost)
            .await;
        if !rate.allowed {
            return Err(refuse(format!(
                "the subscription costs {} points and {} of the {} points of this minute's budget are left; the budget refills in {} s",
                rate.cost, rate.remaining, rate.limit, rate.reset_seconds
            )));
        }
        let describe = Describe::default();
        let request = self
            .request(payload)
            .data(self.scope())
            .data(describe.clone())
            .data(rate)
            .data(analysis);
        let mut stream = state.schema.execute_stream(request);
        while let Some(response) = stream.next().await {
            if response.is_err() {
                return Err(response.errors);
            }
        }
        let topic = describe.0.lock().ok().and_then(|mut t| t.take());
        topic.ok_or_else(|| refuse("the subscription follows nothing".to_owned()))
    }

    /// Delivers the entries after `cursor` (a change log cursor as clients hold it) that
    /// the caller may read; `Ok(false)` when the connection is gone.
    async fn backlog(
        &self,
        id: &str,
        payload: &SubscribePayload,
        topic: &Topic,
        cursor: String,
        last: &mut Option<ChangePosition>,
    ) -> Result<bool, Vec<ServerError>> {
        let mut cursor = cursor;
        loop {
            let now = Utc::now();
            let request = PageRequest::after(100, Some(cursor.clone()));
            let page = capitole_services::changes::read(
                &self.scope().services(),
                &self.principal,
                &request,
                &topic.kinds,
                self.state.api.change_retention,
                now,
            )
            .await
            .map_err(|error| {
                let error: async_graphql::Error = ApiError::from(error).into();
                vec![error.into_server_error(async_graphql::Pos::default())]
            })?;
            for (entry, _) in page.rows {
                cursor = entry.position.encode();
                *last = Some(entry.position);
                if topic.may_take(&entry) && !self.deliver(id, payload, Arc::new(entry)).await {
                    return Ok(false);
                }
            }
            if !page.has_next_page {
                return Ok(true);
            }
        }
    }

    /// Runs the subscription's turn for `entry` (once for all anonymous subscribers of the
    /// same document) and sends what it yields; `false` when the connection is gone.
    async fn deliver(&self, id: &str, payload: &SubscribePayload, entry: Arc<ChangeEntry>) -> bool {
        let answers = if matches!(self.principal, Principal::Anonymous) {
            let key = super::deliveries::key(
                &entry,
                &payload.query,
                payload.operation_name.as_deref(),
                payload.variables.as_ref(),
            );
            self.state
                .live
                .deliveries
                .get_or_make(key, || self.turn(payload, entry))
                .await
        } else {
            Arc::new(self.turn(payload, entry).await)
        };
        for answer in answers.iter() {
            let message = json!({ "type": "next", "id": id, "payload": answer });
            if !self.post(&message) {
                return false;
            }
        }
        true
    }

    /// The answers of the subscription's turn for `entry`.
    async fn turn(&self, payload: &SubscribePayload, entry: Arc<ChangeEntry>) -> Vec<Value> {
        let request = self
            .request(payload)
            .data(self.scope())
            .data(Deliver(entry));
        let mut stream = self.state.schema.execute_stream(request);
        let mut answers = Vec::new();
        while let Some(response) = stream.next().await {
            answers.push(serde_json::to_value(&response).unwrap_or(Value::Null));
        }
        answers
    }
}
