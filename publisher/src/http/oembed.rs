//! `/api/v1/oembed?url=...&format=json`: the oEmbed answer (oembed.com,
//! type `rich`) that lets publishing systems turn a station or widget URL
//! into the widget's iframe code, and (type `photo`, `super::oembed_chart`)
//! an area chart's URL into its image. Pages announce it with a discovery
//! `<link>` (`super::embed`).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Utc};
use serde_json::json;

use utoipa::{IntoParams, OpenApi};

use super::api_schemas::{ErrorResponse, OembedFormat, RateLimited};
use super::embed::{WIDGET_HEIGHT, WIDGET_WIDTH, find_station, iframe_code, widget_url};
use super::oembed_chart::{PhotoContext, parse_chart_target, photo_answer};
use crate::charts::{AreaChartRequest, Lang, Theme, beijing_today};
use crate::error::ApiError;
use crate::state::AppState;

/// Consumers may keep an answer for a day: it only names the station.
const CACHE_AGE_SECONDS: u32 = 86_400;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/oembed", get(oembed))
}

/// What an embeddable URL names.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    code: String,
    lang: Lang,
    theme: Theme,
}

/// Reads `http(s)://host/station/{code}?lang=` or
/// `http(s)://host/embed/station/{code}?lang=&theme=`; `None` for anything
/// else (404, as oEmbed asks for URLs a provider has nothing for).
fn parse_target(url: &str, base: Option<&str>) -> Option<Target> {
    if let Some(base) = base
        && !url.starts_with(&format!("{base}/"))
    {
        return None;
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (_, path_and_query) = rest.split_once('/')?;
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let path = path.strip_prefix("embed/").unwrap_or(path);
    let code = path.strip_prefix("station/")?.trim_end_matches('/');
    if code.is_empty() || code.contains('/') {
        return None;
    }
    let mut lang = Lang::Zh;
    let mut theme = Theme::Light;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("lang", value) => lang = Lang::parse("lang", Some(value)).ok()?,
            ("theme", value) => theme = Theme::parse("theme", Some(value)).ok()?,
            _ => {}
        }
    }
    Some(Target {
        code: code.to_owned(),
        lang,
        theme,
    })
}

fn parse_dimension(map: &HashMap<String, String>, name: &str) -> Result<Option<u32>, ApiError> {
    map.get(name)
        .map(|v| {
            v.parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "query parameter `{name}` must be a positive whole number"
                ))
            })
        })
        .transpose()
}

/// The oEmbed parameters, for the API document: the handler reads them
/// from a map, as oEmbed consumers may send parameters of their own.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "describes the query that the handler reads from a map"
)]
struct OembedQuery {
    /// A /station/{code}, /embed/station/{code} or /api/v1/charts/area/{id}/{chart}.svg URL of
    /// this site.
    #[param(required = true, example = "http://localhost/station/1141A")]
    url: String,
    /// Only json.
    #[param(value_type = Option<OembedFormat>, example = "json")]
    format: Option<String>,
    /// Largest width in pixels.
    #[param(minimum = 1, example = 640)]
    maxwidth: Option<u32>,
    /// Largest height in pixels.
    #[param(minimum = 1, example = 480)]
    maxheight: Option<u32>,
}

/// The oEmbed route in the API document.
#[derive(OpenApi)]
#[openapi(paths(oembed))]
pub(super) struct Api;

#[utoipa::path(
    get,
    path = "/api/v1/oembed",
    operation_id = "oembed",
    summary = "oEmbed (oembed.com) for a URL of this site: a station page or live widget URL gives a rich iframe of the live widget; an area chart URL gives a photo (the chart's PNG).",
    tags = ["charts"],
    params(OembedQuery),
    responses(
        (status = 200, description = "The oEmbed answer.", body = Object),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
        (status = 501, response = ErrorResponse),
    ),
)]
async fn oembed(
    State(app): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let map = query
        .map(|Query(map)| map)
        .map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    match map.get("format").map(String::as_str) {
        None | Some("json") => {}
        Some("xml") => {
            return Ok((
                StatusCode::NOT_IMPLEMENTED,
                Json(json!({"error": {"code": "not_implemented", "message": "query parameter `format`: only json is offered"}})),
            )
                .into_response());
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `format` must be json".into(),
            ));
        }
    }
    let url = map
        .get("url")
        .ok_or_else(|| ApiError::BadRequest("query parameter `url` is required".into()))?;
    let max_width = parse_dimension(&map, "maxwidth")?;
    let max_height = parse_dimension(&map, "maxheight")?;
    let base = app.site.base();
    if !url.starts_with(&format!("{base}/")) {
        return Err(not_ours(url));
    }
    let this_year = beijing_today(Utc::now()).year();
    if let Some(chart) = parse_chart_target(url, this_year) {
        return chart_answer(&app, &base, &chart, (max_width, max_height)).await;
    }
    let target = parse_target(url, Some(&base)).ok_or_else(|| not_ours(url))?;
    let station = find_station(&app, &target.code).await?;
    let lang = target.lang;
    let name = lang.pick(&station.name_zh, &station.name_en);
    let title = format!("{name} · {}", lang.pick("实时监测", "live monitoring"));
    let width = max_width.map_or(WIDGET_WIDTH, |m| m.min(WIDGET_WIDTH));
    let height = max_height.map_or(WIDGET_HEIGHT, |m| m.min(WIDGET_HEIGHT));
    let src = widget_url(&base, &station.code, lang, target.theme);
    let attribution = app.charts.attribution();
    let mut answer = json!({
        "version": "1.0",
        "type": "rich",
        "provider_name": "envmon",
        "provider_url": format!("{base}/"),
        "title": title,
        "author_name": lang.pick(&attribution.zh, &attribution.en),
        "author_url": format!("{base}/station/{}?lang={}", station.code, lang.as_str()),
        "cache_age": CACHE_AGE_SECONDS,
        "html": iframe_code(&src, &title, width, height),
        "width": width,
        "height": height,
    });
    // A chart as the thumbnail, where it fits the consumer's bounds.
    let thumb_width = max_width.map_or(800, |m| m.min(800));
    let thumb_height = thumb_width / 2;
    if thumb_width >= 480 && max_height.is_none_or(|m| m >= thumb_height) {
        let parameter = if station.kind == envmon_core::StationKind::Air {
            "aqi"
        } else {
            "do"
        };
        answer["thumbnail_url"] = json!(format!(
            "{base}/api/v1/charts/station/{}/{parameter}.png?range=7d&lang={}&width={thumb_width}&height={thumb_height}",
            station.code,
            lang.as_str()
        ));
        answer["thumbnail_width"] = json!(thumb_width);
        answer["thumbnail_height"] = json!(thumb_height);
    }
    Ok((
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        Json(answer),
    )
        .into_response())
}

fn not_ours(url: &str) -> ApiError {
    ApiError::NotFound(format!(
        "query parameter `url`: {url} is not a station, widget or area chart URL of this site"
    ))
}

/// The `photo` answer for an area chart, once the area is known.
async fn chart_answer(
    app: &AppState,
    base: &str,
    chart: &AreaChartRequest,
    max: (Option<u32>, Option<u32>),
) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT name_zh, name_en FROM area WHERE id = $1",
            &[&chart.area],
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no area with id {}", chart.area)))?;
    let attribution = app.charts.attribution();
    let answer = photo_answer(
        chart,
        &PhotoContext {
            base,
            names: (row.get(0), row.get(1)),
            author: chart.lang.pick(&attribution.zh, &attribution.en),
            max,
            cache_age: CACHE_AGE_SECONDS,
        },
    );
    Ok((
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        Json(answer),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_and_widget_urls_are_embeddable() {
        assert_eq!(
            parse_target("http://127.0.0.1:8080/station/1141A?lang=en", None),
            Some(Target {
                code: "1141A".into(),
                lang: Lang::En,
                theme: Theme::Light
            })
        );
        assert_eq!(
            parse_target(
                "https://air.example.cn/embed/station/wusongkou?theme=dark",
                None
            ),
            Some(Target {
                code: "wusongkou".into(),
                lang: Lang::Zh,
                theme: Theme::Dark
            })
        );
    }

    #[test]
    fn other_urls_are_not() {
        for url in [
            "http://h/",
            "http://h/api/v1/stations",
            "ftp://h/station/1141A",
            "http://h/station/",
            "http://h/station/1141A/extra",
            "http://h/station/1141A?lang=fr",
        ] {
            assert_eq!(parse_target(url, None), None, "{url}");
        }
        // With a public URL configured, only its own URLs.
        assert_eq!(
            parse_target(
                "http://elsewhere/station/1141A",
                Some("https://air.example.cn")
            ),
            None
        );
        assert!(
            parse_target(
                "https://air.example.cn/station/1141A",
                Some("https://air.example.cn")
            )
            .is_some()
        );
    }
}
