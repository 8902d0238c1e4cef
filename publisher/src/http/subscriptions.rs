//! Self-service subscriptions, no account: `POST /api/v1/subscriptions`
//! (e-mail: double opt-in; webhook: a URL challenge, then its signing key
//! once; Web Push: the browser's subscription), and what can be subscribed
//! to here (`GET`, with the VAPID key browsers subscribe with). The links
//! the messages carry are `subscription_links`.
//!
//! Bounded: sign-ups per client address (`signups_per_hour`) and
//! subscriptions per e-mail address, URL or endpoint (`max_per_address`). No
//! open relay: the only thing sent before confirmation is our own opt-in
//! text, and the answer never says whether an address was known.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use envmon_core::outbox::{OutboxCause, enqueue};
use serde::Deserialize;
use serde_json::json;
use utoipa::{OpenApi, ToSchema};

use super::api_schemas::{ErrorResponse, RateLimited};
use crate::delivery::Delivery;
use crate::delivery::outbound::Outbound;
use crate::error::ApiError;
use crate::state::AppState;

/// The subscription routes in the API document.
#[derive(OpenApi)]
#[openapi(
    paths(options, subscribe),
    components(schemas(SubscribeRequest, PushSubscription, PushKeys))
)]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/subscriptions", get(options).post(subscribe))
}

const COUNT_FOR_ADDRESS: &str = "SELECT count(*) FROM subscription WHERE address = $1";
const AREA_EXISTS: &str = "SELECT 1 FROM area WHERE id = $1";
const AIR_STATION_EXISTS: &str = "SELECT 1 FROM station WHERE code = $1 AND kind = 'air'";
const INSERT: &str = "INSERT INTO subscription
        (channel, address, owner_email, language, topic, area_id, station_code, level, state,
         confirm_token, manage_token, webhook_secret, push_p256dh, push_auth, confirmed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
        CASE WHEN $9 = 'active' THEN now() END)
    RETURNING id";

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PushSubscription {
    /// The push service URL.
    endpoint: String,
    keys: PushKeys,
}

/// The browser's keys, base64url.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PushKeys {
    /// P-256 public key, uncompressed (65 bytes).
    p256dh: String,
    /// Auth secret (16 bytes).
    auth: String,
}

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SubscribeRequest {
    /// `email`, `webhook` or `push`.
    channel: String,
    /// The e-mail address or the webhook URL (not for push).
    #[serde(default)]
    address: Option<String>,
    /// `notices`, `level`, `daily_forecast` or `daily_summary`.
    topic: String,
    /// `zh` or `en`.
    language: String,
    /// An area id: `shanghai` (the city) or a district's id.
    #[serde(default)]
    area: Option<String>,
    /// An air station's code (for `level` only), instead of an area.
    #[serde(default)]
    station: Option<String>,
    /// For `level`: the HJ 633 level (2–6) to be told at.
    #[serde(default)]
    level: Option<i16>,
    /// For a webhook: who to tell if it is disabled after failing for a day.
    #[serde(default)]
    owner_email: Option<String>,
    /// For push: the browser's subscription.
    #[serde(default)]
    push: Option<PushSubscription>,
}

fn bad(message: &str) -> ApiError {
    ApiError::BadRequest(message.to_owned())
}

fn delivery(app: &AppState) -> Result<&Arc<Delivery>, ApiError> {
    app.delivery.as_ref().ok_or(ApiError::Unavailable(
        "subscriptions are not enabled on this server",
    ))
}

fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn is_email(text: &str) -> bool {
    text.len() <= 254 && text.parse::<lettre::Address>().is_ok()
}

/// A URL a subscriber may give: https, or http where private addresses are
/// allowed (a local test receiver).
fn check_url(url: &str, allow_private: bool) -> Result<(), ApiError> {
    let uri = Outbound::check_url(url).map_err(|_| bad("address: not an http(s) URL"))?;
    if url.len() > 2048 || (uri.scheme_str() != Some("https") && !allow_private) {
        return Err(bad(
            "address: must be an https URL of at most 2048 characters",
        ));
    }
    Ok(())
}

fn b64_len(text: &str, len: usize) -> bool {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .is_ok_and(|bytes| bytes.len() == len)
}

fn client_ip(
    app: &AppState,
    extensions: &Extensions,
    headers: &HeaderMap,
) -> Option<std::net::IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| {
        crate::client_address::client_address(c.0.ip(), headers, &app.settings.trusted_proxies)
    })
}

/// A checked sign-up, ready to store.
struct Checked {
    channel: &'static str,
    address: String,
    state: &'static str,
    webhook_secret: Option<String>,
    push_keys: Option<(String, String)>,
}

#[utoipa::path(
    post,
    path = "/api/v1/subscriptions",
    operation_id = "subscribe",
    summary = "Subscribe to notices, a level crossing, the daily forecast or summary, by e-mail, webhook or Web Push.",
    description = "E-mail: 202, and a confirmation message is sent; nothing else is sent until its link is followed. Webhook: the URL first receives a signed `{\"type\":\"challenge\",\"challenge\":…}` POST and must answer 2xx with the challenge as its body; the answer (201) carries the HMAC `secret`, shown this once. Push: 201. Every message carries its unsubscribe link.",
    tags = ["subscriptions"],
    request_body = SubscribeRequest,
    responses(
        (status = 201, description = "Active (webhook, push): `{id, state, unsubscribe_url, secret?}`.", body = Object),
        (status = 202, description = "Pending confirmation by e-mail.", body = Object),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
        (status = 503, description = "Subscriptions (or e-mail) are not enabled.", body = Object),
    ),
)]
async fn subscribe(
    State(app): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Json(request): Json<SubscribeRequest>,
) -> Result<Response, ApiError> {
    let delivery = delivery(&app)?;
    if let Some(ip) = client_ip(&app, &extensions, &headers)
        && let Err(wait) = delivery.signups.check(ip)
    {
        return Err(ApiError::rate_limited(
            "too many sign-ups from this address; try later",
            wait,
        ));
    }
    let language = match request.language.as_str() {
        "zh" | "en" => request.language.as_str(),
        _ => return Err(bad("language: zh or en")),
    };
    let topic = match request.topic.as_str() {
        t @ ("notices" | "level" | "daily_forecast" | "daily_summary") => t,
        _ => {
            return Err(bad(
                "topic: notices, level, daily_forecast or daily_summary",
            ));
        }
    };
    let level = match (topic, request.level) {
        ("level", Some(level @ 2..=6)) => Some(level),
        ("level", _) => return Err(bad("level: 2 to 6 for a level subscription")),
        (_, None) => None,
        (_, Some(_)) => return Err(bad("level: only for a level subscription")),
    };
    let client = app.pool.get().await?;
    match (&request.area, &request.station) {
        (Some(area), None) => {
            if client.query_opt(AREA_EXISTS, &[area]).await?.is_none() {
                return Err(bad("area: no such area"));
            }
        }
        (None, Some(station)) if topic == "level" => {
            if client
                .query_opt(AIR_STATION_EXISTS, &[station])
                .await?
                .is_none()
            {
                return Err(bad("station: no such air station"));
            }
        }
        _ => return Err(bad("give an area, or a station for a level subscription")),
    }
    if request.owner_email.as_deref().is_some_and(|e| !is_email(e)) {
        return Err(bad("owner_email: not an e-mail address"));
    }
    let checked = check_channel(delivery, &request).await?;
    let held: i64 = client
        .query_one(COUNT_FOR_ADDRESS, &[&checked.address])
        .await?
        .get(0);
    if held >= delivery.settings.max_per_address {
        return Err(ApiError::rate_limited(
            "this address holds as many subscriptions as allowed",
            std::time::Duration::from_secs(3600),
        ));
    }
    drop(client);
    let confirm_token = (checked.state == "pending").then(new_token).transpose()?;
    let manage_token = new_token()?;
    let (p256dh, auth) = checked.push_keys.clone().unzip();
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let id: i64 = tx
        .query_one(
            INSERT,
            &[
                &checked.channel,
                &checked.address,
                &request.owner_email,
                &language,
                &topic,
                &request.area,
                &request.station,
                &level,
                &checked.state,
                &confirm_token,
                &manage_token,
                &checked.webhook_secret,
                &p256dh,
                &auth,
            ],
        )
        .await?
        .get(0);
    if checked.state == "pending" {
        enqueue(
            &tx,
            &OutboxCause::Confirmation {
                subscription_id: id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    if checked.state == "pending" {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "id": id, "state": "pending" })),
        )
            .into_response());
    }
    let unsubscribe_url = format!(
        "{}/api/v1/subscriptions/unsubscribe?token={manage_token}",
        app.site.base()
    );
    let mut body = json!({ "id": id, "state": "active", "unsubscribe_url": unsubscribe_url });
    if let Some(secret) = &checked.webhook_secret {
        body["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The channel's own checks: an address that can be mailed, a webhook that
/// answers its challenge, a push subscription with usable keys.
async fn check_channel(
    delivery: &Delivery,
    request: &SubscribeRequest,
) -> Result<Checked, ApiError> {
    let allow_private = delivery.settings.allow_private_addresses;
    match (request.channel.as_str(), &request.address, &request.push) {
        ("email", Some(address), None) => {
            if delivery.channels.mailer.is_none() {
                return Err(ApiError::Unavailable(
                    "e-mail is not configured on this server",
                ));
            }
            if !is_email(address) {
                return Err(bad("address: not an e-mail address"));
            }
            Ok(Checked {
                channel: "email",
                address: address.to_lowercase(),
                state: "pending",
                webhook_secret: None,
                push_keys: None,
            })
        }
        ("webhook", Some(url), None) => {
            check_url(url, allow_private)?;
            let secret = crate::delivery::webhook::new_secret()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            crate::delivery::webhook::challenge(&delivery.channels.outbound, url, &secret)
                .await
                .map_err(|e| {
                    ApiError::BadRequest(format!(
                        "address: the webhook did not pass its challenge: {e}"
                    ))
                })?;
            Ok(Checked {
                channel: "webhook",
                address: url.clone(),
                state: "active",
                webhook_secret: Some(secret),
                push_keys: None,
            })
        }
        ("push", None, Some(push)) => {
            if delivery.channels.vapid.is_none() {
                return Err(ApiError::Unavailable(
                    "Web Push is not configured on this server",
                ));
            }
            check_url(&push.endpoint, allow_private)?;
            if !b64_len(&push.keys.p256dh, 65) || !b64_len(&push.keys.auth, 16) {
                return Err(bad(
                    "push.keys: p256dh must be 65 bytes and auth 16, base64url",
                ));
            }
            Ok(Checked {
                channel: "push",
                address: push.endpoint.clone(),
                state: "active",
                webhook_secret: None,
                push_keys: Some((push.keys.p256dh.clone(), push.keys.auth.clone())),
            })
        }
        _ => Err(bad(
            "channel: email or webhook with an address, or push with a push subscription",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/subscriptions",
    operation_id = "subscriptionOptions",
    summary = "What can be subscribed to here: the channels this server delivers on, the topics and levels, and the VAPID public key (RFC 8292) browsers subscribe with (`applicationServerKey`).",
    tags = ["subscriptions"],
    responses(
        (status = 200, description = "`{channels, topics, levels, vapid_public_key}`.", body = Object),
        (status = 503, description = "Subscriptions are not enabled.", body = Object),
    ),
)]
async fn options(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let delivery = delivery(&app)?;
    let mut channels = Vec::new();
    if delivery.channels.mailer.is_some() {
        channels.push("email");
    }
    channels.push("webhook");
    if delivery.channels.vapid.is_some() {
        channels.push("push");
    }
    Ok(Json(json!({
        "channels": channels,
        "topics": ["notices", "level", "daily_forecast", "daily_summary"],
        "levels": [2, 3, 4, 5, 6],
        "vapid_public_key": delivery.channels.vapid.as_ref().map(|key| key.public_key()),
    })))
}
