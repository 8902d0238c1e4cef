//! The WebSocket opening handshake (RFC 6455 §4.2), answered here rather
//! than by axum so the server keeps the raw connection: it writes its own
//! frames (the same bytes for every client, see `frame`), and tungstenite
//! only reads what the client sends.

use std::future::Future;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::error::ApiError;

/// The upgraded connection.
pub(crate) type Connection = TokioIo<Upgraded>;

/// A valid request to open a WebSocket.
pub(crate) struct Handshake {
    accept: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl Handshake {
    /// Reads the handshake from `request`.
    ///
    /// # Errors
    /// A 400 naming the header that is missing or wrong.
    pub(crate) fn read(request: &mut Request) -> Result<Self, ApiError> {
        let headers = request.headers();
        if !has_token(headers, header::UPGRADE, "websocket") {
            return Err(bad("header `Upgrade` must be `websocket`"));
        }
        if !has_token(headers, header::CONNECTION, "upgrade") {
            return Err(bad("header `Connection` must include `Upgrade`"));
        }
        if headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(bad("header `Sec-WebSocket-Version` must be 13"));
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(bad("header `Sec-WebSocket-Key` is missing"));
        };
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| bad("header `Sec-WebSocket-Key` is malformed"))?;
        let on_upgrade = request
            .extensions_mut()
            .remove::<OnUpgrade>()
            .ok_or_else(|| bad("this connection cannot be upgraded"))?;
        Ok(Self { accept, on_upgrade })
    }

    /// Answers 101 and runs `serve` on the connection once it is upgraded.
    pub(crate) fn accept<F, Fut>(self, serve: F) -> Response
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => serve(TokioIo::new(upgraded)).await,
                Err(error) => tracing::debug!(error = %error, "WebSocket upgrade failed."),
            }
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, self.accept);
        response
    }
}

/// Whether the comma-separated header `name` holds `token` (any case).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn bad(message: &str) -> ApiError {
    ApiError::BadRequest(format!("not a WebSocket handshake: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/api/v1/live");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    const VALID: [(&str, &str); 4] = [
        ("upgrade", "websocket"),
        ("connection", "keep-alive, Upgrade"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn a_wrong_or_missing_header_is_named() {
        for (skip, named) in [
            (0, "`Upgrade`"),
            (1, "`Connection`"),
            (2, "`Sec-WebSocket-Version`"),
            (3, "`Sec-WebSocket-Key`"),
        ] {
            let headers: Vec<_> = VALID
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, h)| *h)
                .collect();
            let error = Handshake::read(&mut request(&headers)).err().unwrap();
            assert!(error.to_string().contains(named), "{error}");
        }
    }

    #[test]
    fn a_valid_handshake_needs_a_connection_that_can_upgrade() {
        // Built by hand, the request has no upgrade handle: the headers
        // passed, and only the connection is refused.
        let error = Handshake::read(&mut request(&VALID)).err().unwrap();
        assert!(error.to_string().contains("cannot be upgraded"), "{error}");
    }
}
