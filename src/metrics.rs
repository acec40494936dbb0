//! Ranking metrics as trec_eval defines them: nDCG@k, recall@k, average precision and P@k.
//!
//! Invariant: every figure here equals the one trec_eval (9.x, as built into `pytrec_eval`)
//! prints for the same qrels and run with its default options, to floating-point rounding;
//! `tests/fixtures/trec/` pins that. Concretely, trec_eval's defaults are:
//!
//! - relevance level 1: a document is relevant when its grade is `>= 1`;
//! - a negative grade (trec_eval's "in the pool but unjudged") and an unjudged document both
//!   count as grade 0, never as a penalty;
//! - the run's own ranks are ignored: documents are ordered by score, ties broken by doc id in
//!   *descending* byte order ([`trec_order`]);
//! - a query is evaluated when it is both judged and retrieved; a judged query with no relevant
//!   document is evaluated too, and scores 0 on every measure here.
//!
//! The metric functions are pure: they take one query's ranking, best first, and its judgments.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// Relevance judgments: query id → doc id → grade.
pub type Qrels = HashMap<String, HashMap<String, i32>>;

/// Depth at which [`evaluate`] cuts the ranking for average precision (trec_eval's `map_cut.1000`;
/// the same as its `map` for runs of at most 1000 documents per query).
pub const MAP_DEPTH: usize = 1000;

/// Grade of `doc`, with unjudged and negative grades counted as 0, as trec_eval counts them.
fn grade(judged: &HashMap<String, i32>, doc: &str) -> i32 {
    judged.get(doc).copied().unwrap_or(0).max(0)
}

fn is_relevant(judged: &HashMap<String, i32>, doc: &str) -> bool {
    grade(judged, doc) >= 1
}

/// Number of relevant documents judged for the query, retrieved or not.
fn num_relevant(judged: &HashMap<String, i32>) -> usize {
    judged.values().filter(|&&g| g >= 1).count()
}

/// Discount of the document at 0-based position `i` (rank `i + 1`): `log2(rank + 1)`.
fn discount(i: usize) -> f64 {
    ((i + 2) as f64).log2()
}

/// Normalised discounted cumulative gain of the first `k` documents (trec_eval `ndcg_cut.k`).
///
/// Gain is the grade itself (linear, not `2^g - 1`); the ideal ranking is every judged grade
/// above 0, highest first, cut at `k`. A query with no positive grade, or `k == 0`, scores 0.
pub fn ndcg_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, doc)| f64::from(grade(judged, doc)) / discount(i))
        // Not `sum()`: an empty float sum is -0.0, which prints as `-0.0000`.
        .fold(0.0, |total, gain| total + gain);
    let mut ideal_grades: Vec<i32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal_grades.sort_unstable_by(|a, b| b.cmp(a));
    let ideal: f64 = ideal_grades
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) / discount(i))
        .sum();
    if ideal > 0.0 {
        dcg / ideal
    } else {
        0.0
    }
}

/// Share of the query's relevant documents found in the first `k` (trec_eval `recall.k`).
///
/// A query with no relevant document scores 0, as in trec_eval.
pub fn recall_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let relevant = num_relevant(judged);
    if relevant == 0 {
        return 0.0;
    }
    relevant_in_top(ranked, judged, k) as f64 / relevant as f64
}

/// How many of the first `k` documents are relevant.
fn relevant_in_top(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> usize {
    ranked
        .iter()
        .take(k)
        .filter(|doc| is_relevant(judged, doc))
        .count()
}

/// Precision of the first `k` documents (trec_eval `P.k`).
///
/// Divides by `k` even when fewer than `k` documents were retrieved: a short ranking is not
/// rewarded for stopping early. `k == 0` scores 0.
pub fn precision_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    relevant_in_top(ranked, judged, k) as f64 / k as f64
}

/// Average precision of the ranking cut at `depth` (trec_eval `map_cut.depth`; [`MAP_DEPTH`]
/// gives the usual `map` at 1000).
///
/// The sum of precision at each relevant document's rank, divided by the number of relevant
/// documents judged, so relevant documents never retrieved count as precision 0.
pub fn average_precision(ranked: &[&str], judged: &HashMap<String, i32>, depth: usize) -> f64 {
    let relevant = num_relevant(judged);
    if relevant == 0 {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, doc) in ranked.iter().take(depth).enumerate() {
        if is_relevant(judged, doc) {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// Sorts one query's results as trec_eval ranks them: score descending, ties broken by doc id
/// in descending byte order (trec_eval compares `strcmp(b, a)`).
///
/// The tie rule matters whenever scores tie, which BM25 produces often (same terms, same length);
/// without it our figures and trec_eval's would differ on the same run file. NaN, which
/// trec_eval cannot order, sorts after every number so that the order stays total.
pub fn trec_order(run: &mut [(String, f32)]) {
    run.sort_by(|(doc_a, score_a), (doc_b, score_b)| {
        score_descending(*score_a, *score_b).then_with(|| doc_b.cmp(doc_a))
    });
}

/// `Less` when `a` ranks first. `-0.0` and `0.0` tie, as they do in C.
fn score_descending(a: f32, b: f32) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

/// One query's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PerQuery {
    /// trec_eval `ndcg_cut_10`.
    pub ndcg_at_10: f64,
    /// trec_eval `recall_100`.
    pub recall_at_100: f64,
    /// trec_eval `map_cut_1000` (average precision at depth [`MAP_DEPTH`]).
    pub map: f64,
    /// trec_eval `P_10`.
    pub p_at_10: f64,
}

/// Means over the evaluated queries (trec_eval's `all` line).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Summary {
    /// Number of queries averaged: those both judged and in the run.
    pub queries: usize,
    /// Mean of [`PerQuery::ndcg_at_10`] (trec_eval `ndcg_cut_10 all`).
    pub ndcg_at_10: f64,
    /// Mean of [`PerQuery::recall_at_100`] (trec_eval `recall_100 all`).
    pub recall_at_100: f64,
    /// Mean average precision at depth [`MAP_DEPTH`] (trec_eval `map_cut_1000 all`).
    pub map: f64,
    /// Mean of [`PerQuery::p_at_10`] (trec_eval `P_10 all`).
    pub p_at_10: f64,
}

/// Evaluates a run against judgments as `trec_eval -m ndcg_cut.10 -m recall.100 -m map_cut.1000
/// -m P.10` does with its defaults.
///
/// Each query's results are put in [`trec_order`] first, so the order of the vectors and any
/// rank the caller had in mind do not matter, only scores and doc ids. A doc id repeated within
/// a query counts once, at its best position (trec_eval refuses such a run).
///
/// Which queries are averaged follows trec_eval without `-c`: only queries both in `qrels` and
/// in `run`. A judged query missing from the run is left out rather than counted as 0, and a
/// query in the run with no judgments is ignored; a judged query whose grades are all `<= 0` is
/// kept and scores 0. paperdex's evaluation runs every judged query, so the first case does not
/// arise there. Per-query figures come back sorted by query id; with no query evaluated, every
/// mean is 0.
pub fn evaluate(
    run: &HashMap<String, Vec<(String, f32)>>,
    qrels: &Qrels,
) -> (Summary, Vec<(String, PerQuery)>) {
    let mut per_query: Vec<(String, PerQuery)> = run
        .iter()
        .filter_map(|(qid, results)| {
            let judged = qrels.get(qid)?;
            let mut results = results.clone();
            trec_order(&mut results);
            let mut seen = HashSet::new();
            let ranked: Vec<&str> = results
                .iter()
                .map(|(doc, _)| doc.as_str())
                .filter(|doc| seen.insert(*doc))
                .collect();
            let figures = PerQuery {
                ndcg_at_10: ndcg_at(&ranked, judged, 10),
                recall_at_100: recall_at(&ranked, judged, 100),
                map: average_precision(&ranked, judged, MAP_DEPTH),
                p_at_10: precision_at(&ranked, judged, 10),
            };
            Some((qid.clone(), figures))
        })
        .collect();
    per_query.sort_by(|a, b| a.0.cmp(&b.0));

    let queries = per_query.len();
    let mean = |figure: fn(&PerQuery) -> f64| {
        if queries == 0 {
            0.0
        } else {
            per_query
                .iter()
                .fold(0.0, |total, (_, q)| total + figure(q))
                / queries as f64
        }
    };
    let summary = Summary {
        queries,
        ndcg_at_10: mean(|q| q.ndcg_at_10),
        recall_at_100: mean(|q| q.recall_at_100),
        map: mean(|q| q.map),
        p_at_10: mean(|q| q.p_at_10),
    };
    (summary, per_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn judged(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < EPS,
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn perfect_ranking_scores_one_everywhere() {
        let j = judged(&[("a", 3), ("b", 2), ("c", 1), ("z", 0)]);
        let ranked = ["a", "b", "c", "z"];
        assert_close(ndcg_at(&ranked, &j, 10), 1.0);
        assert_close(recall_at(&ranked, &j, 10), 1.0);
        assert_close(average_precision(&ranked, &j, MAP_DEPTH), 1.0);
        assert_close(precision_at(&ranked, &j, 3), 1.0);
    }

    #[test]
    fn single_relevant_doc_at_rank_three() {
        let j = judged(&[("r", 1)]);
        let ranked = ["x", "y", "r", "w"];
        assert_close(ndcg_at(&ranked, &j, 10), (1.0 / 4f64.log2()) / 1.0);
        assert_close(ndcg_at(&ranked, &j, 2), 0.0);
        assert_close(recall_at(&ranked, &j, 3), 1.0 / 1.0);
        assert_close(recall_at(&ranked, &j, 2), 0.0 / 1.0);
        assert_close(average_precision(&ranked, &j, MAP_DEPTH), (1.0 / 3.0) / 1.0);
        assert_close(precision_at(&ranked, &j, 10), 1.0 / 10.0);
    }

    #[test]
    fn graded_ndcg_uses_linear_gain_and_ideal_from_all_judgments() {
        // "c" (grade 3) is judged but not retrieved: it still sets the ideal.
        let j = judged(&[("a", 1), ("b", 2), ("c", 3), ("n", 0)]);
        let ranked = ["a", "n", "b"];
        let dcg = 1.0 / 2f64.log2() + 0.0 / 3f64.log2() + 2.0 / 4f64.log2();
        let ideal = 3.0 / 2f64.log2() + 2.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert_close(ndcg_at(&ranked, &j, 10), dcg / ideal);
        // At k = 2 the ideal is cut at 2 as well.
        let dcg2 = 1.0 / 2f64.log2();
        let ideal2 = 3.0 / 2f64.log2() + 2.0 / 3f64.log2();
        assert_close(ndcg_at(&ranked, &j, 2), dcg2 / ideal2);
    }

    #[test]
    fn negative_grades_count_as_zero_not_as_penalty() {
        let j = judged(&[("bad", -1), ("good", 2)]);
        let ranked = ["bad", "good"];
        assert_close(
            ndcg_at(&ranked, &j, 10),
            (2.0 / 3f64.log2()) / (2.0 / 2f64.log2()),
        );
        assert_close(recall_at(&ranked, &j, 1), 0.0);
        assert_close(average_precision(&ranked, &j, MAP_DEPTH), (1.0 / 2.0) / 1.0);
    }

    #[test]
    fn grade_one_is_relevant_grade_zero_is_not() {
        let j = judged(&[("a", 0), ("b", 1), ("c", 2), ("d", 0)]);
        let ranked = ["a", "b", "c", "d"];
        assert_close(recall_at(&ranked, &j, 2), 1.0 / 2.0);
        assert_close(precision_at(&ranked, &j, 4), 2.0 / 4.0);
        assert_close(
            average_precision(&ranked, &j, MAP_DEPTH),
            (1.0 / 2.0 + 2.0 / 3.0) / 2.0,
        );
    }

    #[test]
    fn precision_divides_by_k_when_fewer_retrieved() {
        let j = judged(&[("a", 1), ("b", 1)]);
        assert_close(precision_at(&["a", "b"], &j, 10), 2.0 / 10.0);
    }

    #[test]
    fn average_precision_counts_unretrieved_relevant_as_zero() {
        let j = judged(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)]);
        let ranked = ["a", "x", "b"];
        assert_close(
            average_precision(&ranked, &j, MAP_DEPTH),
            (1.0 / 1.0 + 2.0 / 3.0) / 4.0,
        );
    }

    #[test]
    fn average_precision_ignores_documents_past_depth() {
        let j = judged(&[("a", 1), ("b", 1)]);
        let ranked = ["a", "x", "b"];
        assert_close(average_precision(&ranked, &j, 2), (1.0 / 1.0) / 2.0);
        assert_close(
            average_precision(&ranked, &j, 3),
            (1.0 / 1.0 + 2.0 / 3.0) / 2.0,
        );
    }

    #[test]
    fn no_relevant_documents_scores_zero_not_nan() {
        let j = judged(&[("a", 0), ("b", -1)]);
        let ranked = ["a", "b"];
        assert_eq!(ndcg_at(&ranked, &j, 10), 0.0);
        assert_eq!(recall_at(&ranked, &j, 100), 0.0);
        assert_eq!(average_precision(&ranked, &j, MAP_DEPTH), 0.0);
        assert_eq!(precision_at(&ranked, &j, 10), 0.0);
    }

    #[test]
    fn zero_cutoff_scores_zero() {
        let j = judged(&[("a", 1)]);
        assert_eq!(ndcg_at(&["a"], &j, 0), 0.0);
        assert_eq!(precision_at(&["a"], &j, 0), 0.0);
        assert_eq!(recall_at(&["a"], &j, 0), 0.0);
    }

    #[test]
    fn nothing_found_scores_a_positive_zero() {
        let judged = judged(&[("d1", 1)]);
        let ndcg = ndcg_at(&[], &judged, 10);
        assert_eq!(format!("{ndcg:.4}"), "0.0000");
        let run = run_of(&[("q", &[])]);
        let qrels: Qrels = [("q".to_string(), judged)].into_iter().collect();
        let (summary, _) = evaluate(&run, &qrels);
        assert_eq!(format!("{:.4}", summary.ndcg_at_10), "0.0000");
    }

    #[test]
    fn trec_order_breaks_ties_by_descending_doc_id() {
        let mut run = vec![
            ("d1".to_string(), 1.0),
            ("d3".to_string(), 2.0),
            ("d10".to_string(), 1.0),
            ("d2".to_string(), 1.0),
            ("z".to_string(), f32::NAN),
            ("d0".to_string(), -0.0),
            ("d9".to_string(), 0.0),
        ];
        trec_order(&mut run);
        let order: Vec<&str> = run.iter().map(|(d, _)| d.as_str()).collect();
        // Byte order, not numeric: "d10" < "d2". -0.0 ties with 0.0.
        assert_eq!(order, ["d3", "d2", "d10", "d1", "d9", "d0", "z"]);
    }

    fn run_of(queries: &[(&str, &[(&str, f32)])]) -> HashMap<String, Vec<(String, f32)>> {
        queries
            .iter()
            .map(|(q, docs)| {
                let docs = docs.iter().map(|(d, s)| (d.to_string(), *s)).collect();
                (q.to_string(), docs)
            })
            .collect()
    }

    fn qrels_of(queries: &[(&str, &[(&str, i32)])]) -> Qrels {
        queries
            .iter()
            .map(|(q, pairs)| (q.to_string(), judged(pairs)))
            .collect()
    }

    #[test]
    fn evaluate_ranks_by_score_with_trec_tie_break() {
        // Listed best-looking first, but all tied: trec order is "b", "a", so "a" is at rank 2.
        let run = run_of(&[("q", &[("a", 1.0), ("b", 1.0)])]);
        let qrels = qrels_of(&[("q", &[("a", 1)])]);
        let (summary, per_query) = evaluate(&run, &qrels);
        assert_eq!(summary.queries, 1);
        assert_close(per_query[0].1.ndcg_at_10, (1.0 / 3f64.log2()) / 1.0);
        assert_close(summary.map, 1.0 / 2.0);
    }

    #[test]
    fn evaluate_averages_only_queries_judged_and_retrieved() {
        let run = run_of(&[
            ("hit", &[("a", 2.0)]),
            ("none_relevant", &[("a", 1.0)]),
            ("unjudged", &[("a", 1.0)]),
        ]);
        let qrels = qrels_of(&[
            ("hit", &[("a", 1)]),
            ("none_relevant", &[("a", 0)]),
            ("not_run", &[("a", 1)]),
        ]);
        let (summary, per_query) = evaluate(&run, &qrels);
        let ids: Vec<&str> = per_query.iter().map(|(q, _)| q.as_str()).collect();
        assert_eq!(ids, ["hit", "none_relevant"]);
        assert_eq!(summary.queries, 2);
        assert_close(summary.ndcg_at_10, (1.0 + 0.0) / 2.0);
        assert_close(summary.recall_at_100, (1.0 + 0.0) / 2.0);
        assert_close(summary.map, (1.0 + 0.0) / 2.0);
        assert_close(summary.p_at_10, (1.0 / 10.0 + 0.0) / 2.0);
    }

    #[test]
    fn evaluate_counts_a_repeated_doc_once() {
        let run = run_of(&[("q", &[("a", 3.0), ("a", 2.0), ("b", 1.0)])]);
        let qrels = qrels_of(&[("q", &[("a", 1), ("b", 1)])]);
        let (_, per_query) = evaluate(&run, &qrels);
        assert_close(per_query[0].1.recall_at_100, 2.0 / 2.0);
        assert_close(per_query[0].1.map, (1.0 / 1.0 + 2.0 / 2.0) / 2.0);
    }

    #[test]
    fn evaluate_with_nothing_to_evaluate_gives_zeros() {
        let (summary, per_query) = evaluate(&HashMap::new(), &Qrels::new());
        assert!(per_query.is_empty());
        assert_eq!(summary, Summary::default());
    }
}
