//! Text helpers shared by the panels: number formats that say "unknown"
//! instead of 0, and line wrapping by display width (Chinese characters take
//! two columns and may break anywhere; English breaks at spaces).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A count, or `?` when the source could not measure it.
pub fn opt_count(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), count)
}

/// Wrap `text` to lines of at most `width` display columns. Words stay whole
/// where they fit; a word wider than the line, and runs of CJK text (which
/// have no spaces), break between characters. Explicit newlines are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        for token in tokens(para) {
            let tw = token.width();
            if token == " " {
                if line_w > 0 && line_w < width {
                    line.push(' ');
                    line_w += 1;
                }
                continue;
            }
            if line_w + tw > width && line_w > 0 {
                lines.push(line.trim_end().to_string());
                line.clear();
                line_w = 0;
            }
            if tw <= width {
                line.push_str(token);
                line_w += tw;
                continue;
            }
            for ch in token.chars() {
                let cw = ch.width().unwrap_or(0);
                if line_w + cw > width && line_w > 0 {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(ch);
                line_w += cw;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Words, single spaces, and single wide characters (each its own token, so
/// CJK text can break between any two characters).
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in s.char_indices() {
        let wide = ch.width().unwrap_or(0) > 1;
        if ch == ' ' || wide {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            out.push(&s[i..i + ch.len_utf8()]);
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// A character of a script written without spaces (two columns wide: CJK).
pub fn is_cjk(c: char) -> bool {
    c.width() == Some(2)
}

/// Cut `s` to at most `width` columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = ch.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(ch);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_for_reading() {
        assert_eq!(count(10486), "10,486");
        assert_eq!(count(999), "999");
        assert_eq!(opt_count(None), "?");
    }

    /// The program's one byte formatter (`iotour_core::size::format_size`,
    /// which every panel and table uses) at its boundaries: a unit changes
    /// where the rounded figure would reach 1024, never showing "1024.0 KiB".
    #[test]
    fn bytes_change_unit_at_the_rounded_boundary() {
        use iotour_core::size::format_size as bytes;
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes((1 << 20) - 1), "1.0 MiB");
        assert_eq!(bytes((1 << 20) - 52), "1023.9 KiB");
        assert_eq!(bytes(1 << 20), "1.0 MiB");
        assert_eq!(bytes((1 << 30) - 1), "1.0 GiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes((1 << 40) - 1), "1.0 TiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn english_wraps_at_spaces() {
        let l = wrap("each call crosses into the kernel", 12);
        assert_eq!(l, ["each call", "crosses into", "the kernel"]);
    }

    #[test]
    fn chinese_wraps_by_display_width() {
        // Each character is two columns: five fit in ten columns.
        let l = wrap("每次调用都进入内核一次", 10);
        assert_eq!(l, ["每次调用都", "进入内核一", "次"]);
        assert!(l.iter().all(|s| s.width() <= 10));
        let mixed = wrap("调用 write(2) 一次", 9);
        assert!(mixed.iter().all(|s| s.width() <= 9), "{mixed:?}");
        assert_eq!(mixed.concat().replace(' ', ""), "调用write(2)一次");
    }

    #[test]
    fn long_words_break_and_fit_truncates() {
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(fit("page cache", 6), "page …");
        assert_eq!(fit("页缓存区", 5), "页缓…");
    }
}
