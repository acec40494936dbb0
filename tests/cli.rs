//! The binary as a user runs it: each test works in its own temporary directory holding a copy
//! of the embedded corpus, so `index/` is built there on first use.

mod common;

use std::fs;
use std::process::{Command as StdCommand, Stdio};

use predicates::prelude::*;
use serde::Deserialize;
use tempfile::TempDir;

use common::{cmd, fixture, workdir, SEED};

#[derive(Debug, Deserialize)]
struct JsonHit {
    rank: usize,
    score: f32,
    id: String,
    venue: String,
    title: String,
    authors: Vec<String>,
    #[serde(rename = "abstract")]
    abstract_text: String,
    snippet: String,
    highlights: Vec<[usize; 2]>,
    title_highlights: Vec<[usize; 2]>,
    author_highlights: Vec<usize>,
}

impl JsonHit {
    /// The words `highlights` mark in the snippet.
    fn marked(&self) -> Vec<&str> {
        words_at(&self.snippet, &self.highlights)
    }

    /// The words `title_highlights` mark in the title.
    fn marked_in_title(&self) -> Vec<&str> {
        words_at(&self.title, &self.title_highlights)
    }
}

fn words_at<'a>(text: &'a str, ranges: &[[usize; 2]]) -> Vec<&'a str> {
    ranges.iter().map(|[s, e]| &text[*s..*e]).collect()
}

fn json_hits(dir: &TempDir, args: &[&str]) -> Vec<JsonHit> {
    json_hits_of(dir, "search", args)
}

fn json_hits_of(dir: &TempDir, command: &str, args: &[&str]) -> Vec<JsonHit> {
    let out = cmd(dir)
        .arg(command)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(hits: &[JsonHit]) -> Vec<String> {
    let mut v: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
    v.sort();
    v
}

#[test]
fn first_search_builds_the_index_and_says_so_once() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "data drift"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Matchmaker: Data Drift Mitigation",
        ))
        .stderr(predicate::str::contains("building it from corpus/"));
    assert!(dir.path().join("index/paperdex.json").exists());
    cmd(&dir)
        .args(["search", "data drift"])
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty());
}

#[test]
fn search_rebuilds_an_index_older_than_its_corpus() {
    let dir = workdir();
    cmd(&dir).args(["search", "drift"]).assert().code(0);
    let extra = "\n#26 Zygote Sharding for Quokka Clusters [PDF] [Copy] [Kimi] [REL]\n\nAuthor: Ada Quokka\n\nWe shard zygotes.\n";
    fs::write(
        dir.path().join("corpus/mlsys-2022.txt"),
        format!("{SEED}{extra}"),
    )
    .unwrap();
    cmd(&dir)
        .args(["search", "quokka"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Zygote Sharding"))
        .stderr(predicate::str::contains("rebuilding"));
}

#[test]
fn search_follows_a_listing_leaving_the_corpus_and_keeps_removed_papers_removed() {
    let dir = workdir();
    let count = |query: &str| -> (String, String) {
        let out = cmd(&dir)
            .args(["search", "--count", query])
            .output()
            .unwrap();
        (
            String::from_utf8(out.stdout).unwrap().trim().to_string(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(count("straggler").0, "1");
    // A second listing comes and goes: the default index follows corpus/ both ways.
    fs::copy(
        dir.path().join("corpus/mlsys-2022.txt"),
        dir.path().join("corpus/mlsys-2023.txt"),
    )
    .unwrap();
    let (n, stderr) = count("straggler");
    assert_eq!(n, "2");
    assert!(stderr.contains("rebuilding"), "{stderr}");
    fs::remove_file(dir.path().join("corpus/mlsys-2023.txt")).unwrap();
    let (n, stderr) = count("straggler");
    assert_eq!(n, "1");
    assert!(stderr.contains("rebuilding"), "{stderr}");

    // Once a paper is removed, a rebuild would bring it back: a search says the corpus changed
    // and leaves the index alone.
    cmd(&dir).args(["remove", "mlsys-2022-1"]).assert().code(0);
    let listing = dir.path().join("corpus/mlsys-2022.txt");
    fs::write(&listing, format!("{SEED}\n")).unwrap();
    let (n, stderr) = count("id:mlsys-2022-1");
    assert_eq!(n, "0");
    assert!(!stderr.contains("rebuilding"), "{stderr}");
    assert!(
        stderr.contains("changed since it was built") && stderr.contains("would come back"),
        "{stderr}"
    );
}

#[test]
fn search_does_not_rebuild_the_default_index_where_that_would_lose_papers() {
    let dir = workdir();
    let search = |query: &str| {
        let out = cmd(&dir)
            .args(["search", "--count", query])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    search("straggler");
    // A listing added on its own as well as from corpus/, then deleted: the index is the only
    // copy of its papers, and a rebuild (which would fail on the missing file) is not tried.
    let extra = dir.path().join("corpus/mlsys-2024.txt");
    fs::copy(dir.path().join("corpus/mlsys-2022.txt"), &extra).unwrap();
    cmd(&dir)
        .args(["index", "--add", "corpus/mlsys-2024.txt"])
        .assert()
        .code(0);
    fs::remove_file(&extra).unwrap();
    for _ in 0..2 {
        let stderr = search("venue:mlsys-2024");
        assert!(!stderr.contains("rebuilding"), "{stderr}");
    }
    // A listing of corpus/ that cannot be read just now (a dangling link) is not a deletion.
    cmd(&dir).arg("index").assert().code(0);
    let linked = dir.path().join("corpus/elsewhere.txt");
    let target = dir.path().join("elsewhere.txt");
    fs::copy(dir.path().join("corpus/mlsys-2022.txt"), &target).unwrap();
    std::os::unix::fs::symlink(&target, &linked).unwrap();
    let stderr = search("straggler");
    assert!(stderr.contains("rebuilding"), "{stderr}");
    fs::remove_file(&target).unwrap();
    let stderr = search("venue:elsewhere");
    assert!(!stderr.contains("rebuilding"), "{stderr}");
    assert!(stderr.contains("cannot be read"), "{stderr}");
    let out = cmd(&dir)
        .args(["search", "--count", "venue:elsewhere"])
        .output()
        .unwrap();
    assert_ne!(String::from_utf8(out.stdout).unwrap().trim(), "0");
}

#[test]
fn a_rebuild_keeps_the_version_of_a_paper_the_last_add_gave() {
    let dir = workdir();
    let title = || {
        json_hits(&dir, &["id:x1"])
            .first()
            .map(|h| h.title.clone())
            .unwrap_or_default()
    };
    fs::write(
        dir.path().join("a.jsonl"),
        "{\"id\": \"x1\", \"title\": \"Version one\"}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("b.jsonl"),
        "{\"id\": \"x1\", \"title\": \"Version two\"}\n",
    )
    .unwrap();
    for args in [
        &["index", "a.jsonl"][..],
        &["index", "--add", "b.jsonl"],
        &["index", "--add", "a.jsonl"],
    ] {
        cmd(&dir).args(args).assert().code(0);
    }
    assert_eq!(title(), "Version one");
    // b.jsonl touched: the default index rebuilds from its sources, reading a.jsonl last.
    let b = fs::File::options()
        .write(true)
        .open(dir.path().join("b.jsonl"))
        .unwrap();
    b.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    cmd(&dir)
        .args(["search", "x1"])
        .assert()
        .stderr(predicate::str::contains("rebuilding"));
    assert_eq!(title(), "Version one");
}

#[test]
fn search_does_not_rebuild_over_a_listing_that_was_emptied() {
    let dir = workdir();
    let count = |query: &str| {
        let out = cmd(&dir)
            .args(["search", "--count", query])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        (
            stdout.trim().to_string(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(count("venue:mlsys-2022").0, "25");
    // A truncated listing (a failed copy or download) next to a change that would start a
    // rebuild: the rebuild would read nothing from it and drop its papers, as `index` refuses.
    fs::write(dir.path().join("corpus/mlsys-2022.txt"), "").unwrap();
    fs::write(
        dir.path().join("corpus/extra.jsonl"),
        r#"{"id": "x1", "title": "Drift", "abstract": "drift"}"#,
    )
    .unwrap();
    let (found, stderr) = count("venue:mlsys-2022");
    assert_eq!(found, "25", "{stderr}");
    assert!(!stderr.contains("rebuilding"), "{stderr}");
    assert!(stderr.contains("emptied: "), "{stderr}");
    assert!(stderr.contains("mlsys-2022.txt"), "{stderr}");
    // Written back, the rebuild goes ahead and takes in the new file.
    let listing = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/mlsys-2022.txt");
    fs::copy(listing, dir.path().join("corpus/mlsys-2022.txt")).unwrap();
    let (found, stderr) = count("venue:mlsys-2022 OR id:x1");
    assert!(stderr.contains("rebuilding"), "{stderr}");
    assert_eq!(found, "26", "{stderr}");
}

#[test]
fn a_rebuild_that_finds_a_source_damaged_keeps_the_index_as_it_was() {
    let dir = workdir();
    let gz = |lines: &str| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, lines.as_bytes()).unwrap();
        enc.finish().unwrap()
    };
    let records: String = (0..200)
        .map(|i| format!("{{\"id\": \"g{i}\", \"title\": \"Gzipped drift {i}\"}}\n"))
        .collect();
    let good = gz(&records);
    fs::write(dir.path().join("corpus/more.jsonl.gz"), &good).unwrap();
    let count = |query: &str| {
        let out = cmd(&dir)
            .args(["search", "--count", query])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        (
            stdout.trim().to_string(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(count("venue:more").0, "200");
    // Cut short, beside another change: the rebuild would drop the papers after the cut.
    fs::write(
        dir.path().join("corpus/more.jsonl.gz"),
        &good[..good.len() / 2],
    )
    .unwrap();
    fs::write(
        dir.path().join("corpus/extra.jsonl"),
        r#"{"id": "x1", "title": "Drift", "abstract": "drift"}"#,
    )
    .unwrap();
    let (found, stderr) = count("venue:more");
    assert_eq!(found, "200", "{stderr}");
    assert!(
        stderr.contains("could not rebuild, searching the old index"),
        "{stderr}"
    );
    assert!(stderr.contains("more.jsonl.gz"), "{stderr}");
}

#[test]
fn a_source_whose_name_is_not_utf8_is_skipped_once_not_rebuilt_on_every_search() {
    use std::os::unix::ffi::OsStrExt;
    let dir = workdir();
    cmd(&dir).args(["search", "drift"]).assert().code(0);
    let name = std::ffi::OsStr::from_bytes(b"odd-\xff.jsonl");
    fs::write(
        dir.path().join("corpus").join(name),
        r#"{"id": "x1", "title": "Drift", "abstract": "drift"}"#,
    )
    .unwrap();
    let stderr = |out: std::process::Output| String::from_utf8(out.stderr).unwrap();
    for _ in 0..2 {
        let again = stderr(cmd(&dir).args(["search", "drift"]).output().unwrap());
        assert!(!again.contains("rebuilding"), "{again}");
        assert!(!again.contains("changed"), "{again}");
        assert!(
            again.contains("not indexed: the file name is not valid UTF-8"),
            "{again}"
        );
    }
    // A rebuild for another reason skips it too, and says so.
    fs::write(
        dir.path().join("corpus/extra.jsonl"),
        r#"{"id": "x2", "title": "Drift", "abstract": "drift"}"#,
    )
    .unwrap();
    let rebuilt = stderr(cmd(&dir).args(["search", "drift"]).output().unwrap());
    assert!(rebuilt.contains("rebuilding"), "{rebuilt}");
    assert!(rebuilt.contains("not valid UTF-8"), "{rebuilt}");
    let again = stderr(cmd(&dir).args(["search", "drift"]).output().unwrap());
    assert!(!again.contains("rebuilding"), "{again}");
}

#[test]
fn no_index_and_no_corpus_says_how_to_build_one() {
    let dir = TempDir::new().unwrap();
    cmd(&dir)
        .args(["search", "drift"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("paperdex index"));
}

#[test]
fn stemming_finds_inflected_forms() {
    let dir = workdir();
    let hits = json_hits(&dir, &["drifting"]);
    assert_eq!(hits.first().map(|h| h.id.as_str()), Some("mlsys-2022-1"));
}

#[test]
fn phrase_finds_exactly_the_papers_holding_it_and_words_find_more() {
    let dir = workdir();
    let phrase = json_hits(&dir, &["\"graph neural networks\"", "-n", "100"]);
    // Ground truth from the listing itself: the phrase, singular or plural, in title or abstract.
    let expected: Vec<String> = {
        let mut v: Vec<String> =
            paperdex::listing::ListingReader::new(SEED.as_bytes(), "mlsys-2022")
                .filter_map(Result::ok)
                .filter(|p| {
                    format!("{} {}", p.title, p.abstract_text)
                        .to_lowercase()
                        .contains("graph neural network")
                })
                .map(|p| p.id)
                .collect();
        v.sort();
        v
    };
    assert!(!expected.is_empty());
    assert_eq!(ids(&phrase), expected);
    let words = json_hits(&dir, &["graph neural networks", "-n", "100"]);
    assert!(words.len() > phrase.len());
}

#[test]
fn a_phrase_ending_in_a_star_finds_the_phrase_being_typed_and_ranks_it_by_bm25() {
    let dir = papers_workdir(&[
        ("title", "Neural networks in brief", "Short."),
        (
            "abstract",
            "Pruning",
            "We prune a neural network. The network is small, and neural in name only.",
        ),
        ("apart", "Apart", "Neural models and their network design."),
        (
            "optimized",
            "Tuning",
            "We study neural optimization of kernels.",
        ),
        ("other", "Other", "Networks, neural or not."),
    ]);
    let hits = json_hits(&dir, &["\"neural netw*\""]);
    // Only where the phrase stands; the title's paper first, as for any phrase, and scores by
    // BM25 rather than one constant for all.
    assert_eq!(
        hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["title", "abstract"]
    );
    assert!(hits[0].score > hits[1].score, "{hits:?}");
    assert_eq!(hits[0].marked_in_title(), ["Neural", "networks"]);
    // `network` is marked where it completes the phrase, not where it stands alone.
    assert_eq!(hits[1].marked(), ["neural", "network"]);
    // `optimiz*`: `optimization` is indexed as `optim`, shorter than what was typed.
    let hits = json_hits(&dir, &["\"neural optimiz*\""]);
    assert_eq!(ids(&hits), ["optimized"]);
    assert_eq!(hits[0].marked(), ["neural", "optimization"]);
    // In a field, and with slop, which it cannot take: said so, not silently dropped.
    let hits = json_hits(&dir, &["title:\"neural netw*\""]);
    assert_eq!(ids(&hits), ["title"]);
    cmd(&dir)
        .args(["search", "\"neural netw*\"~3"])
        .assert()
        .success()
        .stderr(predicate::str::contains("`~3` is ignored"));
}

/// A working directory whose corpus is one JSON Lines file of `records`.
fn jsonl_workdir(records: impl IntoIterator<Item = serde_json::Value>) -> TempDir {
    let dir = workdir();
    fs::remove_dir_all(dir.path().join("corpus")).unwrap();
    fs::create_dir(dir.path().join("corpus")).unwrap();
    let lines: Vec<String> = records.into_iter().map(|r| r.to_string()).collect();
    fs::write(dir.path().join("corpus/p.jsonl"), lines.join("\n")).unwrap();
    dir
}

/// As [`jsonl_workdir`], of papers given as (id, title, abstract).
fn papers_workdir(papers: &[(&str, &str, &str)]) -> TempDir {
    jsonl_workdir(
        papers
            .iter()
            .map(|(id, title, abs)| serde_json::json!({"id": id, "title": title, "abstract": abs})),
    )
}

#[test]
fn json_hits_have_every_key_with_null_where_a_paper_has_none() {
    let dir = jsonl_workdir([
        serde_json::json!({"id": "bare", "title": "Drift alone", "abstract": "Drift."}),
        serde_json::json!({"id": "full", "title": "Drift in full", "abstract": "Drift.",
                           "year": 2024, "url": "https://example.org/full"}),
    ]);
    let out = cmd(&dir)
        .args(["search", "--json", "drift"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&lines[0]), keys(&lines[1]));
    let bare = lines.iter().find(|v| v["id"] == "bare").unwrap();
    for key in ["year", "number", "url"] {
        assert!(bare[key].is_null(), "{key}: {bare}");
    }
    let full = lines.iter().find(|v| v["id"] == "full").unwrap();
    assert_eq!(full["year"], 2024);
    assert_eq!(full["url"], "https://example.org/full");
}

#[test]
fn field_scopes_tell_the_title_from_the_abstract() {
    let papers = [
        ("a", "Data drift", "We study streams of sensor readings."),
        ("b", "Streams", "Data drift again, and drifting data."),
        ("c", "Other", "Data streams: concept drift."),
        ("d", "Drift drift drift", "Nothing related here."),
    ];
    let dir = papers_workdir(&papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    assert_eq!(found("abstract:drift"), ["b", "c"]);
    assert_eq!(found("abstract:\"data drift\""), ["b"]);
    assert_eq!(found("abstract:\"data drift\"~3"), ["b", "c"]);
    assert_eq!(found("abstract:drift*"), ["b", "c"]);
    assert_eq!(found("abstract:stream"), ["a", "c"]);
    assert_eq!(found("title:stream"), ["b"]);
    assert_eq!(found("title:drift"), ["a", "d"]);
    assert_eq!(found("drift -abstract:drift"), ["a", "d"]);
    assert_eq!(found("drift"), ["a", "b", "c", "d"]);
}

#[test]
fn a_prefix_finds_every_word_starting_with_it_as_typed() {
    let papers = [
        (
            "opt",
            "Compilers",
            "Optimization of loops, and an optimizer for them.",
        ),
        ("optimal", "Bounds", "Optimal bounds on regret."),
        ("runs", "Jobs", "Running jobs, and the runs they make."),
        ("runtime", "Systems", "A runtime for accelerators."),
    ];
    let dir = papers_workdir(&papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    // `optimization` and `optimizer` are both indexed as `optim`, which also stands for
    // `optimal`: what the typed prefix reaches is what a search for `optimization` finds.
    assert_eq!(found("optimiz*"), found("optimization"));
    assert_eq!(found("optimiz*"), ["opt", "optimal"]);
    assert_eq!(found("abstract:optimiza*"), ["opt", "optimal"]);
    assert_eq!(found("title:compil*"), ["opt"]);
    // `running*` is not `run*`: a runtime is not a run.
    assert_eq!(found("running*"), ["runs"]);
    assert_eq!(found("run*"), ["runs", "runtime"]);
    let hit = &json_hits(&dir, &["running*"])[0];
    let marked = hit.marked();
    assert_eq!(marked, ["Running", "runs"]);
}

#[test]
fn a_name_ending_in_a_prefix_reaches_every_completion() {
    // Sixty name words starting with `f` sort before `francois`: tantivy's phrase prefix
    // tried only the first 50 of them, and `author:jean-f*` found no Jean-François.
    let mut papers: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            serde_json::json!({"id": format!("p{i}"), "title": "Filler", "abstract": "Text.",
                               "authors": [format!("Ann Fa{i:02}")]})
        })
        .collect();
    papers.push(
        serde_json::json!({"id": "jf", "title": "Graphs", "abstract": "Text.",
                                   "authors": ["Jean-François Dupont"]}),
    );
    let dir = jsonl_workdir(papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    assert_eq!(found("author:jean-f*"), ["jf"]);
    assert_eq!(found("author:jean-fr*"), ["jf"]);
    assert!(found("author:jean-g*").is_empty());
}

#[test]
fn an_exclusion_typed_unquoted_is_part_of_the_query_not_a_flag() {
    let papers = [
        ("a", "Data drift", "Drift in data."),
        ("b", "Concept drift", "Drift of concepts in networks."),
        ("c", "Networks", "Neural networks."),
    ];
    let dir = papers_workdir(&papers);
    let found = |args: &[&str]| ids(&json_hits(&dir, args));
    // Before, clap read `-data` as the flags `-d -a -t -a` and refused the search.
    assert_eq!(found(&["drift", "-data"]), ["b"]);
    assert_eq!(found(&["drift", "-data"]), found(&["drift -data"]));
    // `-n` is still the limit, in each of its forms, wherever it stands.
    assert_eq!(found(&["-n", "1", "drift", "-networks"]), ["a"]);
    assert_eq!(found(&["drift", "-networks", "-n1"]), ["a"]);
    assert_eq!(found(&["drift", "-n=2", "-title:concept"]), ["a"]);
    // `-nlp` is a word to leave out, not `-n lp`.
    assert_eq!(found(&["drift", "-nlp"]), ["a", "b"]);
    assert_eq!(found(&["--limit", "5", "networks", "-drift"]), ["c"]);
    // After `--`, as before, everything is the query.
    assert_eq!(found(&["--", "drift", "-data"]), ["b"]);
    // The value of `--limit` is still checked as a number, not taken as a word, and the error
    // says so (clap's own named `-d` and suggested `-- -d`).
    for limit in ["--limit", "-n"] {
        cmd(&dir)
            .args(["search", "drift", limit, "-data"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "`{limit}` needs its value right after it, and `-data` is a word to leave out"
            )));
    }
}

#[test]
fn a_split_word_ending_in_a_prefix_is_its_parts_the_last_a_prefix() {
    let papers = [
        (
            "a",
            "Hardware co-optimization",
            "We co-optimize models and chips.",
        ),
        ("b", "Loops", "An optimizer for loops."),
        ("c", "Co-design", "Chips and models, co-designed."),
        ("d", "Regret", "Bounds on regret."),
        ("e", "Sparse solvers", "Solvers."),
    ];
    let dir = papers_workdir(&papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    // `model's*` is `model*`: the possessive is no prefix `s*` of its own.
    assert_eq!(found("model's*"), ["a", "c"]);
    assert_eq!(found("model\u{2019}s*"), ["a", "c"]);
    // Its other parts function words, it is the prefix alone.
    assert_eq!(found("the-optimiz*"), found("optimiz*"));
    assert_eq!(found("title:the-optimiz*"), ["a"]);
    // Before, `co-optimiz*` was a phrase ending in the stemmed prefix `optimiz`, which no
    // indexed stem (`optim`) starts with: it found nothing.
    assert_eq!(found("co-optimiz*"), found("co-optimization"));
    assert_eq!(found("co-optimiz*"), ["a", "b", "c"]);
    assert_eq!(found("co-optimiz*")[0], "a");
    assert_eq!(found("abstract:co-optimiz*"), ["a", "b", "c"]);
    assert_eq!(found("title:co-optimiz*"), ["a", "c"]);
    // Function words go as they do from `state-of-the-art`; the prefix stays whatever it is.
    assert_eq!(found("state-of-the-optimiz*"), found("state optimiz*"));
    let hit = &json_hits(&dir, &["co-optimiz*"])[0];
    let marked = hit.marked();
    assert_eq!(marked, ["co", "optimize"]);
}

#[test]
fn function_words_are_dropped_beside_anything_searched_and_from_split_words() {
    let papers = [
        ("a", "State of the art drift detection", "We detect drift."),
        ("b", "The art of war", "Strategy, and the art."),
        ("c", "Of mice and men", "The model's accuracy."),
        ("d", "Graph models", "Nothing of the sort."),
        ("e", "Lakes", "It's a lake."),
    ];
    let dir = papers_workdir(&papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    assert_eq!(found("state-of-the-art"), found("state of the art"));
    assert_eq!(found("state-of-the-art"), ["a", "b"]);
    assert_eq!(found("model's"), ["c", "d"]);
    assert_eq!(found("the title:drift"), ["a"]);
    assert_eq!(found("of \"drift detection\""), ["a"]);
    assert_eq!(found("the stat*"), ["a"]);
    assert_eq!(found("title:(the drift)"), ["a"]);
    // Alone, beside an exclusion only, or beside function words only, a function word is
    // what is searched.
    assert_eq!(found("the"), ["a", "b", "c", "d"]);
    assert_eq!(found("the -drift"), ["b", "c", "d"]);
    assert_eq!(found("the of"), ["a", "b", "c", "d"]);
    assert_eq!(found("title:(of and)"), ["a", "b", "c"]);
    // An author's name is never a function word.
    assert_eq!(found("author:(an)"), Vec::<String>::new());
    // Nor is a split word's function word searched in names, as a plain word's is not: an
    // author named `The` is no match for `state-of-the-art`.
    let dir = jsonl_workdir([
        serde_json::json!({"id": "art", "title": "State of the art", "abstract": "Art."}),
        serde_json::json!({"id": "mai", "title": "Bounds", "abstract": "Regret.",
                           "authors": ["The Tien Mai"]}),
    ]);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    assert_eq!(found("state-of-the-art"), ["art"]);
    assert_eq!(found("state-of-the-art"), found("state of the art"));
    assert_eq!(found("author:the"), ["mai"]);
}

#[test]
fn a_group_of_exclusions_is_the_papers_without_them() {
    let papers = [
        ("a", "State of the art drift detection", "We detect drift."),
        ("b", "The art of war", "Strategy, and the art."),
        ("c", "Of mice and men", "Mice."),
    ];
    let dir = papers_workdir(&papers);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    assert_eq!(found("(NOT drift) OR art"), ["a", "b", "c"]);
    assert_eq!(found("(NOT drift) OR (NOT art)"), ["b", "c"]);
    assert_eq!(found("(-mice) AND art"), ["a", "b"]);
    // Without the group, `-` excludes from the query around it, as in Lucene.
    assert_eq!(found("art -drift"), ["b"]);
    assert_eq!(found("NOT drift"), ["b", "c"]);
}

#[test]
fn a_source_directory_holding_its_own_index_is_indexed_again_and_again() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("mlsys-2022.txt"), SEED).unwrap();
    for _ in 0..2 {
        cmd(&dir)
            .args(["index", "."])
            .assert()
            .code(0)
            .stderr(predicate::str::contains("index in index: 25 papers"));
    }
    cmd(&dir)
        .args(["search", "--count", "drift"])
        .assert()
        .code(0)
        .stdout("1\n")
        .stderr("");
}

#[test]
fn a_listing_piped_in_is_read_whole_and_never_reported_changed() {
    let dir = workdir();
    cmd(&dir)
        .args(["index", "/dev/stdin"])
        .write_stdin(common::SEED)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("25 papers"))
        // The bytes read, though a pipe has no size.
        .stderr(predicate::str::contains("(0 B)").not())
        // Its ids come from the pipe's name, which another piped listing shares: said.
        .stderr(predicate::str::contains(
            "a listing piped in takes its ids from the pipe's name (stdin-1, stdin-2, ...)",
        ));
    let out = cmd(&dir)
        .args(["search", "--count", "drift"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    // JSON Lines too: the format is told from the first bytes, which are then read as papers.
    cmd(&dir)
        .args(["index", "/dev/stdin"])
        .write_stdin("{\"id\": \"p\", \"title\": \"Piped drift\"}\n")
        .assert()
        .code(0)
        // Records with ids of their own: nothing to say.
        .stderr(predicate::str::contains("piped in takes its ids").not());
    cmd(&dir)
        .args(["search", "--count", "piped"])
        .assert()
        .code(0)
        .stdout("1\n");
    // Compressed, as `curl ... | paperdex index /dev/stdin` would pipe it: read as zcat reads it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"{\"id\": \"z\", \"title\": \"Zipped drift\"}\n").unwrap();
    cmd(&dir)
        .args(["index", "--add", "/dev/stdin"])
        .write_stdin(gz.finish().unwrap())
        .assert()
        .code(0);
    cmd(&dir)
        .args(["search", "--count", "zipped"])
        .assert()
        .code(0)
        .stdout("1\n");
    // A pipe that hands over the first byte alone is still read as gzip.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        b"{\"id\": \"s\", \"title\": \"Slowly drifting\"}\n",
    )
    .unwrap();
    fs::write(dir.path().join("slow.gz"), gz.finish().unwrap()).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("paperdex");
    let piped = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "(head -c1 slow.gz; sleep 0.3; tail -c +2 slow.gz) | '{}' index --add /dev/stdin",
            bin.display()
        ))
        .current_dir(dir.path())
        .env_remove("PAPERDEX_INDEX")
        .output()
        .unwrap();
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    cmd(&dir)
        .args(["search", "--count", "slowly"])
        .assert()
        .code(0)
        .stdout("1\n");
    // A file added beside a pipe, then changed: the hint to bring the index up to date names
    // the file and not the pipe (named again, it would wait on the terminal), and says what
    // would be dropped.
    let index = ["--index", "piped"];
    cmd(&dir)
        .args(index)
        .args(["index", "/dev/stdin"])
        .write_stdin(common::SEED)
        .assert()
        .code(0);
    let added = dir.path().join("added.jsonl");
    fs::write(&added, "{\"id\": \"a\", \"title\": \"Added drift\"}\n").unwrap();
    cmd(&dir)
        .args(index)
        .args(["index", "--add", "added.jsonl"])
        .assert()
        .code(0);
    fs::write(
        &added,
        "{\"id\": \"a\", \"title\": \"Added drift, changed\"}\n",
    )
    .unwrap();
    let out = cmd(&dir)
        .args(index)
        .args(["search", "--count", "drift"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = stderr
        .lines()
        .find(|l| l.starts_with("hint:"))
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    let command = hint.split('`').nth(1).unwrap_or_default();
    assert!(command.ends_with("added.jsonl"), "{hint}");
    assert!(!command.contains("/dev/stdin"), "{hint}");
    assert!(hint.contains("piped in"), "{hint}");
}

#[test]
fn a_sloppy_phrase_never_reaches_across_a_title_an_abstract_or_two_authors() {
    // "Drift detection" then "Stream ...": the title's last word and the abstract's first are
    // as near as two words can be, and so are one author's last name and the next one's first.
    let dir = jsonl_workdir([
        serde_json::json!({"id": "split", "title": "Learning under drift",
                           "abstract": "Detection of shifts in streams.",
                           "authors": ["Ann Lee", "Bo Deep"]}),
        serde_json::json!({"id": "whole", "title": "Drift and its detection",
                           "abstract": "Learning, then streams.",
                           "authors": ["Lee Bo"]}),
    ]);
    let found = |q: &str| ids(&json_hits(&dir, &[q]));
    // Within one value, slop still works as in Lucene.
    assert_eq!(found("\"drift detection\"~2"), ["whole"]);
    // From the title into the abstract, and from one copy of the title to the next (the
    // ranking field holds the title twice: "... under drift | learning under ...").
    assert_eq!(found("\"drift detection\"~5"), ["whole"]);
    assert!(found("\"drift learning\"~2").is_empty());
    assert_eq!(found("\"learning drift\"~8"), ["split"]);
    // Across two authors.
    assert_eq!(found("author:\"lee bo\"~3"), ["whole"]);
    assert_eq!(found("author:\"lee bo\""), ["whole"]);
}

#[test]
fn year_filters_the_words_beside_it_and_never_changes_a_score() {
    let papers = [
        ("a", 2019, "Data drift in streams"),
        ("b", 2021, "Drift detection"),
        ("c", 2022, "Concept drift, again drift"),
        ("d", 2022, "Graph neural networks"),
        ("e", 2024, "Drift under shift"),
    ];
    let dir = jsonl_workdir(
        papers
            .iter()
            .map(|(id, year, title)| {
                serde_json::json!({"id": id, "year": year, "title": title, "abstract": "Text."})
            })
            .chain([serde_json::json!({"id": "n", "title": "Drift, year unknown"})]),
    );
    let found = |q: &str| ids(&json_hits(&dir, &[q, "-n", "100"]));
    assert_eq!(found("drift"), ["a", "b", "c", "e", "n"]);
    assert_eq!(found("drift year:2022"), ["c"]);
    assert_eq!(found("drift year:2021..2022"), ["b", "c"]);
    assert_eq!(found("drift year:>=2021"), ["b", "c", "e"]);
    assert_eq!(found("drift year:>2021"), ["c", "e"]);
    assert_eq!(found("drift year:<2021"), ["a"]);
    assert_eq!(found("drift year:..2021"), ["a", "b"]);
    assert_eq!(found("drift year:2022.."), ["c", "e"]);
    // Several years beside words are alternatives of each other.
    assert_eq!(found("drift year:2019 year:2024"), ["a", "e"]);
    assert_eq!(found("drift (year:2019 OR year:2024)"), ["a", "e"]);
    assert_eq!(found("drift -year:2022"), ["a", "b", "e", "n"]);
    assert_eq!(found("year:2022"), ["c", "d"]);
    // Joined to words by an explicit OR, a year is an alternative, as in Lucene: graph papers
    // or papers of 2019 (before, it filtered: graph papers of 2019, none). A run of years
    // joined by OR still filters the words beside it.
    assert_eq!(found("graph OR year:2019"), ["a", "d"]);
    assert_eq!(found("drift OR year:2022"), ["a", "b", "c", "d", "e", "n"]);
    assert_eq!(found("graph OR year:2019 OR year:2021"), ["a", "b", "d"]);
    assert_eq!(found("drift year:2019 OR year:2024"), ["a", "e"]);
    assert_eq!(found("(graph OR year:2019) AND drift"), ["a"]);
    // The year's own papers come after the words', at no score.
    let either = json_hits(&dir, &["graph OR year:2019"]);
    assert_eq!(either[0].id, "d");
    assert_eq!(either[1].score, 0.0);
    // The filter decides which papers are shown, never their scores or order.
    let all = json_hits(&dir, &["drift", "-n", "100"]);
    let since = json_hits(&dir, &["drift year:>=2021", "-n", "100"]);
    let kept: Vec<(&str, f32)> = all
        .iter()
        .filter(|h| ["b", "c", "e"].contains(&h.id.as_str()))
        .map(|h| (h.id.as_str(), h.score))
        .collect();
    let got: Vec<(&str, f32)> = since.iter().map(|h| (h.id.as_str(), h.score)).collect();
    assert_eq!(got, kept);
    // People see each paper's year beside its id, when it has one.
    cmd(&dir)
        .args(["search", "drift"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\n    c  2022  score "))
        .stdout(predicate::str::contains("\n    n  score "));
    cmd(&dir)
        .args(["search", "drift year:2022-23"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("column 12"))
        .stderr(predicate::str::contains("`year:` takes a year or a range"));
}

#[test]
fn sort_newest_lists_the_latest_year_first_and_the_best_score_within_a_year() {
    let dir = jsonl_workdir([
        serde_json::json!({"id": "a", "year": 2019, "title": "Drift drift drift"}),
        serde_json::json!({"id": "b", "year": 2021, "title": "Drift"}),
        serde_json::json!({"id": "c1", "year": 2022, "title": "A long title that mentions drift"}),
        serde_json::json!({"id": "c2", "year": 2022, "title": "Drift, drift"}),
        serde_json::json!({"id": "e", "year": 2024, "title": "On drift and shift"}),
        serde_json::json!({"id": "n", "title": "Drift drift"}),
        serde_json::json!({"id": "x", "year": 2025, "title": "Unrelated"}),
    ]);
    let order = |args: &[&str]| -> Vec<String> {
        json_hits(&dir, args).into_iter().map(|h| h.id).collect()
    };
    assert_eq!(
        order(&["drift", "--sort", "newest"]),
        ["e", "c2", "c1", "b", "a", "n"]
    );
    assert_eq!(
        order(&["drift", "--sort", "newest", "--offset", "1", "-n", "2"]),
        ["c2", "c1"]
    );
    // The default is relevance: the paper with the word three times first.
    assert_eq!(order(&["drift"]).first().map(String::as_str), Some("a"));
    cmd(&dir)
        .args(["search", "--sort", "newest", "--rm3", "drift"])
        .assert()
        .code(2);
}

#[test]
fn similar_ranks_papers_sharing_the_telling_words_and_leaves_the_paper_out() {
    let many: Vec<String> = (0..30).map(|i| format!("word{i}")).collect();
    let many = many.join(" ");
    let dir = jsonl_workdir([
        serde_json::json!({"id": "src", "year": 2023, "title": "Gaussian splatting for radiance fields",
            "abstract": "We render radiance fields with gaussian splatting in real time."}),
        serde_json::json!({"id": "near", "year": 2024, "title": "Faster gaussian splatting",
            "abstract": "Gaussian splatting renders radiance fields quickly."}),
        serde_json::json!({"id": "less", "year": 2021, "title": "Radiance fields revisited",
            "abstract": "Neural radiance fields, without splatting."}),
        serde_json::json!({"id": "far", "year": 2024, "title": "Data drift in streams",
            "abstract": "We study data drift in real time."}),
        serde_json::json!({"id": "alone", "title": "Graph networks", "abstract": "Graph networks."}),
        serde_json::json!({"id": "many", "title": many, "abstract": "Many words."}),
        serde_json::json!({"id": "many2", "title": many, "abstract": "The same words."}),
    ]);
    let similar = |args: &[&str]| -> Vec<(String, f32)> {
        json_hits_of(&dir, "similar", args)
            .into_iter()
            .map(|h| (h.id, h.score))
            .collect()
    };
    // `near` shares the most and the rarest words, `far` only `real time` and `we`; `alone`
    // and the `many`s share none.
    let all = similar(&["src"]);
    let order: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(order, ["near", "less", "far"]);
    assert_eq!(similar(&["src", "-n", "1", "--offset", "1"]), all[1..2]);
    // A filter keeps what matches it and changes no score.
    assert_eq!(
        similar(&["src", "year:2024"]),
        [all[0].clone(), all[2].clone()]
    );
    assert_eq!(similar(&["src", "year:..2022"]), all[1..2]);
    assert_eq!(similar(&["src", "neural"]), all[1..2]);
    // A filter's exclusion needs no quotes, as a search's does not.
    assert_eq!(
        similar(&["src", "-neural"]),
        [all[0].clone(), all[2].clone()]
    );
    let first = similar(&["src", "-n", "1", "-neural"]);
    assert_eq!((first.len(), first[0].0.as_str()), (1, "near"));
    // The words `src` shares with some other paper, heaviest first: `render` (`near` has
    // `renders`), `real time` and `we` (`far`) count though `src` has them once; function words
    // (`for`, `with`, `in`) and words no other paper has do not.
    cmd(&dir)
        .args(["similar", "src"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "papers like `src`, by: gaussian fields radiance splatting real render time we\n",
        ));
    // At most 25 words, the most telling first.
    let out = cmd(&dir).args(["similar", "many"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let words = stderr
        .split("by: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .count();
    assert_eq!(words, 25, "{stderr}");
    // No other paper shares `alone`'s words: nothing to search by, nothing found.
    cmd(&dir)
        .args(["similar", "alone"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no words that other papers share"));
    cmd(&dir)
        .args(["similar", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no paper with id `nope`"));
    cmd(&dir)
        .args(["similar", "src", "year:20x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("filter: query column 6"));
    // An empty page says why, as `search` does, and a filter with nothing to search for is
    // not an error.
    for (args, why) in [
        (vec!["similar", "src", "-n", "0"], "-n 0 shows none"),
        (
            vec!["similar", "src", "--offset", "100"],
            "no more papers like `src` from --offset 100 on",
        ),
        (
            vec!["similar", "src", "year:1990"],
            "no paper like `src` passes the filter `year:1990`",
        ),
        (vec!["similar", "src", "!!!"], "has no words to search for"),
    ] {
        cmd(&dir)
            .args(&args)
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains(why));
    }
}

#[test]
fn rm3_keeps_the_best_hit_and_adds_papers_sharing_its_words() {
    let dir = workdir();
    let plain = json_hits(&dir, &["straggler", "-n", "30"]);
    let expanded = json_hits(&dir, &["--rm3", "straggler", "-n", "30"]);
    assert_eq!(plain.len(), 1);
    assert!(expanded.len() > plain.len(), "{}", expanded.len());
    assert_eq!(expanded[0].id, plain[0].id);
    // Feedback needs the first search's ranking; it does not combine with an explanation.
    cmd(&dir)
        .args(["search", "--rm3", "--explain", "straggler"])
        .assert()
        .code(2);
    // A query with a phrase, field or operator is not expanded, and the user is told.
    let phrase = json_hits(&dir, &["--rm3", "\"data drift\""]);
    assert_eq!(ids(&phrase), ids(&json_hits(&dir, &["\"data drift\""])));
    cmd(&dir)
        .args(["search", "--rm3", "title:drift"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "--rm3 expands queries of plain words only",
        ));
    cmd(&dir)
        .args(["search", "--rm3", "straggler"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("--rm3").not());
}

#[test]
fn no_summary_placeholder_is_not_searchable() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "\"no summary was provided\""])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    // `provided` stems like `provides`, which real abstracts hold; the placeholders are not hits.
    let hits = json_hits(&dir, &["summary provided", "-n", "100"]);
    assert!(hits
        .iter()
        .all(|h| h.id != "mlsys-2022-7" && h.id != "mlsys-2022-25"));
}

#[test]
fn authors_match_with_and_without_accents_and_are_not_stemmed() {
    let dir = TempDir::new().unwrap();
    cmd(&dir)
        .arg("index")
        .arg(fixture("accents.txt"))
        .assert()
        .code(0);
    let plain = json_hits(&dir, &["author:sandstrom"]);
    let accented = json_hits(&dir, &["author:Sandström"]);
    assert_eq!(ids(&plain), ["accents-1", "accents-2"]);
    assert_eq!(ids(&accented), ids(&plain));
    assert_eq!(ids(&json_hits(&dir, &["author:nunez"])), ["accents-1"]);
    // Not stemmed: `zhus` is not `zhu`.
    cmd(&dir).args(["search", "author:zhus"]).assert().code(1);
}

#[test]
fn an_author_list_written_twice_over_is_shown_and_scored_once() {
    // As every ICRA and IROS record of the paperlists collection holds its authors.
    let paper = |id: &str, authors: &[&str]| serde_json::json!({"id": id, "title": "Grasping", "authors": authors, "abstract": "Grasping objects."});
    let dir = jsonl_workdir([
        paper("twice", &["Ann Lee", "Bo Chen", "Ann Lee", "Bo Chen"]),
        paper("once", &["Ann Lee", "Bo Chen"]),
        paper("other", &["Cy Lee", "Di Wu"]),
    ]);
    let hits = json_hits(&dir, &["author:chen"]);
    assert_eq!(ids(&hits), ["once", "twice"]);
    for hit in &hits {
        assert_eq!(hit.authors, ["Ann Lee", "Bo Chen"], "{}", hit.id);
        assert_eq!(hit.author_highlights, [1], "{}", hit.id);
    }
    assert_eq!(hits[0].score, hits[1].score);
}

#[test]
fn turkish_dotted_i_is_found_highlighted_and_suggested_as_i() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("tr.jsonl");
    fs::write(
        &corpus,
        concat!(
            r#"{"id":"t1","title":"İstanbul earthquakes","authors":["İlker Demir","Rohan Desai"],"abstract":"Buildings in İstanbul and İzmir were studied."}"#,
            "\n",
            r#"{"id":"t2","title":"Other","authors":["Ann Lee"],"abstract":"Nothing."}"#,
            "\n"
        ),
    )
    .unwrap();
    cmd(&dir).arg("index").arg(&corpus).assert().code(0);
    for q in ["istanbul", "izmir", "author:ilker", "author:İLKER"] {
        assert_eq!(ids(&json_hits(&dir, &[q])), ["t1"], "{q}");
    }
    for typo in ["istanbol", "İstanbol"] {
        cmd(&dir)
            .args(["search", typo])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("did you mean `istanbul`?"));
    }
    // An author is marked where their name holds the query's name phrase or prefix, not a
    // name that only shares its last word (`co-des*` is `co` then `des...`, not `Desai`).
    let marked = |q: &str| {
        let out = cmd(&dir)
            .args(["search", q, "--color", "always"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(marked("author:ilker").contains("\x1b[1;31mİlker Demir\x1b[0m"));
    assert!(marked("author:\"ilker demir\"").contains("\x1b[1;31mİlker Demir\x1b[0m"));
    assert!(!marked("co-des* istanbul").contains("\x1b[1;31mRohan Desai"));
    assert!(!marked("\"demir rohan\" istanbul").contains("\x1b[1;31mRohan"));
}

#[test]
fn a_phrase_lights_up_its_words_only_where_they_stand_together() {
    let dir = workdir();
    let hits = json_hits(&dir, &["\"test data\""]);
    let top = &hits[0];
    assert_eq!(top.id, "mlsys-2022-1");
    let marked = top.marked();
    assert_eq!(marked, ["test", "data"]);
    // The snippet shows `data` elsewhere too, not marked: it is not the phrase there.
    assert!(
        top.snippet.contains("impact of data drift"),
        "{}",
        top.snippet
    );
}

#[test]
fn an_empty_page_says_how_many_papers_match() {
    let dir = workdir();
    let total = json_hits(&dir, &["learning", "-n", "100"]).len();
    assert!(total > 1);
    cmd(&dir)
        .args(["search", "learning", "--offset", "1000"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(format!(
            "paperdex: {total} papers match; none from --offset 1000 on\n"
        ));
    cmd(&dir)
        .args(["search", "learning", "-n", "0"])
        .assert()
        .code(1)
        .stderr(format!("paperdex: {total} papers match; -n 0 shows none\n"));
    // Where nothing matches, nothing is said but what always is.
    cmd(&dir)
        .args(["search", "zzzqqq", "--offset", "5"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("match;").not());
}

#[test]
fn a_boost_decides_which_word_counts_more() {
    let dir = workdir();
    let first = |q: &str| json_hits(&dir, &[q, "-n", "1"]).remove(0);
    assert_eq!(first("straggler^3 drift").id, "mlsys-2022-9");
    assert_eq!(first("straggler drift^3").id, "mlsys-2022-1");
    let (plain, boosted) = (first("drift"), first("drift^2.5"));
    assert_eq!(plain.id, boosted.id);
    assert!((plain.score * 2.5 - boosted.score).abs() < 1e-3);
    // Pasted math is text, with a note.
    cmd(&dir)
        .args(["search", "10^5000 flops"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("`10^5000` taken as plain text"));
    // One boost per word: what a second one would weigh is text, and said to be.
    cmd(&dir)
        .args(["search", "drift^3^5"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("`drift^3` taken as plain text"));
}

#[test]
fn a_repeated_word_counts_as_often_as_it_is_written() {
    let dir = workdir();
    let scored = |q: &str| -> Vec<(String, f32)> {
        json_hits(&dir, &[q, "-n", "20"])
            .into_iter()
            .map(|h| (h.id, h.score))
            .collect()
    };
    let same = |a: &str, b: &str| {
        let (x, y) = (scored(a), scored(b));
        assert!(!x.is_empty(), "{a}");
        assert_eq!(x.len(), y.len(), "{a} / {b}");
        for ((id_x, s_x), (id_y, s_y)) in x.iter().zip(&y) {
            assert_eq!(id_x, id_y, "{a} / {b}");
            assert!((s_x - s_y).abs() < 1e-3, "{a} {s_x} / {b} {s_y}");
        }
    };
    same("drift drift drift", "drift^3");
    same("drift drift^2 straggler", "drift^3 straggler");
    same("dri* dri*", "dri*^2");
    same("+training +training gpu", "+training^2 gpu");
    same("-drift -drift training", "-drift training");
    same("\"data drift\" \"data drift\"", "\"data drift\"^2");
    // Repeated beside a different word it still adds: the repeat outranks the single word.
    assert_eq!(
        scored("straggler straggler straggler drift")[0].0,
        "mlsys-2022-9"
    );
}

#[test]
fn a_required_split_word_requires_each_of_its_parts() {
    let dir = workdir();
    let count = |args: &[&str]| -> u64 {
        let out = cmd(&dir)
            .args(["search", "--count"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let every_part = count(&["+large +scale +training"]);
    assert!(every_part > 0);
    // Either part is not enough: that is what the split word alone asks for.
    assert!(count(&["+(large scale) +training"]) > every_part);
    assert_eq!(count(&["--all", "large-scale training"]), every_part);
    assert_eq!(count(&["large-scale AND training"]), every_part);
    assert_eq!(count(&["+large-scale +training"]), every_part);
    // Its function words are dropped as in any other search of it.
    assert_eq!(
        count(&["--all", "state-of-the-art models"]),
        count(&["+state +art +models"])
    );
    // Beside other words, not required, it still ranks by how many parts match.
    assert!(count(&["large-scale training"]) > every_part);
    // On its own, and in a field, as beside others.
    let both = count(&["+large +scale"]);
    assert!(count(&["large OR scale"]) > both);
    assert_eq!(count(&["+large-scale"]), both);
    assert_eq!(count(&["--all", "large-scale"]), both);
    assert_eq!(count(&["(+large-scale)"]), both);
    assert_eq!(
        count(&["title:(+large-scale)"]),
        count(&["title:(+large +scale)"])
    );
    // A split prefix or fuzzy word: each part, the last the prefix.
    assert_eq!(
        count(&["+large-sca* +training"]),
        count(&["+large +sca* +training"])
    );
    assert_eq!(
        count(&["+large-scale~ +training"]),
        count(&["+large~ +scale~ +training"])
    );
}

/// What a terminal shows in colour is in the JSON too: the matched words of the title as byte
/// ranges, and which authors the query matched.
#[test]
fn json_lines_carry_title_and_author_highlights() {
    let dir = workdir();
    let hits = json_hits(&dir, &["mallick drift"]);
    let top = &hits[0];
    assert_eq!(top.id, "mlsys-2022-1");
    let marked = top.marked_in_title();
    assert_eq!(marked, ["Drift"]);
    assert_eq!(top.author_highlights, [0]);
    assert_eq!(top.authors[0], "Ankur Mallick");

    // Only the author, by a prefix: no title word is marked.
    let hits = json_hits(&dir, &["author:Malli*"]);
    assert_eq!(hits[0].author_highlights, [0]);
    assert!(hits[0].title_highlights.is_empty());
    // A hit no author of which the query names: an empty list, not a missing key.
    let hits = json_hits(&dir, &["straggler"]);
    assert!(hits.iter().all(|h| h.author_highlights.is_empty()));
    assert!(hits.iter().any(|h| !h.title_highlights.is_empty()));
}

/// A word asked of one field is marked in that field only, as Elasticsearch highlights only
/// the fields a query matched; a word asked of no field, everywhere.
#[test]
fn a_word_asked_of_one_field_is_marked_in_that_field_only() {
    let dir = workdir();
    let hit = |q: &str| {
        json_hits(&dir, &[q])
            .into_iter()
            .find(|h| h.id == "mlsys-2022-1")
            .unwrap()
    };
    let anywhere = hit("drift");
    assert_eq!(anywhere.marked_in_title(), ["Drift"]);
    assert!(
        anywhere.marked().contains(&"drift"),
        "{:?}",
        anywhere.marked()
    );
    let in_title = hit("title:drift");
    assert_eq!(in_title.marked_in_title(), ["Drift"]);
    assert!(in_title.marked().is_empty(), "{:?}", in_title.marked());
    let in_abstract = hit("abstract:drift");
    assert!(in_abstract.marked_in_title().is_empty());
    assert!(in_abstract.marked().contains(&"drift"));
    // Beside a word asked of no field, each field shows what was asked of it.
    let both = hit("title:drift data");
    assert_eq!(both.marked_in_title(), ["Data", "Drift"]);
    assert!(both.marked().contains(&"data"), "{:?}", both.marked());
    assert!(!both.marked().contains(&"drift"), "{:?}", both.marked());
}

#[test]
fn json_lines_carry_the_hit_and_highlight_ranges_in_the_snippet() {
    let dir = workdir();
    let hits = json_hits(&dir, &["straggler prediction"]);
    assert!(!hits.is_empty());
    let top = &hits[0];
    assert_eq!(top.rank, 1);
    assert_eq!(top.id, "mlsys-2022-9");
    assert_eq!(top.venue, "mlsys-2022");
    assert!(top.title.starts_with("NURD"));
    assert!(top.authors.contains(&"Rebecca Willett".to_string()));
    assert!(top.abstract_text.contains("Datacenters execute"));
    assert!(top.score > 0.0);
    assert!(!top.highlights.is_empty());
    for [s, e] in &top.highlights {
        let word = top.snippet[*s..*e].to_lowercase();
        assert!(
            word.starts_with("straggl") || word.starts_with("predict"),
            "{word}"
        );
    }
    let scores: Vec<f32> = hits.iter().map(|h| h.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn limit_offset_and_count() {
    let dir = workdir();
    let all = json_hits(&dir, &["training", "-n", "100"]);
    assert!(all.len() > 5);
    let page = json_hits(&dir, &["training", "-n", "2", "--offset", "2"]);
    assert_eq!(ids(&page), ids(&all[2..4]));
    cmd(&dir)
        .args(["search", "training", "--count"])
        .assert()
        .code(0)
        .stdout(format!("{}\n", all.len()));
    cmd(&dir)
        .args(["search", "training", "-n", "0"])
        .assert()
        .code(1);
    cmd(&dir)
        .args(["search", "training", "--offset", "1000"])
        .assert()
        .code(1);
    cmd(&dir)
        .args(["search", "training", "-n", "18446744073709551615"])
        .assert()
        .code(0);
    cmd(&dir)
        .args(["search", "training", "-n", "-3"])
        .assert()
        .code(2);
}

#[test]
fn all_requires_every_word() {
    let dir = workdir();
    let any = json_hits(&dir, &["serverless quantization", "-n", "100"]);
    let all = json_hits(&dir, &["--all", "serverless quantization", "-n", "100"]);
    assert!(any.len() >= 2);
    assert!(all.is_empty());
}

#[test]
fn boolean_field_and_prefix_syntax() {
    let dir = workdir();
    assert_eq!(
        ids(&json_hits(&dir, &["title:matchmaker"])),
        ["mlsys-2022-1"]
    );
    let excluded = json_hits(&dir, &["drift -matchmaker", "-n", "100"]);
    assert!(excluded.iter().all(|h| h.id != "mlsys-2022-1"));
    let prefix = json_hits(&dir, &["strag*"]);
    assert_eq!(prefix.first().map(|h| h.id.as_str()), Some("mlsys-2022-9"));
    let and = json_hits(&dir, &["serverless AND GPU", "-n", "100"]);
    assert_eq!(ids(&and), ["mlsys-2022-2"]);
}

#[test]
fn a_fuzzy_word_finds_the_words_near_it_counted_by_their_likeness() {
    let dir = workdir();
    // `stragler` is in no paper; `straggler` is one edit away, of 8 letters.
    let exact = json_hits(&dir, &["straggler"]);
    let fuzzy = json_hits(&dir, &["stragler~"]);
    assert!(!exact.is_empty());
    let order = |hits: &[JsonHit]| hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(order(&fuzzy), order(&exact));
    for (f, e) in fuzzy.iter().zip(&exact) {
        assert!(
            (f.score / e.score - 0.875).abs() < 1e-4,
            "{} vs {}",
            f.score,
            e.score
        );
    }
    let [start, end] = fuzzy[0].highlights[0];
    assert!(fuzzy[0].snippet[start..end]
        .to_lowercase()
        .starts_with("straggler"));
    // In a field, excluded, with the edits written: as any word.
    let count = |q: &str| {
        let out = cmd(&dir).args(["search", "--count", q]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(count("title:stragler~"), count("title:straggler"));
    assert_eq!(count("author:malick~1"), count("author:mallick"));
    assert_ne!(count("author:mallick"), "0");
    assert_eq!(count("stragler~0"), "0");
    let all = count("data").parse::<u32>().unwrap();
    let without = count("data -stragler~").parse::<u32>().unwrap();
    let with = count("+data +straggler").parse::<u32>().unwrap();
    assert!(with > 0);
    assert_eq!(without, all - with);
    // More than two edits: searched with two, and said.
    cmd(&dir)
        .args(["search", "stragler~5"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("at most 2 edits"));
}

#[test]
fn a_word_no_paper_has_gets_a_did_you_mean_and_the_query_keeps_its_meaning() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "stragglr"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "did you mean `straggler`? (papers with `stragglr`: 0)",
        ));
    // Each missing word replaced where it stands, the rest kept as typed.
    cmd(&dir)
        .args(["search", "title:drfit OR gradent compresion"])
        .assert()
        .stderr(predicate::str::contains(
            "did you mean `title:drift OR gradient compression`?",
        ));
    // Accents are folded before the words are compared, as a search folds them: `strägglr`
    // is one edit from `straggler`, not two (which let a commoner `struggle` win).
    let other = TempDir::new().unwrap();
    fs::create_dir(other.path().join("corpus")).unwrap();
    let mut records = String::new();
    for i in 0..3 {
        records.push_str(&format!(
            "{{\"id\": \"s{i}\", \"title\": \"Straggler mitigation {i}\", \"abstract\": \"A straggler slows training.\"}}\n"
        ));
    }
    for i in 0..30 {
        records.push_str(&format!(
            "{{\"id\": \"u{i}\", \"title\": \"Models struggle {i}\", \"abstract\": \"Models struggle with long inputs.\"}}\n"
        ));
    }
    fs::write(other.path().join("corpus/papers.jsonl"), records).unwrap();
    cmd(&other)
        .args(["search", "strägglr"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean `straggler`?"));
    // A word repeated is corrected wherever it stands, whatever punctuation is beside it,
    // and named once.
    cmd(&dir)
        .args(["search", "stragglr mitigation stragglr"])
        .assert()
        .stderr(predicate::str::contains(
            "did you mean `straggler mitigation straggler`? (papers with `stragglr`: 0)",
        ));
    cmd(&dir)
        .args(["search", "(stragglr. stragglr"])
        .assert()
        .stderr(predicate::str::contains(
            "did you mean `(straggler. straggler`? (papers with `stragglr`: 0)",
        ));
    cmd(&dir)
        .args(["search", "--count", "author:malick"])
        .assert()
        .code(1)
        .stdout("0\n")
        .stderr(predicate::str::contains("did you mean `author:mallick`?"));
    // A typo whose stem is nearer another word (`serverles`: `serverl`, one edit from
    // `server`) is also compared as typed, for suggestions and fuzzy words alike.
    cmd(&dir)
        .args(["search", "serverles"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean `serverless`?"));
    // The word one edit away, though stemming cuts it far shorter (`optimization` is indexed as
    // `optim`, six edits from the typo's stem).
    cmd(&dir)
        .args(["search", "optimizaton"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean `optimization`?"));
    // Each part of a word analysis splits is corrected on its own.
    cmd(&dir)
        .args(["search", "Stragglr-detection"])
        .assert()
        .stderr(predicate::str::contains(
            "did you mean `straggler-detection`?",
        ));
    // A decomposed accent before the typo does not shift the replacements (`naïve`, in no
    // paper, is compared folded, as `naive` is: one edit from `native`).
    cmd(&dir)
        .args(["search", "nai\u{308}ve stragglr"])
        .assert()
        .stderr(predicate::str::contains("did you mean `native straggler`?"));
    cmd(&dir)
        .args(["search", "naive stragglr"])
        .assert()
        .stderr(predicate::str::contains("did you mean `native straggler`?"));
    let fuzzy = json_hits(&dir, &["serverles~"]);
    assert_eq!(fuzzy.first().map(|h| h.id.as_str()), Some("mlsys-2022-2"));
    // Venues and ids match exactly: one in another case is pointed to.
    cmd(&dir)
        .args(["search", "venue:MLSys-2022 drift"])
        .assert()
        .stderr(predicate::str::contains(
            "did you mean `venue:mlsys-2022 drift`?",
        ));
    cmd(&dir)
        .args(["search", "id:MLSYS-2022-1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean `id:mlsys-2022-1`?"));
    // Found words, excluded words, short words and numbers are left alone (`1008` is not
    // `100` misspelt).
    for q in [
        "data drift",
        "drift -stragglr",
        "gpx",
        "drift 1008",
        "drift 2002",
    ] {
        cmd(&dir)
            .args(["search", q])
            .assert()
            .stderr(predicate::str::contains("did you mean").not());
    }
}

#[test]
fn pasted_text_is_searched_literally_with_a_note() {
    let dir = workdir();
    for q in [
        "co-design",
        "ML-Generated",
        "C++ training",
        "(graph",
        "\"graph neural",
        "https://arxiv.org/abs/2201.1",
    ] {
        let out = cmd(&dir).args(["search", q]).output().unwrap();
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(1),
            "{q}"
        );
    }
    cmd(&dir)
        .args(["search", "\"graph neural"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("unbalanced quote"));
    assert_eq!(
        json_hits(&dir, &["co-design"])
            .first()
            .map(|h| h.id.as_str()),
        Some("mlsys-2022-16")
    );
    assert_eq!(
        json_hits(&dir, &["ML-Generated"])
            .first()
            .map(|h| h.id.as_str()),
        Some("mlsys-2022-18")
    );
}

#[test]
fn wrong_explicit_syntax_exits_2_pointing_at_the_column() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "drift foo:bar"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("column 7"))
        .stderr(predicate::str::contains("unknown field `foo`"));
    cmd(&dir)
        .args(["search", "title:"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a term"));
}

#[test]
fn colour_only_on_request_or_terminal() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "drift"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    cmd(&dir)
        .args(["search", "drift", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\x1b[1;31m"));
    cmd(&dir)
        .env("NO_COLOR", "1")
        .args(["search", "drift", "--color", "never"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    // The authors a query matched are marked like matched words; the others are not.
    for q in [
        "mallick",
        "author:mallick",
        "author:\"ankur mallick\"",
        "author:malick~",
        "author:mallic*",
    ] {
        cmd(&dir)
            .args(["search", q, "--color", "always"])
            .assert()
            .stdout(predicate::str::contains(
                "    \x1b[1;31mAnkur Mallick\x1b[0m, Kevin Hsieh,",
            ));
    }
    cmd(&dir)
        .args(["search", "matchmaker", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("    Ankur Mallick, Kevin Hsieh,"));
}

#[test]
fn explain_shows_the_bm25_parts() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "drift", "-n", "1", "--explain"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("idf"))
        .stdout(predicate::str::contains("Matchmaker"))
        // Each term named by its field, not by tantivy's field number.
        .stdout(predicate::str::contains("[Term=title+abstract:\"drift\"]"))
        .stdout(predicate::str::contains("[Term=title:\"drift\"]"))
        .stdout(predicate::str::contains("field=").not());
}

#[test]
fn explain_names_what_a_phrase_or_a_prefix_searched() {
    let dir = workdir();
    let explain = |q: &str| {
        let out = cmd(&dir)
            .args(["search", q, "-n", "1", "--explain"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{q}");
        String::from_utf8(out.stdout).unwrap()
    };
    // Before, tantivy's "Phrase Scorer" and "AutomatonScorer" said neither field nor words.
    let phrase = explain("\"data drift\"");
    assert!(
        phrase.contains("Phrase Scorer [title+abstract:\"data drift\"]"),
        "{phrase}"
    );
    assert!(phrase.contains("[title:\"data drift\"]"), "{phrase}");
    let sloppy = explain("\"data drifts\"~2");
    assert!(
        sloppy.contains("[title+abstract:\"data drift\"~2]"),
        "{sloppy}"
    );
    let prefix = explain("strag*");
    assert!(
        prefix.contains("AutomatonScorer [title+abstract:strag*]"),
        "{prefix}"
    );
    assert!(
        prefix.contains("AutomatonScorer [title:strag*]"),
        "{prefix}"
    );
    let author = explain("author:\"ankur mallick\"");
    assert!(author.contains("[authors:\"ankur mallick\"]"), "{author}");
    let split = explain("co-optimiz*");
    assert!(split.contains("[Term=title+abstract:\"co\"]"), "{split}");
    assert!(split.contains("[title+abstract:optimiz*]"), "{split}");
}

#[test]
fn closed_pipe_ends_quietly() {
    let dir = workdir();
    cmd(&dir).args(["index"]).assert().code(0);
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("paperdex"))
        .current_dir(dir.path())
        .args(["search", "training", "-n", "25", "--explain"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn index_reports_papers_read_against_the_header_total() {
    let dir = workdir();
    cmd(&dir)
        .arg("index")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("25 papers (its header says 51)"));
}

#[test]
fn stats_json_counts_documents_per_venue() {
    let dir = workdir();
    cmd(&dir).arg("index").assert().code(0);
    let out = cmd(&dir).args(["stats", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["documents"], 25);
    assert_eq!(v["venues"]["mlsys-2022"], 25);
    cmd(&dir)
        .arg("stats")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("documents 25"));
}

#[test]
fn index_dir_flag_and_env_are_honoured() {
    let dir = workdir();
    cmd(&dir)
        .args(["index", "--index", "elsewhere"])
        .assert()
        .code(0);
    assert!(dir.path().join("elsewhere/paperdex.json").exists());
    cmd(&dir)
        .env("PAPERDEX_INDEX", "elsewhere")
        .args(["stats", "--json"])
        .assert()
        .code(0);
    assert!(!dir.path().join("index/paperdex.json").exists());
}

#[test]
fn accents_match_whether_composed_or_decomposed_and_soft_hyphens_join() {
    let dir = jsonl_workdir([
        serde_json::json!({"id": "composed", "title": "A naïve baseline",
                           "abstract": "Plain.", "authors": ["Anna Sandström"]}),
        serde_json::json!({"id": "decomposed", "title": "A nai\u{308}ve model",
                           "abstract": "Co\u{AD}operation.", "authors": ["Bo Sandstro\u{308}m"]}),
    ]);
    let both = ["composed", "decomposed"];
    for query in [
        "naive",
        "naïve",
        "nai\u{308}ve",
        "author:sandstrom",
        "author:Sandstro\u{308}m",
    ] {
        assert_eq!(ids(&json_hits(&dir, &[query])), both, "{query}");
    }
    // The parts a combining mark used to cut a word into are not words.
    assert!(json_hits(&dir, &["nai"]).is_empty());
    assert_eq!(ids(&json_hits(&dir, &["cooperation"])), ["decomposed"]);
    assert_eq!(
        ids(&json_hits(&dir, &["co\u{AD}operation"])),
        ["decomposed"]
    );
}
