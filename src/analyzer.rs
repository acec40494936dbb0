//! Text analysis: the one place where tokenization, folding and stemming are defined.
//!
//! Invariant: the same analyzer turns documents into terms at indexing time and query words into
//! terms at search time, because both go through [`register`] on every index open. An index whose
//! analyzers changed must be rebuilt; [`ANALYZER_VERSION`] is part of the index format version.

use std::borrow::Cow;
use std::mem;

use rust_stemmers::{Algorithm, Stemmer as SnowballStemmer};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the analyzer for prose (titles, abstracts): folded and stemmed.
pub const PROSE: &str = "paperdex_prose";
/// Name of the analyzer for names (authors): folded, never stemmed.
pub const NAMES: &str = "paperdex_names";

/// Bumped whenever tokenization, folding or stemming changes what terms a text produces.
pub const ANALYZER_VERSION: u32 = 1;

/// Tokens longer than this many bytes are dropped: they are base64 blobs or URLs glued together,
/// never words a person searches for, and they bloat the term dictionary.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Analyzer for prose: split on non-alphanumerics, drop over-long tokens, lower-case, fold accents
/// and typographic punctuation to ASCII, then the English Snowball stemmer.
pub fn prose() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(EnglishStemmer)
        .build()
}

/// Analyzer for author names: as [`prose`] without stemming (`Jones` must not match `Jone`).
pub fn names() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers both analyzers under their names. Must run on every index open: tantivy does not
/// persist custom analyzers, and an unregistered one makes queries silently stop stemming.
pub fn register(manager: &TokenizerManager) {
    manager.register(PROSE, prose());
    manager.register(NAMES, names());
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

/// The English Snowball stemmer from rust-stemmers, as a tantivy token filter.
///
/// tantivy's own `stemmer` feature now wraps a different crate; the user chose rust-stemmers.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnglishStemmer;

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = StemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmerFilter<T> {
        StemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct StemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemmerFilter<T> {
    type TokenStream<'a> = StemmerTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmerTokenStream {
            tail: self.inner.token_stream(text),
            stemmer: SnowballStemmer::create(Algorithm::English),
            buffer: String::new(),
        }
    }
}

pub struct StemmerTokenStream<S> {
    tail: S,
    stemmer: SnowballStemmer,
    buffer: String,
}

impl<S: TokenStream> TokenStream for StemmerTokenStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Cow::Owned(stemmed) = self.stemmer.stem(&token.text) {
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
    fn over_long_tokens_are_dropped() {
        let mut a = prose();
        let blob = "x".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            words(&mut a, &format!("graph {blob} data")),
            ["graph", "data"]
        );
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

    #[test]
    fn positions_survive_stemming() {
        let mut a = prose();
        let got = terms(&mut a, "graph neural networks");
        assert_eq!(got.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [0, 1, 2]);
    }
}
