//! Quality flags: whether a reading may count towards official figures.
//!
//! Every reading is stored and published with its flag, flagged or not, so
//! nothing is hidden; only valid readings enter the official indices.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A reading's quality.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityFlag {
    /// Fit for the official indices.
    #[default]
    Valid,
    /// The instrument reported calibration.
    Calibration,
    /// The instrument reported maintenance.
    Maintenance,
    /// The instrument reported a fault.
    InstrumentFault,
    /// Outside the parameter's plausible range.
    OutOfRange,
    /// A jump from the station's previous value no real air or water mass
    /// makes in that time.
    Spike,
    /// The same value repeated for longer than a working sensor allows: a
    /// stuck sensor.
    Flatline,
}

impl QualityFlag {
    /// Every flag.
    pub const ALL: [QualityFlag; 7] = [
        Self::Valid,
        Self::Calibration,
        Self::Maintenance,
        Self::InstrumentFault,
        Self::OutOfRange,
        Self::Spike,
        Self::Flatline,
    ];

    /// The flag's name as stored and published.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Calibration => "calibration",
            Self::Maintenance => "maintenance",
            Self::InstrumentFault => "instrument_fault",
            Self::OutOfRange => "out_of_range",
            Self::Spike => "spike",
            Self::Flatline => "flatline",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|flag| flag.as_str() == name)
    }
}

impl fmt::Display for QualityFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
