//! A small SVG writer for handouts: rectangles, lines, polylines and one
//! `<text>` element per line of text, each line's box estimated from its
//! characters (no font is loaded: a Latin character is taken as 0.6 of the
//! font size wide, a CJK one as 1.0, which is what common sans fonts come
//! to). Every text placed is remembered, so the layout can ask whether a
//! label would touch one already there.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use crate::sanitize::safe;

/// The faces a handout asks for: common sans faces of about the width the
/// layout estimates, and a CJK one for Chinese.
pub const FONT_FAMILY: &str =
    "'Noto Sans', 'Noto Sans CJK SC', 'Helvetica Neue', Arial, sans-serif";

/// How wide `text` is drawn at `size` px, by the estimate above.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c.width() {
            Some(2) => 1.0,
            Some(0) | None => 0.0,
            _ => 0.6,
        })
        .sum::<f64>()
        * size
}

/// Where a text's `x` is: its start, middle or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// The look of a text.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub bold: bool,
    pub italic: bool,
    pub color: &'static str,
}

impl Font {
    pub const fn new(size: f64, color: &'static str) -> Font {
        Font {
            size,
            bold: false,
            italic: false,
            color,
        }
    }

    #[must_use]
    pub const fn bold(self) -> Font {
        Font { bold: true, ..self }
    }

    #[must_use]
    pub const fn italic(self) -> Font {
        Font {
            italic: true,
            ..self
        }
    }
}

/// A text's estimated box: from the cap height above the baseline to the
/// descent below it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Box2 {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Box2 {
    pub fn of_text(x: f64, y: f64, width: f64, size: f64, anchor: Anchor) -> Box2 {
        let x0 = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
            Anchor::End => x - width,
        };
        Box2 {
            x0,
            y0: y - 0.8 * size,
            x1: x0 + width,
            y1: y + 0.2 * size,
        }
    }

    /// Whether the two boxes share more than a hair of area.
    pub fn overlaps(&self, other: &Box2) -> bool {
        let eps = 0.5;
        self.x0 < other.x1 - eps
            && other.x0 < self.x1 - eps
            && self.y0 < other.y1 - eps
            && other.y0 < self.y1 - eps
    }
}

/// The document being drawn.
pub struct Svg {
    pub width: f64,
    body: String,
    texts: Vec<Box2>,
}

fn escape(text: &str) -> String {
    let text = safe(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Coordinates with at most one decimal, so the file stays small.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

impl Svg {
    pub fn new(width: f64) -> Svg {
        Svg {
            width,
            body: String::new(),
            texts: Vec::new(),
        }
    }

    /// Every text's box so far (for tests of the layout).
    #[cfg(test)]
    pub fn boxes(&self) -> &[Box2] {
        &self.texts
    }

    /// Whether a text of `width` at (`x`, `y`) would touch one already placed.
    pub fn collides(&self, x: f64, y: f64, width: f64, size: f64, anchor: Anchor) -> bool {
        let b = Box2::of_text(x, y, width, size, anchor);
        self.texts.iter().any(|t| t.overlaps(&b))
    }

    /// One line of text; returns its estimated width.
    pub fn text(&mut self, x: f64, y: f64, text: &str, font: Font, anchor: Anchor) -> f64 {
        let width = text_width(text, font.size);
        self.texts
            .push(Box2::of_text(x, y, width, font.size, anchor));
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="{anchor}"{}{}>{}</text>"#,
            n(x),
            n(y),
            n(font.size),
            font.color,
            if font.bold {
                r#" font-weight="bold""#
            } else {
                ""
            },
            if font.italic {
                r#" font-style="italic""#
            } else {
                ""
            },
            escape(text)
        );
        width
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: Option<&str>) {
        let stroke = stroke.map_or_else(String::new, |s| format!(r#" stroke="{s}""#));
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"{stroke}/>"#,
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0))
        );
    }

    pub fn line(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, stroke: &str, dashed: bool) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="1"{}/>"#,
            n(x0),
            n(y0),
            n(x1),
            n(y1),
            if dashed {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            }
        );
    }

    /// A data series: `class` names it (`series file-dirty`) for readers and tests.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, class: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = writeln!(
            self.body,
            r#"<polyline class="{class}" points="{}" fill="none" stroke="{stroke}" stroke-width="2"/>"#,
            pts.join(" ")
        );
    }

    /// The finished document, `height` px tall.
    pub fn finish(self, height: f64, title: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">
<title>{title}</title>
<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>
{body}</svg>
"#,
            w = n(self.width),
            h = n(height),
            title = escape(title),
            body = self.body
        )
    }
}

/// `text` broken into lines no wider than `max` at `size`: at spaces, or
/// anywhere in a run of CJK text (which has no spaces).
pub fn wrap(text: &str, max: f64, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size) <= max {
                line = candidate;
                continue;
            }
            let wide = word.chars().any(|c| c.width() == Some(2));
            if wide {
                // CJK text breaks between any two characters: fill the line.
                if !line.is_empty() {
                    line.push(' ');
                }
            } else if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // What is left of the word, broken anywhere it must be.
            for c in word.chars() {
                let mut next = line.clone();
                next.push(c);
                if text_width(&next, size) > max && !line.trim().is_empty() {
                    lines.push(std::mem::take(&mut line).trim_end().to_owned());
                    line.push(c);
                } else {
                    line = next;
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// `text` cut to fit `max` at `size`, with an ellipsis when cut.
pub fn fit(text: &str, max: f64, size: f64) -> String {
    if text_width(text, size) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if text_width(&next, size) > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_double() {
        assert!((text_width("ab", 10.0) - 12.0).abs() < 1e-9);
        assert!((text_width("写入", 10.0) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn wrapping_keeps_each_line_within_the_width() {
        let text = "write(2) only dirties pages in the page cache. They reach the disk when fsync(2) forces them.";
        let lines = wrap(text, 200.0, 12.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| text_width(l, 12.0) <= 200.0));
        assert_eq!(lines.join(" "), text);
        let zh = wrap(
            "write(2) 只是把页缓存中的页弄脏。它们要等 fsync(2) 强制写出才会到达磁盘。",
            120.0,
            12.0,
        );
        assert!(zh.iter().all(|l| text_width(l, 12.0) <= 120.0), "{zh:?}");
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis() {
        let cut = fit("a very long expectation text", 60.0, 10.0);
        assert!(
            cut.ends_with('…') && text_width(&cut, 10.0) <= 60.0,
            "{cut}"
        );
        assert_eq!(fit("short", 60.0, 10.0), "short");
    }
}
