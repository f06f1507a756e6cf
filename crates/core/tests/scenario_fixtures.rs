//! Scenario files as test tables: every `tests/fixtures/valid/*.toml` parses,
//! every `tests/fixtures/invalid/*.toml` fails exactly as its first line says:
//!
//! ```toml
//! # error: 7:6: unknown op `wrte`
//! ```
//! (line:column of the error, then a fragment of its message). A fixture
//! with several mistakes has one such line for each, in the order of the
//! file, and must fail with exactly those (the parser reports every
//! mistake, not only the first). Lines `# shows: TEXT` anywhere in the file
//! name text the rendered error must contain (the caret line, the list of
//! valid names).

use std::fs;
use std::path::{Path, PathBuf};

use iotour_core::scenario::{
    Advice, AnonMmap, Arg, BufferedWrite, CopyFileRange, Extent, Key, Madvise, Malloc, Mmap, Msync,
    Munmap, Op, OpenFlags, Pattern, Piece, Plan, Program, Pwrite, Read, Reopen, Rule, Rwf, RwfFlag,
    SendToSocket, Sleep, SyncFileRange, Target, Touch, Uring, UringRead, UringWrite, Via,
    WaitWriteback, WatchPath, Write, nonzero, ops, parse_file,
};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn valid(name: &str) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid")
        .join(name);
    parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_valid_fixture_parses() {
    let files = fixtures("valid");
    assert!(
        files.len() >= 5,
        "expected the valid fixtures, found {files:?}"
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| parse_file(f).err())
        .map(|e| e.to_string())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// One error a fixture's header promises.
struct Expected {
    line: usize,
    column: usize,
    fragment: String,
}

/// The errors a fixture promises (its leading `# error:` lines) and the
/// text its rendering must show (`# shows:` lines).
fn expected(path: &Path) -> (Vec<Expected>, Vec<String>) {
    // Lossy: one fixture is not UTF-8 on purpose (after its first lines).
    let text = String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned();
    let errors: Vec<Expected> = text
        .lines()
        .map_while(|l| l.strip_prefix("# error: "))
        .map(|spec| {
            let mut parts = spec.splitn(3, ':');
            let mut number = || {
                parts
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                    .expect("LINE:COL: in the error line")
            };
            let (line, column) = (number(), number());
            let fragment = parts
                .next()
                .expect("a message after LINE:COL:")
                .trim()
                .to_owned();
            Expected {
                line,
                column,
                fragment,
            }
        })
        .collect();
    assert!(
        !errors.is_empty(),
        "{}: first line must be `# error: LINE:COL: message`",
        path.display()
    );
    let shows = text
        .lines()
        .filter_map(|l| l.strip_prefix("# shows: "))
        .map(str::to_owned)
        .collect();
    (errors, shows)
}

#[test]
fn every_invalid_fixture_fails_where_and_how_it_says() {
    let files = fixtures("invalid");
    assert!(
        files.len() >= 10,
        "expected the invalid fixtures, found {files:?}"
    );
    let mut failures = Vec::new();
    for path in &files {
        let (want, shows) = expected(path);
        let Err(err) = parse_file(path) else {
            failures.push(format!("{}: parsed, but should fail", path.display()));
            continue;
        };
        let rendered = err.to_string();
        let found = err.diagnostics();
        if found.len() != want.len() {
            failures.push(format!(
                "{}: {} errors, expected {}\n{rendered}",
                path.display(),
                found.len(),
                want.len()
            ));
        }
        // A file that cannot be read has no diagnostic: compare its message.
        let got: Vec<(usize, usize, &str)> = if found.is_empty() {
            vec![(0, 0, "")]
        } else {
            found
                .iter()
                .map(|d| (d.line, d.column, d.message.as_str()))
                .collect()
        };
        for (w, g) in want.iter().zip(&got) {
            if (g.0, g.1) != (w.line, w.column) {
                failures.push(format!(
                    "{}: at {}:{}, expected {}:{}\n{rendered}",
                    path.display(),
                    g.0,
                    g.1,
                    w.line,
                    w.column
                ));
            }
            let message = if found.is_empty() {
                err.message()
            } else {
                g.2.to_owned()
            };
            if !message.contains(&w.fragment) {
                failures.push(format!(
                    "{}: message {message:?} lacks {:?}",
                    path.display(),
                    w.fragment
                ));
            }
            // Each error is rendered with the path first, as compilers do.
            let prefix = format!("{}:{}:{}: ", path.display(), w.line, w.column);
            if !rendered.starts_with(&prefix) && !rendered.contains(&format!("\n{prefix}")) {
                failures.push(format!(
                    "{}: rendered error has no line starting {prefix:?}:\n{rendered}",
                    path.display()
                ));
            }
        }
        for text in &shows {
            if !rendered.contains(text.as_str()) {
                failures.push(format!(
                    "{}: rendered error lacks {text:?}:\n{rendered}",
                    path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_brief_cases_each_have_a_fixture() {
    let names: Vec<String> = fixtures("invalid")
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for case in [
        "three-mistakes",
        "syntax-error",
        "unknown-op",
        "unknown-param",
        "wrong-type",
        "bad-size",
        "bad-rule",
        "unknown-expect-key",
        "missing-title",
        "missing-op",
        "empty-steps",
    ] {
        assert!(
            names.iter().any(|n| n == case),
            "no invalid fixture `{case}.toml`"
        );
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one assertion per op of the format, all in one table
fn every_op_fixture_reads_each_parameter() {
    let plan = valid("every-op.toml");
    assert_eq!(plan.id(), "every-op");
    assert_eq!(plan.meta().lesson, Some(99));
    assert_eq!(plan.meta().title.zh.as_deref(), Some("所有操作"));
    assert_eq!(plan.meta().tags, ["all", "reference"]);
    assert_eq!(plan.meta().java.as_deref(), Some("RandomAccessFile"));
    assert_eq!((plan.file().size, plan.file().cached), (64 << 20, false));
    let ops: Vec<Op> = plan.steps().iter().map(|s| s.op.clone()).collect();
    assert_eq!(
        ops,
        [
            Op::Write(Write {
                bytes: nonzero(1 << 20),
                chunk: nonzero(100),
                rwf: Rwf::of(&[RwfFlag::Append, RwfFlag::Dontcache]),
            }),
            Op::BufferedWrite(BufferedWrite {
                bytes: nonzero(1 << 20),
                chunk: nonzero(100),
                buffer: nonzero(16 << 10)
            }),
            Op::Pwrite(Pwrite {
                bytes: nonzero(4 << 20),
                chunk: nonzero(4096),
                offset: 1 << 20,
                pattern: Pattern::Random,
                rwf: Rwf::NONE,
            }),
            Op::Read(Read {
                bytes: nonzero(2 << 20),
                chunk: nonzero(64 << 10),
                offset: 4096,
                rwf: Rwf::NONE,
            }),
            Op::Fsync,
            Op::Fdatasync,
            Op::SyncFileRange(SyncFileRange { wait: true }),
            Op::DropCache,
            Op::Reopen(Reopen {
                flags: OpenFlags {
                    sync: true,
                    dsync: true,
                    direct: true,
                    append: true
                }
            }),
            Op::Mmap(Mmap {
                bytes: Extent::Bytes(nonzero(8 << 20)),
                offset: 4096,
                shared: false,
                write: true,
                populate: true
            }),
            Op::Touch(Touch {
                pages: nonzero(1000),
                stride: nonzero(2),
                write: true,
                target: Target::File
            }),
            Op::Msync(Msync { asynchronous: true }),
            Op::Madvise(Madvise {
                advice: Advice::PopulateWrite,
                bytes: Some(nonzero(4 << 20)),
            }),
            Op::Munmap(Munmap {
                target: Target::File
            }),
            Op::AnonMmap(AnonMmap {
                bytes: nonzero(64 << 20)
            }),
            Op::Malloc(Malloc {
                bytes: nonzero(256 << 10)
            }),
            Op::Touch(Touch {
                pages: nonzero(10),
                stride: nonzero(1),
                write: false,
                target: Target::Anon
            }),
            Op::Munmap(Munmap {
                target: Target::Anon
            }),
            Op::Send(SendToSocket {
                bytes: nonzero(8 << 20),
                chunk: nonzero(64 << 10),
                via: Via::Splice
            }),
            Op::CopyFileRange(CopyFileRange {
                bytes: nonzero(4 << 20),
                reflink: true,
            }),
            Op::UringWrite(UringWrite(Uring {
                bytes: nonzero(1 << 20),
                chunk: nonzero(64 << 10),
                offset: 1 << 20,
                depth: nonzero(8),
                sqpoll: true,
                fixed: true,
            })),
            Op::UringRead(UringRead(Uring {
                bytes: nonzero(1 << 20),
                chunk: nonzero(4096),
                offset: 4096,
                depth: nonzero(32),
                sqpoll: false,
                fixed: false,
            })),
            Op::Sleep(Sleep { ms: 250 }),
            Op::WaitWriteback(WaitWriteback {
                timeout_ms: 30_000,
                flusher: false,
            }),
            Op::WaitWriteback(WaitWriteback {
                timeout_ms: 5000,
                flusher: true,
            }),
            Op::Program(Program {
                cmd: vec![
                    Arg(vec![Piece::Text("cp".into())]),
                    Arg(vec![Piece::File]),
                    Arg(vec![Piece::Workdir, Piece::Text("/copy-{1}".into())]),
                ],
                requires: vec!["cp".into()],
                watch: WatchPath::new("copy-{1}"),
                timeout_ms: nonzero(5000),
            }),
            Op::Note,
        ]
    );
    // Every op name of the format appears, so this fixture stays complete.
    for name in ops::names() {
        assert!(
            ops.iter().any(|o| o.name() == name),
            "every-op.toml lacks `{name}`"
        );
    }
    let last = plan.steps().last().unwrap();
    assert_eq!(last.say.as_ref().unwrap().zh.as_deref(), Some("完成。"));
    assert_eq!(last.ask.as_ref().unwrap().en, "What happened?");
    assert_eq!(last.calls.as_deref(), Some("a → b → c"));
    // Step lines point at their [[step]] headers.
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/every-op.toml"),
    )
    .unwrap();
    for step in plan.steps() {
        assert_eq!(
            text.lines().nth(step.line - 1),
            Some("[[step]]"),
            "step at line {}",
            step.line
        );
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let plan = valid("defaults.toml");
    assert_eq!((plan.file().size, plan.file().cached), (0, true));
    assert_eq!(
        (
            plan.meta().lesson,
            plan.meta().tags.len(),
            plan.meta().title.zh.as_ref()
        ),
        (None, 0, None)
    );
    let ops: Vec<Op> = plan.steps().iter().map(|s| s.op.clone()).collect();
    assert_eq!(
        ops,
        [
            Op::BufferedWrite(BufferedWrite {
                bytes: nonzero(8192),
                chunk: nonzero(100),
                buffer: nonzero(8192)
            }),
            Op::Pwrite(Pwrite {
                bytes: nonzero(8192),
                chunk: nonzero(4096),
                offset: 0,
                pattern: Pattern::Sequential,
                rwf: Rwf::NONE,
            }),
            Op::Read(Read {
                bytes: nonzero(8192),
                chunk: nonzero(4096),
                offset: 0,
                rwf: Rwf::NONE,
            }),
            Op::SyncFileRange(SyncFileRange { wait: false }),
            Op::Reopen(Reopen {
                flags: OpenFlags::default()
            }),
            Op::Mmap(Mmap {
                bytes: Extent::Bytes(nonzero(8192)),
                offset: 0,
                shared: true,
                write: false,
                populate: false
            }),
            Op::Touch(Touch {
                pages: nonzero(2),
                stride: nonzero(1),
                write: false,
                target: Target::File
            }),
            Op::Msync(Msync {
                asynchronous: false
            }),
            Op::Munmap(Munmap {
                target: Target::File
            }),
            Op::Send(SendToSocket {
                bytes: nonzero(8192),
                chunk: nonzero(4096),
                via: Via::ReadWrite
            }),
        ]
    );
    assert!(
        plan.steps()
            .iter()
            .all(|s| s.say.is_none() && s.expect.is_empty())
    );
}

#[test]
fn sizes_and_rules_in_every_spelling() {
    let plan = valid("sizes-and-rules.toml");
    assert_eq!(
        plan.meta().summary.en,
        "Multi-line summary with a line continuation."
    );
    assert_eq!(plan.file().size, 3 << 29);
    assert_eq!(
        plan.steps()[0].op,
        Op::Write(Write {
            bytes: nonzero(2_000_000),
            chunk: nonzero(512),
            rwf: Rwf::NONE,
        })
    );
    // Expectations keep the order they were written in.
    let first: Vec<(Key, Rule)> = plan.steps()[0]
        .expect
        .iter()
        .map(|e| (e.key, e.rule))
        .collect();
    assert_eq!(
        first,
        [
            (Key::Syscalls, Rule::Eq(3907)),
            (Key::Wchar, Rule::Eq(2_000_000)),
            (Key::Rchar, Rule::Le(4096)),
            (Key::MinorFaults, Rule::Lt(100)),
            (Key::MajorFaults, Rule::Gt(0)),
            (Key::FileDirtyPages, Rule::Range(488, 1024)),
        ]
    );
    let second: Vec<(Key, Rule)> = plan.steps()[1]
        .expect
        .iter()
        .map(|e| (e.key, e.rule))
        .collect();
    assert_eq!(
        second,
        [
            (Key::Syscalls, Rule::Eq(1)),
            (Key::FileDirtyPages, Rule::Range(0, 0)),
            (Key::ModeSwitches, Rule::Ge(1))
        ]
    );
}

/// Property: whatever prefix of a valid file is parsed, the parser does not
/// panic, and an error points at a real line and column of that text.
#[test]
fn every_truncation_of_a_valid_file_fails_cleanly_or_parses() {
    for path in fixtures("valid") {
        let text = fs::read_to_string(&path).unwrap();
        let cuts = (0..=text.len()).filter(|&i| text.is_char_boundary(i));
        for cut in cuts {
            let prefix = &text[..cut];
            if let Err(e) = iotour_core::scenario::parse_str(
                prefix,
                "cut",
                iotour_core::scenario::Origin::Builtin,
            ) {
                let (line, column) = (e.line().unwrap(), e.column().unwrap());
                let lines: Vec<&str> = prefix.split('\n').collect();
                assert!(
                    line >= 1 && line <= lines.len(),
                    "{}@{cut}: line {line}\n{e}",
                    path.display()
                );
                let width = lines[line - 1].chars().count();
                assert!(
                    column >= 1 && column <= width + 1,
                    "{}@{cut}: column {column}\n{e}",
                    path.display()
                );
            }
        }
    }
}
