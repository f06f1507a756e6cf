//! `iotour verify [SCENARIO...]`: run scenarios headless (all built-ins when
//! none is named) and print one verdict line each:
//! `PASS id (n steps, m checks)` or `FAIL id: step 3 file_dirty_pages >= 256 (actual 12)`.
//! Exit 0 when all pass, 1 when any fails, 2 on bad input.

use std::process::ExitCode;

use clap::Args;

use super::Global;
use super::run::{Outcome, engine_config, run_headless, signal_exit};
use crate::report::RunReport;
use crate::scenario::Catalog;
use crate::scenario::catalog::builtin_ids;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Scenario ids or .toml paths (default: every built-in).
    pub scenarios: Vec<String>,
}

/// The verdict line for one report.
pub fn verdict(report: &RunReport) -> String {
    let checks: usize = report.steps.iter().map(|s| s.expect.len()).sum();
    if report.ok {
        return format!(
            "PASS {} ({} steps, {} checks)",
            report.scenario,
            report.steps.len(),
            checks
        );
    }
    for s in &report.steps {
        if let Some(err) = &s.error {
            return format!(
                "FAIL {}: step {} ({}) error: {err}",
                report.scenario, s.index, s.op
            );
        }
        if let Some(x) = s.expect.iter().find(|x| !x.ok) {
            let actual = x
                .actual
                .map_or_else(|| "unknown".to_string(), |v| v.to_string());
            return format!(
                "FAIL {}: step {} {} {} (actual {actual})",
                report.scenario, s.index, x.key, x.rule
            );
        }
    }
    format!("FAIL {}: the run stopped early", report.scenario)
}

pub fn run(global: &Global, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load(&global.scenario_dirs);
    let names: Vec<String> = if args.scenarios.is_empty() {
        builtin_ids().map(str::to_string).collect()
    } else {
        args.scenarios.clone()
    };
    let mut plans = Vec::new();
    for name in &names {
        plans.push(catalog.resolve(name).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let mut failed = 0;
    for plan in plans {
        let id = plan.id.clone();
        match run_headless(plan, engine_config(global)?) {
            Ok(Outcome::Report(r)) => {
                if !r.ok {
                    failed += 1;
                }
                println!("{}", verdict(&r));
            }
            Ok(Outcome::Signalled(sig)) => return Ok(signal_exit(sig)),
            Err(e) => {
                failed += 1;
                println!("FAIL {id}: {e:#}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
