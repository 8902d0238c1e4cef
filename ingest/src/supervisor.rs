//! The supervisor: every long-lived task of the daemon in one `JoinSet`,
//! each under its name, so that the first task to fail, panic or end
//! before ingest was asked to stop is known by name and ends the daemon
//! instead of leaving it to limp on without, say, its writer.
//!
//! What to do once a task has ended (drain, in flow order) is
//! `Ingest::run_until_stopped`'s business; this module only says which
//! task ended and how.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::{Id, JoinError, JoinSet};

use crate::rollup::RollupError;
use crate::writer::WriterError;

/// The daemon's tasks, as named in errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// The MQTT session that takes sensor messages and sends acknowledgements.
    MqttSource,
    /// Batches, commits, acknowledges.
    Writer,
    /// Hourly means, daily statistics and indices.
    Rollup,
    /// Staff alarm rules.
    Alarms,
    /// Partitions ahead, expired ones dropped, dead letters trimmed.
    Maintenance,
    /// HJ 212 data loggers over TCP.
    Hj212Listener,
    /// `/healthz` and `/readyz`.
    Health,
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MqttSource => "MQTT source",
            Self::Writer => "writer",
            Self::Rollup => "rollup",
            Self::Alarms => "alarm worker",
            Self::Maintenance => "maintenance",
            Self::Hj212Listener => "HJ 212 listener",
            Self::Health => "health server",
        })
    }
}

/// How a task ended that should not have.
#[derive(Debug, thiserror::Error)]
pub enum TaskFailure {
    /// It returned while ingest was running: a task ends only when asked.
    #[error("it ended before ingest was asked to stop")]
    EndedEarly,
    /// It panicked: a bug.
    #[error("it panicked: {0}")]
    Panicked(String),
    /// The writer met a refusal retrying cannot cure.
    #[error(transparent)]
    Writer(#[from] WriterError),
    /// The rollup met a refusal retrying cannot cure.
    #[error(transparent)]
    Rollup(#[from] RollupError),
    /// The health server could not go on serving.
    #[error("the health server failed")]
    Health(#[source] std::io::Error),
}

impl TaskFailure {
    /// The failure of a task whose join failed: a panic, or an abort
    /// (which only dropping the supervisor does, so it is not seen here).
    fn from_join(error: JoinError) -> Self {
        match error.try_into_panic() {
            Ok(payload) => Self::Panicked(
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "with a non-text payload".to_owned()),
            ),
            Err(error) => Self::Panicked(error.to_string()),
        }
    }
}

/// The daemon's tasks. Dropping it aborts every task still running, so a
/// dropped ingest stops at once like a killed process.
#[derive(Debug, Default)]
pub(crate) struct Supervisor {
    tasks: JoinSet<Result<(), TaskFailure>>,
    /// Holds the name of every task in `tasks`.
    names: HashMap<Id, Task>,
}

impl Supervisor {
    /// Runs `future` as `task`.
    pub(crate) fn spawn(
        &mut self,
        task: Task,
        future: impl Future<Output = Result<(), TaskFailure>> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(future);
        self.names.insert(handle.id(), task);
    }

    /// The next task to end and how it ended; `None` when none is left.
    pub(crate) async fn next(&mut self) -> Option<(Task, Result<(), TaskFailure>)> {
        let (id, result) = match self.tasks.join_next_with_id().await? {
            Ok((id, result)) => (id, result),
            Err(error) => (error.id(), Err(TaskFailure::from_join(error))),
        };
        let task = self
            .names
            .remove(&id)
            .expect("every task is spawned with its name");
        Some((task, result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_reported_by_name_with_its_message() {
        let mut supervisor = Supervisor::default();
        supervisor.spawn(Task::Writer, async { panic!("batch lost its way") });
        let (task, result) = supervisor.next().await.unwrap();
        assert_eq!(task, Task::Writer);
        let failure = result.unwrap_err();
        assert_eq!(failure.to_string(), "it panicked: batch lost its way");
        assert!(supervisor.next().await.is_none());
    }

    #[tokio::test]
    async fn tasks_are_reported_in_the_order_they_end() {
        let mut supervisor = Supervisor::default();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        supervisor.spawn(Task::Health, async move {
            let _ = released.await;
            Ok(())
        });
        supervisor.spawn(Task::Rollup, async { Err(TaskFailure::EndedEarly) });
        let (task, result) = supervisor.next().await.unwrap();
        assert_eq!(task, Task::Rollup);
        assert!(matches!(result, Err(TaskFailure::EndedEarly)));
        release.send(()).unwrap();
        let (task, result) = supervisor.next().await.unwrap();
        assert_eq!((task, result.is_ok()), (Task::Health, true));
    }
}
