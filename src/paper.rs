//! The unit paperdex indexes: one paper, as every source format is normalised to it.
//!
//! Invariant: text fields hold clean, human-readable text (no LaTeX escapes, no link markers, no
//! placeholder abstracts); an absent abstract is the empty string.

use serde::{Deserialize, Serialize};

/// One paper, ready to index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Paper {
    /// Unique key in the index: `<file stem>-<N>` for listings, the record's own id for JSON Lines.
    pub id: String,
    /// Venue: the listing's file stem, or the record's `venue` (its `year` is kept in `year`).
    pub venue: String,
    /// The `#N` number in a listing; `None` for JSON sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// Publication year where the source gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A record that could not be turned into a [`Paper`]: where it starts and what is wrong.
///
/// The file name is added by the caller, which knows it; parsers work on lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// 1-based line number in the source.
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // After the file name, as `file:7: what is wrong`: the form compilers and grep use,
        // which editors jump to.
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for RecordError {}
