//! The data commands envmon stores, and what their `DataTime` means.
//!
//! HJ 212 stamps interval data with the **start** of the interval (§6.3.3
//! Table 4 and Appendix C; reference README §5 "DataTime semantics"):
//! hourly data stamped `20240315100000` is the mean of 10:00–11:00. envmon
//! labels a mean by the **end** of its period (`Reading::observed_at`, as the
//! national platform labels hourly means), so the period is added here.
//! `DataTime` is local Beijing time (UTC+8, no daylight saving); no zone is
//! ever transmitted.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::Hj212Error;

/// The interval of minute data (2051), in seconds: 10 minutes.
///
/// The packet does not carry it: it is the field unit's `MinInterval`
/// setting (CN 1063/1064, one of 1–30 minutes). Ten minutes is the interval
/// of the standard's own example (reference README §5: `20160801084000`
/// covers 08:40–08:50) and of reference packet E4, whose cumulative values
/// equal mean × flow × 600 s.
pub const MINUTE_INTERVAL_SECONDS: u32 = 600;

/// A data upload (§7.1 Table 9, field unit → platform) whose values envmon
/// stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataCommand {
    /// CN 2011, real-time data: `-Rtd` values sampled at `DataTime`.
    RealTime,
    /// CN 2051, minute data: `-Avg` means of the minute interval starting
    /// at `DataTime` ([`MINUTE_INTERVAL_SECONDS`]).
    Minute,
    /// CN 2061, hourly data: `-Avg` means of the hour starting at `DataTime`.
    Hourly,
    /// CN 2031, daily data: `-Avg` means of the day starting at `DataTime`.
    Daily,
}

impl DataCommand {
    /// The data command with this CN; `None` for every other command.
    pub fn from_cn(cn: &str) -> Option<Self> {
        match cn {
            "2011" => Some(Self::RealTime),
            "2051" => Some(Self::Minute),
            "2061" => Some(Self::Hourly),
            "2031" => Some(Self::Daily),
            _ => None,
        }
    }

    /// The command code.
    pub fn cn(self) -> &'static str {
        match self {
            Self::RealTime => "2011",
            Self::Minute => "2051",
            Self::Hourly => "2061",
            Self::Daily => "2031",
        }
    }

    /// The suffix of the field that holds the value envmon stores (§6.3.3
    /// Table 4): `Rtd` for real-time data, `Avg` for interval data.
    pub fn value_suffix(self) -> &'static str {
        match self {
            Self::RealTime => "Rtd",
            Self::Minute | Self::Hourly | Self::Daily => "Avg",
        }
    }

    /// The averaging period in seconds, as `Reading::period_seconds` holds
    /// it: 0 for instantaneous real-time values.
    pub fn period_seconds(self) -> u32 {
        match self {
            Self::RealTime => 0,
            Self::Minute => MINUTE_INTERVAL_SECONDS,
            Self::Hourly => 3_600,
            Self::Daily => 86_400,
        }
    }

    /// envmon's `observed_at` for a packet stamped `data_time`: the
    /// sampling instant for real-time data, the end of the interval
    /// (`DataTime` + period) for means.
    pub fn observed_at(self, data_time: DateTime<Utc>) -> DateTime<Utc> {
        data_time + chrono::Duration::seconds(i64::from(self.period_seconds()))
    }
}

/// Parses `YYYYMMDDhhmmss` in Beijing time (§6.3.3), or the 17-digit form
/// with milliseconds that some devices send (reference README §10 item 11).
///
/// # Errors
/// [`Hj212Error::Time`] when the text is not such a time.
pub(super) fn parse_data_time(text: &str) -> Result<DateTime<Utc>, Hj212Error> {
    let error = |reason| Hj212Error::Time {
        text: text.to_owned(),
        reason,
    };
    if !(text.len() == 14 || text.len() == 17) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error("not 14 digits YYYYMMDDhhmmss"));
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(u32::MAX);
    let year = i32::try_from(number(0..4)).map_err(|_| error("not a valid date"))?;
    let millis = if text.len() == 17 { number(14..17) } else { 0 };
    let local = NaiveDate::from_ymd_opt(year, number(4..6), number(6..8))
        .and_then(|date| {
            date.and_hms_milli_opt(number(8..10), number(10..12), number(12..14), millis)
        })
        .ok_or_else(|| error("not a valid date and time"))?;
    let time = envmon_core::beijing::offset()
        .from_local_datetime(&local)
        .single()
        .ok_or_else(|| error("not a valid date and time"))?;
    Ok(time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn data_time_is_beijing_time() {
        assert_eq!(
            parse_data_time("20240315103000").unwrap(),
            utc("2024-03-15T02:30:00Z")
        );
        assert_eq!(
            parse_data_time("20240315103000250").unwrap(),
            utc("2024-03-15T02:30:00.250Z")
        );
    }

    #[test]
    fn invalid_data_times_are_refused() {
        for text in [
            "",
            "2024031510300",
            "20240230100000",
            "20240315250000",
            "2024-03-15 10:30",
        ] {
            let error = parse_data_time(text).unwrap_err();
            assert_eq!(error.code(), "hj212_time", "{text:?}");
        }
    }

    #[test]
    fn means_are_labelled_by_the_end_of_their_interval() {
        // Reference README §5: 2051/2061/2031 DataTime is the interval's start.
        let start = parse_data_time("20240315100000").unwrap();
        let cases = [
            ("2011", 0, "2024-03-15T02:00:00Z"),
            ("2051", 600, "2024-03-15T02:10:00Z"),
            ("2061", 3_600, "2024-03-15T03:00:00Z"),
            ("2031", 86_400, "2024-03-16T02:00:00Z"),
        ];
        for (cn, period, end) in cases {
            let command = DataCommand::from_cn(cn).unwrap();
            assert_eq!(command.cn(), cn);
            assert_eq!(command.period_seconds(), period, "{cn}");
            assert_eq!(command.observed_at(start), utc(end), "{cn}");
        }
        assert_eq!(DataCommand::from_cn("2021"), None);
        assert_eq!(DataCommand::from_cn("9014"), None);
    }
}
