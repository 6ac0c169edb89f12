//! What a query's answer is made of, judged on its document (and the ids its variables
//! give): the kinds of items the change log follows whose changes may change the answer,
//! and, where the answer holds an item only as itself, that item alone. The response cache
//! keeps an answer until a change of one of them.
//!
//! Each object type the query selects counts for its whole kind: an article's type and its
//! connection count as articles, a place's statistics as places, and so on. Types that
//! carry no item of their own (a point, a page's information, a category) count for
//! nothing; their changes are not in the log, and answers holding them live no longer than
//! their cache hints allow. A type this table does not know (an interface such as `Node`,
//! a type added later) counts as every kind.
//!
//! One exception narrows a kind to items: `node(id:)` and `nodes(ids:)` on the ids of
//! articles, events, places or tips. The object such a root returns, and the parts of it
//! that are not lists of their own (a place's statistics and opening hours), depend on
//! that item only: a place page is kept while other places change. What the object leads
//! to (a place's tips, an event's venue) counts for its whole kind, as anywhere else.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value, Variables};
use capitole_domain::change::ItemKind;
use uuid::Uuid;

use super::{Analyzer, Arguments, FieldInfo, selected};
use crate::ids::{self, Kind};

/// A set of the kinds of items the change log follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Reads(u8);

impl Reads {
    /// No kind.
    pub(crate) const NONE: Reads = Reads(0);
    /// Every kind.
    pub(crate) const ALL: Reads = Reads(0b1_1111);

    const fn bit(kind: ItemKind) -> u8 {
        match kind {
            ItemKind::Article => 1,
            ItemKind::Event => 2,
            ItemKind::Place => 4,
            ItemKind::Tip => 8,
            ItemKind::Organization => 16,
        }
    }

    /// The set of one kind.
    pub(crate) const fn of(kind: ItemKind) -> Reads {
        Reads(Self::bit(kind))
    }

    /// Whether the set holds this kind.
    pub(crate) const fn holds(self, kind: ItemKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    fn add(&mut self, other: Reads) {
        self.0 |= other.0;
    }

    /// The kind of items a value of the GraphQL type `name` is, when it is exactly one.
    fn single_kind(name: &str) -> Option<ItemKind> {
        let reads = Self::of_type(name);
        ItemKind::ALL
            .into_iter()
            .find(|kind| reads == Reads::of(*kind))
    }

    /// What a value of the GraphQL type `name` is made of.
    fn of_type(name: &str) -> Reads {
        match name {
            "NewsArticle" | "NewsArticleConnection" | "NewsArticleEdge" => {
                Reads::of(ItemKind::Article)
            }
            "Event"
            | "EventConnection"
            | "EventEdge"
            | "Occurrence"
            | "OccurrenceConnection"
            | "OccurrenceEdge" => Reads::of(ItemKind::Event),
            "Place"
            | "PlaceConnection"
            | "PlaceEdge"
            | "PlaceStats"
            | "TrendingPlaceConnection"
            | "TrendingPlaceEdge"
            | "OpeningHours"
            | "OpeningException"
            | "WeeklyOpening" => Reads::of(ItemKind::Place),
            "Tip" | "TipConnection" | "TipEdge" => Reads::of(ItemKind::Tip),
            "Organization" | "SocialAccount" => Reads::of(ItemKind::Organization),
            "Query"
            | "PageInfo"
            | "GeoPoint"
            | "Location"
            | "TimeRange"
            | "Image"
            | "Media"
            | "Contact"
            | "AgeRange"
            | "AccessibilityDetails"
            | "Picture"
            | "Translation"
            | "PictureVariant"
            | "FocalPoint"
            | "Category"
            | "Neighborhood"
            | "SocialPost"
            | "SocialPostConnection"
            | "SocialPostEdge"
            | "Person"
            | "Mayor"
            | "RateLimit" => Reads::NONE,
            _ => Reads::ALL,
        }
    }
}

/// What an answer depends on: whole kinds of items, and single items of other kinds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Depends {
    /// Kinds any change of which may change the answer.
    pub whole: Reads,
    /// Items (of kinds not in `whole`) whose own changes may change the answer.
    pub items: Vec<(ItemKind, Uuid)>,
}

impl Depends {
    /// Depends on every kind.
    pub(crate) const ALL: Depends = Depends {
        whole: Reads::ALL,
        items: Vec::new(),
    };
}

impl Analyzer {
    /// What the answer of a query with these variables depends on; every kind for
    /// anything but a query.
    pub(crate) fn depends(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Depends {
        let mut reads = Reads::NONE;
        let mut items = Vec::new();
        for operation in selected(document, operation_name) {
            if operation.ty != OperationType::Query {
                return Depends::ALL;
            }
            let mut walk = ReadsWalk {
                analyzer: self,
                fragments: &document.fragments,
                arguments: Arguments::new(operation, variables),
                expanding: Vec::new(),
                reads,
                items,
            };
            walk.selection_set(&operation.selection_set.node, Some(&self.query_type));
            reads = walk.reads;
            items = walk.items;
        }
        let whole = reads;
        items.retain(|(kind, _)| !whole.holds(*kind));
        items.sort_unstable();
        items.dedup();
        Depends { whole, items }
    }
}

struct ReadsWalk<'a> {
    analyzer: &'a Analyzer,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    arguments: Arguments<'a>,
    /// Fragments being expanded, to step over cycles (which validation refuses).
    expanding: Vec<&'a Name>,
    reads: Reads,
    items: Vec<(ItemKind, Uuid)>,
}

/// The kind of items the change log follows behind a global id, with its id.
fn item_of(id: &str) -> Option<(ItemKind, Uuid)> {
    let (kind, uuid) = ids::decode(id).ok()?;
    let kind = match kind {
        Kind::NewsArticle => ItemKind::Article,
        Kind::Event => ItemKind::Event,
        Kind::Place => ItemKind::Place,
        Kind::Tip => ItemKind::Tip,
        Kind::Organization => ItemKind::Organization,
        _ => return None,
    };
    Some((kind, uuid))
}

/// The GraphQL type of the items of a kind.
fn type_of(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Article => "NewsArticle",
        ItemKind::Event => "Event",
        ItemKind::Place => "Place",
        ItemKind::Tip => "Tip",
        ItemKind::Organization => "Organization",
    }
}

impl<'a> ReadsWalk<'a> {
    /// The items `node(id:)` or `nodes(ids:)` at the root asks for, when every one is of a
    /// kind the log follows.
    fn asked_items(&self, field: &'a Field) -> Option<Vec<(ItemKind, Uuid)>> {
        match field.name.node.as_str() {
            "node" => match self.arguments.value(field, "id")? {
                Value::String(id) => Some(vec![item_of(&id)?]),
                _ => None,
            },
            "nodes" => match self.arguments.value(field, "ids")? {
                Value::List(ids) => ids
                    .iter()
                    .map(|id| match id {
                        Value::String(id) => item_of(id),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            },
            _ => None,
        }
    }

    fn selection_set(&mut self, set: &'a SelectionSet, parent_type: Option<&str>) {
        if self.reads == Reads::ALL {
            return;
        }
        let at_root = parent_type == Some(self.analyzer.query_type.as_str());
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if name.starts_with("__") {
                        // `__typename` and introspection read no item.
                        continue;
                    }
                    let info = parent_type
                        .and_then(|t| self.analyzer.fields.get(t))
                        .and_then(|fields| fields.get(name));
                    let Some(info) = info else {
                        self.reads = Reads::ALL;
                        return;
                    };
                    if field.selection_set.node.items.is_empty() {
                        if at_root {
                            // A value read at the root: from anywhere.
                            self.reads = Reads::ALL;
                            return;
                        }
                        continue;
                    }
                    if at_root && let Some(items) = self.asked_items(field) {
                        for (kind, id) in items {
                            self.items.push((kind, id));
                            self.item(&field.selection_set.node, kind);
                        }
                        continue;
                    }
                    self.reads.add(Reads::of_type(&info.type_name));
                    self.selection_set(&field.selection_set.node, Some(&info.type_name));
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent_type);
                    if let Some(on) = on {
                        self.reads.add(Reads::of_type(on));
                    }
                    self.selection_set(&fragment.selection_set.node, on);
                }
                Selection::FragmentSpread(spread) => {
                    let Some((definition, on)) = self.enter(&spread.node.fragment_name.node) else {
                        continue;
                    };
                    self.reads.add(Reads::of_type(on));
                    self.selection_set(&definition.selection_set.node, Some(on));
                    self.expanding.pop();
                }
            }
        }
    }

    /// Starts expanding a fragment: its definition and type condition, unless it is
    /// unknown or already being expanded. The caller pops it from `expanding`.
    fn enter(&mut self, name: &'a Name) -> Option<(&'a FragmentDefinition, &'a str)> {
        if self.expanding.contains(&name) {
            return None;
        }
        let definition = &self.fragments.get(name)?.node;
        self.expanding.push(name);
        Some((definition, definition.type_condition.node.on.node.as_str()))
    }

    /// Whether a field of an item of `kind` returns a part of that item: objects of a type
    /// that belongs to that kind only (its statistics, its opening hours), not a page, and
    /// not an item of that kind (another place is not a part of a place).
    fn is_part(info: &FieldInfo, kind: ItemKind) -> bool {
        !info.has_first
            && info.type_name != type_of(kind)
            && !info.type_name.ends_with("Connection")
            && !info.type_name.ends_with("Edge")
            && Reads::single_kind(&info.type_name) == Some(kind)
    }

    /// The selections below one item of `kind` asked by id (or below a part of it): its
    /// own fields and parts depend on that item only.
    fn item(&mut self, set: &'a SelectionSet, kind: ItemKind) {
        self.part(set, type_of(kind), kind);
    }

    fn part(&mut self, set: &'a SelectionSet, ty: &'a str, kind: ItemKind) {
        if self.reads == Reads::ALL {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if name.starts_with("__") || field.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let Some(info) = self.analyzer.fields.get(ty).and_then(|f| f.get(name)) else {
                        self.reads = Reads::ALL;
                        return;
                    };
                    if Self::is_part(info, kind) {
                        self.part(&field.selection_set.node, &info.type_name, kind);
                    } else {
                        self.reads.add(Reads::of_type(&info.type_name));
                        self.selection_set(&field.selection_set.node, Some(&info.type_name));
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    match fragment
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                    {
                        // The object itself, or its `Node` interface.
                        None => self.part(&fragment.selection_set.node, ty, kind),
                        Some(on) if on == ty || on == "Node" => {
                            self.part(&fragment.selection_set.node, ty, kind);
                        }
                        Some(on) => {
                            self.reads.add(Reads::of_type(on));
                            self.selection_set(&fragment.selection_set.node, Some(on));
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let Some((definition, on)) = self.enter(&spread.node.fragment_name.node) else {
                        continue;
                    };
                    if on == ty || on == "Node" {
                        self.part(&definition.selection_set.node, ty, kind);
                    } else {
                        self.reads.add(Reads::of_type(on));
                        self.selection_set(&definition.selection_set.node, Some(on));
                    }
                    self.expanding.pop();
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::limits::QueryLimits;

    fn reads(query: &str) -> Reads {
        depends(query, serde_json::json!({})).whole
    }

    fn kinds(kinds: &[ItemKind]) -> Reads {
        let mut set = Reads::NONE;
        for kind in kinds {
            set.add(Reads::of(*kind));
        }
        set
    }

    #[test]
    fn a_query_reads_the_kinds_of_the_objects_it_selects() {
        assert_eq!(
            reads("{ news(first: 5) { nodes { title publishers { name } } } }"),
            kinds(&[ItemKind::Article, ItemKind::Organization])
        );
        assert_eq!(
            reads("{ events { edges { node { title venue { name } } } } }"),
            kinds(&[ItemKind::Event, ItemKind::Place])
        );
        assert_eq!(
            reads(
                "query { places(first: 1) { nodes { ...P } } } fragment P on Place { tips(first: 3) { nodes { text } } }"
            ),
            kinds(&[ItemKind::Place, ItemKind::Tip])
        );
        assert_eq!(reads("{ categories { name } }"), Reads::NONE);
    }

    fn depends(query: &str, variables: serde_json::Value) -> Depends {
        let document = async_graphql::parser::parse_query(query).unwrap();
        crate::schema::analyzer(QueryLimits::default()).depends(
            &document,
            None,
            &Variables::from_json(variables),
        )
    }

    #[test]
    fn an_item_asked_by_id_depends_on_itself_and_its_lists_on_their_kinds() {
        let place = Uuid::from_u128(7);
        let id = crate::ids::encode(Kind::Place, place).to_string();
        let page = "query($id: ID!) { node(id: $id) { ... on Place { name \
                    stats { checkInCount } openingHours { weekly { day } } \
                    tips(first: 10) { nodes { text author { displayName } } } } } }";
        assert_eq!(
            depends(page, serde_json::json!({ "id": id })),
            Depends {
                whole: kinds(&[ItemKind::Tip]),
                items: vec![(ItemKind::Place, place)],
            }
        );
        // The same item reached by a list depends on its whole kind.
        let both = format!(
            "{{ node(id: \"{id}\") {{ ...P }} places(first: 2) {{ nodes {{ ...P }} }} }} \
             fragment P on Place {{ name }}"
        );
        assert_eq!(
            depends(&both, serde_json::json!({})),
            Depends {
                whole: kinds(&[ItemKind::Place]),
                items: Vec::new(),
            }
        );
        // What the item leads to depends on its whole kind.
        let event = Uuid::from_u128(8);
        let event_id = crate::ids::encode(Kind::Event, event).to_string();
        assert_eq!(
            depends(
                "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { title venue { name } } } }",
                serde_json::json!({ "ids": [event_id] }),
            ),
            Depends {
                whole: kinds(&[ItemKind::Place]),
                items: vec![(ItemKind::Event, event)],
            }
        );
    }

    #[test]
    fn an_id_of_another_kind_or_none_at_all_depends_on_everything() {
        let category = crate::ids::encode(Kind::Category, Uuid::from_u128(9)).to_string();
        let query = "query($id: ID!) { node(id: $id) { id } }";
        assert_eq!(
            depends(query, serde_json::json!({ "id": category })),
            Depends::ALL
        );
        assert_eq!(
            depends(query, serde_json::json!({ "id": "not an id" })),
            Depends::ALL
        );
    }

    #[test]
    fn what_the_table_does_not_know_reads_everything() {
        assert_eq!(reads("{ node(id: \"x\") { id } }"), Reads::ALL);
        assert_eq!(reads("mutation { logout { sessionsClosed } }"), Reads::ALL);
    }
}
