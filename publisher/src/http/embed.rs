//! The live widget for other sites' pages, and the station page that
//! offers it:
//!
//! - `/embed/station/{code}?lang=zh|en&theme=light|dark`: one station's
//!   current verdict and a sparkline, kept live over `/api/v1/live`, with
//!   attribution and a link back; sized for an article column; no cookies,
//!   no storage, nothing but this server contacted. Its script and style are
//!   `/embed/embed.js` and `/embed/embed.css` (`dashboard/embed.*`).
//! - `/station/{code}?lang=`: a small page with the widget, the chart and
//!   the codes to copy.
//!
//! Both carry oEmbed discovery links to `/api/v1/oembed` (`super::oembed`).

use std::collections::HashMap;
use std::path::Path as FsPath;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use envmon_core::aqi::Edition;
use envmon_core::aqi::levels::levels;
use envmon_core::registry::load_stations;
use envmon_core::water::WaterClass;
use envmon_core::{Parameter, Station, StationCode, StationKind};
use serde_json::json;

use crate::charts::{Lang, Theme, WATER_CLASS_RGB, display_unit};
use crate::error::ApiError;
use crate::state::AppState;

/// The widget's natural size: fits a phone and an article column.
pub(crate) const WIDGET_WIDTH: u32 = 480;
pub(crate) const WIDGET_HEIGHT: u32 = 236;

/// Widget pages may be reused for five minutes: they hold no data, only
/// names, and fetch everything live.
const CACHE_CONTROL: &str = "public, max-age=300";

/// Only this server may be contacted (its live WebSocket too). No
/// `frame-ancestors`: any page may frame the widget, including one opened
/// from a file, which `frame-ancestors *` would refuse.
fn widget_policy(app: &AppState) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' {}; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'",
        app.site.public.websocket_origin()
    )
}

const EMBED_HTML: &str = include_str!("../../../dashboard/embed.html");
const EMBED_JS: &str = include_str!("../../../dashboard/embed.js");
const EMBED_CSS: &str = include_str!("../../../dashboard/embed.css");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/embed/station/{code}", get(widget))
        .route("/embed/embed.js", get(|state| asset(state, "embed.js")))
        .route("/embed/embed.css", get(|state| asset(state, "embed.css")))
        .route("/station/{code}", get(station_page))
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The station `code` from the registry.
pub(crate) async fn find_station(app: &AppState, code: &str) -> Result<Station, ApiError> {
    let code = StationCode::parse(code)
        .map_err(|e| ApiError::BadRequest(format!("path parameter `code`: {e}")))?;
    let client = app.pool.get().await?;
    load_stations(&**client)
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or_else(|| ApiError::NotFound(format!("no station with code {code}")))
}

fn query_map(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let map = query
        .map(|Query(map)| map)
        .map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "query parameter `{unknown}` is not known here"
        )));
    }
    Ok(map)
}

fn lang_of(map: &HashMap<String, String>) -> Result<Lang, ApiError> {
    Lang::parse("lang", map.get("lang").map(String::as_str))
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn theme_of(map: &HashMap<String, String>) -> Result<Theme, ApiError> {
    Theme::parse("theme", map.get("theme").map(String::as_str))
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The station page's URL, the one oEmbed consumers are given.
pub(crate) fn station_url(base: &str, code: &StationCode, lang: Lang) -> String {
    format!("{base}/station/{code}?lang={}", lang.as_str())
}

/// The widget's URL.
pub(crate) fn widget_url(base: &str, code: &StationCode, lang: Lang, theme: Theme) -> String {
    format!(
        "{base}/embed/station/{code}?lang={}&theme={}",
        lang.as_str(),
        theme.as_str()
    )
}

/// The `<link>` that lets publishing systems find the oEmbed answer.
fn discovery_link(base: &str, station: &Station, lang: Lang, title: &str) -> String {
    let url = station_url(base, &station.code, lang);
    format!(
        r#"<link rel="alternate" type="application/json+oembed" href="{}" title="{}">"#,
        escape_html(&format!(
            "{base}/api/v1/oembed?url={}&format=json",
            encode_component(&url)
        )),
        escape_html(title)
    )
}

fn station_name(station: &Station, lang: Lang) -> &str {
    lang.pick(&station.name_zh, &station.name_en)
}

/// What the widget script needs that only the server knows: the station,
/// the attribution, and the AQI levels and water classes from
/// envmon-core (never repeated in the script).
fn widget_config(app: &AppState, station: &Station, lang: Lang, base: &str) -> serde_json::Value {
    let edition = Edition::for_period_start(chrono::Utc::now());
    let levels: Vec<_> = levels(edition)
        .iter()
        .map(|l| json!({"level": l.level, "hex": l.hex, "category": lang.pick(l.category_zh, l.category_en)}))
        .collect();
    let classes: Vec<_> = WaterClass::ALL
        .iter()
        .map(|c| {
            let [r, g, b] = WATER_CLASS_RGB[usize::from(c.number() - 1)];
            json!({"class": c.number(), "hex": format!("#{r:02X}{g:02X}{b:02X}"), "label": lang.pick(c.label_zh(), c.label_en())})
        })
        .collect();
    let parameters: serde_json::Map<String, serde_json::Value> = Parameter::ALL
        .iter()
        .filter(|p| p.applies_to(station.kind))
        .map(|p| {
            let info = p.info();
            (
                info.code.to_owned(),
                json!({"name": lang.pick(info.name_zh, info.name_en), "unit": display_unit(info.unit)}),
            )
        })
        .collect();
    let attribution = app.charts.attribution();
    json!({
        "parameters": parameters,
        "code": station.code,
        "kind": station.kind.as_str(),
        "lang": lang.as_str(),
        "name": station_name(station, lang),
        "district": lang.pick(&station.district_zh, &station.district_en),
        "target_class": station.target_class,
        "source": format!("envmon · {}", lang.pick(&attribution.zh, &attribution.en)),
        "station_url": station_url(base, &station.code, lang),
        "levels": levels,
        "classes": classes,
    })
}

async fn widget(
    State(app): State<AppState>,
    Path(code): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let map = query_map(query, &["lang", "theme"])?;
    let (lang, theme) = (lang_of(&map)?, theme_of(&map)?);
    let station = find_station(&app, &code).await?;
    let base = app.site.base();
    let title = format!(
        "{} · {}",
        station_name(&station, lang),
        lang.pick("实时空气与水质", "live air and water quality")
    );
    // `<` inside JSON is written as \u003c so no string can end the script
    // element early.
    let config = widget_config(&app, &station, lang, &base)
        .to_string()
        .replace('<', "\\u003c");
    let page = if let Some(dir) = &app.settings.dashboard_dir {
        tokio::fs::read_to_string(FsPath::new(dir).join("embed.html"))
            .await
            .unwrap_or_else(|_| EMBED_HTML.to_owned())
    } else {
        EMBED_HTML.to_owned()
    };
    let page = page
        .replace("{{lang}}", lang.pick("zh-CN", "en"))
        .replace("{{theme}}", theme.as_str())
        .replace("{{code}}", &escape_html(station.code.as_str()))
        .replace("{{kind}}", station.kind.as_str())
        .replace("{{title}}", &escape_html(&title))
        .replace("{{name}}", &escape_html(station_name(&station, lang)))
        .replace(
            "{{discovery}}",
            &discovery_link(&base, &station, lang, &title),
        )
        .replace(
            "{{station_url}}",
            &escape_html(&station_url(&base, &station.code, lang)),
        )
        .replace("{{config}}", &config);
    Ok(html_response(page, &widget_policy(&app)))
}

fn html_response(page: String, policy: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response()
}

async fn asset(State(app): State<AppState>, name: &'static str) -> Response {
    let (content_type, embedded) = match name {
        "embed.js" => ("text/javascript; charset=utf-8", EMBED_JS),
        _ => ("text/css; charset=utf-8", EMBED_CSS),
    };
    let body = match &app.settings.dashboard_dir {
        None => embedded.to_owned(),
        Some(dir) => match tokio::fs::read_to_string(FsPath::new(dir).join(name)).await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(file = name, error = %error, "Cannot read embed file.");
                return StatusCode::NOT_FOUND.into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE_CONTROL),
            // Any page may load the widget's parts.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// The iframe code of the widget, as oEmbed answers and the station page
/// shows it.
pub(crate) fn iframe_code(src: &str, title: &str, width: u32, height: u32) -> String {
    format!(
        r#"<iframe src="{}" width="{width}" height="{height}" style="border:0;max-width:100%" title="{}" loading="lazy"></iframe>"#,
        escape_html(src),
        escape_html(title)
    )
}

async fn station_page(
    State(app): State<AppState>,
    Path(code): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let map = query_map(query, &["lang"])?;
    let lang = lang_of(&map)?;
    let station = find_station(&app, &code).await?;
    let base = app.site.base();
    let name = station_name(&station, lang);
    let title = format!("{name} · {}", lang.pick("实时监测", "live monitoring"));
    let widget = widget_url(&base, &station.code, lang, Theme::Light);
    let chart_parameter = match station.kind {
        StationKind::Air => "aqi",
        StationKind::River | StationKind::Source => "do",
        StationKind::Plant | StationKind::Tap => "free_chlorine",
        StationKind::Radiation => "dose_rate",
    };
    let chart = format!(
        "{base}/api/v1/charts/station/{}/{chart_parameter}.png?range=7d&lang={}",
        station.code,
        lang.as_str()
    );
    // The codes to copy carry inline styles for other sites' pages; this
    // page's own copies are styled from embed.css, since its policy allows
    // no inline style.
    let iframe = iframe_code(&widget, &title, WIDGET_WIDTH, WIDGET_HEIGHT);
    let image = format!(
        r#"<img src="{}" width="800" height="400" alt="{}" style="max-width:100%;height:auto">"#,
        escape_html(&chart),
        escape_html(&title)
    );
    let live_iframe = format!(
        r#"<iframe class="live-frame" src="{}" width="{WIDGET_WIDTH}" height="{WIDGET_HEIGHT}" title="{}" loading="lazy"></iframe>"#,
        escape_html(&widget),
        escape_html(&title)
    );
    let chart_image = format!(
        r#"<img class="chart-image" src="{}" width="800" height="400" alt="{}">"#,
        escape_html(&chart),
        escape_html(&title)
    );
    let other = match lang {
        Lang::Zh => format!(r#"<a href="/station/{}?lang=en">English</a>"#, station.code),
        Lang::En => format!(r#"<a href="/station/{}?lang=zh">中文</a>"#, station.code),
    };
    let page = format!(
        r#"<!doctype html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_html}</title>
{discovery}
<link rel="stylesheet" href="/embed/embed.css">
</head>
<body class="station-page" data-station="{code}">
<header><h1>{name_html}</h1><nav>{other} · <a href="/">{dashboard}</a></nav></header>
<section><h2>{live}</h2>{live_iframe}</section>
<section><h2>{chart_heading}</h2>{chart_image}</section>
<section><h2>{embed_heading}</h2>
<label>{widget_label}<textarea readonly rows="3" data-embed="iframe">{iframe_code}</textarea></label>
<label>{image_label}<textarea readonly rows="2" data-embed="image">{image_code}</textarea></label>
<p>{more}</p>
</section>
</body>
</html>
"#,
        html_lang = lang.pick("zh-CN", "en"),
        title_html = escape_html(&title),
        discovery = discovery_link(&base, &station, lang, &title),
        code = escape_html(station.code.as_str()),
        name_html = escape_html(name),
        dashboard = lang.pick("全部站点", "All stations"),
        live = lang.pick("实时", "Live"),
        chart_heading = lang.pick("近7天", "Last 7 days"),
        embed_heading = lang.pick("嵌入", "Embed"),
        widget_label = lang.pick("实时小部件（iframe）", "Live widget (iframe)"),
        image_label = lang.pick("图表（PNG，也可用 .svg）", "Chart (PNG; .svg works too)"),
        iframe_code = escape_html(&iframe),
        image_code = escape_html(&image),
        more = escape_html(lang.pick(
            "图表参数：range=24h|7d|30d、lang=zh|en、theme=light|dark、width、height；见 docs/charts.md。",
            "Chart parameters: range=24h|7d|30d, lang=zh|en, theme=light|dark, width, height; see docs/charts.md.",
        )),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        page,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            encode_component("http://h/station/1141A?lang=zh"),
            "http%3A%2F%2Fh%2Fstation%2F1141A%3Flang%3Dzh"
        );
    }
}
