//! Requests per second of one path: keep-alive connections, each sending
//! the next GET as soon as the previous answer is read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers per second with status 200, and how many others there were.
pub(super) async fn requests_per_second(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    duration: Duration,
) -> (f64, u64) {
    let ok = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (ok, other, path) = (Arc::clone(&ok), Arc::clone(&other), path.to_owned());
        tasks.spawn(async move {
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            let mut buffer = Vec::with_capacity(64 * 1024);
            while Instant::now() < deadline {
                if stream.write_all(request.as_bytes()).await.is_err() {
                    return;
                }
                match read_response(&mut stream, &mut buffer).await {
                    Some(200) => ok.fetch_add(1, Ordering::Relaxed),
                    Some(_) => other.fetch_add(1, Ordering::Relaxed),
                    None => return,
                };
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed) as f64 / elapsed,
        other.load(Ordering::Relaxed),
    )
}

/// Reads one response with a `Content-Length`; its status.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<u16> {
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
    let status = head.get(9..12)?.parse().ok()?;
    let length: usize = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(status)
}
