//! Key pollution sources: enterprises' emission points (排放口) judged
//! against their limits, from the data their HJ 212-2017 loggers send.
//!
//! Pure functions, no IO: the caller brings the emission registry (TOML) and
//! one period's values of one point as decoded from HJ 212 (`-Avg`,
//! `-ZsAvg`, `-Flag`), and gets back verdicts with their reasons in English
//! and Chinese, and the data completeness of a day.
//!
//! # Layout
//!
//! - [`pollutant`]: the flue-gas (ST 31) and wastewater (ST 32) factors,
//!   their HJ 212 codes and default units.
//! - [`point`]: the registry of enterprises and points, with each limit's
//!   citation, checked on load.
//! - [`oxygen`]: conversion to the reference O2 (折算).
//! - [`flags`]: HJ 212 data flags, and which leave a value fit to judge.
//! - [`verdict`]: one hour or day of one point against its limits.
//! - [`completeness`]: which hours of a day brought valid data.
//!
//! # Sources and decisions
//!
//! Codes, units, data flags and the 2051/2061/2031 data of HJ 212-2017 are
//! read from `shared/reference/hj212/` (README and `codes.csv`); see
//! `emission/reference/README.md` for every source and what it was used
//! for. No emission limit or reference O2 is set in code: both come from
//! the registry file, each with its citation string, because they depend on
//! the industry, the age of the plant and its permit.

pub mod completeness;
pub mod flags;
pub mod oxygen;
pub mod point;
pub mod pollutant;
pub mod verdict;

pub use completeness::{
    DAILY_MEAN_MIN_VALID_HOURS, DayCompleteness, FlaggedHour, PollutantCompleteness,
    day_completeness,
};
pub use flags::{DataFlag, FlagUse};
pub use oxygen::{OxygenError, to_reference_o2};
pub use point::{
    Averaging, EmissionPoint, EmissionRegistry, EmissionRegistryError, Enterprise, LimitUnit,
    LimitValue, PointKind, PointProblem, PollutantLimit, ReferenceO2, parse_emission_registry,
};
pub use pollutant::{EmissionPollutant, FactorRole, UnknownFactorCode};
pub use verdict::{
    FactorValues, NotJudgedReason, Outcome, PeriodData, PeriodStatus, PeriodVerdict,
    PollutantVerdict, ValueBasis, judge_period,
};
