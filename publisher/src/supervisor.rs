//! The publisher's long-lived tasks (live feed, notice broadcaster, audit
//! anchor, HTTP servers, the wait for the shutdown signal) in one
//! `JoinSet`. Each runs until the shared stop token is cancelled; the first
//! to fail, panic or end before that cancels the others, and the run ends
//! with an error naming it, so the process exits non-zero instead of
//! limping on without, say, its live feed.

use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::time::Duration;

use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// How long the other tasks may take to drain after one has failed before
/// they are aborted: a stuck connection must not keep a broken publisher
/// from exiting. A normal stop drains without a limit, as before.
const DRAIN_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// What a task may fail with.
pub(crate) type TaskFailure = Box<dyn Error + Send + Sync>;

/// Why the publisher stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A task returned while nothing had asked it to stop.
    #[error("the {task} ended while the publisher was running")]
    Ended {
        /// Which task.
        task: &'static str,
    },
    /// A task returned an error.
    #[error("the {task} failed")]
    Failed {
        /// Which task.
        task: &'static str,
        /// Its error.
        #[source]
        source: TaskFailure,
    },
    /// A task panicked.
    #[error("the {task} panicked")]
    Panicked {
        /// Which task.
        task: &'static str,
        /// The panic, as tokio reports it.
        #[source]
        source: JoinError,
    },
}

impl TaskError {
    /// The name of the task that stopped the publisher.
    pub fn task(&self) -> &'static str {
        match self {
            Self::Ended { task } | Self::Failed { task, .. } | Self::Panicked { task, .. } => task,
        }
    }
}

/// The running tasks, by name.
#[derive(Debug)]
pub(crate) struct Supervisor {
    tasks: JoinSet<Result<(), TaskFailure>>,
    /// The name of every task still in `tasks`.
    names: HashMap<Id, &'static str>,
    stop: CancellationToken,
    /// How long the others may drain after a failure.
    drain_after_failure: Duration,
}

impl Supervisor {
    /// Tasks stop when `stop` is cancelled, by their owner or by the
    /// supervisor after a failure.
    pub(crate) fn new(stop: CancellationToken) -> Self {
        Self {
            tasks: JoinSet::new(),
            names: HashMap::new(),
            stop,
            drain_after_failure: DRAIN_AFTER_FAILURE,
        }
    }

    /// Runs `task` under `name` ("live feed", "HTTP server"), as it
    /// appears in the error if it stops the publisher.
    pub(crate) fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = Result<(), TaskFailure>> + Send + 'static,
    {
        let handle = self.tasks.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Waits for every task. Returns the first failure (or unexpected end)
    /// after the others have stopped; `Ok` when all ended after `stop`.
    pub(crate) async fn wait(mut self) -> Result<(), TaskError> {
        let mut first: Option<TaskError> = None;
        // Set once a task has failed: the others must have drained by then.
        let mut deadline: Option<tokio::time::Instant> = None;
        loop {
            let next = self.tasks.join_next_with_id();
            let joined = match deadline {
                None => next.await,
                Some(at) => match tokio::time::timeout_at(at, next).await {
                    Ok(joined) => joined,
                    Err(_elapsed) => {
                        tracing::warn!(
                            left = self.tasks.len(),
                            "Aborting the tasks that did not drain in time."
                        );
                        self.tasks.abort_all();
                        deadline = None;
                        continue;
                    }
                },
            };
            let Some(joined) = joined else { break };
            if let Some(failure) = self.failure_of(joined)
                && first.is_none()
            {
                tracing::error!(task = failure.task(), error = %failure, "A publisher task stopped; stopping the others.");
                self.stop.cancel();
                deadline = Some(tokio::time::Instant::now() + self.drain_after_failure);
                first = Some(failure);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// What one finished task means: nothing once stopping, else a failure.
    fn failure_of(
        &mut self,
        joined: Result<(Id, Result<(), TaskFailure>), JoinError>,
    ) -> Option<TaskError> {
        let id = match &joined {
            Ok((id, _)) => *id,
            Err(error) => error.id(),
        };
        let task = self.names.remove(&id).unwrap_or("unnamed task");
        match joined {
            Ok((_, Ok(()))) if self.stop.is_cancelled() => None,
            Ok((_, Ok(()))) => Some(TaskError::Ended { task }),
            Ok((_, Err(source))) => Some(TaskError::Failed { task, source }),
            // Aborted after the drain deadline: the failure is already known.
            Err(error) if error.is_cancelled() => None,
            Err(source) => Some(TaskError::Panicked { task, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A task that runs until stopped, and records that it was.
    fn until_stopped(
        stop: &CancellationToken,
        stopped: &Arc<AtomicBool>,
    ) -> impl Future<Output = Result<(), TaskFailure>> + Send + 'static {
        let stop = stop.clone();
        let stopped = Arc::clone(stopped);
        async move {
            stop.cancelled().await;
            stopped.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_task_that_ends_early_stops_the_others_and_is_named() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut supervisor = Supervisor::new(stop.clone());
        supervisor.spawn("HTTP server", until_stopped(&stop, &stopped));
        supervisor.spawn("live feed", async { Ok(()) });

        let error = supervisor.wait().await.unwrap_err();

        assert!(
            matches!(error, TaskError::Ended { task: "live feed" }),
            "{error}"
        );
        assert!(stop.is_cancelled());
        assert!(stopped.load(Ordering::SeqCst), "the others were stopped");
    }

    #[tokio::test]
    async fn a_failing_task_keeps_its_error_as_the_source() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut supervisor = Supervisor::new(stop.clone());
        supervisor.spawn("live feed", until_stopped(&stop, &stopped));
        supervisor.spawn("health server", async {
            Err(std::io::Error::other("accept failed").into())
        });

        let error = supervisor.wait().await.unwrap_err();

        assert_eq!(error.to_string(), "the health server failed");
        assert_eq!(error.source().unwrap().to_string(), "accept failed");
        assert!(stopped.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_panicking_task_is_reported_as_such() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut supervisor = Supervisor::new(stop.clone());
        supervisor.spawn("audit anchor", async { panic!("boom") });
        supervisor.spawn("live feed", until_stopped(&stop, &stopped));

        let error = supervisor.wait().await.unwrap_err();

        assert!(
            matches!(
                error,
                TaskError::Panicked {
                    task: "audit anchor",
                    ..
                }
            ),
            "{error}"
        );
        assert!(stopped.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn tasks_that_end_after_the_stop_are_a_clean_run() {
        let stop = CancellationToken::new();
        let stopped = Arc::new(AtomicBool::new(false));
        let mut supervisor = Supervisor::new(stop.clone());
        supervisor.spawn("live feed", until_stopped(&stop, &stopped));
        supervisor.spawn("shutdown signal", {
            let stop = stop.clone();
            async move {
                stop.cancel();
                Ok(())
            }
        });

        supervisor.wait().await.unwrap();
        assert!(stopped.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_task_that_does_not_drain_after_a_failure_is_aborted() {
        let stop = CancellationToken::new();
        let mut supervisor = Supervisor::new(stop.clone());
        supervisor.drain_after_failure = Duration::from_millis(20);
        supervisor.spawn("stuck server", std::future::pending());
        supervisor.spawn("live feed", async { Ok(()) });

        let error = supervisor.wait().await.unwrap_err();

        assert_eq!(error.task(), "live feed");
    }
}
