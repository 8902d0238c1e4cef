//! The harness: a fresh PostgreSQL database and a private Mosquitto per
//! test, the real daemons in-process on port 0, and small clients.

pub mod broker;
pub mod db;
pub mod http;
pub mod process;
pub mod rabbitmq;
pub mod rabbitmq_users;
pub mod staff;
pub mod subscribers;
pub mod system;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use broker::TestBroker;
pub use db::TestDb;
pub use system::TestSystem;

/// A name no other test, in this process or another, will pick.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Polls `check` until it returns `Ok`, or panics at `deadline` with the
/// last thing it saw.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if started.elapsed() > deadline => {
                panic!("timed out after {deadline:?} waiting for {what}; last saw: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// Log output for a failing test: `TEST_LOG=1 cargo test`.
pub fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,tokio_postgres=info,rumqttc=info",
            ))
            .with_test_writer()
            .try_init();
    }
}
