//! `reopen`, `sleep`, `wait_writeback` and `note`.

use super::super::walk::{Refusal, Walk};
use super::{Kind, Needs, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// Reopen the working file with these flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reopen {
    pub flags: OpenFlags,
}

/// The open(2) flags `reopen` may add to `O_RDWR`.
// One bool per flag, as open(2) has them: any combination is valid.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenFlags {
    pub sync: bool,
    pub dsync: bool,
    pub direct: bool,
    pub append: bool,
}

/// One word of `flags = [...]`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum OpenFlag {
    /// `O_SYNC`
    Sync,
    /// `O_DSYNC`
    Dsync,
    /// `O_DIRECT`
    Direct,
    /// `O_APPEND`
    Append,
}

impl OpenFlags {
    /// The flags named in `flags`.
    #[must_use]
    pub fn of(flags: &[OpenFlag]) -> OpenFlags {
        let mut out = OpenFlags::default();
        for flag in flags {
            match flag {
                OpenFlag::Sync => out.sync = true,
                OpenFlag::Dsync => out.dsync = true,
                OpenFlag::Direct => out.direct = true,
                OpenFlag::Append => out.append = true,
            }
        }
        out
    }

    /// `O_SYNC` or `O_DSYNC`: every write waits for the disk.
    #[must_use]
    pub fn synchronous(self) -> bool {
        self.sync || self.dsync
    }
}

/// Sleep `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sleep {
    pub ms: u64,
}

/// Wait until the flusher has cleaned the file or `timeout_ms` passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitWriteback {
    pub timeout_ms: u64,
    /// `timeout_ms` counts from the flusher's own deadline
    /// (`dirty_expire_centisecs` + `dirty_writeback_centisecs`, read from
    /// /proc/sys/vm when the step starts), so one scenario waits long
    /// enough on every machine.
    pub flusher: bool,
}

/// The longest margin a `flusher = true` wait takes beyond the flusher's
/// deadline: a margin is for timer slack and a slow disk, and a longer one
/// is more likely a `timeout_ms` written for the plain form.
pub const FLUSHER_MARGIN_MAX_MS: u64 = 60_000;

/// Narration only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note;

const FLAGS: Param = Param {
    name: "flags",
    kind: Kind::Flags {
        words: <OpenFlag as strum::VariantNames>::VARIANTS,
    },
    hint: "",
};

const MS: Param = Param {
    name: "ms",
    kind: Kind::Count(None),
    hint: "`ms` is how long to sleep, in milliseconds",
};

const TIMEOUT_MS: Param = Param {
    name: "timeout_ms",
    kind: Kind::Count(None),
    hint: "`timeout_ms` bounds the wait, in milliseconds (with `flusher = true`, the margin \
           after the flusher's own deadline)",
};

const FLUSHER: Param = Param {
    name: "flusher",
    kind: Kind::Bool(false),
    hint: "",
};

pub(super) static REOPEN: Spec = Spec {
    name: "reopen",
    params: &[FLAGS],
    doc: "reopen the working file with any of `\"sync\"` (O_SYNC), `\"dsync\"` (O_DSYNC), \
          `\"direct\"` (O_DIRECT), `\"append\"` (O_APPEND); `[]` reopens plainly. With \
          O_DIRECT, a misaligned request fails and the step says why",
    parse: |a| {
        Ok(Op::Reopen(Reopen {
            flags: OpenFlags::of(&a.flags(&FLAGS)?),
        }))
    },
};

pub(super) static SLEEP: Spec = Spec {
    name: "sleep",
    params: &[MS],
    doc: "sleep `ms` milliseconds (whole number). In the live view `e` ends a `sleep` or a \
          `wait_writeback` early; the step's expectations are then not judged",
    parse: |a| Ok(Op::Sleep(Sleep { ms: a.number(&MS)? })),
};

pub(super) static WAIT_WRITEBACK: Spec = Spec {
    name: "wait_writeback",
    params: &[TIMEOUT_MS, FLUSHER],
    doc: "wait until the kernel's flusher has cleaned the file (no dirty pages) or \
          `timeout_ms` passes. With `flusher = true` the wait lasts up to `timeout_ms` \
          (at most 60000) beyond the flusher's own deadline, `dirty_expire_centisecs` + \
          `dirty_writeback_centisecs` as /proc/sys/vm has them when the step starts \
          (35 s with the defaults), so the periodic flusher cleans the file on any machine",
    parse: |a| {
        let flusher = a.boolean(&FLUSHER)?;
        let (timeout_ms, span) = a.written_number(&TIMEOUT_MS)?;
        if let (true, Some(span)) = (flusher, span)
            && timeout_ms > FLUSHER_MARGIN_MAX_MS
        {
            return Err(a.error_at(
                span,
                format!(
                    "with `flusher = true`, `timeout_ms` is the margin after the flusher's \
                     deadline and must be at most {FLUSHER_MARGIN_MAX_MS}"
                ),
                Some(
                    "help: the flusher's deadline (dirty_expire_centisecs + \
                     dirty_writeback_centisecs) is added to it; write only the margin, e.g. 5000"
                        .into(),
                ),
            ));
        }
        Ok(Op::WaitWriteback(WaitWriteback {
            timeout_ms,
            flusher,
        }))
    },
};

pub(super) static NOTE: Spec = Spec {
    name: "note",
    params: &[],
    doc: "narration only: nothing runs",
    parse: |_| Ok(Op::Note),
};

impl OpDef for Reopen {
    fn spec(&self) -> &'static Spec {
        &REOPEN
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.reopen(self.flags.append);
        Ok(())
    }
}

impl OpDef for Sleep {
    fn spec(&self) -> &'static Spec {
        &SLEEP
    }
}

impl OpDef for WaitWriteback {
    fn spec(&self) -> &'static Spec {
        &WAIT_WRITEBACK
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        if work.own_writeback_finished > 0 {
            path.note(format!(
                "the writeback this thread submitted with sync_file_range ({} bytes) finished; \
                 its DMA is shown at that step",
                work.own_writeback_finished
            ));
        }
        match work.flushed_bytes {
            Some(0) => {}
            Some(n) => {
                path.push(Place::PageCache, Place::Disk, CopyKind::Dma, Some(n));
                path.note(
                    "the kernel's flusher threads wrote these pages back while this thread slept",
                );
            }
            None => {
                path.note("dirty pages unknown (no cachestat): waited for the whole timeout");
                path.push(Place::PageCache, Place::Disk, CopyKind::Dma, None);
            }
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cleaned_pages: true,
            ..Needs::default()
        }
    }
}

impl OpDef for Note {
    fn spec(&self) -> &'static Spec {
        &NOTE
    }
}
