use super::*;

fn annotate(input: &str, daily: bool) -> Result<String, AqiTableError> {
    let mut output = Vec::new();
    annotate_csv(input.as_bytes(), &mut output, daily)?;
    Ok(String::from_utf8(output).unwrap())
}

/// The appended cells of each data row.
fn appended(output: &str) -> Vec<String> {
    output
        .lines()
        .skip(1)
        .map(|l| l.split(',').rev().take(5).collect::<Vec<_>>().join("|"))
        .collect()
}

#[test]
fn edition_switches_between_the_hours_labelled_midnight_and_one() {
    // The same concentrations: PM2.5 62 → 84 under HJ 633-2012, 102 under HJ 633-2026.
    let input = "\
time,so2,no2,co,o3,pm10,pm25
2026-02-28T23:00:00+08:00,8,45,0.7,120,85,62
2026-03-01T00:00:00+08:00,8,45,0.7,120,85,62
2026-03-01T01:00:00+08:00,8,45,0.7,120,85,62
2026-02-28T17:00:00Z,8,45,0.7,120,85,62
";
    let output = annotate(input, false).unwrap();
    let rows: Vec<_> = output.lines().collect();
    assert_eq!(
        rows[0],
        "time,so2,no2,co,o3,pm10,pm25,aqi,level,category,primary,edition"
    );
    assert!(
        rows[1].ends_with(",84,2,良,pm25,HJ 633-2012"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].ends_with(",84,2,良,pm25,HJ 633-2012"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].ends_with(",102,3,轻度污染,pm25,HJ 633-2026"),
        "{}",
        rows[3]
    );
    assert!(
        rows[4].ends_with(",102,3,轻度污染,pm25,HJ 633-2026"),
        "{}",
        rows[4]
    );
}

#[test]
fn na_leaves_the_published_cells_empty() {
    // PM10 missing, AQI 90 from PM2.5 55: NA under HJ 633-2026 §5.3.
    let input = "time,so2,no2,co,o3,pm10,pm25\n2026-06-01T10:00+08:00,8,45,0.7,120,,55\n";
    let output = annotate(input, false).unwrap();
    assert_eq!(
        output.lines().nth(1).unwrap(),
        "2026-06-01T10:00+08:00,8,45,0.7,120,,55,,,,,HJ 633-2026"
    );
}

#[test]
fn ties_are_joined_with_semicolons_and_low_aqi_has_no_primary() {
    // PM10 120 and PM2.5 60 both give 100 (HJ 633-2026 Table 3); then a clean hour, AQI 38
    // from O3 120 → 37.5 → 38.
    let input = "\
time,so2,no2,co,o3,pm10,pm25
2026-06-01T10:00:00+08:00,8,45,0.7,120,120,60
2026-06-01T11:00:00+08:00,8,45,0.7,120,10,10
";
    let cells = appended(&annotate(input, false).unwrap());
    assert_eq!(cells[0], "HJ 633-2026|pm10;pm25|良|2|100");
    assert_eq!(cells[1], "HJ 633-2026||优|1|38");
}

#[test]
fn daily_mode_reads_dates_or_times_in_the_day() {
    // 2026 daily: PM2.5 40 → 60, PM10 60 → 58. 2012 adds O3 1h max 150 → 47; PM2.5 40 → 57.
    let input = "\
time,so2_24h,no2_24h,co_24h,o3_8h,o3_1h_max,pm10_24h,pm25_24h
2026-02-28,10,30,0.8,90,150,60,40
2026-03-01,10,30,0.8,90,150,60,40
2026-03-01T00:00:00+08:00,10,30,0.8,90,150,60,40
2026-02-28T15:59:00Z,10,30,0.8,90,150,60,40
";
    let cells = appended(&annotate(input, true).unwrap());
    assert_eq!(cells[0], "HJ 633-2012|pm25|良|2|57");
    assert_eq!(cells[1], "HJ 633-2026|pm25|良|2|60");
    assert_eq!(cells[2], "HJ 633-2026|pm25|良|2|60");
    // 15:59Z is 23:59 on 28 February in Beijing.
    assert_eq!(cells[3], "HJ 633-2012|pm25|良|2|57");
}

#[test]
fn other_columns_and_quoting_pass_through() {
    let input = "station,time,pm25,note\n\"1141A\",2026-06-01T10:00:00+08:00,20,\"a, b\"\n";
    let output = annotate(input, false).unwrap();
    assert_eq!(
        output.lines().nth(1).unwrap(),
        "1141A,2026-06-01T10:00:00+08:00,20,\"a, b\",,,,,HJ 633-2026"
    );
}

#[test]
fn returns_the_number_of_rows() {
    let input = "time,pm25\n2026-06-01T10:00:00+08:00,20\n2026-06-01T11:00:00+08:00,21\n";
    assert_eq!(
        annotate_csv(input.as_bytes(), Vec::new(), false).unwrap(),
        2
    );
}

#[test]
fn errors_name_the_line_and_column() {
    let bad_number =
        "time,so2,pm25\n2026-06-01T10:00:00+08:00,8,20\n2026-06-01T11:00:00+08:00,8,x\n";
    let err = annotate(bad_number, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3, column `pm25`: `x` is not a number"
    );

    let negative = "time,pm25\n2026-06-01T10:00:00+08:00,-2\n";
    let err = annotate(negative, false).unwrap_err();
    assert_eq!(err.to_string(), "line 2, column `pm25`: `-2` is negative");

    let nan = "time,pm25\n2026-06-01T10:00:00+08:00,NaN\n";
    assert!(
        annotate(nan, false)
            .unwrap_err()
            .to_string()
            .ends_with("is not finite")
    );

    let bad_time = "time,pm25\n2026-06-01 10:00,20\n";
    let err = annotate(bad_time, false).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("line 2, column `time`: `2026-06-01 10:00` is not"),
        "{err}"
    );

    let bad_day = "time,pm25_24h\n01/06/2026,20\n";
    assert!(matches!(
        annotate(bad_day, true),
        Err(AqiTableError::Time { line: 2, .. })
    ));
}

#[test]
fn header_problems_are_errors() {
    assert!(matches!(
        annotate("pm25\n20\n", false),
        Err(AqiTableError::NoTimeColumn)
    ));
    assert!(matches!(
        annotate("", false),
        Err(AqiTableError::NoTimeColumn)
    ));
    // Real-time columns given to --daily: probably the wrong mode.
    assert!(matches!(
        annotate("time,pm25\n2026-06-01,20\n", true),
        Err(AqiTableError::NoPollutantColumns { mode: "daily", .. })
    ));
    assert!(matches!(
        annotate("time,pm25,aqi\n2026-06-01T10:00:00+08:00,20,3\n", false),
        Err(AqiTableError::OutputColumnExists(c)) if c == "aqi"
    ));
    assert!(matches!(
        annotate("time,pm25\n2026-06-01T10:00:00+08:00,20,9\n", false),
        Err(AqiTableError::Read(_))
    ));
}

#[test]
fn help_names_every_column() {
    for column in REAL_TIME_COLUMNS
        .iter()
        .chain(&DAILY_COLUMNS)
        .chain(&OUTPUT_COLUMNS)
    {
        assert!(AQI_TABLE_HELP.contains(column), "{column}");
    }
}
