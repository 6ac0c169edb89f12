//! The feed of an audience: articles, events and places mixed, each with why it is there.

use async_graphql::{Enum, SimpleObject, Union};
use capitole_domain::feed::Reason;

use super::Place;
use super::article::NewsArticle;
use super::connection::connection;
use super::event::Event;

/// An item of a feed.
#[derive(Union, Clone)]
pub(crate) enum FeedItem {
    /// A news article.
    NewsArticle(NewsArticle),
    /// An event.
    Event(Event),
    /// A place.
    Place(Place),
}

/// What kind of reason puts an item in a feed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub(crate) enum FeedReasonKind {
    /// It is meant for one of the audiences given.
    Audience,
    /// It is in a category of the interests (or below one).
    Interest,
    /// It concerns the neighbourhood given.
    Neighborhood,
    /// An event under way.
    HappeningNow,
    /// An event that starts within two days.
    StartsSoon,
    /// An article published within two days.
    New,
    /// Within 2 km of the point given.
    Nearby,
}

/// Why an item is in a feed.
#[derive(SimpleObject, Clone)]
pub(crate) struct FeedReason {
    /// What kind of reason.
    pub kind: FeedReasonKind,
    /// The reason in a few words, for a reader: "for families", "about Musée", "in your
    /// neighbourhood", "happening now", "starts in 2 h", "published 3 h ago", "500 m away".
    pub label: String,
}

impl From<&Reason> for FeedReason {
    fn from(reason: &Reason) -> Self {
        let kind = match reason {
            Reason::ForAudience(_) => FeedReasonKind::Audience,
            Reason::Interest(_) => FeedReasonKind::Interest,
            Reason::InNeighborhood => FeedReasonKind::Neighborhood,
            Reason::UnderWay => FeedReasonKind::HappeningNow,
            Reason::StartsIn(_) => FeedReasonKind::StartsSoon,
            Reason::PublishedAgo(_) => FeedReasonKind::New,
            Reason::Nearby(_) => FeedReasonKind::Nearby,
        };
        Self {
            kind,
            label: reason.label(),
        }
    }
}

/// An item of a feed with its cursor, its score and its reasons.
#[derive(SimpleObject, Clone)]
pub(crate) struct FeedEdge {
    /// Where this item stands in the feed.
    pub cursor: String,
    /// The article, event or place.
    pub node: FeedItem,
    /// Its score (see the documentation of feeds); the feed is in score order, mixed so
    /// that no more than three items of one kind follow each other.
    pub score: f64,
    /// Why it is there, strongest first (empty for an item there for its freshness alone).
    pub reasons: Vec<FeedReason>,
    /// Metres from `near`, for places and events at a venue, when `near` is given.
    pub distance_meters: Option<f64>,
}

connection!(
    /// A page of a feed.
    FeedConnection,
    FeedEdge,
    FeedItem
);
