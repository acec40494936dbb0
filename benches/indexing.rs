//! Indexing throughput (papers and bytes per second) on a sample: the first 5,000 paperlists
//! abstracts, or the embedded corpus when `../shared/data/paperlists/abstracts.jsonl.gz` is
//! absent. Papers are read once, outside the timed loop; an iteration indexes them all into a
//! fresh in-memory index and commits, with one indexing thread so figures compare across
//! machines.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use paperdex::paper::Paper;
use paperdex::{index, ingest, sources};

const SAMPLE: usize = 5_000;

fn sample() -> (String, Vec<Paper>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paperlists = root.join("../shared/data/paperlists/abstracts.jsonl.gz");
    let (name, path): (String, PathBuf) = if paperlists.is_file() {
        (format!("paperlists-{SAMPLE}"), paperlists)
    } else {
        eprintln!(
            "indexing: {} is absent; measuring the embedded corpus",
            paperlists.display()
        );
        ("embedded".to_string(), root.join("corpus"))
    };
    let mut papers = Vec::new();
    for source in sources::discover(&[path]).unwrap() {
        for record in sources::open(&source).unwrap() {
            papers.push(record.unwrap());
            if papers.len() == SAMPLE {
                return (name, papers);
            }
        }
    }
    (name, papers)
}

fn text_bytes(p: &Paper) -> usize {
    p.title.len() + p.abstract_text.len() + p.authors.iter().map(String::len).sum::<usize>()
}

fn indexing(c: &mut Criterion) {
    let (name, papers) = sample();
    let bytes: usize = papers.iter().map(text_bytes).sum();
    let run = |papers: &[Paper]| {
        let (index, fields) = index::create_in_ram();
        let mut writer = ingest::writer(&index, 1, 128 << 20).unwrap();
        for p in papers {
            writer.add_document(ingest::document(&fields, p)).unwrap();
        }
        writer.commit().unwrap();
        let docs = index.reader().unwrap().searcher().num_docs();
        assert_eq!(docs as usize, papers.len());
    };
    let mut group = c.benchmark_group("indexing");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(papers.len() as u64));
    group.bench_function(format!("{name}/papers"), |b| {
        b.iter_batched(|| (), |()| run(&papers), BatchSize::PerIteration)
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("{name}/bytes"), |b| {
        b.iter_batched(|| (), |()| run(&papers), BatchSize::PerIteration)
    });
    group.finish();
}

criterion_group!(benches, indexing);
criterion_main!(benches);
