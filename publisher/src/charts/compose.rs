//! From a request and its data to a [`Chart`]: the words in the chosen
//! language, the bands, the captions that say where the data comes from,
//! what range it covers and when the image was made. Also the same data as
//! JSON, for widgets that draw their own.
//!
//! Pure: the caller passes the time it was made.

use chrono::{DateTime, Utc};
use envmon_core::Station;
use envmon_core::aqi::Edition;
use envmon_core::station::WaterBodyType;
use serde_json::{Value, json};

use super::bands::{Bands, aqi_bands, parameter_bands};
use super::model::{Body, Chart, Line};
use super::request::{ChartRequest, Lang, Measure, Subject};
use super::series::Series;

/// Who the data is from, as every image says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribution {
    pub(crate) zh: String,
    pub(crate) en: String,
}

/// A canonical unit as people write it.
pub(crate) fn display_unit(unit: &str) -> &str {
    match unit {
        "ug/m3" => "μg/m³",
        "mg/m3" => "mg/m³",
        "uS/cm" => "μS/cm",
        "Cel" => "°C",
        "1" => "",
        other => other,
    }
}

fn station_name(station: &Station, lang: Lang) -> &str {
    lang.pick(&station.name_zh, &station.name_en)
}

fn measure_name(measure: Measure, lang: Lang) -> String {
    match measure {
        Measure::Aqi => lang
            .pick("空气质量指数 AQI", "Air Quality Index (AQI)")
            .to_owned(),
        Measure::Parameter(p) => lang.pick(p.info().name_zh, p.info().name_en).to_owned(),
    }
}

fn with_unit(text: String, measure: Measure, lang: Lang) -> String {
    let unit = match measure {
        Measure::Aqi => "",
        Measure::Parameter(p) => display_unit(p.unit()),
    };
    match (unit, lang) {
        ("", _) => text,
        (unit, Lang::Zh) => format!("{text}（{unit}）"),
        (unit, Lang::En) => format!("{text} ({unit})"),
    }
}

/// The bands behind the chart: AQI levels, or the parameter's official
/// bands where every station is judged by the same ones.
fn bands_for(request: &ChartRequest, stations: &[Station], edition: Edition) -> Option<Bands> {
    match request.measure {
        Measure::Aqi => Some(aqi_bands(edition)),
        Measure::Parameter(p) => {
            let bodies: Vec<Option<WaterBodyType>> =
                stations.iter().map(|s| s.water_body_type).collect();
            if bodies.windows(2).any(|w| w[0] != w[1]) {
                // Rivers and lakes have different TP limits: no one band
                // set is right for both.
                return None;
            }
            parameter_bands(p, edition, bodies.first().copied().flatten())
        }
    }
}

/// Builds the chart of `series` (one per station, in request order).
pub(crate) fn chart(
    request: &ChartRequest,
    stations: &[Station],
    series: Vec<Series>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    made_at: DateTime<Utc>,
    attribution: &Attribution,
) -> Chart {
    let lang = request.lang;
    let offset = request.zone.offset;
    let zone = request.zone.label(lang);
    let edition = Edition::for_hour_ending(to);
    let bands = bands_for(request, stations, edition);
    let title = match (&request.subject, stations) {
        (Subject::Station(_), [station]) => with_unit(
            format!(
                "{} · {}",
                station_name(station, lang),
                measure_name(request.measure, lang)
            ),
            request.measure,
            lang,
        ),
        _ => with_unit(
            match lang {
                Lang::Zh => format!(
                    "{} · {}个站点比较",
                    measure_name(request.measure, lang),
                    stations.len()
                ),
                Lang::En => format!(
                    "{} at {} stations",
                    measure_name(request.measure, lang),
                    stations.len()
                ),
            },
            request.measure,
            lang,
        ),
    };
    let codes: Vec<&str> = stations.iter().map(|s| s.code.as_str()).collect();
    let what = match request.measure {
        Measure::Aqi => lang.pick("小时AQI", "hourly AQI"),
        Measure::Parameter(_) => lang.pick("小时均值", "hourly means"),
    };
    let time = |t: DateTime<Utc>| {
        t.with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let subtitle = format!(
        "{} · {} – {} {zone} · {what}",
        codes.join(", "),
        time(from),
        time(to)
    );
    let source = match lang {
        Lang::Zh => format!("来源：envmon · {}", attribution.zh),
        Lang::En => format!("Source: envmon · {}", attribution.en),
    };
    let flag_legend = match (&request.subject, request.measure) {
        (Subject::Station(_), Measure::Aqi) => lang.pick("× AQI 未发布", "× AQI withheld"),
        _ => lang.pick("× 标记或不完整数据", "× flagged or incomplete"),
    };
    let bands_source = bands
        .as_ref()
        .map(|b| lang.pick(&b.source_zh, &b.source_en).to_owned())
        .unwrap_or_else(|| lang.pick("无官方分级", "no official bands").to_owned());
    let made = match lang {
        Lang::Zh => format!("生成于 {} {zone}", time(made_at)),
        Lang::En => format!("Made {} {zone}", time(made_at)),
    };
    let body = match (&request.subject, request.measure) {
        (Subject::Station(_), Measure::Aqi) => {
            Body::AqiBars(series.into_iter().next().unwrap_or_default())
        }
        _ => Body::Lines(
            stations
                .iter()
                .zip(series)
                .map(|(station, series)| Line {
                    label: station_name(station, lang).to_owned(),
                    series,
                })
                .collect(),
        ),
    };
    Chart {
        title,
        subtitle,
        footer: [source, format!("{made} · {bands_source} · {flag_legend}")],
        empty_text: lang
            .pick("此时段暂无数据", "No data in this period")
            .to_owned(),
        from,
        to,
        offset,
        range: request.range,
        lang,
        theme: request.theme,
        bands,
        body,
        allow_negative: request.measure == Measure::Parameter(envmon_core::Parameter::Temp),
    }
}

/// The same data as JSON: what a widget needs to draw its own sparkline.
pub(crate) fn json(
    request: &ChartRequest,
    stations: &[Station],
    series: &[Series],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    attribution: &Attribution,
) -> Value {
    let unit = match request.measure {
        Measure::Aqi => None,
        Measure::Parameter(p) => Some(p.unit()),
    };
    let series: Vec<Value> = stations
        .iter()
        .zip(series)
        .map(|(station, series)| {
            json!({
                "station": station.code,
                "name_zh": station.name_zh,
                "name_en": station.name_en,
                "points": series.points.iter().map(|p| json!({"at": p.at, "value": p.value})).collect::<Vec<_>>(),
                "flagged": series.marks.iter().map(|m| json!({"at": m.at, "value": m.value})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "parameter": request.measure.code(),
        "unit": unit,
        "range": request.range.as_str(),
        "from": from,
        "to": to,
        "resolution": "PT1H",
        "source": {"zh": format!("envmon · {}", attribution.zh), "en": format!("envmon · {}", attribution.en)},
        "series": series,
    })
}
