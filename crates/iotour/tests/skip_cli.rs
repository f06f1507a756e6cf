//! A step skipped because the machine lacks what it needs (here a kernel
//! feature switched off with `IOTOUR_DISABLE`, as an older kernel would
//! lack it): `verify` says SKIP with the reason and exits 0, `--strict`
//! exits 1; the headless table and `--json` carry the reason.

use crate::support::headless::{iotour_cmd, scenario, scratch};

const DONTCACHE: &str = r#"
[scenario]
title = "Skip"
summary = "A write that needs RWF_DONTCACHE."

[file]
size = "0"

[[step]]
op = "write"
bytes = 4096
chunk = 4096
expect = { syscalls = "== 1" }

[[step]]
op = "pwrite"
bytes = "1MiB"
chunk = "64KiB"
rwf = ["dontcache"]
expect = { wchar = "== 1MiB" }

[[step]]
op = "fsync"
"#;

#[test]
fn verify_says_skip_with_the_kernel_version_and_strict_fails() {
    let dir = scratch();
    let file = scenario(dir.path(), "needs-dontcache.toml", DONTCACHE);
    let f = file.to_str().unwrap();
    let run = |args: &[&str]| {
        iotour_cmd(args, dir.path())
            .env("IOTOUR_DISABLE", "dontcache")
            .output()
            .unwrap()
    };
    let out = run(&["verify", f]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = text.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("SKIP needs-dontcache: step 2 (pwrite) RWF_DONTCACHE")
            && line.contains("came with Linux 6.14")
            && line.contains("IOTOUR_DISABLE=dontcache"),
        "{text}"
    );
    assert!(!text.contains("PASS") && !text.contains("FAIL"), "{text}");
    assert!(text.contains("1 scenario(s) skipped"), "{text}");
    let strict = run(&["verify", "--strict", f]);
    assert_eq!(strict.status.code(), Some(1));

    let table = run(&["run", f, "--headless"]);
    let t = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(0), "{t}");
    assert!(t.contains("    SKIP: RWF_DONTCACHE"), "{t}");
    assert!(
        t.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("SKIP at step 2: "),
        "{t}"
    );

    let json = run(&["run", f, "--headless", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["skipped"].as_str().unwrap().contains("6.14"), "{v}");
    assert_eq!(v["steps"].as_array().unwrap().len(), 2);
    assert!(v["steps"][0].get("skipped").is_none());
    assert!(
        v["steps"][1]["skipped"]
            .as_str()
            .unwrap()
            .contains("RWF_DONTCACHE")
    );
}
