//! The front's integration tests: one binary, one module per subject. Most
//! run the built `iotour` as a user would (headless, or on a pseudo-terminal);
//! the rest drive the App and its widgets with scripted events. Shared
//! helpers are in `support`.

mod support;

mod asciicast;
mod check_and_run;
mod closed_pipes;
mod compare_cli;
mod compare_view;
mod engine_cli;
mod escapes;
mod fallbacks;
mod fidelity;
mod generated_docs;
mod inspect_cli;
mod inspect_live;
mod inspect_permissions;
mod inspect_readonly;
mod legs_render;
mod program_lessons;
mod replay;
mod report_svg;
mod robustness;
mod scenario_cli;
mod screens;
mod skip_cli;
mod stats_cli;
mod terminal_loss;
mod trace_cli;
mod tui_app;
mod tui_e2e;
mod tui_loop;
mod tui_render;
