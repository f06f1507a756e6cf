//! The handout's charts: a timeline (MiB over time in seconds, each step
//! marked) and bars per step. Axes have round ticks ([`super::ticks`]) and
//! units; a label that would touch another is moved to a free row or left
//! out, never drawn over it.

use super::svg::{Anchor, Font, Svg, text_width};
use super::ticks::{label, step, ticks, ticks_at_least};

pub const AXIS: &str = "#444444";
const GRID: &str = "#e4e4e4";
const MARK: &str = "#9a9a9a";
const TICK_FONT: Font = Font::new(10.0, "#444444");
const TITLE_FONT: Font = Font::new(13.0, "#1a1a1a").bold();

/// One line of a timeline: its legend name, colour, a class naming it in
/// the SVG, and (seconds, value) points; `None` values are gaps.
pub struct Line {
    pub name: String,
    pub color: &'static str,
    pub class: &'static str,
    pub points: Vec<(f64, Option<f64>)>,
}

/// Where a step starts on a timeline: seconds, its number and op.
pub struct StepMark {
    pub at: f64,
    pub number: usize,
    pub op: String,
}

/// A chart's box on the page.
#[derive(Clone, Copy)]
pub struct Area {
    pub x: f64,
    pub y: f64,
    pub w: f64,
}

/// The legend: a swatch and a name for each entry, left to right, onto a
/// new row when the line is full. Returns the y below it.
fn legend(svg: &mut Svg, area: Area, y: f64, entries: &[(&str, &'static str)]) -> f64 {
    let font = Font::new(11.0, "#333333");
    let (mut x, mut y) = (area.x, y);
    for (name, color) in entries {
        let w = 14.0 + text_width(name, font.size) + 14.0;
        if x + w > area.x + area.w && x > area.x {
            x = area.x;
            y += 15.0;
        }
        svg.rect(x, y - 8.0, 10.0, 10.0, color, None);
        svg.text(x + 14.0, y, name, font, Anchor::Start);
        x += w;
    }
    y + 6.0
}

/// The y axis from 0 to `top` at `ticks`: grid lines and labels left of
/// `left`, between `y_top` and `y_bottom`.
fn y_axis(svg: &mut Svg, left: f64, right: f64, y_top: f64, y_bottom: f64, ticks: &[f64]) {
    let top = ticks.last().copied().unwrap_or(1.0);
    let step = ticks.get(1).copied().unwrap_or(1.0);
    for &t in ticks {
        let y = y_bottom - t / top * (y_bottom - y_top);
        svg.line(left, y, right, y, GRID, false);
        let text = label(t, step);
        if !svg.collides(
            left - 5.0,
            y + 3.5,
            text_width(&text, 10.0),
            10.0,
            Anchor::End,
        ) {
            svg.text(left - 5.0, y + 3.5, &text, TICK_FONT, Anchor::End);
        }
    }
    svg.line(left, y_top, left, y_bottom, AXIS, false);
    svg.line(left, y_bottom, right, y_bottom, AXIS, false);
}

/// A timeline of `lines` over `seconds`, titled `title` (with its unit),
/// steps marked; its y axis reaches at least `y_max` (charts side by side
/// share one scale). Returns the height used.
#[allow(clippy::too_many_arguments)] // one chart's parts, named at each call
pub fn timeline(
    svg: &mut Svg,
    area: Area,
    title: &str,
    time_label: &str,
    lines: &[Line],
    marks: &[StepMark],
    seconds: f64,
    y_max: f64,
) -> f64 {
    const PLOT_H: f64 = 120.0;
    svg.text(area.x, area.y + 13.0, title, TITLE_FONT, Anchor::Start);
    let entries: Vec<(&str, &'static str)> =
        lines.iter().map(|l| (l.name.as_str(), l.color)).collect();
    let below_legend = legend(svg, area, area.y + 31.0, &entries);
    // Two rows for step labels above the plot.
    let top = below_legend + 26.0;
    let bottom = top + PLOT_H;
    let left = area.x + 48.0;
    let right = area.x + area.w - 8.0;
    let max = lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .fold(y_max, f64::max);
    let y_ticks = ticks(max, 4);
    y_axis(svg, left, right, top, bottom, &y_ticks);
    let y_top = y_ticks.last().copied().unwrap_or(1.0);
    let x_ticks = ticks(seconds, 8);
    let x_top = x_ticks.last().copied().unwrap_or(1.0);
    let x_of = |s: f64| left + s / x_top * (right - left);
    let y_of = |v: f64| bottom - v / y_top * (bottom - top);
    let x_step = step(seconds, 8);
    for &t in &x_ticks {
        let x = x_of(t);
        svg.line(x, bottom, x, bottom + 4.0, AXIS, false);
        let text = label(t, x_step);
        if !svg.collides(
            x,
            bottom + 15.0,
            text_width(&text, 10.0),
            10.0,
            Anchor::Middle,
        ) {
            svg.text(x, bottom + 15.0, &text, TICK_FONT, Anchor::Middle);
        }
    }
    svg.text(right, bottom + 29.0, time_label, TICK_FONT, Anchor::End);
    for m in marks {
        let x = x_of(m.at);
        svg.line(x, top, x, bottom, MARK, true);
        let font = Font::new(9.0, "#555555");
        let full = format!("{} {}", m.number, m.op);
        let number = m.number.to_string();
        // The step's number and op on the lower row, else the upper one,
        // else its number alone on either; never over another label.
        let placed = [
            (&full, top - 4.0),
            (&full, top - 15.0),
            (&number, top - 4.0),
            (&number, top - 15.0),
        ]
        .into_iter()
        .find(|(text, y)| {
            let w = text_width(text, font.size);
            x - 2.0 + w <= right + 8.0 && !svg.collides(x + 2.0, *y, w, font.size, Anchor::Start)
        });
        if let Some((text, y)) = placed {
            svg.text(x + 2.0, y, text, font, Anchor::Start);
        }
    }
    for l in lines {
        // Each run of known values is one polyline.
        let mut run: Vec<(f64, f64)> = Vec::new();
        for &(s, v) in &l.points {
            match v {
                Some(v) => run.push((x_of(s), y_of(v))),
                None if !run.is_empty() => {
                    svg.polyline(&std::mem::take(&mut run), l.color, l.class);
                }
                None => {}
            }
        }
        if !run.is_empty() {
            svg.polyline(&run, l.color, l.class);
        }
    }
    bottom + 36.0 - area.y
}

/// Bars per step: one group per step (`labels`: its number and op), one
/// bar per series (name, colour); `values[series][step]`, `None` unknown
/// (drawn as `?`); ticks at least `min_step` apart (1 for counts).
/// Returns the height used.
pub fn bars(
    svg: &mut Svg,
    area: Area,
    title: &str,
    series: &[(&str, &'static str)],
    labels: &[(usize, String)],
    values: &[Vec<Option<f64>>],
    min_step: f64,
) -> f64 {
    const PLOT_H: f64 = 75.0;
    svg.text(area.x, area.y + 13.0, title, TITLE_FONT, Anchor::Start);
    let below_legend = if series.len() > 1 {
        legend(svg, area, area.y + 31.0, series)
    } else {
        area.y + 20.0
    };
    let top = below_legend + 8.0;
    let bottom = top + PLOT_H;
    let left = area.x + 48.0;
    let right = area.x + area.w - 8.0;
    let max = values
        .iter()
        .flat_map(|v| v.iter().flatten())
        .copied()
        .fold(0.0, f64::max);
    let y_ticks = ticks_at_least(max, 3, min_step);
    y_axis(svg, left, right, top, bottom, &y_ticks);
    let y_top = y_ticks.last().copied().unwrap_or(1.0);
    let n = labels.len().max(1) as f64;
    let group = (right - left) / n;
    let bar_w = (group * 0.7 / series.len().max(1) as f64).min(28.0);
    for (i, (number, op)) in labels.iter().enumerate() {
        let cx = left + group * (i as f64 + 0.5);
        let x0 = cx - bar_w * series.len() as f64 / 2.0;
        for (k, (_, color)) in series.iter().enumerate() {
            let x = x0 + bar_w * k as f64;
            match values.get(k).and_then(|v| v.get(i)).copied().flatten() {
                Some(v) => {
                    let h = v / y_top * (bottom - top);
                    svg.rect(x, bottom - h, bar_w - 1.0, h, color, None);
                }
                None => {
                    if !svg.collides(x + bar_w / 2.0, bottom - 3.0, 6.0, 10.0, Anchor::Middle) {
                        svg.text(
                            x + bar_w / 2.0,
                            bottom - 3.0,
                            "?",
                            TICK_FONT,
                            Anchor::Middle,
                        );
                    }
                }
            }
        }
        let number = number.to_string();
        if !svg.collides(
            cx,
            bottom + 13.0,
            text_width(&number, 10.0),
            10.0,
            Anchor::Middle,
        ) {
            svg.text(cx, bottom + 13.0, &number, TICK_FONT, Anchor::Middle);
        }
        let font = Font::new(9.0, "#666666");
        let w = text_width(op, font.size);
        if w <= group - 4.0 && !svg.collides(cx, bottom + 24.0, w, font.size, Anchor::Middle) {
            svg.text(cx, bottom + 24.0, op, font, Anchor::Middle);
        }
    }
    bottom + 30.0 - area.y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlap(svg: &Svg) {
        let b = svg.boxes();
        for (i, x) in b.iter().enumerate() {
            for y in &b[i + 1..] {
                assert!(!x.overlaps(y), "{x:?} overlaps {y:?}");
            }
        }
    }

    #[test]
    fn crowded_step_marks_never_overlap() {
        let mut svg = Svg::new(900.0);
        // 30 steps within 10 ms of a 2 s run: most labels cannot be placed.
        let marks: Vec<StepMark> = (1..=30)
            .map(|i| StepMark {
                at: 1.0 + i as f64 * 0.000_3,
                number: i,
                op: "wait_writeback".into(),
            })
            .collect();
        let line = Line {
            name: "dirty".into(),
            color: "red",
            class: "series",
            points: vec![
                (0.0, Some(0.0)),
                (1.0, Some(7.3)),
                (2.0, None),
                (2.1, Some(1.0)),
            ],
        };
        let h = timeline(
            &mut svg,
            Area {
                x: 40.0,
                y: 0.0,
                w: 820.0,
            },
            "title",
            "time (s)",
            &[line],
            &marks,
            2.1,
            0.0,
        );
        assert!(h > 100.0);
        no_overlap(&svg);
        // Two rows of labels at most, and the first step's is there.
        let out = svg.finish(h, "t");
        assert!(out.contains(">1 wait_writeback<"), "{out}");
        // A gap (None) splits the line in two.
        assert_eq!(out.matches("<polyline").count(), 2);
    }

    #[test]
    fn many_bars_keep_their_labels_apart() {
        let mut svg = Svg::new(900.0);
        let labels: Vec<(usize, String)> = (1..=60)
            .map(|i| (i, "sync_file_range".to_string()))
            .collect();
        let values = vec![(1..=60).map(|i| Some(f64::from(i))).collect::<Vec<_>>()];
        bars(
            &mut svg,
            Area {
                x: 40.0,
                y: 0.0,
                w: 820.0,
            },
            "syscalls",
            &[("syscalls", "blue")],
            &labels,
            &values,
            1.0,
        );
        no_overlap(&svg);
    }
}
