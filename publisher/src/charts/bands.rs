//! The official bands drawn behind a chart: AQI levels through HJ 633's
//! sub-index breakpoints for the air pollutants, GB 3838-2002 class limits
//! for the water items. Every number comes from envmon-core's tables, none
//! from here.
//!
//! Pure: no IO, no clock.

use envmon_core::Parameter;
use envmon_core::aqi::levels::levels;
use envmon_core::aqi::{Averaging, Edition, breakpoint_table, level_for};
use envmon_core::station::WaterBodyType;
use envmon_core::water::{ClassLimits, WaterClass, WaterItem, class_limits};

/// One band: values from `lo` to `hi` (`None`: no upper end) share a level
/// or class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    pub(crate) lo: f64,
    pub(crate) hi: Option<f64>,
    pub(crate) rgb: [u8; 3],
    pub(crate) label_zh: String,
    pub(crate) label_en: String,
}

/// The bands of a chart and where they come from, for the caption.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bands {
    pub(crate) bands: Vec<Band>,
    pub(crate) source_zh: String,
    pub(crate) source_en: String,
}

/// Water class colours: GB 3838 defines none, so these are the dashboard's
/// (`--wq-N-line` in dashboard/style.css), I to worse than V.
pub(crate) const WATER_CLASS_RGB: [[u8; 3]; 6] = [
    [0x4f, 0xa3, 0xc4],
    [0x3b, 0x6f, 0xb0],
    [0x3f, 0x8f, 0x52],
    [0xb8, 0x95, 0x1c],
    [0xcc, 0x7a, 0x2c],
    [0xb8, 0x45, 0x3a],
];

/// The AQI levels of `edition` as bands over the index itself (HJ 633
/// level table), level VI drawn up to the index's top of 500.
pub(crate) fn aqi_bands(edition: Edition) -> Bands {
    let mut lo = 0.0;
    let mut bands = Vec::new();
    for level in levels(edition) {
        // Levels are printed as whole-number ranges ("51～100"): a band
        // runs from the previous level's top to this level's top.
        let hi = f64::from(level.aqi_max.unwrap_or(500));
        bands.push(Band {
            lo,
            hi: Some(hi),
            rgb: level.rgb,
            label_zh: level.category_zh.to_owned(),
            label_en: level.category_en.to_owned(),
        });
        lo = hi;
    }
    let table = match edition {
        Edition::Hj633_2012 => "Table 2",
        Edition::Hj633_2026 => "Table 1",
    };
    Bands {
        bands,
        source_zh: format!("色带：{} {} AQI 级别", edition.code(), table_zh(table)),
        source_en: format!("Bands: {} {table} AQI levels", edition.code()),
    }
}

/// The bands behind `parameter`: for an air pollutant the concentrations
/// at which its sub-index crosses each level (HJ 633, `edition`); for a
/// water item its GB 3838-2002 Table 1 class limits in water of type
/// `body`. `None` where no official band exists (turbidity, conductivity,
/// temperature, TN in rivers).
pub(crate) fn parameter_bands(
    parameter: Parameter,
    edition: Edition,
    body: Option<WaterBodyType>,
) -> Option<Bands> {
    if parameter.info().air {
        air_bands(parameter, edition)
    } else {
        water_bands(parameter, body.unwrap_or(WaterBodyType::River))
    }
}

/// The averaging column hourly values are judged by: the 1-hour column,
/// except PM, which has none and whose hourly values the real-time AQI
/// judges by the 24-hour column (HJ 633 real-time report).
fn hourly_averaging(parameter: Parameter) -> Averaging {
    match parameter {
        Parameter::Pm25 | Parameter::Pm10 => Averaging::Daily,
        _ => Averaging::OneHour,
    }
}

fn air_bands(parameter: Parameter, edition: Edition) -> Option<Bands> {
    let averaging = hourly_averaging(parameter);
    let table = breakpoint_table(edition, parameter, averaging)?;
    let bands = table
        .rows
        .windows(2)
        .map(|pair| {
            let level = level_for(edition, pair[1].iaqi);
            Band {
                lo: f64::from(pair[0].concentration),
                hi: Some(f64::from(pair[1].concentration)),
                rgb: level.rgb,
                label_zh: level.category_zh.to_owned(),
                label_en: level.category_en.to_owned(),
            }
        })
        .collect();
    Some(Bands {
        bands,
        source_zh: format!(
            "色带：{} {}，{}分指数分级浓度",
            edition.code(),
            table_zh(table.source().rsplit(' ').next().unwrap_or("")),
            table.label_zh
        ),
        source_en: format!(
            "Bands: {}, {} IAQI breakpoints of {}",
            table.source(),
            averaging,
            parameter.info().name_en
        ),
    })
}

fn water_bands(parameter: Parameter, body: WaterBodyType) -> Option<Bands> {
    let item = WaterItem::from_parameter(parameter)?;
    let limits = class_limits(item, body)?;
    let band = |lo: f64, hi: Option<f64>, class: WaterClass| Band {
        lo,
        hi,
        rgb: WATER_CLASS_RGB[usize::from(class.number() - 1)],
        label_zh: class.label_zh().to_owned(),
        label_en: class.label_en().to_owned(),
    };
    let mut bands = Vec::new();
    match limits {
        ClassLimits::AtMost(maxima) => {
            let mut lo = 0.0;
            for (class, max) in WaterClass::WITH_LIMITS.into_iter().zip(maxima) {
                // Classes sharing a limit (COD I and II) share one band,
                // which goes to the better class.
                if max > lo || bands.is_empty() {
                    bands.push(band(lo, Some(max), class));
                }
                lo = lo.max(max);
            }
            bands.push(band(lo, None, WaterClass::WorseThanV));
        }
        ClassLimits::AtLeast(minima) => {
            let mut hi: Option<f64> = None;
            for (class, min) in WaterClass::WITH_LIMITS.into_iter().zip(minima) {
                if hi.is_none_or(|h| min < h) {
                    bands.push(band(min, hi, class));
                }
                hi = Some(min);
            }
            bands.push(band(0.0, hi, WaterClass::WorseThanV));
        }
        ClassLimits::Within(min, max) => {
            bands.push(band(0.0, Some(min), WaterClass::WorseThanV));
            bands.push(Band {
                label_zh: "Ⅰ～Ⅴ类".to_owned(),
                label_en: "Classes I–V".to_owned(),
                ..band(min, Some(max), WaterClass::II)
            });
            bands.push(band(max, None, WaterClass::WorseThanV));
        }
    }
    let body_zh = match body {
        WaterBodyType::River => "河流",
        WaterBodyType::Lake => "湖库",
    };
    let body_en = match body {
        WaterBodyType::River => "river",
        WaterBodyType::Lake => "lake/reservoir",
    };
    Some(Bands {
        bands,
        source_zh: format!("色带：GB 3838-2002 表1 {body_zh}水质类别限值"),
        source_en: format!("Bands: GB 3838-2002 Table 1 class limits ({body_en})"),
    })
}

/// "Table 3" as Chinese text, "表3".
fn table_zh(table_en: &str) -> String {
    format!("表{}", table_en.trim_start_matches("Table").trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pm25_bands_follow_the_2026_daily_column() {
        // HJ 633-2026 Table 3: PM2.5 24-h at IAQI 0/50/100/150/200/300/400/500
        // = 0/35/60/115/150/250/350/500 µg/m³.
        let bands = parameter_bands(Parameter::Pm25, Edition::Hj633_2026, None).unwrap();
        let edges: Vec<(f64, Option<f64>)> = bands.bands.iter().map(|b| (b.lo, b.hi)).collect();
        assert_eq!(
            edges,
            [
                (0.0, Some(35.0)),
                (35.0, Some(60.0)),
                (60.0, Some(115.0)),
                (115.0, Some(150.0)),
                (150.0, Some(250.0)),
                (250.0, Some(350.0)),
                (350.0, Some(500.0)),
            ]
        );
        // HJ 633-2026 Table A.1: level I green, level III orange.
        assert_eq!(bands.bands[0].rgb, [0, 228, 0]);
        assert_eq!(bands.bands[2].rgb, [255, 126, 0]);
        assert_eq!(bands.bands[6].label_zh, "严重污染");
    }

    #[test]
    fn so2_bands_stop_where_the_one_hour_column_stops() {
        // HJ 633 Table 1/3: SO2 1-h has breakpoints only up to IAQI 200 (800).
        let bands = parameter_bands(Parameter::So2, Edition::Hj633_2026, None).unwrap();
        assert_eq!(bands.bands.last().unwrap().hi, Some(800.0));
        assert_eq!(bands.bands.len(), 4);
    }

    #[test]
    fn ammonia_bands_are_the_gb3838_class_limits() {
        // GB 3838-2002 Table 1 row 7: NH3-N 0.15/0.5/1.0/1.5/2.0 mg/L.
        let bands = parameter_bands(Parameter::Nh3n, Edition::Hj633_2026, None).unwrap();
        let edges: Vec<(f64, Option<f64>, &str)> = bands
            .bands
            .iter()
            .map(|b| (b.lo, b.hi, b.label_zh.as_str()))
            .collect();
        assert_eq!(
            edges,
            [
                (0.0, Some(0.15), "Ⅰ类"),
                (0.15, Some(0.5), "Ⅱ类"),
                (0.5, Some(1.0), "Ⅲ类"),
                (1.0, Some(1.5), "Ⅳ类"),
                (1.5, Some(2.0), "Ⅴ类"),
                (2.0, None, "劣Ⅴ类"),
            ]
        );
    }

    #[test]
    fn lake_phosphorus_uses_the_lake_limits_and_oxygen_runs_downwards() {
        // GB 3838-2002 Table 1 row 8: TP lakes and reservoirs 0.01 … 0.2.
        let tp = parameter_bands(
            Parameter::Tp,
            Edition::Hj633_2026,
            Some(WaterBodyType::Lake),
        )
        .unwrap();
        assert_eq!(tp.bands[0].hi, Some(0.01));
        assert_eq!(tp.bands[4].hi, Some(0.2));
        // Row 3: DO at least 7.5/6/5/3/2 mg/L; class I has no upper end.
        let dissolved = parameter_bands(Parameter::Do, Edition::Hj633_2026, None).unwrap();
        assert_eq!(dissolved.bands[0].lo, 7.5);
        assert_eq!(dissolved.bands[0].hi, None);
        assert_eq!(dissolved.bands[5].hi, Some(2.0));
        assert_eq!(dissolved.bands[5].label_en, "Worse than Class V");
    }

    #[test]
    fn parameters_without_official_limits_have_no_bands() {
        for parameter in [
            Parameter::Turbidity,
            Parameter::Conductivity,
            Parameter::Temp,
        ] {
            assert!(parameter_bands(parameter, Edition::Hj633_2026, None).is_none());
        }
        // TN is limited for lakes only.
        assert!(
            parameter_bands(
                Parameter::Tn,
                Edition::Hj633_2026,
                Some(WaterBodyType::River)
            )
            .is_none()
        );
    }

    #[test]
    fn aqi_bands_are_the_six_levels() {
        let bands = aqi_bands(Edition::Hj633_2026);
        let edges: Vec<(f64, Option<f64>)> = bands.bands.iter().map(|b| (b.lo, b.hi)).collect();
        assert_eq!(
            edges,
            [
                (0.0, Some(50.0)),
                (50.0, Some(100.0)),
                (100.0, Some(150.0)),
                (150.0, Some(200.0)),
                (200.0, Some(300.0)),
                (300.0, Some(500.0)),
            ]
        );
    }
}
