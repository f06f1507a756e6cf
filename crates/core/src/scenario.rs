//! Scenario files: the TOML format, its parser and validator, and the catalog
//! of built-in and user scenarios. The output is a [`Plan`].
//!
//! ```text
//! text ──parse_str──► Plan          (table.rs reads spanned TOML; step.rs finds
//! file ──parse_file─► Plan           each op's Spec in ops/, which builds it;
//!                                    Plan::new walks the steps: walk.rs)
//! file ──check_file─► Plan within this machine's Limits (`iotour check`, as `run` does)
//! built-ins + ./scenarios + --scenarios DIR ──Catalog::load──► entries; resolve(id or path)
//! ```
//! Every failure is a [`ScenarioError`] that points at the file, line and column.

pub mod catalog;
pub mod error;
pub mod expect;
pub mod ops;
mod parse;
pub mod plan;
pub mod rule;
pub mod schema;
mod step;
mod table;
pub mod walk;

pub use catalog::{Catalog, Entry};
pub use error::{Diagnostic, ScenarioError};
pub use expect::{Expectation, Key, Rule};
pub use ops::{
    Advice, AnonMmap, Arg, BufferedWrite, CopyFileRange, Extent, Madvise, Malloc, Mmap, Msync,
    Munmap, Op, OpenFlag, OpenFlags, Pattern, Piece, Program, Pwrite, Read, Reopen, Rwf, RwfFlag,
    SendToSocket, Sleep, SyncFileRange, Target, Touch, Uring, UringRead, UringWrite, Via,
    WaitWriteback, WatchPath, Write, nonzero,
};
pub use parse::{check_file, check_str, parse_file, parse_str};
pub use plan::{FileSetup, Lang, Meta, Origin, Plan, Step, Text};
pub use rule::{RuleError, parse_rule};
pub use walk::{Footprint, Limits, Refusal};
