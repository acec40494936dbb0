//! Keeping an index current, as a user does it with the binary: re-indexing, `--add`, `remove`,
//! `--rebuild`, merging, and `export` round trips, on small generated corpora (no timings).
//!
//! The paperlists tests (87,669 real abstracts, `../shared/data/paperlists/abstracts.jsonl.gz`)
//! take about a minute on two cores, so they run only with `PAPERDEX_SCALE_TESTS=1`, and say
//! so when the file is absent.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tempfile::TempDir;

use common::cmd;

/// `paperdex index --json` on stdout.
#[derive(Debug, Deserialize)]
struct Summary {
    read: u64,
    added: u64,
    updated: u64,
    repeated: u64,
    removed: u64,
    documents: u64,
}

#[derive(Debug, Deserialize)]
struct Stats {
    documents: u64,
    deleted: u64,
    segments: usize,
}

/// A paper of a generated corpus, as JSON Lines; `word` makes its abstract findable.
fn paper(id: &str, word: &str) -> String {
    serde_json::json!({
        "id": id,
        "venue": "gen",
        "year": 2024,
        "title": format!("Paper {id} on graph learning"),
        "authors": ["Ann Author", "Bo Writer"],
        "abstract": format!("We study {word} in networks of {id} nodes, with drift."),
        "url": format!("https://example.org/{id}"),
    })
    .to_string()
}

/// Writes `name` with papers `prefix-0` .. `prefix-(n-1)`.
fn corpus(dir: &Path, name: &str, prefix: &str, n: usize) -> PathBuf {
    let lines: Vec<String> = (0..n)
        .map(|i| paper(&format!("{prefix}-{i}"), "ordinary"))
        .collect();
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn index(dir: &Path, args: &[&str]) -> Summary {
    let out = cmd(dir)
        .args(["--index", "idx", "index", "--json", "--memory", "64"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "paperdex index {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stats(dir: &Path) -> Stats {
    let out = cmd(dir)
        .args(["--index", "idx", "stats", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Ids of the papers a query finds (up to 1000).
fn found(dir: &Path, query: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Hit {
        id: String,
    }
    let out = cmd(dir)
        .args(["--index", "idx", "search", "--json", "-n", "1000", query])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Hit>(l).unwrap().id)
        .collect()
}

/// `paperdex export` of `index`, sorted (the order is the index's own).
fn export_sorted(dir: &Path, index: &str) -> Vec<String> {
    let out = cmd(dir)
        .args(["--index", index, "export", "--format", "ndjson"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn reindexing_unchanged_sources_updates_and_duplicates_nothing() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 300);
    let first = index(dir.path(), &[a.to_str().unwrap()]);
    assert_eq!((first.read, first.added, first.updated), (300, 300, 0));
    let again = index(dir.path(), &[a.to_str().unwrap()]);
    assert_eq!(
        (again.read, again.added, again.updated, again.removed),
        (300, 0, 300, 0)
    );
    assert_eq!(again.documents, 300);
    assert_eq!(stats(dir.path()).documents, 300);
    assert_eq!(found(dir.path(), "id:a-7"), ["a-7"]);
}

#[test]
fn reindexing_fewer_sources_counts_the_papers_removed() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 50);
    let b = corpus(dir.path(), "b.jsonl", "b", 20);
    index(dir.path(), &[a.to_str().unwrap(), b.to_str().unwrap()]);
    let s = index(dir.path(), &[a.to_str().unwrap()]);
    assert_eq!(
        (s.added, s.updated, s.removed, s.documents),
        (0, 50, 20, 50)
    );
    assert!(found(dir.path(), "id:b-3").is_empty());
}

#[test]
fn the_same_id_twice_in_the_sources_is_one_paper_the_later_one() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("dup.jsonl");
    fs::write(
        &path,
        [paper("p-1", "firstversion"), paper("p-1", "secondversion")].join("\n"),
    )
    .unwrap();
    let s = index(dir.path(), &[path.to_str().unwrap()]);
    assert_eq!(
        (s.read, s.added, s.updated, s.repeated, s.documents),
        (2, 1, 0, 1, 1)
    );
    assert_eq!(found(dir.path(), "secondversion"), ["p-1"]);
    assert!(found(dir.path(), "firstversion").is_empty());
    // In an existing index, the first is an update and the second a repeat of it.
    let s = index(dir.path(), &["--add", path.to_str().unwrap()]);
    assert_eq!(
        (s.read, s.added, s.updated, s.repeated, s.documents),
        (2, 0, 1, 1, 1)
    );
}

#[test]
fn merge_makes_a_fresh_build_one_segment_without_replaced_papers() {
    let dir = TempDir::new().unwrap();
    // Ten papers, one of them twice: one paper in eleven replaced, too few for tantivy's own
    // merges to rewrite the segment.
    let mut lines: Vec<String> = (0..10)
        .map(|i| paper(&format!("p-{i}"), "ordinary"))
        .collect();
    lines.push(paper("p-1", "secondversion"));
    let path = dir.path().join("dup.jsonl");
    fs::write(&path, lines.join("\n")).unwrap();
    let plain = dir.path().join("plain");
    fs::create_dir(&plain).unwrap();
    fs::copy(&path, plain.join("dup.jsonl")).unwrap();
    index(&plain, &["dup.jsonl"]);
    assert_eq!(
        stats(&plain).deleted,
        1,
        "without --merge the replaced paper stays"
    );

    index(dir.path(), &["--merge", path.to_str().unwrap()]);
    // The first version is gone from the files too, not only marked deleted.
    let st = stats(dir.path());
    assert_eq!((st.documents, st.deleted, st.segments), (10, 0, 1));
    assert_eq!(segment_files_on_disk(&dir.path().join("idx")), 1);
    assert_eq!(found(dir.path(), "secondversion"), ["p-1"]);
}

#[test]
fn merge_after_adds_leaves_one_segment() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 50);
    index(dir.path(), &[a.to_str().unwrap()]);
    for round in 0..3 {
        let b = corpus(
            dir.path(),
            &format!("b{round}.jsonl"),
            &format!("b{round}"),
            5,
        );
        index(dir.path(), &["--add", b.to_str().unwrap()]);
    }
    assert!(stats(dir.path()).segments > 1);
    let changed = dir.path().join("changed.jsonl");
    fs::write(&changed, paper("a-1", "rewritten")).unwrap();
    index(dir.path(), &["--add", "--merge", changed.to_str().unwrap()]);
    let st = stats(dir.path());
    assert_eq!((st.documents, st.deleted, st.segments), (65, 0, 1));
    assert_eq!(segment_files_on_disk(&dir.path().join("idx")), 1);
    assert_eq!(found(dir.path(), "rewritten"), ["a-1"]);
    assert_eq!(found(dir.path(), "id:b2-4"), ["b2-4"]);
}

/// How many segments have files in the index's generation directory (live or not).
fn segment_files_on_disk(index: &Path) -> usize {
    let mut ids = std::collections::HashSet::new();
    for entry in fs::read_dir(index).unwrap().flatten() {
        if !entry.file_name().to_string_lossy().starts_with("gen-") {
            continue;
        }
        for file in fs::read_dir(entry.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some((id, _)) = name.split_once('.') {
                if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    ids.len()
}

#[test]
fn add_of_a_new_file_adds_its_papers() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 100);
    let b = corpus(dir.path(), "b.jsonl", "b", 40);
    index(dir.path(), &[a.to_str().unwrap()]);
    let s = index(dir.path(), &["--add", b.to_str().unwrap()]);
    assert_eq!((s.read, s.added, s.updated, s.documents), (40, 40, 0, 140));
    assert_eq!(found(dir.path(), "id:a-1"), ["a-1"]);
    assert_eq!(found(dir.path(), "id:b-1"), ["b-1"]);
}

#[test]
fn add_of_a_changed_paper_replaces_it() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 100);
    index(dir.path(), &[a.to_str().unwrap()]);
    let change = dir.path().join("change.jsonl");
    fs::write(&change, paper("a-42", "zyxwvut")).unwrap();
    let s = index(dir.path(), &["--add", change.to_str().unwrap()]);
    assert_eq!((s.added, s.updated, s.documents), (0, 1, 100));
    assert_eq!(found(dir.path(), "zyxwvut"), ["a-42"]);
    // The old version's text no longer finds it.
    let ordinary = found(dir.path(), "ordinary");
    assert_eq!(ordinary.len(), 99);
    assert!(!ordinary.contains(&"a-42".to_string()));
    assert_eq!(found(dir.path(), "id:a-42").len(), 1);
}

#[test]
fn remove_deletes_papers_and_says_which_were_unknown() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 100);
    index(dir.path(), &[a.to_str().unwrap()]);
    let out = cmd(dir.path())
        .args(["--index", "idx", "remove", "a-3", "a-4", "nope-1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no paper with id nope-1"), "{stderr}");
    assert!(stderr.contains("removed 2"), "{stderr}");
    assert!(found(dir.path(), "id:a-3").is_empty());
    assert_eq!(stats(dir.path()).documents, 98);
    // An id given twice is one paper removed, and said so.
    let out = cmd(dir.path())
        .args(["--index", "idx", "remove", "a-5", "a-5", "a-5"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("removed 1 paper"), "{stderr}");
    assert_eq!(stats(dir.path()).documents, 97);
    // Nothing to remove: exit 1, as grep finding nothing.
    cmd(dir.path())
        .args(["--index", "idx", "remove", "a-3"])
        .assert()
        .code(1);
}

#[test]
fn the_command_a_search_suggests_works_when_pasted_into_a_shell_whatever_the_paths() {
    let dir = TempDir::new().unwrap();
    let folder = dir.path().join("my papers");
    fs::create_dir(&folder).unwrap();
    let a = corpus(&folder, "it's.jsonl", "a", 3);
    let index_in = |args: &[&str]| {
        cmd(dir.path())
            .args(["--index", "the index $HOME"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(index_in(&["index", a.to_str().unwrap()]).status.success());
    let mut text = fs::read_to_string(&a).unwrap();
    text.push_str(&paper("a-new", "freshword"));
    fs::write(&a, text).unwrap();
    let out = index_in(&["search", "drift"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("hint: `paperdex"))
        .and_then(|l| l.split('`').next())
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    // Run as a user would paste it, with this build's binary for `paperdex`.
    let binary = assert_cmd::cargo::cargo_bin("paperdex");
    let pasted = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}'{hint}", binary.display()))
        .current_dir(dir.path())
        .env_remove("PAPERDEX_INDEX")
        .output()
        .unwrap();
    assert!(
        pasted.status.success(),
        "{hint}: {}",
        String::from_utf8_lossy(&pasted.stderr)
    );
    let out = index_in(&["search", "--count", "freshword"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("changed since"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_search_never_rebuilds_an_index_named_with_index_and_says_its_sources_changed() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 30);
    index(dir.path(), &[a.to_str().unwrap()]);
    cmd(dir.path())
        .args(["--index", "idx", "remove", "a-3"])
        .assert()
        .success();
    let manifest = fs::read(dir.path().join("idx/paperdex.json")).unwrap();
    // The source changes: a paper more.
    let mut text = fs::read_to_string(&a).unwrap();
    text.push_str(&paper("a-new", "freshword"));
    fs::write(&a, text).unwrap();
    let out = cmd(dir.path())
        .args(["--index", "idx", "search", "--json", "-n", "100", "drift"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the sources of the index in idx changed since it was built"),
        "{stderr}"
    );
    assert!(stderr.contains("a.jsonl"), "{stderr}");
    assert!(stderr.contains("--index idx index "), "{stderr}");
    assert!(!stderr.contains("rebuilding"), "{stderr}");
    // Searched as it was: the removed paper stays removed, the new one is not there yet.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 29);
    assert!(found(dir.path(), "id:a-3").is_empty());
    assert!(found(dir.path(), "freshword").is_empty());
    assert_eq!(
        fs::read(dir.path().join("idx/paperdex.json")).unwrap(),
        manifest
    );
    // `--add` keeps the index's word that papers were removed from it; a full `index` is what
    // brings it up to date.
    let b = corpus(dir.path(), "b.jsonl", "b", 2);
    index(dir.path(), &["--add", b.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("idx/paperdex.json")).unwrap()).unwrap();
    assert_eq!(manifest["papers_removed"], true);
    index(dir.path(), &[a.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("idx/paperdex.json")).unwrap()).unwrap();
    assert!(manifest.get("papers_removed").is_none(), "{manifest}");
    assert_eq!(found(dir.path(), "freshword"), ["a-new"]);
    let out = cmd(dir.path())
        .args(["--index", "idx", "search", "drift"])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn many_deletions_are_merged_away() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 200);
    index(dir.path(), &["--threads", "1", a.to_str().unwrap()]);
    // A few deletions stay as deletion marks: rewriting a segment for them would not pay.
    cmd(dir.path())
        .args(["--index", "idx", "remove", "a-0", "a-1"])
        .assert()
        .success();
    assert_eq!(stats(dir.path()).deleted, 2);
    // Past a fifth of the segment, it is rewritten without them.
    let ids: Vec<String> = (2..60).map(|i| format!("a-{i}")).collect();
    cmd(dir.path())
        .args(["--index", "idx", "remove"])
        .args(&ids)
        .assert()
        .success();
    let s = stats(dir.path());
    assert_eq!((s.documents, s.deleted), (140, 0));
}

#[test]
fn repeated_adds_keep_the_segment_count_bounded() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 50);
    index(dir.path(), &[a.to_str().unwrap()]);
    for round in 0..20 {
        let b = corpus(
            dir.path(),
            &format!("b{round}.jsonl"),
            &format!("b{round}"),
            5,
        );
        index(
            dir.path(),
            &["--add", "--threads", "1", b.to_str().unwrap()],
        );
    }
    let s = stats(dir.path());
    assert_eq!(s.documents, 150);
    // Each add writes a segment; eight of a size are merged into one.
    assert!(s.segments < 10, "{} segments after 20 adds", s.segments);
}

#[test]
fn rebuild_starts_from_scratch() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 30);
    let b = corpus(dir.path(), "b.jsonl", "b", 10);
    index(dir.path(), &[a.to_str().unwrap()]);
    let s = index(dir.path(), &["--rebuild", b.to_str().unwrap()]);
    // The 30 papers of a.jsonl are gone, and the summary says so.
    assert_eq!(
        (s.added, s.updated, s.removed, s.documents),
        (10, 0, 30, 10)
    );
    assert!(found(dir.path(), "id:a-1").is_empty());
    // Rebuilt from b.jsonl again: the same papers, counted as updated.
    let s = index(dir.path(), &["--rebuild", b.to_str().unwrap()]);
    assert_eq!((s.added, s.updated, s.removed, s.documents), (0, 10, 0, 10));
}

#[test]
fn a_listing_with_no_papers_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 30);
    index(dir.path(), &[a.to_str().unwrap()]);
    let cut = dir.path().join("cut-2024.txt");
    fs::write(&cut, "| Total: 51\n\n").unwrap();
    for extra in [&[][..], &["--rebuild"][..]] {
        cmd(dir.path())
            .args(["--index", "idx", "index"])
            .args(extra)
            .arg(&cut)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "cut-2024.txt: holds no papers (its header says 51); nothing was changed",
            ));
        assert_eq!(stats(dir.path()).documents, 30);
    }
    // Nor does a run every record of which `--skip-invalid` passes over.
    let bad = dir.path().join("bad.jsonl");
    fs::write(&bad, "{\"id\": \"x\"}\nnot json\n").unwrap();
    for extra in [
        &["--skip-invalid"][..],
        &["--skip-invalid", "--rebuild"][..],
    ] {
        cmd(dir.path())
            .args(["--index", "idx", "index"])
            .args(extra)
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "no papers could be read: all 2 records are invalid (the first: ",
            ))
            .stderr(predicates::str::contains(
                "bad.jsonl:1: missing or null field `title`); nothing was changed",
            ));
        assert_eq!(stats(dir.path()).documents, 30);
    }
    // A listing whose header says it holds none is what it says, not a cut one.
    fs::write(&cut, "| Total: 0\n\n").unwrap();
    cmd(dir.path())
        .args(["--index", "idx", "index", "--add"])
        .arg(&cut)
        .assert()
        .code(0);
    assert_eq!(stats(dir.path()).documents, 30);
}

#[test]
fn two_listings_of_one_name_are_refused_not_merged() {
    let dir = TempDir::new().unwrap();
    let listing = |year: &str| {
        let folder = dir.path().join(year);
        fs::create_dir_all(&folder).unwrap();
        let path = folder.join("iclr.txt");
        fs::write(
            &path,
            format!("#1 Paper of {year}\n\nAuthor: Ann\n\nAbout {year}.\n"),
        )
        .unwrap();
        path
    };
    let (a, b) = (listing("2023"), listing("2024"));
    // Both ids would be iclr-1: the second paper would silently replace the first.
    cmd(dir.path())
        .args(["--index", "idx", "index"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "would give their papers the same ids (iclr-1, iclr-2, ...",
        ))
        .stderr(predicates::str::contains("2023/iclr.txt"))
        .stderr(predicates::str::contains("2024/iclr.txt"));
    assert!(!dir.path().join("idx").join("paperdex.json").exists());
    // Nor by `--add` beside the one the index holds; the same file again is an update.
    index(dir.path(), &[a.to_str().unwrap()]);
    cmd(dir.path())
        .args(["--index", "idx", "index", "--add"])
        .arg(&b)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("2023/iclr.txt and "));
    assert_eq!(found(dir.path(), "about"), ["iclr-1"]);
    assert_eq!(found(dir.path(), "2023"), ["iclr-1"]);
    let s = index(dir.path(), &["--add", a.to_str().unwrap()]);
    assert_eq!((s.added, s.updated), (0, 1));
}

#[test]
fn export_round_trips_through_a_new_index() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 60);
    // Listing papers (numbers, the year of the file name) and text that cleaning changes.
    let listing = dir.path().join("conf-2024.txt");
    fs::write(
        &listing,
        "| Total: 2\n\n#1 On \\textit{Graphs} \\& $\\{1, 2\\}$ sets [PDF]\n\nAuthors: Ann Bö ; Li {Wei}\n\nUp to 14\\% faster; A &amp; B. Ini- tial results on \\{x\\}.\n\n#2 Second\n\nAuthor: Solo\n\nNo summary was provided.\n",
    )
    .unwrap();
    index(
        dir.path(),
        &[a.to_str().unwrap(), listing.to_str().unwrap()],
    );
    cmd(dir.path())
        .args(["--index", "idx", "remove", "a-5"])
        .assert()
        .success();
    let first = export_sorted(dir.path(), "idx");
    assert_eq!(first.len(), 61);
    fs::write(dir.path().join("export.ndjson"), first.join("\n") + "\n").unwrap();
    let out = cmd(dir.path())
        .args(["--index", "idx2", "index", "--json", "export.ndjson"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(export_sorted(dir.path(), "idx2"), first);
    // Every key on every line, in the stable order.
    let line = first.iter().find(|l| l.contains("conf-2024-1")).unwrap();
    let keys = [
        "id", "venue", "year", "number", "title", "authors", "abstract", "url", "cleaned",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
    assert!(line.starts_with(r#"{"id":"conf-2024-1","venue":"conf-2024","year":2024,"number":1,"#));
}

#[test]
fn export_to_a_file() {
    let dir = TempDir::new().unwrap();
    let a = corpus(dir.path(), "a.jsonl", "a", 10);
    index(dir.path(), &[a.to_str().unwrap()]);
    cmd(dir.path())
        .args(["--index", "idx", "export", "--output", "out.ndjson"])
        .assert()
        .success()
        .stdout("");
    let text = fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    assert_eq!(text.lines().count(), 10);
    // A new file gets the umask's permissions, readable by others as any file `>` makes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("out.ndjson"))
            .unwrap()
            .permissions()
            .mode();
        assert_ne!(mode & 0o044, 0, "mode {mode:o}");
    }
    // A device is written in place, not renamed over: /dev/stdout stays the process's output.
    cmd(dir.path())
        .args(["--index", "idx", "export", "--output", "/dev/stdout"])
        .assert()
        .success()
        .stdout(predicates::function::function(|out: &str| {
            out.lines().count() == 10
        }));
    // `-` is stdout too, as for most tools, not a file named `-`.
    cmd(dir.path())
        .args(["--index", "idx", "export", "--output", "-"])
        .assert()
        .success()
        .stdout(predicates::function::function(|out: &str| {
            out.lines().count() == 10
        }));
    assert!(!dir.path().join("-").exists());
    // A folder that is not there is named; the file paperdex writes aside is not.
    cmd(dir.path())
        .args(["--index", "idx", "export", "--output", "no/such/out.ndjson"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot create a file in no/such: No such file or directory",
        ))
        .stderr(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains(".tmp"),
        ));
    // Where stdout is a file the shell appends to (`>> log`), the export goes after what the
    // file held, not over it.
    let log = dir.path().join("log.txt");
    fs::write(&log, "HEADER\n").unwrap();
    let appended = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_paperdex"))
        .current_dir(dir.path())
        .args(["--index", "idx", "export", "--output", "/dev/stdout"])
        .stdout(appended)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("HEADER\n{"), "{text}");
    assert_eq!(text.lines().count(), 11);
    #[cfg(target_os = "linux")]
    assert!(fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
}

/// The paperlists file, or `None` (with a note) when the scale tests are off or it is absent.
fn paperlists() -> Option<PathBuf> {
    if std::env::var_os("PAPERDEX_SCALE_TESTS").is_none_or(|v| v != "1") {
        eprintln!(
            "skipped: set PAPERDEX_SCALE_TESTS=1 to run the paperlists tests (about a minute)"
        );
        return None;
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/paperlists/abstracts.jsonl.gz");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return None;
    }
    Some(path)
}

#[test]
fn paperlists_reindexed_unchanged_has_no_duplicates() {
    let Some(path) = paperlists() else { return };
    let dir = TempDir::new().unwrap();
    let first = index(dir.path(), &[path.to_str().unwrap()]);
    assert_eq!((first.read, first.added), (87_669, 87_669));
    let again = index(dir.path(), &[path.to_str().unwrap()]);
    assert_eq!((again.added, again.updated, again.removed), (0, 87_669, 0));
    assert_eq!(stats(dir.path()).documents, 87_669);
    // And its export round-trips.
    let exported = export_sorted(dir.path(), "idx");
    assert_eq!(exported.len(), 87_669);
    fs::write(dir.path().join("export.ndjson"), exported.join("\n") + "\n").unwrap();
    cmd(dir.path())
        .args(["--index", "idx2", "index", "export.ndjson"])
        .assert()
        .success();
    assert!(export_sorted(dir.path(), "idx2") == exported);
}
