//! Streaming parser for papers.cool listings: the text the site's "Copy" view gives.
//!
//! ```text
//! | Total: 51
//!
//! #1 Title [PDF] [Copy] [Kimi1] [REL]
//!
//! Authors: A ; B
//!
//! Abstract, one or more lines or paragraphs.
//! ```
//!
//! Invariant: every `#N ` entry in the input becomes exactly one item, a [`Paper`] or a
//! [`RecordError`] carrying the 1-based line of the problem; nothing is dropped silently, and an
//! error never costs the entries after it (the parser resynchronises at the next `#N ` line).
//! Memory is bounded by one record: lines are read into one reused buffer and a record larger
//! than [`MAX_RECORD_BYTES`] becomes an error without being held.

use std::collections::HashMap;
use std::io::{self, BufRead, Read};

use crate::clean::clean_text;
use crate::paper::{author_list, Paper, RecordError};

/// Largest abstract (and largest single line) a listing record may have.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The papers.cool placeholder for a missing abstract.
pub(crate) const NO_SUMMARY: &str = "No summary was provided.";

/// One line handed out by [`LineReader`]: its 1-based number and its bytes without the line
/// ending (and without a leading UTF-8 byte-order mark on line 1).
pub(crate) struct Line<'a> {
    pub number: u64,
    pub bytes: &'a [u8],
    /// The line was longer than the reader's limit; `bytes` holds only its start.
    pub overlong: bool,
}

/// Reads lines into one reused buffer, holding at most `limit` bytes of any line.
///
/// Shared by the listing and JSON Lines parsers so both treat line endings, byte-order marks,
/// overlong lines and I/O errors the same way.
pub(crate) struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Number of the last line handed out (0 before the first).
    pub(crate) number: u64,
    limit: usize,
    finished: bool,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(reader: R, limit: usize) -> Self {
        LineReader {
            reader,
            buf: Vec::new(),
            number: 0,
            limit,
            finished: false,
        }
    }

    /// The next line, `None` at the end of input. An I/O error is returned once, at the line
    /// where it happened, and ends the input: a reader that failed (a truncated gzip stream)
    /// cannot be trusted to continue.
    pub(crate) fn next_line(&mut self) -> Option<Result<Line<'_>, RecordError>> {
        if self.finished {
            return None;
        }
        self.buf.clear();
        let take_limit = u64::try_from(self.limit)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let read = (&mut self.reader)
            .take(take_limit)
            .read_until(b'\n', &mut self.buf);
        let n = match read {
            Ok(n) => n,
            Err(err) => return Some(Err(self.fail(&err))),
        };
        if n == 0 {
            self.finished = true;
            return None;
        }
        self.number += 1;
        let mut overlong = false;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if self.buf.len() > self.limit {
            overlong = true;
            self.buf.truncate(self.limit);
            if let Err(err) = self.skip_rest_of_line() {
                return Some(Err(self.fail(&err)));
            }
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        // A byte-order mark starts the file, and every file joined on with `cat`: invisible,
        // and never text.
        let bytes = &self.buf[..];
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        Some(Ok(Line {
            number: self.number,
            bytes,
            overlong,
        }))
    }

    /// Consumes the rest of an overlong line without storing it.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if chunk.is_empty() {
                return Ok(());
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(p) => {
                    self.reader.consume(p + 1);
                    return Ok(());
                }
                None => {
                    let len = chunk.len();
                    self.reader.consume(len);
                }
            }
        }
    }

    fn fail(&mut self, err: &io::Error) -> RecordError {
        self.finished = true;
        RecordError::read_failure(self.number + 1, err)
    }
}

/// Streams the papers of one papers.cool listing.
///
/// ```
/// # use paperdex::listing::ListingReader;
/// let text = "| Total: 2\n\n#7 A Title [PDF] [Kimi2] [REL]\n\nAuthors: Ann ; Bo\n\nAn abstract.\n";
/// let mut reader = ListingReader::new(text.as_bytes(), "mlsys-2022");
/// let paper = reader.next().unwrap().unwrap();
/// assert_eq!(paper.id, "mlsys-2022-7");
/// assert_eq!(paper.title, "A Title");
/// assert_eq!(paper.authors, ["Ann", "Bo"]);
/// assert_eq!(paper.abstract_text, "An abstract.");
/// assert!(reader.next().is_none());
/// assert_eq!(reader.header_total(), Some(2));
/// ```
pub struct ListingReader<R: BufRead> {
    lines: LineReader<R>,
    // Kept apart from `lines` so a line borrowed from its buffer can be handed to the parser
    // state without copying it.
    state: State,
}

/// Everything the parser remembers between lines.
struct State {
    venue: String,
    /// The year the venue's name ends in, if any: every paper of the listing gets it.
    year: Option<i64>,
    header_total: Option<u64>,
    /// Line of the first entry with each number, to name it when a duplicate appears.
    seen: HashMap<u64, u64>,
    /// The entry being read; `None` before the first entry and at the end.
    current: Option<Entry>,
    /// Whether stray text before the first entry has been reported (once per block).
    stray_reported: bool,
    /// Line of the last `| Total:` header after the first: two listings joined with `cat`.
    later_header: Option<u64>,
}

/// An entry being assembled from its lines.
struct Entry {
    number: u64,
    line: u64,
    title: String,
    /// `None` until the `Authors:` line is seen.
    authors: Option<Vec<String>>,
    /// Whether the line just read was of authors and ended in `;`: the list goes on in the
    /// next line (a listing wrapped by an editor or a mail program).
    authors_open: bool,
    /// Raw abstract lines joined with spaces; cleaned when the entry ends.
    abstract_raw: String,
    /// The first problem found; the rest of the entry is skipped.
    error: Option<RecordError>,
}

impl Entry {
    /// An entry that is an error from its first line.
    fn failed(line: u64, message: String) -> Entry {
        Entry {
            number: 0,
            line,
            title: String::new(),
            authors: None,
            authors_open: false,
            abstract_raw: String::new(),
            error: Some(RecordError { line, message }),
        }
    }
}

/// What a line of a listing is, decided on its bytes so even an invalid UTF-8 line can start an
/// entry (and resynchronise the parser).
enum LineKind<'a> {
    Blank,
    /// `#N rest`: the number (`None` when too large for one) and the bytes after it.
    Entry(Option<u64>, &'a [u8]),
    /// `#-N rest` or `#+N rest`: an entry line whose number has a sign. Still an entry, so its
    /// lines are not read into the abstract above.
    SignedEntry,
    /// `| Total: N`: the header, or (after an entry) a second listing's joined on.
    Header(u64),
    Text,
}

fn classify(bytes: &[u8]) -> LineKind<'_> {
    if trim_space_start(bytes).is_empty() {
        return LineKind::Blank;
    }
    let line = trim_space_start(bytes);
    // Only a line that starts with `|` is read as text to look for the header: abstract lines
    // are most of a listing.
    if line.first() == Some(&b'|') {
        if let Some(total) = std::str::from_utf8(line).ok().and_then(parse_header) {
            return LineKind::Header(total);
        }
    }
    // Indented too: a `#N` line pasted with a tab would otherwise run into the abstract above.
    if let Some(rest) = line.strip_prefix(b"#") {
        let ends_word = |after: &[u8]| after.is_empty() || space_len(after) > 0;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let after = &rest[digits..];
        // `#12. Title`, `#12: Title` and `#12) Title`, as listings made by hand or by other
        // tools number their entries, are entries too; `#1st` is text.
        let after = match after {
            [b'.' | b':' | b')', tail @ ..] if ends_word(tail) => tail,
            _ => after,
        };
        if digits > 0 && ends_word(after) {
            // All ASCII digits, so this is valid UTF-8; only overflow can fail.
            let n = std::str::from_utf8(&rest[..digits])
                .ok()
                .and_then(|d| d.parse::<u64>().ok());
            return LineKind::Entry(n, after);
        }
        if let [b'-' | b'+', d, ..] = rest {
            if d.is_ascii_digit() {
                return LineKind::SignedEntry;
            }
        }
    }
    LineKind::Text
}

/// Removes the trailing link markers papers.cool appends to titles: `[PDF]`, `[Copy]`,
/// `[Kimi2]`, `[REL]`, and any `[Word]` or `[Word<digits>]` after the first of those. A title
/// that ends in a bracketed word of its own (`What Is in the [MASK]`, `Keynote [Invited]`)
/// keeps it.
fn strip_markers(title: &str) -> &str {
    const MARKERS: [&str; 5] = ["pdf", "html", "copy", "kimi", "rel"];
    let mut rest = title;
    let mut cut = None;
    loop {
        rest = rest.trim_end();
        let Some((before, word)) = rest
            .strip_suffix(']')
            .and_then(|t| t.rfind('[').map(|p| (&t[..p], &t[p + 1..])))
        else {
            break;
        };
        let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
        if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
            break;
        }
        if MARKERS.iter().any(|m| letters.eq_ignore_ascii_case(m)) {
            cut = Some(before);
        }
        rest = before;
    }
    cut.map_or(title.trim_end(), str::trim_end)
}

/// The length of the whitespace character `bytes` start with, 0 if none: ASCII, and the
/// no-break and other Unicode spaces text copied from a web page has (U+00A0, U+2000 to
/// U+200A, U+202F, U+205F, U+3000).
fn space_len(bytes: &[u8]) -> usize {
    match bytes {
        [b, ..] if b.is_ascii_whitespace() => 1,
        [0xC2, 0xA0, ..] => 2,
        [0xE2, 0x80, 0x80..=0x8A | 0xAF, ..] | [0xE2, 0x81, 0x9F, ..] | [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// `bytes` without the whitespace it starts with (as [`space_len`] knows it).
fn trim_space_start(mut bytes: &[u8]) -> &[u8] {
    loop {
        match space_len(bytes) {
            0 => return bytes,
            n => bytes = &bytes[n..],
        }
    }
}

/// Parses the `| Total: N` header line.
fn parse_header(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix('|')?.trim_start();
    let rest = rest.strip_prefix("Total:")?;
    rest.trim().parse().ok()
}

/// Parses an `Authors: A ; B` or `Author: A` line into cleaned names.
fn parse_authors(text: &str) -> Option<Vec<String>> {
    let text = text.trim_start();
    let list = text
        .strip_prefix("Authors:")
        .or_else(|| text.strip_prefix("Author:"))?;
    Some(split_authors(list))
}

/// Whether a line after an `Authors:` line ending in `;` goes on with the list rather than
/// starting the abstract (a listing with no blank lines): names separated by `;`, each of one
/// to five words, every word capitalised but for a particle. `We study drift; we find...` is
/// an abstract.
fn looks_like_names(line: &str) -> bool {
    use crate::paper::NAME_PARTICLES as PARTICLES;
    let mut names = line.split(';').map(str::trim).filter(|n| !n.is_empty());
    let named = |name: &str| {
        let words = name.split_whitespace().count();
        (1..=5).contains(&words)
            && name
                .split_whitespace()
                .all(|w| !w.starts_with(char::is_lowercase) || PARTICLES.contains(&w))
    };
    let first = names.next();
    first.is_some_and(named) && names.all(named)
}

/// Names separated by `;`, cleaned, the empty ones dropped.
pub(crate) fn split_authors(list: &str) -> Vec<String> {
    list.split(';')
        .map(clean_text)
        .filter(|a| !a.is_empty())
        .collect()
}

/// The year a venue's name ends in: four digits, after a non-digit or alone (`mlsys-2022`,
/// `iclr2024`, `cvpr_2023`), from 1900 to 2100; not `notes-12345` or `v2`.
fn year_in_name(name: &str) -> Option<i64> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits != 4 {
        return None;
    }
    let year: i64 = name[name.len() - 4..].parse().ok()?;
    (1900..=2100).contains(&year).then_some(year)
}

impl<R: BufRead> ListingReader<R> {
    /// Reads a listing from `reader`; `venue` (the file stem, e.g. `mlsys-2022`) becomes each
    /// paper's venue and the prefix of its id, `<venue>-<N>`, and the year it ends in (a
    /// listing holds one venue's year: papers.cool pages are per venue and year) each paper's
    /// year.
    pub fn new(reader: R, venue: &str) -> Self {
        ListingReader {
            lines: LineReader::new(reader, MAX_RECORD_BYTES),
            state: State {
                venue: venue.to_owned(),
                year: year_in_name(venue),
                header_total: None,
                seen: HashMap::new(),
                current: None,
                stray_reported: false,
                later_header: None,
            },
        }
    }

    /// The `| Total: N` figure of the header, once it has been read. It is what the site
    /// claimed, not a count of the entries present.
    #[must_use]
    pub fn header_total(&self) -> Option<u64> {
        self.state.header_total
    }
}

impl State {
    /// Starts a new entry at `#number rest` on `line`.
    fn start_entry(&mut self, number: u64, rest: &[u8], line: u64, overlong: bool) -> Entry {
        let mut entry = Entry {
            number,
            line,
            title: String::new(),
            authors: None,
            authors_open: false,
            abstract_raw: String::new(),
            error: None,
        };
        let fail = |message: String| Some(RecordError { line, message });
        if let Some(&first) = self.seen.get(&number) {
            let joined = match self.later_header {
                // Ids are `<file stem>-<N>`, so two listings in one file cannot both keep them.
                Some(header) if header > first => format!(
                    ", before the second `| Total:` header at line {header}: two listings in \
                     one file? give each listing a file of its own"
                ),
                _ => String::new(),
            };
            entry.error = fail(format!(
                "duplicate entry #{number} (first seen at line {first}{joined})"
            ));
        } else {
            self.seen.insert(number, line);
            match std::str::from_utf8(rest) {
                Err(_) => entry.error = fail(format!("entry #{number}: invalid UTF-8")),
                Ok(_) if overlong => {
                    entry.error = fail(format!(
                        "entry #{number}: title line longer than {MAX_RECORD_BYTES} bytes"
                    ));
                }
                Ok(text) => {
                    entry.title = clean_text(strip_markers(text));
                    if entry.title.is_empty() {
                        entry.error = fail(format!("entry #{number} has no title"));
                    }
                }
            }
        }
        entry
    }

    /// Adds a non-entry line to the current entry, or handles it before the first entry.
    /// Returns an error to hand out now (stray text before the first entry).
    fn add_line(&mut self, bytes: &[u8], line: u64, overlong: bool) -> Option<RecordError> {
        let Some(entry) = self.current.as_mut() else {
            return self.preamble_line(bytes, line);
        };
        if entry.error.is_some() {
            return None;
        }
        let number = entry.number;
        let fail = |message: String| Some(RecordError { line, message });
        if overlong {
            entry.error = fail(format!(
                "entry #{number}: line longer than {MAX_RECORD_BYTES} bytes"
            ));
            return None;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            entry.error = fail(format!("entry #{number}: invalid UTF-8"));
            return None;
        };
        match (entry.authors.as_mut(), parse_authors(text)) {
            (Some(_), Some(_)) => {
                entry.error = fail(format!(
                    "entry #{number} (line {}) has a second `Authors:` line; is the `#N Title` \
                     line of the entry it starts missing?",
                    entry.line
                ));
                return None;
            }
            (Some(authors), None) => {
                if entry.abstract_raw.is_empty()
                    && (entry.authors_open || text.trim_start().starts_with(';'))
                    && looks_like_names(text)
                {
                    authors.extend(split_authors(text));
                    entry.authors_open = text.trim_end().ends_with(';');
                    return None;
                }
            }
            (None, Some(authors)) => {
                // `Authors: ;` is an empty list, not the start of one.
                entry.authors_open = !authors.is_empty() && text.trim_end().ends_with(';');
                entry.authors = Some(authors);
                return None;
            }
            (None, None) => {
                entry.error = fail(format!(
                    "entry #{number} (line {}) has no `Authors:` line before its abstract",
                    entry.line
                ));
                return None;
            }
        }
        if entry.abstract_raw.len() + text.len() + 1 > MAX_RECORD_BYTES {
            entry.error = fail(format!(
                "entry #{number}: abstract longer than {MAX_RECORD_BYTES} bytes"
            ));
            // Release the memory now rather than when the entry ends.
            entry.abstract_raw = String::new();
            return None;
        }
        if !entry.abstract_raw.is_empty() {
            entry.abstract_raw.push(' ');
        }
        entry.abstract_raw.push_str(text);
        None
    }

    /// Handles a line of text before the first entry: stray text, reported once a block.
    fn preamble_line(&mut self, bytes: &[u8], line: u64) -> Option<RecordError> {
        if self.stray_reported {
            return None;
        }
        // One error per block of stray text is enough to point at it.
        self.stray_reported = true;
        let message = match std::str::from_utf8(bytes) {
            Ok(_) => "text before the first entry that is not a `| Total: N` header".to_owned(),
            Err(_) => "invalid UTF-8 before the first entry".to_owned(),
        };
        Some(RecordError { line, message })
    }

    /// Turns a finished entry into its item.
    fn finish(&self, entry: Entry) -> Result<Paper, RecordError> {
        if let Some(err) = entry.error {
            return Err(err);
        }
        let Some(authors) = entry.authors else {
            return Err(RecordError {
                line: entry.line,
                message: format!("entry #{} has no `Authors:` line", entry.number),
            });
        };
        let mut abstract_text = clean_text(&entry.abstract_raw);
        if abstract_text == NO_SUMMARY {
            abstract_text.clear();
        }
        Ok(Paper {
            id: format!("{}-{}", self.venue, entry.number),
            venue: self.venue.clone(),
            number: Some(entry.number),
            year: self.year,
            title: entry.title,
            authors: author_list(authors),
            abstract_text,
            url: None,
        })
    }
}

impl<R: BufRead> Iterator for ListingReader<R> {
    type Item = Result<Paper, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let state = &mut self.state;
        loop {
            let line = match self.lines.next_line() {
                None => {
                    let entry = state.current.take()?;
                    return Some(state.finish(entry));
                }
                Some(Err(err)) => {
                    // The input is cut off: the entry being read is incomplete, so the read
                    // error stands for it.
                    state.current = None;
                    return Some(Err(err));
                }
                Some(Ok(line)) => line,
            };
            let next = match classify(line.bytes) {
                LineKind::Blank => {
                    match state.current.as_mut() {
                        None => state.stray_reported = false,
                        Some(entry) => entry.authors_open = false,
                    }
                    continue;
                }
                LineKind::Header(total) => {
                    // The header of a second listing joined on (`cat a.txt b.txt`) ends the
                    // entry before it rather than running into its abstract.
                    if state.header_total.is_none() && state.current.is_none() {
                        state.header_total = Some(total);
                        continue;
                    }
                    state.later_header = Some(line.number);
                    match state.current.take() {
                        Some(done) => return Some(state.finish(done)),
                        None => continue,
                    }
                }
                LineKind::Text => {
                    if let Some(err) = state.add_line(line.bytes, line.number, line.overlong) {
                        return Some(Err(err));
                    }
                    continue;
                }
                LineKind::Entry(Some(n), rest) => {
                    state.start_entry(n, rest, line.number, line.overlong)
                }
                // Still entries, so their lines are not taken for another's.
                LineKind::Entry(None, _) => Entry::failed(
                    line.number,
                    format!("entry number too large (at most {})", u64::MAX),
                ),
                LineKind::SignedEntry => Entry::failed(
                    line.number,
                    "entry number with a sign: an entry starts `#N Title`, N a whole number \
                     from 0"
                        .to_owned(),
                ),
            };
            if let Some(done) = state.current.replace(next) {
                return Some(state.finish(done));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../corpus/mlsys-2022.txt");

    fn parse(text: &str) -> Vec<Result<Paper, RecordError>> {
        ListingReader::new(text.as_bytes(), "v").collect()
    }

    #[test]
    fn an_indented_entry_line_starts_an_entry() {
        let items = parse("#1 First\n\nAuthors: A\n\nAbout drift.\n\n\t#2 Second on zebras\n\nAuthors: B\n\nAbout zebra.\n");
        let titles: Vec<&str> = items
            .iter()
            .map(|p| p.as_ref().unwrap().title.as_str())
            .collect();
        assert_eq!(titles, ["First", "Second on zebras"]);
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "About drift.");
    }

    #[test]
    fn an_entry_number_too_large_is_one_error_for_that_entry() {
        let items = parse(
            "#99999999999999999999999 Big\n\nAuthors: A\n\nText.\n\n#2 Fine\n\nAuthors: B\n\nMore.\n",
        );
        assert_eq!(items.len(), 2, "{items:?}");
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 1);
        assert!(
            err.message.contains("entry number too large"),
            "{}",
            err.message
        );
        assert_eq!(items[1].as_ref().unwrap().title, "Fine");
    }

    #[test]
    fn a_listing_named_for_a_venue_and_year_gives_its_papers_that_year() {
        for (name, year) in [
            ("mlsys-2022", Some(2022)),
            ("iclr2024", Some(2024)),
            ("cvpr_2023", Some(2023)),
            ("2019", Some(2019)),
            ("notes-12345", None),
            ("v2", None),
            ("mlsys", None),
            ("draft-0042", None),
            ("", None),
        ] {
            assert_eq!(year_in_name(name), year, "{name}");
        }
        let listing = "#1 T\nAuthors: A\nX\n";
        let year_of = |venue: &str| {
            let items: Vec<_> = ListingReader::new(listing.as_bytes(), venue).collect();
            items[0].as_ref().map(|p| p.year).ok().flatten()
        };
        assert_eq!(year_of("neurips-2021"), Some(2021));
        assert_eq!(year_of("misc"), None);
    }

    fn papers(text: &str) -> Vec<Paper> {
        parse(text)
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("unexpected error {e}")))
            .collect()
    }

    fn errors(items: &[Result<Paper, RecordError>]) -> Vec<&RecordError> {
        items.iter().filter_map(|r| r.as_ref().err()).collect()
    }

    fn numbers(items: &[Result<Paper, RecordError>]) -> Vec<u64> {
        items
            .iter()
            .filter_map(|r| r.as_ref().ok().and_then(|p| p.number))
            .collect()
    }

    #[test]
    fn seed_listing_yields_all_25_papers() {
        let mut reader = ListingReader::new(SEED.as_bytes(), "mlsys-2022");
        let papers: Vec<Paper> = reader.by_ref().map(|r| r.unwrap()).collect();
        assert_eq!(papers.len(), 25);
        assert_eq!(reader.header_total(), Some(51));
        assert_eq!(
            papers.iter().map(|p| p.number.unwrap()).collect::<Vec<_>>(),
            (1..=25).collect::<Vec<_>>()
        );
        let by_number = |n: u64| &papers[usize::try_from(n - 1).unwrap()];
        assert_eq!(
            by_number(1).title,
            "Matchmaker: Data Drift Mitigation in Machine Learning for Large-Scale Systems"
        );
        assert_eq!(by_number(1).id, "mlsys-2022-1");
        assert_eq!(by_number(1).venue, "mlsys-2022");
        assert_eq!(
            by_number(11).title,
            "Collapsible Linear Blocks for Super-Efficient Super Resolution"
        );
        assert_eq!(
            by_number(24).title,
            "On the Utility of Gradient Compression in Distributed Training Systems"
        );
        assert_eq!(
            by_number(25).title,
            "REX: Revisiting Budgeted Training with an Improved Schedule"
        );
        assert_eq!(by_number(6).authors, ["Hesham Mostafa"]);
        assert_eq!(by_number(2).authors.len(), 5);
        assert_eq!(by_number(9).authors[4], "Henry (Hank) Hoffmann");
        let empty: Vec<u64> = papers
            .iter()
            .filter(|p| p.abstract_text.is_empty())
            .map(|p| p.number.unwrap())
            .collect();
        assert_eq!(empty, [7, 25]);
        let first = &by_number(1).abstract_text;
        assert!(!first.contains('\\'));
        assert!(first.contains("(upto 14% and 2%), which saves 18% and 1%"));
        assert!(first.contains("8x- and 4x- faster"));
        assert!(by_number(2)
            .abstract_text
            .contains("data- and model-parallelism"));
        assert!(by_number(13).abstract_text.contains("up to 746% on"));
        assert!(by_number(8)
            .abstract_text
            .starts_with("Today’s auto-tuners"));
        assert!(papers
            .iter()
            .all(|p| p.year == Some(2022) && p.url.is_none()));
        assert!(papers.iter().all(|p| !p.title.contains('[')));
    }

    #[test]
    fn listing_without_trailing_newline() {
        let got = papers("#1 T [PDF]\n\nAuthors: A\n\nLast words.");
        assert_eq!(got[0].abstract_text, "Last words.");
    }

    #[test]
    fn listing_with_crlf_line_endings() {
        let got =
            papers("| Total: 1\r\n\r\n#1 T [PDF] [Copy]\r\n\r\nAuthors: A ; B\r\n\r\nText.\r\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].title, "T");
        assert_eq!(got[0].authors, ["A", "B"]);
        assert_eq!(got[0].abstract_text, "Text.");
    }

    #[test]
    fn listing_with_byte_order_mark() {
        let mut reader = ListingReader::new(
            "\u{FEFF}| Total: 3\n\n#1 T\n\nAuthor: A\n\nX".as_bytes(),
            "v",
        );
        assert_eq!(reader.next().unwrap().unwrap().title, "T");
        assert_eq!(reader.header_total(), Some(3));
    }

    #[test]
    fn listing_without_header_or_with_extra_blank_lines() {
        let got = papers("\n\n\n#1 T\n\n\n\nAuthors: A\n\n\n\nX\n\n\n\n#2 U\nAuthors: B\nY\n\n\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].title, "U");
        assert_eq!(got[1].abstract_text, "Y");
    }

    #[test]
    fn abstract_over_several_lines_and_paragraphs_is_joined() {
        let got =
            papers("#1 T\n\nAuthors: A\n\nFirst line\nsecond line.\n\nSecond para-\ngraph.\n");
        assert_eq!(
            got[0].abstract_text,
            "First line second line. Second paragraph."
        );
    }

    #[test]
    fn title_markers_with_digits_are_removed() {
        let got = papers("#24 On Gradients [PDF1] [Copy] [Kimi12] [REL]\n\nAuthors: A\n\nX\n");
        assert_eq!(got[0].title, "On Gradients");
    }

    #[test]
    fn a_bracketed_word_of_the_title_is_kept_before_the_markers() {
        let got = papers(
            "#1 What Is in the [MASK] [PDF] [Copy] [Kimi1] [REL]\nAuthors: A\nX\n\
             #2 Keynote Talk [Invited]\nAuthors: B\nY\n#3 Plain [pdf2] [NEW]\nAuthors: C\nZ\n",
        );
        let titles: Vec<&str> = got.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            ["What Is in the [MASK]", "Keynote Talk [Invited]", "Plain"]
        );
    }

    #[test]
    fn a_no_break_space_around_the_entry_number_still_starts_an_entry() {
        let got = papers(
            "#1 First\nAuthors: A\nOne.\n\n#2\u{a0}Second\nAuthors: B\nTwo.\n\n\u{a0}#3\u{2009}Third\nAuthors: C\nThree.\n",
        );
        let titles: Vec<&str> = got.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["First", "Second", "Third"]);
        assert_eq!(got[0].abstract_text, "One.");
    }

    #[test]
    fn an_author_list_wrapped_onto_more_lines_is_one_list() {
        let got = papers(
            "#1 T\n\nAuthors: Ann Lee ; Bob Ray ;\n  Dan Wu ;\nEve Moss\n\nThe abstract.\n\
             #2 U\nAuthors: Cy Ng\n; Di Po\nAbstract two.\n\
             #3 V\nAuthors: Al Bo ;\n\nNot a name but the abstract.\n",
        );
        assert_eq!(got[0].authors, ["Ann Lee", "Bob Ray", "Dan Wu", "Eve Moss"]);
        assert_eq!(got[0].abstract_text, "The abstract.");
        assert_eq!(got[1].authors, ["Cy Ng", "Di Po"]);
        assert_eq!(got[1].abstract_text, "Abstract two.");
        // After a blank line, the abstract starts, whatever the line before ended in.
        assert_eq!(got[2].authors, ["Al Bo"]);
        assert_eq!(got[2].abstract_text, "Not a name but the abstract.");
        // With no blank line, a sentence is the abstract, not one more name.
        let got = papers(
            "#1 T\nAuthors: Ann Lee ; Bob Ray ;\nWe study drift in compact listings.\n\
             #2 U\nAuthors: Cy Ng ;\nWe study X; we find Y.\n",
        );
        assert_eq!(got[0].authors, ["Ann Lee", "Bob Ray"]);
        assert_eq!(got[0].abstract_text, "We study drift in compact listings.");
        assert_eq!(got[1].authors, ["Cy Ng"]);
        assert_eq!(got[1].abstract_text, "We study X; we find Y.");
    }

    #[test]
    fn bracketed_title_text_that_is_not_a_marker_is_kept() {
        let got = papers("#1 Sparse [k-NN] search [v2.0] [PDF]\n\nAuthors: A\n\nX\n");
        assert_eq!(got[0].title, "Sparse [k-NN] search [v2.0]");
    }

    #[test]
    fn math_and_latex_in_titles_are_cleaned() {
        let got = papers(
            "#1 $E(2)$-Equivariant \\textit{Nets} for 14\\% “more” [PDF]\n\nAuthors: A\n\nX\n",
        );
        assert_eq!(got[0].title, "E(2)-Equivariant Nets for 14% “more”");
    }

    #[test]
    fn no_summary_placeholder_becomes_empty_abstract() {
        let got = papers("#1 T\n\nAuthors: A\n\nNo summary was provided.\n");
        assert_eq!(got[0].abstract_text, "");
    }

    #[test]
    fn entry_without_abstract_has_empty_abstract() {
        let got = papers("#1 T\n\nAuthors: A\n\n#2 U\n\nAuthors: B\n\nY\n");
        assert_eq!(got[0].abstract_text, "");
        assert_eq!(got[1].abstract_text, "Y");
    }

    #[test]
    fn empty_authors_line_gives_empty_list() {
        let got = papers("#1 T\n\nAuthors:\n\nX\n#2 U\nAuthors:  ;  ; \nY\n");
        assert!(got[0].authors.is_empty());
        assert!(got[1].authors.is_empty());
    }

    #[test]
    fn header_total_differing_from_entries_present() {
        let mut reader = ListingReader::new("| Total: 51\n\n#1 T\nAuthors: A\nX\n".as_bytes(), "v");
        assert_eq!(reader.by_ref().count(), 1);
        assert_eq!(reader.header_total(), Some(51));
    }

    #[test]
    fn invalid_utf8_line_is_an_error_and_the_next_entry_survives() {
        let input = b"#1 T\n\nAuthors: A\n\nbad \xFF byte\n\n#2 U\n\nAuthors: B\n\nY\n";
        let items: Vec<_> = ListingReader::new(&input[..], "v").collect();
        assert_eq!(items.len(), 2);
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 5);
        assert!(err.message.contains("invalid UTF-8"), "{err}");
        assert_eq!(items[1].as_ref().unwrap().title, "U");
    }

    #[test]
    fn invalid_utf8_in_title_is_an_error() {
        let input = b"#1 T\xC3\n\nAuthors: A\n\nX\n#2 U\nAuthors: B\nY\n";
        let items: Vec<_> = ListingReader::new(&input[..], "v").collect();
        assert_eq!(items[0].as_ref().unwrap_err().line, 1);
        assert_eq!(numbers(&items), [2]);
    }

    #[test]
    fn entry_number_without_title() {
        let items =
            parse("#11 T\nAuthors: A\nX\n\n#12\n\nAuthors: B\n\nY\n\n#13 V\nAuthors: C\nZ\n");
        assert_eq!(items.len(), 3);
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 5);
        assert!(err.message.contains("#12 has no title"), "{err}");
        assert_eq!(numbers(&items), [11, 13]);
    }

    #[test]
    fn entry_with_only_markers_has_no_title() {
        let items = parse("#1 [PDF] [Copy]\nAuthors: A\nX\n");
        assert!(items[0].as_ref().unwrap_err().message.contains("no title"));
    }

    #[test]
    fn missing_authors_line_before_abstract() {
        let items = parse("#1 T\n\nStraight to the abstract.\n\n#2 U\n\nAuthors: B\n\nY\n");
        assert_eq!(items.len(), 2);
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("Authors:"), "{err}");
        assert_eq!(numbers(&items), [2]);
    }

    #[test]
    fn missing_authors_line_before_next_entry() {
        let items = parse("#1 T\n\n#2 U\n\nAuthors: B\n\nY\n#3 V\n");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().unwrap_err().line, 1);
        assert_eq!(numbers(&items), [2]);
        assert_eq!(items[2].as_ref().unwrap_err().line, 8);
    }

    #[test]
    fn two_listings_joined_keep_their_abstracts_and_name_the_second_header() {
        let joined = "| Total: 2\n\n#1 T\n\nAuthors: A\n\nFirst abstract.\n\n| Total: 1\n\n\
                      #1 U\n\nAuthors: B\n\nSecond abstract.\n\n#3 W\n\nAuthors: C\n\nThird.\n";
        let items = parse(joined);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "First abstract.");
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 11);
        assert!(
            err.message.contains("duplicate entry #1")
                && err.message.contains("second `| Total:` header at line 9"),
            "{err}"
        );
        assert_eq!(items[2].as_ref().unwrap().abstract_text, "Third.");
        // Numbers that do not meet are not an error.
        let items = parse("#1 T\nAuthors: A\nX\n| Total: 1\n#2 U\nAuthors: B\nY\n");
        assert_eq!(numbers(&items), [1, 2]);
        assert!(errors(&items).is_empty());
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "X");
    }

    #[test]
    fn a_second_authors_line_is_an_error_for_its_entry() {
        for text in [
            "#1 T\nAuthors: A\nAuthors: B\nX\n#2 U\nAuthors: C\nY\n",
            // The `#N` line of the next entry lost: its authors would run into this abstract.
            "#1 T\nAuthors: A\nX\n\nAuthors: B\nY\n#2 U\nAuthors: C\nY\n",
        ] {
            let items = parse(text);
            assert_eq!(items.len(), 2, "{items:?}");
            let err = items[0].as_ref().unwrap_err();
            assert!(err.message.contains("second `Authors:`"), "{err}");
            assert!(err.line == 3 || err.line == 5, "{err}");
            assert_eq!(numbers(&items), [2]);
        }
    }

    #[test]
    fn entry_lines_numbered_with_punctuation_or_a_sign() {
        let items = parse(
            "#1. Dotted\nAuthors: A\nX\n#2: Coloned\nAuthors: B\nY\n#3) Paren\nAuthors: C\nZ\n",
        );
        let titles: Vec<&str> = items
            .iter()
            .map(|p| p.as_ref().unwrap().title.as_str())
            .collect();
        assert_eq!(titles, ["Dotted", "Coloned", "Paren"]);
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "X");
        // `#-2` is an entry line with a bad number, not a line of the abstract above.
        let items = parse("#1 T\nAuthors: A\nX\n#-2 U\nAuthors: B\nY\n#3 V\nAuthors: C\nZ\n");
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "X");
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("with a sign"), "{err}");
        assert_eq!(numbers(&items), [1, 3]);
        // Text that only starts like a number is abstract text.
        let got = papers("#1 T\nAuthors: A\nX\n#1st place in #2.5x tests\n");
        assert_eq!(got[0].abstract_text, "X #1st place in #2.5x tests");
    }

    #[test]
    fn duplicate_entry_number_names_the_first() {
        let items = parse(
            "#1 T\nAuthors: A\nX\n#2 U\nAuthors: B\nY\n#1 V\nAuthors: C\nZ\n#3 W\nAuthors: D\nQ\n",
        );
        assert_eq!(items.len(), 4);
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.line, 7);
        assert!(err.message.contains("duplicate entry #1"), "{err}");
        assert!(err.message.contains("line 1"), "{err}");
        assert_eq!(numbers(&items), [1, 2, 3]);
    }

    #[test]
    fn text_before_first_entry_is_an_error() {
        let items = parse("Some banner\nmore banner\n\n| Total: 2\n#1 T\nAuthors: A\nX\n");
        assert_eq!(items.len(), 2);
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("before the first entry"), "{err}");
        assert_eq!(numbers(&items), [1]);
    }

    #[test]
    fn header_is_not_an_error() {
        let items = parse("| Total: 2\n#1 T\nAuthors: A\nX\n");
        assert!(errors(&items).is_empty());
    }

    #[test]
    fn overlong_abstract_is_an_error_and_later_records_survive() {
        let big = "word ".repeat(MAX_RECORD_BYTES / 5 + 10);
        let input = format!("#1 T\nAuthors: A\n{big}\n#2 U\nAuthors: B\nY\n");
        let items = parse(&input);
        assert_eq!(items.len(), 2);
        assert!(items[0]
            .as_ref()
            .unwrap_err()
            .message
            .contains("longer than"));
        assert_eq!(numbers(&items), [2]);
    }

    #[test]
    fn abstract_growing_past_limit_over_many_lines_is_an_error() {
        let line = "x".repeat(1000);
        let mut input = String::from("#1 T\nAuthors: A\n");
        for _ in 0..(MAX_RECORD_BYTES / 1000 + 5) {
            input.push_str(&line);
            input.push('\n');
        }
        input.push_str("#2 U\nAuthors: B\nY\n");
        let items = parse(&input);
        let err = items[0].as_ref().unwrap_err();
        assert!(err.message.contains("abstract longer than"), "{err}");
        assert_eq!(numbers(&items), [2]);
    }

    #[test]
    fn ten_megabyte_line_is_not_held_in_memory() {
        let input = format!(
            "#1 T\nAuthors: A\n{}\n#2 U\nAuthors: B\nY",
            "y".repeat(10 << 20)
        );
        let mut reader = ListingReader::new(input.as_bytes(), "v");
        assert!(reader.next().unwrap().is_err());
        assert!(reader.lines.buf.capacity() <= 2 * MAX_RECORD_BYTES + 64);
        assert_eq!(reader.next().unwrap().unwrap().title, "U");
    }

    #[test]
    fn io_error_mid_entry_ends_with_one_error() {
        struct Failing<'a>(&'a [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "corrupt deflate stream",
                    ));
                }
                let n = self.0.read(buf)?;
                Ok(n)
            }
        }
        let input = b"#1 T\nAuthors: A\nX\n#2 U\nAuthors: B\nY";
        let items: Vec<_> = ListingReader::new(io::BufReader::new(Failing(input)), "v").collect();
        assert_eq!(items.len(), 2);
        assert_eq!(numbers(&items), [1]);
        let err = items[1].as_ref().unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
    }

    /// A paper as the model for round-trip tests: what the listing format can express.
    #[derive(Debug, Clone)]
    struct Model {
        number: u64,
        title: Vec<String>,
        authors: Vec<String>,
        paragraphs: Vec<Vec<String>>,
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z][a-z]{0,9}",
            "[0-9]{1,3}%?",
            Just("Today’s".to_owned()),
            Just("—".to_owned()),
            Just("“quoted”".to_owned()),
            Just("state-of-the-art".to_owned()),
        ]
    }

    fn model() -> impl Strategy<Value = Vec<Model>> {
        prop::collection::vec(
            (
                prop::collection::vec(word(), 1..8),
                prop::collection::vec(prop::collection::vec("[A-Z][a-z]{1,8}", 1..3), 0..5),
                prop::collection::vec(prop::collection::vec(word(), 1..30), 0..3),
            ),
            0..8,
        )
        .prop_map(|entries| {
            entries
                .into_iter()
                .enumerate()
                .map(|(i, (title, authors, paragraphs))| Model {
                    number: u64::try_from(i).unwrap_or(0) * 3 + 1,
                    title,
                    authors: authors.into_iter().map(|n| n.join(" ")).collect(),
                    paragraphs,
                })
                .collect()
        })
    }

    /// Renders models in the listing format, with the given layout quirks.
    fn render(
        models: &[Model],
        crlf: bool,
        bom: bool,
        extra_blanks: bool,
        final_newline: bool,
    ) -> String {
        let mut lines: Vec<String> = vec![format!("| Total: {}", models.len() + 5), String::new()];
        for m in models {
            lines.push(format!(
                "#{} {} [PDF{}] [Copy] [Kimi] [REL]",
                m.number,
                m.title.join(" "),
                m.number % 3
            ));
            lines.push(String::new());
            if extra_blanks {
                lines.push(String::new());
            }
            let label = if m.authors.len() == 1 {
                "Author"
            } else {
                "Authors"
            };
            lines.push(format!("{label}: {}", m.authors.join(" ; ")));
            lines.push(String::new());
            if m.paragraphs.is_empty() {
                lines.push(NO_SUMMARY.to_owned());
            }
            for p in &m.paragraphs {
                // Break each paragraph over lines of at most five words.
                for chunk in p.chunks(5) {
                    lines.push(chunk.join(" "));
                }
                lines.push(String::new());
                if extra_blanks {
                    lines.push(String::new());
                }
            }
        }
        let ending = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(ending);
        if final_newline {
            text.push_str(ending);
        } else {
            text.truncate(text.trim_end().len());
        }
        if bom {
            text.insert(0, '\u{FEFF}');
        }
        text
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            for item in ListingReader::new(&bytes[..], "v") {
                let _ = item;
            }
        }

        #[test]
        fn listing_like_garbage_never_panics(s in r"(#[0-9]{1,3}( [a-z\[\]0-9]*)?|Authors?:[a-z ;]*|\| Total: [0-9]+|[a-z ]*|\r)(\n(#[0-9]{1,3}( [a-z\[\]]*)?|Authors?:[a-z ;]*|[a-z \\$]*|\r)){0,30}") {
            let items: Vec<_> = ListingReader::new(s.as_bytes(), "v").collect();
            let entries = s.lines().filter(|l| matches!(classify(l.as_bytes()), LineKind::Entry(..))).count();
            let entry_items = items.iter().filter(|r| match r {
                Ok(_) => true,
                Err(e) => !e.message.contains("before the first entry"),
            }).count();
            prop_assert_eq!(entry_items, entries);
        }

        #[test]
        fn rendered_models_parse_back(
            models in model(),
            crlf in any::<bool>(),
            bom in any::<bool>(),
            extra_blanks in any::<bool>(),
            final_newline in any::<bool>(),
        ) {
            let text = render(&models, crlf, bom, extra_blanks, final_newline);
            let mut reader = ListingReader::new(text.as_bytes(), "venue");
            let got: Vec<Paper> = reader.by_ref().collect::<Result<_, _>>().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(reader.header_total(), Some(u64::try_from(models.len()).unwrap() + 5));
            let want: Vec<Paper> = models.iter().map(|m| Paper {
                id: format!("venue-{}", m.number),
                venue: "venue".to_owned(),
                number: Some(m.number),
                year: None,
                title: m.title.join(" "),
                authors: m.authors.clone(),
                abstract_text: m.paragraphs.iter().map(|p| p.join(" ")).collect::<Vec<_>>().join(" "),
                url: None,
            }).collect();
            prop_assert_eq!(got, want);
        }
    }
}
