//! "More like this": the words that tell a paper apart, picked as Lucene's `MoreLikeThis` and
//! Elasticsearch's `more_like_this` pick them, to search for papers like it.
//!
//! A paper's title and abstract are analyzed as the ranking field holds them (the title
//! [`crate::ingest::TITLE_WEIGHT`] times, then the abstract); each stem is weighed by its count
//! in the paper times its rarity in the index (tf·idf), and the heaviest become a query of plain
//! words, ranked by BM25 like any other.

use std::collections::HashMap;

use tantivy::{Searcher, Term};

use crate::analyzer;
use crate::feedback::useful;
use crate::ingest::TITLE_WEIGHT;
use crate::paper::Paper;
use crate::schema::Fields;

/// At most this many words are searched for (Lucene's and Elasticsearch's `max_query_terms`).
///
/// Every word of the paper may be one, however often it occurs: their `min_term_freq` of 2 is
/// meant for long documents, and an abstract says most things once. Measured on SciFact's train
/// split, taking the other papers relevant to the same claim as the papers like a given one
/// (187 papers): a floor of 2 found 0.734 of them in the top 10 and 0.909 in the top 100; no
/// floor 0.752 and 0.927 (10 words: 0.700 and 0.915; 50: 0.758 and 0.905).
pub const MAX_WORDS: usize = 25;
/// A word must be in at least this many papers, the paper itself included: a word no other
/// paper has cannot find one. Their `min_doc_freq` is 5; on SciFact train, as above, 5 found
/// 0.699 and 0.920, 2 found 0.752 and 0.927: a rare word two papers share says most.
pub const MIN_PAPERS: u64 = 2;

/// The words to search for papers like `paper`, heaviest first: each as the paper first writes
/// it (lower-cased), so that it is analyzed back into the same stem.
pub fn words(searcher: &Searcher, fields: &Fields, paper: &Paper) -> tantivy::Result<Vec<String>> {
    let mut prose = analyzer::prose();
    // stem -> (count, first spelling)
    let mut counts: HashMap<String, (u32, String)> = HashMap::new();
    let texts = std::iter::repeat_n(paper.title.as_str(), TITLE_WEIGHT)
        .chain(std::iter::once(paper.abstract_text.as_str()));
    for text in texts {
        let mut stream = prose.token_stream(text);
        while let Some(token) = stream.next() {
            if !useful(&token.text) {
                continue;
            }
            let Some(spelling) = text.get(token.offset_from..token.offset_to) else {
                continue;
            };
            counts
                .entry(token.text.clone())
                .or_insert_with(|| (0, crate::analyzer::lowercase(spelling)))
                .0 += 1;
        }
    }
    let papers = searcher.num_docs() as f64;
    let mut weighed = Vec::new();
    for (stem, (count, spelling)) in counts {
        let df = searcher.doc_freq(&Term::from_field_text(fields.text, &stem))?;
        if df < MIN_PAPERS {
            continue;
        }
        // Lucene's classic idf, as MoreLikeThis weighs its terms.
        let idf = (papers / (df as f64 + 1.0)).ln() + 1.0;
        weighed.push((f64::from(count) * idf, stem, spelling));
    }
    // Ties by stem, so that the same paper always gives the same words.
    weighed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    weighed.truncate(MAX_WORDS);
    Ok(weighed
        .into_iter()
        .map(|(_, _, spelling)| spelling)
        .collect())
}
