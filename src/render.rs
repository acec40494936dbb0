//! Output: hits, counts and summaries as text for people or JSON Lines for programs.
//!
//! Invariants: results go to stdout, everything else to stderr; colour only when asked for or
//! when stdout is a terminal and `NO_COLOR` is unset or empty; JSON Lines carry the same fields
//! the text shows.

use std::io::{self, IsTerminal, Write};
use std::ops::Range;

use clap::ValueEnum;

use crate::search::Hit;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against the terminal and `NO_COLOR`.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && io::stdout().is_terminal()
            }
        }
    }
}

const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const DIM: &str = "\x1b[2m";
const ID: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// Writes `text` with `ranges` marked (colour on) or plain.
fn marked(
    out: &mut impl Write,
    text: &str,
    ranges: &[Range<usize>],
    color: bool,
    base: &str,
) -> io::Result<()> {
    if !color {
        return out.write_all(text.as_bytes());
    }
    let mut at = 0;
    out.write_all(base.as_bytes())?;
    for r in ranges {
        if r.start < at || r.end > text.len() {
            continue;
        }
        write!(
            out,
            "{}{MATCH}{}{RESET}{base}",
            &text[at..r.start],
            &text[r.clone()]
        )?;
        at = r.end;
    }
    write!(out, "{}{RESET}", &text[at..])
}

/// One hit for people: rank, title, authors, id, year and score, snippet.
pub fn hit_text(out: &mut impl Write, hit: &Hit, color: bool) -> io::Result<()> {
    write!(out, "{:>2}. ", hit.rank)?;
    marked(
        out,
        &hit.title,
        &hit.title_highlights,
        color,
        if color { BOLD } else { "" },
    )?;
    writeln!(out)?;
    if !hit.authors.is_empty() {
        write!(out, "    ")?;
        for (i, author) in hit.authors.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            if color && hit.author_highlights.contains(&i) {
                write!(out, "{sep}{MATCH}{author}{RESET}")?;
            } else {
                write!(out, "{sep}{author}")?;
            }
        }
        writeln!(out)?;
    }
    let year = hit.year.map(|y| format!("  {y}")).unwrap_or_default();
    if color {
        writeln!(
            out,
            "    {ID}{}{RESET}{year}  {DIM}score {:.3}{RESET}",
            hit.id, hit.score
        )?;
    } else {
        writeln!(out, "    {}{year}  score {:.3}", hit.id, hit.score)?;
    }
    if !hit.snippet.is_empty() {
        let ranges: Vec<Range<usize>> = hit.highlights.iter().map(|[s, e]| *s..*e).collect();
        write!(out, "    ")?;
        marked(out, &hit.snippet, &ranges, color, "")?;
        writeln!(out)?;
    }
    if let Some(explain) = &hit.explain {
        explanation(out, explain, 2)?;
    }
    writeln!(out)
}

/// tantivy's score explanation as an indented tree.
fn explanation(out: &mut impl Write, node: &serde_json::Value, depth: usize) -> io::Result<()> {
    let value = node.get("value").and_then(|v| v.as_f64()).unwrap_or(0.0);
    let description = node
        .get("description")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let context = node
        .get("context")
        .and_then(|v| v.as_array())
        .map(|c| {
            c.iter()
                .filter_map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|c| !c.is_empty())
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{value:.4} {description}{context}",
        "  ".repeat(depth)
    )?;
    if let Some(details) = node.get("details").and_then(|d| d.as_array()) {
        for d in details {
            explanation(out, d, depth + 1)?;
        }
    }
    Ok(())
}

/// One hit as a JSON line.
pub fn hit_json(out: &mut impl Write, hit: &Hit) -> io::Result<()> {
    serde_json::to_writer(&mut *out, hit)?;
    writeln!(out)
}

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A path as one word of a POSIX shell command, so that a suggested command works when pasted:
/// as it is where every char is one a shell leaves alone, else in single quotes (a `'` in it
/// written `'\''`).
pub fn shell_word(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// `n` and the noun for it: `1 query`, `3 queries`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_000_000), "2026-11-18 11:06:40 UTC");
    }

    #[test]
    fn a_path_in_a_suggested_command_is_one_shell_word() {
        use std::path::Path;
        assert_eq!(
            shell_word(Path::new("/data/iclr-2024.jsonl.gz")),
            "/data/iclr-2024.jsonl.gz"
        );
        assert_eq!(
            shell_word(Path::new("/tmp/sp ace/ix ü")),
            "'/tmp/sp ace/ix ü'"
        );
        assert_eq!(shell_word(Path::new("it's $HOME")), "'it'\\''s $HOME'");
        assert_eq!(shell_word(Path::new("")), "''");
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
    }

    #[test]
    fn marking_without_colour_is_the_plain_text() {
        let drift = vec![Range { start: 5, end: 10 }];
        let mut out = Vec::new();
        marked(&mut out, "data drift", &drift, false, "").unwrap();
        assert_eq!(out, b"data drift");
        let mut out = Vec::new();
        marked(&mut out, "data drift", &drift, true, "").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "data \x1b[1;31mdrift\x1b[0m\x1b[0m"
        );
    }
}
