//! The WebSocket endpoint `/api/v1/live`.
//!
//! A client gets a snapshot of every station's state on connect, then one
//! update per committed change. A client that falls behind the broadcast is
//! sent a fresh snapshot rather than the backlog, so it always converges on
//! the current state with bounded memory; one that cannot take a frame
//! within the write timeout is disconnected.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, broadcast};

use super::state::encode;
use crate::http::{ApiError, AppState};

/// Largest frame a client may send; clients only send control frames now.
const MAX_CLIENT_FRAME_BYTES: usize = 4 * 1024;

/// Upgrades to a live WebSocket, or answers 503 when full.
pub(crate) async fn live(State(app): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    let Ok(permit) = Arc::clone(&app.live_clients).try_acquire_owned() else {
        return ApiError::Unavailable("too many live clients; retry shortly").into_response();
    };
    let write_timeout = app.settings.write_timeout;
    let shutdown = app.shutdown.clone();
    upgrade
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, app, permit, write_timeout, shutdown))
}

async fn serve(
    socket: WebSocket,
    app: AppState,
    _permit: OwnedSemaphorePermit,
    write_timeout: Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let (mut sender, mut receiver) = socket.split();
    // Subscribe before taking the snapshot: an update racing the snapshot is
    // then delivered after it, and merging makes the repeat harmless.
    let mut frames = app.live.subscribe();
    let Some(snapshot) = encode(&app.live.snapshot()) else {
        return;
    };
    if !matches!(send(&mut sender, snapshot, write_timeout).await, Ok(Ok(()))) {
        return;
    }
    let close = loop {
        let frame = tokio::select! {
            frame = frames.recv() => frame,
            incoming = receiver.next() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            () = shutdown.cancelled() => break Some((close_code::AWAY, "server shutting down")),
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(broadcast::error::RecvError::Lagged(_)) => match encode(&app.live.snapshot()) {
                Some(snapshot) => snapshot,
                None => continue,
            },
            Err(broadcast::error::RecvError::Closed) => {
                break Some((close_code::AWAY, "server shutting down"));
            }
        };
        match send(&mut sender, frame, write_timeout).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break None,
            Err(_) => break Some((close_code::POLICY, "client too slow")),
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = tokio::time::timeout(write_timeout, sender.send(Message::Close(Some(frame)))).await;
    }
}

type Sender = futures_util::stream::SplitSink<WebSocket, Message>;

/// Sends one text frame, within the write timeout.
async fn send(
    sender: &mut Sender,
    frame: Utf8Bytes,
    write_timeout: Duration,
) -> Result<Result<(), axum::Error>, tokio::time::error::Elapsed> {
    tokio::time::timeout(write_timeout, sender.send(Message::Text(frame))).await
}
