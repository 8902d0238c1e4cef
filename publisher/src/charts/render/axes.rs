//! Where values and instants land on the chart: the value scale with its
//! "nice" ticks, the time ticks in the chart's zone, and the mapping of
//! both to pixels.

use chrono::{DateTime, Duration, Timelike, Utc};

use super::super::model::{Body, Chart};
use super::super::request::Range;

/// Where things go, in pixels.
pub(super) struct Frame {
    pub(super) width: i32,
    pub(super) height: i32,
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) top: i32,
    pub(super) bottom: i32,
}

/// The value axis: its ends and tick spacing.
pub(super) struct Scale {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) step: f64,
}

impl Scale {
    pub(super) fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let first = (self.lo / self.step).ceil() as i64;
        let last = (self.hi / self.step).floor() as i64;
        (first..=last).map(move |i| i as f64 * self.step)
    }
}

/// A "nice" tick step (1, 2 or 5 × 10ⁿ) giving about `count` ticks over
/// `span`.
fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(f64::MIN_POSITIVE);
    let magnitude = 10_f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The value axis for `chart`: zero (or the data minimum) to a bit above
/// the data maximum, stretched to show the next band boundary above it, so
/// a reader sees how far the values are from the next level or class.
pub(super) fn value_scale(chart: &Chart) -> Scale {
    let values: Vec<f64> = match &chart.body {
        // Flagged values do not stretch the axis: one impossible reading
        // would flatten every valid one. They are pinned to the edge.
        Body::Lines(lines) => lines
            .iter()
            .flat_map(|l| l.series.points.iter().map(|p| p.value))
            .collect(),
        Body::AqiBars(series) => series.points.iter().map(|p| p.value).collect(),
    };
    let data_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let data_min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut lo = if chart.allow_negative && data_min < 0.0 {
        data_min
    } else {
        0.0
    };
    let mut hi = if data_max.is_finite() {
        data_max * 1.1
    } else {
        0.0
    };
    if let Some(bands) = &chart.bands {
        let edges = bands
            .bands
            .iter()
            .flat_map(|b| [Some(b.lo), b.hi])
            .flatten();
        let reference = if data_max.is_finite() { data_max } else { 0.0 };
        if let Some(next) = edges.filter(|&e| e > reference).reduce(f64::min) {
            hi = hi.max(next * 1.08);
        }
        // pH: the 6–9 band sits far from zero; start near it.
        if let Some(first) = bands.bands.iter().find(|b| b.lo > 0.0 && b.hi.is_some())
            && bands.bands.len() == 3
            && data_min.is_finite()
        {
            lo = (data_min.min(first.lo) - 1.0).floor().max(0.0);
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let step = nice_step(hi - lo, 5.0);
    Scale {
        lo: (lo / step).floor() * step,
        hi: (hi / step).ceil() * step,
        step,
    }
}

/// Formats an axis value with no more decimals than its step needs.
pub(super) fn format_value(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// Time ticks in the chart's zone: (instant, label).
pub(super) fn time_ticks(chart: &Chart, plot_width: i32) -> Vec<(DateTime<Utc>, String)> {
    let offset = chart.offset;
    let local_from = chart.from.with_timezone(&offset);
    let max_labels = (plot_width / 64).max(2);
    let (step_hours, day_labels) = match chart.range {
        Range::Day => {
            let step = [3, 6, 12]
                .into_iter()
                .find(|s| 24 / s <= max_labels)
                .unwrap_or(12);
            (step, false)
        }
        Range::Week => (if max_labels >= 7 { 24 } else { 48 }, true),
        Range::Month => {
            let days = [2, 5, 10]
                .into_iter()
                .find(|d| 30 / d <= max_labels)
                .unwrap_or(10);
            (days * 24, true)
        }
    };
    // First whole local hour at or after `from` that is a multiple of the
    // step (local midnight for day steps).
    let mut at = local_from
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(local_from);
    if at < local_from {
        at += Duration::hours(1);
    }
    let align = if day_labels { 24 } else { step_hours };
    while !at.hour().is_multiple_of(u32::try_from(align).unwrap_or(24)) {
        at += Duration::hours(1);
    }
    let mut ticks = Vec::new();
    let mut day_index = 0;
    while at.with_timezone(&Utc) <= chart.to {
        if !day_labels || day_index % (step_hours / 24).max(1) == 0 {
            let label = if day_labels || at.hour() == 0 {
                match chart.lang {
                    super::super::request::Lang::Zh => at.format("%-m月%-d日").to_string(),
                    super::super::request::Lang::En => at.format("%b %-d").to_string(),
                }
            } else {
                at.format("%H:%M").to_string()
            };
            ticks.push((at.with_timezone(&Utc), label));
        }
        if day_labels {
            at += Duration::hours(24);
            day_index += 1;
        } else {
            at += Duration::hours(i64::from(step_hours));
        }
    }
    ticks
}

pub(super) fn x_of(chart: &Chart, frame: &Frame, at: DateTime<Utc>) -> i32 {
    let span = (chart.to - chart.from).num_seconds().max(1) as f64;
    let offset = (at - chart.from).num_seconds() as f64;
    #[allow(clippy::cast_possible_truncation)]
    let x = f64::from(frame.left) + offset / span * f64::from(frame.right - frame.left);
    x.round() as i32
}

pub(super) fn y_of(frame: &Frame, scale: &Scale, value: f64) -> i32 {
    let share = ((value - scale.lo) / (scale.hi - scale.lo)).clamp(-0.02, 1.02);
    #[allow(clippy::cast_possible_truncation)]
    let y = f64::from(frame.bottom) - share * f64::from(frame.bottom - frame.top);
    y.round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_or_five() {
        assert_eq!(nice_step(100.0, 5.0), 20.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(nice_step(37.0, 5.0), 10.0);
        assert_eq!(format_value(0.4, 0.2), "0.4");
        assert_eq!(format_value(40.0, 20.0), "40");
    }
}
