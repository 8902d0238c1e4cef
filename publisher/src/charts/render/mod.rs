//! Draws a [`Chart`] as SVG or PNG with plotters: bands behind, grid and
//! axes, lines split at missing data or AQI bars, flag marks, and the
//! captions (title, time range, source, when made).
//!
//! Pure and synchronous: callers run it on a blocking thread.
//!
//! # Layout
//!
//! - `draw`: the chart, layer by layer, and its captions, legend and grid;
//! - `plot`: what sits inside the plot area: bands, lines and AQI bars;
//! - `axes`: where values and instants land, and the ticks that label them;
//! - `palette`: the colours of each theme.

mod axes;
mod draw;
mod palette;
mod plot;

use plotters::prelude::{BitMapBackend, DrawingBackend, SVGBackend};

use super::font::ChartFont;
use super::model::Chart;
use super::paint::{Measure, Painter};
use draw::draw;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG charts need a CJK font: {0}")]
    NoFont(String),
    #[error("PNG encoding failed")]
    Png(#[from] png::EncodingError),
}

fn draw_error<E: std::error::Error + Send + Sync>(
    e: plotters_backend::DrawingErrorKind<E>,
) -> RenderError {
    RenderError::Draw(e.to_string())
}

/// Renders `chart` as an SVG document of `width` × `height` pixels.
///
/// # Errors
/// Only if plotters fails to write, which it does not into a string.
pub(crate) fn svg(
    chart: &Chart,
    (width, height): (u32, u32),
    font: Option<&ChartFont>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(16 * 1024);
    {
        let backend = SVGBackend::with_string(&mut out, (width, height));
        let mut painter = Painter {
            backend,
            glyphs: None,
            measure: Measure { font },
        };
        draw(&mut painter, chart, (width, height)).map_err(draw_error)?;
        painter.backend.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// Renders `chart` as a PNG of `width` × `height` pixels, text drawn with
/// `font`.
///
/// # Errors
/// Without a font (Chinese would be missing), or if encoding fails.
pub(crate) fn png(
    chart: &Chart,
    (width, height): (u32, u32),
    font: Option<&ChartFont>,
) -> Result<Vec<u8>, RenderError> {
    let font = font.ok_or_else(|| RenderError::NoFont("none loaded".into()))?;
    let mut pixels = vec![0_u8; width as usize * height as usize * 3];
    {
        let backend = BitMapBackend::with_buffer(&mut pixels, (width, height));
        let mut painter = Painter {
            backend,
            glyphs: Some(font),
            measure: Measure { font: Some(font) },
        };
        draw(&mut painter, chart, (width, height)).map_err(draw_error)?;
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
