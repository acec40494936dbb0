//! Query-latency benchmarking: reads a query set, runs it against an index as `search` would,
//! and summarizes the latencies.
//!
//! Invariants: every timed query does its full work (parse, top-K, stored fields, snippets)
//! with nothing cached across queries or passes; percentiles are nearest-rank over the sorted
//! samples; a query file line that cannot be used is reported as `file:line: what is wrong` and
//! skipped, never a panic.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::Searcher;

use crate::query::Ranking;
use crate::schema::Fields;
use crate::search::{Engine, Request, SearchError};

/// The longest kind tag a query line may have.
const MAX_KIND_CHARS: usize = 32;

/// Names of rows of the report that are not kinds.
const RESERVED_KINDS: [&str; 2] = ["all", "untagged"];

/// Beyond this many kinds a report gives no row per kind: the tags are more likely query ids.
const MAX_KINDS: usize = 50;

/// The kinds of `queries`, in the order they first appear.
pub fn kinds(queries: &[BenchQuery]) -> Vec<&str> {
    let mut kinds: Vec<&str> = Vec::new();
    for kind in queries.iter().filter_map(|q| q.kind.as_deref()) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

/// One query of a benchmark set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchQuery {
    /// Line number in the query file (from 1).
    pub line: usize,
    /// The tag (`term`, `words`, ... in `benches/queries.tsv`; any one word), if the line had one.
    pub kind: Option<String>,
    pub text: String,
}

/// One BEIR `queries.jsonl` record; only `text` is used.
#[derive(Deserialize)]
struct BeirQuery {
    text: String,
}

/// Reads a query set: returns the queries and, for each line that could not be used, a
/// `origin:line: what is wrong` message.
///
/// A line is a query, `kind<TAB>query` with a kind of one word (letters, digits, `-`, `_`, `.`:
/// `term`, `words`, `phrase`, ... as `benches/queries.tsv` tags them), or a BEIR JSON object
/// (`{"_id": ..., "text": ...}`). Blank lines and lines starting with `#` are skipped.
///
/// ```
/// use paperdex::bench::read_queries;
///
/// let input = "# keyword queries\nterm\tdrift\n\ngraph neural networks\nmy kind\tbar\n{\"_id\": \"1\", \"text\": \"data drift\"}\nmine\tgpu\n";
/// let (queries, problems) = read_queries(input.as_bytes(), "q.tsv").unwrap();
/// assert_eq!(queries.len(), 4);
/// assert_eq!(queries[0].kind.as_deref(), Some("term"));
/// assert_eq!(queries[1].text, "graph neural networks");
/// assert_eq!(queries[2].text, "data drift");
/// assert_eq!(queries[3].kind.as_deref(), Some("mine"));
/// assert!(problems[0].starts_with("q.tsv:5: `my kind` is not a query kind"));
/// ```
pub fn read_queries(reader: impl BufRead, origin: &str) -> Result<(Vec<BenchQuery>, Vec<String>)> {
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    for line in crate::judgments::numbered_lines(reader, origin) {
        let (number, line) = line?;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (kind, text) = if trimmed.starts_with('{') {
            match serde_json::from_str::<BeirQuery>(trimmed) {
                Ok(q) => (None, q.text),
                Err(e) => {
                    problems.push(format!(
                        "{origin}:{number}: not a BEIR query object: {}",
                        crate::judgments::json_problem(&e, line.len() - line.trim_start().len())
                    ));
                    continue;
                }
            }
        } else if let Some((tag, text)) = line.split_once('\t') {
            let tag = tag.trim();
            if tag.starts_with(|c: char| c.is_ascii_digit()) {
                // `qid<TAB>query`, as TSV query files of test collections are.
                (None, text.trim().to_string())
            } else {
                let is_kind = tag.starts_with(char::is_alphabetic)
                    && tag.chars().count() <= MAX_KIND_CHARS
                    && tag
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    && !RESERVED_KINDS.contains(&tag);
                if !is_kind {
                    problems.push(format!(
                        "{origin}:{number}: `{tag}` is not a query kind (a kind is one word of at most {MAX_KIND_CHARS} letters, digits, `-`, `_` or `.`, starting with a letter, other than {}; a first column of digits is read as a query id)",
                        RESERVED_KINDS.join(" or ")
                    ));
                    continue;
                }
                (Some(tag.to_string()), text.trim().to_string())
            }
        } else {
            (None, trimmed.to_string())
        };
        if text.trim().is_empty() {
            problems.push(format!("{origin}:{number}: empty query"));
            continue;
        }
        queries.push(BenchQuery {
            line: number,
            kind,
            text,
        });
    }
    Ok((queries, problems))
}

/// The `p`-th percentile (0 < p <= 100) of sorted samples, by nearest rank: the smallest sample
/// with at least `p` % of the samples at or below it. Zero for no samples.
///
/// ```
/// use paperdex::bench::percentile;
///
/// let sorted = [15, 20, 35, 40, 50];
/// assert_eq!(percentile(&sorted, 30.0), 20);
/// assert_eq!(percentile(&sorted, 50.0), 35);
/// assert_eq!(percentile(&sorted, 100.0), 50);
/// ```
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Arithmetic mean; zero for no samples.
pub fn mean(samples: &[u64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64
}

/// Nanoseconds as microseconds, to 0.1 µs.
fn us(nanos: f64) -> f64 {
    (nanos / 100.0).round() / 10.0
}

/// Latency summary of one group of queries; times in microseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Distinct queries in the group.
    pub queries: usize,
    /// Hits returned over one pass (at most `limit` per query).
    pub hits: usize,
    /// Queries that returned nothing.
    pub no_hits: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Queries answered per second.
    pub qps: f64,
    /// Median of the search-only part (parse, build, top-K; no stored fields or snippets).
    pub search_p50_us: f64,
    /// Median of a bare tantivy `TopDocs` search of the already-built query.
    pub bare_p50_us: f64,
}

impl Summary {
    /// Summarizes samples (nanoseconds): full answers, the search part of each, bare searches.
    pub fn of(full: &[u64], search: &[u64], bare: &[u64], qps: f64) -> Summary {
        let sorted = |s: &[u64]| {
            let mut v = s.to_vec();
            v.sort_unstable();
            v
        };
        let (full, search, bare) = (sorted(full), sorted(search), sorted(bare));
        Summary {
            p50_us: us(percentile(&full, 50.0) as f64),
            p90_us: us(percentile(&full, 90.0) as f64),
            p99_us: us(percentile(&full, 99.0) as f64),
            max_us: us(full.last().copied().unwrap_or(0) as f64),
            mean_us: us(mean(&full)),
            qps,
            search_p50_us: us(percentile(&search, 50.0) as f64),
            bare_p50_us: us(percentile(&bare, 50.0) as f64),
            ..Summary::default()
        }
    }
}

/// Queries per second from a count and the time it took; zero for no time.
pub fn qps(count: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (count as f64 / secs * 10.0).round() / 10.0
    } else {
        0.0
    }
}

/// How to run a benchmark.
#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    /// Timed passes over the set, after one warm-up pass.
    pub runs: usize,
    /// Hits per query.
    pub limit: usize,
    /// Threads running queries concurrently, each with its own [`Engine`].
    pub threads: usize,
}

/// What a benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub all: Summary,
    pub runs: usize,
    pub threads: usize,
    pub limit: usize,
    pub documents: u64,
    /// Per query kind, for tagged query sets.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<String, Summary>,
}

/// One timed answer: which query, and how long the full answer took (nanoseconds).
struct Sample {
    query: usize,
    full: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Where benchmark threads wait, their engines made, until the clock starts.
#[derive(Default)]
struct StartGate {
    /// Threads arrived, and whether to go (`Some(true)`) or give up (`Some(false)`).
    state: Mutex<(usize, Option<bool>)>,
    changed: Condvar,
}

impl StartGate {
    /// Called by each thread: waits for the word, and says whether to run.
    fn arrive(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        self.changed.notify_all();
        loop {
            if let Some(go) = state.1 {
                return go;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Called once all `threads` are spawned (`go`) or spawning failed: waits for them to
    /// arrive, then lets them run (or stop) and returns the moment they were let go.
    fn open(&self, threads: usize, go: bool) -> Instant {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while go && state.0 < threads {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.1 = Some(go);
        self.changed.notify_all();
        Instant::now()
    }
}

/// Runs the query set against `searcher`: checks each query (those that cannot run are
/// returned as problems), one warm-up pass, `runs` timed passes spread over `threads`, then
/// `runs` passes of bare tantivy searches for comparison.
pub fn run(
    searcher: &Searcher,
    fields: Fields,
    queries: &[BenchQuery],
    origin: &str,
    opts: &BenchOptions,
) -> Result<(Report, Vec<String>)> {
    let documents = searcher.num_docs();
    let limit = opts
        .limit
        .min(usize::try_from(documents).unwrap_or(usize::MAX));
    let mut engine = Engine::new(searcher.clone(), fields, Ranking::default());
    let mut problems = Vec::new();
    let mut runnable = Vec::new();
    let mut hits = Vec::new();
    // The check doubles as the warm-up pass.
    for q in queries {
        let request = Request {
            query: &q.text,
            all: false,
            limit,
            offset: 0,
            explain: false,
            order: Default::default(),
        };
        match engine.search(&request) {
            Ok(answer) => {
                hits.push(answer.hits.len());
                runnable.push(q);
            }
            Err(SearchError::Index(e)) => return Err(e),
            Err(e) => problems.push(format!("{origin}:{}: {e}", q.line)),
        }
    }
    if runnable.is_empty() {
        // What each query failed on, since no report follows to put it beside.
        let mut why = String::new();
        for p in &problems {
            why.push_str("\n  ");
            why.push_str(p);
        }
        bail!("{origin}: no query could be run{why}");
    }
    let threads = opts.threads.max(1);
    let jobs = runnable.len() * opts.runs;
    let next = AtomicUsize::new(0);
    // The clock starts once every thread has its engine: queries per second count queries, not
    // starting threads (which, for a set of one query, took longer than the queries).
    let gate = StartGate::default();
    let mut started = Instant::now();
    let mut spawn_error = None;
    let per_thread: Vec<Result<Vec<Sample>>> = std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (next, runnable, gate) = (&next, &runnable, &gate);
            let spawned =
                std::thread::Builder::new().spawn_scoped(scope, move || -> Result<Vec<Sample>> {
                    let mut engine = Engine::new(searcher.clone(), fields, Ranking::default());
                    let mut samples = Vec::with_capacity(jobs / threads + 1);
                    if !gate.arrive() {
                        return Ok(samples);
                    }
                    loop {
                        let job = next.fetch_add(1, Ordering::Relaxed);
                        if job >= jobs {
                            return Ok(samples);
                        }
                        let query = job % runnable.len();
                        let request = Request {
                            query: &runnable[query].text,
                            all: false,
                            limit,
                            offset: 0,
                            explain: false,
                            order: Default::default(),
                        };
                        let t = Instant::now();
                        let answer = engine
                            .search(&request)
                            .map_err(|e| anyhow::anyhow!("{e}"))?;
                        let full = nanos(t.elapsed());
                        std::hint::black_box(&answer.hits);
                        samples.push(Sample { query, full });
                    }
                });
            match spawned {
                Ok(worker) => workers.push(worker),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        started = gate.open(workers.len(), spawn_error.is_none());
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a benchmark thread panicked")))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    if let Some(e) = spawn_error {
        bail!("cannot start {threads} benchmark threads: {e}");
    }
    let mut samples = Vec::with_capacity(jobs);
    for s in per_thread {
        samples.extend(s?);
    }
    // The search part on its own (parse, build, top-K), then a bare tantivy search of the
    // query it built, each in passes of its own over the whole set, alternating, single thread:
    // both then run in the same conditions (a query follows another query, not its own twin, and
    // not the fetch and snippet work of a full answer). The bare search runs tantivy's own form
    // of each query: paperdex ranks keyword queries with its MaxScore (`union`), and the bare
    // search shows what tantivy's block-max WAND takes for them.
    let built: Vec<_> = runnable
        .iter()
        .map(|q| {
            engine
                .prepare(&q.text, false)
                .map(|(b, _)| crate::union::as_tantivy(b.query.as_ref()))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut search_only = vec![Vec::with_capacity(opts.runs); runnable.len()];
    let mut bare = vec![Vec::with_capacity(opts.runs); runnable.len()];
    for _ in 0..opts.runs {
        for (i, q) in runnable.iter().enumerate() {
            let t = Instant::now();
            let (b, _) = engine
                .prepare(&q.text, false)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let top = engine
                .top(&b, limit, 0)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            search_only[i].push(nanos(t.elapsed()));
            std::hint::black_box(top);
        }
        for (i, b) in built.iter().enumerate() {
            let collector = TopDocs::with_limit(limit.max(1)).order_by_score();
            let t = Instant::now();
            let top = searcher.search(b.as_ref(), &collector)?;
            bare[i].push(nanos(t.elapsed()));
            std::hint::black_box(top);
        }
    }
    let group = |keep: &dyn Fn(usize) -> bool, qps: Option<f64>| -> Summary {
        let mine: Vec<&Sample> = samples.iter().filter(|s| keep(s.query)).collect();
        let full: Vec<u64> = mine.iter().map(|s| s.full).collect();
        let search: Vec<u64> = (0..runnable.len())
            .filter(|&i| keep(i))
            .flat_map(|i| search_only[i].iter().copied())
            .collect();
        let bare: Vec<u64> = (0..runnable.len())
            .filter(|&i| keep(i))
            .flat_map(|i| bare[i].iter().copied())
            .collect();
        // A kind's throughput is estimated from its latencies, the threads working in parallel.
        let qps = qps.unwrap_or_else(|| {
            let busy = Duration::from_nanos(full.iter().sum::<u64>() / threads as u64);
            self::qps(full.len(), busy)
        });
        let indices: Vec<usize> = (0..runnable.len()).filter(|&i| keep(i)).collect();
        Summary {
            queries: indices.len(),
            hits: indices.iter().map(|&i| hits[i]).sum(),
            no_hits: indices.iter().filter(|&&i| hits[i] == 0).count(),
            ..Summary::of(&full, &search, &bare, qps)
        }
    };
    let all = group(&|_| true, Some(qps(jobs, elapsed)));
    let mut kinds = BTreeMap::new();
    let distinct = self::kinds(queries).len();
    if distinct > MAX_KINDS {
        problems.push(format!(
            "{origin}: {distinct} kinds of query; rows per kind are left out beyond {MAX_KINDS} (is the first column a query id?)"
        ));
    } else {
        for kind in runnable.iter().filter_map(|q| q.kind.as_deref()) {
            if !kinds.contains_key(kind) {
                let of_kind = |i: usize| runnable[i].kind.as_deref() == Some(kind);
                kinds.insert(kind.to_string(), group(&of_kind, None));
            }
        }
    }
    if !kinds.is_empty() && runnable.iter().any(|q| q.kind.is_none()) {
        kinds.insert(
            "untagged".to_string(),
            group(&|i| runnable[i].kind.is_none(), None),
        );
    }
    Ok((
        Report {
            all,
            runs: opts.runs,
            threads,
            limit,
            documents,
            kinds,
        },
        problems,
    ))
}

/// The report as a table for people.
pub fn write_text(out: &mut impl Write, report: &Report) -> io::Result<()> {
    writeln!(
        out,
        "{} documents, top {}, {} timed run(s) after a warm-up, {} thread(s)",
        report.documents, report.limit, report.runs, report.threads
    )?;
    writeln!(
        out,
        "{:<9} {:>7} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "kind",
        "queries",
        "hits",
        "no hits",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "max µs",
        "mean µs",
        "qps",
        "search p50",
        "bare p50"
    )?;
    let row = |out: &mut dyn Write, name: &str, s: &Summary| {
        writeln!(
            out,
            "{:<9} {:>7} {:>6} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.0} {:>11.1} {:>9.1}",
            name,
            s.queries,
            s.hits,
            s.no_hits,
            s.p50_us,
            s.p90_us,
            s.p99_us,
            s.max_us,
            s.mean_us,
            s.qps,
            s.search_p50_us,
            s.bare_p50_us
        )
    };
    row(out, "all", &report.all)?;
    for (kind, s) in &report.kinds {
        row(out, kind, s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_query() {
        let input = "\u{FEFF}{\"_id\": \"1\", \"text\": \"graph networks\"}\n\u{FEFF}x\n";
        let (queries, problems) = read_queries(input.as_bytes(), "q.jsonl").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(queries[0].text, "graph networks");
        // Only the file's first character is a mark; elsewhere it is text.
        assert_eq!(queries[1].text, "\u{FEFF}x");
        let (queries, _) = read_queries("\u{FEFF}term\tdrift\n".as_bytes(), "q.tsv").unwrap();
        assert_eq!(queries[0].kind.as_deref(), Some("term"));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), 50);
        assert_eq!(percentile(&sorted, 90.0), 90);
        assert_eq!(percentile(&sorted, 99.0), 99);
        assert_eq!(percentile(&sorted, 100.0), 100);
        // Nearest rank never interpolates: the median of two samples is the lower one.
        assert_eq!(percentile(&[10, 20], 50.0), 10);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn mean_and_qps() {
        assert_eq!(mean(&[1, 2, 6]), (1.0 + 2.0 + 6.0) / 3.0);
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(qps(500, Duration::from_millis(250)), 2000.0);
        assert_eq!(qps(5, Duration::ZERO), 0.0);
    }

    #[test]
    fn summary_reports_microseconds() {
        let full = [3_000, 1_000, 2_000, 10_000];
        let s = Summary::of(&full, &[500, 700, 600, 900], &[400], 100.0);
        assert_eq!(s.p50_us, 2.0);
        assert_eq!(s.p90_us, 10.0);
        assert_eq!(s.max_us, 10.0);
        assert_eq!(s.mean_us, (3.0 + 1.0 + 2.0 + 10.0) / 4.0);
        assert_eq!(s.search_p50_us, 0.6);
        assert_eq!(s.bare_p50_us, 0.4);
    }

    #[test]
    fn query_file_problems_name_the_line_and_the_rest_is_kept() {
        let input = "term\tdrift\nwords\t   \n{broken\nphrase\t\"data drift\"\n";
        let (queries, problems) = read_queries(input.as_bytes(), "q").unwrap();
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[1].line, 4);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("q:2: empty query"));
        assert!(problems[1].starts_with("q:3: not a BEIR query object"));
    }

    #[test]
    fn benchmark_runs_on_a_small_index() {
        let texts = [
            "data drift in clusters",
            "graph neural networks",
            "drifting",
        ];
        let papers: Vec<(&str, &str)> = texts.iter().map(|t| (*t, *t)).collect();
        let (index, fields) = crate::index::ram_index_of(&papers);
        let searcher = index.reader().unwrap().searcher();
        let queries = vec![
            BenchQuery {
                line: 1,
                kind: Some("term".into()),
                text: "drift".into(),
            },
            BenchQuery {
                line: 2,
                kind: Some("field".into()),
                text: "foo:bar".into(),
            },
        ];
        let opts = BenchOptions {
            runs: 2,
            limit: 10,
            threads: 2,
        };
        let (report, problems) = run(&searcher, fields, &queries, "q", &opts).unwrap();
        assert_eq!(report.all.queries, 1);
        assert_eq!(report.all.hits, 2);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("q:2: query column 1: unknown field"));
        assert_eq!(report.kinds["term"].queries, 1);
        assert!(!report.kinds.contains_key("field"));
    }
}
