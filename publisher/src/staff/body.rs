//! A JSON body extractor whose refusals are the API's own JSON errors,
//! naming what was wrong, instead of axum's plain-text rejections.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest staff request body: notices are a few kilobytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// A deserialised JSON request body.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::BadRequest(
                "body: Content-Type must be application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("body: {e}")))?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::BadRequest(format!(
                "body: larger than {MAX_BODY_BYTES} bytes"
            )));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("body: {e}")))
    }
}
