//! GB 3838-2002 limits and the class of one item's value.
//!
//! Every number here is copied from `shared/reference/gb3838_limits.csv`
//! (Table 1) and `gb3838_drinking_source_supplementary.csv` (Table 2); the
//! copies in `water/reference/` are parsed by the tests, which fail if a
//! constant and the CSV disagree. Values are in the item's unit
//! ([`WaterItem::unit`]): mg/L except pH and fecal coliform.
//!
//! Arrays are indexed by class, `[I, II, III, IV, V]`.

use std::fmt;

use serde::Serialize;

use super::{WaterClass, WaterItem};
use crate::station::WaterBodyType;

/// Table 1 row 2: pH 6–9 for every class I–V (dimensionless).
pub const PH_MIN: f64 = 6.0;
/// Table 1 row 2: pH 6–9 for every class I–V (dimensionless).
pub const PH_MAX: f64 = 9.0;
/// Table 1 row 3: dissolved oxygen minimums. Class I is printed
/// "饱和率90%（或7.5）": saturation ≥ 90 % or ≥ 7.5 mg/L. Stations publish
/// mg/L only (README §5 item 9), so only the 7.5 mg/L alternative is used.
pub const DO_MIN_MG_L: [f64; 5] = [7.5, 6.0, 5.0, 3.0, 2.0];
/// Table 1 row 4: permanganate index.
pub const CODMN_MAX_MG_L: [f64; 5] = [2.0, 4.0, 6.0, 10.0, 15.0];
/// Table 1 row 5: COD (classes I and II share 15).
pub const COD_MAX_MG_L: [f64; 5] = [15.0, 15.0, 20.0, 30.0, 40.0];
/// Table 1 row 6: BOD5 (classes I and II share 3).
pub const BOD5_MAX_MG_L: [f64; 5] = [3.0, 3.0, 4.0, 6.0, 10.0];
/// Table 1 row 7: ammonia nitrogen.
pub const NH3N_MAX_MG_L: [f64; 5] = [0.15, 0.5, 1.0, 1.5, 2.0];
/// Table 1 row 8: total phosphorus (as P) in rivers, the default.
pub const TP_RIVER_MAX_MG_L: [f64; 5] = [0.02, 0.1, 0.2, 0.3, 0.4];
/// Table 1 row 8: total phosphorus (as P) in lakes and reservoirs, printed
/// "（湖、库 x）" in the same row.
pub const TP_LAKE_MAX_MG_L: [f64; 5] = [0.01, 0.025, 0.05, 0.1, 0.2];
/// Table 1 row 9: total nitrogen (as N), defined for lakes and reservoirs
/// only.
pub const TN_LAKE_MAX_MG_L: [f64; 5] = [0.2, 0.5, 1.0, 1.5, 2.0];
/// Table 1 row 10: copper.
pub const CU_MAX_MG_L: [f64; 5] = [0.01, 1.0, 1.0, 1.0, 1.0];
/// Table 1 row 11: zinc.
pub const ZN_MAX_MG_L: [f64; 5] = [0.05, 1.0, 1.0, 2.0, 2.0];
/// Table 1 row 12: fluoride (as F⁻).
pub const FLUORIDE_MAX_MG_L: [f64; 5] = [1.0, 1.0, 1.0, 1.5, 1.5];
/// Table 1 row 13: selenium.
pub const SE_MAX_MG_L: [f64; 5] = [0.01, 0.01, 0.01, 0.02, 0.02];
/// Table 1 row 14: arsenic.
pub const AS_MAX_MG_L: [f64; 5] = [0.05, 0.05, 0.05, 0.1, 0.1];
/// Table 1 row 15: mercury.
pub const HG_MAX_MG_L: [f64; 5] = [0.00005, 0.00005, 0.0001, 0.001, 0.001];
/// Table 1 row 16: cadmium.
pub const CD_MAX_MG_L: [f64; 5] = [0.001, 0.005, 0.005, 0.005, 0.01];
/// Table 1 row 17: hexavalent chromium.
pub const CR6_MAX_MG_L: [f64; 5] = [0.01, 0.05, 0.05, 0.05, 0.1];
/// Table 1 row 18: lead.
pub const PB_MAX_MG_L: [f64; 5] = [0.01, 0.01, 0.05, 0.05, 0.1];
/// Table 1 row 19: cyanide.
pub const CYANIDE_MAX_MG_L: [f64; 5] = [0.005, 0.05, 0.2, 0.2, 0.2];
/// Table 1 row 20: volatile phenol.
pub const VOLATILE_PHENOL_MAX_MG_L: [f64; 5] = [0.002, 0.002, 0.005, 0.01, 0.1];
/// Table 1 row 21: petroleum.
pub const PETROLEUM_MAX_MG_L: [f64; 5] = [0.05, 0.05, 0.05, 0.5, 1.0];
/// Table 1 row 22: anionic surfactant (LAS).
pub const LAS_MAX_MG_L: [f64; 5] = [0.2, 0.2, 0.2, 0.3, 0.3];
/// Table 1 row 23: sulfide.
pub const SULFIDE_MAX_MG_L: [f64; 5] = [0.05, 0.1, 0.2, 0.5, 1.0];
/// Table 1 row 24: fecal coliform, count per litre (个/L).
pub const FECAL_COLIFORM_MAX_PER_L: [f64; 5] = [200.0, 2000.0, 10000.0, 20000.0, 40000.0];
/// Table 2 row 1: sulfate (as SO4²⁻), drinking-water sources.
pub const SULFATE_MAX_MG_L: f64 = 250.0;
/// Table 2 row 2: chloride (as Cl⁻), drinking-water sources.
pub const CHLORIDE_MAX_MG_L: f64 = 250.0;
/// Table 2 row 3: nitrate (as N), drinking-water sources.
pub const NITRATE_MAX_MG_L: f64 = 10.0;
/// Table 2 row 4: iron, drinking-water sources.
pub const FE_MAX_MG_L: f64 = 0.3;
/// Table 2 row 5: manganese, drinking-water sources.
pub const MN_MAX_MG_L: f64 = 0.1;

/// One limit a value must meet, in the item's unit.
///
/// Serialized as `{"at_most": 1.0}`, `{"at_least": 5.0}` or
/// `{"within": [6.0, 9.0]}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// A maximum: the value meets it when `value <= limit`.
    AtMost(f64),
    /// A minimum (dissolved oxygen): met when `value >= limit`.
    AtLeast(f64),
    /// A closed range (pH): met when `min <= value <= max`.
    Within(f64, f64),
}

/// How far a value is past a limit it fails.
///
/// Serialized as `{"multiple": 0.3}` or `"not_applicable"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exceedance {
    /// 超标倍数 = (C − limit) / limit, for maxima. SECONDARY: the formula is
    /// from 环办〔2011〕22号; GB 3838-2002 §5.1 asks for 超标倍数 without
    /// defining it (README §3).
    Multiple(f64),
    /// The limit is a minimum (DO) or a range (pH): no multiple is defined.
    NotApplicable,
}

/// Two decimals for a multiple (as in the CSV table), `not applicable` otherwise.
impl fmt::Display for Exceedance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Multiple(m) => write!(f, "{m:.2}"),
            Self::NotApplicable => f.write_str("not applicable"),
        }
    }
}

impl Limit {
    /// Whether `value` meets the limit.
    pub fn is_met_by(self, value: f64) -> bool {
        match self {
            Self::AtMost(max) => value <= max,
            Self::AtLeast(min) => value >= min,
            Self::Within(min, max) => (min..=max).contains(&value),
        }
    }

    /// `None` when `value` meets the limit, otherwise by how much it fails.
    pub fn exceedance(self, value: f64) -> Option<Exceedance> {
        match self {
            _ if self.is_met_by(value) => None,
            Self::AtMost(max) => Some(Exceedance::Multiple((value - max) / max)),
            Self::AtLeast(_) | Self::Within(..) => Some(Exceedance::NotApplicable),
        }
    }
}

/// An item's class limits in GB 3838-2002 Table 1, for one body type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClassLimits {
    /// Maxima for classes `[I, II, III, IV, V]`, never decreasing.
    AtMost([f64; 5]),
    /// Minimums for classes `[I, II, III, IV, V]`, never increasing (DO).
    AtLeast([f64; 5]),
    /// One range shared by classes I–V (pH).
    Within(f64, f64),
}

impl ClassLimits {
    /// The limit of `class`; `None` for worse than V, which has no limit.
    pub fn for_class(self, class: WaterClass) -> Option<Limit> {
        let i = usize::from(class.number() - 1);
        match self {
            Self::AtMost(maxima) => maxima.get(i).map(|&max| Limit::AtMost(max)),
            Self::AtLeast(minima) => minima.get(i).map(|&min| Limit::AtLeast(min)),
            Self::Within(min, max) => {
                (class != WaterClass::WorseThanV).then_some(Limit::Within(min, max))
            }
        }
    }

    /// The best class whose limit `value` meets, or worse than V.
    ///
    /// Classes are tried best first, so where several classes share a limit
    /// (COD 15 for I and II) a value meeting it gets the better class
    /// (README §3). A NaN meets no limit; callers reject it first.
    pub fn classify(self, value: f64) -> WaterClass {
        WaterClass::WITH_LIMITS
            .into_iter()
            .find(|&class| {
                self.for_class(class)
                    .is_some_and(|limit| limit.is_met_by(value))
            })
            .unwrap_or(WaterClass::WorseThanV)
    }
}

/// The class limits of `item` in water of type `body`.
///
/// `None` for water temperature (Table 1 row 1 limits man-made change, not a
/// class), for the Table 2 items (one limit, see [`supplementary_limit`]),
/// and for TN in rivers: Table 1 row 9 defines TN for lakes and reservoirs
/// only, and we never invent a limit. TN does not count toward the class in
/// any water body (README §3), so a river's class is unaffected.
pub fn class_limits(item: WaterItem, body: WaterBodyType) -> Option<ClassLimits> {
    use ClassLimits::AtMost;
    let limits = match item {
        WaterItem::Ph => ClassLimits::Within(PH_MIN, PH_MAX),
        WaterItem::Do => ClassLimits::AtLeast(DO_MIN_MG_L),
        WaterItem::Codmn => AtMost(CODMN_MAX_MG_L),
        WaterItem::Cod => AtMost(COD_MAX_MG_L),
        WaterItem::Bod5 => AtMost(BOD5_MAX_MG_L),
        WaterItem::Nh3n => AtMost(NH3N_MAX_MG_L),
        WaterItem::Tp => match body {
            WaterBodyType::River => AtMost(TP_RIVER_MAX_MG_L),
            WaterBodyType::Lake => AtMost(TP_LAKE_MAX_MG_L),
        },
        WaterItem::Tn => match body {
            WaterBodyType::River => return None,
            WaterBodyType::Lake => AtMost(TN_LAKE_MAX_MG_L),
        },
        WaterItem::Cu => AtMost(CU_MAX_MG_L),
        WaterItem::Zn => AtMost(ZN_MAX_MG_L),
        WaterItem::Fluoride => AtMost(FLUORIDE_MAX_MG_L),
        WaterItem::Se => AtMost(SE_MAX_MG_L),
        WaterItem::As => AtMost(AS_MAX_MG_L),
        WaterItem::Hg => AtMost(HG_MAX_MG_L),
        WaterItem::Cd => AtMost(CD_MAX_MG_L),
        WaterItem::Cr6 => AtMost(CR6_MAX_MG_L),
        WaterItem::Pb => AtMost(PB_MAX_MG_L),
        WaterItem::Cyanide => AtMost(CYANIDE_MAX_MG_L),
        WaterItem::VolatilePhenol => AtMost(VOLATILE_PHENOL_MAX_MG_L),
        WaterItem::Petroleum => AtMost(PETROLEUM_MAX_MG_L),
        WaterItem::Las => AtMost(LAS_MAX_MG_L),
        WaterItem::Sulfide => AtMost(SULFIDE_MAX_MG_L),
        WaterItem::FecalColiform => AtMost(FECAL_COLIFORM_MAX_PER_L),
        WaterItem::Temp
        | WaterItem::Sulfate
        | WaterItem::Chloride
        | WaterItem::Nitrate
        | WaterItem::Fe
        | WaterItem::Mn => return None,
    };
    Some(limits)
}

/// The single GB 3838-2002 Table 2 limit of a supplementary item, which
/// applies to centralized drinking-water surface sources; `None` for Table 1
/// items.
pub fn supplementary_limit(item: WaterItem) -> Option<Limit> {
    let max = match item {
        WaterItem::Sulfate => SULFATE_MAX_MG_L,
        WaterItem::Chloride => CHLORIDE_MAX_MG_L,
        WaterItem::Nitrate => NITRATE_MAX_MG_L,
        WaterItem::Fe => FE_MAX_MG_L,
        WaterItem::Mn => MN_MAX_MG_L,
        _ => return None,
    };
    Some(Limit::AtMost(max))
}

/// The class of one item's value: the best class whose GB 3838-2002 Table 1
/// limit the value meets (≤ for maxima, ≥ for DO, 6–9 for pH in every class),
/// else worse than V. Where classes share a limit the better class wins.
///
/// `None` when the item has no class limits (see [`class_limits`]: water
/// temperature, Table 2 items, TN in rivers) and when the value is not a
/// measurement (NaN, infinite or negative, see
/// [`WaterItem::is_valid_value`]): an impossible value gets no class rather
/// than a flattering one.
///
/// ```
/// use envmon_core::station::WaterBodyType;
/// use envmon_core::water::{item_class, WaterClass, WaterItem};
/// // GB 3838-2002 Table 1 row 7: NH3-N class III = 1.0, class IV = 1.5 mg/L.
/// assert_eq!(item_class(WaterItem::Nh3n, 1.3, WaterBodyType::River), Some(WaterClass::IV));
/// ```
pub fn item_class(item: WaterItem, value: f64, body: WaterBodyType) -> Option<WaterClass> {
    if !item.is_valid_value(value) {
        return None;
    }
    class_limits(item, body).map(|limits| limits.classify(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaterBodyType::{Lake, River};
    use WaterClass::{I, II, III, IV, V, WorseThanV};
    use proptest::prelude::*;

    #[test]
    fn ph_six_and_nine_are_inside_the_range_of_every_class() {
        // GB 3838-2002 Table 1 row 2: 6 <= pH <= 9 for classes I–V.
        for (ph, class) in [
            (6.0, I),
            (9.0, I),
            (7.5, I),
            (5.99, WorseThanV),
            (9.01, WorseThanV),
        ] {
            assert_eq!(item_class(WaterItem::Ph, ph, River), Some(class), "pH {ph}");
        }
    }

    #[test]
    fn more_dissolved_oxygen_is_a_better_class() {
        // GB 3838-2002 Table 1 row 3: DO minimums 7.5, 6, 5, 3, 2 mg/L.
        let class = |v| item_class(WaterItem::Do, v, River);
        assert_eq!(class(9.0), Some(I));
        assert_eq!(class(5.5), Some(III));
        assert_eq!(class(2.5), Some(V));
        assert_eq!(class(1.9), Some(WorseThanV));
    }

    #[test]
    fn tp_has_stricter_limits_in_lakes_than_in_rivers() {
        // GB 3838-2002 Table 1 row 8: river III = 0.2, lake/reservoir III = 0.05.
        assert_eq!(item_class(WaterItem::Tp, 0.05, River), Some(II));
        assert_eq!(item_class(WaterItem::Tp, 0.05, Lake), Some(III));
        assert_eq!(item_class(WaterItem::Tp, 0.2, River), Some(III));
        assert_eq!(item_class(WaterItem::Tp, 0.2, Lake), Some(V));
        assert_eq!(item_class(WaterItem::Tp, 0.25, Lake), Some(WorseThanV));
    }

    #[test]
    fn tn_has_class_limits_in_lakes_only() {
        // GB 3838-2002 Table 1 row 9: TN defined for lakes and reservoirs only.
        assert_eq!(item_class(WaterItem::Tn, 1.2, Lake), Some(IV));
        assert_eq!(item_class(WaterItem::Tn, 1.2, River), None);
    }

    #[test]
    fn a_shared_limit_gives_the_better_class() {
        // GB 3838-2002 Table 1 row 5: COD I = II = 15; row 10: Cu II..V = 1.0.
        assert_eq!(item_class(WaterItem::Cod, 15.0, River), Some(I));
        assert_eq!(item_class(WaterItem::Cu, 1.0, River), Some(II));
        assert_eq!(item_class(WaterItem::Cu, 1.01, River), Some(WorseThanV));
        // Row 19: cyanide III = IV = V = 0.2.
        assert_eq!(item_class(WaterItem::Cyanide, 0.2, River), Some(III));
    }

    #[test]
    fn items_without_class_limits_have_no_class() {
        for item in [
            WaterItem::Temp,
            WaterItem::Sulfate,
            WaterItem::Fe,
            WaterItem::Mn,
        ] {
            assert_eq!(item_class(item, 1.0, River), None, "{item}");
        }
    }

    #[test]
    fn exceedance_is_a_multiple_for_maxima_only() {
        // GB 3838-2002 Table 1 row 7, NH3-N class III = 1.0: (1.3 − 1.0) / 1.0.
        let Some(Exceedance::Multiple(m)) = Limit::AtMost(1.0).exceedance(1.3) else {
            panic!("expected a multiple");
        };
        assert!((m - 0.3).abs() < 1e-12);
        assert_eq!(Limit::AtMost(1.0).exceedance(1.0), None);
        assert_eq!(
            Limit::AtLeast(5.0).exceedance(4.0),
            Some(Exceedance::NotApplicable)
        );
        assert_eq!(
            Limit::Within(6.0, 9.0).exceedance(9.5),
            Some(Exceedance::NotApplicable)
        );
    }

    #[test]
    fn limits_serialize_with_their_direction() {
        let json = |l: Limit| serde_json::to_string(&l).unwrap();
        assert_eq!(json(Limit::AtMost(1.0)), r#"{"at_most":1.0}"#);
        assert_eq!(json(Limit::AtLeast(5.0)), r#"{"at_least":5.0}"#);
        assert_eq!(json(Limit::Within(6.0, 9.0)), r#"{"within":[6.0,9.0]}"#);
    }

    fn item() -> impl Strategy<Value = WaterItem> {
        proptest::sample::select(WaterItem::ALL.to_vec())
    }

    fn body() -> impl Strategy<Value = WaterBodyType> {
        prop_oneof![Just(River), Just(Lake)]
    }

    proptest! {
        #[test]
        fn item_class_is_monotone_in_the_value(item in item(), body in body(), a in 0.0..50_000.0f64, b in 0.0..50_000.0f64) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let (c_low, c_high) = (item_class(item, low, body), item_class(item, high, body));
            match class_limits(item, body) {
                Some(ClassLimits::AtMost(_)) => prop_assert!(c_low <= c_high),
                Some(ClassLimits::AtLeast(_)) => prop_assert!(c_low >= c_high),
                Some(ClassLimits::Within(min, max)) => {
                    let expected = if (min..=max).contains(&low) { I } else { WorseThanV };
                    prop_assert_eq!(c_low, Some(expected));
                }
                None => prop_assert!(c_low.is_none() && c_high.is_none()),
            }
        }

        #[test]
        fn item_class_never_panics_and_rejects_impossible_values(item in item(), body in body(), v in proptest::num::f64::ANY) {
            let class = item_class(item, v, body);
            if !v.is_finite() || (v < 0.0 && item != WaterItem::Temp) {
                prop_assert_eq!(class, None);
            }
        }
    }
}
