//! MQTT topic names.
//!
//! Sensors publish on `{prefix}sensors/{kind}/{station}`; ingest publishes the
//! committed state on `{prefix}live/{kind}/{station}`. The topic names the
//! station, so a payload may not speak for another one. The prefix lets
//! several deployments (or parallel tests) share one broker without crossing.

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
    fn prefixes_with_wildcards_are_refused() {
        assert!(Topics::new("a").is_err());
        assert!(Topics::new("a/#/").is_err());
        assert!(Topics::new("$SYS/").is_err());
        assert!(Topics::new("a/b/").is_ok());
    }
}
