//! `run --json`: a run's outcome as one JSON object, in [`RunReport`]'s schema.

use iotour_core::outcome::RunOutcome;

use super::RunReport;

/// Pretty-printed JSON of a whole run.
pub fn render(outcome: &RunOutcome) -> serde_json::Result<String> {
    crate::cli::output::json_pretty(&RunReport::from(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotour_core::outcome::{Environment, Modeled, Readings, Sources, StepOutcome};

    #[test]
    fn unknown_values_are_null_not_zero() {
        let r = RunOutcome {
            scenario: "s".into(),
            title: "t".into(),
            environment: Environment {
                iotour_version: "0".into(),
                kernel: "6.18".into(),
                page_size: 4096,
                workdir: "/tmp/x".into(),
                filesystem: "ext4".into(),
                sources: Sources {
                    syscalls: "engine".into(),
                    faults: "rusage".into(),
                    user_faults: "modeled".into(),
                    ctx_switches: "rusage".into(),
                    io: "unavailable".into(),
                    pages: "mincore".into(),
                    system: "meminfo".into(),
                    notes: vec![],
                },
                machine: None,
            },
            steps: vec![StepOutcome {
                index: 1,
                op: "write".into(),
                say: None,
                duration_ns: Some(5),
                measured: Readings {
                    syscalls: Some(0),
                    ..Readings::default()
                },
                modeled: Modeled::default(),
                expect: vec![],
                error: None,
                program: None,
                skipped: None,
                ended_early_ns: None,
            }],
            ok: true,
        };
        let v: serde_json::Value = serde_json::from_str(&render(&r).unwrap()).unwrap();
        let m = &v["steps"][0]["measured"];
        assert_eq!(m["syscalls"], 0);
        assert!(m["wchar"].is_null());
        assert!(m["file_dirty_pages"].is_null());
        for key in ["scenario", "title", "environment", "steps", "ok"] {
            assert!(v.get(key).is_some(), "{key}");
        }
        for key in [
            "index",
            "op",
            "say",
            "duration_ns",
            "measured",
            "modeled",
            "expect",
        ] {
            assert!(v["steps"][0].get(key).is_some(), "{key}");
        }
        assert!(v["environment"]["sources"]["syscalls"].is_string());
    }
}
