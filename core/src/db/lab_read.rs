//! Reading published laboratory samples back: a period's samples with their
//! results and sites, for the open data, the drinking-water view and the
//! quarterly report. Only published batches have rows here: a pending
//! import is not data yet.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::StationKind;
use crate::drinking::SupplyItem;
use crate::stats::{StoredResult, StoredSample};
use crate::water::{SpecificItem, WaterItem};

const SAMPLES: &str = "SELECT l.station_code, s.kind, s.plant, s.name_zh, s.name_en,
        s.district_zh, s.district_en, l.sample_id, l.sampled_at, l.laboratory, l.standard,
        l.compliant, l.revision, l.published_at, l.verdict
    FROM lab_sample l JOIN station s ON s.code = l.station_code
    WHERE l.sampled_at >= $1 AND l.sampled_at < $2
        AND ($3::text IS NULL OR l.station_code = $3)
        AND ($4::text IS NULL OR s.kind = $4)
    ORDER BY l.sampled_at, l.station_code, l.sample_id";

const RESULTS: &str = "SELECT r.station_code, r.sample_id, r.item, r.qualifier, r.value,
        r.value_text, r.unit, r.method, r.outcome, r.limit_text, r.revision, l.standard
    FROM lab_result r JOIN lab_sample l USING (station_code, sample_id)
    JOIN station s ON s.code = l.station_code
    WHERE l.sampled_at >= $1 AND l.sampled_at < $2
        AND ($3::text IS NULL OR l.station_code = $3)
        AND ($4::text IS NULL OR s.kind = $4)
    ORDER BY r.station_code, r.sample_id, r.item";

const PLANTS: &str =
    "SELECT code, name_zh, name_en FROM station WHERE kind = 'plant' ORDER BY code";

/// Which samples to read.
#[derive(Debug, Clone, Default)]
pub struct SampleFilter<'a> {
    /// Only this site's.
    pub station: Option<&'a str>,
    /// Only sites of this kind.
    pub kind: Option<StationKind>,
}

/// The names of an item of `standard` (`GB 3838-2002` or `GB 5749-2022`);
/// the code itself when the item is unknown to this version.
pub fn item_names(standard: &str, code: &str) -> (String, String) {
    let names = if standard == "GB 5749-2022" {
        SupplyItem::parse(code).map(|i| (i.info().name_zh, i.info().name_en))
    } else {
        // GB 3838-2002: Tables 1 and 2, then Table 3 (codes never collide).
        WaterItem::parse(code)
            .map(|i| (i.info().name_zh, i.info().name_en))
            .or_else(|| SpecificItem::parse(code).map(|i| (i.info().name_zh, i.info().name_en)))
    };
    names.map_or_else(
        || (code.to_owned(), code.to_owned()),
        |(zh, en)| (zh.to_owned(), en.to_owned()),
    )
}

/// The published samples taken in `[from, to)`, with their results, oldest
/// first.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn samples_between(
    client: &impl GenericClient,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    filter: &SampleFilter<'_>,
) -> Result<Vec<StoredSample>, tokio_postgres::Error> {
    let kind = filter.kind.map(StationKind::as_str);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&from, &to, &filter.station, &kind];
    let sample_rows = client.query(SAMPLES, &params).await?;
    let result_rows = client.query(RESULTS, &params).await?;
    let mut results: std::collections::HashMap<(String, String), Vec<StoredResult>> =
        std::collections::HashMap::new();
    for row in &result_rows {
        let standard: &str = row.get(11);
        let item: String = row.get(2);
        let (name_zh, name_en) = item_names(standard, &item);
        results
            .entry((row.get(0), row.get(1)))
            .or_default()
            .push(StoredResult {
                item,
                name_zh,
                name_en,
                qualifier: row.get(3),
                value: row.get(4),
                value_text: row.get(5),
                unit: row.get(6),
                method: row.get(7),
                outcome: row.get(8),
                limit_text: row.get(9),
                revision: row.get(10),
            });
    }
    Ok(sample_rows
        .iter()
        .filter_map(|row| {
            let kind = StationKind::parse(row.get(1))?;
            let station: String = row.get(0);
            let sample_id: String = row.get(7);
            let results = results
                .remove(&(station.clone(), sample_id.clone()))
                .unwrap_or_default();
            Some(StoredSample {
                station,
                kind,
                plant: row.get(2),
                name_zh: row.get(3),
                name_en: row.get(4),
                district_zh: row.get(5),
                district_en: row.get(6),
                sample_id,
                sampled_at: row.get(8),
                laboratory: row.get(9),
                standard: row.get(10),
                compliant: row.get(11),
                revision: row.get(12),
                published_at: row.get(13),
                verdict: row.get(14),
                results,
            })
        })
        .collect())
}

/// Every plant: code, Chinese and English name.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn plants(
    client: &impl GenericClient,
) -> Result<Vec<(String, String, String)>, tokio_postgres::Error> {
    Ok(client
        .query(PLANTS, &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::item_names;

    #[test]
    fn item_names_read_table_3_codes_back() {
        let names = |code| item_names("GB 3838-2002", code);
        assert_eq!(names("benzene"), ("苯".to_owned(), "Benzene".to_owned()));
        assert_eq!(names("nh3n").0, "氨氮（NH3-N）");
        assert_eq!(names("no_such_item").0, "no_such_item");
    }
}
