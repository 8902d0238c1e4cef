//! MQTT topic names.
//!
//! Sensors publish on `{prefix}sensors/{kind}/{station}`; ingest publishes the
//! committed state on `{prefix}live/{kind}/{station}`, and the publisher
//! announces each version of a public alert notice on
//! `{prefix}live/alert/{id}`. The topic names the station, so a payload may
//! not speak for another one. The prefix lets several deployments (or
//! parallel tests) share one broker without crossing.
//!
//! This module is the one place that builds and splits these names: ingest,
//! the publisher and the simulator only call it.

use crate::station::{StationCode, StationKind};

/// Why a topic is not a sensor topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The topic does not have the `sensors/{kind}/{station}` shape.
    #[error("topic {0:?} is not of the form sensors/{{kind}}/{{station}}")]
    Shape(String),
    /// The kind segment is not `air`, `river` or `source`.
    #[error("topic names unknown station kind {0:?}")]
    UnknownKind(String),
    /// The station segment is not a valid code.
    #[error("topic names an invalid station code: {0}")]
    InvalidStation(#[from] crate::station::StationCodeError),
    /// The topic is not `live/{kind}/{station}` nor `live/alert/{id}`.
    #[error("topic {0:?} is not of the form live/{{kind}}/{{station}} or live/alert/{{id}}")]
    LiveShape(String),
}

/// The segment of a live topic that carries alert notices in place of a
/// station kind. No kind is called so (`StationKind::parse` refuses it).
const ALERT_SEGMENT: &str = "alert";

/// The segment of a live topic that carries an area's AQI (the city, a district) in place of a
/// station kind; no kind is called so either.
const AREA_SEGMENT: &str = "area";

/// The segment of a live topic that carries an air-quality forecast in place of a station kind;
/// no kind is called so either.
const FORECAST_SEGMENT: &str = "forecast";

/// What a live topic carries, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveTopic<'a> {
    /// A station's committed state (`live/{kind}/{station}`).
    State {
        /// The kind segment.
        kind: StationKind,
        /// The station segment.
        station: StationCode,
    },
    /// A version of a public alert notice (`live/alert/{id}`); the id is
    /// the topic's own text, checked against the notice by its reader.
    Alert(&'a str),
    /// An area's latest AQI (`live/area/{id}`), the id checked against the state by its reader.
    Area(&'a str),
    /// A version of a published forecast (`live/forecast/{id}`), the id checked against the
    /// forecast by its reader.
    Forecast(&'a str),
}

/// Topic names under one prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topics {
    /// Empty, or a path ending in `/`; never contains `+` or `#`.
    prefix: String,
}

/// The prefix contains a wildcard or does not end with `/`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("topic prefix {0:?} must be empty or end with '/', and must not contain '+' or '#'")]
pub struct InvalidPrefix(pub String);

impl Topics {
    /// Topics under `prefix` (empty for none).
    ///
    /// # Errors
    /// Fails when the prefix holds a wildcard or lacks its trailing `/`.
    pub fn new(prefix: &str) -> Result<Self, InvalidPrefix> {
        let well_formed = prefix.is_empty()
            || (prefix.ends_with('/') && !prefix.contains(['+', '#']) && !prefix.starts_with('$'));
        if well_formed {
            Ok(Self {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(InvalidPrefix(prefix.to_owned()))
        }
    }

    /// The prefix, empty or ending in `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The topic a sensor at `station` publishes on.
    pub fn sensor(&self, kind: StationKind, station: &StationCode) -> String {
        format!("{}sensors/{kind}/{station}", self.prefix)
    }

    /// The filter ingest subscribes with; shared among a group's instances
    /// when `shared_group` is given, so each message goes to one of them.
    pub fn sensor_subscription(&self, shared_group: Option<&str>) -> String {
        match shared_group {
            Some(group) => format!("$share/{group}/{}sensors/+/+", self.prefix),
            None => format!("{}sensors/+/+", self.prefix),
        }
    }

    /// Splits a sensor topic into the kind and station it names.
    ///
    /// # Errors
    /// Fails when the topic is outside the prefix, has the wrong shape, or
    /// names an unknown kind or an invalid station code.
    pub fn parse_sensor(&self, topic: &str) -> Result<(StationKind, StationCode), TopicError> {
        let shape = || TopicError::Shape(topic.to_owned());
        let rest = topic.strip_prefix(self.prefix.as_str()).ok_or_else(shape)?;
        let mut parts = rest.split('/');
        let (Some("sensors"), Some(kind), Some(station), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        let kind =
            StationKind::parse(kind).ok_or_else(|| TopicError::UnknownKind(kind.to_owned()))?;
        Ok((kind, StationCode::parse(station)?))
    }

    /// The topic that carries a station's committed state.
    pub fn live(&self, kind: StationKind, station: &StationCode) -> String {
        format!("{}live/{kind}/{station}", self.prefix)
    }

    /// The filter publishers subscribe with to receive every station's state.
    pub fn live_subscription(&self) -> String {
        format!("{}live/+/+", self.prefix)
    }

    /// The filter for the states of one kind of station.
    pub fn live_kind_subscription(&self, kind: StationKind) -> String {
        format!("{}live/{kind}/+", self.prefix)
    }

    /// The topic that carries the versions of public alert notice `id`.
    pub fn alert(&self, id: &str) -> String {
        format!("{}live/{ALERT_SEGMENT}/{id}", self.prefix)
    }

    /// The topic that carries area `id`'s latest AQI.
    pub fn area(&self, id: &str) -> String {
        format!("{}live/{AREA_SEGMENT}/{id}", self.prefix)
    }

    /// The filter for every area's AQI.
    pub fn area_subscription(&self) -> String {
        format!("{}live/{AREA_SEGMENT}/+", self.prefix)
    }

    /// The topic that carries the versions of forecast `id`.
    pub fn forecast(&self, id: &str) -> String {
        format!("{}live/{FORECAST_SEGMENT}/{id}", self.prefix)
    }

    /// The filter for every forecast.
    pub fn forecast_subscription(&self) -> String {
        format!("{}live/{FORECAST_SEGMENT}/+", self.prefix)
    }

    /// The filter for every alert notice.
    pub fn alert_subscription(&self) -> String {
        format!("{}live/{ALERT_SEGMENT}/+", self.prefix)
    }

    /// Splits a live topic into the station state, the alert notice or the
    /// area AQI it carries.
    ///
    /// # Errors
    /// Fails when the topic is outside the prefix, is not of either shape
    /// (an empty alert id included), or names an unknown kind or an invalid
    /// station code.
    ///
    /// ```
    /// use envmon_core::topic::{LiveTopic, Topics};
    /// let topics = Topics::new("p/").unwrap();
    /// assert_eq!(topics.parse_live("p/live/alert/n-1"), Ok(LiveTopic::Alert("n-1")));
    /// assert!(matches!(topics.parse_live("p/live/air/1141A"), Ok(LiveTopic::State { .. })));
    /// assert_eq!(topics.parse_live("p/live/area/pudong"), Ok(LiveTopic::Area("pudong")));
    /// ```
    pub fn parse_live<'a>(&self, topic: &'a str) -> Result<LiveTopic<'a>, TopicError> {
        let shape = || TopicError::LiveShape(topic.to_owned());
        let rest = topic.strip_prefix(self.prefix.as_str()).ok_or_else(shape)?;
        let mut parts = rest.split('/');
        let (Some("live"), Some(kind), Some(last), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        if kind == ALERT_SEGMENT || kind == AREA_SEGMENT || kind == FORECAST_SEGMENT {
            return match (last.is_empty(), kind) {
                (true, _) => Err(shape()),
                (false, ALERT_SEGMENT) => Ok(LiveTopic::Alert(last)),
                (false, AREA_SEGMENT) => Ok(LiveTopic::Area(last)),
                (false, _) => Ok(LiveTopic::Forecast(last)),
            };
        }
        let kind =
            StationKind::parse(kind).ok_or_else(|| TopicError::UnknownKind(kind.to_owned()))?;
        Ok(LiveTopic::State {
            kind,
            station: StationCode::parse(last)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_topic_round_trips() {
        let topics = Topics::new("t1/").unwrap();
        let code = StationCode::parse("1141A").unwrap();
        let topic = topics.sensor(StationKind::Air, &code);
        assert_eq!(topic, "t1/sensors/air/1141A");
        assert_eq!(
            topics.parse_sensor(&topic).unwrap(),
            (StationKind::Air, code)
        );
    }

    #[test]
    fn malformed_sensor_topics_are_refused() {
        let topics = Topics::new("").unwrap();
        assert!(matches!(
            topics.parse_sensor("sensors/air"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            topics.parse_sensor("sensors/air/a/b"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            topics.parse_sensor("live/air/1141A"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            topics.parse_sensor("sensors/sea/x"),
            Err(TopicError::UnknownKind(_))
        ));
        assert!(matches!(
            topics.parse_sensor("sensors/air/"),
            Err(TopicError::InvalidStation(_))
        ));
    }

    #[test]
    fn shared_subscription_names_the_group() {
        let topics = Topics::new("p/").unwrap();
        assert_eq!(
            topics.sensor_subscription(Some("ingest")),
            "$share/ingest/p/sensors/+/+"
        );
        assert_eq!(topics.sensor_subscription(None), "p/sensors/+/+");
    }

    #[test]
    fn live_state_topic_round_trips() {
        let topics = Topics::new("t1/").unwrap();
        let code = StationCode::parse("wusongkou").unwrap();
        let topic = topics.live(StationKind::River, &code);
        assert_eq!(topic, "t1/live/river/wusongkou");
        assert_eq!(
            topics.parse_live(&topic).unwrap(),
            LiveTopic::State {
                kind: StationKind::River,
                station: code
            }
        );
    }

    #[test]
    fn alert_topic_round_trips() {
        let topics = Topics::new("t1/").unwrap();
        let topic = topics.alert("n-42");
        assert_eq!(topic, "t1/live/alert/n-42");
        assert_eq!(topics.parse_live(&topic).unwrap(), LiveTopic::Alert("n-42"));
    }

    #[test]
    fn forecast_topic_round_trips() {
        let topics = Topics::new("t1/").unwrap();
        let topic = topics.forecast("FC-2026-00001");
        assert_eq!(topic, "t1/live/forecast/FC-2026-00001");
        assert_eq!(
            topics.parse_live(&topic).unwrap(),
            LiveTopic::Forecast("FC-2026-00001")
        );
        assert_eq!(topics.forecast_subscription(), "t1/live/forecast/+");
        assert!(topics.parse_live("t1/live/forecast/").is_err());
    }

    #[test]
    fn area_topic_round_trips() {
        let topics = Topics::new("t1/").unwrap();
        let topic = topics.area("pudong");
        assert_eq!(topic, "t1/live/area/pudong");
        assert_eq!(
            topics.parse_live(&topic).unwrap(),
            LiveTopic::Area("pudong")
        );
        assert_eq!(topics.area_subscription(), "t1/live/area/+");
    }

    #[test]
    fn live_subscriptions_match_the_topics_they_are_for() {
        let topics = Topics::new("p/").unwrap();
        assert_eq!(
            topics.live_kind_subscription(StationKind::Source),
            "p/live/source/+"
        );
        assert_eq!(topics.alert_subscription(), "p/live/alert/+");
    }

    #[test]
    fn malformed_live_topics_are_refused() {
        let topics = Topics::new("p/").unwrap();
        for topic in [
            "live/air/1141A",
            "p/sensors/air/1141A",
            "p/live/air",
            "p/live/air/1141A/x",
            "p/live/alert/",
            "p/live/alert/a/b",
            "p/live/area/",
            "p/live/area/a/b",
        ] {
            assert!(
                matches!(topics.parse_live(topic), Err(TopicError::LiveShape(_))),
                "{topic}: {:?}",
                topics.parse_live(topic)
            );
        }
        assert!(matches!(
            topics.parse_live("p/live/sea/x"),
            Err(TopicError::UnknownKind(_))
        ));
        assert!(matches!(
            topics.parse_live("p/live/air/"),
            Err(TopicError::InvalidStation(_))
        ));
    }

    #[test]
    fn no_station_kind_is_named_like_the_alert_segment() {
        assert!(StationKind::parse(ALERT_SEGMENT).is_none());
    }

    #[test]
    fn prefixes_with_wildcards_are_refused() {
        assert!(Topics::new("a").is_err());
        assert!(Topics::new("a/#/").is_err());
        assert!(Topics::new("$SYS/").is_err());
        assert!(Topics::new("a/b/").is_ok());
    }
}
