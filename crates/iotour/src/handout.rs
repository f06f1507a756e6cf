//! One-page handouts of recorded runs: `iotour report RUN.jsonl --svg
//! OUT.svg [--lang en|zh]`.
//!
//! A lesson (a recording of one scenario):
//! ```text
//! ┌──────────────────────────────────────────────────────────────┐
//! │ Title                                      (red frame: failed)│
//! │ lesson 3 · write-then-fsync                                   │
//! │ ✓ every expectation held (9 of 9)   or   ✗ FAILED: step 2 …   │
//! │ summary, wrapped                                              │
//! │ Ran on Linux 6.8 · ext4 · 4 KiB pages · sources …             │
//! │ Steps                                                         │
//! │  1 write   Q: the step's question                             │
//! │            narration, its first sentences                     │
//! │            syscalls 128 · duration 12 ms · …  (key figures)   │
//! │ Expected vs measured                                          │
//! │  step │ expectation        │ measured │ ✓ ✗ ? (⚠ soft)         │
//! │ charts chosen from the ops the lesson ran:                    │
//! │  the file's pages over time (writes, syncs, mappings)         │
//! │  the system's Dirty/Writeback over time (writeback lessons)   │
//! │  syscalls per step · bytes copied per step · faults per step  │
//! └──────────────────────────────────────────────────────────────┘
//! ```
//! A compare recording (several scenarios) gets one column per scenario
//! (title, verdict, steps with their figures, the file's pages over time
//! on shared axes) and a table of totals with each one's ratio to the
//! first.
//!
//! Every figure is the recording's: measured ones from the kernel, modeled
//! ones (copies) labelled so; an unknown figure is shown as unknown, never
//! as 0. Text boxes are estimated ([`svg::text_width`]) and laid out so
//! none overlaps another (a test parses the SVG and checks).

pub mod chart;
pub mod pdf;
pub mod svg;
pub mod ticks;

use iotour_core::model::CopyKind;
use iotour_core::outcome::{RunOutcome, StepOutcome, Verdict, value_of};
use iotour_core::record::Recording;
use iotour_core::scenario::{Key, Lang, Plan};

use crate::compare::{Comparison, Figure};
use crate::figures;
use crate::plot::RunSeries;
use chart::{Area, Line, StepMark};
use svg::{Anchor, Font, Svg, fit, wrap};

const WIDTH: f64 = 900.0;
const MARGIN: f64 = 40.0;
const INK: &str = "#1a1a1a";
const GREY: &str = "#5a5a5a";
const GREEN: &str = "#1b7f3b";
const RED: &str = "#c0392b";
const AMBER: &str = "#b7791f";
const BLUE: &str = "#1f5fa8";
const ORANGE: &str = "#d9822b";
const PURPLE: &str = "#7b4fa0";
const TEAL: &str = "#198a8a";

/// Why a handout could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HandoutError {
    #[error("the recording has no scenario to draw")]
    Empty,
    #[error("this is a trace recording; a handout is made of scenario runs")]
    Trace,
}

/// How an expectation's verdict is marked: its symbol and colour. Held ✓,
/// failed ✗, not measurable here ?, a machine-dependent claim not seen
/// this time ⚠ (it does not fail the run).
pub fn verdict_mark(v: &Verdict) -> (&'static str, &'static str) {
    match (v.ok, v.actual) {
        (true, _) => ("✓", GREEN),
        _ if v.soft => ("⚠", AMBER),
        (false, Some(_)) => ("✗", RED),
        (false, None) => ("?", GREY),
    }
}

/// How a whole run came out: the one judgement `verify` prints too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held, soft ones not seen aside (how many there were).
    Held(usize),
    /// A step failed or an expectation did not hold: what, in words.
    Failed(String),
    /// Nothing failed, but `unknown` of `total` could not be measured.
    Unknown { held: usize, total: usize },
    /// A step was skipped: this machine lacks what it needs (the reason).
    Skipped(String),
    /// The recording has no report: the run stopped before its end.
    Unfinished,
}

impl Outcome {
    pub fn of(report: Option<&RunOutcome>, lang: Lang) -> Outcome {
        let Some(r) = report else {
            return Outcome::Unfinished;
        };
        for s in &r.steps {
            if let Some(e) = &s.error {
                return Outcome::Failed(format!(
                    "{} {} ({}): {e}",
                    t!(lang, "handout.step"),
                    s.index,
                    s.op
                ));
            }
            if let Some(v) = s.expect.iter().find(|v| !v.passes() && v.actual.is_some()) {
                return Outcome::Failed(format!(
                    "{} {}: {}",
                    t!(lang, "handout.step"),
                    s.index,
                    figures::expectation(&v.key, &v.rule, v.actual, lang)
                ));
            }
        }
        if let Some((i, skip)) = r.skipped() {
            return Outcome::Skipped(format!("{} {i}: {skip}", t!(lang, "handout.step")));
        }
        // A wait the lecturer ended early judged nothing: out of the count.
        let all: Vec<&Verdict> = r
            .steps
            .iter()
            .flat_map(|s| &s.expect)
            .filter(|v| !v.not_judged)
            .collect();
        let held = all.iter().filter(|v| v.passes()).count();
        if held < all.len() {
            Outcome::Unknown {
                held,
                total: all.len(),
            }
        } else if r.ok {
            Outcome::Held(all.len())
        } else {
            Outcome::Failed(t!(lang, "handout.stopped").to_string())
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed(_) | Outcome::Unfinished)
    }

    fn line(&self, lang: Lang) -> (String, &'static str) {
        match self {
            Outcome::Held(n) => (t!(lang, "handout.all_held", n = n), GREEN),
            Outcome::Failed(what) => (t!(lang, "handout.failed", what = what), RED),
            Outcome::Unknown { held, total } => (
                t!(lang, "handout.some_unknown", held = held, total = total),
                GREY,
            ),
            Outcome::Skipped(why) => (t!(lang, "handout.skipped", why = why), AMBER),
            Outcome::Unfinished => (t!(lang, "handout.unfinished").to_string(), RED),
        }
    }
}

/// Everything a handout shows of one recorded scenario.
struct Run<'r> {
    id: String,
    plan: Option<Plan>,
    report: Option<&'r RunOutcome>,
    series: RunSeries,
}

impl Run<'_> {
    fn title(&self, lang: Lang) -> String {
        self.plan.as_ref().map_or_else(
            || {
                self.report
                    .map_or_else(|| self.id.clone(), |r| r.title.clone())
            },
            |p| p.meta().title.get(lang).to_owned(),
        )
    }

    fn ops(&self) -> Vec<&str> {
        match (&self.plan, self.report) {
            (Some(p), _) => p.steps().iter().map(|s| s.op.name()).collect(),
            (None, Some(r)) => r.steps.iter().map(|s| s.op.as_str()).collect(),
            (None, None) => Vec::new(),
        }
    }
}

fn runs(rec: &Recording) -> Result<Vec<Run<'_>>, HandoutError> {
    if rec.header.trace.is_some() {
        return Err(HandoutError::Trace);
    }
    if rec.header.scenarios.is_empty() {
        return Err(HandoutError::Empty);
    }
    let plans = rec.plans().ok();
    let reports = rec.reports();
    Ok(rec
        .header
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, id)| Run {
            id: id.clone(),
            plan: plans.as_ref().and_then(|p| p.get(i).cloned()),
            report: reports.get(i).copied().flatten(),
            series: RunSeries::from_recording(rec, i),
        })
        .collect())
}

/// The handout of `rec`: a lesson page for one scenario, a side-by-side
/// page for several.
pub fn render(rec: &Recording, lang: Lang) -> Result<String, HandoutError> {
    let runs = runs(rec)?;
    Ok(if runs.len() == 1 {
        lesson(rec, &runs[0], lang)
    } else {
        compare(rec, &runs, lang)
    })
}

/// A cursor down the page.
struct Page {
    svg: Svg,
    y: f64,
}

impl Page {
    fn new() -> Page {
        Page {
            svg: Svg::new(WIDTH),
            y: MARGIN,
        }
    }

    /// Wrapped text at `x` within `w`; moves the cursor below it.
    fn para(&mut self, x: f64, w: f64, text: &str, font: Font, leading: f64) {
        for line in wrap(text, w, font.size) {
            self.y += leading;
            self.svg.text(x, self.y, &line, font, Anchor::Start);
        }
    }

    fn heading(&mut self, text: &str) {
        self.y += 30.0;
        self.svg.text(
            MARGIN,
            self.y,
            text,
            Font::new(16.0, INK).bold(),
            Anchor::Start,
        );
        self.y += 4.0;
        self.svg
            .line(MARGIN, self.y, WIDTH - MARGIN, self.y, "#cccccc", false);
    }

    fn finish(mut self, failed: bool, title: &str, lang: Lang) -> String {
        let height = self.y + MARGIN;
        if failed {
            // A failed run is framed in red and stamped, so a copy on paper
            // cannot pass for a good one.
            self.svg
                .rect(4.0, 4.0, WIDTH - 8.0, height - 8.0, "none", Some(RED));
            self.svg.text(
                WIDTH - MARGIN,
                height - 14.0,
                t!(lang, "handout.failed_stamp"),
                Font::new(14.0, RED).bold(),
                Anchor::End,
            );
        }
        self.svg.finish(height, title)
    }
}

/// The machine the recording was made on, in one line.
fn machine(rec: &Recording, lang: Lang) -> String {
    let h = &rec.header;
    let unknown = t!(lang, "handout.unknown_value");
    let page = h
        .page_size
        .map_or_else(|| unknown.to_string(), figures::exact_bytes);
    let mut line = t!(
        lang,
        "handout.ran_on",
        kernel = h.kernel.as_deref().unwrap_or(unknown),
        fs = h.filesystem.as_deref().unwrap_or(unknown),
        page = page,
        version = h.iotour_version,
        hz = h.sample_hz
    );
    // OS, CPUs and memory: in the run's report, where the engine read them.
    if let Some(m) = rec
        .reports()
        .into_iter()
        .flatten()
        .find_map(|r| r.environment.machine.as_ref())
    {
        line.push_str(" · ");
        line.push_str(&crate::report::table::machine_line(m));
    }
    if let Some(s) = &h.sources {
        line.push_str(" · ");
        line.push_str(&t!(
            lang,
            "handout.sources",
            list = format!(
                "syscalls {}, faults {}, ctx {}, io {}, pages {}, system {}",
                s.syscalls, s.faults, s.ctx_switches, s.io, s.pages, s.system
            )
        ));
    }
    line
}

/// The first sentences of `text`, about `max` characters at most (always
/// at least one sentence, cut with … if that is longer).
fn short(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    let mut sentence = String::new();
    for c in text.chars() {
        sentence.push(c);
        if matches!(c, '.' | '。' | '!' | '?' | '！' | '？') {
            if !out.is_empty() && out.chars().count() + sentence.chars().count() > max {
                return out;
            }
            out.push_str(&sentence);
            sentence.clear();
        }
    }
    if out.is_empty() || out.chars().count() + sentence.chars().count() <= max {
        out.push_str(&sentence);
    }
    let out = out.trim().to_owned();
    if out.chars().count() > max * 3 / 2 {
        let cut: String = out.chars().take(max).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// The figures that say most about a step: syscalls and time always,
/// copies, dirty pages, faults and context switches when there were any.
fn key_figures(s: &StepOutcome, lang: Lang) -> String {
    let m = &s.measured;
    let mut parts = Vec::new();
    let mut add = |key: Key, always: bool| {
        let v = value_of(key, m, &s.modeled);
        match v {
            Some(v) if always || v > 0 => {
                parts.push(format!(
                    "{} {}",
                    figures::name(key, lang),
                    figures::value(key, v)
                ));
            }
            None if always => parts.push(format!(
                "{} {}",
                figures::name(key, lang),
                t!(lang, "handout.unknown_value")
            )),
            _ => {}
        }
    };
    add(Key::Syscalls, true);
    add(Key::DurationNs, true);
    add(Key::CpuCopyBytes, false);
    add(Key::DmaCopyBytes, false);
    add(Key::FileDirtyPages, false);
    add(Key::FileWritebackPages, false);
    add(Key::MinorFaults, false);
    add(Key::MajorFaults, false);
    add(Key::VoluntaryCtxSwitches, false);
    add(Key::WriteBytes, false);
    add(Key::ReadBytes, false);
    parts.join(" · ")
}

/// The ops that change or show the file's page state.
const FILE_OPS: &[&str] = &[
    "write",
    "buffered_write",
    "pwrite",
    "read",
    "fsync",
    "fdatasync",
    "sync_file_range",
    "drop_cache",
    "mmap",
    "touch",
    "msync",
    "wait_writeback",
    "send",
];
const WRITEBACK_OPS: &[&str] = &["wait_writeback", "sleep"];
const FAULT_OPS: &[&str] = &["mmap", "touch", "anon_mmap", "malloc", "munmap"];

fn lesson(rec: &Recording, run: &Run<'_>, lang: Lang) -> String {
    let mut page = Page::new();
    let content = WIDTH - 2.0 * MARGIN;
    let title = run.title(lang);
    // A long title wraps (never cut: it is what the page is about).
    page.y -= 8.0;
    page.para(MARGIN, content, &title, Font::new(26.0, INK).bold(), 32.0);
    let lesson_no = run.plan.as_ref().and_then(|p| p.meta().lesson);
    let subtitle = match lesson_no {
        Some(n) => format!("{} · {}", t!(lang, "handout.lesson", n = n), run.id),
        None => run.id.clone(),
    };
    page.y += 20.0;
    page.svg.text(
        MARGIN,
        page.y,
        &subtitle,
        Font::new(12.0, GREY),
        Anchor::Start,
    );
    let outcome = Outcome::of(run.report, lang);
    let (status, color) = outcome.line(lang);
    page.y += 6.0;
    page.para(
        MARGIN,
        content,
        &status,
        Font::new(14.0, color).bold(),
        20.0,
    );
    if let Some(p) = &run.plan {
        page.y += 4.0;
        page.para(
            MARGIN,
            content,
            p.meta().summary.get(lang),
            Font::new(14.0, INK),
            19.0,
        );
        if let Some(java) = &p.meta().java {
            page.para(
                MARGIN,
                content,
                &format!("Java: {java}"),
                Font::new(12.0, GREY),
                17.0,
            );
        }
    }
    page.y += 4.0;
    page.para(
        MARGIN,
        content,
        &machine(rec, lang),
        Font::new(11.0, GREY),
        15.0,
    );

    steps(&mut page, run, lang);
    expectations(&mut page, run, lang);
    charts(&mut page, run, lang);
    page.y += 10.0;
    page.para(
        MARGIN,
        content,
        t!(lang, "handout.measured_modeled"),
        Font::new(10.0, GREY).italic(),
        14.0,
    );
    page.finish(outcome.failed(), &title, lang)
}

fn steps(page: &mut Page, run: &Run<'_>, lang: Lang) {
    let Some(report) = run.report else {
        return;
    };
    page.heading(t!(lang, "handout.steps"));
    let text_x = MARGIN + 150.0;
    let text_w = WIDTH - MARGIN - text_x;
    for s in &report.steps {
        let step = run.plan.as_ref().and_then(|p| p.steps().get(s.index - 1));
        page.y += 22.0;
        let head = Font::new(13.0, INK).bold();
        page.svg
            .text(MARGIN, page.y, &s.index.to_string(), head, Anchor::Start);
        page.svg.text(
            MARGIN + 22.0,
            page.y,
            &fit(&s.op, 122.0, head.size),
            head,
            Anchor::Start,
        );
        // The step's own lines start on the same baseline as its number.
        page.y -= 17.0;
        if let Some(ask) = step.and_then(|st| st.ask.as_ref()) {
            page.para(
                text_x,
                text_w,
                &format!("{} {}", t!(lang, "handout.question"), ask.get(lang)),
                Font::new(12.0, BLUE).italic(),
                17.0,
            );
        }
        let say = step
            .and_then(|st| st.say.as_ref())
            .map(|t| t.get(lang).to_owned())
            .or_else(|| s.say.clone());
        if let Some(say) = say {
            let max = if lang == Lang::Zh { 90 } else { 200 };
            page.para(
                text_x,
                text_w,
                &short(&say, max),
                Font::new(12.0, INK),
                17.0,
            );
        }
        page.para(
            text_x,
            text_w,
            &key_figures(s, lang),
            Font::new(11.0, TEAL),
            16.0,
        );
        if let Some(e) = &s.error {
            page.para(
                text_x,
                text_w,
                &t!(lang, "handout.step_error", error = e),
                Font::new(12.0, RED).bold(),
                17.0,
            );
        }
    }
}

fn expectations(page: &mut Page, run: &Run<'_>, lang: Lang) {
    let Some(report) = run.report else {
        return;
    };
    page.heading(t!(lang, "handout.expected_vs_measured"));
    let rows: Vec<(usize, &Verdict)> = report
        .steps
        .iter()
        .flat_map(|s| s.expect.iter().map(move |v| (s.index, v)))
        .collect();
    if rows.is_empty() {
        page.y += 20.0;
        page.svg.text(
            MARGIN,
            page.y,
            t!(lang, "handout.no_expectations"),
            Font::new(12.0, GREY),
            Anchor::Start,
        );
        return;
    }
    let cols = [MARGIN, MARGIN + 50.0, MARGIN + 560.0, WIDTH - MARGIN];
    let head = Font::new(11.0, GREY).bold();
    page.y += 20.0;
    page.svg.text(
        cols[0],
        page.y,
        t!(lang, "handout.col_step"),
        head,
        Anchor::Start,
    );
    page.svg.text(
        cols[1],
        page.y,
        t!(lang, "handout.col_expectation"),
        head,
        Anchor::Start,
    );
    page.svg.text(
        cols[2],
        page.y,
        t!(lang, "handout.col_measured"),
        head,
        Anchor::Start,
    );
    page.svg.text(
        cols[3],
        page.y,
        t!(lang, "handout.col_verdict"),
        head,
        Anchor::End,
    );
    let body = Font::new(12.0, INK);
    for (i, (step, v)) in rows.iter().enumerate() {
        page.y += 18.0;
        if i % 2 == 0 {
            page.svg.rect(
                MARGIN - 4.0,
                page.y - 13.0,
                WIDTH - 2.0 * MARGIN + 8.0,
                18.0,
                "#f3f5f8",
                None,
            );
        }
        let name = figures::name_of(&v.key, lang);
        let rule = Key::parse(&v.key)
            .zip(v.rule.parse().ok())
            .map_or_else(|| v.rule.clone(), |(k, r)| figures::rule(k, r, lang));
        let measured = match (Key::parse(&v.key), v.actual) {
            (Some(k), Some(a)) => figures::value(k, a),
            (None, Some(a)) => a.to_string(),
            (_, None) => t!(lang, "handout.unknown_value").to_string(),
        };
        let (mark, color) = verdict_mark(v);
        page.svg
            .text(cols[0], page.y, &step.to_string(), body, Anchor::Start);
        let expectation = format!("{name}: {rule}");
        page.svg.text(
            cols[1],
            page.y,
            &fit(&expectation, cols[2] - cols[1] - 10.0, body.size),
            body,
            Anchor::Start,
        );
        page.svg.text(
            cols[2],
            page.y,
            &fit(&measured, cols[3] - cols[2] - 30.0, body.size),
            body,
            Anchor::Start,
        );
        page.svg.text(
            cols[3],
            page.y,
            mark,
            Font::new(14.0, color).bold(),
            Anchor::End,
        );
    }
}

type Getter = fn(&crate::plot::series::Point) -> Option<f64>;

/// Two timeline lines of `series` (time in s): each a name, a colour, an
/// SVG class and the figure it plots.
fn lines(
    series: &RunSeries,
    specs: [(String, &'static str, &'static str, Getter); 2],
) -> Vec<Line> {
    specs
        .into_iter()
        .map(|(name, color, class, f)| Line {
            name,
            color,
            class,
            points: series.points.iter().map(|p| (p.ms / 1e3, f(p))).collect(),
        })
        .collect()
}

/// The file's dirty and writeback MiB over the run.
fn file_lines(series: &RunSeries, lang: Lang) -> Vec<Line> {
    lines(
        series,
        [
            (
                t!(lang, "handout.dirty").to_string(),
                RED,
                "series file-dirty",
                |p| p.file_dirty,
            ),
            (
                t!(lang, "handout.writeback").to_string(),
                ORANGE,
                "series file-writeback",
                |p| p.file_writeback,
            ),
        ],
    )
}

/// The system's Dirty and Writeback MiB over the run.
fn system_lines(series: &RunSeries, lang: Lang) -> Vec<Line> {
    lines(
        series,
        [
            (
                t!(lang, "handout.system_dirty").to_string(),
                PURPLE,
                "series system-dirty",
                |p| p.system_dirty,
            ),
            (
                t!(lang, "handout.system_writeback").to_string(),
                TEAL,
                "series system-writeback",
                |p| p.system_writeback,
            ),
        ],
    )
}

fn marks(series: &RunSeries) -> Vec<StepMark> {
    series
        .steps
        .iter()
        .map(|m| StepMark {
            at: m.ms / 1e3,
            number: m.index,
            op: m.op.clone(),
        })
        .collect()
}

/// Bytes in the unit that suits the largest: its divisor and name.
fn byte_unit(max: f64) -> (f64, &'static str) {
    const UNITS: [(f64, &str); 3] = [
        (1024.0 * 1024.0 * 1024.0, "GiB"),
        (1024.0 * 1024.0, "MiB"),
        (1024.0, "KiB"),
    ];
    UNITS
        .into_iter()
        .find(|(d, _)| max >= *d)
        .unwrap_or((1.0, "B"))
}

/// The charts that matter for the ops the lesson ran.
fn charts(page: &mut Page, run: &Run<'_>, lang: Lang) {
    let ops = run.ops();
    let has = |set: &[&str]| ops.iter().any(|o| set.contains(o));
    let area = |y| Area {
        x: MARGIN,
        y,
        w: WIDTH - 2.0 * MARGIN,
    };
    let seconds = run.series.duration_ms() / 1e3;
    let mut drew = false;
    let mut heading = |page: &mut Page| {
        if !drew {
            page.heading(t!(lang, "handout.charts"));
            drew = true;
        }
        page.y += 14.0;
    };
    // Only when the file had dirty or writeback pages to show: a mapping
    // lesson that never dirties the file gets no empty chart.
    if has(FILE_OPS) && run.series.max_file_mib() > 0.0 {
        heading(page);
        page.y += chart::timeline(
            &mut page.svg,
            area(page.y),
            t!(lang, "handout.file_pages"),
            t!(lang, "handout.time_s"),
            &file_lines(&run.series, lang),
            &marks(&run.series),
            seconds,
            0.0,
        );
    }
    if has(WRITEBACK_OPS) && !run.series.points.is_empty() {
        heading(page);
        page.y += chart::timeline(
            &mut page.svg,
            area(page.y),
            t!(lang, "handout.system_pages"),
            t!(lang, "handout.time_s"),
            &system_lines(&run.series, lang),
            &marks(&run.series),
            seconds,
            0.0,
        );
    }
    per_step_charts(page, run, &mut heading, lang);
}

/// Bars per step: syscalls, bytes copied, page faults (for mapping lessons).
fn per_step_charts(
    page: &mut Page,
    run: &Run<'_>,
    heading: &mut impl FnMut(&mut Page),
    lang: Lang,
) {
    let ops = run.ops();
    let has = |set: &[&str]| ops.iter().any(|o| set.contains(o));
    let area = |y| Area {
        x: MARGIN,
        y,
        w: WIDTH - 2.0 * MARGIN,
    };
    let Some(report) = run.report else {
        return;
    };
    let labels: Vec<(usize, String)> = report
        .steps
        .iter()
        .map(|s| (s.index, s.op.clone()))
        .collect();
    let syscalls: Vec<Option<f64>> = report
        .steps
        .iter()
        .map(|s| s.measured.syscalls.map(|v| v as f64))
        .collect();
    if syscalls.iter().flatten().any(|v| *v > 0.0) {
        heading(page);
        page.y += chart::bars(
            &mut page.svg,
            area(page.y),
            t!(lang, "handout.syscalls_per_step"),
            &[(figures::name(Key::Syscalls, lang), BLUE)],
            &labels,
            &[syscalls],
            1.0,
        );
    }
    let copies = |kind| -> Vec<Option<f64>> {
        report
            .steps
            .iter()
            .map(|s| s.modeled.copy_totals(kind).map(|t| t.1 as f64))
            .collect()
    };
    let (cpu, dma) = (copies(CopyKind::Cpu), copies(CopyKind::Dma));
    let max = cpu
        .iter()
        .chain(&dma)
        .flatten()
        .copied()
        .fold(0.0, f64::max);
    if max > 0.0 {
        let (div, unit) = byte_unit(max);
        let scale = |v: Vec<Option<f64>>| v.into_iter().map(|x| x.map(|x| x / div)).collect();
        heading(page);
        page.y += chart::bars(
            &mut page.svg,
            area(page.y),
            &t!(lang, "handout.copies_per_step", unit = unit),
            &[
                (t!(lang, "handout.cpu"), RED),
                (t!(lang, "handout.dma"), BLUE),
            ],
            &labels,
            &[scale(cpu), scale(dma)],
            0.0,
        );
    }
    let faults = |f: fn(&StepOutcome) -> Option<u64>| -> Vec<Option<f64>> {
        report
            .steps
            .iter()
            .map(|s| f(s).map(|v| v as f64))
            .collect()
    };
    let (minor, major) = (
        faults(|s| s.measured.minor_faults),
        faults(|s| s.measured.major_faults),
    );
    if has(FAULT_OPS) && minor.iter().chain(&major).flatten().any(|v| *v > 0.0) {
        heading(page);
        page.y += chart::bars(
            &mut page.svg,
            area(page.y),
            t!(lang, "handout.faults_per_step"),
            &[
                (t!(lang, "handout.minor"), TEAL),
                (t!(lang, "handout.major"), PURPLE),
            ],
            &labels,
            &[minor, major],
            1.0,
        );
    }
}

/// A total as the compare table shows it.
fn total(f: Figure, v: Option<u64>, lang: Lang) -> String {
    let Some(v) = v else {
        return t!(lang, "handout.unknown_value").to_string();
    };
    match f {
        Figure::ThroughputBytesPerSec => format!("{:.1} MiB/s", v as f64 / (1024.0 * 1024.0)),
        _ => Key::parse(f.key()).map_or_else(|| v.to_string(), |k| figures::value(k, v)),
    }
}

fn figure_name(f: Figure, lang: Lang) -> String {
    match Key::parse(f.key()) {
        Some(k) => figures::name(k, lang).to_owned(),
        None => t!(lang, "handout.throughput").to_string(),
    }
}

fn compare(rec: &Recording, runs: &[Run<'_>], lang: Lang) -> String {
    let mut page = Page::new();
    let content = WIDTH - 2.0 * MARGIN;
    let titles: Vec<String> = runs.iter().map(|r| r.title(lang)).collect();
    let title = titles.join(" vs ");
    page.y -= 4.0;
    page.para(MARGIN, content, &title, Font::new(22.0, INK).bold(), 28.0);
    page.y += 6.0;
    page.para(
        MARGIN,
        content,
        &machine(rec, lang),
        Font::new(11.0, GREY),
        15.0,
    );
    let n = runs.len() as f64;
    let gap = 20.0;
    let col_w = (content - gap * (n - 1.0)) / n;
    let outcomes: Vec<Outcome> = runs.iter().map(|r| Outcome::of(r.report, lang)).collect();
    columns(&mut page, runs, &outcomes, col_w, lang);
    // The file's pages over time, on one scale for every column.
    let seconds = runs
        .iter()
        .map(|r| r.series.duration_ms() / 1e3)
        .fold(0.0, f64::max);
    if runs.iter().any(|r| !r.series.points.is_empty()) {
        page.heading(t!(lang, "handout.file_pages"));
        page.y += 10.0;
        let top = page.y;
        let mut used: f64 = 0.0;
        // One y range for every column, so they compare by eye.
        let max = runs
            .iter()
            .map(|r| r.series.max_file_mib())
            .fold(0.0, f64::max);
        for (i, run) in runs.iter().enumerate() {
            let x = MARGIN + (col_w + gap) * i as f64;
            used = used.max(chart::timeline(
                &mut page.svg,
                Area {
                    x,
                    y: top,
                    w: col_w,
                },
                &letter(i),
                t!(lang, "handout.time_s"),
                &file_lines(&run.series, lang),
                &marks(&run.series),
                seconds,
                max,
            ));
        }
        page.y = top + used;
    }
    ratios(&mut page, runs, lang);
    page.y += 10.0;
    page.para(
        MARGIN,
        content,
        t!(lang, "handout.measured_modeled"),
        Font::new(10.0, GREY).italic(),
        14.0,
    );
    page.finish(outcomes.iter().any(Outcome::failed), &title, lang)
}

/// One column per scenario: its title, verdict, summary and steps.
fn columns(page: &mut Page, runs: &[Run<'_>], outcomes: &[Outcome], col_w: f64, lang: Lang) {
    let gap = 20.0;
    let titles: Vec<String> = runs.iter().map(|r| r.title(lang)).collect();
    let top = page.y + 10.0;
    let mut bottom = top;
    // One column per scenario.
    for (i, run) in runs.iter().enumerate() {
        let x = MARGIN + (col_w + gap) * i as f64;
        page.y = top;
        page.para(
            x,
            col_w,
            &format!("{} · {}", letter(i), titles[i]),
            Font::new(15.0, INK).bold(),
            20.0,
        );
        page.para(x, col_w, &run.id, Font::new(11.0, GREY), 15.0);
        let (status, color) = outcomes[i].line(lang);
        page.para(x, col_w, &status, Font::new(12.0, color).bold(), 17.0);
        if let Some(p) = &run.plan {
            page.para(
                x,
                col_w,
                p.meta().summary.get(lang),
                Font::new(12.0, INK),
                16.0,
            );
        }
        if let Some(r) = run.report {
            page.y += 6.0;
            for s in &r.steps {
                page.para(
                    x,
                    col_w,
                    &format!("{} {}", s.index, s.op),
                    Font::new(12.0, INK).bold(),
                    17.0,
                );
                page.para(
                    x + 14.0,
                    col_w - 14.0,
                    &key_figures(s, lang),
                    Font::new(10.0, TEAL),
                    14.0,
                );
            }
        }
        bottom = bottom.max(page.y);
    }
    page.y = bottom;
}

fn ratios(page: &mut Page, runs: &[Run<'_>], lang: Lang) {
    let pairs: Vec<(RunOutcome, Plan)> = runs
        .iter()
        .filter_map(|r| Some((r.report?.clone(), r.plan.clone()?)))
        .collect();
    if pairs.len() != runs.len() {
        return;
    }
    let cmp = Comparison::new(&pairs);
    page.heading(t!(lang, "handout.ratios"));
    let n = runs.len();
    let letters: Vec<String> = (0..n).map(letter).collect();
    // figure | A | B | … | B/A | …
    let name_w = 300.0;
    let value_cols = n + n - 1;
    let col_w = (WIDTH - 2.0 * MARGIN - name_w) / value_cols as f64;
    let col_x = |c: usize| MARGIN + name_w + col_w * (c as f64 + 1.0);
    let head = Font::new(11.0, GREY).bold();
    page.y += 20.0;
    page.svg.text(
        MARGIN,
        page.y,
        t!(lang, "handout.col_figure"),
        head,
        Anchor::Start,
    );
    for (i, l) in letters.iter().enumerate() {
        page.svg.text(col_x(i), page.y, l, head, Anchor::End);
    }
    for i in 1..n {
        page.svg.text(
            col_x(n + i - 1),
            page.y,
            &format!("{}/{}", letters[i], letters[0]),
            head,
            Anchor::End,
        );
    }
    let body = Font::new(12.0, INK);
    for (row, f) in Figure::ALL.iter().enumerate() {
        page.y += 18.0;
        if row % 2 == 0 {
            page.svg.rect(
                MARGIN - 4.0,
                page.y - 13.0,
                WIDTH - 2.0 * MARGIN + 8.0,
                18.0,
                "#f3f5f8",
                None,
            );
        }
        page.svg.text(
            MARGIN,
            page.y,
            &fit(&figure_name(*f, lang), name_w - 10.0, body.size),
            body,
            Anchor::Start,
        );
        for (i, s) in cmp.scenarios.iter().enumerate() {
            let text = fit(&total(*f, s.totals.get(*f), lang), col_w - 8.0, body.size);
            page.svg.text(col_x(i), page.y, &text, body, Anchor::End);
        }
        for (i, r) in cmp.ratios.iter().enumerate() {
            let text = r
                .values
                .get(*f)
                .map_or_else(|| "—".to_string(), |x| format!("{}×", significant(x)));
            page.svg.text(
                col_x(n + i),
                page.y,
                &fit(&text, col_w - 8.0, body.size),
                body.bold(),
                Anchor::End,
            );
        }
    }
}

/// A ratio to three significant digits: `0.0125`, `0.67`, `7.32`, `80.1`.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// A, B, C, …: how the columns of a comparison are named.
fn letter(i: usize) -> String {
    char::from_u32(u32::from('A') + i as u32).map_or_else(|| i.to_string(), String::from)
}
