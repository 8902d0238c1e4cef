//! The chart drawn layer by layer, back to front, with its captions,
//! legend and grid around the plot area.

use plotters::prelude::DrawingBackend;

use super::super::model::{Body, Chart};
use super::super::paint::{Align, PaintError, Painter};
use super::axes::{Frame, Scale, format_value, time_ticks, value_scale, x_of, y_of};
use super::palette::{Palette, line_colour, palette};
use super::plot::{draw_band_labels, draw_bands, draw_bars, draw_line};

const PAD: i32 = 14;
const TITLE_SIZE: f64 = 17.0;
const SUBTITLE_SIZE: f64 = 12.0;
const AXIS_SIZE: f64 = 11.0;
const FOOTER_SIZE: f64 = 10.5;

pub(super) fn draw<B: DrawingBackend>(
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
