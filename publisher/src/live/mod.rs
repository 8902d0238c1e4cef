//! Live fan-out: every station's current state and the active alert
//! notices, fed from the live topics, numbered into one stream and pushed to
//! WebSocket and SSE clients.
//!
//! Flow: `feed` (MQTT) -> `hub` (state, numbering, replay ring, one
//! serialisation per event) -> per client a `session` (`filter`, coalescing
//! `queue`) -> `ws` or `sse`. `admission` caps connections; `request` reads
//! what a connection asks for; `notice` verifies alert notices; `frame` makes
//! the WebSocket frames the server writes.

mod admission;
mod event;
mod feed;
mod filter;
mod frame;
mod hub;
mod notice;
mod queue;
mod request;
mod session;
pub(crate) mod sse;
mod upgrade;
pub(crate) mod ws;

pub(crate) use admission::Admission;
pub(crate) use feed::{LiveFeed, NoticeTrust, reload_notices};
pub(crate) use filter::District;
pub(crate) use hub::Hub;
