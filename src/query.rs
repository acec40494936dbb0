//! Query language: parses what a user types into an expression, then into a tantivy query.
//!
//! Syntax: words (ranked by how many match, or all required with `--all`), `"exact phrase"`,
//! `"phrase"~N`, `title:`/`author:`/`abstract:`/`venue:`/`id:` scoping (of a word, a phrase or a
//! parenthesised group), `year:` filters (`year:2024`, `year:2020..2024`, `year:>=2021`),
//! `+required`, `-excluded`, `AND`/`OR`/`NOT`, parentheses, `prefix*`, `fuzzy~` and `fuzzy~N`.
//!
//! Invariants: parsing never fails on text that merely looks odd (a lone quote or parenthesis, a
//! URL, `C++`, a hyphenated word): such text is searched as plain words and a note says what was
//! taken literally. It fails, with the column, only on an explicit construct that is wrong: an
//! unknown field, a field with no term after it, or a `year:` that names no years. Query words
//! go through the same analyzers as the documents, so phrases and field terms are stemmed
//! exactly like the text they must match.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::{Bound, Range};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::query::{
    AllQuery, AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery,
    EnableScoring, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Searcher;
use tantivy_fst::Automaton;
use unicode_width::UnicodeWidthStr;

use crate::analyzer;
use crate::bm25::{Bm25Params, Bm25TermQuery};
use crate::completion::CompletedPhrase;
use crate::feedback::Feedback;
use crate::filter::{Filtered, YearRange};
use crate::fuzzy;
use crate::in_abstract::{self, InAbstract};
use crate::schema::Fields;
use crate::union::TermUnion;

/// Which field(s) a leaf searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Title and abstract (the ranking field) and authors.
    Any,
    Title,
    Authors,
    Abstract,
    Venue,
    Id,
    /// Publication year: a filter, never part of the score (see [`Leaf::Years`]).
    Year,
    /// Publication year joined to words by an explicit `OR` (`drift OR year:2021`): papers of
    /// those years are alternatives to the words' papers, at no score, not a filter of them.
    YearOr,
}

impl Scope {
    fn from_name(name: &str) -> Option<Scope> {
        match name.to_ascii_lowercase().as_str() {
            "title" => Some(Scope::Title),
            "author" | "authors" => Some(Scope::Authors),
            "abstract" => Some(Scope::Abstract),
            "venue" => Some(Scope::Venue),
            "id" => Some(Scope::Id),
            "year" => Some(Scope::Year),
            _ => None,
        }
    }
}

/// The fields a user can name.
pub const FIELD_NAMES: &str = "title, author, abstract, venue, id, year";

/// One searchable unit of a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// A word; analysis may split it (`co-design`), and the parts must then stand together.
    Word(String),
    /// A quoted phrase, with its slop (`"a b"~2`).
    Phrase(String, u32),
    /// A quoted phrase whose last word is a prefix (`"neural netw*"`), without the `*`.
    PhrasePrefix(String),
    /// Every term that starts with this text (`graph*`).
    Prefix(String),
    /// The terms within some edits of this word's (`transfomer~`, `drift~1`): the number
    /// written, or by the word's length ([`fuzzy::auto_edits`]).
    Fuzzy(String, Option<u8>),
    /// Papers published in these years (`year:2024`, `year:2020..2024`, `year:>=2021`). Papers
    /// without a year never match.
    Years(Bound<i64>, Bound<i64>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Leaf {
        scope: Scope,
        leaf: Leaf,
        span: Range<usize>,
    },
    /// Any of these (more matches rank higher); `Required` and `Not` children must / must not.
    Or(Vec<Expr>),
    /// All of these.
    And(Vec<Expr>),
    Not(Box<Expr>),
    Required(Box<Expr>),
    /// This expression's score multiplied (`drift^2`, `"a b"^0.5`, `title:(a b)^3`).
    Boost(Box<Expr>, f32),
}

/// A query that is wrong as written, with the character column (0-based) where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub query: String,
    pub column: usize,
    pub width: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query echoed with a caret under the culprit, as compilers do: control characters
        // shown as spaces and the caret placed by display width (an emoji takes two columns, a
        // combining accent none), so that it stays aligned; a long query is cut around it.
        const BEFORE: usize = 40;
        const AFTER: usize = 40;
        const CULPRIT: usize = 40;
        let chars: Vec<char> = self
            .query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let at = self.column.min(chars.len());
        let whole_end = (at + self.width).min(chars.len());
        let culprit_end = whole_end.min(at + CULPRIT);
        let from = at.saturating_sub(BEFORE);
        let to = if culprit_end < whole_end {
            culprit_end
        } else {
            (culprit_end + AFTER).min(chars.len())
        };
        let lead = if from > 0 { "…" } else { "" };
        let tail = if to < chars.len() { "…" } else { "" };
        let before: String = chars[from..at].iter().collect();
        let culprit: String = chars[at..culprit_end].iter().collect();
        let after: String = chars[culprit_end..to].iter().collect();
        write!(
            f,
            "query column {}: {}\n  {lead}{before}{culprit}{after}{tail}\n  {}{}",
            self.column + 1,
            self.message,
            " ".repeat(lead.width() + before.width()),
            "^".repeat(culprit.width().max(1))
        )
    }
}

impl std::error::Error for QueryError {}

/// The result of parsing: the expression (none if nothing searchable was typed) and notes on
/// what was taken literally.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub expr: Option<Expr>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Years(Bound<i64>, Bound<i64>),
    Phrase(String, u32),
    PhrasePrefix(String),
    Prefix(String),
    Fuzzy(String, Option<u8>),
    Field(Scope),
    Open,
    Close,
    And,
    Or,
    Not,
    Plus,
    Minus,
    /// `^N` right after a word, phrase or group.
    Boost(f32),
}

/// The largest boost: a score times more than this would only swamp every other (and large
/// enough ones overflow to infinity).
pub const MAX_BOOST: f32 = 1000.0;

/// The boost `^N` stands for: a decimal number from 0 to [`MAX_BOOST`].
fn boost_value(number: &str) -> Option<f32> {
    // Digits and a point only: `5e-1` and `inf` are text (Rust's parser would take them).
    if !number.starts_with(|c: char| c.is_ascii_digit())
        || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    number.parse::<f32>().ok().filter(|b| *b <= MAX_BOOST)
}

/// How `year:` is written, for error messages.
const YEARS: &str = "e.g. `year:2024`, `year:2020..2024`, `year:>=2021`, `year:<2020`";

/// The years `text` (what follows `year:`) names, inclusive or exclusive at each end; `None`
/// when it is not a year, a range of years or a comparison, or names no year at all.
fn years(text: &str) -> Option<(Bound<i64>, Bound<i64>)> {
    let year = |t: &str| -> Option<i64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (lo, hi) = if let Some(t) = text.strip_prefix(">=") {
        (Bound::Included(year(t)?), Bound::Unbounded)
    } else if let Some(t) = text.strip_prefix('>') {
        (Bound::Excluded(year(t)?), Bound::Unbounded)
    } else if let Some(t) = text.strip_prefix("<=") {
        (Bound::Unbounded, Bound::Included(year(t)?))
    } else if let Some(t) = text.strip_prefix('<') {
        (Bound::Unbounded, Bound::Excluded(year(t)?))
    } else if let Some((a, b)) = text.split_once("..") {
        let lo = if a.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(year(a)?)
        };
        let hi = if b.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(year(b)?)
        };
        (lo, hi)
    } else {
        let y = year(text)?;
        (Bound::Included(y), Bound::Included(y))
    };
    let first = match lo {
        Bound::Included(y) => Some(y),
        Bound::Excluded(y) => Some(y.checked_add(1)?),
        Bound::Unbounded => None,
    };
    let last = match hi {
        Bound::Included(y) => Some(y),
        Bound::Excluded(y) => Some(y.checked_sub(1)?),
        Bound::Unbounded => None,
    };
    match (first, last) {
        (None, None) => None,
        (Some(a), Some(b)) if a > b => None,
        _ => Some((lo, hi)),
    }
}

/// Whether `text` is a range of years whose ends are the wrong way round (`2024..2020`).
fn backwards(text: &str) -> bool {
    let Some((a, b)) = text.split_once("..") else {
        return false;
    };
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// Tokens with their byte spans in the query.
type Spanned = Vec<(Tok, Range<usize>)>;

struct Lexer<'q> {
    query: &'q str,
    toks: Vec<(Tok, Range<usize>)>,
    notes: Vec<String>,
}

/// Whether a plain word was probably meant as fuzzy or prefix syntax (`drift~a`, `gr*ph`,
/// `dri*~`), rather than being text that holds `~` or `*` (`~5%`, `example.org/~me`, `**bold**`).
fn looks_like_syntax(word: &str) -> bool {
    if !word.contains(['~', '*']) {
        return false;
    }
    let chars: Vec<char> = word.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c {
            '~' => before.is_some_and(|b| b.is_alphanumeric() || b == '*'),
            '*' => {
                before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric)
            }
            _ => false,
        }
    })
}

/// The longest stretch of a user's text quoted back in a message.
const QUOTED_CHARS: usize = 60;

/// `text` as quoted back in a message: whole if short, else its start and an ellipsis.
pub fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => text.into(),
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
    }
}

fn column(query: &str, byte: usize) -> usize {
    query[..byte.min(query.len())].chars().count()
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '"')
}

/// Where the word starting at `at` ends.
fn word_end(q: &str, at: usize) -> usize {
    at + q[at..].find(|c| !is_word_char(c)).unwrap_or(q.len() - at)
}

/// What is wrong with `text` as the value of `year:`; `group`: a group follows the colon.
fn not_years(text: &str, group: bool) -> String {
    let why = if group {
        "takes one year or range, not a group: `year:2022..2023`, or `year:2022 OR year:2023`"
            .to_string()
    } else if backwards(text) {
        format!("`{text}` runs backwards: its first year is after its last")
    } else {
        format!("takes a year or a range ({YEARS})")
    };
    format!("`year:` {why}")
}

/// Where the value of a field written with a space after its colon (`title: drift`) starts:
/// the next word, phrase or group, unless that is an operator, a sign or another field, which
/// cannot be meant as the value.
fn value_after_space(q: &str, end: usize) -> Option<usize> {
    let at = end + (q[end..].len() - q[end..].trim_start().len());
    if at == end {
        return None;
    }
    if q[at..].starts_with(['"', '(']) {
        return Some(at);
    }
    let word = &q[at..word_end(q, at)];
    let operator = matches!(word, "AND" | "&&" | "OR" | "||" | "NOT");
    let field = word
        .split_once(':')
        .is_some_and(|(name, _)| Scope::from_name(name).is_some());
    (!word.is_empty() && !operator && !field && !word.starts_with(['-', '+'])).then_some(at)
}

impl<'q> Lexer<'q> {
    fn note(&mut self, at: usize, what: &str) {
        let col = column(self.query, at) + 1;
        self.notes.push(format!("column {col}: {what}"));
    }

    fn error(&self, at: Range<usize>, message: String) -> QueryError {
        let column = column(self.query, at.start);
        let width = self.query[at.clone()].chars().count();
        QueryError {
            query: self.query.to_string(),
            column,
            width,
            message,
        }
    }

    fn run(mut self) -> Result<(Spanned, Vec<String>), QueryError> {
        let q = self.query;
        let mut i = 0;
        while let Some(c) = q[i..].chars().next() {
            let next = q[i + c.len_utf8()..].chars().next();
            match c {
                c if c.is_whitespace() => i += c.len_utf8(),
                '(' => {
                    self.toks.push((Tok::Open, i..i + 1));
                    i += 1;
                }
                ')' => {
                    self.toks.push((Tok::Close, i..i + 1));
                    i = self.boost(i + 1)?;
                }
                '"' => i = self.phrase(i)?,
                '+' | '-' if next.is_some_and(|n| is_word_char(n) || n == '"' || n == '(') => {
                    let tok = if c == '+' { Tok::Plus } else { Tok::Minus };
                    // `+-x`, `--x`: only the last sign counts; `C++` is a word, handled below.
                    if next.is_some_and(|n| n == '+' || n == '-') {
                        let end = word_end(q, i);
                        self.note(i, &format!("`{}` taken as plain text", shorten(&q[i..end])));
                        self.toks.push((Tok::Word(q[i..end].to_string()), i..end));
                        i = end;
                    } else {
                        self.toks.push((tok, i..i + 1));
                        i += 1;
                    }
                }
                _ => i = self.word(i)?,
            }
        }
        Ok((self.toks, self.notes))
    }

    /// A boost `^N` at byte `at`, after a word, phrase or group: pushed, and where the lexer
    /// goes on. Anything else is left for the next token.
    fn boost(&mut self, at: usize) -> Result<usize, QueryError> {
        let q = self.query;
        let Some(rest) = q[at..].strip_prefix('^') else {
            return Ok(at);
        };
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let end = at + 1 + len;
        if q[end..].chars().next().is_some_and(is_word_char) {
            return Ok(at);
        }
        let Some(value) = boost_value(&rest[..len]) else {
            self.not_a_boost(at, end);
            return Ok(at);
        };
        self.toks.push((Tok::Boost(value), at..end));
        Ok(end)
    }

    /// `^` that is not quite a boost (`x^T`, `10^5000`, a lone `^`) in `start..end`: text, as
    /// pasted math is, and said so.
    fn not_a_boost(&mut self, start: usize, end: usize) {
        let text = shorten(&self.query[start..end]).into_owned();
        self.note(
            start,
            &format!("`{text}` taken as plain text (a boost is `^N` after a word, phrase or group, N from 0 to {MAX_BOOST})"),
        );
    }

    fn phrase(&mut self, start: usize) -> Result<usize, QueryError> {
        let q = self.query;
        let Some(len) = q[start + 1..].find('"') else {
            self.note(start, "unbalanced quote taken literally");
            return Ok(start + 1);
        };
        let end = start + 1 + len + 1;
        let mut text = q[start + 1..end - 1].to_string();
        // `"neural netw*"`: a phrase whose last word is a prefix (Elasticsearch's
        // `match_phrase_prefix`), for a phrase still being typed.
        let words: Vec<&str> = text.split_whitespace().collect();
        let is_prefix =
            |w: &str| w.ends_with('*') && w.trim_end_matches('*').contains(char::is_alphanumeric);
        let prefix = words.last().is_some_and(|w| is_prefix(w));
        if words.iter().rev().skip(1).any(|w| is_prefix(w)) {
            self.note(
                start,
                "`*` inside quotes is a prefix on the phrase's last word only: the other words are searched without it",
            );
        }
        if prefix {
            let kept = text.trim_end().trim_end_matches('*').len();
            text.truncate(kept);
        }
        let mut slop = 0;
        let mut stop = end;
        if let Some(rest) = q[end..].strip_prefix('~') {
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let next = rest[digits.len()..].chars().next();
            // A boost may follow (`"a b"~2^3`).
            if !digits.is_empty() && !next.is_some_and(|c| is_word_char(c) && c != '^') {
                // Slop beyond what abstracts can span only costs time.
                slop = digits.parse::<u32>().unwrap_or(u32::MAX).min(1000);
                stop = end + 1 + digits.len();
            } else if next.is_some_and(is_word_char) {
                let what = word_end(q, end + 1);
                self.note(
                    end,
                    &format!(
                        "`{}` after a phrase taken as plain text (a phrase with slop is `\"...\"~N`)",
                        shorten(&q[end..what])
                    ),
                );
            }
        }
        let one_word = text.split_whitespace().count() == 1;
        if prefix && slop > 0 {
            let what = if one_word {
                "a quoted prefix takes no slop"
            } else {
                "a phrase ending in a prefix is searched with its words next to each other"
            };
            self.note(end, &format!("{what}: `~{slop}` is ignored"));
        }
        let tok = if !prefix {
            Tok::Phrase(text, slop)
        } else if one_word {
            Tok::Prefix(text.trim().to_string())
        } else {
            Tok::PhrasePrefix(text)
        };
        self.toks.push((tok, start..stop));
        self.boost(stop)
    }

    fn word(&mut self, start: usize) -> Result<usize, QueryError> {
        let q = self.query;
        let end = word_end(q, start);
        let word = &q[start..end];
        let span = start..end;
        match word {
            "AND" | "&&" => {
                self.toks.push((Tok::And, span));
                return Ok(end);
            }
            "OR" | "||" => {
                self.toks.push((Tok::Or, span));
                return Ok(end);
            }
            "NOT" => {
                self.toks.push((Tok::Not, span));
                return Ok(end);
            }
            _ => {}
        }
        if let Some(colon) = word.find(':') {
            let name = &word[..colon];
            let rest = &word[colon + 1..];
            let is_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
            let attached = !rest.is_empty() || q[end..].starts_with(['"', '(']);
            // `title: drift`, `year: 2022`: a space after the colon, as Lucene and Elasticsearch
            // read it, when what follows can only be the field's value.
            let spaced = if rest.is_empty() && !attached {
                value_after_space(q, end)
            } else {
                None
            };
            if is_name && !rest.starts_with("//") {
                match (Scope::from_name(name), spaced) {
                    (Some(Scope::Year), Some(at)) => {
                        let value = &q[at..word_end(q, at)];
                        // `year: 2022^3`: the boost is a token of its own, as when attached.
                        let years_text = match value.split_once('^') {
                            Some((text, number)) if boost_value(number).is_some() => text,
                            _ => value,
                        };
                        let value_end = at + years_text.len();
                        let Some((lo, hi)) = years(years_text) else {
                            let group = years_text.is_empty() && q[at..].starts_with('(');
                            let why = not_years(years_text, group);
                            return Err(self.error(start..value_end, why));
                        };
                        self.toks.push((Tok::Years(lo, hi), start..value_end));
                        return self.boost(value_end);
                    }
                    (Some(Scope::Year), None) => {
                        // `year:2022^3`: the boost is a token of its own, and the parser says
                        // a filter never scores, as it does of `(year:2022)^3`.
                        let (rest, end) = match rest.split_once('^') {
                            Some((years_text, number))
                                if boost_value(number).is_some() && years(years_text).is_some() =>
                            {
                                (years_text, start + colon + 1 + years_text.len())
                            }
                            _ => (rest, end),
                        };
                        let value = start + colon + 1..end;
                        let years = years(rest).ok_or_else(|| {
                            let at = if rest.is_empty() {
                                start..end
                            } else {
                                value.clone()
                            };
                            let group = rest.is_empty() && q[end..].starts_with('(');
                            self.error(at, not_years(rest, group))
                        })?;
                        self.toks.push((Tok::Years(years.0, years.1), start..end));
                        return self.boost(end);
                    }
                    (Some(scope), Some(at)) => {
                        self.toks
                            .push((Tok::Field(scope), start..start + colon + 1));
                        let value_end = word_end(q, at);
                        // `title: a:b` is the word `a:b`, as `title:a:b` is, not a field `a`.
                        if q[at..value_end].contains(':') {
                            return self.plain(at, value_end);
                        }
                        return Ok(at);
                    }
                    (Some(scope), None) => {
                        if !attached {
                            return Err(self.error(
                                start..start + colon + 1,
                                format!(
                                    "`{name}:` needs a term after it, e.g. `{name}:{}`",
                                    match scope {
                                        Scope::Id => "mlsys-2022-7",
                                        Scope::Year => "2022",
                                        Scope::Authors => "hinton",
                                        Scope::Venue => "mlsys-2022",
                                        _ => "graph",
                                    }
                                ),
                            ));
                        }
                        self.toks
                            .push((Tok::Field(scope), start..start + colon + 1));
                        if rest.is_empty() {
                            return Ok(end);
                        }
                        let rest_start = start + colon + 1;
                        let signed = rest.len() > 1 && rest.starts_with(['-', '+']);
                        if signed {
                            // `title:-drift`: the sign is not an operator there (a pasted
                            // `Title:-A study` must not fail); said, with what was meant.
                            let (sign, word) = rest.split_at(1);
                            let verb = if sign == "-" { "exclude" } else { "require" };
                            self.note(
                                rest_start,
                                &format!(
                                    "`{sign}` after `{name}:` ignored; to {verb} the word, write `{sign}{}:{}`",
                                    name.to_lowercase(),
                                    shorten(word)
                                ),
                            );
                            return self.plain(rest_start + 1, end);
                        }
                        if let Some((inner, _)) = rest.split_once(':') {
                            if Scope::from_name(inner).is_some() {
                                // `title:abstract:drift`: Lucene refuses it; searched as the
                                // words of the outer field (pasted text must not fail), and said.
                                self.note(
                                    rest_start,
                                    &format!(
                                        "`{}` after `{}:` taken as plain text; a word takes one field",
                                        shorten(rest),
                                        name.to_lowercase()
                                    ),
                                );
                            }
                        }
                        return self.plain(rest_start, end);
                    }
                    (None, _) if attached => {
                        return Err(self.error(
                            start..start + colon,
                            format!("unknown field `{name}` (fields: {FIELD_NAMES})"),
                        ))
                    }
                    (None, _) => {}
                }
            }
            self.note(start, &format!("`{}` taken as plain text", shorten(word)));
            self.toks.push((Tok::Word(word.to_string()), span));
            return Ok(end);
        }
        self.plain(start, end)
    }

    /// A word with no field: a prefix if it ends in `*`, fuzzy if in `~` or `~N`; with a
    /// boost if it ends in `^N`.
    fn plain(&mut self, start: usize, end: usize) -> Result<usize, QueryError> {
        let word = &self.query[start..end];
        if let Some(number) = word.strip_prefix('^') {
            // `drift ^2`: a boost with a space before it weighs nothing; not the text `2`.
            if boost_value(number).is_some() {
                self.note(start, "boost with nothing to weigh ignored");
                return Ok(end);
            }
            self.not_a_boost(start, end);
            return self.plain_word(start, end);
        }
        if let Some(caret) = word.rfind('^').filter(|&c| c > 0) {
            if boost_value(&word[caret + 1..]).is_some() {
                // `drift^3^5`: one boost per word; what the last one weighs holds a `^`.
                if word[..caret].contains('^') {
                    self.not_a_boost(start, start + caret);
                }
                self.plain_word(start, start + caret)?;
                return self.boost(start + caret);
            }
            self.not_a_boost(start, end);
        }
        self.plain_word(start, end)
    }

    fn plain_word(&mut self, start: usize, end: usize) -> Result<usize, QueryError> {
        let word = &self.query[start..end];
        if let Some((base, digits)) = word.rsplit_once('~') {
            let is_word = !base.is_empty() && !base.contains(['~', '*']);
            if is_word && digits.bytes().all(|b| b.is_ascii_digit()) {
                let edits = if digits.is_empty() {
                    None
                } else {
                    let n = digits.parse::<u32>().unwrap_or(u32::MAX);
                    if n > u32::from(fuzzy::MAX_EDITS) {
                        self.note(
                            start,
                            &format!(
                                "`{word}`: a word can be at most {} edits away, searched with {}",
                                fuzzy::MAX_EDITS,
                                fuzzy::MAX_EDITS
                            ),
                        );
                    }
                    Some(n.min(u32::from(fuzzy::MAX_EDITS)) as u8)
                };
                self.toks
                    .push((Tok::Fuzzy(base.to_string(), edits), start..end));
                return Ok(end);
            }
        }
        match word.strip_suffix('*') {
            Some(stem) if !stem.is_empty() && !stem.ends_with('*') => {
                if looks_like_syntax(stem) {
                    // `dr*ft*`: searched as `dr` then the prefix `ft*`, which finds what few
                    // expect; said, as for `dr*ft`.
                    let why = if stem.contains('*') {
                        "only a `*` at the end of a word makes a prefix; the others are taken as plain text"
                    } else {
                        "a prefix of a fuzzy word is not searched; its `~` is taken as plain text"
                    };
                    self.note(start, &format!("`{}`: {why}", shorten(word)));
                }
                self.toks.push((Tok::Prefix(stem.to_string()), start..end));
            }
            Some(_) if word.chars().all(|c| c == '*') => {
                self.note(
                    start,
                    &format!("`{word}` ignored: a prefix needs letters before `*`"),
                );
            }
            _ => {
                if looks_like_syntax(word) {
                    // Syntax that is not quite right: searched as the words in it, and said so.
                    self.note(
                        start,
                        &format!(
                            "`{}` taken as plain text (fuzzy words are `word~`, `word~1`, `word~2`; a prefix is `pre*`)",
                            shorten(word)
                        ),
                    );
                }
                self.toks.push((Tok::Word(word.to_string()), start..end))
            }
        }
        Ok(end)
    }
}

struct Parser<'q> {
    query: &'q str,
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    all: bool,
    notes: Vec<String>,
    /// Groups, signs and fields open around the token being parsed.
    nesting: usize,
    /// Where [`MAX_NESTING`] was passed, if it was.
    too_deep: Option<Range<usize>>,
}

/// Groups, signs, `NOT`s and fields inside one another a query may hold. Each level is a level
/// of recursion, here and in every pass over the query, and a query generated a thousand levels
/// deep would overflow the stack; Elasticsearch refuses deep queries too.
pub const MAX_NESTING: usize = 100;

impl Parser<'_> {
    /// Runs `parse` one level deeper, for the group, sign or field at `span`; past
    /// [`MAX_NESTING`], parses nothing and notes where.
    fn nested(
        &mut self,
        span: &Range<usize>,
        parse: impl FnOnce(&mut Self) -> Option<Expr>,
    ) -> Option<Expr> {
        if self.nesting >= MAX_NESTING {
            self.too_deep.get_or_insert_with(|| span.clone());
            return None;
        }
        self.nesting += 1;
        let parsed = parse(self);
        self.nesting -= 1;
        parsed
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn note(&mut self, span: &Range<usize>, what: &str) {
        let col = column(self.query, span.start) + 1;
        self.notes.push(format!("column {col}: {what}"));
    }

    fn starts_operand(tok: Option<&Tok>) -> bool {
        matches!(
            tok,
            Some(
                Tok::Word(_)
                    | Tok::Years(..)
                    | Tok::Phrase(..)
                    | Tok::PhrasePrefix(_)
                    | Tok::Prefix(_)
                    | Tok::Fuzzy(..)
                    | Tok::Field(_)
                    | Tok::Open
                    | Tok::Not
                    | Tok::Plus
                    | Tok::Minus
            )
        )
    }

    /// An operator where an operand should be is the word itself: "AND" in pasted text.
    fn dangling_word(&mut self) -> Expr {
        let span = self.toks[self.pos].1.clone();
        self.pos += 1;
        self.note(&span, "operator with nothing to join taken as a word");
        Expr::Leaf {
            scope: Scope::Any,
            leaf: Leaf::Word(self.query[span.clone()].to_string()),
            span,
        }
    }

    fn parse_or(&mut self, depth: usize) -> Option<Expr> {
        let mut items = Vec::new();
        let mut expect_operand = true;
        // For each item: whether an explicit `OR` joins it to the one before.
        let mut joined: Vec<bool> = Vec::new();
        let mut after_or = false;
        loop {
            if joined.len() < items.len() {
                joined.push(std::mem::take(&mut after_or));
            }
            match self.peek() {
                Some(Tok::Or) if !expect_operand => {
                    self.pos += 1;
                    expect_operand = true;
                    after_or = true;
                }
                Some(Tok::Or | Tok::And) => {
                    let word = self.dangling_word();
                    items.push(word);
                    expect_operand = false;
                }
                Some(Tok::Close) if depth == 0 => {
                    let span = self.toks[self.pos].1.clone();
                    self.pos += 1;
                    self.note(&span, "unbalanced `)` ignored");
                }
                Some(Tok::Boost(_)) => {
                    let span = self.toks[self.pos].1.clone();
                    self.pos += 1;
                    self.note(&span, "boost with nothing to weigh ignored");
                }
                t if Self::starts_operand(t) => {
                    if let Some(e) = self.parse_and(depth) {
                        items.push(e);
                    }
                    expect_operand = false;
                }
                _ => break,
            }
        }
        joined.resize(items.len(), false);
        // Beside words, `year:` filters them (`drift year:2022`); joined to them by an explicit
        // `OR` (`drift OR year:2021`), it is an alternative, as in Lucene: the papers of either.
        // Items joined by `OR`s are a run; a run of years only (`year:2022 OR year:2023`) is
        // still a filter of the words beside it.
        let mut start = 0;
        while start < items.len() {
            let end = (start + 1..items.len())
                .find(|&i| !joined[i])
                .unwrap_or(items.len());
            let run = &mut items[start..end];
            if run.iter().any(is_year) && !run.iter().all(is_year) {
                for item in run.iter_mut().filter(|e| is_year(e)) {
                    *item = as_alternative(std::mem::replace(item, Expr::Or(Vec::new())));
                }
            }
            start = end;
        }
        flatten(items, Expr::Or)
    }

    fn parse_and(&mut self, depth: usize) -> Option<Expr> {
        let mut items: Vec<Expr> = self.parse_unary(depth).into_iter().collect();
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    let span = self.toks[self.pos].1.clone();
                    self.pos += 1;
                    if !Self::starts_operand(self.peek()) {
                        self.note(&span, "`AND` with nothing after it ignored");
                        break;
                    }
                    items.extend(self.parse_unary(depth));
                }
                t if self.all && Self::starts_operand(t) => items.extend(self.parse_unary(depth)),
                _ => break,
            }
        }
        flatten(items, Expr::And)
    }

    fn parse_unary(&mut self, depth: usize) -> Option<Expr> {
        let (tok, span) = self.toks.get(self.pos)?.clone();
        match tok {
            Tok::Not | Tok::Minus => {
                self.pos += 1;
                if !Self::starts_operand(self.peek()) {
                    self.note(&span, "`NOT` with nothing after it ignored");
                    return None;
                }
                self.nested(&span, |p| p.parse_unary(depth))
                    .map(|e| Expr::Not(Box::new(e)))
            }
            Tok::Plus => {
                self.pos += 1;
                self.nested(&span, |p| p.parse_unary(depth))
                    .map(|e| Expr::Required(Box::new(e)))
            }
            _ => self.parse_primary(depth, Scope::Any),
        }
    }

    /// An operand, with the boost that follows it.
    fn parse_primary(&mut self, depth: usize, scope: Scope) -> Option<Expr> {
        let start = self.pos;
        let expr = self.parse_operand(depth, scope);
        let Some((Tok::Boost(boost), span)) = self.toks.get(self.pos).cloned() else {
            return expr;
        };
        if self.pos == start {
            // Not after an operand: for the caller to say.
            return expr;
        }
        self.pos += 1;
        match expr {
            Some(e) if is_year(&e) => {
                self.note(
                    &span,
                    "boost of a `year:` filter ignored (a filter never scores)",
                );
                Some(e)
            }
            Some(e) => Some(Expr::Boost(Box::new(e), boost)),
            None => {
                self.note(&span, "boost with nothing to weigh ignored");
                None
            }
        }
    }

    fn parse_operand(&mut self, depth: usize, scope: Scope) -> Option<Expr> {
        let (tok, span) = self.toks.get(self.pos)?.clone();
        self.pos += 1;
        let leaf = |leaf| {
            Some(Expr::Leaf {
                scope,
                leaf,
                span: span.clone(),
            })
        };
        match tok {
            Tok::Word(w) => leaf(Leaf::Word(w)),
            // A year is its own field whatever group it stands in.
            Tok::Years(lo, hi) => Some(Expr::Leaf {
                scope: Scope::Year,
                leaf: Leaf::Years(lo, hi),
                span: span.clone(),
            }),
            Tok::Phrase(p, slop) => leaf(Leaf::Phrase(p, slop)),
            Tok::PhrasePrefix(p) => leaf(Leaf::PhrasePrefix(p)),
            Tok::Prefix(p) => leaf(Leaf::Prefix(p)),
            Tok::Fuzzy(w, edits) => leaf(Leaf::Fuzzy(w, edits)),
            Tok::Field(inner) => self.nested(&span, |p| p.parse_primary(depth, inner)),
            Tok::Open => {
                let inner = self.nested(&span, |p| p.parse_or(depth + 1));
                if self.peek() == Some(&Tok::Close) {
                    self.pos += 1;
                } else {
                    self.note(&span, "unbalanced `(` ignored");
                }
                inner.map(|e| {
                    // `(NOT a) OR b`: the group is the papers without `a`, as boolean logic (and
                    // Elasticsearch) has it, not an exclusion of the query around it.
                    let e = match e {
                        Expr::Not(_) => Expr::And(vec![e]),
                        e => e,
                    };
                    if scope == Scope::Any {
                        e
                    } else {
                        rescope(e, scope)
                    }
                })
            }
            // Anything else where an operand should be: step back and let the caller decide.
            _ => {
                self.pos -= 1;
                None
            }
        }
    }
}

fn flatten(mut items: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Option<Expr> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(make(items)),
    }
}

/// Applies a group's field (`title:(a b)`) to the leaves inside that name none.
fn rescope(expr: Expr, to: Scope) -> Expr {
    match expr {
        Expr::Leaf { scope, leaf, span } => Expr::Leaf {
            scope: if scope == Scope::Any { to } else { scope },
            leaf,
            span,
        },
        Expr::Or(v) => Expr::Or(v.into_iter().map(|e| rescope(e, to)).collect()),
        Expr::And(v) => Expr::And(v.into_iter().map(|e| rescope(e, to)).collect()),
        Expr::Not(e) => Expr::Not(Box::new(rescope(*e, to))),
        Expr::Required(e) => Expr::Required(Box::new(rescope(*e, to))),
        Expr::Boost(e, b) => Expr::Boost(Box::new(rescope(*e, to)), b),
    }
}

/// A query as [`parse`] reads it, and as its spans and columns count: composed (NFC) and
/// without the invisible characters indexed text is cleaned of ([`crate::clean::compose`],
/// [`crate::clean::is_invisible`]).
pub fn normalize(query: &str) -> std::borrow::Cow<'_, str> {
    match crate::clean::compose(query) {
        composed if composed.contains(crate::clean::is_invisible) => std::borrow::Cow::Owned(
            composed
                .chars()
                .filter(|&c| !crate::clean::is_invisible(c))
                .collect(),
        ),
        composed => composed,
    }
}

/// Parses a query. `all` makes juxtaposed words all required (`--all`); otherwise they are
/// alternatives, ranked by how many match.
pub fn parse(query: &str, all: bool) -> Result<Parsed, QueryError> {
    let normalized = normalize(query);
    let query = normalized.as_ref();
    let lexer = Lexer {
        query,
        toks: Vec::new(),
        notes: Vec::new(),
    };
    let (toks, notes) = lexer.run()?;
    let mut parser = Parser {
        query,
        toks,
        pos: 0,
        all,
        notes,
        nesting: 0,
        too_deep: None,
    };
    let mut items = Vec::new();
    while parser.pos < parser.toks.len() && parser.too_deep.is_none() {
        match parser.parse_or(0) {
            Some(e) => items.push(e),
            // A token no rule consumes (a stray `)` inside): skip it.
            None => parser.pos += 1,
        }
    }
    if let Some(at) = parser.too_deep {
        return Err(QueryError {
            query: query.to_string(),
            column: column(query, at.start),
            width: query[at].chars().count(),
            message: format!(
                "groups, signs, `NOT`s and fields nested more than {MAX_NESTING} deep"
            ),
        });
    }
    let mut expr = flatten(items, if all { Expr::And } else { Expr::Or });
    // `--all co-design`: one word, required, so that a word analysis splits requires each of
    // its parts as beside other words.
    if all {
        expr = expr.map(|e| match e {
            Expr::Leaf {
                leaf: Leaf::Word(ref w) | Leaf::Prefix(ref w) | Leaf::Fuzzy(ref w, _),
                ..
            } if w.contains(|c: char| !c.is_alphanumeric()) => Expr::Required(Box::new(e)),
            e => e,
        });
    }
    Ok(Parsed {
        expr,
        notes: parser.notes,
    })
}

/// Ranking settings: what turns a parsed query into a scored one. Evaluation measures these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Drop common English function words from plain-word queries (never from phrases).
    pub drop_stopwords: bool,
    /// A word that analysis splits (`co-design`, `IL-6`) must match as a phrase; otherwise
    /// its parts count as separate words.
    pub glue_words: bool,
    /// Weight of a match in the title field, added to the match in the ranking field
    /// (0: the title counts only through the ranking field).
    pub title_boost: f32,
    /// The ranking field holds the title (as every index paperdex builds does; `eval
    /// --title-weight 0` builds one without), so a title word is always in it too.
    pub title_in_text: bool,
    /// BM25 parameters other than tantivy's fixed k1 = 1.2, b = 0.75 (slower: no block-max WAND).
    pub bm25: Option<Bm25Params>,
    /// Pseudo-relevance feedback (RM3) for plain-word queries.
    pub feedback: Option<Feedback>,
}

/// Weight of a word's match in the title field, on top of its match in the ranking field: a
/// title match then counts whatever the abstract's length (chosen on SciFact train with the
/// title twice in the ranking field; README, quality).
pub const TITLE_BOOST: f32 = 0.2;

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            drop_stopwords: true,
            glue_words: false,
            title_boost: TITLE_BOOST,
            title_in_text: true,
            bm25: None,
            feedback: None,
        }
    }
}

/// Lucene's English stop words.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// The prose terms a query looks for, for highlighting titles and abstracts.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Analyzed prose terms (stemmed), shown wherever they appear.
    pub prose: HashSet<String>,
    /// Analyzed prose prefixes.
    pub prose_prefixes: Vec<String>,
    /// Phrases, whose words are shown only where they stand as the phrase: `"data drift"` is
    /// not a reason to mark every `data`.
    pub phrases: Vec<WantedPhrase>,
    /// Author-name terms (folded, not stemmed), to show which authors matched.
    pub names: HashSet<String>,
    /// Author-name prefixes (`author:mall*`).
    pub name_prefixes: Vec<String>,
    /// Author-name phrases (`author:"ankur mallick"`, `ankur-mall*`): one author's name must
    /// hold them.
    pub name_phrases: Vec<WantedPhrase>,
    /// What `title:` asks for: shown in titles only, as Elasticsearch highlights only the
    /// fields a query matched (`title:transformer` is no reason to mark the abstract's
    /// `transformation`). Its prose parts only.
    pub title_only: Option<Box<Wanted>>,
    /// What `abstract:` asks for: shown in abstracts only.
    pub abstract_only: Option<Box<Wanted>>,
}

impl Wanted {
    /// Where the prose terms a leaf of `scope` asks for are shown from.
    fn prose_of(&mut self, scope: Scope) -> &mut Wanted {
        match scope {
            Scope::Title => self.title_only.get_or_insert_with(Box::default),
            Scope::Abstract => self.abstract_only.get_or_insert_with(Box::default),
            _ => self,
        }
    }

    /// Whether titles and abstracts are shown for different terms.
    pub fn scoped(&self) -> bool {
        self.title_only.is_some() || self.abstract_only.is_some()
    }

    /// What is shown in titles (`title`) or abstracts: the terms asked for anywhere, and those
    /// asked for in that field only.
    pub fn in_field(&self, title: bool) -> Wanted {
        let mut all = self.clone();
        all.title_only = None;
        all.abstract_only = None;
        let only = if title {
            &self.title_only
        } else {
            &self.abstract_only
        };
        if let Some(only) = only {
            all.prose.extend(only.prose.iter().cloned());
            all.prose_prefixes
                .extend(only.prose_prefixes.iter().cloned());
            all.phrases.extend(only.phrases.iter().cloned());
        }
        all
    }
}

/// A phrase a query looks for, as its analyzed terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WantedPhrase {
    /// Each term with its position in the phrase (a gap where the analyzer dropped a word).
    pub terms: Vec<(usize, String)>,
    /// How far, in positions, the words may move from where the phrase puts them, all moves
    /// counted together (tantivy's and Lucene's slop).
    pub slop: u32,
    /// The last term is a prefix (`neural-net*`).
    pub prefix: bool,
}

/// Turns expressions into tantivy queries with paperdex's fields and analyzers.
pub struct QueryBuilder {
    fields: Fields,
    prose: TextAnalyzer,
    names: TextAnalyzer,
    pub ranking: Ranking,
    /// The index whose terms a fuzzy word stands for; without one, a fuzzy word is its own
    /// term only.
    searcher: Option<Searcher>,
    /// The terms each fuzzy word of the query being built stands for, by field, term and edits.
    fuzzy_memo: HashMap<(Field, String, u8), Vec<fuzzy::Near>>,
    /// The query will be explained: its phrases and prefixes say what they searched
    /// ([`Labelled`]), which other queries need not pay for.
    pub explaining: bool,
}

/// A query ready to run, with the terms to highlight.
pub struct Built {
    pub query: Box<dyn Query>,
    pub wanted: Wanted,
    /// For pseudo-relevance feedback, which expands only queries made of plain words: how many
    /// analyzed prose terms such a query has (with repeats); `None` for queries with operators
    /// or fields, and when the ranking uses no feedback.
    pub plain_terms: Option<usize>,
}

impl QueryBuilder {
    pub fn new(fields: Fields, ranking: Ranking) -> QueryBuilder {
        QueryBuilder {
            fields,
            prose: analyzer::prose(),
            names: analyzer::names(),
            ranking,
            searcher: None,
            fuzzy_memo: HashMap::new(),
            explaining: false,
        }
    }

    /// Fuzzy words will stand for the terms of this index near theirs.
    pub fn searching(mut self, searcher: Searcher) -> QueryBuilder {
        self.searcher = Some(searcher);
        self
    }

    /// Builds the query; `None` when nothing in it is searchable (only stop words or
    /// punctuation).
    pub fn build(&mut self, expr: &Expr) -> Option<Built> {
        self.fuzzy_memo.clear();
        let mut wanted = Wanted::default();
        // The whole query may be one union of terms, ranked by `TermUnion`'s MaxScore; a
        // union nested in another query is left to tantivy, which only pages through it.
        // A lone word, boosted or not, is such a union too.
        let query = match expr {
            Expr::Or(items) => self.boolean(items, Occur::Should, &mut wanted, true, true),
            Expr::Leaf { .. } | Expr::Boost(..) => self.boolean(
                std::slice::from_ref(expr),
                Occur::Should,
                &mut wanted,
                true,
                true,
            ),
            other => self.expr(other, &mut wanted, true),
        }?;
        let plain_terms = if self.ranking.feedback.is_some() {
            self.plain_terms(expr)
        } else {
            None
        };
        Some(Built {
            query,
            wanted,
            plain_terms,
        })
    }

    /// As [`Built::plain_terms`].
    fn plain_terms(&mut self, expr: &Expr) -> Option<usize> {
        let items = match expr {
            Expr::Or(items) => items.as_slice(),
            leaf => std::slice::from_ref(leaf),
        };
        if !items.iter().all(is_plain_word) {
            return None;
        }
        let plain_words = items.len();
        let mut terms = 0;
        for item in items {
            if self.ranking.drop_stopwords && plain_words > 1 && is_stopword_leaf(item) {
                continue;
            }
            if let Expr::Leaf {
                leaf: Leaf::Word(w),
                ..
            } = item
            {
                terms += analyzer::terms(&mut self.prose, w).len();
            }
        }
        Some(terms)
    }

    /// A query for one analyzed term of a field, scored by BM25 with the ranking's parameters.
    pub fn term_query(&self, field: Field, term: &str) -> Box<dyn Query> {
        let term = Term::from_field_text(field, term);
        match self.ranking.bm25 {
            Some(params) => Box::new(Bm25TermQuery::new(term, params)),
            None => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
        }
    }

    fn expr(&mut self, expr: &Expr, wanted: &mut Wanted, positive: bool) -> Option<Box<dyn Query>> {
        match expr {
            Expr::Leaf { scope, leaf, .. } => self.leaf(*scope, leaf, wanted, positive),
            Expr::Not(inner) => {
                // A lone negation matches everything but what it names.
                let q = self.expr(inner, wanted, false)?;
                Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery)),
                    (Occur::MustNot, q),
                ])))
            }
            // Through `boolean`, which requires each part of a split word.
            Expr::Required(_) => self.boolean(
                std::slice::from_ref(expr),
                Occur::Should,
                wanted,
                positive,
                false,
            ),
            Expr::Boost(inner, boost) => {
                let q = self.expr(inner, wanted, positive)?;
                Some(Box::new(BoostQuery::new(q, *boost)))
            }
            Expr::Or(items) => self.boolean(items, Occur::Should, wanted, positive, false),
            Expr::And(items) => self.boolean(items, Occur::Must, wanted, positive, false),
        }
    }

    fn boolean(
        &mut self,
        items: &[Expr],
        default: Occur,
        wanted: &mut Wanted,
        positive: bool,
        union: bool,
    ) -> Option<Box<dyn Query>> {
        // `graph year:2024` means graph papers of 2024, not graph papers or any of 2024: the
        // years filter the alternatives beside them, and are alternatives of each other
        // (`graph year:2023 year:2024`: graph papers of either year).
        if default == Occur::Should && items.iter().any(is_year) && !items.iter().all(is_year) {
            let (years_items, rest): (Vec<Expr>, Vec<Expr>) =
                items.iter().cloned().partition(is_year);
            // The words stay a union MaxScore can rank, the years a filter of it.
            let rest = self.boolean(&rest, Occur::Should, wanted, positive, union);
            let ranges = years_ranges(&years_items);
            let years = self.boolean(&years_items, Occur::Should, wanted, positive, false);
            return match (rest, years) {
                (Some(rest), Some(years)) => {
                    let filtered = Filtered::new(rest, years);
                    Some(Box::new(match ranges {
                        Some(ranges) => filtered.of_years(ranges),
                        None => filtered,
                    }))
                }
                (rest, years) => rest.or(years),
            };
        }
        let merged = merge_repeats(items);
        let items = merged.as_deref().unwrap_or(items);
        // Function words are dropped only beside something else to search for (a word, a
        // phrase, a field, a group): `the` alone is still searched, `the -drift` too, and a
        // query of nothing but function words (`to be or not to be`) is searched as it is.
        let searched = items.iter().any(|e| is_searched(e) && !is_stopword_leaf(e));
        let mut clauses: Vec<(Occur, Alt)> = Vec::new();
        for item in items {
            if self.ranking.drop_stopwords && searched && is_stopword_leaf(item) {
                continue;
            }
            let (mut occur, inner, pos) = match item {
                Expr::Not(inner) => (Occur::MustNot, inner.as_ref(), false),
                Expr::Required(inner) => (Occur::Must, inner.as_ref(), positive),
                other => (default, other, positive),
            };
            // A boosted word stays terms of the union, weighted.
            let (inner, boost) = match inner {
                Expr::Boost(boosted, b) if matches!(**boosted, Expr::Leaf { .. }) => {
                    (boosted.as_ref(), *b)
                }
                other => (other, 1.0),
            };
            // A required split word requires each of its parts (`--all co-design`: `co` and
            // `design`), as Lucene and Elasticsearch require every token of a word under AND.
            if let (Occur::Must, Expr::Leaf { scope, leaf, .. }) = (occur, inner) {
                if let Some(parts) = self.split_parts(*scope, leaf) {
                    for part in parts {
                        if let Some(q) = self.leaf(*scope, &part, wanted, pos) {
                            let q: Box<dyn Query> = if boost == 1.0 {
                                q
                            } else {
                                Box::new(BoostQuery::new(q, boost))
                            };
                            clauses.push((Occur::Must, Alt::Query(q)));
                        }
                    }
                    continue;
                }
            }
            // A word required alone matches what it matches optional: ranked as a union.
            if occur == Occur::Must && items.len() == 1 && matches!(inner, Expr::Leaf { .. }) {
                occur = Occur::Should;
            }
            if let (Occur::Should, Expr::Leaf { scope, leaf, .. }) = (occur, inner) {
                let mut alternatives = self.leaf_alternatives(*scope, leaf, wanted, pos);
                boost_from(&mut alternatives, 0, boost);
                for q in alternatives {
                    clauses.push((Occur::Should, q));
                }
            } else if boost != 1.0 {
                if let Some(q) = self.expr(inner, wanted, pos) {
                    clauses.push((occur, Alt::Query(Box::new(BoostQuery::new(q, boost)))));
                }
            } else if let Some(q) = self.expr(inner, wanted, pos) {
                clauses.push((occur, Alt::Query(q)));
            }
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            if clauses.is_empty() {
                return None;
            }
            clauses.push((Occur::Must, Alt::Query(Box::new(AllQuery))));
        }
        if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
            return clauses.pop().map(|(_, q)| q.into_query());
        }
        if union && clauses.iter().all(|(o, _)| *o == Occur::Should) {
            return Some(or(clauses.into_iter().map(|(_, q)| q).collect()));
        }
        Some(Box::new(BooleanQuery::new(
            clauses
                .into_iter()
                .map(|(o, q)| (o, q.into_query()))
                .collect(),
        )))
    }

    /// The words a word analysis splits (`co-design`: `co`, `design`), as typed but folded,
    /// without its function words and possessive `s` as a split word is searched: each a word,
    /// a fuzzy word for a fuzzy one, and for a prefix (`large-sca*`) the last a prefix. `None`
    /// for a leaf that is one word, or no word, and where words are searched glued.
    fn split_parts(&mut self, scope: Scope, leaf: &Leaf) -> Option<Vec<Leaf>> {
        if self.ranking.glue_words
            || !matches!(
                scope,
                Scope::Any | Scope::Title | Scope::Abstract | Scope::Authors
            )
        {
            return None;
        }
        let text = match leaf {
            Leaf::Word(w) | Leaf::Fuzzy(w, _) => w.as_str(),
            Leaf::Prefix(w) => without_possessive(w),
            _ => return None,
        };
        let mut parts = analyzer::terms(&mut self.names, text);
        if parts.len() < 2 {
            return None;
        }
        // As the split word is searched: names keep function words only in `author:`.
        if self.ranking.drop_stopwords && scope != Scope::Authors {
            let prefix = matches!(leaf, Leaf::Prefix(_));
            drop_function_parts(&mut self.names, text, &mut parts, prefix);
        }
        if parts.len() < 2 {
            return None;
        }
        let last = parts.len() - 1;
        Some(
            parts
                .into_iter()
                .enumerate()
                .map(|(i, (_, part))| match leaf {
                    Leaf::Fuzzy(_, edits) => Leaf::Fuzzy(part, *edits),
                    Leaf::Prefix(_) if i == last => Leaf::Prefix(part),
                    _ => Leaf::Word(part),
                })
                .collect(),
        )
    }

    fn leaf(
        &mut self,
        scope: Scope,
        leaf: &Leaf,
        wanted: &mut Wanted,
        positive: bool,
    ) -> Option<Box<dyn Query>> {
        let mut alternatives = self.leaf_alternatives(scope, leaf, wanted, positive);
        match alternatives.len() {
            0 => None,
            1 => alternatives.pop().map(Alt::into_query),
            _ => Some(Box::new(BooleanQuery::new(
                alternatives
                    .into_iter()
                    .map(|q| (Occur::Should, q.into_query()))
                    .collect(),
            ))),
        }
    }

    /// The queries any of which a leaf matches (one per field, or one per part of a split
    /// word), each scoring on its own. Callers that OR them anyway add them flat: an OR of
    /// terms ranks as one [`TermUnion`] (or, nested, as tantivy's term union with block-max
    /// WAND); an OR of nested ORs could skip nothing.
    fn leaf_alternatives(
        &mut self,
        scope: Scope,
        leaf: &Leaf,
        wanted: &mut Wanted,
        positive: bool,
    ) -> Vec<Alt> {
        // A phrase prefix's last word as typed (folded, not stemmed); `"- netw*"`, of one
        // word, is that word's prefix.
        let one_word;
        let mut typed_last = None;
        let leaf = match leaf {
            Leaf::PhrasePrefix(p) => {
                let mut typed = analyzer::terms(&mut self.names, p);
                if typed.len() <= 1 {
                    one_word = Leaf::Prefix(p.clone());
                    &one_word
                } else {
                    typed_last = typed.pop().map(|(_, t)| t);
                    leaf
                }
            }
            _ => leaf,
        };
        let f = self.fields;
        let title_boost = self.ranking.title_boost;
        let any_with_title = [(f.text, true), (f.title, true), (f.authors, false)];
        let targets: &[(Field, bool)] = match scope {
            Scope::Any if title_boost > 0.0 => &any_with_title,
            Scope::Any => &[(f.text, true), (f.authors, false)],
            Scope::Title => &[(f.title, true)],
            // The abstract has no index of its own: see `in_abstract`.
            Scope::Abstract => &[(f.text, true)],
            Scope::Authors => &[(f.authors, false)],
            Scope::Year | Scope::YearOr => {
                let Leaf::Years(lo, hi) = leaf else {
                    return Vec::new();
                };
                let term = |y: &i64| Term::from_field_i64(f.year, *y);
                // Filters: a paper's year decides whether it is shown, never how high.
                let range = RangeQuery::new(lo.as_ref().map(term), hi.as_ref().map(term));
                return vec![Alt::Query(Box::new(ConstScoreQuery::new(
                    Box::new(range),
                    0.0,
                )))];
            }
            Scope::Venue | Scope::Id => {
                let field = if scope == Scope::Venue { f.venue } else { f.id };
                let text = match leaf {
                    Leaf::Word(w)
                    | Leaf::Phrase(w, _)
                    | Leaf::PhrasePrefix(w)
                    | Leaf::Prefix(w)
                    | Leaf::Fuzzy(w, _) => w,
                    Leaf::Years(..) => return Vec::new(),
                };
                if let Leaf::Fuzzy(_, edits) = leaf {
                    let edits = edits.unwrap_or_else(|| fuzzy::auto_edits(text));
                    return fuzzy::nearest(self.near(field, text, edits))
                        .into_iter()
                        .map(|n| {
                            let term = Term::from_field_text(field, &n.term);
                            Alt::Query(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
                        })
                        .collect();
                }
                let term = Term::from_field_text(field, text);
                return vec![Alt::Query(if let Leaf::Prefix(p) = leaf {
                    Box::new(PrefixQuery::new(field, p))
                } else {
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
                })];
            }
        };
        if let Leaf::Fuzzy(word, edits) = leaf {
            return self.fuzzy_alternatives(scope, targets, word, *edits, wanted, positive);
        }
        let mut alternatives: Vec<Alt> = Vec::new();
        let (text, slop) = match leaf {
            Leaf::Word(w) => (w.as_str(), 0),
            // `model's*` is `model*`: a possessive `s` is dropped from a split word, and here
            // it would be a prefix `s*` of its own.
            Leaf::Prefix(w) => (without_possessive(w), 0),
            Leaf::Phrase(p, slop) => (p.as_str(), *slop),
            Leaf::PhrasePrefix(p) => (p.as_str(), 0),
            Leaf::Years(..) | Leaf::Fuzzy(..) => return Vec::new(),
        };
        // The ranking field and the title share the prose analyzer: analyzed once for both.
        let mut prose_terms = if targets.iter().any(|&(_, is_prose)| is_prose) {
            analyzer::terms(&mut self.prose, text)
        } else {
            Vec::new()
        };
        // A split word that ends in a prefix is its parts beside each other, the last one a
        // prefix: `co-optimiz*` is `co optimiz*`, as `co-optimization` is `co optimization`.
        let split_prefix =
            matches!(leaf, Leaf::Prefix(_)) && prose_terms.len() > 1 && !self.ranking.glue_words;
        // The parts of a split word are words beside each other: `state-of-the-art` is `state
        // art`, as `state of the art` is, and `model's` is `model`.
        let mut function_dropped = Vec::new();
        if (matches!(leaf, Leaf::Word(_)) || split_prefix)
            && prose_terms.len() > 1
            && self.ranking.drop_stopwords
            && !self.ranking.glue_words
        {
            function_dropped =
                drop_function_parts(&mut self.names, text, &mut prose_terms, split_prefix);
        }
        // A phrase's last word, when a prefix, is taken as typed, as a prefix is; the stems
        // shorter than it that its words have (`"neural optimiz*"`: `optim`) stand in its place
        // in phrases of their own.
        let mut phrase_stems = Vec::new();
        if let (Some(typed), Some(last)) = (typed_last, prose_terms.last_mut()) {
            phrase_stems = analyzer::prefix_stems(&typed);
            last.1 = typed;
        }
        // A prefix finds every word starting with it, as typed: `running*` is not `run*`, and
        // `optimiz*` also finds `optimization`, whose stem is `optim`.
        let prose_prefix = match leaf {
            // Before the one-part case: a split word whose other parts were function words
            // (`the-optimiz*`) is one part now, but not one word to analyze.
            Leaf::Prefix(_) if split_prefix => {
                analyzer::terms(&mut self.names, text).pop().map(|(_, t)| {
                    let stems = analyzer::prefix_stems(&t);
                    (t, stems)
                })
            }
            Leaf::Prefix(_) if prose_terms.len() == 1 => analyzer::only_term(&mut self.names, text)
                .map(|t| {
                    let stems = analyzer::prefix_stems(&t.text);
                    (t.text, stems)
                }),
            _ => None,
        };
        if positive {
            let shown_in = wanted.prose_of(scope);
            if let Some((prefix, stems)) = &prose_prefix {
                shown_in.prose_prefixes.push(prefix.clone());
                shown_in.prose.extend(stems.iter().cloned());
                if split_prefix {
                    let whole = &prose_terms[..prose_terms.len() - 1];
                    shown_in.prose.extend(whole.iter().map(|(_, t)| t.clone()));
                }
            } else {
                let glue = self.ranking.glue_words;
                let shown = (
                    &mut shown_in.prose,
                    &mut shown_in.prose_prefixes,
                    &mut shown_in.phrases,
                );
                want(leaf, &prose_terms, slop, glue, shown);
                for stem in &phrase_stems {
                    let mut terms = prose_terms.clone();
                    if let Some(last) = terms.last_mut() {
                        last.1.clone_from(stem);
                    }
                    shown_in.phrases.push(WantedPhrase {
                        terms,
                        slop: 0,
                        prefix: false,
                    });
                }
            }
        }
        for &(field, is_prose) in targets {
            // The title is also in the ranking field: its own clause only adds weight.
            let boost = if scope == Scope::Any && field == f.title {
                title_boost
            } else {
                1.0
            };
            let first = alternatives.len();
            let names_terms;
            let terms = if is_prose {
                &prose_terms
            } else {
                let mut terms = analyzer::terms(&mut self.names, text);
                // A plain split word's function words are dropped from names too: an author
                // named `The` is no match for `state-of-the-art`, as for `state of the art`.
                // (A split prefix is a name phrase, which no lone `The` matches.)
                if scope == Scope::Any && matches!(leaf, Leaf::Word(_)) {
                    terms.retain(|(p, _)| !function_dropped.contains(p));
                }
                names_terms = terms;
                if positive {
                    let glue = self.ranking.glue_words;
                    let shown = (
                        &mut wanted.names,
                        &mut wanted.name_prefixes,
                        &mut wanted.name_phrases,
                    );
                    want(leaf, &names_terms, slop, glue, shown);
                }
                &names_terms
            };
            // A split word ending in a prefix, in a prose field: its parts, then the prefix.
            let one_prefix = is_prose && split_prefix;
            let q: Box<dyn Query> = match (leaf, terms.len()) {
                (_, 0) => continue,
                (Leaf::Prefix(_), 1) => match &prose_prefix {
                    Some((prefix, stems)) if is_prose => {
                        Box::new(PrefixQuery::with_stems(field, prefix, stems))
                    }
                    _ => Box::new(PrefixQuery::new(field, &terms[0].1)),
                },
                // Its whole parts are words of their own; its prefix goes on below.
                (Leaf::Prefix(_), n) if one_prefix => {
                    let Some((prefix, stems)) = &prose_prefix else {
                        continue;
                    };
                    for (_, t) in &terms[..n - 1] {
                        let part = self.part(scope, field, t);
                        alternatives.push(part);
                    }
                    Box::new(PrefixQuery::with_stems(field, prefix, stems))
                }
                (Leaf::PhrasePrefix(_), _) if is_prose => {
                    self.phrase_prefix(field, terms, &phrase_stems)
                }
                (Leaf::Prefix(_) | Leaf::PhrasePrefix(_), _) => {
                    // A name ending in a prefix (`author:jean-p*`, `author:"jean p*"`): the
                    // name's words in order. tantivy tries only 50 completions of the prefix by
                    // default, in term order: `jean-f*` found no Jean-François.
                    Box::new(every_completion(positioned(field, terms)))
                }
                (_, 1) if scope != Scope::Abstract => {
                    alternatives.push(self.term_alt(scope, field, &terms[0].1));
                    boost_from(&mut alternatives, first, boost);
                    continue;
                }
                (_, 1) => self.term_query(field, &terms[0].1),
                (Leaf::Word(_), _) if !self.ranking.glue_words => {
                    for (_, t) in terms {
                        let part = self.part(scope, field, t);
                        alternatives.push(part);
                    }
                    boost_from(&mut alternatives, first, boost);
                    continue;
                }
                _ => Box::new(PhraseQuery::new_with_offset_and_slop(
                    positioned(field, terms),
                    slop,
                )),
            };
            let q: Box<dyn Query> = match leaf {
                Leaf::Prefix(_) | Leaf::Phrase(..) | Leaf::PhrasePrefix(_) if self.explaining => {
                    let typed = prose_prefix.as_ref().filter(|_| is_prose).map(|p| &p.0);
                    let label = self.label(field, leaf, terms, slop, typed);
                    Box::new(Labelled::new(q, label))
                }
                _ => q,
            };
            let q = if scope == Scope::Abstract {
                let must_hold = match leaf {
                    Leaf::Prefix(_) if terms.len() == 1 || one_prefix => match &prose_prefix {
                        Some((prefix, stems)) => {
                            in_abstract::Leaf::Prefix(prefix.clone(), stems.clone())
                        }
                        None => in_abstract::Leaf::Prefix(terms[0].1.clone(), Vec::new()),
                    },
                    // A phrase ending in a prefix: its whole words must be in the abstract.
                    Leaf::Prefix(_) | Leaf::PhrasePrefix(_) => {
                        in_abstract::Leaf::Terms(terms[..terms.len() - 1].to_vec(), 0)
                    }
                    _ => in_abstract::Leaf::Terms(terms.clone(), slop),
                };
                self.in_abstract(q, must_hold)
            } else {
                q
            };
            alternatives.push(Alt::Query(q));
            boost_from(&mut alternatives, first, boost);
        }
        alternatives
    }

    /// A phrase whose last word is a prefix (`"neural netw*"`), in a prose field: the papers
    /// where the phrase stands, its last word any indexed word starting with the prefix or one
    /// of `stems`, ranked by BM25 of its whole words, as a phrase (or, one word, as that word).
    /// tantivy's own query ranks the same for two whole words or more, but gives every paper
    /// the same score for one.
    fn phrase_prefix(
        &self,
        field: Field,
        terms: &[(usize, String)],
        stems: &[String],
    ) -> Box<dyn Query> {
        let Some((_, whole)) = terms.split_last() else {
            return Box::new(EmptyQuery);
        };
        let mut words = positioned(field, terms);
        let mut stands: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(completed) = CompletedPhrase::new(field, terms) {
            stands.push((Occur::Should, Box::new(completed)));
        }
        for stem in stems {
            if let Some(last) = words.last_mut() {
                last.1 = Term::from_field_text(field, stem);
            }
            let q = PhraseQuery::new_with_offset(words.clone());
            stands.push((Occur::Should, Box::new(q)));
        }
        let ranked: Box<dyn Query> = match whole {
            [(_, word)] => self.term_query(field, word),
            _ => Box::new(PhraseQuery::new_with_offset(positioned(field, whole))),
        };
        let stands = ConstScoreQuery::new(Box::new(BooleanQuery::new(stands)), 0.0);
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(stands)),
            (Occur::Should, ranked),
        ]))
    }

    /// One part of a split word, a word of its own.
    fn part(&mut self, scope: Scope, field: Field, term: &str) -> Alt {
        if scope == Scope::Abstract {
            let q = self.term_query(field, term);
            let must_hold = in_abstract::Leaf::Terms(vec![(0, term.to_string())], 0);
            Alt::Query(self.in_abstract(q, must_hold))
        } else {
            self.term_alt(scope, field, term)
        }
    }

    /// What a phrase or prefix searched, as `--explain` shows it: `title:"graph network"~2`,
    /// `title+abstract:optimiz*`, `authors:"ann b*"`; the words as the index holds them, and a
    /// prose prefix as typed (`typed`: it stands for itself and a few stems).
    fn label(
        &self,
        field: Field,
        leaf: &Leaf,
        terms: &[(usize, String)],
        slop: u32,
        typed: Option<&String>,
    ) -> String {
        let name = self.fields.shown_name(field).unwrap_or("field");
        let prefix = matches!(leaf, Leaf::Prefix(_) | Leaf::PhrasePrefix(_));
        if let (Leaf::Prefix(_), Some(typed)) = (leaf, typed) {
            return format!("{name}:{typed}*");
        }
        let words: Vec<&str> = terms.iter().map(|(_, t)| t.as_str()).collect();
        let star = if prefix { "*" } else { "" };
        match words.as_slice() {
            [one] => format!("{name}:{one}{star}"),
            _ if slop > 0 => format!("{name}:\"{}{star}\"~{slop}", words.join(" ")),
            _ => format!("{name}:\"{}{star}\"", words.join(" ")),
        }
    }

    /// The terms of `field` near `term` ([`fuzzy::near`]); only `term` without an index.
    fn near(&self, field: Field, term: &str, edits: u8) -> Vec<fuzzy::Near> {
        let own = || {
            vec![fuzzy::Near {
                term: term.to_string(),
                edits: 0,
                papers: 0,
            }]
        };
        match &self.searcher {
            // A term dictionary that cannot be read fails the search itself right after.
            Some(searcher) => fuzzy::near(searcher, field, term, edits).unwrap_or_else(|_| own()),
            None => own(),
        }
    }

    /// For a fuzzy prose word no term is near: the term of the word "did you mean" would
    /// suggest ([`fuzzy::correction`], which also finds misspellings whose stem kept a suffix the
    /// right word's lost: `mortaligy~`, `mortality`), if within the word's edits.
    fn corrected(&mut self, field: Field, word: &str, edits: u8) -> Option<fuzzy::Near> {
        let searcher = self.searcher.as_ref()?;
        // The word without punctuation around it (`mortaligy.~`): what was typed as the word.
        let token = analyzer::only_term(&mut self.prose, word)?;
        let word = word.get(token.offset_from..token.offset_to)?;
        let spelling = fuzzy::prose_correction(searcher, &self.fields, field, word, 1).ok()??;
        let edits_made = fuzzy::distance(&analyzer::lowercase(word), &spelling);
        if edits_made > u32::from(edits) {
            return None;
        }
        let term = analyzer::only_term(&mut self.prose, &spelling)?.text;
        let papers = searcher
            .doc_freq(&Term::from_field_text(field, &term))
            .ok()?;
        Some(fuzzy::Near {
            term,
            edits: edits_made,
            papers,
        })
    }

    /// A fuzzy word's alternatives: for each field, each near term of each analyzed term of the
    /// word, weighed as [`fuzzy::weigh`] says, and scored as that term would be as a word.
    fn fuzzy_alternatives(
        &mut self,
        scope: Scope,
        targets: &[(Field, bool)],
        word: &str,
        edits: Option<u8>,
        wanted: &mut Wanted,
        positive: bool,
    ) -> Vec<Alt> {
        let f = self.fields;
        let prose_terms = analyzer::terms(&mut self.prose, word);
        let names_terms = analyzer::terms(&mut self.names, word);
        // The near terms of each analyzed term in each field, with the field their papers are
        // counted in. The title's terms are the ranking field's: its near terms serve both.
        let mut plans: Vec<(Field, Field, bool, String, Vec<fuzzy::Near>)> = Vec::new();
        for &(field, is_prose) in targets {
            let terms = if is_prose { &prose_terms } else { &names_terms };
            for (_, term) in terms {
                let edits = edits.unwrap_or_else(|| fuzzy::auto_edits(term));
                let source = if scope == Scope::Any && field == f.title {
                    f.text
                } else {
                    field
                };
                let key = (source, term.clone(), edits);
                let near = match self.fuzzy_memo.get(&key) {
                    // The title's near terms, or the same fuzzy word again: looked up once.
                    Some(near) => near.clone(),
                    None => {
                        let mut near = self.near(source, term, edits);
                        // The word unstemmed too: stemming a typo can cut it nearer another
                        // word (`serverles~` is `serverl`, one edit from `server`, three from
                        // `serverless`).
                        match names_terms.as_slice() {
                            [(_, whole)] if is_prose && terms.len() == 1 && whole != term => {
                                fuzzy::merge(&mut near, self.near(source, whole, edits));
                            }
                            _ => {}
                        }
                        let mut near = fuzzy::nearest(near);
                        let alone = near.len() == 1 && near[0].papers == 0;
                        if alone && edits > 0 && is_prose && terms.len() == 1 {
                            near.extend(self.corrected(source, word, edits));
                        }
                        self.fuzzy_memo.insert(key, near.clone());
                        near
                    }
                };
                plans.push((field, source, is_prose, term.clone(), near));
            }
        }
        // A name near a typo counts no more than the commonest prose word near it (`modes`, an
        // author, for `modles~`); prose terms are blended within their field, as Lucene does.
        let commonest = plans
            .iter()
            .flat_map(|(.., near)| near.iter().map(|n| n.papers))
            .max()
            .unwrap_or(0);
        let mut alternatives = Vec::new();
        for (field, source, is_prose, term, near) in plans {
            let weighed = match &self.searcher {
                Some(searcher) => {
                    let commonest = if is_prose { 0 } else { commonest };
                    fuzzy::weigh(searcher, field, source, &term, &near, commonest)
                        .unwrap_or_default()
                }
                None => vec![(term.clone(), 1.0)],
            };
            if weighed.is_empty() {
                // No paper has a term near it: the word's own term, which finds nothing,
                // keeps the query a query of that word.
                alternatives.push(Alt::Query(self.term_query(field, &term)));
            }
            for (near_term, weight) in weighed {
                if positive {
                    let words = if is_prose {
                        &mut wanted.prose_of(scope).prose
                    } else {
                        &mut wanted.names
                    };
                    words.insert(near_term.clone());
                }
                let first = alternatives.len();
                if scope == Scope::Abstract {
                    let q = Box::new(BoostQuery::new(self.term_query(field, &near_term), weight));
                    alternatives.push(Alt::Query(
                        self.in_abstract(q, in_abstract::Leaf::Terms(vec![(0, near_term)], 0)),
                    ));
                    continue;
                }
                alternatives.push(self.term_alt(scope, field, &near_term));
                let boost = if scope == Scope::Any && field == f.title {
                    self.ranking.title_boost
                } else {
                    1.0
                };
                boost_from(&mut alternatives, first, weight * boost);
            }
        }
        alternatives
    }

    /// One analyzed term of a field, as an alternative of a leaf.
    fn term_alt(&self, scope: Scope, field: Field, term: &str) -> Alt {
        if self.ranking.bm25.is_some() {
            return Alt::Query(self.term_query(field, term));
        }
        // When the ranking field holds the title, a title word of a plain word is in it too.
        let within =
            (scope == Scope::Any && field == self.fields.title && self.ranking.title_in_text)
                .then(|| Term::from_field_text(self.fields.text, term));
        Alt::Term {
            term: Term::from_field_text(field, term),
            boost: 1.0,
            within,
        }
    }

    /// `query` (on the ranking field) restricted to papers whose abstract holds `leaf`.
    fn in_abstract(&self, query: Box<dyn Query>, leaf: in_abstract::Leaf) -> Box<dyn Query> {
        let filter = InAbstract::new(self.fields.text, self.fields.title, leaf);
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, Box::new(filter)),
        ]))
    }
}

/// One way a leaf matches: a term of one field (most leaves, kept apart so that a whole query
/// of them can be one [`TermUnion`]), or any other query.
enum Alt {
    Term {
        term: Term,
        boost: f32,
        /// A term every paper this one matches also has, if known.
        within: Option<Term>,
    },
    Query(Box<dyn Query>),
}

impl Alt {
    /// As a query of its own. A boosted term query still scores with tantivy's term scorer,
    /// so a boolean query of them keeps tantivy's block-max WAND.
    fn into_query(self) -> Box<dyn Query> {
        match self {
            Alt::Term { term, boost, .. } => {
                let q = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                }
            }
            Alt::Query(q) => q,
        }
    }
}

/// Records what a leaf the user wants found asks to be shown, as one field's analyzed `terms`:
/// several terms of a phrase (or of a word the ranking glues) as that phrase, a prefix's last
/// term as a prefix, the terms of a word wherever they stand.
fn want(
    leaf: &Leaf,
    terms: &[(usize, String)],
    slop: u32,
    glue_words: bool,
    (loose, prefixes, phrases): (
        &mut HashSet<String>,
        &mut Vec<String>,
        &mut Vec<WantedPhrase>,
    ),
) {
    let phrase = terms.len() > 1
        && match leaf {
            Leaf::Word(_) => glue_words,
            _ => true,
        };
    match leaf {
        _ if phrase => phrases.push(WantedPhrase {
            terms: terms.to_vec(),
            slop,
            prefix: matches!(leaf, Leaf::Prefix(_) | Leaf::PhrasePrefix(_)),
        }),
        Leaf::Prefix(_) => prefixes.extend(terms.last().map(|(_, t)| t.clone())),
        _ => loose.extend(terms.iter().map(|(_, t)| t.clone())),
    }
}

/// Boosts the alternatives from index `first` on.
fn boost_from(alternatives: &mut [Alt], first: usize, boost: f32) {
    if boost == 1.0 {
        return;
    }
    for alt in &mut alternatives[first..] {
        match alt {
            Alt::Term { boost: weight, .. } => *weight *= boost,
            Alt::Query(q) => {
                let inner = std::mem::replace(q, Box::new(AllQuery));
                *q = Box::new(BoostQuery::new(inner, boost));
            }
        }
    }
}

/// The OR of `alternatives`: one [`TermUnion`] when they are all terms, a boolean query
/// otherwise.
fn or(alternatives: Vec<Alt>) -> Box<dyn Query> {
    if alternatives.iter().all(|a| matches!(a, Alt::Term { .. })) {
        let mut clauses = Vec::with_capacity(alternatives.len());
        let mut within = Vec::with_capacity(alternatives.len());
        for a in alternatives {
            if let Alt::Term {
                term,
                boost,
                within: inside,
            } = a
            {
                clauses.push((term, boost));
                within.push(inside);
            }
        }
        // Each term's first clause, looked up rather than searched for: a query of thousands
        // of words (a pasted text) otherwise took seconds comparing terms.
        let mut first_at: FxHashMap<&Term, usize> = FxHashMap::default();
        for (i, (t, _)) in clauses.iter().enumerate() {
            first_at.entry(t).or_insert(i);
        }
        let links: Vec<(usize, usize)> = within
            .iter()
            .enumerate()
            .filter_map(|(i, inside)| Some((i, *first_at.get(inside.as_ref()?)?)))
            .collect();
        let mut union = TermUnion::new(clauses);
        for (i, j) in links {
            union = union.within(i, j);
        }
        return Box::new(union);
    }
    Box::new(BooleanQuery::new(
        alternatives
            .into_iter()
            .map(|a| (Occur::Should, a.into_query()))
            .collect(),
    ))
}

/// Drops from `parts` (the terms of the split word `text`, as [`analyzer::terms`] numbers them)
/// its function words, unless nothing else would be left; with `prefix`, the last part is kept
/// whatever it is, since it is what the user is typing. The positions dropped.
fn drop_function_parts(
    names: &mut TextAnalyzer,
    text: &str,
    parts: &mut Vec<(usize, String)>,
    prefix: bool,
) -> Vec<usize> {
    let mut function = function_parts(names, text);
    if prefix {
        let last = parts.last().map(|(p, _)| *p);
        function.retain(|p| Some(*p) != last);
    }
    if !parts.iter().any(|(p, _)| !function.contains(p)) {
        return Vec::new();
    }
    parts.retain(|(p, _)| !function.contains(p));
    function
}

/// The positions of the function words of `text` (as [`analyzer::terms`] numbers them): stop
/// words, and the `s` of a possessive (`model's`).
fn function_parts(names: &mut TextAnalyzer, text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stream = names.token_stream(text);
    while let Some(token) = stream.next() {
        let possessive =
            token.text == "s" && text[..token.offset_from].ends_with(['\'', '\u{2019}']);
        if possessive || is_stopword(&token.text) {
            out.push(token.position);
        }
    }
    out
}

/// `word` without a trailing possessive `'s` (`’s`, `'S`), where a word remains before it.
fn without_possessive(word: &str) -> &str {
    for mark in ["'s", "'S", "\u{2019}s", "\u{2019}S"] {
        if let Some(stem) = word.strip_suffix(mark) {
            if stem.chars().last().is_some_and(char::is_alphanumeric) {
                return stem;
            }
        }
    }
    word
}

pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.iter().any(|s| s.eq_ignore_ascii_case(word))
}

/// The years `items` allow, as alternatives: `None` when they are not simply alternatives
/// (`year:>2019 AND year:<2023`), which then filter as the query they build.
fn years_ranges(items: &[Expr]) -> Option<Vec<YearRange>> {
    let mut ranges = Vec::new();
    for item in items {
        match item {
            Expr::Leaf {
                leaf: Leaf::Years(lo, hi),
                ..
            } => ranges.push((*lo, *hi)),
            Expr::Or(inner) => ranges.extend(years_ranges(inner)?),
            _ => return None,
        }
    }
    Some(ranges)
}

/// `expr`'s `year:` filters made alternatives ([`Scope::YearOr`]).
fn as_alternative(expr: Expr) -> Expr {
    match expr {
        Expr::Leaf {
            scope: Scope::Year,
            leaf,
            span,
        } => Expr::Leaf {
            scope: Scope::YearOr,
            leaf,
            span,
        },
        Expr::Or(v) => Expr::Or(v.into_iter().map(as_alternative).collect()),
        Expr::And(v) => Expr::And(v.into_iter().map(as_alternative).collect()),
        Expr::Required(e) => Expr::Required(Box::new(as_alternative(*e))),
        Expr::Boost(e, b) => Expr::Boost(Box::new(as_alternative(*e)), b),
        other => other,
    }
}

/// A `year:` filter, or a group of nothing but (`(year:2020 OR year:2022)`).
fn is_year(expr: &Expr) -> bool {
    match expr {
        Expr::Leaf { leaf, scope, .. } => {
            matches!(leaf, Leaf::Years(..)) && *scope != Scope::YearOr
        }
        Expr::Or(items) | Expr::And(items) => items.iter().all(is_year),
        Expr::Required(inner) | Expr::Boost(inner, _) => is_year(inner),
        Expr::Not(_) => false,
    }
}

fn is_plain_word(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Leaf {
            scope: Scope::Any,
            leaf: Leaf::Word(_),
            ..
        }
    )
}

/// A group's repeats of one leaf as one item, or `None` when nothing repeats: `a* a* a*` is
/// `a*^3` and `-x -x` is `-x`. Each repeat adds the same score, so the sum is the same, but the
/// leaf is looked up and walked once rather than once a repeat (2,000 `a*` took over 10 s).
/// Function words and `year:` filters are left as they are: they are dropped or filter.
fn merge_repeats(items: &[Expr]) -> Option<Vec<Expr>> {
    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    enum Kind {
        Plain,
        Required,
        Not,
    }
    /// An item's kind, scope, leaf, boost and span, for a leaf that may be merged.
    fn key(item: &Expr) -> Option<(Kind, Scope, &Leaf, f32, &Range<usize>)> {
        let (kind, inner) = match item {
            Expr::Required(inner) => (Kind::Required, inner.as_ref()),
            Expr::Not(inner) => (Kind::Not, inner.as_ref()),
            other => (Kind::Plain, other),
        };
        let (leaf_expr, boost) = match inner {
            Expr::Boost(leaf, b) if kind != Kind::Not => (leaf.as_ref(), *b),
            other => (other, 1.0),
        };
        match leaf_expr {
            Expr::Leaf { scope, leaf, span }
                if !matches!(leaf, Leaf::Years(..)) && !is_stopword_leaf(leaf_expr) =>
            {
                Some((kind, *scope, leaf, boost, span))
            }
            _ => None,
        }
    }
    if items.len() < 2 {
        return None;
    }
    // A query of a few words mostly repeats none: compared pair by pair, nothing allocated.
    if items.len() <= 16 {
        let same = |a: &Expr, b: &Expr| match (key(a), key(b)) {
            (Some((ka, sa, la, _, _)), Some((kb, sb, lb, _, _))) => {
                ka == kb && sa == sb && la == lb
            }
            _ => false,
        };
        let repeats = items
            .iter()
            .enumerate()
            .any(|(i, a)| items[i + 1..].iter().any(|b| same(a, b)));
        if !repeats {
            return None;
        }
    }
    let keys: Vec<_> = items.iter().map(key).collect();
    // Each group's first item, its boosts summed, and how many items it has.
    let mut groups: FxHashMap<(Kind, Scope, &Leaf), (usize, f32, usize)> = FxHashMap::default();
    for (i, k) in keys.iter().enumerate() {
        if let Some((kind, scope, leaf, boost, _)) = *k {
            groups
                .entry((kind, scope, leaf))
                .and_modify(|(_, total, n)| {
                    *total += boost;
                    *n += 1;
                })
                .or_insert((i, boost, 1));
        }
    }
    if groups.values().all(|&(_, _, n)| n == 1) {
        return None;
    }
    let mut merged = Vec::with_capacity(items.len());
    for (i, (item, k)) in items.iter().zip(&keys).enumerate() {
        let Some((kind, scope, leaf, _, span)) = *k else {
            merged.push(item.clone());
            continue;
        };
        let (first, total, n) = groups[&(kind, scope, leaf)];
        if first != i {
            continue;
        }
        if n == 1 {
            merged.push(item.clone());
            continue;
        }
        let leaf = Box::new(Expr::Leaf {
            scope,
            leaf: leaf.clone(),
            span: span.clone(),
        });
        merged.push(match kind {
            Kind::Not => Expr::Not(leaf),
            Kind::Plain => Expr::Boost(leaf, total),
            Kind::Required => Expr::Required(Box::new(Expr::Boost(leaf, total))),
        });
    }
    Some(merged)
}

/// A function word of prose (`title:(the drift)` too, but never an author's name: `An`).
fn is_stopword_leaf(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Leaf {
            scope: Scope::Any | Scope::Title | Scope::Abstract,
            leaf: Leaf::Word(w) | Leaf::Fuzzy(w, _),
            ..
        } if is_stopword(w)
    )
}

/// Something a group searches for, beside which a function word is dropped: anything but an
/// exclusion or a `year:` filter.
fn is_searched(expr: &Expr) -> bool {
    match expr {
        Expr::Not(_) => false,
        Expr::Required(inner) | Expr::Boost(inner, _) => is_searched(inner),
        e => !is_year(e),
    }
}

/// How many words a phrase's last, prefix word may stand for (`author:jean-f*`: every name
/// word starting with `f`, in term order); tantivy's default is 50.
const MAX_PHRASE_PREFIX_EXPANSIONS: u32 = 100_000;

/// Analyzed words at their positions, as terms of `field`.
fn positioned(field: Field, terms: &[(usize, String)]) -> Vec<(usize, Term)> {
    terms
        .iter()
        .map(|(p, t)| (*p, Term::from_field_text(field, t)))
        .collect()
}

/// The words in order, the last any indexed word starting with it: every completion tried.
fn every_completion(words: Vec<(usize, Term)>) -> PhrasePrefixQuery {
    let mut q = PhrasePrefixQuery::new_with_offset(words);
    q.set_max_expansions(MAX_PHRASE_PREFIX_EXPANSIONS);
    q
}

/// A query whose `--explain` says what it searched (`title+abstract:"data drift"`): tantivy
/// explains a phrase's or a prefix's score without naming the field or the words. Scoring and
/// matching are the inner query's own: its scorer is handed on as it is.
#[derive(Debug, Clone)]
pub struct Labelled {
    inner: Arc<dyn Query>,
    label: String,
}

impl Labelled {
    pub fn new(inner: Box<dyn Query>, label: String) -> Labelled {
        Labelled {
            inner: Arc::from(inner),
            label,
        }
    }
}

impl Query for Labelled {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(LabelledWeight {
            inner: self.inner.weight(scoring)?,
            label: self.label.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct LabelledWeight {
    inner: Box<dyn Weight>,
    label: String,
}

impl Weight for LabelledWeight {
    fn scorer(
        &self,
        reader: &tantivy::SegmentReader,
        boost: tantivy::Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &tantivy::SegmentReader,
        target: tantivy::DocId,
        boost: tantivy::Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn tantivy::query::Scorer>)> {
        self.inner.scorer_danger(reader, target, boost)
    }

    fn explain(
        &self,
        reader: &tantivy::SegmentReader,
        doc: tantivy::DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let mut explanation = self.inner.explain(reader, doc)?;
        explanation.add_context(self.label.clone());
        Ok(explanation)
    }

    fn count(&self, reader: &tantivy::SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each(
        &self,
        reader: &tantivy::SegmentReader,
        callback: &mut dyn FnMut(tantivy::DocId, tantivy::Score),
    ) -> tantivy::Result<()> {
        self.inner.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &tantivy::SegmentReader,
        callback: &mut dyn FnMut(&[tantivy::DocId]),
    ) -> tantivy::Result<()> {
        self.inner.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: tantivy::Score,
        reader: &tantivy::SegmentReader,
        callback: &mut dyn FnMut(tantivy::DocId, tantivy::Score) -> tantivy::Score,
    ) -> tantivy::Result<()> {
        self.inner.for_each_pruning(threshold, reader, callback)
    }
}

/// Every term of a field that starts with a prefix, and any of a few exact terms besides (the
/// stems of words starting with the prefix that stemming cut short: [`analyzer::prefix_stems`]),
/// matched with a constant score (as Lucene scores prefix queries). Walks the term dictionary
/// with a byte automaton: compiling a regex for the same job costs more than the search.
#[derive(Debug, Clone)]
pub struct PrefixQuery {
    field: Field,
    prefix: Arc<Prefix>,
}

impl PrefixQuery {
    pub fn new(field: Field, prefix: &str) -> PrefixQuery {
        PrefixQuery::with_stems(field, prefix, &[])
    }

    /// Also matching `stems` exactly (only the first [`MAX_PREFIX_STEMS`]).
    pub fn with_stems(field: Field, prefix: &str, stems: &[String]) -> PrefixQuery {
        PrefixQuery {
            field,
            prefix: Arc::new(Prefix {
                prefix: prefix.as_bytes().to_vec(),
                exact: stems
                    .iter()
                    .take(MAX_PREFIX_STEMS)
                    .map(|s| s.as_bytes().to_vec())
                    .collect(),
            }),
        }
    }
}

/// Exact terms a [`Prefix`] can also accept: one bit of its state each.
pub const MAX_PREFIX_STEMS: usize = 64;

impl Query for PrefixQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<Prefix>::new(
            self.field,
            Arc::clone(&self.prefix),
        )))
    }
}

/// Accepts the byte strings that start with `prefix` or equal one of `exact`. State: how many
/// bytes were read, whether they all follow `prefix` so far, and which of `exact` they follow.
#[derive(Debug)]
pub struct Prefix {
    prefix: Vec<u8>,
    exact: Vec<Vec<u8>>,
}

impl Automaton for Prefix {
    type State = (usize, bool, u64);

    fn start(&self) -> Self::State {
        let all = match self.exact.len() {
            0 => 0,
            n => u64::MAX >> (64 - n.min(64)),
        };
        (0, true, all)
    }

    fn is_match(&self, &(read, along, exact): &Self::State) -> bool {
        (along && read >= self.prefix.len())
            || self
                .exact
                .iter()
                .enumerate()
                .any(|(i, e)| exact & (1 << i) != 0 && e.len() == read)
    }

    fn can_match(&self, &(_, along, exact): &Self::State) -> bool {
        along || exact != 0
    }

    fn will_always_match(&self, &(read, along, _): &Self::State) -> bool {
        along && read >= self.prefix.len()
    }

    fn accept(&self, &(read, along, exact): &Self::State, byte: u8) -> Self::State {
        let along = along && self.prefix.get(read).is_none_or(|&b| b == byte);
        let mut next = 0;
        for (i, e) in self.exact.iter().enumerate() {
            if exact & (1 << i) != 0 && e.get(read) == Some(&byte) {
                next |= 1 << i;
            }
        }
        (read + 1, along, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str, span: Range<usize>) -> Expr {
        Expr::Leaf {
            scope: Scope::Any,
            leaf: Leaf::Word(w.into()),
            span,
        }
    }

    fn expr(q: &str) -> Expr {
        parse(q, false).unwrap().expr.unwrap()
    }

    /// An expression with every span emptied, to compare two spellings of one query.
    fn strip_spans(expr: Option<Expr>) -> Option<Expr> {
        fn strip(expr: Expr) -> Expr {
            let all = |v: Vec<Expr>| v.into_iter().map(strip).collect();
            match expr {
                Expr::Leaf { scope, leaf, .. } => Expr::Leaf {
                    scope,
                    leaf,
                    span: 0..0,
                },
                Expr::Or(v) => Expr::Or(all(v)),
                Expr::And(v) => Expr::And(all(v)),
                Expr::Not(e) => Expr::Not(Box::new(strip(*e))),
                Expr::Required(e) => Expr::Required(Box::new(strip(*e))),
                Expr::Boost(e, b) => Expr::Boost(Box::new(strip(*e)), b),
            }
        }
        expr.map(strip)
    }

    #[test]
    fn a_star_ending_a_phrase_makes_its_last_word_a_prefix() {
        let leaf = |q: &str| match parse(q, false).unwrap().expr {
            Some(Expr::Leaf { leaf, .. }) => leaf,
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(
            leaf("\"quantum dri*\""),
            Leaf::PhrasePrefix("quantum dri".into())
        );
        assert_eq!(
            leaf("\" quantum  dri** \""),
            Leaf::PhrasePrefix(" quantum  dri".into())
        );
        // One word: a prefix.
        assert_eq!(leaf("\"dri*\""), Leaf::Prefix("dri".into()));
        // A star on another word, or alone, is not a prefix; said so for another word.
        let parsed = parse("\"quan* drift\"", false).unwrap();
        assert_eq!(
            parsed.expr.map(|e| matches!(
                e,
                Expr::Leaf {
                    leaf: Leaf::Phrase(..),
                    ..
                }
            )),
            Some(true)
        );
        assert!(parsed.notes[0].contains("on the phrase's last word only"));
        assert!(matches!(leaf("\"drift *\""), Leaf::Phrase(..)));
        // No slop for a phrase prefix: said so, and the boost after it still counts.
        let parsed = parse("\"quantum dri*\"~2^3", false).unwrap();
        assert!(
            parsed.notes[0].contains("`~2` is ignored"),
            "{:?}",
            parsed.notes
        );
        assert!(
            matches!(parsed.expr, Some(Expr::Boost(..))),
            "{:?}",
            parsed.expr
        );
        // Nor for a quoted prefix of one word, which is that prefix.
        let parsed = parse("\"dri*\"~2", false).unwrap();
        assert!(matches!(leaf("\"dri*\"~2"), Leaf::Prefix(p) if p == "dri"));
        assert!(
            parsed.notes.iter().any(|n| n.contains("`~2` is ignored")),
            "{:?}",
            parsed.notes
        );
    }

    #[test]
    fn words_are_alternatives_by_default_and_required_with_all() {
        assert_eq!(
            expr("data drift"),
            Expr::Or(vec![word("data", 0..4), word("drift", 5..10)])
        );
        assert_eq!(
            parse("data drift", true).unwrap().expr.unwrap(),
            Expr::And(vec![word("data", 0..4), word("drift", 5..10)])
        );
    }

    /// An index whose ranking field lacks the title (`eval --title-weight 0`): a paper whose
    /// word is only in its title is still found, and ranked as tantivy ranks it.
    #[test]
    fn a_title_only_word_counts_when_the_ranking_field_has_no_title() {
        use tantivy::collector::{Count, TopDocs};
        let (index, fields) =
            crate::index::ram_index_weighted(&[("graph", "foo"), ("bar", "graph")], 0);
        let searcher = index.reader().unwrap().searcher();
        let ranking = Ranking {
            title_in_text: false,
            ..Ranking::default()
        };
        let built = QueryBuilder::new(fields, ranking)
            .build(&expr("graph"))
            .unwrap();
        let top = TopDocs::with_limit(10).order_by_score();
        assert_eq!(searcher.search(built.query.as_ref(), &Count).unwrap(), 2);
        assert_eq!(
            searcher.search(built.query.as_ref(), &top).unwrap().len(),
            2
        );
    }

    #[test]
    fn a_boost_weighs_the_word_phrase_or_group_before_it() {
        let boost = |e, b| Expr::Boost(Box::new(e), b);
        assert_eq!(
            expr("data^2 drift"),
            Expr::Or(vec![boost(word("data", 0..4), 2.0), word("drift", 7..12)])
        );
        assert_eq!(
            expr("\"graph networks\"~2^0.5"),
            boost(
                Expr::Leaf {
                    scope: Scope::Any,
                    leaf: Leaf::Phrase("graph networks".into(), 2),
                    span: 0..18
                },
                0.5
            )
        );
        let Expr::Boost(group, b) = expr("title:(a b)^3") else {
            panic!("not boosted");
        };
        assert_eq!(b, 3.0);
        assert!(matches!(*group, Expr::Or(ref v) if v.len() == 2));
        assert_eq!(
            expr("drift~1^2"),
            boost(
                Expr::Leaf {
                    scope: Scope::Any,
                    leaf: Leaf::Fuzzy("drift".into(), Some(1)),
                    span: 0..7
                },
                2.0
            )
        );
        // Not quite a boost: the text as typed, said so (pasted math must not fail).
        for q in [
            "10^5000",
            "x^T",
            "drift^",
            "a^1000.5",
            "a^1.2.3",
            "drift^5e-1",
            "drift^inf",
        ] {
            let parsed = parse(q, false).unwrap();
            assert!(matches!(parsed.expr, Some(Expr::Leaf { .. })), "{q}");
            assert!(parsed.notes[0].contains("taken as plain text"), "{q}");
        }
        let parsed = parse("()^2 drift", false).unwrap();
        assert_eq!(parsed.expr, Some(word("drift", 5..10)));
        assert!(parsed.notes[0].contains("nothing to weigh"));
        // A boost standing apart weighs nothing, and is not searched as the number.
        let parsed = parse("drift ^2", false).unwrap();
        assert_eq!(parsed.expr, Some(word("drift", 0..5)));
        assert!(parsed.notes[0].contains("nothing to weigh"));
        let parsed = parse("title:(drift)^x", false).unwrap();
        assert!(
            parsed.notes[0].contains("`^x` taken as plain text"),
            "{:?}",
            parsed.notes
        );
        let parsed = parse("(year:2022)^2 drift", false).unwrap();
        assert!(!format!("{:?}", parsed.expr).contains("Boost"));
        assert!(parsed.notes[0].contains("never scores"));
    }

    #[test]
    fn a_boost_multiplies_the_score_and_keeps_the_union() {
        use tantivy::collector::TopDocs;
        let (index, fields) = crate::index::ram_index_of(&[
            ("graph data", "graph networks over data"),
            ("drift", "data drift in graph serving"),
            ("other", "nothing here"),
        ]);
        let searcher = index.reader().unwrap().searcher();
        let scores = |q: &str| {
            let built = QueryBuilder::new(fields, Ranking::default())
                .build(&expr(q))
                .unwrap();
            let top = TopDocs::with_limit(10).order_by_score();
            let mut hits: Vec<(u32, f32)> = searcher
                .search(built.query.as_ref(), &top)
                .unwrap()
                .into_iter()
                .map(|(s, a)| (a.doc_id, s))
                .collect();
            hits.sort_by_key(|h| h.0);
            hits
        };
        for (plain, boosted, factor) in [
            ("graph", "graph^2", 2.0),
            ("\"data drift\"", "\"data drift\"^0.5", 0.5),
            ("title:(graph drift)", "title:(graph drift)^3", 3.0),
        ] {
            let (a, b) = (scores(plain), scores(boosted));
            assert_eq!(a.len(), b.len(), "{boosted}");
            for ((da, sa), (db, sb)) in a.iter().zip(&b) {
                assert_eq!(da, db);
                assert!((sa * factor - sb).abs() < 1e-4, "{boosted}: {sa} {sb}");
            }
        }
        // Weighing one word of two changes which paper comes first.
        let first = |q: &str| {
            let s = scores(q);
            s.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0
        };
        assert_eq!(first("graph^5 drift"), 0);
        assert_eq!(first("graph drift^5"), 1);
        // A boosted word is still a term of the one union MaxScore ranks.
        let built = QueryBuilder::new(fields, Ranking::default())
            .build(&expr("graph^2 drift"))
            .unwrap();
        assert!(format!("{:?}", built.query).contains("TermUnion"));
    }

    #[test]
    fn phrase_with_slop_and_field() {
        assert_eq!(
            expr("title:\"graph networks\"~2"),
            Expr::Leaf {
                scope: Scope::Title,
                leaf: Leaf::Phrase("graph networks".into(), 2),
                span: 6..24
            }
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            expr("a OR b AND c"),
            Expr::Or(vec![
                word("a", 0..1),
                Expr::And(vec![word("b", 5..6), word("c", 11..12)])
            ])
        );
    }

    #[test]
    fn modifiers_and_prefix() {
        assert_eq!(
            expr("+gpu -cpu sched*"),
            Expr::Or(vec![
                Expr::Required(Box::new(word("gpu", 1..4))),
                Expr::Not(Box::new(word("cpu", 6..9))),
                Expr::Leaf {
                    scope: Scope::Any,
                    leaf: Leaf::Prefix("sched".into()),
                    span: 10..16
                },
            ])
        );
    }

    #[test]
    fn fuzzy_words_take_at_most_two_edits_and_odd_tildes_stay_words() {
        let fuzzy = |w: &str, edits, span| Expr::Leaf {
            scope: Scope::Any,
            leaf: Leaf::Fuzzy(w.into(), edits),
            span,
        };
        assert_eq!(
            expr("drfit~ stragler~1"),
            Expr::Or(vec![
                fuzzy("drfit", None, 0..6),
                fuzzy("stragler", Some(1), 7..17)
            ])
        );
        assert_eq!(
            expr("title:transfomer~2"),
            Expr::Leaf {
                scope: Scope::Title,
                leaf: Leaf::Fuzzy("transfomer".into(), Some(2)),
                span: 6..18
            }
        );
        // More than two edits: searched with two, and said.
        let parsed = parse("drift~9", false).unwrap();
        assert_eq!(parsed.expr, Some(fuzzy("drift", Some(2), 0..7)));
        assert_eq!(parsed.notes.len(), 1, "{:?}", parsed.notes);
        assert!(
            parsed.notes[0].contains("at most 2 edits"),
            "{:?}",
            parsed.notes
        );
        // A tilde that is not after a word and before nothing or digits is text.
        for q in ["~", "~2", "a~b", "x~~", "graph*~"] {
            let parsed = parse(q, false).unwrap();
            assert!(
                matches!(
                    parsed.expr,
                    Some(Expr::Leaf {
                        leaf: Leaf::Word(_),
                        ..
                    })
                ),
                "{q}: {:?}",
                parsed.expr
            );
        }
    }

    #[test]
    fn group_scope_applies_inside() {
        assert_eq!(
            expr("author:(mallick OR joshi)"),
            Expr::Or(vec![
                Expr::Leaf {
                    scope: Scope::Authors,
                    leaf: Leaf::Word("mallick".into()),
                    span: 8..15
                },
                Expr::Leaf {
                    scope: Scope::Authors,
                    leaf: Leaf::Word("joshi".into()),
                    span: 19..24
                },
            ])
        );
    }

    #[test]
    fn pasted_text_is_taken_literally_with_notes() {
        for q in [
            "\"graph neural",
            "(graph neural",
            "graph)",
            "https://arxiv.org/abs/2201.00001",
            "Results: graph",
            "C++ co-design",
            "- *",
            "AND graph",
            "graph AND",
            "NOT",
        ] {
            let parsed = parse(q, false).unwrap_or_else(|e| panic!("{q}: {e}"));
            let _ = parsed.expr;
        }
        assert!(!parse("\"graph neural", false).unwrap().notes.is_empty());
        assert!(!parse("https://x.org/a", false).unwrap().notes.is_empty());
        assert!(parse("C++ co-design", false).unwrap().notes.is_empty());
    }

    #[test]
    fn a_year_joined_to_words_by_an_explicit_or_is_an_alternative() {
        let scopes = |q: &str| {
            let mut out = Vec::new();
            fn walk(e: &Expr, out: &mut Vec<Scope>) {
                match e {
                    Expr::Leaf { scope, .. } => out.push(*scope),
                    Expr::Or(v) | Expr::And(v) => v.iter().for_each(|e| walk(e, out)),
                    Expr::Not(e) | Expr::Required(e) | Expr::Boost(e, _) => walk(e, out),
                }
            }
            walk(&expr(q), &mut out);
            out
        };
        use Scope::{Any, Year, YearOr};
        assert_eq!(scopes("drift OR year:2021"), [Any, YearOr]);
        assert_eq!(
            scopes("drift OR (year:2021 OR year:2023)"),
            [Any, YearOr, YearOr]
        );
        assert_eq!(scopes("drift year:2021"), [Any, Year]);
        assert_eq!(scopes("drift year:2021 OR year:2023"), [Any, Year, Year]);
        assert_eq!(scopes("year:2020 drift OR year:2021"), [Year, Any, YearOr]);
        assert!(parse("drift OR year:2021", false).unwrap().notes.is_empty());
        assert!(parse("drift year:2021", false).unwrap().notes.is_empty());
        assert!(parse("year:2021 OR year:2023", false)
            .unwrap()
            .notes
            .is_empty());
    }

    #[test]
    fn decomposed_and_soft_hyphenated_queries_read_as_composed() {
        assert_eq!(expr("nai\u{308}ve"), expr("naïve"));
        assert_eq!(expr("co\u{AD}operation"), expr("cooperation"));
        // What cleaning drops from the text is dropped from the query pasted from it.
        for invisible in ['\u{200B}', '\u{FEFF}', '\u{2060}'] {
            assert_eq!(expr(&format!("zero{invisible}width")), expr("zerowidth"));
        }
    }

    #[test]
    fn near_miss_fuzzy_and_prefix_syntax_is_searched_as_words_and_said_so() {
        for q in [
            "\"data drift\"~3İ",
            "\"data drift\"~İx",
            "drift~a",
            "drift~1.5",
            "drift~-1",
            "drift~1~2",
            "dri*~",
            "gr*ph",
            "gr*ph*",
            "dr~ft*",
            "title:abstract:drift",
            "\"a b\"~-1",
        ] {
            let parsed = parse(q, false).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert!(
                parsed
                    .notes
                    .iter()
                    .any(|n| n.contains("taken as plain text")),
                "{q}: {:?}",
                parsed.notes
            );
        }
        for q in [
            "drift~",
            "drift~2",
            "drift*",
            "\"a b\"~3",
            "~5%",
            "example.org/~me",
            "**bold**",
        ] {
            assert!(parse(q, false).unwrap().notes.is_empty(), "{q}");
        }
    }

    #[test]
    fn a_sign_after_a_field_is_ignored_with_a_note_saying_where_it_goes() {
        let parsed = parse("gpu title:-drift", false).unwrap();
        assert_eq!(
            parsed.notes,
            ["column 11: `-` after `title:` ignored; to exclude the word, write `-title:drift`"]
        );
        let Some(Expr::Or(items)) = parsed.expr else {
            panic!("not an OR");
        };
        assert!(
            matches!(&items[1], Expr::Leaf { scope: Scope::Title, leaf: Leaf::Word(w), .. } if w == "drift"),
            "{items:?}"
        );
        let parsed = parse("Author:+joshi", false).unwrap();
        assert!(
            parsed.notes[0].contains("`+author:joshi`"),
            "{:?}",
            parsed.notes
        );
        // Pasted headings never fail.
        for q in [
            "Abstract:- We propose drift",
            "Title:-A study of drift",
            "title:- drift",
        ] {
            assert!(parse(q, false).is_ok(), "{q}");
        }
    }

    #[test]
    fn the_caret_is_placed_by_display_width_and_a_long_query_is_cut_around_it() {
        // An emoji takes two columns, a combining accent none.
        for (q, pad) in [("🙂 foo:bar", 3), ("e\u{301} foo:bar", 2), ("é foo:bar", 2)] {
            let shown = parse(q, false).unwrap_err().to_string();
            let lines: Vec<&str> = shown.lines().collect();
            assert_eq!(
                lines[2],
                format!("  {}^^^", " ".repeat(pad)),
                "{q}: {shown}"
            );
        }
        let long = format!("{}foo:bar{}", "x ".repeat(5000), " y".repeat(5000));
        let shown = parse(&long, false).unwrap_err().to_string();
        assert!(
            shown.starts_with("query column 10001: unknown field `foo`"),
            "{shown}"
        );
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[1].chars().count() < 120, "{}", lines[1]);
        assert!(lines[1].starts_with("  …") && lines[1].ends_with('…'));
        let caret = lines[2].find('^').unwrap();
        // A long culprit is cut too.
        let shown = parse(&format!("year:{}", "9".repeat(300)), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            shown.lines().nth(2).unwrap().matches('^').count(),
            40,
            "{shown}"
        );
        assert!(shown.lines().nth(1).unwrap().ends_with('…'));
        assert_eq!(
            &lines[1][lines[1].char_indices().nth(caret).unwrap().0..][..7],
            "foo:bar"
        );
    }

    #[test]
    fn unknown_field_is_an_error_at_its_column() {
        let err = parse("graph foo:bar", false).unwrap_err();
        assert_eq!(err.column, 6);
        assert!(err.message.contains("unknown field `foo`"));
        assert!(err.to_string().contains("      ^^^"));
    }

    #[test]
    fn years_are_a_year_a_range_or_a_comparison() {
        use Bound::{Excluded as Ex, Included as In, Unbounded as Un};
        assert_eq!(years("2024"), Some((In(2024), In(2024))));
        assert_eq!(years("2020..2024"), Some((In(2020), In(2024))));
        assert_eq!(years("2020..2020"), Some((In(2020), In(2020))));
        assert_eq!(years("2020.."), Some((In(2020), Un)));
        assert_eq!(years("..2019"), Some((Un, In(2019))));
        assert_eq!(years(">=2021"), Some((In(2021), Un)));
        assert_eq!(years(">2021"), Some((Ex(2021), Un)));
        assert_eq!(years("<=2019"), Some((Un, In(2019))));
        assert_eq!(years("<2020"), Some((Un, Ex(2020))));
        for wrong in [
            "",
            "..",
            "abc",
            "2024..2020",
            "20x4",
            "-2020",
            "+2020",
            ">=",
            "<",
            "2020-2024",
            "2020...2024",
            ">=2020..",
            "99999999999999999999",
        ] {
            assert_eq!(years(wrong), None, "{wrong}");
        }
        // Nothing after the largest year.
        assert_eq!(years(&format!(">{}", i64::MAX)), None);
    }

    #[test]
    fn a_year_is_a_leaf_of_its_own_and_a_wrong_one_is_an_error_at_its_value() {
        let Some(Expr::Or(items)) = parse("drift year:2020..2024", false).unwrap().expr else {
            panic!("not an OR");
        };
        assert_eq!(
            items[1],
            Expr::Leaf {
                scope: Scope::Year,
                leaf: Leaf::Years(Bound::Included(2020), Bound::Included(2024)),
                span: 6..21,
            }
        );
        let err = parse("drift YEAR:20x4", false).unwrap_err();
        assert_eq!((err.column, err.width), (11, 4));
        assert!(err.message.contains("`year:` takes a year or a range"));
        let err = parse("drift year:", false).unwrap_err();
        assert_eq!((err.column, err.width), (6, 5));
        let err = parse("year:(2020 OR 2021)", false).unwrap_err();
        assert_eq!(err.column, 0);
        assert!(err.message.contains("not a group"), "{}", err.message);
        let err = parse("drift year:2024..2020", false).unwrap_err();
        assert!(err.message.contains("runs backwards"), "{}", err.message);
        // A boost on a year is ignored, with a note, whether or not it is in a group.
        let parsed = parse("drift year:2022^3", false).unwrap();
        assert!(
            parsed.notes[0].contains("never scores"),
            "{:?}",
            parsed.notes
        );
        let Some(Expr::Or(items)) = parsed.expr else {
            panic!("not an OR");
        };
        assert!(matches!(
            items[1],
            Expr::Leaf {
                leaf: Leaf::Years(..),
                ..
            }
        ));
    }

    #[test]
    fn field_with_no_term_is_an_error() {
        let err = parse("data title:", false).unwrap_err();
        assert_eq!(err.column, 5);
        assert!(err.message.contains("needs a term"));
        // Nothing after the space can be the field's value either.
        for query in [
            "title: AND drift",
            "title: -drift",
            "title: author:bengio",
            "data title:  ",
            "(title: ) drift",
        ] {
            let err = parse(query, false).unwrap_err();
            assert!(
                err.message.contains("needs a term"),
                "{query}: {}",
                err.message
            );
        }
    }

    #[test]
    fn a_space_after_a_fields_colon_is_read_as_lucene_reads_it() {
        // `title: drift` is `title:drift`, in Lucene's and Elasticsearch's parsers alike.
        for (spaced, attached) in [
            ("title: drift", "title:drift"),
            ("Title:  drift data", "Title:drift data"),
            ("author:\tbengio", "author:bengio"),
            ("title: \"data drift\"~2", "title:\"data drift\"~2"),
            ("title: (data drift)", "title:(data drift)"),
            ("drift year: 2022", "drift year:2022"),
            ("drift year: 2020..2024", "drift year:2020..2024"),
            ("title: a:b", "title:a:b"),
        ] {
            let (a, b) = (
                parse(spaced, false).unwrap(),
                parse(attached, false).unwrap(),
            );
            assert_eq!(strip_spans(a.expr), strip_spans(b.expr), "{spaced}");
            assert!(a.notes.is_empty(), "{spaced}: {:?}", a.notes);
        }
        let err = parse("drift year: 20x4", false).unwrap_err();
        assert_eq!((err.column, err.width), (6, 10));
        assert!(
            err.message.contains("takes a year or a range"),
            "{}",
            err.message
        );
        let err = parse("year: (2020 OR 2021)", false).unwrap_err();
        assert!(err.message.contains("not a group"), "{}", err.message);
        // A word that is not a field name stays text: `Note: drift` searches both words.
        let parsed = parse("Note: drift", false).unwrap();
        assert!(
            parsed.notes[0].contains("`Note:` taken as plain text"),
            "{:?}",
            parsed.notes
        );
    }

    #[test]
    fn prefix_automaton_accepts_exactly_the_words_starting_with_it() {
        let p = Prefix {
            prefix: b"grap".to_vec(),
            exact: Vec::new(),
        };
        let run = |p: &Prefix, w: &[u8]| {
            let mut state = p.start();
            for &b in w {
                state = p.accept(&state, b);
            }
            p.is_match(&state)
        };
        assert!(run(&p, b"grap") && run(&p, b"graph") && run(&p, b"graphs"));
        assert!(!run(&p, b"gra") && !run(&p, b"agraph") && !run(&p, b"grip"));
        // And the stems of words starting with it that stemming cut short, exactly.
        let p = Prefix {
            prefix: b"optimiz".to_vec(),
            exact: vec![b"optim".to_vec(), b"op".to_vec()],
        };
        assert!(run(&p, b"optimiz") && run(&p, b"optimizee") && run(&p, b"optim"));
        assert!(run(&p, b"op"));
        assert!(!run(&p, b"opt") && !run(&p, b"optima") && !run(&p, b"optimi"));
        assert!(!run(&p, b"o") && !run(&p, b"optims"));
    }

    #[test]
    fn empty_and_punctuation_queries_have_no_expression_or_only_unsearchable_words() {
        assert_eq!(parse("", false).unwrap().expr, None);
        assert_eq!(parse("   ", false).unwrap().expr, None);
        assert_eq!(parse("()", false).unwrap().expr, None);
    }
}
