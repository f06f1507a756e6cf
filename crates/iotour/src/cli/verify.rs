//! `iotour verify [SCENARIO...]`: run scenarios headless (all built-ins when
//! none is named, in teaching order: lesson 1 first, as `iotour list` shows
//! them) and print one verdict line each:
//! - `PASS id (n steps, m checks)`: every expectation was measured and held;
//! - `FAIL id: step 3 dirty pages of the file: 12, expected at least 256`:
//!   one did not hold (or a step failed), in words and units;
//! - `UNKNOWN id (n steps, 5 of 7 checks held; unknown: step 1 wchar, ...;
//!   sources: io=unavailable)`: nothing failed, but some expectations could
//!   not be checked because a measurement source is missing or switched off
//!   (`IOTOUR_DISABLE`, no cachestat in the kernel, ...);
//! - `SKIP id: step 2 (pwrite) RWF_DONTCACHE ... came with Linux 6.14; not
//!   available here (...)`: nothing failed, but a step needs what this
//!   machine lacks (a kernel feature, named with the version that brought
//!   it, or a program, named with what to install), so the run ended there.
//!
//! An unknown value is never a pass. By default it is not a failure either:
//! a lesson that cannot be checked on this machine is reported as such, the
//! lines are followed by a count, and the exit code is 0 when nothing failed.
//! `--strict` counts unknown and skipped as failed (exit 1).
//!
//! Exit 0 when nothing failed, 1 when any failed, 2 on bad input.

use clap::Args;

use super::Global;
use super::output::Output;
use super::run::{Outcome, engine_config, run_headless};
use crate::exit::{self, Exit};
use crate::figures;
use crate::handout::Outcome as Judged;
use crate::sanitize::safe;
use iotour_core::outcome::RunOutcome;
use iotour_core::scenario::Catalog;
use iotour_core::scenario::Lang;
use iotour_core::scenario::catalog::builtin_ids_in_teaching_order;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Scenario ids or .toml paths, run in the order given (default: every
    /// built-in, in teaching order).
    pub scenarios: Vec<String>,
    /// Count an expectation whose value could not be measured, and a
    /// skipped scenario, as failed.
    #[arg(long)]
    pub strict: bool,
}

/// How one report came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// No expectation failed, but some could not be checked.
    Unknown,
    /// Nothing failed, but a step needs what this machine lacks.
    Skip,
}

/// The verdict of one report: failures first, then skips, then unknowns
/// (the handout's judgement, [`crate::handout::Outcome`], so the two agree).
pub fn judge(report: &RunOutcome) -> Verdict {
    match Judged::of(Some(report), Lang::En) {
        Judged::Held(_) => Verdict::Pass,
        Judged::Skipped(_) => Verdict::Skip,
        Judged::Unknown { .. } => Verdict::Unknown,
        Judged::Failed(_) | Judged::Unfinished => Verdict::Fail,
    }
}

/// "PASS id (N steps, M checks)", naming the soft claims not seen this time.
fn pass_line(report: &RunOutcome, checks: usize) -> String {
    let not_seen: Vec<String> = report
        .steps
        .iter()
        .flat_map(|s| {
            s.expect
                .iter()
                .filter(|x| x.not_seen())
                .map(move |x| format!("step {} {}", s.index, safe(&x.key)))
        })
        .collect();
    let tail = if not_seen.is_empty() {
        String::new()
    } else {
        format!("; not seen this time: {}", not_seen.join(", "))
    };
    format!(
        "PASS {} ({} steps, {} checks{tail})",
        safe(&report.scenario),
        report.steps.len(),
        checks
    )
}

/// The verdict line for one report.
pub fn verdict(report: &RunOutcome) -> String {
    let checks: usize = report.steps.iter().map(|s| s.expect.len()).sum();
    match judge(report) {
        Verdict::Pass => pass_line(report, checks),
        Verdict::Skip => match report.skipped() {
            Some((i, skip)) => format!(
                "SKIP {}: step {i} ({}) {}",
                safe(&report.scenario),
                report
                    .steps
                    .get(i - 1)
                    .map_or_else(String::new, |s| safe(&s.op).into_owned()),
                safe(&skip.to_string())
            ),
            None => format!("SKIP {}", safe(&report.scenario)),
        },
        Verdict::Unknown => {
            let held = report
                .steps
                .iter()
                .flat_map(|s| &s.expect)
                .filter(|x| x.ok)
                .count();
            let unknown: Vec<String> = report
                .steps
                .iter()
                .flat_map(|s| {
                    s.expect
                        .iter()
                        .filter(|x| x.actual.is_none() && !x.soft)
                        .map(move |x| format!("step {} {}", s.index, safe(&x.key)))
                })
                .collect();
            let src = &report.environment.sources;
            let fallbacks: Vec<String> = [
                ("syscalls", src.syscalls.as_str(), "tracepoint"),
                ("faults", src.faults.as_str(), "rusage"),
                ("io", src.io.as_str(), "procfs"),
                ("pages", src.pages.as_str(), "cachestat"),
                ("system", src.system.as_str(), "meminfo"),
            ]
            .iter()
            .filter(|(_, used, best)| used != best)
            .map(|(k, used, _)| format!("{k}={}", safe(used)))
            .collect();
            format!(
                "UNKNOWN {} ({} steps, {held} of {checks} checks held; unknown: {}; sources: {})",
                safe(&report.scenario),
                report.steps.len(),
                unknown.join(", "),
                if fallbacks.is_empty() {
                    "all available".to_string()
                } else {
                    fallbacks.join(" ")
                }
            )
        }
        Verdict::Fail => {
            for s in &report.steps {
                if let Some(err) = &s.error {
                    return format!(
                        "FAIL {}: step {} ({}) error: {}",
                        safe(&report.scenario),
                        s.index,
                        safe(&s.op),
                        safe(err)
                    );
                }
                if let Some(x) = s.expect.iter().find(|x| !x.passes() && x.actual.is_some()) {
                    return format!(
                        "FAIL {}: step {} {}",
                        safe(&report.scenario),
                        s.index,
                        figures::expectation(&x.key, &x.rule, x.actual, Lang::En)
                    );
                }
            }
            format!("FAIL {}: the run stopped early", safe(&report.scenario))
        }
    }
}

pub fn run(global: &Global, args: &VerifyArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::load(&global.scenario_dirs);
    let names: Vec<String> = if args.scenarios.is_empty() {
        builtin_ids_in_teaching_order()
    } else {
        args.scenarios.clone()
    };
    let mut plans = Vec::new();
    for name in &names {
        plans.push(catalog.resolve(name).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let out = Output::new();
    let (mut failed, mut unknown, mut skipped) = (0, 0, 0);
    for plan in plans {
        let id = plan.id().to_owned();
        match run_headless(plan, engine_config(global)?) {
            Ok(Outcome::Report(r)) => {
                match judge(&r) {
                    Verdict::Pass => {}
                    Verdict::Fail => failed += 1,
                    Verdict::Unknown => unknown += 1,
                    Verdict::Skip => skipped += 1,
                }
                out.line(&verdict(&r))?;
            }
            Ok(Outcome::Signalled(sig)) => return Ok(Exit::Signal(sig)),
            Err(e) => {
                failed += 1;
                out.line(&format!("FAIL {}: {e:#}", safe(&id)))?;
            }
        }
    }
    if unknown > 0 {
        out.line(&format!(
            "{unknown} scenario(s) could not be fully checked: a measurement source is missing \
             or switched off; unknown values are not passes{}",
            if args.strict {
                " (--strict: counted as failed)"
            } else {
                " (--strict counts them as failed)"
            }
        ))?;
        if args.strict {
            failed += unknown;
        }
    }
    if skipped > 0 {
        out.line(&format!(
            "{skipped} scenario(s) skipped: this machine lacks what a step needs (the line says \
             what); a skip is not a pass{}",
            if args.strict {
                " (--strict: counted as failed)"
            } else {
                " (--strict counts them as failed)"
            }
        ))?;
        if args.strict {
            failed += skipped;
        }
    }
    Ok(Exit::Status(if failed == 0 {
        exit::SUCCESS
    } else {
        exit::FAILED
    }))
}
