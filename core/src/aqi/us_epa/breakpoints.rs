//! EPA-454/B-24-002 Table 6 breakpoints (2024 PM2.5 revision) and the categories and colours
//! of Tables 1–2, written by hand from `reference/us_epa_aqi_breakpoints.csv` and checked
//! against it by the tests.
//!
//! Concentrations are stored as integers at each indicator's truncation precision (O3 in
//! 0.001 ppm, PM2.5 and CO in 0.1, the rest in whole units), so a truncated value is compared
//! exactly. The 301–500 rows end at footnote 4's AQI-500 concentrations.

use serde::Serialize;

use super::UsIndicator;

/// One row of Table 6: `bp_lo..=bp_hi` (scaled) maps linearly onto `aqi_lo..=aqi_hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Segment {
    pub(super) aqi_lo: u16,
    pub(super) aqi_hi: u16,
    pub(super) bp_lo: u32,
    pub(super) bp_hi: u32,
}

const fn seg(aqi_lo: u16, aqi_hi: u16, bp_lo: u32, bp_hi: u32) -> Segment {
    Segment {
        aqi_lo,
        aqi_hi,
        bp_lo,
        bp_hi,
    }
}

/// O3 8-hour, 0.001 ppm. No rows above AQI 300 (footnote 2: AQI 301+ comes from 1-hour O3).
const O3_8H: [Segment; 5] = [
    seg(0, 50, 0, 54),
    seg(51, 100, 55, 70),
    seg(101, 150, 71, 85),
    seg(151, 200, 86, 105),
    seg(201, 300, 106, 200),
];
/// O3 1-hour, 0.001 ppm. Nothing below 0.125 ppm (blank cells: such values are disregarded).
const O3_1H: [Segment; 4] = [
    seg(101, 150, 125, 164),
    seg(151, 200, 165, 204),
    seg(201, 300, 205, 404),
    seg(301, 500, 405, 604),
];
/// PM2.5 24-hour, 0.1 µg/m³ (2024 revision, effective 2024-05-06).
const PM25_24H: [Segment; 6] = [
    seg(0, 50, 0, 90),
    seg(51, 100, 91, 354),
    seg(101, 150, 355, 554),
    seg(151, 200, 555, 1254),
    seg(201, 300, 1255, 2254),
    seg(301, 500, 2255, 3254),
];
/// PM10 24-hour, µg/m³.
const PM10_24H: [Segment; 6] = [
    seg(0, 50, 0, 54),
    seg(51, 100, 55, 154),
    seg(101, 150, 155, 254),
    seg(151, 200, 255, 354),
    seg(201, 300, 355, 424),
    seg(301, 500, 425, 604),
];
/// CO 8-hour, 0.1 ppm.
const CO_8H: [Segment; 6] = [
    seg(0, 50, 0, 44),
    seg(51, 100, 45, 94),
    seg(101, 150, 95, 124),
    seg(151, 200, 125, 154),
    seg(201, 300, 155, 304),
    seg(301, 500, 305, 504),
];
/// SO2 1-hour, ppb. Not above AQI 200 (footnote 3).
const SO2_1H: [Segment; 4] = [
    seg(0, 50, 0, 35),
    seg(51, 100, 36, 75),
    seg(101, 150, 76, 185),
    seg(151, 200, 186, 304),
];
/// SO2 24-hour, ppb: only when the daily max 1-hour SO2 is at least 305 ppb.
const SO2_24H: [Segment; 2] = [seg(201, 300, 305, 604), seg(301, 500, 605, 1004)];
/// NO2 1-hour, ppb.
const NO2_1H: [Segment; 6] = [
    seg(0, 50, 0, 53),
    seg(51, 100, 54, 100),
    seg(101, 150, 101, 360),
    seg(151, 200, 361, 649),
    seg(201, 300, 650, 1249),
    seg(301, 500, 1250, 2049),
];

/// The rows of `indicator`, by rising AQI.
pub(super) fn segments(indicator: UsIndicator) -> &'static [Segment] {
    match indicator {
        UsIndicator::O3EightHour => &O3_8H,
        UsIndicator::O3OneHour => &O3_1H,
        UsIndicator::Pm25Day => &PM25_24H,
        UsIndicator::Pm10Day => &PM10_24H,
        UsIndicator::CoEightHour => &CO_8H,
        UsIndicator::So2OneHour => &SO2_1H,
        UsIndicator::So2Day => &SO2_24H,
        UsIndicator::No2OneHour => &NO2_1H,
    }
}

/// A US AQI category (EPA-454/B-24-002 Tables 1–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsCategory {
    /// Good … Hazardous.
    pub name: &'static str,
    /// Lowest AQI of the category.
    pub aqi_min: u16,
    /// Highest AQI of the category; `None` for Hazardous (301 and above).
    pub aqi_max: Option<u16>,
    /// Colour name: Green, Yellow, Orange, Red, Purple, Maroon.
    pub color: &'static str,
    /// Table 2 RGB.
    pub rgb: [u8; 3],
    /// The RGB as `#RRGGBB`.
    pub hex: &'static str,
}

#[rustfmt::skip]
/// The six categories, Good to Hazardous.
pub static US_CATEGORIES: [UsCategory; 6] = [
    UsCategory { name: "Good", aqi_min: 0, aqi_max: Some(50), color: "Green", rgb: [0, 228, 0], hex: "#00E400" },
    UsCategory { name: "Moderate", aqi_min: 51, aqi_max: Some(100), color: "Yellow", rgb: [255, 255, 0], hex: "#FFFF00" },
    UsCategory { name: "Unhealthy for Sensitive Groups", aqi_min: 101, aqi_max: Some(150), color: "Orange", rgb: [255, 126, 0], hex: "#FF7E00" },
    UsCategory { name: "Unhealthy", aqi_min: 151, aqi_max: Some(200), color: "Red", rgb: [255, 0, 0], hex: "#FF0000" },
    UsCategory { name: "Very Unhealthy", aqi_min: 201, aqi_max: Some(300), color: "Purple", rgb: [143, 63, 151], hex: "#8F3F97" },
    UsCategory { name: "Hazardous", aqi_min: 301, aqi_max: None, color: "Maroon", rgb: [126, 0, 35], hex: "#7E0023" },
];

/// The category of a US AQI value (above 500 stays Hazardous).
///
/// ```
/// use envmon_core::aqi::us_epa::us_category;
///
/// assert_eq!(us_category(101).name, "Unhealthy for Sensitive Groups");
/// ```
pub fn us_category(aqi: u32) -> &'static UsCategory {
    US_CATEGORIES
        .iter()
        .find(|c| c.aqi_max.is_none_or(|max| aqi <= u32::from(max)))
        .unwrap_or(&US_CATEGORIES[5])
}

#[cfg(test)]
mod tests {
    use super::super::super::reference_csv;
    use super::*;

    fn indicator_of(pollutant: &str, averaging: &str) -> UsIndicator {
        match (pollutant, averaging) {
            ("O3", "8h") => UsIndicator::O3EightHour,
            ("O3", "1h") => UsIndicator::O3OneHour,
            ("PM2.5", "24h") => UsIndicator::Pm25Day,
            ("PM10", "24h") => UsIndicator::Pm10Day,
            ("CO", "8h") => UsIndicator::CoEightHour,
            ("SO2", "1h") => UsIndicator::So2OneHour,
            ("SO2", "24h") => UsIndicator::So2Day,
            ("NO2", "1h") => UsIndicator::No2OneHour,
            other => panic!("unknown {other:?}"),
        }
    }

    #[test]
    fn segments_match_the_reference_csv_exactly() {
        let rows = reference_csv::us_breakpoint_rows();
        assert_eq!(rows.len(), 39);
        let mut seen = 0;
        for row in &rows {
            let indicator = indicator_of(&row.pollutant, &row.averaging);
            let cite = format!(
                "EPA-454/B-24-002 Table 6, {indicator:?}, AQI {}–{}",
                row.aqi_lo, row.aqi_hi
            );
            assert_eq!(indicator.unit(), row.unit, "{cite}");
            let d = indicator.decimals();
            let want = seg(
                row.aqi_lo,
                row.aqi_hi,
                reference_csv::scaled(&row.bp_lo, d),
                reference_csv::scaled(&row.bp_hi, d),
            );
            assert!(segments(indicator).contains(&want), "{cite}: {want:?}");
            seen += 1;
        }
        let total: usize = UsIndicator::ALL.iter().map(|i| segments(*i).len()).sum();
        assert_eq!(seen, total, "no hand-written row missing from the CSV");
    }

    #[test]
    fn categories_match_the_reference_csv() {
        for row in reference_csv::us_breakpoint_rows() {
            let c = us_category(u32::from(row.aqi_lo));
            assert_eq!(c, us_category(u32::from(row.aqi_hi)));
            assert_eq!(
                (c.name, c.color, c.hex),
                (row.category.as_str(), row.color.as_str(), row.hex.as_str())
            );
            assert_eq!(c.rgb, [row.r, row.g, row.b]);
            assert_eq!(c.aqi_min, row.aqi_lo);
        }
    }

    #[test]
    fn segments_rise_and_leave_one_truncation_step_between_rows() {
        for indicator in UsIndicator::ALL {
            for pair in segments(indicator).windows(2) {
                assert_eq!(pair[1].bp_lo, pair[0].bp_hi + 1, "{indicator:?}");
                assert_eq!(pair[1].aqi_lo, pair[0].aqi_hi + 1, "{indicator:?}");
            }
        }
    }
}
