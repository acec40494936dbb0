//! Where a phrase whose last word is a prefix stands (`"the s*"`, `"neural netw*"`), found
//! without scoring: the ranking is the phrase's whole words' ([`crate::query`]).
//!
//! tantivy's `PhrasePrefixQuery` checks every completion of the prefix at every paper where the
//! whole words stand. `"the s*"` on the 87,669 paperlists abstracts is about 87,000 papers times
//! some 5,000 words starting with `s`: 0.8 s. Its `RegexPhraseQuery` reads every completion's
//! papers up front into bit sets, which costs more where the whole words are rare
//! (`"graph neural netw*"`). Here the completions are one sorted union, built once per segment:
//! - a completion in at most [`RARE`] papers is read up front, its (paper, position) pairs
//!   merged into one sorted list;
//! - the others are cursors in a heap, each moved only when the phrase's papers pass it.
//!
//! So the work is bounded by the completions' postings, not by papers times completions.
//!
//! Invariant: [`CompletedPhrase`] matches the papers where its words stand at their positions,
//! the last any completion of the prefix, and scores nothing. That is what tantivy's
//! `PhrasePrefixQuery` (with no cap on completions) matches, but for a gap before the prefix
//! (a word too long to index, dropped from query and text alike), which tantivy's query
//! ignores and this one keeps, as a phrase does.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::index::InvertedIndexReader;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// A completion in at most this many papers is read up front rather than kept as a cursor:
/// reading it costs about as much as opening its cursor, and a cursor holds a decoded block.
const RARE: u32 = 64;

/// The papers where `whole` (analyzed words at their positions) is followed by any indexed word
/// starting with `prefix` at its position; see the module's documentation.
#[derive(Clone, Debug)]
pub struct CompletedPhrase {
    field: Field,
    whole: Vec<(usize, String)>,
    prefix: (usize, String),
}

impl CompletedPhrase {
    /// `terms`: the phrase's analyzed words at their positions, the last of them the prefix.
    /// `None` when there is no prefix to complete.
    pub fn new(field: Field, terms: &[(usize, String)]) -> Option<CompletedPhrase> {
        let (prefix, whole) = terms.split_last()?;
        Some(CompletedPhrase {
            field,
            whole: whole.to_vec(),
            prefix: prefix.clone(),
        })
    }

    /// The segment's matching papers, unscored; `None` where none can match.
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<Option<Box<dyn Scorer>>> {
        let inverted = reader.inverted_index(self.field)?;
        // The whole words first: where one is missing, no completion need be read.
        let mut parts = Vec::with_capacity(self.whole.len() + 1);
        for (position, word) in &self.whole {
            let term = Term::from_field_text(self.field, word);
            let option = IndexRecordOption::WithFreqsAndPositions;
            let Some(postings) = inverted.read_postings(&term, option)? else {
                return Ok(None);
            };
            parts.push((*position, Part::Word(postings)));
        }
        let Some(completions) = Completions::read(&inverted, &self.prefix.1)? else {
            return Ok(None);
        };
        if parts.is_empty() {
            return Ok(Some(Box::new(ConstScorer::new(completions, 0.0))));
        }
        parts.push((self.prefix.0, Part::Completions(completions)));
        Ok(Some(Box::new(Phrase::new(parts))))
    }
}

impl Query for CompletedPhrase {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for CompletedPhrase {
    /// Scores 0 whatever the boost: the phrase's whole words rank.
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(self.docs(reader)?.unwrap_or_else(|| Box::new(EmptyScorer)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let found = self
            .docs(reader)?
            .is_some_and(|mut docs| docs.seek(doc) == doc);
        if !found {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("phrase ending in a prefix", 0.0))
    }
}

/// The papers where the parts stand at their positions in the phrase, next to each other.
struct Phrase {
    /// Each part with what its positions are shifted by (the phrase's last position less its
    /// own), so that the parts of one match share a shifted position; rarest part first.
    parts: Vec<(u32, Part)>,
    doc: DocId,
    /// Shifted positions where a match may start, and one part's positions.
    starts: Vec<u32>,
    positions: Vec<u32>,
}

impl Phrase {
    fn new(parts: Vec<(usize, Part)>) -> Phrase {
        let last = parts.iter().map(|(at, _)| *at).max().unwrap_or(0);
        let mut parts: Vec<(u32, Part)> = parts
            .into_iter()
            .map(|(at, part)| (u32::try_from(last - at).unwrap_or(u32::MAX), part))
            .collect();
        parts.sort_by_key(|(_, part)| part.size_hint());
        let mut phrase = Phrase {
            parts,
            doc: 0,
            starts: Vec::new(),
            positions: Vec::new(),
        };
        phrase.doc = phrase.find(0);
        phrase
    }

    /// The first paper from `target` on where every part stands.
    fn align(&mut self, mut target: DocId) -> DocId {
        'all: loop {
            for (_, part) in &mut self.parts {
                let doc = if part.doc() < target {
                    part.seek(target)
                } else {
                    part.doc()
                };
                if doc == TERMINATED {
                    return TERMINATED;
                }
                if doc > target {
                    target = doc;
                    continue 'all;
                }
            }
            return target;
        }
    }

    /// Whether the parts, all on one paper, stand next to each other there.
    fn stands(&mut self) -> bool {
        let Phrase {
            parts,
            starts,
            positions,
            ..
        } = self;
        // The whole words first, then the completions, which need only be read until one of
        // them completes the phrase.
        let mut words = parts.iter_mut().filter_map(|(shift, part)| match part {
            Part::Word(postings) => Some((*shift, postings)),
            Part::Completions(_) => None,
        });
        let Some((shift, first)) = words.next() else {
            return false;
        };
        first.positions_with_offset(shift, starts);
        for (shift, postings) in words {
            postings.positions_with_offset(shift, positions);
            let mut other = positions.iter().peekable();
            starts.retain(|&start| {
                while other.next_if(|&&p| p < start).is_some() {}
                other.peek() == Some(&&start)
            });
            if starts.is_empty() {
                return false;
            }
        }
        parts.iter_mut().all(|(shift, part)| match part {
            Part::Completions(c) => c.completes(*shift, starts, positions),
            Part::Word(_) => true,
        })
    }

    /// The first paper from `target` on where the phrase stands.
    fn find(&mut self, mut target: DocId) -> DocId {
        loop {
            let doc = self.align(target);
            if doc == TERMINATED || self.stands() {
                return doc;
            }
            target = doc + 1;
        }
    }
}

impl DocSet for Phrase {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.find(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.find(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts.first().map_or(0, |(_, part)| part.size_hint())
    }
}

impl Scorer for Phrase {
    fn score(&mut self) -> Score {
        0.0
    }
}

/// One word of the phrase: a whole word's postings, or the prefix's completions.
// A phrase holds a few parts, each walked paper by paper: boxing the postings would add a
// pointer to follow at every step to save a few kilobytes once.
#[allow(clippy::large_enum_variant)]
enum Part {
    Word(SegmentPostings),
    Completions(Completions),
}

impl DocSet for Part {
    fn advance(&mut self) -> DocId {
        match self {
            Part::Word(p) => p.advance(),
            Part::Completions(c) => c.advance(),
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        match self {
            Part::Word(p) => p.seek(target),
            Part::Completions(c) => c.seek(target),
        }
    }

    fn doc(&self) -> DocId {
        match self {
            Part::Word(p) => p.doc(),
            Part::Completions(c) => c.doc(),
        }
    }

    fn size_hint(&self) -> u32 {
        match self {
            Part::Word(p) => p.size_hint(),
            Part::Completions(c) => c.size_hint(),
        }
    }
}

/// A cursor's entry in [`Completions::waiting`].
fn waiting(doc: DocId, cursor: u32) -> u64 {
    u64::from(doc) << 32 | u64::from(cursor)
}

fn paper(entry: u64) -> DocId {
    (entry >> 32) as DocId
}

/// Every indexed word starting with a prefix, as one sorted union of papers with positions.
struct Completions {
    /// The completions in more than [`RARE`] papers.
    cursors: Vec<SegmentPostings>,
    /// Cursors not on `doc`, by the paper each is on: `paper << 32 | cursor`, one word, which
    /// a heap orders faster than a pair.
    waiting: BinaryHeap<Reverse<u64>>,
    /// Cursors on `doc`.
    here: Vec<u32>,
    /// The rare completions' (paper, position) pairs, sorted.
    rare: Vec<(DocId, u32)>,
    /// The first pair of `rare` at or after `doc`.
    next_rare: usize,
    /// Every paper of the rare completions, for `size_hint`.
    rare_docs: u32,
    doc: DocId,
}

/// Calls `f` with each term of `inverted` that starts with `prefix`, and its term info, in
/// term order.
pub(crate) fn each_with_prefix(
    inverted: &InvertedIndexReader,
    prefix: &str,
    mut f: impl FnMut(&[u8], &TermInfo) -> tantivy::Result<()>,
) -> tantivy::Result<()> {
    let mut stream = inverted
        .terms()
        .range()
        .ge(prefix.as_bytes())
        .into_stream()?;
    while stream.advance() {
        if !stream.key().starts_with(prefix.as_bytes()) {
            break;
        }
        f(stream.key(), stream.value())?;
    }
    Ok(())
}

impl Completions {
    fn read(inverted: &InvertedIndexReader, prefix: &str) -> tantivy::Result<Option<Completions>> {
        let option = IndexRecordOption::WithFreqsAndPositions;
        let mut cursors = Vec::new();
        let mut rare = Vec::new();
        let mut positions = Vec::new();
        each_with_prefix(inverted, prefix, |_, info| {
            let mut postings = inverted.read_postings_from_terminfo(info, option)?;
            if info.doc_freq > RARE {
                cursors.push(postings);
                return Ok(());
            }
            let mut doc = postings.doc();
            while doc != TERMINATED {
                postings.positions(&mut positions);
                rare.extend(positions.iter().map(|&p| (doc, p)));
                doc = postings.advance();
            }
            Ok(())
        })?;
        if cursors.is_empty() && rare.is_empty() {
            return Ok(None);
        }
        rare.sort_unstable();
        rare.dedup();
        let rare_docs = rare.chunk_by(|a, b| a.0 == b.0).count();
        let waiting = cursors
            .iter()
            .zip(0u32..)
            .filter(|(c, _)| c.doc() != TERMINATED)
            .map(|(c, i)| Reverse(waiting(c.doc(), i)))
            .collect();
        let mut completions = Completions {
            cursors,
            waiting,
            here: Vec::new(),
            rare,
            next_rare: 0,
            rare_docs: u32::try_from(rare_docs).unwrap_or(u32::MAX),
            doc: TERMINATED,
        };
        completions.settle();
        Ok(Some(completions))
    }

    /// Sets `doc` to the least paper any completion is on, and gathers the cursors on it.
    fn settle(&mut self) {
        let cursor_doc = self.waiting.peek().map_or(TERMINATED, |r| paper(r.0));
        let rare_doc = self.rare.get(self.next_rare).map_or(TERMINATED, |e| e.0);
        self.doc = cursor_doc.min(rare_doc);
        while let Some(&Reverse(entry)) = self.waiting.peek() {
            if paper(entry) != self.doc {
                break;
            }
            self.waiting.pop();
            self.here.push(entry as u32);
        }
    }

    /// Moves every cursor before `target` (those on `doc` first) to it or past it.
    fn move_cursors(&mut self, target: DocId) {
        let Completions {
            cursors,
            waiting,
            here,
            ..
        } = self;
        for i in here.drain(..) {
            let cursor = &mut cursors[i as usize];
            // On `doc`, so before `target`: the next paper is a step, not a seek.
            let doc = if cursor.doc() + 1 == target {
                cursor.advance()
            } else {
                cursor.seek(target)
            };
            if doc != TERMINATED {
                waiting.push(Reverse(self::waiting(doc, i)));
            }
        }
        while let Some(mut top) = waiting.peek_mut() {
            let Reverse(entry) = *top;
            if paper(entry) >= target {
                break;
            }
            let i = entry as u32;
            let doc = cursors[i as usize].seek(target);
            if doc == TERMINATED {
                std::collections::binary_heap::PeekMut::pop(top);
            } else {
                // Replaced in place: one sift down rather than a pop and a push.
                *top = Reverse(self::waiting(doc, i));
            }
        }
    }

    /// Whether some completion on `doc`, its positions shifted by `shift`, is at one of
    /// `starts` (sorted): read completion by completion, the rare ones first, until one is.
    fn completes(&mut self, shift: u32, starts: &[u32], positions: &mut Vec<u32>) -> bool {
        let doc = self.doc;
        let rare = self.rare[self.next_rare..]
            .iter()
            .take_while(|e| e.0 == doc);
        if rare
            .map(|&(_, p)| p + shift)
            .any(|p| starts.binary_search(&p).is_ok())
        {
            return true;
        }
        self.here.iter().any(|&i| {
            self.cursors[i as usize].positions_with_offset(shift, positions);
            positions.iter().any(|p| starts.binary_search(p).is_ok())
        })
    }
}

impl DocSet for Completions {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let next = self.doc + 1;
        self.move_cursors(next);
        self.next_rare += self.rare[self.next_rare..].partition_point(|e| e.0 < next);
        self.settle();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.move_cursors(target);
        self.next_rare += self.rare[self.next_rare..].partition_point(|e| e.0 < target);
        self.settle();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.cursors
            .iter()
            .fold(self.rare_docs, |n, c| n.saturating_add(c.size_hint()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::PhrasePrefixQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, DocAddress, Index, IndexWriter, Searcher};

    /// Words of one to three letters of `abc`, some in most papers and some in few.
    fn vocabulary() -> Vec<String> {
        let mut words = Vec::new();
        for a in ['a', 'b', 'c'] {
            words.push(a.to_string());
            for b in ['a', 'b', 'c'] {
                words.push(format!("{a}{b}"));
                for c in ['a', 'b', 'c'] {
                    words.push(format!("{a}{b}{c}"));
                }
            }
        }
        words
    }

    /// An index of `papers` (word indexes into [`vocabulary`]) in `segments` segments.
    fn index(papers: &[Vec<usize>], segments: usize) -> (Searcher, Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = vocabulary();
        let per_segment = papers.len().div_ceil(segments.max(1)).max(1);
        for chunk in papers.chunks(per_segment) {
            for paper in chunk {
                let body: Vec<&str> = paper.iter().map(|&w| words[w].as_str()).collect();
                writer.add_document(doc!(text => body.join(" "))).unwrap();
            }
            writer.commit().unwrap();
        }
        (index.reader().unwrap().searcher(), text)
    }

    fn found(searcher: &Searcher, query: &dyn Query) -> HashSet<DocAddress> {
        searcher.search(query, &DocSetCollector).unwrap()
    }

    fn tantivys(field: Field, terms: &[(usize, String)]) -> PhrasePrefixQuery {
        let terms = terms
            .iter()
            .map(|(p, t)| (*p, Term::from_field_text(field, t)))
            .collect();
        let mut query = PhrasePrefixQuery::new_with_offset(terms);
        // tantivy reserves room for this many: more than the vocabulary, no more.
        query.set_max_expansions(1_000);
        query
    }

    /// Paper sizes and words skewed so that some completions are in more than [`RARE`] papers
    /// (cursors) and others in fewer (read up front).
    fn papers() -> impl Strategy<Value = Vec<Vec<usize>>> {
        let word = (0.0f64..1.0).prop_map(|u| ((u * u) * 39.0) as usize);
        prop::collection::vec(prop::collection::vec(word, 1..25), 1..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn finds_the_papers_tantivys_phrase_prefix_query_finds(
            papers in papers(),
            segments in 1usize..4,
            phrase in prop::collection::vec(0usize..39, 1..4),
            prefix_len in 1usize..3,
        ) {
            let (searcher, field) = index(&papers, segments);
            let words = vocabulary();
            let mut terms: Vec<(usize, String)> =
                phrase.iter().enumerate().map(|(i, &w)| (i, words[w].clone())).collect();
            let last = terms.len() - 1;
            terms[last].1.truncate(prefix_len);
            let ours = CompletedPhrase::new(field, &terms).unwrap();
            let expected = if terms.len() > 1 {
                found(&searcher, &tantivys(field, &terms))
            } else {
                // One word: the papers of the words starting with it.
                let mut all = HashSet::new();
                for word in words.iter().filter(|w| w.starts_with(&terms[0].1)) {
                    let term = Term::from_field_text(field, word);
                    let query = tantivy::query::TermQuery::new(term, IndexRecordOption::Basic);
                    all.extend(found(&searcher, &query));
                }
                all
            };
            prop_assert_eq!(found(&searcher, &ours), expected, "{:?}", terms);
        }
    }

    #[test]
    fn a_common_first_word_and_a_short_prefix_find_what_tantivy_finds() {
        // Every paper has `a`, and `b` completes to words in many papers and in few.
        let words = vocabulary();
        let at = |w: &str| words.iter().position(|x| x == w).unwrap();
        let papers: Vec<Vec<usize>> = (0..600)
            .map(|i| {
                let mut paper = vec![at("a"), at("ba"), at("c")];
                if i % 7 == 0 {
                    paper.extend([at("a"), at("bcc")]);
                }
                if i % 3 == 0 {
                    paper.extend([at("a"), at("bb")]);
                }
                if i == 599 {
                    paper.extend([at("a"), at("bab")]);
                }
                paper
            })
            .collect();
        let (searcher, field) = index(&papers, 2);
        for phrase in [
            ["a", "b"],
            ["a", "bc"],
            ["a", "bab"],
            ["c", "b"],
            ["a", "bb"],
        ] {
            let terms: Vec<(usize, String)> = phrase
                .iter()
                .enumerate()
                .map(|(i, w)| (i, w.to_string()))
                .collect();
            let ours = found(&searcher, &CompletedPhrase::new(field, &terms).unwrap());
            assert_eq!(
                ours,
                found(&searcher, &tantivys(field, &terms)),
                "{phrase:?}"
            );
        }
        let terms = [(0, "a".to_string()), (1, "b".to_string())];
        assert_eq!(
            found(&searcher, &CompletedPhrase::new(field, &terms).unwrap()).len(),
            600
        );
        let terms = [(0, "c".to_string()), (1, "b".to_string())];
        assert!(found(&searcher, &CompletedPhrase::new(field, &terms).unwrap()).is_empty());
    }
}
