//! The two bar charts of an area's year: each month's good-day ratio beside
//! the same month of the year before, and the year's statistic of each
//! pollutant against its GB 3095-2026 limit. Both from
//! [`envmon_core::stats::air_period`], as the bulletins count.

use chrono::NaiveDate;
use envmon_core::stats::{
    AirPeriod, LimitAveraging, PeriodStatistic, PollutantPeriod, air_period, limit,
};

use super::area_frame::{AreaYear, LABEL_SIZE, PAD, framed, legend, palette, percent};
use super::compose::display_unit;
use super::request::Lang;
use super::scene::{Scene, TextStyle, to_i32};

pub(crate) const WIDTH: u32 = 960;
pub(crate) const GOOD_DAYS_HEIGHT: u32 = 460;
pub(crate) const ANNUAL_HEIGHT: u32 = 440;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Plot area of the good-day bars.
const PLOT_LEFT: i32 = PAD + 48;
const PLOT_TOP: i32 = 96;
const PLOT_BOTTOM: i32 = 350;

/// Month `month` (1–12) of `year` up to the data's last day; `None` when it
/// has not begun.
fn month_period(data: &AreaYear, year: i32, month: u32) -> Option<AirPeriod> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = next.pred_opt()?.min(data.last_day(year));
    (last >= first).then(|| air_period(first, last, data.class, &data.days))
}

/// The x of month `index`'s (0–11) group and the width of a group.
pub(crate) fn month_slot(index: i32) -> (i32, i32) {
    let width = (to_i32(WIDTH) - PAD - PLOT_LEFT) / 12;
    (PLOT_LEFT + index * width, width)
}

/// The pixel row of a ratio (0–1) on the good-day axis.
pub(crate) fn ratio_y(ratio: f64) -> i32 {
    let span = f64::from(PLOT_BOTTOM - PLOT_TOP);
    #[allow(clippy::cast_possible_truncation)]
    let y = PLOT_BOTTOM - (ratio.clamp(0.0, 1.0) * span).round() as i32;
    y
}

/// Each month's good-day ratio of `data.year` (right, dark) beside the year
/// before's (left, light), with the value above each bar.
pub(crate) fn good_days(data: &AreaYear) -> Scene {
    let colours = palette(data.theme);
    let (year, before) = (data.year, data.year - 1);
    let whole = |y: i32| air_period(data.first_day(y), data.last_day(y), data.class, &data.days);
    let (this, last) = (whole(year), whole(before));
    let ratio = |p: &AirPeriod| p.good_day_ratio.map_or_else(|| "—".to_owned(), percent);
    let (title, subtitle) = match data.lang {
        Lang::Zh => (
            format!("{} {year}年各月优良天数比例（对比{before}年）", data.name),
            format!(
                "{year}年 {}（{}/{} 天）；{before}年 {}（{}/{} 天）",
                ratio(&this),
                this.good_days,
                this.valid_days,
                ratio(&last),
                last.good_days,
                last.valid_days
            ),
        ),
        Lang::En => (
            format!(
                "{}: good-day ratio by month, {year} against {before}",
                data.name
            ),
            format!(
                "{year}: {} ({} of {} days); {before}: {} ({} of {} days)",
                ratio(&this),
                this.good_days,
                this.valid_days,
                ratio(&last),
                last.good_days,
                last.valid_days
            ),
        ),
    };
    let method = data.pick(
        "优良天数：日 AQI ≤ 100（HJ 633），按有效天数计",
        "Good days: daily AQI ≤ 100 (HJ 633), over days with a published AQI",
    );
    let mut scene = framed((WIDTH, GOOD_DAYS_HEIGHT), data, &title, &subtitle, method);
    let label = TextStyle::new(LABEL_SIZE, colours.muted);
    let right = to_i32(WIDTH) - PAD;
    for step in 0..=5 {
        let ratio = f64::from(step) / 5.0;
        let y = ratio_y(ratio);
        scene.line(vec![(PLOT_LEFT, y), (right, y)], colours.grid, 1);
        scene.text(
            percent(ratio).replace(".0", ""),
            (PLOT_LEFT - 6, y - 6),
            label.right(),
        );
    }
    for month in 1..=12_u32 {
        let index = i32::try_from(month).unwrap_or(1) - 1;
        let (x, width) = month_slot(index);
        let bar = (width - 16) / 2;
        let bars = [
            (x + 6, month_period(data, before, month), colours.last_year),
            (
                x + 8 + bar,
                month_period(data, year, month),
                colours.this_year,
            ),
        ];
        for (left, period, fill) in bars {
            let centre = left + bar / 2;
            match period.and_then(|p| p.good_day_ratio) {
                Some(ratio) => {
                    let top = ratio_y(ratio);
                    scene.rect((left, top), (left + bar, PLOT_BOTTOM), fill);
                    scene.text(
                        format!("{:.0}", ratio * 100.0),
                        (centre, top - 13),
                        TextStyle::new(9.5, colours.text).centre(),
                    );
                }
                None => scene.text("—", (centre, PLOT_BOTTOM - 13), label.centre()),
            }
        }
        let name = match data.lang {
            Lang::Zh => format!("{month}月"),
            Lang::En => MONTHS_EN[index as usize].to_owned(),
        };
        scene.text(name, (x + width / 2, PLOT_BOTTOM + 6), label.centre());
    }
    let suffix = data.pick("年", "");
    legend(
        &mut scene,
        (PLOT_LEFT, PLOT_BOTTOM + 28),
        &[
            (colours.last_year, format!("{before}{suffix}")),
            (colours.this_year, format!("{year}{suffix}")),
        ],
        colours.text,
    );
    scene
}

fn statistic_name(pollutant: &str, statistic: PeriodStatistic, lang: Lang) -> String {
    match (statistic, lang) {
        (PeriodStatistic::Mean, Lang::Zh) => format!("{pollutant} 年均值"),
        (PeriodStatistic::Mean, Lang::En) => format!("{pollutant} annual mean"),
        (PeriodStatistic::Percentile95, Lang::Zh) => format!("{pollutant} 日均值第95百分位"),
        (PeriodStatistic::Percentile95, Lang::En) => {
            format!("{pollutant} 95th pct. of daily means")
        }
        (PeriodStatistic::Percentile90, Lang::Zh) => format!("{pollutant} 日最大8小时第90百分位"),
        (PeriodStatistic::Percentile90, Lang::En) => {
            format!("{pollutant} 90th pct. of daily max 8 h")
        }
    }
}

/// The day GB 3095-2026 took effect: years before it are compared with its
/// first (transitional) limits, and the chart says so.
fn gb3095_2026_effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}

/// The limit a pollutant's period statistic is judged by: the one in force
/// on the period's last day, or for a period that ended before GB 3095-2026
/// took effect, the one it took effect with.
fn limit_for(pollutant: &PollutantPeriod, data: &AreaYear, to: NaiveDate) -> Option<f64> {
    pollutant.limit.or_else(|| {
        let averaging = match pollutant.statistic {
            PeriodStatistic::Mean => LimitAveraging::Annual,
            PeriodStatistic::Percentile95 => LimitAveraging::Daily,
            PeriodStatistic::Percentile90 => LimitAveraging::DailyMax8h,
        };
        limit(
            pollutant.pollutant,
            averaging,
            data.class,
            to.max(gb3095_2026_effective()),
        )
    })
}

/// Left edge of the bars, after the pollutant names.
pub(crate) const BAR_LEFT: i32 = PAD + 230;
const BAR_RIGHT: i32 = 700;
const ROW_TOP: i32 = 92;
const ROW_STEP: i32 = 40;

/// Each pollutant's statistic over the year so far as a share of its
/// GB 3095-2026 limit: a bar up to the value, a line at the limit, and in
/// words the value, the limit and whether it is met.
pub(crate) fn annual(data: &AreaYear) -> Scene {
    let colours = palette(data.theme);
    let year = data.year;
    let (from, to) = (data.first_day(year), data.last_day(year));
    let period = air_period(from, to, data.class, &data.days);
    let title = match data.lang {
        Lang::Zh => format!("{} {year}年主要污染物与 GB 3095-2026 限值", data.name),
        Lang::En => format!(
            "{}: pollutants in {year} against the GB 3095-2026 limits",
            data.name
        ),
    };
    let subtitle = match data.lang {
        Lang::Zh => format!("{from} 至 {to}，有效天数 {}", period.valid_days),
        Lang::En => format!("{from} to {to}, {} valid days", period.valid_days),
    };
    let method = if to < gb3095_2026_effective() {
        data.pick(
            "统计方法：HJ 663；对照 GB 3095-2026 表 1 过渡期限值（该标准 2026 年 3 月 1 日起实施）",
            "Statistics: HJ 663; compared with GB 3095-2026 Table 1 transitional limits (in force from 1 March 2026)",
        )
    } else {
        data.pick(
            "统计方法：HJ 663；限值：GB 3095-2026 表 1（该时段末日适用的限值）",
            "Statistics: HJ 663; limits: GB 3095-2026 Table 1, in force on the period's last day",
        )
    };
    let mut scene = framed((WIDTH, ANNUAL_HEIGHT), data, &title, &subtitle, method);
    let label = TextStyle::new(LABEL_SIZE, colours.text);
    let limits: Vec<Option<f64>> = period
        .pollutants
        .iter()
        .map(|p| limit_for(p, data, to))
        .collect();
    let worst = period
        .pollutants
        .iter()
        .zip(&limits)
        .filter_map(|(p, l)| Some(p.value? / (*l)?))
        .fold(1.0_f64, f64::max);
    let scale_max = (worst * 1.15).max(1.5);
    let span = f64::from(BAR_RIGHT - BAR_LEFT);
    #[allow(clippy::cast_possible_truncation)]
    let x_of =
        |share: f64| BAR_LEFT + (share.clamp(0.0, scale_max) / scale_max * span).round() as i32;
    let limit_x = x_of(1.0);
    let rows = i32::try_from(period.pollutants.len()).unwrap_or(6);
    let bottom = ROW_TOP + rows * ROW_STEP;
    scene.line(
        vec![(limit_x, ROW_TOP - 8), (limit_x, bottom)],
        colours.text,
        2,
    );
    scene.text(
        data.pick("限值", "limit"),
        (limit_x, bottom + 4),
        TextStyle::new(LABEL_SIZE, colours.text).centre(),
    );
    for ((row, pollutant), limit) in (0..).zip(&period.pollutants).zip(limits) {
        let y = ROW_TOP + row * ROW_STEP;
        let info = pollutant.pollutant.info();
        let short = info.name_en;
        scene.text(
            statistic_name(short, pollutant.statistic, data.lang),
            (BAR_LEFT - 10, y + 6),
            label.right(),
        );
        let unit = display_unit(pollutant.pollutant.unit());
        let attains = match (pollutant.value, limit, pollutant.valid) {
            (Some(value), Some(limit), true) => Some(value <= limit),
            _ => None,
        };
        let (fill, verdict) = match attains {
            Some(true) => (colours.attains, data.pick("达标", "met")),
            Some(false) => (colours.exceeds, data.pick("超标", "exceeded")),
            None if pollutant.value.is_some() && !pollutant.valid => {
                (colours.missing, data.pick("数据不足", "too few days"))
            }
            None => (
                colours.missing,
                data.pick("无限值或数据", "no limit or data"),
            ),
        };
        if let Some(value) = pollutant.value {
            let share = limit.map_or(0.0, |limit| value / limit);
            scene.rect((BAR_LEFT, y), (x_of(share).max(BAR_LEFT + 2), y + 24), fill);
        }
        let number = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v}"));
        let words = match data.lang {
            Lang::Zh => format!(
                "{} {unit}（限值 {}）{verdict}",
                number(pollutant.value),
                number(limit)
            ),
            Lang::En => format!(
                "{} {unit} (limit {}): {verdict}",
                number(pollutant.value),
                number(limit)
            ),
        };
        scene.text(words, (BAR_RIGHT + 12, y + 6), label);
    }
    scene
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::area_frame::AreaYear;
    use crate::charts::request::Theme;
    use crate::charts::scene::Shape;
    use envmon_core::aqi::DailyConcentrations;
    use envmon_core::stats::{AirDay, AreaClass};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn data(lang: Lang, days: Vec<AirDay>) -> AreaYear {
        AreaYear {
            name: "Pudong".into(),
            year: 2027,
            days,
            class: AreaClass::Two,
            today: day(2027, 5, 1),
            lang,
            theme: Theme::Light,
            source: "envmon".into(),
            made_at: "2027-05-01 08:00".into(),
        }
    }

    /// Every day of April in both years: 2027 with AQI 60 except three days
    /// of 180; 2026 all 80. PM2.5 36 µg/m³ each day of 2027.
    fn april() -> Vec<AirDay> {
        let mut days = Vec::new();
        for d in 1..=30 {
            let pm25 = DailyConcentrations {
                pm25_24h_ug_m3: Some(36.0),
                ..DailyConcentrations::default()
            };
            days.push(AirDay {
                day: day(2027, 4, d),
                aqi: Some(if d <= 3 { 180 } else { 60 }),
                primary: Vec::new(),
                concentrations: pm25,
            });
            days.push(AirDay {
                day: day(2026, 4, d),
                aqi: Some(80),
                primary: Vec::new(),
                concentrations: DailyConcentrations::default(),
            });
        }
        days
    }

    fn bars_in(
        scene: &Scene,
        (x0, x1): (i32, i32),
    ) -> Vec<((i32, i32), super::super::paint::Colour)> {
        scene
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Rect { from, to, fill }
                    if from.0 >= x0 && to.0 <= x1 && to.1 == PLOT_BOTTOM =>
                {
                    Some((*from, *fill))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_month_has_this_years_bar_beside_the_previous_years() {
        let scene = good_days(&data(Lang::Zh, april()));
        let colours = palette(Theme::Light);
        let (x, width) = month_slot(3);
        let bars = bars_in(&scene, (x, x + width));
        assert_eq!(bars.len(), 2, "{bars:?}");
        let (before, this) = (bars[0], bars[1]);
        assert_eq!(before.1, colours.last_year);
        assert_eq!(before.0.1, ratio_y(1.0), "April 2026: all good");
        assert_eq!(this.1, colours.this_year);
        assert_eq!(this.0.1, ratio_y(0.9), "April 2027: 27 of 30");
        assert!(before.0.0 < this.0.0, "the year before on the left");
        let (x, width) = month_slot(5);
        assert!(
            bars_in(&scene, (x, x + width)).is_empty(),
            "June has not begun"
        );
        let texts = scene.texts();
        assert!(texts.contains(&"90") && texts.contains(&"100"));
        assert!(texts.contains(&"2026年") && texts.contains(&"4月"));
    }

    #[test]
    fn annual_means_stand_against_the_limits_in_words_too() {
        let scene = annual(&data(Lang::En, april()));
        let texts = scene.texts();
        // 30 days are too few for an annual statistic (GB 3095-2026 Table 4).
        assert!(
            texts.iter().any(|t| t.starts_with("36 μg/m³ (limit 30)")),
            "{texts:?}"
        );
        assert!(texts.contains(&"PM2.5 annual mean"));
        assert!(texts.contains(&"limit"));
        let zh = annual(&data(Lang::Zh, april()));
        assert!(zh.texts().iter().any(|t| t.contains("GB 3095-2026 限值")));
        // 2026 ended with the standard in force; 2025 is compared with its
        // transitional limits, and says so.
        let mut earlier = data(Lang::En, april());
        earlier.year = 2026;
        earlier.today = day(2027, 1, 10);
        let texts = annual(&earlier).texts().join("\n");
        assert!(
            texts.contains("(limit 30)") && !texts.contains("transitional"),
            "{texts}"
        );
        earlier.year = 2025;
        let texts = annual(&earlier).texts().join("\n");
        assert!(
            texts.contains("transitional limits (in force from 1 March 2026)"),
            "{texts}"
        );
        assert!(texts.contains("(limit 30)"), "{texts}");
    }
}
