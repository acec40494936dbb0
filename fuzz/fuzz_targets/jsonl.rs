//! Arbitrary bytes into the JSON Lines reader: it must never panic, and every paper it returns
//! must have an id, and a title or an abstract (BEIR records may have an empty title).
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use paperdex::jsonl::JsonLinesReader;

fuzz_target!(|data: &[u8]| {
    for record in JsonLinesReader::new(Cursor::new(data), "fuzz") {
        if let Ok(paper) = record {
            assert!(!paper.id.is_empty());
            assert!(!paper.title.is_empty() || !paper.abstract_text.is_empty());
        }
    }
});
