//! Readers for evaluation inputs (queries, qrels, TREC run files) and the run-file writer.
//!
//! Invariant: every reader takes lines, not paths, and either returns the whole input or an
//! error naming `origin:line: what is wrong`; nothing is silently skipped except blank lines
//! (and the optional BEIR qrels header). Ids are kept as strings exactly as written, since
//! trec_eval compares them as strings.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::metrics::Qrels;

/// One BEIR `queries.jsonl` record; other fields (`metadata`, ...) are ignored.
#[derive(Deserialize)]
struct BeirQuery {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    text: String,
}

/// The byte-order mark some editors write at the start of a UTF-8 file.
const BOM: char = '\u{FEFF}';

/// What serde_json says is wrong with one line of JSON, with the column but without its "at
/// line 1": the caller names the file's line. `indent` is the number of bytes before the JSON
/// on its line (serde counts from the JSON).
pub(crate) fn json_problem(e: &serde_json::Error, indent: usize) -> String {
    let full = e.to_string();
    let what = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(what, _)| what);
    format!("{what} (column {})", e.column() + indent)
}

/// Reads the lines of `reader`, numbering them from 1 and naming `origin` in I/O errors; a
/// byte-order mark before the first is dropped.
pub(crate) fn numbered_lines<'a>(
    reader: impl BufRead + 'a,
    origin: &'a str,
) -> impl Iterator<Item = Result<(usize, String)>> + 'a {
    reader.lines().enumerate().map(move |(i, line)| {
        let number = i + 1;
        let mut line = line.with_context(|| format!("{origin}:{number}: cannot read line"))?;
        if number == 1 && line.starts_with(BOM) {
            // Editors on Windows begin UTF-8 files with a byte-order mark; it is not text.
            line.drain(..BOM.len_utf8());
        }
        Ok((number, line))
    })
}

/// Reads queries as `(query id, text)` pairs, in input order.
///
/// Each line is either a BEIR JSON object with `_id` (string or integer) and `text`, or
/// `qid<TAB>text`; the format is decided per line (a line starting with `{` is JSON). Blank lines
/// are skipped. An id given twice is an error, since it would count the query twice.
///
/// ```
/// use paperdex::judgments::read_queries;
///
/// let input = "\
/// {\"_id\": \"0\", \"text\": \"Biomaterials lack inductive properties.\", \"metadata\": {}}
/// {\"_id\": 2, \"text\": \"PrP positivity in the UK.\"}
/// 7\tstatins and dementia
/// ";
/// let queries = read_queries(input.as_bytes(), "queries.jsonl").unwrap();
/// assert_eq!(queries[1], ("2".to_string(), "PrP positivity in the UK.".to_string()));
/// assert_eq!(queries[2], ("7".to_string(), "statins and dementia".to_string()));
/// ```
pub fn read_queries(reader: impl BufRead, origin: &str) -> Result<Vec<(String, String)>> {
    let mut queries = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in numbered_lines(reader, origin) {
        let (number, line) = line?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (id, text) = if trimmed.starts_with('{') {
            let query: BeirQuery = serde_json::from_str(trimmed).map_err(|e| {
                anyhow::anyhow!(
                    "{origin}:{number}: not a BEIR query object: {}",
                    json_problem(&e, line.len() - line.trim_start().len())
                )
            })?;
            let id = match query.id {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    bail!("{origin}:{number}: `_id` must be a string or a number, not {other}")
                }
            };
            (id, query.text)
        } else {
            let Some((id, text)) = line.split_once('\t') else {
                bail!("{origin}:{number}: expected `qid<TAB>text` or a JSON object");
            };
            (id.trim().to_string(), text.trim().to_string())
        };
        if id.is_empty() {
            bail!("{origin}:{number}: empty query id");
        }
        if let Some(first) = seen.insert(id.clone(), number) {
            bail!("{origin}:{number}: query id `{id}` already given on line {first}");
        }
        queries.push((id, text));
    }
    Ok(queries)
}

/// Reads relevance judgments, in BEIR or TREC format, decided per line by the number of
/// whitespace-separated fields.
///
/// - BEIR: `query-id<TAB>corpus-id<TAB>score`, with an optional `query-id corpus-id score` header
///   as the first line.
/// - TREC: `qid iter docid grade`; the `iter` column is ignored, as trec_eval ignores it.
///
/// Grades are integers and may be negative (trec_eval's "unjudged"; the metrics count them as
/// 0). The same (query, document) pair judged twice is an error, as in trec_eval.
///
/// ```
/// use paperdex::judgments::read_qrels;
///
/// let beir = "query-id\tcorpus-id\tscore\n1\t31715818\t1\n3\t14717500\t2\n";
/// let qrels = read_qrels(beir.as_bytes(), "test.tsv").unwrap();
/// assert_eq!(qrels["3"]["14717500"], 2);
///
/// let trec = "401 0 FBIS3-10082 1\n401 0 FBIS3-10169 0\n";
/// let qrels = read_qrels(trec.as_bytes(), "qrels.401").unwrap();
/// assert_eq!(qrels["401"]["FBIS3-10169"], 0);
/// ```
pub fn read_qrels(reader: impl BufRead, origin: &str) -> Result<Qrels> {
    let mut qrels = Qrels::new();
    let mut first_content_line = true;
    for line in numbered_lines(reader, origin) {
        let (number, line) = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let is_first = std::mem::replace(&mut first_content_line, false);
        let (qid, doc, grade) = match fields[..] {
            ["query-id", "corpus-id", "score"] if is_first => continue,
            [qid, doc, grade] | [qid, _, doc, grade] => (qid, doc, grade),
            _ => bail!(
                "{origin}:{number}: expected `query-id corpus-id score` (BEIR) or \
                 `qid iter docid grade` (TREC), found {} fields",
                fields.len()
            ),
        };
        let grade: i32 = grade
            .parse()
            .map_err(|_| anyhow::anyhow!("{origin}:{number}: grade `{grade}` is not an integer"))?;
        match qrels
            .entry(qid.to_string())
            .or_default()
            .entry(doc.to_string())
        {
            Entry::Occupied(_) => {
                bail!("{origin}:{number}: query `{qid}` judges document `{doc}` a second time")
            }
            Entry::Vacant(slot) => {
                slot.insert(grade);
            }
        }
    }
    Ok(qrels)
}

/// Writes one query's ranking as TREC run lines, `qid Q0 docid rank score tag`, ranks from 1.
///
/// trec_eval ignores the rank column and re-sorts by score (ties by doc id descending), so pass
/// the ranking in [`crate::metrics::trec_order`] if its ties should read the same way here and
/// there. Scores are written in Rust's shortest round-trip form, so reading the file back gives
/// the same `f32`s. Ids or a tag that are empty or contain whitespace would shift the columns, so
/// they are refused with [`io::ErrorKind::InvalidInput`].
///
/// ```
/// use paperdex::judgments::write_trec_run;
///
/// let mut out = Vec::new();
/// let ranked = vec![("31715818".to_string(), 12.5), ("14717500".to_string(), 9.25)];
/// write_trec_run(&mut out, "1", &ranked, "bm25").unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "1 Q0 31715818 1 12.5 bm25\n1 Q0 14717500 2 9.25 bm25\n"
/// );
/// ```
pub fn write_trec_run(
    w: &mut impl Write,
    qid: &str,
    ranked: &[(String, f32)],
    tag: &str,
) -> io::Result<()> {
    check_run_field("query id", qid)?;
    check_run_field("run tag", tag)?;
    for (rank, (doc, score)) in ranked.iter().enumerate() {
        check_run_field("doc id", doc)?;
        writeln!(w, "{qid} Q0 {doc} {} {score} {tag}", rank + 1)?;
    }
    Ok(())
}

fn check_run_field(what: &str, value: &str) -> io::Result<()> {
    if value.is_empty() || value.contains(char::is_whitespace) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{what} `{value}` cannot be written to a TREC run: empty or contains whitespace"
            ),
        ));
    }
    Ok(())
}

/// Reads a TREC run file, `qid Q0 docid rank score tag`, into query id → `(doc id, score)` in
/// file order.
///
/// The rank column must be present but is otherwise ignored, as trec_eval ignores it: order
/// comes from scores (see [`crate::metrics::trec_order`]). A document listed twice for the same
/// query is an error, as in trec_eval.
///
/// ```
/// use paperdex::judgments::read_trec_run;
///
/// let run = "1 Q0 31715818 1 12.5 bm25\n1 Q0 14717500 2 9.25 bm25\n";
/// let run = read_trec_run(run.as_bytes(), "run.txt").unwrap();
/// assert_eq!(run["1"][1], ("14717500".to_string(), 9.25));
/// ```
pub fn read_trec_run(
    reader: impl BufRead,
    origin: &str,
) -> Result<HashMap<String, Vec<(String, f32)>>> {
    let mut run: HashMap<String, Vec<(String, f32)>> = HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for line in numbered_lines(reader, origin) {
        let (number, line) = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [qid, _, doc, _, score, _] = fields[..] else {
            bail!(
                "{origin}:{number}: expected `qid Q0 docid rank score tag`, found {} fields",
                fields.len()
            );
        };
        let score: f32 = score
            .parse()
            .map_err(|_| anyhow::anyhow!("{origin}:{number}: score `{score}` is not a number"))?;
        if !seen.insert((qid.to_string(), doc.to_string())) {
            bail!("{origin}:{number}: query `{qid}` retrieves document `{doc}` a second time");
        }
        run.entry(qid.to_string())
            .or_default()
            .push((doc.to_string(), score));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of<T: std::fmt::Debug>(result: Result<T>) -> String {
        format!("{:#}", result.expect_err("input should be rejected"))
    }

    #[test]
    fn queries_mix_json_and_tsv_and_skip_blank_lines() {
        let input = "{\"_id\": 12, \"text\": \"a\"}\n\n  \nq2\tb c\td\r\n";
        let queries = read_queries(input.as_bytes(), "q").unwrap();
        assert_eq!(
            queries,
            [
                ("12".to_string(), "a".to_string()),
                ("q2".to_string(), "b c\td".to_string())
            ]
        );
    }

    #[test]
    fn query_errors_name_origin_and_line() {
        let bad_json = "q1\tok\n{\"_id\": \"x\"}\n";
        assert!(error_of(read_queries(bad_json.as_bytes(), "queries.jsonl"))
            .starts_with("queries.jsonl:2: not a BEIR query object"));
        let no_tab = "just text\n";
        assert!(error_of(read_queries(no_tab.as_bytes(), "q.tsv")).starts_with("q.tsv:1: expected"));
        let bad_id = "{\"_id\": null, \"text\": \"t\"}\n";
        assert!(error_of(read_queries(bad_id.as_bytes(), "q")).starts_with("q:1: `_id`"));
        let empty_id = "\tt\n";
        assert!(error_of(read_queries(empty_id.as_bytes(), "q")).starts_with("q:1: empty query id"));
        let twice = "1\ta\n{\"_id\": 1, \"text\": \"b\"}\n";
        assert_eq!(
            error_of(read_queries(twice.as_bytes(), "q")),
            "q:2: query id `1` already given on line 1"
        );
    }

    #[test]
    fn qrels_read_beir_with_and_without_header_and_trec() {
        let with_header = "query-id\tcorpus-id\tscore\n1\td1\t1\n";
        let without = "1\td1\t1\n";
        let trec = "1 0 d1 1\n";
        for input in [with_header, without, trec] {
            let qrels = read_qrels(input.as_bytes(), "qrels").unwrap();
            assert_eq!(qrels.len(), 1);
            assert_eq!(qrels["1"]["d1"], 1);
        }
    }

    #[test]
    fn a_byte_order_mark_does_not_change_the_first_line() {
        let queries = read_queries("\u{FEFF}1\tstatins\n".as_bytes(), "q.tsv").unwrap();
        assert_eq!(queries, [("1".to_string(), "statins".to_string())]);
        let queries = read_queries(
            "\u{FEFF}{\"_id\": \"7\", \"text\": \"a\"}\n".as_bytes(),
            "q.jsonl",
        )
        .unwrap();
        assert_eq!(queries[0].0, "7");
        let qrels = read_qrels(
            "\u{FEFF}query-id\tcorpus-id\tscore\n1\td1\t1\n".as_bytes(),
            "test.tsv",
        )
        .unwrap();
        assert_eq!(qrels.len(), 1, "the header is still a header");
        let qrels = read_qrels("\u{FEFF}401 0 d1 1\n".as_bytes(), "qrels.trec").unwrap();
        assert_eq!(
            qrels["401"]["d1"], 1,
            "the first id is `401`, not `\\u{{FEFF}}401`"
        );
    }

    #[test]
    fn qrels_keep_negative_and_zero_grades() {
        let qrels = read_qrels("q 0 a -1\nq 0 b 0\n".as_bytes(), "qrels").unwrap();
        assert_eq!(qrels["q"]["a"], -1);
        assert_eq!(qrels["q"]["b"], 0);
    }

    #[test]
    fn qrels_header_only_allowed_on_first_line() {
        let input = "1\td1\t1\nquery-id\tcorpus-id\tscore\n";
        assert_eq!(
            error_of(read_qrels(input.as_bytes(), "test.tsv")),
            "test.tsv:2: grade `score` is not an integer"
        );
    }

    #[test]
    fn qrels_errors_name_origin_and_line() {
        let short = "1 0 d1 1\n1 d2\n";
        assert!(error_of(read_qrels(short.as_bytes(), "qrels.txt"))
            .starts_with("qrels.txt:2: expected"));
        let float_grade = "1\td1\t0.5\n";
        assert_eq!(
            error_of(read_qrels(float_grade.as_bytes(), "test.tsv")),
            "test.tsv:1: grade `0.5` is not an integer"
        );
        let twice = "1 0 d1 1\n1 0 d1 2\n";
        assert_eq!(
            error_of(read_qrels(twice.as_bytes(), "qrels.txt")),
            "qrels.txt:2: query `1` judges document `d1` a second time"
        );
    }

    #[test]
    fn run_round_trips_through_writer_and_reader() {
        let ranked = vec![
            ("d1".to_string(), 0.1f32),
            ("d2".to_string(), 1.0e-7),
            ("d3".to_string(), -3.25),
        ];
        let mut out = Vec::new();
        write_trec_run(&mut out, "q1", &ranked, "paperdex").unwrap();
        write_trec_run(&mut out, "q2", &ranked[..1], "paperdex").unwrap();
        let run = read_trec_run(out.as_slice(), "run").unwrap();
        assert_eq!(run["q1"], ranked);
        assert_eq!(run["q2"], ranked[..1]);
    }

    #[test]
    fn writer_refuses_fields_that_would_shift_columns() {
        let ranked = vec![("two words".to_string(), 1.0)];
        let err = write_trec_run(&mut Vec::new(), "q", &ranked, "t").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let ok = vec![("d".to_string(), 1.0)];
        assert!(write_trec_run(&mut Vec::new(), "q", &ok, "").is_err());
        assert!(write_trec_run(&mut Vec::new(), "q 1", &ok, "t").is_err());
    }

    #[test]
    fn run_errors_name_origin_and_line() {
        let short = "q Q0 d 1 2.0\n";
        assert!(error_of(read_trec_run(short.as_bytes(), "run.txt"))
            .starts_with("run.txt:1: expected `qid Q0 docid rank score tag`"));
        let bad_score = "q Q0 d 1 high t\n";
        assert_eq!(
            error_of(read_trec_run(bad_score.as_bytes(), "run.txt")),
            "run.txt:1: score `high` is not a number"
        );
        let twice = "q Q0 d 1 2 t\nq Q0 d 2 1 t\n";
        assert_eq!(
            error_of(read_trec_run(twice.as_bytes(), "run.txt")),
            "run.txt:2: query `q` retrieves document `d` a second time"
        );
    }
}
