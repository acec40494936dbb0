//! `paperdex eval` as a user runs it, on a tiny committed collection whose figures follow from
//! the rankings by hand, and on SciFact where `../shared/data` is present.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::Deserialize;
use tempfile::TempDir;

use common::fixture;

fn tiny() -> PathBuf {
    fixture("tiny-beir")
}

fn paperdex() -> Command {
    let mut c = Command::cargo_bin("paperdex").unwrap();
    c.env_remove("PAPERDEX_INDEX");
    c
}

#[derive(Debug, Deserialize)]
struct Figures {
    queries: usize,
    #[serde(rename = "ndcg@10")]
    ndcg: f64,
    #[serde(rename = "recall@100")]
    recall: f64,
    map: f64,
    #[serde(rename = "p@10")]
    p10: f64,
}

fn figures(args: &[&str]) -> Figures {
    let out = paperdex()
        .arg("eval")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(first.lines().next().unwrap()).unwrap()
}

/// q1 and q2 put their one relevant paper first; q3 finds d5 (grade 2) first and never d4
/// (grade 1, no query word), so its ideal DCG is 2 + 1/log2(3).
fn assert_tiny_figures(f: &Figures) {
    let q3_ndcg = 2.0 / (2.0 + 1.0 / 3f64.log2());
    assert_eq!(f.queries, 3);
    assert!((f.ndcg - (1.0 + 1.0 + q3_ndcg) / 3.0).abs() < 1e-9, "{f:?}");
    assert!((f.recall - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-9, "{f:?}");
    assert!((f.map - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-9, "{f:?}");
    assert!((f.p10 - 0.1).abs() < 1e-9, "{f:?}");
}

#[test]
fn beir_directory_gives_the_hand_computed_figures() {
    assert_tiny_figures(&figures(&[tiny().to_str().unwrap()]));
}

#[test]
fn explicit_files_in_tsv_and_trec_formats_give_the_same_figures() {
    let t = tiny();
    let corpus = t.join("corpus.jsonl");
    let queries = t.join("queries.tsv");
    let qrels = t.join("qrels.trec");
    assert_tiny_figures(&figures(&[
        "--corpus",
        corpus.to_str().unwrap(),
        "--queries",
        queries.to_str().unwrap(),
        "--qrels",
        qrels.to_str().unwrap(),
    ]));
}

#[test]
fn run_file_is_trec_format_and_per_query_lists_each_query() {
    let dir = TempDir::new().unwrap();
    let run = dir.path().join("run.txt");
    let out = paperdex()
        .arg("eval")
        .arg(tiny())
        .arg("--per-query")
        .arg("--run")
        .arg(&run)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with('q') && l.contains('\t'))
            .count(),
        3
    );
    assert!(stdout.contains("ndcg@10"));
    let text = std::fs::read_to_string(&run).unwrap();
    let first: Vec<&str> = text.lines().next().unwrap().split(' ').collect();
    assert_eq!(first.len(), 6);
    assert_eq!(
        (first[0], first[1], first[2], first[3], first[5]),
        ("q1", "Q0", "d1", "1", "paperdex")
    );
}

#[test]
fn missing_split_is_a_clear_error() {
    paperdex()
        .arg("eval")
        .arg(tiny())
        .args(["--split", "dev"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("dev.tsv"));
}

#[test]
fn scifact_test_ranks_at_least_as_well_as_published_bm25() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/scifact");
    if !dir.exists() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let f = figures(&[dir.to_str().unwrap()]);
    assert_eq!(f.queries, 300);
    // Anserini's BM25 (the best published lexical figure) is 0.6789; Elasticsearch 0.665.
    assert!(f.ndcg > 0.6789, "{f:?}");
    assert!(f.recall > 0.90, "{f:?}");
}

#[test]
fn eval_never_builds_into_the_index_paperdex_index_names() {
    let dir = TempDir::new().unwrap();
    let mine = dir.path().join("mine");
    paperdex()
        .current_dir(dir.path())
        .env("PAPERDEX_INDEX", &mine)
        .arg("eval")
        .arg(tiny())
        .assert()
        .code(0);
    assert!(!mine.exists(), "eval wrote into PAPERDEX_INDEX's directory");
}
