//! Drawing time per chart kind, range, size and format, over made-up data
//! shaped like a station's (no database, no HTTP): the cost a cache miss
//! adds to the data query.

use std::path::Path;
use std::time::{Duration, Instant};

use envmon_publisher::chart_bench::{SampleChart, SampleRenderer};

/// Each case is drawn this many times at most...
const MAX_DRAWS: usize = 200;
/// ...or for this long, after a few unmeasured draws.
const BUDGET: Duration = Duration::from_millis(600);
const WARM_UP: usize = 3;

/// The sizes drawn: the default and a large one.
const SIZES: [(u32, u32); 2] = [(800, 400), (1600, 800)];

/// One measured case.
#[derive(Debug)]
pub(super) struct RenderFigure {
    chart: SampleChart,
    range: &'static str,
    size: (u32, u32),
    format: &'static str,
    bytes: usize,
    draws: usize,
    median: Duration,
    p95: Duration,
}

fn cases() -> Vec<(SampleChart, &'static str)> {
    let mut cases: Vec<(SampleChart, &'static str)> = ["24h", "7d", "30d"]
        .into_iter()
        .map(|range| (SampleChart::Parameter, range))
        .collect();
    cases.push((SampleChart::AqiBars, "7d"));
    cases.push((SampleChart::AqiBars, "30d"));
    cases.push((SampleChart::Compare, "7d"));
    cases
}

/// Times every case (blocking: drawing is CPU work).
pub(super) fn run(font: Option<&str>) -> anyhow::Result<Vec<RenderFigure>> {
    let renderer = SampleRenderer::new(font.map(Path::new));
    if !renderer.has_font() {
        println!("No CJK font found: PNG cases are skipped (install fonts-noto-cjk).");
    }
    let mut figures = Vec::new();
    for (chart, range) in cases() {
        for size in SIZES {
            for format in ["svg", "png"] {
                if format == "png" && !renderer.has_font() {
                    continue;
                }
                let png = format == "png";
                let mut bytes = 0;
                for _ in 0..WARM_UP {
                    bytes = renderer
                        .render(chart, png, range, size)
                        .map_err(anyhow::Error::msg)?;
                }
                let mut times = Vec::with_capacity(MAX_DRAWS);
                let started = Instant::now();
                while times.len() < MAX_DRAWS && started.elapsed() < BUDGET {
                    let t = Instant::now();
                    renderer
                        .render(chart, png, range, size)
                        .map_err(anyhow::Error::msg)?;
                    times.push(t.elapsed());
                }
                times.sort_unstable();
                figures.push(RenderFigure {
                    chart,
                    range,
                    size,
                    format,
                    bytes,
                    draws: times.len(),
                    median: times[times.len() / 2],
                    p95: times[(times.len() * 95 / 100).min(times.len() - 1)],
                });
            }
        }
    }
    Ok(figures)
}

fn chart_name(chart: SampleChart) -> &'static str {
    match chart {
        SampleChart::Parameter => "station PM2.5 + bands",
        SampleChart::AqiBars => "station AQI bars",
        SampleChart::Compare => "4 stations compared",
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

pub(super) fn print(figures: &[RenderFigure]) {
    println!();
    println!("Drawing (no database, no HTTP), median and 95th percentile of each case:");
    println!();
    println!("| chart | range | size | format | median ms | p95 ms | bytes | draws |");
    println!("| --- | --- | --- | --- | ---: | ---: | ---: | ---: |");
    for f in figures {
        println!(
            "| {} | {} | {}×{} | {} | {} | {} | {} | {} |",
            chart_name(f.chart),
            f.range,
            f.size.0,
            f.size.1,
            f.format.to_uppercase(),
            ms(f.median),
            ms(f.p95),
            f.bytes,
            f.draws
        );
    }
}
