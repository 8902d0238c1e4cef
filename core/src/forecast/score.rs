//! Scoring a forecast day against what happened: a forecast service that does
//! not measure itself is not trusted.
//!
//! Three measures per day, the ones forecast centres publish: whether the
//! observed level is one of the forecast levels (the level hit), whether the
//! observed AQI fell within the range, and how far it fell outside it (0
//! inside). Only whole days are scored: the observed value is the daily AQI.

use serde::Serialize;

/// One forecast day against the observed daily AQI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayScore {
    /// The observed level is among the forecast levels.
    pub level_hit: bool,
    /// `aqi_low <= observed <= aqi_high`.
    pub within_range: bool,
    /// The distance from the observed AQI to the range; 0 inside it.
    pub abs_error: u16,
}

/// Scores a day forecast as `low..=high` spanning `levels` against the
/// observed daily AQI and its level.
///
/// ```
/// use envmon_core::forecast::score_day;
///
/// let score = score_day(92, 112, &[2, 3], 120, 3);
/// assert!(score.level_hit && !score.within_range);
/// assert_eq!(score.abs_error, 8);
/// ```
pub fn score_day(
    low: u16,
    high: u16,
    levels: &[u8],
    observed_aqi: u16,
    observed_level: u8,
) -> DayScore {
    let abs_error = if observed_aqi < low {
        low - observed_aqi
    } else {
        observed_aqi.saturating_sub(high)
    };
    DayScore {
        level_hit: levels.contains(&observed_level),
        within_range: abs_error == 0,
        abs_error,
    }
}

/// Many scored days summed up.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ScoreSummary {
    /// Days scored.
    pub scored: u32,
    /// Days whose level was hit.
    pub level_hits: u32,
    /// Days whose AQI fell within the range.
    pub within_range: u32,
    /// `level_hits / scored`; none before any day is scored.
    pub level_hit_rate: Option<f64>,
    /// `within_range / scored`.
    pub within_range_rate: Option<f64>,
    /// The mean of the absolute errors.
    pub mean_abs_error: Option<f64>,
}

impl ScoreSummary {
    /// The summary of `scores`.
    pub fn of<'a>(scores: impl IntoIterator<Item = &'a DayScore>) -> Self {
        let mut summary = Self::default();
        let mut error_sum = 0_u64;
        for score in scores {
            summary.scored += 1;
            summary.level_hits += u32::from(score.level_hit);
            summary.within_range += u32::from(score.within_range);
            error_sum += u64::from(score.abs_error);
        }
        if summary.scored > 0 {
            let n = f64::from(summary.scored);
            summary.level_hit_rate = Some(round3(f64::from(summary.level_hits) / n));
            summary.within_range_rate = Some(round3(f64::from(summary.within_range) / n));
            // At most 500 × u32::MAX: exact in an f64.
            summary.mean_abs_error = Some(round3(error_sum as f64 / n));
        }
        summary
    }
}

/// Three decimals: enough for a rate, and stable in JSON and CSV.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
