//! Draws a [`Chart`] as SVG or PNG with plotters: bands behind, grid and
//! axes, lines split at missing data or AQI bars, flag marks, and the
//! captions (title, time range, source, when made).
//!
//! Pure and synchronous: callers run it on a blocking thread.

use chrono::{DateTime, Duration, Timelike, Utc};
use envmon_core::aqi::{Edition, level_for};
use plotters::prelude::{BitMapBackend, DrawingBackend, SVGBackend};

use super::font::ChartFont;
use super::model::{Body, Chart};
use super::paint::{Align, Colour, Measure, PaintError, Painter};
use super::request::{Range, Theme};
use super::series::{Point, segments};

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

/// Colours of a theme.
struct Palette {
    background: Colour,
    text: Colour,
    muted: Colour,
    grid: Colour,
    flag: Colour,
    band_alpha: f64,
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

fn palette(theme: Theme) -> &'static Palette {
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

/// Where things go, in pixels.
struct Frame {
    width: i32,
    height: i32,
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
}

const PAD: i32 = 14;
const TITLE_SIZE: f64 = 17.0;
const SUBTITLE_SIZE: f64 = 12.0;
const AXIS_SIZE: f64 = 11.0;
const FOOTER_SIZE: f64 = 10.5;

/// The value axis: its ends and tick spacing.
struct Scale {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Scale {
    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let first = (self.lo / self.step).ceil() as i64;
        let last = (self.hi / self.step).floor() as i64;
        (first..=last).map(move |i| i as f64 * self.step)
    }
}

/// A "nice" tick step (1, 2 or 5 × 10ⁿ) giving about `count` ticks over
/// `span`.
fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(f64::MIN_POSITIVE);
    let magnitude = 10_f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The value axis for `chart`: zero (or the data minimum) to a bit above
/// the data maximum, stretched to show the next band boundary above it, so
/// a reader sees how far the values are from the next level or class.
fn value_scale(chart: &Chart) -> Scale {
    let values: Vec<f64> = match &chart.body {
        // Flagged values do not stretch the axis: one impossible reading
        // would flatten every valid one. They are pinned to the edge.
        Body::Lines(lines) => lines
            .iter()
            .flat_map(|l| l.series.points.iter().map(|p| p.value))
            .collect(),
        Body::AqiBars(series) => series.points.iter().map(|p| p.value).collect(),
    };
    let data_max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let data_min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut lo = if chart.allow_negative && data_min < 0.0 {
        data_min
    } else {
        0.0
    };
    let mut hi = if data_max.is_finite() {
        data_max * 1.1
    } else {
        0.0
    };
    if let Some(bands) = &chart.bands {
        let edges = bands
            .bands
            .iter()
            .flat_map(|b| [Some(b.lo), b.hi])
            .flatten();
        let reference = if data_max.is_finite() { data_max } else { 0.0 };
        if let Some(next) = edges.filter(|&e| e > reference).reduce(f64::min) {
            hi = hi.max(next * 1.08);
        }
        // pH: the 6–9 band sits far from zero; start near it.
        if let Some(first) = bands.bands.iter().find(|b| b.lo > 0.0 && b.hi.is_some())
            && bands.bands.len() == 3
            && data_min.is_finite()
        {
            lo = (data_min.min(first.lo) - 1.0).floor().max(0.0);
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let step = nice_step(hi - lo, 5.0);
    Scale {
        lo: (lo / step).floor() * step,
        hi: (hi / step).ceil() * step,
        step,
    }
}

/// Formats an axis value with no more decimals than its step needs.
fn format_value(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// Time ticks in the chart's zone: (instant, label).
fn time_ticks(chart: &Chart, plot_width: i32) -> Vec<(DateTime<Utc>, String)> {
    let offset = chart.offset;
    let local_from = chart.from.with_timezone(&offset);
    let max_labels = (plot_width / 64).max(2);
    let (step_hours, day_labels) = match chart.range {
        Range::Day => {
            let step = [3, 6, 12]
                .into_iter()
                .find(|s| 24 / s <= max_labels)
                .unwrap_or(12);
            (step, false)
        }
        Range::Week => (if max_labels >= 7 { 24 } else { 48 }, true),
        Range::Month => {
            let days = [2, 5, 10]
                .into_iter()
                .find(|d| 30 / d <= max_labels)
                .unwrap_or(10);
            (days * 24, true)
        }
    };
    // First whole local hour at or after `from` that is a multiple of the
    // step (local midnight for day steps).
    let mut at = local_from
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(local_from);
    if at < local_from {
        at += Duration::hours(1);
    }
    let align = if day_labels { 24 } else { step_hours };
    while !at.hour().is_multiple_of(u32::try_from(align).unwrap_or(24)) {
        at += Duration::hours(1);
    }
    let mut ticks = Vec::new();
    let mut day_index = 0;
    while at.with_timezone(&Utc) <= chart.to {
        if !day_labels || day_index % (step_hours / 24).max(1) == 0 {
            let label = if day_labels || at.hour() == 0 {
                match chart.lang {
                    super::request::Lang::Zh => at.format("%-m月%-d日").to_string(),
                    super::request::Lang::En => at.format("%b %-d").to_string(),
                }
            } else {
                at.format("%H:%M").to_string()
            };
            ticks.push((at.with_timezone(&Utc), label));
        }
        if day_labels {
            at += Duration::hours(24);
            day_index += 1;
        } else {
            at += Duration::hours(i64::from(step_hours));
        }
    }
    ticks
}

fn draw<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    (width, height): (u32, u32),
) -> Result<(), PaintError<B>> {
    let colours = palette(chart.theme);
    let (w, h) = (
        i32::try_from(width).unwrap_or(i32::MAX),
        i32::try_from(height).unwrap_or(i32::MAX),
    );
    p.rect((0, 0), (w, h), colours.background)?;
    let scale = value_scale(chart);
    let label_width = scale
        .ticks()
        .map(|v| p.measure.width(&format_value(v, scale.step), AXIS_SIZE))
        .fold(0.0, f64::max);
    let legend = matches!(&chart.body, Body::Lines(lines) if lines.len() > 1);
    #[allow(clippy::cast_possible_truncation)]
    let frame = Frame {
        width: w,
        height: h,
        left: PAD + label_width.ceil() as i32 + 6,
        right: w - PAD,
        top: if legend { 76 } else { 62 },
        bottom: h - 60,
    };
    draw_captions(p, chart, &frame, colours)?;
    if legend {
        draw_legend(p, chart, &frame)?;
    }
    draw_bands(p, chart, &frame, &scale, colours)?;
    draw_grid(p, chart, &frame, &scale, colours)?;
    match &chart.body {
        Body::Lines(lines) => {
            for (index, line) in lines.iter().enumerate() {
                let colour = line_colour(chart.theme, index);
                draw_line(p, chart, &frame, &scale, &line.series.points, colour)?;
                for mark in &line.series.marks {
                    let x = x_of(chart, &frame, mark.at);
                    let y = mark.value.map_or(frame.bottom - 5, |v| {
                        y_of(&frame, &scale, v).clamp(frame.top + 4, frame.bottom - 4)
                    });
                    p.cross((x, y), 3, colours.flag)?;
                }
            }
        }
        Body::AqiBars(series) => draw_bars(p, chart, &frame, &scale, series, colours)?,
    }
    draw_band_labels(p, chart, &frame, &scale, colours)?;
    if !chart.has_data() {
        let size = p
            .measure
            .fit(&chart.empty_text, 15.0, f64::from(frame.right - frame.left));
        p.text(
            &chart.empty_text,
            (
                (frame.left + frame.right) / 2,
                (frame.top + frame.bottom) / 2 - 8,
            ),
            size,
            colours.muted,
            Align::Centre,
            false,
        )?;
    }
    Ok(())
}

fn x_of(chart: &Chart, frame: &Frame, at: DateTime<Utc>) -> i32 {
    let span = (chart.to - chart.from).num_seconds().max(1) as f64;
    let offset = (at - chart.from).num_seconds() as f64;
    #[allow(clippy::cast_possible_truncation)]
    let x = f64::from(frame.left) + offset / span * f64::from(frame.right - frame.left);
    x.round() as i32
}

fn y_of(frame: &Frame, scale: &Scale, value: f64) -> i32 {
    let share = ((value - scale.lo) / (scale.hi - scale.lo)).clamp(-0.02, 1.02);
    #[allow(clippy::cast_possible_truncation)]
    let y = f64::from(frame.bottom) - share * f64::from(frame.bottom - frame.top);
    y.round() as i32
}

fn draw_captions<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    colours: &Palette,
) -> Result<(), PaintError<B>> {
    let room = f64::from(frame.width - 2 * PAD);
    let title = p.measure.fit(&chart.title, TITLE_SIZE, room);
    p.text(
        &chart.title,
        (PAD, 12),
        title,
        colours.text,
        Align::Left,
        true,
    )?;
    let subtitle = p.measure.fit(&chart.subtitle, SUBTITLE_SIZE, room);
    p.text(
        &chart.subtitle,
        (PAD, 36),
        subtitle,
        colours.muted,
        Align::Left,
        false,
    )?;
    for (i, line) in chart.footer.iter().enumerate() {
        let size = p.measure.fit(line, FOOTER_SIZE, room);
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        let y = frame.height - 32 + i as i32 * 15;
        p.text(line, (PAD, y), size, colours.muted, Align::Left, false)?;
    }
    Ok(())
}

fn draw_legend<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
) -> Result<(), PaintError<B>> {
    let Body::Lines(lines) = &chart.body else {
        return Ok(());
    };
    let colours = palette(chart.theme);
    let mut x = PAD;
    for (index, line) in lines.iter().enumerate() {
        let colour = line_colour(chart.theme, index);
        p.line(&[(x, 61), (x + 16, 61)], colour, 3)?;
        p.text(
            &line.label,
            (x + 20, 54),
            SUBTITLE_SIZE,
            colours.text,
            Align::Left,
            false,
        )?;
        #[allow(clippy::cast_possible_truncation)]
        let advance = p.measure.width(&line.label, SUBTITLE_SIZE).ceil() as i32 + 34;
        x += advance;
        if x > frame.right - 40 {
            break;
        }
    }
    Ok(())
}

fn draw_bands<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    colours: &Palette,
) -> Result<(), PaintError<B>> {
    let Some(bands) = &chart.bands else {
        return Ok(());
    };
    for band in &bands.bands {
        let lo = band.lo.max(scale.lo);
        let hi = band.hi.unwrap_or(scale.hi).min(scale.hi);
        if hi <= lo {
            continue;
        }
        let (y_top, y_bottom) = (y_of(frame, scale, hi), y_of(frame, scale, lo));
        let [r, g, b] = band.rgb;
        p.rect(
            (frame.left, y_top),
            (frame.right, y_bottom),
            Colour::rgb(r, g, b).with_alpha(colours.band_alpha),
        )?;
    }
    Ok(())
}

/// The band names, at the right edge over whatever is drawn there, on a
/// backing so bars and lines do not hide them.
fn draw_band_labels<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    colours: &Palette,
) -> Result<(), PaintError<B>> {
    let Some(bands) = &chart.bands else {
        return Ok(());
    };
    for band in &bands.bands {
        let lo = band.lo.max(scale.lo);
        let hi = band.hi.unwrap_or(scale.hi).min(scale.hi);
        let (y_top, y_bottom) = (y_of(frame, scale, hi), y_of(frame, scale, lo));
        if hi <= lo || y_bottom - y_top < 14 {
            continue;
        }
        let label = chart.lang.pick(&band.label_zh, &band.label_en);
        #[allow(clippy::cast_possible_truncation)]
        let width = p.measure.width(label, 10.0).ceil() as i32;
        let y = (y_top + y_bottom) / 2 - 6;
        p.rect(
            (frame.right - width - 6, y - 1),
            (frame.right - 1, y + 12),
            colours.background.with_alpha(0.7),
        )?;
        p.text(
            label,
            (frame.right - 4, y),
            10.0,
            colours.text,
            Align::Right,
            false,
        )?;
    }
    Ok(())
}

fn draw_grid<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    colours: &Palette,
) -> Result<(), PaintError<B>> {
    for value in scale.ticks() {
        let y = y_of(frame, scale, value);
        p.line(&[(frame.left, y), (frame.right, y)], colours.grid, 1)?;
        p.text(
            &format_value(value, scale.step),
            (frame.left - 6, y - 6),
            AXIS_SIZE,
            colours.muted,
            Align::Right,
            false,
        )?;
    }
    for (at, label) in time_ticks(chart, frame.right - frame.left) {
        let x = x_of(chart, frame, at);
        p.line(
            &[(x, frame.top), (x, frame.bottom)],
            colours.grid.with_alpha(0.6),
            1,
        )?;
        p.line(
            &[(x, frame.bottom), (x, frame.bottom + 4)],
            colours.muted,
            1,
        )?;
        p.text(
            &label,
            (x, frame.bottom + 7),
            AXIS_SIZE,
            colours.muted,
            Align::Centre,
            false,
        )?;
    }
    p.line(
        &[(frame.left, frame.bottom), (frame.right, frame.bottom)],
        colours.muted,
        1,
    )
}

fn draw_line<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    points: &[Point],
    colour: Colour,
) -> Result<(), PaintError<B>> {
    for run in segments(points, Duration::hours(1)) {
        let coords: Vec<(i32, i32)> = run
            .iter()
            .map(|pt| (x_of(chart, frame, pt.at), y_of(frame, scale, pt.value)))
            .collect();
        if let [single] = coords.as_slice() {
            p.dot(*single, 2, colour)?;
        } else {
            p.line(&coords, colour, 2)?;
        }
    }
    Ok(())
}

fn draw_bars<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    series: &super::series::Series,
    colours: &Palette,
) -> Result<(), PaintError<B>> {
    let zero = y_of(frame, scale, 0.0);
    for point in &series.points {
        // An hourly AQI is labelled by its hour's end: the bar covers the
        // hour before.
        let x0 = x_of(chart, frame, point.at - Duration::hours(1));
        let x1 = x_of(chart, frame, point.at);
        let gap = i32::from(x1 - x0 >= 4);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let level = level_for(
            Edition::for_hour_ending(point.at),
            point.value.max(0.0) as u16,
        );
        let [r, g, b] = level.rgb;
        p.rect(
            (x0 + gap, y_of(frame, scale, point.value)),
            (x1 - gap, zero),
            Colour::rgb(r, g, b),
        )?;
    }
    for mark in &series.marks {
        let x0 = x_of(chart, frame, mark.at - Duration::hours(1));
        let x1 = x_of(chart, frame, mark.at);
        p.cross(((x0 + x1) / 2, frame.bottom - 5), 3, colours.flag)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_or_five() {
        assert_eq!(nice_step(100.0, 5.0), 20.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(nice_step(37.0, 5.0), 10.0);
        assert_eq!(format_value(0.4, 0.2), "0.4");
        assert_eq!(format_value(40.0, 20.0), "40");
    }
}
