//! Forecasts in the hub: which versions are news, and which the database's
//! own copies override; the same ranking as notices.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::super::event::{Event, EventKey};
use super::super::forecast::Forecast;
use super::{Hub, Inner, encode};

/// Forecasts kept whole before those no longer current are dropped (their
/// rank is kept, to refuse replays of older versions).
const MAX_KEPT_FORECASTS: usize = 1000;

impl Hub {
    /// Relays a verified forecast from the broker when it is newer than any
    /// version held. Returns whether it was relayed.
    pub(crate) fn apply_forecast(&self, forecast: Forecast) -> bool {
        let mut inner = self.lock();
        if inner
            .forecast_ranks
            .get(forecast.id())
            .is_some_and(|held| *held >= forecast.rank())
        {
            return false;
        }
        self.relay_forecast(&mut inner, forecast);
        true
    }

    /// Folds in the forecasts this publisher issued, read from its database:
    /// one wins over a version held from the broker when it ranks the same
    /// or higher. Sends those that changed and are current or were held.
    pub(crate) fn reload_forecasts(&self, forecasts: Vec<Forecast>) {
        let mut inner = self.lock();
        let today = crate::public_forecasts::beijing_today();
        for forecast in forecasts {
            let held_rank = inner.forecast_ranks.get(forecast.id()).copied();
            if held_rank.is_some_and(|held| held > forecast.rank()) {
                continue;
            }
            let held = inner.forecasts.get(forecast.id());
            if held.is_some_and(|held| held.body == forecast.body) {
                continue;
            }
            if held.is_none() && !forecast.is_current(today) {
                inner
                    .forecast_ranks
                    .insert(forecast.id().to_owned(), forecast.rank());
                continue;
            }
            self.relay_forecast(&mut inner, forecast);
        }
    }

    /// The current forecasts' documents, for a snapshot.
    pub(super) fn current_forecasts(inner: &Inner) -> Vec<&Value> {
        let today = crate::public_forecasts::beijing_today();
        inner
            .forecasts
            .values()
            .filter(|f| f.is_current(today))
            .map(|f| &f.body)
            .collect()
    }

    fn relay_forecast(&self, inner: &mut Inner, forecast: Forecast) {
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            forecast: &'a Value,
            seq: u64,
            epoch: &'a str,
        }
        let seq = inner.seq + 1;
        let Some(text) = encode(&Message {
            r#type: "forecast",
            forecast: &forecast.body,
            seq,
            epoch: &self.epoch,
        }) else {
            return;
        };
        let id = forecast.id().to_owned();
        let event = Event::new(
            seq,
            EventKey::Forecast(id.clone()),
            forecast.scope(),
            text,
            Arc::clone(&self.epoch),
        );
        inner.forecast_ranks.insert(id.clone(), forecast.rank());
        inner.forecasts.insert(id, forecast);
        if inner.forecasts.len() > MAX_KEPT_FORECASTS {
            let today = crate::public_forecasts::beijing_today();
            inner.forecasts.retain(|_, f| f.is_current(today));
        }
        self.emit(inner, event);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use envmon_core::alert::Bilingual;
    use envmon_core::forecast::{ForecastStatus, PublicForecast, PublicForecastDay};

    use super::super::super::filter::Filter;
    use super::*;

    fn forecast(version: i32, status: ForecastStatus, ahead: i64) -> Forecast {
        let today = crate::public_forecasts::beijing_today();
        Forecast::issued(PublicForecast {
            id: "FC-1".into(),
            version,
            version_id: format!("FC-1.v{version}"),
            status,
            area: "shanghai".into(),
            area_name: Bilingual::default(),
            issued_at: chrono::Utc::now(),
            days: vec![PublicForecastDay {
                day: today + Duration::days(ahead),
                part: None,
                days_ahead: 1,
                aqi_low: 60,
                aqi_high: 80,
                levels: vec![2],
                edition: "HJ 633-2026".into(),
                primary: vec!["pm25".into()],
                text: Bilingual::default(),
            }],
            references: None,
            signature: None,
        })
        .unwrap()
    }

    fn snapshot_forecasts(hub: &Hub) -> Vec<Value> {
        let snapshot = hub.snapshot(&Filter::default());
        let message: Value = serde_json::from_str(snapshot.text.as_str()).unwrap();
        message["forecasts"].as_array().unwrap().clone()
    }

    #[test]
    fn a_newer_version_wins_and_a_replayed_older_one_changes_nothing() {
        let hub = Hub::new(16);
        assert!(hub.apply_forecast(forecast(2, ForecastStatus::Updated, 1)));
        assert!(!hub.apply_forecast(forecast(1, ForecastStatus::Published, 1)));
        assert!(!hub.apply_forecast(forecast(2, ForecastStatus::Updated, 1)));
        assert_eq!(snapshot_forecasts(&hub)[0]["version"], 2);
        assert!(hub.apply_forecast(forecast(2, ForecastStatus::Withdrawn, 1)));
        assert!(
            snapshot_forecasts(&hub).is_empty(),
            "withdrawn: current nowhere"
        );
        assert!(!hub.apply_forecast(forecast(2, ForecastStatus::Updated, 1)));
    }

    #[test]
    fn a_forecast_that_is_over_is_recorded_not_sent() {
        let hub = Hub::new(16);
        hub.reload_forecasts(vec![forecast(1, ForecastStatus::Published, -1)]);
        assert_eq!(hub.seq(), 0);
        assert!(!hub.apply_forecast(forecast(1, ForecastStatus::Published, -1)));
        hub.reload_forecasts(vec![forecast(2, ForecastStatus::Updated, 2)]);
        assert_eq!(hub.seq(), 1);
        assert_eq!(snapshot_forecasts(&hub).len(), 1);
    }
}
