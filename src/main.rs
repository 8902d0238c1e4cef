//! The `envmon` binary: parse the command line, load settings, start
//! logging, dispatch. Everything else lives in the libraries.

mod cli;
mod commands;
mod demo_lab;
mod lab_commands;
mod metrics;
mod staff_commands;
mod station_commands;
mod stats_commands;
mod stats_water;
mod telemetry;

use clap::Parser;

use envmon::secrets;
use envmon::settings::{DEFAULT_TOML, Settings};

use crate::cli::{
    AlertsCommand, AuditCommand, Cli, Command, ConfigCommand, LabCommand, StationsCommand,
    StatsCommand, UserCommand,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format, &cli.log_level);
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Ingest => commands::ingest(&settings).await,
        Command::Publish => commands::publish(&settings).await,
        Command::Simulate { stations } => commands::simulate(&settings, stations.as_deref()).await,
        Command::Demo => commands::demo(&settings).await,
        Command::Migrate => commands::migrate(&settings).await,
        Command::Aqi { daily, area } => commands::aqi_table(daily, area),
        Command::Water => commands::water_table(),
        Command::Decode { topic, stations } => {
            commands::decode(&settings, topic.as_deref(), stations.as_deref())
        }
        Command::Stats {
            command:
                StatsCommand::Air {
                    from,
                    to,
                    area,
                    station,
                    json,
                },
        } => stats_commands::air(&settings, from, to, &area, station.as_deref(), json).await,
        Command::Stats {
            command:
                StatsCommand::Water {
                    from,
                    to,
                    station,
                    json,
                },
        } => stats_water::water(&settings, from, to, station.as_deref(), json).await,
        Command::Stats {
            command: StatsCommand::RebuildAreas { from, to },
        } => stats_commands::rebuild_areas(&settings, from, to).await,
        Command::Stations {
            command: StationsCommand::Import { file },
        } => commands::import(&settings, &file).await,
        Command::Stations {
            command: StationsCommand::Secret { code, remove },
        } => station_commands::secret(&settings, &code, remove).await,
        Command::Lab {
            command:
                LabCommand::Import {
                    file,
                    dry_run,
                    submitted_by,
                },
        } => lab_commands::import(&settings, &file, dry_run, submitted_by.as_deref()).await,
        Command::Lab {
            command: LabCommand::Publish { id, approver },
        } => lab_commands::publish(&settings, id, &approver).await,
        Command::Lab {
            command:
                LabCommand::Reject {
                    id,
                    approver,
                    reason,
                },
        } => lab_commands::reject(&settings, id, &approver, &reason).await,
        Command::Lab {
            command: LabCommand::List,
        } => lab_commands::list(&settings).await,
        Command::Lab {
            command: LabCommand::Example { quarter, seed },
        } => lab_commands::example(&quarter, seed),
        Command::User {
            command: UserCommand::Add { username, role },
        } => staff_commands::user_add(&settings, &username, &role).await,
        Command::User {
            command: UserCommand::Disable { username },
        } => staff_commands::user_enabled(&settings, &username, false).await,
        Command::User {
            command: UserCommand::Enable { username },
        } => staff_commands::user_enabled(&settings, &username, true).await,
        Command::Alerts {
            command: AlertsCommand::Verify { file, public_key },
        } => staff_commands::alerts_verify(&settings, &file, public_key.as_deref()),
        Command::Alerts {
            command: AlertsCommand::PublicKey { file },
        } => staff_commands::alerts_public_key(&settings, file.as_deref()),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    against,
                    public_key,
                },
        } => {
            staff_commands::audit_verify(&settings, against.as_deref(), public_key.as_deref()).await
        }
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => {
            print!("{DEFAULT_TOML}");
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            // Passwords and keys never leave the process, not even here.
            let shown = secrets::redacted(toml::Value::try_from(&settings)?);
            print!("{}", toml::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}
