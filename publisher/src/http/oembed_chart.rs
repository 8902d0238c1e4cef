//! oEmbed for the area charts (`/api/v1/charts/area/{id}/{chart}.svg|png`): a `photo` answer
//! whose image is the chart's PNG, so a newsroom's publishing system turns a calendar's URL into
//! an image with its title and attribution, as it does a station's into the live widget.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::charts::{AreaChartKind, AreaChartRequest, Format, Lang};

/// Reads `http(s)://host/api/v1/charts/area/{id}/{chart}.{svg|png}?year=&lang=&theme=`; `None`
/// for anything else, and for a chart URL whose query the chart itself would refuse.
pub(super) fn parse_chart_target(url: &str, this_year: i32) -> Option<AreaChartRequest> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (_, path_and_query) = rest.split_once('/')?;
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let (area, file) = path.strip_prefix("api/v1/charts/area/")?.split_once('/')?;
    let query: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    AreaChartRequest::parse(area, file, &query, this_year).ok()
}

/// The chart's title in its language, e.g. "上海市 2026 年每日空气质量".
fn title(request: &AreaChartRequest, (name_zh, name_en): (&str, &str)) -> String {
    let year = request.year;
    match (request.lang, request.kind) {
        (Lang::Zh, AreaChartKind::Calendar) => format!("{name_zh} {year} 年每日空气质量"),
        (Lang::Zh, AreaChartKind::GoodDays) => format!("{name_zh} {year} 年各月优良天数比例"),
        (Lang::Zh, AreaChartKind::Annual) => format!("{name_zh} {year} 年主要污染物与标准限值"),
        (Lang::En, AreaChartKind::Calendar) => format!("{name_en}: daily air quality in {year}"),
        (Lang::En, AreaChartKind::GoodDays) => {
            format!("{name_en}: good-day ratio by month in {year}")
        }
        (Lang::En, AreaChartKind::Annual) => {
            format!("{name_en}: {year}'s pollutants against the limits")
        }
    }
}

/// What the answer needs besides the request.
pub(super) struct PhotoContext<'a> {
    pub(super) base: &'a str,
    pub(super) names: (&'a str, &'a str),
    pub(super) author: &'a str,
    pub(super) max: (Option<u32>, Option<u32>),
    pub(super) cache_age: u32,
}

/// The oEmbed `photo` answer: the PNG of the chart, its size scaled down (keeping its shape)
/// to the consumer's bounds.
pub(super) fn photo_answer(request: &AreaChartRequest, context: &PhotoContext<'_>) -> Value {
    let png = AreaChartRequest {
        format: Format::Png,
        ..request.clone()
    };
    let (width, height) = request.kind.size();
    let scale = [
        context.max.0.map(|m| f64::from(m) / f64::from(width)),
        context.max.1.map(|m| f64::from(m) / f64::from(height)),
    ]
    .into_iter()
    .flatten()
    .fold(1.0_f64, f64::min);
    let scaled = |side: u32| (f64::from(side) * scale).floor().max(1.0) as u32;
    let base = context.base;
    json!({
        "version": "1.0",
        "type": "photo",
        "provider_name": "envmon",
        "provider_url": format!("{base}/"),
        "title": title(request, context.names),
        "author_name": context.author,
        "author_url": format!("{base}/?lang={}", request.lang.as_str()),
        "cache_age": context.cache_age,
        "url": format!("{base}/api/v1/charts/{}", png.key()),
        "width": scaled(width),
        "height": scaled(height),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_chart_urls_are_embeddable_as_their_png() {
        let request = parse_chart_target(
            "https://air.example.cn/api/v1/charts/area/shanghai/calendar.svg?year=2026&lang=en",
            2027,
        )
        .unwrap();
        assert_eq!(request.year, 2026);
        let answer = photo_answer(
            &request,
            &PhotoContext {
                base: "https://air.example.cn",
                names: ("上海市", "Shanghai"),
                author: "Shanghai",
                max: (Some(480), None),
                cache_age: 3600,
            },
        );
        assert_eq!(answer["type"], "photo");
        assert_eq!(
            answer["url"],
            "https://air.example.cn/api/v1/charts/area/shanghai/calendar.png?year=2026&lang=en&theme=light"
        );
        // 960 × 520 halved to fit 480.
        assert_eq!(answer["width"], 480);
        assert_eq!(answer["height"], 260);
        assert_eq!(answer["title"], "Shanghai: daily air quality in 2026");
    }

    #[test]
    fn other_urls_and_refused_charts_are_not() {
        for url in [
            "http://h/api/v1/charts/area/shanghai",
            "http://h/api/v1/charts/area/shanghai/pie.svg",
            "http://h/api/v1/charts/area/shanghai/calendar.svg?year=20270",
            "http://h/api/v1/charts/station/1141A/pm25.svg",
            "ftp://h/api/v1/charts/area/shanghai/calendar.svg",
        ] {
            assert!(parse_chart_target(url, 2027).is_none(), "{url}");
        }
    }
}
