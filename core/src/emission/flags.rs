//! Data flags (数据标记, `-Flag`) of HJ 212-2017 Table 8, and which of them
//! leave a value fit to be judged against an emission limit.
//!
//! Meanings as `shared/reference/hj212/README.md` §5 gives Table 8; the same
//! table drives `ingest/src/decode/hj212/flags.rs`, which maps flags to
//! stored quality flags. This module decides something narrower: whether a
//! value may say "pass" or "exceedance".
//!
//! Decisions:
//! - N judged: the instrument worked normally.
//! - No flag judged too, like ingest does: HJ/T 212-2005 devices and much
//!   current traffic omit it.
//! - T (above the measuring range) judged as a lower bound: the true value
//!   is at least the reported one, so a reported value above the limit is a
//!   certain exceedance of unknown size, and one within the limit says
//!   nothing.
//! - F, M, S, D, C, B excluded: the value was not measured by a working
//!   instrument on gas or water leaving the point (stopped, maintenance, set
//!   by hand, fault, calibration gas, link failure), so it can neither clear
//!   nor accuse the point.
//! - Any other flag (2005's P, digits, lower case) excluded: an instrument
//!   that says something other than normal.

use std::fmt;

use serde::{Serialize, Serializer};

/// One `-Flag` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataFlag {
    /// N: instrument working normally (valid data).
    Normal,
    /// F: instrument stopped (停运).
    Stopped,
    /// M: data produced during maintenance.
    Maintenance,
    /// S: value entered manually (设定值).
    ManuallySet,
    /// D: instrument fault.
    Fault,
    /// C: instrument calibrating (校准).
    Calibrating,
    /// T: value above the measuring range (超测上限).
    OverRange,
    /// B: communication failure between instrument and data logger.
    CommunicationFailure,
    /// A flag Table 8 does not define, kept as sent.
    Other(String),
}

/// What a flag allows a judgement to do with the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagUse {
    /// The value is judged as it is.
    Judged,
    /// The true value is at least this one (T).
    LowerBound,
    /// The value is not judged.
    Excluded,
}

impl DataFlag {
    /// The flag in a `-Flag` field. Case matters: Table 8 flags are upper
    /// case, and a lower-case letter is kept as [`DataFlag::Other`].
    pub fn parse(text: &str) -> Self {
        match text {
            "N" => Self::Normal,
            "F" => Self::Stopped,
            "M" => Self::Maintenance,
            "S" => Self::ManuallySet,
            "D" => Self::Fault,
            "C" => Self::Calibrating,
            "T" => Self::OverRange,
            "B" => Self::CommunicationFailure,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The flag as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Normal => "N",
            Self::Stopped => "F",
            Self::Maintenance => "M",
            Self::ManuallySet => "S",
            Self::Fault => "D",
            Self::Calibrating => "C",
            Self::OverRange => "T",
            Self::CommunicationFailure => "B",
            Self::Other(text) => text,
        }
    }

    /// What a judgement may do with a value carrying this flag.
    pub fn use_in_judgement(&self) -> FlagUse {
        match self {
            Self::Normal => FlagUse::Judged,
            Self::OverRange => FlagUse::LowerBound,
            _ => FlagUse::Excluded,
        }
    }

    /// Whether the hour counts as valid data for completeness: only N.
    /// An over-range value is a measurement, but not a number one can use.
    pub fn is_valid_data(&self) -> bool {
        *self == Self::Normal
    }

    /// The meaning in English (Table 8).
    pub fn meaning_en(&self) -> &'static str {
        match self {
            Self::Normal => "instrument working normally",
            Self::Stopped => "instrument stopped",
            Self::Maintenance => "data produced during maintenance",
            Self::ManuallySet => "value entered manually",
            Self::Fault => "instrument fault",
            Self::Calibrating => "instrument calibrating",
            Self::OverRange => "value above the measuring range",
            Self::CommunicationFailure => {
                "communication failure between instrument and data logger"
            }
            Self::Other(_) => "flag not defined by HJ 212-2017 Table 8",
        }
    }

    /// The meaning in Chinese.
    pub fn meaning_zh(&self) -> &'static str {
        match self {
            Self::Normal => "仪器正常",
            Self::Stopped => "停运",
            Self::Maintenance => "维护",
            Self::ManuallySet => "手工设定值",
            Self::Fault => "故障",
            Self::Calibrating => "校准",
            Self::OverRange => "超测上限",
            Self::CommunicationFailure => "仪器与数采仪通讯异常",
            Self::Other(_) => "HJ 212-2017 表8未定义的标记",
        }
    }
}

/// The use of an optional flag: a value without `-Flag` is judged.
pub fn use_of(flag: Option<&DataFlag>) -> FlagUse {
    flag.map_or(FlagUse::Judged, DataFlag::use_in_judgement)
}

/// Whether an optional flag counts as valid data: a missing flag does.
pub fn is_valid(flag: Option<&DataFlag>) -> bool {
    flag.is_none_or(DataFlag::is_valid_data)
}

impl fmt::Display for DataFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as sent: `"M"`.
impl Serialize for DataFlag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_8_flags_parse_and_print_back() {
        for text in ["N", "F", "M", "S", "D", "C", "T", "B"] {
            let flag = DataFlag::parse(text);
            assert!(!matches!(flag, DataFlag::Other(_)), "{text}");
            assert_eq!(flag.as_str(), text);
        }
        assert_eq!(DataFlag::parse("n"), DataFlag::Other("n".into()));
        assert_eq!(DataFlag::parse("P").as_str(), "P");
    }

    #[test]
    fn only_normal_is_judged_over_range_is_a_lower_bound_the_rest_excluded() {
        let cases = [
            ("N", FlagUse::Judged),
            ("T", FlagUse::LowerBound),
            ("F", FlagUse::Excluded),
            ("M", FlagUse::Excluded),
            ("S", FlagUse::Excluded),
            ("D", FlagUse::Excluded),
            ("C", FlagUse::Excluded),
            ("B", FlagUse::Excluded),
            ("P", FlagUse::Excluded),
        ];
        for (text, expected) in cases {
            assert_eq!(DataFlag::parse(text).use_in_judgement(), expected, "{text}");
        }
        assert_eq!(use_of(None), FlagUse::Judged);
    }

    #[test]
    fn only_normal_or_missing_flags_count_as_valid_data() {
        assert!(is_valid(None));
        assert!(is_valid(Some(&DataFlag::Normal)));
        assert!(!is_valid(Some(&DataFlag::OverRange)));
        assert!(!is_valid(Some(&DataFlag::Calibrating)));
    }
}
