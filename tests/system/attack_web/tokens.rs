//! API tokens and accounts: tokens expire, are revoked by their owner, by
//! an admin and with their account; a token's role is never higher than its
//! creator's; no account is created over the web.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use envmon_publisher::staff::Role;
use serde_json::{Value, json};

use crate::helpers::TestSystem;
use crate::helpers::http::{Response, send};
use crate::helpers::staff::{self, PASSWORD, Staff};

/// A request with `Authorization: Bearer token`, and nothing else.
async fn with_token(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Response {
    let bearer = format!("Bearer {token}");
    send(addr, method, path, &[("Authorization", &bearer)], body).await
}

async fn new_token(staff: &Staff, body: Value) -> Response {
    staff
        .call("POST", "/api/v1/staff/tokens", Some(&body.to_string()))
        .await
}

async fn token_of(staff: &Staff, body: Value) -> (i64, String) {
    let response = new_token(staff, body).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let answer = response.json();
    (
        answer["id"].as_i64().unwrap(),
        answer["token"].as_str().unwrap().to_owned(),
    )
}

fn envmon(args: &[&str], database_url: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env("ENVMON__DATABASE__URL", database_url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
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
async fn tokens_expire_and_are_revoked_by_owner_admin_and_with_the_account() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    for (name, role) in [
        ("otto", Role::Operator),
        ("olga", Role::Operator),
        ("ada", Role::Admin),
    ] {
        staff::add(&system.db, name, role).await;
    }
    let otto = Staff::login(addr, "otto").await;
    let olga = Staff::login(addr, "olga").await;
    let ada = Staff::login(addr, "ada").await;

    // The default: the creator's role, expiring after token_ttl (90 days).
    let created = new_token(&otto, json!({"label": "ci"})).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let answer = created.json();
    assert_eq!(answer["role"], "operator");
    let expires: DateTime<Utc> = answer["expires_at"].as_str().unwrap().parse().unwrap();
    let ninety = Utc::now() + chrono::Duration::days(90);
    assert!((expires - ninety).num_seconds().abs() < 60, "{expires}");
    let (ci_id, ci) = (
        answer["id"].as_i64().unwrap(),
        answer["token"].as_str().unwrap().to_owned(),
    );
    let me = with_token(addr, &ci, "GET", "/api/v1/staff/me", None).await;
    assert_eq!(me.json()["username"], "otto");

    // A shorter expiry, asked for, holds: the token works, then it does not.
    let soon = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, short) = token_of(&otto, json!({"label": "short", "expires_at": soon})).await;
    assert_eq!(
        with_token(addr, &short, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let expired = with_token(addr, &short, "GET", "/api/v1/staff/me", None).await;
    assert_eq!(
        expired.status, 401,
        "an expired token still works: {}",
        expired.body
    );
    // Past, or beyond token_ttl, is refused.
    for at in [
        Utc::now() - chrono::Duration::minutes(1),
        Utc::now() + chrono::Duration::days(91),
    ] {
        let refused = new_token(&otto, json!({"label": "x", "expires_at": at.to_rfc3339()})).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("expires_at"));
    }

    // Each lists their own; only an admin lists others'.
    let listed = otto.call("GET", "/api/v1/staff/tokens", None).await.json();
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2, "{listed}");
    assert!(tokens.iter().all(|t| t["user"] == "otto"));
    assert_eq!(tokens.iter().filter(|t| t["active"] == true).count(), 1);
    assert_eq!(
        otto.call("GET", "/api/v1/staff/tokens?all=true", None)
            .await
            .status,
        403
    );
    assert_eq!(
        otto.call("GET", "/api/v1/staff/tokens?user=olga", None)
            .await
            .status,
        403
    );

    // Nobody revokes another's token but an admin; the owner revokes their own.
    let (olga_id, olga_token) = token_of(&olga, json!({"label": "olga's"})).await;
    let foreign = otto
        .call("DELETE", &format!("/api/v1/staff/tokens/{olga_id}"), None)
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    assert_eq!(
        with_token(addr, &olga_token, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        200
    );
    let own = otto
        .call("DELETE", &format!("/api/v1/staff/tokens/{ci_id}"), None)
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(
        with_token(addr, &ci, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );
    let by_admin = ada
        .call("DELETE", &format!("/api/v1/staff/tokens/{olga_id}"), None)
        .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    assert_eq!(
        with_token(addr, &olga_token, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );
    let all = ada
        .call("GET", "/api/v1/staff/tokens?all=true", None)
        .await
        .json();
    let olgas = all["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == olga_id)
        .unwrap()
        .clone();
    assert_eq!(olgas["revoked_by"], "ada");
    // A revocation without the page's Origin is refused like any other
    // cookie request that changes something.
    let forged = send(
        addr,
        "DELETE",
        &format!("/api/v1/staff/tokens/{olga_id}"),
        &[("Cookie", &ada.cookie), ("Origin", "http://evil.example")],
        None,
    )
    .await;
    assert_eq!(forged.status, 403);

    // Disabling an account ends its sessions and revokes its tokens at once.
    let (_, otto_token) = token_of(&otto, json!({"label": "before disable"})).await;
    let disabled = ada
        .call("POST", "/api/v1/staff/users/otto/disable", None)
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(otto.call("GET", "/api/v1/staff/me", None).await.status, 401);
    assert_eq!(
        with_token(addr, &otto_token, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );
    let login = send(
        addr,
        "POST",
        "/api/v1/staff/login",
        &[("Origin", &otto.origin)],
        Some(&format!(r#"{{"username":"otto","password":"{PASSWORD}"}}"#)),
    )
    .await;
    assert_eq!(
        login.status, 401,
        "a disabled account signed in: {}",
        login.body
    );
    assert_eq!(
        system
            .db
            .count(
                "SELECT count(*) FROM api_token t JOIN staff_user u ON u.id = t.user_id
                 WHERE u.username = 'otto' AND t.revoked_at IS NULL"
            )
            .await,
        0
    );
    // Enabled again on the command line, the account signs in, but what was
    // revoked stays revoked.
    let (ok, text) = envmon(&["user", "enable", "otto"], &system.db.url);
    assert!(ok, "{text}");
    let back = Staff::login(addr, "otto").await;
    assert_eq!(back.call("GET", "/api/v1/staff/me", None).await.status, 200);
    assert_eq!(
        with_token(addr, &otto_token, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );

    // The command line disables too.
    let (_, olga_second) = token_of(&olga, json!({"label": "second"})).await;
    let (ok, text) = envmon(&["user", "disable", "olga"], &system.db.url);
    assert!(ok && text.contains("tokens revoked"), "{text}");
    assert_eq!(olga.call("GET", "/api/v1/staff/me", None).await.status, 401);
    assert_eq!(
        with_token(addr, &olga_second, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );

    // The admin was never affected, and everything is in the audit log.
    assert_eq!(ada.call("GET", "/api/v1/staff/me", None).await.status, 200);
    for (action, count) in [("token.revoke", 2), ("user.disable", 2), ("user.enable", 1)] {
        let found = system
            .db
            .count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await;
        assert_eq!(found, count, "{action}");
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_token_never_has_a_higher_role_than_its_creator() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    for (name, role) in [
        ("opal", Role::Operator),
        ("abe", Role::Approver),
        ("ada", Role::Admin),
    ] {
        staff::add(&system.db, name, role).await;
    }
    let opal = Staff::login(addr, "opal").await;
    let abe = Staff::login(addr, "abe").await;
    let ada = Staff::login(addr, "ada").await;

    // Operator and approver do different things: neither may mint the
    // other's role, nor admin.
    for (who, role) in [
        (&opal, "admin"),
        (&opal, "approver"),
        (&abe, "operator"),
        (&abe, "admin"),
    ] {
        let response = new_token(who, json!({"label": "up", "role": role})).await;
        assert_eq!(response.status, 403, "{role}: {}", response.body);
        assert_eq!(response.json()["error"]["code"], "role");
    }
    let bogus = new_token(&opal, json!({"label": "x", "role": "root"})).await;
    assert_eq!(bogus.status, 400);
    assert_eq!(
        system.db.count("SELECT count(*) FROM api_token").await,
        0,
        "a refused token was stored"
    );
    // Their own role, they may.
    let (_, abe_token) = token_of(&abe, json!({"label": "mine", "role": "approver"})).await;
    assert_eq!(
        with_token(addr, &abe_token, "GET", "/api/v1/staff/me", None)
            .await
            .json()["role"],
        "approver"
    );

    // An admin may give less, and the token then has only that.
    let (_, drafting) = token_of(&ada, json!({"label": "drafts only", "role": "operator"})).await;
    let me = with_token(addr, &drafting, "GET", "/api/v1/staff/me", None)
        .await
        .json();
    assert_eq!(me["role"], "operator");
    let content = json!({ "content": staff::content("By token") }).to_string();
    let draft = with_token(
        addr,
        &drafting,
        "POST",
        "/api/v1/staff/notices",
        Some(&content),
    )
    .await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    let audit = with_token(addr, &drafting, "GET", "/api/v1/staff/audit", None).await;
    assert_eq!(audit.status, 403, "an operator token read the audit log");
    let disable = with_token(
        addr,
        &drafting,
        "POST",
        "/api/v1/staff/users/opal/disable",
        None,
    )
    .await;
    assert_eq!(disable.status, 403);
    // A token made by a token keeps within the token's role.
    let via_token = with_token(
        addr,
        &drafting,
        "POST",
        "/api/v1/staff/tokens",
        Some(r#"{"label":"escalate","role":"admin"}"#),
    )
    .await;
    assert_eq!(via_token.status, 403, "{}", via_token.body);

    // A token's role is bounded by its owner's now, not when it was made.
    let (_, admin_token) = token_of(&ada, json!({"label": "full"})).await;
    assert_eq!(
        with_token(addr, &admin_token, "GET", "/api/v1/staff/audit", None)
            .await
            .status,
        200
    );
    system
        .db
        .client()
        .await
        .execute(
            "UPDATE staff_user SET role = 'approver' WHERE username = 'ada'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        with_token(addr, &admin_token, "GET", "/api/v1/staff/me", None)
            .await
            .status,
        401
    );
    system.shutdown().await;
}

#[tokio::test]
async fn accounts_are_not_created_over_the_web() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "ada", Role::Admin).await;
    let ada = Staff::login(addr, "ada").await;
    let before = system.db.count("SELECT count(*) FROM staff_user").await;
    // An admin who could add an account could sign in to it and approve
    // their own drafts through it.
    let body = format!(r#"{{"username":"ada2","role":"approver","password":"{PASSWORD}"}}"#);
    let response = ada.call("POST", "/api/v1/staff/users", Some(&body)).await;
    assert_eq!(response.status, 404, "{}", response.body);
    let (_, token) = token_of(&ada, json!({"label": "admin"})).await;
    let by_token = with_token(addr, &token, "POST", "/api/v1/staff/users", Some(&body)).await;
    assert_eq!(by_token.status, 404);
    assert_eq!(
        system.db.count("SELECT count(*) FROM staff_user").await,
        before
    );

    // On the server's command line, with the database's own credentials,
    // an account is added and can sign in.
    let output = {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_envmon"))
            .args(["user", "add", "ada2", "--role", "approver"])
            .env_remove("ENVMON_CONFIG")
            .env_remove("ENVMON_USER_PASSWORD")
            .env("ENVMON__DATABASE__URL", &system.db.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let added = Staff::login(addr, "ada2").await;
    assert_eq!(
        added.call("GET", "/api/v1/staff/me", None).await.status,
        200
    );
    let actor: String = system
        .db
        .client()
        .await
        .query_one(
            "SELECT actor FROM audit_log WHERE action = 'user.create' AND subject = 'ada2'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(actor.starts_with("cli"), "{actor}");
    system.shutdown().await;
}
