//! The index schema: which fields a paper becomes and how each is indexed.
//!
//! Invariant: every text field a query can name is indexed with positions (phrases work on all of
//! them), the abstract through the ranking field `text`; everything a hit shows is stored; `id`
//! and `venue` are exact, untokenized strings.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

use crate::analyzer;

/// The publication year's field: a fast field, which `year:` filters and `--sort newest` read.
pub const YEAR: &str = "year";

/// Handles to every field, resolved once from the schema.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub venue: Field,
    pub number: Field,
    pub year: Field,
    pub title: Field,
    pub authors: Field,
    pub abstract_text: Field,
    /// The title [`crate::ingest::TITLE_WEIGHT`] times then the abstract, not stored: what plain
    /// words are ranked on, and where `abstract:` looks. One field ranks better than per-field
    /// BM25 sums (tantivy has no BM25F); see README's quality table.
    pub text: Field,
    pub url: Field,
}

fn text_options(tokenizer: &str, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions)
        .set_fieldnorms(true);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// Builds the schema and returns it with its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        venue: b.add_text_field("venue", STRING | STORED | FAST),
        number: b.add_u64_field("number", STORED),
        year: b.add_i64_field(YEAR, STORED | INDEXED | FAST),
        title: b.add_text_field("title", text_options(analyzer::PROSE, true)),
        authors: b.add_text_field("authors", text_options(analyzer::NAMES, true)),
        // Stored only: `abstract:` queries search the ranking field (see `in_abstract`).
        abstract_text: b.add_text_field("abstract", STORED),
        text: b.add_text_field("text", text_options(analyzer::PROSE, false)),
        url: b.add_text_field("url", STORED),
    };
    (b.build(), fields)
}

impl Fields {
    /// Resolves the handles from an opened index's schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            venue: f("venue")?,
            number: f("number")?,
            year: f(YEAR)?,
            title: f("title")?,
            authors: f("authors")?,
            abstract_text: f("abstract")?,
            text: f("text")?,
            url: f("url")?,
        })
    }

    /// How `--explain` names `field` to a reader: the ranking field is the title and the
    /// abstract. `None` for a field of no paperdex index.
    pub fn shown_name(&self, field: Field) -> Option<&'static str> {
        [
            (self.text, "title+abstract"),
            (self.title, "title"),
            (self.authors, "authors"),
            (self.abstract_text, "abstract"),
            (self.venue, "venue"),
            (self.id, "id"),
            (self.year, YEAR),
            (self.number, "number"),
            (self.url, "url"),
        ]
        .into_iter()
        .find_map(|(f, name)| (f == field).then_some(name))
    }
}
