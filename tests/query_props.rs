//! Property tests of the query path: any string a user can type either searches or is rejected
//! with a query error (exit 2) or "no words" (exit 1); nothing panics and tantivy never fails.
//! Library level (parse, build, search with snippets against an in-memory index of the MLSys
//! listing), then a handful of generated queries through the CLI.

mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use tantivy::collector::{Count, TopDocs};
use tantivy::Searcher;

use common::{workdir, SEED};
use paperdex::index::create_in_ram;
use paperdex::ingest::document;
use paperdex::listing::ListingReader;
use paperdex::query::{self, QueryBuilder, Ranking};
use paperdex::schema::Fields;
use paperdex::search::{Engine, Request, SearchError};

fn index() -> &'static (Searcher, Fields) {
    static INDEX: OnceLock<(Searcher, Fields)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (index, fields) = create_in_ram();
        let mut writer = index.writer_with_num_threads(1, 20_000_000).unwrap();
        for paper in ListingReader::new(Cursor::new(SEED), "mlsys-2022") {
            writer
                .add_document(document(&fields, &paper.unwrap()))
                .unwrap();
        }
        writer.commit().unwrap();
        (index.reader().unwrap().searcher(), fields)
    })
}

/// Pieces of query syntax, right and wrong, to build query-shaped strings from.
const PIECES: &[&str] = &[
    "graph",
    "data",
    "drift",
    "the",
    "of",
    "Sandström",
    "co-design",
    "IL-6",
    "C++",
    "GPU",
    "http://x.y/z?a=b",
    "straggler",
    "\"",
    "\"data drift\"",
    "\"data drift\"~3",
    "\"data dri*\"",
    "\"the d*\"~2",
    "\"dri* data\"",
    "\"- *\"",
    "~",
    "~99999999999",
    "(",
    ")",
    "((",
    "))",
    "AND",
    "OR",
    "NOT",
    "and",
    "+",
    "-",
    "*",
    "strag*",
    "*x",
    "title:",
    "author:",
    "abstract:",
    "venue:",
    "id:",
    "venue:mlsys-2022",
    "id:mlsys-2022-1",
    "foo:",
    ":",
    "::",
    "^2",
    "\\",
    "'",
    "`",
    "{",
    "}",
    "[",
    "]",
    "!",
    "?",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\t",
    "\u{200b}",
    "ﬁ",
    "İ",
    "日本語",
    "🙂",
    "\u{301}",
    "é",
    "ß",
    "-",
    "--",
    "+-",
    "-+",
];

fn shaped_query() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(PIECES),
            prop::sample::select(&["", " ", "  ", "\n"][..]),
        ),
        0..14,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, sep)| format!("{p}{sep}"))
            .collect()
    })
}

fn any_query() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), shaped_query(), "[ -~]{0,60}"]
}

/// Checks one query against every stage; returns how it ended.
fn run(query: &str, all: bool) -> Result<&'static str, TestCaseError> {
    let (searcher, fields) = index();
    // Stage by stage, as the engine does it.
    match query::parse(query, all) {
        Err(e) => {
            prop_assert!(e.column <= query.chars().count(), "{e:?}");
            prop_assert!(!e.message.is_empty());
            let _ = e.to_string();
        }
        Ok(parsed) => {
            if let Some(expr) = parsed.expr {
                let mut builder = QueryBuilder::new(*fields, Ranking::default());
                if let Some(built) = builder.build(&expr) {
                    let top = searcher.search(
                        built.query.as_ref(),
                        &TopDocs::with_limit(10).order_by_score(),
                    );
                    prop_assert!(top.is_ok(), "{query:?}: {:?}", top.err());
                    let n = searcher.search(built.query.as_ref(), &Count);
                    prop_assert!(n.is_ok(), "{query:?}: {:?}", n.err());
                }
            }
        }
    }
    // The whole path, with stored fields and snippets, as `paperdex search` runs it.
    let mut engine = Engine::new(searcher.clone(), *fields, Ranking::default());
    let request = Request {
        query,
        all,
        limit: 10,
        offset: 0,
        explain: true,
        order: Default::default(),
    };
    let ended = match engine.search(&request) {
        Ok(answer) => {
            prop_assert!(answer.hits.len() <= 10);
            for hit in &answer.hits {
                for [start, end] in &hit.highlights {
                    prop_assert!(start < end && *end <= hit.snippet.len());
                    prop_assert!(hit.snippet.is_char_boundary(*start));
                    prop_assert!(hit.snippet.is_char_boundary(*end));
                }
            }
            if answer.hits.is_empty() {
                "nothing found"
            } else {
                "found"
            }
        }
        Err(SearchError::Query(_)) => "query error",
        Err(SearchError::Empty) => "no words",
        Err(SearchError::Index(e)) => {
            return Err(TestCaseError::fail(format!(
                "{query:?}: tantivy failed: {e:#}"
            )))
        }
        Err(SearchError::NoPaper(id)) => {
            return Err(TestCaseError::fail(format!(
                "{query:?}: a search looked for paper {id:?}"
            )))
        }
    };
    prop_assert!(engine.count(query, all).is_ok() || ended == "query error" || ended == "no words");
    Ok(ended)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_query_searches_or_is_rejected(q in any_query(), all in any::<bool>()) {
        run(&q, all)?;
    }
}

#[test]
fn generated_queries_cover_every_outcome() {
    // The generators reach every way a query can end, so the property above tests them all.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let q = shaped_query().new_tree(&mut runner).unwrap().current();
        seen.insert(run(&q, false).unwrap());
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["found", "no words", "nothing found", "query error"]
    );
}

#[test]
fn generated_queries_through_the_cli_exit_0_1_or_2() {
    let dir = workdir();
    let bin = env!("CARGO_BIN_EXE_paperdex");
    let status = std::process::Command::new(bin)
        .current_dir(dir.path())
        .arg("index")
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for i in 0..40 {
        let q = any_query().new_tree(&mut runner).unwrap().current();
        if q.contains('\0') {
            continue; // not passable as a command-line argument
        }
        let expected = match run(&q, false).unwrap() {
            "found" => 0,
            "nothing found" | "no words" => 1,
            _ => 2,
        };
        let out = std::process::Command::new(bin)
            .current_dir(dir.path())
            .env_remove("NO_COLOR")
            .args(["search", "--"])
            .arg(&q)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{q:?}: {err}");
        // A blank query is a usage error for the CLI, not "no words".
        if q.trim().is_empty() {
            assert!(matches!(out.status.code(), Some(1 | 2)), "{i} {q:?}: {err}");
        } else {
            assert_eq!(out.status.code(), Some(expected), "{i} {q:?}: {err}");
        }
    }
}
