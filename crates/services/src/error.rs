//! The errors of services: each carries a stable code that clients read (the GraphQL
//! layer puts it in `extensions.code`; the command line prints it), a message meant for the
//! person who asked, and, for input, every field that failed its check. Storage's detail
//! goes to the log, never into the message.
//!
//! [`ServiceError`] deliberately has no `Display`: async-graphql turns any `Display` error
//! into a GraphQL error without a code, so the api crate converts it explicitly instead.

use capitole_domain::community::Refusal;
use capitole_domain::editorial::{FieldError, FieldErrors};
use capitole_persistence::{ActivityError, StorageError};

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
    /// A change log cursor is older than the log's retention: read everything again,
    /// then follow the log from a new cursor.
    CursorExpired,
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
            ErrorCode::CursorExpired => "CURSOR_EXPIRED",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// Why a service refused or failed.
#[derive(Debug)]
pub struct ServiceError {
    code: ErrorCode,
    message: String,
    fields: Vec<FieldError>,
}

impl ServiceError {
    /// An error with a message meant for the caller.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Bad input, explained.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }

    /// Nothing has this id (or the caller may not know that it exists).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// Input whose fields failed their checks: every failed field is named.
    pub fn fields(errors: FieldErrors) -> Self {
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

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message meant for the caller.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The fields that failed their checks, if the input was wrong.
    pub fn failed_fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// The code, the message and the failed fields, for the layer that reports them.
    pub fn into_parts(self) -> (ErrorCode, String, Vec<FieldError>) {
        (self.code, self.message, self.fields)
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::fields(errors)
    }
}

/// The message of every error whose cause is the database not answering (down, or
/// every pooled connection busy past the acquire timeout): a client may try again shortly.
pub const DATABASE_UNAVAILABLE: &str = "the service is busy or unavailable; try again shortly";

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        ServiceError::from(&error)
    }
}

impl From<&StorageError> for ServiceError {
    fn from(error: &StorageError) -> Self {
        match error {
            StorageError::Conflict { field } => {
                ServiceError::new(ErrorCode::Conflict, format!("{field} is already taken"))
            }
            StorageError::NotFound => ServiceError::new(ErrorCode::NotFound, "nothing has this id"),
            StorageError::Stale { expected, current } => ServiceError::new(
                ErrorCode::Conflict,
                format!(
                    "this was changed by someone else since version {expected}; it is now at version {current}: reload it and apply your change again"
                ),
            ),
            StorageError::BadCursor => ServiceError::bad_input(
                "the cursor (`after` or `before`) is not a cursor of this list",
            ),
            StorageError::CursorExpired => ServiceError::new(
                ErrorCode::CursorExpired,
                "this cursor is older than the change log keeps; read everything again, then follow the log from `changeCursor`",
            ),
            StorageError::BadRequest(message) => ServiceError::bad_input(message.clone()),
            StorageError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ServiceError::new(ErrorCode::ServiceUnavailable, DATABASE_UNAVAILABLE)
            }
            StorageError::Internal(source) => {
                tracing::error!(error = %source, "storage failure");
                ServiceError::new(
                    ErrorCode::Internal,
                    "internal error; the request id in the response headers identifies it",
                )
            }
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        let code = match refusal {
            Refusal::TooSoon { .. } | Refusal::DailyLimit(_) => ErrorCode::RateLimited,
            Refusal::KeyReused => ErrorCode::Conflict,
            Refusal::UnknownPlace
            | Refusal::UnknownTip
            | Refusal::UnknownDate
            | Refusal::NothingReadable => ErrorCode::NotFound,
        };
        ServiceError::new(code, refusal.to_string())
    }
}

impl From<ActivityError> for ServiceError {
    fn from(error: ActivityError) -> Self {
        match error {
            ActivityError::Refused(refusal) => refusal.into(),
            ActivityError::Storage(storage) => storage.into(),
        }
    }
}
