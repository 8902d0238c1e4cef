//! What sits inside the plot area: the official bands behind and their
//! names, lines split at missing data, and AQI bars in their level colours.

use chrono::Duration;
use envmon_core::aqi::{Edition, level_for};
use plotters::prelude::DrawingBackend;

use super::super::model::Chart;
use super::super::paint::{Align, Colour, PaintError, Painter};
use super::super::series::{Point, segments};
use super::axes::{Frame, Scale, x_of, y_of};
use super::palette::Palette;

pub(super) fn draw_bands<B: DrawingBackend>(
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
pub(super) fn draw_band_labels<B: DrawingBackend>(
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

pub(super) fn draw_line<B: DrawingBackend>(
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

pub(super) fn draw_bars<B: DrawingBackend>(
    p: &mut Painter<'_, B>,
    chart: &Chart,
    frame: &Frame,
    scale: &Scale,
    series: &super::super::series::Series,
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
