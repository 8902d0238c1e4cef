//! `ApiQuery<T>`: axum's `Query`, but a malformed query string is answered
//! with the API's JSON 400 (naming the parameter, as serde does: "unknown
//! field `fromm`", "limit: invalid digit found in string"), not plain text.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The deserialized query string.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!(
                "query string: {}",
                rejection
                    .body_text()
                    .trim_start_matches("Failed to deserialize query string: ")
            ))),
        }
    }
}
