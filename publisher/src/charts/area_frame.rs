//! What the three area charts share: the year's data in the chosen
//! language, the theme's colours, and the captions every image carries
//! (title, subtitle, source, when made).

use chrono::NaiveDate;
use envmon_core::stats::{AirDay, AreaClass};

use super::paint::Colour;
use super::request::{Lang, Theme};
use super::scene::{Scene, TextStyle, to_i32};

/// One area's year as the layouts need it: names already in `lang`, the
/// days of the year and of the year before (any order), and Beijing's
/// today, so days still to come are told from days without data.
#[derive(Debug, Clone)]
pub(crate) struct AreaYear {
    pub(crate) name: String,
    pub(crate) year: i32,
    pub(crate) days: Vec<AirDay>,
    pub(crate) class: AreaClass,
    pub(crate) today: NaiveDate,
    pub(crate) lang: Lang,
    pub(crate) theme: Theme,
    /// `envmon · <attribution>` in `lang`.
    pub(crate) source: String,
    /// When the image was made, in Beijing time, already formatted.
    pub(crate) made_at: String,
}

impl AreaYear {
    pub(crate) fn first_day(&self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default()
    }

    /// The year's last day, or yesterday while the year is under way (today
    /// has no daily AQI yet).
    pub(crate) fn last_day(&self, year: i32) -> NaiveDate {
        let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
        end.min(self.today.pred_opt().unwrap_or(self.today))
    }

    pub(crate) fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
}

/// Colours of a theme.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AreaPalette {
    pub(crate) background: Colour,
    pub(crate) text: Colour,
    pub(crate) muted: Colour,
    pub(crate) grid: Colour,
    /// A day that has passed without a published daily AQI.
    pub(crate) missing: Colour,
    /// A day still to come.
    pub(crate) future: Colour,
    /// The chart's year, where it is not an AQI level.
    pub(crate) this_year: Colour,
    pub(crate) last_year: Colour,
    pub(crate) attains: Colour,
    pub(crate) exceeds: Colour,
}

/// Missing days are a neutral grey, light enough never to read as a level.
pub(crate) const MISSING_LIGHT: Colour = Colour::rgb(200, 205, 211);

const LIGHT: AreaPalette = AreaPalette {
    background: Colour::rgb(255, 255, 255),
    text: Colour::rgb(31, 41, 51),
    muted: Colour::rgb(91, 107, 123),
    grid: Colour::rgb(217, 222, 228),
    missing: MISSING_LIGHT,
    future: Colour::rgb(243, 245, 247),
    this_year: Colour::rgb(27, 79, 156),
    last_year: Colour::rgb(150, 166, 184),
    attains: Colour::rgb(47, 111, 62),
    exceeds: Colour::rgb(178, 34, 34),
};

const DARK: AreaPalette = AreaPalette {
    background: Colour::rgb(18, 22, 28),
    text: Colour::rgb(232, 237, 242),
    muted: Colour::rgb(154, 167, 180),
    grid: Colour::rgb(44, 53, 64),
    missing: Colour::rgb(74, 84, 96),
    future: Colour::rgb(30, 36, 44),
    this_year: Colour::rgb(127, 178, 255),
    last_year: Colour::rgb(96, 110, 126),
    attains: Colour::rgb(143, 209, 158),
    exceeds: Colour::rgb(255, 120, 120),
};

pub(crate) fn palette(theme: Theme) -> &'static AreaPalette {
    match theme {
        Theme::Light => &LIGHT,
        Theme::Dark => &DARK,
    }
}

pub(crate) const PAD: i32 = 16;
pub(crate) const TITLE_SIZE: f64 = 18.0;
pub(crate) const SUBTITLE_SIZE: f64 = 12.5;
pub(crate) const LABEL_SIZE: f64 = 11.0;
pub(crate) const FOOTER_SIZE: f64 = 10.5;

/// A new scene with the title and subtitle on top and two footer lines
/// (source; what the colours and numbers are, and when it was made).
pub(crate) fn framed(
    (width, height): (u32, u32),
    data: &AreaYear,
    title: &str,
    subtitle: &str,
    method: &str,
) -> Scene {
    let colours = palette(data.theme);
    let mut scene = Scene::new(width, height, colours.background);
    scene.text(
        title,
        (PAD, 14),
        TextStyle::new(TITLE_SIZE, colours.text).bold(),
    );
    scene.text(
        subtitle,
        (PAD, 40),
        TextStyle::new(SUBTITLE_SIZE, colours.muted),
    );
    let bottom = to_i32(height);
    scene.text(
        format!("{}: {}", data.pick("来源", "Source"), data.source),
        (PAD, bottom - 38),
        TextStyle::new(FOOTER_SIZE, colours.muted),
    );
    scene.text(
        format!(
            "{method}{}{}",
            data.pick("；制图于 ", "; made "),
            data.made_at
        ),
        (PAD, bottom - 22),
        TextStyle::new(FOOTER_SIZE, colours.muted),
    );
    scene
}

/// A percentage as bulletins print it: one decimal.
pub(crate) fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// A rough width of `text` at `size` (CJK one em, others about half), for
/// placing legend entries the same way in SVG and PNG.
pub(crate) fn text_width(text: &str, size: f64) -> i32 {
    let ems: f64 = text
        .chars()
        .map(|c| if c.len_utf8() >= 3 { 1.0 } else { 0.58 })
        .sum();
    #[allow(clippy::cast_possible_truncation)]
    let width = (ems * size).ceil() as i32;
    width
}

/// A legend: a swatch and a label per entry, left to right from `at`.
pub(crate) fn legend(
    scene: &mut Scene,
    at: (i32, i32),
    entries: &[(Colour, String)],
    text: Colour,
) {
    let (mut x, y) = at;
    for (colour, label) in entries {
        scene.rect((x, y), (x + 14, y + 14), *colour);
        scene.text(
            label.clone(),
            (x + 19, y + 1),
            TextStyle::new(LABEL_SIZE, text),
        );
        x += 19 + text_width(label, LABEL_SIZE) + 18;
    }
}
