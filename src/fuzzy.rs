//! Typos: fuzzy words (`transfomer~`, `drift~1`) and "did you mean" for words no paper has.
//!
//! A fuzzy word stands for the indexed terms within a few edits of its analyzed term, as
//! Lucene's `FuzzyQuery` and Elasticsearch's `fuzziness` do: an edit is a character inserted,
//! deleted, replaced, or two neighbours swapped. The terms are those of the field searched, so a
//! prose word is stemmed first (`trasnformers~` is `trasnform`, one swap from `transform`).
//! Which terms: the word's own, and of the others only the nearest that more papers have than
//! the word ([`nearest`]). Scoring: the word as typed counts in full, as an exact match ranks
//! first in Meilisearch; each near term by BM25 as if it were as common as the commonest of
//! them (Lucene's blended rewrite: a rare near term does not outrank a common one), times its
//! similarity `1 - edits / length`. Chosen on SciFact train with one typo per query
//! (`benches/typos/eval.py`, README).

use std::collections::BTreeMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, Term, TERMINATED};
use tantivy_fst::Automaton;

use crate::analyzer;
use crate::bm25::idf;
use crate::schema::Fields;
use crate::search;

/// Edits a fuzzy word may be away from a term: Lucene's and Elasticsearch's limit (beyond two,
/// nearly every short term is near every other).
pub const MAX_EDITS: u8 = 2;

/// At most this many near terms stand for a fuzzy word: the nearest, then the commonest
/// (Lucene's `maxExpansions`, Elasticsearch's `max_expansions`).
pub const MAX_EXPANSIONS: usize = 50;

/// A word shorter than this is never corrected: short words are too near too many others
/// (Lucene's `DirectSpellChecker.minQueryLength`).
pub const MIN_CORRECTED_CHARS: usize = 4;

/// The edits a fuzzy word without a number allows, by its analyzed term's length, as
/// Elasticsearch's `fuzziness: AUTO`: none up to 2 characters, one up to 5, two beyond.
pub fn auto_edits(term: &str) -> u8 {
    match term.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// The edit distance between two words, in characters, a swap of neighbours counting as one
/// edit (optimal string alignment, as the automaton that finds near terms counts).
pub fn distance(a: &str, b: &str) -> u32 {
    // "Did you mean" measures hundreds of stems against a word: those of ASCII words are
    // compared as bytes, without collecting chars.
    if a.is_ascii() && b.is_ascii() {
        return table_distance(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    table_distance(&a, &b)
}

fn table_distance<T: PartialEq>(a: &[T], b: &[T]) -> u32 {
    // Three rows of the table: two back (for swaps), one back, and the current one.
    let mut before: Vec<u32> = vec![0; b.len() + 1];
    let mut previous: Vec<u32> = (0..=b.len() as u32).collect();
    let mut current: Vec<u32> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i as u32;
        for j in 1..=b.len() {
            let replace = u32::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + replace);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// How much a near term counts: `1 - edits / length`, the length the shorter of the two (as
/// Lucene's `FuzzyTermsEnum`); 0 when the edits are the whole word.
pub fn similarity(term: &str, near: &str, edits: u32) -> f32 {
    let shorter = term.chars().count().min(near.chars().count()).max(1);
    (1.0 - edits as f32 / shorter as f32).max(0.0)
}

/// An indexed term near a word's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Near {
    pub term: String,
    pub edits: u32,
    /// Papers with the term, in the field searched (deleted ones included, as BM25 counts).
    pub papers: u64,
}

/// The terms of `field` within `edits` of `term` that start with its first letter: `term`
/// itself first (even when no paper has it), then the nearest, the commonest first among
/// equally near ones. Callers cut the list after choosing from it ([`nearest`]).
///
/// The first letter is taken as typed (Elasticsearch's `prefix_length: 1`; Meilisearch counts a
/// typo there as two): typos are seldom there, and it spares walking the whole dictionary
/// under every other letter: the benchmark's fuzzy queries took 2.9 x as long without it (p50;
/// BENCHMARKS.md).
pub fn near(
    searcher: &Searcher,
    field: Field,
    term: &str,
    edits: u8,
) -> tantivy::Result<Vec<Near>> {
    // Papers per term, summed over segments from the dictionary's own entries (deleted papers
    // included, as BM25 counts them): no second look-up per term.
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    // The automaton grows with the word: an id pasted whole is searched as typed. (Analysis
    // drops longer prose and name tokens anyway.)
    let edits = if term.len() > analyzer::MAX_TOKEN_BYTES {
        0
    } else {
        edits.min(MAX_EDITS)
    };
    let mut chars = term.chars();
    if let (true, Some(first)) = (edits > 0, chars.next()) {
        let rest = Term::from_field_text(field, chars.as_str());
        let automaton = FirstFixed {
            first: first.to_string().into_bytes(),
            rest: FuzzyTermQuery::new(rest, edits, true).automaton()?,
        };
        for reader in searcher.segment_readers() {
            let inverted = reader.inverted_index(field)?;
            let mut stream = inverted.terms().search(&automaton).into_stream()?;
            while stream.advance() {
                if let Ok(t) = std::str::from_utf8(stream.key()) {
                    let papers = u64::from(stream.value().doc_freq);
                    *found.entry(t.to_owned()).or_default() += papers;
                }
            }
        }
    }
    let papers = match found.remove(term) {
        Some(papers) => papers,
        None => searcher.doc_freq(&Term::from_field_text(field, term))?,
    };
    let mut near = vec![Near {
        term: term.to_owned(),
        edits: 0,
        papers,
    }];
    let mut others: Vec<Near> = found
        .into_iter()
        .map(|(t, papers)| Near {
            edits: distance(term, &t),
            term: t,
            papers,
        })
        .collect();
    others.sort_by(nearest_first);
    near.extend(others);
    Ok(near)
}

/// The order of [`near`]'s list after the word's own term: the nearest, then the commonest.
fn nearest_first(a: &Near, b: &Near) -> std::cmp::Ordering {
    a.edits
        .cmp(&b.edits)
        .then(b.papers.cmp(&a.papers))
        .then_with(|| a.term.cmp(&b.term))
}

/// Adds to `near` (a [`near`] list) the terms of `more`, another word's list, that it lacks,
/// keeping its order after its own term.
pub fn merge(near: &mut Vec<Near>, more: Vec<Near>) {
    for n in more.into_iter().skip(1) {
        if !near.iter().any(|m| m.term == n.term) {
            near.push(n);
        }
    }
    if let Some(others) = near.get_mut(1..) {
        others.sort_by(nearest_first);
    }
}

/// Accepts what starts with `first` and goes on with what `rest` accepts.
struct FirstFixed<A> {
    first: Vec<u8>,
    rest: A,
}

impl<A: Automaton<State = u32>> Automaton for FirstFixed<A> {
    /// `None` once nothing can match; else how many bytes of `first` have matched, and the
    /// state of `rest` (its start until all of `first` has).
    type State = Option<(usize, u32)>;

    fn start(&self) -> Self::State {
        Some((0, self.rest.start()))
    }

    fn is_match(&self, state: &Self::State) -> bool {
        matches!(state, Some((i, s)) if *i == self.first.len() && self.rest.is_match(s))
    }

    fn can_match(&self, state: &Self::State) -> bool {
        matches!(state, Some((i, s)) if *i < self.first.len() || self.rest.can_match(s))
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let (i, s) = (*state)?;
        if i < self.first.len() {
            return (self.first[i] == byte).then_some((i + 1, s));
        }
        Some((i, self.rest.accept(&s, byte)))
    }
}

/// What a fuzzy word stands for: its own term and, of the others, only the nearest (all those at
/// the smallest number of edits any has). Lucene and Elasticsearch take every term within the
/// edits; with two edits a short stem then reaches common words (`splating~`, stemmed `splate`:
/// `splat` at one edit, but also `state` at two), and a common word, however discounted,
/// outranks the word meant. A spelling corrector offers the nearest words first for the same
/// reason. And only terms more papers have than the word: a word many papers have is no typo,
/// and its rarer neighbours are mostly typos of it or other words.
pub fn nearest(near: Vec<Near>) -> Vec<Near> {
    let own = near.first().map_or(0, |n| n.papers);
    let commoner = |n: &&Near| n.papers > own;
    let closest = near.iter().skip(1).filter(commoner).map(|n| n.edits).min();
    let mut terms = near.into_iter();
    let word = terms.next();
    word.into_iter()
        .chain(terms.filter(|n| Some(n.edits) == closest && commoner(&n)))
        .take(MAX_EXPANSIONS)
        .collect()
}

/// Each near term of `word_term` with the weight its BM25 score is multiplied by when searched
/// in `field`, as if as many papers had it as have the commonest of them, or `commonest` if more
/// (the caller's blend across fields). `near` counts papers in `counted_in`; a title clause
/// reuses the ranking field's near terms, whose papers in the title are then looked up. Terms
/// no paper of `field` has are left out.
pub fn weigh(
    searcher: &Searcher,
    field: Field,
    counted_in: Field,
    word_term: &str,
    near: &[Near],
    commonest: u64,
) -> tantivy::Result<Vec<(String, f32)>> {
    let mut papers = Vec::with_capacity(near.len());
    for n in near {
        papers.push(if field == counted_in {
            n.papers
        } else {
            searcher.doc_freq(&Term::from_field_text(field, &n.term))?
        });
    }
    let others = near.iter().zip(&papers).filter(|(n, _)| n.edits > 0);
    let commonest = others.map(|(_, &p)| p).max().unwrap_or(0).max(commonest);
    // As tantivy's BM25 counts documents: deleted ones too.
    let all: u64 = searcher
        .segment_readers()
        .iter()
        .map(|r| u64::from(r.max_doc()))
        .sum();
    let docs = all.max(commonest);
    let mut weighed = Vec::with_capacity(near.len());
    for (n, &p) in near.iter().zip(&papers) {
        let sim = similarity(word_term, &n.term, n.edits);
        if p == 0 || sim <= 0.0 {
            continue;
        }
        let blend = if n.edits == 0 {
            1.0
        } else {
            idf(commonest, docs) / idf(p, docs)
        };
        weighed.push((n.term.clone(), sim * blend));
    }
    Ok(weighed)
}

/// A word some papers have is still taken for a typo when at most one paper in this many has
/// it and a near word is [`MORE_COMMON`] times as common: in a large collection most typos are
/// in some abstract (`reinforcment` is in 3 of the 87,669 paperlists abstracts). Lucene's
/// `DirectSpellChecker` corrects words in up to 1 % of documents when asked for more popular
/// words; this is stricter, so that a rare word of the field is seldom taken for a typo.
pub const RARE_SHARE: u64 = 10_000;
/// See [`RARE_SHARE`].
pub const MORE_COMMON: u64 = 100;

/// How many near terms of the whole word [`correction`] weighs, the nearest and commonest
/// first; and of each shortened word.
const CORRECTIONS_WEIGHED: usize = 5;
const CORRECTIONS_WEIGHED_SHORTENED: usize = 2;
/// [`correction`] also looks for the word without its last 1 to this many letters.
const MAX_CUT: usize = 4;
/// [`correction`] analyzes the words one edit from a word of at most this many chars (one of
/// 25 has about 1,300 of them).
const MAX_VARIED_CHARS: usize = 24;

/// What [`correction`] needs, in a stemmed field, to offer the words one edit from a typo: the
/// field's stemmer, and `confirm(stem, hoped)`, which of the `hoped` spellings of a stem some
/// paper has.
pub struct Variants<'a> {
    pub stemmer: &'a analyzer::Stemmer,
    pub confirm: &'a Confirm<'a>,
}

/// See [`Variants`].
pub type Confirm<'a> = dyn Fn(&str, &[String]) -> tantivy::Result<Vec<String>> + 'a;

/// The word to suggest for `word`, which no paper of `field` has or few have ("did you mean"),
/// as Lucene's `DirectSpellChecker` picks one: a term at least `min_papers` papers have, within
/// [`auto_edits`] (at least one) of the word's analyzed term, that starts with the same letter
/// (typos are seldom in the first). `analyze` turns a word into its term (`None` if it is not
/// one), `spell` gives a term's spellings in the papers (a stem is not always a word).
///
/// Stemming a misspelled word often keeps a suffix the right word loses (`mortaligy` stays
/// whole, `mortality` is `mortal`), so the word is also looked up with its last letters cut
/// (`mortali`: `mortal`). In a stemmed field ([`Variants`]), the words one edit from what was
/// typed are stemmed too, as a spelling corrector's candidates are (Norvig): the word meant can
/// have a stem much shorter than itself, beyond the edits of the typo's stem or any cut of it
/// (`optimizaton`: `optimization`, whose stem is `optim`). Such a word is only offered once some
/// paper is found to have it. Of the terms found, the one with a spelling nearest what was
/// typed wins (`stragglr`: `straggler`, not `straggling`, whose stems are both one edit away),
/// then the commonest; and only if that spelling is within [`auto_edits`] of the typed word.
pub fn correction(
    searcher: &Searcher,
    field: Field,
    word: &str,
    mut analyze: impl FnMut(&str) -> Option<String>,
    min_papers: u64,
    spell: impl Fn(&str) -> tantivy::Result<Vec<String>>,
    variants: Option<Variants>,
) -> tantivy::Result<Option<String>> {
    let typed = analyzer::lowercase(word);
    let Some(term) = analyze(&typed) else {
        return Ok(None);
    };
    let first = term.chars().next();
    let min_papers = min_papers.max(1);
    let usable = |n: &Near| n.papers >= min_papers && n.term.chars().next() == first;
    let mut candidates: Vec<Near> = near(searcher, field, &term, auto_edits(&term).max(1))?
        .into_iter()
        .filter(|n| n.term != term && usable(n))
        .take(CORRECTIONS_WEIGHED)
        .collect();
    // The word as typed, unstemmed, too: stemming a typo can cut it nearer another word
    // (`serverles` is `serverl`, one edit from `server` and three from `serverless`).
    if typed != term && typed.chars().all(char::is_alphanumeric) {
        let whole = near(searcher, field, &typed, auto_edits(&typed).max(1))?
            .into_iter()
            .filter(|n| n.term != term && usable(n))
            .take(CORRECTIONS_WEIGHED);
        for n in whole {
            if !candidates.iter().any(|c| c.term == n.term) {
                candidates.push(n);
            }
        }
    }
    let ends: Vec<usize> = typed.char_indices().map(|(i, _)| i).collect();
    for cut in 1..=MAX_CUT {
        if ends.len() < cut + MIN_CORRECTED_CHARS {
            break;
        }
        let Some(shorter) = analyze(&typed[..ends[ends.len() - cut]]) else {
            continue;
        };
        let found = near(searcher, field, &shorter, 1)?
            .into_iter()
            .filter(usable)
            .take(CORRECTIONS_WEIGHED_SHORTENED);
        for n in found {
            if !candidates.iter().any(|c| c.term == n.term) {
                candidates.push(n);
            }
        }
    }
    let mut hoped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // A lower-case ASCII word is its stem to the analyzer (the rare others are left out: their
    // variants would each need the whole analysis).
    let plain = typed.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(v) = variants
        .as_ref()
        .filter(|_| plain && ends.len() <= MAX_VARIED_CHARS)
    {
        for variant in one_edit(&typed) {
            let t = v.stemmer.stem(&variant);
            if t != term && t.chars().next() == first {
                hoped.entry(t.into_owned()).or_default().push(variant);
            }
        }
        // Stems within the edits of the word's stem, or of the word as typed, were looked for
        // above (the nearest [`CORRECTIONS_WEIGHED`] of each kept); only those beyond both are
        // worth a look-up each (most variants are their own stems, one edit from the word).
        let within = |word: &str, t: &str| {
            let edits = auto_edits(word).max(1);
            t.len().abs_diff(word.len()) <= usize::from(edits)
                && distance(word, t) <= u32::from(edits)
        };
        for t in hoped.keys() {
            if within(&term, t) || within(&typed, t) || candidates.iter().any(|c| &c.term == t) {
                continue;
            }
            let papers = searcher.doc_freq(&Term::from_field_text(field, t))?;
            if papers >= min_papers {
                candidates.push(Near {
                    term: t.clone(),
                    edits: 1,
                    papers,
                });
            }
        }
    }
    let allowed = u32::from(auto_edits(&typed).max(1));
    let mut best: Option<((u32, std::cmp::Reverse<u64>), String)> = None;
    let consider = |best: &mut Option<_>, spellings: Vec<String>, papers: u64| {
        for spelling in spellings {
            let edits = distance(&typed, &spelling);
            let key = (edits, std::cmp::Reverse(papers));
            if edits <= allowed && best.as_ref().is_none_or(|(k, _)| key < *k) {
                *best = Some((key, spelling));
            }
        }
    };
    for n in &candidates {
        consider(&mut best, spell(&n.term)?, n.papers);
    }
    // A hoped-for spelling is one edit away: looked for further in the papers only where it
    // would win.
    for n in &candidates {
        let (Some(hoped), Some(v)) = (hoped.get(&n.term), &variants) else {
            continue;
        };
        if best
            .as_ref()
            .is_some_and(|(k, _)| *k <= (1, std::cmp::Reverse(n.papers)))
        {
            continue;
        }
        consider(&mut best, (v.confirm)(&n.term, hoped)?, n.papers);
    }
    Ok(best.map(|(_, spelling)| spelling))
}

/// [`correction`] of a prose word of `field` (the ranking field or the title): analyzed as the
/// ranking field is, spelled as its papers spell it.
pub fn prose_correction(
    searcher: &Searcher,
    fields: &Fields,
    field: Field,
    word: &str,
    min_papers: u64,
) -> tantivy::Result<Option<String>> {
    let mut prose = analyzer::prose();
    let analyze = |w: &str| analyzer::only_term(&mut prose, w).map(|t| t.text);
    let spell = |stem: &str| spellings(searcher, fields, stem);
    let confirm = |stem: &str, hoped: &[String]| hoped_spellings(searcher, fields, stem, hoped);
    let stemmer = analyzer::Stemmer::default();
    let variants = Variants {
        stemmer: &stemmer,
        confirm: &confirm,
    };
    correction(
        searcher,
        field,
        word,
        analyze,
        min_papers,
        spell,
        Some(variants),
    )
}

/// The words one edit from `word`, its first char kept (typos are seldom there): a char dropped,
/// two neighbours swapped, a char replaced or one inserted (`a` to `z`).
fn one_edit(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = Vec::new();
    let mut push = |edit: &dyn Fn(&mut Vec<char>)| {
        let mut variant = chars.clone();
        edit(&mut variant);
        out.push(variant.into_iter().collect::<String>());
    };
    for i in 1..chars.len() {
        push(&|v| {
            v.remove(i);
        });
        if i + 1 < chars.len() && chars[i] != chars[i + 1] {
            push(&|v| v.swap(i, i + 1));
        }
        for c in ('a'..='z').filter(|&c| c != chars[i]) {
            push(&|v| v[i] = c);
        }
    }
    for i in 1..=chars.len() {
        for c in 'a'..='z' {
            push(&|v| v.insert(i, c));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Papers [`spellings`] reads for a stem's spellings.
const SPELLING_PAPERS: usize = 16;
/// Papers [`hoped_spellings`] reads, at most.
const HOPED_PAPERS: usize = 256;

/// The words (lower-cased) that analyze to `stem` in the first few live papers whose ranking
/// field has it, in the order they come. A few, because one stem may be several words
/// (`several` and `severe` are both `sever`).
pub fn spellings(searcher: &Searcher, fields: &Fields, stem: &str) -> tantivy::Result<Vec<String>> {
    // Only words that start as the stem does (but for its last two letters, as Snowball's
    // English rules rewrite only endings: `snippet`'s `Head`) are stemmed: stemming every word
    // of the papers took most of a "did you mean".
    let n = stem.chars().count();
    let head: String = stem.chars().take(n.saturating_sub(2).max(2)).collect();
    let stemmer = analyzer::Stemmer::default();
    let mut words = analyzer::names();
    let mut found: Vec<String> = Vec::new();
    for address in first_papers(searcher, fields.text, stem, SPELLING_PAPERS)? {
        let paper = search::stored_paper(searcher, fields, address)?;
        for text in [&paper.title, &paper.abstract_text] {
            let mut stream = words.token_stream(text);
            while let Some(token) = stream.next() {
                if n > 3 && !token.text.starts_with(&head) {
                    continue;
                }
                if stemmer.stem(&token.text) != stem {
                    continue;
                }
                if let Some(word) = text.get(token.offset_from..token.offset_to) {
                    let word = analyzer::lowercase(word);
                    if !found.contains(&word) {
                        found.push(word);
                    }
                }
            }
        }
    }
    Ok(found)
}

/// Those of `hoped` (lower-case words that analyze to `stem`) that some of the stem's first
/// [`HOPED_PAPERS`] papers have: a word the few papers [`spellings`] reads may not show
/// (`mitigation`, where they say `mitigating`).
pub fn hoped_spellings(
    searcher: &Searcher,
    fields: &Fields,
    stem: &str,
    hoped: &[String],
) -> tantivy::Result<Vec<String>> {
    let mut words = analyzer::names();
    let mut found: Vec<String> = Vec::new();
    for address in first_papers(searcher, fields.text, stem, HOPED_PAPERS)? {
        if found.len() == hoped.len() {
            break;
        }
        let paper = search::stored_paper(searcher, fields, address)?;
        for text in [&paper.title, &paper.abstract_text] {
            let lower = analyzer::lowercase(text);
            if !hoped.iter().any(|h| lower.contains(h.as_str())) {
                continue;
            }
            let mut stream = words.token_stream(text);
            while let Some(token) = stream.next() {
                let Some(word) = text.get(token.offset_from..token.offset_to) else {
                    continue;
                };
                let word = analyzer::lowercase(word);
                if hoped.contains(&word) && !found.contains(&word) {
                    found.push(word);
                }
            }
        }
    }
    Ok(found)
}

/// The first `limit` live papers whose `field` has `term`.
fn first_papers(
    searcher: &Searcher,
    field: Field,
    term: &str,
    limit: usize,
) -> tantivy::Result<Vec<DocAddress>> {
    let term = Term::from_field_text(field, term);
    let mut papers = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let inverted = reader.inverted_index(field)?;
        let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED && papers.len() < limit {
            if !reader.is_deleted(doc) {
                papers.push(DocAddress::new(ord as u32, doc));
            }
            doc = postings.advance();
        }
    }
    Ok(papers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(distance("trasnform", "transform"), 1);
        assert_eq!(distance("drift", "drift"), 0);
        assert_eq!(distance("drift", "drifts"), 1);
        assert_eq!(distance("drift", "dift"), 1);
        assert_eq!(distance("drift", "draft"), 1);
        assert_eq!(distance("graph", "grpah"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("naïve", "naive"), 1);
    }

    #[test]
    fn auto_edits_grow_with_the_word() {
        assert_eq!(auto_edits("ml"), 0);
        assert_eq!(auto_edits("gpu"), 1);
        assert_eq!(auto_edits("drift"), 1);
        assert_eq!(auto_edits("straggler"), 2);
    }

    fn index() -> (tantivy::Index, Fields) {
        crate::index::ram_index_of(&[
            ("paper", "stragglers slow distributed training"),
            ("paper", "straggler mitigation for distributed training"),
            ("paper", "a straggler study"),
            ("paper", "the stragler typo once"),
            ("paper", "data drift detection"),
            ("paper", "draft models for speculative decoding"),
        ])
    }

    #[test]
    fn near_terms_are_the_word_then_the_nearest_and_commonest() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        let near = near(&searcher, fields.text, "stragler", 2).unwrap();
        let terms: Vec<(&str, u32, u64)> = near
            .iter()
            .map(|n| (n.term.as_str(), n.edits, n.papers))
            .collect();
        assert_eq!(terms, [("stragler", 0, 1), ("straggler", 1, 3)]);
        // A word no paper has still comes first, so that a fuzzy word always has its own term.
        let near = super::near(&searcher, fields.text, "drfit", 1).unwrap();
        let terms: Vec<&str> = near.iter().map(|n| n.term.as_str()).collect();
        assert_eq!(terms, ["drfit", "drift"]);
    }

    #[test]
    fn a_fuzzy_word_stands_for_the_nearest_terms_only() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        // `drafts` is one edit from `draft` and two from `drift`.
        let near = near(&searcher, fields.text, "drafts", 2).unwrap();
        let all: Vec<&str> = near.iter().map(|n| n.term.as_str()).collect();
        assert_eq!(all, ["drafts", "draft", "drift"]);
        let nearest = nearest(near);
        let kept: Vec<&str> = nearest.iter().map(|n| n.term.as_str()).collect();
        assert_eq!(kept, ["drafts", "draft"]);
    }

    #[test]
    fn a_word_longer_than_any_term_is_only_itself() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        let long = "x".repeat(100_000);
        let near = near(&searcher, fields.id, &long, 2).unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].papers, 0);
    }

    #[test]
    fn the_word_counts_in_full_and_a_rarer_near_term_as_the_commonest() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        let mut near = near(&searcher, fields.text, "stragler", 2).unwrap();
        // As typed (1 paper): its own BM25, in full, as an exact match ranks first in
        // Meilisearch. `straggler` (3 papers), the commonest near term: 1 - 1/8 of its own.
        let weights = weigh(&searcher, fields.text, fields.text, "stragler", &near, 0).unwrap();
        assert_eq!(weights[0], ("stragler".to_string(), 1.0));
        assert_eq!(weights[1].0, "straggler");
        assert!((weights[1].1 - 0.875).abs() < 1e-6, "{weights:?}");
        // A rarer near term (`study`, 1 paper, taken as one edit away) counts as if it were
        // as common as `straggler`: less than its similarity, 1 - 1/5.
        near.push(Near {
            term: "studi".into(),
            edits: 1,
            papers: 1,
        });
        let weights = weigh(&searcher, fields.text, fields.text, "stragler", &near, 0).unwrap();
        assert_eq!(weights[2].0, "studi");
        assert!(weights[2].1 < 0.8 - 1e-3, "{weights:?}");
        // Blended with a commoner near term of another field, when asked.
        let blended = weigh(&searcher, fields.text, fields.text, "stragler", &near, 5).unwrap();
        assert!(blended[1].1 < 0.875 - 1e-3, "{blended:?}");
        assert_eq!(blended[0].1, 1.0);
    }

    /// "Did you mean" of a prose word, as the search asks for it.
    fn corrected(
        index: &tantivy::Index,
        fields: &Fields,
        word: &str,
        papers: u64,
    ) -> Option<String> {
        let searcher = index.reader().unwrap().searcher();
        prose_correction(&searcher, fields, fields.text, word, papers).unwrap()
    }

    #[test]
    fn a_correction_starts_with_the_same_letter_and_some_paper_has_it() {
        let (index, fields) = index();
        let correct = |word: &str| corrected(&index, &fields, word, 1);
        assert_eq!(correct("drfit").as_deref(), Some("drift"));
        // `rift` is one edit from `drift`, but starts with another letter.
        assert_eq!(correct("rift"), None);
        // Of the spellings of `straggler`, the one nearest what was typed.
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(
            spellings(&searcher, &fields, "straggler").unwrap(),
            ["stragglers", "straggler"]
        );
        assert_eq!(correct("Stragglrs").as_deref(), Some("stragglers"));
        assert_eq!(correct("stragglr").as_deref(), Some("straggler"));
        // A correction must be as common as asked.
        assert_eq!(corrected(&index, &fields, "drfit", 2), None);
        // A misspelling that stems to no near stem: found with its end cut.
        let (index, fields) = crate::index::ram_index_of(&[
            ("paper", "mortality rates"),
            ("paper", "mortality of mice"),
        ]);
        assert_eq!(
            analyzer::only_term(&mut analyzer::prose(), "mortality")
                .unwrap()
                .text,
            "mortal"
        );
        let correct = |word: &str| corrected(&index, &fields, word, 1);
        assert_eq!(correct("mortaligy").as_deref(), Some("mortality"));
        // Only a spelling within the edits: `mortals` is not `mortal`'s spelling here.
        assert_eq!(correct("mortalsxyz"), None);
    }

    #[test]
    fn a_correction_is_the_word_one_edit_away_even_when_its_stem_is_far_shorter() {
        // `optimization` is indexed as `optim`, six edits from the typo's stem `optimizaton`;
        // `optimisation` (`optimis`) is near the typo cut short (`optimiz`), but two edits from
        // what was typed.
        let (index, fields) = crate::index::ram_index_of(&[
            ("paper", "convex optimization"),
            ("paper", "optimization of kernels"),
            ("paper", "optimisation in the British spelling"),
        ]);
        assert_eq!(
            analyzer::only_term(&mut analyzer::prose(), "optimization")
                .unwrap()
                .text,
            "optim"
        );
        let correct = |word: &str| corrected(&index, &fields, word, 1);
        assert_eq!(correct("optimizaton").as_deref(), Some("optimization"));
        // Without the words one edit away (a field of names, not stemmed), what is near the
        // word itself.
        let searcher = index.reader().unwrap().searcher();
        let analyze = |w: &str| analyzer::only_term(&mut analyzer::prose(), w).map(|t| t.text);
        let spell = |stem: &str| spellings(&searcher, &fields, stem);
        let found = correction(
            &searcher,
            fields.text,
            "optimizaton",
            analyze,
            1,
            spell,
            None,
        );
        assert_eq!(found.unwrap().as_deref(), Some("optimisation"));

        // `mitigation` is one swap from `mitigatoin`, `mitigating` two edits; the papers read
        // for the stem's spellings say only `mitigating`, a later one `mitigation`.
        let mut papers = vec![("paper", "mitigating stragglers"); SPELLING_PAPERS];
        papers.push(("paper", "drift mitigation"));
        let (index, fields) = crate::index::ram_index_of(&papers);
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(
            spellings(&searcher, &fields, "mitig").unwrap(),
            ["mitigating"]
        );
        assert_eq!(
            corrected(&index, &fields, "mitigatoin", 1).as_deref(),
            Some("mitigation")
        );
        // A hoped-for spelling no paper has is not offered.
        let hoped = ["mitigatoins".to_string(), "mitigation".to_string()];
        assert_eq!(
            hoped_spellings(&searcher, &fields, "mitig", &hoped).unwrap(),
            ["mitigation"]
        );
    }
}
