//! Alarm rules as configured, and the decision each evaluation makes.
//!
//! Every kind of rule reduces a station's state to one number (an AQI, a
//! concentration, classes worse than target, minutes silent in cadences,
//! flagged readings) so one hysteresis serves them all: an alarm is raised
//! when the number reaches `raise_at` and cleared only once it falls below
//! `clear_below`, so a value wavering around the threshold does not flap.

use std::time::Duration;

use envmon_core::{Parameter, StationKind};
use serde::{Deserialize, Serialize};

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The latest hourly China AQI of an air station (within `window`).
    Aqi,
    /// The latest valid value of `parameter` (within `window`), in its
    /// canonical unit.
    Pollutant,
    /// Classes by which a river section or source is worse than its target
    /// class (GB 3838-2002), from its latest assessment.
    WaterClass,
    /// 1 when a drinking-water source's latest assessment is out of
    /// compliance, else 0.
    SourceCompliance,
    /// 1 when a water plant's outlet or a network point's latest online
    /// record fails GB 5749-2022, else 0.
    SupplyCompliance,
    /// 1 when the newest laboratory sample of a source, plant or network
    /// point published within `window` fails its standard, else 0.
    LabCompliance,
    /// 1 when a radiation station's latest valid hour (within `window`)
    /// reached its investigation level (the registry's, else the top of its
    /// natural background), else 0.
    RadiationInvestigation,
    /// Time since a station's latest reading, in multiples of `window` (its
    /// reporting cadence). Stations that never reported are left alone.
    Silent,
    /// Readings flagged by quality control within the last `window`.
    QcFailures,
}

/// One configured rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmRule {
    /// A stable name: alarms are keyed by rule name and station.
    pub name: String,
    /// What it watches.
    pub kind: RuleKind,
    /// The parameter, for `pollutant` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<Parameter>,
    /// Only stations of this kind (`air`, `river`, `source`, `plant`,
    /// `tap`); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_kind: Option<StationKind>,
    /// Raise when the measured number is at least this.
    pub raise_at: f64,
    /// Clear when it falls below this (at most `raise_at`).
    pub clear_below: f64,
    /// The look-back: the newest data considered (`aqi`, `pollutant`), the
    /// counting window (`qc_failures`) or the cadence (`silent`).
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

/// The `[ingest.alarms]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmSettings {
    /// How often every rule is evaluated; 0s turns alarms off.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// The rules.
    pub rules: Vec<AlarmRule>,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        let hour = Duration::from_secs(3600);
        let rule = |name: &str, kind, raise_at, clear_below, window| AlarmRule {
            name: name.into(),
            kind,
            parameter: None,
            station_kind: None,
            raise_at,
            clear_below,
            window,
        };
        Self {
            interval: Duration::from_secs(30),
            rules: vec![
                // HJ 633 AQI levels: 201-300 is level V, heavy pollution (重度污染).
                rule("aqi_heavy", RuleKind::Aqi, 201.0, 181.0, 3 * hour),
                AlarmRule {
                    parameter: Some(Parameter::Pm25),
                    // HJ 633 IAQI breakpoints: PM2.5 150 µg/m³ is IAQI 200, 115 is IAQI 150.
                    ..rule("pm25_high", RuleKind::Pollutant, 150.0, 115.0, 2 * hour)
                },
                // Water is judged on the latest assessment of the last day.
                rule(
                    "water_below_target",
                    RuleKind::WaterClass,
                    1.0,
                    1.0,
                    24 * hour,
                ),
                rule(
                    "source_noncompliant",
                    RuleKind::SourceCompliance,
                    1.0,
                    1.0,
                    24 * hour,
                ),
                rule(
                    "supply_noncompliant",
                    RuleKind::SupplyCompliance,
                    1.0,
                    1.0,
                    24 * hour,
                ),
                // Laboratory results arrive weeks after sampling: a failing
                // sample stays raised for a month after it was published.
                rule(
                    "lab_noncompliant",
                    RuleKind::LabCompliance,
                    1.0,
                    1.0,
                    30 * 24 * hour,
                ),
                rule(
                    "radiation_investigation",
                    RuleKind::RadiationInvestigation,
                    1.0,
                    1.0,
                    3 * hour,
                ),
                AlarmRule {
                    station_kind: Some(StationKind::Air),
                    // Air stations report hourly means: three missed hours.
                    ..rule("air_station_silent", RuleKind::Silent, 3.0, 1.0, hour)
                },
                rule("qc_failures", RuleKind::QcFailures, 10.0, 1.0, hour),
            ],
        }
    }
}

/// Why the rules cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Two rules share a name.
    #[error("alarm rule name {0:?} is used twice")]
    Duplicate(String),
    /// A rule would flap or never clear.
    #[error("alarm rule {0:?}: clear_below must not exceed raise_at")]
    Hysteresis(String),
    /// A pollutant rule without a parameter.
    #[error("alarm rule {0:?}: a pollutant rule needs a parameter")]
    NoParameter(String),
    /// A zero window.
    #[error("alarm rule {0:?}: window must be longer than zero")]
    Window(String),
}

impl AlarmSettings {
    /// Checks the rules make sense together.
    ///
    /// # Errors
    /// The first rule that does not.
    pub fn validate(&self) -> Result<(), RuleError> {
        let mut names = std::collections::BTreeSet::new();
        for rule in &self.rules {
            if !names.insert(rule.name.as_str()) {
                return Err(RuleError::Duplicate(rule.name.clone()));
            }
            // NaN thresholds fail this too.
            let ordered = rule.clear_below.is_finite()
                && rule.raise_at.is_finite()
                && rule.clear_below <= rule.raise_at;
            if !ordered {
                return Err(RuleError::Hysteresis(rule.name.clone()));
            }
            if rule.kind == RuleKind::Pollutant && rule.parameter.is_none() {
                return Err(RuleError::NoParameter(rule.name.clone()));
            }
            if rule.window.is_zero() {
                return Err(RuleError::Window(rule.name.clone()));
            }
        }
        Ok(())
    }
}

/// What an evaluation does to a (rule, station) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No open alarm, and the number reached `raise_at`: raise one.
    Raise,
    /// Open, and the number is worse than its worst so far: keep it as evidence.
    Worsen,
    /// Open, and the number fell below `clear_below`: clear it.
    Clear,
    /// Nothing changes.
    Keep,
}

/// The decision for `value`, given the worst value of the open alarm (if any).
pub fn decide(rule: &AlarmRule, open_worst: Option<f64>, value: f64) -> Decision {
    match open_worst {
        None if value >= rule.raise_at => Decision::Raise,
        None => Decision::Keep,
        Some(_) if value < rule.clear_below => Decision::Clear,
        Some(worst) if value > worst => Decision::Worsen,
        Some(_) => Decision::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aqi_rule() -> AlarmRule {
        AlarmSettings::default().rules.remove(0)
    }

    #[test]
    fn a_value_wavering_at_the_threshold_raises_once_and_clears_once() {
        let rule = aqi_rule();
        let mut open: Option<f64> = None;
        let mut decisions = Vec::new();
        for value in [
            190.0, 205.0, 199.0, 203.0, 185.0, 230.0, 182.0, 175.0, 199.0,
        ] {
            let decision = decide(&rule, open, value);
            match decision {
                Decision::Raise => open = Some(value),
                Decision::Worsen => open = open.map(|w| w.max(value)),
                Decision::Clear => open = None,
                Decision::Keep => {}
            }
            decisions.push(decision);
        }
        use Decision::*;
        assert_eq!(
            decisions,
            [Keep, Raise, Keep, Keep, Keep, Worsen, Keep, Clear, Keep]
        );
    }

    #[test]
    fn the_defaults_are_valid_and_bad_rules_are_named() {
        assert_eq!(AlarmSettings::default().validate(), Ok(()));
        let mut settings = AlarmSettings::default();
        settings.rules[0].clear_below = 250.0;
        assert_eq!(
            settings.validate(),
            Err(RuleError::Hysteresis("aqi_heavy".into()))
        );
        let mut settings = AlarmSettings::default();
        settings.rules[1].parameter = None;
        assert_eq!(
            settings.validate(),
            Err(RuleError::NoParameter("pm25_high".into()))
        );
        let mut settings = AlarmSettings::default();
        settings.rules.push(aqi_rule());
        assert!(matches!(settings.validate(), Err(RuleError::Duplicate(_))));
    }
}
