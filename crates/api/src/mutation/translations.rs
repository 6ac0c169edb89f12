//! Translating the texts of events and places into the city's other languages.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use capitole_domain::change::ItemKind;
use capitole_domain::translation::TranslationForm;
use capitole_services::translations;

use crate::context::scope;
use crate::error::{ApiError, ApiResult, to_gql};
use crate::ids::{self, Kind};
use crate::loaders::{EventId, PlaceId};
use crate::mutation::agenda::clearable;
use crate::types::event::Event;
use crate::types::place::Place;

/// Texts of an event or a place in one language: each text given replaces its translation,
/// `null` removes it (readers then get the original), a text left out stays as it is.
#[derive(InputObject)]
pub(crate) struct TranslationInput {
    /// An event's title (1 to 200 characters, one line).
    pub title: MaybeUndefined<String>,
    /// A place's name (1 to 200 characters, one line).
    pub name: MaybeUndefined<String>,
    /// An event's summary (up to 600 characters).
    pub summary: MaybeUndefined<String>,
    /// A description, in Markdown as the original (up to 100,000 characters for an event,
    /// 5,000 for a place).
    pub description: MaybeUndefined<String>,
    /// An easy-to-read summary (up to 1,200 characters).
    pub easy_read_summary: MaybeUndefined<String>,
}

/// What `setTranslation` answers: the event or the place, at its new version.
#[derive(SimpleObject)]
pub(crate) struct SetTranslationPayload {
    /// The event translated, when the item is one.
    event: Option<Event>,
    /// The place translated, when the item is one.
    place: Option<Place>,
}

/// Translating events and places.
#[derive(Default)]
pub(crate) struct TranslationMutation;

#[Object]
impl TranslationMutation {
    /// Writes texts of an event or a place in one of the city's other languages (editors of
    /// the item). Each text is checked as its original is, and remembers the original it
    /// translates: once the original changes, the translation is marked `stale`. The item's
    /// version goes up, as for any edit.
    async fn set_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the event or the place.")] item_id: ID,
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
                "`itemId` is the global id of an event or a place",
            ))
        };
        let (kind, id) = ids::decode(&item_id).map_err(|_| refused())?;
        let kind = match kind {
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
        Ok(match kind {
            ItemKind::Event => SetTranslationPayload {
                event: scope.load(EventId(id)).await?.map(Event::new),
                place: None,
            },
            _ => SetTranslationPayload {
                event: None,
                place: scope.load(PlaceId(id)).await?.map(Place),
            },
        })
    }
}
