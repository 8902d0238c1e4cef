//! Attacks on the web side, each tried for real against the running
//! publisher, each asserting the safe outcome and that legitimate use still
//! works:
//!
//! - `headers`: the security headers on every kind of response, links that
//!   ignore the `Host` header, a publisher beyond loopback without a public
//!   URL, the console on its own origin, `__Host-` cookies over https;
//! - `browser`: the Content-Security-Policy in headless Chromium against
//!   injected script and a `javascript:` link, while the page goes live;
//! - `sign_in`: a login flood while the open API is timed, one answer for
//!   unknown, wrong and disabled, the per-address limit;
//! - `tokens`: expiry, revocation (by the owner, an admin, with the
//!   account), roles no higher than the creator's, accounts not created
//!   over the web;
//! - `secrets`: `envmon config show`, errors and logs without secrets, a
//!   readable settings file with a secret refused.

mod browser;
mod headers;
mod secrets;
mod sign_in;
mod tokens;

use std::net::SocketAddr;

use crate::helpers::http::{Response, send};
use crate::helpers::staff::PASSWORD;

/// One sign-in as a browser at `ip` (named by the trusted proxy in
/// `X-Forwarded-For`) would send it, with the browser's cookie if any.
pub(crate) async fn login_from(
    addr: SocketAddr,
    ip: &str,
    username: &str,
    password: &str,
    cookie: Option<&str>,
) -> Response {
    let origin = format!("http://{addr}");
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let mut headers = vec![("Origin", origin.as_str()), ("X-Forwarded-For", ip)];
    if let Some(cookie) = cookie {
        headers.push(("Cookie", cookie));
    }
    send(addr, "POST", "/api/v1/staff/login", &headers, Some(&body)).await
}

/// [`login_from`] with the right password.
pub(crate) async fn sign_in_from(addr: SocketAddr, ip: &str, username: &str) -> Response {
    login_from(addr, ip, username, PASSWORD, None).await
}

/// Every `Set-Cookie` of a response, whole.
pub(crate) fn set_cookies(response: &Response) -> Vec<&str> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.as_str())
        .collect()
}

/// The `name=value` of the cookie called `name`, as a browser sends it back.
pub(crate) fn cookie_pair(response: &Response, name: &str) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .filter_map(|c| c.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(n, _)| n == name))
        .map(str::to_owned)
}
