//! BM25 with chosen `k1` and `b`: tantivy fixes them at 1.2 and 0.75 inside `Bm25Weight`.
//!
//! [`Bm25TermQuery`] scores one term as tantivy's `TermQuery` does (same idf, same quantized
//! field lengths) with the given parameters. Its scorer is not tantivy's `TermScorer`, so a
//! boolean query made of these cannot skip blocks with block-max WAND: it is slower on large
//! indexes and serves ranking experiments (`paperdex eval --k1 --b`).

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// BM25's term-frequency saturation `k1` and length normalization `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    pub k1: f32,
    pub b: f32,
}

/// One term, scored by BM25 with [`Bm25Params`].
#[derive(Debug, Clone)]
pub struct Bm25TermQuery {
    term: Term,
    params: Bm25Params,
}

impl Bm25TermQuery {
    pub fn new(term: Term, params: Bm25Params) -> Bm25TermQuery {
        Bm25TermQuery { term, params }
    }
}

/// The idf tantivy (and Lucene) use: `ln(1 + (N - n + 0.5) / (n + 0.5))`.
pub(crate) fn idf(doc_freq: u64, docs: u64) -> f32 {
    let x = (docs.saturating_sub(doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

impl Query for Bm25TermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let field = self.term.field();
        let (idf, average) = match scoring {
            EnableScoring::Enabled {
                statistics_provider: stats,
                ..
            } => {
                let docs = stats.total_num_docs()?;
                let tokens = stats.total_num_tokens(field)?;
                let average = if docs == 0 {
                    1.0
                } else {
                    tokens as f32 / docs as f32
                };
                (idf(stats.doc_freq(&self.term)?, docs), average)
            }
            EnableScoring::Disabled { .. } => (1.0, 1.0),
        };
        // The part of the denominator that depends only on the field length, per quantized
        // length id, as tantivy caches it.
        let Bm25Params { k1, b } = self.params;
        let mut norms = [0.0f32; 256];
        for (id, norm) in norms.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(id as u8) as f32;
            *norm = k1 * (1.0 - b + b * length / average.max(f32::MIN_POSITIVE));
        }
        Ok(Box::new(Bm25TermWeight {
            term: self.term.clone(),
            weight: idf * (1.0 + k1),
            norms: Box::new(norms),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

struct Bm25TermWeight {
    term: Term,
    weight: f32,
    norms: Box<[f32; 256]>,
}

impl Bm25TermWeight {
    fn postings(
        &self,
        reader: &SegmentReader,
    ) -> tantivy::Result<Option<(SegmentPostings, FieldNormReader)>> {
        let field = self.term.field();
        let inverted = reader.inverted_index(field)?;
        let Some(postings) = inverted.read_postings(&self.term, IndexRecordOption::WithFreqs)?
        else {
            return Ok(None);
        };
        let fieldnorms = reader.get_fieldnorms_reader(field)?;
        Ok(Some((postings, fieldnorms)))
    }
}

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.postings(reader)? {
            Some((postings, fieldnorms)) => Box::new(Bm25TermScorer {
                postings,
                fieldnorms,
                weight: self.weight * boost,
                norms: self.norms.clone(),
            }),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("BM25 (custom k1, b)", scorer.score()))
    }
}

struct Bm25TermScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    weight: f32,
    norms: Box<[f32; 256]>,
}

impl DocSet for Bm25TermScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for Bm25TermScorer {
    fn score(&mut self) -> Score {
        let doc = self.postings.doc();
        let tf = self.postings.term_freq() as f32;
        let norm = self.norms[self.fieldnorms.fieldnorm_id(doc) as usize];
        self.weight * tf / (tf + norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;

    /// Scores and doc ids, best first.
    type Ranking = Vec<(f32, u32)>;

    /// The term's ranking by our scorer with `k1`, `b`, and by tantivy's `TermQuery`.
    fn scores(k1: f32, b: f32, word: &str) -> (Ranking, Ranking) {
        let (index, fields) = crate::index::ram_index_of(&[
            ("paper", "graph networks on graph data"),
            (
                "paper",
                "a much longer abstract that mentions a graph once among many other words here",
            ),
            ("paper", "graph"),
            ("paper", "no match at all"),
            ("paper", "graph graph graph graph and more"),
        ]);
        let searcher = index.reader().unwrap().searcher();
        let term = Term::from_field_text(fields.text, word);
        let top = |q: &dyn Query| {
            searcher
                .search(q, &TopDocs::with_limit(10).order_by_score())
                .unwrap()
                .into_iter()
                .map(|(s, a)| (s, a.doc_id))
                .collect::<Vec<_>>()
        };
        let ours = top(&Bm25TermQuery::new(term.clone(), Bm25Params { k1, b }));
        let tantivys = top(&TermQuery::new(term, IndexRecordOption::WithFreqs));
        (ours, tantivys)
    }

    #[test]
    fn at_tantivys_parameters_it_scores_as_tantivy_does() {
        let (ours, tantivys) = scores(1.2, 0.75, "graph");
        assert_eq!(ours.len(), 4);
        for ((a, da), (b, db)) in ours.iter().zip(&tantivys) {
            assert_eq!(da, db);
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn no_length_normalization_ranks_by_frequency_alone() {
        // b = 0: the long abstract with one `graph` ties the one-word abstract.
        let (ours, _) = scores(1.2, 0.0, "graph");
        let score_of = |doc| ours.iter().find(|(_, d)| *d == doc).unwrap().0;
        assert!((score_of(1) - score_of(2)).abs() < 1e-6);
        assert!(score_of(4) > score_of(0));
    }
}
