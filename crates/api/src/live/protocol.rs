//! The messages and close codes of `graphql-transport-ws`, and how Capitole writes them.

use async_graphql::ServerError;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use serde::Deserialize;
use serde_json::{Value, json};

/// The close codes of the protocol, and Capitole's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Close {
    /// A message that is not one of the protocol's (4400).
    BadMessage,
    /// `subscribe` before the connection was acknowledged (4401).
    Unauthorized,
    /// Credentials that are not valid (4403).
    Forbidden,
    /// The client did not offer `graphql-transport-ws` (4406).
    Subprotocol,
    /// No `connection_init` within the init timeout (4408).
    InitTimeout,
    /// A `subscribe` with the id of a running subscription (4409).
    Duplicate,
    /// A second `connection_init` (4429).
    TooManyInits,
    /// The database cannot be reached (4500).
    Internal,
    /// Past a limit: connections of one caller, or a client that does not read its
    /// messages (1008).
    Policy,
}

impl Close {
    pub(super) fn code(self) -> u16 {
        match self {
            Close::BadMessage => 4400,
            Close::Unauthorized => 4401,
            Close::Forbidden => 4403,
            Close::Subprotocol => 4406,
            Close::InitTimeout => 4408,
            Close::Duplicate => 4409,
            Close::TooManyInits => 4429,
            Close::Internal => 4500,
            Close::Policy => 1008,
        }
    }
}

/// A message of the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[allow(dead_code)]
        #[serde(default)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubscribePayload {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Value>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// The credentials of a `connection_init` payload: `Authorization` (any case), at its top
/// or under `headers`.
pub(super) fn credentials(payload: &Value) -> Option<&str> {
    fn find(object: &Value) -> Option<&str> {
        object.as_object().and_then(|fields| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, value)| value.as_str())
        })
    }
    find(payload).or_else(|| payload.get("headers").and_then(find))
}

pub(super) async fn send(socket: &mut WebSocket, message: &Value) -> Result<(), axum::Error> {
    socket
        .send(Message::Text(Utf8Bytes::from(message.to_string())))
        .await
}

pub(super) async fn close(socket: &mut WebSocket, close: Close, reason: &str) {
    // A close reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code: close.code(),
        reason: Utf8Bytes::from(&reason[..end]),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

pub(super) fn error_message(id: &str, errors: &[ServerError]) -> Value {
    json!({ "type": "error", "id": id, "payload": errors })
}
