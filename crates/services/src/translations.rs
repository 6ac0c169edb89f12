//! Translating articles, events and places: their editors (those of the item's publishers;
//! the administrators for places without any) write texts in the city's other languages,
//! one language at a time, at the item's version. Administrators translate the names of
//! categories and neighbourhoods. The city's own language is the originals'.

use capitole_domain::change::ItemKind;
use capitole_domain::language::{Language, Languages};
use capitole_domain::translation::{CatalogKind, TranslationForm, check_catalog_name};
use capitole_persistence::StorageError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};
use crate::{Principal, ServiceResult, Services};

/// Writes the texts `form` gives of the article, event or place `item` in `language` (removing those
/// given as `None`), at the item's `version`; returns its new version.
#[allow(clippy::too_many_arguments, reason = "one write of one item's texts")]
pub async fn set(
    services: &Services,
    by: &Principal,
    languages: &Languages,
    (kind, id): (ItemKind, Uuid),
    version: i64,
    language: &str,
    form: TranslationForm,
    now: DateTime<Utc>,
) -> ServiceResult<i64> {
    let language = other_language(languages, language)?;
    let texts = form.check(kind)?;
    capitole_persistence::translations::set(
        &services.db,
        kind,
        id,
        version,
        &language,
        &texts,
        now,
        |publishers| match kind {
            ItemKind::Place => by.editor_of_place(publishers),
            _ => by.editor_of(publishers),
        },
    )
    .await
    .map_err(|error: ServiceError| {
        if error.code() == ErrorCode::NotFound {
            ServiceError::not_found("no article, event or place has this id")
        } else {
            error
        }
    })
}

/// Writes (or removes, for `None`) the name of the category or neighbourhood `item` in
/// `language` (administrators, who keep these lists).
pub async fn set_catalog_name(
    services: &Services,
    by: &Principal,
    languages: &Languages,
    (kind, id): (CatalogKind, Uuid),
    language: &str,
    name: Option<String>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    by.administrator()?;
    let language = other_language(languages, language)?;
    let name = check_catalog_name(name)?;
    capitole_persistence::translations::set_catalog_name(
        &services.db,
        kind,
        id,
        &language,
        name.as_deref(),
        now,
    )
    .await
    .map_err(|error| match error {
        StorageError::NotFound => {
            ServiceError::not_found("no category or neighbourhood has this id")
        }
        other => other.into(),
    })
}

/// A published language other than the city's, whose texts are the originals.
fn other_language(languages: &Languages, code: &str) -> ServiceResult<Language> {
    let language = languages
        .require(code)
        .cloned()
        .map_err(ServiceError::bad_input)?;
    if language == *languages.city() {
        return Err(ServiceError::bad_input(format!(
            "texts in {language}, the city's language, are the originals: edit the item itself"
        )));
    }
    Ok(language)
}
