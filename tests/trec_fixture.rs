//! Our metrics against trec_eval's own figures on a hand-made qrels and run.
//!
//! `tests/fixtures/trec/expected.json` was computed by trec_eval's code (pytrec_eval; the file's
//! `_how` gives the command). The fixture covers tied scores, a rank column that disagrees with
//! the scores, unjudged and negatively graded documents, short rankings, a ranking past 100 and
//! past 1000 documents, a judged query with nothing relevant, and queries only in the run or
//! only in the qrels.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use paperdex::judgments::{read_qrels, read_trec_run};
use paperdex::metrics::{evaluate, PerQuery};
use serde::Deserialize;

/// pytrec_eval returns full doubles; the sums are the same, in the same order, so only the last
/// bits can differ.
const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Expected {
    queries: usize,
    per_query: BTreeMap<String, Measures>,
    mean: Measures,
}

#[derive(Deserialize)]
struct Measures {
    ndcg_cut_10: f64,
    recall_100: f64,
    map_cut_1000: f64,
    #[serde(rename = "P_10")]
    p_10: f64,
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trec")
        .join(name)
}

fn open(name: &str) -> BufReader<File> {
    let path = fixture(name);
    let file = File::open(&path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    BufReader::new(file)
}

fn assert_matches(what: &str, ours: [f64; 4], theirs: &Measures) {
    let names = ["ndcg_cut_10", "recall_100", "map_cut_1000", "P_10"];
    let theirs = [
        theirs.ndcg_cut_10,
        theirs.recall_100,
        theirs.map_cut_1000,
        theirs.p_10,
    ];
    for ((name, ours), theirs) in names.iter().zip(ours).zip(theirs) {
        assert!(
            (ours - theirs).abs() < TOLERANCE,
            "{what} {name}: ours {ours}, trec_eval {theirs}"
        );
    }
}

#[test]
fn figures_equal_trec_eval_on_fixture() {
    let qrels = read_qrels(open("qrels.txt"), "qrels.txt").expect("fixture qrels parse");
    let run = read_trec_run(open("run.txt"), "run.txt").expect("fixture run parses");
    let expected: Expected =
        serde_json::from_reader(open("expected.json")).expect("expected.json parses");

    let (summary, per_query) = evaluate(&run, &qrels);

    let ours: Vec<&str> = per_query.iter().map(|(q, _)| q.as_str()).collect();
    let theirs: Vec<&str> = expected.per_query.keys().map(String::as_str).collect();
    assert_eq!(ours, theirs, "evaluated queries differ from trec_eval's");
    assert_eq!(summary.queries, expected.queries);

    for (qid, figures) in &per_query {
        let PerQuery {
            ndcg_at_10,
            recall_at_100,
            map,
            p_at_10,
        } = *figures;
        assert_matches(
            qid,
            [ndcg_at_10, recall_at_100, map, p_at_10],
            &expected.per_query[qid],
        );
    }
    assert_matches(
        "mean",
        [
            summary.ndcg_at_10,
            summary.recall_at_100,
            summary.map,
            summary.p_at_10,
        ],
        &expected.mean,
    );
}
