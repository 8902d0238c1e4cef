//! `envmon stats water`: surface water over whole months, from the stored per-record
//! assessments, printed as a table or JSON.
//!
//! Months are given as `YYYY-MM` (Beijing calendar). The figures cover whole months only
//! (a month's class is its mean's), so a date is refused rather than silently widened.
//! With `--station` only that site is shown and the city figures are left out: one site is
//! not the city.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use envmon::settings::Settings;
use envmon_core::db::water_period::load_water_sites;
use envmon_core::station::StationKind;
use envmon_core::stats::water_period::{
    CalendarMonth, CityFigures, ItemCount, SitePeriod, SourcePeriod, Verdict, WaterPeriod,
    water_period,
};
use envmon_core::water::WaterClass;

/// `envmon stats water`.
pub(crate) async fn water(
    settings: &Settings,
    from: CalendarMonth,
    to: CalendarMonth,
    station: Option<&str>,
    as_json: bool,
) -> anyhow::Result<()> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let pool = settings.database.pool()?;
    let client = pool.get().await.context("connecting to PostgreSQL")?;
    let sites = load_water_sites(&**client, station, from, to).await?;
    if let (Some(code), true) = (station, sites.is_empty()) {
        bail!("there is no river section or drinking-water source {code:?} in the registry");
    }
    let period = water_period(from, to, &sites);
    if as_json {
        let mut value = serde_json::to_value(&period)?;
        if let (Some(_), Some(object)) = (station, value.as_object_mut()) {
            for key in ["city_months", "city", "sources"] {
                object.remove(key);
            }
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", table(&period, station.is_none()));
    }
    Ok(())
}

fn table(period: &WaterPeriod, with_city: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Surface water, {} to {} ({} months): GB 3838-2002 class of each month's mean \
         (with the determining items), - for a month without records",
        period.from, period.to, period.months
    );
    let _ = write!(out, "{:<22} {:<6} {:<6}", "station", "kind", "target");
    if let Some(site) = period.stations.first() {
        for month in &site.months {
            let _ = write!(out, " {:<16}", month.month.to_string());
        }
    }
    let _ = writeln!(out, " {:<16} target met", "period");
    for site in &period.stations {
        let _ = writeln!(out, "{}", site_line(site));
    }
    if with_city {
        city_lines(&mut out, period);
    }
    let sources: Vec<&SitePeriod> = period
        .stations
        .iter()
        .filter(|s| s.kind == StationKind::Source)
        .collect();
    if !sources.is_empty() {
        let _ = writeln!(
            out,
            "Drinking-water sources against class III (second-level zone) and Table 2:"
        );
        for site in sources {
            if let Some(source) = &site.source {
                let _ = writeln!(out, "{}", source_line(&site.station, source));
            }
        }
        if with_city {
            let _ = writeln!(out, "{}", source_line("all sources", &period.sources));
        }
    }
    out
}

fn site_line(site: &SitePeriod) -> String {
    let mut line = format!(
        "{:<22} {:<6} {:<6}",
        site.station,
        site.kind.as_str(),
        site.target.roman()
    );
    for month in &site.months {
        let _ = write!(line, " {:<16}", class_cell(&month.verdict));
    }
    let _ = write!(
        line,
        " {:<16} {} of {} months{}",
        class_cell(&site.period),
        site.months_meeting_target,
        site.months_assessed,
        percent_suffix(site.month_attainment_share)
    );
    line
}

fn city_lines(out: &mut String, period: &WaterPeriod) {
    let _ = writeln!(
        out,
        "River sections of the city (shares of the sections with a class):"
    );
    let labels: String = WaterClass::ALL
        .iter()
        .map(|c| format!("{:>4}", c.roman()))
        .collect();
    let _ = writeln!(
        out,
        "{:<17} {:>8} {:>8} {labels} {:>7} {:>7} {:>10}  main pollutants (sections over target)",
        "months", "sections", "assessed", "I-III", "劣V", "attainment"
    );
    for figures in period.city_months.iter().chain([&period.city]) {
        let _ = writeln!(out, "{}", city_line(figures));
    }
}

fn city_line(c: &CityFigures) -> String {
    let months = if c.from == c.to {
        c.from.to_string()
    } else {
        format!("{}..{}", c.from, c.to)
    };
    let counts: String = c.class_counts.iter().map(|n| format!("{n:>4}")).collect();
    format!(
        "{months:<17} {:>8} {:>8} {counts} {:>7} {:>7} {:>10}  {}",
        c.sections,
        c.sections_assessed,
        percent(c.good_share),
        percent(c.worse_than_v_share),
        percent(c.attainment_rate),
        counts_text(&c.main_pollutants)
    )
}

fn source_line(name: &str, s: &SourcePeriod) -> String {
    format!(
        "{name:<22} samples compliant {} of {}{}; months compliant {} of {}{}; \
         failed samples: {}; failed months: {}",
        s.samples_compliant,
        s.samples_assessed,
        percent_suffix(s.sample_compliance_share),
        s.months_compliant,
        s.months_assessed,
        percent_suffix(s.month_compliance_share),
        counts_text(&s.failed_samples),
        counts_text(&s.failed_months)
    )
}

/// `IV nh3n,tp`, or `-` without a class.
fn class_cell(verdict: &Verdict) -> String {
    match verdict.class {
        None => "-".to_owned(),
        Some(class) => {
            let items: Vec<&str> = verdict.determining.iter().map(|i| i.code()).collect();
            format!("{} {}", class.roman(), items.join(","))
        }
    }
}

fn counts_text(counts: &[ItemCount]) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    let each: Vec<String> = counts
        .iter()
        .map(|c| format!("{} {}", c.item.code(), c.count))
        .collect();
    each.join(", ")
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

fn percent_suffix(share: Option<f64>) -> String {
    share.map_or(String::new(), |s| format!(" ({:.1} %)", s * 100.0))
}
