//! Quality control: flags readings that no working instrument would give,
//! so they are stored and published with the reason but left out of the
//! official indices.
//!
//! Three checks, in order, on readings the sensor itself called valid:
//! - **out of range**: outside the parameter's plausible range
//!   ([`envmon_core::parameter::ParameterInfo`]);
//! - **spike**: a jump from the previous valid value larger than both an
//!   absolute and a relative bound, within [`SPIKE_WINDOW`];
//! - **flatline**: the same value [`FLATLINE_REPEATS`] times in a row over
//!   at least [`FLATLINE_SPAN`] (a stuck sensor), for parameters that really
//!   vary. Both bounds matter: clean air can hold one rounded minute value
//!   for a quarter of an hour, but not for four hours.
//!
//! An instrument's own flag (calibration, maintenance, fault) always wins.
//! The check is pure; its memory of each series' recent values lives in
//! [`QcState`], which the writer owns. With several ingest instances each
//! sees part of a station's stream, so spike and flatline detection is best
//! effort across instances; range checks are exact.
//!
//! A late reading is not flagged: late data is real data (it recomputes the
//! aggregates it belongs to); its lateness is kept as `received_at`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use envmon_core::{Parameter, QualityFlag, Reading, StationCode};

/// A spike is judged only against a previous value this recent.
pub const SPIKE_WINDOW: Duration = Duration::hours(2);

/// This many identical consecutive values...
pub const FLATLINE_REPEATS: usize = 12;

/// ...spanning at least this long make a flatline.
pub const FLATLINE_SPAN: Duration = Duration::hours(4);

/// The largest believable change between consecutive values: an absolute
/// step in the canonical unit, and a factor. A jump is a spike only when it
/// exceeds both, so low concentrations may double freely.
fn spike_bounds(parameter: Parameter) -> Option<(f64, f64)> {
    match parameter {
        Parameter::Pm25 | Parameter::Pm10 => Some((300.0, 5.0)),
        Parameter::So2 | Parameter::No2 | Parameter::O3 => Some((300.0, 5.0)),
        Parameter::Co => Some((10.0, 5.0)),
        Parameter::Ph => Some((2.0, 1.5)),
        Parameter::Do => Some((8.0, 3.0)),
        Parameter::Temp => Some((8.0, 3.0)),
        Parameter::Codmn | Parameter::Nh3n | Parameter::Tp | Parameter::Tn => None,
        Parameter::Turbidity | Parameter::Conductivity => None,
        // Laboratory-like items and dosed residuals: steps are real (a
        // salt tide, a dosing change), not a broken sensor.
        Parameter::Sulfate
        | Parameter::Chloride
        | Parameter::Nitrate
        | Parameter::Fe
        | Parameter::Mn
        | Parameter::FreeChlorine
        | Parameter::TotalChlorine => None,
        // A dose rate jumps with rain and with a passing source: real.
        Parameter::DoseRate | Parameter::Precipitation => None,
    }
}

/// Whether a stuck value is suspicious for this parameter. Water analysers
/// near their detection limit legitimately repeat a value, so only
/// continuously varying quantities are checked.
fn checks_flatline(parameter: Parameter) -> bool {
    matches!(
        parameter,
        Parameter::Pm25
            | Parameter::Pm10
            | Parameter::No2
            | Parameter::O3
            | Parameter::Temp
            | Parameter::Do
    )
}

/// What QC remembers of one series.
#[derive(Debug, Clone, Copy)]
struct Last {
    observed_at: DateTime<Utc>,
    value: f64,
    repeats: usize,
    /// When the current run of identical values began.
    since: DateTime<Utc>,
}

/// QC's memory of each (station, parameter) series: its last valid value.
#[derive(Debug, Default)]
pub struct QcState {
    last: HashMap<(StationCode, Parameter), Last>,
}

impl QcState {
    /// Flags `reading` in place and remembers it.
    pub fn check(&mut self, reading: &mut Reading) {
        if reading.quality != QualityFlag::Valid {
            return;
        }
        let info = reading.parameter.info();
        if !reading.value.is_finite()
            || !(info.plausible_min..=info.plausible_max).contains(&reading.value)
        {
            reading.quality = QualityFlag::OutOfRange;
            return;
        }
        let key = (reading.station.clone(), reading.parameter);
        let previous = self.last.get(&key).copied();
        // Only a newer reading is compared; a late one is checked for range only.
        if let Some(last) = previous
            && reading.observed_at <= last.observed_at
        {
            return;
        }
        if let Some(last) = previous
            && reading.observed_at - last.observed_at <= SPIKE_WINDOW
            && is_spike(reading.parameter, last.value, reading.value)
        {
            reading.quality = QualityFlag::Spike;
            return;
        }
        let (repeats, since) = match previous {
            Some(last) if last.value == reading.value => (last.repeats + 1, last.since),
            _ => (1, reading.observed_at),
        };
        self.last.insert(
            key,
            Last {
                observed_at: reading.observed_at,
                value: reading.value,
                repeats,
                since,
            },
        );
        let stuck = repeats >= FLATLINE_REPEATS && reading.observed_at - since >= FLATLINE_SPAN;
        if stuck && checks_flatline(reading.parameter) {
            reading.quality = QualityFlag::Flatline;
        }
    }
}

fn is_spike(parameter: Parameter, previous: f64, value: f64) -> bool {
    let Some((step, factor)) = spike_bounds(parameter) else {
        return false;
    };
    let change = (value - previous).abs();
    let ratio = if previous.abs() > f64::EPSILON {
        (value / previous).abs()
    } else {
        f64::INFINITY
    };
    change > step && (ratio > factor || ratio < 1.0 / factor)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn reading(parameter: Parameter, minute: i64, value: f64) -> Reading {
        Reading {
            station: StationCode::parse("1141A").unwrap(),
            parameter,
            observed_at: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
                + Duration::minutes(minute),
            value,
            quality: QualityFlag::Valid,
            period_seconds: 0,
        }
    }

    fn run(state: &mut QcState, mut r: Reading) -> QualityFlag {
        state.check(&mut r);
        r.quality
    }

    #[test]
    fn values_outside_the_plausible_range_are_flagged() {
        let mut state = QcState::default();
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 0, -3.0)),
            QualityFlag::OutOfRange
        );
        assert_eq!(
            run(&mut state, reading(Parameter::Ph, 0, 14.5)),
            QualityFlag::OutOfRange
        );
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 0, 2000.0)),
            QualityFlag::Valid
        );
    }

    #[test]
    fn a_sudden_jump_is_a_spike_but_a_doubling_at_low_levels_is_not() {
        let mut state = QcState::default();
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 0, 30.0)),
            QualityFlag::Valid
        );
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 1, 60.0)),
            QualityFlag::Valid
        );
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 2, 900.0)),
            QualityFlag::Spike
        );
        // The spike is not remembered: the next normal value is compared with 60.
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 3, 65.0)),
            QualityFlag::Valid
        );
        // After a long gap a big change is believable.
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 600, 600.0)),
            QualityFlag::Valid
        );
    }

    #[test]
    fn a_stuck_sensor_is_flagged_after_four_hours_of_one_value() {
        let mut state = QcState::default();
        // Hourly values: the 12th identical one is 11 hours after the first.
        for hour in 0..11 {
            assert_eq!(
                run(&mut state, reading(Parameter::O3, hour * 60, 88.0)),
                QualityFlag::Valid
            );
        }
        assert_eq!(
            run(&mut state, reading(Parameter::O3, 11 * 60, 88.0)),
            QualityFlag::Flatline
        );
        assert_eq!(
            run(&mut state, reading(Parameter::O3, 12 * 60, 90.0)),
            QualityFlag::Valid
        );
        // Clean air holding one rounded minute value for an hour is not stuck.
        for minute in 0..60 {
            assert_eq!(
                run(&mut state, reading(Parameter::Pm25, minute, 5.0)),
                QualityFlag::Valid
            );
        }
        // Ammonia nitrogen near its detection limit may repeat.
        for minute in 0..20 {
            assert_eq!(
                run(&mut state, reading(Parameter::Nh3n, minute, 0.025)),
                QualityFlag::Valid
            );
        }
    }

    #[test]
    fn an_instrument_flag_wins_and_late_readings_only_get_range_checks() {
        let mut state = QcState::default();
        let mut calibrating = reading(Parameter::Pm25, 0, -5.0);
        calibrating.quality = QualityFlag::Calibration;
        assert_eq!(run(&mut state, calibrating), QualityFlag::Calibration);
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 10, 30.0)),
            QualityFlag::Valid
        );
        // An older reading arriving late is not compared with the newer one.
        assert_eq!(
            run(&mut state, reading(Parameter::Pm25, 5, 900.0)),
            QualityFlag::Valid
        );
    }
}
