//! `paperdex bench` as a user runs it, in a temporary directory holding a copy of the embedded
//! corpus. No assertion depends on a timing; only on what is reported.

mod common;

use std::fs;

use predicates::prelude::*;
use serde::Deserialize;
use tempfile::TempDir;

use common::{cmd, workdir};

#[derive(Debug, Deserialize)]
struct Kind {
    queries: usize,
    hits: usize,
    p50_us: f64,
}

#[derive(Debug, Deserialize)]
struct Report {
    queries: usize,
    runs: usize,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    max_us: f64,
    mean_us: f64,
    qps: f64,
    search_p50_us: f64,
    hits: usize,
    #[serde(default)]
    kinds: std::collections::BTreeMap<String, Kind>,
}

fn bench_json(dir: &TempDir, queries: &str, extra: &[&str]) -> (Report, String) {
    fs::write(dir.path().join("queries.tsv"), queries).unwrap();
    let out = cmd(dir)
        .args(["bench", "--queries", "queries.tsv", "--runs", "2", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(stdout.trim()).unwrap();
    (report, String::from_utf8(out.stderr).unwrap())
}

#[test]
fn bench_reports_the_documented_json_fields() {
    let dir = workdir();
    let queries = "# a comment\nterm\tdrift\nwords\tgraph neural networks\n\nphrase\t\"data drift\"\nprefix\tstrag*\n";
    let (report, _) = bench_json(&dir, queries, &[]);
    assert_eq!(report.queries, 4);
    assert_eq!(report.runs, 2);
    assert!(report.hits > 0);
    assert!(report.p50_us > 0.0 && report.p50_us <= report.p90_us);
    assert!(report.p90_us <= report.p99_us && report.p99_us <= report.max_us);
    assert!(report.mean_us > 0.0 && report.qps > 0.0 && report.search_p50_us > 0.0);
    assert_eq!(report.kinds.len(), 4);
    assert_eq!(report.kinds["words"].queries, 1);
    assert!(report.kinds["phrase"].hits > 0 && report.kinds["term"].p50_us > 0.0);
}

#[test]
fn a_kind_is_any_word_the_file_tags_its_queries_with() {
    let dir = workdir();
    let queries = "short\tdrift\nlong-ones\tgraph neural networks\nshort\tstraggler\n";
    let (report, stderr) = bench_json(&dir, queries, &[]);
    assert!(!stderr.contains("kind"), "{stderr}");
    assert_eq!(report.queries, 3);
    assert_eq!(report.kinds.len(), 2);
    assert_eq!(report.kinds["short"].queries, 2);
    assert_eq!(report.kinds["long-ones"].queries, 1);
    // A first column of digits is a query id (TSV query files), not a kind; `all` names a row.
    let (report, stderr) = bench_json(&dir, "1\tdrift\n2\tstraggler\nall\tgpu\n", &[]);
    assert_eq!(report.queries, 2);
    assert!(report.kinds.is_empty());
    assert!(
        stderr.contains("queries.tsv:3: `all` is not a query kind"),
        "{stderr}"
    );
}

#[test]
fn threads_and_beir_queries_work_too() {
    let dir = workdir();
    let queries = "{\"_id\": \"1\", \"text\": \"serverless training\"}\n{\"_id\": 2, \"text\": \"straggler\"}\n";
    let (report, _) = bench_json(&dir, queries, &["--threads", "2", "--limit", "3"]);
    assert_eq!(report.queries, 2);
    assert!(report.hits <= 2 * 3);
    assert!(report.kinds.is_empty());
}

#[test]
fn bad_lines_and_unparsable_queries_are_reported_and_skipped() {
    let dir = workdir();
    let queries = "term\tdrift\ntwo words\tsomething\nfield\tfoo:bar\nfield\ttitle:\nwords\t!!!\n";
    let (report, stderr) = bench_json(&dir, queries, &[]);
    assert_eq!(report.queries, 1);
    assert!(
        stderr.contains("queries.tsv:2: `two words` is not a query kind"),
        "{stderr}"
    );
    assert!(
        stderr.contains("queries.tsv:3: query column 1: unknown field `foo`"),
        "{stderr}"
    );
    assert!(stderr.contains("queries.tsv:4:"), "{stderr}");
    assert!(stderr.contains("queries.tsv:5:"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    // Said in the file's order, each as skipped.
    let at = |line: &str| {
        stderr
            .find(&format!("paperdex: skipped queries.tsv:{line}:"))
            .unwrap_or_else(|| panic!("line {line} not said: {stderr}"))
    };
    assert!(at("2") < at("3") && at("3") < at("4"), "{stderr}");
    // A bad JSON line names the file's line, not JSON's own "line 1".
    let (_, stderr) = bench_json(&dir, "term\tdrift\n{\"_id\": \"x\"}\n", &[]);
    assert!(
        stderr.contains("queries.tsv:2: not a BEIR query object: missing field `text` (column"),
        "{stderr}"
    );
    assert!(!stderr.contains("at line 1"), "{stderr}");
}

#[test]
fn a_set_with_no_runnable_query_is_an_error() {
    let dir = workdir();
    // Each line's problem is named, though no report follows: one that cannot be run, one that
    // cannot be read.
    for (lines, said) in [
        ("field\tfoo:bar\n", &["q.tsv:1:", "unknown field"][..]),
        ("term\t\n", &["q.tsv:1:", "empty query"]),
        (
            "field\tfoo:bar\nterm\t\n",
            &["q.tsv:1:", "unknown field", "q.tsv:2:", "empty query"],
        ),
    ] {
        fs::write(dir.path().join("q.tsv"), lines).unwrap();
        let out = cmd(&dir)
            .args(["bench", "--queries", "q.tsv"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("no query could be run"), "{stderr}");
        for s in said {
            assert!(stderr.contains(s), "{lines:?}: {s}: {stderr}");
        }
    }
    // A directory is not a file of queries, and says so rather than naming a line.
    cmd(&dir)
        .args(["bench", "--queries", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory"))
        .stderr(predicate::str::contains(".:1").not());
}

#[test]
fn missing_queries_file_exits_2_and_names_it() {
    let dir = workdir();
    cmd(&dir)
        .args(["bench", "--queries", "nowhere.tsv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read queries nowhere.tsv"));
    // It fails before building an index it would not use.
    assert!(!dir.path().join("index").exists());
}

#[test]
fn text_report_has_a_row_per_kind() {
    let dir = workdir();
    fs::write(
        dir.path().join("q.tsv"),
        "term\tdrift\nboolean\t+gpu serverless -cpu\n",
    )
    .unwrap();
    cmd(&dir)
        .args(["bench", "--queries", "q.tsv", "--runs", "1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("all ").and(predicate::str::contains("boolean ")))
        .stdout(predicate::str::contains("p50 µs"));
}

#[test]
fn a_limit_of_zero_hits_is_refused_before_any_work() {
    let dir = workdir();
    fs::write(dir.path().join("q.tsv"), "term\tdrift\n").unwrap();
    cmd(&dir)
        .args(["bench", "--queries", "q.tsv", "--limit", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--limit"));
    assert!(!dir.path().join("index").exists());
}
