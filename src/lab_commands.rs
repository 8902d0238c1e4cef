//! `envmon lab`: a laboratory's file checked, previewed and submitted from
//! the command line, and a batch published or rejected by a second person:
//! the staff API's workflow for operators with a terminal.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use envmon::settings::Settings;
use envmon_core::db::lab::{
    self, LabError, LabMedia, Preview, Submission, parse_submission, preview,
};
use envmon_core::registry::load_stations;

/// `envmon lab import FILE [--dry-run] [--as NAME]`.
pub(crate) async fn import(
    settings: &Settings,
    file: &Path,
    dry_run: bool,
    submitted_by: Option<&str>,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let media = if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        LabMedia::Json
    } else {
        LabMedia::Csv
    };
    let client = settings
        .database
        .open_session("checking laboratory results")
        .await?;
    let stations = load_stations(&client).await?;
    let samples = match parse_submission(media, &text, &stations) {
        Ok(samples) => samples,
        Err(problems) => {
            for problem in &problems {
                eprintln!("{}: {problem}", file.display());
            }
            bail!(
                "{} problem(s) in {}; nothing was imported",
                problems.len(),
                file.display()
            );
        }
    };
    if dry_run {
        let preview = preview(&client, &text, &samples, &stations).await?;
        print!("{}", render(&preview));
        println!("dry run: nothing was stored");
        return Ok(());
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let submitted_by = submitted_by.map_or_else(|| format!("cli:{user}"), str::to_owned);
    let file_name = file.file_name().and_then(|n| n.to_str());
    let submission = Submission {
        media,
        text: &text,
        file_name,
        submitted_by: &submitted_by,
    };
    let (id, preview) = lab::submit(&client, submission, &stations)
        .await
        .map_err(describe)?;
    print!("{}", render(&preview));
    println!(
        "submitted as batch {id} by {submitted_by}: pending until another person publishes it \
         (envmon lab publish {id} --as NAME)"
    );
    Ok(())
}

/// `envmon lab publish ID --as NAME`.
pub(crate) async fn publish(settings: &Settings, id: i64, approver: &str) -> anyhow::Result<()> {
    let mut client = settings
        .database
        .open_session("publishing laboratory results")
        .await?;
    let stations = load_stations(&client).await?;
    let tx = client.transaction().await?;
    let published = lab::publish(&tx, id, approver, &stations)
        .await
        .map_err(describe)?;
    tx.commit().await?;
    println!(
        "published batch {id}: {} sample(s) at {} site(s), {} result(s) revised, {} sample(s) failing",
        published.samples,
        published.stations.len(),
        published.revised_results,
        published.failing_samples
    );
    Ok(())
}

/// `envmon lab reject ID --as NAME --reason TEXT`.
pub(crate) async fn reject(
    settings: &Settings,
    id: i64,
    approver: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let client = settings
        .database
        .open_session("rejecting laboratory results")
        .await?;
    lab::reject(&client, id, approver, reason)
        .await
        .map_err(describe)?;
    println!("rejected batch {id}");
    Ok(())
}

/// `envmon lab list`.
pub(crate) async fn list(settings: &Settings) -> anyhow::Result<()> {
    let client = settings
        .database
        .open_session("listing laboratory batches")
        .await?;
    println!("id\tstate\tsamples\tresults\tsubmitted_by\tdecided_by\tfile\tsha256");
    for b in lab::batches(&client, 50).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            b.id,
            b.state,
            b.samples,
            b.results,
            b.submitted_by,
            b.decided_by.unwrap_or_default(),
            b.file_name.unwrap_or_default(),
            b.body_sha256
        );
    }
    Ok(())
}

/// `envmon lab example --quarter 2026-Q3`.
pub(crate) fn example(quarter: &str, seed: u64) -> anyhow::Result<()> {
    let period: envmon_core::stats::ReportPeriod = quarter.parse()?;
    let envmon_core::stats::ReportPeriod::Quarter { year, quarter } = period else {
        bail!("--quarter takes a quarter such as 2026-Q3, not a month");
    };
    let stations = envmon_core::registry::parse_registry(envmon_core::registry::SHANGHAI_REGISTRY)?;
    print!(
        "{}",
        envmon_simulator::lab::quarter_csv(&stations, year, quarter, seed)
    );
    Ok(())
}

fn describe(error: LabError) -> anyhow::Error {
    match error {
        LabError::Problems(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            anyhow::anyhow!("{} problem(s); nothing was imported", problems.len())
        }
        other => anyhow::Error::new(other),
    }
}

/// The preview as people read it: the totals, then each sample that is new
/// or changes, with what changes and what fails.
fn render(preview: &Preview) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} sample(s), {} result(s): {} new, {} revised, {} unchanged; {} failing",
        preview.samples,
        preview.results,
        preview.new_samples,
        preview.revised_samples,
        preview.unchanged_samples,
        preview.failing_samples
    );
    let _ = writeln!(out, "sha256 {}", preview.body_sha256);
    for s in &preview.sample_previews {
        let verdict = match s.compliant {
            Some(true) => "compliant".to_owned(),
            Some(false) => format!("FAILS {}", s.failing.join(", ")),
            None => "not judged".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<9} {:<22} {:<28} {}  {} result(s)  {verdict}",
            s.status, s.site, s.sample_id, s.sampled_at, s.results
        );
        for change in &s.changes {
            let _ = writeln!(
                out,
                "          {}: {} -> {}",
                change.item, change.before, change.after
            );
        }
    }
    out
}
