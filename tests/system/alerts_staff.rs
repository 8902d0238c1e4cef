//! Staff security: every staff endpoint by every role and by no one, the
//! Origin check against cross-site requests, the two-person rule, sign-in
//! limits, API tokens, and the append-only audit chain with
//! `envmon audit verify`.

use std::process::{Command, Stdio};

use envmon_publisher::staff::Role;
use serde_json::json;

use crate::helpers::TestSystem;
use crate::helpers::staff::{self, PASSWORD, Staff, send};

/// Every staff endpoint: method, path, body, and the roles allowed.
/// `{n}` is replaced by a notice id, `{a}` by an alarm id.
const MATRIX: &[(&str, &str, Option<&str>, &[Role])] = &[
    ("GET", "/api/v1/staff/me", None, ALL),
    ("GET", "/api/v1/staff/notices", None, ALL),
    ("GET", "/api/v1/staff/notices/{n}", None, ALL),
    ("POST", "/api/v1/staff/notices", Some("CONTENT"), DRAFT),
    (
        "PUT",
        "/api/v1/staff/notices/{n}/draft",
        Some("CONTENT"),
        DRAFT,
    ),
    (
        "POST",
        "/api/v1/staff/notices/{n}/update",
        Some("CONTENT"),
        DRAFT,
    ),
    (
        "POST",
        "/api/v1/staff/notices/{n}/approve",
        Some("REVIEWED"),
        APPROVE,
    ),
    (
        "POST",
        "/api/v1/staff/notices/{n}/cancel",
        Some("{}"),
        APPROVE,
    ),
    ("GET", "/api/v1/staff/alarms", None, ALL),
    ("POST", "/api/v1/staff/alarms/{a}/ack", None, ALL),
    ("POST", "/api/v1/staff/alarms/{a}/draft", None, DRAFT),
    (
        "POST",
        "/api/v1/staff/tokens",
        Some(r#"{"label":"matrix"}"#),
        ALL,
    ),
    ("GET", "/api/v1/staff/tokens", None, ALL),
    ("POST", "/api/v1/staff/users/{u}/disable", None, ADMIN),
    ("GET", "/api/v1/staff/audit", None, ADMIN),
    ("POST", "/api/v1/staff/logout", None, ALL),
];
const ALL: &[Role] = &[Role::Operator, Role::Approver, Role::Admin];
const DRAFT: &[Role] = &[Role::Operator, Role::Admin];
const APPROVE: &[Role] = &[Role::Approver, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

async fn insert_alarm(system: &TestSystem) -> i64 {
    // At most one open alarm per rule and station: a rule name per alarm.
    let rule = crate::helpers::unique("pm25_high");
    system
        .db
        .client()
        .await
        .query_one(
            "INSERT INTO alarm (rule, station_code, parameter_code, state, raised_at, threshold,
                worst, message, evidence)
             VALUES ($1, '1141A', 'pm25', 'raised', now(), 115, 180,
                'PM2.5 1-h 180 µg/m³ above 115', '[]') RETURNING id",
            &[&rule],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn every_staff_endpoint_admits_exactly_its_roles() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    for (name, role) in [
        ("op", Role::Operator),
        ("ap", Role::Approver),
        ("ad", Role::Admin),
        ("writer", Role::Operator),
        ("checker", Role::Approver),
    ] {
        staff::add(&system.db, name, role).await;
    }
    let writer = Staff::login(addr, "writer").await;
    let checker = Staff::login(addr, "checker").await;
    let content = json!({ "content": staff::content("Matrix") }).to_string();
    let mut sessions = std::collections::HashMap::new();
    let mut checked = 0;
    for (index, (method, path, body, allowed)) in MATRIX.iter().enumerate() {
        for role in [
            None,
            Some(Role::Operator),
            Some(Role::Approver),
            Some(Role::Admin),
        ] {
            // A fresh notice (drafted by someone else) and alarm per call, so
            // the state left by one call cannot decide the next.
            let notice = writer
                .call("POST", "/api/v1/staff/notices", Some(&content))
                .await
                .json()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            // Updates and cancellations act on an issued notice.
            if path.ends_with("/update") || path.ends_with("/cancel") {
                let issued = checker.approve(&notice).await;
                assert_eq!(issued.status, 200, "{}", issued.body);
            }
            let alarm = insert_alarm(&system).await;
            // A fresh account to disable per call.
            let victim = format!("victim{index}{}", role.map_or("x", Role::as_str));
            if path.contains("{u}") {
                staff::add(&system.db, &victim, Role::Operator).await;
            }
            let path = path
                .replace("{n}", &notice)
                .replace("{a}", &alarm.to_string())
                .replace("{u}", &victim);
            let reviewed = match body {
                Some("REVIEWED") => writer.reviewed(&notice).await,
                _ => String::new(),
            };
            let body = body.map(|b| match b {
                "CONTENT" => content.clone(),
                "REVIEWED" => reviewed.clone(),
                other => other.to_owned(),
            });
            let response = match role {
                None => {
                    let origin = format!("http://{addr}");
                    send(addr, method, &path, &[("Origin", &origin)], body.as_deref()).await
                }
                Some(role) => {
                    let name = match role {
                        Role::Operator => "op",
                        Role::Approver => "ap",
                        Role::Admin => "ad",
                    };
                    if !sessions.contains_key(name) {
                        sessions.insert(name, Staff::login(addr, name).await);
                    }
                    let response = sessions[name].call(method, &path, body.as_deref()).await;
                    if path.ends_with("/logout") {
                        sessions.remove(name);
                    }
                    response
                }
            };
            let expected = match role {
                None => 401,
                Some(role) if allowed.contains(&role) => 200,
                Some(_) => 403,
            };
            assert_eq!(
                response.status, expected,
                "{method} {path} as {role:?}: {}",
                response.body
            );
            if expected != 200 {
                let error = &response.json()["error"];
                assert!(error["code"].is_string() && error["message"].is_string());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, MATRIX.len() * 4);
    system.shutdown().await;
}

#[tokio::test]
async fn cross_site_requests_are_refused_and_tokens_need_no_origin() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let operator = Staff::login(addr, "olivia").await;
    let content = json!({ "content": staff::content("CSRF") }).to_string();

    for origin in [None, Some("http://evil.example"), Some("null")] {
        let mut headers = vec![("Cookie", operator.cookie.as_str())];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        let response = send(
            addr,
            "POST",
            "/api/v1/staff/notices",
            &headers,
            Some(&content),
        )
        .await;
        assert_eq!(response.status, 403, "origin {origin:?}: {}", response.body);
        assert_eq!(response.json()["error"]["code"], "origin");
    }
    // A forged cross-site sign-in is refused too.
    let login = format!(r#"{{"username":"olivia","password":"{PASSWORD}"}}"#);
    let response = send(
        addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", "http://evil.example")],
        Some(&login),
    )
    .await;
    assert_eq!(response.status, 403);
    assert_eq!(
        system.db.count("SELECT count(*) FROM alert_notice").await,
        0
    );

    // Reads with the cookie need no Origin.
    let response = send(
        addr,
        "GET",
        "/api/v1/staff/notices",
        &[("Cookie", &operator.cookie)],
        None,
    )
    .await;
    assert_eq!(response.status, 200);
    // And no other site may read them: the open-data CORS header stays
    // off the staff API.
    let response = send(
        addr,
        "GET",
        "/api/v1/staff/notices",
        &[
            ("Cookie", &operator.cookie),
            ("Origin", "http://evil.example"),
        ],
        None,
    )
    .await;
    assert_eq!(response.header("access-control-allow-origin"), None);

    // An API token carries no ambient credential: no Origin needed; stored hashed.
    let token = operator
        .call(
            "POST",
            "/api/v1/staff/tokens",
            Some(r#"{"label":"automation"}"#),
        )
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let response = send(
        addr,
        "POST",
        "/api/v1/staff/notices",
        &[("Authorization", &bearer)],
        Some(&content),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        system
            .db
            .count(&format!(
                "SELECT count(*) FROM api_token WHERE token_hash = '{token}'"
            ))
            .await,
        0,
        "the token must be stored hashed"
    );
    let response = send(
        addr,
        "GET",
        "/api/v1/staff/me",
        &[("Authorization", "Bearer wrong")],
        None,
    )
    .await;
    assert_eq!(response.status, 401);

    // Signing out ends the session on the server, not only in the browser.
    let out = operator.call("POST", "/api/v1/staff/logout", None).await;
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = operator.call("GET", "/api/v1/staff/me", None).await;
    assert_eq!(after.status, 401);
    system.shutdown().await;
}

#[tokio::test]
async fn nobody_approves_their_own_draft() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "adele", Role::Admin).await;
    staff::add(&system.db, "arthur", Role::Approver).await;
    let admin = Staff::login(addr, "adele").await;
    let approver = Staff::login(addr, "arthur").await;
    let content = json!({ "content": staff::content("Two people") }).to_string();
    let id = admin
        .call("POST", "/api/v1/staff/notices", Some(&content))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let own = admin.approve(&id).await;
    assert_eq!(own.status, 403, "{}", own.body);
    assert_eq!(own.json()["error"]["code"], "own_draft");
    let public = crate::helpers::http::get(addr, "/api/v1/alerts")
        .await
        .unwrap();
    assert_eq!(public.json()["notices"], json!([]));

    // The schema holds the rule too, whatever the code does.
    let forced = system
        .db
        .client()
        .await
        .execute(
            "UPDATE alert_notice_version SET state = 'published', approved_by = drafted_by,
                published_at = now(), document = '{}' WHERE notice_id = $1",
            &[&id],
        )
        .await;
    assert!(
        forced.is_err(),
        "the database let a draft be approved by its author"
    );

    let other = approver.approve(&id).await;
    assert_eq!(other.status, 200, "{}", other.body);
    let refusals = system
        .db
        .count("SELECT count(*) FROM audit_log WHERE action = 'notice.approve.refused'")
        .await;
    assert_eq!(refusals, 1);
    system.shutdown().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_delay_a_name_known_or_not_but_never_lock_it() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let origin = format!("http://{addr}");
    let attempt = |username: &'static str, password: &'static str| {
        let origin = origin.clone();
        async move {
            let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
            send(
                addr,
                "POST",
                "/api/v1/staff/login",
                &[("Origin", &origin)],
                Some(&body),
            )
            .await
        }
    };
    // A real name and a name nobody has: the same answers, step by step.
    for name in ["olivia", "nobody"] {
        for _ in 0..5 {
            let response = attempt(name, "wrong password!!").await;
            assert_eq!(response.status, 401, "{name}: {}", response.body);
            assert_eq!(
                response.json()["error"]["message"],
                "wrong username or password"
            );
            assert!(response.header("set-cookie").is_none());
        }
        // After five wrong passwords the next attempt waits, even with the
        // right password, and is told how long.
        let response = attempt(name, PASSWORD).await;
        assert_eq!(response.status, 429, "{name}: {}", response.body);
        assert_eq!(response.header("retry-after"), Some("1"), "{name}");
    }
    // After the wait the right password gets in: nothing ever locks.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = attempt("olivia", PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.body);

    // The session cookie's attributes.
    let cookie = response.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    system.shutdown().await;
}

fn envmon(args: &[&str], database_url: &str, stdin: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env_remove("ENVMON_USER_PASSWORD")
        .env("ENVMON__DATABASE__URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test]
async fn audit_chain_is_append_only_and_verify_finds_a_tampered_row() {
    let system = TestSystem::start_publisher_only().await;
    let url = system.db.url.clone();
    // `envmon user add` reads the password from stdin.
    let (ok, text) = envmon(
        &["user", "add", "olivia", "--role", "operator"],
        &url,
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{text}");
    let (ok, text) = envmon(
        &["user", "add", "weak", "--role", "operator"],
        &url,
        "short\n",
    );
    assert!(!ok && text.contains("at least"), "{text}");
    let operator = Staff::login(system.publisher_addr, "olivia").await;
    let content = json!({ "content": staff::content("Audited") }).to_string();
    let draft = operator
        .call("POST", "/api/v1/staff/notices", Some(&content))
        .await;
    assert_eq!(draft.status, 200);

    let (ok, text) = envmon(&["audit", "verify"], &url, "");
    assert!(ok, "{text}");
    assert!(text.contains("3 entries"), "{text}");
    let actions: Vec<String> = system
        .db
        .client()
        .await
        .query("SELECT action FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(actions, ["user.create", "login", "notice.draft"]);

    let client = system.db.client().await;
    let update = client
        .execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", &[])
        .await;
    assert!(update.is_err(), "audit_log accepted an UPDATE");
    let delete = client
        .execute("DELETE FROM audit_log WHERE seq = 3", &[])
        .await;
    assert!(delete.is_err(), "audit_log accepted a DELETE");

    // Someone with the power to drop the guard rewrites history: the chain tells.
    client
        .batch_execute(
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
             UPDATE audit_log SET actor = 'mallory' WHERE seq = 2;
             ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;",
        )
        .await
        .unwrap();
    let (ok, text) = envmon(&["audit", "verify"], &url, "");
    assert!(!ok, "a tampered audit log verified: {text}");
    assert!(text.contains("entry 2 has been altered"), "{text}");
    system.shutdown().await;
}
