//! `--plot DIR`: the cost curve (training and validation) and, for 2-D data, the decision
//! boundary over the points, like the TensorFlow playground. Drawn by plotters into a pixel
//! buffer, encoded as PNG by `image`, written atomically.

use std::io::Cursor;
use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Context, Result};
use nn_core::{Network, Tensor};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

const WIDTH: u32 = 800;
const HEIGHT: u32 = 600;

/// DejaVu Sans Mono (see `assets/DejaVu-LICENSE`), so text needs no system font library.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A font that fails to parse would only lose the text; the file is ours and parses.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Encodes an RGB buffer as PNG and writes it atomically.
fn write_png(path: &Path, rgb: Vec<u8>) -> Result<()> {
    let image =
        image::RgbImage::from_raw(WIDTH, HEIGHT, rgb).ok_or_else(|| anyhow!("plot buffer size"))?;
    let mut png = Vec::new();
    image.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)?;
    nn_core::persist::write_atomically(path, &png)?;
    Ok(())
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// The cost per epoch (and the cost on the monitored set, named `monitored`, where there is
/// one) as `path`.
pub fn cost_curve(
    path: &Path,
    train: &[f64],
    validation: &[Option<f64>],
    monitored: &str,
) -> Result<()> {
    register();
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let finite = train
            .iter()
            .chain(validation.iter().flatten())
            .copied()
            .filter(|c| c.is_finite());
        let top = finite.fold(0.0f64, f64::max).max(1e-6) * 1.05;
        let epochs = train.len().max(2);
        let mut chart = ChartBuilder::on(&root)
            .caption("cost per epoch", ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(1..epochs, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("cost")
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                train.iter().enumerate().map(|(e, &c)| (e + 1, c)),
                BLUE.stroke_width(2),
            ))
            .map_err(err)?
            .label("training")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        if validation.iter().any(Option::is_some) {
            chart
                .draw_series(LineSeries::new(
                    validation
                        .iter()
                        .enumerate()
                        .filter_map(|(e, c)| c.map(|c| (e + 1, c))),
                    RED.stroke_width(2),
                ))
                .map_err(err)?
                .label(monitored)
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    write_png(path, buffer).with_context(|| format!("{}: cannot write the plot", path.display()))
}

/// Several cost curves in one chart: `(name, cost per point)`, against `x_desc` (the point's
/// index times `every`: iterations or epochs).
pub fn cost_curves(
    path: &Path,
    title: &str,
    x_desc: &str,
    every: usize,
    series: &[(&str, &[f64])],
) -> Result<()> {
    register();
    let colours = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    let finite = series
        .iter()
        .flat_map(|s| s.1.iter())
        .filter(|c| c.is_finite());
    let top = finite.fold(0.0f64, |m, &c| m.max(c)).max(1e-6) * 1.05;
    let longest = series.iter().map(|s| s.1.len()).max().unwrap_or(1).max(2) * every;
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..longest, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("cost")
            .draw()
            .map_err(err)?;
        for ((name, costs), colour) in series.iter().zip(colours.iter().cycle()) {
            // A diverged run's infinite or NaN costs are left out, not drawn off the chart.
            let points = (costs.iter().enumerate())
                .filter(|(_, c)| c.is_finite())
                .map(|(i, &c)| (i * every, c));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], *colour));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    write_png(path, buffer).with_context(|| format!("{}: cannot write the plot", path.display()))
}

/// The class the network predicts over the plane of 2-D points `x` (`(m, 2)`), shaded, with
/// the points coloured by their label, as `path`.
pub fn decision_boundary(
    path: &Path,
    net: &Network<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
) -> Result<()> {
    boundary_grid(path, &[("decision boundary", net)], x, labels, 1)
}

/// One decision boundary per `(title, network)` over the same points, `columns` to a row,
/// the panels sharing one 800 × 600 image.
pub fn boundary_grid(
    path: &Path,
    panels: &[(&str, &Network<f32>)],
    x: &Tensor<f32>,
    labels: &[usize],
    columns: usize,
) -> Result<()> {
    register();
    let columns = columns.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(columns).max(1);
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let areas = root.split_evenly((rows, columns));
        for ((title, net), area) in panels.iter().zip(&areas) {
            draw_boundary(area, title, net, x, labels, rows.max(columns))?;
        }
        root.present().map_err(err)?;
    }
    write_png(path, buffer).with_context(|| format!("{}: cannot write the plot", path.display()))
}

/// The bounds of the points, padded by 5 %.
fn bounds(points: &[(f32, f32)]) -> (f32, f32, f32, f32) {
    let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for &(a, b) in points {
        lo_x = lo_x.min(a);
        hi_x = hi_x.max(a);
        lo_y = lo_y.min(b);
        hi_y = hi_y.max(b);
    }
    let pad = |lo: f32, hi: f32| ((hi - lo) * 0.05).max(0.1);
    let (px, py) = (pad(lo_x, hi_x), pad(lo_y, hi_y));
    (lo_x - px, hi_x + px, lo_y - py, hi_y + py)
}

/// One decision boundary into `area`; `shrink` panels share a side of the image, so text and
/// points are smaller.
fn draw_boundary(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    net: &Network<f32>,
    x: &Tensor<f32>,
    labels: &[usize],
    shrink: usize,
) -> Result<()> {
    let points: Vec<(f32, f32)> = x.data().chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let (lo_x, hi_x, lo_y, hi_y) = bounds(&points);
    // The network's class over a grid of cells.
    const CELLS: usize = 120;
    let mut grid = Vec::with_capacity(CELLS * CELLS * 2);
    for row in 0..CELLS {
        for col in 0..CELLS {
            grid.push(lo_x + (hi_x - lo_x) * (col as f32 + 0.5) / CELLS as f32);
            grid.push(lo_y + (hi_y - lo_y) * (row as f32 + 0.5) / CELLS as f32);
        }
    }
    let grid = Tensor::from_vec(&[CELLS * CELLS, 2], grid)?;
    let classes = net.predict(&grid)?;
    let palette = [
        RGBColor(66, 133, 244),
        RGBColor(244, 160, 0),
        RGBColor(15, 157, 88),
        RGBColor(219, 68, 55),
    ];
    let small = shrink as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", (24 / small.min(2)).max(12)))
        .margin(15 / small)
        .x_label_area_size(40 / small)
        .y_label_area_size(50 / small)
        .build_cartesian_2d(lo_x..hi_x, lo_y..hi_y)
        .map_err(err)?;
    chart.configure_mesh().disable_mesh().draw().map_err(err)?;
    let (dx, dy) = ((hi_x - lo_x) / CELLS as f32, (hi_y - lo_y) / CELLS as f32);
    chart
        .draw_series(classes.iter().enumerate().map(|(k, &c)| {
            let (row, col) = (k / CELLS, k % CELLS);
            let (x0, y0) = (lo_x + dx * col as f32, lo_y + dy * row as f32);
            Rectangle::new(
                [(x0, y0), (x0 + dx, y0 + dy)],
                palette[c % palette.len()].mix(0.25).filled(),
            )
        }))
        .map_err(err)?;
    let radius = if small == 1 { 3 } else { 2 };
    chart
        .draw_series(
            points.iter().zip(labels).map(|(&(a, b), &l)| {
                Circle::new((a, b), radius, palette[l % palette.len()].filled())
            }),
        )
        .map_err(err)?;
    Ok(())
}
