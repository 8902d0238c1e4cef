//! The API's error type: a 4xx says what the client can fix; a 5xx logs the
//! cause and returns a generic body.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use envmon_core::db::DbError;
use serde_json::json;

/// An API failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// A path or query parameter is invalid.
    #[error("{0}")]
    BadRequest(String),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The service cannot take the request now.
    #[error("{0}")]
    Unavailable(&'static str),
    /// Too many requests (from this address, for this name, in flight):
    /// the one way to answer 429, always with `Retry-After` in seconds.
    /// Build it with [`ApiError::rate_limited`].
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// No valid session or token.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed: (code, message).
    #[error("{1}")]
    Forbidden(&'static str, String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Something other than the database failed.
    #[error("internal failure: {0}")]
    Internal(String),
    /// The database failed.
    #[error("database failure")]
    Database(#[from] DbError),
}

impl ApiError {
    /// A 429 whose `Retry-After` is `retry_after` rounded up to whole
    /// seconds, at least one: a client told "0" would come straight back.
    pub(crate) fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Self {
        Self::RateLimited {
            message: message.into(),
            retry_after_secs: whole_seconds(retry_after),
        }
    }
}

/// A wait as `Retry-After` says it: whole seconds, rounded up, at least one.
pub(crate) fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// A pooled connection that could not be had is a database failure: the
/// handler says `pool.get().await?` and the cause keeps its chain.
impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DbError::from(error))
    }
}

/// A failed statement is a database failure, its chain kept.
impl From<tokio_postgres::Error> for ApiError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(DbError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(code, _) => (StatusCode::FORBIDDEN, *code),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Internal(error) => {
                tracing::error!(error = %error, "Request failed.");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            Self::Database(error) => {
                tracing::error!(error = %error, source = ?std::error::Error::source(error), "Request failed on the database.");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            Self::Database(_) | Self::Internal(_) => {
                "internal error; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if let Self::RateLimited {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
