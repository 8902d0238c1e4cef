//! The figures of a run, as readable text and as markdown ready to paste
//! into docs/benchmarks.md. The report states figures and how they compare
//! with the targets; it never fails a run on them.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ceilings::{CopyCeiling, StoreCeiling};
use super::cpu::Usage;
use super::ledger::Progress;
use super::load::{Pace, Shape};
use super::raw_broker::BrokerCeiling;
use super::steps::{BACKLOG_GUARD, MAX_LAG, Outcome, StepFigures};

/// Targets of the issue, for the comparison lines.
pub(super) const TARGET_COPY_SHARE: f64 = 0.5;
pub(super) const TARGET_FLOOR: f64 = 100_000.0;
pub(super) const TARGET_BROKER_SHARE: f64 = 0.75;
pub(super) const TARGET_P99_MS: f64 = 100.0;
/// The step whose p99 the latency target is about.
pub(super) const LATENCY_STEP: u64 = 20_000;

/// Broker-to-live latency of a step's messages, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Latency {
    pub(super) samples: usize,
    pub(super) p50: f64,
    pub(super) p99: f64,
    pub(super) max: f64,
}

impl Latency {
    /// Nearest-rank percentiles; `None` without samples.
    pub(super) fn from_samples(mut samples: Vec<f32>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable_by(f32::total_cmp);
        let rank = |q: f64| {
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            f64::from(samples[index])
        };
        Some(Self {
            samples: samples.len(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: rank(1.0),
        })
    }
}

/// Where the run took place.
#[derive(Debug, Clone)]
pub(super) struct Machine {
    pub(super) date: DateTime<Utc>,
    pub(super) cpus: usize,
    pub(super) memory_gib: f64,
    pub(super) postgres: String,
    /// How the broker and PostgreSQL processes were found.
    pub(super) processes: String,
}

/// The ingest phase's totals.
#[derive(Debug, Clone)]
pub(super) struct IngestFigures {
    pub(super) steps: Vec<StepFigures>,
    pub(super) published: Progress,
    /// `count(*)` of `reading` at the end.
    pub(super) rows: i64,
    pub(super) dead_letters: i64,
    pub(super) batch_max_messages: usize,
    pub(super) batch_max_wait: Duration,
    /// How ingest's shutdown at the end went.
    pub(super) shutdown: String,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub(super) struct Report {
    pub(super) machine: Machine,
    pub(super) seconds: u64,
    pub(super) copy: CopyCeiling,
    pub(super) store: StoreCeiling,
    pub(super) broker: BrokerCeiling,
    pub(super) ingest: IngestFigures,
}

/// The ratios the issue asks for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ratios {
    pub(super) best_readings: f64,
    pub(super) of_copy: f64,
    pub(super) of_store: f64,
    pub(super) one_reading_messages: f64,
    pub(super) of_broker: f64,
    pub(super) p99_at_target: Option<f64>,
}

impl Report {
    pub(super) fn ratios(&self) -> Ratios {
        // Only rates measured over at least half a step count as sustained.
        #[allow(clippy::cast_precision_loss)] // seconds of a step
        let sustained = |s: &&StepFigures| s.window >= self.seconds as f64 / 2.0;
        let steps = &self.ingest.steps;
        let best_readings = steps
            .iter()
            .filter(sustained)
            .filter(|s| s.plan.shape == Shape::Records)
            .map(|s| s.committed.readings)
            .fold(0.0, f64::max);
        let one_reading_messages = steps
            .iter()
            .filter(sustained)
            .filter(|s| s.plan.shape == Shape::OneReading)
            .map(|s| s.committed.messages)
            .fold(0.0, f64::max);
        Ratios {
            best_readings,
            of_copy: best_readings / self.copy.one_transaction,
            of_store: best_readings / self.store.readings_per_second,
            one_reading_messages,
            of_broker: one_reading_messages / self.broker.received_per_second,
            p99_at_target: steps
                .iter()
                .find(|s| s.plan.pace == Pace::Rate(LATENCY_STEP))
                .and_then(|s| s.latency.as_ref())
                .map(|l| l.p99),
        }
    }

    /// The same figures as markdown tables.
    pub(super) fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "<!-- envmon-bench ingest --seconds {}, {} -->",
            self.seconds,
            m.date.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(
            out,
            "| ceiling | figure | CPU % of one core |\n| --- | ---: | --- |"
        );
        let c = &self.copy;
        let _ = writeln!(
            out,
            "| A: binary COPY, {} rows, one transaction | {} rows/s | {} |",
            n(c.rows as f64),
            n(c.one_transaction),
            cpu_text(&c.one_transaction_cpu)
        );
        let _ = writeln!(
            out,
            "| A: binary COPY, 10,000-row transactions | {} rows/s | {} |",
            n(c.batched),
            cpu_text(&c.batched_cpu)
        );
        let b = &self.broker;
        let _ = writeln!(
            out,
            "| B: raw broker, QoS 1, one reading per message | {} msg/s | {} |",
            n(b.received_per_second),
            cpu_text(&b.cpu)
        );
        let s = &self.store;
        let _ = writeln!(
            out,
            "| C: ingest's batch SQL alone, {} records x 6 readings | {} readings/s ({:.1} ms/batch) | {} |",
            s.records_per_batch,
            n(s.readings_per_second),
            ms(s.batch_time),
            cpu_text(&s.cpu)
        );
        let _ = writeln!(
            out,
            "\n| step | target readings/s | offered readings/s | committed readings/s | committed msg/s | p50 ms | p99 ms | max ms | ended | CPU % mosquitto / postgres (writer, rollup) / ingest / load+watch / other |"
        );
        let _ = writeln!(
            out,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
        );
        for step in &self.ingest.steps {
            let target = match step.plan.pace {
                Pace::Rate(rate) => n(rate as f64),
                Pace::AsFastAsPossible => "max".to_owned(),
            };
            if matches!(step.outcome, Outcome::Skipped | Outcome::NotRun) {
                let name = shape_name(step.plan.shape);
                let ended = outcome_text(step);
                let _ = writeln!(
                    out,
                    "| {name} | {target} | - | - | - | - | - | - | {ended} | - |"
                );
                continue;
            }
            let (p50, p99, max) =
                step.latency
                    .as_ref()
                    .map_or(("-".into(), "-".into(), "-".into()), |l| {
                        (
                            format!("{:.0}", l.p50),
                            format!("{:.0}", l.p99),
                            format!("{:.0}", l.max),
                        )
                    });
            // A rate over a short window is a glimpse, not a sustained rate.
            let short = if step.window > 0.0 && step.window < 5.0 {
                format!(" (over {:.1} s)", step.window)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {target} | {} | {}{short} | {} | {p50} | {p99} | {max} | {} | {} |",
                shape_name(step.plan.shape),
                n(step.offered.readings),
                n(step.committed.readings),
                n(step.committed.messages),
                outcome_text(step),
                cpu_columns(&step.cpu)
            );
        }
        let r = self.ratios();
        let _ = writeln!(out, "\n| ratio | value |\n| --- | ---: |");
        let _ = writeln!(
            out,
            "| best sustained ingest readings/s / COPY rows/s (A, one transaction) | {:.2} |",
            r.of_copy
        );
        let _ = writeln!(
            out,
            "| best sustained ingest readings/s / COPY rows/s (A, 10k-row transactions) | {:.2} |",
            r.best_readings / self.copy.batched
        );
        let _ = writeln!(
            out,
            "| best sustained ingest readings/s / ingest's batch SQL alone (C) | {:.2} |",
            r.of_store
        );
        let _ = writeln!(
            out,
            "| ingest one-reading msg/s / raw broker msg/s (B) | {:.2} |",
            r.of_broker
        );
        let p99 = r
            .p99_at_target
            .map_or("-".to_owned(), |p| format!("{p:.0} ms"));
        let _ = writeln!(
            out,
            "| p99 broker -> commit -> live at {} readings/s | {p99} |",
            n(LATENCY_STEP as f64)
        );
        out
    }
}

pub(super) fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Records => "6-reading records",
        Shape::OneReading => "1-reading messages",
    }
}

pub(super) fn outcome_text(step: &StepFigures) -> String {
    match step.outcome {
        Outcome::Completed => format!("ran {:.0} s", step.seconds),
        Outcome::FellBehind { after, lag } => format!(
            "stopped at {:.1} s: {:.1} s behind (limit {} s)",
            after.as_secs_f64(),
            lag.as_secs_f64(),
            MAX_LAG.as_secs()
        ),
        Outcome::Backlogged { after, messages } => format!(
            "stopped at {:.1} s: {} messages waiting (guard {})",
            after.as_secs_f64(),
            n(messages as f64),
            n(BACKLOG_GUARD as f64)
        ),
        Outcome::Skipped => "skipped".to_owned(),
        Outcome::NotRun => "not run: ingest stalled".to_owned(),
    }
}

/// CPU in words; ingest's sessions and the bench's threads only when they
/// ran (not during the ceilings).
pub(super) fn cpu_text(u: &Usage) -> String {
    let sessions = if u.pg_writer + u.pg_rollup >= 0.5 {
        format!(" (writer {:.0}, rollup {:.0})", u.pg_writer, u.pg_rollup)
    } else {
        String::new()
    };
    let threads = if u.load + u.watch >= 0.5 {
        format!(", load {:.0}, watch {:.0}", u.load, u.watch)
    } else {
        String::new()
    };
    format!(
        "mosquitto {:.0}, postgres {:.0}{sessions}, envmon {:.0}{threads}, machine {:.0}, other {:.0}",
        u.mosquitto, u.postgres, u.envmon, u.machine, u.other
    )
}

pub(super) fn cpu_columns(u: &Usage) -> String {
    format!(
        "{:.0} / {:.0} ({:.0}, {:.0}) / {:.0} / {:.0} / {:.0}",
        u.mosquitto,
        u.postgres,
        u.pg_writer,
        u.pg_rollup,
        u.envmon,
        u.load + u.watch,
        u.other
    )
}

pub(super) fn verdict(value: f64, target: f64) -> String {
    if value >= target {
        "met".to_owned()
    } else {
        format!("missed, {:.0} % short", (1.0 - value / target) * 100.0)
    }
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A whole number with thousands separators: 1,234,567.
pub(super) fn n(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // rates and counts fit an i64
    let whole = value.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f32> = (1..=100).rev().map(|v| v as f32).collect();
        let latency = Latency::from_samples(samples).unwrap();
        assert_eq!((latency.p50, latency.p99, latency.max), (50.0, 99.0, 100.0));
        assert_eq!(Latency::from_samples(Vec::new()), None);
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(n(1_234_567.4), "1,234,567");
        assert_eq!(n(999.0), "999");
        assert_eq!(n(0.0), "0");
    }
}
