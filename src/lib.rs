//! paperdex: full-text search over scientific paper abstracts.
//!
//! The data's path: [`sources`] finds files and reads them with [`listing`] (papers.cool-style
//! listings) or [`jsonl`] (JSON Lines) into [`paper::Paper`]s, cleaned by [`clean`];
//! [`ingest`] writes them into an index laid out by [`schema`], analyzed by [`analyzer`] and
//! kept by [`index`]; [`query`] parses what users type ([`fuzzy`] finds the words near a typo), [`search`] ranks with BM25 and
//! [`snippet`] picks what to show ([`like`] turns a paper into a query for papers like it); [`render`] prints it. [`metrics`] and [`judgments`] measure
//! retrieval quality.

// Shadows std's `eprintln!`/`eprint!` in every module below: std's panic when stderr cannot be
// written (`2>/dev/full`, a closed pipe), which would turn a diagnostic into a failure of work
// already done, such as a committed `index --add`. A diagnostic that cannot be written is lost;
// results on stdout and the exit code stand.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod analyzer;
pub mod bench;
pub mod bm25;
pub mod clean;
pub mod cli;
pub mod commands;
pub mod completion;
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
