//! Snippets: the stretch of an abstract that best shows why a paper matched, with the matched
//! words marked.
//!
//! Invariant: highlight ranges are byte ranges into the returned fragment, on char boundaries,
//! sorted and disjoint; words are matched by the same analyzer the index used, so `drifting`
//! in a query lights up `drift` and `Drifts` alike.

use std::ops::Range;

use memchr::memmem::Finder;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::TextAnalyzer;

use crate::analyzer::{self, Stemmer};
use crate::query::{Wanted, WantedPhrase};

/// Roughly how long a snippet is, in bytes.
pub const SNIPPET_BYTES: usize = 220;

/// Context kept before the first matched word, so a snippet does not start mid-thought.
const LEAD_BYTES: usize = 40;

const ELLIPSIS: &str = "…";

/// A piece of text with highlighted byte ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    pub text: String,
    pub highlights: Vec<Range<usize>>,
}

/// Finds the query's words in texts, as the index's analyzers see them.
///
/// Stemming every word of ten abstracts costs more than the search itself, so words are split
/// and tested against each wanted term's [`Head`] first, and only those that may stem to a
/// wanted term are folded and stemmed.
pub struct Matcher {
    words: TextAnalyzer,
    stemmer: Stemmer,
    /// What the current answer looks for, set by [`Matcher::begin`].
    wanted: Wanted,
    heads: Vec<Head>,
    /// What the words that may match start with, lower-case: each head whole (SIMD search
    /// for all of `diffus` passes over `different`, which `di` would stop at), and a head's
    /// first byte then `y` where Snowball may have turned that `y` into `i`.
    openings: Vec<Finder<'static>>,
    /// What each wanted name term (a name phrase's first) is found in, in an ASCII name
    /// lower-cased: its terms are its runs of letters and digits, so a name holding none of
    /// these as a substring holds no match and is not analyzed (the common case, which took a
    /// tenth of a keyword query's answer).
    name_openings: Vec<Finder<'static>>,
    /// Scratch: the text being matched, ASCII letters lower-cased.
    lower: Vec<u8>,
    /// Scratch: where the candidate words start.
    starts: Vec<usize>,
    /// Every word is a candidate (a wanted term is empty).
    every_word: bool,
    /// What each word folded since [`Matcher::begin`] came to: the id of its stem in
    /// [`Matcher::matched`] when that is wanted. The ten abstracts of one answer repeat their
    /// words (`networks` a dozen times), and Snowball is the costly part.
    verdicts: FxHashMap<Vec<u8>, Option<usize>>,
    /// The wanted stems found since [`Matcher::begin`] (a prefix matches several).
    matched: Vec<String>,
    /// For each of [`Matcher::matched`]: whether it is wanted wherever it is, not only within
    /// a phrase.
    loose: Vec<bool>,
    /// Scratch: the position of each match among the words of its text.
    positions: Vec<i64>,
}

impl Matcher {
    /// A matcher for `wanted`.
    pub fn new(wanted: &Wanted) -> Matcher {
        let mut m = Matcher {
            words: analyzer::names(),
            stemmer: Stemmer::default(),
            wanted: Wanted::default(),
            heads: Vec::new(),
            openings: Vec::new(),
            name_openings: Vec::new(),
            lower: Vec::new(),
            starts: Vec::new(),
            every_word: false,
            verdicts: FxHashMap::default(),
            matched: Vec::new(),
            loose: Vec::new(),
            positions: Vec::new(),
        };
        m.begin(wanted);
        m
    }

    /// Starts an answer that looks for `wanted`: its heads are worked out once for all the
    /// texts of the answer, and what was learnt of words for the previous answer is dropped, so
    /// that one answer's work never speeds up the next one's.
    pub fn begin(&mut self, wanted: &Wanted) {
        self.wanted.clone_from(wanted);
        self.verdicts.clear();
        self.matched.clear();
        self.loose.clear();
        let phrase_heads = wanted.phrases.iter().flat_map(|phrase| {
            let last = phrase.terms.len().saturating_sub(1);
            phrase.terms.iter().enumerate().map(move |(i, (_, t))| {
                if phrase.prefix && i == last {
                    Head::of_prefix(t)
                } else {
                    Head::of_term(t)
                }
            })
        });
        self.heads = wanted
            .prose
            .iter()
            .map(|t| Head::of_term(t))
            .chain(wanted.prose_prefixes.iter().map(|p| Head::of_prefix(p)))
            .chain(phrase_heads)
            .collect();
        let mut openings: Vec<Vec<u8>> = Vec::new();
        for h in &self.heads {
            let head = h.bytes.to_ascii_lowercase();
            if h.y_second && !head.is_empty() {
                openings.push(vec![head[0], b'y']);
            }
            openings.push(head);
        }
        openings.sort();
        openings.dedup();
        // An empty term (the analyzer makes none) would admit every word.
        self.every_word = openings.iter().any(Vec::is_empty);
        // `ab` finds every word `abc` finds: keep only the shortest openings.
        let kept: Vec<&Vec<u8>> = openings
            .iter()
            .filter(|o| {
                !openings
                    .iter()
                    .any(|p| p.len() < o.len() && o.starts_with(p))
            })
            .collect();
        self.openings = kept
            .into_iter()
            .filter(|o| !o.is_empty())
            .map(|o| Finder::new(o).into_owned())
            .collect();
        self.name_openings = wanted
            .names
            .iter()
            .chain(&wanted.name_prefixes)
            .chain(
                wanted
                    .name_phrases
                    .iter()
                    .filter_map(|p| p.terms.first().map(|(_, t)| t)),
            )
            .map(|t| Finder::new(t.as_bytes()).into_owned())
            .collect();
    }

    /// The positions in `authors` of the names holding a wanted name term (`Mallick` for
    /// `mallick`, `author:mallick`, `author:malick~` or `author:mall*`), in order.
    pub fn matching_authors(&mut self, authors: &[String]) -> Vec<usize> {
        let w = &self.wanted;
        if w.names.is_empty() && w.name_prefixes.is_empty() && w.name_phrases.is_empty() {
            return Vec::new();
        }
        let wanted_name = |w: &Wanted, name: &str| {
            w.names.contains(name) || w.name_prefixes.iter().any(|p| name.starts_with(p.as_str()))
        };
        let mut found = Vec::new();
        for (i, author) in authors.iter().enumerate() {
            if author.is_ascii() {
                lowered(&mut self.lower, author);
                if !self
                    .name_openings
                    .iter()
                    .any(|n| n.find(&self.lower).is_some())
                {
                    continue;
                }
            }
            let holds = if self.wanted.name_phrases.is_empty() {
                // The common case, every plain word: no name list to build.
                let mut stream = self.words.token_stream(author);
                let mut holds = false;
                while !holds && stream.next().is_some() {
                    holds = wanted_name(&self.wanted, &stream.token().text);
                }
                holds
            } else {
                let names: Vec<String> = analyzer::terms(&mut self.words, author)
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect();
                let w = &self.wanted;
                w.name_phrases.iter().any(|p| holds_phrase(&names, p))
                    || names.iter().any(|name| wanted_name(w, name))
            };
            if holds {
                found.push(i);
            }
        }
        found
    }

    /// Where the words of `text` start that may be wanted, in order: those opening with one of
    /// [`Matcher::openings`] (ASCII case aside), and every word with a non-ASCII letter or digit,
    /// which only the analyzer can fold.
    fn candidates(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.starts.clear();
        if self.every_word {
            self.starts
                .extend(alphanumeric_runs_from(text, 0).map(|(run, _)| run.start));
            return;
        }
        lowered(&mut self.lower, text);
        for finder in &self.openings {
            for at in finder.find_iter(&self.lower) {
                if text.is_char_boundary(at) && starts_word(text, at) {
                    self.starts.push(at);
                }
            }
        }
        if !text.is_ascii() {
            let mut i = 0;
            while let Some(at) = next_non_ascii(bytes, i) {
                let c = text[at..].chars().next().unwrap_or(' ');
                i = at + c.len_utf8();
                if c.is_alphanumeric() {
                    let start = word_begin(text, at);
                    self.starts.push(start);
                    // On past the word: walking back from each of its chars would take time
                    // growing with the square of its length (a long run of CJK, say).
                    if let Some((run, _)) = alphanumeric_runs_from(text, start).next() {
                        i = i.max(run.end);
                    }
                }
            }
        }
        self.starts.sort_unstable();
        self.starts.dedup();
    }

    /// Byte ranges of the wanted words of `text`, each with the id of its analyzed form (the
    /// same id for the same form within an answer).
    pub fn matches(&mut self, text: &str) -> Vec<(Range<usize>, usize)> {
        let mut out = Vec::new();
        if self.heads.is_empty() {
            return out;
        }
        // The words as the analyzers split them: runs of alphanumeric chars (SimpleTokenizer),
        // over-long runs dropped (RemoveLongFilter). ASCII words are read, folded, from the
        // lower-cased copy of the text (as they stand when every word is a candidate); the rare
        // others go through the analyzer for folding first.
        self.candidates(text);
        let mut folded = String::new();
        for i in 0..self.starts.len() {
            let Some((run, ascii)) = alphanumeric_runs_from(text, self.starts[i]).next() else {
                continue;
            };
            let word = &text[run.clone()];
            if word.len() >= analyzer::MAX_TOKEN_BYTES {
                continue;
            }
            // The lower-cased copy `candidates` made holds an ASCII word folded already.
            let in_lower = ascii && !self.every_word;
            if in_lower {
                if !self
                    .heads
                    .iter()
                    .any(|h| h.admits(&self.lower[run.clone()]))
                {
                    continue;
                }
            } else if ascii {
                if !self.heads.iter().any(|h| h.admits(word.as_bytes())) {
                    continue;
                }
                folded.clear();
                folded.push_str(word);
                folded.make_ascii_lowercase();
            } else {
                let mut stream = self.words.token_stream(word);
                let Some(token) = stream.next() else {
                    continue;
                };
                folded.clone_from(&token.text);
                if !self.heads.iter().any(|h| h.admits(folded.as_bytes())) {
                    continue;
                }
            }
            let key = if in_lower {
                &self.lower[run.clone()]
            } else {
                folded.as_bytes()
            };
            let verdict = match self.verdicts.get(key) {
                Some(&v) => v,
                None => {
                    let key = key.to_vec();
                    let v = self.judge(std::str::from_utf8(&key).unwrap_or_default());
                    self.verdicts.insert(key, v);
                    v
                }
            };
            if let Some(id) = verdict {
                out.push((run, id));
            }
        }
        if !self.wanted.phrases.is_empty() {
            self.keep_phrases(text, &mut out);
        }
        out
    }

    /// Keeps, of the matches of `text`, those wanted wherever they are and those that stand
    /// where one of the query's phrases puts them (within its slop).
    fn keep_phrases(&mut self, text: &str, found: &mut Vec<(Range<usize>, usize)>) {
        if found.iter().all(|&(_, id)| self.loose[id]) {
            return;
        }
        // Positions as the index counts them: one per run of letters and digits, the runs
        // too long to be indexed included (they leave a gap).
        self.positions.clear();
        let mut runs = alphanumeric_runs_from(text, 0);
        let mut next = 0i64;
        for (range, _) in found.iter() {
            for (run, _) in runs.by_ref() {
                next += 1;
                if run.start == range.start {
                    break;
                }
            }
            self.positions.push(next - 1);
        }
        let mut keep: Vec<bool> = found.iter().map(|&(_, id)| self.loose[id]).collect();
        for phrase in &self.wanted.phrases {
            mark_phrase(phrase, &self.matched, found, &self.positions, &mut keep);
        }
        let mut kept = keep.into_iter();
        found.retain(|_| kept.next().unwrap_or(false));
    }

    /// Stems a folded word: the id of its stem when that is wanted.
    fn judge(&mut self, folded: &str) -> Option<usize> {
        let term = self.stemmer.stem(folded);
        let loose = self.wanted.prose.contains(term.as_ref())
            || self
                .wanted
                .prose_prefixes
                .iter()
                .any(|p| term.starts_with(p.as_str()));
        if !loose
            && !self
                .wanted
                .phrases
                .iter()
                .any(|phrase| (0..phrase.terms.len()).any(|i| fills(phrase, i, &term)))
        {
            return None;
        }
        Some(match self.matched.iter().position(|m| *m == term) {
            Some(i) => i,
            None => {
                self.matched.push(term.into_owned());
                self.loose.push(loose);
                self.matched.len() - 1
            }
        })
    }

    /// Byte ranges of every wanted word of a short text (a title).
    pub fn highlight_all(&mut self, text: &str) -> Vec<Range<usize>> {
        self.matches(text).into_iter().map(|(r, _)| r).collect()
    }

    /// The best snippet of `text` for the wanted words: the window of about [`SNIPPET_BYTES`]
    /// with the most distinct matched terms (then the most matches), or the opening when none
    /// match.
    pub fn snippet(&mut self, text: &str) -> Highlighted {
        let found = self.matches(text);
        window(text, found)
    }
}

/// Whether one author's `names` hold the phrase: its words in order, next to each other (any
/// order, anywhere in the name, with a slop).
fn holds_phrase(names: &[String], phrase: &WantedPhrase) -> bool {
    let n = phrase.terms.len();
    if phrase.slop > 0 {
        return (0..n).all(|i| names.iter().any(|name| fills(phrase, i, name)));
    }
    n > 0
        && names.windows(n).any(|run| {
            run.iter()
                .enumerate()
                .all(|(i, name)| fills(phrase, i, name))
        })
}

/// Whether the stem `term` can stand for the phrase's `i`th term.
fn fills(phrase: &WantedPhrase, i: usize, term: &str) -> bool {
    let wanted = phrase.terms[i].1.as_str();
    if phrase.prefix && i + 1 == phrase.terms.len() {
        term.starts_with(wanted)
    } else {
        term == wanted
    }
}

/// Marks in `keep` the matches of `found` (stems by id in `stems`, word positions in
/// `positions`) that belong to some occurrence of `phrase`.
///
/// An occurrence takes one match per term; with each match's position less the term's place
/// in the phrase, the sum of the differences between consecutive terms' is what the words
/// moved, which the slop bounds (how tantivy counts it). A match belongs to an occurrence when
/// the cheapest way to reach it from the first term plus the cheapest way on from it to the
/// last is within the slop. Both are worked out term by term in time linear in the matches,
/// however long the text and large the slop.
fn mark_phrase(
    phrase: &WantedPhrase,
    stems: &[String],
    found: &[(Range<usize>, usize)],
    positions: &[i64],
    keep: &mut [bool],
) {
    // For each term, the matches that can stand for it and their shifted positions, in order.
    let slots: Vec<Vec<(usize, i64)>> = phrase
        .terms
        .iter()
        .enumerate()
        .map(|(i, (at, _))| {
            found
                .iter()
                .enumerate()
                .filter(|(_, (_, id))| fills(phrase, i, &stems[*id]))
                .map(|(j, _)| (j, positions[j] - *at as i64))
                .collect()
        })
        .collect();
    if slots.iter().any(Vec::is_empty) {
        return;
    }
    let to = chain_costs(slots.iter());
    let mut from = chain_costs(slots.iter().rev());
    from.reverse();
    let slop = i64::from(phrase.slop);
    let mut marked = false;
    for (i, slot) in slots.iter().enumerate() {
        for (c, &(j, _)) in slot.iter().enumerate() {
            if to[i][c].saturating_add(from[i][c]) <= slop {
                keep[j] = true;
                marked = true;
            }
        }
    }
    if marked || slop == 0 || slots.len() < 3 {
        return;
    }
    // tantivy adds up a longer phrase's moves rarest word first and only approximately, so it
    // finds some papers this exact count does not. There, the words of the phrase that stand
    // within its length plus its slop of one of each of its other words are marked.
    let reach = slop + slots.len() as i64 - 1;
    let at: Vec<Vec<i64>> = slots
        .iter()
        .map(|slot| slot.iter().map(|&(k, _)| positions[k]).collect())
        .collect();
    for (i, slot) in slots.iter().enumerate() {
        for &(j, _) in slot {
            let p = positions[j];
            let near = |other: &Vec<i64>| {
                let first = other.partition_point(|&q| q < p - reach);
                other.get(first).is_some_and(|&q| q <= p + reach)
            };
            if at
                .iter()
                .enumerate()
                .all(|(o, other)| o == i || near(other))
            {
                keep[j] = true;
            }
        }
    }
}

/// For each match of each slot in turn, the least total distance of a chain of matches, one
/// per slot, from the first slot given to it.
fn chain_costs<'a>(slots: impl Iterator<Item = &'a Vec<(usize, i64)>>) -> Vec<Vec<i64>> {
    let mut costs: Vec<Vec<i64>> = Vec::new();
    let mut previous: Option<&Vec<(usize, i64)>> = None;
    for slot in slots {
        let next = match (previous, costs.last()) {
            (Some(before), Some(cost)) => nearest_costs(before, cost, slot),
            _ => vec![0; slot.len()],
        };
        costs.push(next);
        previous = Some(slot);
    }
    costs
}

/// For each match of `to`, the least of `cost[k]` plus its distance to `from[k]`; both lists in
/// order of shifted position. One pass from each side, so no pair is compared.
fn nearest_costs(from: &[(usize, i64)], cost: &[i64], to: &[(usize, i64)]) -> Vec<i64> {
    let mut out = vec![i64::MAX; to.len()];
    let (mut best, mut k) = (i64::MAX, 0);
    for (c, &(_, at)) in to.iter().enumerate() {
        while k < from.len() && from[k].1 <= at {
            best = best.min(cost[k].saturating_sub(from[k].1));
            k += 1;
        }
        out[c] = best.saturating_add(at);
    }
    let (mut best, mut k) = (i64::MAX, from.len());
    for (c, &(_, at)) in to.iter().enumerate().rev() {
        while k > 0 && from[k - 1].1 >= at {
            k -= 1;
            best = best.min(cost[k].saturating_add(from[k].1));
        }
        out[c] = out[c].min(best.saturating_sub(at));
    }
    out
}

/// What a word must start with to be worth stemming for one wanted term: stemming every word
/// of ten abstracts costs more than the search itself, so only words that can stem to a wanted
/// term are stemmed.
///
/// Snowball's English rules rewrite only a word's ending (`probability` -> `probabl`, `hoping`
/// -> `hope`, `happy` -> `happi`): a stem is the start of its word but for at most its last
/// char, and always keeps the first two, but for `dying`, `lying`, `tying` (`die`...), whose
/// second char `y` became `i`. Tested in `analyzer` on the embedded corpus's vocabulary and
/// on the 93,694 words of the paperlists abstracts.
struct Head {
    /// Lower-case bytes every candidate word starts with (ASCII case aside).
    bytes: Vec<u8>,
    /// Also admit words whose first char is `bytes[0]` and second is `y`.
    y_second: bool,
}

impl Head {
    fn of_term(term: &str) -> Head {
        let n = term.chars().count();
        Head {
            bytes: first_chars(term, n.saturating_sub(1).max(2))
                .as_bytes()
                .to_vec(),
            y_second: n <= 3 && term.chars().nth(1) == Some('i'),
        }
    }

    /// A prefix query's term: the stems it matches are longer than itself, so only their first
    /// two chars are known to start the word.
    fn of_prefix(prefix: &str) -> Head {
        Head {
            bytes: first_chars(prefix, 2).as_bytes().to_vec(),
            y_second: true,
        }
    }

    /// Whether `word` (lower-case, or ASCII in any case) may stem to the term.
    fn admits(&self, word: &[u8]) -> bool {
        let h = &self.bytes[..];
        (word.len() >= h.len() && word[..h.len()].eq_ignore_ascii_case(h))
            || (self.y_second
                && word.len() >= 2
                && word[1].eq_ignore_ascii_case(&b'y')
                && h.first()
                    .is_some_and(|first| word[0].eq_ignore_ascii_case(first)))
    }
}

/// `text` into `out`, ASCII letters lower-cased: what the [`Finder`]s of lower-case heads and
/// names search.
fn lowered(out: &mut Vec<u8>, text: &str) {
    out.clear();
    out.resize(text.len(), 0);
    // Branch-free, so that it compiles to vector code: `make_ascii_lowercase` went a byte at a
    // time and took a tenth of matching an abstract.
    for (o, &b) in out.iter_mut().zip(text.as_bytes()) {
        *o = b | (u8::from(b.wrapping_sub(b'A') < 26) << 5);
    }
}

/// The first byte at or after `from` that is not ASCII, looked for eight bytes at a time: abstracts
/// with a few accents or symbols are otherwise walked a byte at a time from one to the next.
fn next_non_ascii(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if word & HIGH != 0 {
            return Some(at + (word & HIGH).trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .map(|p| at + p)
}

fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How far a cut may move to land between words; past that, a run with no spaces (a formula,
/// a URL) is cut mid-way rather than swallowed whole.
const WORD_SLACK: usize = 30;

/// Moves `i` back to the start of the word it falls in.
fn word_start(text: &str, i: usize) -> usize {
    let i = floor_boundary(text, i);
    match text[..i].rfind(char::is_whitespace) {
        Some(p) if i - p <= WORD_SLACK => p + 1,
        None if i <= WORD_SLACK => 0,
        _ => i,
    }
}

/// Moves `i` forward to the end of the word it falls in.
fn word_end(text: &str, i: usize) -> usize {
    let i = floor_boundary(text, i);
    match text[i..].find(char::is_whitespace) {
        Some(p) if p <= WORD_SLACK => i + p,
        None if text.len() - i <= WORD_SLACK => text.len(),
        _ => i,
    }
}

/// How [`alphanumeric_runs_from`] sees a byte: an ASCII letter or digit, other ASCII, or part of
/// a multi-byte char (decoded to tell).
const ASCII_ALNUM: u8 = 1;
const ASCII_OTHER: u8 = 0;
const MULTI_BYTE: u8 = 2;

const BYTE_CLASS: [u8; 256] = {
    let mut t = [ASCII_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if !c.is_ascii() {
            MULTI_BYTE
        } else if c.is_ascii_alphanumeric() {
            ASCII_ALNUM
        } else {
            ASCII_OTHER
        };
        b += 1;
    }
    t
};

/// Byte ranges of the maximal runs of alphanumeric chars from byte `at` (a char boundary) on, as
/// tantivy's SimpleTokenizer splits, each with whether it is all ASCII.
pub(crate) fn alphanumeric_runs_from(text: &str, at: usize) -> Runs<'_> {
    Runs { text, at }
}

/// Whether the char before byte `at` (a char boundary) is not a letter or digit.
fn starts_word(text: &str, at: usize) -> bool {
    if let Some(&before) = text.as_bytes().get(at.wrapping_sub(1)) {
        if before.is_ascii() {
            return !before.is_ascii_alphanumeric();
        }
    }
    !text[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// The start of the run of letters and digits that byte `at` (a char boundary) is in.
fn word_begin(text: &str, mut at: usize) -> usize {
    while let Some(c) = text[..at].chars().next_back() {
        if !c.is_alphanumeric() {
            break;
        }
        at -= c.len_utf8();
    }
    at
}

pub(crate) struct Runs<'a> {
    text: &'a str,
    at: usize,
}

impl Runs<'_> {
    /// The char at byte `i` (not ASCII): whether it is alphanumeric, and its length.
    fn decode(&self, i: usize) -> (bool, usize) {
        let c = self.text[i..].chars().next().unwrap_or(' ');
        (c.is_alphanumeric(), c.len_utf8())
    }
}

impl Iterator for Runs<'_> {
    type Item = (Range<usize>, bool);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        loop {
            let &b = bytes.get(i)?;
            match BYTE_CLASS[usize::from(b)] {
                ASCII_ALNUM => break,
                ASCII_OTHER => i += 1,
                _ => match self.decode(i) {
                    (true, _) => break,
                    (false, len) => i += len,
                },
            }
        }
        let start = i;
        // ASCII letters and digits first, in a loop of their own: the common case, and the
        // loop below keeps too much in flight to run as fast.
        i += bytes[i..]
            .iter()
            .position(|&b| BYTE_CLASS[usize::from(b)] != ASCII_ALNUM)
            .unwrap_or(bytes.len() - i);
        let mut ascii = true;
        while let Some(&b) = bytes.get(i) {
            match BYTE_CLASS[usize::from(b)] {
                ASCII_ALNUM => i += 1,
                ASCII_OTHER => break,
                _ => match self.decode(i) {
                    (true, len) => {
                        ascii = false;
                        i += len;
                    }
                    (false, _) => break,
                },
            }
        }
        self.at = i;
        Some((start..i, ascii))
    }
}

/// Cuts the snippet around the matches found.
fn window(text: &str, found: Vec<(Range<usize>, usize)>) -> Highlighted {
    let (mut start, mut end) = (0, word_end(text, SNIPPET_BYTES));
    if !found.is_empty() {
        // Slide a window over the matches: for each first match, the matches that fit after it,
        // counted by distinct term then by number. Few distinct terms: a short list beats a map.
        let mut best = (0usize, 0usize, 0usize);
        let mut counts: Vec<(usize, usize)> = Vec::new();
        let mut end_at = 0;
        for (i, (first, _)) in found.iter().enumerate() {
            let limit = first.start + SNIPPET_BYTES - LEAD_BYTES;
            while end_at < found.len() && found[end_at].0.end <= limit {
                let term = found[end_at].1;
                match counts.iter_mut().find(|(t, _)| *t == term) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((term, 1)),
                }
                end_at += 1;
            }
            let distinct = counts.iter().filter(|(_, c)| *c > 0).count();
            let key = (distinct, end_at - i);
            if key > (best.0, best.1) {
                best = (key.0, key.1, i);
            }
            if let Some((_, c)) = counts.iter_mut().find(|(t, _)| *t == found[i].1) {
                *c -= 1;
            }
        }
        let first = found[best.2].0.start;
        start = if first <= LEAD_BYTES {
            0
        } else {
            word_start(text, first - LEAD_BYTES)
        };
        end = word_end(text, start + SNIPPET_BYTES);
    }
    let end = end.max(start);
    let mut out = String::with_capacity(end - start + 2 * ELLIPSIS.len());
    let shift = if start > 0 {
        out.push_str(ELLIPSIS);
        ELLIPSIS.len()
    } else {
        0
    };
    out.push_str(text[start..end].trim_end());
    let body_end = start + out.len() - shift;
    let highlights = found
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.start >= start && r.end <= body_end)
        .map(|r| r.start - start + shift..r.end - start + shift)
        .collect();
    if end < text.len() {
        out.push_str(ELLIPSIS);
    }
    Highlighted {
        text: out,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer;
    use std::collections::HashSet;

    fn wanted(words: &[&str]) -> Wanted {
        let mut a = analyzer::prose();
        let mut w = Wanted::default();
        for word in words {
            w.prose
                .extend(analyzer::terms(&mut a, word).into_iter().map(|(_, t)| t));
        }
        w
    }

    fn marked(h: &Highlighted) -> Vec<&str> {
        h.highlights.iter().map(|r| &h.text[r.clone()]).collect()
    }

    #[test]
    fn stemmed_query_words_light_up_inflected_text() {
        let text = "Models suffer when data drifts; drift detection helps.";
        let h = Matcher::new(&wanted(&["drifting"])).snippet(text);
        assert_eq!(marked(&h), ["drifts", "drift"]);
    }

    #[test]
    fn long_text_is_cut_around_the_matches_on_word_boundaries() {
        let text = format!(
            "{} the straggler problem {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let h = Matcher::new(&wanted(&["straggler"])).snippet(&text);
        assert!(h.text.starts_with(ELLIPSIS) && h.text.ends_with(ELLIPSIS));
        assert_eq!(marked(&h), ["straggler"]);
        assert!(h.text.len() <= SNIPPET_BYTES + 2 * ELLIPSIS.len() + 10);
    }

    #[test]
    fn candidate_filter_finds_what_the_prose_analyzer_finds() {
        let text = "Graphs, graphing and GRAPHED nodes; Dying skies; naïve Café studies; ℓ1 ém.";
        let query = ["graph", "die", "sky", "naive", "cafe", "study"];
        let w = wanted(&query);
        let mut prose = analyzer::prose();
        let mut expected = Vec::new();
        let mut stream = prose.token_stream(text);
        while let Some(t) = stream.next() {
            if w.prose.contains(&t.text) {
                expected.push(t.offset_from..t.offset_to);
            }
        }
        let got: Vec<_> = Matcher::new(&w)
            .matches(text)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 8);
    }

    #[test]
    fn an_empty_wanted_term_does_not_hide_the_others() {
        let w = Wanted {
            prose: ["".to_string(), "network".to_string()]
                .into_iter()
                .collect(),
            ..Wanted::default()
        };
        let found = Matcher::new(&w).matches("Graph networks and a network.");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn an_author_holds_a_name_as_a_word_in_any_case() {
        let wanted = Wanted {
            names: ["mallick".to_string()].into(),
            ..Wanted::default()
        };
        let authors: Vec<String> = [
            "Ankur MALLICK",
            "Smallick Jones",
            "Mallická Nováková",
            "A. Mallick-Roy",
        ]
        .map(String::from)
        .to_vec();
        // `Smallick` holds the letters but not the name; `Mallická` folds to `mallicka`.
        assert_eq!(Matcher::new(&wanted).matching_authors(&authors), vec![0, 3]);
    }

    #[test]
    fn an_accent_is_found_wherever_it_falls_in_the_eight_byte_steps() {
        for at in 0..20 {
            let text = format!("{}é{}", "a".repeat(at), "b".repeat(20 - at));
            for from in 0..=at {
                assert_eq!(
                    next_non_ascii(text.as_bytes(), from),
                    Some(at),
                    "{at} {from}"
                );
            }
            assert_eq!(next_non_ascii(text.as_bytes(), at + 2), None);
        }
        assert_eq!(next_non_ascii(b"abc", 3), None);
        assert_eq!(next_non_ascii(b"abc", 9), None);
        // Every byte, lower-cased as `make_ascii_lowercase` does.
        let all: Vec<u8> = (0..=255).collect();
        let text = String::from_utf8_lossy(&all).into_owned();
        let mut out = Vec::new();
        lowered(&mut out, &text);
        assert_eq!(out, text.to_ascii_lowercase().into_bytes());
    }

    #[test]
    fn a_long_run_of_non_ascii_letters_is_one_word() {
        // 20,000 CJK chars with no break (walking back from each of them took 1.5 s).
        let text: String = "漢字".repeat(10_000) + " drift 漢字drift";
        let found = Matcher::new(&wanted(&["drift"])).matches(&text);
        assert_eq!(found.len(), 1);
    }

    proptest::proptest! {
        /// The fast word scan finds exactly what the prose analyzer finds, on any text.
        #[test]
        fn matching_agrees_with_the_analyzer(text in "[a-zA-Z0-9 .,;'éüßÆℓ’-]{0,200}", pick in 0usize..5) {
            let mut prose = analyzer::prose();
            let all = analyzer::terms(&mut prose, &text);
            let w: HashSet<String> = all.iter().skip(pick).step_by(3).map(|(_, t)| t.clone()).collect();
            let mut expected = Vec::new();
            let mut stream = prose.token_stream(&text);
            while let Some(t) = stream.next() {
                if w.contains(&t.text) {
                    expected.push(t.offset_from..t.offset_to);
                }
            }
            let wanted = Wanted { prose: w.clone(), ..Wanted::default() };
            let got: Vec<_> = Matcher::new(&wanted)
                .matches(&text)
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }

        /// Author names are matched by the names analyzer's terms, whether or not a name is
        /// ASCII (which skips the analyzer when no wanted term is in it).
        #[test]
        fn author_matching_agrees_with_the_analyzer(
            authors in proptest::collection::vec("[a-zA-Z0-9 .,'éüÆ-]{0,24}", 1..6),
            pick in 0usize..4,
            len in 1usize..5,
        ) {
            let mut names = analyzer::names();
            let terms: Vec<Vec<String>> = authors
                .iter()
                .map(|a| analyzer::terms(&mut names, a).into_iter().map(|(_, t)| t).collect())
                .collect();
            let every: Vec<&String> = terms.iter().flatten().collect();
            let wanted_names: HashSet<String> =
                every.iter().skip(pick).step_by(3).map(|t| t.to_string()).collect();
            let prefixes: Vec<String> = every
                .iter()
                .skip(pick + 1)
                .step_by(4)
                .map(|t| t.chars().take(len).collect())
                .collect();
            let expected: Vec<usize> = terms
                .iter()
                .enumerate()
                .filter(|(_, ts)| {
                    ts.iter().any(|t| {
                        wanted_names.contains(t) || prefixes.iter().any(|p| t.starts_with(p.as_str()))
                    })
                })
                .map(|(i, _)| i)
                .collect();
            let wanted = Wanted { names: wanted_names, name_prefixes: prefixes, ..Wanted::default() };
            proptest::prop_assert_eq!(Matcher::new(&wanted).matching_authors(&authors), expected);
        }

        /// Prefixes too, and one matcher serves answer after answer.
        #[test]
        fn prefix_matching_agrees_with_the_analyzer(
            texts in proptest::collection::vec("[a-zA-Z0-9 .,;'éüßÆℓ’-]{0,120}", 1..4),
            pick in 0usize..5,
            len in 1usize..4,
        ) {
            let mut prose = analyzer::prose();
            let mut matcher = Matcher::new(&Wanted::default());
            for text in &texts {
                let all = analyzer::terms(&mut prose, text);
                let prefixes: Vec<String> = all
                    .iter()
                    .skip(pick)
                    .step_by(4)
                    .map(|(_, t)| t.chars().take(len).collect())
                    .collect();
                let mut expected = Vec::new();
                let mut stream = prose.token_stream(text);
                while let Some(t) = stream.next() {
                    if prefixes.iter().any(|p| t.text.starts_with(p.as_str())) {
                        expected.push(t.offset_from..t.offset_to);
                    }
                }
                matcher.begin(&Wanted { prose_prefixes: prefixes, ..Wanted::default() });
                let got: Vec<_> = matcher.matches(text).into_iter().map(|(r, _)| r).collect();
                proptest::prop_assert_eq!(got, expected);
            }
        }
    }

    fn phrase(text: &str, slop: u32) -> WantedPhrase {
        WantedPhrase {
            terms: analyzer::terms(&mut analyzer::prose(), text),
            slop,
            prefix: false,
        }
    }

    fn marked_words(w: &Wanted, text: &str) -> Vec<String> {
        Matcher::new(w)
            .matches(text)
            .into_iter()
            .map(|(r, _)| text[r].to_string())
            .collect()
    }

    #[test]
    fn a_phrases_words_are_marked_only_where_they_stand_as_the_phrase() {
        let text = "Data is big. Data drifts hurt; the drift of data and DATA DRIFT again.";
        let w = Wanted {
            phrases: vec![phrase("data drift", 0)],
            ..Wanted::default()
        };
        assert_eq!(marked_words(&w, text), ["Data", "drifts", "DATA", "DRIFT"]);
        // A word also asked for on its own is marked everywhere.
        let w = Wanted {
            phrases: vec![phrase("data drift", 0)],
            ..wanted(&["data"])
        };
        assert_eq!(
            marked_words(&w, text),
            ["Data", "Data", "drifts", "data", "DATA", "DRIFT"]
        );
    }

    #[test]
    fn slop_lets_words_move_and_swap_as_the_search_does() {
        // `drift of data`: `data` is two places after where the phrase wants it, `drift`...
        let text = "the drift of data";
        let with = |slop| Wanted {
            phrases: vec![phrase("data drift", slop)],
            ..Wanted::default()
        };
        // ... swapped: data at 3, drift at 1, shifted 3 and 0: three positions apart.
        assert!(marked_words(&with(2), text).is_empty());
        assert_eq!(marked_words(&with(3), text), ["drift", "data"]);
        // A gap where the analyzer dropped nothing counts; over-long words hold a place.
        let long = "x".repeat(analyzer::MAX_TOKEN_BYTES + 5);
        let text = format!("data {long} drift");
        assert!(marked_words(&with(0), &text).is_empty());
        assert_eq!(marked_words(&with(1), &text), ["data", "drift"]);
    }

    #[test]
    fn a_phrase_ending_in_a_prefix_marks_its_words_together() {
        let w = Wanted {
            phrases: vec![WantedPhrase {
                prefix: true,
                ..phrase("deep learn", 0)
            }],
            ..Wanted::default()
        };
        assert_eq!(
            marked_words(&w, "deep nets; learned deep learners"),
            ["deep", "learners"]
        );
    }

    #[test]
    fn a_longer_sloppy_phrase_the_exact_count_misses_still_shows_its_words() {
        // tantivy finds `"drift a data"~2` here (it adds the moves rarest word first); the
        // exact count gives 3 > 2, so the looser rule marks the phrase's words near each other.
        let w = Wanted {
            phrases: vec![phrase("drift a data", 2)],
            ..Wanted::default()
        };
        assert_eq!(
            marked_words(&w, "net net a drift data, a"),
            ["a", "drift", "data", "a"]
        );
        // Words of the phrase far from the others are still not marked.
        let far = format!("drift {} a data", "x ".repeat(20));
        assert!(marked_words(&w, &far).is_empty());
    }

    /// Every token position of `text` in some occurrence of the phrase, by trying every way
    /// to pick one token per term.
    fn occurrences_by_brute_force(text: &str, terms: &[(usize, String)], slop: u32) -> Vec<usize> {
        let tokens = analyzer::terms(&mut analyzer::prose(), text);
        let mut used = std::collections::BTreeSet::new();
        fn pick(
            tokens: &[(usize, String)],
            terms: &[(usize, String)],
            chosen: &mut Vec<(usize, i64)>,
            budget: i64,
            used: &mut std::collections::BTreeSet<usize>,
        ) {
            let i = chosen.len();
            if i == terms.len() {
                used.extend(chosen.iter().map(|&(p, _)| p));
                return;
            }
            for (pos, t) in tokens {
                if *t != terms[i].1 {
                    continue;
                }
                let shifted = *pos as i64 - terms[i].0 as i64;
                let cost = chosen.last().map_or(0, |&(_, s)| (shifted - s).abs());
                if cost <= budget {
                    chosen.push((*pos, shifted));
                    pick(tokens, terms, chosen, budget - cost, used);
                    chosen.pop();
                }
            }
        }
        pick(&tokens, terms, &mut Vec::new(), i64::from(slop), &mut used);
        used.into_iter().collect()
    }

    proptest::proptest! {
        /// The words marked for a phrase are those of its occurrences, found by trying every
        /// choice, and a text has one exactly when tantivy's phrase query matches it.
        #[test]
        fn phrase_marking_agrees_with_brute_force_and_tantivy(
            words in proptest::collection::vec(proptest::sample::select(
                vec!["data", "drifts", "drift", "model", "the", "Data", "models", "of"]), 0..14),
            phrase_words in proptest::collection::vec(proptest::sample::select(
                vec!["data", "drift", "model"]), 2..4),
            slop in 0u32..4,
        ) {
            let text = words.join(" ");
            let p = phrase(&phrase_words.join(" "), slop);
            let expected = occurrences_by_brute_force(&text, &p.terms, slop);
            let w = Wanted { phrases: vec![p.clone()], ..Wanted::default() };
            let found = Matcher::new(&w).matches(&text);
            let positions: Vec<usize> = analyzer::terms(&mut analyzer::prose(), &text)
                .iter()
                .enumerate()
                .filter(|(_, (pos, _))| expected.contains(pos))
                .map(|(i, _)| i)
                .collect();
            let starts: Vec<usize> = text
                .split(' ')
                .scan(0, |at, word| { let s = *at; *at += word.len() + 1; Some(s) })
                .collect();
            let expected_ranges: Vec<usize> = positions.iter().map(|&i| starts[i]).collect();
            let got: Vec<usize> = found.iter().map(|(r, _)| r.start).collect();
            if expected.is_empty() && slop > 0 && p.terms.len() >= 3 {
                // The looser rule where the exact count finds nothing: phrase words only.
                let words: Vec<&str> = found.iter().map(|(r, _)| &text[r.clone()]).collect();
                proptest::prop_assert!(words.iter().all(|w| !["the", "of"].contains(w)));
                return Ok(());
            }
            proptest::prop_assert_eq!(&got, &expected_ranges);
            // tantivy agrees exactly where its slop check is exact: two terms, or no slop.
            if p.terms.len() == 2 || slop == 0 {
                let (index, fields) = crate::index::ram_index_of(&[("paper", text.as_str())]);
                let searcher = index.reader().unwrap().searcher();
                let query = tantivy::query::PhraseQuery::new_with_offset_and_slop(
                    p.terms
                        .iter()
                        .map(|(at, t)| (*at, tantivy::Term::from_field_text(fields.text, t)))
                        .collect(),
                    slop,
                );
                let hits = searcher.search(&query, &tantivy::collector::Count).unwrap();
                proptest::prop_assert_eq!(hits > 0, !got.is_empty());
            }
        }
    }

    #[test]
    fn the_window_with_the_most_distinct_words_wins() {
        let text = format!(
            "graph graph graph {} graph neural network here {}",
            "filler ".repeat(60),
            "tail ".repeat(60)
        );
        let h = Matcher::new(&wanted(&["graph", "neural", "network"])).snippet(&text);
        assert_eq!(marked(&h), ["graph", "neural", "network"]);
        assert!(h.text.starts_with(ELLIPSIS));
    }

    #[test]
    fn no_match_gives_the_opening() {
        let h = Matcher::new(&wanted(&["graph"])).snippet("Short abstract.");
        assert_eq!(h.text, "Short abstract.");
        assert!(h.highlights.is_empty());
    }

    #[test]
    fn multibyte_text_never_splits_a_char() {
        let text = "é".repeat(500) + " graph " + &"ü".repeat(500);
        let h = Matcher::new(&wanted(&["graph"])).snippet(&text);
        assert_eq!(marked(&h), ["graph"]);
    }
}
