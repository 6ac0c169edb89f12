//! What a request that goes over a limit is told: which limit, by how much, and its code.

use super::credentials::CREDENTIAL_MUTATIONS;
use crate::error::ErrorCode;

/// A limit a request went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Violation {
    DocumentSize {
        bytes: usize,
        limit: usize,
    },
    Depth {
        depth: usize,
        limit: usize,
        capped: bool,
    },
    IntrospectionDepth {
        depth: usize,
        limit: usize,
        capped: bool,
    },
    Aliases {
        count: usize,
        limit: usize,
    },
    RootFields {
        count: usize,
        limit: usize,
    },
    Directives {
        count: usize,
        limit: usize,
    },
    ListLength {
        what: String,
        length: usize,
        limit: usize,
    },
    Fields {
        limit: usize,
    },
    Nodes {
        nodes: u64,
        limit: u64,
    },
    Cost {
        cost: u64,
        limit: u64,
    },
    CredentialMutations {
        count: usize,
    },
}

impl Violation {
    /// The limit's name, as metrics label it.
    pub(crate) fn limit(&self) -> &'static str {
        match self {
            Violation::DocumentSize { .. } => "document_size",
            Violation::Depth { .. } => "depth",
            Violation::IntrospectionDepth { .. } => "introspection_depth",
            Violation::Aliases { .. } => "aliases",
            Violation::RootFields { .. } => "root_fields",
            Violation::Directives { .. } => "directives",
            Violation::ListLength { .. } => "list_length",
            Violation::Fields { .. } => "fields",
            Violation::Nodes { .. } => "nodes",
            Violation::Cost { .. } => "cost",
            Violation::CredentialMutations { .. } => "credential_mutations",
        }
    }

    /// The error code a client sees.
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Violation::ListLength { .. } | Violation::CredentialMutations { .. } => {
                ErrorCode::BadUserInput
            }
            _ => ErrorCode::QueryTooComplex,
        }
    }

    /// What went over, by how much, and the limit.
    pub(crate) fn message(&self) -> String {
        let deep = |depth: usize, capped: bool| {
            if capped {
                format!("more than {depth} levels deep")
            } else {
                format!("{depth} levels deep")
            }
        };
        match self {
            Violation::DocumentSize { bytes, limit } => {
                format!("the query document is {bytes} bytes; the limit is {limit} bytes")
            }
            Violation::Depth {
                depth,
                limit,
                capped,
            } => format!(
                "the query is {}; the limit is {limit}",
                deep(*depth, *capped)
            ),
            Violation::IntrospectionDepth {
                depth,
                limit,
                capped,
            } => format!(
                "the introspection query is {}; the limit is {limit}",
                deep(*depth, *capped)
            ),
            Violation::Aliases { count, limit } => {
                format!("the query uses {count} aliases; the limit is {limit}")
            }
            Violation::RootFields { count, limit } => {
                format!("the operation asks for {count} root fields; the limit is {limit}")
            }
            Violation::Directives { count, limit } => {
                format!("a field carries {count} directives; the limit is {limit} per field")
            }
            Violation::ListLength {
                what,
                length,
                limit,
            } => format!("{what} has {length} items; the limit is {limit}"),
            Violation::Fields { limit } => format!(
                "the query expands to more than {limit} fields once its fragments are followed; the limit is {limit}"
            ),
            Violation::Nodes { nodes, limit } => format!(
                "the query may return {nodes} objects; the limit is {limit} (ask for smaller pages)"
            ),
            Violation::Cost { cost, limit } => {
                format!("the query costs {cost} points; the limit is {limit} per query")
            }
            Violation::CredentialMutations { count } => {
                let names: Vec<&str> = CREDENTIAL_MUTATIONS.iter().map(|(n, _)| *n).collect();
                format!(
                    "the operation runs {count} of {}; send at most one per request",
                    names.join(", ")
                )
            }
        }
    }
}
