//! The message catalogs: every user-facing text of the screens and of the
//! localized command output, one key per message, in
//! `assets/locales/en.toml` and `assets/locales/zh.toml`, embedded in the
//! binary. Code names a message by its key:
//!
//! ```ignore
//! t!(lang, "picker.choose_a_scenario")                  // a &'static str
//! t!(lang, "inspect.files_every", n = n, at = clock)    // a String, {n} and {at} filled in
//! k!("footer.pause")                                    // a key kept in data, looked up later
//! ```
//! A catalog is TOML: a table per section, `key = "text"`; `{name}` is a
//! named placeholder. The test `every_key_is_in_both_languages_and_every_used_key_exists`
//! checks that both catalogs have the same keys and placeholders and that
//! every key the source names exists. A key missing at run time shows as
//! itself (and fails that test), never as a panic.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

use iotour_core::scenario::Lang;

/// The catalogs as written.
pub const EN: &str = include_str!("../../../assets/locales/en.toml");
pub const ZH: &str = include_str!("../../../assets/locales/zh.toml");

/// `section.key` → text.
pub type Catalog = HashMap<String, String>;

/// A catalog's text as a flat map (`section.key`), or why it is not one.
pub fn parse(text: &str) -> Result<Catalog, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = Catalog::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            other => return Err(format!("{key}: a {} is not a message", other.type_str())),
        }
    }
    Ok(())
}

fn catalogs() -> &'static [Catalog; 2] {
    static CATALOGS: OnceLock<[Catalog; 2]> = OnceLock::new();
    CATALOGS.get_or_init(|| [parse(EN).unwrap_or_default(), parse(ZH).unwrap_or_default()])
}

fn catalog(lang: Lang) -> &'static Catalog {
    let [en, zh] = catalogs();
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The message `key` in `lang` (English when the Chinese catalog lacks it,
/// the key itself when neither has it).
pub fn text(lang: Lang, key: &'static str) -> &'static str {
    catalog(lang)
        .get(key)
        .or_else(|| catalog(Lang::En).get(key))
        .map_or(key, String::as_str)
}

/// The message `key` in `lang` with each `{name}` replaced by its value.
pub fn format(lang: Lang, key: &'static str, args: &[(&str, &dyn Display)]) -> String {
    fill(text(lang, key), args)
}

/// `template` with each `{name}` of `args` replaced; other braces stay.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v, close))
        });
        if let Some((v, close)) = named {
            out.push_str(&v.to_string());
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders (`{name}`) of a message.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                names.push(name);
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// A message by key: `t!(lang, "section.key")` is the text;
/// `t!(lang, "section.key", name = value, …)` fills its placeholders.
#[macro_export]
macro_rules! t {
    ($lang:expr, $key:literal) => {
        $crate::i18n::text($lang, $key)
    };
    ($lang:expr, $key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::format(
            $lang,
            $key,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

/// A message key kept in data (a keymap's words) and looked up later with
/// [`text`]; written so, the catalog test finds it.
#[macro_export]
macro_rules! k {
    ($key:literal) => {
        $key
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_by_name_and_other_braces_stay() {
        let n = 3;
        assert_eq!(
            fill("{n} files in {dir} {x} {", &[("n", &n), ("dir", &"/tmp")]),
            "3 files in /tmp {x} {"
        );
        assert_eq!(placeholders("{b} and {a} and {b} {not a name}"), ["a", "b"]);
    }

    /// Every `t!(…, "key")` and `k!("key")` in the front's source, with
    /// where it is.
    fn keys_in_source() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for mac in ["t!(", "k!("] {
                    for (at, _) in text.match_indices(mac) {
                        // `t!(`, not the end of `format!(` or `print!(`.
                        let before = text[..at].chars().next_back();
                        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                            continue;
                        }
                        let rest = &text[at + mac.len()..];
                        let Some(open) = rest.find('"') else { continue };
                        let key = &rest[open + 1..];
                        let key = &key[..key.find('"').unwrap()];
                        let line = text[..at].lines().count();
                        out.push((key.to_string(), format!("{}:{line}", path.display())));
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    #[test]
    fn every_key_is_in_both_languages_and_every_used_key_exists() {
        let (en, zh) = (parse(EN).unwrap(), parse(ZH).unwrap());
        for (key, text) in &en {
            let other = zh
                .get(key)
                .unwrap_or_else(|| panic!("{key} is not in zh.toml"));
            // Chinese has no plural: it may leave out English's `{s}`.
            let mut theirs = placeholders(other);
            let mut ours = placeholders(text);
            ours.retain(|p| *p != "s");
            theirs.retain(|p| *p != "s");
            assert_eq!(ours, theirs, "{key}: the placeholders differ");
            assert!(
                !placeholders(other).contains(&"s") || placeholders(text).contains(&"s"),
                "{key}: zh has an {{s}} that en has not"
            );
            assert!(!other.is_empty(), "{key} is empty in zh.toml");
        }
        for key in zh.keys() {
            assert!(en.contains_key(key), "{key} is in zh.toml only");
        }
        let used = keys_in_source();
        assert!(used.len() > 200, "{} keys found in the source", used.len());
        for (key, at) in &used {
            assert!(en.contains_key(key), "{at}: {key} is in no catalog");
        }
        for key in en.keys() {
            assert!(
                used.iter().any(|(k, _)| k == key),
                "{key} is in the catalogs but never used"
            );
        }
    }

    #[test]
    fn both_catalogs_parse() {
        for text in [EN, ZH] {
            let c = parse(text).unwrap();
            assert!(c.len() > 100, "{}", c.len());
        }
    }
}
