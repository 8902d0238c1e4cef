//! The few drawing operations charts use, over any plotters backend: SVG
//! keeps text as `<text>` for the viewer's fonts, PNG gets its glyphs
//! rasterised from the CJK [`ChartFont`].

use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendStyle, BackendTextStyle, DrawingErrorKind, FontFamily, FontStyle,
};

use super::font::ChartFont;

/// The font stack SVG text asks the viewer for: Chinese faces first, so
/// Chinese labels never fall back to a face without them.
const SVG_FONT_FAMILY: &str =
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

/// Where the top of the em box sits above the baseline, in ems: the same
/// 0.76 em that plotters' SVG backend uses for top-anchored text, so PNG and
/// SVG place text alike.
const ASCENT_EM: f64 = 0.76;

/// An RGB colour with opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Colour {
    pub(crate) rgb: [u8; 3],
    pub(crate) alpha: f64,
}

impl Colour {
    pub(crate) const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self {
            rgb: [r, g, b],
            alpha: 1.0,
        }
    }

    pub(crate) fn with_alpha(self, alpha: f64) -> Self {
        Self { alpha, ..self }
    }

    fn backend(self) -> BackendColor {
        BackendColor {
            alpha: self.alpha,
            rgb: (self.rgb[0], self.rgb[1], self.rgb[2]),
        }
    }
}

/// A stroke or fill.
struct Stroke {
    colour: BackendColor,
    width: u32,
}

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.colour
    }

    fn stroke_width(&self) -> u32 {
        self.width
    }
}

/// Horizontal placement of text relative to its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Centre,
    Right,
}

/// Text for the SVG backend, which writes it out as `<text>`; its layout
/// box is only an estimate, as the viewer's font decides.
struct SvgText<'a> {
    size: f64,
    colour: BackendColor,
    bold: bool,
    align: Align,
    measure: &'a Measure<'a>,
}

impl BackendTextStyle for SvgText<'_> {
    type FontError = std::fmt::Error;

    fn color(&self) -> BackendColor {
        self.colour
    }

    fn size(&self) -> f64 {
        // plotters writes font-size = size / 1.24.
        self.size * 1.24
    }

    fn style(&self) -> FontStyle {
        if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        }
    }

    fn anchor(&self) -> Pos {
        let h = match self.align {
            Align::Left => HPos::Left,
            Align::Centre => HPos::Center,
            Align::Right => HPos::Right,
        };
        Pos::new(h, VPos::Top)
    }

    fn family(&self) -> FontFamily<'_> {
        FontFamily::Name(SVG_FONT_FAMILY)
    }

    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), Self::FontError> {
        #[allow(clippy::cast_possible_truncation)]
        Ok((
            (0, 0),
            (
                self.measure.width(text, self.size).round() as i32,
                self.size.round() as i32,
            ),
        ))
    }

    fn draw<E, DrawFunc: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        _text: &str,
        _pos: (i32, i32),
        _draw: DrawFunc,
    ) -> Result<Result<(), E>, Self::FontError> {
        // The SVG backend writes text itself and never asks for pixels.
        Ok(Ok(()))
    }
}

/// Text widths: from the font when one is loaded, else an estimate (CJK
/// characters one em, others about half).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measure<'a> {
    pub(crate) font: Option<&'a ChartFont>,
}

impl Measure<'_> {
    pub(crate) fn width(&self, text: &str, size: f64) -> f64 {
        match self.font {
            Some(font) => font.width(text, size),
            None => {
                text.chars()
                    .map(|c| if c.len_utf8() >= 3 { 1.0 } else { 0.56 })
                    .sum::<f64>()
                    * size
            }
        }
    }

    /// The largest size up to `size` (and not below 8 px) at which `text`
    /// fits in `max_width`.
    pub(crate) fn fit(&self, text: &str, size: f64, max_width: f64) -> f64 {
        let width = self.width(text, size);
        if width <= max_width || width <= 0.0 {
            size
        } else {
            (size * max_width / width).max(8.0)
        }
    }
}

/// Draws on a backend; `glyphs` is the font that rasterises text (PNG), or
/// `None` to leave text to the backend (SVG).
pub(crate) struct Painter<'a, B: DrawingBackend> {
    pub(crate) backend: B,
    pub(crate) glyphs: Option<&'a ChartFont>,
    pub(crate) measure: Measure<'a>,
}

/// A drawing failure of backend `B`.
pub(crate) type PaintError<B> = DrawingErrorKind<<B as DrawingBackend>::ErrorType>;

impl<B: DrawingBackend> Painter<'_, B> {
    pub(crate) fn rect(
        &mut self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        colour: Colour,
    ) -> Result<(), PaintError<B>> {
        let style = Stroke {
            colour: colour.backend(),
            width: 1,
        };
        self.backend.draw_rect((x0, y0), (x1, y1), &style, true)
    }

    pub(crate) fn line(
        &mut self,
        points: &[(i32, i32)],
        colour: Colour,
        width: u32,
    ) -> Result<(), PaintError<B>> {
        let style = Stroke {
            colour: colour.backend(),
            width,
        };
        self.backend.draw_path(points.iter().copied(), &style)
    }

    pub(crate) fn dot(
        &mut self,
        centre: (i32, i32),
        radius: u32,
        colour: Colour,
    ) -> Result<(), PaintError<B>> {
        let style = Stroke {
            colour: colour.backend(),
            width: 1,
        };
        self.backend.draw_circle(centre, radius, &style, true)
    }

    /// An × of half-size `r`: the mark of a flagged value.
    pub(crate) fn cross(
        &mut self,
        (x, y): (i32, i32),
        r: i32,
        colour: Colour,
    ) -> Result<(), PaintError<B>> {
        self.line(&[(x - r, y - r), (x + r, y + r)], colour, 2)?;
        self.line(&[(x - r, y + r), (x + r, y - r)], colour, 2)
    }

    /// Text whose em box starts at `y` (top), placed by `align` around `x`.
    pub(crate) fn text(
        &mut self,
        text: &str,
        (x, y): (i32, i32),
        size: f64,
        colour: Colour,
        align: Align,
        bold: bool,
    ) -> Result<(), PaintError<B>> {
        let Some(font) = self.glyphs else {
            let style = SvgText {
                size,
                colour: colour.backend(),
                bold,
                align,
                measure: &self.measure,
            };
            return self.backend.draw_text(text, &style, (x, y));
        };
        let width = font.width(text, size);
        let left = match align {
            Align::Left => f64::from(x),
            Align::Centre => f64::from(x) - width / 2.0,
            Align::Right => f64::from(x) - width,
        };
        let baseline = f64::from(y) + ASCENT_EM * size;
        let backend = &mut self.backend;
        let mut failure = None;
        let mut plot = |px: i32, py: i32, coverage: f32| {
            if failure.is_some() || coverage <= 0.0 {
                return;
            }
            let colour = colour.with_alpha(colour.alpha * f64::from(coverage.min(1.0)));
            if let Err(e) = backend.draw_pixel((px, py), colour.backend()) {
                failure = Some(e);
            }
        };
        font.rasterise(text, size, left, baseline, &mut plot);
        if bold {
            // Faux bold: the face is one weight; a second pass one pixel
            // over thickens the strokes.
            font.rasterise(text, size, left + 0.6, baseline, &mut plot);
        }
        failure.map_or(Ok(()), Err)
    }
}
