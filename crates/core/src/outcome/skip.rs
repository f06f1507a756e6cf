//! Why a step (and so its run) ended skipped: the lesson needs something
//! this machine does not have. A skip is neither a pass nor a failure:
//! `verify` says SKIP with the reason (`--strict` counts it as failed), and
//! the steps after it do not run (they build on it).

use serde::{Deserialize, Serialize};

/// What was missing. [`Skip`]'s `Display` is the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Skip {
    /// A kernel feature the running kernel lacks (or that was switched off
    /// with `IOTOUR_DISABLE`).
    KernelFeature {
        /// What the step needs, e.g. `RWF_DONTCACHE (uncached buffered I/O)`.
        feature: String,
        /// The Linux version that brought it, e.g. `6.14`.
        since: String,
        /// What the kernel said (or that it was switched off).
        detail: String,
    },
    /// A program the step runs is not installed.
    NotInstalled {
        program: String,
        /// What to install, e.g. `the redis-server package (apt-get install redis-server)`.
        install: String,
    },
}

impl Skip {
    /// `feature` (Linux `since`) is missing: `detail` says how we know.
    pub fn kernel_feature(
        feature: impl Into<String>,
        since: impl Into<String>,
        detail: impl Into<String>,
    ) -> Skip {
        Skip::KernelFeature {
            feature: feature.into(),
            since: since.into(),
            detail: detail.into(),
        }
    }

    /// `program` is not installed: `install` says what to install.
    pub fn not_installed(program: impl Into<String>, install: impl Into<String>) -> Skip {
        Skip::NotInstalled {
            program: program.into(),
            install: install.into(),
        }
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::KernelFeature {
                feature,
                since,
                detail,
            } => write!(
                f,
                "{feature} came with Linux {since}; not available here ({detail})"
            ),
            Skip::NotInstalled { program, install } => {
                write!(f, "{program} is not installed: install {install}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_the_version_or_what_to_install() {
        let k = Skip::kernel_feature("RWF_DONTCACHE", "6.14", "pwritev2 said EOPNOTSUPP");
        assert_eq!(
            k.to_string(),
            "RWF_DONTCACHE came with Linux 6.14; not available here (pwritev2 said EOPNOTSUPP)"
        );
        let p = Skip::not_installed("redis-server", "the redis-server package");
        assert_eq!(
            p.to_string(),
            "redis-server is not installed: install the redis-server package"
        );
    }

    #[test]
    fn it_round_trips_through_serde() {
        let k = Skip::kernel_feature("io_uring", "5.1", "io_uring_setup: ENOSYS");
        let json = serde_json::to_string(&k).unwrap();
        assert!(json.contains(r#""kind":"kernel_feature""#), "{json}");
        assert_eq!(serde_json::from_str::<Skip>(&json).unwrap(), k);
    }
}
