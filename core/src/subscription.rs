//! Subscriptions: who asked to be told what, through which channel, and the
//! one rule with memory, a level crossing with hysteresis and at most one
//! message an hour.
//!
//! The words here are the ones stored in the `subscription` table and used by
//! the public API; the publisher's delivery worker and its HTTP handlers both
//! speak them. The level rule is a pure function of its memory, the latest
//! AQI and the clock, so its every transition is tested here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How a message reaches its subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An e-mail through the configured SMTP relay, after double opt-in.
    Email,
    /// An HTTP POST of signed JSON to a URL that answered a challenge.
    Webhook,
    /// A Web Push message (RFC 8030) encrypted for one browser (RFC 8291).
    Push,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Push => "push",
        }
    }

    /// The channel a stored name names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Self::Email),
            "webhook" => Some(Self::Webhook),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

/// What a subscriber wants to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Alert notices for the city or one district (issued, updated, cancelled).
    Notices,
    /// A station, district or the city reaching a chosen AQI level.
    Level,
    /// The daily forecast for the city or a district.
    DailyForecast,
    /// Yesterday's AQI for the city or a district, each morning.
    DailySummary,
}

impl Topic {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notices => "notices",
            Self::Level => "level",
            Self::DailyForecast => "daily_forecast",
            Self::DailySummary => "daily_summary",
        }
    }
}

/// The language of a subscriber's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Chinese.
    Zh,
    /// English.
    En,
}

impl Language {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    /// The language a stored name names; English for anything else.
    pub fn parse(text: &str) -> Self {
        if text == "zh" { Self::Zh } else { Self::En }
    }
}

/// The lowest AQI of each HJ 633 level, I to VI (Table 2; both editions
/// draw the bands at the same values above level I).
const LEVEL_AQI_MIN: [u16; 6] = [0, 51, 101, 151, 201, 301];

/// A rule that has fired stays quiet until the AQI falls this far below the
/// level's lowest value: an AQI hovering around 100 would otherwise say
/// "lightly polluted" every time it ticks from 100 to 101.
pub const HYSTERESIS_AQI: u16 = 15;

/// A rule speaks at most this often.
pub const LEVEL_RULE_QUIET_HOURS: i64 = 1;

/// What a level rule remembers between hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelMemory {
    /// The AQI was at or above the level, and has not yet fallen below the
    /// hysteresis band.
    pub above: bool,
    /// When the rule last sent a message.
    pub alerted_at: Option<DateTime<Utc>>,
}

/// What a level rule decides for one new AQI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelDecision {
    /// The memory to store.
    pub memory: LevelMemory,
    /// Whether to send a message now.
    pub send: bool,
}

/// The lowest AQI of HJ 633 level `level` (1..=6); level 6 for anything higher.
pub fn level_aqi_min(level: u8) -> u16 {
    LEVEL_AQI_MIN[usize::from(level.clamp(1, 6)) - 1]
}

/// Decides a level rule at `level` for the target's latest `aqi`, at `now`.
///
/// Rising to or past the level fires once (and then not again within
/// [`LEVEL_RULE_QUIET_HOURS`]); the rule re-arms only when the AQI falls
/// [`HYSTERESIS_AQI`] below the level's lowest value.
///
/// ```
/// use envmon_core::subscription::{LevelMemory, decide_level};
///
/// let quiet = LevelMemory { above: false, alerted_at: None };
/// let now = chrono::Utc::now();
/// assert!(decide_level(3, quiet, 120, now).send);
/// assert!(!decide_level(3, quiet, 90, now).send);
/// ```
pub fn decide_level(level: u8, memory: LevelMemory, aqi: u16, now: DateTime<Utc>) -> LevelDecision {
    let threshold = level_aqi_min(level);
    if memory.above {
        let rearm = aqi.saturating_add(HYSTERESIS_AQI) < threshold;
        return LevelDecision {
            memory: LevelMemory {
                above: !rearm,
                alerted_at: memory.alerted_at,
            },
            send: false,
        };
    }
    if aqi < threshold {
        return LevelDecision {
            memory,
            send: false,
        };
    }
    let quiet = memory
        .alerted_at
        .is_some_and(|at| now - at < Duration::hours(LEVEL_RULE_QUIET_HOURS));
    LevelDecision {
        memory: LevelMemory {
            above: true,
            alerted_at: if quiet { memory.alerted_at } else { Some(now) },
        },
        send: !quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    const QUIET: LevelMemory = LevelMemory {
        above: false,
        alerted_at: None,
    };

    #[test]
    fn reaching_the_level_sends_once_and_remembers() {
        let first = decide_level(3, QUIET, 101, at(0));
        assert!(first.send);
        let again = decide_level(3, first.memory, 140, at(60));
        assert!(!again.send, "still above: nothing new to say");
        assert!(again.memory.above);
    }

    #[test]
    fn the_rule_rearms_only_below_the_hysteresis_band() {
        let fired = decide_level(3, QUIET, 110, at(0)).memory;
        // HJ 633 level III starts at 101: 90 is inside the band, 85 is below it.
        let hovering = decide_level(3, fired, 90, at(120));
        assert!(hovering.memory.above);
        assert!(!decide_level(3, hovering.memory, 105, at(180)).send);
        let clear = decide_level(3, hovering.memory, 85, at(240));
        assert!(!clear.memory.above);
        assert!(decide_level(3, clear.memory, 105, at(300)).send);
    }

    #[test]
    fn a_rule_speaks_at_most_once_an_hour() {
        let fired = decide_level(2, QUIET, 60, at(0)).memory;
        let clear = decide_level(2, fired, 20, at(10)).memory;
        let soon = decide_level(2, clear, 70, at(40));
        assert!(!soon.send, "40 minutes after the last message");
        assert!(soon.memory.above, "the crossing is remembered, unspoken");
        let cleared = decide_level(2, soon.memory, 20, at(50)).memory;
        assert!(decide_level(2, cleared, 70, at(61)).send);
    }

    #[test]
    fn level_bounds_follow_hj_633_table_2() {
        assert_eq!(level_aqi_min(2), 51);
        assert_eq!(level_aqi_min(6), 301);
        assert_eq!(level_aqi_min(9), 301);
    }
}
