//! The core's integration tests: one binary, one module per subject (the
//! scenario format and its fixtures, the engine against the real kernel).
//! Shared helpers are in `support`.

mod support;

mod engine_fallback_calls;
mod engine_fidelity;
mod engine_modern;
mod engine_ops;
mod engine_probe;
mod engine_program;
mod engine_sigbus;
mod engine_workdir_attack;
mod engine_worker_panic;
mod lessons;
mod lessons_paced;
mod parser_props;
mod scenario_builtins;
mod scenario_docs;
mod scenario_fixtures;
mod scenario_limits;
mod scenario_repeat;
