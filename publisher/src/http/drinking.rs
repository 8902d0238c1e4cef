//! Drinking water from source to tap, as open data:
//!
//! - `/api/v1/drinking/sites`: every source, plant outlet and network point
//!   with its latest online verdict and its latest laboratory sample's.
//! - `/api/v1/drinking/samples`: published laboratory samples of a period or
//!   range, each result with its limit and outcome (JSON; CSV one row per
//!   result).
//! - `/api/v1/drinking/compliance`: a month's or quarter's compliance rates
//!   (水样合格率, 指标合格率) per source, per plant's outlet and network, for
//!   the city and per item, and every failing result (JSON or CSV).
//!
//! Sources are judged by GB 3838-2002 (Table 1 class II/III and Table 2),
//! the supply by GB 5749-2022. Only published laboratory batches are data.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use envmon_core::StationKind;
use envmon_core::db::lab_read::{SampleFilter, plants, samples_between};
use envmon_core::stats::drinking_period::{DrinkingPeriod, GroupRates, SupplyStage};
use envmon_core::stats::{ReportPeriod, StoredSample, drinking_period};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, JsonOrCsv, RateLimited};
use super::format::{Csv, Format, field, iso_beijing, parse_time};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest range one samples request may cover.
const MAX_RANGE_DAYS: i64 = 400;

/// The drinking-water routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(sites, samples, compliance))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/drinking/sites", get(sites))
        .route("/api/v1/drinking/samples", get(samples))
        .route("/api/v1/drinking/compliance", get(compliance))
}

const SITES: &str = "SELECT s.code, s.kind, s.plant, s.name_zh, s.name_en, s.district_zh,
        s.district_en, s.water_body_zh, s.water_body_en,
        w.observed_at, w.class, w.meets_target, w.report,
        l.sample_id, l.sampled_at, l.laboratory, l.standard, l.compliant, l.verdict,
        l.published_at
    FROM station s
    LEFT JOIN LATERAL (SELECT * FROM water_assessment a WHERE a.station_code = s.code
        ORDER BY a.observed_at DESC LIMIT 1) w ON true
    LEFT JOIN LATERAL (SELECT * FROM lab_sample x WHERE x.station_code = s.code
        ORDER BY x.sampled_at DESC, x.sample_id LIMIT 1) l ON true
    WHERE s.kind IN ('source', 'plant', 'tap')
    ORDER BY array_position(ARRAY['source', 'plant', 'tap'], s.kind), s.code";

#[utoipa::path(
    get,
    path = "/api/v1/drinking/sites",
    operation_id = "drinkingSites",
    summary = "Every drinking-water source, water-plant outlet and network point, with its latest online verdict (GB 3838-2002 for sources, GB 5749-2022 for the supply) and its latest laboratory sample's.",
    tags = ["drinking water"],
    responses(
        (status = 200, description = "`{\"sites\": [...]}`: code, kind, plant, names, district, water_body, online (observed_at, class, compliant, report), laboratory (sample_id, sampled_at, laboratory, standard, compliant, verdict, published_at).",
            content_type = "application/json"),
        (status = 429, response = RateLimited),
    ),
)]
async fn sites(State(app): State<AppState>) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let rows = client.query(SITES, &[]).await?;
    let sites: Vec<Value> = rows
        .iter()
        .map(|r| {
            let observed_at: Option<DateTime<Utc>> = r.get(9);
            let sampled_at: Option<DateTime<Utc>> = r.get(14);
            let published_at: Option<DateTime<Utc>> = r.get(19);
            let kind: &str = r.get(1);
            // A source's online compliance is its GB 3838 compliance, a
            // supply site's its GB 5749 verdict.
            let report: Option<Value> = r.get(12);
            let online_compliant = if kind == "source" {
                report
                    .as_ref()
                    .and_then(|r| r.pointer("/source_compliance/compliant"))
                    .and_then(Value::as_bool)
            } else {
                r.get(11)
            };
            json!({
                "code": r.get::<_, &str>(0),
                "kind": kind,
                "plant": r.get::<_, Option<&str>>(2),
                "name_zh": r.get::<_, &str>(3),
                "name_en": r.get::<_, &str>(4),
                "district_zh": r.get::<_, &str>(5),
                "district_en": r.get::<_, &str>(6),
                "water_body_zh": r.get::<_, Option<&str>>(7),
                "water_body_en": r.get::<_, Option<&str>>(8),
                "online": observed_at.map(|at| json!({
                    "observed_at": iso_beijing(at),
                    "class": r.get::<_, Option<i16>>(10),
                    "compliant": online_compliant,
                    "report": report,
                })),
                "laboratory": sampled_at.map(|at| json!({
                    "sample_id": r.get::<_, Option<&str>>(13),
                    "sampled_at": iso_beijing(at),
                    "laboratory": r.get::<_, Option<&str>>(15),
                    "standard": r.get::<_, Option<&str>>(16),
                    "compliant": r.get::<_, Option<bool>>(17),
                    "verdict": r.get::<_, Option<Value>>(18),
                    "published_at": published_at.map(iso_beijing),
                })),
            })
        })
        .collect();
    Ok(Json(json!({ "sites": sites })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SamplesQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    site: Option<String>,
    kind: Option<String>,
    format: Option<String>,
}

/// `[from, to)` from `period`, or from `from` and `to`.
fn range_of(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    match (period, from, to) {
        (Some(period), None, None) => Ok(parse_period(period)?.bounds()),
        (None, Some(_), Some(_)) => {
            let from = parse_time("from", from)?.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let to = parse_time("to", to)?.unwrap_or(DateTime::<Utc>::MAX_UTC);
            if to <= from {
                return Err(ApiError::BadRequest("`to` must be after `from`".into()));
            }
            if (to - from).num_days() > MAX_RANGE_DAYS {
                return Err(ApiError::BadRequest(format!(
                    "the range may be at most {MAX_RANGE_DAYS} days"
                )));
            }
            Ok((from, to))
        }
        _ => Err(ApiError::BadRequest(
            "give either `period` (2026-Q3 or 2026-07) or both `from` and `to`".into(),
        )),
    }
}

fn parse_period(text: &str) -> Result<ReportPeriod, ApiError> {
    text.parse()
        .map_err(|e: envmon_core::stats::ReportPeriodError| ApiError::BadRequest(e.to_string()))
}

fn parse_kind(text: Option<&str>) -> Result<Option<StationKind>, ApiError> {
    text.map(|k| match StationKind::parse(k) {
        Some(kind @ (StationKind::Source | StationKind::Plant | StationKind::Tap)) => Ok(kind),
        _ => Err(ApiError::BadRequest(
            "query parameter `kind` must be source, plant or tap".into(),
        )),
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/drinking/samples",
    operation_id = "drinkingSamples",
    summary = "Published laboratory samples of drinking-water sources, plant outlets and network points, each result with its limit and outcome. Below-detection results keep their detection limit (`<0.002`), never zero. CSV: one row per result.",
    tags = ["drinking water"],
    params(
        ("period" = Option<String>, Query, description = "A quarter or month (Beijing time); or give `from` and `to`.", example = "2026-Q3"),
        ("from" = Option<String>, Query, description = "Sampled at or after (RFC 3339).", example = "2026-07-01T00:00:00+08:00"),
        ("to" = Option<String>, Query, description = "Sampled before (RFC 3339); at most 400 days after `from`.", example = "2026-10-01T00:00:00+08:00"),
        ("site" = Option<String>, Query, description = "Only this site's samples.", example = "plant-yangshupu"),
        ("kind" = Option<String>, Query, description = "Only sites of this kind: source, plant or tap.", example = "tap"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"samples\": [...]}`: station, kind, plant, names, sample_id, sampled_at, laboratory, standard, compliant, revision, published_at, verdict, results (item, names, qualifier, value, value_text, unit, method, outcome, limit_text, revision).",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn samples(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<SamplesQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let range = range_of(
        query.period.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let filter = SampleFilter {
        station: query.site.as_deref(),
        kind: parse_kind(query.kind.as_deref())?,
    };
    let client = app.pool.get().await?;
    let samples = samples_between(&**client, range, &filter).await?;
    if format == Format::Csv {
        return Ok(samples_csv(&samples).into_response("drinking-samples"));
    }
    Ok(Json(json!({ "samples": samples })).into_response())
}

fn samples_csv(samples: &[StoredSample]) -> Csv {
    let mut csv = Csv::new(&[
        "station",
        "kind",
        "plant",
        "name_zh",
        "name_en",
        "sample_id",
        "sampled_at",
        "laboratory",
        "standard",
        "sample_compliant",
        "item",
        "item_zh",
        "item_en",
        "value_text",
        "qualifier",
        "value",
        "unit",
        "method",
        "limit",
        "outcome",
        "revision",
    ]);
    for s in samples {
        for r in &s.results {
            csv.row([
                s.station.clone(),
                s.kind.as_str().to_owned(),
                s.plant.clone().unwrap_or_default(),
                s.name_zh.clone(),
                s.name_en.clone(),
                s.sample_id.clone(),
                iso_beijing(s.sampled_at),
                s.laboratory.clone(),
                s.standard.clone(),
                field(s.compliant),
                r.item.clone(),
                r.name_zh.clone(),
                r.name_en.clone(),
                r.value_text.clone(),
                r.qualifier.clone(),
                field(r.value),
                r.unit.clone(),
                r.method.clone(),
                r.limit_text.clone().unwrap_or_default(),
                r.outcome.clone(),
                r.revision.to_string(),
            ]);
        }
    }
    csv
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplianceQuery {
    period: String,
    format: Option<String>,
}

/// The figures of a period, as the report and the API show them.
pub(crate) async fn period_figures(
    app: &AppState,
    period: ReportPeriod,
) -> Result<DrinkingPeriod, ApiError> {
    let client = app.pool.get().await?;
    let samples = samples_between(&**client, period.bounds(), &SampleFilter::default()).await?;
    let plants = plants(&**client).await?;
    Ok(drinking_period(period, &samples, &plants))
}

#[utoipa::path(
    get,
    path = "/api/v1/drinking/compliance",
    operation_id = "drinkingCompliance",
    summary = "A month's or quarter's drinking-water compliance from published laboratory samples: 水样合格率 (samples) and 指标合格率 (results) per source, per plant's outlet and network, for the city and per item, and every failing result. Groups without a judged sample have no rate, never 100 %. The same figures as a printable report (HTML, A4 when printed): `/drinking/report/{period}?lang=zh|en`.",
    tags = ["drinking water"],
    params(
        ("period" = String, Query, description = "A quarter or month (Beijing time).", example = "2026-Q3"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer; CSV: one row per group.", example = "csv"),
    ),
    responses(
        (status = 200, description = "period, city (source, outlet, network), sources, plants (outlet, network, network_points), items, failures; each group: samples_tested, samples and results as {judged, passing}.",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn compliance(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ComplianceQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let figures = period_figures(&app, parse_period(&query.period)?).await?;
    if format == Format::Csv {
        return Ok(compliance_csv(&figures).into_response("drinking-compliance"));
    }
    Ok(Json(figures).into_response())
}

fn compliance_csv(figures: &DrinkingPeriod) -> Csv {
    let mut csv = Csv::new(&[
        "period",
        "group",
        "stage",
        "site",
        "name_zh",
        "name_en",
        "samples_tested",
        "samples_judged",
        "samples_compliant",
        "sample_rate_percent",
        "results_judged",
        "results_passing",
        "result_rate_percent",
    ]);
    let period = figures.period.to_string();
    let percent = |p: Option<f64>| p.map(|p| format!("{p:.1}")).unwrap_or_default();
    let mut row =
        |group: &str, stage: SupplyStage, site: (&str, &str, &str), rates: &GroupRates| {
            let stage = match stage {
                SupplyStage::Source => "source",
                SupplyStage::Outlet => "outlet",
                SupplyStage::Network => "network",
            };
            csv.row([
                period.clone(),
                group.to_owned(),
                stage.to_owned(),
                site.0.to_owned(),
                site.1.to_owned(),
                site.2.to_owned(),
                rates.samples_tested.to_string(),
                rates.samples.judged.to_string(),
                rates.samples.passing.to_string(),
                percent(rates.samples.percent()),
                rates.results.judged.to_string(),
                rates.results.passing.to_string(),
                percent(rates.results.percent()),
            ]);
        };
    for (stage, rates) in &figures.city {
        row("city", *stage, ("", "上海市", "Shanghai"), rates);
    }
    for s in &figures.sources {
        row(
            "site",
            s.stage,
            (&s.station, &s.name_zh, &s.name_en),
            &s.rates,
        );
    }
    for p in &figures.plants {
        let site = (p.plant.as_str(), p.name_zh.as_str(), p.name_en.as_str());
        row("plant", SupplyStage::Outlet, site, &p.outlet);
        row("plant", SupplyStage::Network, site, &p.network);
    }
    csv
}
