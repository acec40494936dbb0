//! Arbitrary bytes into the listing parser: it must never panic, and every paper it returns
//! must have what an index document needs.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use paperdex::listing::ListingReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = ListingReader::new(Cursor::new(data), "fuzz");
    for record in reader.by_ref() {
        if let Ok(paper) = record {
            assert!(paper.id.starts_with("fuzz-"), "id {:?}", paper.id);
            assert!(!paper.title.is_empty());
        }
    }
    let _ = reader.header_total();
});
