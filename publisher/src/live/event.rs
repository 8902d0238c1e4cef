//! A live event: one station's new state, one area's AQI or one alert notice, numbered and
//! serialised once, then shared by every client that receives it.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use envmon_core::StationCode;

use super::filter::Scope;
use super::frame;

/// What an event is about: a client's queue keeps only the newest event
/// per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum EventKey {
    Station(StationCode),
    Notice(String),
    Area(String),
    Forecast(String),
}

/// One numbered event of this server's stream.
///
/// A station update usually leaves out the blocks that did not change since
/// the station's previous update (the hourly AQI report is most of a state
/// and changes once an hour). A client that did not get that previous
/// update (it was coalesced away, or this is a replay) needs the whole
/// state instead: both forms are made once, here.
#[derive(Debug)]
pub(crate) struct Event {
    /// Its place in the stream of this epoch; increases by one per event.
    pub(crate) seq: u64,
    pub(crate) key: EventKey,
    pub(crate) scope: Scope,
    /// The JSON message, `seq` and `epoch` included.
    pub(crate) text: Utf8Bytes,
    /// The message with the whole state, when `text` leaves blocks out.
    whole: Option<Utf8Bytes>,
    /// The two as WebSocket frames, the same bytes for every client.
    frame: Bytes,
    frame_whole: Option<Bytes>,
    /// The two as Server-Sent Events, made on first use.
    sse: OnceLock<Bytes>,
    sse_whole: OnceLock<Bytes>,
    /// The epoch, for the SSE id.
    epoch: Arc<str>,
}

/// Which form of an event a client needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// Unchanged blocks left out: the client has the previous update.
    Usual,
    /// The whole state.
    Whole,
}

impl Event {
    pub(crate) fn new(
        seq: u64,
        key: EventKey,
        scope: Scope,
        text: Utf8Bytes,
        epoch: Arc<str>,
    ) -> Self {
        Self {
            seq,
            key,
            scope,
            frame: frame::text(text.as_str()),
            frame_whole: None,
            text,
            whole: None,
            sse: OnceLock::new(),
            sse_whole: OnceLock::new(),
            epoch,
        }
    }

    /// Gives the event its whole-state form, when `text` leaves blocks out.
    pub(crate) fn with_whole(mut self, whole: Utf8Bytes) -> Self {
        self.frame_whole = Some(frame::text(whole.as_str()));
        self.whole = Some(whole);
        self
    }

    /// The WebSocket frame in `form`.
    pub(crate) fn frame(&self, form: Form) -> &Bytes {
        match (form, &self.frame_whole) {
            (Form::Whole, Some(whole)) => whole,
            _ => &self.frame,
        }
    }

    /// The JSON message in `form`.
    pub(crate) fn text(&self, form: Form) -> &Utf8Bytes {
        match (form, &self.whole) {
            (Form::Whole, Some(whole)) => whole,
            _ => &self.text,
        }
    }

    /// The Server-Sent Event in `form`, built once for all SSE clients.
    pub(crate) fn sse(&self, form: Form) -> Bytes {
        let cell = match (form, &self.whole) {
            (Form::Whole, Some(_)) => &self.sse_whole,
            _ => &self.sse,
        };
        cell.get_or_init(|| sse_event(&self.epoch, self.seq, self.text(form).as_str()))
            .clone()
    }
}

/// Events broadcast together, in increasing `seq`.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) events: Vec<Arc<Event>>,
    /// The usual frames of all the events, joined: what every client that
    /// follows all of them and has nothing pending is sent, made once.
    joined: OnceLock<Bytes>,
}

impl Batch {
    pub(crate) fn new(events: Vec<Arc<Event>>) -> Self {
        Self {
            events,
            joined: OnceLock::new(),
        }
    }

    /// The frames of every event, in their usual form, as one buffer.
    pub(crate) fn joined(&self) -> &Bytes {
        self.joined
            .get_or_init(|| join(self.events.iter().map(|e| e.frame(Form::Usual).clone())))
    }
}

/// `parts` one after another in one buffer; a single part as it is.
pub(crate) fn join(parts: impl IntoIterator<Item = Bytes>) -> Bytes {
    let parts: Vec<Bytes> = parts.into_iter().collect();
    if let [single] = parts.as_slice() {
        return single.clone();
    }
    let mut joined = Vec::with_capacity(parts.iter().map(Bytes::len).sum());
    parts.iter().for_each(|part| joined.extend_from_slice(part));
    Bytes::from(joined)
}

/// A snapshot prepared for one filter: the JSON message and the sequence
/// number it is current through.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotFrame {
    pub(crate) seq: u64,
    pub(crate) text: Utf8Bytes,
    /// The message as a WebSocket frame.
    pub(crate) frame: Bytes,
    pub(crate) epoch: Arc<str>,
}

impl SnapshotFrame {
    pub(crate) fn new(seq: u64, text: Utf8Bytes, epoch: Arc<str>) -> Self {
        Self {
            seq,
            frame: frame::text(text.as_str()),
            text,
            epoch,
        }
    }

    /// The snapshot as a Server-Sent Event.
    pub(crate) fn sse(&self) -> Bytes {
        sse_event(&self.epoch, self.seq, self.text.as_str())
    }
}

/// `id: {epoch}:{seq}` then the JSON on one `data:` line: serde_json never
/// writes a raw newline, so one line always holds it.
pub(crate) fn sse_event(epoch: &str, seq: u64, json: &str) -> Bytes {
    Bytes::from(format!("id: {epoch}:{seq}\ndata: {json}\n\n"))
}
