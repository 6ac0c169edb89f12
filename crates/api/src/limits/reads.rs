//! What kinds of items a query's answer is made of, judged on its document: the kinds the
//! change log follows whose changes may change the answer. The response cache keeps an
//! answer until a change of one of them.
//!
//! Each object type the query selects counts: an article's type and its connection count
//! as articles, a place's statistics as places, and so on. Types that carry no item of
//! their own (a point, a page's information, a category) count for nothing; their changes
//! are not in the log, and answers holding them live no longer than their cache hints
//! allow. A type this table does not know (an interface such as `Node`, a type added
//! later) counts as every kind.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use capitole_domain::change::ItemKind;

use super::{Analyzer, selected};

/// A set of the kinds of items the change log follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Reads(u8);

impl Reads {
    /// No kind.
    pub(crate) const NONE: Reads = Reads(0);
    /// Every kind.
    pub(crate) const ALL: Reads = Reads(0b1111);

    const fn bit(kind: ItemKind) -> u8 {
        match kind {
            ItemKind::Article => 1,
            ItemKind::Event => 2,
            ItemKind::Place => 4,
            ItemKind::Tip => 8,
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
            "Query"
            | "PageInfo"
            | "GeoPoint"
            | "Location"
            | "TimeRange"
            | "Image"
            | "Media"
            | "Contact"
            | "AgeRange"
            | "Category"
            | "Neighborhood"
            | "Organization"
            | "SocialAccount"
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

impl Analyzer {
    /// The kinds of items the answer of a query may be made of; every kind for anything
    /// but a query.
    pub(crate) fn reads(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
    ) -> Reads {
        let mut walk = ReadsWalk {
            analyzer: self,
            fragments: &document.fragments,
            expanding: Vec::new(),
            reads: Reads::NONE,
        };
        for operation in selected(document, operation_name) {
            if operation.ty != OperationType::Query {
                return Reads::ALL;
            }
            walk.selection_set(&operation.selection_set.node, Some(&self.query_type));
        }
        walk.reads
    }
}

struct ReadsWalk<'a> {
    analyzer: &'a Analyzer,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Fragments being expanded, to step over cycles (which validation refuses).
    expanding: Vec<&'a Name>,
    reads: Reads,
}

impl<'a> ReadsWalk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, parent_type: Option<&str>) {
        if self.reads == Reads::ALL {
            return;
        }
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
                        if parent_type == Some(self.analyzer.query_type.as_str()) {
                            // A value read at the root: from anywhere.
                            self.reads = Reads::ALL;
                            return;
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
                    let name = &spread.node.fragment_name.node;
                    if self.expanding.contains(&name) {
                        continue;
                    }
                    let Some(definition) = self.fragments.get(name) else {
                        continue;
                    };
                    let on = definition.node.type_condition.node.on.node.as_str();
                    self.reads.add(Reads::of_type(on));
                    self.expanding.push(name);
                    self.selection_set(&definition.node.selection_set.node, Some(on));
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
        let document = async_graphql::parser::parse_query(query).unwrap();
        crate::schema::analyzer(QueryLimits::default()).reads(&document, None)
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
            kinds(&[ItemKind::Article])
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

    #[test]
    fn what_the_table_does_not_know_reads_everything() {
        assert_eq!(reads("{ node(id: \"x\") { id } }"), Reads::ALL);
        assert_eq!(reads("mutation { logout { sessionsClosed } }"), Reads::ALL);
    }
}
