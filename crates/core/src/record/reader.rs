//! [`Recording::load`]: a recording file back into its header and events.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::{FORMAT, Header, Line, READS, RecordError, Recorded};
use crate::engine::ExecEvent;
use crate::outcome::{RunOutcome, StepOutcome, Verdict};
use crate::scenario::{Key, Origin, Plan, Rule, parse_str};

/// A whole recording in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub path: PathBuf,
    pub header: Header,
    pub lines: Vec<Line>,
}

/// Check a line's verdicts against the figures recorded with them, instead
/// of trusting them: each expectation's key and rule must be ones this build
/// knows, and its `actual` must be the step's own figure (else the line is
/// corrupt); whether it held is decided again from the rule, and a run is ok
/// only if it says so and every step and verdict agrees.
fn recheck(event: &mut Recorded) -> Result<(), String> {
    let Recorded::Exec(e) = event else {
        return Ok(());
    };
    match &mut **e {
        ExecEvent::StepDone(step) => recheck_step(step),
        ExecEvent::Finished(run) => {
            for step in &mut run.steps {
                recheck_step(step)?;
            }
            let held = run
                .steps
                .iter()
                .all(|s| s.error.is_none() && s.expect.iter().all(Verdict::passes));
            run.ok &= held;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn recheck_step(step: &mut StepOutcome) -> Result<(), String> {
    let mut expect = std::mem::take(&mut step.expect);
    let checked = recheck_verdicts(step, &mut expect);
    step.expect = expect;
    checked
}

fn recheck_verdicts(
    step: &StepOutcome,
    verdicts: &mut [crate::outcome::Verdict],
) -> Result<(), String> {
    for v in verdicts {
        let at = format!("step {} expectation `{} {}`", step.index, v.key, v.rule);
        let key = Key::parse(&v.key).ok_or_else(|| format!("{at}: `{}` is not a figure", v.key))?;
        let rule: Rule = v.rule.parse().map_err(|e| format!("{at}: {e}"))?;
        let figure = step.figure(key);
        if figure != v.actual {
            let shown = |x: Option<u64>| x.map_or_else(|| "unknown".to_string(), |n| n.to_string());
            return Err(format!(
                "{at}: the verdict says {key} was {}, the step's recorded figures say {}",
                shown(v.actual),
                shown(figure)
            ));
        }
        v.ok = step.error.is_none() && v.actual.is_some_and(|n| rule.holds(n));
        v.not_judged = step.ended_early_ns.is_some();
    }
    Ok(())
}

impl Recording {
    pub fn load(path: &Path) -> Result<Recording, RecordError> {
        let file = std::fs::File::open(path).map_err(|error| RecordError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Recording::read(path, std::io::BufReader::new(file))
    }

    /// Read a recording from `input`; `path` only names it in errors.
    pub fn read(path: &Path, input: impl BufRead) -> Result<Recording, RecordError> {
        let io = |error| RecordError::Io {
            path: path.to_path_buf(),
            error,
        };
        let bad = |line, error| RecordError::BadLine {
            path: path.to_path_buf(),
            line,
            error,
        };
        let mut lines = input.lines();
        let first = match lines.next() {
            Some(l) => l.map_err(io)?,
            None => {
                return Err(RecordError::NotARecording {
                    path: path.to_path_buf(),
                });
            }
        };
        let value: serde_json::Value =
            serde_json::from_str(&first).map_err(|_| RecordError::NotARecording {
                path: path.to_path_buf(),
            })?;
        if value.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
            return Err(RecordError::NotARecording {
                path: path.to_path_buf(),
            });
        }
        let found = value.get("version").and_then(serde_json::Value::as_u64);
        if !found.is_some_and(|v| READS.iter().any(|r| u64::from(*r) == v)) {
            let written_by = value
                .get("iotour_version")
                .and_then(|v| v.as_str())
                .unwrap_or("(unknown)")
                .to_string();
            return Err(RecordError::Version {
                path: path.to_path_buf(),
                found: found.unwrap_or(0),
                written_by,
            });
        }
        let header: Header = serde_json::from_value(value).map_err(|e| bad(1, e))?;
        let mut events = Vec::new();
        for (i, line) in lines.enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let mut event = serde_json::from_str::<Line>(&line).map_err(|e| bad(i + 2, e))?;
            recheck(&mut event.event).map_err(|message| RecordError::BadVerdict {
                path: path.to_path_buf(),
                line: i + 2,
                message,
            })?;
            events.push(event);
        }
        Ok(Recording {
            path: path.to_path_buf(),
            header,
            lines: events,
        })
    }

    /// The events of scenario `index`, in recorded order.
    pub fn scenario_lines(&self, index: usize) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(move |l| l.scenario == index)
    }

    /// Each scenario's final report, in run order (`None`: it never finished).
    pub fn reports(&self) -> Vec<Option<&RunOutcome>> {
        (0..self.header.scenarios.len())
            .map(|i| self.scenario_lines(i).find_map(|l| l.event.report()))
            .collect()
    }

    /// The recorded scenarios as plans, parsed from the TOML in the header.
    pub fn plans(&self) -> Result<Vec<Plan>, RecordError> {
        self.header
            .scenario_files
            .iter()
            .map(|f| {
                parse_str(&f.toml, &f.id, Origin::Builtin).map_err(|e| RecordError::BadScenario {
                    path: self.path.clone(),
                    id: f.id.clone(),
                    message: e.to_string(),
                })
            })
            .collect()
    }
}
