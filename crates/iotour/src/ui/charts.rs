//! Charts over the last half minute: dirty data (the file's dirty pages, the
//! system's Dirty and Writeback, the kernel's background and hard dirty
//! thresholds) from the sampler, and syscalls/s, minor faults/s and major
//! faults/s (apart: a major fault waited for the disk) from the slices.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use super::{View, panel_block};
use crate::app::timeline::BUCKET;
use iotour_core::size::format_size as bytes;
use unicode_width::UnicodeWidthStr;

pub struct Charts<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

/// Seconds of history shown.
const WINDOW: f64 = 30.0;
const MIB: f64 = 1024.0 * 1024.0;

impl Widget for &Charts<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let title = Line::from(Span::styled(
            format!(" {} ", t!(v.lang, "charts.charts")),
            v.theme.title,
        ));
        let block = panel_block(title, self.focused, v.theme);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        // Each chart gets at least CHART_ROWS rows (its caption, six of plot
        // and its time axis): as many as fit, the file's first.
        let cols = (inner.width / CHART_WIDTH).clamp(1, 3);
        let rows = inner.height / CHART_ROWS;
        let n = (cols * rows).min(3);
        if n == 0 || inner.width < 20 {
            let note = Line::styled(t!(v.lang, "lecture.charts_zoom").to_string(), v.theme.muted);
            buf.set_line(inner.x, inner.y, &note, inner.width);
            return;
        }
        let cols = cols.min(n);
        let grid_rows = n.div_ceil(cols);
        let row_areas = inner.layout_vec(&Layout::vertical(vec![
            Constraint::Ratio(
                1,
                u32::from(grid_rows)
            );
            grid_rows as usize
        ]));
        let mut cells = Vec::new();
        for r in row_areas {
            // A column between charts: one's plot never runs into the
            // next one's axis labels.
            cells.extend(
                r.layout_vec(
                    &Layout::horizontal(vec![Constraint::Ratio(1, u32::from(cols)); cols as usize])
                        .spacing(1),
                ),
            );
        }
        for (i, cell) in cells.into_iter().enumerate().take(n as usize) {
            match i {
                0 => self.file_chart(cell, buf),
                1 => self.rate_chart(cell, buf),
                _ => self.system_chart(cell, buf),
            }
        }
        if n < 3 && area.width > 40 {
            let hint = format!(" {} ", t!(v.lang, "lecture.more_charts"));
            let x = area.right().saturating_sub(hint.width() as u16 + 1);
            buf.set_string(x, area.y, hint, v.theme.muted);
        }
    }
}

/// Rows one chart needs: a caption of up to two lines (a narrow rate chart
/// wraps its legend), six rows of plot, the time axis and its labels.
const CHART_ROWS: u16 = 10;
/// Columns one chart needs to keep its labels apart.
const CHART_WIDTH: u16 = 28;

/// The round value at or above `v` that an axis ends at: 1, 2 or 5 × 10ⁿ.
fn round_up(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|x| *x >= v * 0.999_999)
        .unwrap_or(10.0 * p)
}

/// A tick value as short as it reads: `0`, `2.5`, `50`.
fn tick(v: f64) -> String {
    let text = format!("{v:.1}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Charts<'_> {
    fn x_axis(&self) -> (f64, f64) {
        let now = self.view.run.now.as_secs_f64();
        ((now - WINDOW).max(0.0), now.max(1.0))
    }

    /// The file's dirty data on its own scale: a machine's other writers can
    /// hold gigabytes of Dirty, which would flatten the lesson's megabytes.
    fn file_chart(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let (x0, x1) = self.x_axis();
        let ps = v.run.environment.as_ref().map(|e| e.page_size);
        let mut dirty = Vec::new();
        let mut wb = Vec::new();
        for p in self.points(x0) {
            let x = p.at.as_secs_f64();
            if let (Some(d), Some(ps)) = (p.file_dirty_pages, ps) {
                dirty.push((x, (d * ps) as f64 / MIB));
            }
            if let (Some(w), Some(ps)) = (p.file_writeback_pages, ps) {
                wb.push((x, (w * ps) as f64 / MIB));
            }
        }
        let ymax = round_up(dirty.iter().chain(&wb).map(|p| p.1).fold(1.0, f64::max) * 1.05);
        let mut caption = vec![
            Span::styled(format!("{} MiB ", t!(v.lang, "charts.file")), t.muted),
            Span::styled(format!("⣿{} ", t!(v.lang, "charts.dirty")), t.dirty_page),
            Span::styled(
                format!("▄{}", t!(v.lang, "charts.writeback")),
                t.writeback_page,
            ),
        ];
        if dirty.is_empty() && !self.view.run.history.points.is_empty() {
            caption.push(Span::styled(
                format!("  {}", t!(v.lang, "charts.unknown")),
                t.muted,
            ));
        }
        let sets = vec![
            dataset(&dirty, t.dirty_page, Marker::Braille),
            dataset(&wb, t.writeback_page, Marker::Dot),
        ];
        Chart::new(sets)
            .x_axis(time_axis(x0, x1, t.muted))
            .y_axis(y_axis(ymax, t.muted))
            .legend_position(None)
            .render(caption_rows(area, caption, buf), buf);
    }

    /// The system's Dirty and Writeback against the kernel's thresholds:
    /// past the background one the flusher starts, past the hard one
    /// writers are throttled.
    fn system_chart(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let (x0, x1) = self.x_axis();
        let mut dirty = Vec::new();
        let mut wb = Vec::new();
        for p in self.points(x0) {
            let x = p.at.as_secs_f64();
            if let Some(d) = p.system_dirty_kb {
                dirty.push((x, d as f64 / 1024.0));
            }
            if let Some(w) = p.system_writeback_kb {
                wb.push((x, w as f64 / 1024.0));
            }
        }
        let peak = dirty.iter().chain(&wb).map(|p| p.1).fold(1.0, f64::max);
        let mut ymax = round_up(peak * 1.05);
        // A threshold far above the data would flatten every line to zero:
        // draw it when it is within reach, else name it in the caption.
        let system = v.run.history.system;
        let mut lines = Vec::new();
        let mut off_scale = Vec::new();
        for (name, kb) in [
            (
                t!(v.lang, "charts.bg"),
                system.and_then(|s| s.background_threshold_kb),
            ),
            (
                t!(v.lang, "charts.hard"),
                system.and_then(|s| s.threshold_kb),
            ),
        ] {
            let Some(kb) = kb else { continue };
            let mib = kb as f64 / 1024.0;
            if mib <= peak * 4.0 {
                ymax = ymax.max(round_up(mib * 1.05));
                lines.push((name, vec![(x0, mib), (x1, mib)]));
            } else {
                off_scale.push(format!("{name} {}", bytes(kb * 1024)));
            }
        }
        // Markers differ as well as colours, so the lines part without colour.
        let mut sets = vec![
            dataset(&dirty, t.dirty_page, Marker::Braille),
            dataset(&wb, t.writeback_page, Marker::Dot),
        ];
        for (_, pts) in &lines {
            sets.push(dataset(pts, t.threshold, Marker::Bar));
        }
        let mut caption = vec![
            Span::styled(format!("{} MiB ", t!(v.lang, "charts.system")), t.muted),
            Span::styled(
                format!("⣿{} ", t!(v.lang, "lecture.sys_dirty")),
                t.dirty_page,
            ),
            Span::styled(
                format!("•{} ", t!(v.lang, "lecture.sys_writeback")),
                t.writeback_page,
            ),
        ];
        if !lines.is_empty() {
            let names: Vec<_> = lines.iter().map(|(n, _)| *n).collect();
            caption.push(Span::styled(format!("▄{} ", names.join("/")), t.threshold));
        }
        if !off_scale.is_empty() {
            caption.push(Span::styled(
                format!("↑{}", off_scale.join(" ")),
                t.threshold,
            ));
        }
        Chart::new(sets)
            .x_axis(time_axis(x0, x1, t.muted))
            .y_axis(y_axis(ymax, t.muted))
            .legend_position(None)
            .render(caption_rows(area, caption, buf), buf);
    }

    /// The samples in the window; in predict mode, none taken while the
    /// running step's figures are hidden.
    fn points(&self, x0: f64) -> impl Iterator<Item = &crate::app::history::Point> {
        let hide_from = self.view.run.hidden_since(self.view.predict);
        self.view
            .run
            .history
            .points
            .iter()
            .filter(move |p| p.at.as_secs_f64() >= x0 && hide_from.is_none_or(|h| p.at < h))
    }

    fn rate_chart(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let (x0, x1) = self.x_axis();
        let per_s = 1.0 / BUCKET.as_secs_f64();
        let mut sys = Vec::new();
        let mut minor = Vec::new();
        let mut major = Vec::new();
        // Log scale: 10 calls/s and a million must both be visible.
        let log = |n: u64| (n as f64 * per_s + 1.0).log10();
        // Predict mode: the hidden step's rates would give the answer away.
        let hide_from = v.run.hidden_since(v.predict).map(|at| at.as_secs_f64());
        for b in &v.run.timeline.buckets {
            let x = (b.index as f64 + 0.5) * BUCKET.as_secs_f64();
            let start = b.index as f64 * BUCKET.as_secs_f64();
            if x < x0 || hide_from.is_some_and(|h| start + BUCKET.as_secs_f64() > h) {
                continue;
            }
            if let Some(n) = b.syscalls {
                sys.push((x, log(n)));
            }
            if let Some(n) = b.minor_faults {
                minor.push((x, log(n)));
            }
            if let Some(n) = b.major_faults.filter(|n| *n > 0) {
                major.push((x, log(n)));
            }
        }
        let top = sys
            .iter()
            .chain(&minor)
            .chain(&major)
            .map(|p| p.1)
            .fold(3.0, f64::max)
            .ceil();
        // Powers of ten, at most three labels, so neighbours never touch.
        let top = top.max(2.0);
        let step = ((top as u32).div_ceil(2)).max(1);
        let mut labels: Vec<String> = (0..=top as u32)
            .step_by(step as usize)
            .map(|e| power_label(e as i32))
            .collect();
        if !(top as u32).is_multiple_of(step) {
            labels.push(power_label(top as i32));
        }
        // Markers differ as well as colours; the major faults, fewest, on
        // top and as points: a bucket that had any is a block.
        let sets = vec![
            dataset(&sys, t.kernel_mode, Marker::Braille),
            dataset(&minor, t.page_fault, Marker::Dot),
            dataset(&major, t.major_fault, Marker::Block).graph_type(GraphType::Scatter),
        ];
        // The unit once, then one entry per series: two lines when narrow.
        let mut caption = vec![
            Span::styled(format!("{} ", t!(v.lang, "charts.log_per_s")), t.muted),
            Span::styled(
                format!("⣿{} ", t!(v.lang, "charts.syscalls")),
                t.kernel_mode,
            ),
            Span::styled(
                format!("•{} ", t!(v.lang, "charts.minor_faults")),
                t.page_fault,
            ),
            Span::styled(
                format!("█{}", t!(v.lang, "charts.major_faults")),
                t.major_fault,
            ),
        ];
        if hide_from.is_some() {
            caption.push(Span::styled(
                format!(" {}", t!(v.lang, "charts.hidden")),
                t.question,
            ));
        }
        Chart::new(sets)
            .x_axis(time_axis(x0, x1, t.muted))
            .y_axis(
                Axis::default()
                    .bounds([0.0, top])
                    .labels(labels)
                    .style(t.muted),
            )
            .legend_position(None)
            .render(caption_rows(area, caption, buf), buf);
    }
}

fn dataset(data: &[(f64, f64)], style: Style, marker: Marker) -> Dataset<'_> {
    Dataset::default()
        .marker(marker)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

fn y_axis(ymax: f64, style: Style) -> Axis<'static> {
    Axis::default()
        .bounds([0.0, ymax])
        .labels(["0".to_string(), tick(ymax / 2.0), tick(ymax)])
        .style(style)
}

/// Whole seconds at both ends (the window is moved to them), and the
/// middle one when it is a whole second too.
fn time_axis(x0: f64, x1: f64, style: Style) -> Axis<'static> {
    let (a, b) = (x0.floor(), x1.ceil());
    let mid = f64::midpoint(a, b);
    let labels = if mid.fract() == 0.0 && b - a >= 4.0 {
        vec![format!("{a:.0}s"), format!("{mid:.0}s"), format!("{b:.0}s")]
    } else {
        vec![format!("{a:.0}s"), format!("{b:.0}s")]
    };
    Axis::default().bounds([a, b]).labels(labels).style(style)
}

/// Writes a one-line caption and returns the area below it.
fn title_row(area: Rect, caption: &Line, buf: &mut Buffer) -> Rect {
    if area.height < 2 {
        return area;
    }
    buf.set_line(area.x, area.y, caption, area.width);
    Rect::new(area.x, area.y + 1, area.width, area.height - 1)
}

/// Writes a caption of legend entries, on two lines when one is too
/// narrow (an entry never splits), and returns the area below it.
fn caption_rows(area: Rect, spans: Vec<Span<'static>>, buf: &mut Buffer) -> Rect {
    let mut lines = vec![Line::default()];
    for span in spans {
        let last = lines.len() - 1;
        let used = lines[last].width();
        let wide = used + span.content.trim_end().width() > area.width as usize;
        if used > 0 && wide && lines.len() < 2 {
            let lead = Span::styled(span.content.trim_start().to_string(), span.style);
            lines.push(Line::from(lead));
        } else {
            lines[last].push_span(span);
        }
    }
    let mut rest = area;
    for l in &lines {
        if rest.height < 2 {
            break;
        }
        rest = title_row(rest, l, buf);
    }
    rest
}

fn power_label(e: i32) -> String {
    match e {
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        3 => "1k".into(),
        4 => "10k".into(),
        5 => "100k".into(),
        6 => "1M".into(),
        7 => "10M".into(),
        n => format!("1e{n}"),
    }
}
