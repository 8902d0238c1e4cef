//! The GB 3838-2002 water quality classes and their public wording.
//!
//! GB 3838-2002 §3 defines five classes by water use (I source water and
//! national nature reserves … V agricultural water and general landscape
//! water). Assessment practice adds 劣Ⅴ类, "worse than class V", for water
//! that fails even the class V limits. This module owns the class type, its
//! labels and numbers; the limits live in [`super::limits`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// A GB 3838-2002 water quality class.
///
/// `Ord` runs from best to worst (`I < II < … < V < WorseThanV`), so the
/// worst of several classes is their `max()`, and "meets class X" is
/// `class <= X`.
///
/// Serialized as its number, 1 for I to 6 for worse than V: stations store
/// their target class as 1–5 ([`crate::Station::target_class`]) and the
/// national automatic-monitoring feed encodes 劣Ⅴ as 6 (README §3), so the API
/// speaks one numbering everywhere. The CSV table uses [`WaterClass::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum WaterClass {
    /// Class I (Ⅰ类): source water, national nature reserves.
    I,
    /// Class II (Ⅱ类): first-level protection zones of drinking-water sources,
    /// habitats of rare aquatic life, spawning grounds.
    II,
    /// Class III (Ⅲ类): second-level protection zones of drinking-water
    /// sources, fisheries, swimming areas.
    III,
    /// Class IV (Ⅳ类): general industrial water, recreation without direct
    /// body contact.
    IV,
    /// Class V (Ⅴ类): agricultural water, general landscape water.
    V,
    /// Worse than class V (劣Ⅴ类): fails a class V limit.
    WorseThanV,
}

/// The qualitative wording of a class.
///
/// SECONDARY: from 《地表水环境质量评价办法（试行）》 (环办〔2011〕22号), whose
/// full text was not available; confirmed from quotations (README §3). GB
/// 3838-2002 itself defines no such words. The English wording is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityCategory {
    /// 优: classes I and II.
    Excellent,
    /// 良好: class III.
    Good,
    /// 轻度污染: class IV.
    LightlyPolluted,
    /// 中度污染: class V.
    ModeratelyPolluted,
    /// 重度污染: worse than class V.
    HeavilyPolluted,
}

impl QualityCategory {
    /// The Chinese wording, as 环办〔2011〕22号 prints it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Excellent => "优",
            Self::Good => "良好",
            Self::LightlyPolluted => "轻度污染",
            Self::ModeratelyPolluted => "中度污染",
            Self::HeavilyPolluted => "重度污染",
        }
    }

    /// The English wording (ours; there is no official translation).
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Excellent => "Excellent",
            Self::Good => "Good",
            Self::LightlyPolluted => "Lightly polluted",
            Self::ModeratelyPolluted => "Moderately polluted",
            Self::HeavilyPolluted => "Heavily polluted",
        }
    }
}

/// A number that is not a class number (1–6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a water class number (1 = I .. 5 = V, 6 = worse than V)")]
pub struct InvalidClassNumber(pub u8);

impl WaterClass {
    /// Every class, best first.
    pub const ALL: [WaterClass; 6] = [
        Self::I,
        Self::II,
        Self::III,
        Self::IV,
        Self::V,
        Self::WorseThanV,
    ];

    /// The five classes GB 3838-2002 defines limits for, best first. A
    /// station's target class is one of these.
    pub const WITH_LIMITS: [WaterClass; 5] = [Self::I, Self::II, Self::III, Self::IV, Self::V];

    /// The class with number `n`: 1 = I … 5 = V, 6 = worse than V (the
    /// national feed's encoding of 劣Ⅴ).
    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The class's number, 1 = I … 6 = worse than V.
    pub fn number(self) -> u8 {
        match self {
            Self::I => 1,
            Self::II => 2,
            Self::III => 3,
            Self::IV => 4,
            Self::V => 5,
            Self::WorseThanV => 6,
        }
    }

    /// The machine-friendly name used in CSV files and logs: `I`, `II`,
    /// `III`, `IV`, `V`, and `worse_than_V` for 劣Ⅴ (ASCII, no spaces, so it
    /// needs no quoting and cannot be mistaken for a sixth class).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WorseThanV => "worse_than_V",
            other => other.roman(),
        }
    }

    /// The Roman label as GB 3838 writes it, in ASCII letters: `I` … `V`, and
    /// `劣V` for worse than class V (there is no Roman numeral for it).
    pub fn roman(self) -> &'static str {
        match self {
            Self::I => "I",
            Self::II => "II",
            Self::III => "III",
            Self::IV => "IV",
            Self::V => "V",
            Self::WorseThanV => "劣V",
        }
    }

    /// The Chinese label with Unicode Roman numerals, e.g. `Ⅲ类`, `劣Ⅴ类`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::I => "Ⅰ类",
            Self::II => "Ⅱ类",
            Self::III => "Ⅲ类",
            Self::IV => "Ⅳ类",
            Self::V => "Ⅴ类",
            Self::WorseThanV => "劣Ⅴ类",
        }
    }

    /// The English label, e.g. `Class III`, `Worse than Class V`.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::I => "Class I",
            Self::II => "Class II",
            Self::III => "Class III",
            Self::IV => "Class IV",
            Self::V => "Class V",
            Self::WorseThanV => "Worse than Class V",
        }
    }

    /// The qualitative category (优 … 重度污染).
    ///
    /// SECONDARY: 环办〔2011〕22号, not GB 3838 itself (README §3).
    pub fn category(self) -> QualityCategory {
        match self {
            Self::I | Self::II => QualityCategory::Excellent,
            Self::III => QualityCategory::Good,
            Self::IV => QualityCategory::LightlyPolluted,
            Self::V => QualityCategory::ModeratelyPolluted,
            Self::WorseThanV => QualityCategory::HeavilyPolluted,
        }
    }

    /// Whether water of this class meets `target`, i.e. is as good or better.
    pub fn meets(self, target: WaterClass) -> bool {
        self <= target
    }

    /// Parses a class written as a number (`1`–`6`), an ASCII Roman label
    /// (`I`–`V`, any case), `劣V`/`劣Ⅴ` or `worse_than_V`. Surrounding spaces
    /// are ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u8>() {
            return Self::from_number(n);
        }
        if text == "劣Ⅴ" {
            return Some(Self::WorseThanV);
        }
        Self::ALL.into_iter().find(|class| {
            text.eq_ignore_ascii_case(class.as_str()) || text.eq_ignore_ascii_case(class.roman())
        })
    }
}

impl From<WaterClass> for u8 {
    fn from(class: WaterClass) -> u8 {
        class.number()
    }
}

impl TryFrom<u8> for WaterClass {
    type Error = InvalidClassNumber;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Self::from_number(n).ok_or(InvalidClassNumber(n))
    }
}

impl fmt::Display for WaterClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_order_from_best_to_worst() {
        assert!(WaterClass::I < WaterClass::II);
        assert!(WaterClass::V < WaterClass::WorseThanV);
        assert_eq!(
            [WaterClass::III, WaterClass::I, WaterClass::IV]
                .iter()
                .max(),
            Some(&WaterClass::IV)
        );
        assert!(WaterClass::II.meets(WaterClass::III));
        assert!(WaterClass::III.meets(WaterClass::III));
        assert!(!WaterClass::IV.meets(WaterClass::III));
    }

    #[test]
    fn every_class_round_trips_through_number_name_and_json() {
        for (i, class) in WaterClass::ALL.into_iter().enumerate() {
            let n = u8::try_from(i + 1).unwrap();
            assert_eq!(class.number(), n);
            assert_eq!(WaterClass::from_number(n), Some(class));
            assert_eq!(WaterClass::parse(class.as_str()), Some(class));
            assert_eq!(WaterClass::parse(class.roman()), Some(class));
            assert_eq!(serde_json::to_string(&class).unwrap(), n.to_string());
            let back: WaterClass = serde_json::from_str(&n.to_string()).unwrap();
            assert_eq!(back, class);
        }
        assert_eq!(WaterClass::from_number(0), None);
        assert_eq!(WaterClass::from_number(7), None);
        assert!(serde_json::from_str::<WaterClass>("7").is_err());
    }

    #[test]
    fn labels_follow_the_standard_notation() {
        assert_eq!(WaterClass::III.label_zh(), "Ⅲ类");
        assert_eq!(WaterClass::WorseThanV.label_zh(), "劣Ⅴ类");
        assert_eq!(WaterClass::III.label_en(), "Class III");
        assert_eq!(WaterClass::WorseThanV.label_en(), "Worse than Class V");
        assert_eq!(WaterClass::IV.roman(), "IV");
        assert_eq!(WaterClass::WorseThanV.as_str(), "worse_than_V");
    }

    #[test]
    fn parse_accepts_numbers_and_roman_labels_in_any_case() {
        assert_eq!(WaterClass::parse(" 3 "), Some(WaterClass::III));
        assert_eq!(WaterClass::parse("iv"), Some(WaterClass::IV));
        assert_eq!(WaterClass::parse("劣Ⅴ"), Some(WaterClass::WorseThanV));
        assert_eq!(WaterClass::parse("VI"), None);
        assert_eq!(WaterClass::parse(""), None);
        assert_eq!(WaterClass::parse("0"), None);
    }

    #[test]
    fn categories_follow_huanban_2011_22() {
        // SECONDARY, README §3: I–II 优, III 良好, IV 轻度污染, V 中度污染, 劣Ⅴ 重度污染.
        let zh: Vec<_> = WaterClass::ALL
            .iter()
            .map(|c| c.category().name_zh())
            .collect();
        assert_eq!(zh, ["优", "优", "良好", "轻度污染", "中度污染", "重度污染"]);
    }
}
