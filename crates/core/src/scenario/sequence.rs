//! Checks across steps: an op that works on a mapping needs one to exist.
//!
//! Caught here, a `touch` before any `mmap` is a message with a line number at
//! `iotour check` time instead of a failed step (or worse, a fault) at run time.

use std::ops::Range;

use super::plan::{Op, Step, Target};
use super::table::{Result, Source};

/// `steps[i]` was written at `headers[i]`.
pub(super) fn check_sequence(
    src: Source<'_>,
    steps: &[Step],
    headers: &[Range<usize>],
) -> Result<()> {
    let mut file_mapped = false;
    let mut anon_mapped = false;
    for (i, (step, header)) in steps.iter().zip(headers).enumerate() {
        let needs = |mapped: bool, target: Target, verb: &str| -> Result<()> {
            if mapped {
                return Ok(());
            }
            let (what, fix) = match target {
                Target::File => ("file mapping", "add an `mmap` step before it"),
                Target::Anon => (
                    "anonymous region",
                    "add an `anon_mmap` or `malloc` step before it",
                ),
            };
            Err(src
                .error(
                    header.clone(),
                    format!(
                        "step {} (`{}`) has no {what} to {verb}",
                        i + 1,
                        step.op.name()
                    ),
                )
                .note(format!("help: {fix}"))
                .into())
        };
        match step.op {
            Op::Mmap { .. } => file_mapped = true,
            Op::AnonMmap { .. } | Op::Malloc { .. } => anon_mapped = true,
            Op::Touch {
                target: Target::File,
                ..
            } => needs(file_mapped, Target::File, "touch")?,
            Op::Touch {
                target: Target::Anon,
                ..
            } => needs(anon_mapped, Target::Anon, "touch")?,
            Op::Msync { .. } => needs(file_mapped, Target::File, "flush")?,
            Op::Munmap {
                target: Target::File,
            } => {
                needs(file_mapped, Target::File, "unmap")?;
                file_mapped = false;
            }
            Op::Munmap {
                target: Target::Anon,
            } => {
                needs(anon_mapped, Target::Anon, "unmap")?;
                anon_mapped = false;
            }
            _ => {}
        }
    }
    Ok(())
}
