//! Text analysis: the one place where tokenization, folding and stemming are defined.
//!
//! Invariant: the same analyzer turns documents into terms at indexing time and query words into
//! terms at search time, because both go through [`register`] on every index open. An index whose
//! analyzers changed must be rebuilt; [`ANALYZER_VERSION`] is part of the index format version.

use std::borrow::Cow;
use std::mem;

use rust_stemmers::{Algorithm, Stemmer as SnowballStemmer};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    TextAnalyzerBuilder, Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the analyzer for prose (titles, abstracts): folded and stemmed.
pub const PROSE: &str = "paperdex_prose";
/// Name of the analyzer for names (authors): folded, never stemmed.
pub const NAMES: &str = "paperdex_names";

/// Bumped whenever tokenization, folding or stemming changes what terms a text produces.
/// 2: text and queries composed (NFC) and soft hyphens dropped before analysis, so an index of
/// decomposed text (`nai` + `ve` terms) is rebuilt rather than missed by composed queries.
/// 3: the dotted capital `İ` folds to `i` (lower-casing makes it `i` and a combining dot).
/// 4: a field's values indexed [`VALUE_GAP`] positions apart, so that a sloppy phrase no longer
/// matches across two copies of the title, from the title into the abstract or across authors.
pub const ANALYZER_VERSION: u32 = 4;

/// Positions left between two values of one field (the copies of the title and the abstract in
/// the ranking field; two authors), as Elasticsearch's `position_increment_gap` (100 there too):
/// no phrase a person types has that much slop, so none matches across values. tantivy itself
/// leaves one position, which only stops phrases without slop.
pub const VALUE_GAP: usize = 100;

/// Tokens longer than this many bytes are dropped: they are base64 blobs or URLs glued together,
/// never words a person searches for, and they bloat the term dictionary.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Analyzer for prose: split on non-alphanumerics, drop over-long tokens, lower-case, fold accents
/// and typographic punctuation to ASCII, then the English Snowball stemmer.
pub fn prose() -> TextAnalyzer {
    prose_with(EnglishStemmer::default()).build()
}

/// [`prose`] for an index writer: the same terms, with stems memoized per indexing thread and
/// field (a fixed 512 KiB each, which a query's short-lived analyzer should not pay for), each
/// value's positions starting [`VALUE_GAP`] after the previous value's.
pub fn prose_for_indexing() -> TextAnalyzer {
    prose_with(EnglishStemmer::memoized())
        .filter(ValueGap)
        .build()
}

fn prose_with(stemmer: EnglishStemmer) -> TextAnalyzerBuilder<impl Tokenizer> {
    names_with().filter(stemmer)
}

/// Analyzer for author names: as [`prose`] without stemming (`Jones` must not match `Jone`).
pub fn names() -> TextAnalyzer {
    names_with().build()
}

/// [`names`] for an index writer: each author's positions [`VALUE_GAP`] after the previous one's.
pub fn names_for_indexing() -> TextAnalyzer {
    names_with().filter(ValueGap).build()
}

fn names_with() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(DottedIFolder)
}

/// Registers both analyzers under their names. Must run on every index open: tantivy does not
/// persist custom analyzers, and an unregistered one makes queries silently stop stemming.
pub fn register(manager: &TokenizerManager) {
    manager.register(PROSE, prose());
    manager.register(NAMES, names());
}

/// As [`register`], with the indexing variants: for the index a writer writes into. Queries
/// never analyze through an index's registry (they use [`prose`] and [`names`] directly), and
/// their phrases are relative, so the shift [`ValueGap`] adds is never seen by a query.
pub fn register_for_indexing(manager: &TokenizerManager) {
    manager.register(PROSE, prose_for_indexing());
    manager.register(NAMES, names_for_indexing());
}

/// The analyzed terms of `text`, in order, with their positions.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}

/// The one token `analyzer` makes of `word` (its term, and where it is in `word`); `None` when
/// it makes none or several (`co-design`): such a word stands for no single term.
pub fn only_term(analyzer: &mut TextAnalyzer, word: &str) -> Option<Token> {
    let mut stream = analyzer.token_stream(word);
    let token = stream.next()?.clone();
    stream.next().is_none().then_some(token)
}

/// Endings of English words, for [`prefix_stems`]: what a word starting with a typed prefix may
/// go on with, where stemming cuts into the prefix itself (`optimiz` + `ation` stems to `optim`).
const ENDINGS: &[&str] = &[
    "", "e", "s", "es", "ed", "ing", "ings", "er", "ers", "est", "ly", "y", "ies", "ied", "ion",
    "ions", "ation", "ations", "ational", "ative", "ator", "ate", "ates", "ated", "ating",
    "ization", "izations", "ize", "izes", "ized", "izing", "izer", "izers", "isation", "ise",
    "ised", "ising", "al", "ally", "ality", "ity", "ities", "ic", "ics", "ical", "ically", "ism",
    "ist", "ists", "istic", "ive", "ively", "iveness", "ivity", "ous", "ously", "ful", "fully",
    "fulness", "less", "ness", "ment", "ments", "able", "ably", "ability", "ible", "ibility",
    "ance", "ence", "ences", "ant", "ent", "ency", "ancy", "ement",
];

/// The stems of words starting with `prefix` (folded, not stemmed) that do not start with it
/// themselves: a prefix query matches every term starting with the prefix, and these too. The
/// index holds stems, and a word's stem may be shorter than what was typed of it (`optimiz*`:
/// `optimization`, `optimizer` and `optimized` are all `optim`; `running*`: `run`). Found by
/// stemming the prefix completed with each common English ending, also where the prefix
/// already ends with the ending's first letters (`optimiza` + `tion`). Sorted, deduplicated.
pub fn prefix_stems(prefix: &str) -> Vec<String> {
    let stemmer = Stemmer::default();
    let mut stems: Vec<String> = Vec::new();
    let mut word = String::with_capacity(prefix.len() + 16);
    for ending in ENDINGS {
        for (cut, _) in ending.char_indices().chain([(ending.len(), ' ')]) {
            let (typed, rest) = ending.split_at(cut);
            if !prefix.ends_with(typed) || (cut > 0 && rest.is_empty()) {
                continue;
            }
            word.clear();
            word.push_str(prefix);
            word.push_str(rest);
            let stem = stemmer.stem(&word);
            if !stem.starts_with(prefix) && !stem.is_empty() {
                stems.push(stem.into_owned());
            }
        }
    }
    stems.sort_unstable();
    stems.dedup();
    stems
}

/// The English Snowball stemmer, for code that stems words one at a time (highlighting) and
/// must agree with [`prose`] exactly.
pub struct Stemmer(SnowballStemmer);

impl Default for Stemmer {
    fn default() -> Self {
        Stemmer(SnowballStemmer::create(Algorithm::English))
    }
}

impl Stemmer {
    /// The stem of a word already lower-cased and folded (as [`names`] leaves it).
    pub fn stem<'a>(&self, word: &'a str) -> Cow<'a, str> {
        self.0.stem(word)
    }
}

/// Folds the `i` + combining dot above that lower-casing makes of Turkish `İ` (`İsmail`,
/// `İzmir`) to `i`, as the folding does for every other accented letter: ASCII folding maps
/// precomposed letters and leaves a lone combining mark, so `author:ismail` missed `İsmail`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DottedIFolder;

/// COMBINING DOT ABOVE.
const COMBINING_DOT: char = '\u{307}';

impl TokenFilter for DottedIFolder {
    type Tokenizer<T: Tokenizer> = DottedIFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> DottedIFilter<T> {
        DottedIFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct DottedIFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for DottedIFilter<T> {
    type TokenStream<'a> = DottedITokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        DottedITokenStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct DottedITokenStream<S> {
    tail: S,
}

impl<S: TokenStream> TokenStream for DottedITokenStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let text = &mut self.tail.token_mut().text;
        // Folded words are ASCII but for the few letters folding leaves alone.
        if !text.is_ascii() && text.contains(COMBINING_DOT) {
            *text = fold_dotted_i(text);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Shifts every token of a value [`VALUE_GAP`] positions on. tantivy starts each value of a
/// field one position after the previous value's last token, plus its tokens' own positions, so
/// this opens a gap of `VALUE_GAP + 1` between values (and before the first, which is harmless).
#[derive(Clone, Copy, Debug, Default)]
pub struct ValueGap;

impl TokenFilter for ValueGap {
    type Tokenizer<T: Tokenizer> = ValueGapFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> ValueGapFilter<T> {
        ValueGapFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct ValueGapFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for ValueGapFilter<T> {
    type TokenStream<'a> = ValueGapTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ValueGapTokenStream {
            tail: self.inner.token_stream(text),
            shifted: false,
        }
    }
}

pub struct ValueGapTokenStream<S> {
    tail: S,
    /// Whether the token the tokenizer reuses holds a shifted position: the tokenizer counts
    /// the next position from it, so the shift is taken back before it does.
    shifted: bool,
}

impl<S: TokenStream> TokenStream for ValueGapTokenStream<S> {
    fn advance(&mut self) -> bool {
        if self.shifted {
            self.tail.token_mut().position -= VALUE_GAP;
            self.shifted = false;
        }
        if !self.tail.advance() {
            return false;
        }
        self.tail.token_mut().position += VALUE_GAP;
        self.shifted = true;
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// `text` lower-cased as the analyzers lower-case it, `İ` to `i` included (what a suggestion
/// shows and what a typed word is looked up as).
pub fn lowercase(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains(COMBINING_DOT) {
        fold_dotted_i(&lower)
    } else {
        lower
    }
}

/// `text` without the combining dots above that follow an `i`.
fn fold_dotted_i(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = None;
    for c in text.chars() {
        if !(c == COMBINING_DOT && previous == Some('i')) {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// The English Snowball stemmer from rust-stemmers, as a tantivy token filter.
///
/// tantivy's own `stemmer` feature now wraps a different crate; the user chose rust-stemmers.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnglishStemmer {
    memoized: bool,
}

impl EnglishStemmer {
    /// A stemmer that remembers recent words' stems in a [`StemCache`]: the same terms, for
    /// indexing, where Snowball was a third of the time (abstracts repeat a small vocabulary).
    pub fn memoized() -> Self {
        EnglishStemmer { memoized: true }
    }
}

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = StemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmerFilter<T> {
        StemmerFilter {
            inner: tokenizer,
            cache: self.memoized.then(StemCache::default),
        }
    }
}

#[derive(Clone)]
pub struct StemmerFilter<T> {
    inner: T,
    cache: Option<StemCache>,
}

impl<T: Tokenizer> Tokenizer for StemmerFilter<T> {
    type TokenStream<'a> = StemmerTokenStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmerTokenStream {
            tail: self.inner.token_stream(text),
            stemmer: SnowballStemmer::create(Algorithm::English),
            buffer: String::new(),
            cache: self.cache.as_mut(),
        }
    }
}

pub struct StemmerTokenStream<'a, S> {
    tail: S,
    stemmer: SnowballStemmer,
    buffer: String,
    cache: Option<&'a mut StemCache>,
}

impl<S: TokenStream> TokenStream for StemmerTokenStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(cache) = self.cache.as_deref_mut() {
            cache.stem_in_place(&self.stemmer, &mut token.text);
        } else if let Cow::Owned(stemmed) = self.stemmer.stem(&token.text) {
            // Reuse the buffer rather than allocating a token text per stemmed word.
            self.buffer.clear();
            self.buffer.push_str(&stemmed);
            mem::swap(&mut token.text, &mut self.buffer);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The stems of recently seen words: a direct-mapped table of [`STEM_CACHE_SLOTS`] slots, each
/// holding one word and its stem inline, so a lookup touches one cache line and never allocates.
///
/// A word's slot is chosen by its hash; a new word evicts the one there. Memory is fixed
/// (`STEM_CACHE_SLOTS` x 64 bytes, allocated on first use), whatever the corpus. tantivy clones
/// the analyzer per indexing thread and per field, so a cache is never shared; a clone starts
/// empty.
#[derive(Default)]
pub struct StemCache {
    slots: Vec<StemSlot>,
}

/// Words longer than this are stemmed every time (they are rare).
const SLOT_WORD_BYTES: usize = 31;

/// 2^13 slots: 512 KiB, the most frequent few thousand words of a field stay resident.
const STEM_CACHE_BITS: u32 = 13;
const STEM_CACHE_SLOTS: usize = 1 << STEM_CACHE_BITS;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct StemSlot {
    /// 0: empty (tokens are never empty).
    word_len: u8,
    word: [u8; SLOT_WORD_BYTES],
    /// `u8::MAX`: the word is its own stem.
    stem_len: u8,
    stem: [u8; SLOT_WORD_BYTES],
}

const EMPTY_SLOT: StemSlot = StemSlot {
    word_len: 0,
    word: [0; SLOT_WORD_BYTES],
    stem_len: 0,
    stem: [0; SLOT_WORD_BYTES],
};

impl Clone for StemCache {
    fn clone(&self) -> Self {
        StemCache::default()
    }
}

impl StemCache {
    /// Replaces `word` by its stem, from the cache where it is there.
    fn stem_in_place(&mut self, stemmer: &SnowballStemmer, word: &mut String) {
        let bytes = word.as_bytes();
        if bytes.len() > SLOT_WORD_BYTES {
            if let Cow::Owned(stemmed) = stemmer.stem(word) {
                *word = stemmed;
            }
            return;
        }
        if self.slots.is_empty() {
            self.slots = vec![EMPTY_SLOT; STEM_CACHE_SLOTS];
        }
        let slot = &mut self.slots[slot_of(bytes)];
        let len = bytes.len();
        if !same_bytes(&slot.word[..usize::from(slot.word_len)], bytes) {
            let stem = stemmer.stem(word);
            slot.word_len = len as u8;
            slot.word[..len].copy_from_slice(bytes);
            match stem {
                Cow::Borrowed(_) => slot.stem_len = u8::MAX,
                Cow::Owned(stem) if stem.len() <= SLOT_WORD_BYTES => {
                    slot.stem_len = stem.len() as u8;
                    slot.stem[..stem.len()].copy_from_slice(stem.as_bytes());
                }
                Cow::Owned(stem) => {
                    // A stem longer than the slot: not remembered (never seen in English).
                    slot.word_len = 0;
                    *word = stem;
                    return;
                }
            }
        }
        if slot.stem_len != u8::MAX {
            let stem = &slot.stem[..usize::from(slot.stem_len)];
            // The stem is a copy of what Snowball returned for this word: valid UTF-8.
            if let Ok(stem) = std::str::from_utf8(stem) {
                word.clear();
                word.push_str(stem);
            }
        }
    }
}

/// The slot of a word: the Fx hash (rustc's; a few instructions per word), top bits.
fn slot_of(word: &[u8]) -> usize {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut hash = 0u64;
    let mut chunks = word.chunks_exact(8);
    for chunk in &mut chunks {
        hash = (hash.rotate_left(5) ^ load_le(chunk)).wrapping_mul(K);
    }
    hash = (hash.rotate_left(5) ^ load_le(chunks.remainder())).wrapping_mul(K);
    (hash >> (64 - STEM_CACHE_BITS)) as usize
}

/// Up to 8 bytes as a little-endian number; a loop rather than a copy into an array, which
/// compiles to a `memcpy` call costing more than the whole lookup.
fn load_le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .enumerate()
        .fold(0, |v, (i, &b)| v | (u64::from(b) << (8 * i)))
}

/// Byte equality without a `memcmp` call (words are a few bytes long).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        terms(analyzer, text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn prose_stems_and_folds() {
        let mut a = prose();
        assert_eq!(words(&mut a, "Drifting Networks"), ["drift", "network"]);
        assert_eq!(words(&mut a, "naïve café"), ["naiv", "cafe"]);
        assert_eq!(words(&mut a, "co-design"), ["co", "design"]);
    }

    #[test]
    fn typographic_apostrophe_splits_like_ascii() {
        let mut a = prose();
        assert_eq!(words(&mut a, "Today’s"), words(&mut a, "Today's"));
    }

    #[test]
    fn names_are_folded_not_stemmed() {
        let mut a = names();
        assert_eq!(words(&mut a, "Sandström Jones"), ["sandstrom", "jones"]);
    }

    #[test]
    fn turkish_dotted_and_dotless_i_fold_to_i() {
        let mut a = names();
        assert_eq!(
            words(&mut a, "İsmail Yılmaz İZMİR"),
            ["ismail", "yilmaz", "izmir"]
        );
        assert_eq!(words(&mut prose(), "İstanbul"), ["istanbul"]);
    }

    #[test]
    fn over_long_tokens_are_dropped() {
        let mut a = prose();
        let blob = "x".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            words(&mut a, &format!("graph {blob} data")),
            ["graph", "data"]
        );
    }

    #[test]
    fn a_prefix_reaches_the_stems_that_stemming_cut_into_it() {
        assert_eq!(prefix_stems("optimiz"), ["optim"]);
        assert!(prefix_stems("optimiza").contains(&"optim".to_string()));
        assert!(prefix_stems("running").contains(&"run".to_string()));
        assert!(prefix_stems("generaliz").contains(&"general".to_string()));
        assert!(prefix_stems("probabilit").contains(&"probabl".to_string()));
        assert!(prefix_stems("networks").contains(&"network".to_string()));
        // A prefix that every word starting with it keeps needs nothing more.
        assert!(
            prefix_stems("graph").is_empty(),
            "{:?}",
            prefix_stems("graph")
        );
        // Each word starting with the prefix stems to a term starting with it or listed.
        let text = include_str!("../corpus/mlsys-2022.txt");
        let stemmer = Stemmer::default();
        for word in words(&mut names(), text) {
            for cut in (3..word.len()).filter(|&c| word.is_char_boundary(c)) {
                let prefix = &word[..cut];
                let stem = stemmer.stem(&word);
                assert!(
                    stem.starts_with(prefix) || prefix_stems(prefix).contains(&stem.to_string()),
                    "{prefix}* misses {word} ({stem})"
                );
            }
        }
    }

    #[test]
    fn memoized_stems_are_the_stems() {
        let text = "Running runs ran runner networks network networking caresses ponies \
                    generalization generalizations Café naïve x y 2024 IL-6";
        let mut plain = prose();
        let mut memoized = prose_for_indexing();
        let expected = shifted(terms(&mut plain, text));
        for _ in 0..3 {
            assert_eq!(terms(&mut memoized, text), expected);
        }
    }

    /// `terms` as an indexing analyzer gives them: [`VALUE_GAP`] positions on.
    fn shifted(terms: Vec<(usize, String)>) -> Vec<(usize, String)> {
        terms.into_iter().map(|(p, t)| (p + VALUE_GAP, t)).collect()
    }

    #[test]
    fn indexing_analyzers_differ_from_query_ones_only_by_the_value_gap() {
        let text = "Bo Deep, Ann-Marie Lee and İsmail Çelik";
        assert_eq!(
            terms(&mut names_for_indexing(), text),
            shifted(terms(&mut names(), text))
        );
        assert_eq!(
            terms(&mut prose_for_indexing(), text),
            shifted(terms(&mut prose(), text))
        );
    }

    #[test]
    fn memoized_stems_survive_evictions_and_long_words() {
        // Far more distinct words than slots, each seen twice, plus words too long for a slot.
        let text: String = (0..3 * STEM_CACHE_SLOTS)
            .map(|i| format!("walking{i}s runnings{i} "))
            .chain(["internationalizationsrepresentations ".repeat(3)])
            .collect();
        let mut plain = prose();
        let mut memoized = prose_for_indexing();
        let expected = shifted(terms(&mut plain, &text));
        assert_eq!(terms(&mut memoized, &text), expected);
        assert_eq!(terms(&mut memoized, &text), expected);
    }

    #[test]
    fn stemming_words_one_by_one_agrees_with_the_prose_analyzer() {
        let text = "Skies dying lying tying studies generously Networks naïve early flies ugly \
                    idly gently singly only news atlas bias happy by";
        let stemmer = Stemmer::default();
        let one_by_one: Vec<String> = words(&mut names(), text)
            .iter()
            .map(|w| stemmer.stem(w).into_owned())
            .collect();
        assert_eq!(one_by_one, words(&mut prose(), text));
        // Highlighting relies on a stem keeping its word's first two chars, but for the
        // second char `y` of `dying`, `lying`, `tying`.
        for (w, s) in words(&mut names(), text).iter().zip(&one_by_one) {
            assert_eq!(w.chars().next(), s.chars().next(), "{w} -> {s}");
            if w.chars().nth(1) != Some('y') {
                assert_eq!(w.chars().nth(1), s.chars().nth(1), "{w} -> {s}");
            }
        }
    }

    /// Highlighting stems only the words that start with all of a wanted stem but its last
    /// char (and at least its first two, or one where the word's second char is `y`).
    fn assert_stems_keep_their_words(text: &str) -> usize {
        let stemmer = Stemmer::default();
        let mut seen = std::collections::HashSet::new();
        for w in words(&mut names(), text) {
            if !seen.insert(w.clone()) {
                continue;
            }
            let s = stemmer.stem(&w);
            let n = s.chars().count();
            let keep = n.saturating_sub(1).max(2).min(n);
            let head: String = s.chars().take(keep).collect();
            let y_second = w.chars().nth(1) == Some('y') && w.chars().next() == s.chars().next();
            assert!(w.starts_with(&head) || y_second, "{w} -> {s}");
        }
        seen.len()
    }

    #[test]
    fn a_stem_is_its_word_but_for_the_last_char() {
        let corpus = include_str!("../corpus/mlsys-2022.txt");
        let extra = "probability relational hoping happy skies dying lying tying fying \
                     generalization organization variability sensible reasonably studies \
                     ability possibly urgency formalism sensitivity duplicate logical agreed";
        let seen = assert_stems_keep_their_words(&format!("{corpus} {extra}"));
        assert!(seen > 1000, "{seen} words");
    }

    /// The same over the vocabulary of 87,669 real abstracts, where they are.
    #[test]
    fn a_stem_is_its_word_but_for_the_last_char_in_paperlists() {
        use std::io::Read;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/paperlists/abstracts.jsonl.gz"
        );
        let Ok(file) = std::fs::File::open(path) else {
            eprintln!("skipped: {path} is absent");
            return;
        };
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
        let seen = assert_stems_keep_their_words(&text);
        assert!(seen > 90_000, "{seen} words");
    }

    #[test]
    fn positions_survive_stemming() {
        let mut a = prose();
        let got = terms(&mut a, "graph neural networks");
        assert_eq!(got.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [0, 1, 2]);
    }
}
