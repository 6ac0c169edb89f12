//! The limits and the cost of queries, measured on documents like the ones clients send.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::error::ErrorCode;
use crate::schema::analyzer;

fn analyse(
    limits: QueryLimits,
    query: &str,
    variables: serde_json::Value,
) -> Result<Analysis, Violation> {
    let document = async_graphql::parser::parse_query(query).unwrap();
    let variables = Variables::from_json(variables);
    analyzer(limits).analyse(&document, None, &variables)
}

fn cost(query: &str) -> Analysis {
    analyse(QueryLimits::default(), query, serde_json::json!({})).unwrap()
}

#[test]
fn a_single_page_costs_one_point() {
    let found = cost("{ places(first: 20) { nodes { name } } }");
    assert_eq!(found, Analysis { cost: 1, nodes: 20 });
    let found = cost("{ place(slug: \"capitole\") { name } }");
    assert_eq!(found, Analysis { cost: 1, nodes: 0 });
}

#[test]
fn nested_lists_cost_one_request_per_parent() {
    // 1 request for the places, 100 for their events (one per place), 100 × 10 for the
    // events' categories: 1,101 requests, 11 points.
    let found = cost(
        "{ places(first: 100) { nodes { upcomingEvents(first: 10) { title categories { name } } } } }",
    );
    assert_eq!(
        found,
        Analysis {
            cost: 11,
            nodes: 100 + 1_000 + 10_000
        }
    );
}

#[test]
fn sizes_come_from_variables_defaults_and_id_lists() {
    let query = "query($n: Int = 7) { events(first: $n) { nodes { title } } news { nodes { title } } nodes(ids: [\"a\", \"b\", \"c\"]) { id } }";
    let found = analyse(QueryLimits::default(), query, serde_json::json!({})).unwrap();
    assert_eq!(found.nodes, 7 + 20 + 3);
    let found = analyse(
        QueryLimits::default(),
        query,
        serde_json::json!({ "n": 50 }),
    )
    .unwrap();
    assert_eq!(found.nodes, 50 + 20 + 3);
}

#[test]
fn pages_out_of_range_are_left_to_the_field_that_refuses_them() {
    // Nested under a refused page, nothing runs either.
    for first in ["0", "-5", "101", "1000000", "2147483647"] {
        let found = cost(&format!(
            "{{ places(first: {first}) {{ nodes {{ tips(first: 100) {{ nodes {{ text }} }} }} }} }}"
        ));
        assert_eq!(found.nodes, 0, "first: {first}");
    }
    let query = "query($n: Int!) { events(first: 1) { nodes { occurrences(first: $n) { nodes { startsAt } } } } places(first: 100) { nodes { tips(first: $n) { nodes { text } } } } }";
    let found = analyse(
        QueryLimits::default(),
        query,
        serde_json::json!({ "n": 1_000_000 }),
    )
    .unwrap();
    assert_eq!(
        found,
        Analysis {
            cost: 1,
            nodes: 1 + 100
        }
    );
    // In range, the page counts in full.
    let found = analyse(
        QueryLimits::default(),
        query,
        serde_json::json!({ "n": 100 }),
    )
    .unwrap();
    assert_eq!(found.nodes, 1 + 100 + 100 + 100 * 100);
}

#[test]
fn depth_is_counted_through_fragments() {
    let deep = "{ places(first: 1) { nodes { ...a } } } fragment a on Place { upcomingEvents { venue { upcomingEvents { venue { upcomingEvents { venue { upcomingEvents { venue { upcomingEvents { venue { name } } } } } } } } } } }";
    let limits = QueryLimits {
        max_nodes: u64::MAX,
        max_cost: u64::MAX,
        ..QueryLimits::default()
    };
    let error = analyse(limits, deep, serde_json::json!({})).unwrap_err();
    assert_eq!(
        error.message(),
        "the query is 13 levels deep; the limit is 12"
    );
    assert_eq!(error.code(), ErrorCode::QueryTooComplex);
}

#[test]
fn fragment_bombs_stop_at_the_field_cap() {
    let mut query = String::from("{ ...f0 }\nfragment f9 on Query { organizations { name } }\n");
    for i in 0..9 {
        let next = i + 1;
        query.push_str(&format!(
            "fragment f{i} on Query {{ ...f{next} ...f{next} ...f{next} ...f{next} }}\n"
        ));
    }
    let error = analyse(QueryLimits::default(), &query, serde_json::json!({})).unwrap_err();
    assert_eq!(error.limit(), "fields");
}

#[test]
fn fragment_cycles_end_the_walk() {
    let query =
        "{ ...a } fragment a on Query { organizations { name } ...b } fragment b on Query { ...a }";
    assert!(analyse(QueryLimits::default(), query, serde_json::json!({})).is_ok());
}

#[test]
fn long_lists_are_refused_in_literals_and_variables() {
    let ids: Vec<String> = (0..101).map(|i| format!("\"{i}\"")).collect();
    let literal = format!("{{ nodes(ids: [{}]) {{ id }} }}", ids.join(","));
    let error = analyse(QueryLimits::default(), &literal, serde_json::json!({})).unwrap_err();
    assert_eq!(
        error.message(),
        "the argument `ids` has 101 items; the limit is 100"
    );
    assert_eq!(error.code(), ErrorCode::BadUserInput);
    let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let error = analyse(
        QueryLimits::default(),
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        serde_json::json!({ "ids": ids }),
    )
    .unwrap_err();
    assert_eq!(error.message(), "`$ids` has 101 items; the limit is 100");
}

#[test]
fn aliases_root_fields_and_directives_are_counted() {
    let aliases: Vec<String> = (0..31)
        .map(|i| format!("a{i}: organizations {{ name }}"))
        .collect();
    let error = analyse(
        QueryLimits {
            max_root_fields: 100,
            ..QueryLimits::default()
        },
        &format!("{{ {} }}", aliases.join(" ")),
        serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        error.message(),
        "the query uses 31 aliases; the limit is 30"
    );
    let roots: Vec<String> = (0..21)
        .map(|_| "organizations { name }".to_owned())
        .collect();
    let error = analyse(
        QueryLimits::default(),
        &format!("{{ {} }}", roots.join(" ")),
        serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        error.message(),
        "the operation asks for 21 root fields; the limit is 20"
    );
    let error = analyse(
        QueryLimits::default(),
        "{ organizations @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { name } }",
        serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(error.limit(), "directives");
}

#[test]
fn introspection_has_its_own_depth() {
    let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";
    let query =
        format!("{{ __schema {{ types {{ fields {{ args {{ type {{ {type_ref} }} }} }} }} }} }}");
    assert!(analyse(QueryLimits::default(), &query, serde_json::json!({})).is_ok());
    let error = analyse(
        QueryLimits {
            max_introspection_depth: 14,
            ..QueryLimits::default()
        },
        &query,
        serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        error.message(),
        "the introspection query is 15 levels deep; the limit is 14"
    );
}

#[test]
fn too_many_nodes_are_refused() {
    let error = cost_error(
        "{ places(first: 100) { nodes { upcomingEvents(first: 100) { occurrences(first: 100) { nodes { startsAt } } } } } }",
    );
    assert_eq!(error.limit(), "nodes");
}

#[test]
fn credential_mutations_run_one_per_request_and_cost_their_hash() {
    let login =
        cost("mutation { login(email: \"a@b.fr\", password: \"x\") { session { accessToken } } }");
    assert_eq!(login.cost, 1 + CREDENTIAL_COST);
    let refresh =
        cost("mutation { refreshSession(refreshToken: \"rt_x\") { session { accessToken } } }");
    assert_eq!(refresh.cost, 1);
    let aliased: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "r{i}: login(email: \"a@b.fr\", password: \"x\") {{ session {{ accessToken }} }}"
            )
        })
        .collect();
    let error = cost_error(&format!("mutation {{ {} }}", aliased.join(" ")));
    assert_eq!(error.code(), ErrorCode::BadUserInput);
    assert_eq!(error.limit(), "credential_mutations");
    assert!(
        error
            .message()
            .starts_with("the operation runs 20 of register, login")
    );
    let mixed = cost_error(
        "mutation { logout { sessionsClosed } register(input: { email: \"a@b.fr\", password: \"x\", displayName: \"A\" }) { email } changePassword(currentPassword: \"x\", newPassword: \"y\") { session { accessToken } } }",
    );
    assert_eq!(mixed.limit(), "credential_mutations");
    // A query may name a field `login` without being a sign-in.
    assert!(
        analyse(
            QueryLimits::default(),
            "{ a: organizations { name } b: organizations { name } }",
            serde_json::json!({})
        )
        .is_ok()
    );
}

#[test]
fn every_credential_mutation_exists_in_the_schema() {
    let schema = crate::schema::build_schema();
    let sdl = schema.sdl();
    let mutation = sdl
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap();
    for (name, _) in CREDENTIAL_MUTATIONS {
        assert!(mutation.contains(&format!("\t{name}(")), "{name}");
    }
}

fn cost_error(query: &str) -> Violation {
    analyse(QueryLimits::default(), query, serde_json::json!({})).unwrap_err()
}
