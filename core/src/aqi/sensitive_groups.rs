//! HJ 633-2026 Table 2: the groups sensitive to each pollutant, shown when that pollutant's
//! IAQI exceeds 100. HJ 633-2012 has no such table.
//!
//! Source: the reference README §1.8, which summarises Table 2 in English; the table's Chinese
//! wording was not available. `groups_en` follows that summary; `groups_zh` is envmon's
//! rendering of it in the vocabulary of HJ 633-2026 Table 1 (青少年儿童, 老年人, 心血管系统疾病,
//! 呼吸系统疾病) and is not a quotation of Table 2.

use serde::Serialize;

use crate::Parameter;

/// The sensitive groups of one pollutant (HJ 633-2026 Table 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SensitiveGroups {
    /// The pollutant.
    pub pollutant: Parameter,
    /// The groups in Chinese: envmon's rendering, not Table 2's verbatim text.
    pub groups_zh: &'static [&'static str],
    /// The groups in English, after the reference README §1.8.
    pub groups_en: &'static [&'static str],
}

/// The sensitive groups for `pollutant`, or `None` if it is not one of the six AQI pollutants.
///
/// ```
/// use envmon_core::Parameter;
/// use envmon_core::aqi::sensitive_groups;
///
/// assert_eq!(sensitive_groups(Parameter::Co).unwrap().groups_en, ["people with cardiovascular disease"]);
/// ```
pub fn sensitive_groups(pollutant: Parameter) -> Option<&'static SensitiveGroups> {
    SENSITIVE_GROUPS_2026
        .iter()
        .find(|g| g.pollutant == pollutant)
}

const YOUTH_ZH: &str = "青少年儿童";
const YOUTH_EN: &str = "children and adolescents";
const ELDERLY_ZH: &str = "老年人";
const ELDERLY_EN: &str = "the elderly";
const OUTDOOR_ZH: &str = "户外活动人群";
const OUTDOOR_EN: &str = "people active outdoors";
const PM_ZH: [&str; 4] = [
    "心血管系统或呼吸系统疾病患者",
    YOUTH_ZH,
    OUTDOOR_ZH,
    ELDERLY_ZH,
];
const PM_EN: [&str; 4] = [
    "people with cardiovascular or respiratory disease",
    YOUTH_EN,
    OUTDOOR_EN,
    ELDERLY_EN,
];

/// HJ 633-2026 Table 2, one entry per AQI pollutant.
pub static SENSITIVE_GROUPS_2026: [SensitiveGroups; 6] = [
    SensitiveGroups {
        pollutant: Parameter::So2,
        groups_zh: &["哮喘患者", YOUTH_ZH, ELDERLY_ZH],
        groups_en: &["people with asthma", YOUTH_EN, ELDERLY_EN],
    },
    SensitiveGroups {
        pollutant: Parameter::No2,
        groups_zh: &["呼吸系统疾病（如哮喘）患者", YOUTH_ZH, ELDERLY_ZH],
        groups_en: &[
            "people with respiratory disease such as asthma",
            YOUTH_EN,
            ELDERLY_EN,
        ],
    },
    SensitiveGroups {
        pollutant: Parameter::Co,
        groups_zh: &["心血管系统疾病患者"],
        groups_en: &["people with cardiovascular disease"],
    },
    SensitiveGroups {
        pollutant: Parameter::O3,
        groups_zh: &["呼吸系统疾病患者", YOUTH_ZH, OUTDOOR_ZH, ELDERLY_ZH],
        groups_en: &[
            "people with respiratory disease",
            YOUTH_EN,
            OUTDOOR_EN,
            ELDERLY_EN,
        ],
    },
    SensitiveGroups {
        pollutant: Parameter::Pm10,
        groups_zh: &PM_ZH,
        groups_en: &PM_EN,
    },
    SensitiveGroups {
        pollutant: Parameter::Pm25,
        groups_zh: &PM_ZH,
        groups_en: &PM_EN,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_air_pollutant_has_groups_in_both_languages() {
        for p in [
            Parameter::So2,
            Parameter::No2,
            Parameter::Co,
            Parameter::O3,
            Parameter::Pm10,
            Parameter::Pm25,
        ] {
            let g = sensitive_groups(p).unwrap();
            assert!(!g.groups_zh.is_empty());
            assert_eq!(g.groups_zh.len(), g.groups_en.len(), "{p}");
        }
        assert!(sensitive_groups(Parameter::Ph).is_none());
    }
}
