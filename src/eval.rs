//! Evaluation: indexes a test collection, runs its judged queries with the default ranking, and
//! scores the rankings with trec_eval's metrics.
//!
//! Invariant: queries run through the same [`Engine`] and [`Ranking`] as `paperdex search`, so
//! the figures describe what users get; only the index lives in memory.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use tantivy::{Index, Term};

use crate::index;
use crate::ingest;
use crate::judgments;
use crate::metrics::{self, PerQuery, Qrels, Summary};
use crate::query::Ranking;
use crate::render;
use crate::schema::Fields;
use crate::search::{stored_paper, Engine, SearchError};
use crate::sources;

/// Ranking depth: trec_eval's MAP looks at the first 1000 documents.
pub const DEPTH: usize = metrics::MAP_DEPTH;

/// The three files of a test collection.
#[derive(Debug, Clone)]
pub struct Collection {
    pub corpus: PathBuf,
    pub queries: PathBuf,
    pub qrels: PathBuf,
}

fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.exists())
}

impl Collection {
    /// The BEIR layout: `corpus.jsonl[.gz]`, `queries.jsonl` (or `.tsv`), `qrels/<split>.tsv`.
    pub fn beir(dir: &Path, split: &str) -> Result<Collection> {
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        let corpus = first_existing(dir, &["corpus.jsonl", "corpus.jsonl.gz"])
            .with_context(|| format!("no corpus.jsonl or corpus.jsonl.gz in {}", dir.display()))?;
        let queries = first_existing(dir, &["queries.jsonl", "queries.tsv"])
            .with_context(|| format!("no queries.jsonl or queries.tsv in {}", dir.display()))?;
        let qrels = dir.join("qrels").join(format!("{split}.tsv"));
        if !qrels.exists() {
            bail!(
                "no qrels for split `{split}`: {} does not exist",
                qrels.display()
            );
        }
        Ok(Collection {
            corpus,
            queries,
            qrels,
        })
    }
}

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions {
    pub ranking: Ranking,
    pub title_weight: usize,
    pub progress: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            ranking: Ranking::default(),
            title_weight: ingest::TITLE_WEIGHT,
            progress: true,
        }
    }
}

/// What an evaluation produced.
#[derive(Debug)]
pub struct Report {
    pub summary: Summary,
    pub per_query: Vec<(String, PerQuery)>,
    /// The ranking of every query run, best first: query id → (doc id, score).
    pub run: HashMap<String, Vec<(String, f32)>>,
    /// Queries that could not be run, with why.
    pub failed: Vec<(String, String)>,
    pub documents: u64,
    pub seconds: f64,
}

/// What indexing a collection's corpus met, whether in memory or into an `--index`.
#[derive(Debug, Default)]
pub struct CorpusCounts {
    /// Records that could not be read as papers (Cranfield has two with no text). They are left
    /// out, which scores them as papers no query retrieves: a judged one counts as missed.
    pub invalid: u64,
    /// Records whose id an earlier record had: the later one is kept, as `paperdex index`
    /// keeps it, so that a run never names a paper twice.
    pub repeated: u64,
    /// The first invalid records, as `file:line: what is wrong`.
    pub problems: Vec<String>,
}

/// Indexes a corpus file into an in-memory index.
pub fn index_in_ram(corpus: &Path, title_weight: usize) -> Result<(Index, Fields, CorpusCounts)> {
    let (index, fields) = index::create_in_ram();
    let threads = crate::ingest::default_threads();
    let mut writer = ingest::writer(&index, threads, threads * 128 * 1024 * 1024)?;
    let mut counts = CorpusCounts::default();
    let mut seen = HashSet::new();
    for source in sources::discover(&[corpus.to_path_buf()])? {
        for record in sources::open(&source)? {
            match record {
                Ok(paper) => {
                    if !seen.insert(ingest::id_hash(&paper.id)) {
                        writer.delete_term(Term::from_field_text(fields.id, &paper.id));
                        counts.repeated += 1;
                    }
                    writer.add_document(ingest::weighted_document(
                        &fields,
                        &paper,
                        title_weight,
                    ))?;
                }
                Err(e) => {
                    counts.invalid += 1;
                    if counts.problems.len() < ingest::PROBLEMS_LISTED {
                        counts
                            .problems
                            .push(format!("{}:{e}", source.path.display()));
                    }
                }
            }
        }
    }
    writer.commit().context("committing the index")?;
    writer.wait_merging_threads().context("merging")?;
    Ok((index, fields, counts))
}

/// Runs every judged query of `queries` and evaluates the rankings against `qrels`.
pub fn evaluate(
    index: &Index,
    fields: Fields,
    queries: &[(String, String)],
    qrels: &Qrels,
    opts: &EvalOptions,
) -> Result<Report> {
    let started = Instant::now();
    let reader = index.reader().context("opening the index")?;
    let searcher = reader.searcher();
    let mut engine = Engine::new(searcher.clone(), fields, opts.ranking);
    let judged: Vec<&(String, String)> = queries
        .iter()
        .filter(|(q, _)| qrels.contains_key(q))
        .collect();
    let show = opts.progress && std::io::stderr().is_terminal();
    let mut run = HashMap::new();
    let mut failed = Vec::new();
    for (i, (qid, text)) in judged.iter().enumerate() {
        if show && i % 20 == 0 {
            eprint!("\rpaperdex: query {}/{}", i, judged.len());
        }
        let ranked = match engine.prepare(text, false) {
            Ok((built, _notes)) => {
                let top = engine
                    .top(&built, DEPTH, 0)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let mut ranked = Vec::with_capacity(top.len());
                for (score, address) in top {
                    ranked.push((stored_paper(&searcher, &fields, address)?.id, score));
                }
                // Ties as trec_eval reads them, so a run file's ranks are the ones it uses.
                metrics::trec_order(&mut ranked);
                ranked
            }
            Err(SearchError::Index(e)) => return Err(e),
            Err(e) => {
                failed.push((qid.clone(), e.to_string()));
                Vec::new()
            }
        };
        run.insert(qid.clone(), ranked);
    }
    if show {
        eprint!("\r\x1b[2K");
    }
    let (summary, per_query) = metrics::evaluate(&run, qrels);
    Ok(Report {
        summary,
        per_query,
        run,
        failed,
        documents: searcher.num_docs(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A collection's queries and judgments, as far as they meet.
#[derive(Debug)]
pub struct Judgments {
    /// Every query of the queries file with text, in its order; only the judged ones are run.
    pub queries: Vec<(String, String)>,
    pub qrels: Qrels,
    /// Judged query ids with no text in the queries file, sorted: they cannot be run and are
    /// left out of the figures, as trec_eval leaves out a judged query absent from a run.
    pub textless: Vec<String>,
}

/// Reads a collection's queries and qrels.
///
/// # Errors
///
/// A file that cannot be read or parsed (naming the file and line), and files that do not meet:
/// no query of the queries file is judged, so there would be nothing to measure.
pub fn read_judgments(c: &Collection) -> Result<Judgments> {
    let open = |p: &Path| -> Result<BufReader<File>> {
        Ok(BufReader::new(
            File::open(p).with_context(|| format!("opening {}", p.display()))?,
        ))
    };
    let mut queries = judgments::read_queries(open(&c.queries)?, &c.queries.display().to_string())?;
    // A query written with no text is as good as absent: there is nothing to run.
    queries.retain(|(_, text)| !text.trim().is_empty());
    let qrels = judgments::read_qrels(open(&c.qrels)?, &c.qrels.display().to_string())?;
    let asked: HashSet<&str> = queries.iter().map(|(id, _)| id.as_str()).collect();
    let mut textless: Vec<String> = qrels
        .keys()
        .filter(|id| !asked.contains(id.as_str()))
        .cloned()
        .collect();
    textless.sort();
    if qrels.is_empty() {
        bail!(
            "nothing to evaluate: {} holds no judgments",
            c.qrels.display()
        );
    }
    if textless.len() == qrels.len() {
        bail!(
            "nothing to evaluate: {} judges {}, none of them among the {} of {}{}",
            c.qrels.display(),
            render::plural(qrels.len(), "query", "queries"),
            render::plural(queries.len(), "query", "queries"),
            c.queries.display(),
            match textless.first() {
                Some(id) => format!(" (a judged id: `{id}`; ids must match exactly)"),
                None => String::new(),
            }
        );
    }
    Ok(Judgments {
        queries,
        qrels,
        textless,
    })
}
