//! The one sanitizer for text that came from a file (a scenario's titles,
//! narration, questions, tags and ids; a recording's figures and messages;
//! a file name met by `inspect`; a process name in `stats`) before it is
//! printed or drawn.
//!
//! A terminal obeys control characters: an ESC in a title could clear the
//! screen, retitle the window (`ESC ] 0 ; … BEL`) or move the cursor to
//! forge a line. So every control character (C0, DEL, C1 such as U+009B,
//! which some terminals read as CSI) and every bidirectional override (which
//! can make text read in another order than it is stored) is shown escaped,
//! the way Rust writes it: `\u{1b}`, `\t`, `\u{9b}`, `\u{202e}`. Our own
//! styling never passes through here.
//!
//! Multi-line text that we wrap ourselves (a step's narration, a diagnostic
//! we built) keeps its line breaks with [`Newlines::Keep`]; everything else
//! is one line ([`Newlines::Escape`], or [`safe`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// What to do with `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newlines {
    /// Keep line breaks: multi-line text that is wrapped or printed by us.
    Keep,
    /// Show `\n` escaped: text that must stay on one line (a title, a cell).
    Escape,
}

/// Whether `c` would be obeyed rather than shown by a terminal.
fn harmful(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character and bidirectional override escaped
/// (and `\n` kept or escaped as `newlines` says). Borrowed when there was
/// nothing to escape, which is almost always.
pub fn sanitize(text: &str, newlines: Newlines) -> Cow<'_, str> {
    let keep = |c: char| c == '\n' && newlines == Newlines::Keep;
    if !text.chars().any(|c| harmful(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if harmful(c) && !keep(c) {
            // `escape_debug` writes `\t`, `\r`, `\n` and `\u{1b}` for these.
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`sanitize`] for one-line text.
pub fn safe(text: &str) -> Cow<'_, str> {
    sanitize(text, Newlines::Escape)
}

/// Whether `text` holds nothing [`sanitize`] would escape (line breaks allowed).
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(|c| harmful(c) && c != '\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_are_shown_not_obeyed() {
        assert_eq!(safe("\x1b]0;pwned\x07"), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(safe("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(safe("tab\there\r"), "tab\\there\\r");
        assert_eq!(safe("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(safe("del\x7f"), "del\\u{7f}");
    }

    #[test]
    fn newlines_are_kept_only_when_asked() {
        assert_eq!(sanitize("one\ntwo\x1b", Newlines::Keep), "one\ntwo\\u{1b}");
        assert_eq!(safe("one\ntwo"), "one\\ntwo");
    }

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for text in [
            "Unbuffered writes",
            "无缓冲写入",
            "a \"quoted\" \\ path",
            "",
        ] {
            assert!(matches!(safe(text), Cow::Borrowed(t) if t == text));
            assert!(is_clean(text));
        }
        assert!(!is_clean("\x1b"));
        assert!(is_clean("two\nlines"));
    }
}
