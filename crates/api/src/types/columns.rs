//! Which stored columns the fields of a selection read. A list page reads, for each item,
//! only the columns of the fields it asks for: the agenda's cards ask for a title and a
//! venue's name, not for thirty columns of each event and twenty-five of each venue.
//!
//! Each table below names a type's fields and the columns their resolvers read (none for a
//! field read through a loader by the item's id). A field that is not named, `jsonLd` among
//! them, reads every column: a new field is correct before it is fast. A model read with some
//! columns only holds defaults in the others, so it is never handed to a loader's cache,
//! where another field could find it.

use async_graphql::{Context, SelectionField};
use capitole_persistence::entities::{article, place};
use capitole_persistence::events::AgendaColumns;
use capitole_persistence::{Columns, Positional};

/// A type's fields and the columns each reads.
type Table = &'static [(&'static str, &'static [&'static str])];

/// The fields of `Event` that read some columns only.
const EVENT: Table = &[
    ("id", &[]),
    ("slug", &["slug"]),
    ("title", &["title"]),
    ("summary", &["summary"]),
    ("easyReadSummary", &["easy_read_summary"]),
    ("description", &["description"]),
    ("image", &["pictures"]),
    ("pictures", &["pictures"]),
    ("media", &["media"]),
    ("titleLanguage", &["title"]),
    ("summaryLanguage", &["summary"]),
    ("descriptionLanguage", &["description"]),
    (
        "translations",
        &["title", "summary", "description", "easy_read_summary"],
    ),
    ("categories", &[]),
    ("audiences", &["audiences"]),
    ("ageRange", &["age_min", "age_max"]),
    ("accessibility", &["accessibility"]),
    (
        "accessibilityDetails",
        &[
            "accessibility",
            "accessibility_features",
            "inherits_accessibility",
        ],
    ),
    ("isFree", &["is_free"]),
    ("price", &["price"]),
    (
        "registration",
        &[
            "registration_url",
            "registration_phone",
            "registration_email",
        ],
    ),
    ("attendanceMode", &["attendance_mode"]),
    ("onlineUrl", &["online_url"]),
    ("status", &["status"]),
    ("venue", &["place_id"]),
    ("locationText", &["location_text"]),
    ("publishers", &[]),
    ("recurrenceRule", &["recurrence_rule"]),
    ("neighborhoods", &[]),
    ("version", &["version"]),
    ("updatedAt", &["updated_at"]),
    ("source", &["source"]),
    ("externalId", &["external_id"]),
    ("nextOccurrence", &[]),
    ("occurrences", &[]),
    ("socialPosts", &[]),
];

/// The fields of `Place` that read some columns only.
const PLACE: Table = &[
    ("id", &[]),
    ("slug", &["slug"]),
    ("name", &["name"]),
    ("description", &["description"]),
    ("easyReadSummary", &["easy_read_summary"]),
    ("image", &["pictures"]),
    ("pictures", &["pictures"]),
    ("media", &["media"]),
    ("nameLanguage", &["name"]),
    ("descriptionLanguage", &["description"]),
    (
        "translations",
        &["name", "description", "easy_read_summary"],
    ),
    ("categories", &[]),
    (
        "location",
        &["latitude", "longitude", "address", "postal_code", "city"],
    ),
    ("neighborhood", &["neighborhood_id"]),
    ("contact", &["phone", "email", "website"]),
    ("closure", &["closure", "closed_until"]),
    ("closedUntil", &["closure", "closed_until"]),
    ("version", &["version"]),
    ("updatedAt", &["updated_at"]),
    ("source", &["source"]),
    ("externalId", &["external_id"]),
    ("accessibility", &["accessibility"]),
    (
        "accessibilityDetails",
        &["accessibility", "accessibility_features"],
    ),
    ("publishers", &[]),
    ("popularity", &["popularity"]),
    ("socialPosts", &[]),
];

/// The fields of `NewsArticle` that read some columns only.
const ARTICLE: Table = &[
    ("id", &[]),
    ("slug", &["slug"]),
    ("title", &["title"]),
    ("summary", &["summary"]),
    ("easyReadSummary", &["easy_read_summary"]),
    ("body", &["body"]),
    ("titleLanguage", &["title"]),
    ("summaryLanguage", &["summary"]),
    ("bodyLanguage", &["body"]),
    (
        "translations",
        &["title", "summary", "body", "easy_read_summary"],
    ),
    ("coverImage", &["cover_url", "cover_alt", "cover_credit"]),
    ("tags", &["tags"]),
    ("audiences", &["audiences"]),
    ("neighborhoods", &[]),
    ("categories", &[]),
    ("publishers", &[]),
    ("author", &["author_name"]),
    ("status", &["status"]),
    ("publishedAt", &["published_at"]),
    ("version", &["version"]),
    ("updatedAt", &["updated_at"]),
    ("reviewRequestedAt", &["review_requested_at"]),
    ("relatedEvents", &[]),
];

/// The columns of `M` that the fields named read, by `table`.
fn read_by<'a, M: Positional>(
    table: Table,
    fields: impl IntoIterator<Item = &'a str>,
) -> Columns<M> {
    let mut columns = Columns::ID;
    for field in fields {
        match table.iter().find(|(name, _)| *name == field) {
            Some((_, names)) => columns = columns.with(Columns::named(names)),
            None if field == "__typename" => {}
            None => return Columns::ALL,
        }
    }
    columns
}

/// The columns a page of events (an `EventConnection`) reads for the fields it asks of
/// each event and of its venue. Fragments count whatever their type condition, and
/// `@skip`/`@include` are not weighed: a selection may read more columns than it needs,
/// never fewer.
pub(crate) fn of_agenda(ctx: &Context<'_>) -> AgendaColumns {
    let nodes = nodes(ctx);
    let fields = || nodes.iter().flat_map(SelectionField::selection_set);
    let venues: Vec<SelectionField<'_>> = fields().filter(|f| f.name() == "venue").collect();
    let venue_fields = venues.iter().flat_map(SelectionField::selection_set);
    AgendaColumns {
        event: read_by(EVENT, fields().map(|f| f.name())),
        venue: (!venues.is_empty()).then(|| read_by(PLACE, venue_fields.map(|f| f.name()))),
    }
}

/// The columns a page of news reads for the fields it asks of each article (as
/// [`of_agenda`]).
pub(crate) fn of_news(ctx: &Context<'_>) -> Columns<article::Model> {
    of_nodes(ctx, ARTICLE)
}

/// The columns a page of places reads for the fields it asks of each place (as
/// [`of_agenda`]).
pub(crate) fn of_places(ctx: &Context<'_>) -> Columns<place::Model> {
    of_nodes(ctx, PLACE)
}

/// The columns of `M` that the fields asked of a connection's items read.
fn of_nodes<M: Positional>(ctx: &Context<'_>, table: Table) -> Columns<M> {
    let nodes = nodes(ctx);
    let fields = nodes.iter().flat_map(SelectionField::selection_set);
    read_by(table, fields.map(|f| f.name()))
}

/// The `node` fields of a connection's `edges` and its `nodes` fields.
fn nodes<'a>(ctx: &'a Context<'a>) -> Vec<SelectionField<'a>> {
    let ahead = ctx.look_ahead();
    let mut nodes = ahead.field("edges").field("node").selection_fields();
    nodes.extend(ahead.field("nodes").selection_fields());
    nodes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use capitole_persistence::entities::event;

    use super::*;

    #[test]
    fn fields_read_their_columns_and_unlisted_fields_read_every_column() {
        let card: Columns<event::Model> = read_by(EVENT, ["title", "venue", "__typename"]);
        assert_eq!(card, Columns::named(&["title", "place_id"]));
        assert!(!card.is_all());
        assert!(read_by::<event::Model>(EVENT, ["title", "jsonLd"]).is_all());
        let ids: Columns<place::Model> = read_by(PLACE, ["id", "categories"]);
        assert_eq!(ids, Columns::ID);
    }

    #[test]
    fn the_tables_name_fields_of_their_types_and_columns_of_their_models() {
        let registry = crate::schema::registry();
        for (type_name, table, columns) in [
            ("Event", EVENT, event::Model::FIELDS),
            ("Place", PLACE, place::Model::FIELDS),
            ("NewsArticle", ARTICLE, article::Model::FIELDS),
        ] {
            let fields = registry.types[type_name].fields().unwrap();
            for (field, names) in table {
                assert!(fields.contains_key(*field), "{type_name}.{field}");
                for name in *names {
                    assert!(columns.contains(name), "{type_name}.{field}: {name}");
                }
            }
        }
    }
}
