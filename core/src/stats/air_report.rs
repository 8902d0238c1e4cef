//! A period's air statistics with the year before beside them, as the CLI and the API publish
//! them: one shape for `envmon stats air --json` and `/api/v1/stats/air`.

use chrono::NaiveDate;
use serde::Serialize;

use super::{AirPeriod, CompositeIndex, change_percent, change_points, composite_index};
use crate::Parameter;

/// A period and its comparison with the same days a year earlier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AirReport {
    /// The area id or station code.
    pub subject: String,
    pub period: AirPeriod,
    /// `None` unless all six statistics are valid (see [`composite_index`]).
    pub composite_index: Option<CompositeIndex>,
    pub year_before: YearBefore,
}

/// The year before, only as far as the comparison needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearBefore {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub good_day_ratio: Option<f64>,
    /// Percentage points.
    pub good_day_ratio_change_points: Option<f64>,
    pub pollutants: Vec<PollutantChange>,
}

/// One pollutant's statistic a year earlier and the change since, in percent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantChange {
    pub pollutant: Parameter,
    /// The valid statistic a year earlier.
    pub previous: Option<f64>,
    pub change_percent: Option<f64>,
}

/// The report of `this` period against `last` (the same days a year earlier).
pub fn air_report(subject: &str, this: AirPeriod, last: &AirPeriod) -> AirReport {
    let valid = |p: &super::PollutantPeriod| p.value.filter(|_| p.valid);
    let pollutants = this
        .pollutants
        .iter()
        .zip(&last.pollutants)
        .map(|(now, before)| PollutantChange {
            pollutant: now.pollutant,
            previous: valid(before),
            change_percent: change_percent(valid(now), valid(before)),
        })
        .collect();
    AirReport {
        subject: subject.to_owned(),
        composite_index: composite_index(&this),
        year_before: YearBefore {
            from: last.from,
            to: last.to,
            good_day_ratio: last.good_day_ratio,
            good_day_ratio_change_points: change_points(this.good_day_ratio, last.good_day_ratio),
            pollutants,
        },
        period: this,
    }
}
