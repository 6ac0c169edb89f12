//! Translating the texts of articles, events and places into the city's other languages.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use capitole_domain::change::ItemKind;
use capitole_domain::translation::{CatalogKind, TranslationForm};
use capitole_services::translations;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{ArticleId, CategoryId, EventId, NeighborhoodId, PlaceId};
use crate::mutation::agenda::clearable;
use crate::types::article::NewsArticle;
use crate::types::catalog::{Category, Neighborhood};
use crate::types::event::Event;
use crate::types::place::Place;
use crate::types::scalars::Date;

/// Texts of an article, an event or a place in one language: each text given replaces its translation,
/// `null` removes it (readers then get the original), a text left out stays as it is.
#[derive(InputObject)]
pub(crate) struct TranslationInput {
    /// An article's or an event's title (1 to 200 characters, one line).
    pub title: MaybeUndefined<String>,
    /// A place's name (1 to 200 characters, one line).
    pub name: MaybeUndefined<String>,
    /// An article's or an event's summary (up to 600 characters).
    pub summary: MaybeUndefined<String>,
    /// A description, in Markdown as the original (up to 100,000 characters for an event,
    /// 5,000 for a place).
    pub description: MaybeUndefined<String>,
    /// An easy-to-read summary (up to 1,200 characters).
    pub easy_read_summary: MaybeUndefined<String>,
    /// An article's body, in Markdown as the original (up to 100,000 characters).
    pub body: MaybeUndefined<String>,
    /// A place's notes of its exception dates (each up to 200 characters, one line), for
    /// dates whose original has a note; they replace the notes translated before.
    pub opening_hours_notes: MaybeUndefined<Vec<OpeningNoteInput>>,
}

/// The note of one exception date, in another language.
#[derive(InputObject)]
pub(crate) struct OpeningNoteInput {
    /// The exception's date.
    pub date: Date,
    /// Its note.
    pub note: String,
}

/// What `setTranslation` answers: the article, the event or the place, at its new version.
#[derive(SimpleObject)]
pub(crate) struct SetTranslationPayload {
    /// The article translated, when the item is one.
    news_article: Option<NewsArticle>,
    /// The event translated, when the item is one.
    event: Option<Event>,
    /// The place translated, when the item is one.
    place: Option<Place>,
}

/// What `setCatalogTranslation` answers: the category or the neighbourhood.
#[derive(SimpleObject)]
pub(crate) struct SetCatalogTranslationPayload {
    /// The category translated, when the item is one.
    category: Option<Category>,
    /// The neighbourhood translated, when the item is one.
    neighborhood: Option<Neighborhood>,
}

/// Translating articles, events and places, and the names of categories and neighbourhoods.
#[derive(Default)]
pub(crate) struct TranslationMutation;

#[Object]
impl TranslationMutation {
    /// Writes texts of an article, an event or a place in one of the city's other languages
    /// (editors of the item). Each text is checked as its original is, and remembers the original it
    /// translates: once the original changes, the translation is marked `stale`. The item's
    /// version goes up, as for any edit.
    async fn set_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the article, the event or the place.")] item_id: ID,
        #[graphql(
            desc = "The item's `version` you read; a stale one is refused with `CONFLICT` and changes nothing."
        )]
        version: i32,
        #[graphql(
            desc = "The language of the texts (ISO 639 code), one of those published other than the city's."
        )]
        language: String,
        #[graphql(desc = "The texts to write or remove.")] texts: TranslationInput,
    ) -> ApiResult<SetTranslationPayload> {
        let scope = scope(ctx)?;
        let refused = || {
            to_gql(ApiError::bad_input(
                "`itemId` is the global id of an article, an event or a place",
            ))
        };
        let (kind, id) = ids::decode(&item_id).map_err(|_| refused())?;
        let kind = match kind {
            Kind::NewsArticle => ItemKind::Article,
            Kind::Event => ItemKind::Event,
            Kind::Place => ItemKind::Place,
            _ => return Err(refused()),
        };
        let form = TranslationForm {
            title: clearable(texts.title),
            name: clearable(texts.name),
            summary: clearable(texts.summary),
            description: clearable(texts.description),
            easy_read_summary: clearable(texts.easy_read_summary),
            body: clearable(texts.body),
            opening_hours_notes: clearable(texts.opening_hours_notes)
                .map(|notes| notes.map(|n| n.into_iter().map(|n| (n.date.0, n.note)).collect())),
        };
        translations::set(
            &scope.services(),
            &scope.principal,
            &scope.languages,
            (kind, id),
            i64::from(version),
            &language,
            form,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        let mut payload = SetTranslationPayload {
            news_article: None,
            event: None,
            place: None,
        };
        match kind {
            ItemKind::Article => {
                payload.news_article = scope.load(ArticleId(id)).await?.map(NewsArticle);
            }
            ItemKind::Event => payload.event = scope.load(EventId(id)).await?.map(Event::new),
            _ => payload.place = scope.load(PlaceId(id)).await?.map(Place),
        }
        Ok(payload)
    }

    /// Writes the name of a category or a neighbourhood in one of the city's other languages
    /// (administrators); `null` removes it. Categories and neighbourhoods are not in the
    /// change log: answers holding them show the new name once their `max-age` has passed.
    async fn set_catalog_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the category or the neighbourhood.")] id: ID,
        #[graphql(
            desc = "The language of the name (ISO 639 code), one of those published other than the city's."
        )]
        language: String,
        #[graphql(
            desc = "The name in that language (1 to 200 characters, one line), or `null` to remove it."
        )]
        name: Option<String>,
    ) -> ApiResult<SetCatalogTranslationPayload> {
        let scope = scope(ctx)?;
        let (kind, uuid) = ids::decode(&id).map_err(to_gql)?;
        let kind = match kind {
            Kind::Category => CatalogKind::Category,
            Kind::Neighborhood => CatalogKind::Neighborhood,
            _ => {
                return Err(to_gql(ApiError::bad_input(
                    "`id` is the global id of a category or a neighbourhood",
                )));
            }
        };
        translations::set_catalog_name(
            &scope.services(),
            &scope.principal,
            &scope.languages,
            (kind, uuid),
            &language,
            name,
            scope.now,
        )
        .await
        .map_err(to_gql)?;
        Ok(match kind {
            CatalogKind::Category => SetCatalogTranslationPayload {
                category: scope.load(CategoryId(uuid)).await?.map(Category),
                neighborhood: None,
            },
            CatalogKind::Neighborhood => SetCatalogTranslationPayload {
                category: None,
                neighborhood: scope.load(NeighborhoodId(uuid)).await?.map(Neighborhood),
            },
        })
    }
}
