//! The area charts (calendar, good-day bars, annual means) as flat lists of
//! shapes, and their drawing as SVG or PNG with the station charts'
//! [`Painter`]. Laying out shapes is pure and tested by geometry and colour;
//! drawing only replays them.

use plotters::prelude::{BitMapBackend, DrawingBackend, SVGBackend};

use super::font::ChartFont;
use super::paint::{Align, Colour, Measure, PaintError, Painter};
use super::render::RenderError;

/// One thing to draw, in pixels from the top left.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// A filled rectangle from `from` to `to`.
    Rect {
        from: (i32, i32),
        to: (i32, i32),
        fill: Colour,
    },
    /// A polyline.
    Line {
        points: Vec<(i32, i32)>,
        colour: Colour,
        width: u32,
    },
    /// Text whose em box starts at `at.1`.
    Text {
        text: String,
        at: (i32, i32),
        size: f64,
        colour: Colour,
        align: Align,
        bold: bool,
    },
}

/// A whole image: its size and shapes, back to front.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scene {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) shapes: Vec<Shape>,
}

impl Scene {
    pub(crate) fn new(width: u32, height: u32, background: Colour) -> Self {
        let (w, h) = (to_i32(width), to_i32(height));
        Self {
            width,
            height,
            shapes: vec![Shape::Rect {
                from: (0, 0),
                to: (w, h),
                fill: background,
            }],
        }
    }

    pub(crate) fn rect(&mut self, from: (i32, i32), to: (i32, i32), fill: Colour) {
        self.shapes.push(Shape::Rect { from, to, fill });
    }

    pub(crate) fn line(&mut self, points: Vec<(i32, i32)>, colour: Colour, width: u32) {
        self.shapes.push(Shape::Line {
            points,
            colour,
            width,
        });
    }

    pub(crate) fn text(&mut self, text: impl Into<String>, at: (i32, i32), style: TextStyle) {
        self.shapes.push(Shape::Text {
            text: text.into(),
            at,
            size: style.size,
            colour: style.colour,
            align: style.align,
            bold: style.bold,
        });
    }

    /// The texts, in drawing order (for tests and captions).
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<&str> {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// How a text is set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub(crate) size: f64,
    pub(crate) colour: Colour,
    pub(crate) align: Align,
    pub(crate) bold: bool,
}

impl TextStyle {
    pub(crate) const fn new(size: f64, colour: Colour) -> Self {
        Self {
            size,
            colour,
            align: Align::Left,
            bold: false,
        }
    }

    pub(crate) const fn centre(self) -> Self {
        Self {
            align: Align::Centre,
            ..self
        }
    }

    pub(crate) const fn right(self) -> Self {
        Self {
            align: Align::Right,
            ..self
        }
    }

    pub(crate) const fn bold(self) -> Self {
        Self { bold: true, ..self }
    }
}

/// Pixel sizes fit in `i32` (charts are at most a few thousand pixels).
pub(crate) fn to_i32(pixels: u32) -> i32 {
    i32::try_from(pixels).unwrap_or(i32::MAX)
}

fn draw_error<E: std::error::Error + Send + Sync>(
    e: plotters_backend::DrawingErrorKind<E>,
) -> RenderError {
    RenderError::Draw(e.to_string())
}

fn replay<B: DrawingBackend>(
    painter: &mut Painter<'_, B>,
    scene: &Scene,
) -> Result<(), PaintError<B>> {
    for shape in &scene.shapes {
        match shape {
            Shape::Rect { from, to, fill } => painter.rect(*from, *to, *fill)?,
            Shape::Line {
                points,
                colour,
                width,
            } => painter.line(points, *colour, *width)?,
            Shape::Text {
                text,
                at,
                size,
                colour,
                align,
                bold,
            } => painter.text(text, *at, *size, *colour, *align, *bold)?,
        }
    }
    Ok(())
}

/// The scene as an SVG document; the viewer's fonts draw the text.
pub(crate) fn svg(scene: &Scene) -> Result<String, RenderError> {
    let mut out = String::with_capacity(32 * 1024);
    {
        let backend = SVGBackend::with_string(&mut out, (scene.width, scene.height));
        let mut painter = Painter {
            backend,
            glyphs: None,
            measure: Measure { font: None },
        };
        replay(&mut painter, scene).map_err(draw_error)?;
        painter.backend.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// The scene as a PNG, its text rasterised with the CJK `font`.
pub(crate) fn png(scene: &Scene, font: Option<&ChartFont>) -> Result<Vec<u8>, RenderError> {
    let font = font.ok_or_else(|| RenderError::NoFont("none loaded".into()))?;
    let (width, height) = (scene.width, scene.height);
    let mut pixels = vec![0_u8; width as usize * height as usize * 3];
    {
        let backend = BitMapBackend::with_buffer(&mut pixels, (width, height));
        let mut painter = Painter {
            backend,
            glyphs: Some(font),
            measure: Measure { font: Some(font) },
        };
        replay(&mut painter, scene).map_err(draw_error)?;
        painter.backend.present().map_err(draw_error)?;
    }
    let mut out = Vec::with_capacity(64 * 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_keeps_colours_and_text_as_written() {
        let mut scene = Scene::new(200, 100, Colour::rgb(255, 255, 255));
        scene.rect((10, 10), (30, 30), Colour::rgb(0, 228, 0));
        scene.text(
            "严重污染 & <b>",
            (40, 10),
            TextStyle::new(11.0, Colour::rgb(0, 0, 0)),
        );
        let svg = svg(&scene).unwrap();
        assert!(svg.contains("#00E400"), "{svg}");
        assert!(svg.contains("严重污染 &amp; &lt;b&gt;"), "{svg}");
        assert!(png(&scene, None).is_err(), "PNG text needs a font");
    }
}
