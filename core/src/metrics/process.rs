//! The process's own figures under the names every Prometheus client uses
//! (`process_resident_memory_bytes`, `process_cpu_seconds_total`,
//! `process_open_fds`, `process_start_time_seconds`), read from
//! `/proc/self` at each scrape. Elsewhere than on Linux there is no
//! `/proc`, and the series are left out rather than made up.

use std::sync::OnceLock;

use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use super::{Metric, Registry};

/// Clock ticks per second of the times in `/proc/<pid>/stat`: the kernel's
/// `USER_HZ`, which is 100 on every architecture Linux exposes it on
/// (proc(5): "divide by sysconf(_SC_CLK_TCK)", which returns it).
const TICKS_PER_SECOND: f64 = 100.0;

/// The figures of one reading of `/proc`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessFigures {
    /// Resident set size (`VmRSS`), in bytes.
    pub resident_memory_bytes: f64,
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// File descriptors open now.
    pub open_fds: f64,
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

impl ProcessFigures {
    /// This process's figures, or `None` where `/proc` cannot be read.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let system = std::fs::read_to_string("/proc/stat").ok()?;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count();
        Self::parse(&stat, &status, &system, open_fds)
    }

    /// The figures from the text of `/proc/self/stat`, `/proc/self/status`
    /// and `/proc/stat`, and the count of `/proc/self/fd`.
    pub fn parse(stat: &str, status: &str, system: &str, open_fds: usize) -> Option<Self> {
        // The command name, in parentheses, may hold spaces: the fields
        // that follow it start with the third, `state`.
        let (_, after_name) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |number: usize| -> Option<f64> { fields.get(number - 3)?.parse().ok() };
        let (utime, stime, start_ticks) = (field(14)?, field(15)?, field(22)?);
        let rss_kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let boot_time: f64 = system
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()?;
        Some(Self {
            resident_memory_bytes: rss_kib * 1024.0,
            cpu_seconds: (utime + stime) / TICKS_PER_SECOND,
            open_fds: open_fds as f64,
            start_time_seconds: boot_time + start_ticks / TICKS_PER_SECOND,
        })
    }
}

/// The process metrics, read when scraped.
#[derive(Debug, Default)]
pub struct ProcessMetrics;

impl Metric for ProcessMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(ProcessCollector));
    }
}

#[derive(Debug)]
struct ProcessCollector;

impl prometheus_client::collector::Collector for ProcessCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        // Help texts end in a period, as the registered metrics' do (the
        // client adds it to those, not to a collector's).
        let Some(figures) = ProcessFigures::read() else {
            warn_once_without_proc();
            return Ok(());
        };
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                figures.resident_memory_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                figures.open_fds,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds.",
                figures.start_time_seconds,
            ),
        ];
        let cpu = ConstCounter::new(figures.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

fn warn_once_without_proc() {
    static WARNED: OnceLock<()> = OnceLock::new();
    WARNED.get_or_init(|| {
        tracing::warn!("Cannot read /proc/self; process metrics are left out.");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_proc_texts() {
        // Fields 14, 15 and 22: utime 250, stime 50, starttime 1000 ticks.
        let stat = "4242 (envmon (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 50 0 0 20 0 8 0 1000 123456789 2048 18446744073709551615";
        let status = "Name:\tenvmon\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\nThreads:\t8\n";
        let system = "cpu  1 2 3 4\nbtime 1700000000\nprocesses 99\n";
        let figures = ProcessFigures::parse(stat, status, system, 12).unwrap();
        assert_eq!(
            figures,
            ProcessFigures {
                resident_memory_bytes: 2048.0 * 1024.0,
                cpu_seconds: 3.0,
                open_fds: 12.0,
                start_time_seconds: 1_700_000_010.0,
            }
        );
    }

    #[test]
    fn this_process_has_sane_figures() {
        let Some(figures) = ProcessFigures::read() else {
            return; // not Linux
        };
        assert!(figures.resident_memory_bytes > 1e5, "{figures:?}");
        assert!(figures.open_fds >= 3.0, "{figures:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            figures.start_time_seconds <= now + 1.0
                && figures.start_time_seconds > now - 86_400.0 * 30.0,
            "{figures:?}"
        );
    }
}
