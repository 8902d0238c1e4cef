//! The live wire types: what ingest publishes on `live/{kind}/{station}` after
//! a commit, and what the publisher forwards to browsers.
//!
//! A [`StationState`] is self-contained (the latest value of every parameter
//! the station has reported), so a consumer that misses a message loses
//! nothing: the next one, or a fresh snapshot, carries the whole state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Parameter, QualityFlag, StationCode, StationKind};

/// The latest committed value of one parameter.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestValue {
    /// The value in `unit`.
    pub value: f64,
    /// The parameter's canonical unit.
    pub unit: String,
    /// When it was observed.
    pub observed_at: DateTime<Utc>,
    /// Its quality flag.
    pub quality: QualityFlag,
}

/// A stored reading replaced by a corrected value: the new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The parameter.
    pub parameter: Parameter,
    /// The observation instant whose value changed.
    pub observed_at: DateTime<Utc>,
    /// The corrected value, in the canonical unit.
    pub value: f64,
    /// Its quality flag.
    pub quality: QualityFlag,
}

/// The latest real-time (hourly) AQI of an air station.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AqiNow {
    /// The hour it describes, labelled by its end.
    pub hour_end: DateTime<Utc>,
    /// The HJ 633 edition it was judged by, e.g. `HJ 633-2026`.
    pub edition: String,
    /// The AQI as published; `None` when the standard withholds it (NA).
    pub aqi: Option<i16>,
    /// The AQI level 1–6, when there is one.
    pub level: Option<i16>,
    /// Primary pollutants (codes), empty when AQI ≤ 50.
    pub primary: Vec<String>,
    /// The full explanation: sub-indices, inputs, level texts.
    pub report: serde_json::Value,
    /// The US EPA AQI of the same hour, the second index: its report with
    /// `aqi`, `category` and sub-indices; absent when not computable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_epa: Option<serde_json::Value>,
}

/// The latest GB 3838-2002 assessment of a water site.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterNow {
    /// The record it assesses.
    pub observed_at: DateTime<Utc>,
    /// The class: 1–5 for I–V, 6 for worse than V; `None` without counted items.
    pub class: Option<i16>,
    /// Whether the site meets its target class.
    pub meets_target: Option<bool>,
    /// The full explanation: every item's class, limits, exceedances.
    pub report: serde_json::Value,
}

/// A radiation station's latest hour: its mean dose rate against the
/// station's natural background.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadiationNow {
    /// The end of the hour.
    pub hour_end: DateTime<Utc>,
    /// The hour's mean dose rate, nGy/h.
    pub mean: Option<f64>,
    /// within, above, below, no_background or invalid.
    pub state: String,
    /// Whether the hour reached the investigation level.
    pub investigate: bool,
    /// The verdict with the background and the explanation in both languages.
    pub report: serde_json::Value,
}

/// A station's latest committed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationState {
    /// The station.
    pub station: StationCode,
    /// Its kind.
    pub kind: StationKind,
    /// The newest observation time among `readings`.
    pub updated_at: DateTime<Utc>,
    /// The latest value of each parameter the station has reported.
    pub readings: BTreeMap<Parameter, LatestValue>,
    /// Air stations: the latest hourly AQI, once an hour has been computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aqi: Option<AqiNow>,
    /// Water sites: the latest assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub water: Option<WaterNow>,
    /// Radiation stations: the latest hour's verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radiation: Option<RadiationNow>,
    /// In a live update: earlier readings this commit corrected. Not part
    /// of the state itself (a snapshot carries none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<Revision>,
    /// On the live topic: when ingest committed this state, so a publisher
    /// can tell how far behind the commits it relays (its live lag). Not
    /// part of the state either: publishers take it off before clients see
    /// the state, and a snapshot carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<DateTime<Utc>>,
}

impl StationState {
    /// Folds a newer (or older) state of the same station into this one,
    /// keeping for each parameter whichever value was observed later, so the
    /// order in which states arrive does not matter.
    pub fn merge(&mut self, other: StationState) {
        for (parameter, incoming) in other.readings {
            match self.readings.get(&parameter) {
                Some(current) if current.observed_at > incoming.observed_at => {}
                _ => {
                    self.readings.insert(parameter, incoming);
                }
            }
        }
        self.updated_at = self.updated_at.max(other.updated_at);
        self.committed_at = self.committed_at.max(other.committed_at);
        if let Some(incoming) = other.aqi
            && self
                .aqi
                .as_ref()
                .is_none_or(|current| current.hour_end <= incoming.hour_end)
        {
            self.aqi = Some(incoming);
        }
        if let Some(incoming) = other.water
            && self
                .water
                .as_ref()
                .is_none_or(|current| current.observed_at <= incoming.observed_at)
        {
            self.water = Some(incoming);
        }
        if let Some(incoming) = other.radiation
            && self
                .radiation
                .as_ref()
                .is_none_or(|current| current.hour_end <= incoming.hour_end)
        {
            self.radiation = Some(incoming);
        }
    }
}

/// An area's latest real-time AQI (the city, a district): from the mean of its evaluation
/// stations, what the page shows first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaState {
    /// The area's id, e.g. `shanghai`, `pudong`.
    pub area: String,
    pub kind: crate::area::AreaKind,
    pub name_zh: String,
    pub name_en: String,
    /// A district's city.
    pub parent: Option<String>,
    /// The area's evaluation stations.
    pub stations: i16,
    /// The latest hour's AQI; its report carries `area_means`, each pollutant's mean with how
    /// many stations counted.
    pub aqi: AqiNow,
}

/// A message from the publisher to a live client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Every station's current state; replaces whatever the client held.
    Snapshot {
        /// One entry per station with data.
        stations: Vec<StationState>,
        /// One entry per area with an AQI.
        #[serde(default)]
        areas: Vec<AreaState>,
    },
    /// One station's new state.
    Update {
        /// The station's state after the latest commit (boxed: a snapshot
        /// holds only a vector, so the enum stays small).
        state: Box<StationState>,
    },
    /// One area's new AQI.
    Area {
        /// The area's state after the rollup that changed it.
        state: Box<AreaState>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn value(v: f64, hour: u32) -> LatestValue {
        LatestValue {
            value: v,
            unit: "ug/m3".into(),
            observed_at: Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap(),
            quality: QualityFlag::Valid,
        }
    }

    fn state(entries: &[(Parameter, f64, u32)]) -> StationState {
        let readings: BTreeMap<_, _> = entries.iter().map(|&(p, v, h)| (p, value(v, h))).collect();
        let updated_at = readings.values().map(|r| r.observed_at).max().unwrap();
        StationState {
            station: StationCode::parse("1141A").unwrap(),
            kind: StationKind::Air,
            updated_at,
            readings,
            aqi: None,
            water: None,
            radiation: None,
            revisions: Vec::new(),
            committed_at: None,
        }
    }

    #[test]
    fn merge_keeps_the_later_observation_of_each_parameter() {
        let mut current = state(&[(Parameter::Pm25, 30.0, 10), (Parameter::No2, 40.0, 10)]);
        current.merge(state(&[
            (Parameter::Pm25, 20.0, 9),
            (Parameter::No2, 45.0, 11),
        ]));
        assert_eq!(current.readings[&Parameter::Pm25].value, 30.0);
        assert_eq!(current.readings[&Parameter::No2].value, 45.0);
        assert_eq!(
            current.updated_at,
            Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap()
        );
    }

    #[test]
    fn merge_keeps_the_later_aqi_hour() {
        let aqi = |hour: u32, value: i16| AqiNow {
            hour_end: Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap(),
            edition: "HJ 633-2026".into(),
            aqi: Some(value),
            level: Some(2),
            primary: vec!["pm25".into()],
            report: serde_json::Value::Null,
            us_epa: None,
        };
        let mut current = state(&[(Parameter::Pm25, 30.0, 10)]);
        current.aqi = Some(aqi(10, 60));
        let mut older = state(&[(Parameter::Pm25, 30.0, 9)]);
        older.aqi = Some(aqi(9, 90));
        current.merge(older);
        assert_eq!(current.aqi.as_ref().unwrap().aqi, Some(60));
        let mut newer = state(&[(Parameter::Pm25, 30.0, 11)]);
        newer.aqi = Some(aqi(11, 75));
        current.merge(newer);
        assert_eq!(current.aqi.unwrap().aqi, Some(75));
    }

    #[test]
    fn live_message_is_tagged_json() {
        let message = LiveMessage::Update {
            state: Box::new(state(&[(Parameter::Pm25, 35.5, 10)])),
        };
        let json: serde_json::Value = serde_json::to_value(&message).unwrap();
        assert_eq!(json["type"], "update");
        assert_eq!(json["state"]["readings"]["pm25"]["value"], 35.5);
        assert_eq!(json["state"]["readings"]["pm25"]["quality"], "valid");
        let back: LiveMessage = serde_json::from_value(json).unwrap();
        assert_eq!(back, message);
    }
}
