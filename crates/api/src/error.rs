//! The one error type of the API: every error a client sees carries a stable
//! `extensions.code`, and internal detail goes to the log under the request id instead of
//! into the response.

use async_graphql::ErrorExtensions;
use capitole_persistence::StorageError;

/// The stable codes of `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request's input is wrong; the message says how.
    BadUserInput,
    /// Credentials are needed.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// Nothing has that id or slug.
    NotFound,
    /// A unique value is taken or a version is stale.
    Conflict,
    /// The caller's budget is spent.
    RateLimited,
    /// The query is too big or too deep.
    QueryTooComplex,
    /// A dependency (the database) is unavailable; retry later.
    ServiceUnavailable,
    /// A fault on our side; the log has the detail.
    Internal,
}

impl ErrorCode {
    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    fields: Vec<capitole_domain::editorial::FieldError>,
}

impl ApiError {
    /// A client error with a message meant for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Input whose fields failed their checks: every failed field is named in
    /// `extensions.fields`.
    pub fn fields(errors: capitole_domain::editorial::FieldErrors) -> Self {
        let count = errors.fields().len();
        Self {
            code: ErrorCode::BadUserInput,
            message: format!(
                "{count} field{} failed {}: {errors}",
                if count == 1 { "" } else { "s" },
                if count == 1 {
                    "its check"
                } else {
                    "their checks"
                }
            ),
            fields: errors.fields().to_vec(),
        }
    }

    /// The message meant for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Bad input, explained.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        ApiError::from(&error)
    }
}

impl From<std::sync::Arc<StorageError>> for ApiError {
    fn from(error: std::sync::Arc<StorageError>) -> Self {
        ApiError::from(error.as_ref())
    }
}

impl From<&StorageError> for ApiError {
    fn from(error: &StorageError) -> Self {
        match error {
            StorageError::Conflict { field } => {
                ApiError::new(ErrorCode::Conflict, format!("{field} is already taken"))
            }
            StorageError::NotFound => ApiError::new(ErrorCode::NotFound, "nothing has this id"),
            StorageError::Stale { expected, current } => ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "this was changed by someone else since version {expected}; it is now at version {current}: reload it and apply your change again"
                ),
            ),
            StorageError::BadCursor => ApiError::bad_input("`after` is not a cursor of this list"),
            StorageError::BadRequest(message) => ApiError::bad_input(message.clone()),
            StorageError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the service is busy or unavailable; try again shortly",
                )
            }
            StorageError::Internal(source) => {
                tracing::error!(error = %source, "storage failure");
                ApiError::new(
                    ErrorCode::Internal,
                    "internal error; the request id in the response headers identifies it",
                )
            }
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let fields = error.fields;
        async_graphql::Error::new(error.message).extend_with(|_, e| {
            e.set("code", error.code.as_str());
            if !fields.is_empty() {
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut entry = async_graphql::indexmap::IndexMap::new();
                        entry.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(f.field.as_str()),
                        );
                        entry.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(f.message.as_str()),
                        );
                        async_graphql::Value::Object(entry)
                    })
                    .collect();
                e.set("fields", async_graphql::Value::List(list));
            }
        })
    }
}

/// Converts any error the API can meet into the error a client sees.
pub(crate) fn to_gql(error: impl Into<ApiError>) -> async_graphql::Error {
    error.into().into()
}

/// Results of resolvers.
pub(crate) type ApiResult<T> = Result<T, async_graphql::Error>;
