//! Beijing time (UTC+8, no daylight saving): the time zone of Chinese
//! environmental data. HJ 212 packets are written in it, HJ 633 and GB 3095
//! days and editions are counted in it, and open data and CAP notices are
//! labelled with its offset.

use chrono::FixedOffset;

/// Seconds east of UTC.
pub const OFFSET_SECONDS: i32 = 8 * 3600;

/// The UTC+8 offset.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECONDS).expect("UTC+8 is a valid offset")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn midnight_in_beijing_is_four_in_the_afternoon_utc() {
        let utc = Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap();
        assert_eq!(
            utc.with_timezone(&super::offset()).to_rfc3339(),
            "2026-11-26T00:00:00+08:00"
        );
    }
}
