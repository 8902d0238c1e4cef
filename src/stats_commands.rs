//! `envmon stats`: period statistics from the stored daily aggregates, for a bureau's bulletin
//! or a newsroom's question, printed as a table or JSON.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::{Months, NaiveDate};
use envmon::settings::Settings;
use envmon_core::db::period::{area_days, load_area, station_days};
use envmon_core::stats::{
    AirPeriod, AreaClass, CompositeIndex, air_period, air_report, change_percent, change_points,
};

/// `envmon stats rebuild-areas`.
pub(crate) async fn rebuild_areas(
    settings: &Settings,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<()> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let mut client = settings.database.open_session("rebuilding areas").await?;
    let pairs = envmon_ingest::rebuild_area_days(&mut client, from, to)
        .await
        .context("recomputing the areas' days")?;
    println!("recomputed the areas' days {from} to {to} from {pairs} station-days");
    Ok(())
}

/// `envmon stats air`.
pub(crate) async fn air(
    settings: &Settings,
    from: NaiveDate,
    to: NaiveDate,
    area: &str,
    station: Option<&str>,
    as_json: bool,
) -> anyhow::Result<()> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let (Some(last_from), Some(last_to)) = (year_before(from), year_before(to)) else {
        bail!("the period is too early to compare with a year before");
    };
    let pool = settings.database.pool()?;
    let client = pool.get().await.context("connecting to PostgreSQL")?;
    let (name, class, this, last) = match station {
        Some(code) => (
            code.to_owned(),
            AreaClass::Two,
            station_days(&**client, code, from, to).await?,
            station_days(&**client, code, last_from, last_to).await?,
        ),
        None => {
            let Some(area) = load_area(&**client, area).await? else {
                bail!("there is no area {area:?}; `envmon stations import` loads the registry's");
            };
            (
                area.id.clone(),
                area.class,
                area_days(&**client, &area, from, to).await?,
                area_days(&**client, &area, last_from, last_to).await?,
            )
        }
    };
    let last = air_period(last_from, last_to, class, &last);
    let report = air_report(&name, air_period(from, to, class, &this), &last);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!(
            "{}",
            table(
                &name,
                &report.period,
                &last,
                report.composite_index.as_ref()
            )
        );
    }
    Ok(())
}

/// The same days a year earlier (29 February becomes the 28th).
fn year_before(day: NaiveDate) -> Option<NaiveDate> {
    day.checked_sub_months(Months::new(12))
}

fn table(
    name: &str,
    this: &AirPeriod,
    last: &AirPeriod,
    composite: Option<&CompositeIndex>,
) -> String {
    let mut out = String::new();
    let percent = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1} %", r * 100.0));
    let _ = writeln!(
        out,
        "{name}, {} to {} ({} days; the year before: {} to {})",
        this.from, this.to, this.days, last.from, last.to
    );
    let _ = writeln!(
        out,
        "valid days {}, good days (AQI <= 100) {}, good-day ratio {} (year before {}, {} points)",
        this.valid_days,
        this.good_days,
        percent(this.good_day_ratio),
        percent(last.good_day_ratio),
        signed(change_points(this.good_day_ratio, last.good_day_ratio)),
    );
    let levels: Vec<String> = ["I", "II", "III", "IV", "V", "VI"]
        .iter()
        .zip(this.level_days)
        .map(|(level, days)| format!("{level} {days}"))
        .collect();
    let _ = writeln!(out, "days per level: {}", levels.join(", "));
    let _ = writeln!(
        out,
        "exceedance days (AQI > 100) {}, heavy-pollution days (AQI > 200) {}",
        this.exceedance_days, this.heavy_pollution_days
    );
    let primary: Vec<String> = this
        .primary_days
        .iter()
        .map(|p| format!("{} {}", p.pollutant.code(), p.days))
        .collect();
    let _ = writeln!(
        out,
        "days as primary pollutant: {}",
        if primary.is_empty() {
            "none".to_owned()
        } else {
            primary.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{:<6} {:<8} {:>7} {:>5} {:>6} {:>6} {:>8} {:>10}",
        "item", "stat", "value", "days", "valid", "limit", "attains", "year-on-year"
    );
    for (now, before) in this.pollutants.iter().zip(&last.pollutants) {
        let statistic = match now.statistic {
            envmon_core::stats::PeriodStatistic::Mean => "mean",
            envmon_core::stats::PeriodStatistic::Percentile95 => "p95",
            envmon_core::stats::PeriodStatistic::Percentile90 => "p90 8h",
        };
        let change = change_percent(
            now.value.filter(|_| now.valid),
            before.value.filter(|_| before.valid),
        );
        let _ = writeln!(
            out,
            "{:<6} {:<8} {:>7} {:>5} {:>6} {:>6} {:>8} {:>10}",
            now.pollutant.code(),
            statistic,
            now.value.map_or("-".to_owned(), |v| v.to_string()),
            now.days,
            if now.valid { "yes" } else { "no" },
            now.limit.map_or("-".to_owned(), |v| v.to_string()),
            now.attains.map_or("-", |a| if a { "yes" } else { "no" }),
            change.map_or("-".to_owned(), |c| format!("{} %", signed(Some(c)))),
        );
    }
    match composite {
        Some(index) => {
            let _ = writeln!(
                out,
                "composite index {:.2} (weighs most: {})",
                index.value,
                index.largest.code()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "composite index: - (needs all six statistics valid, from 2026-03-01)"
            );
        }
    }
    out
}

fn signed(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{v:+.1}"))
}
