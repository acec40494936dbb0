//! Snippets: the stretch of an abstract that best shows why a paper matched, with the matched
//! words marked.
//!
//! Invariant: highlight ranges are byte ranges into the returned fragment, on char boundaries,
//! sorted and disjoint; words are matched by the same analyzer the index used, so `drifting`
//! in a query lights up `drift` and `Drifts` alike.

use std::collections::HashSet;
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use crate::analyzer::{self, Stemmer};
use crate::query::Wanted;

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
/// Stemming every word of ten abstracts costs more than the search itself, so words are
/// tokenized and folded first and only those that start with the first letter of a wanted term
/// are stemmed: a Snowball stem keeps its word's first letter (tested in `analyzer`).
pub struct Matcher {
    words: TextAnalyzer,
    stemmer: Stemmer,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher {
            words: analyzer::names(),
            stemmer: Stemmer::default(),
        }
    }
}

impl Matcher {
    /// Byte ranges of the wanted words of `text`, with their analyzed form. `stem` says whether
    /// `terms` and `prefixes` are stems (prose fields) or plain folded words (names).
    pub fn matches(
        &mut self,
        text: &str,
        terms: &HashSet<String>,
        prefixes: &[String],
        stem: bool,
    ) -> Vec<(Range<usize>, String)> {
        let mut out = Vec::new();
        // What a word must start with to be worth stemming: a wanted term's first two chars.
        // A Snowball stem keeps its word's first two chars, except `dying`, `lying`, `tying`
        // (second char `y`), which are let through on their first char (tested in `analyzer`).
        let heads: Vec<&str> = terms
            .iter()
            .chain(prefixes)
            .map(|t| t.char_indices().nth(2).map_or(t.as_str(), |(i, _)| &t[..i]))
            .collect();
        if heads.is_empty() {
            return out;
        }
        let worth_stemming = |word: &str| {
            heads.iter().any(|h| word.starts_with(h))
                || (word.chars().nth(1) == Some('y')
                    && heads
                        .iter()
                        .any(|h| h.chars().next() == word.chars().next()))
        };
        // The words as the analyzers split them: runs of alphanumeric chars (SimpleTokenizer),
        // over-long runs dropped (RemoveLongFilter). ASCII words are lower-cased here; the rare
        // others go through the analyzer for folding.
        let mut folded = String::new();
        for run in alphanumeric_runs(text) {
            let word = &text[run.clone()];
            if word.len() >= analyzer::MAX_TOKEN_BYTES {
                continue;
            }
            if word.is_ascii() {
                folded.clear();
                folded.push_str(word);
                folded.make_ascii_lowercase();
            } else {
                let mut stream = self.words.token_stream(word);
                let Some(token) = stream.next() else {
                    continue;
                };
                folded.clone_from(&token.text);
            }
            if !worth_stemming(&folded) {
                continue;
            }
            let term = if stem {
                self.stemmer.stem(&folded)
            } else {
                folded.as_str().into()
            };
            if terms.contains(term.as_ref())
                || prefixes.iter().any(|p| term.starts_with(p.as_str()))
            {
                out.push((run, term.into_owned()));
            }
        }
        out
    }

    /// Highlights every wanted word of a short text (a title, an author name).
    pub fn highlight_all(&mut self, text: &str, wanted: &Wanted, names: bool) -> Highlighted {
        let found = if names {
            self.matches(text, &wanted.names, &[], false)
        } else {
            self.matches(text, &wanted.prose, &wanted.prose_prefixes, true)
        };
        Highlighted {
            text: text.to_string(),
            highlights: found.into_iter().map(|(r, _)| r).collect(),
        }
    }

    /// The best snippet of `text` for the wanted words: the window of about [`SNIPPET_BYTES`]
    /// with the most distinct matched terms (then the most matches), or the opening when none
    /// match.
    pub fn snippet(&mut self, text: &str, wanted: &Wanted) -> Highlighted {
        let found = self.matches(text, &wanted.prose, &wanted.prose_prefixes, true);
        window(text, found)
    }
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

/// Byte ranges of the maximal runs of alphanumeric chars, as tantivy's SimpleTokenizer splits.
fn alphanumeric_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Whether the char at byte `at` is alphanumeric, and its length: ASCII without decoding.
    let class = move |at: usize| -> (bool, usize) {
        let b = bytes[at];
        if b.is_ascii() {
            return (b.is_ascii_alphanumeric(), 1);
        }
        let c = text[at..].chars().next().unwrap_or(' ');
        (c.is_alphanumeric(), c.len_utf8())
    };
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let (alnum, len) = class(i);
            if alnum {
                break;
            }
            i += len;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() {
            let (alnum, len) = class(i);
            if !alnum {
                break;
            }
            i += len;
        }
        Some(start..i)
    })
}

/// Cuts the snippet around the matches found.
fn window(text: &str, found: Vec<(Range<usize>, String)>) -> Highlighted {
    let (mut start, mut end) = (0, word_end(text, SNIPPET_BYTES));
    if !found.is_empty() {
        let mut best = (0usize, 0usize, 0usize);
        for (i, (first, _)) in found.iter().enumerate() {
            let limit = first.start + SNIPPET_BYTES - LEAD_BYTES;
            let window: Vec<_> = found[i..]
                .iter()
                .take_while(|(r, _)| r.end <= limit)
                .collect();
            let distinct: HashSet<&str> = window.iter().map(|(_, t)| t.as_str()).collect();
            let key = (distinct.len(), window.len());
            if key > (best.0, best.1) {
                best = (key.0, key.1, i);
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
        let h = Matcher::default().snippet(text, &wanted(&["drifting"]));
        assert_eq!(marked(&h), ["drifts", "drift"]);
    }

    #[test]
    fn long_text_is_cut_around_the_matches_on_word_boundaries() {
        let text = format!(
            "{} the straggler problem {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let h = Matcher::default().snippet(&text, &wanted(&["straggler"]));
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
        let got: Vec<_> = Matcher::default()
            .matches(text, &w.prose, &[], true)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 8);
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
            let got: Vec<_> = Matcher::default()
                .matches(&text, &w, &[], true)
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn no_match_gives_the_opening() {
        let h = Matcher::default().snippet("Short abstract.", &wanted(&["graph"]));
        assert_eq!(h.text, "Short abstract.");
        assert!(h.highlights.is_empty());
    }

    #[test]
    fn multibyte_text_never_splits_a_char() {
        let text = "é".repeat(500) + " graph " + &"ü".repeat(500);
        let h = Matcher::default().snippet(&text, &wanted(&["graph"]));
        assert_eq!(marked(&h), ["graph"]);
    }
}
