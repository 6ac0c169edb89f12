//! Identifiers: every stored item is keyed by a UUIDv7, ordered by creation time.

use uuid::Uuid;

/// A new identifier, later than every identifier this process made before.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
