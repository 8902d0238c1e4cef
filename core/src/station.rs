//! Stations: where readings come from.
//!
//! A station is an air monitoring station, a river section (断面) or a
//! drinking-water source (水源地). Its code appears in MQTT topics, URLs and
//! database keys, so [`StationCode::parse`] admits only characters that are
//! safe in all three.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest station code we accept; national air codes are five characters.
pub const MAX_STATION_CODE_LEN: usize = 32;

/// A station's code, e.g. the national air station code `1141A` or a water
/// site's slug `wusongkou`.
///
/// Invariant: 1 to [`MAX_STATION_CODE_LEN`] ASCII letters, digits or `-`, so
/// it never contains an MQTT wildcard, a topic separator or a URL metacharacter.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StationCode(String);

/// Why a string is not a station code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StationCodeError {
    /// The string was empty.
    #[error("station code is empty")]
    Empty,
    /// The string was longer than [`MAX_STATION_CODE_LEN`].
    #[error("station code is longer than {MAX_STATION_CODE_LEN} characters")]
    TooLong,
    /// The string held a character outside `[A-Za-z0-9-]`.
    #[error("station code contains {0:?}; only ASCII letters, digits and '-' are allowed")]
    InvalidCharacter(char),
}

impl StationCode {
    /// Parses a station code.
    ///
    /// ```
    /// use envmon_core::StationCode;
    /// assert_eq!(StationCode::parse("1141A").unwrap().as_str(), "1141A");
    /// assert!(StationCode::parse("a/b").is_err());
    /// ```
    ///
    /// # Errors
    /// Fails when the code is empty, too long, or has a character other than
    /// an ASCII letter, digit or `-`.
    pub fn parse(code: &str) -> Result<Self, StationCodeError> {
        if code.is_empty() {
            return Err(StationCodeError::Empty);
        }
        if code.len() > MAX_STATION_CODE_LEN {
            return Err(StationCodeError::TooLong);
        }
        if let Some(bad) = code
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(StationCodeError::InvalidCharacter(bad));
        }
        Ok(Self(code.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StationCode {
    type Err = StationCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for StationCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What a station monitors.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StationKind {
    /// An ambient air monitoring station.
    Air,
    /// A river section (断面) of the surface-water network.
    River,
    /// A centralised drinking-water source (集中式饮用水水源地).
    Source,
    /// A water plant's outlet (出厂水), judged by GB 5749-2022.
    Plant,
    /// A point of the distribution network or a tap (管网水/末梢水), judged by
    /// GB 5749-2022.
    Tap,
    /// An automatic radiation station (辐射环境自动监测站): ambient gamma
    /// dose rate against its natural background.
    Radiation,
}

impl StationKind {
    /// Every kind, in display order: from the air, then water from river to
    /// source to plant to tap.
    pub const ALL: [StationKind; 6] = [
        Self::Air,
        Self::River,
        Self::Source,
        Self::Plant,
        Self::Tap,
        Self::Radiation,
    ];

    /// The kind's name as used in topics, SQL and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Air => "air",
            Self::River => "river",
            Self::Source => "source",
            Self::Plant => "plant",
            Self::Tap => "tap",
            Self::Radiation => "radiation",
        }
    }

    /// Parses a kind name (`air`, `river`, `source`, `plant`, `tap` or
    /// `radiation`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether stations of this kind measure water.
    pub fn is_water(self) -> bool {
        !matches!(self, Self::Air | Self::Radiation)
    }

    /// Whether GB 3838-2002 judges this kind: surface water, rivers and
    /// drinking-water sources. They have a water body and a target class.
    pub fn is_surface_water(self) -> bool {
        matches!(self, Self::River | Self::Source)
    }

    /// Whether GB 5749-2022 judges this kind: the public supply, from the
    /// plant's outlet to the tap.
    pub fn is_supply(self) -> bool {
        matches!(self, Self::Plant | Self::Tap)
    }
}

impl fmt::Display for StationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of water body, which GB 3838-2002 Table 1 distinguishes for total
/// phosphorus (lakes and reservoirs have stricter limits than rivers).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaterBodyType {
    /// A river or canal.
    River,
    /// A lake or reservoir (GB 3838's "湖、库").
    Lake,
}

impl WaterBodyType {
    /// The name as stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::River => "river",
            Self::Lake => "lake",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "river" => Some(Self::River),
            "lake" => Some(Self::Lake),
            _ => None,
        }
    }
}

/// A station as the registry describes it and the API publishes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// The station's code.
    pub code: StationCode,
    /// What it monitors.
    pub kind: StationKind,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// District (区) in Chinese.
    pub district_zh: String,
    /// District in English.
    pub district_en: String,
    /// WGS-84 longitude in degrees.
    pub longitude: f64,
    /// WGS-84 latitude in degrees.
    pub latitude: f64,
    /// True when no coordinates are published and these are an estimate.
    pub coordinates_approximate: bool,
    /// Water sites: the river, lake or reservoir, in Chinese.
    #[serde(default)]
    pub water_body_zh: Option<String>,
    /// Water sites: the water body in English.
    #[serde(default)]
    pub water_body_en: Option<String>,
    /// Water sites: the basin (流域) in Chinese.
    #[serde(default)]
    pub basin_zh: Option<String>,
    /// Water sites: the basin in English.
    #[serde(default)]
    pub basin_en: Option<String>,
    /// Water sites: river, or lake/reservoir.
    #[serde(default)]
    pub water_body_type: Option<WaterBodyType>,
    /// Water sites: the GB 3838-2002 class (1 = I .. 5 = V) the site must meet.
    #[serde(default)]
    pub target_class: Option<u8>,
    /// Network points: the code of the water plant that supplies them, so a
    /// plant's outlet and its network are reported together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<StationCode>,
    /// Radiation stations: the low end of the natural background range of
    /// the dose rate (nGy/h), as the network publishes it; learned from
    /// the station's own history when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_low: Option<f64>,
    /// Radiation stations: the high end of that range (nGy/h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_high: Option<f64>,
    /// Radiation stations: the dose rate (nGy/h) at which staff must
    /// investigate; the background's high end when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation_level: Option<f64>,
    /// The MN (设备唯一标识) of the station's HJ 212 data logger, which
    /// names the station in HJ 212 packets; absent when it sends none.
    /// Never serialized: the MN is the logger's only identity besides its
    /// secret, so no public output may carry it.
    #[serde(default, skip_serializing)]
    pub hj212_mn: Option<String>,
    /// Where the station's HJ 212 data logger may connect from over TCP
    /// (CIDR networks); empty for anywhere. Never serialized, like the MN.
    #[serde(default, skip_serializing)]
    pub hj212_networks: Vec<crate::network::Network>,
}

/// Why a registry record is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StationError {
    /// A water site lacks a field that water assessment needs.
    #[error("water station {0} needs {1}")]
    MissingWaterField(StationCode, &'static str),
    /// An air station carries water fields.
    #[error("air station {0} must not have water fields")]
    AirWithWaterFields(StationCode),
    /// A public-supply site carries the GB 3838-2002 fields of surface water.
    #[error(
        "supply station {0} must not have water_body_type or target_class: GB 5749-2022 judges it"
    )]
    SupplyWithSurfaceFields(StationCode),
    /// A network point does not say which plant supplies it.
    #[error("network point {0} needs plant, the code of the water plant that supplies it")]
    TapWithoutPlant(StationCode),
    /// Radiation fields on another kind, or an inconsistent range.
    #[error(
        "station {0}: background_low < background_high (both or neither) and investigation_level \
         belong to radiation stations only, as positive nGy/h"
    )]
    RadiationFields(StationCode),
    /// A station other than a network point names a plant.
    #[error("station {0} is not a network point (kind tap) and must not name a plant")]
    PlantOnNonTap(StationCode),
    /// The target class is not 1 to 5.
    #[error("station {0} has target class {1}; GB 3838-2002 classes are 1 to 5")]
    TargetClassOutOfRange(StationCode, u8),
    /// Coordinates are not a point on Earth.
    #[error("station {0} has coordinates outside longitude -180..180 or latitude -90..90")]
    CoordinatesOutOfRange(StationCode),
}

impl Station {
    /// Checks the record's fields agree with its kind.
    ///
    /// # Errors
    /// Reports the first inconsistency found.
    pub fn validate(&self) -> Result<(), StationError> {
        let code = || self.code.clone();
        if !(-180.0..=180.0).contains(&self.longitude) || !(-90.0..=90.0).contains(&self.latitude) {
            return Err(StationError::CoordinatesOutOfRange(code()));
        }
        if self.plant.is_some() != (self.kind == StationKind::Tap) {
            return Err(if self.kind == StationKind::Tap {
                StationError::TapWithoutPlant(code())
            } else {
                StationError::PlantOnNonTap(code())
            });
        }
        let radiation_fields = self.background_low.is_some()
            || self.background_high.is_some()
            || self.investigation_level.is_some();
        let range_ok = match (self.background_low, self.background_high) {
            (Some(low), Some(high)) => low >= 0.0 && low < high,
            (None, None) => true,
            _ => false,
        };
        let level_ok = self.investigation_level.is_none_or(|l| l > 0.0);
        if (radiation_fields && self.kind != StationKind::Radiation) || !range_ok || !level_ok {
            return Err(StationError::RadiationFields(code()));
        }
        if self.kind == StationKind::Radiation {
            if self.water_body_type.is_some() || self.target_class.is_some() {
                return Err(StationError::AirWithWaterFields(code()));
            }
        } else if self.kind.is_supply() {
            if self.water_body_type.is_some() || self.target_class.is_some() {
                return Err(StationError::SupplyWithSurfaceFields(code()));
            }
        } else if self.kind.is_surface_water() {
            if self.water_body_type.is_none() {
                return Err(StationError::MissingWaterField(code(), "water_body_type"));
            }
            match self.target_class {
                None => return Err(StationError::MissingWaterField(code(), "target_class")),
                Some(class) if !(1..=5).contains(&class) => {
                    return Err(StationError::TargetClassOutOfRange(code(), class));
                }
                Some(_) => {}
            }
        } else if self.water_body_type.is_some() || self.target_class.is_some() {
            return Err(StationError::AirWithWaterFields(code()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_code_accepts_national_codes_and_slugs() {
        for code in ["1141A", "wusongkou", "qingcaosha-2", "A"] {
            assert_eq!(StationCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn station_code_refuses_topic_and_url_metacharacters() {
        for code in ["a/b", "+", "#", "a b", "a.b", "普陀", "a?b"] {
            assert!(matches!(
                StationCode::parse(code),
                Err(StationCodeError::InvalidCharacter(_))
            ));
        }
        assert_eq!(StationCode::parse(""), Err(StationCodeError::Empty));
        assert_eq!(
            StationCode::parse(&"a".repeat(33)),
            Err(StationCodeError::TooLong)
        );
    }

    #[test]
    fn kind_round_trips_through_its_name() {
        for kind in StationKind::ALL {
            assert_eq!(StationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StationKind::parse("lake"), None);
    }
}
