//! `POST /api/v1/staff/login`: sign-in that holds under attack.
//!
//! In order, each step cheaper than the next:
//!
//! 1. the Origin check (a forged cross-site sign-in is refused);
//! 2. attempts per address (an IPv6 /64 counts as one address; behind
//!    `trusted_proxies`, the client the proxies name): 429 past
//!    `login_attempts_per_minute`;
//! 3. the subject's wait ([`super::throttle`]): the name typed, or the
//!    browser if it signed in to this account before. A browser the
//!    account knows is delayed only by its own wrong passwords, so a flood
//!    against the name, from anywhere, does not keep the owner out;
//! 4. a permit to check the password ([`super::gate`]): a bounded number of
//!    argon2 checks run at once, the queue is bounded, and known browsers
//!    have a lane of their own;
//! 5. the claim and the account, in one short use of a database connection
//!    that goes back to the pool *before* argon2 runs;
//! 6. argon2 (against a decoy hash for a name nobody has);
//! 7. the outcome, recorded with a fresh connection.
//!
//! Unknown names, wrong passwords and disabled accounts get the same 401
//! after the same work; every wait, whatever its cause, the same 429 with
//! `Retry-After` and no password check.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::StaffState;
use super::body::JsonBody;
use super::gate::Gate;
use super::session::{check_origin, cookie, cookie_name, session_cookie, set_cookie};
use super::throttle::{Claim, Schedule, Throttle};
use super::tokens::{new_token, token_hash};
use super::{audit, password};
use crate::Settings;
use crate::client_address::client_address;
use crate::error::ApiError;
use crate::error::whole_seconds;
use crate::metrics::SIGN_INS;
use crate::rate_limit::RateLimiter;

/// The cookie that makes a browser known to the account that signed in
/// with it (`__Host-` prefixed over https).
pub(crate) const BROWSER_COOKIE: &str = "envmon_browser";

const USER: &str = "SELECT id, role, password_hash, disabled FROM staff_user WHERE username = $1";

const KNOWN_BROWSER: &str = "SELECT 1 FROM staff_browser b JOIN staff_user u ON u.id = b.user_id
    WHERE b.token_hash = $1 AND u.username = $2 AND b.expires_at > now()";

const NEW_SESSION: &str =
    "INSERT INTO staff_session (token_hash, user_id, expires_at) VALUES ($1, $2, $3)";

const NEW_BROWSER: &str =
    "INSERT INTO staff_browser (token_hash, user_id, expires_at) VALUES ($1, $2, $3)";

/// Sign-ins are rare: each sweeps what has expired.
const SWEEP: &str = "DELETE FROM staff_session WHERE expires_at < now();
    DELETE FROM staff_browser WHERE expires_at < now();";

/// The limits every sign-in passes, shared by all requests.
#[derive(Debug)]
pub(crate) struct SignIn {
    per_address: RateLimiter,
    throttle: Throttle,
    gate: Gate,
}

impl SignIn {
    pub(crate) fn new(settings: &Settings) -> Self {
        let staff = &settings.staff;
        Self {
            // The address is resolved before the check (the limiter groups
            // it), so the limiter itself trusts no proxy.
            per_address: RateLimiter::new(
                f64::from(staff.login_attempts_per_minute.max(1)) / 60.0,
                staff.login_burst,
                Vec::new(),
            ),
            throttle: Throttle::new(Schedule::new(staff)),
            gate: Gate::new(staff),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    username: String,
    password: String,
}

/// The one answer to every wait.
fn wait(seconds: u64, outcome: &str) -> ApiError {
    SIGN_INS.inc(&[outcome]);
    ApiError::rate_limited(
        format!("too many sign-in attempts; try again in {seconds} s"),
        std::time::Duration::from_secs(seconds),
    )
}

/// The one answer to every refusal.
fn refused() -> ApiError {
    SIGN_INS.inc(&["refused"]);
    ApiError::Unauthorized("wrong username or password".into())
}

/// An account as read for sign-in.
struct Account {
    id: i64,
    role: String,
    phc: String,
    disabled: bool,
}

pub(crate) async fn login(
    State(app): State<StaffState>,
    extensions: Extensions,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    let settings = &app.settings.staff;
    // Login is state-changing too: a forged cross-site sign-in would put
    // the victim's browser into the attacker's account.
    check_origin(&headers, &app.site, settings)?;
    let limits = &app.sign_in;
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        let client = client_address(peer.ip(), &headers, &app.settings.trusted_proxies);
        if let Err(until) = limits.per_address.check(client) {
            return Err(wait(whole_seconds(until), "address_limited"));
        }
    }
    // The name is the attacker's text in the database: bound it.
    let name: String = body.username.chars().take(64).collect();
    let secure = app.site.secure_staff_cookies();
    let browser = cookie(&headers, &cookie_name(BROWSER_COOKIE, secure)).map(token_hash);
    let known = match &browser {
        Some(hash) => {
            let client = app.pool.get().await?;
            client
                .query_opt(KNOWN_BROWSER, &[hash, &name])
                .await?
                .is_some()
        }
        None => false,
    };
    let subject = match (&browser, known) {
        (Some(hash), true) => format!("browser:{hash}"),
        _ => format!("user:{name}"),
    };
    if let Some(seconds) = limits.throttle.known_wait(&subject, Instant::now()) {
        return Err(wait(seconds, "delayed"));
    }
    let lane = if known {
        &limits.gate.known_browsers
    } else {
        &limits.gate.strangers
    };
    let Some(permit) = lane.enter().await else {
        return Err(wait(1, "busy"));
    };
    let (claim, account) = {
        let client = app.pool.get().await?;
        let claim = limits.throttle.claim(&client, &subject).await?;
        let account = match claim {
            Claim::Wait(_) => None,
            Claim::Granted { .. } => client.query_opt(USER, &[&name]).await?.map(|row| Account {
                id: row.get(0),
                role: row.get(1),
                phc: row.get(2),
                disabled: row.get(3),
            }),
        };
        (claim, account)
        // The connection goes back to the pool here, before argon2.
    };
    let failures = match claim {
        Claim::Wait(seconds) => return Err(wait(seconds, "delayed")),
        Claim::Granted { failures } => failures,
    };
    let matches =
        password::verify_blocking(body.password, account.as_ref().map(|a| a.phc.clone())).await;
    drop(permit);
    let mut client = app.pool.get().await?;
    let reason = match &account {
        Some(account) if matches && !account.disabled => {
            return signed_in(&app, &mut client, account, &name, &subject, known).await;
        }
        Some(account) if account.disabled => "disabled",
        Some(_) => "wrong password",
        None => "unknown user",
    };
    let next_wait = limits.throttle.schedule().delay(failures);
    audit::append_alone(
        &mut client,
        "-",
        "login.failed",
        &name,
        &json!({
            "reason": reason,
            "failures_in_a_row": failures,
            "next_attempt_in_s": next_wait.as_secs_f64(),
        }),
    )
    .await?;
    Err(refused())
}

/// The right password: a session, the subject's wait cleared, and (for a
/// browser the account did not know) a cookie that makes it known.
async fn signed_in(
    app: &StaffState,
    client: &mut deadpool_postgres::Client,
    account: &Account,
    name: &str,
    subject: &str,
    known: bool,
) -> Result<Response, ApiError> {
    let settings = &app.settings.staff;
    let secure = app.site.secure_staff_cookies();
    let token = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = Utc::now();
    let expires_at = now + to_chrono(settings.session_ttl);
    let browser = if known {
        None
    } else {
        Some(new_token().map_err(|e| ApiError::Internal(e.to_string()))?)
    };
    let tx = client.transaction().await?;
    tx.batch_execute(SWEEP).await?;
    app.sign_in.throttle.reset(&tx, subject).await?;
    tx.execute(
        NEW_SESSION,
        &[&token_hash(&token), &account.id, &expires_at],
    )
    .await?;
    if let Some(browser) = &browser {
        let until = now + to_chrono(settings.known_browser_ttl);
        tx.execute(NEW_BROWSER, &[&token_hash(browser), &account.id, &until])
            .await?;
    }
    audit::append(
        &tx,
        name,
        "login",
        name,
        &json!({ "browser": if known { "known" } else { "new" } }),
    )
    .await?;
    tx.commit().await?;
    SIGN_INS.inc(&["signed_in"]);
    let mut response = Json(json!({
        "username": name,
        "role": account.role,
        "expires_at": expires_at,
    }))
    .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&session_cookie(&token, &app.site, settings)) {
        headers.append(header::SET_COOKIE, value);
    }
    if let Some(browser) = &browser {
        let cookie = set_cookie(
            BROWSER_COOKIE,
            browser,
            settings.known_browser_ttl.as_secs(),
            secure,
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

pub(crate) fn to_chrono(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1))
}
