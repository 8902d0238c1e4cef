//! The limits of GB 5749-2022 as typed values, and where a sample was taken.
//!
//! Every number is a constant citing its table and row, read as
//! `reference/README.md` says and checked against
//! `reference/gb5749_2022.csv` by the tests. Values are in the item's unit
//! ([`SupplyItem::unit`]).

use serde::{Deserialize, Serialize};

use super::SupplyItem;

/// Table 1 row 3: 菌落总数, CFU/mL.
pub const TOTAL_BACTERIA_MAX_CFU_ML: f64 = 100.0;
/// Table 1 row 4: 砷.
pub const ARSENIC_MAX_MG_L: f64 = 0.01;
/// Table 1 row 5: 镉.
pub const CADMIUM_MAX_MG_L: f64 = 0.005;
/// Table 1 row 6: 铬（六价）.
pub const CHROMIUM_VI_MAX_MG_L: f64 = 0.05;
/// Table 1 row 7: 铅.
pub const LEAD_MAX_MG_L: f64 = 0.01;
/// Table 1 row 8: 汞.
pub const MERCURY_MAX_MG_L: f64 = 0.001;
/// Table 1 row 9: 氰化物.
pub const CYANIDE_MAX_MG_L: f64 = 0.05;
/// Table 1 row 10: 氟化物.
pub const FLUORIDE_MAX_MG_L: f64 = 1.0;
/// Table 1 row 11: 硝酸盐（以N计）. The 2006 relaxation to 20 for limited
/// groundwater sources is gone from the general limit in 2022.
pub const NITRATE_N_MAX_MG_L: f64 = 10.0;
/// Table 1 row 12: 三氯甲烷.
pub const CHLOROFORM_MAX_MG_L: f64 = 0.06;
/// Table 1 row 13: 一氯二溴甲烷.
pub const DIBROMOCHLOROMETHANE_MAX_MG_L: f64 = 0.1;
/// Table 1 row 14: 二氯一溴甲烷.
pub const BROMODICHLOROMETHANE_MAX_MG_L: f64 = 0.06;
/// Table 1 row 15: 三溴甲烷.
pub const BROMOFORM_MAX_MG_L: f64 = 0.1;
/// Table 1 row 16: 三卤甲烷, the sum of each of the four compounds'
/// concentration divided by its own limit must not exceed 1.
pub const TRIHALOMETHANES_RATIO_SUM_MAX: f64 = 1.0;
/// Table 1 row 17: 二氯乙酸.
pub const DICHLOROACETIC_ACID_MAX_MG_L: f64 = 0.05;
/// Table 1 row 18: 三氯乙酸.
pub const TRICHLOROACETIC_ACID_MAX_MG_L: f64 = 0.1;
/// Table 1 row 19: 溴酸盐.
pub const BROMATE_MAX_MG_L: f64 = 0.01;
/// Table 1 row 21: 氯酸盐.
pub const CHLORATE_MAX_MG_L: f64 = 0.7;
/// Table 1 row 22: 色度, platinum-cobalt units.
pub const COLOUR_MAX_PTCO: f64 = 15.0;
/// Table 1 row 23: 浑浊度, NTU.
pub const TURBIDITY_MAX_NTU: f64 = 1.0;
/// Table 1 row 26: pH 不小于6.5.
pub const PH_MIN: f64 = 6.5;
/// Table 1 row 26: pH 不大于8.5.
pub const PH_MAX: f64 = 8.5;
/// Table 1 row 27: 铝.
pub const ALUMINIUM_MAX_MG_L: f64 = 0.2;
/// Table 1 row 28: 铁.
pub const IRON_MAX_MG_L: f64 = 0.3;
/// Table 1 row 29: 锰.
pub const MANGANESE_MAX_MG_L: f64 = 0.1;
/// Table 1 row 30: 铜.
pub const COPPER_MAX_MG_L: f64 = 1.0;
/// Table 1 row 31: 锌.
pub const ZINC_MAX_MG_L: f64 = 1.0;
/// Table 1 row 32: 氯化物.
pub const CHLORIDE_MAX_MG_L: f64 = 250.0;
/// Table 1 row 33: 硫酸盐.
pub const SULFATE_MAX_MG_L: f64 = 250.0;
/// Table 1 row 34: 溶解性总固体.
pub const TOTAL_DISSOLVED_SOLIDS_MAX_MG_L: f64 = 1000.0;
/// Table 1 row 35: 总硬度（以CaCO3计）.
pub const TOTAL_HARDNESS_MAX_MG_L: f64 = 450.0;
/// Table 1 row 36: 高锰酸盐指数（以O2计）.
pub const PERMANGANATE_INDEX_MAX_MG_L: f64 = 3.0;
/// Table 1 row 37: 氨（以N计）.
pub const AMMONIA_N_MAX_MG_L: f64 = 0.5;
/// Table 1 row 38: 总α放射性 guidance value (指导值), Bq/L.
pub const GROSS_ALPHA_GUIDANCE_BQ_L: f64 = 0.5;
/// Table 1 row 39: 总β放射性 guidance value (指导值), Bq/L.
pub const GROSS_BETA_GUIDANCE_BQ_L: f64 = 1.0;
/// Table 2 row 1: 游离氯, 出厂水和末梢水限值 (2 since 2022; 4 in 2006).
pub const FREE_CHLORINE_MAX_MG_L: f64 = 2.0;
/// Table 2 row 1: 游离氯, 出厂水余量.
pub const FREE_CHLORINE_OUTLET_MIN_MG_L: f64 = 0.3;
/// Table 2 row 1: 游离氯, 末梢水余量.
pub const FREE_CHLORINE_NETWORK_MIN_MG_L: f64 = 0.05;

/// Where a sample was taken, which decides a disinfectant's residual
/// minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyPoint {
    /// 出厂水: water leaving the treatment plant.
    Outlet,
    /// 末梢水: water at the end of the network, at the tap.
    Network,
}

/// The limits of a disinfectant (Table 2), in mg/L.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DisinfectantLimit {
    /// 出厂水和末梢水限值: the maximum, at both points.
    pub max: f64,
    /// 出厂水余量: the residual minimum at the outlet.
    pub outlet_min: f64,
    /// 末梢水余量: the residual minimum in the network.
    pub network_min: f64,
}

impl DisinfectantLimit {
    /// The residual minimum at `point`.
    pub fn min_at(self, point: SupplyPoint) -> f64 {
        match point {
            SupplyPoint::Outlet => self.outlet_min,
            SupplyPoint::Network => self.network_min,
        }
    }
}

/// The limit an item's result must meet.
///
/// Serialized as `{"max": 1.0}`, `{"range": {"min": 6.5, "max": 8.5}}`,
/// `"not_detected"`, `"absent"`, `{"guidance": 0.5}` or
/// `{"disinfectant": {"max": .., "outlet_min": .., "network_min": ..}}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyLimit {
    /// Met when `value <= max`.
    Max(f64),
    /// Met when `min <= value <= max` (pH).
    Range {
        /// The lowest value allowed.
        min: f64,
        /// The highest value allowed.
        max: f64,
    },
    /// 不应检出: met only when the organism is not detected.
    NotDetected,
    /// 无 / 无异臭、异味: met only when the observation is "none".
    Absent,
    /// 指导值: a value above it is not a failure but calls for nuclide
    /// analysis before the water is judged.
    Guidance(f64),
    /// A disinfectant's maximum and residual minimums (Table 2).
    Disinfectant(DisinfectantLimit),
}

/// The limit of `item` in GB 5749-2022.
pub fn limit(item: SupplyItem) -> SupplyLimit {
    use SupplyItem::*;
    use SupplyLimit::Max;
    match item {
        TotalColiforms | EColi => SupplyLimit::NotDetected,
        TotalBacteria => Max(TOTAL_BACTERIA_MAX_CFU_ML),
        Arsenic => Max(ARSENIC_MAX_MG_L),
        Cadmium => Max(CADMIUM_MAX_MG_L),
        ChromiumVi => Max(CHROMIUM_VI_MAX_MG_L),
        Lead => Max(LEAD_MAX_MG_L),
        Mercury => Max(MERCURY_MAX_MG_L),
        Cyanide => Max(CYANIDE_MAX_MG_L),
        Fluoride => Max(FLUORIDE_MAX_MG_L),
        NitrateN => Max(NITRATE_N_MAX_MG_L),
        Chloroform => Max(CHLOROFORM_MAX_MG_L),
        Dibromochloromethane => Max(DIBROMOCHLOROMETHANE_MAX_MG_L),
        Bromodichloromethane => Max(BROMODICHLOROMETHANE_MAX_MG_L),
        Bromoform => Max(BROMOFORM_MAX_MG_L),
        Trihalomethanes => Max(TRIHALOMETHANES_RATIO_SUM_MAX),
        DichloroaceticAcid => Max(DICHLOROACETIC_ACID_MAX_MG_L),
        TrichloroaceticAcid => Max(TRICHLOROACETIC_ACID_MAX_MG_L),
        Bromate => Max(BROMATE_MAX_MG_L),
        Chlorate => Max(CHLORATE_MAX_MG_L),
        Colour => Max(COLOUR_MAX_PTCO),
        Turbidity => Max(TURBIDITY_MAX_NTU),
        OdourTaste | VisibleMatter => SupplyLimit::Absent,
        Ph => SupplyLimit::Range {
            min: PH_MIN,
            max: PH_MAX,
        },
        Aluminium => Max(ALUMINIUM_MAX_MG_L),
        Iron => Max(IRON_MAX_MG_L),
        Manganese => Max(MANGANESE_MAX_MG_L),
        Copper => Max(COPPER_MAX_MG_L),
        Zinc => Max(ZINC_MAX_MG_L),
        Chloride => Max(CHLORIDE_MAX_MG_L),
        Sulfate => Max(SULFATE_MAX_MG_L),
        TotalDissolvedSolids => Max(TOTAL_DISSOLVED_SOLIDS_MAX_MG_L),
        TotalHardness => Max(TOTAL_HARDNESS_MAX_MG_L),
        PermanganateIndex => Max(PERMANGANATE_INDEX_MAX_MG_L),
        AmmoniaN => Max(AMMONIA_N_MAX_MG_L),
        GrossAlpha => SupplyLimit::Guidance(GROSS_ALPHA_GUIDANCE_BQ_L),
        GrossBeta => SupplyLimit::Guidance(GROSS_BETA_GUIDANCE_BQ_L),
        FreeChlorine => SupplyLimit::Disinfectant(DisinfectantLimit {
            max: FREE_CHLORINE_MAX_MG_L,
            outlet_min: FREE_CHLORINE_OUTLET_MIN_MG_L,
            network_min: FREE_CHLORINE_NETWORK_MIN_MG_L,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_minimum_depends_on_the_supply_point() {
        let SupplyLimit::Disinfectant(free) = limit(SupplyItem::FreeChlorine) else {
            panic!("free chlorine has a disinfectant limit");
        };
        assert_eq!(free.min_at(SupplyPoint::Outlet), 0.3);
        assert_eq!(free.min_at(SupplyPoint::Network), 0.05);
        assert_eq!(free.max, 2.0);
    }

    #[test]
    fn limits_serialize_with_their_kind() {
        let json = |l| serde_json::to_string(&l).unwrap();
        assert_eq!(json(SupplyLimit::Max(1.0)), r#"{"max":1.0}"#);
        assert_eq!(json(SupplyLimit::NotDetected), r#""not_detected""#);
        assert_eq!(
            json(limit(SupplyItem::Ph)),
            r#"{"range":{"min":6.5,"max":8.5}}"#
        );
    }
}
