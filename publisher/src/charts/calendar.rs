//! The calendar heat map: one row per month, one cell per day, each day in
//! its daily AQI level's colour (HJ 633 Table A.1, from envmon-core) with
//! the AQI written on it, so the colour never stands alone. A day that has
//! passed without a published daily AQI is grey; days still to come are
//! left pale.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use envmon_core::aqi::levels::levels;
use envmon_core::aqi::{Edition, level_for};
use envmon_core::stats::air_period;

use super::area_frame::{AreaYear, LABEL_SIZE, PAD, framed, legend, palette, percent};
use super::paint::Colour;
use super::scene::{Scene, TextStyle};

pub(crate) const WIDTH: u32 = 960;
pub(crate) const HEIGHT: u32 = 520;
/// A day's square and the step between squares.
pub(crate) const CELL: i32 = 25;
pub(crate) const STEP: i32 = 27;
/// Left edge of the day columns (month names go before it).
pub(crate) const GRID_LEFT: i32 = PAD + 52;
/// Top of January's row (day numbers go above it).
pub(crate) const GRID_TOP: i32 = 92;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The top left corner of `day`'s cell.
pub(crate) fn cell_origin(day: NaiveDate) -> (i32, i32) {
    let column = i32::try_from(day.day0()).unwrap_or(0);
    let row = i32::try_from(day.month0()).unwrap_or(0);
    (GRID_LEFT + column * STEP, GRID_TOP + row * STEP)
}

/// Black or white, whichever contrasts more with `fill` (WCAG relative
/// luminance, as the dashboard chooses).
fn ink_on(fill: Colour) -> Colour {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = fill.rgb;
    let l = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        Colour::rgb(0, 0, 0)
    } else {
        Colour::rgb(255, 255, 255)
    }
}

fn level_colour(day: NaiveDate, aqi: u16) -> Colour {
    let [r, g, b] = level_for(Edition::for_beijing_day(day), aqi).rgb;
    Colour::rgb(r, g, b)
}

/// The calendar of `data.year`.
pub(crate) fn calendar(data: &AreaYear) -> Scene {
    let colours = palette(data.theme);
    let year = data.year;
    let (from, to) = (data.first_day(year), data.last_day(year));
    let period = air_period(from, to, data.class, &data.days);
    let title = match data.lang {
        super::request::Lang::Zh => format!("{} {year}年每日空气质量指数（AQI）", data.name),
        super::request::Lang::En => format!("{}: daily Air Quality Index (AQI), {year}", data.name),
    };
    let ratio = period
        .good_day_ratio
        .map_or_else(|| "—".to_owned(), percent);
    let subtitle = match data.lang {
        super::request::Lang::Zh => format!(
            "有效天数 {}，优良天数 {}，优良天数比例 {ratio}",
            period.valid_days, period.good_days
        ),
        super::request::Lang::En => format!(
            "{} valid days, {} good days (AQI ≤ 100): {ratio}",
            period.valid_days, period.good_days
        ),
    };
    let method = data.pick(
        "颜色：HJ 633 表 A.1 空气质量指数级别；日 AQI 由各站日均值的区域均值计算",
        "Colours: HJ 633 Table A.1 AQI levels; daily AQI from the area mean of its stations' daily values",
    );
    let mut scene = framed((WIDTH, HEIGHT), data, &title, &subtitle, method);
    let label = TextStyle::new(LABEL_SIZE, colours.muted);
    for column in 1..=31 {
        let x = GRID_LEFT + (column - 1) * STEP + CELL / 2;
        scene.text(column.to_string(), (x, GRID_TOP - 16), label.centre());
    }
    let aqi_by_day: HashMap<NaiveDate, u16> = data
        .days
        .iter()
        .filter_map(|d| d.aqi.map(|aqi| (d.day, aqi)))
        .collect();
    let mut day = from;
    while day.year() == year {
        let (x, y) = cell_origin(day);
        if day.day() == 1 {
            let month = match data.lang {
                super::request::Lang::Zh => format!("{}月", day.month()),
                super::request::Lang::En => MONTHS_EN[day.month0() as usize].to_owned(),
            };
            scene.text(month, (GRID_LEFT - 8, y + 7), label.right());
        }
        match aqi_by_day.get(&day) {
            Some(&aqi) if day <= to => {
                let fill = level_colour(day, aqi);
                scene.rect((x, y), (x + CELL, y + CELL), fill);
                scene.text(
                    aqi.to_string(),
                    (x + CELL / 2, y + 8),
                    TextStyle::new(9.0, ink_on(fill)).centre(),
                );
            }
            _ if day <= to => scene.rect((x, y), (x + CELL, y + CELL), colours.missing),
            _ => scene.rect((x, y), (x + CELL, y + CELL), colours.future),
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let mut entries: Vec<(Colour, String)> = levels(Edition::for_beijing_day(to))
        .iter()
        .map(|level| {
            let [r, g, b] = level.rgb;
            (
                Colour::rgb(r, g, b),
                data.pick(level.category_zh, level.category_en).to_owned(),
            )
        })
        .collect();
    entries.push((colours.missing, data.pick("无数据", "No data").to_owned()));
    legend(
        &mut scene,
        (GRID_LEFT, GRID_TOP + 12 * STEP + 14),
        &entries,
        colours.text,
    );
    scene
}

#[cfg(test)]
mod tests {
    use super::super::area_frame::MISSING_LIGHT;
    use super::super::request::{Lang, Theme};
    use super::super::scene::Shape;
    use super::*;
    use envmon_core::aqi::DailyConcentrations;
    use envmon_core::stats::{AirDay, AreaClass};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn air_day(on: NaiveDate, aqi: Option<u16>) -> AirDay {
        AirDay {
            day: on,
            aqi,
            primary: Vec::new(),
            concentrations: DailyConcentrations::default(),
        }
    }

    pub(crate) fn year(lang: Lang, days: Vec<AirDay>, today: NaiveDate) -> AreaYear {
        AreaYear {
            name: "上海市".into(),
            year: 2027,
            days,
            class: AreaClass::Two,
            today,
            lang,
            theme: Theme::Light,
            source: "envmon".into(),
            made_at: "2027-12-01 08:00".into(),
        }
    }

    fn fill_at(scene: &Scene, origin: (i32, i32)) -> Option<Colour> {
        scene.shapes.iter().rev().find_map(|s| match s {
            Shape::Rect { from, fill, .. } if *from == origin => Some(*fill),
            _ => None,
        })
    }

    #[test]
    fn a_day_has_its_levels_colour_and_its_aqi_written_on_it() {
        let days = vec![
            air_day(day(2027, 3, 5), Some(42)),
            air_day(day(2027, 7, 20), Some(155)),
        ];
        let scene = calendar(&year(Lang::Zh, days, day(2027, 12, 1)));
        let green = fill_at(&scene, cell_origin(day(2027, 3, 5))).unwrap();
        assert_eq!(green.rgb, [0, 228, 0]);
        let red = fill_at(&scene, cell_origin(day(2027, 7, 20))).unwrap();
        assert_eq!(red.rgb, [255, 0, 0], "155 is level IV");
        assert!(scene.texts().contains(&"155"));
        assert_eq!(
            cell_origin(day(2027, 7, 20)),
            (GRID_LEFT + 19 * STEP, GRID_TOP + 6 * STEP)
        );
    }

    #[test]
    fn missing_days_are_grey_and_days_to_come_pale() {
        let days = vec![
            air_day(day(2027, 1, 1), Some(60)),
            air_day(day(2027, 1, 2), None),
        ];
        let scene = calendar(&year(Lang::En, days, day(2027, 6, 1)));
        assert_eq!(
            fill_at(&scene, cell_origin(day(2027, 1, 1))).unwrap().rgb,
            [255, 255, 0]
        );
        assert_eq!(
            fill_at(&scene, cell_origin(day(2027, 1, 2))),
            Some(MISSING_LIGHT),
            "NA"
        );
        assert_eq!(
            fill_at(&scene, cell_origin(day(2027, 2, 9))),
            Some(MISSING_LIGHT),
            "no row"
        );
        let to_come = fill_at(&scene, cell_origin(day(2027, 6, 1))).unwrap();
        assert_ne!(
            to_come, MISSING_LIGHT,
            "today has no daily AQI yet, and is not missing"
        );
        assert!(fill_at(&scene, cell_origin(day(2027, 2, 28))).is_some());
        assert!(
            fill_at(&scene, (GRID_LEFT + 29 * STEP, GRID_TOP + STEP)).is_none(),
            "no 30 Feb"
        );
    }

    #[test]
    fn labels_and_legend_follow_the_language() {
        let zh = calendar(&year(Lang::Zh, Vec::new(), day(2027, 12, 1)));
        let texts = zh.texts();
        assert!(texts.iter().any(|t| t.contains("2027年每日空气质量指数")));
        assert!(texts.contains(&"1月") && texts.contains(&"严重污染") && texts.contains(&"无数据"));
        let en = calendar(&year(Lang::En, Vec::new(), day(2027, 12, 1)));
        let texts = en.texts();
        assert!(
            texts.contains(&"Dec") && texts.contains(&"Excellent") && texts.contains(&"No data")
        );
        assert!(texts.iter().any(|t| t.starts_with("Source: envmon")));
    }
}
