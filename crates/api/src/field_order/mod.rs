//! Answers list their fields in the order the operation asked for them, at every depth, as
//! GraphQL's CollectFields defines it: a response key takes the place where it first
//! appears, fragments count where they are spread, a field asked twice is merged into its
//! first place, and a fragment counts only for the objects its type condition matches.
//!
//! async-graphql runs the fields of an object concurrently and writes each one into the
//! object when it finishes (`resolve_container` polls them in a `FuturesUnordered`), so a
//! field that waits on the database lands after one that does not. A mutation's root
//! fields run one after the other and keep their order; the objects below them do not.
//! Here, once the operation has run, one walk over the answer beside the document moves
//! each object's keys back into the order asked. Moving a key moves its value: nothing is
//! cloned. What a group of fields becomes for one type is worked out once per request and
//! shared by every item of a list.
//!
//! The fragments that apply to an object depend on its concrete type, which the answer
//! does not say for a field that returns an interface or a union. The document that runs
//! therefore asks for `__typename` under every such field, under a key of its own that the
//! document does not use; the walk reads it and removes it. That copy is made once per
//! document (documents are kept parsed, see `http::graphql::documents`), and the limits
//! judge the document as it was written.
//!
//! Not here: executing anything, or the order of list items (async-graphql keeps it).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, FragmentDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::registry::{MetaTypeName, Registry};
use async_graphql::{Name, Pos, Positioned, Value, Variables};

#[cfg(test)]
mod tests;

/// The key under which the document that runs asks for the concrete type of the objects
/// of interface and union fields, unless the document uses it itself.
const TYPE_KEY: &str = "_capitoleType";

/// What the walk needs to know about the schema: the type each field returns, and the
/// object types behind each interface and union.
pub(crate) struct FieldOrder {
    /// The named type each field returns, by object or interface type, then field name.
    fields: HashMap<String, HashMap<String, String>>,
    /// The object types each interface and union stands for.
    possible: HashMap<String, HashSet<String>>,
    query_type: String,
    mutation_type: String,
}

/// A parsed document as its client wrote it, with the copy that runs.
pub(crate) struct PreparedDocument {
    /// As written: what the limits judge and what orders the answer.
    written: ExecutableDocument,
    /// `written` with `__typename` asked under `type_key` below every field that returns
    /// an interface or a union; `None` when there is no such field.
    run: Option<ExecutableDocument>,
    /// The response key of the concrete type of those objects.
    type_key: Name,
    /// Whether some selection carries `@skip` or `@include`, whose outcome depends on the
    /// variables.
    conditional: bool,
    /// Whether the document holds one operation without variables: whether it passes
    /// validation depends on the schema alone, not on the request.
    constant: bool,
    /// Whether it passed every validation rule once (set only when `constant`).
    validated: AtomicBool,
}

/// What one request asked, for arranging its answer.
pub(crate) struct Asked {
    document: Arc<PreparedDocument>,
    operation: Option<String>,
    /// The request's variables when `@skip` or `@include` may read them; empty otherwise.
    variables: Variables,
}

impl FieldOrder {
    /// Reads the field types, interfaces and unions of a schema's registry.
    pub(crate) fn new(registry: &Registry, query_type: &str, mutation_type: &str) -> Self {
        let mut fields = HashMap::new();
        let mut possible = HashMap::new();
        for (name, ty) in &registry.types {
            if let Some(type_fields) = ty.fields() {
                let types = type_fields
                    .iter()
                    .map(|(field, meta)| {
                        let named = MetaTypeName::concrete_typename(&meta.ty);
                        (field.clone(), named.to_owned())
                    })
                    .collect();
                fields.insert(name.clone(), types);
            }
            if ty.is_abstract()
                && let Some(types) = ty.possible_types()
            {
                possible.insert(name.clone(), types.iter().cloned().collect());
            }
        }
        Self {
            fields,
            possible,
            query_type: query_type.to_owned(),
            mutation_type: mutation_type.to_owned(),
        }
    }

    /// Keeps a parsed document with the copy of it that runs.
    pub(crate) fn prepare(&self, written: ExecutableDocument) -> PreparedDocument {
        let type_key = unused_key(&written);
        let mut run = written.clone();
        let mut asks = false;
        match &mut run.operations {
            DocumentOperations::Single(operation) => {
                let root = self.root(operation.node.ty);
                asks |= self.ask_types(&mut operation.node.selection_set.node, root, &type_key);
            }
            DocumentOperations::Multiple(operations) => {
                for operation in operations.values_mut() {
                    let root = self.root(operation.node.ty);
                    asks |= self.ask_types(&mut operation.node.selection_set.node, root, &type_key);
                }
            }
        }
        for fragment in run.fragments.values_mut() {
            let on = fragment.node.type_condition.node.on.node.clone();
            asks |= self.ask_types(
                &mut fragment.node.selection_set.node,
                Some(on.as_str()),
                &type_key,
            );
        }
        let conditional = has_conditions(&written);
        let constant = match &written.operations {
            DocumentOperations::Single(operation) => operation.node.variable_definitions.is_empty(),
            DocumentOperations::Multiple(_) => false,
        };
        PreparedDocument {
            written,
            run: asks.then_some(run),
            type_key,
            conditional,
            constant,
            validated: AtomicBool::new(false),
        }
    }

    /// Puts the keys of every object of `data` in the order the operation asked for them.
    pub(crate) fn arrange(&self, data: &mut Value, asked: &Asked) {
        let document = &asked.document;
        let Some(operation) = selected(&document.written, asked.operation.as_deref()) else {
            return;
        };
        let walk = Walk {
            order: self,
            fragments: &document.written.fragments,
            variables: &asked.variables,
            type_key: document.type_key.as_str(),
        };
        let root = self.root(operation.ty);
        let mut plans = Plans::default();
        walk.value(data, &[&operation.selection_set.node], root, &mut plans);
    }

    fn root(&self, ty: OperationType) -> Option<&str> {
        match ty {
            OperationType::Query => Some(&self.query_type),
            OperationType::Mutation => Some(&self.mutation_type),
            OperationType::Subscription => None,
        }
    }

    /// The named type that `field` of `ty` returns; `None` for introspection's fields
    /// (whose types are all objects) and fields the schema does not have.
    fn field_type(&self, ty: &str, field: &str) -> Option<&str> {
        self.fields.get(ty)?.get(field).map(String::as_str)
    }

    fn is_abstract(&self, ty: &str) -> bool {
        self.possible.contains_key(ty)
    }

    /// Adds the concrete type, under `key`, below every field of `set` (of type `parent`,
    /// when known) that returns an interface or a union. Says whether it added any.
    fn ask_types(&self, set: &mut SelectionSet, parent: Option<&str>, key: &Name) -> bool {
        let mut asks = false;
        for item in &mut set.items {
            match &mut item.node {
                Selection::Field(field) => {
                    let child = parent.and_then(|p| self.field_type(p, &field.node.name.node));
                    let below = &mut field.node.selection_set;
                    // A field of an object type without a selection is refused by
                    // validation, with or without this.
                    if below.node.items.is_empty() {
                        continue;
                    }
                    if child.is_some_and(|c| self.is_abstract(c)) {
                        below.node.items.push(type_field(key, below.pos));
                        asks = true;
                    }
                    asks |= self.ask_types(&mut below.node, child, key);
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.clone());
                    let parent = on.as_ref().map(Name::as_str).or(parent);
                    asks |= self.ask_types(&mut fragment.node.selection_set.node, parent, key);
                }
                // Fragment definitions get theirs where they are defined.
                Selection::FragmentSpread(_) => {}
            }
        }
        asks
    }
}

impl PreparedDocument {
    /// The document as its client wrote it.
    pub(crate) fn written(&self) -> &ExecutableDocument {
        &self.written
    }

    /// A copy of the document to run.
    pub(crate) fn to_run(&self) -> ExecutableDocument {
        self.run.as_ref().unwrap_or(&self.written).clone()
    }

    /// Whether the document passed every validation rule before and, holding one operation
    /// without variables, passes them again whatever the request: it may skip them.
    pub(crate) fn validated(&self) -> bool {
        self.validated.load(Ordering::Relaxed)
    }

    /// Records that the document passed every validation rule (it ran), which counts for
    /// the next requests when nothing in a request can change that.
    pub(crate) fn passed_validation(&self) {
        if self.constant {
            self.validated.store(true, Ordering::Relaxed);
        }
    }
}

impl Asked {
    /// The operation named `operation` (or the only one) of `document`, run with
    /// `variables`.
    pub(crate) fn new(
        document: Arc<PreparedDocument>,
        operation: Option<String>,
        variables: &Variables,
    ) -> Self {
        let variables = if document.conditional {
            variables.clone()
        } else {
            Variables::default()
        };
        Self {
            document,
            operation,
            variables,
        }
    }

    /// The document asked.
    pub(crate) fn document(&self) -> &PreparedDocument {
        &self.document
    }
}

/// `key: __typename`, placed at `pos` (the selection set it is added to), so that an error
/// that would ever point at it points somewhere the client wrote.
fn type_field(key: &Name, pos: Pos) -> Positioned<Selection> {
    let field = Field {
        alias: Some(Positioned::new(key.clone(), pos)),
        name: Positioned::new(Name::new("__typename"), pos),
        arguments: Vec::new(),
        directives: Vec::new(),
        selection_set: Positioned::new(SelectionSet::default(), pos),
    };
    Positioned::new(Selection::Field(Positioned::new(field, pos)), pos)
}

/// [`TYPE_KEY`], or, when the document uses it as a response key, the first of
/// `_capitoleType1`, `_capitoleType2`… that it does not use.
fn unused_key(document: &ExecutableDocument) -> Name {
    fn keys<'a>(set: &'a SelectionSet, out: &mut HashSet<&'a str>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    out.insert(field.node.response_key().node.as_str());
                    keys(&field.node.selection_set.node, out);
                }
                Selection::InlineFragment(fragment) => keys(&fragment.node.selection_set.node, out),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut used = HashSet::new();
    for (_, operation) in document.operations.iter() {
        keys(&operation.node.selection_set.node, &mut used);
    }
    for fragment in document.fragments.values() {
        keys(&fragment.node.selection_set.node, &mut used);
    }
    if !used.contains(TYPE_KEY) {
        return Name::new(TYPE_KEY);
    }
    let free = (1_u32..)
        .map(|n| format!("{TYPE_KEY}{n}"))
        .find(|key| !used.contains(key.as_str()))
        .unwrap_or_default();
    Name::new(free)
}

/// Whether some selection of the document carries `@skip` or `@include`.
fn has_conditions(document: &ExecutableDocument) -> bool {
    fn in_set(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| {
            let conditional = item
                .node
                .directives()
                .iter()
                .any(|d| matches!(d.node.name.node.as_str(), "skip" | "include"));
            conditional
                || match &item.node {
                    Selection::Field(field) => in_set(&field.node.selection_set.node),
                    Selection::InlineFragment(fragment) => {
                        in_set(&fragment.node.selection_set.node)
                    }
                    Selection::FragmentSpread(_) => false,
                }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| in_set(&operation.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| in_set(&fragment.node.selection_set.node))
}

/// The operation that ran, chosen as async-graphql chooses it.
fn selected<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// One walk over an answer beside the document that asked for it.
struct Walk<'a> {
    order: &'a FieldOrder,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    type_key: &'a str,
}

/// What one group of fields (the occurrences of one response key, merged) becomes in the
/// objects of each concrete type met so far: usually one type, several under an interface
/// or a union. `None` stands for an object type the schema index does not list
/// (introspection's), where every fragment applies.
#[derive(Default)]
struct Plans<'a>(Vec<(Option<String>, Vec<Entry<'a>>)>);

/// One response key of an object, in its place, with the fields asked under it.
struct Entry<'a> {
    key: &'a str,
    /// The selection sets of its occurrences, merged below it.
    sets: Vec<&'a SelectionSet>,
    /// Whether a selection is asked below it.
    composite: bool,
    /// The type the field returns, when known.
    declared: Option<&'a str>,
    below: Plans<'a>,
}

/// The fields one value answers, with the type they return.
struct Shape<'a, 's> {
    sets: &'s [&'a SelectionSet],
    declared: Option<&'a str>,
    /// Whether `declared` is an interface or a union, whose objects carry their type.
    is_abstract: bool,
}

/// Whether the keys of `map` already come in the order of `plan` (the usual case for
/// objects whose fields all finished at once).
fn in_order(map: &async_graphql::indexmap::IndexMap<Name, Value>, plan: &[Entry<'_>]) -> bool {
    let mut keys = map.keys().peekable();
    for entry in plan {
        if keys.peek().is_some_and(|key| key.as_str() == entry.key) {
            keys.next();
        }
    }
    keys.peek().is_none()
}

impl<'a> Walk<'a> {
    /// Arranges `value`, which answers the fields `sets` of type `declared` (when known).
    fn value(
        &self,
        value: &mut Value,
        sets: &[&'a SelectionSet],
        declared: Option<&'a str>,
        plans: &mut Plans<'a>,
    ) {
        let shape = Shape {
            sets,
            declared,
            is_abstract: declared.is_some_and(|ty| self.order.is_abstract(ty)),
        };
        self.each(value, &shape, plans);
    }

    /// Arranges every object of `value`, which may be a list (of lists) of them.
    fn each(&self, value: &mut Value, shape: &Shape<'a, '_>, plans: &mut Plans<'a>) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.each(item, shape, plans);
                }
            }
            Value::Object(map) => self.object(map, shape, plans),
            _ => {}
        }
    }

    fn object(
        &self,
        map: &mut async_graphql::indexmap::IndexMap<Name, Value>,
        shape: &Shape<'a, '_>,
        plans: &mut Plans<'a>,
    ) {
        let concrete: Option<Cow<'a, str>> = if shape.is_abstract {
            match map.shift_remove(self.type_key) {
                Some(Value::String(name)) => Some(Cow::Owned(name)),
                _ => None,
            }
        } else {
            shape.declared.map(Cow::Borrowed)
        };
        let concrete = concrete.as_deref();
        let index = match plans.0.iter().position(|(ty, _)| ty.as_deref() == concrete) {
            Some(index) => index,
            None => {
                let plan = self.plan(shape.sets, concrete);
                plans.0.push((concrete.map(str::to_owned), plan));
                plans.0.len() - 1
            }
        };
        let plan = &mut plans.0[index].1;
        if !in_order(map, plan) {
            // Keys the plan does not know (none, unless async-graphql adds some) keep their
            // order after the others: the sort is stable.
            map.sort_by_cached_key(|key, _| {
                plan.iter()
                    .position(|entry| entry.key == key.as_str())
                    .unwrap_or(usize::MAX)
            });
        }
        for entry in plan.iter_mut().filter(|entry| entry.composite) {
            let Some(value) = map.get_mut(entry.key) else {
                continue;
            };
            self.value(value, &entry.sets, entry.declared, &mut entry.below);
        }
    }

    /// The response keys of `sets` for an object of type `concrete`, in order: the
    /// CollectFields of the GraphQL specification.
    fn plan(&self, sets: &[&'a SelectionSet], concrete: Option<&str>) -> Vec<Entry<'a>> {
        let mut entries = Vec::new();
        let mut visited = Vec::new();
        for set in sets {
            self.collect(set, concrete, &mut entries, &mut visited);
        }
        entries
    }

    fn collect(
        &self,
        set: &'a SelectionSet,
        concrete: Option<&str>,
        entries: &mut Vec<Entry<'a>>,
        visited: &mut Vec<&'a Name>,
    ) {
        for item in &set.items {
            if self.skipped(item.node.directives()) {
                continue;
            }
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.response_key().node.as_str();
                    let below = &field.selection_set.node;
                    match entries.iter_mut().find(|entry| entry.key == key) {
                        Some(entry) => {
                            entry.composite |= !below.items.is_empty();
                            entry.sets.push(below);
                        }
                        None => entries.push(Entry {
                            key,
                            sets: vec![below],
                            composite: !below.items.is_empty(),
                            declared: concrete
                                .and_then(|ty| self.order.field_type(ty, &field.name.node)),
                            below: Plans::default(),
                        }),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    let Some(fragment) = self.fragments.get(name) else {
                        continue;
                    };
                    if self.applies(&fragment.node.type_condition.node.on.node, concrete) {
                        self.collect(
                            &fragment.node.selection_set.node,
                            concrete,
                            entries,
                            visited,
                        );
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.applies(&c.node.on.node, concrete));
                    if applies {
                        self.collect(
                            &fragment.node.selection_set.node,
                            concrete,
                            entries,
                            visited,
                        );
                    }
                }
            }
        }
    }

    /// Whether a fragment on `condition` applies to an object of type `concrete`.
    fn applies(&self, condition: &str, concrete: Option<&str>) -> bool {
        concrete.is_none_or(|ty| {
            ty == condition
                || self
                    .order
                    .possible
                    .get(condition)
                    .is_some_and(|types| types.contains(ty))
        })
    }

    /// Whether `@skip` or `@include` leaves the selection out, decided as async-graphql
    /// decides it before running the operation (from the request's variables).
    fn skipped(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().any(|directive| {
            let include = match directive.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => return false,
            };
            let Some(condition) = directive.node.get_argument("if") else {
                return false;
            };
            let value = condition
                .node
                .clone()
                .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                .unwrap_or_default();
            include != matches!(value, Value::Boolean(true))
        })
    }
}
