//! Limits on what one GraphQL request may ask for, and its cost, judged on the parsed
//! document and its variables before anything runs. The walker follows fragments, so a
//! spread counts where it lands; it visits a bounded number of fields, so a fragment bomb
//! costs it no more than an honest query. Fragment cycles are skipped here and refused by
//! async-graphql's validation. Rate budgets live in `rate_limit`, not here.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::Variables;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};
use capitole_domain::paging::PageSize;

mod credentials;
mod reads;
mod violation;

pub use credentials::CREDENTIAL_COST;
use credentials::CREDENTIAL_MUTATIONS;
pub(crate) use reads::Depends;
pub(crate) use violation::Violation;

/// How many items a list of objects without `first` (a place's categories, an article's
/// publishers, a week of opening hours) is assumed to hold when counting nodes.
pub const UNBOUNDED_LIST_ESTIMATE: u64 = 10;

/// How many requests make one point of cost (GitHub's divisor).
const REQUESTS_PER_POINT: u64 = 100;

/// How much deeper than its limit the walker measures a query before it stops looking, so
/// that messages give the real depth of ordinary mistakes without following a chain of
/// thousands of fragments.
const DEPTH_MEASURE_MARGIN: usize = 32;

/// The limits a request must stay within. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    /// The largest query document, in bytes (apart from the body limit, which also counts
    /// variables).
    pub max_document_bytes: usize,
    /// The deepest field, counted on the selection with fragments expanded.
    pub max_depth: usize,
    /// The deepest field under `__schema` or `__type` (GraphiQL's introspection query nests 15
    /// levels).
    pub max_introspection_depth: usize,
    /// Aliases in the whole document.
    pub max_aliases: usize,
    /// Fields at the root of one operation.
    pub max_root_fields: usize,
    /// Directives on one field, fragment spread or inline fragment.
    pub max_directives_per_field: usize,
    /// Items of one list in an argument or a variable.
    pub max_list_length: usize,
    /// Fields visited with fragments expanded; bounds fragment bombs and the walker itself.
    pub max_fields: usize,
    /// Objects a query may ask for, summed over its lists and connections.
    pub max_nodes: u64,
    /// The largest cost of one query, in points.
    pub max_cost: u64,
    /// How long one operation may run.
    pub execution_timeout: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 32 * 1024,
            max_depth: 12,
            max_introspection_depth: 20,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives_per_field: 4,
            max_list_length: 100,
            max_fields: 2_000,
            max_nodes: 50_000,
            max_cost: 500,
            execution_timeout: Duration::from_secs(10),
        }
    }
}

/// What a query asks for, as its rate budget counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Analysis {
    /// Points charged: requests (one per list or connection, per parent object) divided by
    /// 100, rounded to the nearest whole number, at least 1.
    pub cost: u64,
    /// Objects the query may return, summed over its lists and connections.
    pub nodes: u64,
}

/// What the cost walker needs to know about one field of the schema.
#[derive(Debug, Clone)]
struct FieldInfo {
    /// The named type the field returns.
    type_name: String,
    /// A connection or paginated list: its size is the `first` argument.
    first_default: Option<u64>,
    has_first: bool,
    /// The argument that lists the ids of the objects returned (`nodes(ids:)`).
    ids_argument: Option<String>,
    /// A list of objects without `first`.
    list_of_objects: bool,
}

/// Checks documents against the limits, with the field types of one schema.
pub(crate) struct Analyzer {
    limits: QueryLimits,
    query_type: String,
    mutation_type: String,
    subscription_type: String,
    fields: HashMap<String, HashMap<String, FieldInfo>>,
}

impl Analyzer {
    /// Reads the field types of a schema's registry.
    pub(crate) fn new(
        registry: &Registry,
        [query_type, mutation_type, subscription_type]: [&str; 3],
        limits: QueryLimits,
    ) -> Self {
        let mut fields = HashMap::new();
        for (type_name, ty) in &registry.types {
            let Some(type_fields) = ty.fields() else {
                continue;
            };
            let mut infos = HashMap::new();
            for (name, field) in type_fields {
                let named = MetaTypeName::concrete_typename(&field.ty).to_owned();
                let composite = registry
                    .types
                    .get(&named)
                    .is_some_and(MetaType::is_composite);
                let first = field.args.get("first");
                let ids_argument = field
                    .args
                    .values()
                    .find(|a| {
                        MetaTypeName::create(&a.ty).is_list()
                            && MetaTypeName::concrete_typename(&a.ty) == "ID"
                    })
                    .map(|a| a.name.clone());
                infos.insert(
                    name.clone(),
                    FieldInfo {
                        type_name: named,
                        first_default: first
                            .and_then(|a| a.default_value.as_deref())
                            .and_then(|v| v.parse().ok()),
                        has_first: first.is_some(),
                        ids_argument,
                        list_of_objects: composite && MetaTypeName::create(&field.ty).is_list(),
                    },
                );
            }
            fields.insert(type_name.clone(), infos);
        }
        Self {
            limits,
            query_type: query_type.to_owned(),
            mutation_type: mutation_type.to_owned(),
            subscription_type: subscription_type.to_owned(),
            fields,
        }
    }

    pub(crate) fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// Refuses a document too large to be worth parsing.
    pub(crate) fn check_size(&self, query: &str) -> Result<(), Violation> {
        let limit = self.limits.max_document_bytes;
        if query.len() > limit {
            return Err(Violation::DocumentSize {
                bytes: query.len(),
                limit,
            });
        }
        Ok(())
    }

    /// Checks a parsed document and its variables, and measures its cost. The operation
    /// named by `operation_name` is judged; when the document does not say which one runs,
    /// every operation in it is, and the costliest counts.
    pub(crate) fn analyse(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<Analysis, Violation> {
        let limits = &self.limits;
        let aliases = count_aliases(document);
        if aliases > limits.max_aliases {
            return Err(Violation::Aliases {
                count: aliases,
                limit: limits.max_aliases,
            });
        }
        for (name, value) in variables.iter() {
            check_const_lists(value, &format!("`${name}`"), limits.max_list_length)?;
        }
        let mut analysis = Analysis { cost: 1, nodes: 0 };
        for operation in selected(document, operation_name) {
            let found = self.operation(document, operation, variables)?;
            if found.cost >= analysis.cost {
                analysis = found;
            }
        }
        if analysis.nodes > limits.max_nodes {
            return Err(Violation::Nodes {
                nodes: analysis.nodes,
                limit: limits.max_nodes,
            });
        }
        if analysis.cost > limits.max_cost {
            return Err(Violation::Cost {
                cost: analysis.cost,
                limit: limits.max_cost,
            });
        }
        Ok(analysis)
    }

    fn operation(
        &self,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
        variables: &Variables,
    ) -> Result<Analysis, Violation> {
        let limits = &self.limits;
        check_directives(operation.directives.len(), limits)?;
        let mut walk = Walk {
            analyzer: self,
            fragments: &document.fragments,
            arguments: Arguments::new(operation, variables),
            visits: 0,
            root_fields: 0,
            depth: 0,
            introspection_depth: 0,
            requests: 0,
            nodes: 0,
            expanding: Vec::new(),
            mutation: operation.ty == async_graphql::parser::types::OperationType::Mutation,
            credential_mutations: 0,
            costly_credentials: 0,
        };
        let root = match operation.ty {
            async_graphql::parser::types::OperationType::Query => Some(self.query_type.as_str()),
            async_graphql::parser::types::OperationType::Mutation => {
                Some(self.mutation_type.as_str())
            }
            async_graphql::parser::types::OperationType::Subscription => {
                Some(self.subscription_type.as_str())
            }
        };
        walk.selection_set(&operation.selection_set.node, root, 1, 1, false)?;
        if walk.root_fields > limits.max_root_fields {
            return Err(Violation::RootFields {
                count: walk.root_fields,
                limit: limits.max_root_fields,
            });
        }
        if walk.depth > limits.max_depth {
            return Err(Violation::Depth {
                depth: walk.depth,
                limit: limits.max_depth,
                capped: walk.depth > limits.max_depth + DEPTH_MEASURE_MARGIN,
            });
        }
        if walk.introspection_depth > limits.max_introspection_depth {
            return Err(Violation::IntrospectionDepth {
                depth: walk.introspection_depth,
                limit: limits.max_introspection_depth,
                capped: walk.introspection_depth
                    > limits.max_introspection_depth + DEPTH_MEASURE_MARGIN,
            });
        }
        if walk.credential_mutations > 1 {
            return Err(Violation::CredentialMutations {
                count: walk.credential_mutations,
            });
        }
        let rounded = walk.requests.saturating_add(REQUESTS_PER_POINT / 2) / REQUESTS_PER_POINT;
        Ok(Analysis {
            cost: rounded
                .max(1)
                .saturating_add(walk.costly_credentials.saturating_mul(CREDENTIAL_COST)),
            nodes: walk.nodes,
        })
    }
}

/// The operations a request may run.
fn selected<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Vec<&'a OperationDefinition> {
    match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node],
        DocumentOperations::Multiple(operations) => {
            let named = operation_name.and_then(|name| {
                operations
                    .iter()
                    .find(|(n, _)| n.as_str() == name)
                    .map(|(_, o)| &o.node)
            });
            match named {
                Some(operation) => vec![operation],
                None => operations.values().map(|o| &o.node).collect(),
            }
        }
    }
}

fn check_directives(count: usize, limits: &QueryLimits) -> Result<(), Violation> {
    if count > limits.max_directives_per_field {
        return Err(Violation::Directives {
            count,
            limit: limits.max_directives_per_field,
        });
    }
    Ok(())
}

/// Aliases written in the document, each counted once wherever fragments take it.
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = match &document.operations {
        DocumentOperations::Single(operation) => in_set(&operation.node.selection_set.node),
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|o| in_set(&o.node.selection_set.node))
            .sum(),
    };
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

fn check_const_lists(value: &ConstValue, what: &str, limit: usize) -> Result<(), Violation> {
    match value {
        ConstValue::List(items) => {
            if items.len() > limit {
                return Err(Violation::ListLength {
                    what: what.to_owned(),
                    length: items.len(),
                    limit,
                });
            }
            items
                .iter()
                .try_for_each(|item| check_const_lists(item, what, limit))
        }
        ConstValue::Object(fields) => fields
            .values()
            .try_for_each(|item| check_const_lists(item, what, limit)),
        _ => Ok(()),
    }
}

fn check_lists(value: &Value, what: &str, limit: usize) -> Result<(), Violation> {
    match value {
        Value::List(items) => {
            if items.len() > limit {
                return Err(Violation::ListLength {
                    what: what.to_owned(),
                    length: items.len(),
                    limit,
                });
            }
            items
                .iter()
                .try_for_each(|item| check_lists(item, what, limit))
        }
        Value::Object(fields) => fields
            .values()
            .try_for_each(|item| check_lists(item, what, limit)),
        _ => Ok(()),
    }
}

/// The values of a field's arguments in one operation: its variables as given, or their
/// defaults.
pub(crate) struct Arguments<'a> {
    variables: &'a Variables,
    defaults: HashMap<&'a Name, &'a ConstValue>,
}

impl<'a> Arguments<'a> {
    pub(crate) fn new(operation: &'a OperationDefinition, variables: &'a Variables) -> Self {
        let defaults = operation
            .variable_definitions
            .iter()
            .filter_map(|d| {
                d.node
                    .default_value
                    .as_ref()
                    .map(|v| (&d.node.name.node, &v.node))
            })
            .collect();
        Self {
            variables,
            defaults,
        }
    }

    /// The value of argument `name` of `field`, with variables resolved.
    pub(crate) fn value(
        &self,
        field: &async_graphql::parser::types::Field,
        name: &str,
    ) -> Option<ConstValue> {
        let value = &field.get_argument(name)?.node;
        value
            .clone()
            .into_const_with(|variable| {
                self.variables
                    .get(&variable)
                    .or_else(|| self.defaults.get(&variable).copied())
                    .cloned()
                    .ok_or(())
            })
            .ok()
    }
}

/// One walk over an operation with its fragments expanded.
struct Walk<'a> {
    analyzer: &'a Analyzer,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    arguments: Arguments<'a>,
    visits: usize,
    root_fields: usize,
    /// The deepest field seen outside introspection.
    depth: usize,
    /// The deepest field seen under `__schema` or `__type`.
    introspection_depth: usize,
    requests: u64,
    nodes: u64,
    /// Fragments being expanded, to step over cycles (which validation refuses).
    expanding: Vec<&'a Name>,
    /// Whether the operation is a mutation.
    mutation: bool,
    /// Root fields that are credential mutations (each alias counts).
    credential_mutations: usize,
    /// Those of them that hash a password or send a mail.
    costly_credentials: u64,
}

impl<'a> Walk<'a> {
    /// Walks the fields of `set`, which sit at `depth` and are fetched once for each of
    /// `parents` objects of type `parent_type` (unknown under introspection).
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent_type: Option<&'a str>,
        depth: usize,
        parents: u64,
        introspection: bool,
    ) -> Result<(), Violation> {
        let limits = &self.analyzer.limits;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.visits += 1;
                    if self.visits > limits.max_fields {
                        return Err(Violation::Fields {
                            limit: limits.max_fields,
                        });
                    }
                    check_directives(field.directives.len(), limits)?;
                    for (name, value) in &field.arguments {
                        check_lists(
                            &value.node,
                            &format!("the argument `{}`", name.node),
                            limits.max_list_length,
                        )?;
                    }
                    let name = field.name.node.as_str();
                    if depth == 1 {
                        self.root_fields += 1;
                        if self.mutation
                            && let Some((_, hashes)) =
                                CREDENTIAL_MUTATIONS.iter().find(|(n, _)| *n == name)
                        {
                            self.credential_mutations += 1;
                            self.costly_credentials += u64::from(*hashes);
                        }
                    }
                    let introspection = introspection || matches!(name, "__schema" | "__type");
                    let (seen, limit) = if introspection {
                        (
                            &mut self.introspection_depth,
                            limits.max_introspection_depth,
                        )
                    } else {
                        (&mut self.depth, limits.max_depth)
                    };
                    *seen = (*seen).max(depth);
                    if field.selection_set.node.items.is_empty()
                        || depth > limit + DEPTH_MEASURE_MARGIN
                    {
                        continue;
                    }
                    let info = parent_type
                        .filter(|_| !introspection)
                        .and_then(|t| self.analyzer.fields.get(t))
                        .and_then(|fields| fields.get(name));
                    let (child_type, children) = match info {
                        Some(info) => {
                            let size = self.list_size(info, parent_type, name, field);
                            if let Some(size) = size {
                                self.requests = self.requests.saturating_add(parents);
                                self.nodes =
                                    self.nodes.saturating_add(parents.saturating_mul(size));
                            }
                            (
                                Some(info.type_name.as_str()),
                                parents.saturating_mul(size.unwrap_or(1)),
                            )
                        }
                        None => (None, parents),
                    };
                    self.selection_set(
                        &field.selection_set.node,
                        child_type,
                        depth + 1,
                        children,
                        introspection,
                    )?;
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    check_directives(fragment.directives.len(), limits)?;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent_type);
                    self.selection_set(
                        &fragment.selection_set.node,
                        on,
                        depth,
                        parents,
                        introspection,
                    )?;
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    check_directives(spread.directives.len(), limits)?;
                    let name = &spread.fragment_name.node;
                    if self.expanding.contains(&name) {
                        continue;
                    }
                    let Some(fragment) = self.fragments.get(name) else {
                        continue;
                    };
                    let on = Some(fragment.node.type_condition.node.on.node.as_str());
                    self.expanding.push(name);
                    let walked = self.selection_set(
                        &fragment.node.selection_set.node,
                        on,
                        depth,
                        parents,
                        introspection,
                    );
                    self.expanding.pop();
                    walked?;
                }
            }
        }
        Ok(())
    }

    /// How many objects a field returns for each parent, when it returns a list: `first`
    /// or `last` for connections (20 when neither is given), the number of ids for `nodes(ids:)`, an estimate
    /// for other lists of objects. The `edges` and `nodes` of a connection are the
    /// connection's own items, already counted at the connection.
    ///
    /// A `first` or `last` outside the paging rules ([`PageSize`]) returns nothing: the field refuses
    /// it with `BAD_USER_INPUT` and the range, whatever the value. Counting `first: 1000000`
    /// as a million objects would refuse the query for its cost instead, so that one mistake
    /// would get two answers depending on how far out of range it is.
    fn list_size(
        &self,
        info: &FieldInfo,
        parent_type: Option<&str>,
        name: &str,
        field: &async_graphql::parser::types::Field,
    ) -> Option<u64> {
        if info.has_first {
            let given = |name: &str| {
                self.arguments.value(field, name).and_then(|v| match v {
                    ConstValue::Number(n) => n.as_i64(),
                    _ => None,
                })
            };
            let checked = |name: &'static str, n: i64| {
                PageSize::parse(name, n).map_or(0, |size| size.get() as u64)
            };
            let size = match (given("first"), given("last")) {
                // Both at once are refused, like any size out of range.
                (Some(_), Some(_)) => 0,
                (Some(first), None) => checked("first", first),
                (None, Some(last)) => checked("last", last),
                (None, None) => info.first_default.unwrap_or(PageSize::DEFAULT.get() as u64),
            };
            return Some(size);
        }
        if let Some(ids) = &info.ids_argument {
            let length = match self.arguments.value(field, ids) {
                Some(ConstValue::List(items)) => items.len(),
                _ => 1,
            };
            return Some(length as u64);
        }
        let in_connection = parent_type.is_some_and(|t| t.ends_with("Connection"))
            && matches!(name, "edges" | "nodes");
        (info.list_of_objects && !in_connection).then_some(UNBOUNDED_LIST_ESTIMATE)
    }
}

#[cfg(test)]
mod tests;
