//! AQI levels I–VI (空气质量指数级别) with their categories, colours and health texts.
//!
//! HJ 633-2012 Table 2 + Table A.1 and HJ 633-2026 Table 1 + Table A.1, written by hand from
//! `reference/hj633_aqi_levels.csv`; the tests compare every field with that file. The Chinese
//! texts are verbatim (the 2012 level-IV advice really reads "户外锻练"). The English category
//! names are the common wording, not HJ 633's (it has none); the English health texts are
//! envmon's own translations, as the CSV leaves them empty on purpose.

use serde::Serialize;

use super::Edition;

/// The CSV's status of every `category_en`: HJ 633 is Chinese-only.
pub const CATEGORY_EN_STATUS: &str = "unofficial (HJ 633 has no English category names)";

/// One AQI level of one edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AqiLevel {
    /// The edition whose table this row is.
    pub edition: Edition,
    /// 1 to 6.
    pub level: u8,
    /// 一级 … 六级.
    pub level_zh: &'static str,
    /// Lowest AQI of the level: 0 for HJ 633-2012 level I ("0～50"), 1 for HJ 633-2026
    /// ("1～50", §4.1.1).
    pub aqi_min: u16,
    /// Highest AQI of the level; `None` for level VI (">300").
    pub aqi_max: Option<u16>,
    /// 优, 良, 轻度污染, 中度污染, 重度污染 or 严重污染.
    pub category_zh: &'static str,
    /// Excellent … Severely Polluted. Unofficial: see [`CATEGORY_EN_STATUS`].
    pub category_en: &'static str,
    /// Colour name as printed: 绿色, 黄色, 橙色, 红色, 紫色, 褐红色.
    pub color_zh: &'static str,
    /// Colour name in English: green, yellow, orange, red, purple, maroon.
    pub color_en: &'static str,
    /// Table A.1 RGB.
    pub rgb: [u8; 3],
    /// The RGB as `#RRGGBB`.
    pub hex: &'static str,
    /// Table A.1 CMYK, in percent.
    pub cmyk: [u8; 4],
    /// 对健康影响情况, verbatim.
    pub health_effects_zh: &'static str,
    /// 建议采取的措施, verbatim.
    pub advice_zh: &'static str,
    /// English health effects: envmon's translation of `health_effects_zh`, not an official
    /// text (none exists).
    pub health_effects_en: &'static str,
    /// English advice: envmon's translation of `advice_zh`, not an official text.
    pub advice_en: &'static str,
}

/// The level of `aqi` under `edition`. AQI 0 (possible only under HJ 633-2012, or from an
/// all-zero input) is level I; anything above 300 is level VI.
///
/// ```
/// use envmon_core::aqi::{Edition, level_for};
///
/// let level = level_for(Edition::Hj633_2026, 101);
/// assert_eq!((level.level_zh, level.category_zh, level.hex), ("三级", "轻度污染", "#FF7E00"));
/// ```
pub fn level_for(edition: Edition, aqi: u16) -> &'static AqiLevel {
    let levels = levels(edition);
    levels
        .iter()
        .find(|l| l.aqi_max.is_none_or(|max| aqi <= max))
        .unwrap_or(&levels[5])
}

/// The six levels of `edition`, from I to VI.
pub fn levels(edition: Edition) -> &'static [AqiLevel; 6] {
    match edition {
        Edition::Hj633_2012 => &LEVELS_2012,
        Edition::Hj633_2026 => &LEVELS_2026,
    }
}

/// The colour and category columns, identical in both editions (Table A.1).
struct Band {
    level: u8,
    level_zh: &'static str,
    aqi_max: Option<u16>,
    category_zh: &'static str,
    category_en: &'static str,
    color_zh: &'static str,
    color_en: &'static str,
    rgb: [u8; 3],
    hex: &'static str,
    cmyk: [u8; 4],
}

#[rustfmt::skip]
const BANDS: [Band; 6] = [
    Band { level: 1, level_zh: "一级", aqi_max: Some(50), category_zh: "优", category_en: "Excellent", color_zh: "绿色", color_en: "green", rgb: [0, 228, 0], hex: "#00E400", cmyk: [40, 0, 100, 0] },
    Band { level: 2, level_zh: "二级", aqi_max: Some(100), category_zh: "良", category_en: "Good", color_zh: "黄色", color_en: "yellow", rgb: [255, 255, 0], hex: "#FFFF00", cmyk: [0, 0, 100, 0] },
    Band { level: 3, level_zh: "三级", aqi_max: Some(150), category_zh: "轻度污染", category_en: "Lightly Polluted", color_zh: "橙色", color_en: "orange", rgb: [255, 126, 0], hex: "#FF7E00", cmyk: [0, 52, 100, 0] },
    Band { level: 4, level_zh: "四级", aqi_max: Some(200), category_zh: "中度污染", category_en: "Moderately Polluted", color_zh: "红色", color_en: "red", rgb: [255, 0, 0], hex: "#FF0000", cmyk: [0, 100, 100, 0] },
    Band { level: 5, level_zh: "五级", aqi_max: Some(300), category_zh: "重度污染", category_en: "Heavily Polluted", color_zh: "紫色", color_en: "purple", rgb: [153, 0, 76], hex: "#99004C", cmyk: [10, 100, 40, 30] },
    Band { level: 6, level_zh: "六级", aqi_max: None, category_zh: "严重污染", category_en: "Severely Polluted", color_zh: "褐红色", color_en: "maroon", rgb: [126, 0, 35], hex: "#7E0023", cmyk: [30, 100, 100, 30] },
];

/// Health texts of one level: (effects zh, advice zh, effects en, advice en).
type Texts = (&'static str, &'static str, &'static str, &'static str);

const fn level(edition: Edition, i: usize, aqi_min: u16, texts: Texts) -> AqiLevel {
    let band = &BANDS[i];
    AqiLevel {
        edition,
        level: band.level,
        level_zh: band.level_zh,
        aqi_min,
        aqi_max: band.aqi_max,
        category_zh: band.category_zh,
        category_en: band.category_en,
        color_zh: band.color_zh,
        color_en: band.color_en,
        rgb: band.rgb,
        hex: band.hex,
        cmyk: band.cmyk,
        health_effects_zh: texts.0,
        advice_zh: texts.1,
        health_effects_en: texts.2,
        advice_en: texts.3,
    }
}

// Levels I, II and VI's effects read the same in both editions.
const L1: Texts = (
    "空气质量令人满意，基本无空气污染",
    "各类人群可正常活动",
    "Air quality is satisfactory and there is essentially no air pollution.",
    "Everyone can go about their normal activities.",
);
const L2: Texts = (
    "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
    "极少数异常敏感人群应减少户外活动",
    "Air quality is acceptable, but some pollutants may have a weak effect on the health of a very small number of unusually sensitive people.",
    "The very small number of unusually sensitive people should reduce outdoor activity.",
);
const L6_EFFECTS_ZH: &str = "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病";
const L6_EFFECTS_EN: &str = "Healthy people's exercise tolerance is reduced, with obvious, strong symptoms; some illnesses appear earlier than they otherwise would.";

/// HJ 633-2012 Table 2.
pub static LEVELS_2012: [AqiLevel; 6] = {
    use Edition::Hj633_2012 as E;
    [
        level(E, 0, 0, L1),
        level(E, 1, 51, L2),
        level(
            E,
            2,
            101,
            (
                "易感人群症状有轻度加剧，健康人群出现刺激症状",
                "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
                "Symptoms of susceptible people are slightly aggravated; healthy people show symptoms of irritation.",
                "Children, the elderly and people with heart or respiratory disease should reduce prolonged, strenuous outdoor exercise.",
            ),
        ),
        level(
            E,
            3,
            151,
            (
                "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
                "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
                "Symptoms of susceptible people are further aggravated; the heart and respiratory system of healthy people may be affected.",
                "Children, the elderly and people with heart or respiratory disease should avoid prolonged, strenuous outdoor exercise; the general public should moderately reduce outdoor exercise.",
            ),
        ),
        level(
            E,
            4,
            201,
            (
                "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
                "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
                "Symptoms of people with heart or lung disease are markedly aggravated and their exercise tolerance is reduced; healthy people commonly show symptoms.",
                "Children, the elderly and people with heart or lung disease should stay indoors and stop outdoor exercise; the general public should reduce outdoor exercise.",
            ),
        ),
        level(
            E,
            5,
            301,
            (
                L6_EFFECTS_ZH,
                "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
                L6_EFFECTS_EN,
                "Children, the elderly and the sick should stay indoors and avoid physical exertion; the general public should avoid outdoor activity.",
            ),
        ),
    ]
};

/// HJ 633-2026 Table 1.
pub static LEVELS_2026: [AqiLevel; 6] = {
    use Edition::Hj633_2026 as E;
    [
        level(E, 0, 1, L1),
        level(E, 1, 51, L2),
        level(
            E,
            2,
            101,
            (
                "敏感人群症状有轻度加剧，健康人群出现刺激症状",
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
                "Symptoms of sensitive people are slightly aggravated; healthy people show symptoms of irritation.",
                "Children and adolescents, the elderly and people with cardiovascular or respiratory disease should reduce prolonged, strenuous outdoor exercise.",
            ),
        ),
        level(
            E,
            3,
            151,
            (
                "进一步加剧敏感人群症状，可能对健康人群心血管系统、呼吸系统有影响",
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
                "Symptoms of sensitive people are further aggravated; the cardiovascular and respiratory systems of healthy people may be affected.",
                "Children and adolescents, the elderly and people with cardiovascular or respiratory disease should avoid prolonged, strenuous outdoor exercise; the general public should moderately reduce outdoor exercise.",
            ),
        ),
        level(
            E,
            4,
            201,
            (
                "心血管系统和呼吸系统患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
                "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，一般人群减少户外运动",
                "Symptoms of people with cardiovascular or respiratory disease are markedly aggravated and their exercise tolerance is reduced; healthy people commonly show symptoms.",
                "Children and adolescents, the elderly and people with cardiovascular or respiratory disease should stay indoors and stop outdoor exercise; the general public should reduce outdoor exercise.",
            ),
        ),
        level(
            E,
            5,
            301,
            (
                L6_EFFECTS_ZH,
                "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
                L6_EFFECTS_EN,
                "Children and adolescents, the elderly and the sick should stay indoors and avoid physical exertion; the general public should avoid outdoor activity.",
            ),
        ),
    ]
};

#[cfg(test)]
mod tests {
    use super::super::reference_csv;
    use super::*;

    #[test]
    fn levels_match_the_reference_csv_field_by_field() {
        let rows = reference_csv::level_rows();
        assert_eq!(rows.len(), 12);
        for row in rows {
            let edition = match row.standard.as_str() {
                "HJ 633-2012" => Edition::Hj633_2012,
                _ => Edition::Hj633_2026,
            };
            let l = &levels(edition)[usize::from(row.level) - 1];
            let cite = format!("{} level {}", row.standard, row.level);
            assert_eq!(l.edition.code(), row.standard, "{cite}");
            assert_eq!(l.level, row.level, "{cite}");
            assert_eq!(l.level_zh, row.level_zh, "{cite}");
            assert_eq!((l.aqi_min, l.aqi_max), (row.aqi_min, row.aqi_max), "{cite}");
            assert_eq!(l.category_zh, row.category_zh, "{cite}");
            assert_eq!(l.category_en, row.category_en, "{cite}");
            assert_eq!(CATEGORY_EN_STATUS, row.category_en_status, "{cite}");
            assert_eq!(
                (l.color_zh, l.color_en),
                (row.color_zh.as_str(), row.color_en.as_str())
            );
            assert_eq!(l.rgb, [row.r, row.g, row.b], "{cite}");
            assert_eq!(l.hex, row.hex, "{cite}");
            assert_eq!(l.cmyk, [row.c, row.m, row.y, row.k], "{cite}");
            assert_eq!(l.health_effects_zh, row.health_effects_zh, "{cite}");
            assert_eq!(l.advice_zh, row.advice_zh, "{cite}");
            // The CSV leaves English texts empty; ours are translations, present for every level.
            assert_eq!(
                (row.health_effects_en.as_str(), row.advice_en.as_str()),
                ("", "")
            );
            assert!(
                !l.health_effects_en.is_empty() && !l.advice_en.is_empty(),
                "{cite}"
            );
        }
    }

    #[test]
    fn each_aqi_falls_in_exactly_one_level() {
        for edition in [Edition::Hj633_2012, Edition::Hj633_2026] {
            for aqi in 0..=600u16 {
                let hits = levels(edition)
                    .iter()
                    .filter(|l| aqi >= l.aqi_min && l.aqi_max.is_none_or(|max| aqi <= max))
                    .count();
                let expected = usize::from(!(edition == Edition::Hj633_2026 && aqi == 0));
                assert_eq!(hits, expected, "{edition} {aqi}");
            }
        }
    }

    #[test]
    fn level_boundaries() {
        // HJ 633-2026 Table 1: 1–50 一级, 51–100 二级, 101–150 三级, 151–200 四级, 201–300 五级.
        let at = |aqi| level_for(Edition::Hj633_2026, aqi).level;
        for (aqi, want) in [
            (1, 1),
            (50, 1),
            (51, 2),
            (100, 2),
            (101, 3),
            (150, 3),
            (151, 4),
        ] {
            assert_eq!(at(aqi), want, "{aqi}");
        }
        for (aqi, want) in [(200, 4), (201, 5), (300, 5), (301, 6), (500, 6), (0, 1)] {
            assert_eq!(at(aqi), want, "{aqi}");
        }
        assert_eq!(level_for(Edition::Hj633_2012, 0).aqi_min, 0);
    }

    #[test]
    fn china_purple_is_not_the_us_purple() {
        // Reference README §1, Colours: China 153,0,76; US 143,63,151.
        assert_eq!(LEVELS_2026[4].rgb, [153, 0, 76]);
    }
}
