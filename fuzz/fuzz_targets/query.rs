//! Arbitrary query strings through the whole query path (parse, build, search, snippets)
//! against a small in-memory index of the MLSys 2022 listing: a query either searches or is
//! rejected as a query error or as having no words; it never panics and never makes tantivy
//! fail.
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paperdex::index::create_in_ram;
use paperdex::ingest::document;
use paperdex::listing::ListingReader;
use paperdex::query::Ranking;
use paperdex::schema::Fields;
use paperdex::search::{Engine, LikeRequest, Order, Request, SearchError};
use tantivy::Searcher;

const LISTING: &str = include_str!("../../corpus/mlsys-2022.txt");

fn index() -> &'static (Searcher, Fields) {
    static INDEX: OnceLock<(Searcher, Fields)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (index, fields) = create_in_ram();
        let mut writer = index.writer_with_num_threads(1, 20_000_000).unwrap();
        for paper in ListingReader::new(Cursor::new(LISTING), "mlsys-2022").flatten() {
            writer.add_document(document(&fields, &paper)).unwrap();
        }
        writer.commit().unwrap();
        (index.reader().unwrap().searcher(), fields)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    let (searcher, fields) = index();
    let mut engine = Engine::new(searcher.clone(), *fields, Ranking::default());
    let request = Request {
        query,
        all: flags & 1 != 0,
        limit: usize::from(flags >> 4) + 1,
        offset: usize::from((flags >> 1) & 7),
        explain: flags & 2 != 0,
        order: if flags & 8 != 0 {
            Order::Newest
        } else {
            Order::Relevance
        },
    };
    match engine.search(&request) {
        Ok(answer) => assert!(answer.hits.len() <= request.limit),
        Err(SearchError::Query(_) | SearchError::Empty) => {}
        Err(e) => panic!("search failed on {query:?}: {e}"),
    }
    let _ = engine.count(query, flags & 1 != 0);
    // "Did you mean" keeps the query but for the words it replaces.
    if let Some(suggestion) = engine.suggest(query) {
        assert!(!suggestion.missing.is_empty());
        assert!(!suggestion.query.is_empty());
    }
    // The same text as the filter of `similar`.
    let like = LikeRequest {
        id: "mlsys-2022-1",
        filter: Some(query),
        limit: request.limit,
        offset: request.offset,
    };
    match engine.similar(&like) {
        Ok((answer, words)) => {
            assert!(answer.hits.len() <= like.limit);
            assert!(!words.is_empty());
            assert!(answer.hits.iter().all(|h| h.id != like.id));
        }
        Err(SearchError::Query(_) | SearchError::Empty) => {}
        Err(e) => panic!("similar failed with the filter {query:?}: {e}"),
    }
});
