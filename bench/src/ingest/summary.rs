//! The report for a terminal: every figure of a run with its CPU, and
//! the comparison with the ceilings and the targets.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::Pace;
use super::report::{
    LATENCY_STEP, Ratios, Report, TARGET_BROKER_SHARE, TARGET_COPY_SHARE, TARGET_FLOOR,
    TARGET_P99_MS, cpu_text, ms, n, outcome_text, shape_name, verdict,
};
use super::steps::{DRAIN_TIMEOUT, Drain, Outcome, STALL, StepFigures};

impl Report {
    /// The report for a terminal.
    pub(super) fn text(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "\nenvmon-bench ingest: {}",
            m.date.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(
            out,
            "machine: {} CPUs, {:.1} GiB; PostgreSQL {}; {} s per step",
            m.cpus, m.memory_gib, m.postgres, self.seconds
        );
        let _ = writeln!(out, "processes: {}", m.processes);
        let _ = writeln!(
            out,
            "CPU below is % of one core (machine max {} %).\n",
            m.cpus * 100
        );
        let c = &self.copy;
        let _ = writeln!(out, "Ceilings");
        let _ = writeln!(
            out,
            "  A  binary COPY, {} rows, one transaction: {} rows/s  [{}]",
            n(c.rows as f64),
            n(c.one_transaction),
            cpu_text(&c.one_transaction_cpu)
        );
        let _ = writeln!(
            out,
            "     the same in 10,000-row transactions:      {} rows/s  [{}]",
            n(c.batched),
            cpu_text(&c.batched_cpu)
        );
        let _ = writeln!(out, "     bench_copy: {}", c.primary_key);
        let b = &self.broker;
        let _ = writeln!(
            out,
            "  B  raw broker, QoS 1 one-reading messages:   {} msg/s received, {} msg/s acknowledged to the publisher ({:.0} s)  [{}]",
            n(b.received_per_second),
            n(b.acknowledged_per_second),
            b.seconds,
            cpu_text(&b.cpu)
        );
        let s = &self.store;
        let _ = writeln!(
            out,
            "  C  ingest's batch SQL alone (Store::write + load_states), {} records x 6: {} readings/s, {:.1} ms per batch, {} batches  [{}]",
            s.records_per_batch,
            n(s.readings_per_second),
            ms(s.batch_time),
            s.batches,
            cpu_text(&s.cpu)
        );
        let i = &self.ingest;
        let _ = writeln!(
            out,
            "\nIngest (batch_max_messages {}, batch_max_wait {:?}; latency = handed to the publisher's client -> live update received)",
            i.batch_max_messages, i.batch_max_wait
        );
        for step in &i.steps {
            let _ = writeln!(out, "  {}", step_text(step));
        }
        let _ = writeln!(
            out,
            "  rows in reading: {} of {} readings published; dead letters: {}",
            n(i.rows as f64),
            n(i.published.readings as f64),
            i.dead_letters
        );
        let _ = writeln!(out, "  ingest at the end: {}", i.shutdown);
        let r = self.ratios();
        let _ = writeln!(out, "\nAgainst the ceilings and targets");
        for line in self.target_lines(&r) {
            let _ = writeln!(out, "  {line}");
        }
        out
    }

    fn target_lines(&self, r: &Ratios) -> Vec<String> {
        let copy_target = (TARGET_COPY_SHARE * self.copy.one_transaction).max(TARGET_FLOOR);
        let broker_target = TARGET_BROKER_SHARE * self.broker.received_per_second;
        vec![
            format!(
                "best sustained ingest {} readings/s = {:.2} x COPY ceiling (A), {:.2} x its own SQL alone (C); target >= {} readings/s: {}",
                n(r.best_readings),
                r.of_copy,
                r.of_store,
                n(copy_target),
                verdict(r.best_readings, copy_target)
            ),
            format!(
                "one-reading ingest {} msg/s = {:.2} x raw broker (B); target >= {} msg/s: {}",
                n(r.one_reading_messages),
                r.of_broker,
                n(broker_target),
                verdict(r.one_reading_messages, broker_target)
            ),
            match r.p99_at_target {
                Some(p99) => format!(
                    "p99 at {} readings/s: {p99:.0} ms; target < {TARGET_P99_MS:.0} ms: {}",
                    n(LATENCY_STEP as f64),
                    if p99 < TARGET_P99_MS {
                        "met".to_owned()
                    } else {
                        format!("missed by {:.0} ms", p99 - TARGET_P99_MS)
                    }
                ),
                None => format!("p99 at {} readings/s: not measured", n(LATENCY_STEP as f64)),
            },
        ]
    }
}

fn step_text(step: &StepFigures) -> String {
    let target = match step.plan.pace {
        Pace::Rate(rate) => format!("{:>7} readings/s", n(rate as f64)),
        Pace::AsFastAsPossible => "     as fast as possible".to_owned(),
    };
    match step.outcome {
        Outcome::Skipped => {
            return format!(
                "{} {target}: skipped (a slower step already stopped early)",
                shape_name(step.plan.shape)
            );
        }
        Outcome::NotRun => {
            return format!(
                "{} {target}: not run (ingest had stalled)",
                shape_name(step.plan.shape)
            );
        }
        _ => {}
    }
    let latency = step
        .latency
        .as_ref()
        .map_or("no latency samples".to_owned(), |l| {
            format!(
                "latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} samples)",
                l.p50, l.p99, l.max, l.samples
            )
        });
    let drained = match step.drained {
        Drain::Committed(d) if d > Duration::from_millis(500) => {
            format!(
                "; backlog committed {:.1} s after the step",
                d.as_secs_f64()
            )
        }
        Drain::Committed(_) => String::new(),
        Drain::Stalled { waiting } => format!(
            "; INGEST STALLED: nothing committed for {} s with {} messages waiting",
            STALL.as_secs(),
            n(waiting as f64)
        ),
        Drain::TimedOut { waiting } => format!(
            "; backlog NOT committed within {} s ({} messages waiting)",
            DRAIN_TIMEOUT.as_secs(),
            n(waiting as f64)
        ),
    };
    let unconfirmed = if step.unconfirmed > 0 {
        format!("; {} messages without a live update", step.unconfirmed)
    } else {
        String::new()
    };
    format!(
        "{} {target}: offered {} readings/s; committed {} readings/s, {} msg/s (over {:.1} s); {latency}; {}{drained}{unconfirmed}; rollup marks left {}\n      CPU {}",
        shape_name(step.plan.shape),
        n(step.offered.readings),
        n(step.committed.readings),
        n(step.committed.messages),
        step.window,
        outcome_text(step),
        step.rollup_backlog,
        cpu_text(&step.cpu)
    )
}
