//! paperdex: full-text search over scientific paper abstracts.
//!
//! The data's path: [`sources`] finds files and reads them with [`listing`] (papers.cool-style
//! listings) or [`jsonl`] (JSON Lines) into [`paper::Paper`]s, cleaned by [`clean`];
//! [`ingest`] writes them into an index laid out by [`schema`], analyzed by [`analyzer`] and
//! kept by [`index`]; [`query`] parses what users type ([`fuzzy`] finds the words near a typo), [`search`] ranks with BM25 and
//! [`snippet`] picks what to show ([`like`] turns a paper into a query for papers like it); [`render`] prints it. [`metrics`] and [`judgments`] measure
//! retrieval quality.

pub mod analyzer;
pub mod bench;
pub mod bm25;
pub mod clean;
pub mod cli;
pub mod commands;
pub mod eval;
pub mod export;
pub mod feedback;
pub mod filter;
pub mod fuzzy;
pub mod in_abstract;
pub mod index;
pub mod ingest;
pub mod jsonl;
pub mod judgments;
pub mod like;
pub mod listing;
pub mod metrics;
pub mod output;
pub mod paper;
pub mod query;
pub mod render;
pub mod schema;
pub mod search;
pub mod snippet;
pub mod sources;
pub mod union;

pub use commands::{run, Status};
