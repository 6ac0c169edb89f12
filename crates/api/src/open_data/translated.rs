//! Exports in the language they ask for (`language=en`): each text an editor translated
//! into it replaces its original, and the others stay in the city's language, along the
//! graph's fallback chain. An export in the city's language reads no translation.

use std::collections::HashMap;

use capitole_domain::language::Language;
use capitole_domain::translation::TranslatedField;
use capitole_persistence::entities::{article, event, place, translation};
use capitole_persistence::events::AgendaRow;
use capitole_persistence::{Database, translations};
use uuid::Uuid;

use crate::context::RequestScope;
use crate::error::ApiError;

/// The translations of a page of exported items into the language the export asks for.
#[derive(Default)]
pub(super) struct Translated {
    texts: HashMap<(Uuid, TranslatedField), String>,
}

impl Translated {
    /// The translations of the items `ids` into `language`, in one statement; none (and no
    /// statement) without a language.
    pub(super) async fn of(
        db: &Database,
        language: Option<&Language>,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, ApiError> {
        let Some(language) = language else {
            return Ok(Self::default());
        };
        let ids: Vec<Uuid> = ids.into_iter().collect();
        let mut texts = HashMap::new();
        if !ids.is_empty() {
            for (id, rows) in translations::of_items(db, &ids).await? {
                for row in rows.into_iter().filter(|r| r.language == language.code()) {
                    let translation::Model { field, text, .. } = row;
                    if let Some(field) = TranslatedField::from_code(&field) {
                        texts.insert((id, field), text);
                    }
                }
            }
        }
        Ok(Self { texts })
    }

    fn put(&self, id: Uuid, field: TranslatedField, text: &mut String) {
        if let Some(translated) = self.texts.get(&(id, field)) {
            text.clone_from(translated);
        }
    }

    fn put_optional(&self, id: Uuid, field: TranslatedField, text: &mut Option<String>) {
        if let Some(translated) = self.texts.get(&(id, field)) {
            *text = Some(translated.clone());
        }
    }

    /// A place with its translated name and texts.
    pub(super) fn place(&self, place: &mut place::Model) {
        self.put(place.id, TranslatedField::Name, &mut place.name);
        self.put(
            place.id,
            TranslatedField::Description,
            &mut place.description,
        );
        self.put_optional(
            place.id,
            TranslatedField::EasyReadSummary,
            &mut place.easy_read_summary,
        );
    }

    /// An event with its translated texts.
    pub(super) fn event(&self, event: &mut event::Model) {
        self.put(event.id, TranslatedField::Title, &mut event.title);
        self.put(event.id, TranslatedField::Summary, &mut event.summary);
        self.put(
            event.id,
            TranslatedField::Description,
            &mut event.description,
        );
        self.put_optional(
            event.id,
            TranslatedField::EasyReadSummary,
            &mut event.easy_read_summary,
        );
    }

    /// A row of the agenda: its event and its venue.
    pub(super) fn agenda_row(&self, row: &mut AgendaRow) {
        self.event(&mut row.event);
        if let Some(venue) = row.venue.as_mut() {
            self.place(venue);
        }
    }

    /// An article with its translated texts.
    pub(super) fn article(&self, article: &mut article::Model) {
        self.put(article.id, TranslatedField::Title, &mut article.title);
        self.put(article.id, TranslatedField::Summary, &mut article.summary);
        self.put(article.id, TranslatedField::Body, &mut article.body);
        self.put_optional(
            article.id,
            TranslatedField::EasyReadSummary,
            &mut article.easy_read_summary,
        );
    }
}

/// The ids of the events of an agenda page and of their venues.
pub(super) fn agenda_ids<'a>(rows: impl IntoIterator<Item = &'a AgendaRow>) -> Vec<Uuid> {
    rows.into_iter()
        .flat_map(|row| std::iter::once(row.event.id).chain(row.venue.as_ref().map(|v| v.id)))
        .collect()
}

/// The language an export is asked in (`language=`), when it is not the city's.
pub(super) fn wanted(scope: &RequestScope) -> Option<Language> {
    (scope.language != *scope.languages.city()).then(|| scope.language.clone())
}
