//! The emission registry: enterprises and their emission points (排放口),
//! with each point's limits, as a TOML file of `[[enterprise]]` and
//! `[[point]]` tables.
//!
//! Every limit and reference O2 comes from the file, each with the citation
//! string of the standard clause or permit it was read from (`GB 13223-2011
//! 表1`, `排污许可证`): an enterprise's limits depend on its industry, age,
//! location and permit, which no code can know. A point's HJ 212 MN is not
//! here: the station registry holds MNs, and keeps them out of public output.
//!
//! ```toml
//! [[enterprise]]
//! code = "91310000EXAMPLE0001"
//! name_zh = "示例热电有限公司"
//! name_en = "Example Power Co."
//! district_zh = "浦东新区"
//! district_en = "Pudong"
//! industry = "4411 火力发电"
//!
//! [[point]]
//! code = "DA001"
//! enterprise = "91310000EXAMPLE0001"
//! kind = "flue_gas"
//! name_zh = "1号锅炉排气筒"
//! name_en = "Boiler 1 stack"
//! reference_o2_percent = 6.0
//! reference_o2_source = "排污许可证"
//!
//! [[point.limit]]
//! pollutant = "a21026"
//! max = 35.0
//! unit = "mg/m3"
//! averaging = "hourly"
//! source = "排污许可证"
//! ```

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{EmissionPollutant, FactorRole, oxygen};

/// What an emission point discharges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// Flue gas, reported under HJ 212 ST 31 (大气环境污染源).
    FlueGas,
    /// Wastewater, reported under HJ 212 ST 32 (地表水体环境污染源).
    Wastewater,
}

impl PointKind {
    /// `flue_gas` or `wastewater`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FlueGas => "flue_gas",
            Self::Wastewater => "wastewater",
        }
    }

    /// The unit of its concentration limits.
    pub fn concentration_unit(self) -> LimitUnit {
        match self {
            Self::FlueGas => LimitUnit::MgPerM3,
            Self::Wastewater => LimitUnit::MgPerL,
        }
    }
}

impl fmt::Display for PointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit a limit is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LimitUnit {
    /// mg/m³ of dry flue gas, at the point's reference O2 when it has one.
    #[serde(rename = "mg/m3", alias = "mg/m³")]
    MgPerM3,
    /// mg/L.
    #[serde(rename = "mg/L")]
    MgPerL,
    /// No unit (pH).
    #[serde(rename = "dimensionless")]
    Dimensionless,
}

impl LimitUnit {
    /// The unit for people.
    pub fn display(self) -> &'static str {
        match self {
            Self::MgPerM3 => "mg/m³",
            Self::MgPerL => "mg/L",
            Self::Dimensionless => "",
        }
    }
}

/// The period a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Averaging {
    /// The hourly mean (HJ 212 CN 2061).
    Hourly,
    /// The daily mean (HJ 212 CN 2031), where the standard or permit sets a
    /// daily limit.
    Daily,
}

impl Averaging {
    /// English adjective.
    pub fn text_en(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Daily => "daily",
        }
    }

    /// Chinese.
    pub fn text_zh(self) -> &'static str {
        match self {
            Self::Hourly => "小时均值",
            Self::Daily => "日均值",
        }
    }
}

/// A limit's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitValue {
    /// Met when the value is at most this.
    Max(f64),
    /// Met when `min <= value <= max` (pH).
    Range {
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
}

/// One pollutant's limit at one point, as the registry file writes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitRecord {
    pollutant: EmissionPollutant,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    unit: LimitUnit,
    averaging: Averaging,
    source: String,
}

/// One pollutant's limit at one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantLimit {
    /// The pollutant.
    pub pollutant: EmissionPollutant,
    /// The limit.
    pub value: LimitValue,
    /// Its unit; matches the point's kind (checked).
    pub unit: LimitUnit,
    /// The period it applies to.
    pub averaging: Averaging,
    /// Where it comes from: standard and clause, or the permit.
    pub source: String,
}

/// An enterprise (排污单位) with emission points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    /// Its code, usually the unified social credit code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// District (区) in Chinese.
    pub district_zh: String,
    /// District in English.
    pub district_en: String,
    /// Its industry, as free text (e.g. the national industry code and name).
    pub industry: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointRecord {
    code: String,
    enterprise: String,
    kind: PointKind,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    reference_o2_percent: Option<f64>,
    #[serde(default)]
    reference_o2_source: Option<String>,
    #[serde(default, rename = "limit")]
    limits: Vec<LimitRecord>,
}

/// A flue-gas point's reference O2, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceO2 {
    /// % by volume, 0 ≤ value < 21.
    pub percent: f64,
    /// The standard clause or permit that sets it.
    pub source: String,
}

/// An emission point (排放口), checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmissionPoint {
    /// The point's code, unique within its enterprise (e.g. DA001, DW001).
    pub code: String,
    /// The enterprise's code.
    pub enterprise: String,
    /// Flue gas or wastewater.
    pub kind: PointKind,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Flue gas: the reference O2 its limits are written at. `None` for
    /// wastewater, and for a flue-gas point whose limits apply to the
    /// measured concentration.
    pub reference_o2: Option<ReferenceO2>,
    /// Its limits, at most one per pollutant and averaging.
    pub limits: Vec<PollutantLimit>,
}

impl EmissionPoint {
    /// The limits that apply to periods of `averaging`.
    pub fn limits_for(&self, averaging: Averaging) -> impl Iterator<Item = &PollutantLimit> {
        self.limits.iter().filter(move |l| l.averaging == averaging)
    }
}

/// The checked registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmissionRegistry {
    /// The enterprises.
    pub enterprises: Vec<Enterprise>,
    /// Their points.
    pub points: Vec<EmissionPoint>,
}

/// Why an emission registry cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmissionRegistryError {
    /// Not TOML of the expected shape.
    #[error("emission registry is not valid: {0}")]
    Syntax(String),
    /// Two enterprises share a code.
    #[error("enterprise {0} appears more than once")]
    DuplicateEnterprise(String),
    /// Two points of one enterprise share a code.
    #[error("point {enterprise}/{point} appears more than once")]
    DuplicatePoint {
        /// The enterprise.
        enterprise: String,
        /// The point.
        point: String,
    },
    /// A point names an enterprise the file does not list.
    #[error("point {point} names enterprise {enterprise}, which the registry does not list")]
    UnknownEnterprise {
        /// The point.
        point: String,
        /// The enterprise it names.
        enterprise: String,
    },
    /// A code or name is empty.
    #[error("{what} of {record} is empty")]
    Empty {
        /// The record.
        record: String,
        /// The field.
        what: &'static str,
    },
    /// A point's record is inconsistent.
    #[error("point {point}: {problem}")]
    Point {
        /// The point.
        point: String,
        /// What is wrong.
        #[source]
        problem: PointProblem,
    },
}

/// What is wrong with one point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointProblem {
    /// The reference O2 is not in 0 ≤ O2 < 21.
    #[error("reference O2 {0} % must be at least 0 and below 21 %")]
    ReferenceO2OutOfRange(f64),
    /// A reference O2 without its source, or a source without a value.
    #[error("reference_o2_percent and reference_o2_source go together")]
    ReferenceO2Incomplete,
    /// A wastewater point with a reference O2.
    #[error("a wastewater point has no reference O2")]
    ReferenceO2OnWastewater,
    /// A limit for a factor of the other kind of point.
    #[error("{pollutant} is reported by {pollutant_kind} points, not {point_kind}")]
    PollutantOfOtherKind {
        /// The factor.
        pollutant: EmissionPollutant,
        /// Its kind.
        pollutant_kind: PointKind,
        /// The point's kind.
        point_kind: PointKind,
    },
    /// A limit for O2, flow, temperature or moisture.
    #[error("{0} is a condition of the gas or water, not a pollutant with a limit")]
    NotAPollutant(EmissionPollutant),
    /// The unit does not fit the point and pollutant.
    #[error("the limit of {pollutant} is in {found:?}, expected {expected:?}")]
    UnitMismatch {
        /// The pollutant.
        pollutant: EmissionPollutant,
        /// The unit in the file.
        found: LimitUnit,
        /// The unit it must be in.
        expected: LimitUnit,
    },
    /// A limit that is not a positive number.
    #[error("the limit of {pollutant} must be a positive number, not {value}")]
    LimitNotPositive {
        /// The pollutant.
        pollutant: EmissionPollutant,
        /// The value.
        value: f64,
    },
    /// pH needs `min` and `max`; others need `max` alone.
    #[error("the limit of {0} needs {1}")]
    LimitShape(EmissionPollutant, &'static str),
    /// A pH range with min above max.
    #[error("the range of {0} has min above max")]
    RangeInverted(EmissionPollutant),
    /// The same pollutant and averaging twice.
    #[error("{0} has two {1:?} limits")]
    DuplicateLimit(EmissionPollutant, Averaging),
    /// A limit without its source.
    #[error("the limit of {0} names no source")]
    LimitWithoutSource(EmissionPollutant),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    enterprise: Vec<Enterprise>,
    #[serde(default)]
    point: Vec<PointRecord>,
}

/// Parses and checks an emission registry file.
///
/// # Errors
/// Fails on malformed TOML, duplicate codes, a point naming an unknown
/// enterprise, and any inconsistent point ([`PointProblem`]).
pub fn parse_emission_registry(text: &str) -> Result<EmissionRegistry, EmissionRegistryError> {
    let file: RegistryFile =
        toml::from_str(text).map_err(|e| EmissionRegistryError::Syntax(e.to_string()))?;
    let mut enterprises = HashSet::new();
    for e in &file.enterprise {
        not_empty(&e.code, "enterprise", "code")?;
        not_empty(&e.name_zh, &e.code, "name_zh")?;
        if !enterprises.insert(e.code.as_str()) {
            return Err(EmissionRegistryError::DuplicateEnterprise(e.code.clone()));
        }
    }
    let mut seen = HashSet::new();
    let mut points = Vec::with_capacity(file.point.len());
    for record in file.point {
        not_empty(&record.code, "point", "code")?;
        not_empty(&record.name_zh, &record.code, "name_zh")?;
        if !enterprises.contains(record.enterprise.as_str()) {
            return Err(EmissionRegistryError::UnknownEnterprise {
                point: record.code,
                enterprise: record.enterprise,
            });
        }
        if !seen.insert((record.enterprise.clone(), record.code.clone())) {
            return Err(EmissionRegistryError::DuplicatePoint {
                enterprise: record.enterprise,
                point: record.code,
            });
        }
        let code = record.code.clone();
        points.push(
            check_point(record).map_err(|problem| EmissionRegistryError::Point {
                point: code,
                problem,
            })?,
        );
    }
    Ok(EmissionRegistry {
        enterprises: file.enterprise,
        points,
    })
}

fn not_empty(value: &str, record: &str, what: &'static str) -> Result<(), EmissionRegistryError> {
    if value.trim().is_empty() {
        return Err(EmissionRegistryError::Empty {
            record: record.to_owned(),
            what,
        });
    }
    Ok(())
}

fn check_point(record: PointRecord) -> Result<EmissionPoint, PointProblem> {
    let reference_o2 = match (record.reference_o2_percent, record.reference_o2_source) {
        (None, None) => None,
        (Some(_), _) | (_, Some(_)) if record.kind == PointKind::Wastewater => {
            return Err(PointProblem::ReferenceO2OnWastewater);
        }
        (Some(percent), Some(source)) if !source.trim().is_empty() => {
            let percent = oxygen::check_reference(percent)
                .map_err(|_| PointProblem::ReferenceO2OutOfRange(percent))?;
            Some(ReferenceO2 { percent, source })
        }
        _ => return Err(PointProblem::ReferenceO2Incomplete),
    };
    let mut seen = HashSet::new();
    let mut limits = Vec::with_capacity(record.limits.len());
    for l in record.limits {
        let limit = check_limit(record.kind, l)?;
        if !seen.insert((limit.pollutant, limit.averaging)) {
            return Err(PointProblem::DuplicateLimit(
                limit.pollutant,
                limit.averaging,
            ));
        }
        limits.push(limit);
    }
    Ok(EmissionPoint {
        code: record.code,
        enterprise: record.enterprise,
        kind: record.kind,
        name_zh: record.name_zh,
        name_en: record.name_en,
        reference_o2,
        limits,
    })
}

fn check_limit(kind: PointKind, l: LimitRecord) -> Result<PollutantLimit, PointProblem> {
    let p = l.pollutant;
    if p.kind() != kind {
        return Err(PointProblem::PollutantOfOtherKind {
            pollutant: p,
            pollutant_kind: p.kind(),
            point_kind: kind,
        });
    }
    if p.role() != FactorRole::Pollutant {
        return Err(PointProblem::NotAPollutant(p));
    }
    let expected = if p == EmissionPollutant::Ph {
        LimitUnit::Dimensionless
    } else {
        kind.concentration_unit()
    };
    if l.unit != expected {
        return Err(PointProblem::UnitMismatch {
            pollutant: p,
            found: l.unit,
            expected,
        });
    }
    if l.source.trim().is_empty() {
        return Err(PointProblem::LimitWithoutSource(p));
    }
    let positive = |value: f64| {
        if value > 0.0 && value.is_finite() {
            Ok(value)
        } else {
            Err(PointProblem::LimitNotPositive {
                pollutant: p,
                value,
            })
        }
    };
    let value = match (p == EmissionPollutant::Ph, l.min, l.max) {
        (true, Some(min), Some(max)) => {
            let (min, max) = (positive(min)?, positive(max)?);
            if min > max {
                return Err(PointProblem::RangeInverted(p));
            }
            LimitValue::Range { min, max }
        }
        (true, _, _) => return Err(PointProblem::LimitShape(p, "min and max")),
        (false, None, Some(max)) => LimitValue::Max(positive(max)?),
        (false, _, _) => return Err(PointProblem::LimitShape(p, "max alone")),
    };
    Ok(PollutantLimit {
        pollutant: p,
        value,
        unit: l.unit,
        averaging: l.averaging,
        source: l.source,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A registry of two invented points, used by the verdict tests. The
    /// numbers are placeholders for the tests, not limits of any standard.
    pub(crate) const SAMPLE: &str = r#"
[[enterprise]]
code = "E0001"
name_zh = "示例热电有限公司"
name_en = "Example Power Co."
district_zh = "浦东新区"
district_en = "Pudong"
industry = "4411 火力发电"

[[enterprise]]
code = "E0002"
name_zh = "示例化工有限公司"
name_en = "Example Chemicals Co."
district_zh = "金山区"
district_en = "Jinshan"
industry = "2614 有机化学原料制造"

[[point]]
code = "DA001"
enterprise = "E0001"
kind = "flue_gas"
name_zh = "1号锅炉排气筒"
name_en = "Boiler 1 stack"
reference_o2_percent = 6.0
reference_o2_source = "test permit"

[[point.limit]]
pollutant = "a21026"
max = 35.0
unit = "mg/m3"
averaging = "hourly"
source = "test permit"

[[point.limit]]
pollutant = "a21002"
max = 40.0
unit = "mg/m³"
averaging = "hourly"
source = "test permit"

[[point.limit]]
pollutant = "a34013"
max = 5.0
unit = "mg/m3"
averaging = "hourly"
source = "test permit"

[[point]]
code = "DW001"
enterprise = "E0002"
kind = "wastewater"
name_zh = "污水总排口"
name_en = "Main wastewater outfall"

[[point.limit]]
pollutant = "w01018"
max = 50.0
unit = "mg/L"
averaging = "daily"
source = "test permit"

[[point.limit]]
pollutant = "w21003"
max = 5.0
unit = "mg/L"
averaging = "daily"
source = "test permit"

[[point.limit]]
pollutant = "w01001"
min = 6.0
max = 9.0
unit = "dimensionless"
averaging = "daily"
source = "test permit"
"#;

    pub(crate) fn sample() -> EmissionRegistry {
        parse_emission_registry(SAMPLE).unwrap()
    }

    fn point_problem(text: &str) -> PointProblem {
        match parse_emission_registry(text) {
            Err(EmissionRegistryError::Point { problem, .. }) => problem,
            other => panic!("expected a point problem, got {other:?}"),
        }
    }

    /// The sample with its first point's lines after `[[point]]` replaced.
    fn with_flue_gas_point(body: &str) -> String {
        let head = SAMPLE.split("[[point]]").next().unwrap();
        format!(
            "{head}[[point]]\ncode = \"DA009\"\nenterprise = \"E0001\"\nname_zh = \"测试\"\nname_en = \"Test\"\n{body}"
        )
    }

    #[test]
    fn sample_registry_parses_with_its_limits_and_reference_o2() {
        let r = sample();
        assert_eq!(r.enterprises.len(), 2);
        assert_eq!(r.points.len(), 2);
        let stack = &r.points[0];
        assert_eq!(stack.kind, PointKind::FlueGas);
        assert_eq!(stack.reference_o2.as_ref().map(|o| o.percent), Some(6.0));
        assert_eq!(stack.limits_for(Averaging::Hourly).count(), 3);
        assert_eq!(stack.limits[1].unit, LimitUnit::MgPerM3);
        let outfall = &r.points[1];
        assert_eq!(outfall.reference_o2, None);
        assert_eq!(
            outfall.limits[2].value,
            LimitValue::Range { min: 6.0, max: 9.0 }
        );
    }

    #[test]
    fn reference_o2_of_21_or_more_is_refused() {
        for o2 in ["21.0", "25.0", "-1.0"] {
            let text = with_flue_gas_point(&format!(
                "kind = \"flue_gas\"\nreference_o2_percent = {o2}\nreference_o2_source = \"x\"\n"
            ));
            assert!(
                matches!(point_problem(&text), PointProblem::ReferenceO2OutOfRange(_)),
                "{o2}"
            );
        }
    }

    #[test]
    fn reference_o2_needs_its_source_and_never_sits_on_wastewater() {
        let text = with_flue_gas_point("kind = \"flue_gas\"\nreference_o2_percent = 6.0\n");
        assert_eq!(point_problem(&text), PointProblem::ReferenceO2Incomplete);
        let text = with_flue_gas_point(
            "kind = \"wastewater\"\nreference_o2_percent = 6.0\nreference_o2_source = \"x\"\n",
        );
        assert_eq!(point_problem(&text), PointProblem::ReferenceO2OnWastewater);
    }

    #[test]
    fn limit_in_the_unit_of_the_other_kind_is_refused() {
        let text = with_flue_gas_point(
            "kind = \"flue_gas\"\n[[point.limit]]\npollutant = \"a21026\"\nmax = 35.0\nunit = \"mg/L\"\naveraging = \"hourly\"\nsource = \"x\"\n",
        );
        assert_eq!(
            point_problem(&text),
            PointProblem::UnitMismatch {
                pollutant: EmissionPollutant::So2,
                found: LimitUnit::MgPerL,
                expected: LimitUnit::MgPerM3,
            }
        );
    }

    #[test]
    fn limits_must_be_positive_and_name_a_source() {
        let limit = |max: &str, source: &str| {
            with_flue_gas_point(&format!(
                "kind = \"flue_gas\"\n[[point.limit]]\npollutant = \"a21002\"\nmax = {max}\nunit = \"mg/m3\"\naveraging = \"hourly\"\nsource = \"{source}\"\n"
            ))
        };
        assert!(matches!(
            point_problem(&limit("0.0", "x")),
            PointProblem::LimitNotPositive { .. }
        ));
        assert!(matches!(
            point_problem(&limit("-5.0", "x")),
            PointProblem::LimitNotPositive { .. }
        ));
        assert_eq!(
            point_problem(&limit("50.0", " ")),
            PointProblem::LimitWithoutSource(EmissionPollutant::Nox)
        );
    }

    #[test]
    fn limits_on_conditions_or_the_other_kind_are_refused() {
        let limit = |code: &str, unit: &str| {
            with_flue_gas_point(&format!(
                "kind = \"flue_gas\"\n[[point.limit]]\npollutant = \"{code}\"\nmax = 1.0\nunit = \"{unit}\"\naveraging = \"hourly\"\nsource = \"x\"\n"
            ))
        };
        assert_eq!(
            point_problem(&limit("a19001", "mg/m3")),
            PointProblem::NotAPollutant(EmissionPollutant::Oxygen)
        );
        assert!(matches!(
            point_problem(&limit("w01018", "mg/L")),
            PointProblem::PollutantOfOtherKind { .. }
        ));
    }

    #[test]
    fn unknown_pollutant_codes_and_enterprises_are_refused() {
        let text = with_flue_gas_point(
            "kind = \"flue_gas\"\n[[point.limit]]\npollutant = \"a99999\"\nmax = 1.0\nunit = \"mg/m3\"\naveraging = \"hourly\"\nsource = \"x\"\n",
        );
        assert!(matches!(
            parse_emission_registry(&text),
            Err(EmissionRegistryError::Syntax(_))
        ));
        let text = SAMPLE.replace("enterprise = \"E0002\"", "enterprise = \"E9999\"");
        assert!(matches!(
            parse_emission_registry(&text),
            Err(EmissionRegistryError::UnknownEnterprise { .. })
        ));
    }

    #[test]
    fn ph_needs_a_range_and_duplicates_are_refused() {
        let text = SAMPLE.replace("min = 6.0\n", "");
        assert_eq!(
            point_problem(&text),
            PointProblem::LimitShape(EmissionPollutant::Ph, "min and max")
        );
        let text = SAMPLE.replace("min = 6.0\nmax = 9.0", "min = 9.0\nmax = 6.0");
        assert_eq!(
            point_problem(&text),
            PointProblem::RangeInverted(EmissionPollutant::Ph)
        );
        let text = SAMPLE.replace("pollutant = \"w21003\"", "pollutant = \"w01018\"");
        assert_eq!(
            point_problem(&text),
            PointProblem::DuplicateLimit(EmissionPollutant::Cod, Averaging::Daily)
        );
    }

    #[test]
    fn errors_read_as_sentences_naming_the_point() {
        let text = SAMPLE.replace("reference_o2_percent = 6.0", "reference_o2_percent = 21.0");
        let err = parse_emission_registry(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "point DA001: reference O2 21 % must be at least 0 and below 21 %"
        );
    }
}
