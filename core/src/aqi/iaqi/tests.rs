use proptest::prelude::*;

use super::super::breakpoints::tables;
use super::super::reference_csv::{self, BreakpointRow};
use super::*;

const EDITIONS: [Edition; 2] = [Edition::Hj633_2012, Edition::Hj633_2026];

fn iaqi_of(e: Edition, p: Parameter, a: Averaging, c: f64) -> u16 {
    iaqi(e, p, a, c).unwrap().iaqi
}

/// Eq. 1 in floating point on the CSV's own rows, rounded up: an oracle independent of the
/// hand-written tables and of the integer arithmetic. `None` above the top row. The 1e-9 keeps
/// an exact integer such as 75.000000000001 from rounding up; genuine fractions here are at
/// least 1/1140 (the widest run, NO2 1h 1200–2340) away from an integer.
fn eq1_from_csv(rows: &[&BreakpointRow], c: f64) -> Option<u16> {
    rows.windows(2)
        .find(|w| c <= f64::from(w[1].concentration))
        .map(|w| {
            let (lo, hi) = (w[0], w[1]);
            let x = f64::from(hi.iaqi - lo.iaqi) * (c - f64::from(lo.concentration))
                / f64::from(hi.concentration - lo.concentration)
                + f64::from(lo.iaqi);
            (x - 1e-9).ceil() as u16
        })
}

/// What each column does above its top breakpoint: `Ok(iaqi)` or, for HJ 633-2012's notes
/// (2) and (3), `Err(averaging reported instead)`.
fn above_top(edition: Edition, key: &str) -> Result<u16, Averaging> {
    match (edition, key) {
        (Edition::Hj633_2026, "so2_1h") => Ok(200), // HJ 633-2026 Table 3 note b
        (Edition::Hj633_2026, "o3_8h") => Ok(300),  // HJ 633-2026 Table 3 note c
        (Edition::Hj633_2012, "so2_1h") => Err(Averaging::Daily), // HJ 633-2012 note (2)
        (Edition::Hj633_2012, "o3_8h") => Err(Averaging::OneHour), // HJ 633-2012 note (3)
        _ => Ok(500),                               // README §1.4, OBSERVED cap
    }
}

#[test]
fn iaqi_just_below_at_and_just_above_every_breakpoint_follows_eq_1() {
    let all = reference_csv::breakpoint_rows();
    let mut cases = 0;
    for edition in EDITIONS {
        for table in tables(edition) {
            let rows: Vec<_> = all
                .iter()
                .filter(|r| r.standard == edition.code() && r.key == table.key)
                .collect();
            let unit = if table.pollutant == Parameter::Co {
                0.1
            } else {
                1.0
            };
            let top = rows.last().unwrap().concentration;
            for row in &rows {
                // e.g. "HJ 633-2026 Table 3, pm25_24h, IAQI 100 = 60 ug/m3"
                let cite = format!(
                    "{}, {}, IAQI {} = {} {}",
                    table.source(),
                    row.key,
                    row.iaqi,
                    row.concentration,
                    row.unit
                );
                let bp = f64::from(row.concentration);
                let at = iaqi(edition, table.pollutant, table.averaging, bp).unwrap();
                assert_eq!(at.iaqi, row.iaqi, "at: {cite}");
                assert_eq!(at.special_case, None, "at: {cite}");
                if row.concentration > 0 {
                    let c = bp - unit;
                    let want = eq1_from_csv(&rows, c).unwrap();
                    assert_eq!(
                        iaqi_of(edition, table.pollutant, table.averaging, c),
                        want,
                        "below: {cite}"
                    );
                    assert!(want <= row.iaqi, "below: {cite}");
                    cases += 1;
                }
                let c = bp + unit;
                let got = iaqi(edition, table.pollutant, table.averaging, c);
                if row.concentration < top {
                    let want = eq1_from_csv(&rows, c).unwrap();
                    assert_eq!(got.unwrap().iaqi, want, "above: {cite}");
                    assert!(want > row.iaqi, "above: {cite}");
                } else {
                    match above_top(edition, table.key) {
                        Ok(want) => {
                            let got = got.unwrap();
                            assert_eq!(got.iaqi, want, "above top: {cite}");
                            assert!(got.special_case.is_some(), "above top: {cite}");
                        }
                        Err(instead) => assert!(
                            matches!(got, Err(IaqiError::ReportedFromOtherAveraging { instead: i, .. }) if i == instead),
                            "above top: {cite}: {got:?}"
                        ),
                    }
                }
                cases += 2;
            }
        }
    }
    // 150 rows: at and above each, below each of the 130 non-zero ones.
    assert_eq!(cases, 430);
}

#[test]
fn hand_computed_cases_at_the_pm_and_special_breakpoints() {
    use Averaging::{Daily, EightHour, OneHour};
    use Edition::{Hj633_2012 as E12, Hj633_2026 as E26};
    use Parameter::{Co, No2, O3, Pm10, Pm25, So2};
    #[rustfmt::skip]
    let cases: [(Edition, Parameter, Averaging, f64, u16); 30] = [
        // HJ 633-2026 Table 3, PM2.5 24h, IAQI 50 = 35, 100 = 60, 150 = 115.
        (E26, Pm25, Daily, 34.0, 49),   // 50 × 34/35 = 48.57 → 49
        (E26, Pm25, Daily, 35.0, 50),
        (E26, Pm25, Daily, 36.0, 52),   // 50 + 50 × 1/25 = 52 exactly
        (E26, Pm25, Daily, 59.0, 98),   // 50 + 50 × 24/25 = 98
        (E26, Pm25, Daily, 60.0, 100),
        (E26, Pm25, Daily, 61.0, 101),  // 100 + 50 × 1/55 = 100.91 → 101
        (E26, Pm25, Daily, 114.0, 150), // 100 + 50 × 54/55 = 149.09 → 150
        (E26, Pm25, Daily, 116.0, 152), // 150 + 50 × 1/35 = 151.43 → 152
        // HJ 633-2026 Table 3, PM10 24h, IAQI 100 = 120.
        (E26, Pm10, Daily, 119.0, 100), // 50 + 50 × 69/70 = 99.29 → 100
        (E26, Pm10, Daily, 121.0, 101), // 100 + 50 × 1/130 = 100.38 → 101
        // HJ 633-2012 Table 1, PM10 24h, IAQI 100 = 150.
        (E12, Pm10, Daily, 149.0, 100), // 50 + 50 × 99/100 = 99.5 → 100
        (E12, Pm10, Daily, 151.0, 101), // 100.5 → 101
        // HJ 633-2012 Table 1, PM2.5 24h, IAQI 100 = 75.
        (E12, Pm25, Daily, 74.0, 99),   // 50 + 50 × 39/40 = 98.75 → 99
        (E12, Pm25, Daily, 76.0, 102),  // 100 + 50 × 1/40 = 101.25 → 102
        // Both editions, CO 1h, IAQI 100 = 10 mg/m3 (one decimal kept).
        (E26, Co, OneHour, 9.9, 99),    // 50 + 50 × 4.9/5 = 99 exactly
        (E26, Co, OneHour, 10.1, 101),  // 100 + 50 × 0.1/25 = 100.2 → 101
        (E12, Co, Daily, 4.1, 101),     // co_24h: 100 + 50 × 0.1/10 = 100.5 → 101
        // SO2 1h, IAQI 200 = 800 (top of the column).
        (E26, So2, OneHour, 799.0, 200), // 150 + 50 × 149/150 = 199.67 → 200
        (E26, So2, OneHour, 801.0, 200), // note b
        (E26, So2, OneHour, 5000.0, 200),
        // O3 8h, IAQI 300 = 800 (top of the column).
        (E26, O3, EightHour, 799.0, 300), // 200 + 100 × 534/535 = 299.81 → 300
        (E26, O3, EightHour, 801.0, 300), // note c
        (E12, O3, EightHour, 266.0, 201), // 200 + 100 × 1/535 = 200.19 → 201
        // NO2 1h, IAQI 150 = 700; O3 1h IAQI 300 = 800.
        (E12, No2, OneHour, 699.0, 150),  // 100 + 50 × 499/500 = 149.9 → 150
        (E26, No2, OneHour, 701.0, 151),  // 150 + 50 × 1/500 = 150.1 → 151
        (E26, O3, OneHour, 801.0, 301),   // 300 + 100 × 1/200 = 300.5 → 301
        // SO2 24h, IAQI 500 = 2620, then the cap.
        (E26, So2, Daily, 2619.0, 500),   // 400 + 100 × 519/520 = 499.81 → 500
        (E26, So2, Daily, 2621.0, 500),
        // PM 1-hour values on the 24-hour column (real-time report).
        (E26, Pm25, OneHour, 115.0, 150),
        (E12, Pm10, OneHour, 151.0, 101),
    ];
    for (edition, pollutant, averaging, c, want) in cases {
        assert_eq!(
            iaqi_of(edition, pollutant, averaging, c),
            want,
            "{edition} {pollutant} {averaging} {c}"
        );
    }
}

#[test]
fn worked_example_pm25_one_hour_in_2026() {
    // PM2.5 1-hour mean 87.6 µg/m3 on 2026-03-01 at 10:00: round to 88 (6 rounds up); the
    // 24-hour column brackets it between 60 (IAQI 100) and 115 (IAQI 150):
    // IAQI = (150 − 100) / (115 − 60) × (88 − 60) + 100 = 50 × 28 / 55 + 100 = 125.45 → 126.
    let sub = iaqi(
        Edition::Hj633_2026,
        Parameter::Pm25,
        Averaging::OneHour,
        87.6,
    )
    .unwrap();
    assert_eq!(sub.concentration, 88.0);
    assert_eq!(
        (sub.bp_lo, sub.bp_hi, sub.iaqi_lo, sub.iaqi_hi),
        (60.0, 115.0, 100, 150)
    );
    assert_eq!(sub.iaqi, 126);
    // The same hour under HJ 633-2012 (IAQI 100 = 75): 50 × 13 / 40 + 100 = 116.25 → 117.
    assert_eq!(
        iaqi_of(
            Edition::Hj633_2012,
            Parameter::Pm25,
            Averaging::OneHour,
            87.6
        ),
        117
    );
}

#[test]
fn worked_example_co_daily() {
    // CO 24-hour mean 2.45 mg/m3: one decimal, half to even → 2.4 (4 is even).
    // IAQI = (100 − 50) / (4 − 2) × (2.4 − 2) + 50 = 25 × 0.4 + 50 = 60 exactly.
    let sub = iaqi(Edition::Hj633_2026, Parameter::Co, Averaging::Daily, 2.45).unwrap();
    assert_eq!((sub.concentration, sub.iaqi), (2.4, 60));
    // 2.55 → 2.6 (5 is odd): 25 × 0.6 + 50 = 65.
    assert_eq!(
        iaqi_of(Edition::Hj633_2026, Parameter::Co, Averaging::Daily, 2.55),
        65
    );
}

#[test]
fn concentrations_round_half_to_even_before_the_index() {
    let pm25 = |c| iaqi_of(Edition::Hj633_2026, Parameter::Pm25, Averaging::Daily, c);
    // 60.5 → 60 (even): IAQI 100. 61.5 → 62: 100 + 50 × 2/55 = 101.82 → 102.
    assert_eq!(pm25(60.5), 100);
    assert_eq!(pm25(61.5), 102);
    // 60.4 → 60, 60.6 → 61.
    assert_eq!(pm25(60.4), 100);
    assert_eq!(pm25(60.6), 101);
    let sub = iaqi(
        Edition::Hj633_2026,
        Parameter::So2,
        Averaging::OneHour,
        800.5,
    )
    .unwrap();
    assert_eq!(
        (sub.concentration, sub.iaqi, sub.special_case),
        (800.0, 200, None)
    );
}

#[test]
fn iaqi_rounds_up_even_a_small_fraction() {
    // HJ 633-2012 Table 1, PM2.5: 36 → 50 + 50 × 1/40 = 51.25 → 52 (not 51).
    assert_eq!(
        iaqi_of(Edition::Hj633_2012, Parameter::Pm25, Averaging::Daily, 36.0),
        52
    );
    // NO2 24h, 41 → 50 + 50 × 1/40 = 51.25 → 52.
    assert_eq!(
        iaqi_of(Edition::Hj633_2026, Parameter::No2, Averaging::Daily, 41.0),
        52
    );
}

#[test]
fn above_the_top_breakpoint_the_iaqi_is_capped_at_500() {
    for c in [501.0, 1e6, 1e300, f64::MAX] {
        let sub = iaqi(Edition::Hj633_2026, Parameter::Pm25, Averaging::Daily, c).unwrap();
        assert_eq!(sub.iaqi, 500, "{c}");
        assert_eq!(sub.special_case, Some(NOTE_CAPPED_AT_500));
        assert_eq!((sub.bp_lo, sub.bp_hi), (350.0, 500.0));
    }
    // 500.4 rounds to 500: on the breakpoint, no cap needed.
    let sub = iaqi(
        Edition::Hj633_2012,
        Parameter::Pm25,
        Averaging::Daily,
        500.4,
    )
    .unwrap();
    assert_eq!((sub.iaqi, sub.special_case), (500, None));
}

#[test]
fn special_cases_of_2026_fix_the_iaqi_and_cite_the_footnote() {
    let so2 = iaqi(
        Edition::Hj633_2026,
        Parameter::So2,
        Averaging::OneHour,
        801.0,
    )
    .unwrap();
    assert_eq!(
        (so2.iaqi, so2.special_case),
        (200, Some(NOTE_2026_SO2_1H_ABOVE_800))
    );
    let o3 = iaqi(
        Edition::Hj633_2026,
        Parameter::O3,
        Averaging::EightHour,
        900.0,
    )
    .unwrap();
    assert_eq!(
        (o3.iaqi, o3.special_case),
        (300, Some(NOTE_2026_O3_8H_ABOVE_800))
    );
}

#[test]
fn special_cases_of_2012_defer_to_the_other_averaging() {
    let so2 = iaqi(
        Edition::Hj633_2012,
        Parameter::So2,
        Averaging::OneHour,
        801.0,
    );
    assert!(matches!(
        so2,
        Err(IaqiError::ReportedFromOtherAveraging {
            instead: Averaging::Daily,
            ..
        })
    ));
    let o3 = iaqi(
        Edition::Hj633_2012,
        Parameter::O3,
        Averaging::EightHour,
        801.0,
    );
    assert!(matches!(
        o3,
        Err(IaqiError::ReportedFromOtherAveraging {
            instead: Averaging::OneHour,
            ..
        })
    ));
}

#[test]
fn special_case_notes_quote_the_csv_footnotes() {
    // The text after each "HJ 633-… note x: " prefix is the CSV's wording of that footnote.
    let footnotes: Vec<_> = reference_csv::breakpoint_rows()
        .into_iter()
        .map(|r| r.footnote)
        .collect();
    let quoted = |note: &str, from: &str| {
        let at = note.find(from).unwrap();
        footnotes.iter().any(|f| f.contains(&note[at..]))
    };
    assert!(quoted(NOTE_2026_SO2_1H_ABOVE_800, "b: "));
    assert!(quoted(NOTE_2026_O3_8H_ABOVE_800, "c: "));
    assert!(quoted(NOTE_2012_SO2_1H_ABOVE_800, "SO2 1-hour"));
    assert!(quoted(NOTE_2012_O3_8H_ABOVE_800, "O3 8-hour"));
}

#[test]
fn invalid_concentrations_are_errors() {
    let e = Edition::Hj633_2026;
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            iaqi(e, Parameter::O3, Averaging::OneHour, bad),
            Err(IaqiError::NotFinite { .. })
        ));
    }
    assert!(matches!(
        iaqi(e, Parameter::O3, Averaging::OneHour, -1.0),
        Err(IaqiError::Negative { .. })
    ));
    assert!(matches!(
        iaqi(e, Parameter::Co, Averaging::EightHour, 1.0),
        Err(IaqiError::NoBreakpoints { .. })
    ));
    assert!(matches!(
        iaqi(e, Parameter::Ph, Averaging::Daily, 7.0),
        Err(IaqiError::NoBreakpoints { .. })
    ));
    // Negative zero is zero.
    assert_eq!(iaqi_of(e, Parameter::O3, Averaging::OneHour, -0.0), 0);
}

fn any_table() -> impl Strategy<Value = &'static BreakpointTable> {
    (0usize..2, 0usize..10).prop_map(|(e, t)| &tables(EDITIONS[e])[t])
}

fn non_negative_finite() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NORMAL | SUBNORMAL | ZERO
}

proptest! {
    #[test]
    fn iaqi_is_monotone_in_concentration(
        table in any_table(),
        a in 0.0f64..1.3,
        b in 0.0f64..1.3,
    ) {
        let top = f64::from(table.rows.last().unwrap().concentration);
        let (lo, hi) = (a.min(b) * top, a.max(b) * top);
        let at = |c| iaqi(table.edition, table.pollutant, table.averaging, c);
        match (at(lo), at(hi)) {
            (Ok(l), Ok(h)) => prop_assert!(l.iaqi <= h.iaqi, "{lo} → {}, {hi} → {}", l.iaqi, h.iaqi),
            // HJ 633-2012 notes (2)/(3): no IAQI from this value above 800.
            (_, Err(IaqiError::ReportedFromOtherAveraging { .. })) => {}
            (l, h) => prop_assert!(false, "{l:?} {h:?}"),
        }
    }

    #[test]
    fn iaqi_stays_within_its_band(table in any_table(), f in 0.0f64..1.3) {
        let top = f64::from(table.rows.last().unwrap().concentration);
        if let Ok(sub) = iaqi(table.edition, table.pollutant, table.averaging, f * top) {
            prop_assert!(sub.iaqi_lo <= sub.iaqi && sub.iaqi <= sub.iaqi_hi, "{sub:?}");
            prop_assert!(sub.iaqi <= 500);
            prop_assert!(sub.bp_lo <= sub.concentration);
            prop_assert!(sub.concentration <= sub.bp_hi || sub.special_case.is_some(), "{sub:?}");
        }
    }

    #[test]
    fn any_finite_non_negative_value_gets_an_iaqi_or_a_documented_deferral(
        table in any_table(),
        c in non_negative_finite(),
    ) {
        match iaqi(table.edition, table.pollutant, table.averaging, c) {
            Ok(sub) => prop_assert!(sub.iaqi <= 500),
            Err(IaqiError::ReportedFromOtherAveraging { edition, .. }) => {
                prop_assert_eq!(edition, Edition::Hj633_2012);
                prop_assert!(c > 800.0);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn negative_or_non_finite_values_are_errors(table in any_table(), c in any::<f64>()) {
        prop_assume!(!(c.is_finite() && c >= 0.0));
        let result = iaqi(table.edition, table.pollutant, table.averaging, c);
        let is_rejected =
            matches!(result, Err(IaqiError::NotFinite { .. } | IaqiError::Negative { .. }));
        prop_assert!(is_rejected, "{c} gave {result:?}");
    }
}
