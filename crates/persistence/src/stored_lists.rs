//! Lists kept as JSON on an item's row: the pictures of events and places (the main one
//! first) and the media of articles, events and places, read with the row when a page asks
//! for them.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The stored form of `items`.
pub(crate) fn encode<T: Serialize>(items: &[T]) -> String {
    // Checked strings, numbers and codes always serialise; the fallback is never taken.
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The items a stored list holds. Only checked items are stored; one that does not read back
/// (a kind or host this version does not know) is left out and logged rather than failing
/// its article, event or place, and a list that cannot be read at all is read as empty.
pub fn decode<T: DeserializeOwned>(stored: &str) -> Vec<T> {
    let items: Vec<serde_json::Value> = match serde_json::from_str(stored) {
        Ok(items) => items,
        Err(error) => {
            tracing::warn!(%error, "unreadable stored list read as empty");
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter_map(|item| match serde_json::from_value(item) {
            Ok(item) => Some(item),
            Err(error) => {
                tracing::warn!(%error, "stored list item left out");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use capitole_domain::media::{Media, MediaInput, check_media};

    use super::*;

    #[test]
    fn an_item_this_version_cannot_read_is_left_out_and_the_others_kept() {
        let video = check_media(MediaInput {
            url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
            ..MediaInput::default()
        })
        .unwrap();
        let mut stored: Vec<serde_json::Value> =
            serde_json::from_str(&encode(std::slice::from_ref(&video))).unwrap();
        stored.push(serde_json::json!({ "kind": "HOLOGRAM", "provider": "WEB", "url": "x" }));
        let read: Vec<Media> = decode(&serde_json::to_string(&stored).unwrap());
        assert_eq!(read, vec![video]);
        assert!(decode::<Media>("not json").is_empty());
    }
}
