//! Which origin serves what: the public site at `[publisher] public_url`,
//! and the staff console at `[publisher.staff] console_origin` when one is
//! set.
//!
//! A console on its own host name shares nothing with the public page: a
//! script that ever ran on the public origin (a forged notice's link, a
//! flaw in the page) could not read or send the staff session cookie,
//! since cookies and same-origin reads are bound to the host. So when the
//! console has its own origin, the public host answers 404 for `/staff/`
//! and `/api/v1/staff/`, and the console's host serves nothing else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::Settings;
use crate::error::ApiError;
use crate::public_url::{PublicUrl, split_port};

/// The resolved origins.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// `public_url`, or `http://{bound address}` on loopback.
    pub(crate) public: PublicUrl,
    /// The staff console's own origin, if it has one.
    pub(crate) console: Option<PublicUrl>,
}

impl Site {
    /// Refuses settings that would make the publisher build links from
    /// requests or share a host between the public page and the console.
    /// Runs before anything is bound.
    ///
    /// # Errors
    /// A message naming the setting to fix.
    pub(crate) fn check(settings: &Settings) -> Result<(), String> {
        if settings.public_url.is_none() && !settings.listen.ip().is_loopback() {
            return Err(format!(
                "[publisher] public_url is required when the publisher listens on {} (not loopback): \
                 links, the page's Content-Security-Policy and the staff Origin check are built from it, \
                 never from a request's Host header; e.g. public_url = \"https://air.example.gov.cn\" \
                 (ENVMON__PUBLISHER__PUBLIC_URL)",
                settings.listen
            ));
        }
        if let (Some(console), Some(public)) =
            (&settings.staff.console_origin, &settings.public_url)
            && console.host() == public.host()
        {
            return Err(format!(
                "[publisher.staff] console_origin {console} must have a host name of its own, not \
                 the public site's ({public}): cookies and scripts are shared across the ports of a host"
            ));
        }
        Ok(())
    }

    /// The origins for a publisher bound to `addr`.
    pub(crate) fn resolve(settings: &Settings, addr: SocketAddr) -> Self {
        Self {
            public: settings
                .public_url
                .clone()
                .unwrap_or_else(|| PublicUrl::from_addr(addr)),
            console: settings.staff.console_origin.clone(),
        }
    }

    /// The public base URL: links are this plus a path.
    pub(crate) fn base(&self) -> String {
        self.public.origin()
    }

    /// The origin staff use: the console's own, else the public one.
    pub(crate) fn staff_origin(&self) -> &PublicUrl {
        self.console.as_ref().unwrap_or(&self.public)
    }

    /// Staff cookies are `Secure` (and `__Host-` prefixed) whenever staff
    /// reach the console over https.
    pub(crate) fn secure_staff_cookies(&self) -> bool {
        self.staff_origin().is_https()
    }
}

/// Whether `path` belongs to the staff console or its API.
pub(crate) fn is_staff_path(path: &str) -> bool {
    path == "/staff" || path.starts_with("/staff/") || path.starts_with("/api/v1/staff/")
}

/// The host a request was sent to (without port), lowercased.
fn request_host(request: &Request) -> Option<String> {
    if let Some(host) = request.uri().host() {
        return Some(host.to_ascii_lowercase());
    }
    let value = request.headers().get(header::HOST)?.to_str().ok()?;
    split_port(value).map(|(host, _)| host.to_ascii_lowercase())
}

/// The middleware: keeps the console and the public site apart when the
/// console has an origin of its own.
pub(crate) async fn separate_console(
    State(site): State<Arc<Site>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(console) = &site.console else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    let staff = is_staff_path(path);
    let on_console = request_host(&request).is_some_and(|host| host == console.host());
    let health = path == "/healthz" || path == "/readyz";
    if on_console && path == "/" {
        return Redirect::to("/staff/").into_response();
    }
    if staff == on_console || (on_console && health) {
        next.run(request).await
    } else {
        ApiError::NotFound("no such route".into()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_paths_are_the_console_and_its_api() {
        for path in [
            "/staff",
            "/staff/",
            "/staff/staff.js",
            "/api/v1/staff/login",
        ] {
            assert!(is_staff_path(path), "{path}");
        }
        for path in ["/", "/staffing", "/api/v1/stations", "/api/v1/staffx"] {
            assert!(!is_staff_path(path), "{path}");
        }
    }

    #[test]
    fn a_public_url_is_required_off_loopback_and_the_console_needs_its_own_host() {
        let mut settings = Settings {
            listen: "0.0.0.0:8080".parse().unwrap(),
            ..Settings::default()
        };
        let error = Site::check(&settings).unwrap_err();
        assert!(error.contains("public_url is required"), "{error}");
        settings.public_url = Some(PublicUrl::parse("https://air.example.gov.cn").unwrap());
        assert!(Site::check(&settings).is_ok());
        settings.staff.console_origin =
            Some(PublicUrl::parse("https://air.example.gov.cn:8443").unwrap());
        assert!(Site::check(&settings).is_err());
        settings.staff.console_origin =
            Some(PublicUrl::parse("https://staff.air.example.gov.cn").unwrap());
        assert!(Site::check(&settings).is_ok());
        let loopback = Settings::default();
        assert!(Site::check(&loopback).is_ok());
        let site = Site::resolve(&loopback, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(site.base(), "http://127.0.0.1:8080");
        assert!(!site.secure_staff_cookies());
    }
}
