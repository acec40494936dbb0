//! Export: every paper of an index as JSON Lines in one stable schema, to move a corpus to a
//! cluster (Quickwit, OpenSearch/Elasticsearch; configurations in `deploy/`) or into another
//! paperdex index.
//!
//! Invariants: each live (not deleted) paper is written exactly once, as one line holding every
//! key of [`ExportRecord`] in the same order (`null` where the paper has no value), so the schema
//! never depends on the data; the text is what the index stores (already cleaned), and reading the
//! export back with `paperdex index` gives the same papers. Documents are streamed from the doc
//! store segment by segment: memory does not grow with the corpus. Order is the index's own.

use std::io::Write;

use crate::index::PaperIndex;
use crate::paper::Paper;
use crate::search::StoredFields;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One exported paper: the stable export schema, one JSON object per line.
///
/// ```json
/// {"id":"mlsys-2022-1","venue":"mlsys-2022","year":2022,"number":1,"title":"Matchmaker: ...",
///  "authors":["Ankur Mallick","..."],"abstract":"...","url":null,"cleaned":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub id: String,
    pub venue: String,
    pub year: Option<i64>,
    /// The `#N` number of a listing entry.
    pub number: Option<u64>,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub url: Option<String>,
    /// Always `true`: the text is already clean, and `paperdex index` reads it as it is
    /// (cleaning twice could change it). Other engines can ignore it.
    pub cleaned: bool,
}

impl From<Paper> for ExportRecord {
    fn from(p: Paper) -> ExportRecord {
        ExportRecord {
            id: p.id,
            venue: p.venue,
            year: p.year,
            number: p.number,
            title: p.title,
            authors: p.authors,
            abstract_text: p.abstract_text,
            url: p.url,
            cleaned: true,
        }
    }
}

/// Doc store blocks kept decompressed while streaming: one is enough for a sequential read.
const STORE_CACHE_BLOCKS: usize = 1;

/// The context of an error reading the index's stored papers (rather than writing them), for
/// the caller to say the index may be damaged.
#[derive(Debug)]
pub struct StoreError;

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reading a stored document")
    }
}

/// Writes every live paper of `opened` to `out` as JSON Lines; returns how many.
///
/// # Errors
///
/// Reading the doc store, or writing to `out` (a closed pipe is an `io::Error` of kind
/// `BrokenPipe` in the chain, for the caller to treat as the end).
pub fn write_ndjson(opened: &PaperIndex, out: &mut impl Write) -> Result<u64> {
    let searcher = opened.searcher();
    let mut written = 0;
    // Each line is serialized here first, so that a write error reaches the caller as the
    // `io::Error` it is (serde_json would hide a broken pipe inside its own error).
    let mut line = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment
            .get_store_reader(STORE_CACHE_BLOCKS)
            .context("opening the document store")?;
        for doc in store.iter::<StoredFields>(segment.alive_bitset()) {
            let paper = doc.context(StoreError)?.into_paper(&opened.fields);
            line.clear();
            serde_json::to_writer(&mut line, &ExportRecord::from(paper))?;
            line.push(b'\n');
            out.write_all(&line)?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonl::JsonLinesReader;
    use crate::paper::Paper;

    #[test]
    fn every_key_is_written_even_when_empty() {
        let record = ExportRecord {
            id: "a".into(),
            venue: "v".into(),
            year: None,
            number: None,
            title: "T".into(),
            authors: vec![],
            abstract_text: String::new(),
            url: None,
            cleaned: true,
        };
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"id":"a","venue":"v","year":null,"number":null,"title":"T","authors":[],"abstract":"","url":null,"cleaned":true}"#
        );
    }

    #[test]
    fn an_export_line_reads_back_as_the_same_paper() {
        let record = ExportRecord {
            id: "mlsys-2022-7".into(),
            venue: "mlsys-2022".into(),
            year: Some(2022),
            number: Some(7),
            // Text that cleaning would change again: braces, `$`, an entity, a hyphen-space.
            title: "Graph Networks & C++ at 14% speed on {1, 2}".into(),
            authors: vec!["Ann Bö".into(), "Bo {Li}".into()],
            abstract_text: "We study $x$ budgets, &amp; co- design.".into(),
            url: Some("https://example.org/7".into()),
            cleaned: true,
        };
        let line = serde_json::to_string(&record).unwrap();
        let papers: Vec<Paper> = JsonLinesReader::new(line.as_bytes(), "other")
            .collect::<Result<_, _>>()
            .unwrap();
        let p = &papers[0];
        assert_eq!(
            (
                &p.id,
                &p.venue,
                p.year,
                p.number,
                &p.title,
                &p.authors,
                &p.abstract_text,
                &p.url
            ),
            (
                &record.id,
                &record.venue,
                record.year,
                record.number,
                &record.title,
                &record.authors,
                &record.abstract_text,
                &record.url
            )
        );
    }
}
