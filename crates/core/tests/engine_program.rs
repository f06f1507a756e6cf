//! The `program` op against real programs (coreutils and sh, so these run
//! on any machine): placeholders, the watched file's traced counts, a
//! program that fails, one that runs out of time, one that is missing, and
//! one that replaces the working file.

use crate::support::engine as common;

use common::*;
use iotour_core::outcome::{RunOutcome, Skip};
use iotour_core::scenario::{Origin, parse_str};

fn lesson(body: &str) -> RunOutcome {
    let text = format!("[scenario]\ntitle = \"t\"\nsummary = \"t\"\n{body}");
    let plan =
        parse_str(&text, "program-test", Origin::Builtin).unwrap_or_else(|e| panic!("{e}\n{text}"));
    run(plan, config())
}

#[test]
fn a_copy_is_traced_on_its_watched_file_with_the_placeholders_expanded() {
    let r = lesson(
        r#"
[file]
size = "1MiB"
[[step]]
op = "program"
cmd = ["dd", "if={file}", "of={workdir}/copy", "bs=64K", "status=none"]
watch = "copy"
expect = { file_bytes_written = "== 1MiB", file_write_calls = "== 16", file_read_calls = "== 0" }
"#,
    );
    let s = &r.steps[0];
    assert!(r.ok, "{s:#?}");
    let p = s
        .program
        .as_deref()
        .expect("a program step carries its trace");
    let workdir = &r.environment.workdir;
    assert_eq!(p.command[0], "dd");
    assert_eq!(p.command[1], format!("if={workdir}/file"));
    assert_eq!(p.command[2], format!("of={workdir}/copy"));
    assert_eq!(p.watched, "copy");
    let f = p.file.expect("dd wrote the copy");
    assert_eq!((f.write_calls, f.bytes_written), (16, 1 << 20));
    assert_eq!(f.sync_calls, 0);
    // The figures are the program's, not the waiting worker's: dd's own
    // calls (the loader, 16 reads of the source, 16 writes) are dozens.
    assert!(s.measured.syscalls.unwrap() >= 32, "{:?}", s.measured);
    assert_eq!(p.report["exit_code"], 0, "{}", p.report);
    // The data path: dd's writes copied 1 MiB from its buffer into the page cache.
    assert_eq!(
        s.modeled.copy_totals(iotour_core::model::CopyKind::Cpu),
        Some((1, 1 << 20)),
        "{:?}",
        s.modeled
    );
}

#[test]
fn a_program_that_fails_fails_its_step_and_quotes_its_output() {
    let r = lesson(
        r#"
[file]
size = "0"
[[step]]
op = "program"
cmd = ["sh", "-c", "echo 'no such table' >&2; exit 3"]
[[step]]
op = "fsync"
"#,
    );
    assert!(!r.ok);
    let e = r.steps[0].error.as_deref().unwrap();
    assert!(e.contains("exited with status 3"), "{e}");
    assert!(e.contains("no such table"), "{e}");
    assert_eq!(r.steps.len(), 1, "the run stops at the failed step");
}

#[test]
fn a_program_past_its_timeout_is_killed_and_the_step_says_so() {
    let r = lesson(
        r#"
[file]
size = "0"
[[step]]
op = "program"
cmd = ["sleep", "60"]
timeout_ms = 300
"#,
    );
    let e = r.steps[0].error.as_deref().unwrap();
    assert!(e.contains("still running after 300 ms"), "{e}");
    let p = r.steps[0].program.as_deref().unwrap();
    // Killed by SIGKILL: the report says so.
    assert_eq!(p.report["exit_signal"], 9, "{}", p.report);
}

#[test]
fn a_missing_program_skips_the_step_and_says_what_to_install() {
    let r = lesson(
        r#"
[file]
size = "0"
[[step]]
op = "program"
cmd = ["iotour-no-such-program", "{file}"]
expect = { file_write_calls = "== 1" }
[[step]]
op = "fsync"
"#,
    );
    let (index, skip) = r.skipped().expect("skipped");
    assert_eq!(index, 1);
    assert!(
        matches!(skip, Skip::NotInstalled { program, .. } if program.contains("iotour-no-such-program")),
        "{skip:?}"
    );
    assert!(r.steps[0].expect.is_empty(), "nothing was checked");
    assert_eq!(r.steps.len(), 1, "the steps after a skip do not run");
}

#[test]
fn later_steps_work_on_the_file_a_program_put_in_place_of_the_working_file() {
    let r = lesson(
        r#"
[file]
size = 4096
[[step]]
op = "program"
cmd = ["sh", "-c", "rm -f \"$1\" && printf abc > \"$1\"", "sh", "{file}"]
expect = { file_bytes_written = "== 3" }
[[step]]
op = "read"
bytes = 4096
chunk = 4096
expect = { rchar = "== 3" }
"#,
    );
    assert!(r.ok, "{:#?}", r.steps);
}
