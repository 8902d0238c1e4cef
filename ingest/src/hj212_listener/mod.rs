//! HJ 212-2017 over TCP: data loggers connect and push packets, as they do
//! to the national platforms.
//!
//! Each connection deframes its byte stream, parses each frame, joins split
//! transfers, and hands complete data packets to the writer. A data packet
//! that asks for an answer is answered (9014) only after its readings are
//! committed, so a logger that gets no answer resends, and a resend is
//! harmless; other packets that ask for an answer (and the parts of a split
//! transfer) are answered on receipt. Frames that cannot be used become dead
//! letters under the topic `hj212/tcp/{peer}`. The station is found by the
//! logger's MN in the registry.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::dead_letter::DeadLetter;
use crate::decode::DecodeError;
use crate::decode::hj212::{Deframer, Hj212Error, Packet, Reassembler, parse_packet, reply_for};
use crate::input::{Hj212Input, Input, hj212_topic};

/// Loggers connected at once; more wait for a free slot.
const MAX_CONNECTIONS: usize = 1024;

/// A connection silent this long is closed: loggers send at least a
/// heartbeat or minute data far more often.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a logger waits for its data to be committed before the
/// connection gives up (the logger will resend on its own).
const COMMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Parts of split transfers held per connection.
const MAX_HELD_PARTS: usize = 256;

/// The listener and where it hands its work.
#[derive(Debug)]
pub(crate) struct Hj212Listener {
    pub(crate) listener: TcpListener,
    pub(crate) inputs: mpsc::Sender<Input>,
}

impl Hj212Listener {
    /// Accepts loggers until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut connections = JoinSet::new();
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => permit,
                () = shutdown.cancelled() => break,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = shutdown.cancelled() => break,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let inputs = self.inputs.clone();
                    let shutdown = shutdown.clone();
                    connections.spawn(async move {
                        serve(stream, peer, inputs, shutdown).await;
                        drop(permit);
                    });
                }
                Err(error) => tracing::warn!(error = %error, "Cannot accept an HJ 212 connection."),
            }
            while connections.try_join_next().is_some() {}
        }
        connections.shutdown().await;
    }
}

/// Serves one logger until it disconnects, goes silent, or we shut down.
async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    inputs: mpsc::Sender<Input>,
    shutdown: CancellationToken,
) {
    tracing::debug!(%peer, "HJ 212 logger connected.");
    let mut deframer = Deframer::new();
    let mut reassembler = Reassembler::new(MAX_HELD_PARTS);
    let mut buffer = vec![0u8; 4096];
    loop {
        let read = tokio::select! {
            read = tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buffer)) => read,
            () = shutdown.cancelled() => break,
        };
        let n = match read {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => n,
            Ok(Err(error)) => {
                tracing::debug!(%peer, error = %error, "HJ 212 connection failed.");
                break;
            }
        };
        deframer.push(&buffer[..n]);
        for frame in deframer.by_ref() {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    refuse(&inputs, peer, Bytes::new(), error).await;
                    continue;
                }
            };
            let raw = Bytes::from(frame.to_bytes());
            let packet = match parse_packet(&frame) {
                Ok(packet) => packet,
                Err(error) => {
                    refuse(&inputs, peer, raw, error).await;
                    continue;
                }
            };
            let reply = reply_for(&packet);
            let answer_now = match reassembler.push(packet) {
                Ok(Some(whole)) if whole.data_command().is_some() => {
                    commit(&inputs, peer, whole, raw).await
                }
                Ok(_) => true,
                Err(error) => {
                    refuse(&inputs, peer, raw, error).await;
                    false
                }
            };
            if let (true, Some(reply)) = (answer_now, reply)
                && stream.write_all(&reply).await.is_err()
            {
                return;
            }
        }
    }
    tracing::debug!(%peer, "HJ 212 logger disconnected.");
}

/// Hands a complete data packet to the writer and waits for its commit;
/// returns whether it was committed (and may be answered).
async fn commit(
    inputs: &mpsc::Sender<Input>,
    peer: SocketAddr,
    packet: Packet,
    raw: Bytes,
) -> bool {
    let (committed, done) = oneshot::channel();
    let input = Hj212Input {
        received_at: Utc::now(),
        peer,
        packet: Box::new(packet),
        raw,
        committed,
    };
    crate::metrics::MESSAGES_RECEIVED.inc(&["hj212"]);
    if inputs.send(Input::Hj212(input)).await.is_err() {
        return false;
    }
    matches!(tokio::time::timeout(COMMIT_TIMEOUT, done).await, Ok(Ok(())))
}

/// Files bytes that could not be used as a dead letter.
async fn refuse(inputs: &mpsc::Sender<Input>, peer: SocketAddr, raw: Bytes, error: Hj212Error) {
    let error = DecodeError::from(error);
    crate::metrics::DEAD_LETTERS.inc(&[error.code()]);
    let letter = DeadLetter::from_error(Utc::now(), hj212_topic(peer), raw, &error);
    let _ = inputs.send(Input::Refused(letter)).await;
}
