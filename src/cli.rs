//! Command-line interface: the flags, parsed by clap; the doc comments are the help text.
//!
//! Raw arguments are parsed here; the commands resolve them into settings and run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::ColorChoice;

/// Full-text search over scientific paper abstracts: BM25 ranking, phrases, fields, stemming.
#[derive(Debug, Parser)]
#[command(name = "paperdex", version, about, max_term_width = 100)]
pub struct Cli {
    /// Index directory [default: ./index]
    #[arg(long, global = true, env = "PAPERDEX_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Search the index (built from ./corpus on first use).
    Search(SearchArgs),
    /// Build or update the index from listings and JSON Lines.
    Index(IndexArgs),
    /// Remove papers from the index by id.
    Remove(RemoveArgs),
    /// Show what the index holds.
    Stats(StatsArgs),
}

/// Exit status: 0 when papers were found, 1 when none, 2 on error.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words, "phrases", "phrase"~N, title: author: abstract: venue: id:,
    /// +required, -excluded, AND OR NOT, (groups), prefix*
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,

    /// Require every word (default: papers matching more words rank higher)
    #[arg(long)]
    pub all: bool,

    /// Number of results
    #[arg(short = 'n', long, default_value_t = 10, value_name = "N")]
    pub limit: usize,

    /// Skip this many results (for paging)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub offset: usize,

    /// Print only the number of matching papers
    #[arg(long, conflicts_with_all = ["explain", "offset"])]
    pub count: bool,

    /// Show how each score was computed (the BM25 parts)
    #[arg(long)]
    pub explain: bool,

    /// JSON Lines: one object per hit
    #[arg(long)]
    pub json: bool,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Listings (.txt), JSON Lines (.jsonl, .jsonl.gz) or directories of them [default: ./corpus]
    #[arg(value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,

    /// Add to the existing index in place (papers with known ids are replaced)
    #[arg(long, conflicts_with = "rebuild")]
    pub add: bool,

    /// Start from scratch, replacing even an index that cannot be read
    #[arg(long)]
    pub rebuild: bool,

    /// Index the valid records and report the invalid ones (default: change nothing)
    #[arg(long)]
    pub skip_invalid: bool,

    /// Indexing threads [default: all cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// Indexing memory budget in MiB
    #[arg(long, value_name = "MB", default_value_t = crate::ingest::DEFAULT_MEMORY_MB,
          value_parser = parse_memory)]
    pub memory: usize,

    /// Print the summary as one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

fn parse_memory(s: &str) -> Result<usize, String> {
    let mb: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of MiB"))?;
    if !(16..=65_536).contains(&mb) {
        return Err("the budget must be between 16 and 65536 MiB".into());
    }
    Ok(mb)
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Paper ids, e.g. mlsys-2022-7
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// One JSON object
    #[arg(long)]
    pub json: bool,
}
