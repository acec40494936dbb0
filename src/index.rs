//! The index home: a directory holding one paperdex index, its manifest and its write lock.
//!
//! Layout of `DIR` (default `index/`):
//! - `paperdex.json`: the manifest: format version, the tantivy directory in use, the sources
//!   the index was built from with their fingerprints, and when it was built;
//! - `gen-*/`: tantivy index directories; the manifest names the one in use;
//! - `paperdex.lock`: held by the one process that writes.
//!
//! Invariants: the manifest is replaced only by an atomic rename, after the directory it names is
//! complete and committed, so a reader sees the old index or the new one, never a part; a full
//! build happens in a fresh `gen-*` directory, so a failed or killed build leaves the old index
//! as it was; paperdex never deletes a directory that has no paperdex manifest.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher};

use crate::analyzer;
use crate::schema::{self, Fields};

/// Version of the on-disk layout: schema, analyzers, text cleaning and manifest together. An
/// index with another version is never searched, since its terms were made by other analyzers
/// or from otherwise cleaned text.
pub const FORMAT_VERSION: u32 =
    10_000 * crate::clean::CLEANING_VERSION + 100 * LAYOUT_VERSION + analyzer::ANALYZER_VERSION;

/// Version of the schema and of what each field holds (3: the title twice in the ranking field,
/// the abstract indexed there only).
const LAYOUT_VERSION: u32 = 3;

const MANIFEST: &str = "paperdex.json";
const LOCK: &str = "paperdex.lock";
const GEN_PREFIX: &str = "gen-";

/// Whether `dir` is an index home (its manifest or lock is there): a source directory that
/// holds its own index (`paperdex index .`) must not read the index's JSON files as papers.
pub fn is_home(dir: &Path) -> bool {
    dir.join(MANIFEST).exists() || dir.join(LOCK).exists()
}

/// What the manifest records about one source file, to tell when the index is older than it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStamp {
    pub path: PathBuf,
    pub bytes: u64,
    /// Modification time in nanoseconds since the epoch; 0 where the platform gives none.
    pub modified_ns: u128,
}

impl SourceStamp {
    pub fn of(path: &Path) -> Result<SourceStamp> {
        let meta = fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(SourceStamp::from_metadata(path, &meta))
    }

    fn from_metadata(path: &Path, meta: &fs::Metadata) -> SourceStamp {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        SourceStamp {
            path: path.to_path_buf(),
            bytes: meta.len(),
            modified_ns,
        }
    }
}

/// The manifest, `DIR/paperdex.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The `gen-*` directory in use, relative to the index home.
    pub generation: String,
    /// Source arguments as given (files or directories), made absolute.
    pub inputs: Vec<PathBuf>,
    /// Every source file read, with its fingerprint at the time it was read.
    pub sources: Vec<SourceStamp>,
    /// Unix time, seconds.
    pub built_at: u64,
    pub paperdex_version: String,
    /// Papers were deleted (`paperdex remove`) since the index was built from its sources: a
    /// rebuild from them would bring those papers back, so a search never rebuilds it by itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub papers_removed: bool,
}

/// How the sources on disk differ from those an index was built from ([`IndexHome::changes`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SourceChanges {
    /// Source files that are new or changed since they were read.
    pub changed: Vec<PathBuf>,
    /// Files read from a source directory that the directory no longer holds.
    pub gone: Vec<PathBuf>,
    /// Files read from a source directory that are still there but cannot be read now (a
    /// dangling link, a directory without permission, an unmounted drive).
    pub unreadable: Vec<PathBuf>,
    /// Source files that held papers and are empty now (looked for only before a rebuild,
    /// [`IndexHome::look_for_losses`]): a rebuild would drop their papers, as `index` refuses an
    /// empty source.
    pub emptied: Vec<PathBuf>,
    /// Sources named on their own (`index FILE`, `--add FILE`) that are gone: the index may be
    /// the only copy of their papers.
    pub missing_inputs: Vec<PathBuf>,
    /// Files of a source directory whose names are not UTF-8: never indexed (the manifest
    /// cannot record them), so not a change, but said on each search.
    pub badly_named: Vec<PathBuf>,
}

impl SourceChanges {
    /// Whether the sources are as the index was built from them, as far as can be told: no file
    /// new, changed, gone from a source directory, or unreadable there.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.gone.is_empty()
            && self.unreadable.is_empty()
            && self.emptied.is_empty()
    }

    /// Whether a build from the recorded sources would lose nothing the index holds.
    pub fn rebuild_loses_nothing(&self) -> bool {
        self.unreadable.is_empty() && self.emptied.is_empty() && self.missing_inputs.is_empty()
    }
}

/// Why an index home cannot be searched as it is.
#[derive(Debug)]
pub enum OpenError {
    /// There is no index (no manifest) in the directory.
    Missing,
    /// The index was made by a paperdex with another format.
    Format { found: u32 },
    /// Anything else: unreadable, corrupt, not an index.
    Broken(anyhow::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Missing => write!(f, "no index"),
            OpenError::Format { found } => write!(
                f,
                "the index was built by another paperdex version (format {found}, this one reads {FORMAT_VERSION})"
            ),
            OpenError::Broken(e) => write!(f, "{e:#}"),
        }
    }
}

/// An opened index, ready to search.
pub struct PaperIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub manifest: Manifest,
    /// The tantivy directory in use.
    pub path: PathBuf,
}

impl PaperIndex {
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of papers (not counting deleted ones).
    pub fn num_papers(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// paperdex's tantivy directory: tantivy's memory-mapped one, with two differences.
///
/// It reads an index that paperdex may not be allowed to write (a read-only mount, or a
/// directory of another user). tantivy takes its meta lock (a file it creates) even to read, so
/// that a writer's garbage collection never deletes files a reader is opening. Where that file
/// cannot be created, no writer can be working in the directory either, so reading without the
/// lock is safe.
///
/// It writes tantivy's metadata files (`meta.json`, `.managed.json`) as every other file of the
/// index is written, with the permissions the user's umask gives: tantivy's own atomic write
/// goes through a temporary file made private to its owner (0600), so an index built by one user
/// could not be searched by another who can read all the rest of it.
#[derive(Debug, Clone)]
struct PaperDirectory {
    inner: MmapDirectory,
    root: PathBuf,
}

impl PaperDirectory {
    fn open(root: &Path) -> Result<PaperDirectory> {
        let inner =
            MmapDirectory::open(root).with_context(|| format!("opening {}", root.display()))?;
        Ok(PaperDirectory {
            inner,
            root: root.to_path_buf(),
        })
    }
}

impl Directory for PaperDirectory {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> Result<std::sync::Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        // As tantivy's: a temporary file in the same directory, synced, then renamed over (the
        // directory is synced where tantivy asks for it, as after a commit's meta.json).
        let target = self.root.join(path);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = self
            .root
            .join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(data)?;
                file.sync_data()
            })
            .and_then(|()| fs::rename(&tmp, &target));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        self.inner.sync_directory()
    }
    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(callback)
    }
    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            Err(LockError::IoError(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }
}

/// What [`IndexHome::recorded_inputs`] reads of a manifest of any format.
#[derive(Deserialize, Default)]
struct Recorded {
    #[serde(default)]
    inputs: Vec<PathBuf>,
    #[serde(default)]
    papers_removed: bool,
}

/// Opens a tantivy index in `path` with paperdex's analyzers registered.
pub fn open_tantivy(path: &Path) -> Result<(Index, Fields)> {
    let index = Index::open(PaperDirectory::open(path)?)
        .map_err(describe_tantivy_error)
        .with_context(|| format!("opening index in {}", path.display()))?;
    analyzer::register(index.tokenizers());
    let fields = Fields::from_schema(&index.schema())
        .with_context(|| format!("{} does not hold a paperdex index", path.display()))?;
    Ok((index, fields))
}

/// tantivy's errors about damaged files repeat themselves at length; say which file and why.
fn describe_tantivy_error(e: tantivy::TantivyError) -> anyhow::Error {
    match e {
        tantivy::TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath })
            if io_error.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            // Kept as an I/O error, so that the message says what to do about permissions
            // rather than calling the file damaged.
            anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
                .context(format!("cannot read {}", filepath.display()))
        }
        tantivy::TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            anyhow!(
                "{} is damaged or truncated ({io_error})",
                filepath.display()
            )
        }
        tantivy::TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(path)) => {
            anyhow!("{} is missing", path.display())
        }
        e => e.into(),
    }
}

/// Size of a block of stored papers: showing a hit reads its block. With LZ4 (tantivy's
/// default), 4 KiB blocks answered top-10 queries 18% faster than 16 KiB ones on paperlists.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// Stored papers are not compressed: decompressing a block took half of each hit's fetch
/// (3.2 -> 1.7 us per paper, full answers 0.85 x the time on paperlists) for an index 1.35 x
/// as large (112 -> 150 MiB for 87,669 abstracts). Indexes built with LZ4 are read as they are.
const DOCSTORE_COMPRESSION: tantivy::store::Compressor = tantivy::store::Compressor::None;

fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        docstore_compression: DOCSTORE_COMPRESSION,
        // tantivy hands each doc-store block to a thread of its own, to compress it while
        // indexing goes on. With nothing to compress that thread only adds a hand-over per block
        // and a thread per segment writer to the machine's cores: building paperlists took
        // 0.90 x the time without it (BENCHMARKS.md, "Scale").
        docstore_compress_dedicated_thread: false,
        ..tantivy::IndexSettings::default()
    }
}

/// Creates an empty tantivy index in the (new, empty) directory `path`.
pub fn create_tantivy(path: &Path) -> Result<(Index, Fields)> {
    let (schema, fields) = schema::build();
    let index = Index::builder()
        .schema(schema)
        .settings(settings())
        // `create` is private to tantivy; in a new, empty directory this creates.
        .open_or_create(PaperDirectory::open(path)?)
        .with_context(|| format!("creating index in {}", path.display()))?;
    analyzer::register(index.tokenizers());
    Ok((index, fields))
}

/// An in-memory index with paperdex's schema, settings and analyzers, for tests and evaluation.
pub fn create_in_ram() -> (Index, Fields) {
    let (schema, fields) = schema::build();
    let index = Index::builder()
        .schema(schema)
        .settings(settings())
        .create_in_ram()
        // As tantivy's own `Index::create_in_ram`: memory is the only resource involved.
        .expect("creating an index in memory");
    analyzer::register(index.tokenizers());
    (index, fields)
}

/// An in-memory index of papers given as (title, abstract), with ids `0`, `1`, ...: for unit
/// tests.
#[cfg(test)]
pub(crate) fn ram_index_of(papers: &[(&str, &str)]) -> (Index, Fields) {
    ram_index_weighted(papers, crate::ingest::TITLE_WEIGHT)
}

/// As [`ram_index_of`], with the title written `title_weight` times into the ranking field.
#[cfg(test)]
pub(crate) fn ram_index_weighted(papers: &[(&str, &str)], title_weight: usize) -> (Index, Fields) {
    let (index, fields) = create_in_ram();
    let mut writer = crate::ingest::writer(&index, 1, 16 << 20).unwrap();
    for (i, (title, abstract_text)) in papers.iter().enumerate() {
        let paper = crate::paper::Paper {
            id: i.to_string(),
            title: title.to_string(),
            abstract_text: abstract_text.to_string(),
            ..Default::default()
        };
        writer
            .add_document(crate::ingest::weighted_document(
                &fields,
                &paper,
                title_weight,
            ))
            .unwrap();
    }
    writer.commit().unwrap();
    (index, fields)
}

/// The directory that holds (or will hold) an index.
#[derive(Debug, Clone)]
pub struct IndexHome {
    pub dir: PathBuf,
}

/// The exclusive right to change an index home; released on drop.
pub struct WriteLock {
    _file: File,
}

impl IndexHome {
    pub fn new(dir: impl Into<PathBuf>) -> IndexHome {
        IndexHome { dir: dir.into() }
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST)
    }

    /// Reads the manifest of an index this paperdex can search; a missing one, one of another
    /// format, or one that cannot be read are the matching [`OpenError`]s.
    pub fn read_manifest(&self) -> std::result::Result<Manifest, OpenError> {
        let path = self.manifest_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(OpenError::Missing),
            Err(e) => {
                return Err(OpenError::Broken(
                    anyhow::Error::new(e).context(format!("reading {}", path.display())),
                ))
            }
        };
        let not_a_manifest = |e: serde_json::Error| {
            OpenError::Broken(
                anyhow::Error::new(e)
                    .context(format!("{} is not a paperdex manifest", path.display())),
            )
        };
        // Read the format first, so that an older manifest layout still reports its version.
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        let version: Version = serde_json::from_slice(&bytes).map_err(not_a_manifest)?;
        if version.format != FORMAT_VERSION {
            return Err(OpenError::Format {
                found: version.format,
            });
        }
        serde_json::from_slice(&bytes).map_err(not_a_manifest)
    }

    /// The source arguments a manifest of any format records, to rebuild an index made by
    /// another paperdex version from the same sources.
    pub fn recorded_inputs(&self) -> Vec<PathBuf> {
        self.recorded().inputs
    }

    /// Whether papers were removed from the index since it was built, as far as its manifest can
    /// be read whatever its format: a rebuild from the sources would bring them back.
    pub fn recorded_papers_removed(&self) -> bool {
        self.recorded().papers_removed
    }

    fn recorded(&self) -> Recorded {
        fs::read(self.manifest_path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Recorded>(&b).ok())
            .unwrap_or_default()
    }

    /// Opens the index for searching.
    pub fn open(&self) -> std::result::Result<PaperIndex, OpenError> {
        // A build may swap the manifest and delete the old generation between our reading the
        // one and opening the other; the second read then names the new generation.
        let mut last = None;
        for _ in 0..3 {
            match self.try_open() {
                Err(OpenError::Broken(e)) => last = Some(e),
                other => return other,
            }
        }
        Err(OpenError::Broken(
            last.unwrap_or_else(|| anyhow!("cannot open index")),
        ))
    }

    fn try_open(&self) -> std::result::Result<PaperIndex, OpenError> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(OpenError::Broken(anyhow!(
                "{} is not a directory",
                self.dir.display()
            )));
        }
        let manifest = self.read_manifest()?;
        let path = self.dir.join(&manifest.generation);
        let opened = open_tantivy(&path).and_then(|(index, fields)| {
            let reader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                // tantivy's cache of decompressed doc-store blocks sits behind one mutex that every
                // searching thread takes for every hit shown: two `bench` threads reached 1.3 x the
                // queries per second of one with it, 1.9 x without. One answer seldom shows two
                // papers of one block, so nothing is lost (p50 unchanged).
                .doc_store_cache_num_blocks(0)
                .try_into()
                .map_err(describe_tantivy_error)
                .with_context(|| format!("reading index in {}", path.display()))?;
            Ok((index, fields, reader))
        });
        let (index, fields, reader) = opened.map_err(OpenError::Broken)?;
        let manifest = match committed_manifest(&index) {
            // An in-place write (`--add`, `remove`) committed but was stopped before publishing
            // its manifest: the commit's own copy says which sources the index now holds.
            Some(committed)
                if committed.generation == manifest.generation
                    && committed.built_at >= manifest.built_at
                    && (committed.sources != manifest.sources
                        || committed.inputs != manifest.inputs
                        || committed.papers_removed != manifest.papers_removed) =>
            {
                committed
            }
            _ => manifest,
        };
        Ok(PaperIndex {
            index,
            reader,
            fields,
            manifest,
            path,
        })
    }

    /// Takes the write lock, waiting (and saying so on stderr) while another process holds it.
    pub fn lock(&self) -> Result<WriteLock> {
        self.ensure_dir()?;
        let path = self.dir.join(LOCK);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                    anyhow!(
                        "cannot change the index in {}: {e} (searching it still works; changing it needs write access)",
                        self.dir.display()
                    )
                }
                _ => anyhow::Error::new(e).context(format!("opening lock file {}", path.display())),
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "paperdex: another paperdex is writing {}; waiting for it to finish",
                    self.dir.display()
                );
                file.lock()
                    .with_context(|| format!("locking {}", path.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
        Ok(WriteLock { _file: file })
    }

    /// Creates the home directory if needed; refuses a non-empty directory that is not an index
    /// home, so that pointing `--index` at the wrong place never scatters files into it.
    fn ensure_dir(&self) -> Result<()> {
        if !self.dir.exists() {
            fs::create_dir_all(&self.dir)
                .with_context(|| format!("creating index directory {}", self.dir.display()))?;
            return Ok(());
        }
        if !self.dir.is_dir() {
            bail!("{} exists and is not a directory", self.dir.display());
        }
        if self.manifest_path().exists() || self.dir.join(LOCK).exists() {
            return Ok(());
        }
        let foreign = self.foreign_entries()?;
        if !foreign.is_empty() {
            bail!(
                "{} is not empty and holds no paperdex index (found {}); choose another --index directory",
                self.dir.display(),
                foreign.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            );
        }
        Ok(())
    }

    /// What the directory holds that is not a paperdex index's (hidden files, a README and the
    /// index's own files aside): a directory that holds any is never built into, since a build
    /// would mix with (or be taken for) someone else's files.
    pub fn foreign_entries(&self) -> Result<Vec<String>> {
        Ok(fs::read_dir(&self.dir)
            .with_context(|| format!("reading {}", self.dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            // An index's own files, as a build killed before its first commit leaves them.
            .filter(|name| {
                !name.starts_with('.')
                    && name != "README.md"
                    && name != MANIFEST
                    && name != LOCK
                    && !is_generation_name(name)
            })
            .collect())
    }

    /// A fresh, empty generation directory to build into.
    pub fn new_generation(&self, _lock: &WriteLock) -> Result<(String, PathBuf)> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{GEN_PREFIX}{nanos}-{}", std::process::id());
        let path = self.dir.join(&name);
        fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok((name, path))
    }

    /// Atomically makes `manifest` the index in use, then removes generations no longer named.
    pub fn publish(&self, manifest: &Manifest, _lock: &WriteLock) -> Result<()> {
        let tmp = self.dir.join(format!("{MANIFEST}.tmp"));
        let json = serde_json::to_vec_pretty(manifest)?;
        let mut file = File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, self.manifest_path())
            .with_context(|| format!("replacing {}", self.manifest_path().display()))?;
        if let Ok(dir) = File::open(&self.dir) {
            // Make the rename itself durable; failure here only weakens crash safety, so ignore.
            let _ = dir.sync_all();
        }
        self.remove_stale_generations(&manifest.generation);
        Ok(())
    }

    /// Removes `gen-*` directories other than `keep`: leftovers of replaced or interrupted builds.
    /// Only called with the write lock held, so no build is using them. Only directories named
    /// as [`IndexHome::new_generation`] names them are touched.
    pub fn remove_stale_generations(&self, keep: &str) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_generation_name(&name) && name != keep {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Deletes the files an interrupted in-place update (`--add`) wrote but never
    /// committed, so that a failure for want of space frees what it took. tantivy does this
    /// itself only after its next successful commit.
    pub fn collect_garbage(&self, _lock: &WriteLock) -> Result<()> {
        let manifest = self.read_manifest().map_err(|e| anyhow!("{e}"))?;
        let path = self.dir.join(&manifest.generation);
        let index = Index::open(PaperDirectory::open(&path)?)
            .with_context(|| format!("opening index in {}", path.display()))?;
        let writer: tantivy::IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .context("starting the index writer")?;
        writer
            .garbage_collect_files()
            .wait()
            .with_context(|| format!("removing uncommitted files in {}", path.display()))?;
        Ok(())
    }

    /// What changed in the recorded sources since the index was built: files new or changed in
    /// them, and files gone from a source directory. A source file named on its own that is gone
    /// is not a change (the index is then the only copy of its papers), nor is a file that
    /// cannot be read just now; both are reported, since a rebuild would lose their papers.
    pub fn changes(&self, manifest: &Manifest) -> SourceChanges {
        // A pipe was read once, as it was then: it has no stamp to compare, and it is not a
        // file gone (`/dev/fd/63` of a `<(zcat ...)` is, or is another file now).
        let (existing, missing_inputs): (Vec<PathBuf>, Vec<PathBuf>) = manifest
            .inputs
            .iter()
            .filter(|p| !crate::sources::read_once(p))
            .cloned()
            .partition(|p| p.exists());
        let nothing = SourceChanges {
            missing_inputs: missing_inputs.clone(),
            ..SourceChanges::default()
        };
        if existing.is_empty() {
            return nothing;
        }
        // Folders that cannot be listed now are passed over, as a build with `--skip-invalid`
        // passes over them, so that the other files are still compared.
        let mut passed = crate::sources::PassedOver::skipping();
        let Ok(found) = crate::sources::discover_noting(&existing, &mut passed) else {
            return nothing;
        };
        // A name that is not UTF-8 cannot be recorded, so a build skips it (and says so):
        // counted as new, it would rebuild the index on every search.
        let (found, badly_named): (Vec<_>, Vec<_>) =
            found.into_iter().partition(|s| s.path.to_str().is_some());
        let badly_named = badly_named.into_iter().map(|s| s.path).collect();
        let changed: Vec<PathBuf> = found
            .iter()
            .filter(|source| match fs::metadata(&source.path) {
                // A pipe found in a folder has no stamp to compare either.
                Ok(meta) if meta.is_file() => !manifest
                    .sources
                    .contains(&SourceStamp::from_metadata(&source.path, &meta)),
                _ => false,
            })
            .map(|source| source.path.clone())
            .collect();
        let directories: Vec<&PathBuf> = existing.iter().filter(|p| p.is_dir()).collect();
        let (mut gone, mut unreadable) = (Vec::new(), Vec::new());
        for path in manifest.sources.iter().map(|stamp| &stamp.path) {
            let in_a_directory = directories.iter().any(|dir| path.starts_with(dir));
            if !in_a_directory
                || manifest.inputs.contains(path)
                || found.iter().any(|source| &source.path == path)
            {
                continue;
            }
            match fs::symlink_metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => gone.push(path.clone()),
                _ => unreadable.push(path.clone()),
            }
        }
        SourceChanges {
            changed,
            gone,
            unreadable,
            emptied: Vec::new(),
            missing_inputs,
            badly_named,
        }
    }

    /// Before a rebuild from the recorded sources: adds to `changes` the sources it would read
    /// nothing from, losing their papers: one that cannot be opened now, or one emptied (as
    /// `index` refuses an empty source). Only then, not on every search: it opens every
    /// recorded source.
    pub fn look_for_losses(&self, manifest: &Manifest, changes: &mut SourceChanges) {
        let known: HashSet<&PathBuf> = changes.gone.iter().chain(&changes.unreadable).collect();
        let mut unreadable = Vec::new();
        for stamp in &manifest.sources {
            let path = &stamp.path;
            if known.contains(path) || crate::sources::read_once(path) {
                continue;
            }
            match fs::File::open(path).and_then(|f| f.metadata()) {
                Ok(meta) if meta.is_file() && meta.len() == 0 && stamp.bytes > 0 => {
                    changes.emptied.push(path.clone());
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => unreadable.push(path.clone()),
            }
        }
        changes.unreadable.extend(unreadable);
        // Said once, as what they are.
        let lost: HashSet<&PathBuf> = changes.emptied.iter().chain(&changes.unreadable).collect();
        changes.changed.retain(|p| !lost.contains(p));
    }
}

/// Whether `name` is one [`IndexHome::new_generation`] makes: `gen-<nanos>-<pid>`.
fn is_generation_name(name: &str) -> bool {
    name.strip_prefix(GEN_PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(nanos, pid)| {
            !nanos.is_empty()
                && !pid.is_empty()
                && nanos.bytes().all(|b| b.is_ascii_digit())
                && pid.bytes().all(|b| b.is_ascii_digit())
        })
}

/// What [`PaperIndex::verify`] found.
#[derive(Debug, Default, Serialize)]
pub struct Verified {
    /// Files of the index in use whose content no longer matches their checksum.
    pub damaged: Vec<PathBuf>,
    /// Files in the index directory.
    pub files: usize,
    /// Stored papers read back.
    pub papers: u64,
}

impl PaperIndex {
    /// Checks every file of the index against the checksum tantivy wrote with it, then reads
    /// every stored paper back. A damaged file can make tantivy panic while searching, so this
    /// is what `paperdex check` runs; callers should guard it against panics too.
    pub fn verify(&self) -> Result<Verified> {
        let mut damaged: Vec<PathBuf> = self
            .index
            .validate_checksum()
            .with_context(|| format!("checking {}", self.path.display()))?
            .into_iter()
            .collect();
        damaged.sort();
        let files = fs::read_dir(&self.path)
            .map(|entries| entries.flatten().filter(|e| e.path().is_file()).count())
            .unwrap_or(0);
        let mut verified = Verified {
            damaged,
            files,
            papers: 0,
        };
        if !verified.damaged.is_empty() {
            return Ok(verified);
        }
        let searcher = self.searcher();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let store = segment
                .get_store_reader(1)
                .with_context(|| format!("reading stored papers of segment {ord}"))?;
            for doc in segment.doc_ids_alive() {
                store
                    .get::<tantivy::TantivyDocument>(doc)
                    .with_context(|| format!("reading stored paper {doc} of segment {ord}"))?;
                verified.papers += 1;
            }
        }
        Ok(verified)
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Commits `writer` with `manifest` as the commit's payload, so the index files themselves say
/// what the commit holds even if the process stops before [`IndexHome::publish`].
pub fn commit_with_manifest(writer: &mut IndexWriter, manifest: &Manifest) -> Result<()> {
    let json = serde_json::to_string(manifest)?;
    let mut prepared = writer.prepare_commit().context("committing the index")?;
    prepared.set_payload(&json);
    prepared.commit().context("committing the index")?;
    Ok(())
}

/// The manifest a paperdex commit stored in tantivy's metadata, if the last commit stored one
/// of this format.
fn committed_manifest(index: &Index) -> Option<Manifest> {
    let payload = index.load_metas().ok()?.payload?;
    let manifest: Manifest = serde_json::from_str(&payload).ok()?;
    (manifest.format == FORMAT_VERSION).then_some(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indexes built before stored papers went uncompressed hold LZ4 blocks: they are read as
    /// they are, with the same papers coming out.
    #[test]
    fn papers_stored_with_lz4_are_read_back() {
        let (schema, fields) = schema::build();
        let index = Index::builder()
            .schema(schema)
            .settings(tantivy::IndexSettings {
                docstore_compression: tantivy::store::Compressor::Lz4,
                ..settings()
            })
            .create_in_ram()
            .unwrap();
        analyzer::register(index.tokenizers());
        let papers: Vec<crate::paper::Paper> = (0..50)
            .map(|i| crate::paper::Paper {
                id: format!("p{i}"),
                venue: "v".into(),
                title: format!("Paper {i} on drift"),
                authors: vec!["Ann Author".into(), format!("Writer {i}")],
                abstract_text: format!("Drift in streams, paper {i}. ").repeat(40),
                url: Some(format!("https://example.org/{i}")),
                number: Some(i),
                year: Some(2024),
            })
            .collect();
        let mut writer = crate::ingest::writer(&index, 1, 16 << 20).unwrap();
        for p in &papers {
            writer
                .add_document(crate::ingest::document(&fields, p))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for (doc, expected) in papers.iter().enumerate() {
            let address = tantivy::DocAddress::new(0, doc as u32);
            let got = crate::search::stored_paper(&searcher, &fields, address).unwrap();
            assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        }
    }
}
