//! Draw [`RunSeries`] as one SVG: a column per scenario, a row per chart
//! (see the picture in [`crate::plot`]).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::series::StepBars;
use super::{PlotError, RunSeries};

/// Styles named by what they show.
mod style {
    use plotters::style::RGBColor;
    pub const FILE_DIRTY: RGBColor = RGBColor(214, 39, 40);
    pub const FILE_WRITEBACK: RGBColor = RGBColor(255, 127, 14);
    pub const SYSTEM_DIRTY: RGBColor = RGBColor(148, 103, 189);
    pub const SYSTEM_WRITEBACK: RGBColor = RGBColor(31, 119, 180);
    pub const STEP_MARK: RGBColor = RGBColor(140, 140, 140);
    pub const SYSCALL: RGBColor = RGBColor(44, 160, 44);
    pub const CPU_COPY: RGBColor = RGBColor(214, 39, 40);
    pub const DMA_COPY: RGBColor = RGBColor(31, 119, 180);
    pub const MINOR_FAULT: RGBColor = RGBColor(188, 189, 34);
    pub const MAJOR_FAULT: RGBColor = RGBColor(140, 86, 75);
}

const COLUMN_WIDTH: u32 = 640;
const TITLE_HEIGHT: u32 = 40;
const TIMELINE_HEIGHT: u32 = 340;
const BARS_HEIGHT: u32 = 210;

/// Bytes as a short figure (`1.5M`, `64K`, `900`).
fn bytes(v: f64) -> String {
    match v {
        v if v >= 1024.0 * 1024.0 * 1024.0 => format!("{:.1}G", v / 1_073_741_824.0),
        v if v >= 1024.0 * 1024.0 => format!("{:.1}M", v / 1_048_576.0),
        v if v >= 1024.0 => format!("{:.0}K", v / 1024.0),
        v => format!("{v:.0}"),
    }
}

/// A count as a short figure (`10.5k`).
fn count(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e4 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

fn draw_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> PlotError {
    PlotError::Draw(Box::new(e))
}

/// The whole picture for `runs` (one column each) as SVG text.
pub fn render(runs: &[RunSeries], title: &str) -> Result<String, PlotError> {
    if runs.is_empty() {
        return Err(PlotError::Empty);
    }
    let width = COLUMN_WIDTH * runs.len() as u32;
    let height = TITLE_HEIGHT + TIMELINE_HEIGHT + 3 * BARS_HEIGHT;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let body = root.titled(title, ("sans-serif", 20)).map_err(draw_err)?;
        let shared = Shared::of(runs);
        for (column, run) in body.split_evenly((1, runs.len())).iter().zip(runs) {
            let (timeline, rest) = column.split_vertically(TIMELINE_HEIGHT);
            let (calls, rest) = rest.split_vertically(BARS_HEIGHT);
            let (copies, faults) = rest.split_vertically(BARS_HEIGHT);
            draw_timeline(&timeline, run, &shared)?;
            let labels: Vec<String> = run
                .steps
                .iter()
                .map(|s| format!("{} {}", s.index, s.op))
                .collect();
            draw_bars(
                &calls,
                &format!("{}: syscalls per step (measured)", run.id),
                &labels,
                &[("syscalls", style::SYSCALL)],
                &run.bars,
                |b| vec![b.syscalls],
                shared.syscalls,
                count,
            )?;
            draw_bars(
                &copies,
                &format!("{}: copied bytes per step (modeled)", run.id),
                &labels,
                &[("CPU copy", style::CPU_COPY), ("DMA", style::DMA_COPY)],
                &run.bars,
                |b| vec![Some(b.cpu_bytes), Some(b.dma_bytes)],
                shared.copy_bytes,
                bytes,
            )?;
            draw_bars(
                &faults,
                &format!("{}: page faults per step (measured)", run.id),
                &labels,
                &[("minor", style::MINOR_FAULT), ("major", style::MAJOR_FAULT)],
                &run.bars,
                |b| vec![b.minor_faults, b.major_faults],
                shared.faults,
                count,
            )?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// Axis ranges shared by every column, so columns compare by eye.
struct Shared {
    ms: f64,
    file_mib: f64,
    system_mib: f64,
    syscalls: u64,
    copy_bytes: u64,
    faults: u64,
}

impl Shared {
    fn of(runs: &[RunSeries]) -> Shared {
        let max_bar = |f: &dyn Fn(&StepBars) -> u64| {
            runs.iter()
                .flat_map(|r| r.bars.iter().map(f))
                .max()
                .unwrap_or(0)
        };
        Shared {
            ms: runs.iter().map(RunSeries::duration_ms).fold(0.0, f64::max),
            file_mib: runs.iter().map(RunSeries::max_file_mib).fold(0.0, f64::max),
            system_mib: runs
                .iter()
                .map(RunSeries::max_system_mib)
                .fold(0.0, f64::max),
            syscalls: max_bar(&|b| b.syscalls.unwrap_or(0)),
            copy_bytes: max_bar(&|b| b.cpu_bytes.max(b.dma_bytes)),
            faults: max_bar(&|b| b.minor_faults.unwrap_or(0).max(b.major_faults.unwrap_or(0))),
        }
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A label's font, anchored at `pos`.
fn label_font(size: u32, color: RGBColor, pos: Pos) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&color).pos(pos)
}

/// A one-line legend: a swatch and a name per entry, starting at `(x, y)`
/// (area pixels), or ending there when `right_aligned`.
fn legend_row(
    area: &Area<'_>,
    entries: &[(&str, RGBColor)],
    (x, y): (i32, i32),
    right_aligned: bool,
) -> Result<(), PlotError> {
    // plotters' SVG backend cannot measure text; about 5.8 px a character at 11 px.
    let width = |name: &str| 22 + (name.chars().count() as f64 * 5.8) as i32 + 14;
    let total: i32 = entries.iter().map(|(n, _)| width(n)).sum();
    let mut x = if right_aligned { x - total } else { x };
    for &(name, color) in entries {
        area.draw(&Rectangle::new(
            [(x, y - 5), (x + 14, y + 5)],
            color.filled(),
        ))
        .map_err(draw_err)?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 20, y),
            label_font(11, BLACK, Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_err)?;
        x += width(name);
    }
    Ok(())
}

type Pick = fn(&super::series::Point) -> Option<f64>;

/// The file's series on the left axis; the system's (hundreds of MiB where
/// the file has a few) on the right one.
const FILE_LINES: [(&str, RGBColor, Pick); 2] = [
    ("file dirty", style::FILE_DIRTY, |p| p.file_dirty),
    ("file writeback", style::FILE_WRITEBACK, |p| {
        p.file_writeback
    }),
];
const SYSTEM_LINES: [(&str, RGBColor, Pick); 2] = [
    ("system Dirty (right axis)", style::SYSTEM_DIRTY, |p| {
        p.system_dirty
    }),
    (
        "system Writeback (right axis)",
        style::SYSTEM_WRITEBACK,
        |p| p.system_writeback,
    ),
];

fn points(run: &RunSeries, pick: Pick) -> Vec<(f64, f64)> {
    run.points
        .iter()
        .filter_map(|p| pick(p).map(|v| (p.ms, v)))
        .collect()
}

#[allow(
    clippy::similar_names,
    reason = "y and y2 are the chart's two vertical axes"
)]
fn draw_timeline(area: &Area<'_>, run: &RunSeries, shared: &Shared) -> Result<(), PlotError> {
    let x_max = (shared.ms * 1.05).max(1.0);
    let y_max = (shared.file_mib * 1.4).max(1.0);
    let y2_max = (shared.system_mib * 1.4).max(1.0);
    let (w, h) = area.dim_in_pixel();
    legend_row(
        area,
        &FILE_LINES
            .iter()
            .chain(&SYSTEM_LINES)
            .map(|&(n, c, _)| (n, c))
            .collect::<Vec<_>>(),
        (10, h as i32 - 10),
        false,
    )?;
    let (area, _) = area.split_vertically(h - 22);
    let area = &area
        .titled(
            &format!("{}: dirty and writeback over time", run.id),
            ("sans-serif", 16),
        )
        .map_err(draw_err)?;
    let _ = w;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_top(34)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(draw_err)?
        .set_secondary_coord(0.0..x_max, 0.0..y2_max);
    chart
        .configure_mesh()
        .x_desc("ms since the run began")
        .y_desc("file MiB")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_err)?;
    chart
        .configure_secondary_axes()
        .y_desc("system MiB")
        .draw()
        .map_err(draw_err)?;
    // Steps: a line at each start, its label above the plot (two rows, so
    // neighbouring labels do not overlap).
    let base = area.get_base_pixel();
    for (i, mark) in run.steps.iter().enumerate() {
        chart
            .draw_series(LineSeries::new(
                [(mark.ms, 0.0), (mark.ms, y_max)],
                style::STEP_MARK.stroke_width(1),
            ))
            .map_err(draw_err)?;
        let (x, y) = chart.backend_coord(&(mark.ms, y_max));
        let row = if i % 2 == 0 { 26 } else { 13 };
        area.draw(&Text::new(
            format!("{} {}", mark.index, mark.op),
            (x - base.0 + 2, y - base.1 - row),
            label_font(11, style::STEP_MARK, Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(draw_err)?;
    }
    for (_, color, pick) in FILE_LINES {
        let pts = points(run, pick);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(draw_err)?;
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))
            .map_err(draw_err)?;
    }
    for (_, color, pick) in SYSTEM_LINES {
        let pts = points(run, pick);
        chart
            .draw_secondary_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(draw_err)?;
        chart
            .draw_secondary_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// One bar chart: a group of bars per step, one bar per series.
#[allow(clippy::too_many_arguments)]
fn draw_bars(
    area: &Area<'_>,
    caption: &str,
    labels: &[String],
    series: &[(&str, RGBColor)],
    bars: &[StepBars],
    values: impl Fn(&StepBars) -> Vec<Option<u64>>,
    y_top: u64,
    fmt: fn(f64) -> String,
) -> Result<(), PlotError> {
    let steps = bars.len().max(1);
    // Headroom for the value labels; at least 0..5 so a count axis has
    // whole-number ticks.
    let y_max = (y_top as f64 * 1.2).max(5.0);
    let (w, _) = area.dim_in_pixel();
    if series.len() > 1 {
        legend_row(area, series, (w as i32 - 10, 10), true)?;
    }
    let area = &area.titled(caption, ("sans-serif", 14)).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..steps as f64, 0.0..y_max)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&|y| fmt(*y))
        .draw()
        .map_err(draw_err)?;
    // Step labels under the middle of each group (plotters places mesh labels
    // at round numbers, not at segment centres).
    let base = area.get_base_pixel();
    let font = ("sans-serif", 11)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        area.draw(&Text::new(
            label.clone(),
            (x - base.0, y - base.1 + 5),
            font.clone(),
        ))
        .map_err(draw_err)?;
    }
    // Each step's group takes the middle 70% of its unit; bar j of k a slot of it.
    let k = series.len().max(1) as f64;
    let slot = 0.7 / k;
    for (j, &(_, color)) in series.iter().enumerate() {
        let rects: Vec<(f64, f64)> = bars
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some((i as f64 + 0.15 + slot * j as f64, values(b)[j]? as f64)))
            .collect();
        chart
            .draw_series(
                rects
                    .iter()
                    .map(|&(x, v)| Rectangle::new([(x, 0.0), (x + slot * 0.9, v)], color.filled())),
            )
            .map_err(draw_err)?;
        // The value above each bar: a bar of 1 next to one of 10,000 is
        // invisible, its number is not.
        for &(x, v) in &rects {
            let (px, py) = chart.backend_coord(&(x + slot * 0.45, v));
            area.draw(&Text::new(
                fmt(v),
                (px - base.0, py - base.1 - 2),
                label_font(10, BLACK, Pos::new(HPos::Center, VPos::Bottom)),
            ))
            .map_err(draw_err)?;
        }
    }
    Ok(())
}
