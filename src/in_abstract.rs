//! `abstract:` queries without an inverted index of the abstract.
//!
//! The ranking field holds the title [`TITLE_WEIGHT`] times and then the abstract, and the title
//! has a field of its own; indexing the abstract a second time, in a field of its own, would
//! double the work of every build for the rare `abstract:` query. Instead, a leaf is in the
//! abstract exactly when the ranking field has more matches of it than `TITLE_WEIGHT` times the
//! title's: the copies of the title account for the rest.
//!
//! Invariant: [`InAbstract`] matches the papers whose abstract holds the leaf, scoring nothing;
//! callers pair it with the same leaf on the ranking field, which scores. Exact for words,
//! prefixes and phrases with a slop below [`crate::analyzer::VALUE_GAP`], the positions between
//! one copy of the title and the next (a phrase with that much slop may match across them).

use std::fmt;

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

use crate::ingest::TITLE_WEIGHT;

/// What must be in the abstract.
#[derive(Clone, Debug)]
pub enum Leaf {
    /// Analyzed terms at their positions: one term is a word, more are a phrase.
    Terms(Vec<(usize, String)>, u32),
    /// A word prefix (folded), with the stems of words starting with it that do not
    /// ([`crate::analyzer::prefix_stems`]).
    Prefix(String, Vec<String>),
}

/// The papers whose abstract holds `leaf`; see the module's documentation.
#[derive(Clone)]
pub struct InAbstract {
    text: Field,
    title: Field,
    leaf: Leaf,
}

impl fmt::Debug for InAbstract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InAbstract({:?})", self.leaf)
    }
}

impl InAbstract {
    pub fn new(text: Field, title: Field, leaf: Leaf) -> InAbstract {
        InAbstract { text, title, leaf }
    }
}

impl Query for InAbstract {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for InAbstract {
    /// Scores 0 whatever the boost: the same leaf on the ranking field scores.
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = self.matching_docs(reader)?;
        if docs.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(SortedDocs { docs, at: 0 }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.matching_docs(reader)?.binary_search(&doc).is_err() {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("in the abstract", 0.0))
    }
}

impl InAbstract {
    /// The segment's matching documents, sorted.
    fn matching_docs(&self, reader: &SegmentReader) -> tantivy::Result<Vec<DocId>> {
        let mut docs = Vec::new();
        match &self.leaf {
            Leaf::Terms(terms, slop) => {
                let terms: Vec<(usize, &str)> =
                    terms.iter().map(|(p, t)| (*p, t.as_str())).collect();
                self.collect(reader, &terms, *slop, &mut docs)?;
            }
            Leaf::Prefix(prefix, stems) => {
                let inverted = reader.inverted_index(self.text)?;
                let mut words = Vec::new();
                crate::completion::each_with_prefix(&inverted, prefix, |key, _| {
                    if let Ok(word) = std::str::from_utf8(key) {
                        words.push(word.to_string());
                    }
                    Ok(())
                })?;
                for word in words.iter().chain(stems) {
                    self.collect(reader, &[(0, word.as_str())], 0, &mut docs)?;
                }
                docs.sort_unstable();
                docs.dedup();
            }
        }
        Ok(docs)
    }

    /// Appends the documents whose abstract holds the phrase (or word) `terms`.
    fn collect(
        &self,
        reader: &SegmentReader,
        terms: &[(usize, &str)],
        slop: u32,
        docs: &mut Vec<DocId>,
    ) -> tantivy::Result<()> {
        let option = if terms.len() == 1 {
            IndexRecordOption::WithFreqs
        } else {
            IndexRecordOption::WithFreqsAndPositions
        };
        let Some(mut text) = postings(reader, self.text, terms, option)? else {
            return Ok(());
        };
        let mut title = postings(reader, self.title, terms, option)?;
        let copies = u32::try_from(TITLE_WEIGHT).unwrap_or(u32::MAX);
        let mut buffers = Buffers::default();
        let first = text[0].doc();
        let mut doc = align(&mut text, first);
        while doc != TERMINATED {
            let in_text = matches_at(&mut text, terms, slop, &mut buffers);
            let in_title = title.as_deref_mut().map_or(0, |title| {
                if align(title, doc) == doc {
                    matches_at(title, terms, slop, &mut buffers)
                } else {
                    0
                }
            });
            if in_text > copies.saturating_mul(in_title) {
                docs.push(doc);
            }
            let next = text[0].advance();
            doc = align(&mut text, next);
        }
        Ok(())
    }
}

/// A segment's matching documents, in order, each scoring 0.
struct SortedDocs {
    docs: Vec<DocId>,
    at: usize,
}

impl DocSet for SortedDocs {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        u32::try_from(self.docs.len()).unwrap_or(u32::MAX)
    }
}

impl Scorer for SortedDocs {
    fn score(&mut self) -> Score {
        0.0
    }
}

/// One postings list per term of `field`, or `None` when a term is not in the segment.
fn postings(
    reader: &SegmentReader,
    field: Field,
    terms: &[(usize, &str)],
    option: IndexRecordOption,
) -> tantivy::Result<Option<Vec<SegmentPostings>>> {
    let inverted = reader.inverted_index(field)?;
    let mut lists = Vec::with_capacity(terms.len());
    for (_, t) in terms {
        match inverted.read_postings(&Term::from_field_text(field, t), option)? {
            Some(p) => lists.push(p),
            None => return Ok(None),
        }
    }
    Ok(Some(lists))
}

/// Moves every list to the first document at or after `target` that all of them hold.
fn align(lists: &mut [SegmentPostings], mut target: DocId) -> DocId {
    'search: loop {
        if target == TERMINATED {
            return TERMINATED;
        }
        for list in lists.iter_mut() {
            let at = if list.doc() < target {
                list.seek(target)
            } else {
                list.doc()
            };
            if at != target {
                target = at;
                continue 'search;
            }
        }
        return target;
    }
}

#[derive(Default)]
struct Buffers {
    first: Vec<u32>,
    other: Vec<u32>,
    /// Per position of the first term: whether every term so far is at its offset.
    alive: Vec<bool>,
}

/// How many times the phrase occurs in the current document of aligned `lists`: starts of the
/// first term whose every other term is at its offset, give or take `slop`.
fn matches_at(
    lists: &mut [SegmentPostings],
    terms: &[(usize, &str)],
    slop: u32,
    buffers: &mut Buffers,
) -> u32 {
    if lists.len() == 1 {
        return lists[0].term_freq();
    }
    buffers.first.clear();
    lists[0].positions(&mut buffers.first);
    buffers.alive.clear();
    buffers.alive.resize(buffers.first.len(), true);
    let base = terms[0].0 as i64;
    for (list, (offset, _)) in lists.iter_mut().zip(terms).skip(1) {
        buffers.other.clear();
        list.positions(&mut buffers.other);
        let shift = *offset as i64 - base;
        keep_near(
            &buffers.first,
            &mut buffers.alive,
            &buffers.other,
            shift,
            slop,
        );
    }
    buffers.alive.iter().filter(|k| **k).count() as u32
}

/// Keeps alive the starts (sorted positions of a phrase's first term) that have a position of
/// another term (`other`, sorted) `shift` after them, give or take `slop`. Both lists sorted,
/// one sweep finds for each start the first position not too far before where it wants one:
/// a scan of every position per start took minutes on an abstract of millions of words.
fn keep_near(starts: &[u32], alive: &mut [bool], other: &[u32], shift: i64, slop: u32) {
    let mut at = 0;
    for (start, keep) in starts.iter().zip(alive.iter_mut()) {
        let want = i64::from(*start) + shift;
        while at < other.len() && i64::from(other[at]) < want - i64::from(slop) {
            at += 1;
        }
        if *keep {
            *keep = other
                .get(at)
                .is_some_and(|&p| i64::from(p) <= want + i64::from(slop));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, Occur};

    use crate::index::ram_index_of as index;
    use crate::schema::Fields;

    fn found(index: &tantivy::Index, fields: &Fields, leaf: Leaf) -> Vec<u32> {
        let searcher = index.reader().unwrap().searcher();
        let q = BooleanQuery::new(vec![(
            Occur::Must,
            Box::new(InAbstract::new(fields.text, fields.title, leaf)) as Box<dyn Query>,
        )]);
        let mut docs: Vec<u32> = searcher
            .search(&q, &DocSetCollector)
            .unwrap()
            .into_iter()
            .map(|a| a.doc_id)
            .collect();
        docs.sort_unstable();
        docs
    }

    fn word(w: &str) -> Leaf {
        Leaf::Terms(vec![(0, w.to_string())], 0)
    }

    #[test]
    fn a_word_only_in_the_title_is_not_in_the_abstract() {
        let (index, f) = index(&[
            ("Graph drift", "We study streams."),
            ("Streams", "Graph methods drift; graph again."),
            ("Graph graph", "Nothing here."),
            ("Graph", "A graph."),
        ]);
        assert_eq!(found(&index, &f, word("graph")), [1, 3]);
        assert_eq!(found(&index, &f, word("drift")), [1]);
        assert_eq!(found(&index, &f, word("stream")), [0]);
        assert!(found(&index, &f, word("absent")).is_empty());
    }

    #[test]
    fn phrases_and_prefixes_look_in_the_abstract_only() {
        let (index, f) = index(&[
            ("Neural networks", "Trees and forests."),
            ("Trees", "Deep neural networks learn."),
            ("Networks", "Neural models, and networks."),
        ]);
        let phrase = Leaf::Terms(vec![(0, "neural".into()), (1, "network".into())], 0);
        assert_eq!(found(&index, &f, phrase), [1]);
        let sloppy = Leaf::Terms(vec![(0, "neural".into()), (1, "network".into())], 3);
        assert_eq!(found(&index, &f, sloppy), [1, 2]);
        assert_eq!(
            found(&index, &f, Leaf::Prefix("fore".into(), Vec::new())),
            [0]
        );
        assert_eq!(
            found(&index, &f, Leaf::Prefix("net".into(), Vec::new())),
            [1, 2]
        );
    }

    #[test]
    fn a_term_is_near_a_start_exactly_when_some_position_is_within_the_slop() {
        // Against the definition, on pseudo-random sorted positions, shifts and slops.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for _ in 0..2_000 {
            let (n, m) = (next(12), next(12));
            let mut positions = |count| {
                let mut v: Vec<u32> = (0..count).map(|_| next(60) as u32).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let (starts, other) = (positions(n), positions(m));
            let alive_before: Vec<bool> = starts.iter().map(|_| next(4) != 0).collect();
            let shift = next(7) as i64 - 3;
            let slop = next(4) as u32;
            let mut alive = alive_before.clone();
            keep_near(&starts, &mut alive, &other, shift, slop);
            let expected: Vec<bool> = starts
                .iter()
                .zip(&alive_before)
                .map(|(&s, &was)| {
                    was && other.iter().any(|&p| {
                        (i64::from(p) - (i64::from(s) + shift)).unsigned_abs() <= u64::from(slop)
                    })
                })
                .collect();
            assert_eq!(alive, expected, "{starts:?} {other:?} {shift} {slop}");
        }
    }

    #[test]
    fn a_sloppy_phrase_across_two_copies_of_the_title_is_not_in_the_abstract() {
        // The ranking field holds "network neural" twice, then the abstract: `neural network`
        // with slop 1 would find the first copy's `neural` beside the second copy's `network`.
        let (index, f) = index(&[("Network neural", "Trees."), ("Trees", "Neural nets.")]);
        let sloppy = Leaf::Terms(vec![(0, "neural".into()), (1, "network".into())], 1);
        assert!(found(&index, &f, sloppy).is_empty());
    }
}
