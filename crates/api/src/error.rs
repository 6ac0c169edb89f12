//! The one error type of the API: every error a client sees carries a stable
//! `extensions.code`, and internal detail goes to the log under the request id instead of
//! into the response.

use async_graphql::ErrorExtensions;
use capitole_persistence::StorageError;

pub use capitole_services::ErrorCode;

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
        ApiError::from(capitole_services::ServiceError::fields(errors))
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
        ApiError::from(capitole_services::ServiceError::from(error))
    }
}

impl From<capitole_services::ServiceError> for ApiError {
    fn from(error: capitole_services::ServiceError) -> Self {
        let (code, message, fields) = error.into_parts();
        Self {
            code,
            message,
            fields,
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
