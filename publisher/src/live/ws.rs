//! The WebSocket endpoint `/api/v1/live`.
//!
//! A client gets a snapshot (or, resuming, what it missed), then updates
//! and notices; it may subscribe and unsubscribe with JSON messages. The
//! session does the queueing; this module carries it over WebSocket: text
//! frames out, subscription messages and pongs in, pings, the idle timeout
//! and the close codes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;

use super::admission::{Refused, Ticket};
use super::filter::{Filter, Selection};
use super::queue::Outgoing;
use super::request::{LiveQuery, Opening};
use super::session::{End, Limits, Outlet, Session};
use crate::AbortOnDrop;
use crate::http::{ApiError, AppState};

/// Bytes tungstenite reads from the socket at a time. Its default (128 KiB,
/// zero-filled up front) would be most of an idle client's memory; clients
/// send only small subscription messages.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Bytes of frames tungstenite gathers before writing to the socket
/// unasked; above the session's batch so a batch leaves in one write, at
/// its flush.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// How long the close frame may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Upgrades to a live WebSocket, or answers 503 (full), 429 (this address
/// holds its share) or 400 (a bad query parameter).
pub(crate) async fn live(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let opening = match query
        .map_err(|e| ApiError::BadRequest(e.body_text()))
        .and_then(|Query(q)| q.opening(None))
    {
        Ok(opening) => opening,
        Err(error) => return error.into_response(),
    };
    let ticket = match app.admission.admit(peer.ip()) {
        Ok(ticket) => ticket,
        Err(refused) => return refusal(refused).into_response(),
    };
    let max_message = app.settings.max_client_message_bytes;
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| serve(socket, app, opening, ticket))
}

/// The answer to a refused live connection.
pub(crate) fn refusal(refused: Refused) -> ApiError {
    crate::metrics::LIVE_DROPPED.inc(&[match refused {
        Refused::Full => "full",
        Refused::PerAddress => "per_address",
    }]);
    match refused {
        Refused::Full => ApiError::Unavailable("too many live clients; retry shortly"),
        Refused::PerAddress => ApiError::TooManyRequests {
            message: "too many live connections from this address".into(),
            retry_after: 10,
        },
    }
}

async fn serve(socket: WebSocket, app: AppState, opening: Opening, _ticket: Ticket) {
    let _counted = crate::metrics::LiveClient::connected();
    let settings = &app.settings;
    let limits = Limits {
        write_timeout: settings.write_timeout,
        max_lag: settings.live_max_lag,
        ping_interval: settings.ping_interval,
    };
    let resume = opening.resume.as_ref().map(|p| (p.epoch.as_str(), p.seq));
    let (session, events) = Session::join(&app.live, opening.filter, resume, limits);
    let session = Arc::new(session);
    let (sender, receiver) = socket.split();
    let mut outlet = WsOutlet(sender);
    let mut reader = Reader {
        subscribed: opening.subscribed,
        idle_timeout: settings.idle_timeout,
    };
    // The reader has a task of its own: every branch of a `select!` is
    // polled at each wake-up, and the stream of events would otherwise make
    // tungstenite prepare a socket read for every batch.
    let mut reading = tokio::spawn({
        let (session, app) = (Arc::clone(&session), app.clone());
        async move { reader.run(receiver, &session, &app).await }
    });
    let _stop_reading = AbortOnDrop(reading.abort_handle());
    // Taking in every waiting event before writing lets one write carry
    // them all.
    let end = tokio::select! {
        biased;
        end = session.fan_in(&app.live, events) => end.into(),
        end = session.write(&mut outlet) => end.into(),
        end = &mut reading => end.unwrap_or(Closing::ClientClosed),
        () = app.shutdown.cancelled() => Closing::Shutdown,
    };
    reading.abort();
    let close = match end {
        Closing::Session(End::Gone) | Closing::ClientClosed => None,
        Closing::Session(End::TooSlow) => {
            crate::metrics::LIVE_DROPPED.inc(&["slow"]);
            Some((close_code::POLICY, "client too slow"))
        }
        Closing::Session(End::Shutdown) | Closing::Shutdown => {
            Some((close_code::AWAY, "server shutting down"))
        }
        Closing::Idle => Some((close_code::AWAY, "idle timeout")),
        Closing::TooBig => Some((close_code::SIZE, "message too big")),
    };
    if let Some((code, reason)) = close {
        tracing::debug!(code, reason, "Closing live client.");
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ =
            tokio::time::timeout(CLOSE_TIMEOUT, outlet.0.send(Message::Close(Some(frame)))).await;
    }
}

/// How a WebSocket session ends.
#[derive(Debug)]
enum Closing {
    Session(End),
    ClientClosed,
    Idle,
    TooBig,
    Shutdown,
}

impl From<End> for Closing {
    fn from(end: End) -> Self {
        Self::Session(end)
    }
}

struct WsOutlet(SplitSink<WebSocket, Message>);

impl Outlet for WsOutlet {
    async fn send(&mut self, batch: &[Outgoing]) -> Result<(), ()> {
        for message in batch {
            let text = match message {
                Outgoing::Reply(text) => text.clone(),
                Outgoing::Snapshot(snapshot) => snapshot.text.clone(),
                Outgoing::Event(event, form) => event.text(*form).clone(),
            };
            self.0.feed(Message::Text(text)).await.map_err(|_| ())?;
        }
        self.0.flush().await.map_err(|_| ())
    }

    async fn ping(&mut self) -> Result<(), ()> {
        self.0
            .send(Message::Ping(axum::body::Bytes::new()))
            .await
            .map_err(|_| ())
    }
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Subscribe(Selection),
    Unsubscribe(Selection),
}

/// The client's half: subscription changes, pongs, the idle timeout.
struct Reader {
    /// Whether the client narrowed what it follows; before that it follows
    /// everything, and its first subscription replaces that.
    subscribed: bool,
    idle_timeout: Duration,
}

impl Reader {
    async fn run(
        &mut self,
        mut receiver: SplitStream<WebSocket>,
        session: &Session,
        app: &AppState,
    ) -> Closing {
        loop {
            let Ok(incoming) = tokio::time::timeout(self.idle_timeout, receiver.next()).await
            else {
                return Closing::Idle;
            };
            match incoming {
                None | Some(Ok(Message::Close(_))) => return Closing::ClientClosed,
                // tungstenite refuses a message over the size limit with a
                // capacity error ("Message too long"); anything else is the
                // connection failing.
                Some(Err(error)) if error.to_string().contains("too long") => {
                    return Closing::TooBig;
                }
                Some(Err(_)) => return Closing::ClientClosed,
                Some(Ok(Message::Text(text))) => self.handle(text.as_str(), session, app),
                Some(Ok(_)) => {}
            }
        }
    }

    fn handle(&mut self, text: &str, session: &Session, app: &AppState) {
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                session.reply(error_reply(&format!(
                    "not a subscribe or unsubscribe message: {error}"
                )));
                return;
            }
        };
        let (subscribe, selection) = match message {
            ClientMessage::Subscribe(selection) => (true, selection),
            ClientMessage::Unsubscribe(selection) => (false, selection),
        };
        let parsed = match selection.parse() {
            Ok(parsed) => parsed,
            Err(error) => {
                session.reply(error_reply(&error.to_string()));
                return;
            }
        };
        let first = !self.subscribed;
        self.subscribed = true;
        session.refilter(&app.live, |filter| {
            if first {
                *filter = if subscribe {
                    Filter::nothing()
                } else {
                    Filter::default()
                };
            }
            if subscribe {
                filter.subscribe(parsed);
            } else {
                filter.unsubscribe(&parsed);
            }
        });
    }
}

/// `{"type":"error","message":…}`: not part of the numbered stream.
fn error_reply(message: &str) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::json!({ "type": "error", "message": message }).to_string())
}
