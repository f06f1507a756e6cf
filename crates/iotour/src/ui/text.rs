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

/// Wrap `text` to lines of at most `width` display columns, breaking only
/// where Unicode's line-breaking rules (UAX #14, the `unicode-linebreak`
/// crate) allow: at spaces, between CJK characters, but never before a
/// closing mark (。，、）」 …) or after an opening one. A piece wider than the
/// line breaks between characters. Explicit newlines are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut start = 0;
        for end in breaks(para) {
            let mut piece = &para[start..end];
            start = end;
            if line.is_empty() {
                // A line never starts with the spaces it was broken at.
                piece = piece.trim_start_matches(' ');
            }
            if piece.is_empty() {
                continue;
            }
            if line.width() + piece.trim_end().width() <= width {
                line.push_str(piece);
                continue;
            }
            if !line.trim_end().is_empty() {
                lines.push(line.trim_end().to_string());
            }
            line.clear();
            if piece.trim_end().width() <= width {
                line.push_str(piece.trim_start_matches(' '));
                continue;
            }
            let mut w = 0;
            for ch in piece.trim_end().chars() {
                let cw = ch.width().unwrap_or(0);
                if w + cw > width && w > 0 {
                    lines.push(std::mem::take(&mut line));
                    w = 0;
                }
                line.push(ch);
                w += cw;
            }
            line.push(' ');
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Where `para` may break: UAX #14's opportunities at spaces and next to
/// wide (CJK) characters. Others it allows in Latin text (after `/` or `-`)
/// would split paths and units (`/proc/PID/io`, `CANCELLED/s`), so they
/// are not taken.
fn breaks(para: &str) -> impl Iterator<Item = usize> + '_ {
    let wide = |c: Option<char>| c.is_some_and(is_cjk);
    unicode_linebreak::linebreaks(para)
        .map(|(at, _)| at)
        .filter(move |&at| {
            let before = para[..at].chars().next_back();
            let after = para[at..].chars().next();
            at == para.len()
                || (before.is_some_and(char::is_whitespace) && !splits_unit(para, at))
                || wide(before)
                || wide(after)
        })
}

/// Whether a break at `at` (just after a space) would part a number from
/// its unit: `0 B`, `4.0 KiB` and `20 ms` stay on one line, so a wrapped
/// figure never reads as a bare `0`.
fn splits_unit(para: &str, at: usize) -> bool {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "s", "ms", "µs", "ns"];
    let number_before = para[..at]
        .trim_end_matches(' ')
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit());
    let rest = &para[at..];
    number_before
        && UNITS.iter().any(|u| {
            rest.strip_prefix(u)
                .is_some_and(|tail| !tail.starts_with(|c: char| c.is_alphanumeric()))
        })
}

/// A character of a script written without spaces (two columns wide: CJK).
pub fn is_cjk(c: char) -> bool {
    c.width() == Some(2)
}

/// `s` padded with spaces to `w` display columns (a CJK character is two),
/// left-aligned, or right-aligned with `right`.
pub fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(s.width()));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
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
    fn a_number_and_its_unit_stay_on_one_line() {
        // 35 columns end just after the "0": the unit must come along.
        let lines = wrap("从磁盘读取的字节：4 KiB，应恰好为 0 B", 35);
        assert!(lines.iter().all(|l| !l.starts_with('B')), "{lines:?}");
        assert!(lines.iter().any(|l| l.ends_with("0 B")), "{lines:?}");
        let lines = wrap("waited 20 ms", 9);
        assert!(lines.contains(&"20 ms".to_string()), "{lines:?}");
        // A word that only starts like a unit is not one.
        assert_eq!(wrap("2 Bytes", 5), ["2", "Bytes"]);
    }

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
    fn no_line_starts_with_closing_punctuation() {
        let text = "每次 write(2) 都把数据拷进页缓存，然后返回。脏页（还没写到磁盘）会留在内存里。";
        for width in 4..40 {
            let lines = wrap(text, width);
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
            for l in &lines {
                assert!(l.width() <= width, "{width}: {l:?}");
                let first = l.chars().next().unwrap_or(' ');
                assert!(!"。，、）：；！？」".contains(first), "{width}: {lines:?}");
                let last = l.chars().last().unwrap_or(' ');
                assert!(last != '（', "{width}: {lines:?}");
            }
        }
    }

    #[test]
    fn long_words_break_and_fit_truncates() {
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(fit("page cache", 6), "page …");
        assert_eq!(fit("页缓存区", 5), "页缓…");
    }
}
