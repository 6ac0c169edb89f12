//! How the pictures of events and places are stored: a JSON list on the item's row, the
//! main picture first, read with the row when a page asks for them.

use capitole_domain::picture::Picture;

/// The stored form of `pictures`.
pub(crate) fn encode(pictures: &[Picture]) -> String {
    serde_json::to_string(pictures).unwrap_or_else(|_| "[]".to_owned())
}

/// The pictures a row holds; a list this version cannot read is logged and read as none.
pub fn decode(stored: &str) -> Vec<Picture> {
    serde_json::from_str(stored).unwrap_or_else(|error| {
        tracing::warn!(%error, "unreadable pictures read as none");
        Vec::new()
    })
}
