//! Alarms (报警): internal warnings for staff, raised and cleared by rules
//! from the configuration, never shown to the public.
//!
//! - [`rules`]: the rule settings and the pure raise/clear decision with
//!   hysteresis (raise at `raise_at`, clear only below `clear_below`).
//! - `measure`: what each kind of rule looks at, read from the committed
//!   state (latest readings, hourly AQI, water assessments, flags).
//! - `worker`: evaluates every rule on its own connection every
//!   `interval`, after the rollup has computed the indices, and keeps the
//!   measurements that raised, worsened or cleared each alarm as evidence.

mod measure;
pub mod rules;
mod worker;

pub use rules::{AlarmRule, AlarmSettings, RuleKind};
pub(crate) use worker::AlarmWorker;
