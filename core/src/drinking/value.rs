//! A laboratory or sensor result as typed data: a number, a detection limit,
//! "not detected", "detected" or a sensory observation. Never a bare zero:
//! "<0.002" and "未检出" are different statements from "0", and the verdict
//! treats them differently.

use std::fmt;

use serde::Serialize;

use super::{SupplyItem, SupplyLimit, limit};

/// A sensory observation (臭和味, 肉眼可见物).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensory {
    /// 无 / 无异臭、异味.
    None,
    /// 有: an odour, a taste or visible matter was observed.
    Present,
}

/// One result of one item, as the laboratory or sensor gave it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultValue {
    /// A measured value in the item's unit, finite and not negative.
    Measured(f64),
    /// Below the method's detection limit ("<0.002"), in the item's unit.
    BelowDetection {
        /// The detection limit the laboratory reported.
        limit: f64,
    },
    /// 未检出 / ND, with no detection limit given.
    NotDetected,
    /// 检出: present, without a count.
    Detected,
    /// A sensory observation.
    Observation(Sensory),
}

/// Why a text is not a result of an item.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// Nothing was given.
    #[error("{item}: empty result; expected {expected}")]
    Empty {
        /// The item the text was for.
        item: SupplyItem,
        /// What the item accepts.
        expected: &'static str,
    },
    /// The text is not a form this item accepts.
    #[error("{item}: {text:?} is not a result of this item; expected {expected}")]
    Unrecognised {
        /// The item the text was for.
        item: SupplyItem,
        /// The text as given.
        text: String,
        /// What the item accepts.
        expected: &'static str,
    },
    /// A number that cannot be a concentration, count or pH.
    #[error("{item}: {text:?} is not a finite, non-negative number")]
    OutOfDomain {
        /// The item the text was for.
        item: SupplyItem,
        /// The text as given.
        text: String,
    },
}

/// The forms of result an item accepts, from its limit.
#[derive(Clone, Copy)]
enum Accepts {
    /// Sensory items: 无 / 有.
    Observation,
    /// Microbiological 不应检出 items: 未检出, 检出, counts.
    Presence,
    /// pH: a number only.
    Number,
    /// Everything else: numbers, detection limits, 未检出.
    Concentration,
}

impl Accepts {
    fn of(item: SupplyItem) -> Self {
        match limit(item) {
            SupplyLimit::Absent => Self::Observation,
            SupplyLimit::NotDetected => Self::Presence,
            SupplyLimit::Range { .. } => Self::Number,
            SupplyLimit::Max(_) | SupplyLimit::Guidance(_) | SupplyLimit::Disinfectant(_) => {
                Self::Concentration
            }
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Observation => "无 / 无异臭、异味 / none, or 有 / present",
            Self::Presence => "未检出 / ND / not detected, 检出 / detected, or a count such as 2",
            Self::Number => "a number such as 7.2",
            Self::Concentration => {
                "a number such as 0.5, a detection limit such as <0.002, or 未检出 / ND"
            }
        }
    }
}

const NOT_DETECTED: [&str; 5] = ["未检出", "nd", "n.d.", "not detected", "<dl"];
const DETECTED: [&str; 3] = ["检出", "detected", "present"];
/// "0" is odour grade 0 (无), as reports print "0(无)".
const SENSORY_NONE: [&str; 7] = [
    "无",
    "无异臭、异味",
    "无异臭异味",
    "none",
    "absent",
    "no",
    "0",
];
const SENSORY_PRESENT: [&str; 3] = ["有", "present", "yes"];

/// Parses a result of `item` as a laboratory report or sensor writes it.
///
/// # Errors
///
/// [`ValueError`] naming what the item accepts when the text is empty, is
/// not a form the item accepts (a sensory word for a concentration, a
/// detection limit for pH), or is a negative or non-finite number.
pub fn parse(item: SupplyItem, text: &str) -> Result<ResultValue, ValueError> {
    let accepts = Accepts::of(item);
    let trimmed = text.trim();
    let lower = trimmed.to_lowercase();
    let unrecognised = || ValueError::Unrecognised {
        item,
        text: text.to_owned(),
        expected: accepts.expected(),
    };
    if trimmed.is_empty() {
        return Err(ValueError::Empty {
            item,
            expected: accepts.expected(),
        });
    }
    match accepts {
        Accepts::Observation => {
            if SENSORY_NONE.contains(&lower.as_str()) {
                Ok(ResultValue::Observation(Sensory::None))
            } else if SENSORY_PRESENT.contains(&lower.as_str()) || trimmed.starts_with('有') {
                Ok(ResultValue::Observation(Sensory::Present))
            } else {
                Err(unrecognised())
            }
        }
        Accepts::Presence if DETECTED.contains(&lower.as_str()) => Ok(ResultValue::Detected),
        Accepts::Presence | Accepts::Concentration if NOT_DETECTED.contains(&lower.as_str()) => {
            Ok(ResultValue::NotDetected)
        }
        Accepts::Presence | Accepts::Concentration => match detection_limit(trimmed) {
            Some(dl) => Ok(ResultValue::BelowDetection {
                limit: number(item, text, dl).map_err(|_| unrecognised())?,
            }),
            None => number(item, text, trimmed).map(ResultValue::Measured),
        },
        Accepts::Number => number(item, text, trimmed).map(ResultValue::Measured),
    }
}

/// The number after a leading `<` (ASCII or full-width), if there is one.
fn detection_limit(text: &str) -> Option<&str> {
    text.strip_prefix('<')
        .or_else(|| text.strip_prefix('＜'))
        .map(str::trim)
}

fn number(item: SupplyItem, text: &str, digits: &str) -> Result<f64, ValueError> {
    let value: f64 = digits.parse().map_err(|_| ValueError::Unrecognised {
        item,
        text: text.to_owned(),
        expected: Accepts::of(item).expected(),
    })?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ValueError::OutOfDomain {
            item,
            text: text.to_owned(),
        })
    }
}

/// The canonical text: `0.5`, `<0.002`, `未检出`, `检出`, `无`, `有`.
impl fmt::Display for ResultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Measured(v) => write!(f, "{v}"),
            Self::BelowDetection { limit } => write!(f, "<{limit}"),
            Self::NotDetected => f.write_str("未检出"),
            Self::Detected => f.write_str("检出"),
            Self::Observation(Sensory::None) => f.write_str("无"),
            Self::Observation(Sensory::Present) => f.write_str("有"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SupplyItem::*;

    #[test]
    fn detection_limits_are_kept_with_or_without_a_space() {
        for text in ["<0.002", "< 0.002", " ＜0.002 "] {
            let v = parse(Arsenic, text).unwrap();
            assert_eq!(v, ResultValue::BelowDetection { limit: 0.002 });
            assert_eq!(v.to_string(), "<0.002");
        }
    }

    #[test]
    fn not_detected_has_several_spellings() {
        for text in ["未检出", "ND", "not detected", "Not Detected"] {
            assert_eq!(parse(TotalColiforms, text), Ok(ResultValue::NotDetected));
        }
        assert_eq!(parse(TotalColiforms, "检出"), Ok(ResultValue::Detected));
        assert_eq!(parse(TotalColiforms, "2"), Ok(ResultValue::Measured(2.0)));
        assert_eq!(ResultValue::NotDetected.to_string(), "未检出");
    }

    #[test]
    fn sensory_items_take_observations_only() {
        let none = Ok(ResultValue::Observation(Sensory::None));
        assert_eq!(parse(OdourTaste, "无异臭、异味"), none);
        assert_eq!(parse(VisibleMatter, "无"), none);
        assert_eq!(parse(VisibleMatter, "None"), none);
        assert_eq!(
            parse(OdourTaste, "有异味"),
            Ok(ResultValue::Observation(Sensory::Present))
        );
        let err = parse(OdourTaste, "0.3 mg/L").unwrap_err();
        assert!(err.to_string().contains("无"), "{err}");
    }

    #[test]
    fn errors_say_what_the_item_expects() {
        let err = parse(Turbidity, "cloudy").unwrap_err();
        assert!(err.to_string().starts_with("turbidity:"), "{err}");
        assert!(err.to_string().contains("<0.002"), "{err}");
        assert!(matches!(
            parse(Ph, "<6"),
            Err(ValueError::Unrecognised { .. })
        ));
        assert!(matches!(
            parse(Ph, "未检出"),
            Err(ValueError::Unrecognised { .. })
        ));
        assert!(matches!(parse(Iron, ""), Err(ValueError::Empty { .. })));
        assert!(matches!(
            parse(Iron, "-0.1"),
            Err(ValueError::OutOfDomain { .. })
        ));
        assert!(matches!(
            parse(Iron, "NaN"),
            Err(ValueError::OutOfDomain { .. })
        ));
        assert!(matches!(
            parse(Iron, "inf"),
            Err(ValueError::OutOfDomain { .. })
        ));
        assert!(matches!(
            parse(Iron, "检出"),
            Err(ValueError::Unrecognised { .. })
        ));
    }

    #[test]
    fn measured_values_display_as_plain_numbers() {
        assert_eq!(parse(Turbidity, "1.01").unwrap().to_string(), "1.01");
        assert_eq!(parse(Ph, "7").unwrap().to_string(), "7");
    }
}
