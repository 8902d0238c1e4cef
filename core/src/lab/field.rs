//! One row's fields, each checked on its own, so one pass reports every
//! problem of the row. The item decides which value forms and units are
//! accepted; an unknown site or item leaves those unchecked rather than
//! guessed at.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{LabItem, LabProblem};
use crate::drinking::{self, ResultValue};
use crate::water::WaterItem;
use crate::{Station, StationKind};

/// Positions in [`super::COLUMNS`].
pub(super) const SITE: usize = 0;
pub(super) const SAMPLED_AT: usize = 1;
pub(super) const ITEM: usize = 2;
pub(super) const VALUE: usize = 3;
pub(super) const UNIT: usize = 4;
pub(super) const METHOD: usize = 5;
pub(super) const LABORATORY: usize = 6;
pub(super) const SAMPLE_ID: usize = 7;

/// The longest sample id accepted, in characters.
pub(super) const MAX_SAMPLE_ID_CHARS: usize = 64;

/// One result as either form gives it, fields in [`super::COLUMNS`] order.
/// `None` is a field the form lacked, already reported.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) row: usize,
    pub(super) fields: [Option<String>; 8],
}

/// One row with every field valid.
#[derive(Debug, Clone)]
pub(super) struct Row<'a> {
    pub(super) row: usize,
    pub(super) station: &'a Station,
    pub(super) sample_id: String,
    pub(super) sampled_at: DateTime<Utc>,
    pub(super) laboratory: String,
    pub(super) item: LabItem,
    pub(super) value: ResultValue,
    pub(super) method: String,
}

/// Checks every field of `record`, adding each problem to `problems`.
pub(super) fn check<'a>(
    record: &Record,
    stations: &'a [Station],
    problems: &mut Vec<LabProblem>,
) -> Option<Row<'a>> {
    let before = problems.len();
    let row = record.row;
    let mut report = |column: usize, message: String| {
        problems.push(LabProblem::new(row, Some(super::COLUMNS[column]), message));
    };
    let field = |column: usize| record.fields[column].as_deref().map(str::trim);

    let station =
        field(SITE).and_then(|text| site(text, stations).map_err(|m| report(SITE, m)).ok());
    let sampled_at =
        field(SAMPLED_AT).and_then(|text| sampled_at(text).map_err(|m| report(SAMPLED_AT, m)).ok());
    let item = match (field(ITEM), station) {
        (Some(text), Some(station)) => LabItem::resolve(text, station.kind)
            .map_err(|m| report(ITEM, m))
            .ok(),
        // The site is unknown: the item can only be checked to exist.
        (Some(text), None) => {
            if !LabItem::exists(text) {
                report(
                    ITEM,
                    format!(
                        "unknown item {text:?}; expected a GB 3838-2002 or GB 5749-2022 item code or Chinese name"
                    ),
                );
            }
            None
        }
        (None, _) => None,
    };
    let scale = match (field(UNIT), item) {
        (Some(text), Some(item)) => unit(item, text).map_err(|m| report(UNIT, m)).ok(),
        _ => None,
    };
    let value = match (field(VALUE), item, scale) {
        (Some(text), Some(item), Some(scale)) => {
            value(item, text, scale).map_err(|m| report(VALUE, m)).ok()
        }
        // Without a unit the value's scale is unknown; its form is still checked.
        (Some(text), Some(item), None) => {
            let _ = value(item, text, Scale::AsGiven).map_err(|m| report(VALUE, m));
            None
        }
        _ => None,
    };
    let laboratory = field(LABORATORY).and_then(|text| {
        if text.is_empty() {
            report(LABORATORY, "the laboratory is required".to_owned());
            None
        } else {
            Some(text.to_owned())
        }
    });
    let sample_id =
        field(SAMPLE_ID).and_then(|text| sample_id(text).map_err(|m| report(SAMPLE_ID, m)).ok());
    let method = field(METHOD).unwrap_or_default().to_owned();
    if problems.len() > before {
        return None;
    }
    Some(Row {
        row,
        station: station?,
        sample_id: sample_id?,
        sampled_at: sampled_at?,
        laboratory: laboratory?,
        item: item?,
        value: value?,
        method,
    })
}

fn site<'a>(text: &str, stations: &'a [Station]) -> Result<&'a Station, String> {
    let station = stations
        .iter()
        .find(|s| s.code.as_str() == text)
        .ok_or_else(|| format!("unknown site {text:?}; expected the code of a registered river, source, plant or tap"))?;
    if station.kind == StationKind::Air {
        return Err(format!(
            "{text} is an air station; laboratory results are for river, source, plant and tap sites"
        ));
    }
    Ok(station)
}

/// RFC 3339 with an offset, or a Beijing wall-clock time as sheets write it.
fn sampled_at(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .and_then(|local| local.and_local_timezone(crate::beijing::offset()).single())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| {
            format!(
                "{text:?} is not a time; expected RFC 3339 with an offset (2026-07-08T09:30:00+08:00) \
                 or Beijing time as YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS"
            )
        })
}

fn sample_id(text: &str) -> Result<String, String> {
    let chars = text.chars().count();
    if chars == 0 {
        return Err("the sample id is required".to_owned());
    }
    if chars > MAX_SAMPLE_ID_CHARS {
        return Err(format!(
            "the sample id has {chars} characters; at most {MAX_SAMPLE_ID_CHARS} are allowed"
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("the sample id contains a control character".to_owned());
    }
    Ok(text.to_owned())
}

/// How a value in the given unit becomes one in the item's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// Already in the item's unit.
    AsGiven,
    /// µg/L for a mg/L item: divide by 1000.
    MicroToMilli,
}

/// Other spellings of exactly the item's unit, as Chinese laboratory
/// sheets print them. No conversion hides behind these.
fn same_unit(item_unit: &str, text: &str) -> bool {
    text == item_unit
        || match item_unit {
            "mg/L" => text == "mg/l",
            "1" => matches!(text, "" | "无量纲" | "dimensionless"),
            "Cel" => matches!(text, "°C" | "℃"),
            "/L" => text == "个/L",
            _ => false,
        }
}

fn unit(item: LabItem, text: &str) -> Result<Scale, String> {
    if same_unit(item.unit(), text) {
        Ok(Scale::AsGiven)
    } else if item.unit() == "mg/L" && matches!(text, "ug/L" | "µg/L" | "μg/L" | "ug/l") {
        Ok(Scale::MicroToMilli)
    } else {
        Err(format!("expected {} for {item}, got {text}", item.unit()))
    }
}

fn value(item: LabItem, text: &str, scale: Scale) -> Result<ResultValue, String> {
    let value = match item {
        LabItem::Supply(item) => drinking::parse(item, text).map_err(|e| e.to_string())?,
        LabItem::Surface(_) | LabItem::Specific(_) => surface_value(item, text)?,
    };
    Ok(match (scale, value) {
        (Scale::MicroToMilli, ResultValue::Measured(v)) => ResultValue::Measured(milli(v)),
        (Scale::MicroToMilli, ResultValue::BelowDetection { limit }) => {
            ResultValue::BelowDetection {
                limit: milli(limit),
            }
        }
        (_, value) => value,
    })
}

/// µg/L to mg/L through the decimal text, so `0.05` µg/L is the double
/// nearest 0.00005 and not 0.05 / 1000 with its rounding error.
fn milli(micro: f64) -> f64 {
    format!("{micro}e-3").parse().unwrap_or(micro / 1000.0)
}

const NOT_DETECTED: [&str; 5] = ["未检出", "nd", "n.d.", "not detected", "<dl"];

/// A GB 3838-2002 result (any of its three tables): a number, `<DL`, or
/// 未检出/ND. pH and water temperature are numbers only: no method reports
/// them below detection.
fn surface_value(lab_item: LabItem, text: &str) -> Result<ResultValue, String> {
    let numbers_only = matches!(lab_item, LabItem::Surface(WaterItem::Ph | WaterItem::Temp));
    let expected = if numbers_only {
        "a number such as 7.2"
    } else {
        "a number such as 0.5, a detection limit such as <0.002, or 未检出 / ND"
    };
    // Messages name the code, as they did for Table 1 and 2 items.
    let item = lab_item.code();
    let is_valid = |v: f64| match lab_item {
        LabItem::Surface(water) => water.is_valid_value(v),
        _ => v.is_finite() && v >= 0.0,
    };
    let unrecognised =
        || format!("{item}: {text:?} is not a result of this item; expected {expected}");
    let number = |digits: &str| -> Result<f64, String> {
        let v: f64 = digits.trim().parse().map_err(|_| unrecognised())?;
        if is_valid(v) {
            Ok(v)
        } else {
            Err(format!(
                "{item}: {text:?} is not a finite, non-negative number"
            ))
        }
    };
    if text.is_empty() {
        return Err(format!("{item}: empty result; expected {expected}"));
    }
    if numbers_only {
        return number(text).map(ResultValue::Measured);
    }
    if NOT_DETECTED.contains(&text.to_lowercase().as_str()) {
        return Ok(ResultValue::NotDetected);
    }
    match text.strip_prefix('<').or_else(|| text.strip_prefix('＜')) {
        Some(dl) => number(dl)
            .map(|limit| ResultValue::BelowDetection { limit })
            .map_err(|_| unrecognised()),
        None => number(text).map(ResultValue::Measured),
    }
}
