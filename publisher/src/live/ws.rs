//! The WebSocket endpoint `/api/v1/live`.
//!
//! A client gets a snapshot (or, resuming, what it missed), then updates
//! and notices; it may subscribe and unsubscribe with JSON messages. The
//! session does the queueing; this module carries it over WebSocket: text
//! frames out, subscription messages and pongs in, pings, the idle timeout
//! and the close codes.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::{Message, Role, WebSocketConfig};

use super::LiveState;
use super::admission::{Refused, Ticket};
use super::event::join;
use super::filter::{Filter, Selection};
use super::frame;
use super::queue::Outgoing;
use super::request::{LiveQuery, Opening};
use super::session::{End, Limits, Outlet, Session};
use super::upgrade::{Connection, Handshake};
use crate::AbortOnDrop;
use crate::client_address::client_address;
use crate::error::ApiError;

/// Bytes tungstenite reads from the socket at a time. Its default (128 KiB,
/// zero-filled up front) would be most of an idle client's memory; clients
/// send only small subscription messages.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// How long the close frame may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a client whose address holds its share of live connections is
/// told to wait: long enough for one of its others to have ended.
const PER_ADDRESS_RETRY: Duration = Duration::from_secs(10);

/// Close codes (RFC 6455 §7.4.1).
const NORMAL: u16 = 1000;
const AWAY: u16 = 1001;
const POLICY: u16 = 1008;
const SIZE: u16 = 1009;

/// Upgrades to a live WebSocket, or answers 503 (full), 429 (this address
/// holds its share) or 400 (a bad query parameter).
#[utoipa::path(
    get,
    path = "/api/v1/live",
    operation_id = "liveWebSocket",
    summary = "The live stream over WebSocket (see docs/live.md): snapshot, update, notice messages with seq and epoch; subscribe and unsubscribe messages.",
    tags = ["live"],
    params(
        ("kind" = Option<String>, Query, description = "Comma-separated station kinds: air, river, source.", example = "air,river"),
        ("district" = Option<String>, Query, description = "Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).", example = "putuo"),
        ("station" = Option<String>, Query, description = "Comma-separated station codes.", example = "1141A"),
        ("resume" = Option<String>, Query, description = "EPOCH:SEQ of the last message received, to resume.", example = "abc123:42"),
    ),
    responses(
        (status = 101, description = "Switching to WebSocket."),
        (status = 400, response = crate::http::ErrorResponse),
        (status = 429, response = crate::http::RateLimited),
        (status = 503, response = crate::http::ErrorResponse),
    ),
)]
pub(crate) async fn live(
    State(app): State<LiveState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
    mut request: Request,
) -> Response {
    let opening = match query
        .map_err(|e| ApiError::BadRequest(e.body_text()))
        .and_then(|Query(q)| q.opening(None))
    {
        Ok(opening) => opening,
        Err(error) => return error.into_response(),
    };
    let handshake = match Handshake::read(&mut request) {
        Ok(handshake) => handshake,
        Err(error) => return error.into_response(),
    };
    let client = client_address(peer.ip(), request.headers(), &app.settings.trusted_proxies);
    let ticket = match app.admission.admit(client) {
        Ok(ticket) => ticket,
        Err(refused) => return refusal(refused).into_response(),
    };
    handshake.accept(move |connection| serve(connection, app, opening, ticket))
}

/// The answer to a refused live connection.
pub(crate) fn refusal(refused: Refused) -> ApiError {
    crate::metrics::LIVE_DROPPED.inc(&[match refused {
        Refused::Full => "full",
        Refused::PerAddress => "per_address",
    }]);
    match refused {
        Refused::Full => ApiError::Unavailable("too many live clients; retry shortly"),
        Refused::PerAddress => ApiError::rate_limited(
            "too many live connections from this address",
            PER_ADDRESS_RETRY,
        ),
    }
}

async fn serve(connection: Connection, app: LiveState, opening: Opening, _ticket: Ticket) {
    let _counted = crate::metrics::LiveClient::connected();
    let settings = &app.settings;
    let limits = Limits {
        write_timeout: settings.write_timeout,
        max_lag: settings.live_max_lag,
        ping_interval: settings.ping_interval,
    };
    let max_message = settings.max_client_message_bytes;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    let (read, write) = tokio::io::split(connection);
    let receiver =
        WebSocketStream::from_raw_socket(ReadOnly(read), Role::Server, Some(config)).await;
    let resume = opening.resume.as_ref().map(|p| (p.epoch.as_str(), p.seq));
    let (session, events) = Session::join(&app.live, opening.filter, resume, limits);
    let session = Arc::new(session);
    let mut outlet = WsOutlet(write);
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
        end = &mut reading => end.unwrap_or(Closing::Session(End::Gone)),
        () = app.shutdown.cancelled() => Closing::Shutdown,
    };
    reading.abort();
    let close = match end {
        Closing::Session(End::Gone) => None,
        Closing::ClientClosed => Some((NORMAL, "")),
        Closing::Session(End::TooSlow) => {
            crate::metrics::LIVE_DROPPED.inc(&["slow"]);
            Some((POLICY, "client too slow"))
        }
        Closing::Session(End::Shutdown) | Closing::Shutdown => Some((AWAY, "server shutting down")),
        Closing::Idle => Some((AWAY, "idle timeout")),
        Closing::TooBig => Some((SIZE, "message too big")),
    };
    if let Some((code, reason)) = close {
        tracing::debug!(code, reason, "Closing live client.");
        let frame = frame::close(code, reason);
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            outlet.0.write_all(&frame).await?;
            outlet.0.shutdown().await
        })
        .await;
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

/// The writing half of the connection.
struct WsOutlet(WriteHalf<Connection>);

impl Outlet for WsOutlet {
    async fn send(&mut self, batch: &[Outgoing]) -> Result<(), ()> {
        let frames = batch.iter().map(|message| match message {
            Outgoing::Pong(frame) => frame.clone(),
            Outgoing::Reply(text) => frame::text(text.as_str()),
            Outgoing::Snapshot(snapshot) => snapshot.frame.clone(),
            Outgoing::Batch(batch) => batch.joined().clone(),
            Outgoing::Event(event, form) => event.frame(*form).clone(),
        });
        // One write per batch: the frames, joined.
        self.0.write_all(&join(frames)).await.map_err(|_| ())
    }

    async fn ping(&mut self) -> Result<(), ()> {
        self.0.write_all(&frame::ping()).await.map_err(|_| ())
    }
}

/// The reading half as tungstenite's whole connection: it reads the
/// client's frames from it, and what it writes (its own answers to pings
/// and closes) goes nowhere, as the session writes those.
struct ReadOnly(ReadHalf<Connection>);

impl AsyncRead for ReadOnly {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ReadOnly {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
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
        mut receiver: WebSocketStream<ReadOnly>,
        session: &Session,
        app: &LiveState,
    ) -> Closing {
        loop {
            let Ok(incoming) = tokio::time::timeout(self.idle_timeout, receiver.next()).await
            else {
                return Closing::Idle;
            };
            match incoming {
                Some(Ok(Message::Close(_))) => return Closing::ClientClosed,
                Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                    return Closing::TooBig;
                }
                None | Some(Err(_)) => return Closing::Session(End::Gone),
                Some(Ok(Message::Text(text))) => self.handle(text.as_str(), session, app),
                Some(Ok(Message::Ping(payload))) => session.pong(frame::pong(&payload)),
                Some(Ok(_)) => {}
            }
        }
    }

    fn handle(&mut self, text: &str, session: &Session, app: &LiveState) {
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
