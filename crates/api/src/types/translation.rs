//! Texts in the reader's language. Every translated text of an article, an event or a place
//! resolves
//! the same way: the language asked (the field's `language:` argument, or else the
//! request's `Accept-Language`), then the city's, then any other that has the text; its
//! `…Language` field says which one was given.

use async_graphql::{Context, Enum, SimpleObject};
use capitole_domain::language::Language;
use capitole_domain::translation::{TranslatedField as DomainField, fingerprint};
use capitole_persistence::entities::translation;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::context::{RequestScope, scope};
use crate::error::{ApiError, ApiResult};
use crate::loaders::TranslationsOf;

/// A text of an article, an event or a place that editors translate.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "capitole_domain::translation::TranslatedField")]
pub(crate) enum TranslatedField {
    /// An article's or an event's title.
    Title,
    /// A place's name.
    Name,
    /// An article's or an event's summary.
    Summary,
    /// An event's or a place's description.
    Description,
    /// An easy-to-read summary.
    EasyReadSummary,
    /// An article's body.
    Body,
    /// A place's notes of its exception dates (`text` is a JSON object of notes by date).
    OpeningHoursNotes,
}

/// A text of an item in a language other than the city's.
#[derive(SimpleObject)]
pub(crate) struct Translation {
    /// Its language (ISO 639 code).
    language: String,
    /// The text it translates.
    field: TranslatedField,
    /// The translated text (Markdown for descriptions, as the original).
    text: String,
    /// Whether the original changed since it was translated: it is still given to readers
    /// until an editor writes it again.
    stale: bool,
    /// When it was written.
    updated_at: DateTime<Utc>,
}

/// The language a field is asked in: its `language:` argument, or the request's.
pub(crate) fn asked(scope: &RequestScope, argument: Option<&str>) -> ApiResult<Language> {
    match argument {
        None => Ok(scope.language.clone()),
        Some(code) => scope
            .languages
            .require(code)
            .cloned()
            .map_err(|e| ApiError::bad_input(e).into()),
    }
}

/// A text in the language asked, along the fallback chain, with the language it is in.
pub(crate) async fn text_in(
    ctx: &Context<'_>,
    item: Uuid,
    field: DomainField,
    original: &str,
    argument: Option<&str>,
) -> ApiResult<(String, Language)> {
    let scope = scope(ctx)?;
    let wanted = asked(scope, argument)?;
    let city = scope.languages.city();
    if wanted == *city && !original.is_empty() {
        return Ok((original.to_owned(), city.clone()));
    }
    let rows = scope.load(TranslationsOf(item)).await?.unwrap_or_default();
    let translated = |language: &Language| {
        rows.iter()
            .find(|r| r.language == language.code() && r.field == field.code())
            .map(|r| r.text.clone())
    };
    if let Some(text) = translated(&wanted) {
        return Ok((text, wanted));
    }
    if !original.is_empty() {
        return Ok((original.to_owned(), city.clone()));
    }
    for language in scope.languages.all() {
        if let Some(text) = translated(language) {
            return Ok((text, language.clone()));
        }
    }
    Ok((String::new(), city.clone()))
}

/// [`text_in`] with the code of the language the text is in, as `…Language` fields give it.
pub(crate) async fn localized(
    ctx: &Context<'_>,
    item: Uuid,
    field: DomainField,
    original: &str,
    argument: Option<String>,
) -> ApiResult<(String, String)> {
    let (text, language) = text_in(ctx, item, field, original, argument.as_deref()).await?;
    Ok((text, language.code().to_owned()))
}

/// The translations of an item whose originals are `originals`, in language then field
/// order, each marked stale when its original changed since.
pub(crate) async fn translations_of(
    ctx: &Context<'_>,
    item: Uuid,
    originals: &[(DomainField, &str)],
) -> ApiResult<Vec<Translation>> {
    let rows: Vec<translation::Model> = scope(ctx)?
        .load(TranslationsOf(item))
        .await?
        .unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let field = DomainField::from_code(&row.field)?;
            let original = originals.iter().find(|(f, _)| *f == field)?.1;
            Some(Translation {
                stale: fingerprint(original) != row.source_fingerprint,
                language: row.language,
                field: field.into(),
                text: row.text,
                updated_at: row.updated_at,
            })
        })
        .collect())
}
