//! Forecast content checks, levels, signatures and scores, worked by hand.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::alert::{Bilingual, NoticeSigner, TrustedKeys};

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn text() -> Bilingual {
    Bilingual {
        zh: "良至轻度污染".into(),
        en: "Good to lightly polluted".into(),
    }
}

fn day(d: u32, low: u16, high: u16, primary: &[&str]) -> ForecastDay {
    ForecastDay {
        day: date(d),
        part: None,
        aqi_low: low,
        aqi_high: high,
        primary: primary.iter().map(|p| (*p).to_owned()).collect(),
        text: text(),
    }
}

pub(crate) fn three_days() -> ForecastContent {
    ForecastContent {
        area: "shanghai".into(),
        days: vec![
            day(9, 92, 112, &["pm25"]),
            day(10, 60, 80, &["o3_8h"]),
            day(11, 30, 50, &[]),
        ],
    }
}

const AREAS: &[&str] = &["shanghai", "pudong"];

fn error_of(content: &ForecastContent) -> ForecastError {
    content.validate(date(8), AREAS).unwrap_err()
}

#[test]
fn a_three_day_city_forecast_is_valid() {
    assert_eq!(three_days().validate(date(8), AREAS), Ok(()));
}

#[test]
fn days_must_be_one_to_three_days_ahead() {
    let mut today = three_days();
    today.days[0].day = date(8);
    assert_eq!(
        error_of(&today),
        ForecastError::DaysAhead {
            day: date(8),
            days_ahead: 0
        }
    );
    let mut fourth = three_days();
    fourth.days.push(day(12, 40, 60, &["pm25"]));
    assert!(matches!(
        error_of(&fourth),
        ForecastError::DaysAhead { days_ahead: 4, .. }
    ));
}

#[test]
fn an_unknown_area_is_refused() {
    let mut content = three_days();
    content.area = "atlantis".into();
    assert_eq!(
        error_of(&content),
        ForecastError::UnknownArea("atlantis".into())
    );
}

#[test]
fn ranges_must_be_ordered_bounded_and_narrow() {
    let mut inverted = three_days();
    inverted.days[0] = day(9, 112, 92, &["pm25"]);
    assert!(matches!(
        error_of(&inverted),
        ForecastError::RangeInverted {
            low: 112,
            high: 92,
            ..
        }
    ));
    let mut wide = three_days();
    wide.days[0] = day(9, 50, 200, &["pm25"]);
    assert!(matches!(
        error_of(&wide),
        ForecastError::RangeImplausible { .. }
    ));
    let mut beyond = three_days();
    beyond.days[0] = day(9, 480, 520, &["pm25"]);
    assert!(matches!(
        error_of(&beyond),
        ForecastError::RangeImplausible { .. }
    ));
}

#[test]
fn primary_pollutants_follow_hj_633() {
    let mut clean_with_primary = three_days();
    clean_with_primary.days[2].primary = vec!["pm25".into()];
    assert!(matches!(
        error_of(&clean_with_primary),
        ForecastError::Primary { .. }
    ));
    let mut polluted_without = three_days();
    polluted_without.days[0].primary.clear();
    assert!(matches!(
        error_of(&polluted_without),
        ForecastError::Primary { .. }
    ));
    let mut unknown = three_days();
    unknown.days[0].primary = vec!["pm1".into()];
    assert!(matches!(
        error_of(&unknown),
        ForecastError::UnknownPollutant { .. }
    ));
}

#[test]
fn days_are_in_order_once_and_texts_present() {
    let mut twice = three_days();
    twice.days[1].day = date(9);
    assert!(matches!(error_of(&twice), ForecastError::Duplicate(_)));
    let mut backwards = three_days();
    backwards.days.swap(0, 2);
    assert_eq!(error_of(&backwards), ForecastError::Order);
    let mut parts = three_days();
    parts.days[0].part = Some(DayPart::Morning);
    parts.days.insert(
        1,
        ForecastDay {
            part: Some(DayPart::Night),
            ..parts.days[0].clone()
        },
    );
    assert_eq!(parts.validate(date(8), AREAS), Ok(()));
    let mut empty = three_days();
    empty.days[1].text.en = "  ".into();
    assert!(matches!(
        error_of(&empty),
        ForecastError::Text { lang: "en", .. }
    ));
    let mut control = three_days();
    control.days[1].text.zh = "a\u{7}b".into();
    assert!(matches!(
        error_of(&control),
        ForecastError::Text { lang: "zh", .. }
    ));
    assert_eq!(
        error_of(&ForecastContent {
            area: "shanghai".into(),
            days: vec![]
        }),
        ForecastError::NoDays
    );
}

/// HJ 633-2026 Table 1: level II is 51–100, level III 101–150.
#[test]
fn levels_are_derived_from_the_range() {
    let edition = crate::aqi::Edition::Hj633_2026;
    assert_eq!(levels_for_range(edition, 92, 112), [2, 3]);
    assert_eq!(levels_for_range(edition, 101, 150), [3]);
    assert_eq!(levels_for_range(edition, 30, 50), [1]);
    assert_eq!(levels_for_range(edition, 180, 260), [4, 5]);
    assert_eq!(levels_for_range(edition, 290, 310), [5, 6]);
}

fn published() -> PublicForecast {
    let content = three_days();
    PublicForecast {
        id: "FC-2026-00001".into(),
        version: 1,
        version_id: "FC-2026-00001.v1".into(),
        status: ForecastStatus::Published,
        area: content.area.clone(),
        area_name: Bilingual {
            zh: "上海市".into(),
            en: "Shanghai".into(),
        },
        issued_at: Utc.with_ymd_and_hms(2026, 12, 8, 2, 0, 0).unwrap(),
        days: content
            .days
            .iter()
            .map(|d| PublicForecastDay::from_written(d, date(8)))
            .collect(),
        references: None,
        signature: None,
    }
}

#[test]
fn the_public_document_carries_levels_and_reads_back_as_written() {
    let forecast = published();
    assert_eq!(forecast.days[0].levels, [2, 3]);
    assert_eq!(forecast.days[0].days_ahead, 1);
    assert_eq!(forecast.days[0].edition, "HJ 633-2026");
    assert_eq!(forecast.content(), three_days());
    assert!(forecast.is_current(date(11)));
    assert!(!forecast.is_current(date(12)));
}

#[test]
fn a_signed_forecast_verifies_and_any_change_breaks_it() {
    let signer = NoticeSigner::from_seed(&[7; 32]);
    let mut forecast = published();
    forecast.sign(&signer);
    assert!(forecast.signed_by(&signer));
    let keys = TrustedKeys::single(signer.public_key());
    let json = serde_json::to_value(&forecast).unwrap();
    assert!(keys.verify(&json, Utc::now()).is_ok());
    let mut altered = json.clone();
    altered["days"][0]["aqi_high"] = 80.into();
    assert!(keys.verify(&altered, Utc::now()).is_err());
    let back: PublicForecast = serde_json::from_value(json).unwrap();
    assert_eq!(back, forecast);
}

/// Forecast 92–112 (levels II, III): observed 120 is level III, a hit, 8
/// above the range; observed 85 is level II, a hit, 7 below; observed 160
/// is level IV, a miss, 48 above; observed 100 is inside.
#[test]
fn days_are_scored_by_level_range_and_distance() {
    let levels = [2, 3];
    let cases = [
        (120, 3, true, false, 8),
        (85, 2, true, false, 7),
        (160, 4, false, false, 48),
        (100, 2, true, true, 0),
    ];
    let mut scores = Vec::new();
    for (aqi, level, hit, within, error) in cases {
        let score = score_day(92, 112, &levels, aqi, level);
        assert_eq!(
            (score.level_hit, score.within_range, score.abs_error),
            (hit, within, error),
            "observed {aqi}"
        );
        scores.push(score);
    }
    let summary = ScoreSummary::of(&scores);
    assert_eq!(
        (summary.scored, summary.level_hits, summary.within_range),
        (4, 3, 1)
    );
    assert_eq!(summary.level_hit_rate, Some(0.75));
    assert_eq!(summary.within_range_rate, Some(0.25));
    assert_eq!(summary.mean_abs_error, Some(15.75));
    assert_eq!(ScoreSummary::of(&[]).level_hit_rate, None);
}

#[test]
fn the_atom_feed_names_each_version_and_both_languages() {
    let feed = atom::render_forecast_atom(
        "http://x/api/v1/forecasts.atom",
        "http://x/api/v1/forecasts",
        "上海 / Shanghai",
        &[published()],
        Utc::now(),
    );
    assert!(feed.contains("<id>urn:envmon:forecast:FC-2026-00001.v1</id>"));
    assert!(feed.contains("良至轻度污染"));
    assert!(feed.contains("Good to lightly polluted"));
    assert!(feed.contains("href=\"http://x/api/v1/forecasts/FC-2026-00001.v1\""));
}

#[test]
fn markup_in_a_forecasts_text_reaches_the_feed_as_text() {
    let mut forecast = published();
    forecast.days[0].text.en = "</content><script>alert(1)</script> & <b>".into();
    let feed = atom::render_forecast_atom(
        "http://x/api/v1/forecasts.atom",
        "http://x/api/v1/forecasts",
        "上海 / Shanghai",
        &[forecast],
        Utc::now(),
    );
    assert!(!feed.contains("<script>"), "{feed}");
    assert!(!feed.contains("</content><script"), "{feed}");
    assert!(
        feed.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"),
        "{feed}"
    );
}
