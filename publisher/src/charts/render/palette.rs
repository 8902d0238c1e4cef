//! The colours of each theme: page, text, grid and flag marks, and the
//! line colours that tell a comparison's stations apart.

use super::super::paint::Colour;
use super::super::request::Theme;

/// Colours of a theme.
pub(super) struct Palette {
    pub(super) background: Colour,
    pub(super) text: Colour,
    pub(super) muted: Colour,
    pub(super) grid: Colour,
    pub(super) flag: Colour,
    pub(super) band_alpha: f64,
    lines: [Colour; 8],
}

const LIGHT: Palette = Palette {
    background: Colour::rgb(255, 255, 255),
    text: Colour::rgb(31, 41, 51),
    muted: Colour::rgb(91, 107, 123),
    grid: Colour::rgb(217, 222, 228),
    flag: Colour::rgb(200, 30, 110),
    band_alpha: 0.22,
    // Picked away from the AQI level colours, so a line never reads as a
    // level.
    lines: [
        Colour::rgb(31, 41, 51),
        Colour::rgb(27, 79, 156),
        Colour::rgb(15, 127, 127),
        Colour::rgb(123, 45, 142),
        Colour::rgb(138, 90, 43),
        Colour::rgb(181, 23, 158),
        Colour::rgb(47, 111, 62),
        Colour::rgb(90, 90, 90),
    ],
};

const DARK: Palette = Palette {
    background: Colour::rgb(18, 22, 28),
    text: Colour::rgb(232, 237, 242),
    muted: Colour::rgb(154, 167, 180),
    grid: Colour::rgb(44, 53, 64),
    flag: Colour::rgb(255, 107, 170),
    band_alpha: 0.30,
    lines: [
        Colour::rgb(240, 244, 248),
        Colour::rgb(127, 178, 255),
        Colour::rgb(95, 211, 211),
        Colour::rgb(210, 155, 255),
        Colour::rgb(224, 176, 122),
        Colour::rgb(255, 138, 216),
        Colour::rgb(143, 209, 158),
        Colour::rgb(190, 190, 190),
    ],
};

pub(super) fn palette(theme: Theme) -> &'static Palette {
    match theme {
        Theme::Light => &LIGHT,
        Theme::Dark => &DARK,
    }
}

/// The colour of the `index`th line of a chart.
pub(crate) fn line_colour(theme: Theme, index: usize) -> Colour {
    let lines = &palette(theme).lines;
    lines[index % lines.len()]
}
