//! Top hits of an OR of weighted terms, the shape of every keyword query: each word searched in
//! the ranking field, the title (at a small boost) and the authors.
//!
//! tantivy answers such a union with block-max WAND, which keeps every clause in play and
//! re-sorts all of them at each step; with three clauses per word most of its time went there.
//! [`TermUnion`] ranks with block-max MaxScore instead (Turtle and Flood's MaxScore with block
//! bounds, as Lucene does for disjunctions): clauses whose best possible scores together cannot
//! reach the current k-th best score are only looked up for papers the others found. Papers are
//! ranked a window of ids at a time, as Lucene's `MaxScoreBulkScorer` ranks them: within a
//! window each clause's block bound decides whether it is walked (its scores added into the
//! window's array) or looked up, and a window whose bounds fall short is skipped. Three things make
//! the bounds tighter than a plain MaxScore's: a title word rides along with the same word of
//! the ranking field ([`TermUnion::within`]: it is only ever where that one is), so the two
//! count as one clause; each segment after the first starts from the k-th best score of those
//! before; and terms are looked up once per segment. Once no paper can make the top k without
//! a given title word (a one-word query whose top papers all have it in their titles), only the
//! papers with that title word are looked at. Told its k ([`TermUnion::expecting`]), a
//! multi-word union gives the first segment a head start: the k-th best score of a few papers
//! likely to rank high, scored ahead.
//!
//! Invariant: the same papers with the same scores as tantivy's `BooleanQuery` of the same
//! boosted `TermQuery`s (scores summed in another order may differ in the last bit); counting,
//! explaining and collectors other than top-k by score use a plain union of the same cursors.

use std::sync::{Mutex, PoisonError};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, EnableScoring, Explanation,
    Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// An OR of terms, each scored by BM25 times its boost.
#[derive(Debug, Clone)]
pub struct TermUnion {
    clauses: Vec<(Term, Score)>,
    /// `within[i] = Some(j)`: every paper clause `i` matches, clause `j` matches too.
    within: Vec<Option<usize>>,
    /// `carries[j]`: some clause is within clause `j` (kept beside `within` so that linking
    /// need not search it: a query of thousands of words links thousands of clauses).
    carries: Vec<bool>,
    /// How many top papers the search keeps, when known: see [`TermUnion::expecting`].
    expect: Option<usize>,
}

impl TermUnion {
    pub fn new(clauses: Vec<(Term, Score)>) -> TermUnion {
        let within = vec![None; clauses.len()];
        let carries = vec![false; clauses.len()];
        TermUnion {
            clauses,
            within,
            carries,
            expect: None,
        }
    }

    /// Tells the union that it is searched for the top `k` papers, so that the first segment
    /// need not start from nothing: a few papers likely to score well are scored first, and
    /// the `k`-th best of them is a score the top `k` will reach anyway
    /// ([`TermUnionWeight::estimate`]).
    ///
    /// Contract: the union is then searched only with a `TopDocs` keeping at most `k` papers
    /// (its limit plus offset). A collector that keeps more, or every paper, would lose the
    /// papers under the head start; hence crate-only, set where the collector is made.
    pub(crate) fn expecting(mut self, k: usize) -> TermUnion {
        self.expect = Some(k);
        self
    }

    /// Declares that clause `i` only matches papers clause `j` matches (a title word is also
    /// in the ranking field). Ranking then treats the two as one clause with the sum of their
    /// best scores, rather than as two independent chances to score: a tighter bound, so more
    /// papers are passed over. Links are one level deep: ignored if out of range, pointing at
    /// itself, if `i` is linked already, or if it would make a chain (`j` rides along with
    /// another clause, or another rides along with `i`).
    pub fn within(mut self, i: usize, j: usize) -> TermUnion {
        let n = self.clauses.len();
        if i != j
            && i < n
            && j < n
            && self.within[i].is_none()
            && self.within[j].is_none()
            && !self.carries[i]
        {
            self.within[i] = Some(j);
            self.carries[j] = true;
        }
        self
    }

    /// The same union as tantivy's own query (ranked by its block-max WAND), to measure against.
    pub fn to_boolean(&self) -> BooleanQuery {
        BooleanQuery::new(
            self.clauses
                .iter()
                .map(|(term, boost)| {
                    let q: Box<dyn Query> = Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        *boost,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        )
    }
}

/// `query` as tantivy alone would run it: a [`TermUnion`] becomes tantivy's boolean query.
pub fn as_tantivy(query: &dyn Query) -> Box<dyn Query> {
    match query.downcast_ref::<TermUnion>() {
        Some(union) => Box::new(union.to_boolean()),
        None => query.box_clone(),
    }
}

impl Query for TermUnion {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.union_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (term, _) in &self.clauses {
            visitor(term, false);
        }
    }
}

impl TermUnion {
    /// [`Query::weight`], as its own type, for [`crate::filter::Filtered`].
    pub(crate) fn union_weight(
        &self,
        scoring: EnableScoring<'_>,
    ) -> tantivy::Result<TermUnionWeight> {
        // Each clause's weight without its boost, and the statistics it was made from where
        // it carries no explanation.
        let mut plain: Vec<(Option<Bm25Weight>, Option<Statistics>)> =
            Vec::with_capacity(self.clauses.len());
        let mut segments = Vec::new();
        match scoring {
            // The searcher's own statistics: each term is looked up once per segment, for its
            // document frequency and then for its postings (tantivy looks it up twice).
            EnableScoring::Enabled {
                searcher,
                statistics_provider,
            } if is_searcher(statistics_provider, searcher) => {
                for reader in searcher.segment_readers() {
                    let mut infos = Vec::with_capacity(self.clauses.len());
                    for (term, _) in &self.clauses {
                        infos.push(reader.inverted_index(term.field())?.get_term_info(term)?);
                    }
                    segments.push((reader.segment_id(), infos));
                }
                let docs = searcher.total_num_docs()?;
                for (i, (term, _)) in self.clauses.iter().enumerate() {
                    let doc_freq: u64 = segments
                        .iter()
                        .filter_map(|(_, infos)| infos[i].as_ref())
                        .map(|info| u64::from(info.doc_freq))
                        .sum();
                    // As `Bm25Weight::for_terms` computes it for one term, but without the
                    // explanation of its idf: three strings built, and copied for each cursor,
                    // for a score that is rarely explained (`explain` builds it then).
                    let tokens = searcher.total_num_tokens(term.field())?;
                    let average = tokens as Score / docs as Score;
                    let weight = Bm25Weight::for_one_term_without_explain(doc_freq, docs, average);
                    plain.push((Some(weight), Some((doc_freq, docs, average))));
                }
            }
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => {
                for (term, _) in &self.clauses {
                    let bm25 =
                        Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(term))?;
                    plain.push((Some(bm25), None));
                }
            }
            EnableScoring::Disabled { .. } => plain.resize(self.clauses.len(), (None, None)),
        }
        let clauses = self
            .clauses
            .iter()
            .zip(plain)
            .map(|((term, boost), (plain, statistics))| WeightedTerm {
                bm25: plain.as_ref().map(|w| w.boost_by(*boost)),
                term: term.clone(),
                boost: *boost,
                plain,
                statistics,
            })
            .collect();
        Ok(TermUnionWeight {
            clauses,
            within: self.within.clone(),
            expect: self.expect,
            segments,
            floor: Mutex::new(Score::MIN),
        })
    }
}

/// A clause of the union, ready to score.
struct WeightedTerm {
    term: Term,
    boost: Score,
    /// BM25's weight times the boost; `None` when scores are not wanted.
    bm25: Option<Bm25Weight>,
    /// Without the boost, to explain a score as tantivy's boosted term query does.
    plain: Option<Bm25Weight>,
    /// Where `plain` was made without the explanation of its idf, what it was made from.
    statistics: Option<Statistics>,
}

/// A term's document frequency, the number of papers and its field's average length.
type Statistics = (u64, u64, Score);

/// Whether the statistics are the searcher's own (`Searcher::search` passes the searcher as
/// its own provider). A provider at the searcher's address that is not it would hold it as its
/// first field, and then be larger than it; only a newtype around this very searcher, with
/// statistics of its own, would pass for it. (Vtables cannot tell: each crate has its own.)
fn is_searcher(provider: &dyn Bm25StatisticsProvider, searcher: &tantivy::Searcher) -> bool {
    std::ptr::addr_eq(provider, searcher)
        && std::mem::size_of_val(provider) == std::mem::size_of::<tantivy::Searcher>()
}

pub(crate) struct TermUnionWeight {
    clauses: Vec<WeightedTerm>,
    /// As [`TermUnion::within`].
    within: Vec<Option<usize>>,
    /// As [`TermUnion::expecting`].
    expect: Option<usize>,
    /// Each segment's term infos, clause by clause, when looked up already.
    segments: Vec<(SegmentId, Vec<Option<TermInfo>>)>,
    /// The k-th best score of the segments searched so far: a paper of another segment that
    /// scores below it cannot make the top k either, so later segments start from there. This
    /// holds for a top k taken over all segments together (tantivy's `TopDocs`, the only
    /// collector that calls `for_each_pruning`), not for a collector keeping each segment's
    /// own top k.
    floor: Mutex<Score>,
}

/// Papers scored ahead of a first segment's ranking, for [`TermUnionWeight::estimate`].
const SAMPLE: usize = 32;

impl TermUnionWeight {
    /// A cursor per term present in the segment.
    fn cursors(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Cursor>> {
        Ok(self.clause_cursors(reader)?.into_iter().flatten().collect())
    }

    /// Each clause's cursor, `None` where its term is not in the segment.
    fn clause_cursors(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Option<Cursor>>> {
        let mut cursors = Vec::with_capacity(self.clauses.len());
        let known = self
            .segments
            .iter()
            .find(|(id, _)| *id == reader.segment_id())
            .map(|(_, infos)| infos);
        for (i, WeightedTerm { term, bm25, .. }) in self.clauses.iter().enumerate() {
            let field = term.field();
            let inverted = reader.inverted_index(field)?;
            let info = match known {
                Some(infos) => infos[i].clone(),
                None => inverted.get_term_info(term)?,
            };
            let Some(info) = info else {
                cursors.push(None);
                continue;
            };
            let postings =
                inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
            let norms = match (bm25, reader.fieldnorms_readers().get_field(field)?) {
                (Some(_), Some(norms)) => norms,
                _ => FieldNormReader::constant(reader.max_doc(), 1),
            };
            cursors.push(Some(Cursor::new(postings, norms, bm25.clone())));
        }
        Ok(cursors)
    }

    /// The clauses present in the segment, each clause that only matches where another does
    /// riding along with that one.
    fn groups(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Group>> {
        let mut cursors = self.clause_cursors(reader)?;
        let mut followers: Vec<Vec<Cursor>> = (0..cursors.len()).map(|_| Vec::new()).collect();
        for (i, within) in self.within.iter().enumerate() {
            if let Some(j) = *within {
                if cursors[j].is_some() {
                    if let Some(c) = cursors[i].take() {
                        followers[j].push(c);
                    }
                }
            }
        }
        Ok(cursors
            .into_iter()
            .zip(followers)
            .filter_map(|(lead, followers)| lead.map(|lead| Group::new(lead, followers)))
            .collect())
    }

    /// A score the top `k` papers of this search will all reach: the `k`-th best of a few
    /// live papers likely to score well, each scored in full (the first [`SAMPLE`] papers with
    /// the title word of the best-scoring group that has `k` papers, or its word when it has
    /// no title clause). `None` when fewer than `k` such papers are found.
    ///
    /// Without it, the first segment starts from nothing, and until its first `k` papers
    /// push the k-th best score up, every paper of every word is scored: for `data drift`,
    /// 1,376 papers in the first segment of paperlists against 306 in the second, which starts
    /// from the first one's 10th-best score.
    fn estimate(
        &self,
        reader: &SegmentReader,
        k: usize,
        passing: Option<&dyn Fn(DocId) -> bool>,
    ) -> tantivy::Result<Option<Score>> {
        if k == 0 || k > SAMPLE {
            return Ok(None);
        }
        let mut groups = self.groups(reader)?;
        if groups.len() < 2 {
            // One group in this segment (a one-word query, most often): once its top papers
            // are found, only its title papers are walked (`required_follower`), so a head
            // start would save little.
            return Ok(None);
        }
        // Where the papers come from: a clause with at least `k` of them (not an author's
        // name that happens to be a query word, say).
        let source = |g: &Group| match g.followers.first() {
            Some(f) => f.postings.doc_freq(),
            None => g.lead.postings.doc_freq(),
        };
        let Some(best) = (0..groups.len())
            .filter(|&g| source(&groups[g]) as usize >= k)
            .max_by(|&a, &b| groups[a].max.total_cmp(&groups[b].max))
        else {
            return Ok(None);
        };
        let alive = reader.alive_bitset();
        let mut scores: Vec<Score> = Vec::with_capacity(SAMPLE);
        let mut target = 0;
        while scores.len() < SAMPLE {
            let source = &mut groups[best];
            let doc = match source.followers.first_mut() {
                Some(f) => f.seek(target),
                None => source.lead.seek(target),
            };
            if doc == TERMINATED {
                break;
            }
            target = doc + 1;
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                continue;
            }
            // Beside a filter, only papers it lets through can be counted on to reach the top.
            if passing.is_some_and(|passes| !passes(doc)) {
                continue;
            }
            scores.push(groups.iter_mut().map(|g| g.probe(doc)).sum());
        }
        if scores.len() < k {
            return Ok(None);
        }
        let (_, kth, _) = scores.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        // Summed here in another order than when ranked: a margin for the last bits, which
        // grows with the number of terms summed (a pasted abstract makes a long query).
        let margin = (2.0 * groups.len() as Score * Score::EPSILON).max(1e-5);
        #[cfg(test)]
        tests::ESTIMATED.with(|n| n.set(n.get() + 1));
        Ok(Some(*kth - kth.abs() * margin))
    }
}

impl Weight for TermUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut cursors = self.cursors(reader)?;
        if boost != 1.0 {
            for c in &mut cursors {
                if let Some(bm25) = &mut c.bm25 {
                    *bm25 = bm25.boost_by(boost);
                }
            }
        }
        Ok(Box::new(UnionScorer::new(cursors)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let cursors = self.clause_cursors(reader)?;
        let mut details = Vec::new();
        let mut sum = 0.0;
        for (c, clause) in cursors.into_iter().zip(&self.clauses) {
            let Some(mut c) = c else {
                continue;
            };
            if c.seek(doc) != doc {
                continue;
            }
            let Some(plain) = &clause.plain else {
                return Ok(Explanation::new("TermUnion with no scoring", 1.0));
            };
            // As tantivy explains a (boosted) term query.
            let explained;
            let plain = match clause.statistics {
                Some((doc_freq, docs, average)) => {
                    explained = Bm25Weight::for_one_term(doc_freq, docs, average);
                    &explained
                }
                None => plain,
            };
            let mut e = plain.explain(c.norms.fieldnorm_id(doc), c.freq());
            e.add_context(format!("Term={:?}", clause.term));
            if clause.boost != 1.0 {
                let mut boosted = Explanation::new_with_string(
                    format!("Boost x{} of ...", clause.boost),
                    e.value() * clause.boost,
                );
                boosted.add_detail(e);
                e = boosted;
            }
            sum += e.value();
            details.push(e);
        }
        if details.is_empty() {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let mut explanation = Explanation::new("BooleanClause. sum of ...", sum);
        for e in details {
            explanation.add_detail(e);
        }
        Ok(explanation)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.for_each_pruning_among(threshold, reader, None, callback)
    }
}

impl TermUnionWeight {
    /// [`Weight::for_each_pruning`], where only the papers of `passing` (when given) reach
    /// `callback`'s top k: the head start is then taken from them alone.
    pub(crate) fn for_each_pruning_among(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        passing: Option<&dyn Fn(DocId) -> bool>,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut floor = *self.floor.lock().unwrap_or_else(PoisonError::into_inner);
        if floor == Score::MIN {
            if let Some(k) = self.expect {
                floor = self.estimate(reader, k, passing)?.unwrap_or(floor);
            }
        }
        // Just below: a paper scoring exactly the floor still ties, and a tie goes to the
        // segment searched first only if that is the lower-numbered one.
        let reached = max_score(self.groups(reader)?, threshold, floor.next_down(), callback);
        let mut floor = self.floor.lock().unwrap_or_else(PoisonError::into_inner);
        *floor = floor.max(reached);
        Ok(())
    }
}

/// Docs per compressed postings block.
const BLOCK: usize = 128;

/// One term's postings in one segment, walked as tantivy's `SegmentPostings` walks them (a
/// position in the current decoded block), with the block's bound on its score at hand.
struct Cursor {
    postings: BlockSegmentPostings,
    /// Position in the current block.
    at: usize,
    norms: FieldNormReader,
    bm25: Option<Bm25Weight>,
    /// The best score this term can give any paper.
    max: Score,
}

impl Cursor {
    fn new(
        postings: BlockSegmentPostings,
        norms: FieldNormReader,
        bm25: Option<Bm25Weight>,
    ) -> Cursor {
        let max = bm25.as_ref().map_or(1.0, Bm25Weight::max_score);
        Cursor {
            postings,
            at: 0,
            norms,
            bm25,
            max,
        }
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.doc(self.at)
    }

    #[inline]
    fn freq(&self) -> u32 {
        self.postings.freq(self.at)
    }

    #[inline]
    fn advance(&mut self) -> DocId {
        if self.at == BLOCK - 1 {
            self.at = 0;
            self.postings.advance();
        } else {
            self.at += 1;
        }
        self.doc()
    }

    /// Moves to the first doc at or after `target` (never backwards).
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() >= target {
            return self.doc();
        }
        // The next doc is often the one: the block is loaded already.
        self.at = (self.at + 1).min(BLOCK - 1);
        if self.doc() >= target {
            return self.doc();
        }
        self.at = self.postings.seek(target);
        self.doc()
    }

    #[inline]
    fn score(&self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.norms.fieldnorm_id(self.doc()), self.freq()),
            None => 1.0,
        }
    }

    /// Calls `f` with each doc from `start` up to `end` (not included) and its score, and
    /// stops at the first doc at or past `end`.
    #[inline]
    fn each_until(&mut self, start: DocId, end: DocId, mut f: impl FnMut(DocId, Score)) {
        let mut doc = self.seek(start);
        while doc < end {
            f(doc, self.score());
            doc = self.advance();
        }
    }

    /// A bound on the score of every doc of the current block.
    fn block_max(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => self.postings.block_max_score(&self.norms, bm25),
            None => 1.0,
        }
    }

    /// The last doc of the current block.
    fn block_end(&self) -> DocId {
        self.postings.docs().last().copied().unwrap_or(TERMINATED)
    }
}

/// Every doc any term is in, scored by the sum over its terms: for counting, explaining and
/// collectors other than top-k by score.
struct UnionScorer {
    cursors: Vec<Cursor>,
    doc: DocId,
    score: Score,
}

impl UnionScorer {
    fn new(cursors: Vec<Cursor>) -> UnionScorer {
        let mut scorer = UnionScorer {
            cursors,
            doc: 0,
            score: 0.0,
        };
        scorer.settle();
        scorer
    }

    /// Lands on the smallest doc not yet passed and scores it.
    fn settle(&mut self) -> DocId {
        self.doc = self
            .cursors
            .iter()
            .map(Cursor::doc)
            .min()
            .unwrap_or(TERMINATED);
        self.score = 0.0;
        if self.doc != TERMINATED {
            for c in &self.cursors {
                if c.doc() == self.doc {
                    self.score += c.score();
                }
            }
        }
        self.doc
    }
}

impl DocSet for UnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for c in &mut self.cursors {
            if c.doc() == self.doc {
                c.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for c in &mut self.cursors {
            c.seek(target);
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.cursors
            .iter()
            .map(|c| c.postings.doc_freq())
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for UnionScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

/// A clause with the clauses that only match where it does: they are looked up only for the
/// papers it is in, and count as one clause scoring at most the sum of their best scores.
struct Group {
    lead: Cursor,
    followers: Vec<Cursor>,
    /// The followers' best scores, summed.
    followers_max: Score,
    /// The best score the group can give a paper.
    max: Score,
}

impl Group {
    fn new(lead: Cursor, followers: Vec<Cursor>) -> Group {
        let followers_max: Score = followers.iter().map(|c| c.max).sum();
        Group {
            max: lead.max + followers_max,
            lead,
            followers,
            followers_max,
        }
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.lead.doc()
    }

    /// The group's score for `doc`, where the lead is.
    fn score(&mut self, doc: DocId) -> Score {
        let mut followers = 0.0;
        for f in &mut self.followers {
            if f.seek(doc) == doc {
                followers += f.score();
            }
        }
        self.lead.score() + followers
    }

    /// The group's score for `doc`, 0 where the lead is not.
    fn probe(&mut self, doc: DocId) -> Score {
        if self.lead.seek(doc) == doc {
            self.score(doc)
        } else {
            0.0
        }
    }
}

/// Paper ids a window of [`max_score`] spans at most: its scores fit in 16 KiB.
const WINDOW: usize = 4096;

/// Block-max MaxScore: calls `callback` with every paper that scores above `threshold` and
/// `floor` (and maybe others), in increasing id order; `callback` returns its new threshold,
/// and the last one is returned.
///
/// Papers are ranked a window of ids at a time, as Lucene's `MaxScoreBulkScorer` ranks them.
/// A window ends where the first of the walked terms' current postings blocks ends, so each
/// term's block bound holds for the whole window; with those bounds the terms are split
/// afresh into those walked (their papers' scores added into the window's array, a term at a
/// time) and those only looked up for the papers the walked ones found. A common word whose
/// blocks here score low is then looked up rather than walked, and a window no paper of which
/// can reach the threshold is skipped whole.
fn max_score(
    mut groups: Vec<Group>,
    mut reached: Score,
    floor: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) -> Score {
    let mut threshold = reached.max(floor);
    if groups.is_empty() {
        return reached;
    }
    // Ascending best score: the first `essential` groups are the non-essential ones, whose
    // best scores summed (`bound[i]` over groups `..=i`) cannot beat the threshold alone:
    // a paper only they have is never looked at, so only the others' postings are walked.
    groups.sort_by(|a, b| a.max.total_cmp(&b.max));
    let bound: Vec<Score> = groups
        .iter()
        .scan(0.0, |sum, c| {
            *sum += c.max;
            Some(*sum)
        })
        .collect();
    let n = groups.len();
    let mut essential = bound.iter().take_while(|&&b| b <= threshold).count();
    let without = without_followers(&groups);
    let mut driver = required_follower(&groups, &without, essential, threshold);
    let mut window = Window::new();
    // The window's groups looked up rather than walked, best bound first, and the most each
    // with those after it can add (`rests[k]` for `looked[k..]`).
    let mut looked: Vec<Lookup> = Vec::with_capacity(n);
    let mut rests: Vec<Score> = Vec::with_capacity(n);
    let mut in_window: Vec<(usize, Score)> = Vec::with_capacity(n);
    while essential < n {
        // The next paper any essential term is in.
        let start = groups[essential..]
            .iter()
            .map(Group::doc)
            .min()
            .unwrap_or(TERMINATED);
        if start == TERMINATED {
            break;
        }
        if let Some(g) = driver {
            return driven(groups, g, start, reached, floor, callback);
        }
        let mut end = start.saturating_add(WINDOW as DocId);
        for g in &groups[essential..] {
            if g.doc() < end {
                end = end.min(match g.lead.block_end() {
                    TERMINATED => TERMINATED,
                    last => last + 1,
                });
            }
        }
        // Each group's bound in the window: its lead's block bound plus its followers' best,
        // nothing where it has no paper in the window; the non-essential groups at their best.
        let below = if essential == 0 {
            0.0
        } else {
            bound[essential - 1]
        };
        in_window.clear();
        let mut leads = below;
        let mut followers: Score = 0.0;
        for (i, g) in groups.iter_mut().enumerate().skip(essential) {
            if g.doc() < end {
                let lead = g.lead.block_max();
                leads += lead;
                followers += g.followers_max;
                in_window.push((i, lead + g.followers_max));
            }
        }
        if leads + followers <= threshold {
            // No paper of the window can do better.
            for &(i, _) in &in_window {
                groups[i].lead.seek(end);
            }
            continue;
        }
        window.open(start, end);
        let opened = threshold;
        if leads <= threshold {
            // Where the leads alone cannot do better, only a paper with one of these groups'
            // followers (title words) can, as block-max WAND finds when title words are
            // clauses of their own (`reinforcement`, whose word alone scores below the 10th
            // best in most blocks: its title papers are looked at rather than all its papers).
            #[cfg(test)]
            tests::FOLLOWED.with(|n| n.set(n.get() + 1));
            for &(i, _) in &in_window {
                for f in &mut groups[i].followers {
                    f.each_until(start, end, |doc, score| window.add(doc, score));
                }
            }
            // The followers are counted: their leads are looked up alone.
            looked.clear();
            looked.extend(
                in_window
                    .iter()
                    .map(|&(i, _)| Lookup::Lead(i, groups[i].lead.block_max())),
            );
            looked.extend((0..essential).map(|i| Lookup::Group(i, groups[i].max)));
        } else {
            // The window's groups by bound, ascending: those whose bounds, with the
            // non-essential groups', cannot beat the threshold are looked up; the rest walked.
            in_window.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mut sum = below;
            let split = in_window
                .iter()
                .take_while(|&&(_, b)| {
                    sum += b;
                    sum <= threshold
                })
                .count();
            #[cfg(test)]
            if split > 0 {
                tests::LOOKED_UP.with(|n| n.set(n.get() + 1));
            }
            for &(i, _) in &in_window[split..] {
                let g = &mut groups[i];
                g.lead
                    .each_until(start, end, |doc, score| window.add(doc, score));
                for f in &mut g.followers {
                    f.each_until(start, end, |doc, score| window.add_where_marked(doc, score));
                }
            }
            looked.clear();
            looked.extend(in_window[..split].iter().map(|&(i, b)| Lookup::Group(i, b)));
            looked.extend((0..essential).map(|i| Lookup::Group(i, groups[i].max)));
        }
        // Best bound first; each with the most it and those after it can add.
        looked.sort_by(|a, b| b.bound().total_cmp(&a.bound()));
        let mut rest = 0.0;
        rests.clear();
        rests.extend(looked.iter().rev().map(|l| {
            rest += l.bound();
            rest
        }));
        rests.reverse();
        let mut word = 0;
        while let Some(doc) = window.next_marked(&mut word) {
            let mut score = window.take(doc);
            for (l, &rest) in looked.iter().zip(&rests) {
                if score + rest <= threshold {
                    break;
                }
                score += match *l {
                    Lookup::Group(i, _) => groups[i].probe(doc),
                    Lookup::Lead(i, _) => {
                        let lead = &mut groups[i].lead;
                        if lead.seek(doc) == doc {
                            lead.score()
                        } else {
                            0.0
                        }
                    }
                };
            }
            if score > threshold {
                reached = callback(doc, score);
                threshold = reached.max(floor);
            }
        }
        for &(i, _) in &in_window {
            groups[i].lead.seek(end);
        }
        if threshold > opened {
            essential += bound[essential..]
                .iter()
                .take_while(|&&b| b <= threshold)
                .count();
            driver = required_follower(&groups, &without, essential, threshold);
        }
    }
    reached
}

/// What a window's paper is looked up in, with the most it can add there.
#[derive(Clone, Copy)]
enum Lookup {
    /// The group, lead and followers.
    Group(usize, Score),
    /// The group's lead alone (its followers' scores are in the window already).
    Lead(usize, Score),
}

impl Lookup {
    fn bound(self) -> Score {
        match self {
            Lookup::Group(_, b) | Lookup::Lead(_, b) => b,
        }
    }
}

/// The scores of one window's papers, by id from `start`, and which papers it has.
struct Window {
    start: DocId,
    /// As long as the longest window yet (0 where nothing was added): a query whose papers
    /// need no window, or only short ones, does not clear 16 KiB for them.
    scores: Vec<Score>,
    marked: [u64; WINDOW / 64],
    /// How many words of `marked` the window spans.
    words: usize,
}

impl Window {
    fn new() -> Window {
        Window {
            start: 0,
            scores: Vec::new(),
            marked: [0; WINDOW / 64],
            words: 0,
        }
    }

    #[inline]
    fn add(&mut self, doc: DocId, score: Score) {
        let at = (doc - self.start) as usize;
        self.marked[at / 64] |= 1 << (at % 64);
        self.scores[at] += score;
    }

    /// Adds a follower's score where its lead was (under `within`'s contract, wherever the
    /// follower is): a paper the walked leads did not find stays out of the window.
    #[inline]
    fn add_where_marked(&mut self, doc: DocId, score: Score) {
        let at = (doc - self.start) as usize;
        if self.marked[at / 64] & (1 << (at % 64)) != 0 {
            self.scores[at] += score;
        }
    }

    /// Opens the window of papers `start..end`.
    fn open(&mut self, start: DocId, end: DocId) {
        self.start = start;
        let span = (end - start) as usize;
        if self.scores.len() < span {
            self.scores.resize(span, 0.0);
        }
        // Whole words of marks: the window's last may be one not yet reached.
        self.words = span.div_ceil(64).min(self.marked.len());
    }

    /// The next marked paper from word `word` of the marks on, unmarking it.
    #[inline]
    fn next_marked(&mut self, word: &mut usize) -> Option<DocId> {
        while *word < self.words {
            let bits = self.marked[*word];
            if bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                self.marked[*word] = bits & (bits - 1);
                return Some(self.start + (*word * 64 + bit) as DocId);
            }
            *word += 1;
        }
        None
    }

    /// The score added for `doc`, leaving 0 in its place for the next window.
    #[inline]
    fn take(&mut self, doc: DocId) -> Score {
        std::mem::take(&mut self.scores[(doc - self.start) as usize])
    }
}

/// For each group with one follower: the best a paper without that follower can score (every
/// lead and every other follower at its best), and the follower's number of papers.
fn without_followers(groups: &[Group]) -> Vec<(usize, Score, u32)> {
    (0..groups.len())
        .filter(|&g| groups[g].followers.len() == 1)
        .map(|g| {
            // Summed afresh rather than subtracted from the total: no rounding in its favour.
            let without: Score = groups
                .iter()
                .enumerate()
                .map(|(i, o)| if i == g { o.lead.max } else { o.max })
                .sum();
            (g, without, groups[g].followers[0].postings.doc_freq())
        })
        .collect()
}

/// A group with one follower that every paper scoring above `threshold` must have (for a
/// one-word query, once the top papers all have the word in their titles), from
/// [`without_followers`]. Of several, the one with the fewest papers; none unless it has fewer
/// than the essential groups' leads from `essential` on, which would be walked otherwise.
fn required_follower(
    groups: &[Group],
    without: &[(usize, Score, u32)],
    essential: usize,
    threshold: Score,
) -> Option<usize> {
    let walked: u64 = groups[essential.min(groups.len())..]
        .iter()
        .map(|c| u64::from(c.lead.postings.doc_freq()))
        .sum();
    without
        .iter()
        .filter(|&&(_, best, papers)| best <= threshold && u64::from(papers) < walked)
        .min_by_key(|&&(_, _, papers)| papers)
        .map(|&(g, _, _)| g)
}

/// The rest of [`max_score`], from paper `start` on, once group `g`'s follower is required:
/// only the papers it is in are looked at, every other group looked up for them, best first,
/// while the paper can still make it.
fn driven(
    mut groups: Vec<Group>,
    g: usize,
    start: DocId,
    mut reached: Score,
    floor: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) -> Score {
    #[cfg(test)]
    tests::DRIVEN.with(|n| n.set(n.get() + 1));
    let mut threshold = reached.max(floor);
    // The others, best first, each with the best the ones after it can add.
    let mut others: Vec<usize> = (0..groups.len()).filter(|&i| i != g).collect();
    others.sort_by(|&a, &b| groups[b].max.total_cmp(&groups[a].max));
    let rest: Vec<Score> = (0..others.len())
        .map(|k| others[k..].iter().map(|&i| groups[i].max).sum())
        .collect();
    let mut target = start;
    loop {
        let doc = groups[g].followers[0].seek(target);
        if doc == TERMINATED {
            break;
        }
        target = doc + 1;
        let group = &mut groups[g];
        // Where the lead's block at hand holds the paper, its bound may rule the paper out
        // before the lead is sought: most title papers, once the top ones are found.
        if doc <= group.lead.block_end() {
            let best = group.followers[0].score()
                + group.lead.block_max()
                + rest.first().copied().unwrap_or(0.0);
            if best <= threshold {
                #[cfg(test)]
                tests::RULED_OUT.with(|n| n.set(n.get() + 1));
                continue;
            }
        }
        // Under `within`'s contract the lead is always there; were it not, the paper is passed
        // over, as `max_score` never scores a follower without its lead.
        if group.lead.seek(doc) != doc {
            continue;
        }
        let mut score = group.score(doc);
        for (k, &i) in others.iter().enumerate() {
            if score + rest[k] <= threshold {
                break;
            }
            score += groups[i].probe(doc);
        }
        if score > threshold {
            reached = callback(doc, score);
            threshold = reached.max(floor);
        }
    }
    reached
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;
    use std::sync::OnceLock;

    use proptest::prelude::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::Query;
    use tantivy::schema::{Field, Schema, TEXT};
    use tantivy::{doc, DocAddress, Index, IndexReader, Term};

    use super::TermUnion;
    use crate::filter::Filtered;
    use proptest::test_runner::TestCaseError;
    use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::IndexRecordOption;

    thread_local! {
        /// How often [`super::driven`] took over and [`super::TermUnionWeight::estimate`] gave
        /// a head start on this thread: the tests of those paths check that they ran.
        pub(super) static DRIVEN: Cell<usize> = const { Cell::new(0) };
        pub(super) static ESTIMATED: Cell<usize> = const { Cell::new(0) };
        /// How often [`super::max_score`] looked only at a window's papers with a title word.
        pub(super) static FOLLOWED: Cell<usize> = const { Cell::new(0) };
        /// How often a window of [`super::max_score`] looked up an essential term's papers
        /// rather than walking them.
        pub(super) static LOOKED_UP: Cell<usize> = const { Cell::new(0) };
        /// How often [`super::driven`] ruled a title paper out by its word's block bound.
        pub(super) static RULED_OUT: Cell<usize> = const { Cell::new(0) };
    }

    const WORDS: [&str; 12] = [
        "model",
        "learning",
        "network",
        "graph",
        "drift",
        "data",
        "vision",
        "robot",
        "policy",
        "speech",
        "quantum",
        "straggler",
    ];

    /// A source of text drawn from `words`, word i about twice as often as word i + 1 (as
    /// real vocabularies are skewed): `text(n)` is n words. Deterministic for a `seed`.
    pub(crate) fn skewed_text(
        words: &'static [&'static str],
        mut seed: u64,
    ) -> impl FnMut(u64) -> String {
        move |count| {
            (0..count)
                .map(|_| {
                    // xorshift64
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    words[(seed.trailing_zeros() as usize).min(words.len() - 1)]
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    /// Several segments (some with deleted papers) of papers long enough to fill many postings
    /// blocks, words drawn with very different frequencies, two fields.
    fn index() -> &'static (Index, IndexReader, Field, Field) {
        static INDEX: OnceLock<(Index, IndexReader, Field, Field)> = OnceLock::new();
        INDEX.get_or_init(|| {
            let mut schema = Schema::builder();
            let body = schema.add_text_field("body", TEXT);
            let title = schema.add_text_field("title", TEXT);
            let index = Index::create_in_ram(schema.build());
            let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
            let mut words = skewed_text(&WORDS, 0x2545_f491_4f6c_dd1d);
            for segment in 0..3 {
                for i in 0..1500u64 {
                    // As in paperdex's ranking field, the body holds the title.
                    let t = words(1 + i % 6);
                    let b = format!("{t} {}", words(1 + (i * 7919) % 60));
                    writer.add_document(doc!(body => b, title => t)).unwrap();
                }
                if segment == 1 {
                    writer.delete_term(Term::from_field_text(title, "robot"));
                }
                writer.commit().unwrap();
            }
            let reader = index.reader().unwrap();
            (index, reader, body, title)
        })
    }

    /// A keyword query as paperdex builds one: each word in the body, with its title word at
    /// 0.2 riding along.
    fn keyword_union(body: Field, title: Field, words: &[&str]) -> TermUnion {
        let mut clauses = Vec::new();
        for w in words {
            clauses.push((Term::from_field_text(body, w), 1.0));
            clauses.push((Term::from_field_text(title, w), 0.2));
        }
        let mut union = TermUnion::new(clauses);
        for i in 0..words.len() {
            union = union.within(2 * i + 1, 2 * i);
        }
        union
    }

    fn clauses_strategy() -> impl Strategy<Value = Vec<(usize, bool, f32)>> {
        proptest::collection::vec(
            (
                0..WORDS.len() + 1,
                any::<bool>(),
                prop_oneof![Just(1.0f32), Just(0.2f32), Just(2.5f32)],
            ),
            1..7,
        )
    }

    /// Links are one level deep: a chain is refused, and ranking stays tantivy's.
    #[test]
    fn a_chain_of_links_is_refused() {
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        let union = TermUnion::new(vec![
            (Term::from_field_text(*title, "data"), 0.2),
            (Term::from_field_text(*body, "data"), 1.0),
            (Term::from_field_text(*body, "model"), 1.0),
        ])
        .within(0, 1)
        .within(1, 2)
        .within(2, 0);
        let top = TopDocs::with_limit(20).order_by_score();
        let ours = searcher.search(&union, &top).unwrap();
        let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
        let scores = |v: &[(f32, DocAddress)]| v.iter().map(|(s, _)| *s).collect::<Vec<_>>();
        for (a, b) in scores(&ours).iter().zip(scores(&theirs)) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert_eq!(ours.len(), theirs.len());
    }

    /// A one-word query: once the top papers all have the word in their titles, only papers
    /// with it in the title are walked. The same papers and scores as tantivy's, at every k.
    #[test]
    fn a_required_title_word_ranks_as_tantivy_does() {
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        for word in ["model", "graph", "speech"] {
            let union = TermUnion::new(vec![
                (Term::from_field_text(*body, word), 1.0),
                (Term::from_field_text(*title, word), 1.0),
            ])
            .within(1, 0);
            for k in [1, 5, 40] {
                let top = TopDocs::with_limit(k).order_by_score();
                let before = DRIVEN.with(Cell::get);
                let ruled_out = RULED_OUT.with(Cell::get);
                let ours = searcher.search(&union, &top).unwrap();
                // A rarer word's papers may all lie in one window (up to 4,096 ids), ranked
                // before its title papers turn out to be the only ones needed; forty top papers
                // need not all have the word in their titles.
                if word != "speech" && k <= 5 {
                    assert!(DRIVEN.with(Cell::get) > before, "{word} k={k}: not driven");
                }
                // Most title papers of a common word cannot pass the k-th best score once it is
                // known: they are ruled out by the word's block bound, not looked up.
                if word != "speech" {
                    assert!(
                        RULED_OUT.with(Cell::get) > ruled_out,
                        "{word} k={k}: none ruled out"
                    );
                }
                let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
                assert_eq!(ours.len(), k, "{word} k={k}");
                // Two terms summed: the same two numbers, so the same scores to the bit.
                assert_eq!(ours, theirs, "{word} k={k}");
            }
        }
    }

    /// Where the words' blocks alone cannot reach the k-th best score, only papers with a
    /// title word are looked at, up to the end of those blocks: the same papers and scores as
    /// tantivy's (which finds it with the title words as clauses of their own).
    #[test]
    fn papers_without_a_needed_title_word_are_passed_over() {
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        for words in [
            &["drift"][..],
            &["vision"],
            &["graph", "drift"],
            &["learning", "vision", "speech"],
        ] {
            let union = keyword_union(*body, *title, words);
            // Which segment is searched first (and so how soon the k-th best score is known)
            // varies with the segments' random ids: the path is checked over the three k.
            let before = FOLLOWED.with(Cell::get);
            for k in [1, 10, 30] {
                ranks_alike(&searcher, &union, k, words);
            }
            assert!(
                FOLLOWED.with(Cell::get) > before,
                "{words:?}: no paper passed over"
            );
        }
    }

    /// The union's top `k` papers are tantivy's, in the same order, with the same scores but
    /// for the last bits of a sum taken in another order.
    fn ranks_alike(searcher: &tantivy::Searcher, union: &TermUnion, k: usize, words: &[&str]) {
        let top = TopDocs::with_limit(k).order_by_score();
        let ours = searcher.search(union, &top).unwrap();
        let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
        assert_eq!(ours.len(), k, "{words:?} k={k}");
        for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
            assert_eq!(x, y, "{words:?} k={k}");
            assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {b}");
        }
    }

    /// A word whose blocks in a window score too little to lift a paper past the k-th best
    /// with the other words there is looked up for the papers they find, not walked: the same
    /// papers and scores as tantivy's.
    #[test]
    fn a_word_weak_in_a_window_is_looked_up_not_walked() {
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        let before = LOOKED_UP.with(Cell::get);
        for words in [
            &["network", "data", "vision"][..],
            &["graph", "robot", "policy"],
        ] {
            let union = keyword_union(*body, *title, words);
            for k in [1, 10] {
                ranks_alike(&searcher, &union, k, words);
            }
        }
        assert!(LOOKED_UP.with(Cell::get) > before, "no word looked up");
    }

    /// The first segment starts from the k-th best score of a sample of papers: when the
    /// sample holds the whole top k, the k-th of them is still found (it scores exactly that),
    /// and papers deleted since are not counted in it.
    #[test]
    fn the_estimated_start_keeps_the_kth_paper() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let title = schema.add_text_field("title", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..20 {
            // Twenty papers with the word in the title, of twenty lengths; more without it.
            let padding = "filler ".repeat(i);
            writer
                .add_document(doc!(body => format!("alpha {padding}"), title => "alpha"))
                .unwrap();
        }
        for i in 0..200 {
            let padding = "filler ".repeat(i % 30);
            writer
                .add_document(doc!(body => format!("beta {padding}"), title => "beta"))
                .unwrap();
        }
        // The best of all, deleted: it must not raise the start.
        writer
            .add_document(doc!(body => "alpha alpha alpha gone", title => "alpha"))
            .unwrap();
        writer.commit().unwrap();
        writer.delete_term(Term::from_field_text(body, "gone"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        // Two words: a one-word query gets no head start.
        let union = TermUnion::new(vec![
            (Term::from_field_text(body, "alpha"), 1.0),
            (Term::from_field_text(title, "alpha"), 0.2),
            (Term::from_field_text(body, "filler"), 1.0),
        ])
        .within(1, 0);
        // A page further on keeps limit plus offset papers, and is told so, as `Engine::top`
        // tells it.
        for (limit, offset) in [(1, 0), (10, 0), (20, 0), (5, 5), (3, 17)] {
            let top = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_score();
            let before = ESTIMATED.with(Cell::get);
            let ours = searcher
                .search(&union.clone().expecting(limit + offset), &top)
                .unwrap();
            assert!(
                ESTIMATED.with(Cell::get) > before,
                "{limit}+{offset}: no head start"
            );
            let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
            assert_eq!(ours.len(), limit, "{limit}+{offset}");
            for ((a, da), (b, db)) in ours.iter().zip(&theirs) {
                assert!(
                    (a - b).abs() <= 1e-6 * a.abs(),
                    "{limit}+{offset}: {a} vs {b}"
                );
                assert_eq!(da, db, "{limit}+{offset}");
            }
        }
    }

    /// Segments searched on several threads at once each start from what they find (the floor
    /// shared through the weight may or may not be set yet): the same papers as tantivy's.
    #[test]
    fn segments_searched_in_parallel_rank_as_tantivy_does() {
        let (index, _, body, title) = index();
        let mut index = index.clone();
        index.set_default_multithread_executor().unwrap();
        let searcher = index.reader().unwrap().searcher();
        for words in [
            &["graph", "drift"][..],
            &["model", "vision", "speech"],
            &["data"],
        ] {
            let union = keyword_union(*body, *title, words);
            for k in [1, 10, 30] {
                let top = TopDocs::with_limit(k).order_by_score();
                let ours = searcher.search(&union.clone().expecting(k), &top).unwrap();
                let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
                assert_eq!(ours.len(), theirs.len(), "{words:?} k={k}");
                for ((a, _), (b, _)) in ours.iter().zip(&theirs) {
                    assert!(
                        (a - b).abs() <= 1e-6 * a.abs(),
                        "{words:?} k={k}: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// An explanation names each matching clause's own term, boosted clauses as tantivy shows
    /// them, even when an earlier clause's term is in no paper at all.
    #[test]
    fn explanations_name_the_matching_terms() {
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        let union = TermUnion::new(vec![
            (Term::from_field_text(*body, "absent"), 1.0),
            (Term::from_field_text(*title, "vision"), 0.2),
            (Term::from_field_text(*body, "vision"), 1.0),
        ]);
        let top = searcher
            .search(&union, &TopDocs::with_limit(1).order_by_score())
            .unwrap();
        let (score, address) = top[0];
        let explanation = union.explain(&searcher, address).unwrap();
        let json = explanation.to_pretty_json();
        assert!((explanation.value() - score).abs() < 1e-4, "{json}");
        assert!(!json.contains("absent"), "{json}");
        assert!(json.contains("Boost x0.2 of ..."), "{json}");
        assert_eq!(json.matches("vision").count(), 2, "{json}");
        let theirs = union.to_boolean().explain(&searcher, address).unwrap();
        assert!((theirs.value() - explanation.value()).abs() < 1e-4);
    }

    /// Statistics from elsewhere (another shard's, say): the same as tantivy's term queries
    /// given the same statistics, here the searcher's own seen through another provider.
    #[test]
    fn other_statistics_are_used_as_given() {
        struct Via<'a>(&'a tantivy::Searcher);
        impl Bm25StatisticsProvider for Via<'_> {
            fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
                self.0.total_num_tokens(field)
            }
            fn total_num_docs(&self) -> tantivy::Result<u64> {
                self.0.total_num_docs()
            }
            fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
                self.0.doc_freq(term)
            }
        }
        let (_, reader, body, title) = index();
        let searcher = reader.searcher();
        let union = TermUnion::new(vec![
            (Term::from_field_text(*body, "graph"), 1.0),
            (Term::from_field_text(*title, "graph"), 0.2),
            (Term::from_field_text(*body, "drift"), 1.0),
        ])
        .within(1, 0);
        let top = TopDocs::with_limit(10).order_by_score();
        let direct = searcher.search(&union, &top).unwrap();
        let via = searcher
            .search_with_statistics_provider(&union, &top, &Via(&searcher))
            .unwrap();
        let theirs = searcher.search(&union.to_boolean(), &top).unwrap();
        assert_eq!(direct.len(), 10);
        assert_eq!(direct, via);
        let ids = |v: &[(f32, DocAddress)]| v.iter().map(|(_, d)| *d).collect::<Vec<_>>();
        assert_eq!(ids(&direct), ids(&theirs));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// MaxScore finds the top papers tantivy's block-max WAND finds, with the same scores
        /// (but for the last bits of a sum taken in another order), and counts alike.
        #[test]
        fn ranks_as_tantivy_does(
            picked in clauses_strategy(),
            k in 1usize..40,
            link in any::<bool>(),
            expect in any::<bool>(),
        ) {
            let (_, reader, body, title) = index();
            let searcher = reader.searcher();
            let clauses: Vec<(Term, f32)> = picked
                .iter()
                .map(|&(w, in_title, boost)| {
                    // One past the vocabulary: a term no paper has.
                    let word = WORDS.get(w).copied().unwrap_or("absent");
                    let field = if in_title { *title } else { *body };
                    (Term::from_field_text(field, word), boost)
                })
                .collect();
            let mut ours = TermUnion::new(clauses.clone());
            if link {
                // A title word rides along with the same word of the body, as paperdex's
                // keyword queries declare it.
                for (i, &(w, in_title, _)) in picked.iter().enumerate() {
                    let body_clause = picked.iter().position(|&(v, t, _)| v == w && !t);
                    if let (true, Some(j)) = (in_title, body_clause) {
                        ours = ours.within(i, j);
                    }
                }
            }
            if expect {
                // Told how many papers the search keeps, as paperdex's searches tell it.
                ours = ours.expecting(k);
            }
            let theirs = ours.to_boolean();
            same_top(&searcher, &ours, &theirs, k)?;
        }

        /// Beside a filter, the union still prunes, and finds the papers and scores tantivy's
        /// boolean query finds among those the filter lets through.
        #[test]
        fn a_filter_keeps_the_ranking_of_what_it_lets_through(
            picked in proptest::collection::vec(0..WORDS.len(), 1..5),
            k in 1usize..40,
            filter_word in 0..WORDS.len(),
            filter_in_title in any::<bool>(),
            expect in any::<bool>(),
        ) {
            let (_, reader, body, title) = index();
            let searcher = reader.searcher();
            let words: Vec<&str> = picked.iter().map(|&w| WORDS[w]).collect();
            let union = keyword_union(*body, *title, &words);
            let field = if filter_in_title { *title } else { *body };
            let filter = TermQuery::new(
                Term::from_field_text(field, WORDS[filter_word]),
                IndexRecordOption::Basic,
            );
            let mut ours = Filtered::new(Box::new(union.clone()), Box::new(filter.clone()));
            if expect {
                // The head start, which must sample only papers the filter lets through.
                ours = ours.expecting(k);
            }
            let theirs = BooleanQuery::new(vec![
                (Occur::Must, Box::new(union.to_boolean()) as Box<dyn Query>),
                (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(filter), 0.0))),
            ]);
            same_top(&searcher, &ours, &theirs, k)?;
        }
    }

    /// The same top `k` papers with the same scores (but for the last bits of a sum taken in
    /// another order), the same count, and the first paper's score explained.
    fn same_top(
        searcher: &tantivy::Searcher,
        ours: &dyn Query,
        theirs: &dyn Query,
        k: usize,
    ) -> Result<(), TestCaseError> {
        let top = TopDocs::with_limit(k).order_by_score();
        let a: Vec<(f32, DocAddress)> = searcher.search(ours, &top).unwrap();
        let b: Vec<(f32, DocAddress)> = searcher.search(theirs, &top).unwrap();
        prop_assert_eq!(a.len(), b.len());
        let close = |x: f32, y: f32| (x - y).abs() <= 1e-6 * x.abs().max(1.0);
        for (i, ((sa, da), (sb, db))) in a.iter().zip(&b).enumerate() {
            prop_assert!(close(*sa, *sb), "rank {}: {} vs {}", i, sa, sb);
            // Papers of (nearly) the same score may swap, within the list or at its cut.
            if da != db {
                let cut = b.last().map_or(0.0, |(s, _)| *s);
                prop_assert!(
                    b.iter().any(|(s, d)| d == da && close(*s, *sa)) || close(*sa, cut),
                    "rank {}: {:?} ({}) is not among tantivy's top",
                    i,
                    da,
                    sa
                );
            }
        }
        prop_assert_eq!(
            searcher.search(ours, &Count).unwrap(),
            searcher.search(theirs, &Count).unwrap()
        );
        if let Some(&(score, address)) = a.first() {
            let explained = ours.explain(searcher, address).unwrap().value();
            prop_assert!(close(explained, score), "{} vs {}", explained, score);
        }
        Ok(())
    }
}
