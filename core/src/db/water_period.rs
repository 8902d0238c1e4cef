//! The river sections and drinking-water sources with their stored records, month by month:
//! what [`crate::stats::water_period::water_period`] works on.
//!
//! Every record's assessment is stored in `water_assessment.report` (the [`WaterAssessment`]
//! JSON, with its item values, and for sources the per-record [`SourceCompliance`]), so the
//! months are summed IN SQL from those reports: one index range scan of `water_assessment` per
//! query, over the sites' keys and the period only, returning one row per site, month and item.
//! Raw readings are never read.
//!
//! Months are Beijing calendar months ([`crate::beijing`]), like the air statistics' days.
//!
//! [`WaterAssessment`]: crate::water::WaterAssessment
//! [`SourceCompliance`]: crate::water::SourceCompliance

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use tokio_postgres::GenericClient;

use super::DbError;
use crate::beijing;
use crate::station::{StationKind, WaterBodyType};
use crate::stats::water_period::{CalendarMonth, ItemCount, ItemSum, SiteMonthRecords, WaterSite};
use crate::water::{WaterClass, WaterItem};

/// The water sites, rivers first, each by code; one site when `$1` names it.
const WATER_SITES: &str = "SELECT code, kind, water_body_type, target_class FROM station
    WHERE kind IN ('river', 'source') AND ($1::text IS NULL OR code = $1)
    ORDER BY kind, code";

/// Per site, month and item: the sum and count of the item values in the stored reports.
/// Invalid values never reach `items` (they are listed apart), so every value is a measurement.
/// The month is the Beijing month of `observed_at`, as its first day.
const ITEM_SUMS: &str = "SELECT a.station_code,
        date_trunc('month', a.observed_at AT TIME ZONE 'UTC' + interval '8 hours')::date,
        i.value->>'item', sum((i.value->>'value')::float8), count(*)
    FROM water_assessment a
    CROSS JOIN LATERAL jsonb_array_elements(a.report->'items') AS i(value)
    WHERE a.station_code = ANY($1) AND a.observed_at >= $2 AND a.observed_at < $3
      AND jsonb_typeof(a.report->'items') = 'array'
    GROUP BY 1, 2, 3";

/// Per site and Beijing month: the records, and how many of them the stored drinking-source
/// verdict calls compliant and not compliant (absent for river sections).
const RECORDS: &str = "SELECT a.station_code,
        date_trunc('month', a.observed_at AT TIME ZONE 'UTC' + interval '8 hours')::date,
        count(*),
        count(*) FILTER (WHERE a.report->'source_compliance'->'compliant' = 'true'),
        count(*) FILTER (WHERE a.report->'source_compliance'->'compliant' = 'false')
    FROM water_assessment a
    WHERE a.station_code = ANY($1) AND a.observed_at >= $2 AND a.observed_at < $3
    GROUP BY 1, 2";

/// Per source, Beijing month and item: the records whose stored verdict lists the item as
/// failing (an item failing twice in one record counts once).
const FAILED_SAMPLES: &str = "SELECT a.station_code,
        date_trunc('month', a.observed_at AT TIME ZONE 'UTC' + interval '8 hours')::date,
        f.value->>'item', count(DISTINCT a.observed_at)
    FROM water_assessment a
    CROSS JOIN LATERAL jsonb_array_elements(a.report->'source_compliance'->'failures')
        AS f(value)
    WHERE a.station_code = ANY($1) AND a.observed_at >= $2 AND a.observed_at < $3
      AND jsonb_typeof(a.report->'source_compliance'->'failures') = 'array'
    GROUP BY 1, 2, 3";

/// The river sections and sources (or only `station`, if it is one) with their records of the
/// months `from..=to`. Empty when `station` is not a water site.
///
/// A site missing its water body type or target class (the schema allows it, the registry
/// does not) is taken as a class III river, as ingest assesses it.
///
/// # Errors
/// When a query fails.
pub async fn load_water_sites(
    client: &impl GenericClient,
    station: Option<&str>,
    from: CalendarMonth,
    to: CalendarMonth,
) -> Result<Vec<WaterSite>, DbError> {
    let mut sites: Vec<WaterSite> = client
        .query(WATER_SITES, &[&station])
        .await?
        .iter()
        .filter_map(|row| {
            let kind: &str = row.get(1);
            let body: Option<&str> = row.get(2);
            let target: Option<i16> = row.get(3);
            Some(WaterSite {
                code: row.get(0),
                kind: StationKind::parse(kind)?,
                body: body
                    .and_then(WaterBodyType::parse)
                    .unwrap_or(WaterBodyType::River),
                target: target
                    .and_then(|t| u8::try_from(t).ok())
                    .and_then(WaterClass::from_number)
                    .unwrap_or(WaterClass::III),
                months: Vec::new(),
            })
        })
        .collect();
    if sites.is_empty() {
        return Ok(sites);
    }
    let codes: Vec<&str> = sites.iter().map(|s| s.code.as_str()).collect();
    let sources: Vec<&str> = sites
        .iter()
        .filter(|s| s.kind == StationKind::Source)
        .map(|s| s.code.as_str())
        .collect();
    let (start, end) = (
        beijing_midnight(from.first_day()),
        beijing_midnight(to.end()),
    );
    let mut months: BTreeMap<(String, CalendarMonth), SiteMonthRecords> = BTreeMap::new();

    for row in client.query(RECORDS, &[&codes, &start, &end]).await? {
        let records = entry(&mut months, &row);
        records.records = count(row.get(2));
        records.samples_compliant = count(row.get(3));
        records.samples_not_compliant = count(row.get(4));
    }
    for row in client.query(ITEM_SUMS, &[&codes, &start, &end]).await? {
        let Some(item) = WaterItem::parse(row.get(2)) else {
            continue;
        };
        entry(&mut months, &row).items.push(ItemSum {
            item,
            sum: row.get(3),
            samples: count(row.get(4)),
        });
    }
    if !sources.is_empty() {
        let rows = client
            .query(FAILED_SAMPLES, &[&sources, &start, &end])
            .await?;
        for row in rows {
            let Some(item) = WaterItem::parse(row.get(2)) else {
                continue;
            };
            entry(&mut months, &row).failed_samples.push(ItemCount {
                item,
                count: count(row.get(3)),
            });
        }
    }

    for ((code, month), mut records) in months {
        // Row order of the standard, so the output does not depend on the plan.
        records.items.sort_by_key(|s| s.item);
        if let Some(site) = sites.iter_mut().find(|s| s.code == code) {
            site.months.push((month, records));
        }
    }
    Ok(sites)
}

/// The month's records of the row's site (columns 0 and 1).
fn entry<'a>(
    months: &'a mut BTreeMap<(String, CalendarMonth), SiteMonthRecords>,
    row: &tokio_postgres::Row,
) -> &'a mut SiteMonthRecords {
    let month = CalendarMonth::of(row.get::<_, NaiveDate>(1));
    months.entry((row.get(0), month)).or_default()
}

/// 00:00 Beijing time on `day`, the instant its records start.
fn beijing_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::MIN);
    beijing::offset()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
