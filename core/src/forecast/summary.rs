//! A published forecast in one paragraph per language, for the messages subscribers to the
//! daily forecast receive (e-mail, webhook, push) through the outbox.

use std::fmt::Write as _;

use super::{DayPart, ForecastStatus, PublicForecast};
use crate::outbox::ForecastSummary;

/// The names of `levels` (1–6) in HJ 633's table (Table A.1, the same in both editions).
fn levels(levels: &[u8], english: bool, joiner: &str) -> String {
    let table = crate::aqi::levels::levels(crate::aqi::Edition::Hj633_2026);
    levels
        .iter()
        .filter_map(|l| table.get(usize::from(*l).checked_sub(1)?))
        .map(|row| {
            if english {
                row.category_en
            } else {
                row.category_zh
            }
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

/// What subscribers are told of `forecast`; `None` for a withdrawal (nothing to plan on).
pub fn summary(forecast: &PublicForecast) -> Option<ForecastSummary> {
    if forecast.status == ForecastStatus::Withdrawn {
        return None;
    }
    let (mut zh, mut en) = (
        format!("{}空气质量预报：", forecast.area_name.zh),
        format!("Air quality forecast for {}: ", forecast.area_name.en),
    );
    for (i, day) in forecast.days.iter().enumerate() {
        let (part_zh, part_en) = match day.part {
            None => ("", ""),
            Some(DayPart::Morning) => ("上午", " morning"),
            Some(DayPart::Afternoon) => ("下午", " afternoon"),
            Some(DayPart::Night) => ("夜间", " night"),
        };
        let date = day.day.format("%m-%d");
        let _ = write!(
            zh,
            "{}{date}{part_zh} AQI {}–{}（{}）",
            if i == 0 { "" } else { "；" },
            day.aqi_low,
            day.aqi_high,
            levels(&day.levels, false, "至")
        );
        let _ = write!(
            en,
            "{}{date}{part_en} AQI {}–{} ({})",
            if i == 0 { "" } else { "; " },
            day.aqi_low,
            day.aqi_high,
            levels(&day.levels, true, " to ")
        );
    }
    zh.push('。');
    en.push('.');
    Some(ForecastSummary {
        forecast_id: forecast.id.clone(),
        area_ids: vec![forecast.area.clone()],
        text_zh: zh,
        text_en: en,
        published_at: forecast.issued_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::alert::Bilingual;
    use crate::forecast::PublicForecastDay;

    fn day(
        d: u32,
        part: Option<DayPart>,
        (low, high): (u16, u16),
        levels: Vec<u8>,
    ) -> PublicForecastDay {
        PublicForecastDay {
            day: NaiveDate::from_ymd_opt(2026, 12, d).unwrap(),
            part,
            days_ahead: i64::from(d) - 8,
            aqi_low: low,
            aqi_high: high,
            levels,
            edition: "HJ 633-2026".into(),
            primary: vec!["pm25".into()],
            text: Bilingual::default(),
        }
    }

    #[test]
    fn a_forecast_reads_as_one_paragraph_per_language_and_a_withdrawal_as_none() {
        let mut forecast = PublicForecast {
            id: "FC-2026-00007".into(),
            version: 1,
            version_id: "FC-2026-00007.v1".into(),
            status: ForecastStatus::Published,
            area: "shanghai".into(),
            area_name: Bilingual {
                zh: "上海市".into(),
                en: "Shanghai".into(),
            },
            issued_at: Utc.with_ymd_and_hms(2026, 12, 8, 8, 0, 0).unwrap(),
            days: vec![
                day(9, None, (92, 112), vec![2, 3]),
                day(10, Some(DayPart::Morning), (40, 50), vec![1]),
            ],
            references: None,
            signature: None,
        };
        let summary = summary(&forecast).unwrap();
        assert_eq!(
            summary.text_zh,
            "上海市空气质量预报：12-09 AQI 92–112（良至轻度污染）；12-10上午 AQI 40–50（优）。"
        );
        assert_eq!(
            summary.text_en,
            "Air quality forecast for Shanghai: 12-09 AQI 92–112 (Good to Lightly Polluted); \
             12-10 morning AQI 40–50 (Excellent)."
        );
        assert_eq!(summary.area_ids, ["shanghai"]);
        forecast.status = ForecastStatus::Withdrawn;
        assert_eq!(super::summary(&forecast), None);
    }
}
