//! What each kind of rule measures, per station, from committed state.

use envmon_core::db::DbError;
use serde_json::{Value, json};
use tokio_postgres::GenericClient;

use super::rules::{AlarmRule, RuleKind};

/// One station's number for one rule, with what it was computed from.
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    pub(crate) station: String,
    pub(crate) value: f64,
    /// What an operator needs to see why: the readings or verdict behind it.
    pub(crate) evidence: Value,
}

const AQI: &str = "SELECT DISTINCT ON (a.station_code) a.station_code, a.hour_end, a.aqi::float8,
        a.primary_pollutants, a.edition
    FROM aqi_hourly a JOIN station s ON s.code = a.station_code
    WHERE a.hour_end > now() - make_interval(secs => $1) AND a.aqi IS NOT NULL
        AND ($2::text IS NULL OR s.kind = $2)
    ORDER BY a.station_code, a.hour_end DESC";

const POLLUTANT: &str = "SELECT l.station_code, l.observed_at, l.value
    FROM station_latest l JOIN station s ON s.code = l.station_code
    WHERE l.parameter_code = $3 AND l.quality = 'valid'
        AND l.observed_at > now() - make_interval(secs => $1)
        AND ($2::text IS NULL OR s.kind = $2)";

const WATER: &str = "SELECT DISTINCT ON (w.station_code) w.station_code, w.observed_at,
        w.class::float8, s.target_class::float8, w.report
    FROM water_assessment w JOIN station s ON s.code = w.station_code
    WHERE w.class IS NOT NULL AND ($2::text IS NULL OR s.kind = $2)
        AND w.observed_at > now() - make_interval(secs => $1)
    ORDER BY w.station_code, w.observed_at DESC";

const SUPPLY: &str = "SELECT DISTINCT ON (w.station_code) w.station_code, w.observed_at,
        w.meets_target, w.report
    FROM water_assessment w JOIN station s ON s.code = w.station_code
    WHERE s.kind IN ('plant', 'tap') AND ($2::text IS NULL OR s.kind = $2)
        AND w.observed_at > now() - make_interval(secs => $1)
    ORDER BY w.station_code, w.observed_at DESC";

const LAB: &str = "SELECT DISTINCT ON (l.station_code) l.station_code, l.sampled_at,
        l.compliant, l.verdict, l.sample_id, l.laboratory, l.published_at, l.standard
    FROM lab_sample l JOIN station s ON s.code = l.station_code
    WHERE ($2::text IS NULL OR s.kind = $2)
        AND l.published_at > now() - make_interval(secs => $1)
    ORDER BY l.station_code, l.sampled_at DESC, l.sample_id";

const RADIATION: &str = "SELECT DISTINCT ON (r.station_code) r.station_code, r.hour_end,
        r.investigate, r.mean, r.state, r.report
    FROM radiation_hourly r JOIN station s ON s.code = r.station_code
    WHERE r.valid AND ($2::text IS NULL OR s.kind = $2)
        AND r.hour_end > now() - make_interval(secs => $1)
    ORDER BY r.station_code, r.hour_end DESC";

const SILENT: &str = "SELECT s.code, max(l.observed_at),
        extract(epoch FROM now() - max(l.observed_at))::float8
    FROM station s JOIN station_latest l ON l.station_code = s.code
    WHERE ($2::text IS NULL OR s.kind = $2) AND $1::float8 > 0
    GROUP BY s.code";

const QC_FAILURES: &str = "SELECT r.station_code, max(r.observed_at), count(*)::float8,
        array_agg(DISTINCT r.parameter_code || ':' || r.quality)
    FROM reading r JOIN station s ON s.code = r.station_code
    WHERE r.observed_at > now() - make_interval(secs => $1) AND r.quality <> 'valid'
        AND ($2::text IS NULL OR s.kind = $2)
    GROUP BY r.station_code";

/// Every station's number for `rule`.
pub(crate) async fn measure(
    client: &impl GenericClient,
    rule: &AlarmRule,
) -> Result<Vec<Measurement>, DbError> {
    let window = rule.window.as_secs_f64();
    let kind = rule.station_kind.map(|k| k.as_str().to_owned());
    let rows = match rule.kind {
        RuleKind::Pollutant => {
            let parameter = rule.parameter.map(|p| p.code().to_owned());
            client
                .query(POLLUTANT, &[&window, &kind, &parameter])
                .await?
        }
        RuleKind::Aqi => client.query(AQI, &[&window, &kind]).await?,
        RuleKind::WaterClass | RuleKind::SourceCompliance => {
            client.query(WATER, &[&window, &kind]).await?
        }
        RuleKind::SupplyCompliance => client.query(SUPPLY, &[&window, &kind]).await?,
        RuleKind::LabCompliance => client.query(LAB, &[&window, &kind]).await?,
        RuleKind::RadiationInvestigation => client.query(RADIATION, &[&window, &kind]).await?,
        RuleKind::Silent => client.query(SILENT, &[&window, &kind]).await?,
        RuleKind::QcFailures => client.query(QC_FAILURES, &[&window, &kind]).await?,
    };
    Ok(rows
        .iter()
        .filter_map(|row| from_row(rule, window, row))
        .collect())
}

fn from_row(rule: &AlarmRule, window: f64, row: &tokio_postgres::Row) -> Option<Measurement> {
    let station: String = row.get(0);
    let at: chrono::DateTime<chrono::Utc> = row.get(1);
    let (value, evidence) = match rule.kind {
        RuleKind::Aqi => {
            let aqi: f64 = row.get(2);
            let primary: Vec<String> = row.get(3);
            let edition: String = row.get(4);
            (
                aqi,
                json!({ "hour_end": at, "aqi": aqi, "primary_pollutants": primary, "edition": edition }),
            )
        }
        RuleKind::Pollutant => {
            let value: f64 = row.get(2);
            let parameter = rule.parameter?;
            (
                value,
                json!({ "observed_at": at, "parameter": parameter.code(), "value": value, "unit": parameter.unit() }),
            )
        }
        RuleKind::WaterClass => {
            let class: f64 = row.get(2);
            let target: Option<f64> = row.get(3);
            let target = target?;
            (
                class - target,
                json!({ "observed_at": at, "class": class, "target_class": target }),
            )
        }
        RuleKind::SourceCompliance => {
            let report: Value = row.get(4);
            let compliance = report.get("source_compliance")?;
            let compliant = compliance.get("compliant")?.as_bool()?;
            (
                f64::from(u8::from(!compliant)),
                json!({ "observed_at": at, "source_compliance": compliance }),
            )
        }
        RuleKind::SupplyCompliance => {
            let compliant: Option<bool> = row.get(2);
            let report: Value = row.get(3);
            (
                f64::from(u8::from(!compliant?)),
                json!({ "observed_at": at, "standard": "GB 5749-2022", "verdict": report.get("supply") }),
            )
        }
        RuleKind::LabCompliance => {
            let compliant: Option<bool> = row.get(2);
            let verdict: Value = row.get(3);
            let sample_id: String = row.get(4);
            let laboratory: String = row.get(5);
            let published_at: chrono::DateTime<chrono::Utc> = row.get(6);
            let standard: String = row.get(7);
            (
                f64::from(u8::from(!compliant?)),
                json!({
                    "sampled_at": at, "sample_id": sample_id, "laboratory": laboratory,
                    "published_at": published_at, "standard": standard, "verdict": verdict,
                }),
            )
        }
        RuleKind::RadiationInvestigation => {
            let investigate: bool = row.get(2);
            let mean: Option<f64> = row.get(3);
            let state: String = row.get(4);
            let report: Value = row.get(5);
            (
                f64::from(u8::from(investigate)),
                json!({
                    "hour_end": at, "mean_ngy_h": mean, "state": state,
                    "background": report.get("background"),
                    "investigation_level": report.get("investigation_level"),
                    "rain": report.get("rain"),
                    "explanation_en": report.get("explanation_en"),
                }),
            )
        }
        RuleKind::Silent => {
            let seconds: f64 = row.get(2);
            (
                seconds / window,
                json!({ "last_observed_at": at, "silent_seconds": seconds.round(), "cadence_seconds": window }),
            )
        }
        RuleKind::QcFailures => {
            let count: f64 = row.get(2);
            let flags: Vec<String> = row.get(3);
            (
                count,
                json!({ "flagged_readings": count, "window_seconds": window, "latest": at, "flags": flags }),
            )
        }
    };
    Some(Measurement {
        station,
        value,
        evidence,
    })
}
