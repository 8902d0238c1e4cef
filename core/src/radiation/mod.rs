//! Ambient radiation: the gamma dose rate (空气吸收剂量率, nGy/h) of automatic
//! stations judged against each station's natural background.
//!
//! Pure functions, no IO, like [`crate::aqi`] and [`crate::water`].
//!
//! - [`background`]: a station's natural background range: configured in the
//!   registry (as the national network publishes each station's range), or
//!   learned from its own dry hours.
//! - [`verdict`]: one hour's mean against the background and the
//!   investigation level, with the reason in both languages.
//!
//! # Decisions
//!
//! No standard in the project's reference material sets how a dose-rate
//! hour or day is valid; envmon applies the rules it applies to every
//! hourly and daily mean (GB 3095-2026 Table 4): an hour's values must
//! cover at least 45 minutes of it, and a day needs 20 valid hours.
//! Rain washes radon progeny out of the air and raises the dose rate by
//! up to a few tens of nGy/h for hours; an hour with rain above the
//! background is reported as such, and rainy hours are left out when the
//! background is learned.

pub mod background;
pub mod verdict;

pub use background::{Background, BackgroundSource, LEARNING_HOURS, learn_background};
pub use verdict::{DoseState, HourVerdict, judge_hour};

/// Minutes of an hour a valid hourly mean's values must cover.
pub const VALID_HOUR_MINUTES: u32 = 45;

/// Valid hours a valid daily mean needs.
pub const VALID_DAY_HOURS: u32 = 20;
