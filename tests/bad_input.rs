//! Bad input through the CLI: each case exits 2 (or ingests what is valid and says what it
//! skipped), names the file and line or the query column, never panics, and leaves an existing
//! index exactly as it was.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use predicates::prelude::*;
use tempfile::TempDir;

use common::{cmd, workdir, SEED};

/// What the index holds and answers, to compare before and after a rejected run.
fn snapshot(dir: &TempDir) -> (String, String) {
    let stats = cmd(dir).args(["stats", "--json"]).output().unwrap();
    let hits = cmd(dir)
        .args([
            "search",
            "--json",
            "-n",
            "1000",
            "training OR model OR data",
        ])
        .output()
        .unwrap();
    let docs: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    (
        format!("{} {}", docs["documents"], docs["venues"]),
        String::from_utf8(hits.stdout).unwrap(),
    )
}

/// Indexes the seed, runs `args` expecting exit 2 and `message` on stderr, then checks the
/// index is unchanged.
fn rejected_and_index_unchanged(file: &str, content: &[u8], message: &str) {
    let dir = workdir();
    cmd(&dir).arg("index").assert().code(0);
    let before = snapshot(&dir);
    let path = dir.path().join(file);
    fs::File::create(&path).unwrap().write_all(content).unwrap();
    cmd(&dir)
        .arg("index")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(snapshot(&dir), before, "{file}");
    // --add too: in-place updates are rolled back.
    cmd(&dir)
        .args(["index", "--add"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(snapshot(&dir), before, "{file} --add");
}

#[test]
fn listing_with_invalid_utf8_names_the_line() {
    let mut bytes = SEED.as_bytes()[..2000].to_vec();
    bytes.extend_from_slice(b"\n\n#99 Bad \xff\xfe bytes [PDF]\n\nAuthor: X\n\nText.\n");
    rejected_and_index_unchanged("bad.txt", &bytes, "bad.txt:");
}

#[test]
fn binary_file_is_rejected() {
    rejected_and_index_unchanged("blob.txt", &[0u8, 159, 146, 150, 0, 1, 2, 3], "binary");
}

#[test]
fn empty_file_is_rejected() {
    rejected_and_index_unchanged("empty.txt", b"", "empty");
}

#[test]
fn entry_without_title_names_its_line() {
    let text = "#1 Fine Paper [PDF]\n\nAuthor: A\n\nText one.\n\n#2\n\nAuthor: B\n\nText two.\n";
    rejected_and_index_unchanged("notitle.txt", text.as_bytes(), "notitle.txt:7:");
}

#[test]
fn duplicate_numbers_are_reported() {
    let text =
        "#1 One [PDF]\n\nAuthor: A\n\nText one.\n\n#1 Again [PDF]\n\nAuthor: B\n\nText two.\n";
    rejected_and_index_unchanged("dup.txt", text.as_bytes(), "dup.txt:7:");
}

#[test]
fn missing_authors_line_is_reported() {
    let text = "#1 One [PDF]\n\nJust an abstract with no authors line.\n";
    rejected_and_index_unchanged("noauthors.txt", text.as_bytes(), "noauthors.txt:3:");
}

#[test]
fn malformed_json_line_names_the_line() {
    let text = "{\"id\":\"a\",\"title\":\"T\",\"abstract\":\"x\"}\n{\"id\": \"b\", \"title\": \n";
    rejected_and_index_unchanged("bad.jsonl", text.as_bytes(), "bad.jsonl:2:");
}

#[test]
fn json_line_missing_title_or_with_wrong_types_is_reported() {
    let text = "{\"id\":\"a\",\"abstract\":\"x\"}\n{\"id\":\"b\",\"title\":\"T\",\"authors\":7,\"abstract\":\"y\"}\n";
    rejected_and_index_unchanged("types.jsonl", text.as_bytes(), "types.jsonl:1:");
}

#[test]
fn truncated_gzip_is_reported() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(
            enc,
            "{{\"id\":\"p{i}\",\"title\":\"Paper {i}\",\"abstract\":\"About graphs {i}.\"}}"
        )
        .unwrap();
    }
    let gz = enc.finish().unwrap();
    rejected_and_index_unchanged("cut.jsonl.gz", &gz[..gz.len() / 2], "cut.jsonl.gz:");
}

#[test]
fn damaged_gzip_is_named_as_damaged_after_any_number_of_bad_lines() {
    // Varied text, so that four zeroed bytes in the middle of the stream inflate to garbage
    // lines (invalid records) before the checksum at its end fails.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut seed: u64 = 7;
    for i in 0..3000 {
        let words: Vec<String> = (0..60)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("w{}", seed >> 54)
            })
            .collect();
        writeln!(
            enc,
            "{{\"id\":\"p{i}\",\"title\":\"Paper {i}\",\"abstract\":\"{}\"}}",
            words.join(" ")
        )
        .unwrap();
    }
    let mut gz = enc.finish().unwrap();
    let middle = gz.len() / 2;
    gz[middle..middle + 4].fill(0);
    let dir = workdir();
    fs::write(dir.path().join("zeroed.jsonl.gz"), &gz).unwrap();
    let damaged = "zeroed.jsonl.gz:";
    // Without --skip-invalid: refused, naming the damage.
    cmd(&dir)
        .args(["index", "--index", "idx", "zeroed.jsonl.gz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(damaged));
    // With it: what was read is indexed, the invalid lines are counted (ten listed), and the
    // damage is said at the end however many came before.
    let out = cmd(&dir)
        .args([
            "index",
            "--index",
            "idx",
            "--skip-invalid",
            "zeroed.jsonl.gz",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let invalid = stderr
        .lines()
        .filter(|l| l.contains("invalid JSON"))
        .count();
    assert_eq!(invalid, 10, "{stderr}");
    assert!(
        stderr.contains(
            "the file is damaged (corrupt gzip stream does not have a matching checksum)"
        ),
        "{stderr}"
    );
}

#[test]
fn skip_invalid_indexes_the_rest_and_counts_what_it_skipped() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("mixed.jsonl");
    fs::write(
        &path,
        "{\"id\":\"a\",\"title\":\"Alpha graphs\",\"abstract\":\"x\"}\nnot json\n{\"id\":\"b\",\"title\":\"Beta graphs\",\"abstract\":\"y\"}\n",
    )
    .unwrap();
    cmd(&dir)
        .args(["index", "--skip-invalid"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("mixed.jsonl:2:"))
        .stderr(predicate::str::contains("1 skipped"));
    cmd(&dir)
        .args(["search", "--count", "graphs"])
        .assert()
        .code(0)
        .stdout("2\n");
}

#[test]
fn skip_invalid_skips_a_file_it_cannot_read_at_all_and_indexes_the_rest() {
    let dir = TempDir::new().unwrap();
    let sources = dir.path().join("papers");
    fs::create_dir(&sources).unwrap();
    fs::write(sources.join("mlsys-2022.txt"), SEED).unwrap();
    fs::write(sources.join("blob.txt"), b"abc\0def").unwrap();
    fs::write(sources.join("fake.jsonl.gz"), b"not gzip at all").unwrap();
    // Without it, the run stops at the first and nothing changes.
    cmd(&dir)
        .args(["index", "papers"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("blob.txt: looks binary"));
    cmd(&dir)
        .args(["index", "--skip-invalid", "papers"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("blob.txt: looks binary"))
        .stderr(predicate::str::contains(
            "fake.jsonl.gz: not a readable gzip file",
        ))
        .stderr(predicate::str::contains("2 skipped"));
    cmd(&dir)
        .args(["search", "--count", "drift"])
        .assert()
        .code(0)
        .stdout("1\n");
    // Nothing readable at all is still refused.
    cmd(&dir)
        .args(["index", "--skip-invalid"])
        .arg(sources.join("blob.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no papers could be read"));
}

#[test]
fn skip_invalid_skips_a_listing_of_no_papers_and_lists_every_file_it_skips() {
    let dir = TempDir::new().unwrap();
    let sources = dir.path().join("papers");
    fs::create_dir(&sources).unwrap();
    fs::write(sources.join("mlsys-2022.txt"), SEED).unwrap();
    fs::write(sources.join("header.txt"), "| Total: 51\n").unwrap();
    fs::write(sources.join("blank.txt"), "\n\n").unwrap();
    // Twelve invalid records first, more than are listed one by one.
    fs::write(
        sources.join("a-bad.jsonl"),
        "{\"id\": \"x\"}\n".repeat(12)
            + "{\"id\": \"ok\", \"title\": \"Fine\", \"abstract\": \"x\"}\n",
    )
    .unwrap();
    fs::write(sources.join("b-blob.txt"), b"abc\0def").unwrap();
    // Without it, a listing of no papers is refused as an empty file is.
    cmd(&dir)
        .args(["index", "papers/header.txt", "papers/mlsys-2022.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "header.txt: holds no papers (its header says 51)",
        ));
    cmd(&dir)
        .args(["index", "--skip-invalid", "papers"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("header.txt: holds no papers"))
        .stderr(predicate::str::contains("blank.txt: holds no papers"))
        // A whole file is listed however many records were listed before it.
        .stderr(predicate::str::contains("b-blob.txt: looks binary"))
        .stderr(predicate::str::contains(
            "2 more invalid records, not listed",
        ))
        .stderr(predicate::str::contains("15 skipped"));
    cmd(&dir)
        .args(["search", "--count", "id:ok OR id:mlsys-2022-1"])
        .assert()
        .code(0)
        .stdout("2\n");
}

#[cfg(unix)]
#[test]
fn a_link_to_nothing_or_a_pipe_in_a_source_folder_is_skipped() {
    let dir = TempDir::new().unwrap();
    let sources = dir.path().join("papers");
    fs::create_dir(&sources).unwrap();
    fs::write(sources.join("mlsys-2022.txt"), SEED).unwrap();
    std::os::unix::fs::symlink("/no/such/listing.txt", sources.join("gone.txt")).unwrap();
    // A pipe in a folder is not waited on (one named on its own, `/dev/stdin`, is read).
    let fifo = std::process::Command::new("mkfifo")
        .arg(sources.join("pipe.jsonl"))
        .status();
    assert!(fifo.is_ok_and(|s| s.success()));
    cmd(&dir)
        .args(["index", "papers"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("skipped"))
        .stderr(predicate::str::contains("gone.txt: a link to nothing"))
        .stderr(predicate::str::contains("25 papers"));
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_named_before_anything_is_built() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new().unwrap();
    let sources = dir.path().join("papers");
    fs::create_dir(&sources).unwrap();
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9-2021.txt");
    fs::write(sources.join(latin1), SEED).unwrap();
    cmd(&dir)
        .args(["index", "papers"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("caf"))
        .stderr(predicate::str::contains("not valid UTF-8"));
    assert!(!dir.path().join("index").join("paperdex.json").exists());
    fs::write(sources.join("mlsys-2022.txt"), SEED).unwrap();
    cmd(&dir)
        .args(["index", "--skip-invalid", "papers"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("skipped"))
        .stderr(predicate::str::contains("25 papers"));
    let generations = fs::read_dir(dir.path().join("index"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(generations, 1);
}

#[test]
fn directory_without_sources_and_missing_paths_are_errors() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("nothing")).unwrap();
    fs::write(dir.path().join("nothing/readme.md"), "hi").unwrap();
    cmd(&dir)
        .args(["index", "nothing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing"));
    cmd(&dir)
        .args(["index", "no/such/file.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.txt"));
}

#[test]
fn index_refuses_a_directory_that_is_not_an_index() {
    let dir = workdir();
    fs::create_dir(dir.path().join("precious")).unwrap();
    fs::write(dir.path().join("precious/thesis.tex"), "do not delete").unwrap();
    cmd(&dir)
        .args(["index", "--index", "precious"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no paperdex index"));
    assert!(Path::new(&dir.path().join("precious/thesis.tex")).exists());
    // The other commands say why nothing is there, rather than suggesting a build that would
    // be refused.
    for args in [
        &["stats"][..],
        &["search", "drift"],
        &["export"],
        &["check"],
    ] {
        cmd(&dir)
            .args(["--index", "precious"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("thesis.tex"))
            .stderr(predicate::str::contains("choose another --index directory"))
            .stderr(predicate::str::contains("builds one").not());
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("precious/thesis.tex")).unwrap(),
        "do not delete"
    );
    // An index's own files, as a build killed before its first commit leaves them, are not
    // someone else's: the hint is to build it.
    cmd(&dir)
        .args(["index", "--index", "half"])
        .assert()
        .code(0);
    fs::remove_file(dir.path().join("half/paperdex.json")).unwrap();
    cmd(&dir)
        .args(["--index", "half", "stats"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("builds one"))
        .stderr(predicate::str::contains("holds other files").not());
}

#[test]
fn hostile_queries_search_or_exit_2_never_panic() {
    let dir = workdir();
    cmd(&dir).arg("index").assert().code(0);
    let long = "graph ".repeat(20_000);
    for q in [
        "\"unbalanced",
        "((graph",
        "graph))",
        "foo:bar",
        "title:",
        "-",
        "*",
        "",
        "   ",
        "\u{1}\u{7}\u{1b}[31m",
        "the of and",
        "!!! ??? ...",
        long.as_str(),
        "\"\"",
        "title:\"\"",
        "NOT NOT NOT",
        "AND OR",
        "-graph",
        "+",
        "\"a b\"~999999999999",
        "graph^2",
        "a:b:c",
    ] {
        let out = cmd(&dir).arg("search").arg("--").arg(q).output().unwrap();
        let code = out.status.code();
        assert!(matches!(code, Some(0..=2)), "{q:?}: {code:?}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{q:?}"
        );
    }
}

#[test]
fn queries_nested_past_a_hundred_levels_are_refused_and_up_to_it_are_searched() {
    let dir = workdir();
    cmd(&dir).arg("index").assert().code(0);
    let nested =
        |open: &str, close: &str, n: usize| format!("{}drift{}", open.repeat(n), close.repeat(n));
    for deep in [
        nested("NOT ", "", 101),
        nested("(", ")", 101),
        nested("-(", ")", 60),
        nested("title:(", ")", 101),
        nested("NOT ", "", 5000),
        nested("(", ")", 10_000),
    ] {
        cmd(&dir)
            .args(["search", "--", &deep])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("nested more than 100 deep"))
            .stderr(predicate::str::contains("panicked").not());
    }
    // At the limit every command that reads a query still answers.
    for ok in [
        nested("(", ")", 100),
        nested("+", "", 100),
        nested("NOT ", "", 100),
    ] {
        for args in [
            vec!["search", "--json", "--"],
            vec!["search", "--count", "--"],
            vec!["search", "--explain", "--"],
        ] {
            let out = cmd(&dir).args(&args).arg(&ok).output().unwrap();
            assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?} {ok}");
        }
    }
    cmd(&dir)
        .args(["search", "--count", "--", &nested("(", ")", 100)])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty().not());
}

#[test]
fn bad_options_are_usage_errors() {
    let dir = workdir();
    cmd(&dir)
        .args(["search", "x", "--limit", "-1"])
        .assert()
        .code(2);
    cmd(&dir)
        .args(["search", "x", "--limit", "abc"])
        .assert()
        .code(2);
    cmd(&dir).args(["index", "--memory", "1"]).assert().code(2);
    cmd(&dir).args(["index", "--threads", "0"]).assert().code(2);
}
