//! Live fan-out: the current state of every station, fed from the live
//! topics, and the WebSocket clients it is pushed to.

mod feed;
mod state;
pub(crate) mod ws;

pub(crate) use feed::LiveFeed;
pub(crate) use state::LiveState;
