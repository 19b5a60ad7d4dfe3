//! The one error type services return, and its stable client codes.
//!
//! Resolvers return [`AppError`] through `?`; async-graphql keeps it as the
//! error's source, and the HTTP layer ([`crate::http::graphql`]) turns it into
//! `extensions.code` (plus `field` or `requestId`). Database and unexpected
//! errors are logged there with the request id and never shown to clients.

use sea_orm::{DbErr, SqlErr};

/// Stable `extensions.code` values (see the API conventions).
pub mod code {
    /// No valid credentials.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// Authenticated but not allowed.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// Missing, or another brand's.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// Invalid argument; `extensions.field` names it.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// Unique value taken, or stale version.
    pub const CONFLICT: &str = "CONFLICT";
    /// Too many requests.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The request or a statement took too long.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// A dependency is down; retry later.
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    /// A bug or unexpected failure; `extensions.requestId` finds it in the logs.
    pub const INTERNAL: &str = "INTERNAL";
    /// The document is not valid GraphQL syntax.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not fit the schema or the limits.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The request body is over the limit.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// A persisted query's hash is not known here: send the document with it.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The server runs only the documents on its allow-list.
    pub const DOCUMENT_NOT_ALLOWED: &str = "DOCUMENT_NOT_ALLOWED";
}

/// What can go wrong in a service call, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// `UNAUTHENTICATED`: no or invalid credentials; the text says which
    /// situation without saying which part was wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// `FORBIDDEN`: the caller's role or scopes do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// `NOT_FOUND`: no such object in the caller's scope.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// `BAD_USER_INPUT`: `field` names the offending argument or input field.
    #[error("{message}")]
    BadUserInput {
        /// Input field path, e.g. `input.slug`.
        field: String,
        /// What is wrong, in plain words.
        message: String,
    },
    /// `CONFLICT`: a unique value is taken or the version is stale.
    #[error("{0}")]
    Conflict(String),
    /// `RATE_LIMITED`: retry after the given number of seconds.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// `TIMEOUT`: the request or a statement took too long.
    #[error("the request took too long")]
    Timeout,
    /// `SERVICE_UNAVAILABLE`: the database is unreachable.
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable,
    /// `INTERNAL`: logged in full, shown only as a request id.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// Shorthand for a `BAD_USER_INPUT` error.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable code clients see.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::BadUserInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict(_) => code::CONFLICT,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::Timeout => code::TIMEOUT,
            Self::Unavailable => code::SERVICE_UNAVAILABLE,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// Maps a database error, turning unique violations into `CONFLICT` with
    /// the given message.
    pub fn from_db_unique(err: DbErr, conflict: impl FnOnce() -> String) -> Self {
        if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Self::Conflict(conflict());
        }
        err.into()
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable,
            _ if is_connection_lost(&err) => Self::Unavailable,
            _ if is_statement_timeout(&err) => Self::Timeout,
            _ => Self::Internal(err.into()),
        }
    }
}

/// The driver's error behind a failed statement, if any.
fn driver_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// PostgreSQL cancels a statement over `statement_timeout` with SQLSTATE 57014.
fn is_statement_timeout(err: &DbErr) -> bool {
    let Some(e) = driver_error(err) else {
        return false;
    };
    if let Some(db) = e.as_database_error() {
        return db.code().as_deref() == Some("57014");
    }
    matches!(e, sea_orm::sqlx::Error::PoolTimedOut)
}

/// The database went away under a statement: its connection was cut (a
/// restart, a failover, a proxy ending idle sessions) or the server is
/// shutting down. Transient, so the caller is told to retry
/// (`SERVICE_UNAVAILABLE`) rather than shown an internal error; the pool
/// replaces the connection.
fn is_connection_lost(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    match driver_error(err) {
        Some(Error::Io(_) | Error::PoolClosed | Error::WorkerCrashed) => true,
        // Class 08 (connection exception); 57P01-57P03: the server is
        // shutting down or not accepting connections yet.
        Some(Error::Database(db)) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Result of a service call.
pub type AppResult<T> = Result<T, AppError>;
