//! What changed between a released schema and the current one, and what each change means
//! to a client written against the release. The rules are those of graphql-inspector and
//! GitHub's schema comparator:
//!
//! - A client reads outputs: an output may become stricter (nullable to non-null) but not
//!   looser, and nothing it reads may go away.
//! - A client writes inputs (arguments, input fields): an input may become looser
//!   (non-null to nullable) but not stricter, nothing it writes may go away, nothing new
//!   may be required of it, and a default it relies on may not be removed.
//! - Some changes break no valid query but may surprise a client (a new enum value it
//!   does not know, a new union member, a changed default): they are dangerous, reported
//!   for review, never refused.
//!
//! Types are compared by name: a field whose type is renamed changes type, even when the
//! new type has the same shape.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use async_graphql::Name;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    BaseType, ConstDirective, DirectiveDefinition, DirectiveLocation, EnumValueDefinition,
    FieldDefinition, InputValueDefinition, ServiceDocument, Type, TypeDefinition, TypeKind,
    TypeSystemDefinition,
};

/// The directives every GraphQL service defines; the SDL prints some of them only when
/// they are used, so they come and go without anything changing for clients.
const BUILT_IN_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

/// How much a change matters to a client written against the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Some query valid against the release fails, or some answer no longer fits.
    Breaking,
    /// Every query still works, but a client may meet something it does not expect.
    Dangerous,
}

/// One change between the release and the current schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Breaking or dangerous.
    pub severity: Severity,
    /// What changed, as a schema coordinate: `Type`, `Type.field`, `Type.field(arg:)`,
    /// `Enum.VALUE`, `Input.field`, `@directive`, `@directive(arg:)`.
    pub coordinate: String,
    /// What happened to it, in a few words.
    pub description: String,
    /// A field, argument, input field or enum value removed without first being marked
    /// `@deprecated` in the release.
    pub removed_without_deprecation: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.coordinate, self.description)?;
        if self.removed_without_deprecation {
            f.write_str(
                ", without being @deprecated in the release first \
                 (renames and removals go through @deprecated(reason:))",
            )?;
        }
        Ok(())
    }
}

/// A schema's types and directives by name.
pub(super) struct Schema<'a> {
    types: BTreeMap<&'a str, &'a TypeDefinition>,
    directives: BTreeMap<&'a str, &'a DirectiveDefinition>,
}

impl<'a> Schema<'a> {
    /// Indexes a parsed SDL; refuses what a printed schema never holds (a type or directive
    /// defined twice, a type extension), which would make the comparison ambiguous.
    pub(super) fn index(document: &'a ServiceDocument) -> Result<Schema<'a>, String> {
        let mut types = BTreeMap::new();
        let mut directives = BTreeMap::new();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(_) => {}
                TypeSystemDefinition::Type(ty) => {
                    let name = ty.node.name.node.as_str();
                    if ty.node.extend {
                        return Err(format!(
                            "line {}: `extend` of `{name}`: a schema is compared whole, without \
                             extensions",
                            ty.pos.line
                        ));
                    }
                    if types.insert(name, &ty.node).is_some() {
                        return Err(format!(
                            "line {}: type `{name}` is defined twice",
                            ty.pos.line
                        ));
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    let name = directive.node.name.node.as_str();
                    if directives.insert(name, &directive.node).is_some() {
                        return Err(format!(
                            "line {}: directive `@{name}` is defined twice",
                            directive.pos.line
                        ));
                    }
                }
            }
        }
        Ok(Schema { types, directives })
    }

    /// The named types that fields return, where a new enum value reaches clients.
    fn output_types(&self) -> BTreeSet<&'a str> {
        let mut found = BTreeSet::new();
        for ty in self.types.values() {
            let fields = match &ty.kind {
                TypeKind::Object(object) => &object.fields,
                TypeKind::Interface(interface) => &interface.fields,
                _ => continue,
            };
            for field in fields {
                found.insert(named(&field.node.ty.node));
            }
        }
        found
    }
}

/// Every change from `release` to `current`: types in name order, then directives; within
/// a type, its members in the release's order, then what is new.
pub(super) fn diff(release: &Schema<'_>, current: &Schema<'_>) -> Vec<Change> {
    let mut changes = Changes {
        found: Vec::new(),
        output_types: current.output_types(),
    };
    for (name, old) in &release.types {
        match current.types.get(name) {
            None => changes.breaking(name, format!("{} removed", kind_name(&old.kind))),
            Some(new) => changes.compare_types(name, old, new),
        }
    }
    for (name, old) in &release.directives {
        if BUILT_IN_DIRECTIVES.contains(name) {
            continue;
        }
        let coordinate = format!("@{name}");
        match current.directives.get(name) {
            None => changes.breaking(&coordinate, "directive removed".to_owned()),
            Some(new) => changes.compare_directives(&coordinate, old, new),
        }
    }
    changes.found
}

struct Changes<'a> {
    found: Vec<Change>,
    output_types: BTreeSet<&'a str>,
}

impl Changes<'_> {
    fn push(&mut self, severity: Severity, coordinate: &str, description: String) {
        self.found.push(Change {
            severity,
            coordinate: coordinate.to_owned(),
            description,
            removed_without_deprecation: false,
        });
    }

    fn breaking(&mut self, coordinate: &str, description: String) {
        self.push(Severity::Breaking, coordinate, description);
    }

    fn dangerous(&mut self, coordinate: &str, description: String) {
        self.push(Severity::Dangerous, coordinate, description);
    }

    /// A member of the release gone from the current schema.
    fn removed(&mut self, coordinate: &str, what: &str, directives: &[Positioned<ConstDirective>]) {
        self.found.push(Change {
            severity: Severity::Breaking,
            coordinate: coordinate.to_owned(),
            description: format!("{what} removed"),
            removed_without_deprecation: !is_deprecated(directives),
        });
    }

    fn compare_types(&mut self, name: &str, old: &TypeDefinition, new: &TypeDefinition) {
        match (&old.kind, &new.kind) {
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            (TypeKind::Object(old), TypeKind::Object(new)) => {
                self.compare_implements(name, &old.implements, &new.implements);
                self.compare_fields(name, &old.fields, &new.fields);
            }
            (TypeKind::Interface(old), TypeKind::Interface(new)) => {
                self.compare_implements(name, &old.implements, &new.implements);
                self.compare_fields(name, &old.fields, &new.fields);
            }
            (TypeKind::Union(old), TypeKind::Union(new)) => {
                for member in &old.members {
                    if !new.members.iter().any(|m| m.node == member.node) {
                        self.breaking(name, format!("no longer includes `{}`", member.node));
                    }
                }
                for member in &new.members {
                    if !old.members.iter().any(|m| m.node == member.node) {
                        self.dangerous(
                            name,
                            format!(
                                "now also includes `{}`; clients that switch on `__typename` \
                                 must handle it",
                                member.node
                            ),
                        );
                    }
                }
            }
            (TypeKind::Enum(old), TypeKind::Enum(new)) => {
                self.compare_enum_values(name, &old.values, &new.values);
            }
            (TypeKind::InputObject(old), TypeKind::InputObject(new)) => {
                self.compare_input_values(name, "input field", &old.fields, &new.fields, |f| {
                    format!("{name}.{f}")
                });
            }
            (old, new) => self.breaking(
                name,
                format!(
                    "changed from {} to {}",
                    kind_name_with_article(old),
                    kind_name_with_article(new)
                ),
            ),
        }
    }

    fn compare_implements(
        &mut self,
        name: &str,
        old: &[Positioned<Name>],
        new: &[Positioned<Name>],
    ) {
        for interface in old {
            if !new.iter().any(|i| i.node == interface.node) {
                self.breaking(name, format!("no longer implements `{}`", interface.node));
            }
        }
        for interface in new {
            if !old.iter().any(|i| i.node == interface.node) {
                self.dangerous(
                    name,
                    format!(
                        "now implements `{}`; fragments on `{}` now also match it",
                        interface.node, interface.node
                    ),
                );
            }
        }
    }

    fn compare_fields(
        &mut self,
        type_name: &str,
        old: &[Positioned<FieldDefinition>],
        new: &[Positioned<FieldDefinition>],
    ) {
        for old in old {
            let old = &old.node;
            let coordinate = format!("{type_name}.{}", old.name.node);
            let Some(new) = find(new, |f: &FieldDefinition| f.name.node == old.name.node) else {
                self.removed(&coordinate, "field", &old.directives);
                continue;
            };
            let (old_type, new_type) = (&old.ty.node, &new.ty.node);
            if !output_accepts(old_type, new_type) {
                let why = if same_shape(old_type, new_type) {
                    " (a non-null value made nullable)"
                } else {
                    ""
                };
                self.breaking(
                    &coordinate,
                    format!("type changed from `{old_type}` to `{new_type}`{why}"),
                );
            }
            self.compare_input_values(
                &coordinate,
                "argument",
                &old.arguments,
                &new.arguments,
                |arg| format!("{coordinate}({arg}:)"),
            );
        }
    }

    fn compare_enum_values(
        &mut self,
        name: &str,
        old: &[Positioned<EnumValueDefinition>],
        new: &[Positioned<EnumValueDefinition>],
    ) {
        for value in old {
            let value = &value.node;
            if !new.iter().any(|v| v.node.value.node == value.value.node) {
                self.removed(
                    &format!("{name}.{}", value.value.node),
                    "enum value",
                    &value.directives,
                );
            }
        }
        if !self.output_types.contains(name) {
            return;
        }
        for value in new {
            let value = &value.node;
            if !old.iter().any(|v| v.node.value.node == value.value.node) {
                self.dangerous(
                    &format!("{name}.{}", value.value.node),
                    "enum value added to an enum that fields return; clients that switch over \
                     its values must handle it"
                        .to_owned(),
                );
            }
        }
    }

    /// Arguments of a field or directive (`owner` is its coordinate), or fields of an input
    /// object; `coordinate` names one of them.
    fn compare_input_values(
        &mut self,
        owner: &str,
        what: &str,
        old: &[Positioned<InputValueDefinition>],
        new: &[Positioned<InputValueDefinition>],
        coordinate: impl Fn(&str) -> String,
    ) {
        for old_value in old {
            let old_value = &old_value.node;
            let name = old_value.name.node.as_str();
            let at = coordinate(name);
            let Some(new_value) = find(new, |v: &InputValueDefinition| v.name.node == name) else {
                self.removed(&at, what, &old_value.directives);
                continue;
            };
            let (old_type, new_type) = (&old_value.ty.node, &new_value.ty.node);
            if !input_accepts(old_type, new_type) {
                let why = if same_shape(old_type, new_type) {
                    " (a nullable value made non-null)"
                } else {
                    ""
                };
                self.breaking(
                    &at,
                    format!("type changed from `{old_type}` to `{new_type}`{why}"),
                );
            }
            match (&old_value.default_value, &new_value.default_value) {
                (Some(old_default), None) => {
                    self.breaking(&at, format!("default `{}` removed", old_default.node))
                }
                (Some(old_default), Some(new_default)) if old_default.node != new_default.node => {
                    self.dangerous(
                        &at,
                        format!(
                            "default changed from `{}` to `{}`; clients that leave it out get \
                             another behaviour",
                            old_default.node, new_default.node
                        ),
                    );
                }
                _ => {}
            }
        }
        for new_value in new {
            let new_value = &new_value.node;
            let name = new_value.name.node.as_str();
            if find(old, |v: &InputValueDefinition| v.name.node == name).is_none()
                && !new_value.ty.node.nullable
                && new_value.default_value.is_none()
            {
                self.breaking(
                    &coordinate(name),
                    format!(
                        "required {what} added to `{owner}` (non-null `{}` without a default)",
                        new_value.ty.node
                    ),
                );
            }
        }
    }

    fn compare_directives(
        &mut self,
        coordinate: &str,
        old: &DirectiveDefinition,
        new: &DirectiveDefinition,
    ) {
        for location in &old.locations {
            if !new.locations.iter().any(|l| l.node == location.node) {
                self.breaking(
                    coordinate,
                    format!("no longer allowed on {}", location_name(location.node)),
                );
            }
        }
        if old.is_repeatable && !new.is_repeatable {
            self.breaking(coordinate, "no longer repeatable".to_owned());
        }
        self.compare_input_values(
            coordinate,
            "argument",
            &old.arguments,
            &new.arguments,
            |arg| format!("{coordinate}({arg}:)"),
        );
    }
}

fn find<T>(items: &[Positioned<T>], matches: impl Fn(&T) -> bool) -> Option<&T> {
    items
        .iter()
        .map(|item| &item.node)
        .find(|item| matches(item))
}

fn is_deprecated(directives: &[Positioned<ConstDirective>]) -> bool {
    directives
        .iter()
        .any(|directive| directive.node.name.node == "deprecated")
}

/// Whether a client that reads a value of type `old` can read every value of type `new`:
/// the same named type, the same list nesting, and nothing non-null made nullable.
fn output_accepts(old: &Type, new: &Type) -> bool {
    if !old.nullable && new.nullable {
        return false;
    }
    match (&old.base, &new.base) {
        (BaseType::Named(old), BaseType::Named(new)) => old == new,
        (BaseType::List(old), BaseType::List(new)) => output_accepts(old, new),
        _ => false,
    }
}

/// Whether every value a client may write for type `old` is still a value of type `new`:
/// the same named type, the same list nesting, and nothing nullable made non-null.
fn input_accepts(old: &Type, new: &Type) -> bool {
    if old.nullable && !new.nullable {
        return false;
    }
    match (&old.base, &new.base) {
        (BaseType::Named(old), BaseType::Named(new)) => old == new,
        (BaseType::List(old), BaseType::List(new)) => input_accepts(old, new),
        _ => false,
    }
}

/// Whether two types differ in nullability only.
fn same_shape(old: &Type, new: &Type) -> bool {
    match (&old.base, &new.base) {
        (BaseType::Named(old), BaseType::Named(new)) => old == new,
        (BaseType::List(old), BaseType::List(new)) => same_shape(old, new),
        _ => false,
    }
}

/// The named type inside the lists and non-nulls of a type.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// A directive location as SDL spells it (`FIELD_DEFINITION`).
fn location_name(location: DirectiveLocation) -> String {
    let mut name = String::new();
    for (i, c) in format!("{location:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input object",
    }
}

fn kind_name_with_article(kind: &TypeKind) -> String {
    let name = kind_name(kind);
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}
