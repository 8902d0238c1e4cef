//! HJ 212-2017 over TCP: data loggers connect and push packets, as they do
//! to the national platforms.
//!
//! An address may hold at most `hj212_max_connections_per_address`
//! connections (`slots`); more are closed on accept. Each connection
//! deframes its byte stream and parses each frame; every packet must then
//! pass the `gate`: its MN names the station, the logger connects from the
//! station's networks and its PW is the station's secret. A logger that
//! fails is answered 9011 `QnRtn=3` (PW wrong, when its packet asks for an
//! answer), after a pause that keeps guessing slow, and disconnected; its
//! packet is kept only as a dead letter, password masked.
//!
//! Packets that pass are assembled when split, and complete data packets go
//! to the writer. A data packet that asks for an answer is answered (9014)
//! only after its readings are committed, so a logger that gets no answer
//! resends, and a resend is harmless; other packets that ask for an answer
//! (and the parts of a split transfer) are answered on receipt. Frames that
//! cannot be used become dead letters under the topic `hj212/tcp/{peer}`.

mod gate;
mod slots;

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

use envmon_core::StationCode;

pub(crate) use self::gate::LoggerGate;
use self::slots::AddressSlots;
use crate::dead_letter::DeadLetter;
use crate::decode::DecodeError;
use crate::decode::hj212::{
    Deframer, Hj212Error, Packet, Reassembler, parse_packet, refusal_for, reply_for,
};
use crate::events;
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

/// How long a refused logger waits for its answer. The connection holds
/// its address's slot meanwhile, so one address can try at most
/// `hj212_max_connections_per_address` passwords in this time.
const REFUSAL_DELAY: Duration = Duration::from_secs(1);

/// How long a refused logger's connection is drained after the answer, so
/// the close does not reset the connection under the answer.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The listener and where it hands its work.
#[derive(Debug)]
pub(crate) struct Hj212Listener {
    pub(crate) listener: TcpListener,
    pub(crate) inputs: mpsc::Sender<Input>,
    pub(crate) gate: Arc<LoggerGate>,
    /// `hj212_max_connections_per_address` (0: no cap).
    pub(crate) max_connections_per_address: usize,
}

impl Hj212Listener {
    /// Accepts loggers until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let addresses = AddressSlots::new(self.max_connections_per_address);
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
                    let address = match addresses.take(peer.ip()) {
                        Ok(address) => address,
                        Err(capped) => {
                            events::ConnectionsCapped {
                                address: peer.ip(),
                                cap: addresses.cap(),
                                log: capped.first,
                            }
                            .emit();
                            drop(stream);
                            continue;
                        }
                    };
                    let connection = Connection {
                        peer,
                        inputs: self.inputs.clone(),
                        gate: Arc::clone(&self.gate),
                        shutdown: shutdown.clone(),
                    };
                    connections.spawn(async move {
                        connection.serve(stream).await;
                        drop((address, permit));
                    });
                }
                Err(error) => tracing::warn!(error = %error, "Cannot accept an HJ 212 connection."),
            }
            while connections.try_join_next().is_some() {}
        }
        connections.shutdown().await;
    }
}

/// One logger's connection and what it needs.
struct Connection {
    peer: SocketAddr,
    inputs: mpsc::Sender<Input>,
    gate: Arc<LoggerGate>,
    shutdown: CancellationToken,
}

impl Connection {
    /// Serves one logger until it disconnects, goes silent, is refused, or we
    /// shut down.
    async fn serve(self, mut stream: TcpStream) {
        let (peer, inputs) = (self.peer, &self.inputs);
        tracing::debug!(%peer, "HJ 212 logger connected.");
        let mut deframer = Deframer::new();
        let mut reassembler = Reassembler::new(MAX_HELD_PARTS);
        let mut buffer = vec![0u8; 4096];
        loop {
            let read = tokio::select! {
                read = tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buffer)) => read,
                () = self.shutdown.cancelled() => break,
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
                        refuse(inputs, peer, Bytes::new(), error).await;
                        continue;
                    }
                };
                let raw = Bytes::from(frame.to_bytes());
                let packet = match parse_packet(&frame) {
                    Ok(packet) => packet,
                    Err(error) => {
                        refuse(inputs, peer, raw, error).await;
                        continue;
                    }
                };
                let station = match self.gate.admit(&packet, peer.ip()).await {
                    Ok(station) => station,
                    Err(error) => {
                        self.turn_away(stream, &packet, raw, error).await;
                        return;
                    }
                };
                let reply = reply_for(&packet);
                let answer_now = match reassembler.push(packet) {
                    Ok(Some(whole)) if whole.data_command().is_some() => {
                        commit(inputs, peer, station, whole, raw).await
                    }
                    Ok(_) => true,
                    Err(error) => {
                        refuse(inputs, peer, raw, error).await;
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

    /// Refuses a logger that did not pass the gate: counted and logged, its
    /// packet kept as a dead letter (password masked), answered 9011
    /// `QnRtn=3` after [`REFUSAL_DELAY`] when it asks for an answer, and
    /// disconnected.
    async fn turn_away(
        &self,
        mut stream: TcpStream,
        packet: &Packet,
        raw: Bytes,
        error: Hj212Error,
    ) {
        let from = self.peer.to_string();
        events::LoggerRefused {
            transport: "tcp",
            from: &from,
            mn: Some(&packet.mn),
            reason: error.code(),
        }
        .emit();
        refuse(&self.inputs, self.peer, raw, error).await;
        tokio::select! {
            () = tokio::time::sleep(REFUSAL_DELAY) => {}
            () = self.shutdown.cancelled() => return,
        }
        if let Some(answer) = refusal_for(packet)
            && stream.write_all(&answer).await.is_err()
        {
            return;
        }
        // Close after the logger has read the answer: half-close, then drain
        // what it still sends, so the close is a FIN and not a reset.
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 1024];
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// Hands a complete data packet to the writer and waits for its commit;
/// returns whether it was committed (and may be answered).
async fn commit(
    inputs: &mpsc::Sender<Input>,
    peer: SocketAddr,
    station: StationCode,
    packet: Packet,
    raw: Bytes,
) -> bool {
    let (committed, done) = oneshot::channel();
    let input = Hj212Input {
        received_at: Utc::now(),
        peer,
        station,
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
