//! Query latency per query kind (benches/queries.tsv), on the embedded corpus and on the
//! paperlists abstracts (`../shared/data/paperlists/abstracts.jsonl.gz`, skipped with a message
//! when absent). Each index is built once, outside the timed loop, by the same ingest path
//! `paperdex index` uses; one iteration answers every query of a kind in full (top 10, stored
//! fields, snippets) and asserts that each found something.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use paperdex::bench::{kinds, read_queries, BenchQuery};
use paperdex::index::{IndexHome, PaperIndex};
use paperdex::ingest::{self, IngestOptions};
use paperdex::query::Ranking;
use paperdex::search::{Engine, Request};
use tantivy::collector::TopDocs;

const LIMIT: usize = 10;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn paperlists() -> PathBuf {
    root().join("../shared/data/paperlists/abstracts.jsonl.gz")
}

fn queries() -> Vec<BenchQuery> {
    let text =
        std::fs::read_to_string(root().join("benches/queries.tsv")).expect("benches/queries.tsv");
    let (queries, problems) = read_queries(text.as_bytes(), "benches/queries.tsv").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    queries
}

/// Builds an index of `sources` in a temporary directory.
fn build(sources: &[PathBuf]) -> (tempfile::TempDir, PaperIndex) {
    let dir = tempfile::tempdir().unwrap();
    let home = IndexHome::new(dir.path().join("index"));
    let opts = IngestOptions {
        progress: false,
        ..IngestOptions::default()
    };
    ingest::ingest(&home, sources, &opts).unwrap();
    let opened = home.open().unwrap();
    (dir, opened)
}

fn request(query: &str) -> Request<'_> {
    Request {
        query,
        all: false,
        limit: LIMIT,
        offset: 0,
        explain: false,
        order: Default::default(),
    }
}

fn bench_corpus(c: &mut Criterion, name: &str, opened: &PaperIndex, queries: &[BenchQuery]) {
    let mut engine = Engine::new(opened.searcher(), opened.fields, Ranking::default());
    // Only the queries that find something in this corpus: an iteration asserts they still do.
    let found: Vec<&BenchQuery> = queries
        .iter()
        .filter(|q| {
            engine
                .search(&request(&q.text))
                .is_ok_and(|a| !a.hits.is_empty())
        })
        .collect();
    let mut group = c.benchmark_group(format!("query/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for kind in kinds(queries) {
        let set: Vec<&str> = found
            .iter()
            .filter(|q| q.kind.as_deref() == Some(kind))
            .map(|q| q.text.as_str())
            .collect();
        if set.is_empty() {
            continue;
        }
        group.throughput(Throughput::Elements(set.len() as u64));
        group.bench_function(kind, |b| {
            b.iter(|| {
                for q in &set {
                    let answer = engine.search(&request(q)).unwrap();
                    assert!(!answer.hits.is_empty(), "{q} found nothing");
                    black_box(answer);
                }
            })
        });
    }
    // A prefix repeated (a pasted list, a script's query): each repeat adds the same score,
    // and the repeats are searched as one.
    let repeated = "data* ".repeat(500);
    group.throughput(Throughput::Elements(1));
    group.bench_function("repeated-prefix-500", |b| {
        b.iter(|| {
            let answer = engine.search(&request(&repeated)).unwrap();
            assert!(!answer.hits.is_empty());
            black_box(answer);
        })
    });
    // The same keyword queries, top 10 by tantivy alone (its boolean query and block-max WAND
    // over the same terms), then by paperdex's ranking of the built query (MaxScore, no
    // stored fields or snippets).
    let keywords: Vec<_> = found
        .iter()
        .filter(|q| matches!(q.kind.as_deref(), Some("term" | "words")))
        .map(|q| engine.prepare(&q.text, false).unwrap().0)
        .collect();
    let tantivy_forms: Vec<_> = keywords
        .iter()
        .map(|b| paperdex::union::as_tantivy(b.query.as_ref()))
        .collect();
    let searcher = opened.searcher();
    group.throughput(Throughput::Elements(keywords.len() as u64));
    group.bench_function("keywords-bare-topdocs", |b| {
        b.iter(|| {
            for query in &tantivy_forms {
                let top = searcher
                    .search(query.as_ref(), &TopDocs::with_limit(LIMIT).order_by_score())
                    .unwrap();
                assert!(!top.is_empty());
                black_box(top);
            }
        })
    });
    group.bench_function("keywords-top10", |b| {
        b.iter(|| {
            for built in &keywords {
                let top = engine.top(built, LIMIT, 0).unwrap();
                assert!(!top.is_empty());
                black_box(top);
            }
        })
    });
    group.finish();
}

fn query_latency(c: &mut Criterion) {
    let queries = queries();
    let (_dir, embedded) = build(&[root().join("corpus")]);
    bench_corpus(c, "embedded", &embedded, &queries);
    let paperlists = paperlists();
    if paperlists.is_file() {
        let (_dir, opened) = build(&[paperlists]);
        bench_corpus(c, "paperlists", &opened, &queries);
    } else {
        eprintln!(
            "query/paperlists: skipped, {} is absent",
            paperlists.display()
        );
    }
}

criterion_group!(benches, query_latency);
criterion_main!(benches);
