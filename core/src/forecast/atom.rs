//! The Atom (RFC 4287) feed of forecasts: one entry per issued version, its
//! days in both languages in the summary and the signed JSON linked. No CAP:
//! a forecast is not a warning.

use chrono::{DateTime, SecondsFormat, Utc};

use super::public::PublicForecast;
use crate::alert::xml::XmlWriter;

/// One line per day: `2026-12-09 AQI 92–112 (2, 3) pm25: text`.
fn summary(forecast: &PublicForecast, lang_zh: bool) -> String {
    forecast
        .days
        .iter()
        .map(|d| {
            let part = d
                .part
                .map(|p| format!(" {}", p.as_str()))
                .unwrap_or_default();
            let levels: Vec<String> = d.levels.iter().map(u8::to_string).collect();
            let text = if lang_zh { &d.text.zh } else { &d.text.en };
            format!(
                "{}{part} AQI {}–{} ({}) {}: {text}",
                d.day,
                d.aqi_low,
                d.aqi_high,
                levels.join(", "),
                d.primary.join(", "),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An Atom feed of `forecasts` (newest first), served at `self_url`; each
/// entry links to its JSON at `{json_base}/{version_id}`.
pub fn render_forecast_atom(
    self_url: &str,
    json_base: &str,
    title: &str,
    forecasts: &[PublicForecast],
    generated_at: DateTime<Utc>,
) -> String {
    let updated = forecasts
        .iter()
        .map(|f| f.issued_at)
        .max()
        .unwrap_or(generated_at);
    let mut xml = XmlWriter::new();
    xml.open("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
    xml.text("id", self_url);
    xml.text("title", title);
    xml.text("updated", &rfc3339(updated));
    xml.empty("link", &[("rel", "self"), ("href", self_url)]);
    xml.open("author", &[]);
    xml.text("name", title);
    xml.close("author");
    for forecast in forecasts {
        let range = match (forecast.days.first(), forecast.last_day()) {
            (Some(first), Some(last)) => format!("{} – {last}", first.day),
            _ => String::new(),
        };
        xml.open("entry", &[]);
        xml.text(
            "id",
            &format!("urn:envmon:forecast:{}", forecast.version_id),
        );
        xml.text(
            "title",
            &format!(
                "{} 空气质量预报 / {} air quality forecast {range}",
                forecast.area_name.zh, forecast.area_name.en
            ),
        );
        xml.text("updated", &rfc3339(forecast.issued_at));
        xml.text("published", &rfc3339(forecast.issued_at));
        xml.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "application/json"),
                ("href", &format!("{json_base}/{}", forecast.version_id)),
            ],
        );
        xml.empty(
            "category",
            &[
                ("term", forecast.status.as_str()),
                ("label", &forecast.area),
            ],
        );
        xml.text_with(
            "summary",
            &[("type", "text")],
            &format!(
                "[{}]\n{}\n{}",
                forecast.status.as_str(),
                summary(forecast, true),
                summary(forecast, false)
            ),
        );
        xml.close("entry");
    }
    xml.close("feed");
    xml.finish()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
