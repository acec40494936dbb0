//! A filter beside a ranked query (`drift year:2022`, `paperdex similar ID year:2024`): the
//! papers both match, ranked by the ranked query's score alone.
//!
//! tantivy's boolean query would intersect the two and score every paper of the intersection,
//! which for a union of many words is most of the index. [`Filtered`] instead lets the ranked
//! query prune as it does on its own (block-max MaxScore for [`crate::union::TermUnion`]) and
//! passes on only the papers the filter lets through: for years, read from the year fast field
//! paper by paper as they come; for any other filter, marked in a bit set per segment first.
//! The top-k threshold the pruning works from then only ever comes from papers that pass, and
//! the union's head start samples only those, so nothing the filter lets through is skipped.

use std::ops::{Bound, RangeBounds};

use tantivy::query::{
    intersect_scorers, ConstScoreQuery, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{BitSet, DocId, Score, SegmentReader, TantivyError};

use crate::schema;
use crate::union::{TermUnion, TermUnionWeight};

/// `inner`'s matches that `filter` also matches, with `inner`'s scores.
#[derive(Debug)]
pub struct Filtered {
    inner: Box<dyn Query>,
    filter: Box<dyn Query>,
    /// When the filter is years (`year:` alternatives): the ranges, so that a paper is checked
    /// by reading its year from the year fast field rather than by listing every paper of those
    /// years first.
    years: Option<Vec<YearRange>>,
}

/// Years from .. to, as `year:` gives them.
pub type YearRange = (Bound<i64>, Bound<i64>);

impl Filtered {
    pub fn new(inner: Box<dyn Query>, filter: Box<dyn Query>) -> Filtered {
        // A score of 0, so that an intersection (`scorer`) adds nothing to `inner`'s.
        let filter = Box::new(ConstScoreQuery::new(filter, 0.0));
        Filtered {
            inner,
            filter,
            years: None,
        }
    }

    /// Says the filter is exactly these years (any of the ranges).
    pub(crate) fn of_years(mut self, ranges: Vec<YearRange>) -> Filtered {
        self.years = Some(ranges);
        self
    }

    /// Tells a [`TermUnion`] inside how many papers the search keeps
    /// ([`TermUnion::expecting`]), so that it starts from the k-th best of a sample of the
    /// papers the filter lets through.
    pub(crate) fn expecting(self, k: usize) -> Filtered {
        match self.inner.downcast_ref::<TermUnion>() {
            Some(union) => Filtered {
                inner: Box::new(union.clone().expecting(k)),
                ..self
            },
            None => self,
        }
    }
}

impl Clone for Filtered {
    fn clone(&self) -> Filtered {
        Filtered {
            inner: self.inner.box_clone(),
            filter: self.filter.box_clone(),
            years: self.years.clone(),
        }
    }
}

impl Query for Filtered {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = match self.inner.downcast_ref::<TermUnion>() {
            Some(union) => Inner::Union(union.union_weight(scoring)?),
            None => Inner::Other(self.inner.weight(scoring)?),
        };
        Ok(Box::new(FilteredWeight {
            inner,
            filter: self.filter.weight(scoring)?,
            years: self.years.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.inner.query_terms(visitor);
        self.filter.query_terms(visitor);
    }
}

struct FilteredWeight {
    inner: Inner,
    filter: Box<dyn Weight>,
    years: Option<Vec<YearRange>>,
}

/// A union is kept as its own type, to be handed the filter's papers.
enum Inner {
    Union(TermUnionWeight),
    Other(Box<dyn Weight>),
}

impl Inner {
    fn weight(&self) -> &dyn Weight {
        match self {
            Inner::Union(w) => w,
            Inner::Other(w) => w.as_ref(),
        }
    }
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorers = vec![
            self.inner.weight().scorer(reader, boost)?,
            self.filter.scorer(reader, boost)?,
        ];
        Ok(intersect_scorers(scorers, reader.num_docs()))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.filter.explain(reader, doc).is_err() {
            return Err(TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match the filter"
            )));
        }
        self.inner.weight().explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let years = match &self.years {
            Some(ranges) => reader
                .fast_fields()
                .i64(schema::YEAR)
                .ok()
                .map(|column| (column, ranges)),
            None => None,
        };
        let mut bits = None;
        if years.is_none() {
            let mut set = BitSet::with_max_value(reader.max_doc());
            self.filter.for_each_no_score(reader, &mut |docs| {
                for &doc in docs {
                    set.insert(doc);
                }
            })?;
            bits = Some(set);
        }
        let passes = |doc: DocId| match (&years, &bits) {
            (Some((column, ranges)), _) => column
                .first(doc)
                .is_some_and(|year| ranges.iter().any(|r| r.contains(&year))),
            (None, Some(set)) => set.contains(doc),
            (None, None) => false,
        };
        // What the collector last asked for: a paper the filter stops leaves it as it was.
        let mut asked = threshold;
        let mut passed = |doc, score| {
            if passes(doc) {
                asked = callback(doc, score);
            }
            asked
        };
        match &self.inner {
            Inner::Union(union) => {
                union.for_each_pruning_among(threshold, reader, Some(&passes), &mut passed)
            }
            Inner::Other(weight) => weight.for_each_pruning(threshold, reader, &mut passed),
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Searcher;

    use crate::index::create_in_ram;
    use crate::ingest::document;
    use crate::paper::Paper;
    use crate::query::Ranking;
    use crate::schema::Fields;
    use crate::search::{Engine, Order, Request};
    use crate::union::tests::skewed_text;

    const WORDS: [&str; 10] = [
        "model", "learning", "graph", "data", "drift", "vision", "robot", "policy", "speech",
        "quantum",
    ];

    /// Two segments of papers long enough to fill postings blocks, years 2015 to 2024, a few
    /// papers with no year, words of very different frequencies.
    fn searcher() -> (Searcher, Fields) {
        let (index, fields) = create_in_ram();
        let mut writer = index.writer_with_num_threads(1, 30_000_000).unwrap();
        let mut words = skewed_text(&WORDS, 0x9e37_79b9_7f4a_7c15);
        for segment in 0..2 {
            for i in 0..2500u64 {
                let paper = Paper {
                    id: format!("{segment}-{i}"),
                    year: (i % 23 != 0).then_some(2015 + (i * 7 % 10) as i64),
                    title: words(1 + i % 5),
                    abstract_text: words(5 + (i * 7919) % 50),
                    ..Paper::default()
                };
                writer.add_document(document(&fields, &paper)).unwrap();
            }
            writer.commit().unwrap();
        }
        (index.reader().unwrap().searcher(), fields)
    }

    /// Which years a `year:` query lets through.
    type Allowed = fn(i64) -> bool;

    fn top(engine: &mut Engine, query: &str, limit: usize) -> Vec<(String, Option<i64>, f32)> {
        let request = Request {
            query,
            all: false,
            limit,
            offset: 0,
            explain: false,
            order: Order::Relevance,
        };
        let answer = engine.search(&request).unwrap();
        answer
            .hits
            .into_iter()
            .map(|h| (h.id, h.year, h.score))
            .collect()
    }

    /// A query with years ranks as its words alone do, less the papers of other years: the
    /// union's pruning and its head start see only papers of those years.
    #[test]
    fn years_keep_the_ranking_of_the_papers_they_let_through() {
        let (searcher, fields) = searcher();
        let mut engine = Engine::new(searcher, fields, Ranking::default());
        let cases: [(&str, Allowed); 6] = [
            ("year:2019", |y| y == 2019),
            ("year:2016..2018", |y| (2016..=2018).contains(&y)),
            ("year:>=2022", |y| y >= 2022),
            ("year:2015 year:2024", |y| y == 2015 || y == 2024),
            ("(year:2017 OR year:2020)", |y| y == 2017 || y == 2020),
            ("year:>2016 AND year:<2019", |y| y == 2017 || y == 2018),
        ];
        for words in [
            "model learning",
            "graph data drift",
            "vision robot policy",
            "speech quantum",
        ] {
            let everything = top(&mut engine, words, 5000);
            for (years, allowed) in cases {
                for k in [1, 10, 30] {
                    let query = format!("{words} {years}");
                    let ours = top(&mut engine, &query, k);
                    let expected: Vec<_> = everything
                        .iter()
                        .filter(|(_, year, _)| year.is_some_and(allowed))
                        .take(k)
                        .cloned()
                        .collect();
                    assert_eq!(ours.len(), expected.len(), "{query} k={k}");
                    for (a, b) in ours.iter().zip(&expected) {
                        // Ties may come in another order; scores never differ.
                        assert!(
                            (a.2 - b.2).abs() <= 1e-5 * a.2.abs().max(1.0),
                            "{query} k={k}: {a:?} vs {b:?}"
                        );
                        assert!(a.1.is_some_and(allowed), "{query} k={k}: {a:?}");
                    }
                }
            }
        }
    }
}
