//! Areas: the city and its districts, as registry entries listing their evaluation stations.
//!
//! An area's AQI is computed by the same functions as a station's, from the mean of its
//! evaluation stations' concentrations ([`crate::stats::area`]). Which stations count for an
//! area is data, not code: a bureau changes it by editing the registry, as the national network
//! changes its evaluation stations.

use serde::{Deserialize, Serialize};

use crate::station::StationCode;
use crate::stats::{AreaClass, DEFAULT_MIN_REPORTING_SHARE};

/// Why an area record cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AreaError {
    /// The id is not lower-case ASCII letters, digits and hyphens, 1 to 32 long.
    #[error("area id {0:?} must be 1 to 32 lower-case letters, digits or hyphens")]
    Id(String),
    /// The same id appears twice.
    #[error("area {0} appears more than once")]
    Duplicate(String),
    /// An area lists no station.
    #[error("area {0} lists no station")]
    NoStations(String),
    /// An area lists a station the registry does not have, or one that is not an air station.
    #[error("area {area} lists {station}, which is not an air station of the registry")]
    UnknownStation { area: String, station: String },
    /// A district names no parent, or a parent that is not a city of the registry.
    #[error("district {0} must name a city of the registry as its parent")]
    Parent(String),
    /// The reporting share is not in (0, 1].
    #[error("area {0}: min_reporting_share must be above 0 and at most 1")]
    Share(String),
}

/// Whether an area is the city or one of its districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    City,
    District,
}

impl AreaKind {
    /// The word stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
        }
    }
}

/// One area of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Stable and URL-safe: `shanghai`, `pudong`.
    pub id: String,
    pub kind: AreaKind,
    pub name_zh: String,
    pub name_en: String,
    /// A district's city.
    #[serde(default)]
    pub parent: Option<String>,
    /// The GB 3095-2026 area class whose limits judge attainment; class 2 for a city district.
    #[serde(default = "class_two", with = "area_class")]
    pub class: AreaClass,
    /// The share of the evaluation stations that must report for the area's mean to stand.
    #[serde(default = "default_share")]
    pub min_reporting_share: f64,
    /// The evaluation stations whose mean is the area's concentration.
    pub stations: Vec<StationCode>,
}

fn class_two() -> AreaClass {
    AreaClass::Two
}

fn default_share() -> f64 {
    DEFAULT_MIN_REPORTING_SHARE
}

/// The class as the registry writes it: 1 or 2.
mod area_class {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::stats::AreaClass;

    pub(super) fn serialize<S: Serializer>(class: &AreaClass, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(match class {
            AreaClass::One => 1,
            AreaClass::Two => 2,
        })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AreaClass, D::Error> {
        match u8::deserialize(d)? {
            1 => Ok(AreaClass::One),
            2 => Ok(AreaClass::Two),
            other => Err(D::Error::custom(format!(
                "area class must be 1 or 2, not {other}"
            ))),
        }
    }
}

/// Checks every area against the others and against the registry's air stations.
///
/// # Errors
/// The first inconsistent record.
pub fn validate_areas(areas: &[Area], air_stations: &[StationCode]) -> Result<(), AreaError> {
    let mut seen = std::collections::HashSet::new();
    for area in areas {
        let id_ok = (1..=32).contains(&area.id.len())
            && area
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(AreaError::Id(area.id.clone()));
        }
        if !seen.insert(area.id.as_str()) {
            return Err(AreaError::Duplicate(area.id.clone()));
        }
        if area.stations.is_empty() {
            return Err(AreaError::NoStations(area.id.clone()));
        }
        if let Some(unknown) = area.stations.iter().find(|s| !air_stations.contains(s)) {
            return Err(AreaError::UnknownStation {
                area: area.id.clone(),
                station: unknown.to_string(),
            });
        }
        if !(area.min_reporting_share > 0.0 && area.min_reporting_share <= 1.0) {
            return Err(AreaError::Share(area.id.clone()));
        }
    }
    for area in areas.iter().filter(|a| a.kind == AreaKind::District) {
        let parent_is_city = area.parent.as_deref().is_some_and(|parent| {
            areas
                .iter()
                .any(|a| a.id == parent && a.kind == AreaKind::City)
        });
        if !parent_is_city {
            return Err(AreaError::Parent(area.id.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{SHANGHAI_REGISTRY, parse_areas, parse_registry};

    #[test]
    fn shanghai_has_the_city_and_its_sixteen_districts() {
        let areas = parse_areas(SHANGHAI_REGISTRY).unwrap();
        let city: Vec<&Area> = areas.iter().filter(|a| a.kind == AreaKind::City).collect();
        assert_eq!(city.len(), 1);
        assert_eq!(city[0].stations.len(), 19);
        let districts: Vec<&Area> = areas
            .iter()
            .filter(|a| a.kind == AreaKind::District)
            .collect();
        assert_eq!(districts.len(), 16);
        // Every district's stations count for the city, and each station is in one district.
        let mut in_districts: Vec<&StationCode> =
            districts.iter().flat_map(|d| &d.stations).collect();
        in_districts.sort();
        let mut in_city: Vec<&StationCode> = city[0].stations.iter().collect();
        in_city.sort();
        assert_eq!(in_districts, in_city);
        let pudong = areas.iter().find(|a| a.id == "pudong").unwrap();
        assert_eq!(pudong.stations.len(), 4);
        assert_eq!(pudong.class, AreaClass::Two);
        assert_eq!(pudong.min_reporting_share, DEFAULT_MIN_REPORTING_SHARE);
    }

    /// The Shanghai stations with `areas` instead of the shipped ones.
    fn registry_with(areas: &str) -> String {
        let stations = SHANGHAI_REGISTRY.split("[[area]]").next().unwrap();
        format!("{stations}\n{areas}")
    }

    #[test]
    fn inconsistent_areas_are_refused_with_the_reason() {
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let air = &stations
            .iter()
            .find(|s| s.kind == crate::StationKind::Air)
            .unwrap()
            .code;
        let river = &stations
            .iter()
            .find(|s| s.kind == crate::StationKind::River)
            .unwrap()
            .code;
        let city = format!(
            "[[area]]\nid = \"c\"\nkind = \"city\"\nname_zh = \"市\"\nname_en = \"C\"\nstations = [\"{air}\"]\n"
        );
        let cases = [
            (
                format!("[[area]]\nid = \"C\"\nkind = \"city\"\nname_zh = \"x\"\nname_en = \"x\"\nstations = [\"{air}\"]\n"),
                "lower-case",
            ),
            (format!("{city}{city}"), "more than once"),
            (
                format!("[[area]]\nid = \"c\"\nkind = \"city\"\nname_zh = \"x\"\nname_en = \"x\"\nstations = [\"{river}\"]\n"),
                "not an air station",
            ),
            (
                format!("{city}[[area]]\nid = \"d\"\nkind = \"district\"\nname_zh = \"x\"\nname_en = \"x\"\nparent = \"nowhere\"\nstations = [\"{air}\"]\n"),
                "must name a city",
            ),
            (
                format!("[[area]]\nid = \"c\"\nkind = \"city\"\nname_zh = \"x\"\nname_en = \"x\"\nmin_reporting_share = 0.0\nstations = [\"{air}\"]\n"),
                "min_reporting_share",
            ),
            (
                format!("[[area]]\nid = \"c\"\nkind = \"city\"\nname_zh = \"x\"\nname_en = \"x\"\nclass = 3\nstations = [\"{air}\"]\n"),
                "1 or 2",
            ),
            (
                "[[area]]\nid = \"c\"\nkind = \"city\"\nname_zh = \"x\"\nname_en = \"x\"\nstations = []\n".to_owned(),
                "lists no station",
            ),
        ];
        for (areas, reason) in cases {
            let error = parse_areas(&registry_with(&areas)).unwrap_err().to_string();
            assert!(error.contains(reason), "{areas}\n→ {error}");
        }
        assert_eq!(parse_areas(&registry_with(&city)).unwrap().len(), 1);
    }
}
