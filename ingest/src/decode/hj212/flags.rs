//! Data flags (数据标记, `-Flag`, HJ 212-2017 §6.3.3 Table 8) as envmon
//! [`QualityFlag`]s.
//!
//! Every value is stored with its flag, so nothing the instrument said is
//! lost; the flag decides whether the value may count towards official
//! figures. Only N counts. A flag envmon has no exact variant for maps to
//! the closest one that keeps the value out of the indices.

use envmon_core::QualityFlag;

/// The quality of a value whose factor carries `flag` (`None`: no `-Flag`
/// field).
///
/// A missing flag counts as normal: HJ/T 212-2005 devices and much current
/// traffic omit it, and the QC stage still checks the value's range.
pub(super) fn quality(flag: Option<&str>) -> QualityFlag {
    let Some(flag) = flag else {
        return QualityFlag::Valid;
    };
    match flag {
        // N: instrument working normally (valid data).
        "N" => QualityFlag::Valid,
        // C: instrument calibrating (校准).
        "C" => QualityFlag::Calibration,
        // M: data produced during maintenance (维护).
        "M" => QualityFlag::Maintenance,
        // D: instrument fault (故障); F: instrument stopped (停运).
        "D" | "F" => QualityFlag::InstrumentFault,
        // T: above the measuring range (超测上限).
        "T" => QualityFlag::OutOfRange,
        // B: communication failure between instrument and data logger; the
        // value is not a measurement that arrived intact. No variant for a
        // link fault: the closest is a fault of the measuring chain.
        "B" => QualityFlag::InstrumentFault,
        // S: value set by hand (设定值), not measured. No variant for a
        // manual value; it must not count, so: a fault.
        "S" => QualityFlag::InstrumentFault,
        // HJ/T 212-2005 air stations used digits: 3 normal, 1 a
        // meteorological parameter (a measurement, valid), 0 calibration,
        // 2 abnormal data.
        "3" | "1" => QualityFlag::Valid,
        "0" => QualityFlag::Calibration,
        // 2005 sources' P (power failure), the 2005 digit 2 (abnormal), and
        // any flag the table does not define: an instrument that says
        // something is not normal, and that envmon cannot name more closely.
        _ => QualityFlag::InstrumentFault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_8_flags_map_to_quality_flags() {
        let cases = [
            (Some("N"), QualityFlag::Valid),
            (None, QualityFlag::Valid),
            (Some("C"), QualityFlag::Calibration),
            (Some("M"), QualityFlag::Maintenance),
            (Some("D"), QualityFlag::InstrumentFault),
            (Some("F"), QualityFlag::InstrumentFault),
            (Some("T"), QualityFlag::OutOfRange),
            (Some("B"), QualityFlag::InstrumentFault),
            (Some("S"), QualityFlag::InstrumentFault),
            (Some("P"), QualityFlag::InstrumentFault),
            (Some("3"), QualityFlag::Valid),
            (Some("0"), QualityFlag::Calibration),
            (Some("2"), QualityFlag::InstrumentFault),
            (Some(""), QualityFlag::InstrumentFault),
            (Some("n"), QualityFlag::InstrumentFault),
            (Some("NN"), QualityFlag::InstrumentFault),
        ];
        for (flag, expected) in cases {
            assert_eq!(quality(flag), expected, "{flag:?}");
        }
    }
}
