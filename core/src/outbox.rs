//! The outbox: what happened that subscribers may be owed a message for,
//! written in the same transaction as the cause.
//!
//! The code that causes a message (a notice approved or cancelled, an hour of
//! AQI rolled up, a forecast published) calls [`enqueue`] once, inside its own
//! transaction, before it commits. The event then exists exactly when the
//! cause does: a rolled-back approval owes nobody anything, a committed one
//! cannot be forgotten by a crash before the delivery worker ran. The worker
//! (in the publisher) reads the table, fans each event out to the matching
//! subscriptions and delivers; this module only writes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Transaction;

use crate::alert::PublicNotice;

const INSERT_EVENT: &str = "INSERT INTO outbox_event (kind, payload, once_key)
    VALUES ($1, $2, $3) ON CONFLICT (once_key) DO NOTHING RETURNING id";

/// A forecast as subscribers are told of it: which areas it covers and what
/// to say, in both languages. The forecast's own code builds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastSummary {
    /// The forecast's id, shown in messages and webhook bodies.
    pub forecast_id: String,
    /// Area ids (`shanghai`, a district's id) the forecast speaks for;
    /// subscribers to any of them are told.
    pub area_ids: Vec<String>,
    /// One paragraph in Chinese: the next days' AQI ranges and levels.
    pub text_zh: String,
    /// The same in English.
    pub text_en: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

/// Why a message may be owed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxCause {
    /// A notice was issued (published, updated) or cancelled: its signed
    /// document as issued.
    Notice {
        /// The notice version as the public sees it.
        notice: Box<PublicNotice>,
    },
    /// A rollup run recomputed the hourly AQI of these stations and areas.
    HourlyAqi {
        /// Hours (labelled by their end) recomputed.
        hour_ends: Vec<DateTime<Utc>>,
        /// Station codes whose hourly AQI was written.
        stations: Vec<String>,
        /// Area ids whose hourly AQI was written.
        areas: Vec<String>,
    },
    /// A Beijing day is over: its summary is owed once.
    DailySummary {
        /// The day summarised.
        day: NaiveDate,
    },
    /// A forecast was published.
    DailyForecast(ForecastSummary),
    /// A subscriber asked to subscribe: the double opt-in message is owed.
    Confirmation {
        /// The pending subscription.
        subscription_id: i64,
    },
    /// A webhook was disabled after failing for too long: its owner is told.
    WebhookDisabled {
        /// The webhook's subscription.
        subscription_id: i64,
    },
}

impl OutboxCause {
    /// The notice cause of an issued notice.
    pub fn notice(notice: &PublicNotice) -> Self {
        Self::Notice {
            notice: Box::new(notice.clone()),
        }
    }

    /// The stored kind, as the `outbox_event.kind` column names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Notice { .. } => "notice",
            Self::HourlyAqi { .. } => "hourly_aqi",
            Self::DailySummary { .. } => "daily_summary",
            Self::DailyForecast(_) => "daily_forecast",
            Self::Confirmation { .. } => "confirmation",
            Self::WebhookDisabled { .. } => "webhook_disabled",
        }
    }

    /// A cause found by a clock rather than made by a transaction (a day's
    /// end) is written once however many workers find it.
    fn once_key(&self) -> Option<String> {
        match self {
            Self::DailySummary { day } => Some(format!("daily_summary:{day}")),
            _ => None,
        }
    }

    /// A cause that can owe nothing (a rollup of water stations only).
    fn is_empty(&self) -> bool {
        matches!(self, Self::HourlyAqi { stations, areas, .. } if stations.is_empty() && areas.is_empty())
    }

    /// Reads back a stored event.
    ///
    /// # Errors
    /// When the payload is not one this version wrote.
    pub fn from_stored(payload: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(payload)
    }
}

/// Writes `cause` to the outbox inside the caller's transaction; returns the
/// event's id, or `None` when the cause owes nothing or was already written
/// (a day's summary).
///
/// # Errors
/// When the insert fails; the caller's transaction should then roll back
/// with it, so the cause and its event stay together.
pub async fn enqueue(
    tx: &Transaction<'_>,
    cause: &OutboxCause,
) -> Result<Option<i64>, tokio_postgres::Error> {
    if cause.is_empty() {
        return Ok(None);
    }
    let payload = serde_json::to_value(cause).unwrap_or(Value::Null);
    let row = tx
        .query_opt(INSERT_EVENT, &[&cause.kind(), &payload, &cause.once_key()])
        .await?;
    Ok(row.map(|row| row.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_cause_reads_back_as_written() {
        let cause = OutboxCause::HourlyAqi {
            hour_ends: vec![Utc::now()],
            stations: vec!["1141A".into()],
            areas: vec!["pudong".into()],
        };
        let stored = serde_json::to_value(&cause).unwrap();
        assert_eq!(stored["kind"], "hourly_aqi");
        assert_eq!(OutboxCause::from_stored(stored).unwrap(), cause);
    }

    #[test]
    fn a_rollup_of_no_air_station_owes_nothing() {
        let cause = OutboxCause::HourlyAqi {
            hour_ends: vec![],
            stations: vec![],
            areas: vec![],
        };
        assert!(cause.is_empty());
    }

    #[test]
    fn a_forecast_cause_is_tagged_daily_forecast() {
        let cause = OutboxCause::DailyForecast(ForecastSummary {
            forecast_id: "F-1".into(),
            area_ids: vec!["shanghai".into()],
            text_zh: "明天良".into(),
            text_en: "Moderate tomorrow".into(),
            published_at: Utc::now(),
        });
        let stored = serde_json::to_value(&cause).unwrap();
        assert_eq!(stored["kind"], cause.kind());
        assert_eq!(stored["forecast_id"], "F-1");
    }
}
