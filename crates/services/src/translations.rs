//! Translating events and places: their editors (those of the item's publishers; the
//! administrators for places without any) write texts in the city's other languages, one
//! language at a time, at the item's version. The city's own language is the originals'.

use capitole_domain::change::ItemKind;
use capitole_domain::language::Languages;
use capitole_domain::translation::TranslationForm;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ErrorCode, ServiceError};
use crate::{Principal, ServiceResult, Services};

/// Writes the texts `form` gives of the event or place `item` in `language` (removing those
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
    let language = languages
        .require(language)
        .cloned()
        .map_err(ServiceError::bad_input)?;
    if language == *languages.city() {
        return Err(ServiceError::bad_input(format!(
            "texts in {language}, the city's language, are the originals: edit the item itself"
        )));
    }
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
            ServiceError::not_found("no event or place has this id")
        } else {
            error
        }
    })
}
