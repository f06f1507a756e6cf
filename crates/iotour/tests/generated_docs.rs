//! `iotour completions bash|zsh|fish` and `iotour man`, run as a user would:
//! each names every subcommand, so a new one cannot be left out.

use std::process::Command;

use clap::CommandFactory;
use iotour::cli::Cli;

fn iotour(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(args)
        .output()
        .expect("the iotour binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("generated text is UTF-8")
}

fn subcommands() -> Vec<String> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for expected in [
        "run",
        "check",
        "new",
        "report",
        "replay",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    names
}

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    let names = subcommands();
    for (shell, marker) in [
        ("bash", "complete -F _iotour"),
        ("zsh", "#compdef iotour"),
        ("fish", "complete -c iotour"),
    ] {
        let script = iotour(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: no `{name}`");
        }
        // Flags too, e.g. `report --svg` and the global --lang.
        assert!(script.contains("svg") && script.contains("lang"), "{shell}");
    }
}

#[test]
fn an_unknown_shell_is_bad_input() {
    let out = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["completions", "cmd.exe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let page = iotour(&["man"]);
    assert!(page.contains(".TH iotour 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for name in subcommands() {
        assert!(
            page.contains(&format!("iotour\\-{}", name.replace('-', "\\-"))),
            "no {name}:\n{page}"
        );
    }
}
