//! Server-Sent Events at `/api/v1/live/sse`: the same messages as the
//! WebSocket, for networks and clients that cannot use one.
//!
//! Each message is one event whose `id` is `epoch:seq`, so an EventSource
//! that reconnects sends `Last-Event-ID` and resumes like a WebSocket client
//! with `?resume=`. What to follow is chosen in the query (`kind`, `station`,
//! `district`); there is no client-to-server channel.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use super::LiveState;
use super::event::{Form, join};
use super::queue::Outgoing;
use super::request::LiveQuery;
use super::session::{End, Limits, Outlet, Session};
use super::ws::refusal;
use crate::client_address::client_address;
use crate::error::ApiError;

/// Chunks handed to the HTTP connection ahead of the socket: one in
/// flight and one ready keeps the socket busy; the session's own queue
/// (which coalesces) holds the rest.
const BODY_CHUNKS: usize = 2;

/// Tells EventSource how long to wait before reconnecting, in ms.
const RETRY: &[u8] = b"retry: 2000\n\n";

/// Opens an event stream, or answers 503, 429 or 400 as the WebSocket does.
#[utoipa::path(
    get,
    path = "/api/v1/live/sse",
    operation_id = "liveEvents",
    summary = "The live stream as Server-Sent Events; each event's id is EPOCH:SEQ.",
    tags = ["live"],
    params(
        ("kind" = Option<String>, Query, description = "Comma-separated station kinds: air, river, source.", example = "air,river"),
        ("district" = Option<String>, Query, description = "Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).", example = "putuo"),
        ("station" = Option<String>, Query, description = "Comma-separated station codes.", example = "1141A"),
        ("last_event_id" = Option<String>, Query, description = "EPOCH:SEQ, for clients that cannot send Last-Event-ID.", example = "abc123:42"),
        ("Last-Event-ID" = Option<String>, Header, description = "EPOCH:SEQ of the last event received, to resume."),
    ),
    responses(
        (status = 200, description = "The event stream.", body = String, content_type = "text/event-stream"),
        (status = 400, response = crate::http::ErrorResponse),
        (status = 429, response = crate::http::RateLimited),
        (status = 503, response = crate::http::ErrorResponse),
    ),
)]
pub(crate) async fn sse(
    State(app): State<LiveState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let last_event_id = match headers.get("last-event-id").map(HeaderValue::to_str) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return ApiError::BadRequest("header `Last-Event-ID` must be EPOCH:SEQ".into())
                .into_response();
        }
    };
    let opening = match query
        .map_err(|e| ApiError::BadRequest(e.body_text()))
        .and_then(|Query(q)| q.opening(last_event_id))
    {
        Ok(opening) => opening,
        Err(error) => return error.into_response(),
    };
    let client = client_address(peer.ip(), &headers, &app.settings.trusted_proxies);
    let ticket = match app.admission.admit(client) {
        Ok(ticket) => ticket,
        Err(refused) => return refusal(refused).into_response(),
    };
    let limits = Limits {
        write_timeout: app.settings.write_timeout,
        max_lag: app.settings.live_max_lag,
        ping_interval: app.settings.ping_interval,
    };
    let (chunks, body) = mpsc::channel::<Bytes>(BODY_CHUNKS);
    tokio::spawn(async move {
        let _ticket = ticket;
        let _counted = crate::metrics::LiveClient::connected();
        let resume = opening.resume.as_ref().map(|p| (p.epoch.as_str(), p.seq));
        let (session, events) = Session::join(&app.live, opening.filter, resume, limits);
        let mut outlet = SseOutlet(chunks);
        if outlet.0.send(Bytes::from_static(RETRY)).await.is_err() {
            return;
        }
        let end = tokio::select! {
            biased;
            end = session.fan_in(&app.live, events) => end,
            end = session.write(&mut outlet) => end,
            () = app.shutdown.cancelled() => End::Shutdown,
        };
        if matches!(end, End::TooSlow) {
            crate::metrics::LIVE_DROPPED.inc(&["slow"]);
        }
        tracing::debug!(?end, "Live event stream ended.");
    });
    let stream = futures_util::stream::unfold(body, |mut body| async move {
        body.recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(chunk), body))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // Proxies that buffer responses would hold events back.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

struct SseOutlet(mpsc::Sender<Bytes>);

impl Outlet for SseOutlet {
    async fn send(&mut self, batch: &[Outgoing]) -> Result<(), ()> {
        let chunks = batch.iter().map(|message| match message {
            Outgoing::Pong(_) => Bytes::new(),
            Outgoing::Reply(text) => Bytes::from(format!("data: {}\n\n", text.as_str())),
            Outgoing::Snapshot(snapshot) => snapshot.sse(),
            Outgoing::Batch(batch) => join(batch.events.iter().map(|e| e.sse(Form::Usual))),
            Outgoing::Event(event, form) => event.sse(*form),
        });
        // One chunk per batch: the body writes each chunk on its own.
        self.0.send(join(chunks)).await.map_err(|_| ())
    }

    async fn ping(&mut self) -> Result<(), ()> {
        self.0
            .send(Bytes::from_static(b": keep-alive\n\n"))
            .await
            .map_err(|_| ())
    }
}
