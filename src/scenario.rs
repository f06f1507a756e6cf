//! Scenario files: the TOML format, its parser and validator, and the catalog
//! of built-in and user scenarios. The output is a [`Plan`].

pub mod expect;
pub mod plan;

pub use expect::{Expectation, Key, Rule};
pub use plan::{
    FileSetup, Lang, Meta, Op, OpenFlags, Origin, Pattern, Plan, Step, Target, Text, Via,
};
