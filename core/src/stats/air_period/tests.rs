use chrono::NaiveDate;

use super::*;
use crate::Parameter::{Co, No2, O3, Pm10, Pm25, So2};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Every day of `from..=to` with the same concentrations and AQI.
fn days(from: NaiveDate, to: NaiveDate, aqi: Option<u16>, c: DailyConcentrations) -> Vec<AirDay> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| AirDay {
            day: d,
            aqi,
            primary: vec![],
            concentrations: c,
        })
        .collect()
}

fn all(value: f64) -> DailyConcentrations {
    DailyConcentrations {
        so2_24h_ug_m3: Some(value),
        no2_24h_ug_m3: Some(value),
        co_24h_mg_m3: Some(value / 100.0),
        o3_8h_max_ug_m3: Some(value),
        pm10_24h_ug_m3: Some(value),
        pm25_24h_ug_m3: Some(value),
        o3_1h_max_ug_m3: None,
    }
}

fn with_aqi(aqi: Option<u16>) -> AirDay {
    AirDay {
        day: day(2027, 5, 1),
        aqi,
        primary: vec![],
        concentrations: DailyConcentrations::default(),
    }
}

#[test]
fn the_good_day_threshold_is_100_and_na_days_do_not_count() {
    // (AQIs of the days, (good, valid, exceedance, heavy))
    type Case<'a> = (&'a [Option<u16>], (u32, u32, u32, u32));
    let cases: &[Case] = &[
        (&[Some(100)], (1, 1, 0, 0)),
        (&[Some(101)], (0, 1, 1, 0)),
        (&[Some(200)], (0, 1, 1, 0)),
        (&[Some(201)], (0, 1, 1, 1)),
        (&[Some(50), None, Some(150)], (1, 2, 1, 0)),
        (&[None, None], (0, 0, 0, 0)),
    ];
    for (aqis, expected) in cases {
        let mut list = Vec::new();
        for (n, aqi) in aqis.iter().enumerate() {
            let mut d = with_aqi(*aqi);
            d.day = day(2027, 5, 1 + n as u32);
            list.push(d);
        }
        let stats = air_period(day(2027, 5, 1), day(2027, 5, 31), AreaClass::Two, &list);
        assert_eq!(
            (
                stats.good_days,
                stats.valid_days,
                stats.exceedance_days,
                stats.heavy_pollution_days
            ),
            *expected,
            "{aqis:?}"
        );
    }
}

#[test]
fn the_ratio_counts_valid_days_only() {
    let mut list: Vec<AirDay> = (1..=10)
        .map(|n| AirDay {
            day: day(2027, 5, n),
            aqi: Some(if n <= 8 { 80 } else { 120 }),
            primary: vec![],
            concentrations: DailyConcentrations::default(),
        })
        .collect();
    list.push(AirDay {
        day: day(2027, 5, 11),
        aqi: None,
        primary: vec![],
        concentrations: DailyConcentrations::default(),
    });
    let stats = air_period(day(2027, 5, 1), day(2027, 5, 31), AreaClass::Two, &list);
    assert_eq!(stats.good_day_ratio, Some(0.8));
    assert_eq!(stats.days, 31);
    assert_eq!(stats.level_days, [0, 8, 2, 0, 0, 0]);
    let empty = air_period(day(2027, 5, 1), day(2027, 5, 31), AreaClass::Two, &[]);
    assert_eq!(empty.good_day_ratio, None);
}

#[test]
fn primary_pollutants_are_counted_most_days_first() {
    let mut list = Vec::new();
    for (n, primary) in [vec![O3], vec![O3, Pm25], vec![Pm25], vec![O3]]
        .into_iter()
        .enumerate()
    {
        list.push(AirDay {
            day: day(2027, 7, 1 + n as u32),
            aqi: Some(120),
            primary,
            concentrations: DailyConcentrations::default(),
        });
    }
    let stats = air_period(day(2027, 7, 1), day(2027, 7, 31), AreaClass::Two, &list);
    assert_eq!(
        stats.primary_days,
        vec![
            PrimaryDays {
                pollutant: O3,
                days: 3
            },
            PrimaryDays {
                pollutant: Pm25,
                days: 2
            }
        ]
    );
}

#[test]
fn a_month_needs_27_daily_values_and_february_25() {
    // (month's first day, last day, days with data, valid)
    let cases = [
        (day(2027, 4, 1), day(2027, 4, 30), 27, true),
        (day(2027, 4, 1), day(2027, 4, 30), 26, false),
        (day(2027, 2, 1), day(2027, 2, 28), 25, true),
        (day(2027, 2, 1), day(2027, 2, 28), 24, false),
        // A partial month (a date range) has no count to meet.
        (day(2027, 4, 10), day(2027, 4, 20), 3, true),
    ];
    for (from, to, with_data, valid) in cases {
        let list: Vec<AirDay> = days(from, to, Some(40), all(20.0))
            .into_iter()
            .take(with_data)
            .collect();
        let stats = air_period(from, to, AreaClass::Two, &list);
        for p in &stats.pollutants {
            assert_eq!(p.valid, valid, "{from}..{to} with {with_data} days: {p:?}");
        }
    }
}

#[test]
fn a_year_needs_324_daily_values() {
    let (from, to) = (day(2027, 1, 1), day(2027, 12, 31));
    // Every month has 27 days of data (324 in all): valid.
    let mut list = Vec::new();
    for month in 1..=12 {
        list.extend(days(
            day(2027, month, 1),
            day(2027, month, 27),
            Some(40),
            all(20.0),
        ));
    }
    assert_eq!(list.len(), 324);
    let stats = air_period(from, to, AreaClass::Two, &list);
    assert!(stats.pollutants.iter().all(|p| p.valid));
    // One fewer in December: that month fails, and the year with it.
    list.pop();
    let stats = air_period(from, to, AreaClass::Two, &list);
    assert!(stats.pollutants.iter().all(|p| !p.valid));
}

#[test]
fn co_and_o3_use_their_percentiles() {
    // 20 days: CO 0.1 … 2.0 mg/m³, O3 10 … 200 µg/m³ (value n × 10 on day n).
    let list: Vec<AirDay> = (1..=20)
        .map(|n| AirDay {
            day: day(2027, 6, n),
            aqi: Some(50),
            primary: vec![],
            concentrations: all(f64::from(n) * 10.0),
        })
        .collect();
    let stats = air_period(day(2027, 6, 1), day(2027, 6, 20), AreaClass::Two, &list);
    let get = |p| stats.pollutants.iter().find(|s| s.pollutant == p).unwrap();
    // CO: k = 1 + 19 × 0.95 = 19.05 → 1.9 + 0.05 × 0.1 = 1.905 → 1.9 (GB/T 8170).
    assert_eq!(get(Co).statistic, PeriodStatistic::Percentile95);
    assert_eq!(get(Co).value, Some(1.9));
    // O3: k = 1 + 19 × 0.9 = 18.1 → 180 + 0.1 × 10 = 181.
    assert_eq!(get(O3).statistic, PeriodStatistic::Percentile90);
    assert_eq!(get(O3).value, Some(181.0));
    // The means: (10 + … + 200) / 20 = 105.
    assert_eq!(get(So2).value, Some(105.0));
    assert_eq!(get(Pm25).statistic, PeriodStatistic::Mean);
}

#[test]
fn attainment_switches_from_transitional_to_final_limits() {
    // PM2.5 28 µg/m³ all year: attains the transitional grade-2 annual limit (30), not the
    // final one (25).
    let c = DailyConcentrations {
        pm25_24h_ug_m3: Some(28.0),
        ..DailyConcentrations::default()
    };
    for (year, limit, attains) in [(2030, 30.0, true), (2031, 25.0, false)] {
        let (from, to) = (day(year, 1, 1), day(year, 12, 31));
        let stats = air_period(from, to, AreaClass::Two, &days(from, to, Some(60), c));
        let pm25 = stats
            .pollutants
            .iter()
            .find(|s| s.pollutant == Pm25)
            .unwrap();
        assert_eq!(
            (pm25.value, pm25.limit, pm25.attains),
            (Some(28.0), Some(limit), Some(attains))
        );
        // The pollutants without data are not valid, so they do not decide `attains`.
        assert_eq!(stats.attains, Some(attains));
    }
}

#[test]
fn periods_ending_before_gb_3095_2026_get_no_limit() {
    let (from, to) = (day(2026, 1, 1), day(2026, 1, 31));
    let stats = air_period(
        from,
        to,
        AreaClass::Two,
        &days(from, to, Some(60), all(30.0)),
    );
    for p in &stats.pollutants {
        assert_eq!((p.limit, p.attains), (None, None), "{p:?}");
    }
    assert_eq!(stats.attains, None);
    // A year that straddles 2026-03-01 is judged by the limits on its last day.
    let (from, to) = (day(2026, 1, 1), day(2026, 12, 31));
    let stats = air_period(
        from,
        to,
        AreaClass::Two,
        &days(from, to, Some(60), all(30.0)),
    );
    let no2 = stats
        .pollutants
        .iter()
        .find(|s| s.pollutant == No2)
        .unwrap();
    assert_eq!(no2.limit, Some(40.0));
}

#[test]
fn days_outside_the_period_are_ignored() {
    let list = days(day(2027, 3, 25), day(2027, 4, 5), Some(60), all(10.0));
    let stats = air_period(day(2027, 4, 1), day(2027, 4, 3), AreaClass::Two, &list);
    assert_eq!(stats.valid_days, 3);
    let pm10 = stats
        .pollutants
        .iter()
        .find(|s| s.pollutant == Pm10)
        .unwrap();
    assert_eq!(pm10.days, 3);
}
