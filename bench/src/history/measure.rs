//! What the history benchmark measures: each answer's latency over HTTP beside its plain
//! query's, and cached answers' throughput beside a static file's.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::charts::client::{Connection, request};

/// Connections loading the server at once in the throughput runs.
const CONNECTIONS: usize = 16;

/// One question, as an API path and as the plain SQL of the rows it stands on.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) name: &'static str,
    pub(super) path: String,
    pub(super) plain: &'static str,
    pub(super) params: Vec<String>,
    /// Paths of the same question that no cache has seen (e.g. other date ranges), for the
    /// uncached figures; empty when every request may be a cached one.
    pub(super) uncached: Vec<String>,
}

/// Latency figures of one target.
#[derive(Debug)]
pub(super) struct Latency {
    name: &'static str,
    path: String,
    status: u16,
    bytes: usize,
    /// The first answer, before any cache held it.
    first: Duration,
    /// Answers to questions no cache has seen, when the target has them.
    uncached: Option<Percentiles>,
    answer: Percentiles,
    plain: Percentiles,
    plain_rows: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct Percentiles {
    p50: Duration,
    p99: Duration,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let n = samples.len().max(1);
    Percentiles {
        p50: samples.get(n / 2).copied().unwrap_or_default(),
        p99: samples.get(n * 99 / 100).copied().unwrap_or_default(),
    }
}

/// `requests` answers of each target one after another on one connection (the first, which
/// fills any cache, not counted), and as many runs of its plain query.
pub(super) async fn latencies(
    addr: SocketAddr,
    client: &Client,
    targets: &[Target],
    requests: usize,
) -> anyhow::Result<Vec<Latency>> {
    let mut out = Vec::new();
    for target in targets {
        let mut connection = Connection::open(addr).await?;
        let bytes = request(&target.path, &[]);
        let t = Instant::now();
        let first = connection.get(&bytes).await?;
        let first_time = t.elapsed();
        let uncached = if target.uncached.is_empty() {
            None
        } else {
            let mut samples = Vec::with_capacity(target.uncached.len());
            for path in &target.uncached {
                let t = Instant::now();
                connection.get(&request(path, &[])).await?;
                samples.push(t.elapsed());
            }
            Some(percentiles(samples))
        };
        let mut answer = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            connection.get(&bytes).await?;
            answer.push(t.elapsed());
        }
        let statement = client.prepare(target.plain).await?;
        let params: Vec<&(dyn ToSql + Sync)> = target
            .params
            .iter()
            .map(|p| p as &(dyn ToSql + Sync))
            .collect();
        let mut plain = Vec::with_capacity(requests);
        let mut plain_rows = 0;
        for _ in 0..requests {
            let t = Instant::now();
            plain_rows = client.query(&statement, &params).await?.len();
            plain.push(t.elapsed());
        }
        out.push(Latency {
            name: target.name,
            path: target.path.clone(),
            status: first.status,
            bytes: first.bytes,
            first: first_time,
            uncached,
            answer: percentiles(answer),
            plain: percentiles(plain),
            plain_rows,
        });
    }
    Ok(out)
}

/// Throughput of a static file and of each target asked with its ETag (`304`).
#[derive(Debug)]
pub(super) struct Throughput {
    name: String,
    status: u16,
    per_second: f64,
}

pub(super) async fn cached(
    addr: SocketAddr,
    targets: &[Target],
    seconds: u64,
) -> anyhow::Result<Vec<Throughput>> {
    let duration = Duration::from_secs(seconds.max(1));
    let mut out = vec![
        hammer(
            addr,
            "static file (/style.css)".into(),
            request("/style.css", &[]),
            duration,
        )
        .await?,
    ];
    for target in targets {
        let mut warm = Connection::open(addr).await?;
        let first = warm.get(&request(&target.path, &[])).await?;
        let Some(etag) = first.etag else {
            continue;
        };
        let bytes = request(&target.path, &[("If-None-Match", &etag)]);
        out.push(
            hammer(
                addr,
                format!("{}, If-None-Match", target.name),
                bytes,
                duration,
            )
            .await?,
        );
    }
    Ok(out)
}

async fn hammer(
    addr: SocketAddr,
    name: String,
    bytes: Vec<u8>,
    duration: Duration,
) -> anyhow::Result<Throughput> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let bytes = bytes.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let (mut count, mut status) = (0u64, 0u16);
            while started.elapsed() < duration {
                status = connection.get(&bytes).await?.status;
                count += 1;
            }
            anyhow::Ok((count, status))
        }));
    }
    let (mut total, mut status) = (0, 0);
    for task in tasks {
        let (count, last) = task.await??;
        total += count;
        status = last;
    }
    Ok(Throughput {
        name,
        status,
        per_second: total as f64 / started.elapsed().as_secs_f64(),
    })
}

pub(super) fn print(latencies: &[Latency], cached: &[Throughput]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!(
        "One request at a time on one connection; the plain query on one session. \"first\" is the first answer, \"uncached\" answers to the same question over other periods (nothing cached), p50/p99 the same request repeated:"
    );
    println!();
    println!(
        "| answer | status | bytes | first ms | uncached p50 / p99 ms | p50 ms | p99 ms | plain SELECT rows | plain p50 ms | plain p99 ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for l in latencies {
        let uncached = l.uncached.map_or("-".to_owned(), |u| {
            format!("{:.1} / {:.1}", ms(u.p50), ms(u.p99))
        });
        println!(
            "| {} (`{}`) | {} | {} | {:.1} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} |",
            l.name,
            l.path,
            l.status,
            l.bytes,
            ms(l.first),
            uncached,
            ms(l.answer.p50),
            ms(l.answer.p99),
            l.plain_rows,
            ms(l.plain.p50),
            ms(l.plain.p99)
        );
    }
    let baseline = cached.first().map_or(1.0, |c| c.per_second);
    println!();
    println!("Cached answers over loopback, {CONNECTIONS} keep-alive connections:");
    println!();
    println!("| target | status | requests/s | vs static |");
    println!("| --- | ---: | ---: | ---: |");
    for c in cached {
        println!(
            "| {} | {} | {:.0} | {:.2}× |",
            c.name,
            c.status,
            c.per_second,
            baseline / c.per_second.max(f64::MIN_POSITIVE)
        );
    }
}
