//! A plan followed step by step without running it: the working file's
//! length and position, the file mapping and the anonymous regions, as each
//! op's [`OpDef::walk`](super::ops::OpDef) says it changes them.
//!
//! One walk, two uses:
//! - [`Plan::new`](super::Plan::new) walks with no [`Limits`]: it refuses
//!   what no machine could run (a `touch` before any `mmap`, a `send` of more
//!   than the file holds), so a plan cannot be invalid in that way.
//! - [`Plan::check_limits`](super::Plan::check_limits) walks with this
//!   machine's limits (`--max-size`, the page size): `iotour check` and
//!   `iotour run` call it alike, so what `run` refuses `check` refuses too.
//!   Free disk space and available memory are not the plan's: the engine
//!   checks them when it starts, from the [`Footprint`].

use super::ops::Target;
use super::plan::{FileSetup, Step};

/// What a machine allows a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// No working file, mapping or buffer bigger than this (`--max-size`).
    pub max_size: u64,
    /// Mappings start on, and are counted in, pages of this size.
    pub page_size: u64,
}

impl Limits {
    /// `max_size` on this machine (its page size).
    #[must_use]
    pub fn here(max_size: u64) -> Limits {
        Limits {
            max_size,
            page_size: crate::probe::pages::page_size(),
        }
    }
}

/// The most a plan needs at once, for the checks only the machine at run
/// time can answer (free disk space, `MemAvailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    /// The most disk the run's files take at once: the working file at its
    /// largest, plus the copy `copy_file_range` makes.
    pub file_bytes: u64,
    /// The most anonymous memory mapped at once: `anon_mmap` and `malloc`
    /// regions, plus a private writable file mapping (whose written pages
    /// become private copies).
    pub anon_bytes: u64,
}

/// Why a plan cannot run. `step` is 1-based; `None`: the `[file]` setup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An op that works on a mapping comes when there is none.
    #[error("step {step} (`{op}`) has no {} to {verb}", what(*.target))]
    NoMapping {
        step: usize,
        op: &'static str,
        target: Target,
        verb: &'static str,
    },
    /// Over `--max-size`.
    #[error("{what} is {bytes} bytes, over the limit of {max} bytes (raise it with --max-size)")]
    TooBig {
        step: Option<usize>,
        what: String,
        bytes: u64,
        max: u64,
    },
    /// Anything else that could not run as written.
    #[error("step {step} ({op}): {reason}")]
    Invalid {
        step: usize,
        op: &'static str,
        reason: String,
    },
}

fn what(target: Target) -> &'static str {
    match target {
        Target::File => "file mapping",
        Target::Anon => "anonymous region",
    }
}

impl Refusal {
    /// The step refused (1-based), or `None` for the `[file]` setup.
    #[must_use]
    pub fn step(&self) -> Option<usize> {
        match self {
            Refusal::NoMapping { step, .. } | Refusal::Invalid { step, .. } => Some(*step),
            Refusal::TooBig { step, .. } => *step,
        }
    }

    /// What to do about it, as a `help:` note, when there is something to say.
    #[must_use]
    pub fn help(&self) -> Option<String> {
        match self {
            Refusal::NoMapping {
                target: Target::File,
                ..
            } => Some("help: add an `mmap` step before it".into()),
            Refusal::NoMapping {
                target: Target::Anon,
                ..
            } => Some("help: add an `anon_mmap` or `malloc` step before it".into()),
            Refusal::TooBig { .. } | Refusal::Invalid { .. } => None,
        }
    }
}

/// A mapping as the walk knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub len: u64,
    /// Where in the working file it starts; `None`: anonymous memory.
    pub file_offset: Option<u64>,
    pub writable: bool,
    /// `MAP_PRIVATE` and writable: touched pages become anonymous copies.
    pub private_copy: bool,
}

/// The state of a plan between two steps, lent to each op's `walk`.
#[derive(Debug)]
pub(crate) struct Walk<'l> {
    limits: Option<&'l Limits>,
    /// The step being followed (1-based) and its op, for refusals.
    step: usize,
    op: &'static str,
    /// The working file: length, the fd's position, `O_APPEND`.
    len: u64,
    pos: u64,
    append: bool,
    file_map: Option<Mapping>,
    /// Anonymous regions, the latest last.
    anon: Vec<u64>,
    /// The length of `copy_file_range`'s copy (0: none yet).
    copy_len: u64,
    footprint: Footprint,
}

/// Follow `steps` from `file`, refusing the first step that could not run
/// (within `limits`, when given).
pub(crate) fn walk(
    file: &FileSetup,
    steps: &[Step],
    limits: Option<&Limits>,
) -> Result<Footprint, Refusal> {
    let mut w = Walk {
        limits,
        step: 0,
        op: "",
        len: file.size,
        pos: 0,
        append: false,
        file_map: None,
        anon: Vec::new(),
        copy_len: 0,
        footprint: Footprint {
            file_bytes: file.size,
            anon_bytes: 0,
        },
    };
    w.file_within_limit(None)?;
    for (i, step) in steps.iter().enumerate() {
        w.step = i + 1;
        w.op = step.op.name();
        step.op.def().walk(&mut w)?;
        w.file_within_limit(Some(i + 1))?;
        let private = w.file_map.filter(|m| m.private_copy).map_or(0, |m| m.len);
        let anon = w.anon.iter().fold(private, |a, b| a.saturating_add(*b));
        w.footprint.file_bytes = w.footprint.file_bytes.max(w.len.saturating_add(w.copy_len));
        w.footprint.anon_bytes = w.footprint.anon_bytes.max(anon);
    }
    Ok(w.footprint)
}

impl Walk<'_> {
    /// The page size, when walking within a machine's limits.
    pub fn page_size(&self) -> Option<u64> {
        self.limits.map(|l| l.page_size)
    }

    /// A refusal of the current step.
    pub fn refuse(&self, reason: String) -> Refusal {
        Refusal::Invalid {
            step: self.step,
            op: self.op,
            reason,
        }
    }

    fn file_within_limit(&self, step: Option<usize>) -> Result<(), Refusal> {
        match self.limits {
            Some(l) if self.len > l.max_size => Err(Refusal::TooBig {
                step,
                what: match step {
                    None => "the working file".into(),
                    Some(i) => format!("the working file after step {i} ({})", self.op),
                },
                bytes: self.len,
                max: l.max_size,
            }),
            _ => Ok(()),
        }
    }

    /// A user-space buffer of `bytes` the op allocates (its `name` parameter).
    pub fn buffer(&self, name: &str, bytes: u64) -> Result<(), Refusal> {
        match self.limits {
            Some(l) if bytes > l.max_size => Err(Refusal::TooBig {
                step: Some(self.step),
                what: format!(
                    "the {name} of step {} ({}), a buffer it allocates,",
                    self.step, self.op
                ),
                bytes,
                max: l.max_size,
            }),
            _ => Ok(()),
        }
    }

    /// A mapping (or allocation) of `bytes` the op makes.
    pub fn mapped(&self, bytes: u64) -> Result<(), Refusal> {
        match self.limits {
            Some(l) if bytes > l.max_size => Err(Refusal::TooBig {
                step: Some(self.step),
                what: format!("step {} ({})", self.step, self.op),
                bytes,
                max: l.max_size,
            }),
            _ => Ok(()),
        }
    }

    /// The working file's length before the current step.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// `write(2)` of `bytes` at the fd's position (at the end with `O_APPEND`).
    pub fn write(&mut self, bytes: u64) {
        if self.append {
            self.pos = self.len;
        }
        self.pos = self.pos.saturating_add(bytes);
        self.len = self.len.max(self.pos);
    }

    /// `pwrite(2)` of `bytes` at `offset`, which leaves the fd's position alone.
    pub fn pwrite(&mut self, offset: u64, bytes: u64) {
        if self.append {
            // Linux ignores pwrite's offset on an O_APPEND fd (pwrite(2),
            // BUGS): every call lands at the end.
            self.len = self.len.saturating_add(bytes);
        } else {
            self.len = self.len.max(offset.saturating_add(bytes));
        }
    }

    /// A write of `bytes` at the end of the file whatever the offset
    /// (`RWF_APPEND`); `moves` when it is at the fd's position, which then
    /// follows it.
    pub fn append(&mut self, bytes: u64, moves: bool) {
        self.len = self.len.saturating_add(bytes);
        if moves {
            self.pos = self.len;
        }
    }

    /// `read(2)` of `bytes` from `offset`: the position moves, at most to the end.
    pub fn read(&mut self, offset: u64, bytes: u64) {
        self.pos = offset.saturating_add(bytes).min(self.len);
    }

    /// The copy of `copy_file_range` is made anew with `bytes` (a reflink
    /// may share them, but a filesystem that cannot would need them).
    pub fn copy(&mut self, bytes: u64) {
        self.copy_len = bytes;
    }

    /// A fresh fd: position 0, `O_APPEND` or not.
    pub fn reopen(&mut self, append: bool) {
        self.pos = 0;
        self.append = append;
    }

    /// The file mapping is now `m` (an earlier one is unmapped).
    pub fn map_file(&mut self, m: Mapping) {
        self.file_map = Some(m);
    }

    /// A new anonymous region, the latest.
    pub fn push_anon(&mut self, len: u64) {
        self.anon.push(len);
    }

    /// The mapping `target` names, which the op needs in order to `verb`.
    pub fn region(&self, target: Target, verb: &'static str) -> Result<Mapping, Refusal> {
        let found = match target {
            Target::File => self.file_map,
            Target::Anon => self.anon.last().map(|&len| Mapping {
                len,
                file_offset: None,
                writable: true,
                private_copy: false,
            }),
        };
        found.ok_or(Refusal::NoMapping {
            step: self.step,
            op: self.op,
            target,
            verb,
        })
    }

    /// Unmap the file mapping or the latest anonymous region.
    pub fn unmap(&mut self, target: Target) -> Result<(), Refusal> {
        self.region(target, "unmap")?;
        match target {
            Target::File => self.file_map = None,
            Target::Anon => {
                self.anon.pop();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ops::*;
    use crate::scenario::plan::{Meta, Origin, Plan, Text};

    fn steps(ops: Vec<Op>) -> Vec<Step> {
        ops.into_iter()
            .map(|op| Step {
                op,
                say: None,
                ask: None,
                calls: None,
                expect: vec![],
                line: 0,
            })
            .collect()
    }

    fn plan(size: u64, ops: Vec<Op>) -> Result<Plan, Refusal> {
        let meta = Meta {
            title: Text::en("t"),
            summary: Text::en("t"),
            tags: vec![],
            java: None,
            lesson: None,
        };
        Plan::new(
            "t",
            Origin::Builtin,
            meta,
            FileSetup { size, cached: true },
            steps(ops),
        )
    }

    const LIMITS: Limits = Limits {
        max_size: 1 << 30,
        page_size: 4096,
    };

    fn write(bytes: u64) -> Op {
        Op::Write(Write {
            bytes: nonzero(bytes),
            chunk: nonzero(1),
            rwf: Rwf::NONE,
        })
    }

    fn reopen(append: bool) -> Op {
        Op::Reopen(Reopen {
            flags: OpenFlags {
                append,
                ..OpenFlags::default()
            },
        })
    }

    fn pwrite(bytes: u64, offset: u64) -> Op {
        Op::Pwrite(Pwrite {
            bytes: nonzero(bytes),
            chunk: nonzero(bytes.min(1000)),
            offset,
            pattern: Pattern::Sequential,
            rwf: Rwf::NONE,
        })
    }

    fn map(bytes: Extent, offset: u64, shared: bool, write: bool) -> Op {
        Op::Mmap(Mmap {
            bytes,
            offset,
            shared,
            write,
            populate: false,
        })
    }

    fn touch(pages: u64, stride: u64, write: bool, target: Target) -> Op {
        Op::Touch(Touch {
            pages: nonzero(pages),
            stride: nonzero(stride),
            write,
            target,
        })
    }

    fn unmap(target: Target) -> Op {
        Op::Munmap(Munmap { target })
    }

    #[test]
    fn the_file_size_follows_the_file_position() {
        let p = plan(1000, vec![write(500), write(1000), reopen(true), write(10)]).unwrap();
        // 0..500 overwrites, 500..1500 extends to 1500, the append adds 10.
        assert_eq!(p.footprint().file_bytes, 1510);
        let p = plan(0, vec![pwrite(10, 1 << 20)]).unwrap();
        assert_eq!(p.footprint().file_bytes, (1 << 20) + 10);
    }

    #[test]
    fn pwrite_on_an_append_fd_grows_the_file() {
        // Offset 0 would overwrite in place; with O_APPEND each pwrite grows
        // the file, until a reopen without append puts the offset back in charge.
        let p = plan(
            1000,
            vec![
                reopen(true),
                pwrite(1000, 0),
                pwrite(1000, 0),
                reopen(false),
                pwrite(1000, 0),
            ],
        )
        .unwrap();
        assert_eq!(p.footprint().file_bytes, 3000);
        let tight = Limits {
            max_size: 2999,
            ..LIMITS
        };
        assert_eq!(
            p.check_limits(&tight).unwrap_err().to_string(),
            "the working file after step 3 (pwrite) is 3000 bytes, over the limit of 2999 \
             bytes (raise it with --max-size)"
        );
        // pwrite leaves the fd position alone, so a later write still starts at 0.
        let p = plan(
            0,
            vec![reopen(true), pwrite(100, 0), reopen(false), write(50)],
        )
        .unwrap();
        assert_eq!(p.footprint().file_bytes, 100);
    }

    #[test]
    fn anonymous_memory_follows_maps_and_unmaps() {
        let anon = |bytes| {
            Op::AnonMmap(AnonMmap {
                bytes: nonzero(bytes),
            })
        };
        let p = plan(
            0,
            vec![
                anon(100),
                Op::Malloc(Malloc { bytes: nonzero(50) }),
                unmap(Target::Anon),
                anon(20),
                map(Extent::Bytes(nonzero(1000)), 0, false, true),
                unmap(Target::File),
            ],
        )
        .unwrap();
        // 100 + 50, then 100 + 20 + 1000 (private writable file mapping).
        assert_eq!(p.footprint().anon_bytes, 1120);
        // A mapping to the end of the file is as long as the file then.
        let p = plan(
            8192,
            vec![map(Extent::ToEndOfFile, 4096, false, true), write(1)],
        )
        .unwrap();
        assert_eq!(p.footprint().anon_bytes, 4096);
    }

    #[test]
    fn an_op_on_a_mapping_needs_one() {
        let e = plan(4096, vec![touch(1, 1, false, Target::File)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 1 (`touch`) has no file mapping to touch"
        );
        assert_eq!(e.help().unwrap(), "help: add an `mmap` step before it");
        let e = plan(
            4096,
            vec![
                Op::Malloc(Malloc { bytes: nonzero(8) }),
                unmap(Target::Anon),
                unmap(Target::Anon),
            ],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 3 (`munmap`) has no anonymous region to unmap"
        );
        let e = plan(0, vec![Op::Msync(Msync { asynchronous: true })]).unwrap_err();
        assert_eq!(e.step(), Some(1));
    }

    #[test]
    fn what_no_machine_could_run_is_refused_by_the_plan_itself() {
        let e = plan(0, vec![map(Extent::ToEndOfFile, 0, true, false)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 1 (mmap): nothing to map (the file has 0 bytes, offset 0)"
        );
        let e = plan(
            4096,
            vec![
                map(Extent::Bytes(nonzero(4096)), 0, true, false),
                touch(1, 1, true, Target::File),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("read-only mapping"), "{e}");
        let send = Op::Send(SendToSocket {
            bytes: nonzero(4097),
            chunk: nonzero(4096),
            via: Via::Sendfile,
        });
        let e = plan(4096, vec![send]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 1 (send): 4097 bytes asked, but the working file has only 4096 then (set \
             [file] size)"
        );
    }

    #[test]
    fn limits_refuse_sizes_buffers_and_mappings_over_the_cap() {
        let small = Limits {
            max_size: 4096,
            ..LIMITS
        };
        let p = plan(8192, vec![]).unwrap();
        let e = p.check_limits(&small).unwrap_err();
        assert_eq!(e.step(), None);
        assert!(
            e.to_string().starts_with("the working file is 8192 bytes"),
            "{e}"
        );
        let p = plan(
            0,
            vec![map(Extent::Bytes(nonzero(1 << 20)), 0, true, false)],
        )
        .unwrap();
        assert!(p.check_limits(&LIMITS).is_ok());
        let e = p.check_limits(&small).unwrap_err();
        assert!(
            e.to_string().starts_with("step 1 (mmap) is 1048576 bytes"),
            "{e}"
        );
        let read = Op::Read(Read {
            bytes: nonzero(10),
            chunk: nonzero(1 << 40),
            offset: 0,
            rwf: Rwf::NONE,
        });
        let e = plan(0, vec![read])
            .unwrap()
            .check_limits(&LIMITS)
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "the chunk of step 1 (read), a buffer it allocates, is 1099511627776 bytes, \
                 over the limit"
            ),
            "{e}"
        );
        let buffered = Op::BufferedWrite(BufferedWrite {
            bytes: nonzero(10),
            chunk: nonzero(1),
            buffer: nonzero(1 << 40),
        });
        let e = plan(0, vec![buffered])
            .unwrap()
            .check_limits(&LIMITS)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("the buffer of step 1 (buffered_write)"),
            "{e}"
        );
    }

    #[test]
    fn limits_refuse_a_touch_beyond_its_mapping_or_past_the_end_of_the_file() {
        let mapped = |bytes, ops: Vec<Op>| {
            let mut all = vec![map(Extent::Bytes(nonzero(bytes)), 0, true, false)];
            all.extend(ops);
            plan(1 << 20, all).unwrap()
        };
        // 3 pages with stride 2 reach page 4 (the fifth): a 5-page mapping holds it.
        let p = mapped(5 * 4096, vec![touch(3, 2, false, Target::File)]);
        assert!(p.check_limits(&LIMITS).is_ok());
        let p = mapped(4 * 4096 + 1, vec![touch(3, 2, false, Target::File)]);
        assert!(
            p.check_limits(&LIMITS).is_ok(),
            "a partial last page is a page"
        );
        let p = mapped(4 * 4096, vec![touch(3, 2, false, Target::File)]);
        assert_eq!(
            p.check_limits(&LIMITS).unwrap_err().to_string(),
            "step 2 (touch): 3 pages with stride 2 reach page 4, but the file mapping has \
             only 4 pages of 4096 bytes"
        );
        // Inside the mapping, past the end of the file: SIGBUS.
        let p = plan(
            4096,
            vec![
                map(Extent::Bytes(nonzero(8192)), 0, true, false),
                touch(2, 1, false, Target::File),
            ],
        )
        .unwrap();
        assert!(
            p.check_limits(&LIMITS)
                .unwrap_err()
                .to_string()
                .contains("SIGBUS")
        );
        let p = plan(
            0,
            vec![
                Op::Malloc(Malloc {
                    bytes: nonzero(4096),
                }),
                touch(2, 1, true, Target::Anon),
            ],
        )
        .unwrap();
        assert!(
            p.check_limits(&LIMITS)
                .unwrap_err()
                .to_string()
                .contains("the anonymous region has only 1 pages")
        );
        let p = plan(
            1 << 20,
            vec![map(Extent::Bytes(nonzero(4096)), 100, true, false)],
        )
        .unwrap();
        assert!(
            p.check_limits(&LIMITS)
                .unwrap_err()
                .to_string()
                .contains("offset 100 is not a multiple of the page size (4096)")
        );
    }
}
