//! Ingest: reads sources into an index home, reporting what happened to every record.
//!
//! Invariants: nothing changes in the index until a whole run succeeds (a full build goes into a
//! fresh generation that is published only after commit; `--add` commits once, at the end); by
//! default a run that meets invalid records changes nothing and lists them, and with
//! `skip_invalid` it indexes the rest and counts what it skipped; a paper id is unique in the
//! index: a later record with the same id replaces the earlier one.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{DocAddress, DocSet, Index, IndexWriter, Searcher, TantivyDocument, TERMINATED};

use crate::analyzer;
use crate::index::{self, IndexHome, Manifest, OpenError, SourceStamp, WriteLock};
use crate::paper::Paper;
use crate::schema::Fields;
use crate::sources::{self, Source, SourceKind};

/// How a run treats what the index already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The index becomes exactly the given sources (built aside, then swapped in).
    #[default]
    Replace,
    /// The given sources are added to the index in place; papers with known ids are replaced.
    Add,
    /// As `Replace`, but also replaces an index that cannot be opened (corrupt, older format).
    Rebuild,
}

/// Settings of an ingest run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub mode: Mode,
    /// Indexing threads.
    pub threads: usize,
    /// Indexing memory budget in MiB, shared by the threads.
    pub memory_mb: usize,
    /// Index the valid records and count the invalid ones, rather than changing nothing.
    pub skip_invalid: bool,
    /// Show a progress bar (only ever drawn when stderr is a terminal).
    pub progress: bool,
    /// Merge the index into one segment when done ([`merge_all`]).
    pub merge: bool,
    /// Sources whose papers the index holds now (a search's rebuild): one that cannot be opened,
    /// or read to its end, stops the run even under `skip_invalid`, since the rebuild would
    /// drop its papers.
    pub keep_papers_of: Vec<PathBuf>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            mode: Mode::Replace,
            threads: default_threads(),
            memory_mb: DEFAULT_MEMORY_MB,
            skip_invalid: false,
            progress: true,
            merge: false,
            keep_papers_of: Vec::new(),
        }
    }
}

impl IngestOptions {
    /// Whether `--skip-invalid` may pass over the source at `path` whole: not one whose papers
    /// a rebuild must keep.
    fn may_skip(&self, path: &Path) -> bool {
        self.skip_invalid && !self.keep_papers_of.iter().any(|p| p == path)
    }
}

/// Default indexing budget. tantivy flushes a segment when a thread's share fills; 512 MiB keeps
/// segments large (fewer merges, faster queries) while staying far below a laptop's memory.
pub const DEFAULT_MEMORY_MB: usize = 512;

/// tantivy refuses less than about 15 MB per indexing thread.
const MIN_MEMORY_PER_THREAD_MB: usize = 16;

/// How many invalid records are listed by name; the rest are counted.
pub(crate) const PROBLEMS_LISTED: usize = 10;

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What one source contributed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub path: PathBuf,
    pub papers: u64,
    pub invalid: u64,
    /// The count a listing's `| Total: N` header claims, where it has one.
    pub header_total: Option<u64>,
}

/// What an ingest run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub sources: Vec<SourceReport>,
    /// Valid records read.
    pub read: u64,
    /// Papers whose id was new to the index.
    pub added: u64,
    /// Papers that replaced one with the same id in the index.
    pub updated: u64,
    /// Records whose id an earlier record of the same run had: the later one is kept.
    pub repeated: u64,
    /// Invalid records skipped (`--skip-invalid`).
    pub skipped: u64,
    /// Papers of the previous index that the sources no longer hold (`Replace` only).
    pub removed: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// Papers in the index after the run.
    pub documents: u64,
    pub index_bytes: u64,
    /// The first invalid records, as `file:line: what is wrong`.
    pub problems: Vec<String>,
    /// Why `--merge` could not merge the index (it is complete all the same, in several
    /// segments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_failed: Option<String>,
}

impl IngestSummary {
    /// Lists a problem, while fewer than [`PROBLEMS_LISTED`] are (the first is what a run
    /// that read nothing names).
    /// A source skipped whole under `--skip-invalid` (it cannot be read at all, or holds no
    /// papers): always listed, however many records were listed before, as it is a whole file.
    fn skip_source(&mut self, mut report: SourceReport, why: String) {
        self.problems.push(why);
        report.invalid = 1;
        self.skipped += 1;
        self.sources.push(report);
    }

    fn list_problem(&mut self, problem: String) {
        if self.problems.len() < PROBLEMS_LISTED {
            self.problems.push(problem);
        }
    }
}

/// Turns a paper into the tantivy document that indexes and stores it.
pub fn document(fields: &Fields, paper: &Paper) -> TantivyDocument {
    weighted_document(fields, paper, TITLE_WEIGHT)
}

/// As [`document`], with the title written `title_weight` times into the ranking field
/// (for measuring the choice of [`TITLE_WEIGHT`]).
pub fn weighted_document(fields: &Fields, paper: &Paper, title_weight: usize) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &paper.id);
    doc.add_text(fields.venue, &paper.venue);
    if let Some(n) = paper.number {
        doc.add_u64(fields.number, n);
    }
    if let Some(y) = paper.year {
        doc.add_i64(fields.year, y);
    }
    doc.add_text(fields.title, &paper.title);
    for author in &paper.authors {
        doc.add_text(fields.authors, author);
    }
    doc.add_text(fields.abstract_text, &paper.abstract_text);
    for _ in 0..title_weight {
        doc.add_text(fields.text, &paper.title);
    }
    doc.add_text(fields.text, &paper.abstract_text);
    if let Some(url) = &paper.url {
        doc.add_text(fields.url, url);
    }
    doc
}

/// How many times the title is written into the ranking field: a title word says more about a
/// paper than an abstract word, and repeating the title is how one BM25 field weights it. With
/// the title field's own clause ([`crate::query::Ranking::title_boost`]) two copies rank as well
/// as three on SciFact train and better on Cranfield (README, quality).
pub const TITLE_WEIGHT: usize = 2;

pub(crate) fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Whether a live (not deleted) paper with this id is in the searcher's snapshot.
pub fn contains_id(searcher: &Searcher, fields: &Fields, id: &str) -> Result<bool> {
    Ok(find_id(searcher, fields, id)?.is_some())
}

/// The live paper with this id in the searcher's snapshot, if any.
pub fn find_id(
    searcher: &Searcher,
    fields: &Fields,
    id: &str,
) -> tantivy::Result<Option<DocAddress>> {
    let term = Term::from_field_text(fields.id, id);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(fields.id)?;
        let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if !segment.is_deleted(doc) {
                return Ok(Some(DocAddress::new(ord as u32, doc)));
            }
            doc = postings.advance();
        }
    }
    Ok(None)
}

/// Hashes of every live id in the snapshot, to count updates and removals of a `Replace` run.
fn live_id_hashes(searcher: &Searcher, fields: &Fields) -> Result<HashSet<u64>> {
    let mut ids = HashSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(fields.id)?;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let key = terms.key();
            let term_info = terms.value();
            let mut postings =
                inverted.read_postings_from_terminfo(term_info, IndexRecordOption::Basic)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    ids.insert(id_hash(&String::from_utf8_lossy(key)));
                    break;
                }
                doc = postings.advance();
            }
        }
    }
    Ok(ids)
}

/// Ingests `inputs` (files or directories) into `home`.
pub fn ingest(home: &IndexHome, inputs: &[PathBuf], opts: &IngestOptions) -> Result<IngestSummary> {
    // Absolute paths, so the fingerprints match whatever directory a later search runs from.
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
    let found = discover(&inputs, opts)?;
    let lock = home.lock()?;
    locked(home, &lock, &inputs, &found, opts)
}

/// The sources of `inputs`, saying on stderr which links in their directories lead nowhere, and
/// which folders in them could not be listed where `--skip-invalid` skips them.
fn discover(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Vec<Source>> {
    let mut passed = sources::PassedOver {
        skip_unlisted: opts.skip_invalid,
        ..Default::default()
    };
    let found = sources::discover_noting(inputs, &mut passed);
    // Said even when nothing was found: a directory whose sources are all in a folder that
    // was skipped is otherwise only "no sources in" it.
    for link in &passed.broken {
        eprintln!(
            "paperdex: warning: skipped {}: a link to nothing",
            link.display()
        );
    }
    for (_, why) in &passed.unlisted {
        eprintln!("paperdex: warning: skipped {why}");
    }
    found
}

/// A build a search starts, of an index missing, stale or of another format: what it is built
/// from is decided by `inputs_now` once the write lock is held, so that a build, `--add` or
/// `remove` that finished while this one waited for the lock is neither repeated nor undone.
/// `Ok(None)`: `inputs_now` found nothing left to build.
pub fn ingest_if(
    home: &IndexHome,
    opts: &IngestOptions,
    inputs_now: impl FnOnce() -> Result<Option<Vec<PathBuf>>>,
) -> Result<Option<IngestSummary>> {
    let lock = home.lock()?;
    let Some(inputs) = inputs_now()? else {
        return Ok(None);
    };
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
    let found = discover(&inputs, opts)?;
    locked(home, &lock, &inputs, &found, opts).map(Some)
}

fn locked(
    home: &IndexHome,
    lock: &WriteLock,
    inputs: &[PathBuf],
    found: &[Source],
    opts: &IngestOptions,
) -> Result<IngestSummary> {
    // The manifest records every source by name, in JSON: a name that is not UTF-8 cannot be
    // recorded, so it is refused (or skipped) before anything is built.
    let not_utf8 = |path: &Path| {
        anyhow::anyhow!(
            "{}: the name is not valid UTF-8, which the index's record of its sources cannot hold; rename it",
            path.display()
        )
    };
    if let Some(input) = inputs.iter().find(|p| p.to_str().is_none()) {
        return Err(not_utf8(input));
    }
    let (found, badly_named): (Vec<Source>, Vec<Source>) = found
        .iter()
        .cloned()
        .partition(|s| s.path.to_str().is_some());
    if let Some(first) = badly_named.first() {
        if !opts.skip_invalid || found.is_empty() {
            return Err(not_utf8(&first.path));
        }
        for source in &badly_named {
            eprintln!(
                "paperdex: warning: skipped {}: the file name is not valid UTF-8",
                source.path.display()
            );
        }
    }
    let found = found.as_slice();
    let opened = if opts.mode == Mode::Rebuild {
        // `--rebuild` is how a damaged index is replaced, and tantivy, which trusts its files,
        // may panic while opening a damaged one.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| home.open()))
            .unwrap_or_else(|_| Err(OpenError::Broken(anyhow::anyhow!("its files are damaged"))))
    } else {
        home.open()
    };
    let previous = match opened {
        Ok(p) => Some(p),
        Err(OpenError::Missing) => None,
        // `--rebuild` replaces whatever is there; re-indexing replaces an index of another
        // paperdex version by the sources given (an upgrade).
        Err(e)
            if opts.mode == Mode::Rebuild
                || (opts.mode == Mode::Replace && matches!(e, OpenError::Format { .. })) =>
        {
            eprintln!(
                "paperdex: replacing the index in {} ({e})",
                home.dir.display()
            );
            None
        }
        Err(e) => bail!(
            "cannot read the existing index in {}: {e}\nhint: `paperdex index --rebuild` replaces it",
            home.dir.display()
        ),
    };
    match (opts.mode, previous) {
        (Mode::Add, Some(previous)) => {
            let added = add_in_place(home, lock, previous, inputs, found, opts);
            if added.is_err() {
                // An in-place update that failed leaves uncommitted files behind; free them.
                let _ = home.collect_garbage(lock);
            }
            added
        }
        (_, previous) => build_aside(home, lock, previous, inputs, found, opts),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Below this much input, one indexing thread: every thread writes a segment of its own, and
/// each segment is more files for every search to open (the embedded corpus is 35 KiB).
const BYTES_PER_EXTRA_THREAD: u64 = 8 << 20;

fn writer_for(index: &Index, opts: &IngestOptions, input_bytes: u64) -> Result<IndexWriter> {
    let useful = 1 + usize::try_from(input_bytes / BYTES_PER_EXTRA_THREAD).unwrap_or(usize::MAX);
    let threads = opts.threads.clamp(1, useful);
    let memory_mb = opts.memory_mb.max(threads * MIN_MEMORY_PER_THREAD_MB);
    // tantivy caps one thread's arena below 4 GiB.
    let memory_mb = memory_mb.min(threads * 4000);
    let writer = writer(index, threads, memory_mb * 1024 * 1024)?;
    if opts.merge {
        // All segments are merged once after the commit (`merge_all`): no merge of tantivy's
        // own may race that one.
        writer.set_merge_policy(Box::new(NoMergePolicy));
    }
    Ok(writer)
}

/// An index writer as every paperdex write uses it: the indexing analyzers (the same terms as
/// searches use, computed faster) and [`merge_policy`].
pub fn writer(index: &Index, threads: usize, arena_bytes: usize) -> Result<IndexWriter> {
    analyzer::register_for_indexing(index.tokenizers());
    let writer: IndexWriter = index
        .writer_with_num_threads(threads, arena_bytes)
        .context("starting the index writer")?;
    writer.set_merge_policy(Box::new(merge_policy()));
    Ok(writer)
}

/// Share of deleted documents past which a segment is rewritten without them.
pub const DELETED_RATIO_BEFORE_MERGE: f32 = 0.2;

/// How an index stays fast as it lives: tantivy's log-size levels (eight segments of similar
/// size become one, so the count grows with the logarithm of the corpus), and a segment whose
/// documents are more than [`DELETED_RATIO_BEFORE_MERGE`] deleted (by `--add` updates or
/// `remove`) is rewritten without them, since deleted documents still cost every query.
/// tantivy's default never merges for deletes alone.
pub fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_del_docs_ratio_before_merge(DELETED_RATIO_BEFORE_MERGE);
    policy
}

/// Adds a document. When an indexing thread has failed, tantivy says only that "an index writer
/// was killed"; the thread's own error (a full disk, most often) comes out when the threads are
/// joined, so join them and report that instead. Nothing is committed either way.
fn add_document(writer: &mut IndexWriter, doc: TantivyDocument) -> Result<()> {
    let Err(killed) = writer.add_document(doc) else {
        return Ok(());
    };
    Err(match writer.prepare_commit() {
        Err(cause) => anyhow::Error::new(cause).context("an indexing thread failed"),
        Ok(_) => killed.into(),
    })
}

/// Full build into a new generation; the previous index stays in use until it is published.
fn build_aside(
    home: &IndexHome,
    lock: &WriteLock,
    previous: Option<index::PaperIndex>,
    inputs: &[PathBuf],
    found: &[Source],
    opts: &IngestOptions,
) -> Result<IngestSummary> {
    same_listing_names(found, &[])?;
    // Counted against the index being replaced, so that a run dropping papers says how many.
    let old_ids = match &previous {
        Some(p) if opts.mode == Mode::Replace => live_id_hashes(&p.searcher(), &p.fields)?,
        // `--rebuild` is also how a damaged index is replaced: ids it cannot read count as none,
        // and tantivy, which trusts its files, may panic on a damaged term dictionary.
        Some(p) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            live_id_hashes(&p.searcher(), &p.fields)
        }))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default(),
        None => HashSet::new(),
    };
    drop(previous);
    let (generation, path) = home.new_generation(lock)?;
    let result = (|| {
        let (index, fields) = index::create_tantivy(&path)?;
        let total_bytes = input_bytes(found);
        let mut writer = writer_for(&index, opts, total_bytes)?;
        let mut seen = HashSet::new();
        let (sources, mut summary) = read_stamped(found, total_bytes, opts, |paper| {
            let fresh = seen.insert(id_hash(&paper.id));
            if !fresh {
                // Same id twice in the sources: the later record wins.
                writer.delete_term(Term::from_field_text(fields.id, &paper.id));
            }
            add_document(&mut writer, document(&fields, paper))?;
            Ok(if !fresh {
                Outcome::Repeated
            } else if old_ids.contains(&id_hash(&paper.id)) {
                Outcome::Updated
            } else {
                Outcome::Added
            })
        })?;
        if !summary.problems.is_empty() && !opts.skip_invalid {
            return Ok((sources, summary));
        }
        writer.commit().context("committing the index")?;
        if opts.merge {
            summary.merge_failed = merge_all(&mut writer);
        }
        writer
            .wait_merging_threads()
            .context("merging index segments")?;
        summary.removed = old_ids.len() as u64 - (summary.updated.min(old_ids.len() as u64));
        Ok((sources, summary))
    })();
    let (sources, summary) = match result {
        Ok((sources, s)) if s.problems.is_empty() || opts.skip_invalid => (sources, s),
        other => {
            let _ = std::fs::remove_dir_all(&path);
            return match other {
                Ok((_, s)) => Err(invalid_records_error(&s)),
                Err(e) => Err(e),
            };
        }
    };
    let manifest = Manifest {
        format: index::FORMAT_VERSION,
        generation,
        inputs: inputs.to_vec(),
        sources,
        built_at: index::unix_now(),
        paperdex_version: env!("CARGO_PKG_VERSION").to_string(),
        papers_removed: false,
    };
    if let Err(e) = home.publish(&manifest, lock) {
        // Never published, so never searched: nothing but this run knows of it.
        let _ = std::fs::remove_dir_all(&path);
        return Err(e);
    }
    finish(home, summary)
}

/// Merges every segment of the committed index into one, dropping deleted papers, as Lucene's
/// force-merge does for a collection written once and searched often (`index --merge`): a
/// query then looks each term up once instead of once per segment and ranks one list of
/// papers. On paperlists (87,669 abstracts, two segments) the search part of queries took
/// 0.93 x the time, at 1M abstracts (four segments) 0.88 x; the build took 1.3 x and 1.4 x as
/// long (BENCHMARKS.md), which is why it is not the default. It needs free disk space for a
/// second copy of the index while it runs; when it fails (a full disk), the index stays as
/// committed, in several segments, and the reason is returned for the caller to say.
fn merge_all(writer: &mut IndexWriter) -> Option<String> {
    let mut merge = || -> Result<()> {
        let metas = writer
            .index()
            .searchable_segment_metas()
            .context("listing index segments")?;
        if metas.len() > 1 || metas.iter().any(|m| m.has_deletes()) {
            let segments: Vec<_> = metas.iter().map(|m| m.id()).collect();
            // tantivy deletes the merged segments' files after the merge, but not while
            // anything holds their metadata: the index would be left twice its size.
            drop(metas);
            if let Err(e) = writer.merge(&segments).wait() {
                // What the merge wrote before it failed is in no commit: free the space it took.
                let _ = writer.garbage_collect_files().wait();
                return Err(anyhow::Error::new(e).context("merging index segments"));
            }
        }
        Ok(())
    };
    merge().err().map(|e| format!("{e:#}"))
}

/// `--add` on an existing index: upserts in place and commits once.
fn add_in_place(
    home: &IndexHome,
    lock: &WriteLock,
    previous: index::PaperIndex,
    inputs: &[PathBuf],
    found: &[Source],
    opts: &IngestOptions,
) -> Result<IngestSummary> {
    let searcher = previous.searcher();
    let fields = previous.fields;
    let total_bytes = input_bytes(found);
    same_listing_names(found, &previous.manifest.sources)?;
    let mut writer = writer_for(&previous.index, opts, total_bytes)?;
    let mut seen = HashSet::new();
    let (stamped, mut summary) = read_stamped(found, total_bytes, opts, |paper| {
        let repeated = !seen.insert(id_hash(&paper.id));
        let known = repeated || contains_id(&searcher, &fields, &paper.id)?;
        if known {
            writer.delete_term(Term::from_field_text(fields.id, &paper.id));
        }
        add_document(&mut writer, document(&fields, paper))?;
        Ok(if repeated {
            Outcome::Repeated
        } else if known {
            Outcome::Updated
        } else {
            Outcome::Added
        })
    })?;
    if !summary.problems.is_empty() && !opts.skip_invalid {
        writer.rollback().context("rolling back")?;
        return Err(invalid_records_error(&summary));
    }
    let mut manifest = previous.manifest.clone();
    // Last, as it was read last: a rebuild reads the inputs in this order, and of two records
    // with one id keeps the later, so what this run added stays what the index shows.
    for input in inputs {
        manifest.inputs.retain(|p| p != input);
        manifest.inputs.push(input.clone());
    }
    for stamp in stamped {
        manifest.sources.retain(|s| s.path != stamp.path);
        manifest.sources.push(stamp);
    }
    summary.merge_failed = commit_in_place(home, lock, writer, manifest, opts.merge)?;
    drop(previous);
    finish(home, summary)
}

/// Commits an in-place write (`--add`, `remove`) with `manifest`, stamped now, merges the
/// index into one segment if asked, and publishes the manifest. Returns why the merge failed,
/// if it did: the write is committed all the same.
fn commit_in_place(
    home: &IndexHome,
    lock: &WriteLock,
    mut writer: IndexWriter,
    mut manifest: Manifest,
    merge: bool,
) -> Result<Option<String>> {
    manifest.built_at = index::unix_now();
    index::commit_with_manifest(&mut writer, &manifest)?;
    let merge_failed = if merge { merge_all(&mut writer) } else { None };
    writer
        .wait_merging_threads()
        .context("merging index segments")?;
    home.publish(&manifest, lock)?;
    Ok(merge_failed)
}

fn finish(home: &IndexHome, mut summary: IngestSummary) -> Result<IngestSummary> {
    let opened = home
        .open()
        .map_err(|e| anyhow::anyhow!("reopening the new index: {e}"))?;
    summary.documents = opened.num_papers();
    summary.index_bytes = dir_size(&opened.path);
    Ok(summary)
}

fn invalid_records_error(summary: &IngestSummary) -> anyhow::Error {
    let invalid: u64 = summary.sources.iter().map(|s| s.invalid).sum();
    let mut msg = format!(
        "{invalid} invalid record{} found; the index was not changed:",
        if invalid == 1 { "" } else { "s" }
    );
    for p in &summary.problems {
        msg.push_str("\n  ");
        msg.push_str(p);
    }
    if invalid as usize > summary.problems.len() {
        msg.push_str(&format!(
            "\n  ... and {} more",
            invalid as usize - summary.problems.len()
        ));
    }
    msg.push_str("\nhint: fix them, or pass --skip-invalid to index the valid records");
    anyhow::anyhow!(msg)
}

/// Reads the sources into `sink` ([`feed`]), with what the manifest will record of each
/// source taken before it is read: a file changed while it is read then differs from its stamp,
/// and the next search says so, rather than the index passing for up to date.
fn read_stamped(
    found: &[Source],
    total_bytes: u64,
    opts: &IngestOptions,
    sink: impl FnMut(&Paper) -> Result<Outcome>,
) -> Result<(Vec<SourceStamp>, IngestSummary)> {
    let stamps = found
        .iter()
        .map(|s| SourceStamp::of(&s.path))
        .collect::<Result<_>>()?;
    Ok((stamps, feed(found, total_bytes, opts, sink)?))
}

/// Total size of the source files, as stored (compressed or not).
fn input_bytes(found: &[Source]) -> u64 {
    found
        .iter()
        .filter_map(|s| std::fs::metadata(&s.path).ok())
        .map(|m| m.len())
        .sum()
}

/// Total size of the files in a directory (not recursive: tantivy's directories are flat).
pub fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

enum Outcome {
    Added,
    Updated,
    /// The id of an earlier record of the same run.
    Repeated,
}

/// Refuses two listings of one name in different folders (`2023/iclr.txt`, `2024/iclr.txt`),
/// among `found` or beside one the index holds (`recorded`, for `--add`; one that was moved,
/// and is gone from where it was, is the same listing): a listing's ids come from its file name
/// (`iclr-1`, `iclr-2`, ...), so the second would silently replace the first one's papers.
fn same_listing_names(found: &[Source], recorded: &[index::SourceStamp]) -> Result<()> {
    let mut seen: Vec<(String, &Path)> = recorded
        .iter()
        .filter(|r| r.path.exists())
        .filter_map(|r| Some((sources::listing_venue(&r.path)?, r.path.as_path())))
        .collect();
    for source in found.iter().filter(|s| s.kind == SourceKind::Listing) {
        let other = seen
            .iter()
            .find(|(venue, path)| *venue == source.venue && !same_file(path, &source.path));
        if let Some((_, other)) = other {
            bail!(
                "{} and {} would give their papers the same ids ({venue}-1, {venue}-2, ...: a \
                 listing's ids come from its file name); rename one of them; nothing was changed",
                other.display(),
                source.path.display(),
                venue = source.venue
            );
        }
        seen.push((source.venue.clone(), &source.path));
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::fs::canonicalize;
    a == b || matches!((canonicalize(a), canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Streams every record of every source through `sink`, counting per source.
/// `total_bytes` is [`input_bytes`] of `found`, for the progress bar.
fn feed(
    found: &[Source],
    total_bytes: u64,
    opts: &IngestOptions,
    mut sink: impl FnMut(&Paper) -> Result<Outcome>,
) -> Result<IngestSummary> {
    let started = Instant::now();
    let bar = progress_bar(opts.progress, total_bytes);
    let mut summary = IngestSummary::default();
    let mut done_bytes = 0;
    // Sources skipped whole, as unreadable; the rest of `summary.skipped` are records.
    let mut unopened = 0u64;
    for source in found {
        let mut report = SourceReport {
            path: source.path.clone(),
            ..SourceReport::default()
        };
        let mut records = match sources::open(source) {
            Ok(records) => records,
            // A file that cannot be read at all (binary, not gzip, empty, not permitted) is one
            // more thing `--skip-invalid` skips and lists; the rest of a directory is indexed.
            Err(e) if opts.may_skip(&source.path) => {
                unopened += 1;
                summary.skip_source(report, format!("{e:#}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut n = 0u64;
        while let Some(record) = records.next() {
            match record {
                Ok(paper) => {
                    match sink(&paper).with_context(|| {
                        format!("indexing {} ({})", paper.id, source.path.display())
                    })? {
                        Outcome::Added => summary.added += 1,
                        Outcome::Updated => summary.updated += 1,
                        Outcome::Repeated => summary.repeated += 1,
                    }
                    report.papers += 1;
                }
                Err(problem) => {
                    report.invalid += 1;
                    let listed = format!("{}:{problem}", source.path.display());
                    if problem.is_read_failure() {
                        if opts.keep_papers_of.contains(&source.path) {
                            bail!("{listed}");
                        }
                        // Said whatever came before: it is what is wrong with the file.
                        summary.problems.push(listed);
                    } else {
                        summary.list_problem(listed);
                    }
                }
            }
            n += 1;
            if n.is_multiple_of(512) {
                if let Some(bar) = &bar {
                    bar.set_position(done_bytes + records.bytes_read());
                    bar.set_message(format!("{} papers", summary.added + summary.updated));
                }
            }
        }
        report.header_total = records.header_total();
        if report.papers > 0 && records.is_listing() && sources::read_once(&source.path) {
            // Ids come from a listing's file name, which a pipe has not.
            eprintln!(
                "paperdex: note: {}: a listing piped in takes its ids from the pipe's name ({venue}-1, {venue}-2, ...), so another listing piped in with --add would replace its papers; save each listing as a file named for its venue (iclr-2024.txt) to keep them apart",
                source.path.display(),
                venue = source.venue,
            );
        }
        if report.papers == 0 && report.invalid == 0 && report.header_total != Some(0) {
            // As an empty file is refused: a listing cut down to its header would otherwise
            // replace every paper it held with none. `--skip-invalid` skips it as it skips an
            // empty file.
            let why = format!(
                "{}: holds no papers{}",
                source.path.display(),
                match report.header_total {
                    Some(total) => format!(" (its header says {total})"),
                    None => String::new(),
                }
            );
            if opts.may_skip(&source.path) {
                unopened += 1;
                done_bytes += records.bytes_read();
                summary.skip_source(report, why);
                continue;
            }
            bail!("{why}; nothing was changed");
        }
        done_bytes += records.bytes_read();
        summary.read += report.papers;
        summary.skipped += report.invalid;
        summary.sources.push(report);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if summary.read == 0 && summary.skipped > 0 {
        // Every record `--skip-invalid` passed over: indexing nothing would empty the index.
        // (A stray unreadable file beside good ones is skipped and listed, as asked.)
        let first = summary.problems.first().map_or("", String::as_str);
        let records = summary.skipped - unopened;
        let which = match (records, unopened) {
            (1, 0) => format!("the only record is invalid ({first})"),
            (n, 0) => format!("all {n} records are invalid (the first: {first})"),
            (0, 1) => format!("the only source cannot be read ({first})"),
            (0, n) => format!("none of the {n} sources can be read (the first: {first})"),
            (r, n) => format!(
                "{} invalid, {} unreadable (the first: {first})",
                crate::render::plural(r as usize, "record", "records"),
                crate::render::plural(n as usize, "source", "sources")
            ),
        };
        bail!("no papers could be read: {which}; nothing was changed");
    }
    // What was read, where the files' sizes do not say (a pipe has none).
    summary.bytes = total_bytes.max(done_bytes);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn progress_bar(enabled: bool, total_bytes: u64) -> Option<ProgressBar> {
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total_bytes);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Deletes papers by id. Returns the ids that were found and removed, and those not found.
pub fn remove(home: &IndexHome, ids: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let lock = home.lock()?;
    let opened = home
        .open()
        .map_err(|e| anyhow::anyhow!("cannot open the index in {}: {e}", home.dir.display()))?;
    let searcher = opened.searcher();
    let writer = writer(&opened.index, 1, 32 * 1024 * 1024)?;
    let (mut removed, mut missing) = (Vec::new(), Vec::new());
    let mut asked = HashSet::new();
    for id in ids.iter().filter(|id| asked.insert(id.as_str())) {
        if contains_id(&searcher, &opened.fields, id)? {
            writer.delete_term(Term::from_field_text(opened.fields.id, id));
            removed.push(id.clone());
        } else {
            missing.push(id.clone());
        }
    }
    if !removed.is_empty() {
        let manifest = Manifest {
            papers_removed: true,
            ..opened.manifest.clone()
        };
        commit_in_place(home, &lock, writer, manifest, false)?;
    }
    Ok((removed, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper(id: &str) -> Paper {
        Paper {
            id: id.to_string(),
            venue: "test".to_string(),
            title: format!("Paper {id}"),
            abstract_text: "Concept drift in streams.".to_string(),
            ..Paper::default()
        }
    }

    #[test]
    fn merging_leaves_one_segment_without_replaced_papers() {
        let (index, fields) = index::create_in_ram();
        let mut writer = writer(&index, 1, 16 << 20).unwrap();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        // Three flushes, as indexing threads and a full arena make them, and one paper replaced.
        for batch in 0..3 {
            for i in 0..10 {
                add_document(
                    &mut writer,
                    document(&fields, &paper(&format!("p{batch}-{i}"))),
                )
                .unwrap();
            }
            writer.commit().unwrap();
        }
        writer.delete_term(Term::from_field_text(fields.id, "p0-0"));
        add_document(&mut writer, document(&fields, &paper("p0-0"))).unwrap();
        assert_eq!(index.searchable_segment_ids().unwrap().len(), 3);

        writer.commit().unwrap();
        assert_eq!(merge_all(&mut writer), None, "the merge failed");
        writer.wait_merging_threads().unwrap();
        let metas = index.searchable_segment_metas().unwrap();
        assert_eq!(metas.len(), 1);
        assert_eq!((metas[0].num_docs(), metas[0].num_deleted_docs()), (30, 0));
    }

    #[test]
    fn a_source_changed_while_it_is_read_is_seen_as_changed_by_the_next_search() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("papers.jsonl");
        let record = |id: &str| format!("{{\"id\": \"{id}\", \"title\": \"Drift {id}\"}}\n");
        std::fs::write(&file, record("a") + &record("b")).unwrap();
        let found = sources::discover(std::slice::from_ref(&file)).unwrap();
        let opts = IngestOptions {
            progress: false,
            ..IngestOptions::default()
        };
        // The file grows while its first paper is being indexed, as a download still being
        // written or a listing being edited would.
        let mut read = Vec::new();
        let (stamps, summary) = read_stamped(&found, 0, &opts, |paper| {
            if read.is_empty() {
                let mut f = std::fs::OpenOptions::new().append(true).open(&file)?;
                std::io::Write::write_all(&mut f, record("c").as_bytes())?;
            }
            read.push(paper.id.clone());
            Ok(Outcome::Added)
        })
        .unwrap();
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        let manifest = Manifest {
            format: index::FORMAT_VERSION,
            generation: String::new(),
            inputs: vec![file.clone()],
            sources: stamps,
            built_at: 0,
            paperdex_version: String::new(),
            papers_removed: false,
        };
        let changes = IndexHome::new(dir.path().join("index")).changes(&manifest);
        assert_eq!(changes.changed, vec![file], "papers read: {read:?}");
    }
}
