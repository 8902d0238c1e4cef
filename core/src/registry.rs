//! The station registry: a TOML file of `[[station]]` tables (see
//! `deploy/stations/shanghai.toml`), imported into the `station` table, and
//! read back by the daemons.

use std::collections::HashSet;

use serde::Deserialize;
use tokio_postgres::{GenericClient, Row};

use crate::area::{Area, AreaError, validate_areas};
use crate::db::DbError;
use crate::logger_secret::SecretHash;
use crate::network::Network;
use crate::station::{Station, StationCode, StationError, StationKind, WaterBodyType};

/// Why a registry file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file is not valid TOML of the expected shape.
    #[error("registry is not valid: {0}")]
    Syntax(#[from] toml::de::Error),
    /// A station record is inconsistent.
    #[error(transparent)]
    Station(#[from] StationError),
    /// The same code appears twice.
    #[error("station {0} appears more than once")]
    Duplicate(String),
    /// A network point names a plant the registry does not list as one.
    #[error("network point {0} names plant {1}, which is not a station of kind plant")]
    UnknownPlant(String, String),
    /// An area record is inconsistent.
    #[error(transparent)]
    Area(#[from] AreaError),
    /// Writing to the database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The shipped registry of Shanghai's monitoring sites
/// (`deploy/stations/shanghai.toml`), built in so the demo and the simulator
/// run without files beside the binary.
pub const SHANGHAI_REGISTRY: &str = include_str!("../../deploy/stations/shanghai.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    station: Vec<Station>,
    #[serde(default)]
    area: Vec<Area>,
}

/// Parses and checks a registry file.
///
/// # Errors
/// Fails on malformed TOML, an inconsistent record or a duplicate code.
pub fn parse_registry(text: &str) -> Result<Vec<Station>, RegistryError> {
    let file: RegistryFile = toml::from_str(text)?;
    let mut seen = HashSet::new();
    for station in &file.station {
        station.validate()?;
        if !seen.insert(station.code.clone()) {
            return Err(RegistryError::Duplicate(station.code.to_string()));
        }
    }
    let plants: HashSet<&StationCode> = file
        .station
        .iter()
        .filter(|s| s.kind == StationKind::Plant)
        .map(|s| &s.code)
        .collect();
    for station in &file.station {
        if let Some(plant) = station.plant.as_ref().filter(|p| !plants.contains(p)) {
            return Err(RegistryError::UnknownPlant(
                station.code.to_string(),
                plant.to_string(),
            ));
        }
    }
    Ok(file.station)
}

/// Parses a registry file's areas (the city and its districts), checked against its stations.
///
/// # Errors
/// Fails on malformed TOML, an invalid station, or an inconsistent area.
pub fn parse_areas(text: &str) -> Result<Vec<Area>, RegistryError> {
    let stations = parse_registry(text)?;
    let file: RegistryFile = toml::from_str(text)?;
    let air: Vec<_> = stations
        .into_iter()
        .filter(|s| s.kind == StationKind::Air)
        .map(|s| s.code)
        .collect();
    validate_areas(&file.area, &air)?;
    Ok(file.area)
}

/// Replaces the areas and their station lists with `areas`, in one transaction: an area's
/// stations are exactly the file's (a station taken out of an area stops counting for it).
/// Areas missing from the file are kept with their history.
///
/// # Errors
/// Fails when the database refuses a record; nothing is written then.
pub async fn import_areas(
    client: &mut tokio_postgres::Client,
    areas: &[Area],
) -> Result<usize, RegistryError> {
    let tx = client.transaction().await.map_err(DbError::from)?;
    for area in areas {
        let class: i16 = match area.class {
            crate::stats::AreaClass::One => 1,
            crate::stats::AreaClass::Two => 2,
        };
        tx.execute(
            "INSERT INTO area (id, kind, name_zh, name_en, parent, area_class, min_reporting_share)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name_zh = excluded.name_zh,
                 name_en = excluded.name_en, parent = excluded.parent,
                 area_class = excluded.area_class,
                 min_reporting_share = excluded.min_reporting_share, updated_at = now()",
            &[
                &area.id,
                &area.kind.as_str(),
                &area.name_zh,
                &area.name_en,
                &area.parent,
                &class,
                &area.min_reporting_share,
            ],
        )
        .await
        .map_err(DbError::from)?;
        let codes: Vec<&str> = area.stations.iter().map(StationCode::as_str).collect();
        tx.execute(
            "DELETE FROM area_station WHERE area_id = $1 AND NOT (station_code = ANY($2))",
            &[&area.id, &codes],
        )
        .await
        .map_err(DbError::from)?;
        tx.execute(
            "INSERT INTO area_station (area_id, station_code)
             SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            &[&area.id, &codes],
        )
        .await
        .map_err(DbError::from)?;
    }
    // Names, classes and which stations count change what the aggregates' answers say.
    crate::db::data_changes::announce(&tx, &crate::db::data_changes::Changed::Everything)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(areas.len())
}

const UPSERT_STATION: &str = "INSERT INTO station (code, kind, name_zh, name_en, district_zh,
        district_en, longitude, latitude, coordinates_approximate, water_body_zh, water_body_en,
        basin_zh, basin_en, water_body_type, target_class, hj212_mn, hj212_networks, plant,
        background_low, background_high, investigation_level)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
        $17::text[]::cidr[], $18, $19, $20, $21)
    ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name_zh = excluded.name_zh,
        name_en = excluded.name_en, district_zh = excluded.district_zh,
        district_en = excluded.district_en, longitude = excluded.longitude,
        latitude = excluded.latitude, coordinates_approximate = excluded.coordinates_approximate,
        water_body_zh = excluded.water_body_zh, water_body_en = excluded.water_body_en,
        basin_zh = excluded.basin_zh, basin_en = excluded.basin_en,
        water_body_type = excluded.water_body_type, target_class = excluded.target_class,
        hj212_mn = excluded.hj212_mn, hj212_networks = excluded.hj212_networks,
        plant = excluded.plant, background_low = excluded.background_low,
        background_high = excluded.background_high,
        investigation_level = excluded.investigation_level, updated_at = now()";

const SELECT_STATIONS: &str = "SELECT code, kind, name_zh, name_en, district_zh, district_en,
        longitude, latitude, coordinates_approximate, water_body_zh, water_body_en, basin_zh,
        basin_en, water_body_type, target_class, hj212_mn, hj212_networks::text[], plant,
        background_low, background_high, investigation_level
    FROM station
    ORDER BY array_position(ARRAY['air', 'river', 'source', 'plant', 'tap', 'radiation'], kind),
        code";

/// Inserts or updates every station, in one transaction. Stations missing
/// from the file are kept: their history must stay attributable.
///
/// # Errors
/// Fails when the database refuses a record; nothing is written then.
pub async fn import_stations(
    client: &mut tokio_postgres::Client,
    stations: &[Station],
) -> Result<usize, RegistryError> {
    let tx = client.transaction().await.map_err(DbError::from)?;
    let upsert = tx.prepare(UPSERT_STATION).await.map_err(DbError::from)?;
    for s in stations {
        let target_class = s.target_class.map(i16::from);
        let networks: Vec<String> = s.hj212_networks.iter().map(ToString::to_string).collect();
        tx.execute(
            &upsert,
            &[
                &s.code.as_str(),
                &s.kind.as_str(),
                &s.name_zh,
                &s.name_en,
                &s.district_zh,
                &s.district_en,
                &s.longitude,
                &s.latitude,
                &s.coordinates_approximate,
                &s.water_body_zh,
                &s.water_body_en,
                &s.basin_zh,
                &s.basin_en,
                &s.water_body_type.map(WaterBodyType::as_str),
                &target_class,
                &s.hj212_mn,
                &networks,
                &s.plant.as_ref().map(StationCode::as_str),
                &s.background_low,
                &s.background_high,
                &s.investigation_level,
            ],
        )
        .await
        .map_err(DbError::from)?;
    }
    // Names, classes and which stations count change what the aggregates' answers say.
    crate::db::data_changes::announce(&tx, &crate::db::data_changes::Changed::Everything)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(stations.len())
}

/// Every registered station: air first, then river sections, sources, water
/// plants and network points.
///
/// # Errors
/// Fails when the query fails or a stored row breaks the schema's invariants.
pub async fn load_stations(client: &impl GenericClient) -> Result<Vec<Station>, DbError> {
    let rows = client.query(SELECT_STATIONS, &[]).await?;
    Ok(rows.iter().filter_map(station_from_row).collect())
}

/// Maps a row of [`SELECT_STATIONS`]; rows the schema's checks would have
/// refused are skipped with a warning rather than failing every request.
fn station_from_row(row: &Row) -> Option<Station> {
    let code: String = row.get(0);
    let kind: String = row.get(1);
    let (Ok(code), Some(kind)) = (crate::StationCode::parse(&code), StationKind::parse(&kind))
    else {
        tracing::warn!(code = %code, kind = %kind, "Skipping malformed station row.");
        return None;
    };
    let water_body_type: Option<String> = row.get(13);
    let target_class: Option<i16> = row.get(14);
    let networks: Vec<String> = row.get(16);
    let Ok(hj212_networks) = networks.iter().map(|n| Network::parse(n)).collect() else {
        // Failing closed: a station whose networks cannot be read is
        // skipped (its data refused as unknown), never opened to anywhere.
        tracing::warn!(code = %code, networks = ?networks, "Skipping station with malformed networks.");
        return None;
    };
    Some(Station {
        code,
        kind,
        name_zh: row.get(2),
        name_en: row.get(3),
        district_zh: row.get(4),
        district_en: row.get(5),
        longitude: row.get(6),
        latitude: row.get(7),
        coordinates_approximate: row.get(8),
        water_body_zh: row.get(9),
        water_body_en: row.get(10),
        basin_zh: row.get(11),
        basin_en: row.get(12),
        water_body_type: water_body_type.as_deref().and_then(WaterBodyType::parse),
        target_class: target_class.and_then(|c| u8::try_from(c).ok()),
        hj212_mn: row.get(15),
        hj212_networks,
        plant: row
            .get::<_, Option<String>>(17)
            .and_then(|p| StationCode::parse(&p).ok()),
        background_low: row.get(18),
        background_high: row.get(19),
        investigation_level: row.get(20),
    })
}

const UPSERT_SECRET: &str = "INSERT INTO hj212_secret (station_code, salt, mac)
    SELECT code, $2, $3 FROM station WHERE code = $1
    ON CONFLICT (station_code) DO UPDATE
        SET salt = excluded.salt, mac = excluded.mac, set_at = now()";

const DELETE_SECRET: &str = "DELETE FROM hj212_secret WHERE station_code = $1";

const SELECT_SECRETS: &str = "SELECT station_code, salt, mac FROM hj212_secret
    WHERE algorithm = 'hmac-sha256'";

/// Stores the hashed secret of a station's HJ 212 data logger, replacing
/// any earlier one. Returns false when no such station is registered.
///
/// # Errors
/// Fails when the database refuses the write.
pub async fn set_hj212_secret(
    client: &impl GenericClient,
    station: &crate::StationCode,
    secret: &SecretHash,
) -> Result<bool, DbError> {
    let salt: &[u8] = secret.salt();
    let mac: &[u8] = secret.mac();
    let written = client
        .execute(UPSERT_SECRET, &[&station.as_str(), &salt, &mac])
        .await?;
    Ok(written == 1)
}

/// Removes a station's logger secret. Returns false when it had none.
///
/// # Errors
/// Fails when the database refuses the write.
pub async fn remove_hj212_secret(
    client: &impl GenericClient,
    station: &crate::StationCode,
) -> Result<bool, DbError> {
    Ok(client.execute(DELETE_SECRET, &[&station.as_str()]).await? == 1)
}

/// Every station's hashed logger secret. For ingest only: the publisher
/// never reads this table.
///
/// # Errors
/// Fails when the query fails.
pub async fn load_hj212_secrets(
    client: &impl GenericClient,
) -> Result<Vec<(crate::StationCode, SecretHash)>, DbError> {
    let rows = client.query(SELECT_SECRETS, &[]).await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let code = crate::StationCode::parse(row.get(0)).ok()?;
            let hash = SecretHash::from_parts(row.get(1), row.get(2))?;
            Some((code, hash))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIR: &str = r#"
[[station]]
code = "1141A"
kind = "air"
name_zh = "普陀"
name_en = "Putuo"
district_zh = "普陀区"
district_en = "Putuo"
longitude = 121.401
latitude = 31.2382
coordinates_approximate = false
"#;

    #[test]
    fn parses_an_air_station() {
        let stations = parse_registry(AIR).unwrap();
        assert_eq!(stations.len(), 1);
        assert_eq!(stations[0].code.as_str(), "1141A");
        assert_eq!(stations[0].kind, StationKind::Air);
    }

    #[test]
    fn refuses_duplicate_codes() {
        let twice = format!("{AIR}{AIR}");
        assert!(
            matches!(parse_registry(&twice), Err(RegistryError::Duplicate(code)) if code == "1141A")
        );
    }

    #[test]
    fn refuses_a_water_site_without_target_class() {
        let river = AIR.replace("\"air\"", "\"river\"") + "water_body_type = \"river\"\n";
        assert!(matches!(
            parse_registry(&river),
            Err(RegistryError::Station(StationError::MissingWaterField(
                _,
                "target_class"
            )))
        ));
    }

    #[test]
    fn reads_a_loggers_mn_and_networks_and_never_serializes_them() {
        let logger = format!(
            "{AIR}hj212_mn = \"3700000A0000000000000001\"\nhj212_networks = [\"10.20.0.0/16\", \"2001:db8::/32\"]\n"
        );
        let stations = parse_registry(&logger).unwrap();
        assert_eq!(stations[0].hj212_networks.len(), 2);
        assert!(stations[0].hj212_networks[0].contains("10.20.1.1".parse().unwrap()));
        let json = serde_json::to_string(&stations[0]).unwrap();
        assert!(
            !json.contains("3700000A") && !json.contains("hj212"),
            "{json}"
        );
        let host_bits = AIR.to_owned() + "hj212_networks = [\"10.20.1.5/16\"]\n";
        assert!(matches!(
            parse_registry(&host_bits),
            Err(RegistryError::Syntax(_))
        ));
    }

    #[test]
    fn refuses_unknown_keys() {
        let typo = AIR.replace("district_en", "distrct_en");
        assert!(matches!(
            parse_registry(&typo),
            Err(RegistryError::Syntax(_))
        ));
    }

    #[test]
    fn shipped_shanghai_registry_is_complete() {
        let text = SHANGHAI_REGISTRY;
        let stations = parse_registry(text).unwrap();
        let count = |kind| stations.iter().filter(|s| s.kind == kind).count();
        // Reference: 19 national air stations, 18 national river sections,
        // 4 centralised drinking-water sources (shared/reference/README.md).
        assert_eq!(count(StationKind::Air), 19);
        assert_eq!(count(StationKind::River), 18);
        assert_eq!(count(StationKind::Source), 4);
        assert!(
            stations
                .iter()
                .filter(|s| s.kind == StationKind::Source)
                .all(|s| s.water_body_type == Some(WaterBodyType::Lake)),
            "all four sources are reservoirs, judged on GB 3838's lake/reservoir TP limits"
        );
    }
}
