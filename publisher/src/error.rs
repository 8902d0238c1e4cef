//! The API's error type: a 4xx says what the client can fix; a 5xx logs the
//! cause and returns a generic body.

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
    /// This address sent too many requests; retry after so many seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
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
        if let Self::TooManyRequests { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}
