//! Embeds every `scenarios/*.toml` in the binary: the list is generated from
//! the directory, so a new lesson file cannot be forgotten in a hand-kept list.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("../../scenarios");
    // A directory here makes cargo rerun this script when any file in it
    // changes, is added or is removed.
    println!("cargo:rerun-if-changed=../../scenarios");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files: Vec<(String, String)> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .map(|p| {
                let id = p
                    .file_stem()
                    .expect("a .toml file has a stem")
                    .to_string_lossy()
                    .into_owned();
                (id, p.display().to_string())
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();

    let mut out = String::from(
        "/// `(id, text)` of each `scenarios/*.toml`, sorted by id.\npub(super) static BUILTINS: &[(&str, &str)] = &[\n",
    );
    for (id, path) in &files {
        writeln!(out, "    ({id:?}, include_str!({path:?})),").expect("writing to a String");
    }
    out.push_str("];\n");
    let target =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_scenarios.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}
