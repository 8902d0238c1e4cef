//! Forecasts as the live feed relays them: verified, not believed, exactly
//! as notices are ([`super::notice`]). A message on `{prefix}live/forecast/{id}`
//! becomes a [`Forecast`] only when its Ed25519 signature verifies against a
//! key trusted now, it reads as a forecast, and its id is its topic's.
//! Forecasts read from the publisher's own database ([`Forecast::issued`])
//! are the truth and need no such check.

use chrono::NaiveDate;
use envmon_core::alert::TrustedKeys;
use envmon_core::forecast::{ForecastStatus, PublicForecast};
use serde_json::Value;

use super::filter::Scope;
use super::notice::NoticeError;

/// A forecast as relayed: the parsed document and the JSON that was signed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Forecast {
    pub(crate) document: PublicForecast,
    /// The payload, unchanged.
    pub(crate) body: Value,
}

impl Forecast {
    /// Reads a message published under `topic_id` and relays it only if it
    /// is signed by a key trusted at `now`.
    ///
    /// # Errors
    /// Empty, not a forecast, another id than its topic's, or not verified
    /// (the same reasons and metric labels as a refused notice).
    pub(crate) fn verified(
        topic_id: &str,
        payload: &[u8],
        keys: &TrustedKeys,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, NoticeError> {
        if payload.is_empty() {
            return Err(NoticeError::Empty);
        }
        let body: Value = serde_json::from_slice(payload)?;
        keys.verify(&body, now)?;
        let document: PublicForecast = serde_json::from_value(body.clone())?;
        if document.id != topic_id {
            return Err(NoticeError::IdMismatch {
                in_topic: topic_id.to_owned(),
                in_payload: document.id,
            });
        }
        Ok(Self { document, body })
    }

    /// A forecast this publisher issued, read from its database.
    pub(crate) fn issued(document: PublicForecast) -> Option<Self> {
        let body = serde_json::to_value(&document).ok()?;
        Some(Self { document, body })
    }

    pub(crate) fn id(&self) -> &str {
        &self.document.id
    }

    /// The higher version wins; within one, a withdrawal over the issue.
    pub(crate) fn rank(&self) -> (i64, u8) {
        let step = u8::from(self.document.status == ForecastStatus::Withdrawn);
        (i64::from(self.document.version), step)
    }

    /// Issued, not withdrawn, and speaking of `today` or later (Beijing).
    pub(crate) fn is_current(&self, today: NaiveDate) -> bool {
        self.document.is_current(today)
    }

    /// Forecasts are for everyone who follows anything: like a city-wide notice.
    pub(crate) fn scope(&self) -> Scope {
        Scope::Area {
            districts: Vec::new(),
            stations: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use envmon_core::alert::{Bilingual, NoticeSigner};
    use envmon_core::forecast::PublicForecastDay;

    fn document(id: &str) -> PublicForecast {
        PublicForecast {
            id: id.into(),
            version: 1,
            version_id: format!("{id}.v1"),
            status: ForecastStatus::Published,
            area: "shanghai".into(),
            area_name: Bilingual {
                zh: "上海市".into(),
                en: "Shanghai".into(),
            },
            issued_at: "2026-12-08T02:00:00Z".parse().unwrap(),
            days: vec![PublicForecastDay {
                day: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
                part: None,
                days_ahead: 1,
                aqi_low: 92,
                aqi_high: 112,
                levels: vec![2, 3],
                edition: "HJ 633-2026".into(),
                primary: vec!["pm25".into()],
                text: Bilingual {
                    zh: "良".into(),
                    en: "Good".into(),
                },
            }],
            references: None,
            signature: None,
        }
    }

    #[test]
    fn only_a_signed_forecast_under_its_own_topic_is_relayed() {
        let signer = NoticeSigner::from_seed(&[9; 32]);
        let keys = TrustedKeys::single(signer.public_key());
        let now = chrono::Utc::now();
        let mut signed = document("FC-1");
        signed.sign(&signer);
        let payload = serde_json::to_vec(&signed).unwrap();
        let forecast = Forecast::verified("FC-1", &payload, &keys, now).unwrap();
        assert_eq!(forecast.document, signed);
        let reason = |id: &str, payload: &[u8]| {
            Forecast::verified(id, payload, &keys, now)
                .unwrap_err()
                .reason()
        };
        assert_eq!(reason("FC-2", &payload), "malformed");
        let unsigned = serde_json::to_vec(&document("FC-1")).unwrap();
        assert_eq!(reason("FC-1", &unsigned), "unsigned");
        let mut forged = document("FC-1");
        forged.sign(&NoticeSigner::from_seed(&[10; 32]));
        assert_eq!(
            reason("FC-1", &serde_json::to_vec(&forged).unwrap()),
            "untrusted_key"
        );
        let altered = String::from_utf8(payload).unwrap().replace("112", "62");
        assert_eq!(reason("FC-1", altered.as_bytes()), "bad_signature");
        assert_eq!(reason("FC-1", b""), "empty");
    }
}
