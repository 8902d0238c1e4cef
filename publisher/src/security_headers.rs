//! The headers that keep the page from being turned against its visitors,
//! on every response that does not set its own:
//!
//! - `Content-Security-Policy`: scripts, styles, fonts and connections only
//!   from this origin (and the live WebSocket on it), images from here or
//!   `data:` (and, only when `[publisher.basemap]` is set, from the tile
//!   server's origin), no inline script, no `eval`, no plugins, no `<base>`, forms
//!   only to here, and `frame-ancestors 'none'`: no other page may frame
//!   ours (clickjacking an approve button is the attack). A link such as
//!   `javascript:...` in a notice then runs nothing.
//! - `X-Frame-Options: DENY`, the same rule for browsers without CSP 2.
//! - `X-Content-Type-Options: nosniff`: a JSON or CSV answer holding
//!   someone's text is never run as a script or shown as a page.
//! - `Referrer-Policy: same-origin`: addresses of our pages go nowhere else.
//!
//! Responses that are meant to be framed set their own policy and are left
//! alone: the embed widget (`http::embed`, any site may frame it) and the
//! chart images (`http::charts`, which newsrooms put in their pages, and
//! which carry no action a frame could trick anyone into).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::settings::BasemapSettings;
use crate::site::Site;

/// The policy of the staff console: like the page's, without the live
/// WebSocket (the console's own stream is Server-Sent Events on its origin).
pub(crate) const CONSOLE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The header values, made once.
#[derive(Debug, Clone)]
pub(crate) struct SecurityHeaders {
    page_policy: HeaderValue,
}

impl SecurityHeaders {
    /// The policy for a site: the live WebSocket is on the public origin;
    /// a basemap's tiles are images from exactly its origin.
    pub(crate) fn new(site: &Site, basemap: Option<&BasemapSettings>) -> Self {
        let tiles = basemap
            .map(|b| format!(" {}", b.tiles.origin()))
            .unwrap_or_default();
        // 'self' covers ws(s) on the same host in CSP 3 browsers; the
        // explicit origin covers the rest.
        let policy = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; \
             font-src 'self'; connect-src 'self' {}; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
            site.public.websocket_origin()
        );
        Self {
            page_policy: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static(CONSOLE_POLICY)),
        }
    }

    /// Fills in what the response did not set itself.
    fn apply(&self, headers: &mut HeaderMap) {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(header::CONTENT_SECURITY_POLICY, self.page_policy.clone());
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        headers
            .entry(header::X_CONTENT_TYPE_OPTIONS)
            .or_insert(HeaderValue::from_static("nosniff"));
        headers
            .entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("same-origin"));
    }
}

/// The middleware.
pub(crate) async fn security_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    headers.apply(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_url::PublicUrl;

    fn site(url: &str) -> Site {
        Site {
            public: PublicUrl::parse(url).unwrap(),
            console: None,
        }
    }

    #[test]
    fn every_response_without_a_policy_of_its_own_gets_the_page_policy() {
        let headers = SecurityHeaders::new(&site("https://air.example.gov.cn"), None);
        let mut map = HeaderMap::new();
        headers.apply(&mut map);
        let policy = map[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'self'"));
        assert!(policy.contains("connect-src 'self' wss://air.example.gov.cn;"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("img-src 'self' data:;"));
        assert!(!policy.contains("unsafe"));
        assert_eq!(map[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(map[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(map[header::REFERRER_POLICY], "same-origin");
    }

    #[test]
    fn a_basemap_adds_exactly_its_origin_to_img_src() {
        let basemap = BasemapSettings {
            tiles: crate::settings::TileUrl::parse("https://tiles.example.gov.cn/{z}/{x}/{y}.png")
                .unwrap(),
            attribution: "Tiles: example".into(),
            max_zoom: 18,
        };
        let headers = SecurityHeaders::new(&site("https://air.example.gov.cn"), Some(&basemap));
        let mut map = HeaderMap::new();
        headers.apply(&mut map);
        let policy = map[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            policy.contains("img-src 'self' data: https://tiles.example.gov.cn;"),
            "{policy}"
        );
        assert!(policy.contains("connect-src 'self' wss://air.example.gov.cn;"));
    }

    #[test]
    fn a_response_with_its_own_policy_keeps_it_and_may_be_framed() {
        let headers = SecurityHeaders::new(&site("http://127.0.0.1:8080"), None);
        let mut map = HeaderMap::new();
        map.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        map.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.apply(&mut map);
        assert_eq!(map[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
        assert!(!map.contains_key(header::X_FRAME_OPTIONS));
        assert_eq!(map[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(map[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
