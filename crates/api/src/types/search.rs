//! Unified search's results: articles, events and places in one ranked list.

use async_graphql::{Enum, SimpleObject, Union};
use capitole_domain::change::ItemKind;

use super::Place;
use super::article::NewsArticle;
use super::connection::connection;
use super::event::Event;

/// What unified search looks among.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub(crate) enum SearchKind {
    /// Published news articles.
    Article,
    /// Events with a date under way or to come.
    Event,
    /// Places.
    Place,
}

impl From<SearchKind> for ItemKind {
    fn from(kind: SearchKind) -> Self {
        match kind {
            SearchKind::Article => ItemKind::Article,
            SearchKind::Event => ItemKind::Event,
            SearchKind::Place => ItemKind::Place,
        }
    }
}

/// A result of unified search.
#[derive(Union, Clone)]
pub(crate) enum SearchResult {
    /// A news article.
    NewsArticle(NewsArticle),
    /// An event.
    Event(Event),
    /// A place.
    Place(Place),
}

/// A part of a result's text where words searched for are, marked.
#[derive(SimpleObject, Clone)]
pub(crate) struct SearchHighlight {
    /// Which field: `title` (a place's name included) or `summary` (a place's description).
    pub field: String,
    /// The text, escaped for HTML, with the words found in `<mark>…</mark>`; a long text
    /// is cut around the first of them, with `…` where it is cut.
    pub fragment: String,
}

/// A result with its cursor, its score and what matched.
#[derive(SimpleObject, Clone)]
pub(crate) struct SearchResultEdge {
    /// Where this result stands in the list.
    pub cursor: String,
    /// The article, event or place.
    pub node: SearchResult,
    /// How well it answers, from 0 to 1: relevance of the text times its standing (see the
    /// documentation of search); results come highest first.
    pub score: f64,
    /// The parts of its text where the words searched for are.
    pub highlights: Vec<SearchHighlight>,
    /// Metres from `near`, for places and for events at a venue, when `near` is given.
    pub distance_meters: Option<f64>,
}

connection!(
    /// Results of unified search, best first.
    SearchResultConnection,
    SearchResultEdge,
    SearchResult
);

/// What autocompletion may suggest.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_services::suggest::SuggestionKind")]
pub(crate) enum SuggestionKind {
    /// A place.
    Place,
    /// An event with a date under way or to come.
    Event,
    /// A category of places, events or news.
    Category,
    /// A neighbourhood.
    Neighborhood,
}

/// What a suggestion names.
#[derive(Union, Clone)]
pub(crate) enum Suggested {
    /// A place.
    Place(Place),
    /// An event.
    Event(Event),
    /// A category.
    Category(super::catalog::Category),
    /// A neighbourhood.
    Neighborhood(super::catalog::Neighborhood),
}

/// A completion of what a person is typing.
#[derive(SimpleObject, Clone)]
pub(crate) struct Suggestion {
    /// What it is.
    pub kind: SuggestionKind,
    /// Its name (a place's, a category's, a neighbourhood's) or title (an event's).
    pub text: String,
    /// The place, event, category or neighbourhood.
    pub node: Suggested,
    /// Metres from `near`, for places and events at a venue, when `near` is given.
    pub distance_meters: Option<f64>,
}
