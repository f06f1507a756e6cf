//! Every scenario the program knows: the built-ins embedded at build time
//! (see build.rs), then `./scenarios/`, then each `--scenarios DIR`.
//!
//! A broken file is an entry holding its error, not a reason to refuse the
//! whole catalog: `iotour list` shows it with its message and the other
//! lessons stay usable. Later sources override earlier ones with the same id,
//! so a teacher editing `scenarios/x.toml` in a checkout runs the edited text.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{ScenarioError, close_names};
use super::parse::{parse_file, parse_str};
use super::plan::{Lang, Origin, Plan};

include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// One scenario of the catalog, parsed or not.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file stem.
    pub id: String,
    pub origin: Origin,
    pub plan: Result<Plan, ScenarioError>,
}

impl Entry {
    pub fn lesson(&self) -> Option<u32> {
        self.plan.as_ref().ok().and_then(|p| p.meta().lesson)
    }

    /// The title in `lang` (English when untranslated); `None` when broken.
    pub fn title(&self, lang: Lang) -> Option<&str> {
        self.plan.as_ref().ok().map(|p| p.meta().title.get(lang))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Sorted in teaching order: by `lesson` (unnumbered last), then id.
    entries: Vec<Entry>,
    /// Directories that could not be read (a mistyped `--scenarios DIR`).
    problems: Vec<ScenarioError>,
}

impl Catalog {
    /// The embedded scenarios only.
    pub fn builtin() -> Catalog {
        let mut catalog = Catalog::default();
        for &(id, text) in BUILTINS {
            catalog.insert(Entry {
                id: id.to_owned(),
                origin: Origin::Builtin,
                plan: parse_str(text, id, Origin::Builtin),
            });
        }
        catalog.sort();
        catalog
    }

    /// Built-ins, `./scenarios/` of the current directory if there is one,
    /// then each of `extra_dirs` in order.
    pub fn load(extra_dirs: &[PathBuf]) -> Catalog {
        let local = Path::new("scenarios");
        Catalog::load_from(local.is_dir().then_some(local), extra_dirs)
    }

    /// [`Catalog::load`] with the local directory passed in (for tests).
    pub fn load_from(local: Option<&Path>, extra_dirs: &[PathBuf]) -> Catalog {
        let mut catalog = Catalog::builtin();
        let mut seen = HashSet::new();
        for dir in local
            .into_iter()
            .chain(extra_dirs.iter().map(PathBuf::as_path))
        {
            // `--scenarios scenarios` from the repo root names ./scenarios twice.
            if seen.insert(fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())) {
                catalog.add_dir(dir);
            }
        }
        catalog.sort();
        catalog
    }

    fn add_dir(&mut self, dir: &Path) {
        let listing = match fs::read_dir(dir) {
            Ok(listing) => listing,
            Err(e) => return self.problems.push(ScenarioError::read(dir, e)),
        };
        let mut paths: Vec<PathBuf> = listing
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Run from the repo root, ./scenarios/ holds the built-ins
            // themselves: the same text is the same scenario, listed once.
            let text = fs::read_to_string(&path);
            if let Ok(text) = &text
                && builtin_text(&id) == Some(text.as_str())
            {
                continue;
            }
            let plan = match text {
                Ok(_) => parse_file(&path),
                Err(e) => Err(ScenarioError::read(&path, e)),
            };
            self.insert(Entry {
                id,
                origin: Origin::File(path),
                plan,
            });
        }
    }

    fn insert(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.id == entry.id) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
    }

    fn sort(&mut self) {
        self.entries.sort_by(|a, b| {
            (a.lesson().is_none(), a.lesson(), &a.id).cmp(&(
                b.lesson().is_none(),
                b.lesson(),
                &b.id,
            ))
        });
    }

    /// All entries in teaching order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Directories that could not be read.
    pub fn problems(&self) -> &[ScenarioError] {
        &self.problems
    }

    /// A scenario by id, or by path to a `.toml` file.
    ///
    /// An argument that names an existing file, or looks like a path (has a
    /// `/` or ends in `.toml`), is read as a file; anything else is an id.
    pub fn resolve(&self, arg: &str) -> Result<Plan, ScenarioError> {
        let path = Path::new(arg);
        let looks_like_path = arg.contains('/')
            || path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("toml"));
        if looks_like_path || (self.get(arg).is_none() && path.is_file()) {
            return parse_file(path);
        }
        if let Some(entry) = self.get(arg) {
            return entry.plan.clone();
        }
        let known: Vec<String> = self.entries.iter().map(|e| e.id.clone()).collect();
        let suggestions = close_names(arg, known.iter().map(String::as_str))
            .into_iter()
            .map(str::to_owned)
            .collect();
        Err(ScenarioError::Unknown {
            name: arg.to_owned(),
            suggestions,
            known,
        })
    }
}

/// The embedded text of built-in `id`.
pub fn builtin_text(id: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|&(_, text)| text)
}

/// Ids of the built-ins, sorted.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|&(id, _)| id)
}

/// The built-in ids in teaching order: by `lesson`, lessons without a
/// number last, then by id. The order `iotour list` shows and `iotour
/// verify` runs them in ([`builtin_ids`] is in file order).
pub fn builtin_ids_in_teaching_order() -> Vec<String> {
    Catalog::builtin()
        .entries()
        .iter()
        .map(|e| e.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    const MINIMAL: &str = "[scenario]\ntitle = \"T\"\nsummary = \"S\"\n[[step]]\nop = \"note\"\n";

    #[test]
    fn embedded_list_matches_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let mut on_disk: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        assert_eq!(builtin_ids().collect::<Vec<_>>(), on_disk);
        assert!(on_disk.iter().any(|id| id == "unbuffered-write"));
    }

    #[test]
    fn every_builtin_parses() {
        for entry in Catalog::builtin().entries() {
            assert!(
                entry.plan.is_ok(),
                "{}: {}",
                entry.id,
                entry.plan.as_ref().unwrap_err()
            );
            assert_eq!(entry.origin, Origin::Builtin);
        }
    }

    #[test]
    fn the_builtins_dir_itself_is_not_listed_twice() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let catalog = Catalog::load_from(Some(&here), std::slice::from_ref(&here));
        assert_eq!(catalog.entries().len(), Catalog::builtin().entries().len());
        assert!(
            catalog
                .entries()
                .iter()
                .all(|e| e.origin == Origin::Builtin)
        );
    }

    #[test]
    fn the_builtins_have_an_explicit_teaching_order() {
        let order = builtin_ids_in_teaching_order();
        assert_eq!(order.len(), BUILTINS.len());
        let catalog = Catalog::builtin();
        let lessons: Vec<Option<u32>> = order
            .iter()
            .map(|id| catalog.get(id).unwrap().lesson())
            .collect();
        // Numbered lessons first, each number once and rising; any
        // unnumbered built-in after them.
        let numbered: Vec<u32> = lessons.iter().map_while(|l| *l).collect();
        assert!(
            numbered.windows(2).all(|w| w[0] < w[1]),
            "{order:?}: {lessons:?}"
        );
        assert!(
            lessons[numbered.len()..].iter().all(Option::is_none),
            "{lessons:?}"
        );
        assert!(numbered.len() >= 18, "{lessons:?}");
        assert_eq!(order[0], "unbuffered-write");
        // File order is not teaching order (the alphabet would start with
        // buffered-write), so the two must not be confused.
        assert_ne!(order, builtin_ids().collect::<Vec<_>>());
    }

    #[test]
    fn broken_user_files_are_kept_with_their_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good.toml", MINIMAL);
        write(dir.path(), "bad.toml", "[scenario]\ntitle = 1\n");
        write(dir.path(), "notes.txt", "not a scenario");
        let catalog = Catalog::load_from(None, &[dir.path().to_owned()]);
        let good = catalog.get("good").unwrap();
        assert!(good.plan.is_ok());
        let bad = catalog.get("bad").unwrap();
        // Every mistake is kept: `title` is not a string (line 2), and there
        // is no summary and no step (both reported at the [scenario] header).
        let lines: Vec<usize> = bad
            .plan
            .as_ref()
            .unwrap_err()
            .diagnostics()
            .iter()
            .map(|d| d.line)
            .collect();
        assert_eq!(lines, [1, 1, 2]);
        assert!(catalog.get("notes").is_none());
        // Teaching order: numbered lessons first, then the rest by id.
        let ids: Vec<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
        let first_unnumbered = ids.iter().position(|id| *id == "bad").unwrap();
        assert!(ids[..first_unnumbered].contains(&"unbuffered-write"));
        assert!(ids[first_unnumbered..].windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_user_file_overrides_a_builtin_of_the_same_id() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "unbuffered-write.toml", MINIMAL);
        let catalog = Catalog::load_from(Some(dir.path()), &[]);
        let entry = catalog.get("unbuffered-write").unwrap();
        assert_eq!(
            entry.origin,
            Origin::File(dir.path().join("unbuffered-write.toml"))
        );
        assert_eq!(
            catalog
                .entries()
                .iter()
                .filter(|e| e.id == "unbuffered-write")
                .count(),
            1
        );
    }

    #[test]
    fn a_missing_directory_is_a_problem_not_a_panic() {
        let catalog = Catalog::load_from(None, &[PathBuf::from("/nonexistent/iotour-dir")]);
        assert_eq!(catalog.problems().len(), 1);
        assert!(
            catalog.problems()[0]
                .to_string()
                .contains("/nonexistent/iotour-dir")
        );
    }

    #[test]
    fn resolve_by_id_path_and_typo() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "mine.toml", MINIMAL);
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.resolve("unbuffered-write").unwrap().id(),
            "unbuffered-write"
        );
        let mine = catalog.resolve(path.to_str().unwrap()).unwrap();
        assert_eq!(
            (mine.id(), mine.origin().clone()),
            ("mine", Origin::File(path))
        );
        let err = catalog.resolve("unbufered-write").unwrap_err();
        assert!(
            err.to_string().contains("did you mean `unbuffered-write`"),
            "{err}"
        );
        let err = catalog.resolve("./missing.toml").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read `./missing.toml`: "),
            "{err}"
        );
    }
}
