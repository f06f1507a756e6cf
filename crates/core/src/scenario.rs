//! Scenario files: the TOML format, its parser and validator, and the catalog
//! of built-in and user scenarios. The output is a [`Plan`].
//!
//! ```text
//! text ──parse_str──► Plan          (table.rs reads spanned TOML; step.rs builds ops)
//! file ──parse_file─► Plan
//! built-ins + ./scenarios + --scenarios DIR ──Catalog::load──► entries; resolve(id or path)
//! ```
//! Every failure is a [`ScenarioError`] that points at the file, line and column.

pub mod catalog;
pub mod error;
pub mod expect;
mod parse;
pub mod plan;
pub mod rule;
pub mod schema;
mod sequence;
mod step;
mod table;

pub use catalog::{Catalog, Entry};
pub use error::{Diagnostic, ScenarioError};
pub use expect::{Expectation, Key, Rule};
pub use parse::{parse_file, parse_str};
pub use plan::{
    FileSetup, Lang, Meta, Op, OpenFlags, Origin, Pattern, Plan, Step, Target, Text, Via,
};
pub use rule::{RuleError, parse_rule};
