//! Searching: runs a parsed query against an index and assembles the hits a user sees.
//!
//! Invariant: ranking is BM25 as tantivy computes it over the fields the query names, with the
//! title clause of [`Ranking`]; the same `Searcher` settings serve `search`, `eval` and
//! `bench`, so what is measured is what users get.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Serialize;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer, ValueVisitor,
};
use tantivy::schema::Field;
use tantivy::{DocAddress, Searcher};

use crate::paper::Paper;

use crate::analyzer;
use crate::feedback;
use crate::filter::Filtered;
use crate::fuzzy;
use crate::ingest;
use crate::like;
use crate::query::{self, Built, Expr, Leaf, QueryBuilder, QueryError, Ranking, Scope, Wanted};
use crate::schema::{self, Fields};
use crate::snippet::{self, Highlighted};
use crate::union::TermUnion;

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub id: String,
    pub venue: String,
    pub number: Option<u64>,
    pub year: Option<i64>,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub url: Option<String>,
    pub snippet: String,
    /// Byte ranges of matched words within `snippet`.
    pub highlights: Vec<[usize; 2]>,
    /// Byte ranges of matched words within `title`.
    #[serde(serialize_with = "byte_ranges")]
    pub title_highlights: Vec<std::ops::Range<usize>>,
    /// Positions in `authors` of the names the query matched.
    pub author_highlights: Vec<usize>,
    /// tantivy's account of the score, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<serde_json::Value>,
}

/// Ranges as `[start, end]` pairs, as `highlights` are written.
fn byte_ranges<S: serde::Serializer>(
    ranges: &[std::ops::Range<usize>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(ranges.iter().map(|r| [r.start, r.end]))
}

/// What to search for, in what order, and how many results to return.
#[derive(Debug, Clone)]
pub struct Request<'q> {
    pub query: &'q str,
    /// Juxtaposed words are all required.
    pub all: bool,
    pub limit: usize,
    pub offset: usize,
    pub explain: bool,
    pub order: Order,
}

/// The order of the results (`search --sort`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// Best BM25 score first
    #[default]
    Relevance,
    /// Latest year first, best score first within a year; papers without a year last
    Newest,
}

/// Papers like one in the index (`paperdex similar`).
#[derive(Debug, Clone)]
pub struct LikeRequest<'q> {
    /// The paper's id.
    pub id: &'q str,
    /// A query the results must match; it filters and does not score.
    pub filter: Option<&'q str>,
    pub limit: usize,
    pub offset: usize,
}

/// Why a query produced no search.
#[derive(Debug)]
pub enum SearchError {
    /// The query is wrong as written.
    Query(QueryError),
    /// Nothing in the query can be searched (empty, or only punctuation).
    Empty,
    /// No live paper has this id.
    NoPaper(String),
    Index(anyhow::Error),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::Query(e) => write!(f, "{e}"),
            SearchError::Empty => write!(f, "the query has no words to search for"),
            SearchError::NoPaper(id) => write!(f, "no paper with id `{id}` in the index"),
            SearchError::Index(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for SearchError {}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.into())
    }
}

/// The answer to a request.
#[derive(Debug, Default)]
pub struct Answer {
    pub hits: Vec<Hit>,
    /// What was taken literally, for stderr.
    pub notes: Vec<String>,
}

/// Searches one index snapshot.
pub struct Engine {
    searcher: Searcher,
    fields: Fields,
    builder: QueryBuilder,
    /// Marks abstracts and authors, and titles where [`Engine::scoped`] is not set.
    matcher: snippet::Matcher,
    /// Marks titles where the answer's query asks for some words in titles or abstracts only
    /// (`title:transformer`): each field shows what was asked of it.
    title_matcher: snippet::Matcher,
    scoped: bool,
}

impl Engine {
    pub fn new(searcher: Searcher, fields: Fields, ranking: Ranking) -> Engine {
        Engine {
            builder: QueryBuilder::new(fields, ranking).searching(searcher.clone()),
            searcher,
            fields,
            matcher: snippet::Matcher::new(&Wanted::default()),
            title_matcher: snippet::Matcher::new(&Wanted::default()),
            scoped: false,
        }
    }

    /// Readies the marking of an answer's hits for what its query asks for.
    fn begin(&mut self, wanted: &Wanted) {
        self.scoped = wanted.scoped();
        if self.scoped {
            self.matcher.begin(&wanted.in_field(false));
            self.title_matcher.begin(&wanted.in_field(true));
        } else {
            self.matcher.begin(wanted);
        }
    }

    /// Parses and builds a query.
    pub fn prepare(&mut self, query: &str, all: bool) -> Result<(Built, Vec<String>), SearchError> {
        let parsed = query::parse(query, all).map_err(SearchError::Query)?;
        let expr = parsed.expr.ok_or(SearchError::Empty)?;
        let built = self.builder.build(&expr).ok_or(SearchError::Empty)?;
        let mut notes = parsed.notes;
        if self.builder.ranking.feedback.is_some() && built.plain_terms.is_none() {
            notes.push(
                "--rm3 expands queries of plain words only (no field, phrase, operator, filter, fuzzy or prefix word); this one is searched without it"
                    .to_string(),
            );
        }
        Ok((built, notes))
    }

    /// The top hits' addresses and scores, without fetching anything.
    pub fn top(
        &self,
        built: &Built,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let collector = TopDocs::with_limit(limit)
            .and_offset(offset)
            .order_by_score();
        if let (Some(fb), Some(terms)) = (self.builder.ranking.feedback, built.plain_terms) {
            let expanded = feedback::expand(
                &self.searcher,
                &self.fields,
                &self.builder,
                built.query.as_ref(),
                terms,
                &fb,
            )?;
            if let Some(q) = expanded {
                return Ok(self.searcher.search(q.as_ref(), &collector)?);
            }
        }
        if let Some(union) = built.query.downcast_ref::<TermUnion>() {
            // The collector is made here, keeping limit plus offset papers: the one place the
            // union can be told so (`TermUnion::expecting`'s contract).
            let union = union.clone().expecting(limit.saturating_add(offset));
            return Ok(self.searcher.search(&union, &collector)?);
        }
        if let Some(filtered) = built.query.downcast_ref::<Filtered>() {
            let filtered = filtered.clone().expecting(limit.saturating_add(offset));
            return Ok(self.searcher.search(&filtered, &collector)?);
        }
        Ok(self.searcher.search(built.query.as_ref(), &collector)?)
    }

    /// The top hits by year, latest first, and by score within a year.
    ///
    /// Every match is looked at: no score bound can skip a paper that may be newer.
    fn newest(
        &self,
        built: &Built,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // `None` sorts below every year, so papers without one come last.
        let collector = TopDocs::with_limit(limit).and_offset(offset).order_by((
            (
                SortByStaticFastValue::<i64>::for_field(schema::YEAR),
                tantivy::Order::Desc,
            ),
            (SortBySimilarityScore, tantivy::Order::Desc),
        ));
        let top = self.searcher.search(built.query.as_ref(), &collector)?;
        Ok(top
            .into_iter()
            .map(|((_, score), address)| (score, address))
            .collect())
    }

    /// Number of matching papers.
    pub fn count(&mut self, query: &str, all: bool) -> Result<(usize, Vec<String>), SearchError> {
        let (built, notes) = self.prepare(query, all)?;
        Ok((self.searcher.search(built.query.as_ref(), &Count)?, notes))
    }

    /// Runs a request: the ranked hits with stored fields and snippets.
    pub fn search(&mut self, req: &Request) -> Result<Answer, SearchError> {
        self.builder.explaining = req.explain;
        let (built, notes) = self.prepare(req.query, req.all)?;
        let top = match req.order {
            Order::Relevance => self.top(&built, req.limit, req.offset)?,
            Order::Newest => self.newest(&built, req.limit, req.offset)?,
        };
        self.begin(&built.wanted);
        let mut hits = Vec::with_capacity(top.len());
        for (i, (score, address)) in top.into_iter().enumerate() {
            let mut hit = self.hit(req.offset + i + 1, score, address)?;
            if req.explain {
                let explanation = built
                    .query
                    .explain(&self.searcher, address)
                    .context("explaining a score")
                    .map_err(SearchError::Index)?;
                hit.explain = serde_json::to_value(&explanation).ok().map(|mut v| {
                    name_fields(&mut v, &self.fields);
                    v
                });
            }
            hits.push(hit);
        }
        Ok(Answer { hits, notes })
    }

    /// "Did you mean": the query with each word no paper has (or almost none) replaced by the nearest word
    /// papers have ([`fuzzy::correction`]), and the words replaced; `None` when every word is
    /// found or none has a word near it. Words that are excluded, in phrases, fuzzy already or
    /// shorter than [`fuzzy::MIN_CORRECTED_CHARS`] are left as they are.
    pub fn suggest(&mut self, query: &str) -> Option<Suggestion> {
        // The spans of the parse count in the normalized query, so the suggestion is made of it.
        let normalized = query::normalize(query);
        let query = normalized.as_ref();
        let expr = query::parse(query, false).ok()?.expr?;
        let mut words = Vec::new();
        missing_candidates(&expr, &mut words);
        let mut replaced: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let mut missing = Vec::new();
        // A pasted paragraph may hold many unknown words: at most a few are corrected (each
        // reads the papers of a few near words), the same word once.
        let mut budget = MAX_CORRECTED_WORDS;
        // Each word is corrected once, and wherever it stands, whatever punctuation is around
        // it (`mitigatoin. mitigatoin`): known by what it is without that punctuation, with
        // where the correction goes counted from there.
        type Corrected = Option<(String, std::ops::Range<usize>)>;
        let mut tried: HashMap<(Scope, String), Corrected> = HashMap::new();
        for (scope, word, span) in words {
            let bare = word.trim_start_matches(|c: char| !c.is_alphanumeric());
            let at = word.len() - bare.len();
            let bare = bare.trim_end_matches(|c: char| !c.is_alphanumeric());
            let key = (scope, bare.to_string());
            let corrected = match tried.get(&key) {
                Some(known) => known.clone(),
                None => {
                    let found = self.correct(scope, &word, &mut budget).and_then(
                        |(better, papers, within)| {
                            missing.push((word.get(within.clone())?.to_string(), papers));
                            let from_bare = within.start.checked_sub(at)?..within.end - at;
                            Some((better, from_bare))
                        },
                    );
                    tried.insert(key, found.clone());
                    found
                }
            };
            if let Some((better, within)) = corrected {
                // Only the word itself is replaced, not the punctuation around it (`liver.`).
                let start = span.start + at;
                replaced.push((start + within.start..start + within.end, better));
            }
        }
        if replaced.is_empty() {
            return None;
        }
        replaced.sort_by_key(|(span, _)| span.start);
        let mut corrected = String::with_capacity(query.len());
        let mut at = 0;
        for (span, better) in replaced {
            corrected.push_str(query.get(at..span.start)?);
            corrected.push_str(&better);
            at = span.end;
        }
        corrected.push_str(query.get(at..)?);
        Some(Suggestion {
            query: corrected,
            missing,
        })
    }

    /// The word to suggest for `word` of `scope`, if no paper has it (or it is rare: see
    /// [`fuzzy::RARE_SHARE`]) and one is near: the word to put in its place, the papers that
    /// have it, and where the word is in `word` (which may hold punctuation too).
    fn correct(
        &self,
        scope: Scope,
        word: &str,
        budget: &mut usize,
    ) -> Option<(String, u64, std::ops::Range<usize>)> {
        let f = &self.fields;
        if matches!(scope, Scope::Venue | Scope::Id) {
            return self.other_case(
                if scope == Scope::Venue { f.venue } else { f.id },
                word,
                budget,
            );
        }
        // A word analysis splits, or drops, is not one a correction can stand for.
        let mut names_analyzer = analyzer::names();
        let prose = analyzer::only_term(&mut analyzer::prose(), word)?;
        let within = prose.offset_from..prose.offset_to;
        let typed = word.get(within.clone())?;
        // A number is not misspelt (`8192` is not `812`). Words with digits in them are
        // corrected: on SciFact train's typo benchmark leaving them alone cost 0.003 nDCG@10.
        if typed.chars().count() < fuzzy::MIN_CORRECTED_CHARS
            || query::is_stopword(typed)
            || typed.chars().all(|c| c.is_numeric())
        {
            return None;
        }
        let names = analyzer::only_term(&mut names_analyzer, word)?;
        // Compared as the papers' words are written, accents folded: `strägglr` is one edit
        // from `straggler`, as a search finds it, not two.
        let typed = if typed.is_ascii() {
            typed
        } else {
            names.text.as_str()
        };
        let papers = |field, term: &str| -> Option<u64> {
            self.searcher
                .doc_freq(&tantivy::Term::from_field_text(field, term))
                .ok()
        };
        let prose_field = match scope {
            Scope::Any | Scope::Abstract => Some(f.text),
            Scope::Title => Some(f.title),
            _ => None,
        };
        let names_too = matches!(scope, Scope::Any | Scope::Authors);
        let mut has = 0;
        if let Some(field) = prose_field {
            has += papers(field, &prose.text)?;
        }
        if names_too {
            has += papers(f.authors, &names.text)?;
        }
        let min_papers = if has == 0 {
            1
        } else if has.saturating_mul(fuzzy::RARE_SHARE) <= self.searcher.num_docs() {
            has.saturating_mul(fuzzy::MORE_COMMON)
        } else {
            return None;
        };
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if let Some(field) = prose_field {
            let better = fuzzy::prose_correction(&self.searcher, f, field, typed, min_papers);
            if let Some(better) = better.ok()? {
                return Some((better, has, within));
            }
        }
        if names_too {
            // Author names are not stemmed: a term is a word.
            let spell = |name: &str| Ok(vec![name.to_string()]);
            let analyze = |w: &str| analyzer::only_term(&mut names_analyzer, w).map(|t| t.text);
            let searcher = &self.searcher;
            let better =
                fuzzy::correction(searcher, f.authors, typed, analyze, min_papers, spell, None);
            return better.ok()?.map(|b| (b, has, within));
        }
        None
    }

    /// A venue or id matches exactly, case and all (`venue:ICLR` finds nothing where papers
    /// are `iclr`): the value of `field` that `value` is in another case, if no paper has
    /// `value` itself. Reads the field's whole term dictionary, so only for a value that finds
    /// nothing, and within the budget.
    fn other_case(
        &self,
        field: Field,
        value: &str,
        budget: &mut usize,
    ) -> Option<(String, u64, std::ops::Range<usize>)> {
        let exact = tantivy::Term::from_field_text(field, value);
        if self.searcher.doc_freq(&exact).ok()? > 0 || *budget == 0 {
            return None;
        }
        *budget -= 1;
        let lower = value.to_lowercase();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(field).ok()?;
            let mut terms = inverted.terms().stream().ok()?;
            while terms.advance() {
                let Ok(term) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                let same = term.eq_ignore_ascii_case(value)
                    || (!term.is_ascii() && term.to_lowercase() == lower);
                if same {
                    return Some((term.to_string(), 0, 0..value.len()));
                }
            }
        }
        None
    }

    /// Papers like the one with `req.id`, by its most telling words ([`like::words`]), best
    /// first; the paper itself is left out. The words are returned too, for the user to see.
    pub fn similar(&mut self, req: &LikeRequest) -> Result<(Answer, Vec<String>), SearchError> {
        let source = ingest::find_id(&self.searcher, &self.fields, req.id)?
            .ok_or_else(|| SearchError::NoPaper(req.id.to_string()))?;
        let paper = stored_paper(&self.searcher, &self.fields, source)?;
        let words = like::words(&self.searcher, &self.fields, &paper)?;
        let filter = match req.filter {
            Some(text) => {
                let parsed = query::parse(text, false).map_err(SearchError::Query)?;
                let expr = parsed.expr.ok_or(SearchError::Empty)?;
                let built = self.builder.build(&expr).ok_or(SearchError::Empty)?;
                Some((built.query, parsed.notes))
            }
            None => None,
        };
        let items = words
            .iter()
            .map(|w| Expr::Leaf {
                scope: Scope::Any,
                leaf: Leaf::Word(w.clone()),
                span: 0..0,
            })
            .collect();
        let Some(mut built) = self.builder.build(&Expr::Or(items)) else {
            return Ok((Answer::default(), words));
        };
        let mut notes = Vec::new();
        if let Some((filter, filter_notes)) = filter {
            built.query = Box::new(Filtered::new(built.query, filter));
            notes = filter_notes;
        }
        // One more than asked for, since the paper itself is likely among them.
        let wanted = req.limit.saturating_add(req.offset).saturating_add(1);
        let top = self.top(&built, wanted, 0)?;
        self.begin(&built.wanted);
        let mut hits = Vec::with_capacity(req.limit.min(top.len()));
        let others = top.into_iter().filter(|(_, address)| *address != source);
        for (i, (score, address)) in others.skip(req.offset).take(req.limit).enumerate() {
            hits.push(self.hit(req.offset + i + 1, score, address)?);
        }
        Ok((Answer { hits, notes }, words))
    }

    fn hit(&mut self, rank: usize, score: f32, address: DocAddress) -> Result<Hit, SearchError> {
        let paper = stored_paper(&self.searcher, &self.fields, address)?;
        let Highlighted {
            text: snippet,
            highlights,
        } = self.matcher.snippet(&paper.abstract_text);
        let title_highlights = if self.scoped {
            self.title_matcher.highlight_all(&paper.title)
        } else {
            self.matcher.highlight_all(&paper.title)
        };
        let author_highlights = self.matcher.matching_authors(&paper.authors);
        Ok(Hit {
            rank,
            score,
            id: paper.id,
            venue: paper.venue,
            number: paper.number,
            year: paper.year,
            title: paper.title,
            authors: paper.authors,
            abstract_text: paper.abstract_text,
            url: paper.url,
            snippet,
            highlights: highlights.into_iter().map(|r| [r.start, r.end]).collect(),
            title_highlights,
            author_highlights,
            explain: None,
        })
    }
}

/// tantivy names a term's field by its number (`Term(field=7, type=Str, "drift")`), which says
/// nothing to a reader: each becomes the field's name and the term (`title+abstract:"drift"`).
fn name_fields(node: &mut serde_json::Value, fields: &Fields) {
    const OPEN: &str = "Term(field=";
    if let Some(context) = node.get_mut("context").and_then(|c| c.as_array_mut()) {
        for line in context.iter_mut() {
            let Some(text) = line.as_str() else { continue };
            let mut named = String::with_capacity(text.len());
            let mut rest = text;
            while let Some(at) = rest.find(OPEN) {
                named.push_str(&rest[..at]);
                let after = &rest[at + OPEN.len()..];
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                let name = after[..digits]
                    .parse::<u32>()
                    .ok()
                    .and_then(|id| fields.shown_name(Field::from_field_id(id)));
                let term = after[digits..]
                    .split_once(", \"")
                    .and_then(|(_, t)| t.split_once("\")"));
                match (name, term) {
                    (Some(name), Some((term, tail))) => {
                        named.push_str(&format!("{name}:\"{term}\""));
                        rest = tail;
                    }
                    _ => {
                        named.push_str(OPEN);
                        rest = after;
                    }
                }
            }
            named.push_str(rest);
            *line = serde_json::Value::String(named);
        }
    }
    if let Some(details) = node.get_mut("details").and_then(|d| d.as_array_mut()) {
        for d in details {
            name_fields(d, fields);
        }
    }
}

/// "Did you mean" corrects at most this many distinct words of a query (no paper has them or few
/// do).
pub const MAX_CORRECTED_WORDS: usize = 8;

/// A query with its misspelled words corrected ([`Engine::suggest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub query: String,
    /// The words replaced, as typed, with the number of papers that have them (0 or few).
    pub missing: Vec<(String, u64)>,
}

/// The plain words of `expr` a user wants found: not excluded, not in phrases.
fn missing_candidates(expr: &Expr, out: &mut Vec<(Scope, String, std::ops::Range<usize>)>) {
    match expr {
        Expr::Leaf {
            scope: scope @ (Scope::Venue | Scope::Id),
            leaf: Leaf::Word(w),
            span,
        } => out.push((*scope, w.clone(), span.clone())),
        Expr::Leaf {
            scope: scope @ (Scope::Any | Scope::Title | Scope::Abstract | Scope::Authors),
            leaf: Leaf::Word(w),
            span,
        } => {
            // A word analysis splits (`Stragglr-detection`) is searched as its parts, so each
            // part is corrected on its own (where the span is the word as written).
            let parts: Vec<_> = crate::snippet::alphanumeric_runs_from(w, 0)
                .map(|(run, _)| run)
                .collect();
            if parts.len() > 1 && span.len() == w.len() {
                for part in parts {
                    let at = span.start + part.start..span.start + part.end;
                    out.push((*scope, w[part].to_string(), at));
                }
            } else {
                out.push((*scope, w.clone(), span.clone()));
            }
        }
        Expr::Leaf { .. } | Expr::Not(_) => {}
        Expr::Required(inner) | Expr::Boost(inner, _) => missing_candidates(inner, out),
        Expr::Or(items) | Expr::And(items) => {
            for item in items {
                missing_candidates(item, out);
            }
        }
    }
}

/// The stored paper at `address`.
pub fn stored_paper(
    searcher: &Searcher,
    fields: &Fields,
    address: DocAddress,
) -> tantivy::Result<Paper> {
    Ok(searcher.doc::<StoredFields>(address)?.into_paper(fields))
}

/// A stored paper's fields read straight into strings and numbers: reading a paper then costs
/// one copy of its text, where tantivy's own document type builds a tree of values first.
pub struct StoredFields(Vec<(Field, Stored)>);

impl StoredFields {
    pub fn into_paper(self, f: &Fields) -> Paper {
        let mut paper = Paper::default();
        for (field, value) in self.0 {
            match value {
                Stored::Text(s) if field == f.id => paper.id = s,
                Stored::Text(s) if field == f.venue => paper.venue = s,
                Stored::Text(s) if field == f.title => paper.title = s,
                Stored::Text(s) if field == f.authors => paper.authors.push(s),
                Stored::Text(s) if field == f.abstract_text => paper.abstract_text = s,
                Stored::Text(s) if field == f.url => paper.url = Some(s),
                Stored::U64(n) if field == f.number => paper.number = Some(n),
                Stored::I64(y) if field == f.year => paper.year = Some(y),
                _ => {}
            }
        }
        paper
    }
}

enum Stored {
    Text(String),
    U64(u64),
    I64(i64),
    /// A value of a type paperdex does not store (an index of another build).
    Other,
}

impl DocumentDeserialize for StoredFields {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut fields = Vec::with_capacity(deserializer.size_hint());
        while let Some(entry) = deserializer.next_field::<Stored>()? {
            fields.push(entry);
        }
        Ok(StoredFields(fields))
    }
}

impl ValueDeserialize for Stored {
    fn deserialize<'de, D>(deserializer: D) -> Result<Self, DeserializeError>
    where
        D: ValueDeserializer<'de>,
    {
        deserializer.deserialize_any(StoredVisitor)
    }
}

struct StoredVisitor;

impl ValueVisitor for StoredVisitor {
    type Value = Stored;

    fn visit_string(&self, val: String) -> Result<Stored, DeserializeError> {
        Ok(Stored::Text(val))
    }

    fn visit_u64(&self, val: u64) -> Result<Stored, DeserializeError> {
        Ok(Stored::U64(val))
    }

    fn visit_i64(&self, val: i64) -> Result<Stored, DeserializeError> {
        Ok(Stored::I64(val))
    }

    fn visit_null(&self) -> Result<Stored, DeserializeError> {
        Ok(Stored::Other)
    }
}
