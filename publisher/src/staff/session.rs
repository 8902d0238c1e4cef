//! Who is asking: the session cookie or an API token, and the Origin check
//! that every state-changing request passes before anything else.
//!
//! Cookies are HttpOnly (no script reads them), SameSite=Strict (no other
//! site's page sends them) and Secure when `secure_cookies` is set. On top
//! of SameSite, a state-changing request must carry an `Origin` that is this
//! site or an allowed one: the defence against cross-site request forgery
//! that does not depend on the browser's cookie policy. Requests with an API
//! token (`Authorization: Bearer`) carry no ambient credential, so they are
//! not checked for Origin.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use envmon_core::db::DbError;

use super::settings::StaffSettings;
use super::tokens::token_hash;
use super::users::{StaffUser, load_user};
use crate::http::{ApiError, AppState};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "envmon_staff";

const SESSION_USER: &str = "SELECT u.id, u.username, u.role FROM staff_session s
    JOIN staff_user u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled";

const TOKEN_USER: &str = "SELECT u.id, u.username, u.role FROM api_token t
    JOIN staff_user u ON u.id = t.user_id
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled";

/// Whether `method` changes state (and so needs the Origin check).
pub(crate) fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a request whose `Origin` is missing or foreign.
pub(crate) fn check_origin(headers: &HeaderMap, settings: &StaffSettings) -> Result<(), ApiError> {
    let refuse = |why: &str| ApiError::Forbidden("origin", why.to_owned());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("state-changing requests must carry an Origin header"))?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let scheme = if settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    let own = host.is_some_and(|host| origin == format!("{scheme}://{host}"));
    if own || settings.allowed_origins.iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(refuse("the request's Origin is not this site"))
    }
}

/// The value of cookie `name`, if sent.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The `Set-Cookie` value that starts a session.
pub(crate) fn session_cookie(token: &str, settings: &StaffSettings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        settings.session_ttl.as_secs()
    )
}

/// The `Set-Cookie` value that ends one.
pub(crate) fn clear_cookie(settings: &StaffSettings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let settings = &app.settings.staff;
        let (sql, token) = if let Some(token) = bearer(&parts.headers) {
            (TOKEN_USER, token)
        } else if let Some(token) = cookie(&parts.headers, COOKIE) {
            if changes_state(&parts.method) {
                check_origin(&parts.headers, settings)?;
            }
            (SESSION_USER, token)
        } else {
            return Err(ApiError::Unauthorized("sign in first".into()));
        };
        let client = app.pool.get().await.map_err(DbError::from)?;
        load_user(&client, sql, &token_hash(token))
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the session or token is not valid".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("staff.local:8080"));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn only_this_site_or_an_allowed_origin_passes() {
        let mut settings = StaffSettings::default();
        assert!(check_origin(&headers(Some("http://staff.local:8080")), &settings).is_ok());
        assert!(check_origin(&headers(Some("http://evil.example")), &settings).is_err());
        assert!(check_origin(&headers(Some("null")), &settings).is_err());
        assert!(check_origin(&headers(None), &settings).is_err());
        settings.secure_cookies = true;
        assert!(check_origin(&headers(Some("http://staff.local:8080")), &settings).is_err());
        settings.allowed_origins = vec!["https://envmon.example.org".into()];
        assert!(check_origin(&headers(Some("https://envmon.example.org")), &settings).is_ok());
    }

    #[test]
    fn cookies_are_strict_http_only_and_secure_when_set() {
        let mut settings = StaffSettings::default();
        let plain = session_cookie("abc", &settings);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        settings.secure_cookies = true;
        assert!(session_cookie("abc", &settings).ends_with("; Secure"));
    }
}
