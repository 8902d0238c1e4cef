use proptest::prelude::*;

use super::*;

fn aqi(indicator: UsIndicator, value: f64) -> u32 {
    sub_index(indicator, value).unwrap().unwrap().aqi
}

#[test]
fn tad_worked_examples() {
    // EPA-454/B-24-002 examples as quoted in the reference README §5.12 (results 125.5 → 126,
    // 101.98 → 102, 90.0 → 90; the inputs are the ones that reproduce those results on
    // Table 6: O3 8h 0.078 ppm, PM2.5 35.9 µg/m³, CO 8.4 ppm).
    // O3 8h: (150 − 101) / (0.085 − 0.071) × (0.078 − 0.071) + 101 = 125.5 → 126.
    assert_eq!(aqi(UsIndicator::O3EightHour, 0.078), 126);
    // PM2.5: (150 − 101) / (55.4 − 35.5) × (35.9 − 35.5) + 101 = 101.98 → 102.
    assert_eq!(aqi(UsIndicator::Pm25Day, 35.9), 102);
    // CO: (100 − 51) / (9.4 − 4.5) × (8.4 − 4.5) + 51 = 90.0 → 90.
    assert_eq!(aqi(UsIndicator::CoEightHour, 8.4), 90);
}

#[test]
fn tad_one_hour_o3_example_follows_the_normative_rounding() {
    // (150 − 101) / (0.164 − 0.125) × (0.162 − 0.125) + 101 = 147.49. The TAD prints 148, which
    // only rounding up gives; its step 4 says "round to the nearest integer", which we follow
    // (reference README §5.12).
    assert_eq!(aqi(UsIndicator::O3OneHour, 0.162), 147);
}

#[test]
fn pm25_2024_breakpoints() {
    // EPA-454/B-24-002 Table 6, PM2.5 24-hour (2024 revision).
    #[rustfmt::skip]
    let cases = [
        (0.0, 0), (9.0, 50), (9.1, 51), (35.4, 100), (35.5, 101), (55.4, 150), (55.5, 151),
        (125.4, 200), (125.5, 201), (225.4, 300), (225.5, 301), (325.4, 500),
        // Truncation, not rounding: 9.09 → 9.0 and 35.49 → 35.4.
        (9.09, 50), (35.49, 100),
    ];
    for (c, want) in cases {
        assert_eq!(aqi(UsIndicator::Pm25Day, c), want, "PM2.5 {c}");
    }
}

#[test]
fn every_row_gives_its_aqi_at_both_ends() {
    for indicator in UsIndicator::ALL {
        let scale = 10f64.powi(i32::try_from(indicator.decimals()).unwrap());
        for row in breakpoints::segments(indicator) {
            let lo = f64::from(row.bp_lo) / scale;
            let hi = f64::from(row.bp_hi) / scale;
            assert_eq!(
                aqi(indicator, lo),
                u32::from(row.aqi_lo),
                "{indicator:?} {lo}"
            );
            assert_eq!(
                aqi(indicator, hi),
                u32::from(row.aqi_hi),
                "{indicator:?} {hi}"
            );
        }
    }
}

#[test]
fn above_500_extrapolates_the_top_row() {
    // PM2.5 500.0: 199 × (500.0 − 225.5) / (325.4 − 225.5) + 301 = 847.8 → 848.
    let sub = sub_index(UsIndicator::Pm25Day, 500.0).unwrap().unwrap();
    assert_eq!((sub.aqi, sub.note), (848, Some(NOTE_ABOVE_500)));
    // PM10 605: 199 × 180 / 179 + 301 = 501.1 → 501.
    assert_eq!(aqi(UsIndicator::Pm10Day, 605.0), 501);
    assert_eq!(aqi(UsIndicator::Pm10Day, 604.0), 500);
    assert_eq!(aqi(UsIndicator::Pm25Day, f64::MAX), u32::MAX);
}

#[test]
fn o3_rules() {
    // 1-hour below 0.125 ppm is disregarded; 8-hour above 0.200 ppm defines nothing.
    assert_eq!(sub_index(UsIndicator::O3OneHour, 0.1249).unwrap(), None);
    assert!(matches!(
        sub_index(UsIndicator::O3EightHour, 0.201),
        Err(UsAqiError::O3EightHourAbove300 { .. })
    ));
    assert_eq!(aqi(UsIndicator::O3EightHour, 0.2009), 300);
    assert_eq!(aqi(UsIndicator::O3OneHour, 0.405), 301);
}

#[test]
fn so2_rules() {
    assert_eq!(aqi(UsIndicator::So2OneHour, 304.9), 200);
    assert!(matches!(
        sub_index(UsIndicator::So2OneHour, 305.0),
        Err(UsAqiError::So2NeedsDayAverage { .. })
    ));
    // 24-hour below 305 ppb: fixed 200 (footnote 3).
    let fixed = sub_index(UsIndicator::So2Day, 200.0).unwrap().unwrap();
    assert_eq!(
        (fixed.aqi, fixed.band, fixed.note),
        (200, None, Some(NOTE_SO2_FIXED_200))
    );
    // 24-hour 343 ppb: 99 × 38 / 299 + 201 = 213.6 → 214.
    assert_eq!(aqi(UsIndicator::So2Day, 343.0), 214);
}

#[test]
fn gases_convert_at_25_degrees_and_1_atm() {
    // ppb = µg/m³ × 24.45 / M.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(to_epa_unit(UsIndicator::No2OneHour, 46.01), 24.45));
    assert!(close(to_epa_unit(UsIndicator::So2OneHour, 64.07), 24.45));
    assert!(close(to_epa_unit(UsIndicator::O3EightHour, 48.0), 0.02445));
    assert!(close(to_epa_unit(UsIndicator::CoEightHour, 28.01), 24.45));
    assert_eq!(to_epa_unit(UsIndicator::Pm25Day, 35.9), 35.9);
}

#[test]
fn composite_takes_the_highest_index() {
    // O3 8h 160 µg/m³ = 0.0815 ppm → 0.081: 49 × 10/14 + 101 = 136.
    // PM2.5 35.9 → 102. CO 10 mg/m³ = 8.73 ppm → 8.7: 49 × 42/49 + 51 = 93.
    let report = us_aqi(&UsConcentrations {
        o3_8h_ug_m3: Some(160.0),
        pm25_ug_m3: Some(35.9),
        co_8h_mg_m3: Some(10.0),
        ..Default::default()
    })
    .unwrap();
    let aqis: Vec<_> = report.sub_indices.iter().map(|s| s.aqi).collect();
    assert_eq!(aqis, [136, 102, 93]);
    assert_eq!(report.aqi, Some(136));
    assert_eq!(report.main_pollutants, [Parameter::O3]);
    assert_eq!(
        report.category.unwrap().name,
        "Unhealthy for Sensitive Groups"
    );
}

#[test]
fn composite_applies_the_o3_and_so2_rules() {
    // O3 8h 500 µg/m³ = 0.255 ppm (undefined) with 1h 900 µg/m³ = 0.458 ppm:
    // 199 × 53 / 199 + 301 = 354.
    let with_1h = UsConcentrations {
        o3_8h_ug_m3: Some(500.0),
        o3_1h_ug_m3: Some(900.0),
        ..Default::default()
    };
    let report = us_aqi(&with_1h).unwrap();
    assert_eq!((report.aqi, report.undetermined.len()), (Some(354), 0));
    let without = UsConcentrations {
        o3_1h_ug_m3: None,
        ..with_1h
    };
    let report = us_aqi(&without).unwrap();
    assert_eq!(
        (report.aqi, report.undetermined),
        (None, vec![UsIndicator::O3EightHour])
    );

    // SO2 1h 1000 µg/m³ = 381.6 ppb ≥ 305: the 24-hour mean decides.
    let so2 = |day| UsConcentrations {
        so2_1h_ug_m3: Some(1000.0),
        so2_24h_ug_m3: day,
        ..Default::default()
    };
    // 900 µg/m³ = 343.4 ppb → 214; 500 µg/m³ = 190.8 ppb < 305 → 200; none → undetermined.
    assert_eq!(us_aqi(&so2(Some(900.0))).unwrap().aqi, Some(214));
    assert_eq!(us_aqi(&so2(Some(500.0))).unwrap().aqi, Some(200));
    assert_eq!(
        us_aqi(&so2(None)).unwrap().undetermined,
        [UsIndicator::So2OneHour]
    );
}

#[test]
fn invalid_values_are_errors() {
    assert!(matches!(
        sub_index(UsIndicator::No2OneHour, -1.0),
        Err(UsAqiError::Negative { .. })
    ));
    assert!(matches!(
        us_aqi(&UsConcentrations {
            pm10_ug_m3: Some(f64::NAN),
            ..Default::default()
        }),
        Err(UsAqiError::NotFinite { .. })
    ));
}

proptest! {
    #[test]
    fn index_never_panics_and_is_monotone(i in 0usize..8, a in 0.0f64..2000.0, b in 0.0f64..2000.0) {
        let indicator = UsIndicator::ALL[i];
        let (lo, hi) = (a.min(b), a.max(b));
        let scale = if indicator.unit() == "ppm" { 1e-3 } else { 1.0 };
        if let (Ok(Some(l)), Ok(Some(h))) =
            (sub_index(indicator, lo * scale), sub_index(indicator, hi * scale))
        {
            prop_assert!(l.aqi <= h.aqi, "{indicator:?} {lo} {hi}");
        }
    }
}
