//! Air quality over a period (a month, a quarter, a year or any range of days) from the daily
//! AQI reports of one station or area: what the bureau's monthly and annual bulletins print.
//!
//! - Valid days (有效天数): days with a published daily AQI; a day published as NA (HJ 633-2026
//!   §5.3) or without data is not one.
//! - Days per level and the good-day ratio (优良天数比例): good days are those with AQI ≤ 100
//!   (levels I and II, HJ 633 Table 1/2), counted over valid days only.
//! - Days by primary pollutant; exceedance days (超标天数, AQI > 100) and heavy-pollution days
//!   (重污染天数, AQI > 200, levels V and VI).
//! - Per pollutant, the statistic HJ 663 evaluates a period by (SECONDARY, see
//!   [`super::percentile`](mod@super::percentile)): the mean of the daily means for SO2, NO2, PM10 and PM2.5; the 95th
//!   percentile of the CO 24-hour means; the 90th percentile of the O3 daily maximum 8-hour
//!   means. Rounded as GB/T 8170 (四舍六入五成双) to whole µg/m³ and CO to 0.1 mg/m³, as HJ 633
//!   rounds concentrations.
//! - Validity of those statistics (GB 3095-2026 Table 4, annual average): at least 27 daily values
//!   in each whole month of the period (25 in February) and, for a whole calendar year, at least
//!   324. envmon applies the same counts to the CO and O3 percentiles.
//! - Attainment against GB 3095-2026 Table 1 ([`super::limits`]), the limits in force on the
//!   period's last day: the means against the annual limits, CO against its 24-hour limit, O3
//!   against its daily maximum 8-hour limit. Monthly bulletins compare a month's means with the
//!   annual limits the same way.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::limits::{AreaClass, LimitAveraging, limit};
use super::percentile::percentile;
use crate::Parameter;
use crate::aqi::rounding::round_half_even_scaled;
use crate::aqi::{DailyConcentrations, Edition, level_for};

/// GB 3095-2026 Table 4: daily values needed in a month (February: [`MIN_DAYS_IN_FEBRUARY`]).
pub const MIN_DAYS_PER_MONTH: u32 = 27;
/// GB 3095-2026 Table 4: daily values needed in February.
pub const MIN_DAYS_IN_FEBRUARY: u32 = 25;
/// GB 3095-2026 Table 4: daily values needed in a year.
pub const MIN_DAYS_PER_YEAR: u32 = 324;
/// HJ 633: good (优良) days have an AQI of at most 100.
pub const GOOD_DAY_MAX_AQI: u16 = 100;
/// HJ 633: heavy pollution (重度及以上) is an AQI above 200.
pub const HEAVY_POLLUTION_MIN_AQI: u16 = 201;

/// One day of a station or area: its published daily AQI and the concentrations behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct AirDay {
    /// The Beijing calendar day.
    pub day: NaiveDate,
    /// The published daily AQI; `None` for NA or no data.
    pub aqi: Option<u16>,
    /// The day's primary pollutants (none when AQI ≤ 50).
    pub primary: Vec<Parameter>,
    /// The day's valid daily statistics.
    pub concentrations: DailyConcentrations,
}

/// Which statistic judges a pollutant over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatistic {
    /// The mean of the daily means (SO2, NO2, PM10, PM2.5).
    Mean,
    /// The 95th percentile of the 24-hour means (CO).
    Percentile95,
    /// The 90th percentile of the daily maximum 8-hour means (O3).
    Percentile90,
}

/// One pollutant over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantPeriod {
    pub pollutant: Parameter,
    pub statistic: PeriodStatistic,
    /// Rounded as GB/T 8170; `None` without any daily value.
    pub value: Option<f64>,
    /// Daily values it was computed from.
    pub days: u32,
    /// Whether GB 3095-2026 Table 4's counts are met (see the module's doc).
    pub valid: bool,
    /// The GB 3095-2026 limit it is judged against; `None` before 2026-03-01.
    pub limit: Option<f64>,
    /// `value ≤ limit`, when both exist and the value is valid.
    pub attains: Option<bool>,
}

/// Days on which a pollutant was primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrimaryDays {
    pub pollutant: Parameter,
    pub days: u32,
}

/// A period's air statistics for one station or area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AirPeriod {
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Calendar days in the period.
    pub days: u32,
    /// Days with a published daily AQI.
    pub valid_days: u32,
    /// Valid days per level, I to VI.
    pub level_days: [u32; 6],
    /// Days with AQI ≤ 100.
    pub good_days: u32,
    /// `good_days / valid_days`; `None` without valid days.
    pub good_day_ratio: Option<f64>,
    /// Days with AQI > 100.
    pub exceedance_days: u32,
    /// Days with AQI > 200.
    pub heavy_pollution_days: u32,
    /// Days each pollutant was primary, most days first.
    pub primary_days: Vec<PrimaryDays>,
    /// SO2, NO2, CO, O3, PM10, PM2.5.
    pub pollutants: Vec<PollutantPeriod>,
    /// Whether every valid pollutant attains its limit (`None` if any is unknown).
    pub attains: Option<bool>,
}

/// The statistics of `days` (any order; days outside `from..=to` are ignored) for an area of
/// `class`.
pub fn air_period(from: NaiveDate, to: NaiveDate, class: AreaClass, days: &[AirDay]) -> AirPeriod {
    let in_period: Vec<&AirDay> = days
        .iter()
        .filter(|d| d.day >= from && d.day <= to)
        .collect();
    let mut level_days = [0u32; 6];
    let mut primary: Vec<PrimaryDays> = Vec::new();
    let (mut valid_days, mut good_days, mut exceedance_days, mut heavy_pollution_days) =
        (0, 0, 0, 0);
    for day in &in_period {
        let Some(aqi) = day.aqi else { continue };
        valid_days += 1;
        let level = level_for(Edition::for_beijing_day(day.day), aqi).level;
        level_days[usize::from(level.clamp(1, 6)) - 1] += 1;
        good_days += u32::from(aqi <= GOOD_DAY_MAX_AQI);
        exceedance_days += u32::from(aqi > GOOD_DAY_MAX_AQI);
        heavy_pollution_days += u32::from(aqi >= HEAVY_POLLUTION_MIN_AQI);
        for &pollutant in &day.primary {
            match primary.iter_mut().find(|p| p.pollutant == pollutant) {
                Some(count) => count.days += 1,
                None => primary.push(PrimaryDays { pollutant, days: 1 }),
            }
        }
    }
    primary.sort_by(|a, b| b.days.cmp(&a.days).then(a.pollutant.cmp(&b.pollutant)));

    use Parameter::{Co, No2, O3, Pm10, Pm25, So2};
    use PeriodStatistic::{Mean, Percentile90, Percentile95};
    let specs: [(Parameter, PeriodStatistic, Pick); 6] = [
        (So2, Mean, |c| c.so2_24h_ug_m3),
        (No2, Mean, |c| c.no2_24h_ug_m3),
        (Co, Percentile95, |c| c.co_24h_mg_m3),
        (O3, Percentile90, |c| c.o3_8h_max_ug_m3),
        (Pm10, Mean, |c| c.pm10_24h_ug_m3),
        (Pm25, Mean, |c| c.pm25_24h_ug_m3),
    ];
    let pollutants: Vec<PollutantPeriod> = specs
        .iter()
        .map(|&(pollutant, statistic, pick)| {
            let dated: Vec<(NaiveDate, f64)> = in_period
                .iter()
                .filter_map(|d| pick(&d.concentrations).map(|v| (d.day, v)))
                .collect();
            pollutant_period(pollutant, statistic, from, to, class, &dated)
        })
        .collect();
    let attains = pollutants
        .iter()
        .filter(|p| p.valid)
        .map(|p| p.attains)
        .collect::<Option<Vec<bool>>>()
        .map(|all| all.iter().all(|a| *a));

    AirPeriod {
        from,
        to,
        days: u32::try_from((to - from).num_days() + 1).unwrap_or(0),
        valid_days,
        level_days,
        good_days,
        good_day_ratio: (valid_days > 0).then(|| f64::from(good_days) / f64::from(valid_days)),
        exceedance_days,
        heavy_pollution_days,
        primary_days: primary,
        pollutants,
        attains,
    }
}

/// Reads one pollutant's daily statistic.
type Pick = fn(&DailyConcentrations) -> Option<f64>;

fn pollutant_period(
    pollutant: Parameter,
    statistic: PeriodStatistic,
    from: NaiveDate,
    to: NaiveDate,
    class: AreaClass,
    dated: &[(NaiveDate, f64)],
) -> PollutantPeriod {
    let values: Vec<f64> = dated.iter().map(|(_, v)| *v).collect();
    let raw = match statistic {
        PeriodStatistic::Mean => {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        }
        PeriodStatistic::Percentile95 => percentile(&values, 95.0),
        PeriodStatistic::Percentile90 => percentile(&values, 90.0),
    };
    let decimals = if pollutant == Parameter::Co { 1 } else { 0 };
    let value = raw.map(|v| round_gb_t_8170(v, decimals));
    let averaging = match statistic {
        PeriodStatistic::Mean => LimitAveraging::Annual,
        PeriodStatistic::Percentile95 => LimitAveraging::Daily,
        PeriodStatistic::Percentile90 => LimitAveraging::DailyMax8h,
    };
    let limit = limit(pollutant, averaging, class, to);
    let days = u32::try_from(values.len()).unwrap_or(u32::MAX);
    let valid = value.is_some() && counts_are_met(from, to, dated);
    let attains = match (value, limit) {
        (Some(value), Some(limit)) if valid => Some(value <= limit),
        _ => None,
    };
    PollutantPeriod {
        pollutant,
        statistic,
        value,
        days,
        valid,
        limit,
        attains,
    }
}

/// GB 3095-2026 Table 4 for the whole months of `from..=to` and, if it is exactly a calendar
/// year, the year.
fn counts_are_met(from: NaiveDate, to: NaiveDate, dated: &[(NaiveDate, f64)]) -> bool {
    let mut month = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    while month <= to {
        let next = next_month(month);
        let last = next.pred_opt().unwrap_or(month);
        if month >= from && last <= to {
            let count = dated
                .iter()
                .filter(|(d, _)| *d >= month && *d <= last)
                .count();
            let needed = if month.month() == 2 {
                MIN_DAYS_IN_FEBRUARY
            } else {
                MIN_DAYS_PER_MONTH
            };
            if (count as u32) < needed {
                return false;
            }
        }
        month = next;
    }
    let whole_year = from.ordinal() == 1
        && to.year() == from.year()
        && to.succ_opt().is_none_or(|d| d.year() != from.year());
    !whole_year || dated.len() as u32 >= MIN_DAYS_PER_YEAR
}

fn next_month(first: NaiveDate) -> NaiveDate {
    let (year, month) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MAX)
}

/// GB/T 8170 (四舍六入五成双) at `decimals` places.
fn round_gb_t_8170(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(0));
    round_half_even_scaled(value.max(0.0), decimals) as f64 / scale
}

#[cfg(test)]
mod tests;
