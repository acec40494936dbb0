//! Streaming reader for papers as JSON Lines: one JSON object per line.
//!
//! Two record shapes are accepted, and may be mixed:
//!
//! - paperdex / paperlists: `{"id", "title", "authors": [..] or "A ; B", "abstract",
//!   "venue"?, "year"?, "url"?}`
//! - BEIR corpus: `{"_id", "title", "text", "authors"?}` where `text` is the abstract.
//!
//! Other keys (`status`, `metadata`, ...) are ignored.
//!
//! Invariant: every non-blank line becomes exactly one item, a [`Paper`] or a [`RecordError`]
//! with that line's number; an error never costs the lines after it, except an I/O error, which
//! ends the input. Memory is bounded by one line of at most [`MAX_LINE_BYTES`], read into a
//! reused buffer; text fields are cleaned straight from the parsed JSON without an intermediate
//! copy.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::clean::{clean_text, composed};
use crate::listing::{split_authors, LineReader, NO_SUMMARY};
use crate::paper::{author_list, Paper, RecordError};

/// Longest line accepted; a longer one is an error and is skipped without being held.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Streams the papers of one JSON Lines file.
///
/// ```
/// # use paperdex::jsonl::JsonLinesReader;
/// let text = r#"{"id": "a1", "title": "On \\textit{X}", "authors": ["Ann", "Bo"], "abstract": "Text.", "year": 2024}
/// {"_id": 7, "title": "", "text": "A BEIR document."}
/// "#;
/// let papers: Vec<_> = JsonLinesReader::new(text.as_bytes(), "corpus")
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(papers[0].title, "On X");
/// assert_eq!(papers[0].venue, "corpus");
/// assert_eq!(papers[0].year, Some(2024));
/// assert_eq!(papers[1].id, "7");
/// assert_eq!(papers[1].abstract_text, "A BEIR document.");
/// ```
pub struct JsonLinesReader<R: BufRead> {
    lines: LineReader<R>,
    default_venue: String,
}

impl<R: BufRead> JsonLinesReader<R> {
    /// Reads records from `reader`; `default_venue` (the file stem) is the venue of records that
    /// do not name one.
    pub fn new(reader: R, default_venue: &str) -> Self {
        JsonLinesReader {
            lines: LineReader::new(reader, MAX_LINE_BYTES),
            default_venue: default_venue.to_owned(),
        }
    }
}

impl<R: BufRead> Iterator for JsonLinesReader<R> {
    type Item = Result<Paper, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next_line()? {
                Ok(line) => line,
                Err(err) => return Some(Err(err)),
            };
            if line.bytes.iter().all(u8::is_ascii_whitespace) && !line.overlong {
                continue;
            }
            let fail = |message: String| {
                Some(Err(RecordError {
                    line: line.number,
                    message,
                }))
            };
            if line.overlong {
                return fail(format!("line longer than {MAX_LINE_BYTES} bytes"));
            }
            let text = match std::str::from_utf8(line.bytes) {
                Ok(text) => text,
                Err(err) => {
                    return fail(format!("invalid UTF-8 at byte {}", err.valid_up_to()));
                }
            };
            return Some(
                parse_record(text, &self.default_venue).map_err(|message| RecordError {
                    line: line.number,
                    message,
                }),
            );
        }
    }
}

/// The longest `id` or `venue`, in bytes: each is indexed whole, as one term.
const MAX_KEY_BYTES: usize = tantivy::tokenizer::MAX_TOKEN_LEN;

/// Parses one JSON line into a paper, or says what is wrong with it.
fn parse_record(text: &str, default_venue: &str) -> Result<Paper, String> {
    // serde would read an array positionally into the struct; a record must be an object.
    if !text.trim_start().starts_with('{') {
        return Err("expected a JSON object".to_owned());
    }
    let mut raw: RawRecord = serde_json::from_str(text).map_err(|err| json_error(&err))?;
    if raw.cleaned == Some(serde_json::Value::Bool(true)) {
        let clean: CleanRecord = serde_json::from_str(text).map_err(|err| json_error(&err))?;
        // Not cleaned again, but composed as all indexed text is (an export by an earlier
        // paperdex, or written by hand, may hold decomposed accents).
        raw.title = clean.title.map(composed);
        raw.abstract_text = clean.abstract_text.map(composed);
        raw.authors = clean.authors.map(|names| match names {
            CleanNames::List(names) => names.into_iter().map(composed).collect(),
            CleanNames::One(names) => names
                .split(';')
                .map(|name| composed(name.trim().to_string()))
                .filter(|name| !name.is_empty())
                .collect(),
        });
    }
    let id = match (raw.id, raw.beir_id) {
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err("missing field `id` (or `_id`)".to_owned()),
    };
    if id.is_empty() {
        return Err("field `id` is empty".to_owned());
    }
    // tantivy drops a longer term from the index, and the paper would then be one that no
    // `--add` replaces, `remove` finds or `id:` matches: refused, as Elasticsearch refuses an
    // immense term.
    let too_long = |field: &str, value: &str| {
        format!(
            "field `{field}` is {} bytes long; at most {MAX_KEY_BYTES} can be indexed",
            value.len()
        )
    };
    if id.len() > MAX_KEY_BYTES {
        return Err(too_long("id", &id));
    }
    if let Some(venue) = raw.venue.as_deref().filter(|v| v.len() > MAX_KEY_BYTES) {
        return Err(too_long("venue", venue));
    }
    let Some(title) = raw.title else {
        return Err("missing or null field `title`".to_owned());
    };
    // An empty `abstract` beside a BEIR `text` is no abstract: the text is.
    let mut abstract_text = raw
        .abstract_text
        .filter(|a| !a.is_empty())
        .or(raw.text)
        .unwrap_or_default();
    if abstract_text == NO_SUMMARY {
        abstract_text.clear();
    }
    if title.is_empty() && abstract_text.is_empty() {
        return Err("record has neither a title nor an abstract".to_owned());
    }
    Ok(Paper {
        id,
        venue: raw
            .venue
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default_venue.to_owned()),
        number: raw.number.as_ref().and_then(listing_number),
        year: raw.year,
        title,
        authors: author_list(raw.authors.unwrap_or_default()),
        abstract_text,
        url: raw.url.filter(|u| !u.is_empty()),
    })
}

/// serde_json's message without its position: the position it gives is within the line (always
/// line 1), while the caller reports the line in the file; the column is kept.
fn json_error(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&position) {
        Some(message) if err.column() > 0 => {
            format!("invalid JSON record: {message} (column {})", err.column())
        }
        _ => format!("invalid JSON record: {full}"),
    }
}

/// A record as it is on the line. Text fields are cleaned while they are parsed, straight from
/// the borrowed JSON string, so no intermediate `String` is built for them.
#[derive(Deserialize)]
struct RawRecord {
    #[serde(default, deserialize_with = "id")]
    id: Option<String>,
    #[serde(default, rename = "_id", deserialize_with = "beir_id")]
    beir_id: Option<String>,
    #[serde(default, deserialize_with = "title")]
    title: Option<String>,
    #[serde(default, rename = "abstract", deserialize_with = "abstract_text")]
    abstract_text: Option<String>,
    #[serde(default, deserialize_with = "text")]
    text: Option<String>,
    #[serde(default, deserialize_with = "authors")]
    authors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "venue")]
    venue: Option<String>,
    #[serde(default, deserialize_with = "year")]
    year: Option<i64>,
    #[serde(default, deserialize_with = "url")]
    url: Option<String>,
    /// A listing entry's `#N`, as `paperdex export` writes it: read as [`listing_number`] reads
    /// it, anything else is ignored.
    #[serde(default)]
    number: Option<serde_json::Value>,
    /// `true` in a `paperdex export`: the text is already clean (see [`CleanRecord`]).
    #[serde(default)]
    cleaned: Option<serde_json::Value>,
}

/// The text fields of a record marked `"cleaned": true` (a `paperdex export`), read as they
/// are: cleaning is not idempotent (`\{1, 2\}` cleans to `{1, 2}`, which would clean again to
/// `1, 2`), so an export is read back without it, and indexing an export gives the same papers.
#[derive(Deserialize)]
struct CleanRecord {
    #[serde(default)]
    title: Option<String>,
    #[serde(default, rename = "abstract")]
    abstract_text: Option<String>,
    #[serde(default)]
    authors: Option<CleanNames>,
}

/// An exported record's authors: a list, or (written by hand) one string of names separated by
/// `;`, as any record may give them.
#[derive(Deserialize)]
#[serde(untagged)]
enum CleanNames {
    List(Vec<String>),
    One(String),
}

// One function per field, so a wrong type names the field it is in.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(IdVisitor("id"))
}
fn beir_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(IdVisitor("_id"))
}
fn title<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor::cleaned("title"))
}
fn abstract_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor::cleaned("abstract"))
}
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor::cleaned("text"))
}
fn venue<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor::verbatim("venue"))
}
fn url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor::verbatim("url"))
}
fn authors<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    d.deserialize_any(AuthorsVisitor)
}
/// A listing number: a whole number from 0 up, or a string or whole float holding one (`"7"`,
/// `7.0`), as `year` is read: a spreadsheet's export writes numbers either way.
fn listing_number(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(f))
                .map(|f| f as u64)
        }),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn year<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(YearVisitor)
}

/// A string field; `null` counts as absent.
struct TextVisitor {
    field: &'static str,
    clean: bool,
}

impl TextVisitor {
    fn cleaned(field: &'static str) -> Self {
        TextVisitor { field, clean: true }
    }
    fn verbatim(field: &'static str) -> Self {
        TextVisitor {
            field,
            clean: false,
        }
    }
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "field `{}` to be a string", self.field)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(if self.clean {
            clean_text(v)
        } else {
            v.trim().to_owned()
        }))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An id: a string or an integer, kept as written.
struct IdVisitor(&'static str);

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "field `{}` to be a string or an integer", self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.trim().to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Authors: an array of names, or one string of names separated by `;`.
struct AuthorsVisitor;

impl AuthorsVisitor {
    fn push(names: &mut Vec<String>, name: &str) {
        let name = clean_text(name);
        if !name.is_empty() {
            names.push(name);
        }
    }
}

impl<'de> Visitor<'de> for AuthorsVisitor {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "field `authors` to be an array of strings or a string of names separated by `;`",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(split_authors(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(name) = seq.next_element_seed(AuthorName)? {
            Self::push(&mut names, &name);
        }
        Ok(Some(names))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// One element of an `authors` array, borrowed from the line when it has no escapes.
struct AuthorName;

impl<'de> de::DeserializeSeed<'de> for AuthorName {
    type Value = std::borrow::Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AuthorName {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("each of field `authors` to be a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.to_owned().into())
    }
}

/// A year: an integer from 1 to 9999, or a string holding one (`"2024"`), or a whole float
/// (`2024.0`, as pandas writes a year column that has gaps).
struct YearVisitor;

const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

impl<'de> Visitor<'de> for YearVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field `year` to be a year from 1 to 9999")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if YEARS.contains(&v) {
            Ok(Some(v))
        } else {
            Err(E::invalid_value(de::Unexpected::Signed(v), &self))
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match i64::try_from(v) {
            Ok(v) if YEARS.contains(&v) => Ok(Some(v)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && (1.0..=9999.0).contains(&v) {
            Ok(Some(v as i64))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<i64>() {
            Ok(year) if YEARS.contains(&year) => Ok(Some(year)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::{self, BufReader, Read};
    use std::path::Path;

    fn parse(text: &str) -> Vec<Result<Paper, RecordError>> {
        JsonLinesReader::new(text.as_bytes(), "stem").collect()
    }

    fn one(text: &str) -> Paper {
        let mut items = parse(text);
        assert_eq!(items.len(), 1, "{items:?}");
        items
            .remove(0)
            .unwrap_or_else(|e| panic!("unexpected error {e}"))
    }

    fn one_error(text: &str) -> RecordError {
        let mut items = parse(text);
        assert_eq!(items.len(), 1, "{items:?}");
        items.remove(0).expect_err("expected an error")
    }

    #[test]
    fn paperlists_record() {
        let p = one(
            r#"{"id": "3dv2025-x", "venue": "3dv", "year": 2025, "title": "Flash3D: Feed-Forward", "authors": ["Ann A", "Bo B"], "abstract": "Text with {\\em em}.", "status": "Poster", "url": "https://x/y"}"#,
        );
        assert_eq!(
            p,
            Paper {
                id: "3dv2025-x".into(),
                venue: "3dv".into(),
                number: None,
                year: Some(2025),
                title: "Flash3D: Feed-Forward".into(),
                authors: vec!["Ann A".into(), "Bo B".into()],
                abstract_text: "Text with em.".into(),
                url: Some("https://x/y".into()),
            }
        );
    }

    #[test]
    fn beir_record_with_metadata() {
        let p = one(
            r#"{"_id": "4983", "title": "Micro.", "text": "Alterations.", "metadata": {"a": [1, {"b": null}]}}"#,
        );
        assert_eq!(p.id, "4983");
        assert_eq!(p.venue, "stem");
        assert_eq!(p.abstract_text, "Alterations.");
        assert!(p.authors.is_empty());
    }

    #[test]
    fn years_are_whole_numbers_from_1_to_9999() {
        for (text, year) in [("2024", 2024), ("\"2024\"", 2024), ("2024.0", 2024)] {
            let record = format!(r#"{{"id": "1", "title": "T", "year": {text}}}"#);
            assert_eq!(one(&record).year, Some(year), "{text}");
        }
        assert_eq!(one(r#"{"id": "1", "title": "T", "year": null}"#).year, None);
        for text in ["-5", "0", "12345", "2024.5", "\"-5\""] {
            let record = format!(r#"{{"id": "1", "title": "T", "year": {text}}}"#);
            let err = one_error(&record);
            assert!(
                err.message.contains("a year from 1 to 9999"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn beir_record_with_empty_title() {
        assert_eq!(
            one(r#"{"_id": "1", "title": "", "text": "Body."}"#).title,
            ""
        );
    }

    #[test]
    fn record_with_neither_title_nor_abstract() {
        let err = one_error(r#"{"_id": "1", "title": " ", "text": "No summary was provided."}"#);
        assert!(err.message.contains("neither"), "{err}");
    }

    #[test]
    fn integer_id() {
        assert_eq!(one(r#"{"_id": 42, "title": "T"}"#).id, "42");
        assert_eq!(one(r#"{"id": -3, "title": "T"}"#).id, "-3");
    }

    #[test]
    fn missing_id() {
        let err = one_error(r#"{"title": "T", "abstract": "A"}"#);
        assert_eq!(err.line, 1);
        assert!(err.message.contains("`id`"), "{err}");
    }

    #[test]
    fn an_id_or_venue_too_long_to_index_whole_is_refused() {
        let record = |id: &str, venue: &str| {
            format!(r#"{{"id": "{id}", "venue": "{venue}", "title": "T"}}"#)
        };
        let longest = "i".repeat(MAX_KEY_BYTES);
        assert_eq!(one(&record(&longest, "v")).id, longest);
        let err = one_error(&record(&"i".repeat(MAX_KEY_BYTES + 1), "v"));
        assert_eq!(
            err.message,
            "field `id` is 65531 bytes long; at most 65530 can be indexed"
        );
        let err = one_error(&record("1", &"v".repeat(70_000)));
        assert!(
            err.message.starts_with("field `venue` is 70000 bytes"),
            "{err}"
        );
    }

    #[test]
    fn missing_title() {
        let err = one_error(r#"{"id": "1", "abstract": "A"}"#);
        assert!(err.message.contains("`title`"), "{err}");
    }

    #[test]
    fn authors_as_semicolon_string() {
        let p = one(r#"{"id": "1", "title": "T", "authors": "Ann ; Bo;  ; C\\'esar"}"#);
        assert_eq!(p.authors, ["Ann", "Bo", "César"]);
        // In an export's form too (`"cleaned": true`), read as is but for the split.
        let p = one(
            r#"{"id": "1", "title": "T", "authors": "Ann ; Bo;  ; C\\'esar", "cleaned": true}"#,
        );
        assert_eq!(p.authors, ["Ann", "Bo", "C\\'esar"]);
    }

    #[test]
    fn an_author_list_written_twice_is_read_once() {
        let p = one(r#"{"id": "1", "title": "T", "authors": ["Ann A", "Bo B", "Ann A", "Bo B"]}"#);
        assert_eq!(p.authors, ["Ann A", "Bo B"]);
        let p = one(r#"{"id": "1", "title": "T", "authors": "Ann; Bo; Ann; Bo", "cleaned": true}"#);
        assert_eq!(p.authors, ["Ann", "Bo"]);
        // Two authors of one name, among others, stay two.
        let p = one(r#"{"id": "1", "title": "T", "authors": ["Jie Zhou", "Le Tian", "Jie Zhou"]}"#);
        assert_eq!(p.authors, ["Jie Zhou", "Le Tian", "Jie Zhou"]);
    }

    #[test]
    fn two_names_joined_by_and_are_two_authors() {
        let p = one(
            r#"{"id": "1", "title": "T", "authors": ["N. Trawny", "X. S. Zhou  and\nS. I. Roumeliotis"]}"#,
        );
        assert_eq!(p.authors, ["N. Trawny", "X. S. Zhou", "S. I. Roumeliotis"]);
        let p = one(r#"{"id": "1", "title": "T", "authors": ["Evangelos and Zervas"]}"#);
        assert_eq!(p.authors, ["Evangelos and Zervas"]);
    }

    #[test]
    fn authors_with_escapes_are_decoded() {
        let p =
            one(r#"{"id": "1", "title": "T", "authors": ["Erik Sandstr\u00f6m", "A &amp; B"]}"#);
        assert_eq!(p.authors, ["Erik Sandström", "A & B"]);
    }

    #[test]
    fn authors_as_number_names_the_field_and_line() {
        let items = parse("\n{\"id\": \"1\", \"title\": \"T\"}\n{\"id\": \"2\", \"title\": \"T\", \"authors\": 5}\n");
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("`authors`"), "{err}");
        assert!(!err.message.contains("line 1"), "{err}");
    }

    #[test]
    fn author_element_of_wrong_type_names_the_field() {
        let err = one_error(r#"{"id": "1", "title": "T", "authors": ["A", 3]}"#);
        assert!(err.message.contains("`authors`"), "{err}");
    }

    #[test]
    fn title_as_object_names_the_field() {
        let err = one_error(r#"{"id": "1", "title": {"en": "T"}}"#);
        assert!(err.message.contains("`title`"), "{err}");
    }

    #[test]
    fn listing_numbers_are_read_as_years_are() {
        for (text, number) in [
            ("7", Some(7)),
            ("\"7\"", Some(7)),
            ("\" 12 \"", Some(12)),
            ("7.0", Some(7)),
            ("7.5", None),
            ("-1", None),
            ("\"seven\"", None),
            ("null", None),
            ("[7]", None),
        ] {
            let record = format!(r#"{{"id": "1", "title": "T", "number": {text}}}"#);
            assert_eq!(one(&record).number, number, "{text}");
        }
    }

    #[test]
    fn year_and_venue_stay_separate() {
        let p = one(r#"{"id": "1", "title": "T", "venue": "ICML", "year": "2023"}"#);
        assert_eq!((p.venue.as_str(), p.year), ("ICML", Some(2023)));
        let err = one_error(r#"{"id": "1", "title": "T", "year": "soon"}"#);
        assert!(err.message.contains("`year`"), "{err}");
    }

    #[test]
    fn nulls_count_as_absent() {
        let p = one(
            r#"{"id": "1", "title": "T", "abstract": null, "authors": null, "venue": null, "year": null, "url": null}"#,
        );
        assert_eq!(p.venue, "stem");
        assert_eq!(p.abstract_text, "");
    }

    #[test]
    fn no_summary_placeholder_becomes_empty_abstract() {
        assert_eq!(
            one(r#"{"id": "1", "title": "T", "abstract": "No summary was provided."}"#)
                .abstract_text,
            ""
        );
    }

    #[test]
    fn malformed_json_reports_line_and_serde_message() {
        let items = parse("{\"id\": \"1\", \"title\": \"T\"}\n{\"id\": \"2\", \"title\": \n{\"id\": \"3\", \"title\": \"U\"}\n");
        assert_eq!(items.len(), 3);
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("EOF while parsing"), "{err}");
        assert_eq!(items[2].as_ref().unwrap().title, "U");
    }

    #[test]
    fn an_empty_abstract_beside_a_text_is_the_text() {
        let items =
            parse(r#"{"_id": "c", "title": "T", "abstract": "", "text": "BEIR body text"}"#);
        assert_eq!(items[0].as_ref().unwrap().abstract_text, "BEIR body text");
    }

    #[test]
    fn array_line_is_not_a_record() {
        let err = one_error(r#"["1", "T"]"#);
        assert!(err.message.contains("JSON object"), "{err}");
    }

    #[test]
    fn blank_lines_crlf_and_bom_are_skipped() {
        let items = parse("\u{FEFF}{\"id\": \"1\", \"title\": \"T\"}\r\n\r\n  \n{\"id\": \"2\", \"title\": \"U\"}");
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(Result::is_ok));
        // Two files that each start with a mark, joined with `cat`.
        let items = parse("\u{FEFF}{\"id\": \"1\", \"title\": \"T\"}\n\u{FEFF}{\"id\": \"2\", \"title\": \"U\"}\n");
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(Result::is_ok), "{items:?}");
    }

    #[test]
    fn invalid_utf8_line() {
        let input = b"{\"id\": \"1\", \"title\": \"T\xFF\"}\n{\"id\": \"2\", \"title\": \"U\"}\n";
        let items: Vec<_> = JsonLinesReader::new(&input[..], "v").collect();
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("invalid UTF-8"), "{err}");
        assert!(items[1].is_ok());
    }

    #[test]
    fn line_over_limit_is_skipped() {
        let long = format!(
            "{{\"id\": \"1\", \"title\": \"{}\"}}",
            "x".repeat(MAX_LINE_BYTES)
        );
        let input = format!("{long}\n{{\"id\": \"2\", \"title\": \"U\"}}\n");
        let mut reader = JsonLinesReader::new(input.as_bytes(), "v");
        let err = reader.next().unwrap().unwrap_err();
        assert!(err.message.contains("longer than"), "{err}");
        let next = reader.next().unwrap().unwrap();
        assert_eq!((next.id.as_str(), reader.lines.number), ("2", 2));
    }

    #[test]
    fn truncated_input_ends_with_one_error() {
        struct Truncated<'a>(&'a [u8]);
        impl Read for Truncated<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                self.0.read(buf)
            }
        }
        let input = b"{\"id\": \"1\", \"title\": \"T\"}\n{\"id\": \"2\", \"ti";
        let items: Vec<_> = JsonLinesReader::new(BufReader::new(Truncated(input)), "v").collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("truncated"), "{err}");
    }

    /// Reads the first lines of the real data sets next to the project, when they are there.
    #[test]
    fn real_data_first_lines() {
        use flate2::read::MultiGzDecoder;
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
        if !data.join("paperlists").is_dir() {
            eprintln!("skipping: {} not found", data.display());
            return;
        }
        let open = |rel: &str| -> Box<dyn BufRead> {
            let path = data.join(rel);
            let file =
                std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if rel.ends_with(".gz") {
                Box::new(BufReader::new(MultiGzDecoder::new(file)))
            } else {
                Box::new(BufReader::new(file))
            }
        };
        let first = |rel: &str, venue: &str| -> Vec<Paper> {
            JsonLinesReader::new(open(rel), venue)
                .take(50)
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{rel}: {e}"))
        };
        let papers = first("paperlists/abstracts.jsonl.gz", "abstracts");
        assert_eq!(papers.len(), 50);
        assert_eq!(papers[0].id, "3dv2025-05T81ScPFb");
        assert_eq!(papers[0].venue, "3dv");
        assert_eq!(papers[0].year, Some(2025));
        assert_eq!(papers[0].authors.len(), 7);
        assert!(papers[1].authors.iter().any(|a| a == "Erik Sandström"));
        assert!(papers
            .iter()
            .all(|p| !p.abstract_text.is_empty() && p.url.is_some()));
        let scifact = first("scifact/corpus.jsonl.gz", "corpus");
        assert_eq!(scifact[0].id, "4983");
        assert_eq!(scifact[0].venue, "corpus");
        assert!(scifact[0]
            .abstract_text
            .starts_with("Alterations of the architecture"));
        let cranfield = first("cranfield/corpus.jsonl", "corpus");
        assert_eq!(cranfield[0].id, "1");
        assert_eq!(cranfield[0].authors, ["brenckman,m."]);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            for item in JsonLinesReader::new(&bytes[..], "v") {
                let _ = item;
            }
        }

        #[test]
        fn json_like_garbage_yields_one_item_per_line(
            lines in prop::collection::vec(r#"\{("(id|_id|title|text|abstract|authors|year|venue)": ?("[a-z\\ ]*"|[0-9]{1,3}|null|\[("[a-z]*",?)*\]|\{\}),? ?){0,6}\}?"#, 1..20)
        ) {
            let text = lines.join("\n");
            let items: Vec<_> = JsonLinesReader::new(text.as_bytes(), "v").collect();
            prop_assert_eq!(items.len(), lines.len());
        }

        #[test]
        fn serialized_papers_read_back(
            id in "[a-z0-9-]{1,12}",
            title in "[A-Za-z]{1,10}( [A-Za-z]{1,10}){0,4}",
            authors in prop::collection::vec("[A-Z][a-z]{1,6} [A-Z][a-z]{1,8}", 0..5),
            abstract_text in "([A-Za-z]{1,8} ){0,20}[a-z]{1,8}\\.",
            year in prop::option::of(1950i64..2100),
        ) {
            let paper = Paper {
                id, venue: "v".into(), number: None, year, title, authors, abstract_text, url: None,
            };
            let line = serde_json::to_string(&paper).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: Vec<_> = JsonLinesReader::new(line.as_bytes(), "other").collect();
            prop_assert_eq!(back, vec![Ok(paper)]);
        }
    }
}
