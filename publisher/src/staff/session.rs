//! Who is asking: the session cookie or an API token, and the Origin check
//! that every state-changing request passes before anything else.
//!
//! Cookies are HttpOnly (no script reads them), SameSite=Strict (no other
//! site's page sends them), and over https `Secure` with the `__Host-`
//! prefix (which a browser only accepts from a secure origin, for the exact
//! host, path `/`, no `Domain`: no sibling subdomain can plant or shadow
//! it). On top of SameSite, a state-changing request must carry an `Origin`
//! that is the console's configured origin or an allowed one: the defence
//! against cross-site request forgery that does not depend on the browser's
//! cookie policy. Requests with an API token (`Authorization: Bearer`) carry
//! no ambient credential, so they are not checked for Origin.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use envmon_core::db::DbError;

use super::StaffState;
use super::tokens::token_hash;
use super::users::{Role, StaffUser, load_user};
use crate::error::ApiError;
use crate::settings::StaffSettings;
use crate::site::Site;

/// The session cookie's name (`__Host-` prefixed over https).
pub(crate) const COOKIE: &str = "envmon_staff";

const SESSION_USER: &str = "SELECT u.id, u.username, u.role FROM staff_session s
    JOIN staff_user u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled";

/// A token acts with its own role, and only while its owner's role still
/// covers it (see [`super::users::Role::covers`]).
const TOKEN_USER: &str = "SELECT u.id, u.username, u.role, t.role FROM api_token t
    JOIN staff_user u ON u.id = t.user_id
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
        AND NOT u.disabled";

/// Whether `method` changes state (and so needs the Origin check).
pub(crate) fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a request whose `Origin` is missing or foreign: the console's
/// configured origin (never the request's own `Host`) or an allowed one.
pub(crate) fn check_origin(
    headers: &HeaderMap,
    site: &Site,
    settings: &StaffSettings,
) -> Result<(), ApiError> {
    let refuse = |why: &str| ApiError::Forbidden("origin", why.to_owned());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("state-changing requests must carry an Origin header"))?;
    let own = origin.eq_ignore_ascii_case(&site.staff_origin().origin());
    if own || settings.allowed_origins.iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(refuse("the request's Origin is not this site"))
    }
}

/// The name of staff cookie `base`: `__Host-{base}` when `secure`.
pub(crate) fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// A `Set-Cookie` value for staff cookie `base` (an empty `value` with
/// `max_age` 0 removes it).
pub(crate) fn set_cookie(base: &str, value: &str, max_age: u64, secure: bool) -> String {
    let flag = if secure { "; Secure" } else { "" };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{flag}",
        cookie_name(base, secure)
    )
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
pub(crate) fn session_cookie(token: &str, site: &Site, settings: &StaffSettings) -> String {
    set_cookie(
        COOKIE,
        token,
        settings.session_ttl.as_secs(),
        site.secure_staff_cookies(),
    )
}

/// The `Set-Cookie` value that ends one.
pub(crate) fn clear_cookie(site: &Site) -> String {
    set_cookie(COOKIE, "", 0, site.secure_staff_cookies())
}

/// The session cookie's value, under the name this site uses.
pub(crate) fn session_token<'a>(headers: &'a HeaderMap, site: &Site) -> Option<&'a str> {
    cookie(headers, &cookie_name(COOKIE, site.secure_staff_cookies()))
}

impl FromRequestParts<StaffState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &StaffState) -> Result<Self, ApiError> {
        let settings = &app.settings.staff;
        let invalid = || ApiError::Unauthorized("the session or token is not valid".into());
        if let Some(token) = bearer(&parts.headers) {
            let client = app.pool.get().await?;
            return load_token_user(&client, &token_hash(token))
                .await?
                .ok_or_else(invalid);
        }
        let Some(token) = session_token(&parts.headers, &app.site) else {
            return Err(ApiError::Unauthorized("sign in first".into()));
        };
        if changes_state(&parts.method) {
            check_origin(&parts.headers, &app.site, settings)?;
        }
        let client = app.pool.get().await?;
        load_user(&client, SESSION_USER, &token_hash(token))
            .await?
            .ok_or_else(invalid)
    }
}

/// The user behind a token, acting with the token's role; `None` when the
/// token is unknown, expired, revoked, its owner disabled, or its role no
/// longer covered by its owner's.
async fn load_token_user(
    client: &impl deadpool_postgres::GenericClient,
    hash: &str,
) -> Result<Option<StaffUser>, DbError> {
    let Some(row) = client.query_opt(TOKEN_USER, &[&hash]).await? else {
        return Ok(None);
    };
    let owner = Role::parse(row.get(2)).ok();
    let token = Role::parse(row.get(3)).ok();
    Ok(match (owner, token) {
        (Some(owner), Some(token)) if owner.covers(token) => Some(StaffUser {
            id: row.get(0),
            username: row.get(1),
            role: token,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_url::PublicUrl;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        // The Host header is the request's to choose: it decides nothing.
        headers.insert(header::HOST, HeaderValue::from_static("evil.example"));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    fn site(public: &str, console: Option<&str>) -> Site {
        Site {
            public: PublicUrl::parse(public).unwrap(),
            console: console.map(|c| PublicUrl::parse(c).unwrap()),
        }
    }

    #[test]
    fn only_the_configured_origin_or_an_allowed_one_passes() {
        let mut settings = StaffSettings::default();
        let local = site("http://staff.local:8080", None);
        assert!(check_origin(&headers(Some("http://staff.local:8080")), &local, &settings).is_ok());
        assert!(check_origin(&headers(Some("http://evil.example")), &local, &settings).is_err());
        assert!(check_origin(&headers(Some("null")), &local, &settings).is_err());
        assert!(check_origin(&headers(None), &local, &settings).is_err());
        let https = site("https://staff.local:8080", None);
        assert!(
            check_origin(&headers(Some("http://staff.local:8080")), &https, &settings).is_err()
        );
        settings.allowed_origins = vec!["https://envmon.example.org".into()];
        assert!(
            check_origin(
                &headers(Some("https://envmon.example.org")),
                &https,
                &settings
            )
            .is_ok()
        );
        // With a console origin of its own, the public origin is foreign.
        let split = site("https://air.example", Some("https://staff.example"));
        assert!(check_origin(&headers(Some("https://staff.example")), &split, &settings).is_ok());
        assert!(check_origin(&headers(Some("https://air.example")), &split, &settings).is_err());
    }

    #[test]
    fn cookies_are_strict_http_only_and_host_prefixed_and_secure_over_https() {
        let settings = StaffSettings::default();
        let plain = session_cookie("abc", &site("http://127.0.0.1:8080", None), &settings);
        assert!(plain.starts_with("envmon_staff=abc; Path=/; HttpOnly; SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        let secure = session_cookie("abc", &site("https://air.example", None), &settings);
        assert!(
            secure.starts_with("__Host-envmon_staff=abc; Path=/;"),
            "{secure}"
        );
        assert!(secure.ends_with("; Secure") && !secure.contains("Domain"));
        let mut sent = HeaderMap::new();
        sent.insert(
            header::COOKIE,
            HeaderValue::from_static("envmon_staff=plain; __Host-envmon_staff=prefixed"),
        );
        assert_eq!(
            session_token(&sent, &site("https://air.example", None)),
            Some("prefixed")
        );
        assert_eq!(
            session_token(&sent, &site("http://air.example", None)),
            Some("plain")
        );
    }
}
