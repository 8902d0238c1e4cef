//! Ingest as a supervisor of its tasks: a failure that retrying cannot
//! cure ends the daemon with an error naming the task, rather than leaving
//! it running without the task.

use std::time::Duration;

use envmon_ingest::{IngestError, Task};

use crate::helpers::{TestSystem, wait_for};

const DEADLINE: Duration = Duration::from_secs(10);

const RECORD: &str = r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00","readings":{"pm25":35.5,"no2":41}}"#;

/// Takes away the daemons' role's right to `privilege` on `table`, as an
/// operator's mistake or a schema older than the code would.
async fn revoke(system: &TestSystem, privilege: &str, table: &str) {
    system
        .db
        .client()
        .await
        .batch_execute(&format!("REVOKE {privilege} ON {table} FROM CURRENT_USER"))
        .await
        .unwrap();
}

/// Waits until ingest has stopped on its own (its health server is gone),
/// then returns its error and the error's chain on one line.
async fn ingest_failure(system: &mut TestSystem) -> (IngestError, String) {
    let health = system.ingest_health_addr;
    wait_for("ingest to stop on its own", DEADLINE, || async {
        match crate::helpers::http::get(health, "/healthz").await {
            Err(_) => Ok(()),
            Ok(response) => Err(format!("still serving: {}", response.status)),
        }
    })
    .await;
    let error = system.stop_ingest().await.unwrap_err();
    let mut chain = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(next) = cause {
        chain.push_str(": ");
        chain.push_str(&next.to_string());
        cause = next.source();
    }
    (error, chain)
}

#[tokio::test]
async fn a_writer_the_database_refuses_for_good_ends_ingest_with_an_error_naming_it() {
    let mut system = TestSystem::start().await;
    revoke(&system, "INSERT", "reading").await;

    system.mosquitto_pub("sensors/air/1141A", RECORD).await;

    let (error, chain) = ingest_failure(&mut system).await;
    assert!(
        matches!(
            error,
            IngestError::Task {
                task: Task::Writer,
                ..
            }
        ),
        "{chain}"
    );
    assert!(chain.starts_with("ingest's writer failed"), "{chain}");
    assert!(
        chain.contains("permission denied for table reading"),
        "{chain}"
    );
    assert_eq!(
        system.db.count("SELECT count(*) FROM reading").await,
        0,
        "nothing was written"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_rollup_the_database_refuses_for_good_ends_ingest_and_the_readings_stay() {
    let mut system = TestSystem::start().await;
    revoke(&system, "INSERT", "hourly_mean").await;

    system.mosquitto_pub("sensors/air/1141A", RECORD).await;

    let (error, chain) = ingest_failure(&mut system).await;
    assert!(
        matches!(
            error,
            IngestError::Task {
                task: Task::Rollup,
                ..
            }
        ),
        "{chain}"
    );
    assert!(
        chain.contains("permission denied for table hourly_mean"),
        "{chain}"
    );
    assert_eq!(
        system.db.count("SELECT count(*) FROM reading").await,
        2,
        "the readings were committed before the rollup met the refusal"
    );
    assert_eq!(
        system.db.count("SELECT count(*) FROM rollup_pending").await,
        1,
        "the mark stays for a rollup after the operator's fix"
    );
    system.shutdown().await;
}
