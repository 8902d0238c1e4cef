//! One period (an hour, or a day) of one emission point judged against the
//! point's limits for that period, with the reasons in English and Chinese.
//!
//! Which value is judged:
//! - wastewater, and flue gas without a reference O2: the mean (`-Avg`);
//! - flue gas with a reference O2: the logger's converted mean (`-ZsAvg`)
//!   when it sent one, else the mean converted here with the period's O2
//!   mean ([`oxygen`]). Both are shown, and when both exist
//!   the reference O2 the logger's value implies is checked against the
//!   registry's.
//!
//! A value whose own flag, or whose O2's flag, is not N is not judged
//! ([`flags`]): a converted value is only as good as the O2 it
//! was converted with. A limit is met at equality ("不得超过").
//!
//! 超标倍数 is C / limit − 1 (SECONDARY, see `reference/README.md`); the
//! plain ratio C / limit is given beside it as `ratio_to_limit`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::flags::{self, DataFlag, FlagUse};
use super::oxygen::{self, OxygenError};
use super::{Averaging, EmissionPoint, EmissionPollutant, LimitValue, PointKind, PollutantLimit};

/// How far (percentage points) the reference O2 implied by a logger's
/// `-ZsAvg` may be from the registry's before the verdict says they
/// disagree. Values arrive rounded to one decimal; at 3.0 / 3.6 mg/m³ and
/// 9.8 % O2 that rounding alone moves the implied O2 by about 0.15 points.
pub const IMPLIED_O2_TOLERANCE_PERCENT: f64 = 0.5;

/// One factor's values in one period, as decoded from HJ 212.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FactorValues {
    /// `-Avg`, in the factor's unit.
    pub avg: Option<f64>,
    /// `-ZsAvg`: the logger's mean converted to the reference O2.
    pub zs_avg: Option<f64>,
    /// `-Flag`; `None` when the logger sent none.
    pub flag: Option<DataFlag>,
}

/// One period of one point: what its logger sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodData {
    /// The start of the period (HJ 212 DataTime is the interval's start).
    pub starts_at: DateTime<Utc>,
    /// Hour (CN 2061) or day (CN 2031).
    pub averaging: Averaging,
    /// The factors sent, O2 included.
    pub factors: BTreeMap<EmissionPollutant, FactorValues>,
}

/// Where the judged value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueBasis {
    /// The logger's `-ZsAvg`.
    LoggerConverted,
    /// `-Avg` converted here with the period's O2.
    ComputedConverted,
    /// `-Avg` as measured (wastewater, or flue gas without a reference O2).
    Measured,
}

/// Why a limited pollutant was not judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotJudgedReason {
    /// The period's data do not carry it.
    NoValue,
    /// Its flag excludes it.
    Flagged(DataFlag),
    /// Above the measuring range (T), but the reported value is within the
    /// limit, so the true value may or may not be.
    OverRangeWithinLimit,
    /// A conversion to the reference O2 is needed and neither `-ZsAvg` nor
    /// an O2 mean was sent.
    NoOxygen,
    /// The O2 mean's flag excludes it, and with it every converted value.
    OxygenFlagged(DataFlag),
    /// The O2 mean is not a usable number.
    OxygenInvalid(OxygenError),
}

impl NotJudgedReason {
    /// English.
    pub fn text_en(&self) -> String {
        match self {
            Self::NoValue => "no value in the data".into(),
            Self::Flagged(f) => format!("flagged {f} ({})", f.meaning_en()),
            Self::OverRangeWithinLimit => {
                "above the measuring range, with the reported value within the limit".into()
            }
            Self::NoOxygen => "no O2 to convert to the reference O2".into(),
            Self::OxygenFlagged(f) => format!("O2 flagged {f} ({})", f.meaning_en()),
            Self::OxygenInvalid(e) => e.to_string(),
        }
    }

    /// Chinese.
    pub fn text_zh(&self) -> String {
        match self {
            Self::NoValue => "无监测数据".into(),
            Self::Flagged(f) => format!("数据标记 {f}（{}）", f.meaning_zh()),
            Self::OverRangeWithinLimit => "超测上限，报送值未超过限值".into(),
            Self::NoOxygen => "无氧含量数据，无法折算".into(),
            Self::OxygenFlagged(f) => format!("氧含量数据标记 {f}（{}）", f.meaning_zh()),
            Self::OxygenInvalid(_) => "氧含量数值无效".into(),
        }
    }
}

/// The outcome for one limited pollutant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Within the limit.
    Pass,
    /// Above a maximum.
    Exceedance {
        /// C / limit.
        ratio_to_limit: f64,
        /// 超标倍数 = C / limit − 1.
        exceedance_multiple: f64,
        /// True when the value was above the measuring range (T): the
        /// figures are lower bounds.
        at_least: bool,
    },
    /// Outside a range (pH), by this much.
    OutsideRange {
        /// Distance to the nearer end of the range.
        by: f64,
        /// True for an over-range value: the distance is a lower bound.
        at_least: bool,
    },
    /// Not judged.
    NotJudged(NotJudgedReason),
}

impl Outcome {
    /// Whether the limit was broken.
    pub fn is_exceedance(&self) -> bool {
        matches!(self, Self::Exceedance { .. } | Self::OutsideRange { .. })
    }
}

/// One limited pollutant of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollutantVerdict {
    /// The pollutant.
    pub pollutant: EmissionPollutant,
    /// The limit, with its averaging and source.
    pub limit: PollutantLimit,
    /// `-Avg` as sent.
    pub measured: Option<f64>,
    /// `-ZsAvg` as sent.
    pub logger_converted: Option<f64>,
    /// `-Avg` converted here, when a reference O2 and a usable O2 exist.
    pub computed_converted: Option<f64>,
    /// The period's O2 mean, %.
    pub measured_o2_percent: Option<f64>,
    /// The point's reference O2, %.
    pub reference_o2_percent: Option<f64>,
    /// The reference O2 that `-ZsAvg` implies, given `-Avg` and the O2.
    pub implied_reference_o2_percent: Option<f64>,
    /// True when that implied O2 is more than
    /// [`IMPLIED_O2_TOLERANCE_PERCENT`] from the registry's.
    pub converted_disagrees: bool,
    /// Where the judged value came from; `None` when nothing was judged.
    pub basis: Option<ValueBasis>,
    /// The value compared with the limit.
    pub value: Option<f64>,
    /// The pollutant's flag as sent.
    pub flag: Option<DataFlag>,
    /// The outcome.
    pub outcome: Outcome,
    /// One sentence in English.
    pub explanation_en: String,
    /// One sentence in Chinese.
    pub explanation_zh: String,
}

/// The period as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    /// At least one limit broken.
    Exceedance,
    /// Every limit judged and met.
    Pass,
    /// No limit broken, but at least one not judged.
    PartlyJudged,
    /// The point has no limit for this averaging.
    NoLimit,
}

/// One period of one point judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodVerdict {
    /// The enterprise's code.
    pub enterprise: String,
    /// The point's code.
    pub point: String,
    /// The start of the period.
    pub starts_at: DateTime<Utc>,
    /// Hour or day.
    pub averaging: Averaging,
    /// The overall status.
    pub status: PeriodStatus,
    /// One verdict per limit of this averaging, in registry order.
    pub pollutants: Vec<PollutantVerdict>,
    /// Summary in English.
    pub explanation_en: String,
    /// Summary in Chinese.
    pub explanation_zh: String,
}

/// Judges one period of `point` against its limits for `data.averaging`.
/// Limits of the other averaging are not applied.
pub fn judge_period(point: &EmissionPoint, data: &PeriodData) -> PeriodVerdict {
    let pollutants: Vec<_> = point
        .limits_for(data.averaging)
        .map(|limit| judge_pollutant(point, limit, data))
        .collect();
    let count = |f: fn(&Outcome) -> bool| pollutants.iter().filter(|v| f(&v.outcome)).count();
    let exceeded = count(Outcome::is_exceedance);
    let passed = count(|o| *o == Outcome::Pass);
    let not_judged = pollutants.len() - exceeded - passed;
    let status = match () {
        _ if pollutants.is_empty() => PeriodStatus::NoLimit,
        _ if exceeded > 0 => PeriodStatus::Exceedance,
        _ if not_judged > 0 => PeriodStatus::PartlyJudged,
        _ => PeriodStatus::Pass,
    };
    let explanation_en = format!(
        "{} ({}/{}), {} data: {exceeded} exceeding, {passed} within limits, {not_judged} not judged.",
        point.name_en,
        point.enterprise,
        point.code,
        data.averaging.text_en(),
    );
    let explanation_zh = format!(
        "{}（{}/{}）{}：超标 {exceeded} 项，达标 {passed} 项，不予判定 {not_judged} 项。",
        point.name_zh,
        point.enterprise,
        point.code,
        data.averaging.text_zh(),
    );
    PeriodVerdict {
        enterprise: point.enterprise.clone(),
        point: point.code.clone(),
        starts_at: data.starts_at,
        averaging: data.averaging,
        status,
        pollutants,
        explanation_en,
        explanation_zh,
    }
}

/// The O2 mean of the period, if it can convert.
fn usable_o2(data: &PeriodData) -> Result<f64, NotJudgedReason> {
    let o2 = data.factors.get(&EmissionPollutant::Oxygen);
    let Some(avg) = o2.and_then(|v| v.avg) else {
        return Err(NotJudgedReason::NoOxygen);
    };
    let flag = o2.and_then(|v| v.flag.as_ref());
    if flags::use_of(flag) != FlagUse::Judged {
        // T on O2 is excluded too: an O2 bound gives no conversion factor.
        return Err(NotJudgedReason::OxygenFlagged(
            flag.cloned().unwrap_or(DataFlag::Normal),
        ));
    }
    oxygen::check_measured(avg).map_err(NotJudgedReason::OxygenInvalid)
}

struct Chosen {
    basis: ValueBasis,
    value: f64,
}

fn judge_pollutant(
    point: &EmissionPoint,
    limit: &PollutantLimit,
    data: &PeriodData,
) -> PollutantVerdict {
    let values = data
        .factors
        .get(&limit.pollutant)
        .cloned()
        .unwrap_or_default();
    let reference = point.reference_o2.as_ref().map(|r| r.percent);
    let converts = point.kind == PointKind::FlueGas && reference.is_some();
    let o2 = if converts {
        Some(usable_o2(data))
    } else {
        None
    };
    let o2_ok = o2.as_ref().and_then(|r| r.as_ref().ok().copied());
    let computed = match (values.avg, o2_ok, reference) {
        (Some(c), Some(m), Some(r)) => oxygen::to_reference_o2(c, m, r).ok(),
        _ => None,
    };
    let implied = match (values.avg, values.zs_avg, o2_ok) {
        (Some(c), Some(zs), Some(m)) => oxygen::implied_reference_o2(c, zs, m),
        _ => None,
    };
    let converted_disagrees = matches!((implied, reference),
        (Some(i), Some(r)) if (i - r).abs() > IMPLIED_O2_TOLERANCE_PERCENT);

    let chosen = choose(&values, o2.as_ref(), computed);

    let lower_bound = flags::use_of(values.flag.as_ref()) == FlagUse::LowerBound;
    let outcome = match &chosen {
        Ok(c) => compare(limit.value, c.value, lower_bound),
        Err(reason) => Outcome::NotJudged(reason.clone()),
    };
    let mut verdict = PollutantVerdict {
        pollutant: limit.pollutant,
        limit: limit.clone(),
        measured: values.avg,
        logger_converted: values.zs_avg,
        computed_converted: computed,
        measured_o2_percent: data
            .factors
            .get(&EmissionPollutant::Oxygen)
            .and_then(|v| v.avg)
            .filter(|_| converts),
        reference_o2_percent: reference,
        implied_reference_o2_percent: implied,
        converted_disagrees,
        basis: chosen.as_ref().ok().map(|c| c.basis),
        value: chosen.as_ref().ok().map(|c| c.value),
        flag: values.flag,
        outcome,
        explanation_en: String::new(),
        explanation_zh: String::new(),
    };
    verdict.explanation_en = explain_en(&verdict);
    verdict.explanation_zh = explain_zh(&verdict);
    verdict
}

/// The value to judge, or why there is none.
fn choose(
    values: &FactorValues,
    o2: Option<&Result<f64, NotJudgedReason>>,
    computed: Option<f64>,
) -> Result<Chosen, NotJudgedReason> {
    if values.avg.is_none() && values.zs_avg.is_none() {
        return Err(NotJudgedReason::NoValue);
    }
    if let Some(flag) = values
        .flag
        .as_ref()
        .filter(|f| f.use_in_judgement() == FlagUse::Excluded)
    {
        return Err(NotJudgedReason::Flagged(flag.clone()));
    }
    let chosen = |basis, value| Chosen { basis, value };
    match o2 {
        None => values
            .avg
            .map(|value| chosen(ValueBasis::Measured, value))
            .ok_or(NotJudgedReason::NoValue),
        // An O2 that was sent but cannot be used spoils the logger's
        // converted value as much as ours; an O2 that was not sent leaves
        // the logger's value, which it computed with an O2 it had.
        Some(Err(e @ (NotJudgedReason::OxygenFlagged(_) | NotJudgedReason::OxygenInvalid(_)))) => {
            Err(e.clone())
        }
        Some(_) => match (values.zs_avg, computed) {
            (Some(value), _) => Ok(chosen(ValueBasis::LoggerConverted, value)),
            (None, Some(value)) => Ok(chosen(ValueBasis::ComputedConverted, value)),
            (None, None) => Err(NotJudgedReason::NoOxygen),
        },
    }
}

fn compare(limit: LimitValue, value: f64, lower_bound: bool) -> Outcome {
    let unknown = Outcome::NotJudged(NotJudgedReason::OverRangeWithinLimit);
    match limit {
        LimitValue::Max(max) if value > max => Outcome::Exceedance {
            ratio_to_limit: value / max,
            exceedance_multiple: value / max - 1.0,
            at_least: lower_bound,
        },
        LimitValue::Range { max, .. } if value > max => Outcome::OutsideRange {
            by: value - max,
            at_least: lower_bound,
        },
        // A bound from below says nothing about being under a minimum.
        _ if lower_bound => unknown,
        LimitValue::Range { min, .. } if value < min => Outcome::OutsideRange {
            by: min - value,
            at_least: false,
        },
        _ => Outcome::Pass,
    }
}

/// Up to two decimals, without trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn limit_text(limit: &PollutantLimit) -> String {
    let unit = limit.unit.display();
    let sep = if unit.is_empty() { "" } else { " " };
    match limit.value {
        LimitValue::Max(m) => format!("{}{sep}{unit}", num(m)),
        LimitValue::Range { min, max } => format!("{}–{}{sep}{unit}", num(min), num(max)),
    }
}

fn value_text(v: f64, p: EmissionPollutant) -> String {
    let unit = p.unit_display();
    if unit.is_empty() {
        num(v)
    } else {
        format!("{} {unit}", num(v))
    }
}

fn explain_en(v: &PollutantVerdict) -> String {
    let name = v.pollutant.name_en();
    let limit = format!(
        "{} limit {} ({})",
        v.limit.averaging.text_en(),
        limit_text(&v.limit),
        v.limit.source
    );
    let opt = |x: Option<f64>| x.map_or_else(|| "?".to_owned(), num);
    let basis = match v.basis {
        Some(ValueBasis::LoggerConverted) => {
            let computed = v
                .computed_converted
                .map(|c| format!("; {} when converted here", num(c)))
                .unwrap_or_default();
            format!(
                " (logger's converted value, reference O2 {} %; measured {} at {} % O2{computed})",
                opt(v.reference_o2_percent),
                opt(v.measured),
                opt(v.measured_o2_percent),
            )
        }
        Some(ValueBasis::ComputedConverted) => format!(
            " (converted to {} % O2 from {} measured at {} % O2)",
            opt(v.reference_o2_percent),
            opt(v.measured),
            opt(v.measured_o2_percent),
        ),
        Some(ValueBasis::Measured) | None => String::new(),
    };
    let outcome = match &v.outcome {
        Outcome::Pass => "within the limit".to_owned(),
        Outcome::Exceedance {
            ratio_to_limit,
            exceedance_multiple,
            at_least,
        } => format!(
            "exceeds the limit{}, {ratio_to_limit:.2} times the limit (超标倍数 {exceedance_multiple:.2})",
            if *at_least {
                " by at least this much (above the measuring range)"
            } else {
                ""
            },
        ),
        Outcome::OutsideRange { by, at_least } => format!(
            "outside the range by {}{}",
            if *at_least { "at least " } else { "" },
            num(*by)
        ),
        Outcome::NotJudged(reason) => format!("not judged: {}", reason.text_en()),
    };
    // Said only of a value that was judged: the note is about the number
    // the verdict rests on.
    let disagreement = match (
        v.converted_disagrees,
        v.implied_reference_o2_percent,
        v.basis,
    ) {
        (true, Some(i), Some(ValueBasis::LoggerConverted)) => format!(
            " The logger's converted value implies a reference O2 of {} %, not the registry's {} %.",
            num(i),
            opt(v.reference_o2_percent)
        ),
        _ => String::new(),
    };
    match v.value {
        Some(value) => format!(
            "{name} {}{basis}, {limit}: {outcome}.{disagreement}",
            value_text(value, v.pollutant)
        ),
        None => format!("{name}, {limit}: {outcome}.{disagreement}"),
    }
}

fn explain_zh(v: &PollutantVerdict) -> String {
    let name = v.pollutant.name_zh();
    let limit = format!(
        "{}限值 {}（{}）",
        v.limit.averaging.text_zh(),
        limit_text(&v.limit),
        v.limit.source
    );
    let opt = |x: Option<f64>| x.map_or_else(|| "?".to_owned(), num);
    let basis = match v.basis {
        Some(ValueBasis::LoggerConverted) => {
            let computed = v
                .computed_converted
                .map(|c| format!("，按公式折算为 {}", num(c)))
                .unwrap_or_default();
            format!(
                "（数采仪折算值，基准氧含量 {}%；实测 {}，氧含量 {}%{computed}）",
                opt(v.reference_o2_percent),
                opt(v.measured),
                opt(v.measured_o2_percent),
            )
        }
        Some(ValueBasis::ComputedConverted) => format!(
            "（由实测 {}、氧含量 {}% 折算至基准氧含量 {}%）",
            opt(v.measured),
            opt(v.measured_o2_percent),
            opt(v.reference_o2_percent),
        ),
        Some(ValueBasis::Measured) | None => String::new(),
    };
    let outcome = match &v.outcome {
        Outcome::Pass => "达标".to_owned(),
        Outcome::Exceedance {
            exceedance_multiple,
            at_least,
            ..
        } => {
            if *at_least {
                format!("超标（超测上限），超标倍数至少 {exceedance_multiple:.2}")
            } else {
                format!("超标，超标倍数 {exceedance_multiple:.2}")
            }
        }
        Outcome::OutsideRange { by, at_least } => format!(
            "超出限值范围{} {}",
            if *at_least { "至少" } else { "" },
            num(*by)
        ),
        Outcome::NotJudged(reason) => format!("不予判定：{}", reason.text_zh()),
    };
    let disagreement = match (
        v.converted_disagrees,
        v.implied_reference_o2_percent,
        v.basis,
    ) {
        (true, Some(i), Some(ValueBasis::LoggerConverted)) => format!(
            "数采仪折算值对应的基准氧含量约为 {}%，与登记的 {}% 不符。",
            num(i),
            opt(v.reference_o2_percent)
        ),
        _ => String::new(),
    };
    match v.value {
        Some(value) => format!(
            "{name} {}{basis}，{limit}：{outcome}。{disagreement}",
            value_text(value, v.pollutant)
        ),
        None => format!("{name}，{limit}：{outcome}。{disagreement}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emission::point::tests::sample;
    use EmissionPollutant::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn fv(avg: f64, zs: Option<f64>, flag: &str) -> FactorValues {
        FactorValues {
            avg: Some(avg),
            zs_avg: zs,
            flag: Some(DataFlag::parse(flag)),
        }
    }

    fn period(averaging: Averaging, factors: Vec<(EmissionPollutant, FactorValues)>) -> PeriodData {
        PeriodData {
            starts_at: "2024-03-15T02:00:00Z".parse().unwrap(),
            averaging,
            factors: factors.into_iter().collect(),
        }
    }

    /// Example E4 of `shared/reference/hj212/examples.txt` (ST 31, CN 2051,
    /// DataTime 20240315100000): means, converted means and flags as sent.
    /// E4 is 10-minute data; its numbers stand in for an hour here, since
    /// neither the conversion nor the comparison depends on the interval.
    fn e4(with_zs: bool) -> PeriodData {
        let zs = |v: f64| with_zs.then_some(v);
        period(
            Averaging::Hourly,
            vec![
                (FlueGasFlow, fv(119.2, None, "N")),
                (So2, fv(18.0, zs(21.4), "N")),
                (Nox, fv(36.5, zs(43.4), "N")),
                (Particulate, fv(3.0, zs(3.6), "N")),
                (Oxygen, fv(9.8, None, "N")),
                (FlueGasTemperature, fv(52.3, None, "N")),
                (FlueGasVelocity, fv(11.86, None, "N")),
            ],
        )
    }

    fn of(v: &PeriodVerdict, p: EmissionPollutant) -> &PollutantVerdict {
        v.pollutants.iter().find(|x| x.pollutant == p).unwrap()
    }

    #[test]
    fn e4_converted_values_imply_a_reference_o2_of_about_7_7_percent() {
        // ZsAvg = Avg × (21 − O2_ref) / (21 − 9.8) solved for O2_ref.
        let so2 = oxygen::implied_reference_o2(18.0, 21.4, 9.8).unwrap();
        let nox = oxygen::implied_reference_o2(36.5, 43.4, 9.8).unwrap();
        assert!(close(so2, 7.68, 0.01), "{so2}");
        assert!(close(nox, 7.68, 0.01), "{nox}");
        // At that O2 the formula gives back E4's ZsAvg to its rounding.
        for (avg, zs) in [(18.0, 21.4), (36.5, 43.4), (3.0, 3.6)] {
            let c = oxygen::to_reference_o2(avg, 9.8, 7.68).unwrap();
            assert!(close(c, zs, 0.05), "{avg} → {c}, E4 says {zs}");
        }
        // The commonly quoted reference O2 values do not reproduce E4.
        for reference in [3.5, 6.0, 9.0] {
            let c = oxygen::to_reference_o2(18.0, 9.8, reference).unwrap();
            assert!((c - 21.4).abs() > 1.0, "{reference} % gives {c}");
        }
    }

    #[test]
    fn e4_uses_the_loggers_converted_values_shows_both_and_notes_the_disagreement() {
        let r = sample();
        let v = judge_period(&r.points[0], &e4(true));
        let so2 = of(&v, So2);
        assert_eq!(so2.basis, Some(ValueBasis::LoggerConverted));
        assert_eq!(so2.value, Some(21.4));
        assert_eq!(so2.measured, Some(18.0));
        // 18.0 × (21 − 6) / (21 − 9.8) = 24.107…
        assert!(close(so2.computed_converted.unwrap(), 24.107, 0.001));
        assert_eq!(so2.outcome, Outcome::Pass);
        assert!(so2.converted_disagrees);
        assert!(close(so2.implied_reference_o2_percent.unwrap(), 7.68, 0.01));
        assert!(
            so2.explanation_en
                .contains("implies a reference O2 of 7.68 %")
        );
        assert!(so2.explanation_zh.contains("按公式折算为 24.11"));
        // NOx 43.4 against the sample's 40: exceedance, 超标倍数 0.085.
        let nox = of(&v, Nox);
        let Outcome::Exceedance {
            ratio_to_limit,
            exceedance_multiple,
            at_least,
        } = nox.outcome
        else {
            panic!("{:?}", nox.outcome);
        };
        assert!(close(ratio_to_limit, 1.085, 1e-9));
        assert!(close(exceedance_multiple, 0.085, 1e-9));
        assert!(!at_least);
        assert_eq!(of(&v, Particulate).outcome, Outcome::Pass);
        assert_eq!(v.status, PeriodStatus::Exceedance);
    }

    #[test]
    fn without_zs_avg_the_mean_is_converted_with_the_periods_o2() {
        let r = sample();
        let v = judge_period(&r.points[0], &e4(false));
        let so2 = of(&v, So2);
        assert_eq!(so2.basis, Some(ValueBasis::ComputedConverted));
        assert!(close(so2.value.unwrap(), 24.107, 0.001));
        assert!(!so2.converted_disagrees);
        assert_eq!(so2.implied_reference_o2_percent, None);
        // NOx 36.5 × 15 / 11.2 = 48.88 > 40.
        let nox = of(&v, Nox);
        assert!(close(nox.value.unwrap(), 48.884, 0.001));
        assert!(nox.outcome.is_exceedance());
        assert_eq!(
            nox.explanation_en,
            "NOx 48.88 mg/m³ (converted to 6 % O2 from 36.5 measured at 9.8 % O2), hourly \
             limit 40 mg/m³ (test permit): exceeds the limit, 1.22 times the limit (超标倍数 0.22)."
        );
        assert_eq!(
            nox.explanation_zh,
            "氮氧化物 48.88 mg/m³（由实测 36.5、氧含量 9.8% 折算至基准氧含量 6%），小时均值限值 \
             40 mg/m³（test permit）：超标，超标倍数 0.22。"
        );
    }

    #[test]
    fn maintenance_flagged_hour_is_not_judged_even_above_the_limit() {
        let r = sample();
        let mut data = e4(true);
        data.factors.insert(So2, fv(180.0, Some(214.0), "M"));
        let v = judge_period(&r.points[0], &data);
        let so2 = of(&v, So2);
        assert_eq!(
            so2.outcome,
            Outcome::NotJudged(NotJudgedReason::Flagged(DataFlag::Maintenance))
        );
        assert_eq!(so2.value, None);
        assert!(
            so2.explanation_en
                .ends_with("not judged: flagged M (data produced during maintenance).")
        );
        assert!(so2.explanation_zh.contains("不予判定：数据标记 M（维护）"));
    }

    #[test]
    fn calibrating_o2_leaves_every_converted_value_unjudged() {
        let r = sample();
        let mut data = e4(true);
        data.factors.insert(Oxygen, fv(9.8, None, "C"));
        let v = judge_period(&r.points[0], &data);
        for p in [So2, Nox, Particulate] {
            assert_eq!(
                of(&v, p).outcome,
                Outcome::NotJudged(NotJudgedReason::OxygenFlagged(DataFlag::Calibrating)),
                "{p}"
            );
        }
        assert_eq!(v.status, PeriodStatus::PartlyJudged);
    }

    #[test]
    fn o2_of_21_is_not_used_and_missing_o2_falls_back_to_zs_avg() {
        let r = sample();
        let mut data = e4(false);
        data.factors.insert(Oxygen, fv(21.0, None, "N"));
        let v = judge_period(&r.points[0], &data);
        assert_eq!(
            of(&v, So2).outcome,
            Outcome::NotJudged(NotJudgedReason::OxygenInvalid(OxygenError::MeasuredIsAir(
                21.0
            )))
        );
        let mut data = e4(true);
        data.factors.remove(&Oxygen);
        let v = judge_period(&r.points[0], &data);
        assert_eq!(of(&v, So2).basis, Some(ValueBasis::LoggerConverted));
        assert_eq!(of(&v, So2).measured_o2_percent, None);
        let mut data = e4(false);
        data.factors.remove(&Oxygen);
        let v = judge_period(&r.points[0], &data);
        assert_eq!(
            of(&v, So2).outcome,
            Outcome::NotJudged(NotJudgedReason::NoOxygen)
        );
    }

    #[test]
    fn over_range_value_above_the_limit_is_an_exceedance_of_at_least_its_size() {
        let r = sample();
        let mut data = e4(true);
        data.factors.insert(Particulate, fv(8.0, Some(10.0), "T"));
        data.factors.insert(So2, fv(18.0, Some(21.4), "T"));
        let v = judge_period(&r.points[0], &data);
        assert!(matches!(
            of(&v, Particulate).outcome,
            Outcome::Exceedance { at_least: true, .. }
        ));
        assert_eq!(
            of(&v, So2).outcome,
            Outcome::NotJudged(NotJudgedReason::OverRangeWithinLimit)
        );
    }

    /// Examples E5 and E6 (ST 32, CN 2031, DataTime 20240315000000): the
    /// daily means of a wastewater outfall, reassembled.
    fn e5_e6() -> PeriodData {
        period(
            Averaging::Daily,
            vec![
                (WastewaterFlow, fv(17.6, None, "N")),
                (Cod, fv(30.0, None, "N")),
                (AmmoniaN, fv(0.79, None, "N")),
                (Ph, fv(7.31, None, "N")),
            ],
        )
    }

    #[test]
    fn e5_e6_daily_wastewater_means_pass_the_sample_limits() {
        let r = sample();
        let v = judge_period(&r.points[1], &e5_e6());
        assert_eq!(v.status, PeriodStatus::Pass);
        let cod = of(&v, Cod);
        assert_eq!(cod.basis, Some(ValueBasis::Measured));
        assert_eq!(cod.reference_o2_percent, None);
        assert_eq!(
            cod.explanation_en,
            "COD 30 mg/L, daily limit 50 mg/L (test permit): within the limit."
        );
        assert_eq!(
            of(&v, Ph).explanation_zh,
            "pH值 7.31，日均值限值 6–9（test permit）：达标。"
        );
    }

    #[test]
    fn cod_at_one_and_a_half_times_its_limit_has_exceedance_multiple_0_5() {
        let r = sample();
        let mut data = e5_e6();
        data.factors.insert(Cod, fv(75.0, None, "N"));
        data.factors.insert(Ph, fv(5.5, None, "N"));
        let v = judge_period(&r.points[1], &data);
        assert_eq!(
            of(&v, Cod).outcome,
            Outcome::Exceedance {
                ratio_to_limit: 1.5,
                exceedance_multiple: 0.5,
                at_least: false
            }
        );
        assert_eq!(
            of(&v, Ph).outcome,
            Outcome::OutsideRange {
                by: 0.5,
                at_least: false
            }
        );
        // At the limit exactly: met.
        data.factors.insert(Cod, fv(50.0, None, "N"));
        let v = judge_period(&r.points[1], &data);
        assert_eq!(of(&v, Cod).outcome, Outcome::Pass);
    }

    #[test]
    fn hourly_data_are_not_held_to_daily_limits() {
        let r = sample();
        let mut data = e5_e6();
        data.averaging = Averaging::Hourly;
        let v = judge_period(&r.points[1], &data);
        assert_eq!(v.status, PeriodStatus::NoLimit);
        assert!(v.pollutants.is_empty());
    }

    #[test]
    fn a_limited_pollutant_missing_from_the_data_is_not_judged() {
        let r = sample();
        let mut data = e5_e6();
        data.factors.remove(&AmmoniaN);
        let v = judge_period(&r.points[1], &data);
        assert_eq!(
            of(&v, AmmoniaN).outcome,
            Outcome::NotJudged(NotJudgedReason::NoValue)
        );
        assert_eq!(v.status, PeriodStatus::PartlyJudged);
        assert_eq!(
            v.explanation_en,
            "Main wastewater outfall (E0002/DW001), daily data: 0 exceeding, 2 within limits, 1 not judged."
        );
    }
}
