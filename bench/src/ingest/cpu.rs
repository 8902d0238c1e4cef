//! CPU time during a measurement, read from `/proc`: the broker, PostgreSQL
//! (all its processes, and ingest's writer and rollup sessions), this
//! process by thread (ingest's runtime, the load generator, the live
//! watcher), and the whole machine, so that other work on a shared machine
//! shows as "other".
//!
//! Figures are in percent of one core: 100 % is one core kept busy, and a
//! 2-core machine tops out at 200 %.

use std::collections::HashMap;
use std::time::Instant;

use super::load::LOAD_THREAD;
use super::watch::WATCH_THREAD;

/// Linux counts process CPU time in ticks of 1/100 s (USER_HZ, fixed by
/// the kernel's ABI whatever the internal timer rate).
const TICKS_PER_SECOND: f64 = 100.0;

/// Which ingest session a PostgreSQL backend serves, told by the
/// statements seen running on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    /// The writer: the COPY into `reading` (or `reading_staging`) and the
    /// upserts of `station_latest` and the rollup marks.
    Writer,
    /// The rollup worker: hourly means, daily statistics, indices.
    Rollup,
}

impl Backend {
    /// Classifies a backend by one statement it ran; `None` when the
    /// statement is one both sessions run (or neither).
    pub(super) fn from_query(query: &str) -> Option<Self> {
        if [
            "reading_staging",
            "COPY reading",
            "INSERT INTO station_latest",
            "INSERT INTO rollup_pending",
        ]
        .iter()
        .any(|marker| query.contains(marker))
        {
            Some(Backend::Writer)
        } else if [
            "hourly_mean",
            "daily_stat",
            "pg_try_advisory_xact_lock",
            "FROM rollup_pending",
        ]
        .iter()
        .any(|marker| query.contains(marker))
        {
            Some(Backend::Rollup)
        } else {
            None
        }
    }
}

/// Which processes to watch.
#[derive(Debug, Clone)]
pub(super) struct Probe {
    mosquitto: Vec<u32>,
    /// The postmaster; its children are PostgreSQL's processes. `None`:
    /// every process named `postgres` counts.
    postmaster: Option<u32>,
    /// How the processes were found, for the report.
    pub(super) found: String,
}

impl Probe {
    /// Finds the processes listening on the broker's and PostgreSQL's TCP
    /// ports; falls back to process names (less precise when several
    /// brokers run, as tests do) when the sockets cannot be read.
    pub(super) fn discover(broker_port: u16, pg_port: u16) -> Self {
        let mut notes = Vec::new();
        let mut mosquitto = listeners(broker_port);
        if mosquitto.is_empty() {
            mosquitto = processes()
                .filter(|p| p.comm == "mosquitto")
                .map(|p| p.pid)
                .collect();
            notes.push(format!(
                "broker: every process named mosquitto ({})",
                mosquitto.len()
            ));
        } else {
            notes.push(format!("broker: pid {mosquitto:?} on port {broker_port}"));
        }
        let postmaster = listeners(pg_port).first().copied();
        match postmaster {
            Some(pid) => notes.push(format!(
                "PostgreSQL: postmaster {pid} on port {pg_port} and its children"
            )),
            None => notes.push("PostgreSQL: every process named postgres".to_owned()),
        }
        Self {
            mosquitto,
            postmaster,
            found: notes.join("; "),
        }
    }

    /// Reads the counters now.
    pub(super) fn sample(&self) -> Sample {
        let mut sample = Sample {
            at: Instant::now(),
            machine: machine_ticks().unwrap_or_default(),
            ..Sample::default()
        };
        for p in processes() {
            if self.mosquitto.contains(&p.pid) {
                sample.mosquitto += p.ticks;
            }
            let in_postgres = match self.postmaster {
                Some(postmaster) => p.pid == postmaster || p.ppid == postmaster,
                None => p.comm == "postgres",
            };
            if in_postgres {
                sample.postgres.insert(p.pid, p.ticks);
            }
        }
        for t in stats_under("/proc/self/task") {
            sample.threads.insert(t.pid, (group_of(&t.comm), t.ticks));
        }
        sample
    }
}

/// This process's threads, grouped by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Envmon,
    Load,
    Watch,
}

fn group_of(comm: &str) -> Group {
    match comm {
        LOAD_THREAD => Group::Load,
        WATCH_THREAD => Group::Watch,
        _ => Group::Envmon,
    }
}

/// Cumulative counters at one instant.
#[derive(Debug, Clone)]
pub(super) struct Sample {
    at: Instant,
    /// (busy, total) ticks of the whole machine.
    machine: (u64, u64),
    mosquitto: u64,
    postgres: HashMap<u32, u64>,
    threads: HashMap<u32, (Group, u64)>,
}

impl Default for Sample {
    fn default() -> Self {
        Self {
            at: Instant::now(),
            machine: (0, 0),
            mosquitto: 0,
            postgres: HashMap::new(),
            threads: HashMap::new(),
        }
    }
}

/// CPU between two samples, in percent of one core.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Usage {
    pub(super) mosquitto: f64,
    pub(super) postgres: f64,
    pub(super) pg_writer: f64,
    pub(super) pg_rollup: f64,
    /// This process but for the generator and watcher threads: ingest when
    /// it runs, and the bench's own driver.
    pub(super) envmon: f64,
    pub(super) load: f64,
    pub(super) watch: f64,
    /// The whole machine (all cores together).
    pub(super) machine: f64,
    /// The machine less everything above: other people's work.
    pub(super) other: f64,
}

impl Usage {
    /// From `start` to `end`; `backends` labels ingest's sessions. A process
    /// or thread born in between counts from zero; one that ended is lost.
    pub(super) fn between(start: &Sample, end: &Sample, backends: &HashMap<u32, Backend>) -> Self {
        let seconds = end.at.duration_since(start.at).as_secs_f64().max(1e-3);
        #[allow(clippy::cast_precision_loss)] // tick counts are far below 2^52
        let percent = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / seconds * 100.0;
        let mut usage = Usage {
            mosquitto: percent(end.mosquitto.saturating_sub(start.mosquitto)),
            ..Usage::default()
        };
        for (pid, ticks) in &end.postgres {
            let used = percent(ticks.saturating_sub(start.postgres.get(pid).copied().unwrap_or(0)));
            usage.postgres += used;
            match backends.get(pid) {
                Some(Backend::Writer) => usage.pg_writer += used,
                Some(Backend::Rollup) => usage.pg_rollup += used,
                None => {}
            }
        }
        for (tid, (group, ticks)) in &end.threads {
            let before = start.threads.get(tid).map_or(0, |(_, t)| *t);
            let used = percent(ticks.saturating_sub(before));
            match group {
                Group::Envmon => usage.envmon += used,
                Group::Load => usage.load += used,
                Group::Watch => usage.watch += used,
            }
        }
        let busy = end.machine.0.saturating_sub(start.machine.0);
        let total = end.machine.1.saturating_sub(start.machine.1).max(1);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        #[allow(clippy::cast_precision_loss)]
        let machine = busy as f64 / total as f64 * 100.0 * cores as f64;
        usage.machine = machine;
        let ours = usage.mosquitto + usage.postgres + usage.envmon + usage.load + usage.watch;
        usage.other = (machine - ours).max(0.0);
        usage
    }
}

/// One line of `/proc/<pid>/stat`.
#[derive(Debug)]
struct Stat {
    pid: u32,
    comm: String,
    ppid: u32,
    /// User plus system time.
    ticks: u64,
}

/// Parses `/proc/<pid>/stat`: the command sits in parentheses and may hold
/// spaces, so fields are counted from the last `)`.
fn parse_stat(pid: u32, text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    let ppid = rest.get(1)?.parse().ok()?;
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(Stat {
        pid,
        comm,
        ppid,
        ticks: utime + stime,
    })
}

/// The stat of every numbered entry under `dir` (`/proc` or a task list).
fn stats_under(dir: &str) -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let text = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(pid, &text)
        })
        .collect()
}

fn processes() -> impl Iterator<Item = Stat> {
    stats_under("/proc").into_iter()
}

/// (busy, total) ticks from the first line of `/proc/stat`. Guest time is
/// already inside user time, so only the first eight counters add up.
fn machine_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let counters: Vec<u64> = text
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|n| n.parse().ok())
        .collect();
    let total: u64 = counters.iter().sum();
    let idle = counters.get(3)? + counters.get(4)?;
    Some((total - idle, total))
}

/// The processes holding a socket listening on TCP `port`.
fn listeners(port: u16) -> Vec<u32> {
    let wanted = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local address, state 0A = LISTEN, inode.
            if let (Some(local), Some(&"0A"), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
                && local.ends_with(&wanted)
            {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut pids: Vec<u32> = processes()
        .map(|p| p.pid)
        .filter(|pid| {
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                return false;
            };
            fds.filter_map(Result::ok).any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
            })
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_spaces_in_the_command_parse() {
        let line = "4242 (postgres: 15/main: envmon envmon_bench_1 127.0.0.1(5) COPY) R 10699 10699 10699 0 -1 4194560 1 0 0 0 250 31 0 0 20 0 1 0 1 1 1";
        let stat = parse_stat(4242, line).unwrap();
        assert_eq!(stat.ppid, 10699);
        assert_eq!(stat.ticks, 281);
        assert!(stat.comm.ends_with("COPY"));
    }

    #[test]
    fn backends_are_told_apart_by_their_statements() {
        assert_eq!(
            Backend::from_query("COPY reading_staging (seq) FROM STDIN"),
            Some(Backend::Writer)
        );
        assert_eq!(
            Backend::from_query("COPY reading\n    (station_code) FROM STDIN (FORMAT binary)"),
            Some(Backend::Writer)
        );
        assert_eq!(
            Backend::from_query("INSERT INTO rollup_pending (station_code, at) SELECT 1"),
            Some(Backend::Writer)
        );
        assert_eq!(
            Backend::from_query(
                "SELECT station_code, at, xmin::text FROM rollup_pending ORDER BY at LIMIT $1"
            ),
            Some(Backend::Rollup)
        );
        assert_eq!(Backend::from_query("COMMIT"), None);
    }

    #[test]
    fn this_process_can_be_sampled() {
        let probe = Probe {
            mosquitto: Vec::new(),
            postmaster: Some(u32::MAX),
            found: String::new(),
        };
        let sample = probe.sample();
        assert!(!sample.threads.is_empty());
    }
}
