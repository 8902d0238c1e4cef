//! Drinking water over a period, from published laboratory samples: the
//! compliance rates health authorities and the bureau publish, for each
//! source, each plant's outlet (出厂水) and its network (管网水/末梢水), and the
//! city; per item; and every failing result.
//!
//! Rates follow [`crate::drinking::compliance`]: 水样合格率 counts samples
//! with a verdict, 指标合格率 counts results that passed or failed (not those
//! not judged or awaiting nuclide analysis); an empty group has no rate.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::ReportPeriod;
use crate::StationKind;
use crate::drinking::Rate;

/// A published laboratory sample as stored, with its site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSample {
    /// The site's station code.
    pub station: String,
    /// The site's kind: source, plant or tap (river sections may have samples too).
    pub kind: StationKind,
    /// A network point's plant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plant: Option<String>,
    /// The site's names and district.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// District in Chinese.
    pub district_zh: String,
    /// District in English.
    pub district_en: String,
    /// The laboratory's sample id.
    pub sample_id: String,
    /// When it was taken.
    pub sampled_at: DateTime<Utc>,
    /// Who tested it.
    pub laboratory: String,
    /// `GB 3838-2002` or `GB 5749-2022`.
    pub standard: String,
    /// The verdict; `None` when nothing in it could be judged.
    pub compliant: Option<bool>,
    /// 0, or how many times a correction changed it.
    pub revision: i32,
    /// When it (or its last correction) was published.
    pub published_at: DateTime<Utc>,
    /// The verdict with its explanations.
    pub verdict: Value,
    /// Its results.
    pub results: Vec<StoredResult>,
}

/// One stored result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResult {
    /// The item's code in its standard.
    pub item: String,
    /// The item's name in Chinese.
    pub name_zh: String,
    /// The item's name in English.
    pub name_en: String,
    /// measured, below_detection, not_detected, detected, none or present.
    pub qualifier: String,
    /// The number: the value, or the detection limit when below it.
    pub value: Option<f64>,
    /// As the laboratory wrote it, e.g. `<0.002`, `未检出`.
    pub value_text: String,
    /// The unit.
    pub unit: String,
    /// The analytical method, when given.
    pub method: String,
    /// pass, fail, not_judged or nuclide_analysis.
    pub outcome: String,
    /// The limit it was judged by, as text.
    pub limit_text: Option<String>,
    /// 0, or how many times a correction changed it.
    pub revision: i32,
}

/// Where in the supply chain a group of samples was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyStage {
    /// A drinking-water source (GB 3838-2002).
    Source,
    /// A plant's outlet, 出厂水 (GB 5749-2022).
    Outlet,
    /// The network, 管网水/末梢水 (GB 5749-2022).
    Network,
}

impl SupplyStage {
    fn of(kind: StationKind) -> Option<Self> {
        match kind {
            StationKind::Source => Some(Self::Source),
            StationKind::Plant => Some(Self::Outlet),
            StationKind::Tap => Some(Self::Network),
            StationKind::Air | StationKind::River | StationKind::Radiation => None,
        }
    }
}

/// 水样合格率 and 指标合格率 of a group of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GroupRates {
    /// Samples tested.
    pub samples_tested: usize,
    /// 水样合格率.
    pub samples: Rate,
    /// 指标合格率.
    pub results: Rate,
}

impl GroupRates {
    fn add(&mut self, sample: &StoredSample) {
        self.samples_tested += 1;
        if let Some(compliant) = sample.compliant {
            self.samples.count(compliant);
        }
        for result in &sample.results {
            match result.outcome.as_str() {
                "pass" => self.results.count(true),
                "fail" => self.results.count(false),
                _ => {}
            }
        }
    }
}

/// One site's rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteRates {
    /// The station code.
    pub station: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// The stage it belongs to.
    pub stage: SupplyStage,
    /// Its rates.
    pub rates: GroupRates,
}

/// A plant: its outlet and its network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlantRates {
    /// The plant's station code.
    pub plant: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// Its outlet's samples.
    pub outlet: GroupRates,
    /// Its network points' samples together.
    pub network: GroupRates,
    /// How many of its network points were sampled.
    pub network_points: usize,
}

/// One item's results at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRates {
    /// The stage.
    pub stage: SupplyStage,
    /// The item's code.
    pub item: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// Results judged and passing.
    pub rate: Rate,
    /// Results reported, judged or not.
    pub tested: usize,
}

/// A result that failed its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingResult {
    /// The stage.
    pub stage: SupplyStage,
    /// The site.
    pub station: String,
    /// The site's Chinese name.
    pub name_zh: String,
    /// The site's English name.
    pub name_en: String,
    /// The sample.
    pub sample_id: String,
    /// When it was taken.
    pub sampled_at: DateTime<Utc>,
    /// The result.
    pub result: StoredResult,
}

/// A period's drinking-water figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrinkingPeriod {
    /// The period.
    pub period: ReportPeriod,
    /// Every stage over the city.
    pub city: BTreeMap<SupplyStage, GroupRates>,
    /// Each source.
    pub sources: Vec<SiteRates>,
    /// Each plant, its outlet and its network.
    pub plants: Vec<PlantRates>,
    /// Each item at each stage.
    pub items: Vec<ItemRates>,
    /// Every failing result, in time order.
    pub failures: Vec<FailingResult>,
    /// The laboratories that tested the period's samples, by name.
    pub laboratories: Vec<String>,
}

/// The figures of `samples` (a period's published samples) over `period`.
/// `plants` names every plant (code, Chinese and English name) so a plant
/// without samples is listed too, with no rate.
pub fn drinking_period(
    period: ReportPeriod,
    samples: &[StoredSample],
    plants: &[(String, String, String)],
) -> DrinkingPeriod {
    let mut city: BTreeMap<SupplyStage, GroupRates> = BTreeMap::new();
    let mut sites: BTreeMap<String, SiteRates> = BTreeMap::new();
    let mut items: BTreeMap<(SupplyStage, String), ItemRates> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut laboratories = std::collections::BTreeSet::new();
    for sample in samples {
        let Some(stage) = SupplyStage::of(sample.kind) else {
            continue;
        };
        laboratories.insert(sample.laboratory.clone());
        city.entry(stage).or_default().add(sample);
        sites
            .entry(sample.station.clone())
            .or_insert_with(|| SiteRates {
                station: sample.station.clone(),
                name_zh: sample.name_zh.clone(),
                name_en: sample.name_en.clone(),
                stage,
                rates: GroupRates::default(),
            })
            .rates
            .add(sample);
        for result in &sample.results {
            let entry = items
                .entry((stage, result.item.clone()))
                .or_insert_with(|| ItemRates {
                    stage,
                    item: result.item.clone(),
                    name_zh: result.name_zh.clone(),
                    name_en: result.name_en.clone(),
                    rate: Rate::default(),
                    tested: 0,
                });
            entry.tested += 1;
            match result.outcome.as_str() {
                "pass" => entry.rate.count(true),
                "fail" => {
                    entry.rate.count(false);
                    failures.push(FailingResult {
                        stage,
                        station: sample.station.clone(),
                        name_zh: sample.name_zh.clone(),
                        name_en: sample.name_en.clone(),
                        sample_id: sample.sample_id.clone(),
                        sampled_at: sample.sampled_at,
                        result: result.clone(),
                    });
                }
                _ => {}
            }
        }
    }
    failures.sort_by(|a, b| (a.sampled_at, &a.station).cmp(&(b.sampled_at, &b.station)));
    let plant_rates = plants
        .iter()
        .map(|(code, name_zh, name_en)| {
            let mut outlet = GroupRates::default();
            let mut network = GroupRates::default();
            let mut points = std::collections::BTreeSet::new();
            for sample in samples {
                if sample.kind == StationKind::Plant && sample.station == *code {
                    outlet.add(sample);
                } else if sample.kind == StationKind::Tap && sample.plant.as_ref() == Some(code) {
                    network.add(sample);
                    points.insert(&sample.station);
                }
            }
            PlantRates {
                plant: code.clone(),
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
                outlet,
                network,
                network_points: points.len(),
            }
        })
        .collect();
    DrinkingPeriod {
        period,
        city,
        sources: sites
            .into_values()
            .filter(|s| s.stage == SupplyStage::Source)
            .collect(),
        plants: plant_rates,
        items: items.into_values().collect(),
        failures,
        laboratories: laboratories.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(item: &str, outcome: &str) -> StoredResult {
        StoredResult {
            item: item.into(),
            name_zh: item.into(),
            name_en: item.into(),
            qualifier: "measured".into(),
            value: Some(1.0),
            value_text: "1".into(),
            unit: "mg/L".into(),
            method: String::new(),
            outcome: outcome.into(),
            limit_text: None,
            revision: 0,
        }
    }

    fn sample(
        station: &str,
        kind: StationKind,
        plant: Option<&str>,
        results: &[(&str, &str)],
    ) -> StoredSample {
        let results: Vec<StoredResult> = results.iter().map(|(i, o)| result(i, o)).collect();
        let judged: Vec<&StoredResult> = results
            .iter()
            .filter(|r| r.outcome == "pass" || r.outcome == "fail")
            .collect();
        StoredSample {
            station: station.into(),
            kind,
            plant: plant.map(Into::into),
            name_zh: station.into(),
            name_en: station.into(),
            district_zh: String::new(),
            district_en: String::new(),
            sample_id: format!("{station}-1"),
            sampled_at: DateTime::<Utc>::MIN_UTC,
            laboratory: "lab".into(),
            standard: "GB 5749-2022".into(),
            compliant: (!judged.is_empty()).then(|| judged.iter().all(|r| r.outcome == "pass")),
            revision: 0,
            published_at: DateTime::<Utc>::MIN_UTC,
            verdict: Value::Null,
            results,
        }
    }

    #[test]
    fn a_plants_outlet_and_network_are_counted_apart_and_together_for_the_city() {
        let samples = [
            sample(
                "p",
                StationKind::Plant,
                None,
                &[("turbidity", "pass"), ("ph", "pass")],
            ),
            sample(
                "t1",
                StationKind::Tap,
                Some("p"),
                &[("free_chlorine", "fail"), ("ph", "pass")],
            ),
            sample(
                "t2",
                StationKind::Tap,
                Some("p"),
                &[("free_chlorine", "pass"), ("lead", "not_judged")],
            ),
            sample("s", StationKind::Source, None, &[("chloride", "pass")]),
        ];
        let plants = [
            ("p".into(), "P".into(), "P".into()),
            ("q".into(), "Q".into(), "Q".into()),
        ];
        let period: ReportPeriod = "2026-Q3".parse().unwrap();
        let figures = drinking_period(period, &samples, &plants);
        let p = &figures.plants[0];
        assert_eq!((p.outlet.samples.judged, p.outlet.samples.passing), (1, 1));
        assert_eq!(
            (p.network.samples.judged, p.network.samples.passing),
            (2, 1)
        );
        // Four network results: one not judged, three judged, two passing.
        assert_eq!(
            (p.network.results.judged, p.network.results.passing),
            (3, 2)
        );
        assert_eq!(p.network_points, 2);
        // A plant without samples has no rate, not 100 %.
        assert_eq!(figures.plants[1].outlet.samples.percent(), None);
        assert_eq!(figures.city[&SupplyStage::Network].samples_tested, 2);
        assert_eq!(figures.sources.len(), 1);
        assert_eq!(figures.failures.len(), 1);
        assert_eq!(figures.failures[0].result.item, "free_chlorine");
        assert_eq!(figures.laboratories, ["lab"]);
        let chlorine = figures
            .items
            .iter()
            .find(|i| i.stage == SupplyStage::Network && i.item == "free_chlorine")
            .unwrap();
        assert_eq!(
            (chlorine.rate.judged, chlorine.rate.passing, chlorine.tested),
            (2, 1, 2)
        );
    }
}
