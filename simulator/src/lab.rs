//! A quarter of laboratory results as Shanghai's laboratories send them:
//! format version 1 CSV (see `envmon_core::lab`), for staff imports, demos
//! and tests of the laboratory pipeline.
//!
//! Every drinking-water source is sampled monthly for GB 3838-2002 Table 1,
//! Table 2 and a few Table 3 volatile organics, every plant outlet monthly for GB 5749-2022 Table 1 and free
//! chlorine, every network point monthly for the items health authorities
//! test in the network. Levels are typical of the Yangtze-estuary and Taipu
//! reservoirs and of treated Shanghai water: trace metals mostly below the
//! detection limits of the usual methods, microbiology 未检出. Exactly one
//! result of the quarter fails (a network point's free chlorine residual),
//! so a report always has something to say. Deterministic for a seed.

use std::fmt::Write as _;

use envmon_core::lab::COLUMNS;
use envmon_core::{Station, StationKind};

use crate::rng::{Rng, hash};

/// Laboratory of the surface-water monitoring network.
const ENVIRONMENT_LAB: &str = "上海市环境监测中心";
/// Laboratory of the public supply.
const SUPPLY_LAB: &str = "上海市供水水质监测中心";

/// The failing result: free chlorine at a network point, below the
/// GB 5749-2022 Table 2 residual minimum of 0.05 mg/L, as happens at the
/// far end of a long main in summer.
const FAILING_FREE_CHLORINE_MG_L: &str = "0.03";

/// One result line: item code, value as the laboratory writes it, unit,
/// method (empty when none is cited).
struct Line {
    item: &'static str,
    value: String,
    unit: &'static str,
    method: &'static str,
}

fn line(item: &'static str, value: String, unit: &'static str, method: &'static str) -> Line {
    Line {
        item,
        value,
        unit,
        method,
    }
}

/// A quarter's results for every source, plant and tap in `stations`, as
/// one format-1 CSV (CRLF line ends, as spreadsheets save them).
/// `quarter` is 1–4; other values are clamped into that range.
pub fn quarter_csv(stations: &[Station], year: i32, quarter: u32, seed: u64) -> String {
    let quarter = quarter.clamp(1, 4);
    let mut taps: Vec<&Station> = stations
        .iter()
        .filter(|s| s.kind == StationKind::Tap)
        .collect();
    taps.sort_by(|a, b| a.code.cmp(&b.code));
    let mut pick = Rng::new(seed ^ 0x1AB5);
    let failing_tap = (!taps.is_empty()).then(|| {
        taps[(pick.next_u64() % taps.len() as u64) as usize]
            .code
            .as_str()
    });
    let failing_month = pick.next_u64() % 3;

    let mut out = String::new();
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for offset in 0..3 {
        let month = (quarter - 1) * 3 + 1 + offset;
        for kind in [StationKind::Source, StationKind::Plant, StationKind::Tap] {
            for station in stations.iter().filter(|s| s.kind == kind) {
                let code = station.code.as_str();
                let mut rng = Rng::new(seed ^ hash(code) ^ (u64::from(month) << 40));
                let fails = failing_tap == Some(code) && u64::from(offset) == failing_month;
                let (day, laboratory, lines) = match kind {
                    StationKind::Source => (5, ENVIRONMENT_LAB, source(month, &mut rng)),
                    StationKind::Plant => (10, SUPPLY_LAB, plant(&mut rng)),
                    _ => (15, SUPPLY_LAB, tap(month, fails, &mut rng)),
                };
                let day = day + rng.next_u64() % 8;
                let minute = 30 * (rng.next_u64() % 12);
                let sampled_at = format!(
                    "{year}-{month:02}-{day:02} {:02}:{:02}",
                    9 + minute / 60,
                    minute % 60
                );
                let sample_id = format!("{year}Q{quarter}-{code}-{month:02}");
                for l in lines {
                    let fields = [
                        code,
                        &sampled_at,
                        l.item,
                        &l.value,
                        l.unit,
                        l.method,
                        laboratory,
                        &sample_id,
                    ];
                    let row: Vec<String> = fields.iter().map(|f| escape(f)).collect();
                    let _ = write!(out, "{}\r\n", row.join(","));
                }
            }
        }
    }
    out
}

/// RFC 4180 quoting, only where a field needs it.
fn escape(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// `centre` varied by `relative` (one standard deviation), kept within
/// `[low, high]` and written with `decimals` digits.
fn level(
    rng: &mut Rng,
    centre: f64,
    relative: f64,
    low: f64,
    high: f64,
    decimals: usize,
) -> String {
    let v = (centre * (1.0 + relative * rng.normal())).clamp(low, high);
    format!("{v:.decimals$}")
}

/// How winter the month is: 1 in January, −1 in July.
fn winterness(month: u32) -> f64 {
    (std::f64::consts::TAU * (f64::from(month) - 1.0) / 12.0).cos()
}

/// GB 3838-2002 Table 1 and Table 2 at a reservoir on the Yangtze estuary
/// or the upper Huangpu: class II–III water, salt tides raising chloride in
/// the dry season, trace metals below the detection limits of the AFS and
/// ICP-MS methods (HJ 694-2014, HJ 700-2014).
fn source(month: u32, rng: &mut Rng) -> Vec<Line> {
    const MG_L: &str = "mg/L";
    let winter = winterness(month);
    let temp = 18.5 - 10.5 * winter;
    let do_mg_l = (14.6 - 0.39 * temp + 0.0072 * temp * temp) * 0.9;
    let dry = winter.max(0.0);
    vec![
        line(
            "temp",
            level(rng, temp, 0.03, 3.0, 32.0, 1),
            "Cel",
            "GB 13195-1991",
        ),
        line(
            "ph",
            level(rng, 7.7, 0.02, 7.2, 8.3, 2),
            "1",
            "HJ 1147-2020",
        ),
        line(
            "do",
            level(rng, do_mg_l, 0.05, 6.2, 12.0, 1),
            MG_L,
            "GB 7489-1987",
        ),
        line(
            "codmn",
            level(rng, 2.6, 0.1, 1.8, 3.6, 1),
            MG_L,
            "GB 11892-1989",
        ),
        line(
            "cod",
            level(rng, 10.0, 0.12, 6.0, 14.0, 0),
            MG_L,
            "HJ 828-2017",
        ),
        line(
            "bod5",
            level(rng, 1.6, 0.2, 0.8, 2.6, 1),
            MG_L,
            "HJ 505-2009",
        ),
        line(
            "nh3n",
            level(rng, 0.12, 0.25, 0.05, 0.3, 3),
            MG_L,
            "HJ 535-2009",
        ),
        line(
            "tp",
            level(rng, 0.02, 0.15, 0.012, 0.045, 3),
            MG_L,
            "GB 11893-1989",
        ),
        line("tn", level(rng, 1.3, 0.1, 0.9, 1.8, 2), MG_L, "HJ 636-2012"),
        line(
            "cu",
            level(rng, 0.0025, 0.2, 0.001, 0.006, 4),
            MG_L,
            "HJ 700-2014",
        ),
        line("zn", "<0.05".to_owned(), MG_L, ""),
        line(
            "fluoride",
            level(rng, 0.42, 0.1, 0.25, 0.6, 2),
            MG_L,
            "HJ 84-2016",
        ),
        line("se", "<0.0004".to_owned(), MG_L, "HJ 694-2014"),
        line(
            "as",
            level(rng, 0.0015, 0.2, 0.0006, 0.003, 4),
            MG_L,
            "HJ 694-2014",
        ),
        // Mercury is reported in µg/L, as the AFS method gives it.
        line("hg", "<0.04".to_owned(), "µg/L", "HJ 694-2014"),
        line("cd", "<0.00005".to_owned(), MG_L, "HJ 700-2014"),
        line("cr6", "<0.004".to_owned(), MG_L, "GB 7467-1987"),
        line("pb", "<0.00009".to_owned(), MG_L, "HJ 700-2014"),
        line("cyanide", "<0.004".to_owned(), MG_L, "HJ 484-2009"),
        line("volatile_phenol", "<0.0003".to_owned(), MG_L, "HJ 503-2009"),
        line("petroleum", "<0.01".to_owned(), MG_L, "HJ 970-2018"),
        line("las", "<0.05".to_owned(), MG_L, "GB 7494-1987"),
        line("sulfide", "<0.005".to_owned(), MG_L, ""),
        line(
            "fecal_coliform",
            level(rng, 230.0, 0.5, 20.0, 1600.0, 0),
            "/L",
            "HJ 347.2-2018",
        ),
        line(
            "sulfate",
            level(rng, 45.0 + 15.0 * dry, 0.1, 25.0, 90.0, 1),
            MG_L,
            "HJ 84-2016",
        ),
        line(
            "chloride",
            level(rng, 30.0 + 60.0 * dry, 0.2, 15.0, 180.0, 1),
            MG_L,
            "HJ 84-2016",
        ),
        line(
            "nitrate",
            level(rng, 1.4 + 0.4 * dry, 0.1, 0.6, 2.6, 2),
            MG_L,
            "HJ 84-2016",
        ),
        line(
            "fe",
            level(rng, 0.08, 0.3, 0.03, 0.2, 2),
            MG_L,
            "GB 11911-1989",
        ),
        line(
            "mn",
            level(rng, 0.03, 0.3, 0.01, 0.07, 3),
            MG_L,
            "GB 11911-1989",
        ),
        // A selection of Table 3's specific items, volatile organics by
        // purge and trap GC-MS, none found above the method's detection limit.
        line("chloroform", "<0.0014".to_owned(), MG_L, "HJ 639-2012"),
        line(
            "carbon_tetrachloride",
            "<0.0015".to_owned(),
            MG_L,
            "HJ 639-2012",
        ),
        line("benzene", "<0.0014".to_owned(), MG_L, "HJ 639-2012"),
        line("toluene", "<0.0014".to_owned(), MG_L, "HJ 639-2012"),
    ]
}

/// GB 5749-2022 Table 1 and free chlorine at a plant's outlet: treated,
/// chlorinated water, microbiology 未检出, sensory 无, metals below the
/// detection limits of GB/T 5750.6.
fn plant(rng: &mut Rng) -> Vec<Line> {
    const MG_L: &str = "mg/L";
    const MICRO: &str = "GB/T 5750.12-2023";
    const SENSORY: &str = "GB/T 5750.4-2023";
    const NON_METAL: &str = "GB/T 5750.5-2023";
    const METAL: &str = "GB/T 5750.6-2023";
    const BY_PRODUCT: &str = "GB/T 5750.10-2023";
    let chloroform: f64 = 0.012 * (1.0 + 0.25 * rng.normal()).clamp(0.5, 1.6);
    let dbcm: f64 = 0.003 * (1.0 + 0.25 * rng.normal()).clamp(0.5, 1.6);
    let bdcm: f64 = 0.006 * (1.0 + 0.25 * rng.normal()).clamp(0.5, 1.6);
    // Table 1 row 16: each trihalomethane over its own limit, summed
    // (bromoform is below detection and adds nothing known).
    let thm = chloroform / 0.06 + dbcm / 0.1 + bdcm / 0.06;
    vec![
        line("total_coliforms", "未检出".to_owned(), "MPN/100mL", MICRO),
        line("e_coli", "未检出".to_owned(), "MPN/100mL", MICRO),
        line(
            "total_bacteria",
            level(rng, 3.0, 0.5, 1.0, 12.0, 0),
            "CFU/mL",
            MICRO,
        ),
        line("arsenic", "<0.001".to_owned(), MG_L, METAL),
        line("cadmium", "<0.0005".to_owned(), MG_L, METAL),
        line("chromium_vi", "<0.004".to_owned(), MG_L, METAL),
        line("lead", "<0.0025".to_owned(), MG_L, METAL),
        line("mercury", "<0.0001".to_owned(), MG_L, METAL),
        line("cyanide", "<0.002".to_owned(), MG_L, NON_METAL),
        line(
            "fluoride",
            level(rng, 0.38, 0.1, 0.2, 0.6, 2),
            MG_L,
            NON_METAL,
        ),
        line(
            "nitrate_n",
            level(rng, 1.4, 0.15, 0.6, 2.5, 2),
            MG_L,
            NON_METAL,
        ),
        line("chloroform", format!("{chloroform:.4}"), MG_L, BY_PRODUCT),
        line(
            "dibromochloromethane",
            format!("{dbcm:.4}"),
            MG_L,
            BY_PRODUCT,
        ),
        line(
            "bromodichloromethane",
            format!("{bdcm:.4}"),
            MG_L,
            BY_PRODUCT,
        ),
        line("bromoform", "<0.001".to_owned(), MG_L, BY_PRODUCT),
        line("trihalomethanes", format!("{thm:.2}"), "1", ""),
        line(
            "dichloroacetic_acid",
            level(rng, 0.006, 0.25, 0.002, 0.015, 4),
            MG_L,
            BY_PRODUCT,
        ),
        line(
            "trichloroacetic_acid",
            level(rng, 0.005, 0.25, 0.002, 0.015, 4),
            MG_L,
            BY_PRODUCT,
        ),
        line("bromate", "<0.005".to_owned(), MG_L, BY_PRODUCT),
        line(
            "chlorate",
            level(rng, 0.05, 0.3, 0.01, 0.2, 3),
            MG_L,
            BY_PRODUCT,
        ),
        line("colour", "<5".to_owned(), "PtCo", SENSORY),
        line(
            "turbidity",
            level(rng, 0.12, 0.2, 0.05, 0.3, 2),
            "NTU",
            SENSORY,
        ),
        line("odour_taste", "无".to_owned(), "1", SENSORY),
        line("visible_matter", "无".to_owned(), "1", SENSORY),
        line("ph", level(rng, 7.3, 0.02, 6.9, 7.8, 2), "1", SENSORY),
        line(
            "aluminium",
            level(rng, 0.05, 0.3, 0.01, 0.12, 3),
            MG_L,
            METAL,
        ),
        line("iron", "<0.05".to_owned(), MG_L, METAL),
        line("manganese", "<0.01".to_owned(), MG_L, METAL),
        line("copper", "<0.05".to_owned(), MG_L, METAL),
        line("zinc", "<0.05".to_owned(), MG_L, METAL),
        line(
            "chloride",
            level(rng, 38.0, 0.2, 15.0, 120.0, 1),
            MG_L,
            NON_METAL,
        ),
        line(
            "sulfate",
            level(rng, 48.0, 0.12, 25.0, 90.0, 1),
            MG_L,
            NON_METAL,
        ),
        line(
            "total_dissolved_solids",
            level(rng, 220.0, 0.1, 150.0, 350.0, 0),
            MG_L,
            SENSORY,
        ),
        line(
            "total_hardness",
            level(rng, 120.0, 0.08, 80.0, 170.0, 0),
            MG_L,
            SENSORY,
        ),
        line(
            "permanganate_index",
            level(rng, 1.5, 0.12, 0.9, 2.4, 2),
            MG_L,
            "GB/T 5750.7-2023",
        ),
        line("ammonia_n", "<0.02".to_owned(), MG_L, NON_METAL),
        line(
            "gross_alpha",
            level(rng, 0.03, 0.3, 0.01, 0.1, 3),
            "Bq/L",
            "GB/T 5750.13-2023",
        ),
        line(
            "gross_beta",
            level(rng, 0.12, 0.2, 0.05, 0.3, 2),
            "Bq/L",
            "GB/T 5750.13-2023",
        ),
        line(
            "free_chlorine",
            level(rng, 0.75, 0.12, 0.5, 1.2, 2),
            MG_L,
            "GB/T 5750.11-2023",
        ),
    ]
}

/// The network items: microbiology, sensory, pH, permanganate index and
/// the chlorine residual that protects the network, with iron, ammonia and
/// chloroform. Chlorine decays on the way, faster in warm water. `fails`
/// gives this sample the quarter's one failing residual.
fn tap(month: u32, fails: bool, rng: &mut Rng) -> Vec<Line> {
    const MG_L: &str = "mg/L";
    const MICRO: &str = "GB/T 5750.12-2023";
    const SENSORY: &str = "GB/T 5750.4-2023";
    let residual = 0.35 + 0.1 * winterness(month);
    let free_chlorine = if fails {
        FAILING_FREE_CHLORINE_MG_L.to_owned()
    } else {
        level(rng, residual, 0.2, 0.12, 0.6, 2)
    };
    vec![
        line("total_coliforms", "未检出".to_owned(), "MPN/100mL", MICRO),
        line("e_coli", "未检出".to_owned(), "MPN/100mL", MICRO),
        line(
            "total_bacteria",
            level(rng, 6.0, 0.5, 1.0, 30.0, 0),
            "CFU/mL",
            MICRO,
        ),
        line("colour", "<5".to_owned(), "PtCo", SENSORY),
        line(
            "turbidity",
            level(rng, 0.22, 0.25, 0.08, 0.6, 2),
            "NTU",
            SENSORY,
        ),
        line("odour_taste", "无".to_owned(), "1", SENSORY),
        line("visible_matter", "无".to_owned(), "1", SENSORY),
        line("ph", level(rng, 7.3, 0.02, 6.9, 7.8, 2), "1", SENSORY),
        line(
            "permanganate_index",
            level(rng, 1.6, 0.12, 0.9, 2.5, 2),
            MG_L,
            "GB/T 5750.7-2023",
        ),
        line("free_chlorine", free_chlorine, MG_L, "GB/T 5750.11-2023"),
        line(
            "iron",
            level(rng, 0.06, 0.4, 0.02, 0.2, 2),
            MG_L,
            "GB/T 5750.6-2023",
        ),
        line("ammonia_n", "<0.02".to_owned(), MG_L, "GB/T 5750.5-2023"),
        line(
            "chloroform",
            level(rng, 0.014, 0.25, 0.005, 0.03, 4),
            MG_L,
            "GB/T 5750.10-2023",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use envmon_core::lab::{judge_sample, parse_csv};
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    use super::*;

    fn shanghai() -> Vec<Station> {
        parse_registry(SHANGHAI_REGISTRY).unwrap()
    }

    #[test]
    fn a_quarter_parses_cleanly_covers_every_supply_site_and_has_one_failure() {
        let stations = shanghai();
        let csv = quarter_csv(&stations, 2026, 3, 7);
        let samples = parse_csv(&csv, &stations).unwrap();
        for (kind, sites) in [
            (StationKind::Source, 4),
            (StationKind::Plant, 5),
            (StationKind::Tap, 20),
        ] {
            let of_kind: Vec<_> = samples.iter().filter(|s| s.kind == kind).collect();
            assert_eq!(of_kind.len(), sites * 3, "{kind}");
            for station in stations.iter().filter(|s| s.kind == kind) {
                assert_eq!(of_kind.iter().filter(|s| s.site == station.code).count(), 3);
            }
        }
        assert!(
            samples
                .iter()
                .any(|s| s.sample_id == "2026Q3-plant-yangshupu-07")
        );
        let failing: Vec<_> = samples
            .iter()
            .filter(|s| {
                let station = stations.iter().find(|st| st.code == s.site).unwrap();
                judge_sample(s, station).compliant() == Some(false)
            })
            .collect();
        assert_eq!(failing.len(), 1);
        assert_eq!(failing[0].kind, StationKind::Tap);
    }

    #[test]
    fn every_sample_is_judged_and_only_one_fails_whatever_the_seed_and_quarter() {
        let stations = shanghai();
        for seed in 0..12 {
            for quarter in 1..=4 {
                let samples = parse_csv(&quarter_csv(&stations, 2025, quarter, seed), &stations)
                    .unwrap_or_else(|p| {
                        panic!("seed {seed} Q{quarter}: {:?}", &p[..3.min(p.len())])
                    });
                let verdicts: Vec<Option<bool>> = samples
                    .iter()
                    .map(|s| {
                        let station = stations.iter().find(|st| st.code == s.site).unwrap();
                        judge_sample(s, station).compliant()
                    })
                    .collect();
                assert!(
                    verdicts.iter().all(Option::is_some),
                    "seed {seed} Q{quarter}"
                );
                let failing = verdicts.iter().filter(|v| **v == Some(false)).count();
                assert_eq!(failing, 1, "seed {seed} Q{quarter}");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_quarter() {
        let stations = shanghai();
        assert_eq!(
            quarter_csv(&stations, 2026, 1, 3),
            quarter_csv(&stations, 2026, 1, 3)
        );
        assert_ne!(
            quarter_csv(&stations, 2026, 1, 3),
            quarter_csv(&stations, 2026, 1, 4)
        );
    }
}
