//! The alert notice: what staff write ([`NoticeContent`]) and what the
//! public receives ([`PublicNotice`]).
//!
//! Severity follows the four colours of China's heavy-pollution weather
//! warnings (重污染天气预警: 蓝色, 黄色, 橙色, 红色). CAP 1.2 has its own
//! four-step severity; [`Severity::cap`] maps one onto the other, in order,
//! and docs/alerts.md states the mapping.
//!
//! # Layout
//!
//! - `severity`: the warning colours and CAP's urgency and certainty;
//! - `lang`: the two languages and a text written in both;
//! - `content`: what staff write, the checks it must pass, and its hash;
//! - `public`: the published versions, their status and links.

mod content;
mod lang;
mod public;
mod severity;
#[cfg(test)]
pub(crate) mod tests;

pub use content::{Area, ContentError, NoticeContent, content_hash};
pub use lang::{Bilingual, Lang};
pub use public::{NoticeStatus, PublicNotice, UnsafeLink};
pub use severity::{Certainty, Severity, Urgency};
