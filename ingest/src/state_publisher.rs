//! Publishing committed station states on the `live/{kind}/{station}`
//! topics, and the areas' AQI on `live/area/{id}`, from which the publishers
//! feed the public live stream.
//!
//! Only committed state is published, so a consumer never shows a value the
//! database does not hold. These messages are best effort: each carries the
//! station's whole state, and publishers snapshot from the database on
//! start, so a lost one is repaired by the next.

use envmon_core::topic::Topics;
use envmon_core::wire::{AreaState, StationState};
use rumqttc::{AsyncClient, QoS};

/// Publishes station states through the ingest's MQTT session.
#[derive(Debug, Clone)]
pub(crate) struct StatePublisher {
    client: AsyncClient,
}

impl StatePublisher {
    pub(crate) fn new(client: AsyncClient) -> Self {
        Self { client }
    }

    /// Queues `state` for publication without waiting: while the broker is
    /// unreachable the request queue fills, and then the update is dropped
    /// rather than stalling the writer.
    pub(crate) fn publish(&self, topics: &Topics, state: &StationState) {
        let payload = match serde_json::to_vec(state) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(error = %error, "Cannot serialise station state.");
                return;
            }
        };
        let topic = topics.live(state.kind, &state.station);
        if let Err(error) = self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
        {
            tracing::warn!(station = %state.station, error = %error, "Dropping a station state; broker queue full.");
        }
    }

    /// Queues an area's latest AQI on `live/area/{id}`, as [`Self::publish`] does a station's.
    pub(crate) fn publish_area(&self, topics: &Topics, state: &AreaState) {
        let payload = match serde_json::to_vec(state) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(error = %error, "Cannot serialise area state.");
                return;
            }
        };
        if let Err(error) =
            self.client
                .try_publish(topics.area(&state.area), QoS::AtLeastOnce, false, payload)
        {
            tracing::warn!(area = %state.area, error = %error, "Dropping an area state; broker queue full.");
        }
    }
}
