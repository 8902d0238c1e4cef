//! One hour of a radiation station judged: its mean dose rate against the
//! natural background, and whether it reached the investigation level.

use serde::Serialize;

use super::Background;

/// Where an hour's mean lies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseState {
    /// Within the natural background.
    Within,
    /// Above it, by `excess` nGy/h.
    Above {
        /// nGy/h above the background's high end.
        excess: f64,
    },
    /// Below its low end (a shielded or faulty detector, snow cover).
    Below,
    /// No background known yet: the value is shown, not judged.
    NoBackground,
    /// The hour has too little data to judge.
    Invalid,
}

/// The verdict on one hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourVerdict {
    /// The hour's mean, nGy/h.
    pub mean: Option<f64>,
    /// Against the background.
    pub state: DoseState,
    /// The background used.
    pub background: Option<Background>,
    /// Whether it rained in the hour.
    pub rain: bool,
    /// Whether the mean reached the investigation level.
    pub investigate: bool,
    /// The investigation level used, nGy/h: the registry's, else the
    /// background's high end.
    pub investigation_level: Option<f64>,
    /// The reason in English.
    pub explanation_en: String,
    /// The reason in Chinese.
    pub explanation_zh: String,
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Judges an hour whose mean is `mean` (`valid` when its values cover
/// enough of the hour), with `rain_mm` of precipitation, against
/// `background` and an optional fixed `investigation_level` (nGy/h).
pub fn judge_hour(
    mean: Option<f64>,
    valid: bool,
    rain_mm: f64,
    background: Option<Background>,
    investigation_level: Option<f64>,
) -> HourVerdict {
    let rain = rain_mm > 0.0;
    let level = investigation_level.or(background.map(|b| b.high));
    let (state, en, zh) = match (mean, valid, background) {
        (Some(v), true, Some(b)) if v > b.high => {
            let excess = round1(v - b.high);
            let (en_rain, zh_rain) = if rain {
                (
                    " It rained in this hour: rain washes natural radon decay products out of the air and raises the dose rate for a few hours.",
                    "本小时有降雨：降雨把空气中天然氡子体冲刷到地面，剂量率会升高数小时。",
                )
            } else {
                ("", "")
            };
            (
                DoseState::Above { excess },
                format!(
                    "{v:.1} nGy/h is {excess} nGy/h above this station's natural background ({:.1}–{:.1} nGy/h).{en_rain}",
                    b.low, b.high
                ),
                format!(
                    "{v:.1} nGy/h，高于本站天然本底涨落范围（{:.1}–{:.1} nGy/h）{excess} nGy/h。{zh_rain}",
                    b.low, b.high
                ),
            )
        }
        (Some(v), true, Some(b)) if v < b.low => (
            DoseState::Below,
            format!(
                "{v:.1} nGy/h is below this station's natural background ({:.1}–{:.1} nGy/h): the detector may be shielded or faulty.",
                b.low, b.high
            ),
            format!(
                "{v:.1} nGy/h，低于本站天然本底涨落范围（{:.1}–{:.1} nGy/h），探测器可能被遮挡或故障。",
                b.low, b.high
            ),
        ),
        (Some(v), true, Some(b)) => (
            DoseState::Within,
            format!(
                "{v:.1} nGy/h is within this station's natural background ({:.1}–{:.1} nGy/h).",
                b.low, b.high
            ),
            format!(
                "{v:.1} nGy/h，处于本站天然本底涨落范围（{:.1}–{:.1} nGy/h）内。",
                b.low, b.high
            ),
        ),
        (Some(v), true, None) => (
            DoseState::NoBackground,
            format!("{v:.1} nGy/h; this station's natural background is not known yet."),
            format!("{v:.1} nGy/h；本站天然本底尚未确定。"),
        ),
        _ => (
            DoseState::Invalid,
            "Too few values in this hour to judge it.".to_owned(),
            "本小时数据不足，不作评价。".to_owned(),
        ),
    };
    let investigate = matches!(
        (mean, valid, level),
        (Some(v), true, Some(l)) if v >= l && !matches!(state, DoseState::Within)
    );
    HourVerdict {
        mean,
        state,
        background,
        rain,
        investigate,
        investigation_level: level,
        explanation_en: en,
        explanation_zh: zh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANGE: Background = Background {
        low: 60.0,
        high: 95.0,
        source: super::super::BackgroundSource::Configured,
    };

    #[test]
    fn the_range_edges_are_within() {
        for v in [60.0, 95.0, 80.0] {
            assert_eq!(
                judge_hour(Some(v), true, 0.0, Some(RANGE), None).state,
                DoseState::Within
            );
        }
        let above = judge_hour(Some(95.4), true, 0.0, Some(RANGE), None);
        assert_eq!(above.state, DoseState::Above { excess: 0.4 });
        assert!(
            above.investigate,
            "the background's high end is the default level"
        );
        assert_eq!(
            judge_hour(Some(59.9), true, 0.0, Some(RANGE), None).state,
            DoseState::Below
        );
    }

    #[test]
    fn rain_is_named_and_a_fixed_level_decides_investigation() {
        let wet = judge_hour(Some(112.0), true, 1.2, Some(RANGE), Some(150.0));
        assert_eq!(wet.state, DoseState::Above { excess: 17.0 });
        assert!(wet.rain && !wet.investigate);
        assert!(
            wet.explanation_en.contains("rain"),
            "{}",
            wet.explanation_en
        );
        assert!(wet.explanation_zh.contains("降雨"));
        assert!(judge_hour(Some(150.0), true, 0.0, Some(RANGE), Some(150.0)).investigate);
    }

    #[test]
    fn an_invalid_hour_or_an_unknown_background_is_not_judged() {
        assert_eq!(
            judge_hour(Some(300.0), false, 0.0, Some(RANGE), None).state,
            DoseState::Invalid
        );
        assert!(!judge_hour(Some(300.0), false, 0.0, Some(RANGE), None).investigate);
        assert_eq!(
            judge_hour(None, true, 0.0, Some(RANGE), None).state,
            DoseState::Invalid
        );
        let unknown = judge_hour(Some(80.0), true, 0.0, None, None);
        assert_eq!(unknown.state, DoseState::NoBackground);
        assert!(!unknown.investigate);
    }
}
