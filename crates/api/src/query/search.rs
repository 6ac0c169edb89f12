//! Unified search: `search(query:)` over news, events and places together.

use std::collections::HashMap;

use async_graphql::{Context, Object};
use capitole_domain::change::ItemKind;
use capitole_domain::search::{Analyser, SearchQuery, highlight};
use capitole_persistence::Page;
use capitole_services::search::{self, Hit};
use capitole_services::suggest;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::loaders::{ArticleId, CategoryId, EventId, NeighborhoodId, PlaceId};
use crate::types::Place;
use crate::types::article::NewsArticle;
use crate::types::catalog::{Category, Neighborhood};
use crate::types::connection::{CountQuery, edges, page_request};
use crate::types::event::Event;
use crate::types::search::{
    SearchHighlight, SearchKind, SearchResult, SearchResultConnection, SearchResultEdge, Suggested,
    Suggestion, SuggestionKind,
};
use crate::types::{GeoPointInput, MAX_SEARCH_CHARS, search_text};

/// How long a summary's highlight is, in characters.
const SUMMARY_WINDOW: usize = 160;

#[derive(Default)]
pub(crate) struct SearchQueryRoot;

#[derive(Default)]
pub(crate) struct SuggestQueryRoot;

#[Object]
impl SearchQueryRoot {
    /// News, events and places that hold every word of `query` (the last one also as the
    /// start of a word), ranked together by relevance and standing: recency for articles,
    /// the next date for events (past events are left out), popularity and distance from
    /// `near` for places. Words are folded, French stop words dropped and the rest stemmed
    /// ("marchés" finds "marché"); when the words find fewer than three results, misspelt
    /// ones are corrected to the closest words Capitole knows. In another language than the
    /// city's (`Accept-Language`), the words are also read as that language's and found in
    /// the items' translations.
    #[expect(
        clippy::too_many_arguments,
        reason = "a GraphQL field's arguments: the four of paging, the query and its options"
    )]
    #[graphql(cache_control(max_age = 60))]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to look for, as typed (up to 200 characters).")] query: String,
        #[graphql(desc = "Among which kinds (every kind when absent).")] kinds: Option<
            Vec<SearchKind>,
        >,
        #[graphql(desc = "Rank places and events nearer this point higher.")] near: Option<
            GeoPointInput,
        >,
        #[graphql(
            desc = "How many items from the start of the list, or after `after`: 1 to 100 (20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (the `endCursor` of the page before).")]
        after: Option<String>,
        #[graphql(desc = "How many items from the end of the list, or before `before`: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (the `startCursor` of the page after).")]
        before: Option<String>,
    ) -> ApiResult<SearchResultConnection> {
        let scope = scope(ctx)?;
        let request = page_request(first, after, last, before).map_err(to_gql)?;
        if query.chars().count() > MAX_SEARCH_CHARS {
            return Err(to_gql(ApiError::bad_input(format!(
                "`query` has at most {MAX_SEARCH_CHARS} characters"
            ))));
        }
        let near = near.map(GeoPointInput::parse).transpose().map_err(to_gql)?;
        let mut kinds: Vec<ItemKind> = kinds
            .unwrap_or_else(|| vec![SearchKind::Article, SearchKind::Event, SearchKind::Place])
            .into_iter()
            .map(ItemKind::from)
            .collect();
        kinds.dedup();
        let Some(parsed) = search_text(Some(&query)).map_err(to_gql)? else {
            return Err(to_gql(ApiError::bad_input(
                "`query` has no word to look for (only words such as \"le\" or \"des\")",
            )));
        };
        // Read in the reader's language too, where it is not the city's: its translations
        // are indexed with its own analyser.
        let language = scope.language.code();
        let in_language = (scope.language != *scope.languages.city())
            .then(|| SearchQuery::parse_in(Analyser::of(language), &query))
            .flatten();
        let queries = (&parsed, in_language.as_ref().map(|q| (language, q)));
        let found = search::search(&scope.services(), queries, &kinds, near, scope.now)
            .await
            .map_err(to_gql)?;
        let total = found.hits.len() as u64;
        let cursor_of = |hit: &Hit| format!("{}:{}", hit.kind.code(), hit.id);
        let page = Page::of_list(found.hits, &request, cursor_of).map_err(to_gql)?;
        let named: Vec<_> = page.rows.iter().map(|(h, _)| (h.kind, h.id)).collect();
        let nodes = load(scope, &named).await?;
        let (hits, page_info) = edges(page, |hit, cursor| (hit, cursor));
        let edges = hits
            .into_iter()
            .filter_map(|(hit, cursor)| {
                let node = nodes.get(&(hit.kind, hit.id))?.clone();
                Some(SearchResultEdge {
                    cursor,
                    highlights: highlights(&node, &found.terms),
                    node,
                    score: hit.score,
                    distance_meters: hit.distance_meters,
                })
            })
            .collect();
        Ok(SearchResultConnection {
            edges,
            page_info,
            count: CountQuery::Known(total),
        })
    }
}

/// Suggestions a request may ask for at most.
const MAX_SUGGESTIONS: i32 = 20;

#[Object]
impl SuggestQueryRoot {
    /// Completions of what a person is typing, from the second letter on: places, events
    /// (with a date under way or to come), categories and neighbourhoods whose name has a
    /// word starting with each word typed, accents and case aside; names that start with
    /// the first word come first, then by popularity (places), the next date (events) and
    /// distance from `near`.
    #[graphql(cache_control(max_age = 60))]
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What has been typed so far (up to 200 characters).")] prefix: String,
        #[graphql(desc = "Which kinds (every kind when absent).")] kinds: Option<
            Vec<SuggestionKind>,
        >,
        #[graphql(desc = "Rank places and events nearer this point higher.")] near: Option<
            GeoPointInput,
        >,
        #[graphql(desc = "How many suggestions at most: 1 to 20 (8 when absent).")] first: Option<
            i32,
        >,
    ) -> ApiResult<Vec<Suggestion>> {
        let scope = scope(ctx)?;
        if prefix.chars().count() > MAX_SEARCH_CHARS {
            return Err(to_gql(ApiError::bad_input(format!(
                "`prefix` has at most {MAX_SEARCH_CHARS} characters"
            ))));
        }
        let first = first.unwrap_or(8);
        if !(1..=MAX_SUGGESTIONS).contains(&first) {
            return Err(to_gql(ApiError::bad_input(format!(
                "`first` is 1 to {MAX_SUGGESTIONS}"
            ))));
        }
        let near = near.map(GeoPointInput::parse).transpose().map_err(to_gql)?;
        let kinds: Vec<suggest::SuggestionKind> = kinds
            .unwrap_or_else(|| {
                vec![
                    SuggestionKind::Place,
                    SuggestionKind::Event,
                    SuggestionKind::Category,
                    SuggestionKind::Neighborhood,
                ]
            })
            .into_iter()
            .map(Into::into)
            .collect();
        let limit = usize::try_from(first).unwrap_or(1);
        let found = suggest::suggest(&scope.services(), &prefix, &kinds, near, scope.now, limit)
            .await
            .map_err(to_gql)?;
        let of = |kind: suggest::SuggestionKind| {
            found
                .iter()
                .filter(move |s| s.kind == kind)
                .map(|s| s.id)
                .collect::<Vec<_>>()
        };
        let mut nodes: HashMap<uuid::Uuid, (String, Suggested)> = HashMap::new();
        for place in scope
            .load_all(
                of(suggest::SuggestionKind::Place)
                    .into_iter()
                    .map(PlaceId)
                    .collect(),
            )
            .await?
        {
            nodes.insert(
                place.id,
                (place.name.clone(), Suggested::Place(Place(place))),
            );
        }
        for event in scope
            .load_all(
                of(suggest::SuggestionKind::Event)
                    .into_iter()
                    .map(EventId)
                    .collect(),
            )
            .await?
        {
            nodes.insert(
                event.id,
                (event.title.clone(), Suggested::Event(Event::new(event))),
            );
        }
        for category in scope
            .load_all(
                of(suggest::SuggestionKind::Category)
                    .into_iter()
                    .map(CategoryId)
                    .collect(),
            )
            .await?
        {
            nodes.insert(
                category.id,
                (
                    category.name.clone(),
                    Suggested::Category(Category(category)),
                ),
            );
        }
        for neighborhood in scope
            .load_all(
                of(suggest::SuggestionKind::Neighborhood)
                    .into_iter()
                    .map(NeighborhoodId)
                    .collect(),
            )
            .await?
        {
            nodes.insert(
                neighborhood.id,
                (
                    neighborhood.name.clone(),
                    Suggested::Neighborhood(Neighborhood(neighborhood)),
                ),
            );
        }
        Ok(found
            .into_iter()
            .filter_map(|s| {
                let (text, node) = nodes.remove(&s.id)?;
                Some(Suggestion {
                    kind: s.kind.into(),
                    text,
                    node,
                    distance_meters: s.distance_meters,
                })
            })
            .collect())
    }
}

/// The items of a page, each kind read in one batch.
/// The articles, events and places named, read in one batch per kind (missing ones left
/// out).
pub(crate) async fn load(
    scope: &crate::context::RequestScope,
    items: &[(ItemKind, uuid::Uuid)],
) -> ApiResult<HashMap<(ItemKind, uuid::Uuid), SearchResult>> {
    let of = |kind: ItemKind| {
        items
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, id)| *id)
    };
    let mut nodes = HashMap::new();
    for article in scope
        .load_all(of(ItemKind::Article).map(ArticleId).collect())
        .await?
    {
        nodes.insert(
            (ItemKind::Article, article.id),
            SearchResult::NewsArticle(NewsArticle(article)),
        );
    }
    for event in scope
        .load_all(of(ItemKind::Event).map(EventId).collect())
        .await?
    {
        nodes.insert(
            (ItemKind::Event, event.id),
            SearchResult::Event(Event::new(event)),
        );
    }
    for place in scope
        .load_all(of(ItemKind::Place).map(PlaceId).collect())
        .await?
    {
        nodes.insert(
            (ItemKind::Place, place.id),
            SearchResult::Place(Place(place)),
        );
    }
    Ok(nodes)
}

/// Where the words searched for are in a result's title and summary.
fn highlights(node: &SearchResult, terms: &SearchQuery) -> Vec<SearchHighlight> {
    let (title, summary) = match node {
        SearchResult::NewsArticle(article) => (&article.0.title, &article.0.summary),
        SearchResult::Event(event) => (&event.0.title, &event.0.summary),
        SearchResult::Place(place) => (&place.0.name, &place.0.description),
    };
    [
        ("title", title, usize::MAX),
        ("summary", summary, SUMMARY_WINDOW),
    ]
    .into_iter()
    .filter_map(|(field, text, window)| {
        highlight(text, terms, window).map(|fragment| SearchHighlight {
            field: field.to_owned(),
            fragment,
        })
    })
    .collect()
}
