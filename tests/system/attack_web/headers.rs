//! The page's headers and origins: CSP, framing, sniffing and referrer rules
//! on every kind of response; links that never follow the `Host` header; a
//! publisher that will not start beyond loopback without a public URL; the
//! staff console on an origin of its own; `__Host-` cookies over https.

use std::process::{Command, Stdio};

use envmon_publisher::settings::PublicUrl;
use envmon_publisher::staff::Role;
use envmon_publisher::{Publisher, Settings};

use super::{cookie_pair, set_cookies};
use crate::helpers::TestSystem;
use crate::helpers::http::{Response, send, send_to};
use crate::helpers::staff::{self, PASSWORD};

fn policy(response: &Response) -> &str {
    response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no Content-Security-Policy: {:?}", response.headers))
}

/// The page policy: only this origin, no inline script or eval, no framing.
fn assert_page_headers(path: &str, response: &Response, websocket: &str) {
    let csp = policy(response);
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{path}: {directive} missing in {csp}"
        );
    }
    assert!(
        csp.contains(&format!("connect-src 'self' {websocket}")),
        "{path}: the live WebSocket must be allowed: {csp}"
    );
    assert!(!csp.contains("unsafe"), "{path}: {csp}");
    assert_eq!(response.header("x-frame-options"), Some("DENY"), "{path}");
    assert_eq!(
        response.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    assert_eq!(
        response.header("referrer-policy"),
        Some("same-origin"),
        "{path}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_only_the_widget_and_charts_may_be_framed()
{
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    let websocket = format!("ws://{addr}");
    let oembed = format!("/api/v1/oembed?url=http%3A%2F%2F{addr}%2Fstation%2F1141A");
    let pages: &[(&str, u16)] = &[
        ("/", 200),
        ("/app.js", 200),
        ("/style.css", 200),
        ("/api/v1/stations", 200),
        ("/api/v1/stations/1141A/latest", 200),
        ("/api/v1/alerts", 200),
        ("/api/v1/alerts.atom", 200),
        ("/api/v1/alerts/nope.cap", 404),
        ("/api/v1/openapi.json", 200),
        (&oembed, 200),
        ("/api/v1/nothing", 404),
        ("/station/1141A", 200),
        ("/embed/embed.js", 200),
        ("/staff/", 200),
        ("/staff/staff.js", 200),
        ("/api/v1/staff/me", 401),
    ];
    for (path, status) in pages {
        let response = send(addr, "GET", path, &[], None).await;
        assert_eq!(response.status, *status, "{path}: {}", response.body);
        if path.starts_with("/staff/") {
            // The console keeps its own policy: no WebSocket at all.
            let csp = policy(&response);
            assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"));
            assert_eq!(response.header("x-frame-options"), Some("DENY"));
            assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        } else {
            assert_page_headers(path, &response, &websocket);
        }
    }

    // The widget is made to be framed by any site: no frame rule, and it
    // still talks to this server alone.
    let widget = send(addr, "GET", "/embed/station/1141A?lang=en", &[], None).await;
    assert_eq!(widget.status, 200, "{}", widget.body);
    let csp = policy(&widget);
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains(&format!("connect-src 'self' {websocket}"))
    );
    assert!(
        !csp.contains("frame-ancestors") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(widget.header("x-frame-options"), None);
    assert_eq!(widget.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(widget.header("referrer-policy"), Some("no-referrer"));

    // A chart image opened on its own runs and loads nothing; newsrooms
    // may frame it.
    let chart = send(
        addr,
        "GET",
        "/api/v1/charts/station/1141A/pm25.svg",
        &[],
        None,
    )
    .await;
    assert_eq!(chart.status, 200, "{}", chart.body);
    assert!(chart.body.contains("<svg"));
    assert_eq!(policy(&chart), "default-src 'none'; sandbox");
    assert_eq!(chart.header("x-frame-options"), None);
    assert_eq!(chart.header("x-content-type-options"), Some("nosniff"));

    // Legitimate use: the page is the page, and staff still sign in (the
    // answer carries the headers too).
    let page = send(addr, "GET", "/", &[], None).await;
    assert!(page.body.contains("上海环境质量实时数据"));
    staff::add(&system.db, "olivia", Role::Operator).await;
    let origin = format!("http://{addr}");
    let login = send(
        addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", &origin)],
        Some(&format!(
            r#"{{"username":"olivia","password":"{PASSWORD}"}}"#
        )),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_page_headers("/api/v1/staff/login", &login, &websocket);
    system.shutdown().await;
}

#[tokio::test]
async fn links_come_from_public_url_never_from_the_host_header() {
    let mut system = TestSystem::start().await;
    let settings = Settings {
        public_url: Some(PublicUrl::parse("https://air.example.test").unwrap()),
        ..system.publisher_settings()
    };
    let addr = system.spawn_publisher(settings).await;
    // A poisoned Host (and forwarded headers nobody trusts), as an attacker
    // would send to get a cache to keep links to their site.
    let forged = [
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Host", "evil.example"),
    ];
    let oembed =
        "/api/v1/oembed?url=https%3A%2F%2Fair.example.test%2Fembed%2Fstation%2F1141A%3Flang%3Den";
    for path in [
        "/embed/station/1141A?lang=en",
        "/station/1141A?lang=en",
        oembed,
        "/api/v1/alerts.atom",
    ] {
        let response = send_to(addr, "evil.example", "GET", path, &forged, None).await;
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        assert!(
            !response.body.contains("evil.example"),
            "{path} links to the Host header: {}",
            response.body
        );
        assert!(
            response.body.contains("https://air.example.test/"),
            "{path} does not link to the public URL: {}",
            response.body
        );
    }
    let page = send_to(addr, "evil.example", "GET", "/", &forged, None).await;
    assert!(policy(&page).contains("connect-src 'self' wss://air.example.test;"));
    // oEmbed answers for this site's URLs only, whatever the Host says.
    let foreign = send_to(
        addr,
        "evil.example",
        "GET",
        "/api/v1/oembed?url=http%3A%2F%2Fevil.example%2Fstation%2F1141A",
        &[],
        None,
    )
    .await;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    system.shutdown().await;
}

#[tokio::test]
async fn a_publisher_beyond_loopback_without_public_url_refuses_to_start() {
    let mut system = TestSystem::start().await;
    let everywhere = Settings {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..system.publisher_settings()
    };
    let error = Publisher::build(everywhere.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("public_url is required") && error.contains("0.0.0.0:0"),
        "{error}"
    );

    // The binary says so and stops, before touching anything.
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .arg("publish")
        .env_remove("ENVMON_CONFIG")
        .env("ENVMON__DATABASE__URL", &system.db.url)
        .env("ENVMON__BROKER__PORT", system.broker.port.to_string())
        .env("ENVMON__PUBLISHER__LISTEN", "0.0.0.0:0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("public_url is required")
            && stderr.contains("ENVMON__PUBLISHER__PUBLIC_URL"),
        "{stderr}"
    );

    // With one, it starts and serves.
    let addr = system
        .spawn_publisher(Settings {
            public_url: Some(PublicUrl::parse("https://air.example.test").unwrap()),
            ..everywhere
        })
        .await;
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()));
    let response = send(loopback, "GET", "/api/v1/stations", &[], None).await;
    assert_eq!(response.status, 200);
    system.shutdown().await;
}

#[tokio::test]
async fn the_console_on_its_own_origin_is_absent_from_the_public_one() {
    let mut system = TestSystem::start().await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let mut settings = system.publisher_settings();
    settings.public_url = Some(PublicUrl::parse("http://air.test").unwrap());
    settings.staff.console_origin = Some(PublicUrl::parse("http://staff.test").unwrap());
    let addr = system.spawn_publisher(settings).await;
    let login_body = format!(r#"{{"username":"olivia","password":"{PASSWORD}"}}"#);

    // On the public host, and on the bare address, the console is not there.
    for host in ["air.test", &addr.to_string()] {
        for (method, path) in [
            ("GET", "/staff/"),
            ("GET", "/staff/staff.js"),
            ("GET", "/api/v1/staff/me"),
            ("GET", "/api/v1/staff/notices"),
            ("POST", "/api/v1/staff/login"),
        ] {
            let body = (method == "POST").then_some(login_body.as_str());
            let origin = [("Origin", "http://air.test")];
            let response = send_to(addr, host, method, path, &origin, body).await;
            assert_eq!(
                response.status, 404,
                "{host} {method} {path}: {}",
                response.body
            );
            assert_eq!(response.json()["error"]["message"], "no such route");
        }
    }
    let public = send_to(addr, "air.test", "GET", "/", &[], None).await;
    assert_eq!(public.status, 200, "the public page stays");
    let api = send_to(addr, "air.test", "GET", "/api/v1/stations", &[], None).await;
    assert_eq!(api.status, 200);

    // On its own host the console works, for requests from its own origin.
    let console = send_to(addr, "staff.test", "GET", "/staff/", &[], None).await;
    assert_eq!(console.status, 200);
    assert!(console.body.contains("Staff console"));
    let from_public = send_to(
        addr,
        "staff.test",
        "POST",
        "/api/v1/staff/login",
        &[("Origin", "http://air.test")],
        Some(&login_body),
    )
    .await;
    assert_eq!(from_public.status, 403, "{}", from_public.body);
    assert_eq!(from_public.json()["error"]["code"], "origin");
    let login = send_to(
        addr,
        "staff.test",
        "POST",
        "/api/v1/staff/login",
        &[("Origin", "http://staff.test")],
        Some(&login_body),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = cookie_pair(&login, "envmon_staff").unwrap();
    let me = send_to(
        addr,
        "staff.test",
        "GET",
        "/api/v1/staff/me",
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(me.json()["username"], "olivia");
    let me_public = send_to(
        addr,
        "air.test",
        "GET",
        "/api/v1/staff/me",
        &[("Cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(me_public.status, 404);
    // The console's host serves nothing of the public site.
    let root = send_to(addr, "staff.test", "GET", "/", &[], None).await;
    assert!(matches!(root.status, 303 | 307 | 308), "{}", root.status);
    assert_eq!(root.header("location"), Some("/staff/"));
    let data = send_to(addr, "staff.test", "GET", "/api/v1/stations", &[], None).await;
    assert_eq!(data.status, 404);
    system.shutdown().await;
}

#[tokio::test]
async fn staff_cookies_are_host_prefixed_and_secure_with_an_https_public_url() {
    let mut system = TestSystem::start().await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let login_body = format!(r#"{{"username":"olivia","password":"{PASSWORD}"}}"#);

    // Over plain http (loopback) the cookies cannot be Secure.
    let plain = send(
        system.publisher_addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", &format!("http://{}", system.publisher_addr))],
        Some(&login_body),
    )
    .await;
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert!(
        set_cookies(&plain)
            .iter()
            .all(|c| !c.contains("Secure") && !c.starts_with("__Host-"))
    );

    let addr = system
        .spawn_publisher(Settings {
            public_url: Some(PublicUrl::parse("https://air.example.test").unwrap()),
            ..system.publisher_settings()
        })
        .await;
    // The origin a browser at the request's Host would send is not this
    // site's: the Host header decides nothing.
    let by_host = send(
        addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", &format!("http://{addr}"))],
        Some(&login_body),
    )
    .await;
    assert_eq!(by_host.status, 403, "{}", by_host.body);

    let login = send(
        addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", "https://air.example.test")],
        Some(&login_body),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let cookies = set_cookies(&login);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for cookie in &cookies {
        assert!(cookie.starts_with("__Host-"), "{cookie}");
        for attribute in ["; Path=/;", "; HttpOnly;", "; SameSite=Strict;", "; Secure"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
    let session = cookie_pair(&login, "__Host-envmon_staff").unwrap();
    let me = send(
        addr,
        "GET",
        "/api/v1/staff/me",
        &[("Cookie", &session)],
        None,
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    // The same value under the unprefixed name, as a sibling subdomain or
    // a plain-http page could plant it, is not a session here.
    let planted = session.replacen("__Host-", "", 1);
    let me = send(
        addr,
        "GET",
        "/api/v1/staff/me",
        &[("Cookie", &planted)],
        None,
    )
    .await;
    assert_eq!(me.status, 401, "{}", me.body);
    system.shutdown().await;
}
