//! Data completeness of one point over one day (Beijing time): which of the
//! 24 hours brought valid hourly data, for the point and per pollutant.
//!
//! The input is the day's hourly [`PeriodData`] (CN 2061), the same records
//! [`judge_period`](super::judge_period) takes. An hour's value is valid
//! when it is present and flagged N or not flagged (see
//! [`flags`]). The logger has already applied HJ 212-2017's
//! interval rule when it flagged the hour (notes under Appendix C.16–C.18:
//! a flue-gas interval is normal when at least 75 % of its values were, else
//! D; a wastewater interval is abnormal if any value was), so the flag is
//! taken as sent.
//!
//! The pollutants counted are those the point has limits for, and O2 for a
//! flue-gas point with a reference O2, since its converted values need it.
//! An hour counts for the point when every one of them is valid.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Timelike};
use serde::Serialize;

use super::flags::{self, DataFlag};
use super::{Averaging, EmissionPoint, EmissionPollutant, PeriodData, PointKind};
use crate::beijing;

/// Hours in a Beijing day (no daylight saving time).
pub const HOURS_PER_DAY: u8 = 24;

/// Valid hours a daily mean needs. SECONDARY: HJ 76 Appendix B ("日数据应
/// 包含本日至少20h的小时有效数据") as quoted on a vendor page, see
/// `reference/README.md`; the HJ 76 text itself was not read.
pub const DAILY_MEAN_MIN_VALID_HOURS: u8 = 20;

/// An hour whose value was sent with a flag that makes it invalid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedHour {
    /// Hour of the day, Beijing time (0–23).
    pub hour: u8,
    /// The flag sent.
    pub flag: DataFlag,
}

/// One pollutant over one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantCompleteness {
    /// The pollutant (or O2).
    pub pollutant: EmissionPollutant,
    /// Hours with a valid value.
    pub valid_hours: u8,
    /// Hours with no value at all, Beijing hour of day.
    pub missing_hours: Vec<u8>,
    /// Hours with a value whose flag makes it invalid.
    pub flagged_hours: Vec<FlaggedHour>,
    /// `valid_hours / 24`.
    pub share: f64,
    /// Whether the valid hours reach [`DAILY_MEAN_MIN_VALID_HOURS`].
    pub daily_mean_valid: bool,
}

/// One point over one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCompleteness {
    /// The enterprise's code.
    pub enterprise: String,
    /// The point's code.
    pub point: String,
    /// The day, Beijing time.
    pub day: NaiveDate,
    /// Always [`HOURS_PER_DAY`].
    pub expected_hours: u8,
    /// Hours in which every counted pollutant is valid.
    pub valid_hours: u8,
    /// Hours with no hourly record at all: a finding in itself.
    pub missing_hours: Vec<u8>,
    /// `valid_hours / expected_hours`.
    pub share: f64,
    /// Per counted pollutant.
    pub pollutants: Vec<PollutantCompleteness>,
    /// Records not used: not hourly, not on the hour, or of another day.
    pub ignored_records: usize,
    /// Summary in English.
    pub explanation_en: String,
    /// Summary in Chinese.
    pub explanation_zh: String,
}

/// The pollutants counted for `point`: its limited pollutants in registry
/// order, then O2 when it converts.
pub fn counted_pollutants(point: &EmissionPoint) -> Vec<EmissionPollutant> {
    let mut out: Vec<EmissionPollutant> = Vec::new();
    for l in &point.limits {
        if !out.contains(&l.pollutant) {
            out.push(l.pollutant);
        }
    }
    if point.kind == PointKind::FlueGas && point.reference_o2.is_some() {
        out.push(EmissionPollutant::Oxygen);
    }
    out
}

/// The completeness of `point` on `day` (Beijing time) from its hourly
/// records. A later record of the same hour replaces an earlier one, factor
/// by factor, as a re-sent hour does.
pub fn day_completeness(
    point: &EmissionPoint,
    day: NaiveDate,
    records: &[PeriodData],
) -> DayCompleteness {
    let counted = counted_pollutants(point);
    let mut by_hour: BTreeMap<u8, BTreeMap<EmissionPollutant, (bool, Option<DataFlag>)>> =
        BTreeMap::new();
    let mut ignored_records = 0;
    for record in records {
        let local = record.starts_at.with_timezone(&beijing::offset());
        let on_the_hour = local.minute() == 0 && local.second() == 0 && local.nanosecond() == 0;
        if record.averaging != Averaging::Hourly || !on_the_hour || local.date_naive() != day {
            ignored_records += 1;
            continue;
        }
        // Hour of the day is 0..=23, so it fits a u8.
        let hour = u8::try_from(local.hour()).unwrap_or(u8::MAX);
        let slot = by_hour.entry(hour).or_default();
        for (p, v) in &record.factors {
            let present = v.avg.is_some() || v.zs_avg.is_some();
            slot.insert(*p, (present, v.flag.clone()));
        }
    }

    let pollutants: Vec<_> = counted
        .iter()
        .map(|&p| pollutant_completeness(p, &by_hour))
        .collect();
    let valid_set = |p: &PollutantCompleteness| -> BTreeSet<u8> {
        (0..HOURS_PER_DAY)
            .filter(|h| {
                !p.missing_hours.contains(h) && !p.flagged_hours.iter().any(|f| f.hour == *h)
            })
            .collect()
    };
    let valid_hours = pollutants
        .iter()
        .map(valid_set)
        .reduce(|a, b| a.intersection(&b).copied().collect())
        .map_or(0, |s| s.len());
    let valid_hours = u8::try_from(valid_hours).unwrap_or(HOURS_PER_DAY);
    let missing_hours: Vec<u8> = (0..HOURS_PER_DAY)
        .filter(|h| !by_hour.contains_key(h))
        .collect();
    let share = f64::from(valid_hours) / f64::from(HOURS_PER_DAY);
    let hours = |list: &[u8], sep: &str| {
        list.iter()
            .map(|h| format!("{h:02}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let percent = share * 100.0;
    let explanation_en = format!(
        "{} ({}/{}), {day}: {valid_hours} of {HOURS_PER_DAY} hours with valid data ({percent:.1} %){}.",
        point.name_en,
        point.enterprise,
        point.code,
        if missing_hours.is_empty() {
            String::new()
        } else {
            format!("; no data at hours {}", hours(&missing_hours, ", "))
        },
    );
    let explanation_zh = format!(
        "{}（{}/{}）{day}：有效小时 {valid_hours}/{HOURS_PER_DAY}（{percent:.1}%）{}。",
        point.name_zh,
        point.enterprise,
        point.code,
        if missing_hours.is_empty() {
            String::new()
        } else {
            format!("；缺失时段 {} 时", hours(&missing_hours, "、"))
        },
    );
    DayCompleteness {
        enterprise: point.enterprise.clone(),
        point: point.code.clone(),
        day,
        expected_hours: HOURS_PER_DAY,
        valid_hours,
        missing_hours,
        share,
        pollutants,
        ignored_records,
        explanation_en,
        explanation_zh,
    }
}

fn pollutant_completeness(
    pollutant: EmissionPollutant,
    by_hour: &BTreeMap<u8, BTreeMap<EmissionPollutant, (bool, Option<DataFlag>)>>,
) -> PollutantCompleteness {
    let mut valid_hours = 0u8;
    let mut missing_hours = Vec::new();
    let mut flagged_hours = Vec::new();
    for hour in 0..HOURS_PER_DAY {
        match by_hour.get(&hour).and_then(|f| f.get(&pollutant)) {
            Some((true, flag)) if flags::is_valid(flag.as_ref()) => valid_hours += 1,
            Some((true, Some(flag))) => flagged_hours.push(FlaggedHour {
                hour,
                flag: flag.clone(),
            }),
            _ => missing_hours.push(hour),
        }
    }
    PollutantCompleteness {
        pollutant,
        valid_hours,
        missing_hours,
        flagged_hours,
        share: f64::from(valid_hours) / f64::from(HOURS_PER_DAY),
        daily_mean_valid: valid_hours >= DAILY_MEAN_MIN_VALID_HOURS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emission::FactorValues;
    use crate::emission::point::tests::sample;
    use EmissionPollutant::*;
    use chrono::{DateTime, Duration, Utc};

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()
    }

    /// 00:00 on 2024-03-15 in Beijing is 16:00 UTC the day before.
    fn hour_start(hour: i64) -> DateTime<Utc> {
        "2024-03-14T16:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(hour)
    }

    fn hour(h: i64, flags: &[(EmissionPollutant, &str)]) -> PeriodData {
        PeriodData {
            starts_at: hour_start(h),
            averaging: Averaging::Hourly,
            factors: flags
                .iter()
                .map(|&(p, f)| {
                    (
                        p,
                        FactorValues {
                            avg: Some(1.0),
                            zs_avg: None,
                            flag: Some(DataFlag::parse(f)),
                        },
                    )
                })
                .collect(),
        }
    }

    fn normal_hour(h: i64) -> PeriodData {
        hour(
            h,
            &[(So2, "N"), (Nox, "N"), (Particulate, "N"), (Oxygen, "N")],
        )
    }

    #[test]
    fn a_full_day_of_normal_hours_is_complete() {
        let r = sample();
        let records: Vec<_> = (0..24).map(normal_hour).collect();
        let c = day_completeness(&r.points[0], day(), &records);
        assert_eq!(c.valid_hours, 24);
        assert_eq!(c.share, 1.0);
        assert!(c.missing_hours.is_empty());
        assert_eq!(c.ignored_records, 0);
        let counted: Vec<_> = c.pollutants.iter().map(|p| p.pollutant).collect();
        assert_eq!(counted, [So2, Nox, Particulate, Oxygen]);
        assert!(c.pollutants.iter().all(|p| p.daily_mean_valid));
    }

    #[test]
    fn missing_and_flagged_hours_are_listed_per_point_and_pollutant() {
        let r = sample();
        let mut records: Vec<_> = (0..24)
            .filter(|h| ![3, 4, 17].contains(h))
            .map(normal_hour)
            .collect();
        // Hour 10: SO2 under maintenance. Hour 11: no NOx sent.
        records[8] = hour(
            10,
            &[(So2, "M"), (Nox, "N"), (Particulate, "N"), (Oxygen, "N")],
        );
        records[9] = hour(11, &[(So2, "N"), (Particulate, "N"), (Oxygen, "N")]);
        let c = day_completeness(&r.points[0], day(), &records);
        assert_eq!(c.missing_hours, [3, 4, 17]);
        assert_eq!(c.valid_hours, 19);
        assert!((c.share - 19.0 / 24.0).abs() < 1e-12);
        let so2 = &c.pollutants[0];
        assert_eq!(so2.valid_hours, 20);
        assert_eq!(so2.missing_hours, [3, 4, 17]);
        assert_eq!(
            so2.flagged_hours,
            [FlaggedHour {
                hour: 10,
                flag: DataFlag::Maintenance
            }]
        );
        assert!(so2.daily_mean_valid);
        let nox = &c.pollutants[1];
        assert_eq!(nox.missing_hours, [3, 4, 11, 17]);
        assert_eq!(nox.valid_hours, 20);
        assert_eq!(
            c.explanation_en,
            "Boiler 1 stack (E0001/DA001), 2024-03-15: 19 of 24 hours with valid data (79.2 %); \
             no data at hours 03, 04, 17."
        );
        assert_eq!(
            c.explanation_zh,
            "1号锅炉排气筒（E0001/DA001）2024-03-15：有效小时 19/24（79.2%）；缺失时段 03、04、17 时。"
        );
    }

    #[test]
    fn fewer_than_20_valid_hours_make_no_valid_daily_mean() {
        let r = sample();
        let records: Vec<_> = (0..19).map(normal_hour).collect();
        let c = day_completeness(&r.points[0], day(), &records);
        assert_eq!(c.valid_hours, 19);
        assert!(c.pollutants.iter().all(|p| !p.daily_mean_valid));
    }

    #[test]
    fn records_of_other_days_or_off_the_hour_are_ignored() {
        let r = sample();
        let mut records: Vec<_> = (0..24).map(normal_hour).collect();
        records.push(normal_hour(24)); // 00:00 the next day
        records.push(normal_hour(-1)); // 23:00 the day before
        let mut half_past = normal_hour(5);
        half_past.starts_at += Duration::minutes(30);
        records.push(half_past);
        let mut daily = normal_hour(0);
        daily.averaging = Averaging::Daily;
        records.push(daily);
        let c = day_completeness(&r.points[0], day(), &records);
        assert_eq!(c.ignored_records, 4);
        assert_eq!(c.valid_hours, 24);
    }

    #[test]
    fn a_resent_hour_replaces_the_first() {
        let r = sample();
        let mut records: Vec<_> = (0..24).map(normal_hour).collect();
        records[6] = hour(
            6,
            &[(So2, "B"), (Nox, "B"), (Particulate, "B"), (Oxygen, "B")],
        );
        records.push(normal_hour(6));
        let c = day_completeness(&r.points[0], day(), &records);
        assert_eq!(c.valid_hours, 24);
    }

    #[test]
    fn wastewater_counts_its_limited_pollutants_without_o2() {
        let r = sample();
        let c = day_completeness(&r.points[1], day(), &[]);
        let counted: Vec<_> = c.pollutants.iter().map(|p| p.pollutant).collect();
        assert_eq!(counted, [Cod, AmmoniaN, Ph]);
        assert_eq!(c.valid_hours, 0);
        assert_eq!(c.missing_hours.len(), 24);
    }
}
