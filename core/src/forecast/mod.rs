//! Air-quality forecasts (空气质量预报): what staff write, the checks it must
//! pass, the signed public document, and how a past forecast is scored
//! against the daily AQI that was observed.
//!
//! A forecast is a document of its own, not a notice, but it travels the same
//! path: drafted by one staff member, approved by another who names the
//! content hash they reviewed, signed with Ed25519 over its RFC 8785 canonical
//! form (the same [`crate::alert::signing`] and [`crate::alert::canonical`]),
//! announced on the broker and verified by every relay and browser. Storage,
//! HTTP and MQTT live in the publisher; this module has no IO and no clock.
//!
//! # Layout
//!
//! - `content`: what staff write ([`ForecastContent`]) and its checks.
//! - `public`: the published document ([`PublicForecast`]), its levels
//!   derived from each range under HJ 633, its status and signature.
//! - `score`: a past forecast day against what happened ([`DayScore`]) and
//!   the summary of many ([`ScoreSummary`]).
//! - `atom`: the Atom feed of forecasts.

pub mod atom;
mod content;
mod public;
mod score;
mod summary;
#[cfg(test)]
mod tests;

pub use content::{
    DayPart, ForecastContent, ForecastDay, ForecastError, MAX_DAYS_AHEAD, PRIMARY_POLLUTANTS,
};
pub use public::{ForecastStatus, PublicForecast, PublicForecastDay, levels_for_range};
pub use score::{DayScore, ScoreSummary, score_day};
pub use summary::summary;
