//! The keyset cursor: the last item's key, carried by a `next` link, so a
//! page costs the same however deep it is.

use chrono::{DateTime, NaiveDate, Utc};

use super::request::Aggregate;

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cursor {
    /// Raw and hourly: the last item's time, in microseconds since 1970.
    Time(DateTime<Utc>),
    /// Daily: the last item's day and statistic.
    Day(NaiveDate, String),
}

impl Cursor {
    pub(super) fn parse(text: &str, aggregate: Aggregate) -> Option<Self> {
        match aggregate {
            Aggregate::Raw | Aggregate::Hourly => {
                DateTime::from_timestamp_micros(text.parse().ok()?).map(Self::Time)
            }
            Aggregate::Daily => {
                let (day, statistic) = text.split_once('.')?;
                let well_formed = statistic
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                well_formed.then_some(())?;
                Some(Self::Day(day.parse().ok()?, statistic.to_owned()))
            }
        }
    }

    pub(super) fn encode(&self) -> String {
        match self {
            Self::Time(t) => t.timestamp_micros().to_string(),
            Self::Day(day, statistic) => format!("{day}.{statistic}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let t: DateTime<Utc> = "2026-11-25T08:00:00.123456Z".parse().unwrap();
        let cursor = Cursor::Time(t);
        assert_eq!(
            Cursor::parse(&cursor.encode(), Aggregate::Raw),
            Some(cursor)
        );
        let day = Cursor::Day("2026-11-25".parse().unwrap(), "max_8h".into());
        assert_eq!(Cursor::parse(&day.encode(), Aggregate::Daily), Some(day));
        assert_eq!(Cursor::parse("yesterday", Aggregate::Hourly), None);
        assert_eq!(Cursor::parse("2026-11-25.x'--", Aggregate::Daily), None);
    }
}
