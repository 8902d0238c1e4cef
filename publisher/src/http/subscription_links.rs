//! The links subscription messages carry: confirm an e-mail subscription
//! (the double opt-in), and unsubscribe: a page with one button for people
//! (a GET changes nothing, so mail scanners following links unsubscribe
//! nobody), and the POST that RFC 8058 one-click sends, which deletes the
//! subscription and every message stored for it.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The link routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(confirm, unsubscribe_page, unsubscribe))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subscriptions/confirm", get(confirm))
        .route(
            "/api/v1/subscriptions/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
}

const CONFIRM: &str = "UPDATE subscription SET state = 'active', confirmed_at = now(),
        confirm_token = NULL
    WHERE confirm_token = $1 AND state = 'pending' RETURNING language";
const UNSUBSCRIBE: &str = "DELETE FROM subscription WHERE manage_token = $1 RETURNING language";

/// The token of a confirm or unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenQuery {
    /// From the link in the message.
    #[param(example = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3nj")]
    token: String,
}

/// A small page in the subscriber's language.
fn page(language: Option<String>, zh: &str, en: &str, form: Option<&str>) -> Html<String> {
    let (lang, text) = match language.as_deref() {
        Some("zh") => ("zh-CN", zh),
        _ => ("en", en),
    };
    let form = form.map_or(String::new(), |button| {
        format!(r#"<form method="post"><button type="submit">{button}</button></form>"#)
    });
    Html(format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>envmon</title><p>{text}</p>{form}<p><a href=\"/\">envmon</a></p></html>"
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/subscriptions/confirm",
    operation_id = "confirmSubscription",
    summary = "Confirm an e-mail subscription (the link of the opt-in message).",
    tags = ["subscriptions"],
    params(TokenQuery),
    responses(
        (status = 200, description = "Confirmed: an HTML page.", content_type = "text/html"),
        (status = 404, description = "No pending subscription has this token.", content_type = "text/html"),
    ),
)]
async fn confirm(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let row = client.query_opt(CONFIRM, &[&query.token]).await?;
    Ok(match row {
        Some(row) => page(
            row.get(0),
            "订阅已确认。",
            "Your subscription is confirmed.",
            None,
        )
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            page(None, "", "This link is not valid (any more).", None),
        )
            .into_response(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/subscriptions/unsubscribe",
    operation_id = "unsubscribePage",
    summary = "The page of an unsubscribe link: one button that POSTs to the same URL (a GET changes nothing, so link scanners cannot unsubscribe anyone).",
    tags = ["subscriptions"],
    params(TokenQuery),
    responses((status = 200, description = "An HTML page with the button.", content_type = "text/html")),
)]
async fn unsubscribe_page(ApiQuery(_query): ApiQuery<TokenQuery>) -> Html<String> {
    page(
        None,
        "",
        "Stop this subscription? / 退订此订阅？",
        Some("Unsubscribe / 退订"),
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/unsubscribe",
    operation_id = "unsubscribe",
    summary = "Unsubscribe: deletes the subscription and everything stored for it. RFC 8058 one-click (`List-Unsubscribe=One-Click`) posts here.",
    tags = ["subscriptions"],
    params(TokenQuery),
    responses(
        (status = 200, description = "Deleted: an HTML page.", content_type = "text/html"),
        (status = 404, description = "No subscription has this token (perhaps already deleted).", content_type = "text/html"),
    ),
)]
async fn unsubscribe(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let row = client.query_opt(UNSUBSCRIBE, &[&query.token]).await?;
    Ok(match row {
        Some(row) => page(
            row.get(0),
            "已退订，您的地址已删除。",
            "Unsubscribed; your address is deleted.",
            None,
        )
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            page(
                None,
                "",
                "Nothing to unsubscribe: this link is not valid (any more).",
                None,
            ),
        )
            .into_response(),
    })
}
