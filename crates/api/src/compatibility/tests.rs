//! The change policy on small crafted schemas: each rule that breaks, each change that does
//! not, the changelog's allowances and the report.
#![allow(clippy::unwrap_used)]

use super::*;

/// The release every test changes.
const RELEASE: &str = r#"
"The root."
type Query {
  "A place by slug."
  place("Its slug." slug: String!): Place
  places(first: Int = 20, filter: PlaceFilter): [Place!]!
  search(text: String!): [SearchResult!]!
  old: String @deprecated(reason: "Use `place`.")
}

interface Node {
  id: ID!
}

type Place implements Node {
  id: ID!
  name: String!
  rating: Float
  kind: PlaceKind!
  tags: [String!]!
  opensAt: DateTime
}

type Event implements Node {
  id: ID!
  title: String!
}

union SearchResult = Place | Event

enum PlaceKind {
  MUSEUM
  PARK
  CINEMA @deprecated(reason: "Use `MUSEUM`.")
}

enum Unit {
  METERS
}

input PlaceFilter {
  name: String
  kinds: [PlaceKind!]
  near: GeoInput
}

input GeoInput {
  latitude: Float!
  longitude: Float!
  radius: Int = 500
  unit: Unit
}

scalar DateTime

directive @cached(seconds: Int!) on FIELD_DEFINITION | OBJECT
"#;

/// The release with each `(from, to)` replaced once.
fn edited(edits: &[(&str, &str)]) -> String {
    let mut sdl = RELEASE.to_owned();
    for (from, to) in edits {
        assert_eq!(
            sdl.matches(from).count(),
            1,
            "{from:?} is not in the release once"
        );
        sdl = sdl.replacen(from, to, 1);
    }
    sdl
}

fn sdl<'a>(label: &'a str, text: &'a str) -> Sdl<'a> {
    Sdl { label, text }
}

fn changes(current: &str) -> Vec<Change> {
    compare(sdl("release", RELEASE), sdl("current", current)).unwrap()
}

/// The breaking changes of the edits, as `coordinate: description`.
fn breaking(edits: &[(&str, &str)]) -> Vec<String> {
    changes(&edited(edits))
        .into_iter()
        .filter(|change| change.severity == Severity::Breaking)
        .map(|change| format!("{}: {}", change.coordinate, change.description))
        .collect()
}

fn dangerous(edits: &[(&str, &str)]) -> Vec<String> {
    changes(&edited(edits))
        .into_iter()
        .filter(|change| change.severity == Severity::Dangerous)
        .map(|change| format!("{}: {}", change.coordinate, change.description))
        .collect()
}

fn version(text: &str) -> Version {
    Version::parse(text).unwrap()
}

#[test]
fn the_same_schema_changes_nothing() {
    assert_eq!(changes(RELEASE), []);
}

#[test]
fn reordering_and_describing_change_nothing() {
    let current = edited(&[
        (
            "  id: ID!\n  name: String!\n",
            "  \"Its name.\"\n  name: String!\n  id: ID!\n",
        ),
        (
            "union SearchResult = Place | Event",
            "union SearchResult = Event | Place",
        ),
        ("  MUSEUM\n  PARK\n", "  PARK\n  \"A museum.\"\n  MUSEUM\n"),
        (
            "  latitude: Float!\n  longitude: Float!\n",
            "  longitude: Float!\n  latitude: Float!\n",
        ),
    ]);
    assert_eq!(changes(&current), []);
}

#[test]
fn a_removed_type_breaks() {
    assert_eq!(
        breaking(&[("scalar DateTime\n", "")]),
        ["DateTime: scalar removed"]
    );
}

#[test]
fn a_type_that_changes_kind_breaks() {
    assert_eq!(
        breaking(&[("scalar DateTime", "enum DateTime { NOW }")]),
        ["DateTime: changed from a scalar to an enum"]
    );
    assert_eq!(
        breaking(&[(
            "type Event implements Node {",
            "interface Event implements Node {"
        )]),
        ["Event: changed from an object type to an interface"]
    );
}

#[test]
fn a_removed_field_breaks_and_says_whether_it_was_deprecated() {
    let found = changes(&edited(&[("  rating: Float\n", "")]));
    assert_eq!(
        found,
        [Change {
            severity: Severity::Breaking,
            coordinate: "Place.rating".to_owned(),
            description: "field removed".to_owned(),
            removed_without_deprecation: true,
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "Place.rating: field removed, without being @deprecated in the release first \
         (renames and removals go through @deprecated(reason:))"
    );

    let found = changes(&edited(&[(
        "  old: String @deprecated(reason: \"Use `place`.\")\n",
        "",
    )]));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].coordinate, "Query.old");
    assert!(!found[0].removed_without_deprecation);
    assert_eq!(found[0].to_string(), "Query.old: field removed");
}

#[test]
fn a_removed_argument_breaks() {
    assert_eq!(
        breaking(&[(
            "places(first: Int = 20, filter: PlaceFilter)",
            "places(first: Int = 20)"
        )]),
        ["Query.places(filter:): argument removed"]
    );
}

#[test]
fn a_removed_input_field_breaks() {
    assert_eq!(
        breaking(&[("  name: String\n  kinds", "  kinds")]),
        ["PlaceFilter.name: input field removed"]
    );
}

#[test]
fn a_removed_enum_value_breaks_and_says_whether_it_was_deprecated() {
    let found = changes(&edited(&[("  PARK\n", "")]));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].coordinate, "PlaceKind.PARK");
    assert_eq!(found[0].description, "enum value removed");
    assert!(found[0].removed_without_deprecation);

    let found = changes(&edited(&[(
        "  CINEMA @deprecated(reason: \"Use `MUSEUM`.\")\n",
        "",
    )]));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].coordinate, "PlaceKind.CINEMA");
    assert!(!found[0].removed_without_deprecation);
}

#[test]
fn a_removed_union_member_or_interface_breaks() {
    assert_eq!(
        breaking(&[(
            "union SearchResult = Place | Event",
            "union SearchResult = Place"
        )]),
        ["SearchResult: no longer includes `Event`"]
    );
    assert_eq!(
        breaking(&[("type Event implements Node {", "type Event {")]),
        ["Event: no longer implements `Node`"]
    );
}

#[test]
fn an_output_field_may_not_loosen_or_change_its_type() {
    assert_eq!(
        breaking(&[("  name: String!\n", "  name: String\n")]),
        ["Place.name: type changed from `String!` to `String` (a non-null value made nullable)"]
    );
    assert_eq!(
        breaking(&[("  tags: [String!]!\n", "  tags: [String]!\n")]),
        [
            "Place.tags: type changed from `[String!]!` to `[String]!` (a non-null value made \
             nullable)"
        ]
    );
    assert_eq!(
        breaking(&[("  rating: Float\n", "  rating: Int\n")]),
        ["Place.rating: type changed from `Float` to `Int`"]
    );
    assert_eq!(
        breaking(&[("  rating: Float\n", "  rating: [Float]\n")]),
        ["Place.rating: type changed from `Float` to `[Float]`"]
    );
}

#[test]
fn an_input_may_not_tighten_or_change_its_type() {
    assert_eq!(
        breaking(&[("  kinds: [PlaceKind!]\n", "  kinds: [PlaceKind!]!\n")]),
        [
            "PlaceFilter.kinds: type changed from `[PlaceKind!]` to `[PlaceKind!]!` (a nullable \
             value made non-null)"
        ]
    );
    assert_eq!(
        breaking(&[("  name: String\n  kinds", "  name: ID\n  kinds")]),
        ["PlaceFilter.name: type changed from `String` to `ID`"]
    );
    assert_eq!(
        breaking(&[("search(text: String!)", "search(text: [String!]!)")]),
        ["Query.search(text:): type changed from `String!` to `[String!]!`"]
    );
    // A nullable argument made non-null breaks even with a default: a client may send null.
    assert_eq!(
        breaking(&[("first: Int = 20", "first: Int! = 20")]),
        [
            "Query.places(first:): type changed from `Int` to `Int!` (a nullable value made \
             non-null)"
        ]
    );
}

#[test]
fn a_new_required_argument_or_input_field_breaks() {
    assert_eq!(
        breaking(&[(
            "search(text: String!)",
            "search(text: String!, city: String!)"
        )]),
        [
            "Query.search(city:): required argument added to `Query.search` (non-null `String!` \
             without a default)"
        ]
    );
    assert_eq!(
        breaking(&[("  unit: Unit\n", "  unit: Unit\n  precision: Int!\n")]),
        [
            "GeoInput.precision: required input field added to `GeoInput` (non-null `Int!` \
             without a default)"
        ]
    );
}

#[test]
fn a_removed_default_breaks() {
    assert_eq!(
        breaking(&[("  radius: Int = 500\n", "  radius: Int\n")]),
        ["GeoInput.radius: default `500` removed"]
    );
    assert_eq!(
        breaking(&[("first: Int = 20", "first: Int")]),
        ["Query.places(first:): default `20` removed"]
    );
}

#[test]
fn a_custom_directive_keeps_its_locations_and_arguments() {
    assert_eq!(
        breaking(&[(
            "directive @cached(seconds: Int!) on FIELD_DEFINITION | OBJECT\n",
            ""
        )]),
        ["@cached: directive removed"]
    );
    assert_eq!(
        breaking(&[(
            "@cached(seconds: Int!) on FIELD_DEFINITION | OBJECT",
            "@cached(seconds: Int!, scope: String!) on FIELD_DEFINITION"
        )]),
        [
            "@cached: no longer allowed on OBJECT",
            "@cached(scope:): required argument added to `@cached` (non-null `String!` without \
             a default)"
        ]
    );
}

#[test]
fn additions_and_looser_inputs_and_stricter_outputs_break_nothing() {
    let edits = [
        // A new optional argument, and a non-null one with a default.
        (
            "search(text: String!)",
            "search(text: String!, limit: Int, exact: Boolean! = false)",
        ),
        // A new field, and an output made non-null.
        ("  rating: Float\n", "  rating: Float!\n  website: String\n"),
        // A new type, and a new member of a union.
        (
            "union SearchResult = Place | Event",
            "union SearchResult = Place | Event | Tip",
        ),
        (
            "scalar DateTime\n",
            "scalar DateTime\n\ntype Tip {\n  text: String!\n}\n",
        ),
        // A new enum value on an enum that fields return.
        ("  MUSEUM\n", "  MUSEUM\n  THEATRE\n"),
        // An input made nullable, a new optional input field, a new default.
        (
            "  latitude: Float!\n",
            "  latitude: Float\n  label: String\n",
        ),
        ("  name: String\n  kinds", "  name: String = \"\"\n  kinds"),
        // A new value of an input-only enum, and a new interface.
        ("  METERS\n", "  METERS\n  FEET\n"),
        (
            "type Event implements Node {",
            "type Event implements Node & Dated {",
        ),
        (
            "interface Node {",
            "interface Dated {\n  startsAt: DateTime\n}\n\ninterface Node {",
        ),
        // A deprecation.
        (
            "  tags: [String!]!\n",
            "  tags: [String!]! @deprecated(reason: \"Unused.\")\n",
        ),
    ];
    assert_eq!(breaking(&edits), Vec::<String>::new());
    assert_eq!(
        dangerous(&edits),
        [
            "Event: now implements `Dated`; fragments on `Dated` now also match it",
            "PlaceKind.THEATRE: enum value added to an enum that fields return; clients that \
             switch over its values must handle it",
            "SearchResult: now also includes `Tip`; clients that switch on `__typename` must \
             handle it",
        ]
    );
}

#[test]
fn a_changed_default_is_dangerous_not_breaking() {
    assert_eq!(
        breaking(&[("  radius: Int = 500\n", "  radius: Int = 1000\n")]),
        Vec::<String>::new()
    );
    assert_eq!(
        dangerous(&[("  radius: Int = 500\n", "  radius: Int = 1000\n")]),
        [
            "GeoInput.radius: default changed from `500` to `1000`; clients that leave it out \
             get another behaviour"
        ]
    );
}

#[test]
fn a_malformed_sdl_is_refused_with_where_and_why() {
    let error = compare(
        sdl("schema/releases/1.0.graphql", RELEASE),
        sdl(
            "the current schema",
            "type Query {\n  place(slug: String!: Place\n}\n",
        ),
    )
    .unwrap_err();
    assert_eq!(error.label, "the current schema");
    assert_eq!(
        error.to_string(),
        "the current schema is not a GraphQL schema: line 2, column 22: expected \
         input_value_definition, default_value, or const_directive"
    );

    let error = compare(
        sdl(
            "schema/releases/1.0.graphql",
            "type Query { a: Int }\ntype Query { b: Int }\n",
        ),
        sdl("the current schema", RELEASE),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "schema/releases/1.0.graphql is not a GraphQL schema: line 2: type `Query` is defined \
         twice"
    );

    let error = compare(
        sdl("release", RELEASE),
        sdl(
            "current",
            &format!("{RELEASE}\nextend type Place {{ city: String }}\n"),
        ),
    )
    .unwrap_err();
    assert!(error.message.contains("`extend` of `Place`"), "{error}");
}

/// The release with `Place.rating` removed, checked against a changelog.
fn check_rating_removed(changelog: &str) -> Report {
    let current = edited(&[("  rating: Float\n", "")]);
    check(
        &version("1.0"),
        sdl("schema/releases/1.0.graphql", RELEASE),
        sdl("the current schema", &current),
        &Changelog::parse("CHANGELOG.md", changelog),
    )
    .unwrap()
}

#[test]
fn an_unlisted_breaking_change_fails_with_one_line_naming_it() {
    let report = check_rating_removed("# Changelog\n\n## [Unreleased]\n\n### Breaking\n");
    assert!(!report.passes());
    assert_eq!(
        report
            .refused()
            .map(|c| c.coordinate.as_str())
            .collect::<Vec<_>>(),
        ["Place.rating"]
    );
    let printed = report.to_string();
    let breaking_lines: Vec<_> = printed
        .lines()
        .filter(|line| line.starts_with("breaking: "))
        .collect();
    assert_eq!(
        breaking_lines,
        [
            "breaking: Place.rating: field removed, without being @deprecated in the release \
             first (renames and removals go through @deprecated(reason:))"
        ]
    );
    assert!(
        printed.contains(
            "1 breaking change from release 1.0 not listed under `### Breaking` in CHANGELOG.md"
        ),
        "{printed}"
    );
}

#[test]
fn a_breaking_change_listed_under_unreleased_is_allowed_and_the_entry_is_named() {
    let report = check_rating_removed(
        "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n\
         - `Place.rating` is removed: read `PlaceStats.rating`.\n\n\
         ## [1.0.0] - 2026-12-05\n",
    );
    assert!(report.passes(), "{report}");
    let allowed: Vec<_> = report.allowed().collect();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].0.coordinate, "Place.rating");
    assert_eq!(allowed[0].1.location, "CHANGELOG.md:7");
    let printed = report.to_string();
    assert!(
        printed.contains(
            "allowed: Place.rating: field removed, without being @deprecated in the release \
             first (renames and removals go through @deprecated(reason:)); listed at \
             CHANGELOG.md:7 under [Unreleased] Breaking: `Place.rating` is removed: read \
             `PlaceStats.rating`."
        ),
        "{printed}"
    );
    assert!(
        printed.ends_with("1 breaking change from release 1.0, each listed in CHANGELOG.md.\n")
    );
}

#[test]
fn only_the_exact_coordinate_under_breaking_allows_a_change() {
    for changelog in [
        // Listed elsewhere than under Breaking.
        "## [Unreleased]\n### Removed\n- `Place.rating`\n",
        // Not in backticks, or not the same coordinate.
        "## [Unreleased]\n### Breaking\n- Place.rating is removed\n- `Place` loses its rating\n",
        // Under the release itself, or an older one.
        "## [Unreleased]\n## [1.0.0] - 2026-12-05\n### Breaking\n- `Place.rating`\n",
    ] {
        let report = check_rating_removed(changelog);
        assert!(!report.passes(), "{changelog}");
        assert_eq!(report.refused().count(), 1, "{changelog}");
    }
}

#[test]
fn a_later_major_version_may_list_a_breaking_change_but_a_minor_one_may_not() {
    let report = check_rating_removed("## [2.0.0] - 2027-06-01\n### Breaking\n- `Place.rating`\n");
    assert!(report.passes(), "{report}");
    assert_eq!(report.allowed().count(), 1);

    let report = check_rating_removed("## [1.1.0] - 2027-06-01\n### Breaking\n- `Place.rating`\n");
    assert!(!report.passes());
    assert_eq!(report.refused().count(), 1);
    assert_eq!(report.misplaced().len(), 1);
    assert!(
        report.to_string().contains(
            "misplaced: CHANGELOG.md:3 lists a breaking change under [1.1.0], which is not a \
             major version after 1.0: `Place.rating`"
        ),
        "{report}"
    );
}

#[test]
fn entries_that_name_no_breaking_change_are_reported_without_failing() {
    let report = check_rating_removed(
        "## [Unreleased]\n### Breaking\n- `Place.rating`\n- `Place.name` is now optional\n",
    );
    assert!(report.passes());
    assert_eq!(report.unused().len(), 1);
    assert_eq!(report.unused()[0].coordinates, ["Place.name"]);
    assert!(
        report.to_string().contains(
            "unused: CHANGELOG.md:4 under [Unreleased] Breaking names no breaking change from \
             1.0: `Place.name` is now optional"
        ),
        "{report}"
    );
}

#[test]
fn dangerous_changes_are_reported_but_pass() {
    let current = edited(&[("  MUSEUM\n", "  MUSEUM\n  THEATRE\n")]);
    let report = check(
        &version("1.0"),
        sdl("schema/releases/1.0.graphql", RELEASE),
        sdl("the current schema", &current),
        &Changelog::parse("CHANGELOG.md", ""),
    )
    .unwrap();
    assert!(report.passes());
    assert_eq!(report.dangerous().count(), 1);
    let printed = report.to_string();
    assert!(
        printed.contains("dangerous: PlaceKind.THEATRE: enum value added"),
        "{printed}"
    );
    assert!(
        printed.ends_with("No breaking change from release 1.0.\n"),
        "{printed}"
    );
}
