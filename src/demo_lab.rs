//! The demo's laboratory results (`envmon demo` only): the last two whole
//! quarters of simulated samples of every source, plant outlet and network
//! point, submitted and published by two demo names exactly as
//! `envmon lab import` and `envmon lab publish` store them, so the
//! drinking-water view, the open data and the quarterly report have data.

use anyhow::Context;
use chrono::Utc;
use envmon::settings::Settings;
use envmon_core::Station;
use envmon_core::db::lab::{self, LabMedia, Submission};
use envmon_core::stats::ReportPeriod;

const CLERK: &str = "demo-lab-clerk";
const CHEMIST: &str = "demo-lab-chemist";

/// Submits and publishes the two quarters before the current one, unless
/// any laboratory batch exists already.
pub(crate) async fn seed(settings: &Settings, stations: &[Station]) -> anyhow::Result<()> {
    let mut client = settings.database.open_session("seeding the demo").await?;
    let existing: i64 = client
        .query_one("SELECT count(*) FROM lab_batch", &[])
        .await?
        .get(0);
    if existing > 0 {
        return Ok(());
    }
    let today = Utc::now()
        .with_timezone(&envmon_core::beijing::offset())
        .date_naive();
    let last = ReportPeriod::quarter_of(today).previous();
    for (seed, period) in [(1, last.previous()), (2, last)] {
        let ReportPeriod::Quarter { year, quarter } = period else {
            continue;
        };
        let text = envmon_simulator::lab::quarter_csv(stations, year, quarter, seed);
        let file_name = format!("{period}.csv");
        let submission = Submission {
            media: LabMedia::Csv,
            text: &text,
            file_name: Some(&file_name),
            submitted_by: CLERK,
        };
        let (id, _) = lab::submit(&client, submission, stations)
            .await
            .with_context(|| format!("submitting the demo's laboratory results of {period}"))?;
        let tx = client.transaction().await?;
        lab::publish(&tx, id, CHEMIST, stations)
            .await
            .with_context(|| format!("publishing the demo's laboratory results of {period}"))?;
        tx.commit().await?;
    }
    Ok(())
}
