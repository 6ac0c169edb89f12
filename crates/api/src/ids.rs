//! Global object ids (Relay): an opaque, URL-safe encoding of a type name and a UUID, so that
//! `node(id:)` can resolve any object and clients never build ids themselves.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::ApiError;

/// The kinds of objects that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Organization`
    Organization,
    /// `Neighborhood`
    Neighborhood,
    /// `Category`
    Category,
    /// `Place`
    Place,
    /// `Event`
    Event,
    /// `Occurrence`
    Occurrence,
    /// `NewsArticle`
    NewsArticle,
    /// `User`
    User,
    /// `ApiToken`
    ApiToken,
    /// `SocialPost`
    SocialPost,
    /// `Tip`
    Tip,
    /// `CheckIn`
    CheckIn,
    /// `Webhook`
    Webhook,
}

const KINDS: [(Kind, &str); 13] = [
    (Kind::Organization, "Organization"),
    (Kind::Neighborhood, "Neighborhood"),
    (Kind::Category, "Category"),
    (Kind::Place, "Place"),
    (Kind::Event, "Event"),
    (Kind::Occurrence, "Occurrence"),
    (Kind::NewsArticle, "NewsArticle"),
    (Kind::User, "User"),
    (Kind::ApiToken, "ApiToken"),
    (Kind::SocialPost, "SocialPost"),
    (Kind::Tip, "Tip"),
    (Kind::CheckIn, "CheckIn"),
    (Kind::Webhook, "Webhook"),
];

fn name_of(kind: Kind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("?", |(_, name)| name)
}

impl From<capitole_domain::change::ItemKind> for Kind {
    /// The kind of global id of the items of a kind the change log follows.
    fn from(kind: capitole_domain::change::ItemKind) -> Self {
        use capitole_domain::change::ItemKind;
        match kind {
            ItemKind::Article => Kind::NewsArticle,
            ItemKind::Event => Kind::Event,
            ItemKind::Place => Kind::Place,
            ItemKind::Tip => Kind::Tip,
            ItemKind::Organization => Kind::Organization,
        }
    }
}

/// The global id of an object.
pub fn encode(kind: Kind, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", name_of(kind), id.simple())))
}

/// Reads a global id; anything this service did not make is a clear input error.
pub fn decode(id: &str) -> Result<(Kind, Uuid), ApiError> {
    let invalid = || ApiError::bad_input(format!("`{}` is not a Capitole id", truncate(id)));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let kind = KINDS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(k, _)| *k)
        .ok_or_else(invalid)?;
    let uuid = Uuid::try_parse(uuid).map_err(|_| invalid())?;
    Ok((kind, uuid))
}

/// Reads a global id that must be of one kind.
pub fn decode_as(kind: Kind, id: &str) -> Result<Uuid, ApiError> {
    match decode(id)? {
        (k, uuid) if k == kind => Ok(uuid),
        _ => Err(ApiError::bad_input(format!(
            "`{}` is not the id of a {}",
            truncate(id),
            name_of(kind)
        ))),
    }
}

fn truncate(id: &str) -> String {
    id.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_round_trip_and_foreign_ids_are_refused() {
        let uuid = Uuid::now_v7();
        let id = encode(Kind::Place, uuid);
        assert_eq!(decode(&id).unwrap(), (Kind::Place, uuid));
        assert_eq!(decode_as(Kind::Place, &id).unwrap(), uuid);
        assert!(decode_as(Kind::Event, &id).is_err());
        assert!(decode("not-an-id").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("Spaceship:123")).is_err());
    }
}
