//! The commands: each resolves its arguments into settings, runs the library, and prints.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use crate::bm25::Bm25Params;
use crate::cli::{
    BenchArgs, Cli, Command, EvalArgs, ExportArgs, IndexArgs, RemoveArgs, SearchArgs, SimilarArgs,
    StatsArgs,
};
use crate::eval::{self, Collection, EvalOptions};
use crate::export;
use crate::feedback::Feedback;
use crate::index::{IndexHome, Manifest, OpenError, PaperIndex, SourceChanges};
use crate::ingest::{self, IngestOptions, IngestSummary, Mode};
use crate::query::{self, Ranking};
use crate::render;
use crate::search::{Answer, Engine, LikeRequest, Request, SearchError};
use crate::sources;

/// How a command ended, for the exit code (grep's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Something was found (exit 0).
    Found,
    /// Nothing was found (exit 1).
    NotFound,
}

/// The default index directory, relative to the working directory.
pub const DEFAULT_INDEX: &str = "index";
/// The default corpus, relative to the working directory.
pub const DEFAULT_CORPUS: &str = "corpus";

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Status> {
    let cli_index = cli.index.clone();
    let home = IndexHome::new(cli.index.unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX)));
    match cli.command {
        Command::Search(args) => shielded(&home, || search(&home, &args)),
        Command::Similar(args) => shielded(&home, || similar(&home, &args)),
        Command::Index(args) => shielded(&home, || index(&home, &args)),
        Command::Remove(args) => shielded(&home, || remove(&home, &args)),
        Command::Stats(args) => shielded(&home, || stats(&home, &args)),
        Command::Export(args) => shielded(&home, || export(&home, &args)),
        Command::Check => shielded(&home, || check(&home)),
        // eval builds into the index it is given: only one named on its command line, never
        // the one PAPERDEX_INDEX names for searching (it would be replaced by the collection).
        Command::Eval(args) => evaluate(
            cli_index.as_deref().filter(|_| index_on_command_line()),
            &args,
        ),
        Command::Bench(args) => shielded(&home, || bench(&home, &args)),
    }
}

/// Whether `--index` was given on the command line (not taken from `PAPERDEX_INDEX`).
fn index_on_command_line() -> bool {
    std::env::args_os().any(|a| {
        let a = a.to_string_lossy();
        a == "--index" || a.starts_with("--index=")
    })
}

thread_local! {
    /// Set while [`shielded`] runs on this thread: a panic is then recorded, not printed.
    static SHIELDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static CAUGHT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs a command that reads the index, turning a panic into an error (exit 2).
///
/// tantivy trusts its files: a damaged one (a flipped byte that keeps the file's length and
/// footer) can make it panic while searching. That is the one panic paperdex expects, so it is
/// reported as a damaged index with what to do, rather than as a crash.
fn shielded<T>(home: &IndexHome, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if SHIELDED.with(std::cell::Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("panic");
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{message}{location}")));
            } else {
                default(info);
            }
        }));
    });
    let outer = SHIELDED.with(|s| s.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    SHIELDED.with(|s| s.set(outer));
    match result {
        Ok(r) => r,
        Err(_) => {
            let what = CAUGHT
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| "panic".to_string());
            Err(anyhow!(
                "paperdex failed while reading the index in {}; its files are probably damaged ({what})\nhint: `paperdex{} check` verifies them; {}",
                home.dir.display(),
                index_flag(home),
                rebuild_hint(home)
            ))
        }
    }
}

/// The ` --index DIR` of a command suggested for `home` (nothing for the default index).
fn index_flag(home: &IndexHome) -> String {
    if home.dir == Path::new(DEFAULT_INDEX) {
        String::new()
    } else {
        format!(" --index {}", render::shell_word(&home.dir))
    }
}

/// How to rebuild the index, naming the sources it was built from where the manifest says.
fn rebuild_hint(home: &IndexHome) -> String {
    let inputs = home.recorded_inputs();
    let index = index_flag(home);
    let (files, pipes) = pipes_apart(&inputs);
    if files.is_empty() {
        format!(
            "rebuild it with `paperdex{index} index --rebuild FILE...`, naming the listings or JSON Lines it was built from{}",
            piped_caveat(&pipes, "; to keep what was piped in", "name it and pipe it in again")
        )
    } else {
        let sources: Vec<String> = files.iter().map(|p| render::shell_word(p)).collect();
        format!(
            "rebuild it with `paperdex{index} index --rebuild {}`{}",
            sources.join(" "),
            piped_caveat(
                &pipes,
                " (to keep what was piped in",
                "name it too and pipe it in again)"
            )
        )
    }
}

/// The recorded inputs that can be read again (files and folders) and those that cannot: pipes
/// ([`sources::read_once`]). A command that names a pipe again would wait on the terminal, or
/// read whatever its stdin is then, so hints leave them out and say so, and searches never
/// rebuild from them.
fn pipes_apart(inputs: &[PathBuf]) -> (Vec<&PathBuf>, Vec<&PathBuf>) {
    inputs.iter().partition(|p| !sources::read_once(p))
}

/// `lead`, the pipes named, and `end`; nothing when there are none.
fn piped_caveat(pipes: &[&PathBuf], lead: &str, end: &str) -> String {
    match pipes {
        [] => String::new(),
        [one] => format!("{lead}, {}, {end}", one.display()),
        [first, rest @ ..] => format!("{lead}, {} and {} more, {end}", first.display(), rest.len()),
    }
}

/// The error for an index that cannot be opened, with what to do about it.
fn open_error(home: &IndexHome, e: OpenError) -> anyhow::Error {
    let foreign = match e {
        OpenError::Missing if home.dir.is_dir() => home.foreign_entries().unwrap_or_default(),
        _ => Vec::new(),
    };
    match e {
        OpenError::Missing if !foreign.is_empty() => {
            anyhow!(
                "no index in {}: it holds other files (found {}), so no index is built there either\nhint: choose another --index directory (or PAPERDEX_INDEX)",
                home.dir.display(),
                foreign.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            )
        }
        OpenError::Missing => anyhow!(
            "no index in {}\nhint: `paperdex{} index FILE...` builds one (from {DEFAULT_CORPUS}/ with no FILE)",
            home.dir.display(),
            index_flag(home)
        ),
        _ if home.dir.exists() && !home.dir.is_dir() => anyhow!(
            "{} is not a directory\nhint: --index (or PAPERDEX_INDEX) names the directory that holds the index",
            home.dir.display()
        ),
        OpenError::Broken(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::PermissionDenied)
            }) =>
        {
            anyhow!(
                "cannot read the index in {}: {e:#}\nhint: searching needs read access to {} and the files in it",
                home.dir.display(),
                home.dir.display()
            )
        }
        e => anyhow!(
            "cannot read the index in {}: {e}\nhint: {}",
            home.dir.display(),
            rebuild_hint(home)
        ),
    }
}

/// Adds what is known about a failed write: a full disk is the usual cause, and tantivy's
/// indexing threads report it only as "an index writer was killed".
fn explain_write_failure(home: &IndexHome, err: anyhow::Error) -> anyhow::Error {
    let full = |kind: io::ErrorKind| {
        matches!(
            kind,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        )
    };
    // tantivy passes some I/O errors on as text only.
    let said = err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| full(e.kind()))
            || ["(os error 28)", "(os error 122)"]
                .iter()
                .any(|code| c.to_string().contains(code))
    });
    if said || disk_is_full(&home.dir) {
        return anyhow!(
            "{err:#}\nthe disk holding {} is full (no space left on device); the index in use was not changed\nhint: free some space and run the command again",
            home.dir.display()
        );
    }
    err
}

/// Whether a small file can no longer be written in `dir` for want of space.
fn disk_is_full(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let probe = dir.join(".paperdex-space-probe");
    let outcome = std::fs::File::create(&probe)
        .and_then(|mut f| f.write_all(&[0u8; 256 * 1024]).and_then(|()| f.sync_all()));
    let _ = std::fs::remove_file(&probe);
    matches!(outcome, Err(e) if matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded))
}

/// Opens the index for searching. The default index (`index/`) follows its sources: it is built
/// where it is missing, and rebuilt where they changed, unless that would lose or bring back
/// papers (some were removed from it since; a source named on its own is gone; a file of a
/// source directory cannot be read just now). Any other index is only ever changed by `index` and
/// `remove`: a search says on stderr that its sources changed and searches it as it is. An index
/// of another paperdex version is rebuilt from its recorded sources, since it cannot be searched.
pub fn open_for_search(home: &IndexHome) -> Result<PaperIndex> {
    let (fallback, keep_papers_of) = match plan(home)? {
        Plan::Search(opened, note) => {
            if let Some(note) = note {
                eprintln!("{note}");
            }
            return Ok(*opened);
        }
        Plan::Build {
            fallback,
            keep_papers_of,
            ..
        } => (fallback, keep_papers_of),
    };
    let opts = IngestOptions {
        mode: Mode::Rebuild,
        skip_invalid: true,
        keep_papers_of,
        ..IngestOptions::default()
    };
    // Planned again under the write lock: another search may have built it meanwhile, or an
    // `--add` or `remove` changed it, which a build from what was read before would undo.
    let built = ingest::ingest_if(home, &opts, || {
        Ok(match plan(home)? {
            Plan::Search(_, note) => {
                if let Some(note) = note {
                    eprintln!("{note}");
                }
                None
            }
            Plan::Build { inputs, why, .. } => {
                eprintln!("{why}");
                Some(inputs)
            }
        })
    });
    match built {
        Ok(summary) => {
            for p in summary.iter().flat_map(|s| &s.problems) {
                eprintln!("paperdex: warning: skipped {p}");
            }
        }
        Err(e) if fallback => {
            eprintln!("paperdex: warning: could not rebuild, searching the old index: {e:#}")
        }
        Err(e) => return Err(e),
    }
    home.open()
        .map_err(|e| anyhow!("cannot open the index in {}: {e}", home.dir.display()))
}

/// What a search does with an index home, as it stands.
enum Plan {
    /// Search the index as it is, after saying `note` on stderr.
    Search(Box<PaperIndex>, Option<String>),
    /// Build it from `inputs`, saying `why`; `fallback`: an index to search if the build fails;
    /// `keep_papers_of`: the sources whose papers that index holds, which the build must read
    /// whole or give up rather than drop them.
    Build {
        inputs: Vec<PathBuf>,
        why: String,
        fallback: bool,
        keep_papers_of: Vec<PathBuf>,
    },
}

fn plan(home: &IndexHome) -> Result<Plan> {
    match home.open() {
        Ok(opened) => {
            if let Some(corpus) = moved_corpus(home, &opened.manifest) {
                return Ok(Plan::Build {
                    why: format!(
                        "paperdex: the index in {} was built from {}, which is gone; rebuilding it from {DEFAULT_CORPUS}/",
                        home.dir.display(),
                        opened.manifest.inputs[0].display()
                    ),
                    inputs: vec![corpus],
                    fallback: true,
                    keep_papers_of: Vec::new(),
                });
            }
            let mut changes = home.changes(&opened.manifest);
            if changes.is_empty() {
                let note = changes.badly_named.first().map(|first| {
                    format!(
                        "paperdex: note: {} {}not indexed: the file name is not valid UTF-8, which the index's record of its sources cannot hold; rename it",
                        first.display(),
                        match changes.badly_named.len() {
                            1 => String::new(),
                            n => format!("and {} more are ", n - 1),
                        }
                    )
                });
                return Ok(Plan::Search(Box::new(opened), note));
            }
            let may_rebuild = is_default_home(home)
                && !opened.manifest.papers_removed
                && !opened.manifest.inputs.iter().any(|p| sources::read_once(p));
            if may_rebuild && changes.rebuild_loses_nothing() {
                home.look_for_losses(&opened.manifest, &mut changes);
            }
            let rebuild = may_rebuild && changes.rebuild_loses_nothing();
            if !rebuild {
                let note = changed_sources_note(home, &opened.manifest, &changes);
                return Ok(Plan::Search(Box::new(opened), Some(note)));
            }
            Ok(Plan::Build {
                keep_papers_of: opened
                    .manifest
                    .sources
                    .iter()
                    .map(|s| s.path.clone())
                    .collect(),
                inputs: opened.manifest.inputs.clone(),
                why: format!(
                    "paperdex: sources changed since the index in {} was built; rebuilding it",
                    home.dir.display()
                ),
                fallback: true,
            })
        }
        Err(OpenError::Missing) => {
            let corpus = Path::new(DEFAULT_CORPUS);
            if !corpus.is_dir() {
                bail!(
                    "no index in {} and no {DEFAULT_CORPUS}/ directory to build one from\nhint: build one with `paperdex{} index FILE...` (listings .txt or JSON Lines .jsonl[.gz]), or run where {DEFAULT_CORPUS}/ is",
                    home.dir.display(),
                    index_flag(home)
                );
            }
            Ok(Plan::Build {
                inputs: vec![corpus.to_path_buf()],
                why: format!(
                    "paperdex: no index in {}; building it from {DEFAULT_CORPUS}/",
                    home.dir.display()
                ),
                fallback: false,
                keep_papers_of: Vec::new(),
            })
        }
        Err(OpenError::Format { found }) => {
            let inputs = home.recorded_inputs();
            if home.recorded_papers_removed() {
                bail!(
                    "the index in {} was built by another paperdex version (format {found}), and papers were removed from it since: rebuilding it from its sources would bring them back\nhint: {}, then remove them again",
                    home.dir.display(),
                    rebuild_hint(home)
                );
            }
            // What was piped in cannot be read again: a rebuild would wait on the terminal, read
            // the search's own stdin, or drop those papers.
            if inputs.is_empty() || inputs.iter().any(|p| sources::read_once(p)) {
                bail!(
                    "the index in {} was built by another paperdex version (format {found}); {}",
                    home.dir.display(),
                    rebuild_hint(home)
                );
            }
            Ok(Plan::Build {
                inputs,
                why: format!(
                    "paperdex: the index in {} was built by another paperdex version; rebuilding it",
                    home.dir.display()
                ),
                fallback: false,
                    keep_papers_of: Vec::new(),
            })
        }
        Err(e @ OpenError::Broken(_)) => Err(open_error(home, e)),
    }
}

/// The default index follows `corpus/` where it is: built from a `corpus` directory that is gone
/// (the project folder was moved or renamed), it is rebuilt from the one beside it now rather
/// than frozen with the papers of then. `None` for any other index.
fn moved_corpus(home: &IndexHome, manifest: &Manifest) -> Option<PathBuf> {
    let [recorded] = manifest.inputs.as_slice() else {
        return None;
    };
    let corpus = Path::new(DEFAULT_CORPUS);
    let moved = recorded.file_name() == Some(corpus.as_os_str())
        && !recorded.exists()
        && corpus.is_dir()
        && !manifest.papers_removed
        && is_default_home(home);
    moved.then(|| corpus.to_path_buf())
}

/// Whether `home` is the default index, `index/` in the working directory.
fn is_default_home(home: &IndexHome) -> bool {
    let default = Path::new(DEFAULT_INDEX);
    home.dir == default
        || matches!(
            (home.dir.canonicalize(), default.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        )
}

/// What a search says of an index whose sources changed but which it does not rebuild.
fn changed_sources_note(home: &IndexHome, manifest: &Manifest, changes: &SourceChanges) -> String {
    let mut what = Vec::new();
    let example = |paths: &[PathBuf]| {
        let first = paths[0].display();
        match paths.len() {
            1 => format!("{first}"),
            n => format!("{first} and {} more", n - 1),
        }
    };
    if !changes.changed.is_empty() {
        what.push(format!("new or changed: {}", example(&changes.changed)));
    }
    if !changes.gone.is_empty() {
        what.push(format!("gone: {}", example(&changes.gone)));
    }
    if !changes.unreadable.is_empty() {
        what.push(format!("cannot be read: {}", example(&changes.unreadable)));
    }
    if !changes.emptied.is_empty() {
        what.push(format!("emptied: {}", example(&changes.emptied)));
    }
    let index = index_flag(home);
    let (files, pipes) = pipes_apart(&manifest.inputs);
    let sources: Vec<String> = files
        .into_iter()
        .filter(|p| !changes.missing_inputs.contains(p))
        .map(|p| render::shell_word(p))
        .collect();
    let mut caveats = Vec::new();
    if !pipes.is_empty() {
        caveats.push(piped_caveat(
            &pipes,
            "the papers piped in",
            "would be dropped unless it is named too and piped in again",
        ));
    }
    if manifest.papers_removed {
        caveats.push("papers removed from the index since would come back".to_string());
    }
    if !changes.missing_inputs.is_empty() {
        caveats.push(format!(
            "the papers of {}, which is gone, would be dropped",
            example(&changes.missing_inputs)
        ));
    }
    if !changes.unreadable.is_empty() {
        caveats.push("the papers of files that cannot be read would be dropped".to_string());
    }
    if !changes.emptied.is_empty() {
        caveats.push("an empty file is refused: remove it to drop its papers".to_string());
    }
    let caveats = if caveats.is_empty() {
        String::new()
    } else {
        format!(" ({})", caveats.join("; "))
    };
    format!(
        "paperdex: note: the sources of the index in {} changed since it was built ({}); searching it as it is\nhint: `paperdex{index} index {}` brings it up to date{caveats}",
        home.dir.display(),
        what.join("; "),
        sources.join(" "),
    )
}

/// The error for an index that failed while being read.
fn unreadable(home: &IndexHome, e: &anyhow::Error) -> anyhow::Error {
    anyhow!(
        "reading the index in {} failed: {e:#}; its files may be damaged\nhint: `paperdex{} check` verifies them; {}",
        home.dir.display(),
        index_flag(home),
        rebuild_hint(home)
    )
}

fn search(home: &IndexHome, args: &SearchArgs) -> Result<Status> {
    let query = args.query.join(" ");
    let opened = open_for_search(home)?;
    let ranking = Ranking {
        feedback: args.rm3.then(Feedback::default),
        ..Ranking::default()
    };
    let mut engine = Engine::new(opened.searcher(), opened.fields, ranking);
    let mut out = BufWriter::new(crate::output::stdout());
    let notes = |notes: &[String]| {
        for n in notes {
            eprintln!("paperdex: note: {n}");
        }
    };
    let no_words = |e: SearchError| -> Result<Status> {
        match e {
            SearchError::Empty if !query.trim().is_empty() => {
                eprintln!(
                    "paperdex: the query `{}` has no words to search for",
                    query::shorten(&query)
                );
                Ok(Status::NotFound)
            }
            SearchError::Index(e) => Err(unreadable(home, &e)),
            e => Err(anyhow!(e)),
        }
    };
    if args.count {
        let (n, found_notes) = match engine.count(&query, args.all) {
            Ok(x) => x,
            Err(e) => return no_words(e),
        };
        notes(&found_notes);
        writeln!(out, "{n}")?;
        out.flush()?;
        did_you_mean(&mut engine, &query);
        return Ok(if n > 0 {
            Status::Found
        } else {
            Status::NotFound
        });
    }
    let available = opened.num_papers() as usize;
    let request = Request {
        query: &query,
        all: args.all,
        // Never ask tantivy for more than there is: its top-K heap is sized by the limit.
        limit: args.limit.min(available.saturating_sub(args.offset)),
        offset: args.offset.min(available),
        explain: args.explain,
        order: args.sort,
    };
    let answer = match engine.search(&request) {
        Ok(a) => a,
        Err(e) => return no_words(e),
    };
    notes(&answer.notes);
    let status = print_hits(&mut out, &answer, args.json, args.color)?;
    if answer.hits.is_empty() && (args.offset > 0 || args.limit == 0) {
        // An empty page is not "nothing matches": say how many do.
        if let Ok((n, _)) = engine.count(&query, args.all) {
            if n > 0 {
                let page = if args.limit == 0 {
                    "-n 0 shows none".to_string()
                } else {
                    format!("none from --offset {} on", args.offset)
                };
                let papers = render::plural(n, "paper", "papers");
                let verb = if n == 1 { "matches" } else { "match" };
                eprintln!("paperdex: {papers} {verb}; {page}");
                return Ok(status);
            }
        }
    }
    did_you_mean(&mut engine, &query);
    Ok(status)
}

/// Says on stderr which words no paper has, and the query with the nearest words papers have.
fn did_you_mean(engine: &mut Engine, query: &str) {
    if let Some(s) = engine.suggest(query) {
        let missing: Vec<String> = s
            .missing
            .iter()
            .map(|(w, papers)| format!("`{w}`: {papers}"))
            .collect();
        eprintln!(
            "paperdex: did you mean `{}`? (papers with {})",
            s.query,
            missing.join(", ")
        );
    }
}

/// Writes the hits of an answer, as text or JSON Lines.
fn print_hits(
    out: &mut impl Write,
    answer: &Answer,
    json: bool,
    color: render::ColorChoice,
) -> Result<Status> {
    let color = !json && color.enabled();
    for hit in &answer.hits {
        if json {
            render::hit_json(out, hit)?;
        } else {
            render::hit_text(out, hit, color)?;
        }
    }
    out.flush()?;
    Ok(if answer.hits.is_empty() {
        Status::NotFound
    } else {
        Status::Found
    })
}

fn similar(home: &IndexHome, args: &SimilarArgs) -> Result<Status> {
    let opened = open_for_search(home)?;
    let available = opened.num_papers() as usize;
    let mut engine = Engine::new(opened.searcher(), opened.fields, Ranking::default());
    let filter = args.filter.join(" ");
    let request = LikeRequest {
        id: &args.id,
        filter: (!filter.trim().is_empty()).then_some(filter.as_str()),
        // As in `search`: never ask for more than there is.
        limit: args.limit.min(available),
        offset: args.offset.min(available),
    };
    let (answer, words) = match engine.similar(&request) {
        Ok(x) => x,
        Err(SearchError::NoPaper(id)) => bail!(
            "no paper with id `{id}` in {}\nhint: ids are what `paperdex search` shows beside each year and score",
            home.dir.display()
        ),
        // As `search` says of a query with nothing to search for: exit 1, not an error.
        Err(SearchError::Empty) => {
            eprintln!(
                "paperdex: the filter `{}` has no words to search for",
                query::shorten(&filter)
            );
            return Ok(Status::NotFound);
        }
        Err(SearchError::Index(e)) => return Err(unreadable(home, &e)),
        Err(e) => bail!("in the filter: {e}"),
    };
    for n in &answer.notes {
        eprintln!("paperdex: note: {n}");
    }
    if words.is_empty() {
        eprintln!(
            "paperdex: `{}` has no words that other papers share to search by",
            args.id
        );
    } else {
        eprintln!(
            "paperdex: papers like `{}`, by: {}",
            args.id,
            words.join(" ")
        );
    }
    let mut out = BufWriter::new(crate::output::stdout());
    let status = print_hits(&mut out, &answer, args.json, args.color)?;
    if answer.hits.is_empty() && !words.is_empty() {
        // Say why the page is empty, as `search` does.
        if args.limit == 0 {
            eprintln!("paperdex: -n 0 shows none");
        } else if args.offset > 0 {
            eprintln!(
                "paperdex: no more papers like `{}` from --offset {} on",
                args.id, args.offset
            );
        } else if request.filter.is_some() {
            eprintln!(
                "paperdex: no paper like `{}` passes the filter `{}`",
                args.id,
                query::shorten(&filter)
            );
            did_you_mean(&mut engine, &filter);
        }
    }
    Ok(status)
}

fn index(home: &IndexHome, args: &IndexArgs) -> Result<Status> {
    let sources = if args.sources.is_empty() {
        vec![PathBuf::from(DEFAULT_CORPUS)]
    } else {
        args.sources.clone()
    };
    let opts = IngestOptions {
        mode: if args.add {
            Mode::Add
        } else if args.rebuild {
            Mode::Rebuild
        } else {
            Mode::Replace
        },
        threads: args
            .threads
            .map_or_else(ingest::default_threads, usize::from),
        memory_mb: args.memory,
        skip_invalid: args.skip_invalid,
        merge: args.merge,
        progress: true,
        keep_papers_of: Vec::new(),
    };
    let summary =
        ingest::ingest(home, &sources, &opts).map_err(|e| explain_write_failure(home, e))?;
    report_ingest(&summary, home);
    if args.json {
        let mut out = crate::output::stdout();
        serde_json::to_writer(&mut out, &summary)?;
        writeln!(out)?;
    }
    Ok(Status::Found)
}

/// The ingest summary on stderr: per source, then totals.
fn report_ingest(s: &IngestSummary, home: &IndexHome) {
    for src in &s.sources {
        let papers = render::plural(src.papers as usize, "paper", "papers");
        let mut line = format!("paperdex: {}: {papers}", src.path.display());
        if let Some(total) = src.header_total {
            if total != src.papers {
                line.push_str(&format!(" (its header says {total})"));
            }
        }
        if src.invalid > 0 {
            line.push_str(&format!(", {} invalid skipped", src.invalid));
        }
        eprintln!("{line}");
    }
    for p in &s.problems {
        eprintln!("paperdex: skipped {p}");
    }
    let unlisted = (s.skipped as usize).saturating_sub(s.problems.len());
    if unlisted > 0 {
        eprintln!(
            "paperdex: skipped {unlisted} more invalid {}, not listed",
            if unlisted == 1 { "record" } else { "records" }
        );
    }
    if let Some(why) = &s.merge_failed {
        eprintln!(
            "paperdex: warning: the index is complete but could not be merged into one segment: {why}"
        );
    }
    let rate = if s.seconds > 0.0 {
        s.read as f64 / s.seconds
    } else {
        0.0
    };
    let repeated = if s.repeated > 0 {
        format!(", {} repeated ids (the later record kept)", s.repeated)
    } else {
        String::new()
    };
    eprintln!(
        "paperdex: read {} ({}) in {:.2} s ({:.0} papers/s): {} added, {} updated{repeated}, {} skipped, {} removed; index in {}: {}, {}",
        render::plural(s.read as usize, "paper", "papers"),
        render::bytes(s.bytes),
        s.seconds,
        rate,
        s.added,
        s.updated,
        s.skipped,
        s.removed,
        home.dir.display(),
        render::plural(s.documents as usize, "paper", "papers"),
        render::bytes(s.index_bytes),
    );
}

fn remove(home: &IndexHome, args: &RemoveArgs) -> Result<Status> {
    // Say what is wrong with the index before taking the lock, which would create the directory.
    drop(home.open().map_err(|e| open_error(home, e))?);
    let (removed, missing) = ingest::remove(home, &args.ids)?;
    for id in &missing {
        eprintln!("paperdex: no paper with id {id}");
    }
    eprintln!("paperdex: removed {} paper(s)", removed.len());
    Ok(if removed.is_empty() {
        Status::NotFound
    } else {
        Status::Found
    })
}

/// What `stats` reports.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub index: PathBuf,
    pub documents: u64,
    pub deleted: u64,
    pub segments: usize,
    pub bytes: u64,
    pub venues: BTreeMap<String, u64>,
    pub sources: Vec<PathBuf>,
    pub built_at: u64,
    pub format: u32,
}

/// Gathers the statistics of an opened index.
pub fn gather_stats(opened: &PaperIndex) -> Result<Stats> {
    let searcher = opened.searcher();
    let mut venues = BTreeMap::new();
    let mut deleted = 0;
    for segment in searcher.segment_readers() {
        deleted += u64::from(segment.num_deleted_docs());
        let inverted = segment.inverted_index(opened.fields.venue)?;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let venue = String::from_utf8_lossy(terms.key()).into_owned();
            let mut postings =
                inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
            let mut alive = 0;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    alive += 1;
                }
                doc = postings.advance();
            }
            if alive > 0 {
                *venues.entry(venue).or_insert(0) += alive;
            }
        }
    }
    Ok(Stats {
        index: opened.path.clone(),
        documents: searcher.num_docs(),
        deleted,
        segments: searcher.segment_readers().len(),
        bytes: ingest::dir_size(&opened.path),
        venues,
        sources: opened
            .manifest
            .sources
            .iter()
            .map(|s| s.path.clone())
            .collect(),
        built_at: opened.manifest.built_at,
        format: opened.manifest.format,
    })
}

fn stats(home: &IndexHome, args: &StatsArgs) -> Result<Status> {
    let opened = home.open().map_err(|e| open_error(home, e))?;
    let stats = gather_stats(&opened).map_err(|e| unreadable(home, &e))?;
    let mut out = BufWriter::new(crate::output::stdout());
    if args.json {
        serde_json::to_writer(&mut out, &stats)?;
        writeln!(out)?;
    } else {
        writeln!(out, "index     {}", stats.index.display())?;
        writeln!(out, "documents {}", stats.documents)?;
        writeln!(out, "deleted   {}", stats.deleted)?;
        writeln!(out, "segments  {}", stats.segments)?;
        writeln!(out, "size      {}", render::bytes(stats.bytes))?;
        writeln!(out, "built     {}", render::utc(stats.built_at))?;
        writeln!(out, "sources")?;
        for s in &stats.sources {
            writeln!(out, "  {}", s.display())?;
        }
        writeln!(out, "venues")?;
        let width = stats
            .venues
            .keys()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(0);
        for (venue, n) in &stats.venues {
            writeln!(out, "  {venue:<width$}  {n}")?;
        }
    }
    out.flush()?;
    Ok(Status::Found)
}

fn check(home: &IndexHome) -> Result<Status> {
    let opened = home.open().map_err(|e| open_error(home, e))?;
    let verified = opened.verify().map_err(|e| {
        anyhow!(
            "the index in {} is damaged: {e:#}\nhint: {}",
            home.dir.display(),
            rebuild_hint(home)
        )
    })?;
    if !verified.damaged.is_empty() {
        let names: Vec<String> = verified
            .damaged
            .iter()
            .map(|p| opened.path.join(p).display().to_string())
            .collect();
        bail!(
            "the index in {} is damaged: {} file(s) fail their checksum: {}\nhint: {}",
            home.dir.display(),
            names.len(),
            names.join(", "),
            rebuild_hint(home)
        );
    }
    let mut out = crate::output::stdout();
    writeln!(
        out,
        "{}: {} papers in {} files; every file matches its checksum and every paper reads back",
        opened.path.display(),
        verified.papers,
        verified.files
    )?;
    out.flush()?;
    Ok(Status::Found)
}

fn export(home: &IndexHome, args: &ExportArgs) -> Result<Status> {
    let opened = home.open().map_err(|e| open_error(home, e))?;
    let written = match &args.output {
        None => export::write_ndjson(&opened, &mut BufWriter::new(crate::output::stdout())),
        Some(path) => crate::output::write_file(path, |out| export::write_ndjson(&opened, out)),
    }
    .map_err(|e| {
        if e.downcast_ref::<export::StoreError>().is_some() {
            unreadable(home, &e)
        } else {
            e
        }
    })?;
    eprintln!(
        "paperdex: exported {written} papers from {}",
        home.dir.display()
    );
    Ok(Status::Found)
}

/// The first few of `ids`, for a note: `` `1`, `7`, `12` and 40 more ``.
fn some_ids(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        s.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    s
}

/// The RM3 setting an evaluation asks for: the default's, switched or tuned by the flags.
fn feedback_option(args: &EvalArgs, default: Option<Feedback>) -> Option<Feedback> {
    let tuned = args.fb_docs.is_some() || args.fb_terms.is_some() || args.fb_weight.is_some();
    let on = args.rm3.unwrap_or(default.is_some() || tuned);
    if !on {
        return None;
    }
    let base = default.unwrap_or_default();
    Some(Feedback {
        docs: args.fb_docs.unwrap_or(base.docs),
        terms: args.fb_terms.unwrap_or(base.terms),
        original_weight: args.fb_weight.unwrap_or(base.original_weight),
    })
}

fn evaluate(index_dir: Option<&Path>, args: &EvalArgs) -> Result<Status> {
    let mut collection = match &args.dir {
        Some(dir) if args.corpus.is_none() || args.queries.is_none() || args.qrels.is_none() => {
            Collection::beir(dir, &args.split)?
        }
        _ => Collection {
            corpus: PathBuf::new(),
            queries: PathBuf::new(),
            qrels: PathBuf::new(),
        },
    };
    if let Some(c) = &args.corpus {
        collection.corpus = c.clone();
    }
    if let Some(q) = &args.queries {
        collection.queries = q.clone();
    }
    if let Some(q) = &args.qrels {
        collection.qrels = q.clone();
    }
    let defaults = EvalOptions::default();
    let opts = EvalOptions {
        ranking: Ranking {
            drop_stopwords: args.stopwords.unwrap_or(defaults.ranking.drop_stopwords),
            glue_words: args.glue_words.unwrap_or(defaults.ranking.glue_words),
            title_boost: args.title_boost.unwrap_or(defaults.ranking.title_boost),
            title_in_text: args.title_weight.unwrap_or(defaults.title_weight) > 0,
            bm25: match (args.k1, args.b) {
                (Some(k1), Some(b)) => Some(Bm25Params { k1, b }),
                _ => defaults.ranking.bm25,
            },
            feedback: feedback_option(args, defaults.ranking.feedback),
        },
        title_weight: args.title_weight.unwrap_or(defaults.title_weight),
        progress: true,
    };
    let eval::Judgments {
        queries,
        qrels,
        textless,
    } = eval::read_judgments(&collection)?;
    if !textless.is_empty() {
        eprintln!(
            "paperdex: note: {} judged in {} {} no text in {} ({}); left out, as trec_eval leaves out a judged query its run lacks",
            render::plural(textless.len(), "query", "queries"),
            collection.qrels.display(),
            if textless.len() == 1 { "has" } else { "have" },
            collection.queries.display(),
            some_ids(&textless),
        );
    }
    let (report, counts) = match index_dir {
        // An explicit index: build it there (as `paperdex index` would) and evaluate it.
        Some(dir) => {
            let home = IndexHome::new(dir);
            // eval rebuilds the index from its corpus: one of other papers is not its to replace.
            let recorded = home.recorded_inputs();
            let corpus = std::path::absolute(&collection.corpus)
                .unwrap_or_else(|_| collection.corpus.clone());
            if !recorded.is_empty() && recorded != [corpus] {
                bail!(
                    "the index in {} holds the papers of {}, which eval would replace by {}'s; nothing was changed\nhint: give eval a directory of its own with --index, or no --index to evaluate in memory",
                    home.dir.display(),
                    recorded
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    collection.corpus.display()
                );
            }
            let ingest_opts = IngestOptions {
                mode: Mode::Rebuild,
                // As in memory: a record that cannot be read is a paper never retrieved.
                skip_invalid: true,
                ..IngestOptions::default()
            };
            let summary = ingest::ingest(
                &home,
                std::slice::from_ref(&collection.corpus),
                &ingest_opts,
            )?;
            let opened = home.open().map_err(|e| anyhow!("{e}"))?;
            let report = eval::evaluate(&opened.index, opened.fields, &queries, &qrels, &opts)?;
            let counts = eval::CorpusCounts {
                invalid: summary.skipped,
                repeated: summary.repeated,
                problems: summary.problems,
            };
            (report, counts)
        }
        None => {
            let (index, fields, counts) =
                eval::index_in_ram(&collection.corpus, opts.title_weight)?;
            (
                eval::evaluate(&index, fields, &queries, &qrels, &opts)?,
                counts,
            )
        }
    };
    for p in &counts.problems {
        eprintln!("paperdex: skipped {p}");
    }
    if counts.invalid > 0 {
        eprintln!(
            "paperdex: note: {} of {} left out; the figures count {} as papers no query finds",
            render::plural(counts.invalid as usize, "invalid record", "invalid records"),
            collection.corpus.display(),
            if counts.invalid == 1 { "it" } else { "them" },
        );
    }
    if counts.repeated > 0 {
        eprintln!(
            "paperdex: note: {} of {} repeated an earlier id; the later record of each was kept",
            render::plural(counts.repeated as usize, "record", "records"),
            collection.corpus.display()
        );
    }
    for (qid, why) in &report.failed {
        eprintln!("paperdex: query {qid} could not be run: {why}");
    }
    let mut empty: Vec<String> = report
        .run
        .iter()
        .filter(|(_, ranked)| ranked.is_empty())
        .map(|(qid, _)| qid.clone())
        .collect();
    if !empty.is_empty() {
        empty.sort();
        eprintln!(
            "paperdex: note: {} found no paper ({}); the figures count {} as 0{}",
            render::plural(empty.len(), "judged query", "judged queries"),
            some_ids(&empty),
            if empty.len() == 1 { "it" } else { "them" },
            if args.run.is_some() {
                ", as `trec_eval -c` counts a judged query its run lacks (a run file has no line for it)"
            } else {
                ""
            },
        );
    }
    if let Some(path) = &args.run {
        crate::output::write_file(path, |w| {
            let mut qids: Vec<&String> = report.run.keys().collect();
            qids.sort();
            for qid in qids {
                crate::judgments::write_trec_run(w, qid, &report.run[qid], "paperdex")?;
            }
            Ok(())
        })
        .context("writing the run file")?;
    }
    let s = &report.summary;
    let mut out = BufWriter::new(crate::output::stdout());
    if args.json {
        let v = serde_json::json!({
            "queries": s.queries,
            "ndcg@10": s.ndcg_at_10,
            "recall@100": s.recall_at_100,
            "map": s.map,
            "p@10": s.p_at_10,
        });
        serde_json::to_writer(&mut out, &v)?;
        writeln!(out)?;
    }
    if args.per_query {
        for (qid, q) in &report.per_query {
            if args.json {
                let v = serde_json::json!({"query": qid, "ndcg@10": q.ndcg_at_10,
                    "recall@100": q.recall_at_100, "map": q.map, "p@10": q.p_at_10});
                serde_json::to_writer(&mut out, &v)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{qid}\tndcg@10 {:.4}\trecall@100 {:.4}\tmap {:.4}\tp@10 {:.4}",
                    q.ndcg_at_10, q.recall_at_100, q.map, q.p_at_10
                )?;
            }
        }
    }
    if !args.json {
        writeln!(out, "queries     {}", s.queries)?;
        writeln!(out, "ndcg@10     {:.4}", s.ndcg_at_10)?;
        writeln!(out, "recall@100  {:.4}", s.recall_at_100)?;
        writeln!(out, "map         {:.4}", s.map)?;
        writeln!(out, "p@10        {:.4}", s.p_at_10)?;
    }
    out.flush()?;
    eprintln!(
        "paperdex: evaluated {} queries over {} documents in {:.2} s",
        s.queries, report.documents, report.seconds
    );
    Ok(Status::Found)
}

fn bench(home: &IndexHome, args: &BenchArgs) -> Result<Status> {
    let path = &args.queries;
    let origin = path.display().to_string();
    if path.is_dir() {
        bail!("cannot read queries {origin}: it is a directory; --queries names a file of queries");
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read queries {origin}"))?;
    let (queries, mut problems) = crate::bench::read_queries(io::BufReader::new(file), &origin)?;
    let ran = if queries.is_empty() {
        // Before an index it would not use is opened (or built).
        Err(anyhow!("{origin}: no query could be run"))
    } else {
        let opened = open_for_search(home)?;
        let opts = crate::bench::BenchOptions {
            runs: args.runs as usize,
            limit: args.limit,
            threads: usize::from(args.threads),
        };
        crate::bench::run(&opened.searcher(), opened.fields, &queries, &origin, &opts)
    };
    let (report, skipped) = match ran {
        Ok(done) => done,
        Err(e) => {
            // The lines that could not be read, before the error that lists the queries that
            // could not be run.
            for p in &problems {
                eprintln!("paperdex: skipped {p}");
            }
            return Err(e);
        }
    };
    problems.extend(skipped);
    // In the file's order: lines that could not be read, then queries that could not be run,
    // each `origin:line: ...`.
    let line_of = |p: &String| {
        p.get(origin.len() + 1..)
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<usize>().ok())
    };
    problems.sort_by_key(line_of);
    for p in &problems {
        eprintln!("paperdex: skipped {p}");
    }
    let mut out = BufWriter::new(crate::output::stdout());
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        crate::bench::write_text(&mut out, &report)?;
    }
    out.flush()?;
    Ok(Status::Found)
}
