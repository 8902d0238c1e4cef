//! The ingest steps: the real [`envmon_ingest::Ingest`], in this process,
//! fed by the load generator at one target rate after another.
//!
//! Each step publishes for the step's length, sampling once a second how
//! much is committed (from `station_latest`, see [`super::ledger`]) and
//! every 100 ms how far ingest is behind (the oldest message not yet seen on
//! the live topics). A step that falls more than [`MAX_LAG`] behind stops
//! early, and so does one whose backlog passes [`BACKLOG_GUARD`]; the faster
//! paced steps after it are skipped: they could only fall behind sooner.
//! Between steps the bench waits until ingest has committed everything, so
//! no step inherits another's backlog; if ingest stops committing
//! altogether (see [`BACKLOG_GUARD`]), the remaining steps are not run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::cpu::{Backend, Probe, Usage};
use super::ledger::{Ledger, Progress, lock};
use super::load::{LoadGenerator, Pace, Shape};
use super::report::Latency;

/// A step that falls this far behind stops.
pub(super) const MAX_LAG: Duration = Duration::from_secs(5);

/// A step also stops when this many messages are published and not yet
/// committed: a bound on the broker queue a step can leave behind. (It was
/// 6,000 while ingest could deadlock under a backlog, which it no longer
/// does: the fault suite takes in a 20,000-message backlog whole.) In
/// practice a step falls [`MAX_LAG`] behind first.
pub(super) const BACKLOG_GUARD: usize = 50_000;

/// Ingest is taken as stalled when nothing commits for this long while
/// messages wait.
pub(super) const STALL: Duration = Duration::from_secs(5);

/// Committed figures leave out each step's first second: the pipeline fills.
const WARM_UP: Duration = Duration::from_secs(1);

/// The longest wait for ingest to commit a step's backlog.
pub(super) const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// After everything is committed, how long live updates may still take.
const LIVE_GRACE: Duration = Duration::from_secs(2);

const NEWEST_COMMITTED: &str =
    "SELECT station_code, max(observed_at) FROM station_latest GROUP BY station_code";

const INGEST_SESSIONS: &str = "SELECT pid, query FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'envmon'";

/// What a step publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StepPlan {
    pub(super) shape: Shape,
    pub(super) pace: Pace,
}

/// The steps of a run, in order.
pub(super) fn plans() -> Vec<StepPlan> {
    let paced = [5_000, 10_000, 20_000, 40_000, 80_000].map(|rate| StepPlan {
        shape: Shape::Records,
        pace: Pace::Rate(rate),
    });
    let mut plans = paced.to_vec();
    plans.push(StepPlan {
        shape: Shape::Records,
        pace: Pace::AsFastAsPossible,
    });
    plans.push(StepPlan {
        shape: Shape::OneReading,
        pace: Pace::AsFastAsPossible,
    });
    plans
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome {
    /// It ran its full length.
    Completed,
    /// It stopped after `after`, when ingest was `lag` behind.
    FellBehind { after: Duration, lag: Duration },
    /// It stopped after `after`, when the backlog passed [`BACKLOG_GUARD`].
    Backlogged { after: Duration, messages: usize },
    /// It did not run: a slower paced step already fell behind.
    Skipped,
    /// It did not run: ingest had stalled.
    NotRun,
}

impl Outcome {
    fn stopped_early(self) -> bool {
        matches!(
            self,
            Outcome::FellBehind { .. } | Outcome::Backlogged { .. }
        )
    }
}

/// How the backlog after a step went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Drain {
    /// Everything was committed this long after the step ended.
    Committed(Duration),
    /// Ingest committed nothing for [`STALL`] with messages waiting.
    Stalled { waiting: u64 },
    /// Not everything was committed within [`DRAIN_TIMEOUT`].
    TimedOut { waiting: u64 },
}

/// Whether both of ingest's sessions have been recognised.
fn labelled(known: &HashMap<u32, Backend>, seen: &[(u32, Backend)]) -> bool {
    let has = |wanted: Backend| {
        known.values().any(|b| *b == wanted) || seen.iter().any(|(_, b)| *b == wanted)
    };
    has(Backend::Writer) && has(Backend::Rollup)
}

/// Readings and messages per second.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rates {
    pub(super) readings: f64,
    pub(super) messages: f64,
}

impl Rates {
    fn between(from: (Instant, Progress), to: (Instant, Progress)) -> Self {
        let seconds = to.0.duration_since(from.0).as_secs_f64().max(1e-3);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        Rates {
            readings: to.1.readings.saturating_sub(from.1.readings) as f64 / seconds,
            messages: to.1.messages.saturating_sub(from.1.messages) as f64 / seconds,
        }
    }
}

/// One step's figures.
#[derive(Debug, Clone)]
pub(super) struct StepFigures {
    pub(super) plan: StepPlan,
    pub(super) outcome: Outcome,
    pub(super) seconds: f64,
    /// What the generator published.
    pub(super) offered: Rates,
    /// What ingest committed, after the warm-up second...
    pub(super) committed: Rates,
    /// ...over this many seconds.
    pub(super) window: f64,
    pub(super) latency: Option<Latency>,
    /// Messages committed whose live update never came (no latency sample).
    pub(super) unconfirmed: usize,
    /// How the backlog after the step went.
    pub(super) drained: Drain,
    /// Rollup marks left when the step had drained.
    pub(super) rollup_backlog: i64,
    pub(super) cpu: Usage,
}

impl StepFigures {
    fn not_run(plan: StepPlan, outcome: Outcome) -> Self {
        Self {
            plan,
            outcome,
            seconds: 0.0,
            offered: Rates::default(),
            committed: Rates::default(),
            window: 0.0,
            latency: None,
            unconfirmed: 0,
            drained: Drain::Committed(Duration::ZERO),
            rollup_backlog: 0,
            cpu: Usage::default(),
        }
    }
}

/// Runs the steps against a running ingest.
#[derive(Debug)]
pub(super) struct Driver<'a> {
    pub(super) db: Client,
    pub(super) ledger: Arc<Mutex<Ledger>>,
    pub(super) generator: LoadGenerator,
    pub(super) probe: &'a Probe,
    pub(super) step_length: Duration,
    /// Ingest's PostgreSQL sessions, labelled as they are seen.
    pub(super) backends: HashMap<u32, Backend>,
}

impl Driver<'_> {
    /// Runs every plan in order; see the module docs for stops and skips.
    pub(super) async fn run_all(&mut self, plans: &[StepPlan]) -> anyhow::Result<Vec<StepFigures>> {
        let mut figures = Vec::new();
        let mut paced_fell_behind = false;
        let mut stalled = false;
        for (index, plan) in plans.iter().enumerate() {
            let paced = matches!(plan.pace, Pace::Rate(_));
            if stalled {
                figures.push(StepFigures::not_run(*plan, Outcome::NotRun));
                continue;
            }
            if paced_fell_behind && paced {
                figures.push(StepFigures::not_run(*plan, Outcome::Skipped));
                continue;
            }
            tracing::info!(step = index + 1, of = plans.len(), plan = ?plan, "Bench step starting.");
            let step = self.run_step(index, *plan).await?;
            paced_fell_behind |= paced && step.outcome.stopped_early();
            stalled |= matches!(step.drained, Drain::Stalled { .. } | Drain::TimedOut { .. });
            figures.push(step);
        }
        Ok(figures)
    }

    async fn run_step(&mut self, index: usize, plan: StepPlan) -> anyhow::Result<StepFigures> {
        let stop = tokio_util::sync::CancellationToken::new();
        let cpu_start = self.probe.sample();
        let start_point = (Instant::now(), self.committed().await?);
        let started = start_point.0;
        let mut samples = vec![start_point];
        let mut outcome = Outcome::Completed;
        let mut sessions = Vec::new();
        let published = {
            let run = self.generator.run(
                index,
                plan.shape,
                plan.pace,
                started + self.step_length,
                stop.clone(),
            );
            tokio::pin!(run);
            let mut count =
                tokio::time::interval_at((started + WARM_UP).into(), Duration::from_secs(1));
            let mut lag_check = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    published = &mut run => break published?,
                    _ = count.tick() => {
                        samples.push((Instant::now(), self.committed().await?));
                        sessions.extend(self.ingest_sessions().await?);
                    }
                    _ = lag_check.tick() => {
                        if !labelled(&self.backends, &sessions) {
                            sessions.extend(self.ingest_sessions().await?);
                        }
                        let (oldest, waiting) = {
                            let ledger = lock(&self.ledger);
                            (ledger.oldest_pending(index), ledger.pending())
                        };
                        let lag = oldest.map_or(Duration::ZERO, |o| o.elapsed());
                        if outcome == Outcome::Completed {
                            let after = started.elapsed();
                            if lag > MAX_LAG {
                                outcome = Outcome::FellBehind { after, lag };
                                stop.cancel();
                            } else if waiting > BACKLOG_GUARD {
                                outcome = Outcome::Backlogged { after, messages: waiting };
                                stop.cancel();
                            }
                        }
                    }
                }
            }
        };
        self.backends.extend(sessions);
        let ended = Instant::now();
        let cpu = Usage::between(&cpu_start, &self.probe.sample(), &self.backends);
        let end_point = (ended, self.committed().await?);
        let seconds = ended.duration_since(started).as_secs_f64();
        let from = samples
            .iter()
            .copied()
            .find(|(at, _)| {
                at.duration_since(started) >= WARM_UP && ended.duration_since(*at) >= WARM_UP
            })
            .unwrap_or(start_point);
        let committed = Rates::between(from, end_point);
        let window = ended.duration_since(from.0).as_secs_f64();
        let offered = Rates::between((started, Progress::default()), (ended, published));

        let (drained, unconfirmed) = self.drain().await?;
        let latency = Latency::from_samples(lock(&self.ledger).take_latencies(index));
        let rollup_backlog: i64 = self
            .db
            .query_one("SELECT count(*) FROM rollup_pending", &[])
            .await?
            .get(0);
        tracing::info!(
            committed_readings_per_second = committed.readings.round(),
            p99_ms = latency.as_ref().map(|l| l.p99),
            ?outcome,
            "Bench step done."
        );
        Ok(StepFigures {
            plan,
            outcome,
            seconds,
            offered,
            committed,
            window,
            latency,
            unconfirmed,
            drained,
            rollup_backlog,
            cpu,
        })
    }

    /// Waits until everything published is committed and confirmed live;
    /// returns how that went and how many messages were committed without
    /// a live update.
    async fn drain(&self) -> anyhow::Result<(Drain, usize)> {
        let started = Instant::now();
        let mut caught_up: Option<Instant> = None;
        let mut last_progress = (Instant::now(), Progress::default());
        loop {
            let newest = self.newest().await?;
            let (committed, published, pending) = {
                let ledger = lock(&self.ledger);
                (
                    ledger.committed(&newest),
                    ledger.published(),
                    ledger.pending(),
                )
            };
            let waiting = published.messages.saturating_sub(committed.messages);
            let drain = if committed == published {
                let since = *caught_up.get_or_insert_with(Instant::now);
                (pending == 0 || since.elapsed() > LIVE_GRACE)
                    .then(|| Drain::Committed(since.duration_since(started)))
            } else if committed != last_progress.1 {
                last_progress = (Instant::now(), committed);
                None
            } else if last_progress.0.elapsed() > STALL {
                Some(Drain::Stalled { waiting })
            } else if started.elapsed() > DRAIN_TIMEOUT {
                Some(Drain::TimedOut { waiting })
            } else {
                None
            };
            if let Some(drain) = drain {
                let unconfirmed = lock(&self.ledger).settle(&newest);
                return Ok((drain, unconfirmed));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What ingest has committed so far.
    pub(super) async fn committed(&self) -> anyhow::Result<Progress> {
        let newest = self.newest().await?;
        Ok(lock(&self.ledger).committed(&newest))
    }

    async fn newest(&self) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        let rows = self.db.query(NEWEST_COMMITTED, &[]).await?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    /// Which of ingest's sessions is the writer and which the rollup, from
    /// the statements they are running now.
    async fn ingest_sessions(&self) -> anyhow::Result<Vec<(u32, Backend)>> {
        let rows = self.db.query(INGEST_SESSIONS, &[]).await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let pid = u32::try_from(row.get::<_, i32>(0)).ok()?;
                let query: Option<&str> = row.get(1);
                Some((pid, query.and_then(Backend::from_query)?))
            })
            .collect())
    }
}
