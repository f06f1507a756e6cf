//! How fast `inspect` is on a big file and on many small files, next to
//! `fincore` (util-linux) on the same files in the same run.
//!
//! `cargo bench --bench inspect`. Files are made under `target/bench-files`
//! (a real filesystem: the page cache of tmpfs is not what we measure):
//! a 10 GiB sparse file with its first 1 GiB written (so the map walks a
//! gigabyte of cached pages, not only holes), and 10,000 files of 4 KiB in
//! 100 directories. They are kept between runs.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iotour_core::inspect::report::SortKey;
use iotour_core::inspect::walk::WalkOptions;
use iotour_core::inspect::{Options, Probe, inspect};
use iotour_core::probe::Disabled;
use iotour_core::probe::pages::{PageProbe, PagesSource};

const BIG: u64 = 10 << 30;
const WRITTEN: u64 = 1 << 30;
const SMALL_FILES: usize = 10_000;
const RUNS: usize = 15;

fn main() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-files");
    fs::create_dir_all(&base).unwrap();
    let big = make_big(&base);
    let (tree, names) = make_tree(&base);
    let probe = Probe::detect(&Disabled::default());
    println!(
        "source: {}{}",
        probe.pages.source().as_str(),
        probe
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!("median and slowest of {RUNS} runs\n");
    println!("{:<58} {:>10} {:>10}", "what", "median", "max");

    // The map: what a live view refreshes (open, fstat, 256 cachestat calls).
    let map = Options {
        map_cells: 256,
        ..Options::default()
    };
    let counts_only = Options::default();
    row(
        "10 GiB file (1 GiB cached): map of 256 cells, in process",
        || {
            let r = inspect(std::slice::from_ref(&big), &map, &probe).unwrap();
            assert!(r.map.is_some() && r.totals.cached.unwrap() > 0);
        },
    );
    let mincore = Probe {
        pages: PageProbe::with_source(PagesSource::Mincore),
        note: None,
    };
    row("10 GiB file: the same map via the mincore fallback", || {
        let r = inspect(std::slice::from_ref(&big), &map, &mincore).unwrap();
        assert!(r.totals.cached.unwrap() > 0);
    });
    row("10 GiB file: `iotour inspect --json` (process)", || {
        run(Command::new(env!("CARGO_BIN_EXE_iotour"))
            .args(["inspect", "--json"])
            .arg(&big));
    });
    row("10 GiB file: `fincore` (process)", || {
        run(Command::new("fincore").arg(&big));
    });

    let walk = Options {
        walk: WalkOptions::default(),
        sort: SortKey::Path,
        ..counts_only
    };
    row("10,000 files of 4 KiB: walk + counts, in process", || {
        let r = inspect(std::slice::from_ref(&tree), &walk, &probe).unwrap();
        assert_eq!(r.totals.files, SMALL_FILES as u64);
    });
    row(
        "10,000 files: `iotour inspect --json DIR` (process)",
        || {
            run(Command::new(env!("CARGO_BIN_EXE_iotour"))
                .args(["inspect", "--json"])
                .arg(&tree));
        },
    );
    row(
        "10,000 files: `fincore FILE...` (process, names given)",
        || {
            run(Command::new("fincore").current_dir(&tree).args(&names));
        },
    );
}

/// Time `f` RUNS times after one warm-up, print median and max.
fn row(what: &str, mut f: impl FnMut()) {
    f();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{what:<58} {:>10} {:>10}",
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1])
    );
}

fn run(cmd: &mut Command) {
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{cmd:?}: {status}");
}

fn make_big(base: &Path) -> PathBuf {
    let path = base.join("sparse-10GiB");
    let f = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .unwrap();
    if f.metadata().unwrap().len() != BIG {
        f.set_len(BIG).unwrap();
    }
    // Bring the first gigabyte (back) into the cache by writing it: the map
    // should have cached pages to count, not only holes.
    let chunk = vec![0xa5u8; 8 << 20];
    let mut off = 0;
    while off < WRITTEN {
        f.write_all_at(&chunk, off).unwrap();
        off += chunk.len() as u64;
    }
    f.sync_all().unwrap();
    path
}

fn make_tree(base: &Path) -> (PathBuf, Vec<String>) {
    let tree = base.join("small-files");
    let names: Vec<String> = (0..SMALL_FILES)
        .map(|i| format!("d{:02}/f{:04}", i / 100, i % 100))
        .collect();
    let done = base.join("small-files.done");
    if !done.exists() {
        let _ = fs::remove_dir_all(&tree);
        for name in &names {
            let path = tree.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            File::create(&path)
                .unwrap()
                .write_all(&[7u8; 4096])
                .unwrap();
        }
        Command::new("sync").status().unwrap();
        File::create(&done).unwrap();
    }
    (tree, names)
}
