//! Input sources: which files to read, in which format, and opening them for streaming.
//!
//! Invariant: [`discover`] returns sources in a deterministic order (arguments in the order
//! given, each directory's files sorted by path) and every source it returns has a known format
//! and venue; [`open`] turns file-level problems (missing, unreadable, empty, binary) into one
//! error naming the path, so record-level errors from the parsers are only about records.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};
use flate2::read::MultiGzDecoder;

use crate::jsonl::JsonLinesReader;
use crate::listing::ListingReader;
use crate::paper::{Paper, RecordError};

/// The format of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A papers.cool listing (`.txt`).
    Listing,
    /// One JSON object per line (`.jsonl`, `.ndjson`, `.json`).
    JsonLines,
    /// A pipe or device with no known extension (`/dev/stdin`, `<(zcat ...)`): decided from its
    /// first bytes by [`open`], since it can be read only once.
    Unknown,
}

/// Whether a recorded input was a pipe, read once when the index was built (`/dev/stdin`,
/// `<(zcat ...)` as `/dev/fd/63`), rather than a file or folder that can be read again. Judged
/// by its name as well as by what it is now: the search that asks runs with its own stdin,
/// which may be a regular file, and a `/dev/fd/N` of then is gone or another file now.
pub fn read_once(path: &Path) -> bool {
    let by_name =
        path == Path::new("/dev/stdin") || path.starts_with("/dev/fd") || path.starts_with("/proc");
    by_name || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub kind: SourceKind,
    /// The file stem without format extensions: `mlsys-2022.txt` → `mlsys-2022`,
    /// `abstracts.jsonl.gz` → `abstracts`.
    pub venue: String,
    /// Whether the file is gzip-compressed (its name ends in `.gz`).
    pub gzip: bool,
}

/// How many bytes are looked at to tell text from binary, and to sniff the format.
const SNIFF_BYTES: usize = 8 << 10;

/// Splits a file name into its venue, kind (if the extension is known) and gzip flag.
fn classify_name(name: &str) -> (String, Option<SourceKind>, bool) {
    let (base, gzip) = match name.rsplit_once('.') {
        Some((base, ext)) if ext.eq_ignore_ascii_case("gz") => (base, true),
        _ => (name, false),
    };
    let (stem, kind) = match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            let kind = match ext.to_ascii_lowercase().as_str() {
                "txt" => Some(SourceKind::Listing),
                "jsonl" | "ndjson" | "json" => Some(SourceKind::JsonLines),
                _ => None,
            };
            (stem, kind)
        }
        _ => (base, None),
    };
    // Trimmed as a JSON record's venue and id are, so an exported listing indexed again keeps
    // its ids (` lead 2021 .txt` gives `lead 2021-1`).
    let stem = match stem.trim() {
        "" => stem,
        trimmed => trimmed,
    };
    (stem.to_owned(), kind, gzip)
}

/// The venue a file's papers take their ids from if it is a listing (by its name; `None` for
/// a JSON Lines name, whose records carry their own ids).
pub fn listing_venue(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    let (venue, kind, _) = classify_name(&name);
    (kind != Some(SourceKind::JsonLines)).then_some(venue)
}

/// Expands files and directories into sources.
///
/// A directory contributes its files with known extensions (`.txt`, `.jsonl`, `.ndjson`,
/// `.json`, each optionally `.gz`), recursively, sorted by path, skipping hidden files and
/// directories. A file named explicitly with an unknown extension is sniffed: a first non-blank
/// byte `{` means JSON Lines, anything else a listing.
///
/// # Errors
///
/// Errors name the path: it does not exist or cannot be listed, or it is a directory without
/// sources.
pub fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    discover_noting(paths, &mut PassedOver::default())
}

/// What [`discover_noting`] passed over in the directories it walked, for a build to say.
#[derive(Debug, Default)]
pub struct PassedOver {
    /// Links that lead nowhere.
    pub broken: Vec<PathBuf>,
    /// Whether a folder that cannot be listed is skipped (`--skip-invalid`) rather than an
    /// error.
    pub skip_unlisted: bool,
    /// The folders skipped so, with why.
    pub unlisted: Vec<(PathBuf, String)>,
}

impl PassedOver {
    /// Skipping the folders that cannot be listed.
    pub fn skipping() -> PassedOver {
        PassedOver {
            skip_unlisted: true,
            ..PassedOver::default()
        }
    }
}

/// As [`discover`], noting in `passed` what it passed over.
pub fn discover_noting(paths: &[PathBuf], passed: &mut PassedOver) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("{}: cannot read (does it exist?)", path.display()))?;
        if meta.is_dir() {
            let before = sources.len();
            walk(path, &mut sources, &mut HashSet::new(), passed)?;
            if sources.len() == before {
                bail!(
                    "no .txt or .jsonl sources in {} (looked for .txt, .jsonl, .ndjson, .json, optionally .gz)",
                    path.display()
                );
            }
        } else {
            sources.push(explicit_file(path, meta.is_file())?);
        }
    }
    Ok(sources)
}

/// A file the user named: its extension decides, or its content when the extension is unknown
/// (read now from a regular file, later from a pipe: see [`SourceKind::Unknown`]).
fn explicit_file(path: &Path, regular: bool) -> anyhow::Result<Source> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (venue, kind, gzip) = classify_name(&name);
    let kind = match kind {
        Some(kind) => kind,
        None if regular => sniff_kind(path, gzip)?,
        None => SourceKind::Unknown,
    };
    Ok(Source {
        path: path.to_owned(),
        kind,
        venue,
        gzip,
    })
}

/// Guesses the format from the first non-blank byte: `{` is JSON Lines.
fn sniff_kind(path: &Path, gzip: bool) -> anyhow::Result<SourceKind> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut raw = Vec::with_capacity(SNIFF_BYTES);
    let mut read = file.take(SNIFF_BYTES as u64).read_to_end(&mut raw);
    // gzip whatever the name, as `open` reads it: the start inflated (a stream cut short here
    // still gives what it holds so far).
    let head = if gzip || raw.starts_with(&GZIP_MAGIC) {
        let mut inflated = Vec::with_capacity(SNIFF_BYTES);
        read = MultiGzDecoder::new(raw.as_slice())
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut inflated);
        inflated
    } else {
        raw
    };
    // A short or broken file still gets a kind; `open` reports what is wrong with it.
    if read.is_err() && head.is_empty() {
        return Ok(SourceKind::Listing);
    }
    Ok(kind_of(&head))
}

/// The format whose first non-blank byte `head` starts with: `{` is JSON Lines.
fn kind_of(head: &[u8]) -> SourceKind {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        // `[`: JSON, not a listing, and said to be an array rather than read as stray text.
        Some(b'{' | b'[') => SourceKind::JsonLines,
        _ => SourceKind::Listing,
    }
}

/// Adds the sources under `dir`, sorted by path, but for those of an index inside it. Symbolic links are followed, so a linked data
/// directory is read like a real one; a directory already read (`seen` holds their real paths)
/// is not read again, so a link to an ancestor ends there rather than nesting 40 levels deep.
fn walk(
    dir: &Path,
    sources: &mut Vec<Source>,
    seen: &mut HashSet<PathBuf>,
    passed: &mut PassedOver,
) -> anyhow::Result<()> {
    let real = std::fs::canonicalize(dir)
        .with_context(|| format!("{}: cannot list directory", dir.display()))?;
    if !seen.insert(real) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list directory", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}: cannot list directory", dir.display()))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        paths.push(entry.path());
    }
    paths.sort();
    for path in paths {
        let Ok(meta) = std::fs::metadata(&path) else {
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                passed.broken.push(path);
            }
            continue;
        };
        if meta.is_dir() {
            if crate::index::is_home(&path) {
                continue;
            }
            // A folder that cannot be listed is skipped like a file that cannot be read, where
            // that is asked. It fails before anything in it is added, so nothing half-read is
            // kept.
            if let Err(e) = walk(&path, sources, seen, passed) {
                if !passed.skip_unlisted {
                    return Err(e);
                }
                passed.unlisted.push((path, format!("{e:#}")));
            }
            continue;
        }
        // A pipe, socket or device in a folder is not a file of papers (a pipe would block the
        // build until something writes to it); one named on its own is read (`/dev/stdin`).
        if !meta.is_file() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let (venue, Some(kind), gzip) = classify_name(&name) {
            sources.push(Source {
                path,
                kind,
                venue,
                gzip,
            });
        }
    }
    Ok(())
}

/// A `Read` that counts the bytes taken from the file, for progress reporting.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

// `Send`, so records can be parsed on another thread than the one indexing them.
type Input = Box<dyn BufRead + Send>;

/// The records of one opened source.
///
/// An iterator of [`Paper`]s and [`RecordError`]s; record errors carry line numbers only, and
/// the caller adds the path.
pub struct Records {
    reader: Reader,
    bytes_read: Arc<AtomicU64>,
}

enum Reader {
    // Boxed: a listing's parser state is the larger by far, and there is one per file.
    Listing(Box<ListingReader<Input>>),
    JsonLines(JsonLinesReader<Input>),
}

impl Records {
    /// Whether the source is read as a listing (its ids come from its name).
    pub fn is_listing(&self) -> bool {
        matches!(self.reader, Reader::Listing(_))
    }

    /// The `| Total: N` header of a listing once read; `None` for JSON Lines.
    #[must_use]
    pub fn header_total(&self) -> Option<u64> {
        match &self.reader {
            Reader::Listing(r) => r.header_total(),
            Reader::JsonLines(_) => None,
        }
    }

    /// Bytes of the file (compressed bytes for `.gz`) consumed so far, for progress bars: it
    /// runs ahead of the records handed out by at most the read buffer.
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

impl Iterator for Records {
    type Item = Result<Paper, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.reader {
            Reader::Listing(r) => r.next(),
            Reader::JsonLines(r) => r.next(),
        }
    }
}

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens one source for streaming.
///
/// # Errors
///
/// File-level problems are errors naming the path: it cannot be opened or read (or is not
/// gzip though named `.gz`), it is empty, or it looks binary (a NUL byte in its first 8 KiB,
/// after decompression).
pub fn open(source: &Source) -> anyhow::Result<Records> {
    let path = &source.path;
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        count: Arc::clone(&bytes_read),
    };
    // gzip whatever the name, as `zcat` would take it: a `.jsonl` that was compressed in place,
    // or a pipe (`curl ... | paperdex index /dev/stdin`). The start is read whole, as a pipe
    // may hand it over a few bytes at a time, and put back in front, where the checks of what
    // the file holds look at it.
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    let mut counting = counting;
    (&mut counting)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut start)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let gzip = source.gzip || start.starts_with(&GZIP_MAGIC);
    let raw = BufReader::with_capacity(64 << 10, io::Cursor::new(start).chain(counting));
    let mut input: Input = if gzip {
        Box::new(BufReader::with_capacity(64 << 10, MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    check_head(&mut input, source, gzip)?;
    let kind = match source.kind {
        SourceKind::Unknown => kind_of(input.fill_buf().unwrap_or_default()),
        kind => kind,
    };
    let reader = match kind {
        SourceKind::Listing | SourceKind::Unknown => {
            Reader::Listing(Box::new(ListingReader::new(input, &source.venue)))
        }
        SourceKind::JsonLines => Reader::JsonLines(JsonLinesReader::new(input, &source.venue)),
    };
    Ok(Records { reader, bytes_read })
}

/// Rejects empty, UTF-16 and binary files, and JSON arrays, by looking at the buffered start of
/// the (decompressed) input, without consuming it.
fn check_head(input: &mut Input, source: &Source, gzip: bool) -> anyhow::Result<()> {
    let path = source.path.display();
    let head = loop {
        match input.fill_buf() {
            Ok(head) => break head,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if gzip => {
                return Err(err).with_context(|| format!("{path}: not a readable gzip file"));
            }
            Err(err) => return Err(err).with_context(|| format!("{path}: cannot read")),
        }
    };
    if head.is_empty() {
        bail!("{path}: is empty");
    }
    // As Windows Notepad saves "Unicode": every other byte of English text is a NUL.
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        bail!("{path}: is UTF-16 text; paperdex reads UTF-8\nhint: save it as UTF-8, or `iconv -f UTF-16 -t UTF-8`");
    }
    // `fill_buf` may return less than asked; the 64 KiB buffer usually holds the first 8 KiB.
    let window = &head[..head.len().min(SNIFF_BYTES)];
    if window.contains(&0) {
        bail!("{path}: looks binary, not a listing or JSON Lines");
    }
    if source.kind != SourceKind::Listing {
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = text.iter().position(|b| !b.is_ascii_whitespace());
        let first_line = start.map_or(&[][..], |at| {
            let line = &text[at..];
            let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
            line[..end].trim_ascii_end()
        });
        // An array over several lines (`[` alone, or `[{...},`): one that opens and closes
        // on its line is one line of JSON Lines, an invalid record like any other.
        if first_line.starts_with(b"[") && !first_line.ends_with(b"]") {
            bail!(
                "{path}: holds a JSON array; paperdex reads JSON Lines, one object per line\nhint: `jq -c '.[]' {} > papers.jsonl` writes it so",
                crate::render::shell_word(&source.path)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::fs;
    use std::io::Write;

    const LISTING: &str = "| Total: 2\n\n#1 T\n\nAuthors: A\n\nX\n\n#2 U\n\nAuthor: B\n\nY\n";
    const JSONL: &str =
        "{\"id\": \"1\", \"title\": \"T\"}\n{\"_id\": 2, \"title\": \"\", \"text\": \"Y\"}\n";

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn names(sources: &[Source]) -> Vec<String> {
        sources
            .iter()
            .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn records_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<Records>();
    }

    #[test]
    fn venue_is_the_stem_without_format_extensions() {
        assert_eq!(
            classify_name("abstracts.jsonl.gz"),
            ("abstracts".into(), Some(SourceKind::JsonLines), true)
        );
        assert_eq!(
            classify_name("mlsys-2022.txt"),
            ("mlsys-2022".into(), Some(SourceKind::Listing), false)
        );
        assert_eq!(
            classify_name("a.b.ndjson"),
            ("a.b".into(), Some(SourceKind::JsonLines), false)
        );
        assert_eq!(classify_name("dump.dat"), ("dump".into(), None, false));
        assert_eq!(
            classify_name("OLD.TXT.GZ"),
            ("OLD".into(), Some(SourceKind::Listing), true)
        );
        assert_eq!(classify_name(".txt"), (".txt".into(), None, false));
        assert_eq!(classify_name("README"), ("README".into(), None, false));
    }

    #[test]
    fn directory_is_walked_recursively_sorted_and_hidden_files_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join("b.txt"), LISTING).unwrap();
        fs::write(root.join("a.jsonl"), JSONL).unwrap();
        fs::write(root.join("sub/c.json.gz"), gzip(JSONL.as_bytes())).unwrap();
        fs::write(root.join(".hidden.txt"), LISTING).unwrap();
        fs::write(root.join(".git/x.txt"), LISTING).unwrap();
        fs::write(root.join("notes.md"), "# notes").unwrap();
        let sources = discover(&[root.to_owned()]).unwrap();
        assert_eq!(names(&sources), ["a.jsonl", "b.txt", "c.json.gz"]);
        assert_eq!(sources[0].kind, SourceKind::JsonLines);
        assert_eq!(sources[1].kind, SourceKind::Listing);
        assert_eq!((sources[2].venue.as_str(), sources[2].gzip), ("c", true));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_an_ancestor_is_not_walked_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("a.txt"), LISTING).unwrap();
        std::os::unix::fs::symlink("..", root.join("sub/loop")).unwrap();
        // A second way into the same directory is read once too.
        std::os::unix::fs::symlink(root.join("sub"), root.join("again")).unwrap();
        let sources = discover(&[root.to_owned()]).unwrap();
        assert_eq!(names(&sources), ["a.txt"]);
    }

    #[test]
    fn explicit_file_with_unknown_extension_is_sniffed() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("export.dat");
        let listing = dir.path().join("listing");
        fs::write(&json, format!("\n  {JSONL}")).unwrap();
        fs::write(&listing, LISTING).unwrap();
        let sources = discover(&[json, listing]).unwrap();
        assert_eq!(sources[0].kind, SourceKind::JsonLines);
        assert_eq!(sources[0].venue, "export");
        assert_eq!(sources[1].kind, SourceKind::Listing);
    }

    #[test]
    fn missing_path_is_an_error_naming_it() {
        let err = discover(&[PathBuf::from("/no/such/place.txt")]).unwrap_err();
        assert!(format!("{err:#}").contains("/no/such/place.txt"), "{err:#}");
    }

    #[test]
    fn directory_without_sources_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.md"), "x").unwrap();
        let err = discover(&[dir.path().to_owned()]).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("no .txt or .jsonl sources in"), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    }

    #[test]
    fn listing_and_jsonl_sources_stream_papers() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("mlsys-2022.txt"), LISTING).unwrap();
        fs::write(dir.path().join("x.jsonl"), JSONL).unwrap();
        let sources = discover(&[dir.path().to_owned()]).unwrap();
        let mut listing = open(&sources[0]).unwrap();
        let papers: Vec<Paper> = listing.by_ref().map(Result::unwrap).collect();
        assert_eq!(papers[1].id, "mlsys-2022-2");
        assert_eq!(listing.header_total(), Some(2));
        assert_eq!(listing.bytes_read(), LISTING.len() as u64);
        let mut jsonl = open(&sources[1]).unwrap();
        assert_eq!(jsonl.by_ref().filter(Result::is_ok).count(), 2);
        assert_eq!(jsonl.header_total(), None);
    }

    #[test]
    fn gzip_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abstracts.jsonl.gz");
        let compressed = gzip(JSONL.as_bytes());
        fs::write(&path, &compressed).unwrap();
        let sources = discover(&[path]).unwrap();
        assert_eq!(
            (sources[0].venue.as_str(), sources[0].gzip),
            ("abstracts", true)
        );
        let mut records = open(&sources[0]).unwrap();
        let papers: Vec<Paper> = records.by_ref().map(Result::unwrap).collect();
        assert_eq!(papers.len(), 2);
        assert_eq!(papers[0].venue, "abstracts");
        assert_eq!(records.bytes_read(), compressed.len() as u64);
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.txt.gz");
        let mut bytes = gzip(b"#1 T\nAuthors: A\nX\n");
        bytes.extend(gzip(b"#2 U\nAuthors: B\nY\n"));
        fs::write(&path, bytes).unwrap();
        let records = open(&discover(&[path]).unwrap()[0]).unwrap();
        assert_eq!(records.filter(Result::is_ok).count(), 2);
    }

    #[test]
    fn truncated_gzip_ends_with_a_record_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.jsonl.gz");
        let body: String = (0..2000)
            .map(|i| format!("{{\"id\": \"{i}\", \"title\": \"Paper number {i} on things\"}}\n"))
            .collect();
        let compressed = gzip(body.as_bytes());
        fs::write(&path, &compressed[..compressed.len() / 2]).unwrap();
        let items: Vec<_> = open(&discover(&[path]).unwrap()[0]).unwrap().collect();
        let (last, rest) = items.split_last().unwrap();
        assert!(rest.iter().all(Result::is_ok));
        assert!(!rest.is_empty());
        let err = last.as_ref().unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
    }

    #[test]
    fn binary_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.txt");
        fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let err = open(&discover(std::slice::from_ref(&path)).unwrap()[0])
            .err()
            .unwrap();
        let msg = format!("{err:#}");
        assert!(msg.contains("looks binary"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
    }

    #[test]
    fn binary_content_inside_gzip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl.gz");
        fs::write(&path, gzip(b"{\0\0\0")).unwrap();
        let err = open(&discover(&[path]).unwrap()[0]).err().unwrap();
        assert!(format!("{err:#}").contains("looks binary"));
    }

    #[test]
    fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.txt");
        fs::write(&path, b"").unwrap();
        let err = open(&discover(&[path]).unwrap()[0]).err().unwrap();
        assert!(format!("{err:#}").contains("is empty"));
    }

    #[test]
    fn a_venue_is_its_file_stem_trimmed() {
        assert_eq!(classify_name(" lead 2021 .txt").0, "lead 2021");
        assert_eq!(classify_name("mlsys-2022.txt.gz").0, "mlsys-2022");
        assert_eq!(classify_name(" .txt").0, " ");
    }

    #[test]
    fn gzip_is_read_whatever_the_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["papers.jsonl", "papers", "mlsys-2022.txt"] {
            let path = dir.path().join(name);
            let body: &[u8] = if name.ends_with(".txt") {
                LISTING.as_bytes()
            } else {
                JSONL.as_bytes()
            };
            fs::write(&path, gzip(body)).unwrap();
            let records = open(&discover(&[path]).unwrap()[0]).unwrap();
            assert_eq!(records.filter(Result::is_ok).count(), 2, "{name}");
        }
    }

    #[test]
    fn utf16_text_and_a_json_array_say_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let utf16 = dir.path().join("notepad.txt");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(LISTING.encode_utf16().flat_map(u16::to_le_bytes));
        fs::write(&utf16, bytes).unwrap();
        let err = open(&discover(&[utf16]).unwrap()[0]).err().unwrap();
        assert!(format!("{err:#}").contains("is UTF-16 text"), "{err:#}");
        // An array on one line is a line of JSON Lines: an invalid record, not a whole file.
        let one_line = dir.path().join("one.jsonl");
        fs::write(
            &one_line,
            "[\"not\", \"a record\"]\n{\"id\": \"a\", \"title\": \"A\"}\n",
        )
        .unwrap();
        let records = open(&discover(&[one_line]).unwrap()[0]).unwrap();
        assert_eq!(records.filter(Result::is_ok).count(), 1);
        for name in ["array.json", "array"] {
            let path = dir.path().join(name);
            fs::write(&path, "[\n  {\"id\": \"a\", \"title\": \"A\"}\n]\n").unwrap();
            let err = open(&discover(&[path]).unwrap()[0]).err().unwrap();
            assert!(
                format!("{err:#}").contains("holds a JSON array"),
                "{name}: {err:#}"
            );
        }
    }

    #[test]
    fn file_that_is_not_gzip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.jsonl.gz");
        fs::write(&path, JSONL).unwrap();
        let err = open(&discover(&[path]).unwrap()[0]).err().unwrap();
        assert!(format!("{err:#}").contains("gzip"), "{err:#}");
    }
}
