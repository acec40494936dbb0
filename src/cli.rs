//! Command-line interface: the flags, parsed by clap; the doc comments are the help text.
//!
//! Raw arguments are parsed here; the commands resolve them into settings and run.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::ColorChoice;
use crate::search::Order;

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

impl Cli {
    /// Parses `args` (the program's name first) as [`Parser::parse_from`] does, except that
    /// a query word written as an exclusion, `paperdex search drift -data` (or a `similar`
    /// filter's), is a query word, as it is inside quotes: the user typed the query syntax,
    /// not a flag. Only `-n` and `-h` (and `-n5`, `-n=5`) are flags there; `--` options are
    /// untouched.
    pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Cli {
        let (args, misplaced) = mark_exclusions(args.into_iter().collect());
        let mut cli = match Cli::try_parse_from(args) {
            Ok(cli) => cli,
            // clap would say `-d` is unexpected and suggest `-- -d`, which would not help.
            Err(e) if e.kind() == clap::error::ErrorKind::UnknownArgument => match misplaced {
                Some((option, word)) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "error: `{option}` needs its value right after it, and `{word}` is a word to leave out: \
                         give the value first (`{option} 5 {word}` for a number)"
                    );
                    std::process::exit(2);
                }
                None => e.exit(),
            },
            Err(e) => e.exit(),
        };
        let words = match &mut cli.command {
            Command::Search(search) => &mut search.query,
            Command::Similar(similar) => {
                // An id that starts with `-` is an id.
                if let Some(rest) = similar.id.strip_prefix(EXCLUSION_MARK) {
                    similar.id = rest.to_string();
                }
                &mut similar.filter
            }
            _ => return cli,
        };
        for word in words {
            if let Some(rest) = word.strip_prefix(EXCLUSION_MARK) {
                *word = rest.to_string();
            }
        }
        cli
    }
}

/// Put before a `search` word that starts with `-`, so that clap takes it for a value. No
/// argument a program is given can hold it, so it never meets a user's own.
const EXCLUSION_MARK: char = '\0';

/// `args` with every `-word` of a `search` query or a `similar` filter marked
/// ([`Cli::parse_args`]), and the first `-word` where an option's value should be, with the
/// option (`-n -data`), which clap then refuses.
fn mark_exclusions(mut args: Vec<OsString>) -> (Vec<OsString>, Option<(String, String)>) {
    // Options of `search` and `similar` (and the global one) that take the next argument as
    // their value.
    const TAKE_VALUE: &[&str] = &["-n", "--limit", "--offset", "--sort", "--color", "--index"];
    let mut i = 1;
    // The subcommand: the first argument that is neither an option nor an option's value.
    while i < args.len() {
        match args[i].to_str() {
            Some("--index") => i += 2,
            Some(a) if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    // `similar ID FILTER...`: its filter is query syntax too.
    if !matches!(
        args.get(i).and_then(|a| a.to_str()),
        Some("search" | "similar")
    ) {
        return (args, None);
    }
    let mut misplaced = None;
    for j in i + 1..args.len() {
        let Some(word) = args[j].to_str() else {
            continue;
        };
        if word == "--" {
            break;
        }
        let flag = word == "-h"
            || word == "-n"
            || word
                .strip_prefix("-n")
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit() || c == '='));
        let value_of = args[j - 1]
            .to_str()
            .filter(|prev| TAKE_VALUE.contains(prev))
            .map(str::to_string);
        if word.len() > 1 && word.starts_with('-') && !word.starts_with("--") && !flag {
            match value_of {
                Some(option) => {
                    misplaced.get_or_insert((option, word.to_string()));
                }
                None => args[j] = OsString::from(format!("{EXCLUSION_MARK}{word}")),
            }
        }
    }
    (args, misplaced)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Search the index (built from ./corpus on first use).
    Search(SearchArgs),
    /// Find papers like a given one, by the words that tell it apart.
    Similar(SimilarArgs),
    /// Build or update the index from listings and JSON Lines.
    Index(IndexArgs),
    /// Remove papers from the index by id.
    Remove(RemoveArgs),
    /// Show what the index holds.
    Stats(StatsArgs),
    /// Write every paper as JSON Lines in a stable schema (for Quickwit, OpenSearch, or
    /// another paperdex index).
    Export(ExportArgs),
    /// Verify the index: every file against its checksum, every stored paper read back.
    Check,
    /// Measure retrieval quality on a test collection (nDCG@10, Recall@100, MAP, P@10).
    Eval(EvalArgs),
    /// Measure query latency: run a query set against the index, report percentiles and qps.
    Bench(BenchArgs),
}

/// Exit status: 0 when papers were found, 1 when none, 2 on error.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words, "phrases", "phrase"~N, title: author: abstract: venue: id:,
    /// year:2024 year:2020..2024 year:>=2021, +required, -excluded, AND OR NOT, (groups), prefix*,
    /// fuzzy~ fuzzy~2 (typos)
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

    /// Expand plain-word queries with words from the top 10 hits (RM3 pseudo-relevance
    /// feedback): finds more related papers, at the cost of a second search
    #[arg(long, conflicts_with_all = ["explain", "count"])]
    pub rm3: bool,

    /// Order of the results: relevance (best BM25 score first) or newest (latest year first,
    /// best score first within a year, papers without a year last)
    #[arg(long, value_enum, default_value_t = Order::Relevance, value_name = "ORDER",
          conflicts_with = "rm3")]
    pub sort: Order,

    /// JSON Lines: one object per hit
    #[arg(long)]
    pub json: bool,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Exit status: 0 when papers were found, 1 when none, 2 on error.
#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The paper's id, as `search` shows it (e.g. mlsys-2022-21)
    #[arg(value_name = "ID")]
    pub id: String,

    /// Only papers that match this query (any `search` syntax, e.g. year:2023..); it filters
    /// and does not change the ranking
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,

    /// Number of results
    #[arg(short = 'n', long, default_value_t = 10, value_name = "N")]
    pub limit: usize,

    /// Skip this many results (for paging)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub offset: usize,

    /// JSON Lines: one object per hit
    #[arg(long)]
    pub json: bool,

    /// When to colour the output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Listings (.txt), JSON Lines (.jsonl, .ndjson, .json), each maybe .gz, or directories of them (hidden files skipped) [default: ./corpus]
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

    /// Merge the index into one segment when done (and drop replaced papers): slower to
    /// build, faster to search
    #[arg(long)]
    pub merge: bool,

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

/// The schema: {"id","venue","year","number","title","authors":[...],"abstract","url"}, every key
/// on every line (`null` where a paper has no value). `paperdex index` reads it back.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format (one JSON object per line)
    #[arg(long, value_enum, default_value_t = ExportFormat::Ndjson, value_name = "FORMAT")]
    pub format: ExportFormat,

    /// Write to FILE instead of stdout (written aside and renamed into place when complete)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Formats `paperdex export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Newline-delimited JSON (JSON Lines): Quickwit, OpenSearch/Elasticsearch bulk, paperdex
    Ndjson,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A BEIR-layout collection: corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv
    #[arg(value_name = "DIR", required_unless_present_all = ["corpus", "queries", "qrels"])]
    pub dir: Option<PathBuf>,

    /// Which qrels/<split>.tsv to evaluate
    #[arg(long, default_value = "test")]
    pub split: String,

    /// Corpus file (instead of DIR's)
    #[arg(long, value_name = "FILE")]
    pub corpus: Option<PathBuf>,

    /// Queries file: BEIR queries.jsonl or TSV `qid<TAB>text` (instead of DIR's)
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,

    /// Judgments: BEIR TSV or TREC `qid 0 docid grade` (instead of DIR's)
    #[arg(long, value_name = "FILE")]
    pub qrels: Option<PathBuf>,

    /// One JSON object: {"queries","ndcg@10","recall@100","map","p@10"}
    #[arg(long)]
    pub json: bool,

    /// Also print each query's figures
    #[arg(long)]
    pub per_query: bool,

    /// Write a TREC run file (qid Q0 docid rank score paperdex)
    #[arg(long, value_name = "FILE")]
    pub run: Option<PathBuf>,

    /// Ranking experiment: drop stop words from word queries (true/false)
    #[arg(long, hide = true)]
    pub stopwords: Option<bool>,

    /// Ranking experiment: hyphenated words as phrases (true) or separate words (false)
    #[arg(long, hide = true)]
    pub glue_words: Option<bool>,

    /// Ranking experiment: times the title is written into the ranking field
    #[arg(long, hide = true)]
    pub title_weight: Option<usize>,

    /// Ranking experiment: weight of a separate title-field clause per word (0: none)
    #[arg(long, hide = true)]
    pub title_boost: Option<f32>,

    /// Ranking experiment: BM25 k1 (with --b; slower scorer)
    #[arg(long, hide = true, requires = "b")]
    pub k1: Option<f32>,

    /// Ranking experiment: BM25 b (with --k1)
    #[arg(long, hide = true, requires = "k1")]
    pub b: Option<f32>,

    /// Ranking experiment: RM3 pseudo-relevance feedback (true/false)
    #[arg(long, hide = true)]
    pub rm3: Option<bool>,

    /// Ranking experiment: RM3 feedback documents
    #[arg(long, hide = true)]
    pub fb_docs: Option<usize>,

    /// Ranking experiment: RM3 expansion terms
    #[arg(long, hide = true)]
    pub fb_terms: Option<usize>,

    /// Ranking experiment: RM3 weight of the original query (0..1)
    #[arg(long, hide = true)]
    pub fb_weight: Option<f32>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Queries: one per line, optionally `kind<TAB>query` (kinds: term, words, phrase, field,
    /// boolean, prefix, fuzzy; `#` starts a comment), or a BEIR queries.jsonl
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,

    /// Timed passes over the query set, after one warm-up pass
    #[arg(long, default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub runs: u32,

    /// Hits per query (each fetched with its stored fields and snippet, as `search` does)
    #[arg(short = 'n', long, default_value_t = 10, value_name = "K",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub limit: usize,

    /// Threads running queries concurrently against the same index snapshot
    #[arg(long, default_value_t = 1, value_name = "T",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,

    /// One JSON object: {"queries","runs","p50_us","p90_us","p99_us","max_us","mean_us","qps",
    /// "search_p50_us",...,"kinds":{...}}
    #[arg(long)]
    pub json: bool,
}
