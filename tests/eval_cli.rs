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

/// A copy of the tiny collection with `extra` appended to its corpus and `qrels` as its test
/// judgments (the fixture's own where `None`).
fn tiny_copy(extra_corpus: &str, qrels: Option<&str>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let t = tiny();
    let mut corpus = std::fs::read_to_string(t.join("corpus.jsonl")).unwrap();
    corpus.push_str(extra_corpus);
    std::fs::write(dir.path().join("corpus.jsonl"), corpus).unwrap();
    std::fs::copy(t.join("queries.jsonl"), dir.path().join("queries.jsonl")).unwrap();
    std::fs::create_dir(dir.path().join("qrels")).unwrap();
    let qrels = match qrels {
        Some(q) => q.to_string(),
        None => std::fs::read_to_string(t.join("qrels/test.tsv")).unwrap(),
    };
    std::fs::write(dir.path().join("qrels/test.tsv"), qrels).unwrap();
    dir
}

#[test]
fn invalid_and_repeated_records_are_said_and_skipped_alike_in_memory_and_in_an_index() {
    // Line 6 has no text at all (as two of Cranfield's records); line 7 repeats d2's id.
    let c = tiny_copy(
        "{\"_id\": \"d6\", \"title\": \"\", \"text\": \"\"}\n{\"_id\": \"d2\", \"title\": \"Convolutional networks for images\", \"text\": \"Image classification.\"}\n",
        None,
    );
    let index = c.path().join("idx");
    for extra in [vec![], vec!["--index", index.to_str().unwrap()]] {
        let out = paperdex()
            .arg("eval")
            .arg(c.path())
            .args(&extra)
            .arg("--json")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {stderr}");
        assert!(stderr.contains("corpus.jsonl:6:"), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("1 invalid record of"),
            "{extra:?}: {stderr}"
        );
        assert!(
            stderr.contains("1 record of") && stderr.contains("repeated an earlier id"),
            "{extra:?}: {stderr}"
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_tiny_figures(&serde_json::from_str(stdout.lines().next().unwrap()).unwrap());
    }
}

#[test]
fn judged_queries_without_text_are_named_and_left_out() {
    let c = tiny_copy(
        "",
        Some(
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td5\t2\nq3\td4\t1\nq77\td2\t1\nq78\td2\t1\n",
        ),
    );
    // q77 is not in the queries file; q78 is, with no text.
    let queries = c.path().join("queries.jsonl");
    let mut text = std::fs::read_to_string(&queries).unwrap();
    text.push_str("{\"_id\": \"q78\", \"text\": \"  \"}\n");
    std::fs::write(&queries, text).unwrap();
    let out = paperdex()
        .arg("eval")
        .arg(c.path())
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 queries judged in")
            && stderr.contains("have no text in")
            && stderr.contains("`q77`")
            && stderr.contains("`q78`")
            && !stderr.contains("could not be run"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_tiny_figures(&serde_json::from_str(stdout.lines().next().unwrap()).unwrap());
}

#[test]
fn judgments_that_meet_no_query_are_an_error_not_zeros() {
    for (qrels, said) in [
        ("query-id\tcorpus-id\tscore\nQ1\td1\t1\n", "`Q1`"),
        ("query-id\tcorpus-id\tscore\n", "holds no judgments"),
    ] {
        let c = tiny_copy("", Some(qrels));
        paperdex()
            .arg("eval")
            .arg(c.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("nothing to evaluate"))
            .stderr(predicates::str::contains(said));
    }
}

#[test]
fn run_file_ranks_ties_as_trec_eval_does_and_says_which_queries_found_nothing() {
    // d7 and d8 are the same paper under two ids: equal scores for `graph molecules`, which
    // trec_eval orders by doc id, descending.
    let same = "\"title\": \"Graph neural networks for molecules\", \"text\": \"We learn molecular properties with message passing.\"";
    let c = tiny_copy(
        &format!("{{\"_id\": \"d7\", {same}}}\n{{\"_id\": \"d8\", {same}}}\n"),
        Some("query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\n"),
    );
    std::fs::write(
        c.path().join("queries.jsonl"),
        "{\"_id\": \"q1\", \"text\": \"graph molecules\"}\n{\"_id\": \"q9\", \"text\": \"zyxwv\"}\n",
    )
    .unwrap();
    let run = c.path().join("run.txt");
    let out = paperdex()
        .arg("eval")
        .arg(c.path())
        .arg("--run")
        .arg(&run)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 judged query found no paper (`q9`)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&run).unwrap();
    let docs: Vec<&str> = text.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
    assert_eq!(docs, ["d8", "d7", "d1"], "{text}");
}

#[test]
fn eval_rebuilds_its_own_index_but_never_one_of_other_papers() {
    let dir = TempDir::new().unwrap();
    let index = dir.path().join("idx");
    let index = index.to_str().unwrap();
    // Its own: built, then evaluated again in place.
    for _ in 0..2 {
        let out = paperdex()
            .args(["--index", index, "eval"])
            .arg(tiny())
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Another collection's: refused, and the index keeps its papers.
    let theirs = dir.path().join("theirs");
    let seed = dir.path().join("mlsys-2022.txt");
    std::fs::write(&seed, common::SEED).unwrap();
    paperdex()
        .args(["--index", theirs.to_str().unwrap(), "index"])
        .arg(&seed)
        .assert()
        .success();
    let out = paperdex()
        .args(["--index", theirs.to_str().unwrap(), "eval"])
        .arg(tiny())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("mlsys-2022.txt") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    paperdex()
        .args([
            "--index",
            theirs.to_str().unwrap(),
            "search",
            "--count",
            "drift",
        ])
        .assert()
        .success()
        .stdout("1\n");
}
