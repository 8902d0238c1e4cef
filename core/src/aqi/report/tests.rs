use super::*;
use crate::aqi::NOTE_2026_SO2_1H_ABOVE_800;

const E12: Edition = Edition::Hj633_2012;
const E26: Edition = Edition::Hj633_2026;

/// A clean hour: every IAQI at or below 50 under both editions.
fn clean_hour() -> HourlyConcentrations {
    HourlyConcentrations {
        so2_ug_m3: Some(8.0),
        no2_ug_m3: Some(45.0),
        co_mg_m3: Some(0.7),
        o3_ug_m3: Some(120.0),
        pm10_ug_m3: Some(30.0),
        pm25_ug_m3: Some(20.0),
        so2_24h_ug_m3: None,
    }
}

fn full_day() -> DailyConcentrations {
    DailyConcentrations {
        so2_24h_ug_m3: Some(10.0),
        no2_24h_ug_m3: Some(30.0),
        co_24h_mg_m3: Some(0.8),
        pm10_24h_ug_m3: Some(60.0),
        pm25_24h_ug_m3: Some(40.0),
        o3_8h_max_ug_m3: Some(90.0),
        o3_1h_max_ug_m3: Some(150.0),
    }
}

fn iaqi_of(report: &AqiReport, pollutant: Parameter, averaging: Averaging) -> Option<u16> {
    report
        .sub_indices
        .iter()
        .find(|s| s.pollutant == pollutant && s.averaging == averaging)
        .map(|s| s.iaqi)
}

#[test]
fn worked_real_time_example_in_both_editions() {
    // SO2 8 → 50 × 8/150 = 2.67 → 3; NO2 45 → 50 × 45/100 = 22.5 → 23; CO 0.7 → 50 × 0.7/5 = 7;
    // O3 120 → 50 × 120/160 = 37.5 → 38.
    // 2026: PM10 85 → 50 + 50 × 35/70 = 75; PM2.5 62 → 100 + 50 × 2/55 = 101.8 → 102.
    // 2012: PM10 85 → 50 + 50 × 35/100 = 67.5 → 68; PM2.5 62 → 50 + 50 × 27/40 = 83.75 → 84.
    let hour = HourlyConcentrations {
        pm10_ug_m3: Some(85.0),
        pm25_ug_m3: Some(62.0),
        ..clean_hour()
    };
    let new = real_time_aqi(E26, &hour).unwrap();
    let iaqis: Vec<_> = new.sub_indices.iter().map(|s| s.iaqi).collect();
    assert_eq!(iaqis, [3, 23, 7, 38, 75, 102]);
    assert_eq!((new.aqi, new.computed_aqi), (Some(102), Some(102)));
    assert_eq!(new.level.unwrap().level, 3);
    assert_eq!(new.primary, [Parameter::Pm25]);
    assert!(
        new.exceeding.is_empty(),
        "HJ 633-2026 has no exceeding pollutants"
    );
    assert_eq!(new.sensitive_groups.len(), 1);
    assert_eq!(new.sensitive_groups[0].pollutant, Parameter::Pm25);

    let old = real_time_aqi(E12, &hour).unwrap();
    let iaqis: Vec<_> = old.sub_indices.iter().map(|s| s.iaqi).collect();
    assert_eq!(iaqis, [3, 23, 7, 38, 68, 84]);
    assert_eq!(old.aqi, Some(84));
    assert_eq!(old.level.unwrap().category_zh, "良");
    assert_eq!(old.primary, [Parameter::Pm25]);
    assert!(old.exceeding.is_empty());
    assert!(old.sensitive_groups.is_empty(), "Table 2 is HJ 633-2026's");
}

#[test]
fn pollutants_tied_at_the_maximum_are_all_primary() {
    // HJ 633-2026 Table 3: PM10 120 and PM2.5 60 both give IAQI 100.
    let hour = HourlyConcentrations {
        pm10_ug_m3: Some(120.0),
        pm25_ug_m3: Some(60.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &hour).unwrap();
    assert_eq!(report.aqi, Some(100));
    assert_eq!(report.primary, [Parameter::Pm10, Parameter::Pm25]);
}

#[test]
fn aqi_of_50_or_less_has_no_primary_pollutant() {
    // PM2.5 35 → IAQI 50 exactly; 36 → 52.
    let at_50 = HourlyConcentrations {
        pm25_ug_m3: Some(35.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &at_50).unwrap();
    assert_eq!(report.aqi, Some(50));
    assert!(report.primary.is_empty());
    let at_52 = HourlyConcentrations {
        pm25_ug_m3: Some(36.0),
        ..clean_hour()
    };
    assert_eq!(
        real_time_aqi(E26, &at_52).unwrap().primary,
        [Parameter::Pm25]
    );
}

#[test]
fn missing_pollutant_with_aqi_90_is_published_as_na_in_2026() {
    // PM2.5 55 → 50 + 50 × 20/25 = 90; PM10 missing.
    let hour = HourlyConcentrations {
        pm10_ug_m3: None,
        pm25_ug_m3: Some(55.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &hour).unwrap();
    assert_eq!(report.aqi, None);
    assert_eq!(report.computed_aqi, Some(90));
    assert_eq!(report.level, None);
    assert!(report.primary.is_empty());
    assert_eq!(report.not_published, Some(NA_MISSING_DATA));
    assert_eq!(
        report.missing,
        [Indicator {
            pollutant: Parameter::Pm10,
            averaging: Averaging::OneHour
        }]
    );
    // The IAQIs stay available for explanation.
    assert_eq!(report.sub_indices.len(), 5);
}

#[test]
fn missing_pollutant_with_aqi_130_is_published_in_2026() {
    // PM2.5 93 → 100 + 50 × 33/55 = 130.
    let hour = HourlyConcentrations {
        pm10_ug_m3: None,
        pm25_ug_m3: Some(93.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &hour).unwrap();
    assert_eq!(report.aqi, Some(130));
    assert_eq!(report.level.unwrap().category_zh, "轻度污染");
    assert_eq!(report.primary, [Parameter::Pm25]);
    assert_eq!(report.not_published, None);
    assert_eq!(report.missing.len(), 1);
}

#[test]
fn missing_pollutant_with_aqi_exactly_100_is_still_na() {
    // §5.3 publishes only "AQI > 100": PM2.5 60 → 100.
    let hour = HourlyConcentrations {
        o3_ug_m3: None,
        pm25_ug_m3: Some(60.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &hour).unwrap();
    assert_eq!((report.aqi, report.computed_aqi), (None, Some(100)));
}

#[test]
fn missing_pollutant_in_2012_is_computed_from_the_others_and_published() {
    let hour = HourlyConcentrations {
        pm10_ug_m3: None,
        pm25_ug_m3: Some(55.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E12, &hour).unwrap();
    // 2012: PM2.5 55 → 50 + 50 × 20/40 = 75.
    assert_eq!(report.aqi, Some(75));
    assert_eq!(report.not_published, None);
    assert_eq!(report.missing.len(), 1);
}

#[test]
fn exceeding_pollutants_are_those_above_100_in_2012() {
    // 2012: PM2.5 80 → 50/40 × 5 + 100 = 106.25 → 107; PM10 160 → 100 + 50 × 10/100 = 105.
    let hour = HourlyConcentrations {
        pm10_ug_m3: Some(160.0),
        pm25_ug_m3: Some(80.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E12, &hour).unwrap();
    assert_eq!(report.aqi, Some(107));
    assert_eq!(report.primary, [Parameter::Pm25]);
    assert_eq!(report.exceeding, [Parameter::Pm10, Parameter::Pm25]);
}

#[test]
fn so2_one_hour_above_800_in_2012_uses_the_24_hour_mean() {
    // Note (2). SO2 24h 500 → 150 + 50 × 25/325 = 153.8 → 154 (so2_24h: 475 = 150, 800 = 200).
    let hour = HourlyConcentrations {
        so2_ug_m3: Some(900.0),
        so2_24h_ug_m3: Some(500.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E12, &hour).unwrap();
    let so2 = &report.sub_indices[0];
    assert_eq!(
        (so2.pollutant, so2.averaging, so2.iaqi),
        (Parameter::So2, Averaging::Daily, 154)
    );
    assert_eq!(so2.special_case, Some(NOTE_2012_SO2_1H_ABOVE_800));
    assert_eq!(report.aqi, Some(154));
    assert_eq!(report.primary, [Parameter::So2]);

    // Without the 24-hour mean SO2 is missing, and 2012 still publishes from the rest.
    let without = HourlyConcentrations {
        so2_24h_ug_m3: None,
        ..hour
    };
    let report = real_time_aqi(E12, &without).unwrap();
    assert_eq!(report.missing[0].pollutant, Parameter::So2);
    assert_eq!(report.aqi, Some(38));
}

#[test]
fn so2_one_hour_above_800_in_2026_is_200() {
    let hour = HourlyConcentrations {
        so2_ug_m3: Some(900.0),
        ..clean_hour()
    };
    let report = real_time_aqi(E26, &hour).unwrap();
    assert_eq!(report.aqi, Some(200));
    assert_eq!(
        report.sub_indices[0].special_case,
        Some(NOTE_2026_SO2_1H_ABOVE_800)
    );
}

#[test]
fn o3_eight_hour_above_800_in_2012_uses_the_daily_max_one_hour() {
    // Note (3). O3 1h max 1000 → IAQI 400 (o3_1h: 1000 = 400).
    let day = DailyConcentrations {
        o3_8h_max_ug_m3: Some(850.0),
        o3_1h_max_ug_m3: Some(1000.0),
        ..full_day()
    };
    let report = daily_aqi(E12, &day).unwrap();
    let o3: Vec<_> = report
        .sub_indices
        .iter()
        .filter(|s| s.pollutant == Parameter::O3)
        .collect();
    assert_eq!(
        o3.len(),
        2,
        "the 8-hour slot (standing in) and the 1-hour indicator"
    );
    assert_eq!((o3[0].averaging, o3[0].iaqi), (Averaging::OneHour, 400));
    assert_eq!(o3[0].special_case, Some(NOTE_2012_O3_8H_ABOVE_800));
    assert_eq!(report.aqi, Some(400));
    assert_eq!(report.primary, [Parameter::O3], "listed once");
    assert_eq!(report.exceeding, [Parameter::O3]);

    let without = DailyConcentrations {
        o3_1h_max_ug_m3: None,
        ..day
    };
    let report = daily_aqi(E12, &without).unwrap();
    assert_eq!(
        report.missing.len(),
        2,
        "O3 8h has no stand-in, O3 1h is absent"
    );
}

#[test]
fn daily_report_has_six_indicators_in_2026_and_seven_in_2012() {
    let new = daily_aqi(E26, &full_day()).unwrap();
    assert_eq!(new.sub_indices.len(), 6);
    assert_eq!(
        iaqi_of(&new, Parameter::O3, Averaging::OneHour),
        None,
        "ignored in 2026"
    );
    let old = daily_aqi(E12, &full_day()).unwrap();
    assert_eq!(old.sub_indices.len(), 7);
    // 2012: O3 1h max 150 → 50 × 150/160 = 46.9 → 47.
    assert_eq!(iaqi_of(&old, Parameter::O3, Averaging::OneHour), Some(47));
    // 2026 daily: PM2.5 40 → 50 + 50 × 5/25 = 60; PM10 60 → 50 + 50 × 10/70 = 57.1 → 58.
    assert_eq!(new.aqi, Some(60));
    assert_eq!(new.primary, [Parameter::Pm25]);
    // 2012 daily: PM2.5 40 → 50 + 50 × 5/40 = 56.25 → 57; PM10 60 → 50 + 50 × 10/100 = 55.
    assert_eq!(old.aqi, Some(57));
}

#[test]
fn o3_eight_hour_above_800_in_2026_is_300() {
    let day = DailyConcentrations {
        o3_8h_max_ug_m3: Some(801.0),
        ..full_day()
    };
    let report = daily_aqi(E26, &day).unwrap();
    assert_eq!(report.aqi, Some(300));
    assert_eq!(report.level.unwrap().category_zh, "重度污染");
}

#[test]
fn all_zero_concentrations_give_aqi_1_in_2026_and_0_in_2012() {
    let zero = HourlyConcentrations {
        so2_ug_m3: Some(0.0),
        no2_ug_m3: Some(0.0),
        co_mg_m3: Some(0.0),
        o3_ug_m3: Some(0.0),
        pm10_ug_m3: Some(0.0),
        pm25_ug_m3: Some(0.0),
        so2_24h_ug_m3: None,
    };
    assert_eq!(real_time_aqi(E26, &zero).unwrap().aqi, Some(1));
    assert_eq!(real_time_aqi(E12, &zero).unwrap().aqi, Some(0));
}

#[test]
fn no_data_gives_no_aqi() {
    let report = real_time_aqi(E26, &HourlyConcentrations::default()).unwrap();
    assert_eq!((report.aqi, report.computed_aqi), (None, None));
    assert_eq!(report.not_published, Some(NA_NO_DATA));
    assert_eq!(report.missing.len(), 6);
}

#[test]
fn invalid_concentration_is_an_error() {
    let hour = HourlyConcentrations {
        o3_ug_m3: Some(-3.0),
        ..clean_hour()
    };
    assert!(matches!(
        real_time_aqi(E26, &hour),
        Err(IaqiError::Negative { .. })
    ));
    let day = DailyConcentrations {
        co_24h_mg_m3: Some(f64::NAN),
        ..full_day()
    };
    assert!(matches!(
        daily_aqi(E12, &day),
        Err(IaqiError::NotFinite { .. })
    ));
}

#[test]
fn report_serialises_with_snake_case_fields() {
    let hour = HourlyConcentrations {
        pm10_ug_m3: None,
        pm25_ug_m3: Some(55.0),
        ..clean_hour()
    };
    let json = serde_json::to_value(real_time_aqi(E26, &hour).unwrap()).unwrap();
    assert_eq!(json["edition"], "hj633_2026");
    assert_eq!(json["kind"], "real_time");
    assert_eq!(json["aqi"], serde_json::Value::Null);
    assert_eq!(json["computed_aqi"], 90);
    assert_eq!(json["missing"][0]["pollutant"], "pm10");
    assert_eq!(json["missing"][0]["averaging"], "1h");
    let pm25 = &json["sub_indices"][4];
    assert_eq!(pm25["pollutant"], "pm25");
    assert_eq!(pm25["breakpoints"], "pm25_24h");
    assert_eq!(pm25["iaqi"], 90);
    assert_eq!(pm25["bp_lo"], 35.0);
    assert_eq!(pm25["special_case"], serde_json::Value::Null);
}
