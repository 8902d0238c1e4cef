//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// envmon: real-time air and water quality publishing.
#[derive(Debug, Parser)]
#[command(version, about)]
pub(crate) struct Cli {
    /// Settings file (TOML); see `envmon config print-default`. Environment
    /// variables like ENVMON__DATABASE__URL override it.
    #[arg(long, global = true, env = "ENVMON_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Log filter, e.g. `info` or `envmon_ingest=debug,info`; RUST_LOG wins.
    #[arg(long, global = true, default_value = "info")]
    pub(crate) log_level: String,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the ingest daemon: MQTT sensors into PostgreSQL.
    Ingest,
    /// Run the publisher: live WebSocket, API and dashboard.
    Publish,
    /// Publish simulated readings for every registry station.
    Simulate {
        /// Station registry to simulate; the built-in Shanghai registry when absent.
        #[arg(long)]
        stations: Option<PathBuf>,
    },
    /// Everything in one process: migrate, import the registry, ingest,
    /// publish and simulate.
    Demo,
    /// Apply database migrations.
    Migrate,
    /// Compute the China AQI (HJ 633, edition by date) for CSV rows on stdin.
    #[command(after_long_help = format!(
        "{}\n\n{}",
        envmon_core::aqi::table::AQI_TABLE_HELP,
        envmon_core::stats::area_table::AREA_TABLE_HELP
    ))]
    Aqi {
        /// Rows are daily values (the daily report), not 1-hour means.
        #[arg(long)]
        daily: bool,
        /// Rows are stations of one area (a `station` column): write the area's AQI, one
        /// row per time.
        #[arg(long)]
        area: bool,
    },
    /// Show what ingest makes of a payload on stdin (or of one HJ 212 packet
    /// per line), as JSON lines: the readings, or the refusal and its reason.
    Decode {
        /// The topic the payload arrived on, e.g. sensors/air/1141A; without
        /// it, every line is taken as an HJ 212 packet and its station found
        /// by the logger's MN.
        #[arg(long)]
        topic: Option<String>,
        /// Station registry to check against; the built-in Shanghai registry
        /// when absent.
        #[arg(long)]
        stations: Option<PathBuf>,
    },
    /// Assess water items (GB 3838-2002) for CSV rows on stdin.
    #[command(after_long_help = envmon_core::water::table::WATER_TABLE_HELP)]
    Water,
    /// Period statistics from the stored daily aggregates.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Manage the station registry.
    Stations {
        #[command(subcommand)]
        command: StationsCommand,
    },
    /// Laboratory results of drinking-water sources, plants and network
    /// points: check, submit, publish (by a second person) or reject a batch.
    Lab {
        #[command(subcommand)]
        command: LabCommand,
    },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check public alert notices.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
    /// Check the staff audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Inspect settings.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatsCommand {
    /// Air quality over a period for an area (the city by default) or a station: valid days,
    /// good-day ratio, days per level and primary pollutant, each pollutant's period statistic
    /// against GB 3095-2026, the composite index, and the change against a year earlier.
    Air {
        /// First day (Beijing calendar), e.g. 2027-01-01.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, inclusive, e.g. 2027-12-31.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// An area of the registry, e.g. shanghai or pudong.
        #[arg(long, conflicts_with = "station", default_value = "shanghai")]
        area: String,
        /// A station instead of an area, e.g. 1141A.
        #[arg(long)]
        station: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the city's and districts' daily AQI from their stations' stored daily
    /// statistics, for the days of a period: after the registry changes which stations an area
    /// counts, or to restore the areas' history. Period statistics read the areas' days.
    RebuildAreas {
        /// First day (Beijing calendar), e.g. 2027-01-01.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, inclusive, e.g. 2027-12-31.
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// Surface water over whole months for the river sections and drinking-water sources:
    /// each site's GB 3838-2002 class per month from the month's means, with the determining
    /// items and whether it meets its target; the city's shares of sections in classes I–III
    /// and worse than V, target attainment and main pollutants; drinking-source compliance of
    /// samples and months.
    Water {
        /// First month (Beijing calendar), YYYY-MM, e.g. 2027-01.
        #[arg(long)]
        from: envmon_core::stats::water_period::CalendarMonth,
        /// Last month, inclusive, YYYY-MM, e.g. 2027-03.
        #[arg(long)]
        to: envmon_core::stats::water_period::CalendarMonth,
        /// One river section or source instead of all, e.g. linjiang (no city figures then).
        #[arg(long)]
        station: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum LabCommand {
    /// Check a laboratory file (format 1, CSV or JSON, see
    /// docs/drinking-water.md) and show what it would change; without
    /// --dry-run, submit it as a pending batch for another person to publish.
    /// Every problem is named by row and column, and nothing is stored
    /// unless the file is clean.
    Import {
        /// The file; `.json` is read as JSON, anything else as CSV.
        file: PathBuf,
        /// Only check and preview; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who submits it; `cli:$USER` when absent.
        #[arg(long = "as")]
        submitted_by: Option<String>,
    },
    /// Publish a pending batch: its results become data. Never by the person
    /// who submitted it.
    Publish {
        /// The batch id.
        id: i64,
        /// Who publishes it (not its submitter).
        #[arg(long = "as")]
        approver: String,
    },
    /// Reject a pending batch.
    Reject {
        /// The batch id.
        id: i64,
        /// Who rejects it (not its submitter).
        #[arg(long = "as")]
        approver: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List the newest batches.
    List,
    /// Print a simulated laboratory file (format 1 CSV) of a quarter for every
    /// source, plant and network point of the built-in registry: a file to try
    /// the workflow with, or to give a laboratory as a template.
    Example {
        /// The quarter, e.g. 2026-Q3.
        #[arg(long)]
        quarter: String,
        /// Seed of the simulated values.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StationsCommand {
    /// Insert or update the stations of a registry file (TOML).
    Import {
        /// The registry file, e.g. deploy/stations/shanghai.toml.
        file: PathBuf,
    },
    /// Set the secret a station's HJ 212 data logger sends as PW (6-64
    /// printable ASCII characters, no ; , & = #). It is read from
    /// ENVMON_STATION_SECRET or, without it, from the first line of stdin
    /// (never from the command line), and stored only hashed.
    Secret {
        /// The station code, e.g. 1141A.
        code: String,
        /// Remove the station's secret instead.
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a staff user. The password is read from ENVMON_USER_PASSWORD or,
    /// without it, from the first line of stdin (never from the command line).
    Add {
        /// Login name: 2-64 of a-z, 0-9, '.', '_', '-'.
        username: String,
        /// operator (drafts), approver (publishes others' drafts) or admin.
        #[arg(long)]
        role: String,
    },
    /// Disable a staff user: their sessions end and their API tokens are
    /// revoked at once.
    Disable {
        /// Login name.
        username: String,
    },
    /// Enable a disabled staff user again (their old sessions and tokens
    /// stay ended).
    Enable {
        /// Login name.
        username: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AlertsCommand {
    /// Verify the Ed25519 signature of a notice (JSON, as served at
    /// /api/v1/alerts/{id} or carried on MQTT); fails if it was altered.
    Verify {
        /// The notice file.
        file: PathBuf,
        /// The trusted public key, 64 hex digits (as published at
        /// /api/v1/alerts/public-key); default: derived from the configured
        /// signing key file.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Print the public key (hex) of a signing key file: what to list in
    /// `[publisher.staff] trusted_keys` when rotating keys.
    PublicKey {
        /// The signing key file; default: the configured signing_key_file.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the audit log's hash chain; fails at the first altered,
    /// missing or reordered entry, and with --against when the chain no
    /// longer passes through a head published earlier (the table was
    /// rewritten or cut at or below it).
    Verify {
        /// A signed head kept from /api/v1/audit/head (or the Atom feed's
        /// envmon:auditHead element), as a JSON file.
        #[arg(long, value_name = "HEAD.json")]
        against: Option<PathBuf>,
        /// The public key the head must be signed with, 64 hex digits;
        /// default: the configured signing key's and `trusted_keys`.
        #[arg(long, requires = "against")]
        public_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the default settings, documented.
    PrintDefault,
    /// Print the settings in effect (defaults, file, environment).
    Show,
}
