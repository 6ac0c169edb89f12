//! Translations of the texts of news articles, events and places into the city's other
//! languages. Each
//! translated text remembers a fingerprint of the original it was made from: once the
//! original changes, the translation is stale (still shown, and marked so) until an editor
//! writes it again. A missing translation is no error: the reader gets the original.

use crate::change::ItemKind;
use crate::coded_enum;
use crate::editorial::{FieldErrors, Lines, check_easy_read_summary, check_text, limits};
use crate::opening_hours::{MAX_NOTE_CHARS, Notes};
use crate::place::MAX_DESCRIPTION_CHARS;
use chrono::NaiveDate;

coded_enum! {
    /// A text of an item that editors translate.
    pub enum TranslatedField {
        /// An article's or an event's title.
        Title = "TITLE",
        /// A place's name.
        Name = "NAME",
        /// An article's or an event's summary.
        Summary = "SUMMARY",
        /// An event's or a place's description.
        Description = "DESCRIPTION",
        /// An easy-to-read summary.
        EasyReadSummary = "EASY_READ_SUMMARY",
        /// An article's body.
        Body = "BODY",
        /// A place's notes of its exception dates, kept as one text.
        OpeningHoursNotes = "OPENING_HOURS_NOTES",
    }
}

impl TranslatedField {
    /// The fields of items of `kind` that are translated.
    pub fn of(kind: ItemKind) -> &'static [TranslatedField] {
        use TranslatedField as F;
        match kind {
            ItemKind::Event => &[F::Title, F::Summary, F::Description, F::EasyReadSummary],
            ItemKind::Place => &[
                F::Name,
                F::Description,
                F::EasyReadSummary,
                F::OpeningHoursNotes,
            ],
            ItemKind::Article => &[F::Title, F::Summary, F::Body, F::EasyReadSummary],
            ItemKind::Tip | ItemKind::Organization => &[],
        }
    }

    /// The field's name in inputs.
    pub fn input_name(self) -> &'static str {
        match self {
            TranslatedField::Title => "title",
            TranslatedField::Name => "name",
            TranslatedField::Summary => "summary",
            TranslatedField::Description => "description",
            TranslatedField::EasyReadSummary => "easyReadSummary",
            TranslatedField::Body => "body",
            TranslatedField::OpeningHoursNotes => "openingHoursNotes",
        }
    }
}

/// Texts of one item in one language as an editor gives them: `None` keeps a text,
/// `Some(None)` removes its translation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslationForm {
    /// An event's title.
    pub title: Option<Option<String>>,
    /// A place's name.
    pub name: Option<Option<String>>,
    /// An event's summary.
    pub summary: Option<Option<String>>,
    /// A description.
    pub description: Option<Option<String>>,
    /// An easy-to-read summary.
    pub easy_read_summary: Option<Option<String>>,
    /// An article's body.
    pub body: Option<Option<String>>,
    /// A place's notes of its exception dates, by date.
    pub opening_hours_notes: Option<Option<Vec<(NaiveDate, String)>>>,
}

impl TranslationForm {
    /// The texts given, checked with the rules of the originals, for an item of `kind`:
    /// each with its new text, or `None` to remove it.
    pub fn check(
        self,
        kind: ItemKind,
    ) -> Result<Vec<(TranslatedField, Option<String>)>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let given = [
            (TranslatedField::Title, self.title),
            (TranslatedField::Name, self.name),
            (TranslatedField::Summary, self.summary),
            (TranslatedField::Description, self.description),
            (TranslatedField::EasyReadSummary, self.easy_read_summary),
            (TranslatedField::Body, self.body),
            (
                TranslatedField::OpeningHoursNotes,
                self.opening_hours_notes
                    .map(|notes| notes.map(|n| notes_text_of(&mut errors, n))),
            ),
        ];
        let mut texts = Vec::new();
        for (field, text) in given {
            let Some(text) = text else { continue };
            let name = field.input_name();
            if !TranslatedField::of(kind).contains(&field) {
                errors.add(
                    name,
                    format!("{}s have no {name} to translate", kind_name(kind)),
                );
                continue;
            }
            let text = text.map(|t| match field {
                TranslatedField::Title | TranslatedField::Name => {
                    check_text(&mut errors, name, &t, 1, limits::TITLE, Lines::Single)
                }
                TranslatedField::Summary => {
                    check_text(&mut errors, name, &t, 1, limits::SUMMARY, Lines::Multiple)
                }
                TranslatedField::Description => {
                    let max = if kind == ItemKind::Place {
                        MAX_DESCRIPTION_CHARS
                    } else {
                        limits::BODY
                    };
                    check_text(&mut errors, name, &t, 1, max, Lines::Multiple)
                }
                TranslatedField::EasyReadSummary => {
                    check_easy_read_summary(&mut errors, Some(&t)).unwrap_or_default()
                }
                TranslatedField::Body => {
                    check_text(&mut errors, name, &t, 1, limits::BODY, Lines::Multiple)
                }
                // Checked note by note as they were given.
                TranslatedField::OpeningHoursNotes => t,
            });
            texts.push((field, text));
        }
        if texts.is_empty() && errors.is_empty() {
            errors.add(
                "translation",
                "give at least one text, or null to remove one",
            );
        }
        errors.into_result(texts)
    }
}

coded_enum! {
    /// A list every screen refers to whose names are translated.
    pub enum CatalogKind {
        /// A category of places, events or news.
        Category = "CATEGORY",
        /// A neighbourhood of the city.
        Neighborhood = "NEIGHBORHOOD",
    }
}

/// Checks the name of a category or a neighbourhood in another language, as its original's
/// is (one line, 1 to 200 characters); `None` removes the translation.
pub fn check_catalog_name(name: Option<String>) -> Result<Option<String>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = name.map(|n| check_text(&mut errors, "name", &n, 1, limits::TITLE, Lines::Single));
    errors.into_result(name)
}

/// The notes given for exception dates, each checked as an original note is, as the text
/// they are kept as; each failure names its note (`openingHoursNotes[1]`).
fn notes_text_of(errors: &mut FieldErrors, given: Vec<(NaiveDate, String)>) -> String {
    let mut notes = Notes::new();
    for (i, (date, note)) in given.into_iter().enumerate() {
        let field = format!("openingHoursNotes[{i}]");
        let note = check_text(errors, &field, &note, 1, MAX_NOTE_CHARS, Lines::Single);
        if notes.insert(date, note).is_some() {
            errors.add(field, format!("{date} is given more than once"));
        }
    }
    if notes.is_empty() {
        errors.add(
            "openingHoursNotes",
            "give at least one note, or null to remove them",
        );
    }
    serde_json::to_string(&notes).unwrap_or_default()
}

fn kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Article => "article",
        ItemKind::Event => "event",
        ItemKind::Place => "place",
        ItemKind::Tip => "tip",
        ItemKind::Organization => "organization",
    }
}

/// A fingerprint of an original text: a translation made from it is stale once the
/// original's fingerprint differs (CRC-32 of its bytes, in hex; a change that keeps it is
/// one in four billion).
pub fn fingerprint(original: &str) -> String {
    format!("{:08x}", crc32fast::hash(original.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_checked_as_their_originals_and_fit_their_kind() {
        let form = TranslationForm {
            title: Some(Some("  Jazz in the garden ".into())),
            description: Some(None),
            ..TranslationForm::default()
        };
        let texts = form.check(ItemKind::Event).unwrap();
        assert_eq!(
            texts,
            [
                (TranslatedField::Title, Some("Jazz in the garden".into())),
                (TranslatedField::Description, None)
            ]
        );
        let wrong = TranslationForm {
            title: Some(Some("Town hall".into())),
            name: Some(Some(String::new())),
            ..TranslationForm::default()
        };
        let errors = wrong.check(ItemKind::Place).unwrap_err();
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "name"]);
        assert!(TranslationForm::default().check(ItemKind::Place).is_err());
        let article = TranslationForm {
            body: Some(Some("The **Capitole** square".into())),
            name: Some(Some("Capitole".into())),
            ..TranslationForm::default()
        };
        let errors = article.check(ItemKind::Article).unwrap_err();
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name"]);
    }

    #[test]
    fn catalog_names_are_one_line() {
        assert_eq!(
            check_catalog_name(Some(" Museums ".into())),
            Ok(Some("Museums".into()))
        );
        assert_eq!(check_catalog_name(None), Ok(None));
        assert!(check_catalog_name(Some("Two\nlines".into())).is_err());
        assert!(check_catalog_name(Some(String::new())).is_err());
    }

    #[test]
    fn a_changed_original_changes_its_fingerprint() {
        assert_eq!(fingerprint("Concert"), fingerprint("Concert"));
        assert_ne!(fingerprint("Concert"), fingerprint("Concert !"));
    }
}
