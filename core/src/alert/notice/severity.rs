//! How serious a notice is: the four colours of China's heavy-pollution
//! weather warnings, and CAP 1.2's urgency and certainty.

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// Heavy-pollution warning level, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 蓝色预警.
    Blue,
    /// 黄色预警.
    Yellow,
    /// 橙色预警.
    Orange,
    /// 红色预警.
    Red,
}

impl Severity {
    /// The CAP 1.2 `severity` value: blue Minor, yellow Moderate, orange
    /// Severe, red Extreme (the order of both scales kept, one to one).
    pub fn cap(self) -> &'static str {
        match self {
            Self::Blue => "Minor",
            Self::Yellow => "Moderate",
            Self::Orange => "Severe",
            Self::Red => "Extreme",
        }
    }

    /// The colour's name as the public sees it.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Blue, Lang::Zh) => "蓝色",
            (Self::Yellow, Lang::Zh) => "黄色",
            (Self::Orange, Lang::Zh) => "橙色",
            (Self::Red, Lang::Zh) => "红色",
            (Self::Blue, Lang::En) => "Blue",
            (Self::Yellow, Lang::En) => "Yellow",
            (Self::Orange, Lang::En) => "Orange",
            (Self::Red, Lang::En) => "Red",
        }
    }

    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }
}

/// CAP 1.2 urgency, spelled as CAP spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    /// Act now.
    Immediate,
    /// Act soon (within the next hour).
    Expected,
    /// Act in the near future.
    Future,
    /// No longer required.
    Past,
    /// Not known.
    Unknown,
}

/// CAP 1.2 certainty, spelled as CAP spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Certainty {
    /// Determined to have occurred or to be ongoing.
    Observed,
    /// Likely (p > ~50%).
    Likely,
    /// Possible but not likely.
    Possible,
    /// Not expected to occur.
    Unlikely,
    /// Not known.
    Unknown,
}

macro_rules! cap_name {
    ($ty:ty { $($variant:ident),* }) => {
        impl $ty {
            /// The CAP 1.2 value.
            pub fn cap(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),* }
            }
        }
    };
}
cap_name!(Urgency {
    Immediate,
    Expected,
    Future,
    Past,
    Unknown
});
cap_name!(Certainty {
    Observed,
    Likely,
    Possible,
    Unlikely,
    Unknown
});
