//! What the event and place mutations share: the services they call, the look-up of the
//! names an input uses, the merging of the input's own errors with the domain's, and what
//! an upsert did.

use async_graphql::{Enum, MaybeUndefined};
use capitole_domain::agenda::{Names, References};
use capitole_domain::editorial::FieldErrors;
use capitole_persistence::Outcome;
use capitole_services::references::references as look_up;

use crate::context::RequestScope;
use crate::error::{ApiError, ApiResult, to_gql};

/// What an upsert did.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub(crate) enum UpsertOutcome {
    /// A new item was made.
    Created,
    /// The existing item changed (its version went up).
    Updated,
    /// The item was already so: nothing was written.
    Unchanged,
    /// Only validated; nothing was written.
    Validated,
}

impl From<Outcome> for UpsertOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Created => UpsertOutcome::Created,
            Outcome::Updated => UpsertOutcome::Updated,
            Outcome::Unchanged => UpsertOutcome::Unchanged,
        }
    }
}

/// What the names an input uses refer to, for the caller (who must publish).
pub(crate) async fn references(scope: &RequestScope, names: &Names) -> ApiResult<References> {
    look_up(&scope.services(), &scope.principal, names)
        .await
        .map_err(to_gql)
}

/// The refusal of an input whose fields failed their checks.
pub(crate) fn refuse(errors: FieldErrors) -> async_graphql::Error {
    to_gql(ApiError::fields(errors))
}

/// Both values, or every field that failed in either (`first`'s first).
pub(crate) fn both<A, B>(
    first: Result<A, FieldErrors>,
    second: Result<B, FieldErrors>,
) -> Result<(A, B), FieldErrors> {
    match (first, second) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => Err(errors),
        (Err(mut errors), Err(more)) => {
            for e in more.fields() {
                errors.add(e.field.clone(), e.message.clone());
            }
            Err(errors)
        }
    }
}

/// `parsed`, unless it or the reading of the input (`errors`: ids that are not ids of this
/// service) failed; then every failed field, refused.
pub(crate) fn checked<T>(parsed: Result<T, FieldErrors>, errors: FieldErrors) -> ApiResult<T> {
    both(parsed, errors.into_result(()))
        .map(|(value, ())| value)
        .map_err(refuse)
}

/// An optional field of a patch: absent keeps, `null` clears.
pub(crate) fn clearable<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
