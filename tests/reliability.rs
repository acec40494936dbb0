//! Faults through the CLI, as a user meets them: an index directory that is missing, a file,
//! unreadable, read-only or someone else's; damaged, truncated or foreign index files; an index
//! of another format version; two writers at once and searches during a write; a process killed
//! in the middle of indexing; a full disk. Each ends in the old index or the new one, never a
//! part, and in a clear message (exit 2) rather than a panic.
//!
//! Some faults need root to stage (a read-only or tmpfs mount, another user): those tests say
//! why on stderr and pass without checking where the machine does not allow it.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde::Deserialize;
use tempfile::TempDir;

use common::{cmd, workdir};

const BIN: &str = env!("CARGO_BIN_EXE_paperdex");

fn std_cmd(dir: &Path) -> StdCommand {
    let mut c = StdCommand::new(BIN);
    c.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("PAPERDEX_INDEX");
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2 with `message` on stderr, and no panic.
fn fails_with(out: Output, message: &str) {
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(message), "expected {message:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[derive(Debug, Deserialize)]
struct JsonHit {
    id: String,
    score: f32,
}

/// What an index answers: its documents per venue, every paper that matches a few queries, and
/// the ranked top hits of a few more.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    papers: Papers,
    /// Per query: the top hits as `(id, score to 3 decimals)`, best first.
    top: Vec<Vec<(String, String)>>,
}

/// Which papers an index holds and which of them match: what a partial index would get wrong.
#[derive(Debug, Clone, PartialEq)]
struct Papers {
    documents: u64,
    venues: String,
    /// Per query: the number of matches, and the sorted ids of every match for [`MATCHED`]
    /// (where they are at most 5000).
    matches: Vec<(String, Vec<String>)>,
}

/// Queries whose every match is compared.
const MATCHED: &[&str] = &[
    "\"reinforcement learning\"",
    "title:(diffusion OR drift)",
    "robot* AND NOT vision",
];

/// Queries whose top hits and scores are compared.
const QUERIES: &[&str] = &[
    "graph neural networks",
    "\"reinforcement learning\"",
    "title:(diffusion OR drift)",
    "robot* AND NOT vision",
    "training",
];

fn json_hits(dir: &Path, index: &str, q: &str, n: usize) -> Vec<JsonHit> {
    let out = std_cmd(dir)
        .args(["--index", index, "search", "--json", "-n"])
        .arg(n.to_string())
        .args(["--", q])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{q}: {}",
        stderr(&out)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Snapshot of the index in `index` (relative to `dir`); `None` when it cannot be opened.
fn snapshot(dir: &Path, index: &str) -> Option<Snapshot> {
    let stats = std_cmd(dir)
        .args(["--index", index, "stats", "--json"])
        .output()
        .unwrap();
    assert!(!stderr(&stats).contains("panicked"), "{}", stderr(&stats));
    if !stats.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let mut matches = Vec::new();
    for q in QUERIES {
        let count = std_cmd(dir)
            .args(["--index", index, "search", "--count", "--", q])
            .output()
            .unwrap();
        assert!(
            matches!(count.status.code(), Some(0 | 1)),
            "{q}: {}",
            stderr(&count)
        );
        let count = String::from_utf8(count.stdout).unwrap();
        let mut ids = Vec::new();
        // Every match, where there are few enough to list (the top 5000 of more would depend
        // on scores, which `--add` leaves unsettled until tantivy merges).
        if MATCHED.contains(q) && count.trim().parse::<usize>().unwrap() <= 5000 {
            ids = json_hits(dir, index, q, 5000)
                .into_iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
        }
        matches.push((count, ids));
    }
    let mut top = Vec::new();
    for q in QUERIES {
        let mut hits = json_hits(dir, index, q, 20);
        // Papers tied at the cut-off may come in either order: keep only those above it.
        if hits.len() == 20 {
            let last = hits[19].score;
            hits.retain(|h| h.score > last + 1e-4);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        top.push(
            hits.into_iter()
                .map(|h| (h.id, format!("{:.3}", h.score)))
                .collect(),
        );
    }
    Some(Snapshot {
        papers: Papers {
            documents: v["documents"].as_u64().unwrap(),
            venues: v["venues"].to_string(),
            matches,
        },
        top,
    })
}

/// `gen-*` directories in an index home.
fn generations(home: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    v.sort();
    v
}

/// The tantivy directory the manifest names.
fn generation_dir(home: &Path) -> PathBuf {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(home.join("paperdex.json")).unwrap()).unwrap();
    home.join(m["generation"].as_str().unwrap())
}

/// Copies an index home (its files and its flat `gen-*` directories).
fn copy_home(from: &Path, to: &Path) {
    if to.exists() {
        fs::remove_dir_all(to).unwrap();
    }
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir(&target).unwrap();
            for f in fs::read_dir(entry.path()).unwrap().flatten() {
                fs::copy(f.path(), target.join(f.file_name())).unwrap();
            }
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A small deterministic random number generator (xorshift*), so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "graph",
    "neural",
    "networks",
    "training",
    "learning",
    "reinforcement",
    "robot",
    "robotic",
    "vision",
    "diffusion",
    "model",
    "models",
    "data",
    "drift",
    "transformer",
    "attention",
    "sparse",
    "gradient",
    "optimization",
    "inference",
    "latency",
    "memory",
    "compiler",
    "kernel",
    "distributed",
    "federated",
    "privacy",
    "language",
    "retrieval",
    "benchmark",
    "scaling",
    "quantization",
    "pruning",
    "embedding",
    "policy",
    "reward",
    "agent",
    "planning",
    "control",
    "the",
    "of",
    "and",
    "a",
    "in",
    "for",
    "with",
    "we",
    "propose",
    "show",
    "results",
];

/// A JSON Lines corpus of `n` made-up papers from the words above, with ids `{prefix}{i}`.
fn synthetic_corpus(path: &Path, prefix: &str, n: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut out = std::io::BufWriter::new(fs::File::create(path).unwrap());
    for i in 0..n {
        let words = |k: usize, rng: &mut Rng| {
            (0..k)
                .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let title = words(8, &mut rng);
        let abstract_text = words(150, &mut rng);
        let record = serde_json::json!({
            "id": format!("{prefix}{i}"),
            "venue": format!("synth{}", i % 3),
            "title": title,
            "authors": [format!("Author {}", rng.below(500)), "B. Writer"],
            "abstract": abstract_text,
        });
        writeln!(out, "{record}").unwrap();
    }
    out.flush().unwrap();
}

/// Runs `paperdex` as the unprivileged user `nobody` where this process is root (so that
/// permission bits apply to it), or as this user otherwise; `None` where neither can be done.
fn as_unprivileged(dir: &Path) -> Option<StdCommand> {
    let root = fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"));
    if !root {
        return Some(std_cmd(dir));
    }
    let ok = StdCommand::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let mut c = StdCommand::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        BIN,
    ])
    .current_dir(dir)
    .env_remove("NO_COLOR")
    .env_remove("PAPERDEX_INDEX");
    Some(c)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A mount made for a test, unmounted on drop (even when the test fails).
struct Mount(PathBuf);

impl Mount {
    /// Mounts with `mount ARGS... TARGET`; `None` where mounting is not permitted.
    fn new(args: &[&str], target: &Path) -> Option<Mount> {
        let out = StdCommand::new("mount")
            .args(args)
            .arg(target)
            .output()
            .ok()?;
        if out.status.success() {
            Some(Mount(target.to_path_buf()))
        } else {
            eprintln!(
                "cannot mount here ({}); skipping",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg("-l").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------------
// The index directory: missing, a file, unreadable, read-only, not an index.

#[test]
fn missing_index_directory_is_reported_or_built_from_the_corpus() {
    let dir = TempDir::new().unwrap();
    for (args, message) in [
        (&["stats"][..], "no index in nowhere"),
        (
            &["search", "drift"],
            "no index in nowhere and no corpus/ directory",
        ),
        (&["check"], "no index in nowhere"),
        (&["remove", "x-1"], "nowhere"),
    ] {
        fails_with(
            cmd(dir.path())
                .args(["--index", "nowhere"])
                .args(args)
                .output()
                .unwrap(),
            message,
        );
    }
    // The hint builds the index that was asked for, not the default one.
    for args in [&["stats"][..], &["search", "drift"], &["similar", "x-1"]] {
        fails_with(
            cmd(dir.path())
                .args(["--index", "nowhere"])
                .args(args)
                .output()
                .unwrap(),
            "`paperdex --index nowhere index FILE...`",
        );
    }
    assert!(
        !dir.path().join("nowhere").exists(),
        "a failed command created the directory"
    );
    // With a corpus, the first search builds the index and says so.
    let dir = workdir();
    cmd(dir.path())
        .args(["--index", "fresh/idx", "search", "drift"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "no index in fresh/idx; building it",
        ));
}

#[test]
fn index_path_that_is_a_file_is_reported_and_left_alone() {
    let dir = workdir();
    fs::write(dir.path().join("notes.txt"), "my notes").unwrap();
    for args in [
        &["search", "drift"][..],
        &["stats"],
        &["check"],
        &["remove", "mlsys-2022-1"],
    ] {
        fails_with(
            cmd(dir.path())
                .args(["--index", "notes.txt"])
                .args(args)
                .output()
                .unwrap(),
            "is not a directory",
        );
    }
    for args in [&["index"][..], &["index", "--rebuild"], &["index", "--add"]] {
        fails_with(
            cmd(dir.path())
                .args(["--index", "notes.txt"])
                .args(args)
                .output()
                .unwrap(),
            "not a directory",
        );
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "my notes"
    );
}

#[test]
fn unreadable_index_is_reported_not_rebuilt() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let before = snapshot(dir.path(), "index").unwrap();
    // A manifest that cannot be read (here: a directory in its place) is an I/O error.
    let manifest = dir.path().join("index/paperdex.json");
    let saved = fs::read(&manifest).unwrap();
    fs::remove_file(&manifest).unwrap();
    fs::create_dir(&manifest).unwrap();
    fails_with(
        cmd(dir.path()).args(["search", "drift"]).output().unwrap(),
        "cannot read the index in index",
    );
    fails_with(
        cmd(dir.path()).args(["index"]).output().unwrap(),
        "cannot read the existing index",
    );
    fs::remove_dir(&manifest).unwrap();
    fs::write(&manifest, saved).unwrap();
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);

    // Permission bits: they bind only a user other than root.
    chmod(dir.path(), 0o755);
    chmod(&dir.path().join("index"), 0o000);
    let Some(mut c) = as_unprivileged(dir.path()) else {
        chmod(&dir.path().join("index"), 0o755);
        eprintln!("no way to run as another user here; skipping the permission case");
        return;
    };
    let out = c.args(["search", "drift"]).output().unwrap();
    chmod(&dir.path().join("index"), 0o755);
    fails_with(out, "Permission denied");
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);
}

#[test]
fn a_search_does_not_rebuild_over_a_listing_it_cannot_open() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    // Something else changed, so a rebuild is due; but the listing cannot be opened just now,
    // and a rebuild would drop its 25 papers.
    fs::write(
        dir.path().join("corpus/extra.jsonl"),
        r#"{"id": "x1", "title": "Drift", "abstract": "drift"}"#,
    )
    .unwrap();
    let listing = dir.path().join("corpus/mlsys-2022.txt");
    chmod(&listing, 0o000);
    let Some(mut c) = as_unprivileged(dir.path()) else {
        chmod(&listing, 0o644);
        eprintln!("no way to run as another user here; skipping");
        return;
    };
    chmod(dir.path(), 0o755);
    let out = c
        .args(["search", "--count", "venue:mlsys-2022"])
        .output()
        .unwrap();
    chmod(&listing, 0o644);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "25", "{err}");
    assert!(!err.contains("rebuilding"), "{err}");
    assert!(err.contains("cannot be read: "), "{err}");
    assert!(err.contains("mlsys-2022.txt"), "{err}");
}

#[test]
fn read_only_index_is_searched_and_never_changed() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let before = snapshot(dir.path(), "index").unwrap();
    let check = |runner: &mut dyn FnMut(&[&str]) -> Output| {
        let out = runner(&["search", "--json", "drift"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("mlsys-2022-1"));
        let out = runner(&["stats"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let out = runner(&["check"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        for args in [
            &["index"][..],
            &["index", "--add", "corpus"],
            &["remove", "mlsys-2022-1"],
        ] {
            fails_with(runner(args), "cannot change the index in");
        }
    };

    // A read-only mount (root only).
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let idx = dir.path().join("index");
    if let Some(mount) = Mount::new(&["--bind", idx.to_str().unwrap()], &ro) {
        let remount = StdCommand::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(&ro)
            .status()
            .unwrap();
        assert!(remount.success());
        check(&mut |args| {
            std_cmd(dir.path())
                .args(["--index", "ro"])
                .args(args)
                .output()
                .unwrap()
        });
        drop(mount);
    }

    // Write permission withdrawn (binds a user other than root).
    chmod(dir.path(), 0o755);
    let gen = generation_dir(&idx);
    let mut paths = vec![idx.clone(), gen.clone()];
    paths.extend(fs::read_dir(&idx).unwrap().flatten().map(|e| e.path()));
    paths.extend(fs::read_dir(&gen).unwrap().flatten().map(|e| e.path()));
    for p in &paths {
        chmod(p, if p.is_dir() { 0o555 } else { 0o444 });
    }
    if as_unprivileged(dir.path()).is_some() {
        check(&mut |args| {
            as_unprivileged(dir.path())
                .unwrap()
                .args(args)
                .output()
                .unwrap()
        });
    } else {
        eprintln!("no way to run as another user here; skipping the permission case");
    }
    for p in &paths {
        chmod(p, if p.is_dir() { 0o755 } else { 0o644 });
    }
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);
}

#[test]
fn an_index_built_by_one_user_is_searched_by_another() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    // Both rewrite tantivy's metadata files, the way every commit does.
    cmd(dir.path())
        .args(["index", "--add", "corpus"])
        .assert()
        .code(0);
    cmd(dir.path())
        .args(["remove", "mlsys-2022-2"])
        .assert()
        .code(0);
    // A failed `--add` clears up after itself, writing tantivy's file list again.
    fs::write(dir.path().join("bad.jsonl"), "{\"title\": \"no id\"}\n").unwrap();
    cmd(dir.path())
        .args(["index", "--add", "bad.jsonl"])
        .assert()
        .code(2);
    // Only the directories are opened to others; the files keep the permissions they were
    // written with.
    chmod(dir.path(), 0o755);
    let Some(mut search) = as_unprivileged(dir.path()) else {
        eprintln!("no way to run as another user here; skipping");
        return;
    };
    let out = search.args(["search", "--json", "drift"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("mlsys-2022-1"));

    // A file the other user may not read is said to be that, not damaged.
    let meta = generation_dir(&dir.path().join("index")).join("meta.json");
    chmod(&meta, 0o600);
    let out = as_unprivileged(dir.path())
        .unwrap()
        .args(["search", "drift"])
        .output()
        .unwrap();
    if out.status.success() {
        eprintln!("running as the index's owner, whom permission bits do not stop; skipping");
    } else {
        let err = stderr(&out);
        fails_with(out, "cannot read meta.json: permission denied");
        assert!(err.contains("searching needs read access"), "{err}");
        assert!(!err.contains("damaged"), "{err}");
    }
    chmod(&meta, 0o644);
}

#[test]
fn a_folder_that_cannot_be_listed_stops_the_build_or_is_skipped_as_asked() {
    let dir = TempDir::new().unwrap();
    let papers = dir.path().join("papers");
    fs::create_dir_all(papers.join("locked")).unwrap();
    synthetic_corpus(&papers.join("open.jsonl"), "open", 3, 1);
    synthetic_corpus(&papers.join("locked/hidden.jsonl"), "hidden", 3, 2);
    // Another user builds the index in the folder; permission bits bind only them.
    chmod(dir.path(), 0o777);
    chmod(&papers.join("locked"), 0o000);
    let run = |args: &[&str]| as_unprivileged(dir.path()).map(|mut c| c.args(args).output());
    let Some(out) = run(&["--index", "idx", "index", "papers"]) else {
        chmod(&papers.join("locked"), 0o755);
        eprintln!("no way to run as another user here; skipping");
        return;
    };
    let out = out.unwrap();
    let skipped = run(&["--index", "idx", "index", "--skip-invalid", "papers"]);
    let listed = run(&["--index", "idx", "stats", "--json"]);
    // The folder still cannot be listed; the files beside it are still watched.
    synthetic_corpus(&papers.join("open.jsonl"), "open", 4, 1);
    let watched = run(&["--index", "idx", "search", "--count", "open3"]);
    chmod(&papers.join("locked"), 0o755);
    if out.status.success() {
        eprintln!("running as the folder's owner, whom permission bits do not stop; skipping");
        return;
    }
    fails_with(out, "papers/locked: cannot list directory");
    let skipped = skipped.unwrap().unwrap();
    let err = stderr(&skipped);
    assert_eq!(skipped.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: skipped") && err.contains("papers/locked: cannot list directory"),
        "{err}"
    );
    let listed = listed.unwrap().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(stats["documents"], 3, "{}", stderr(&listed));
    let watched = watched.unwrap().unwrap();
    assert!(
        stderr(&watched).contains("changed since it was built (new or changed: ")
            && stderr(&watched).contains("open.jsonl"),
        "{}",
        stderr(&watched)
    );
}

#[test]
fn index_never_deletes_what_it_did_not_create() {
    let dir = workdir();
    // A directory of someone else's files, including one named like a generation.
    let precious = dir.path().join("precious");
    fs::create_dir_all(precious.join("gen-drafts")).unwrap();
    fs::write(precious.join("thesis.tex"), "do not delete").unwrap();
    fs::write(precious.join("gen-drafts/ch1.tex"), "nor this").unwrap();
    for args in [
        &["index"][..],
        &["index", "--rebuild"],
        &["index", "--add", "corpus"],
        &["remove", "mlsys-2022-1"],
        &["search", "drift"],
    ] {
        let out = cmd(dir.path())
            .args(["--index", "precious"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    assert!(precious.join("thesis.tex").exists());
    assert!(precious.join("gen-drafts/ch1.tex").exists());
    let names: Vec<_> = fs::read_dir(&precious).unwrap().flatten().collect();
    assert_eq!(
        names.len(),
        2,
        "paperdex wrote into a directory that is not its own"
    );

    // In an index home, a directory that merely starts with `gen-` survives rebuilds.
    cmd(dir.path()).arg("index").assert().code(0);
    fs::create_dir(dir.path().join("index/gen-notes")).unwrap();
    fs::write(dir.path().join("index/gen-notes/keep.txt"), "mine").unwrap();
    cmd(dir.path())
        .args(["index", "--rebuild"])
        .assert()
        .code(0);
    cmd(dir.path()).arg("index").assert().code(0);
    assert!(dir.path().join("index/gen-notes/keep.txt").exists());

    // A first build that fails leaves no generation behind.
    fs::write(dir.path().join("bad.jsonl"), "not json\n").unwrap();
    cmd(dir.path())
        .args(["--index", "new", "index", "bad.jsonl"])
        .assert()
        .code(2);
    assert!(generations(&dir.path().join("new")).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Damaged index files.

const EXTENSIONS: &[&str] = &["idx", "term", "pos", "store", "fast", "fieldnorm"];

/// One segment file of the index in use with the given extension.
fn segment_file(home: &Path, ext: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = fs::read_dir(generation_dir(home))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files.remove(0)
}

#[test]
fn truncated_segment_files_are_reported_with_a_rebuild_hint() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let pristine = dir.path().join("pristine");
    copy_home(&dir.path().join("index"), &pristine);
    for ext in EXTENSIONS {
        for keep in [0.0, 0.5, 0.99] {
            copy_home(&pristine, &dir.path().join("index"));
            let file = segment_file(&dir.path().join("index"), ext);
            let len = fs::metadata(&file).unwrap().len();
            let f = fs::OpenOptions::new().write(true).open(&file).unwrap();
            f.set_len((len as f64 * keep) as u64).unwrap();
            for args in [&["search", "drift"][..], &["stats"], &["check"]] {
                let out = cmd(dir.path()).args(args).output().unwrap();
                let err = stderr(&out);
                assert_eq!(out.status.code(), Some(2), "{ext} {keep} {args:?}: {err}");
                assert!(err.contains("damaged or truncated"), "{ext} {keep}: {err}");
                assert!(err.contains("index --rebuild"), "{err}");
                assert!(!err.contains("panicked"), "{err}");
            }
            // `index` refuses to guess; `--rebuild` replaces it from the recorded sources.
            fails_with(
                cmd(dir.path()).args(["index"]).output().unwrap(),
                "--rebuild",
            );
        }
    }
    cmd(dir.path())
        .args(["index", "--rebuild"])
        .assert()
        .code(0);
    cmd(dir.path()).arg("check").assert().code(0);
    assert_eq!(
        snapshot(dir.path(), "index"),
        snapshot(dir.path(), "pristine")
    );
}

#[test]
fn flipped_bytes_in_segment_files_never_panic_and_check_finds_them() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let pristine = dir.path().join("pristine");
    copy_home(&dir.path().join("index"), &pristine);
    let mut rng = Rng(0x5eed_f11b);
    let mut tried = 0;
    for round in 0..6 {
        for ext in EXTENSIONS {
            copy_home(&pristine, &dir.path().join("index"));
            let file = segment_file(&dir.path().join("index"), ext);
            let mut bytes = fs::read(&file).unwrap();
            // Damage the body; the last 16 bytes are tantivy's footer.
            let body = bytes.len().saturating_sub(16).max(1);
            for _ in 0..=rng.below(1 + body as u64 / 40) {
                let i = rng.below(body as u64) as usize;
                bytes[i] = rng.below(256) as u8;
            }
            fs::write(&file, &bytes).unwrap();
            for q in QUERIES.iter().chain(&["drift", "\"data drift\"~2"]) {
                let out = cmd(dir.path())
                    .args(["search", "--json", "-n", "30", "--", q])
                    .output()
                    .unwrap();
                let err = stderr(&out);
                assert!(matches!(out.status.code(), Some(0..=2)), "{ext} {q}: {err}");
                assert!(!err.contains("panicked"), "round {round} {ext} {q}: {err}");
                if out.status.code() == Some(2) {
                    assert!(err.contains("index --rebuild"), "{err}");
                }
                tried += 1;
            }
            // Export reads every stored paper: a damaged one is said to be so, with the hint.
            let out = cmd(dir.path()).arg("export").output().unwrap();
            let err = stderr(&out);
            assert!(matches!(out.status.code(), Some(0 | 2)), "{ext}: {err}");
            assert!(!err.contains("panicked"), "round {round} {ext}: {err}");
            if out.status.code() == Some(2) {
                assert!(err.contains("index --rebuild"), "{ext}: {err}");
            }
            fails_with(
                cmd(dir.path()).arg("check").output().unwrap(),
                "the index in index",
            );
            // `--rebuild` replaces it whatever the damage: counting the papers it drops reads
            // the damaged index, which must not fail the rebuild.
            let out = cmd(dir.path())
                .args(["index", "--rebuild"])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round} {ext}: {}",
                stderr(&out)
            );
        }
        // The damage the review found: the start of the term index overwritten.
        copy_home(&pristine, &dir.path().join("index"));
        let file = segment_file(&dir.path().join("index"), "idx");
        let mut bytes = fs::read(&file).unwrap();
        bytes[..16].fill(0xff);
        fs::write(&file, &bytes).unwrap();
        let out = cmd(dir.path())
            .args(["index", "--rebuild"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    eprintln!("{tried} searches over damaged files");
}

#[test]
fn garbage_meta_or_manifest_is_reported_and_rebuild_recovers() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let before = snapshot(dir.path(), "index").unwrap();
    let home = dir.path().join("index");
    let meta = generation_dir(&home).join("meta.json");
    for (file, content) in [
        (meta.clone(), &b"garbage"[..]),
        (meta.clone(), b""),
        (meta.clone(), b"{\"segments\": 7}"),
        (home.join("paperdex.json"), b"garbage"),
        (home.join("paperdex.json"), b""),
        (home.join("paperdex.json"), b"{\"format\": \"x\"}"),
        (home.join("paperdex.json"), b"\xff\xfe\x00"),
    ] {
        let saved = fs::read(&file).unwrap();
        fs::write(&file, content).unwrap();
        for args in [&["search", "drift"][..], &["stats"], &["check"], &["index"]] {
            let out = cmd(dir.path()).args(args).output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{}: {err}", file.display());
            assert!(err.contains("--rebuild"), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
        fs::write(&file, saved).unwrap();
    }
    // `--rebuild` replaces a damaged index, and removes the generation it no longer names.
    fs::write(&meta, "garbage").unwrap();
    cmd(dir.path())
        .args(["index", "--rebuild"])
        .assert()
        .code(0);
    assert_eq!(generations(&home).len(), 1);
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);
}

/// The state a process stopped between an `--add`'s tantivy commit and its manifest swap leaves:
/// the papers are in, the manifest on disk is the one before. The commit carries its own copy of
/// the manifest, so the new source is neither forgotten nor indexed twice.
#[test]
fn add_stopped_before_its_manifest_swap_keeps_its_source() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let manifest = dir.path().join("index/paperdex.json");
    let before_add = fs::read(&manifest).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/accents.txt"),
        dir.path().join("accents.txt"),
    )
    .unwrap();
    cmd(dir.path())
        .args(["index", "--add", "accents.txt"])
        .assert()
        .code(0);
    fs::write(&manifest, &before_add).unwrap();

    let stats = |dir: &TempDir| -> serde_json::Value {
        let out = cmd(dir.path()).args(["stats", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let s = stats(&dir);
    assert_eq!(s["documents"], 27, "{s}");
    let sources: Vec<String> = serde_json::from_value(s["sources"].clone()).unwrap();
    assert!(
        sources.iter().any(|p| p.ends_with("accents.txt")),
        "{sources:?}"
    );
    // Searching neither rebuilds (the sources are as recorded) nor loses the added papers.
    cmd(dir.path())
        .args(["search", "loopsplat"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("rebuilding").not());
    // The next write publishes the manifest the commit holds.
    cmd(dir.path())
        .args(["remove", "accents-2"])
        .assert()
        .code(0);
    let on_disk: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    assert!(
        on_disk["sources"].to_string().contains("accents.txt"),
        "{on_disk}"
    );
    assert_eq!(stats(&dir)["documents"], 26);
}

/// The format an index's manifest records.
fn manifest_format(manifest: &Path) -> u64 {
    let m: serde_json::Value = serde_json::from_slice(&fs::read(manifest).unwrap()).unwrap();
    m["format"].as_u64().unwrap()
}

/// Rewrites the format an index's manifest records, as another paperdex version would have.
fn set_manifest_format(manifest: &Path, format: u64) {
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(manifest).unwrap()).unwrap();
    m["format"] = format.into();
    fs::write(manifest, serde_json::to_vec(&m).unwrap()).unwrap();
}

#[test]
fn index_of_another_format_is_rebuilt_from_recorded_sources_or_reported() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let before = snapshot(dir.path(), "index").unwrap();
    let manifest = dir.path().join("index/paperdex.json");
    let format = manifest_format(&manifest);
    // Format 304 is 29 Nov's, from before text cleaning was part of the format: its papers'
    // text was cleaned by older rules (`\LaTeX` dropped), and is rebuilt as new analyzers are.
    assert_ne!(format, 304);
    for older in [format - 1, 304] {
        set_manifest_format(&manifest, older);

        // Not searched as it is: stats and check report it, search rebuilds from the sources.
        for args in [&["stats"][..], &["check"]] {
            fails_with(
                cmd(dir.path()).args(args).output().unwrap(),
                "another paperdex version",
            );
        }
        fails_with(
            cmd(dir.path())
                .args(["index", "--add", "corpus"])
                .output()
                .unwrap(),
            "another paperdex version",
        );
        cmd(dir.path())
            .args(["search", "drift"])
            .assert()
            .code(0)
            .stderr(predicate::str::contains(
                "built by another paperdex version; rebuilding it",
            ));
        assert_eq!(manifest_format(&manifest), format);
        assert_eq!(snapshot(dir.path(), "index").unwrap(), before);
        assert_eq!(generations(&dir.path().join("index")).len(), 1);
    }

    // `index SOURCES` replaces an index of another format (an upgrade), saying so.
    set_manifest_format(&manifest, format - 1);
    cmd(dir.path())
        .args(["index", "corpus"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("replacing the index in"));
    assert_eq!(manifest_format(&manifest), format);

    // A manifest of another format that records no sources: reported, with what to do.
    fs::write(&manifest, format!("{{\"format\": {}}}", format + 1)).unwrap();
    fails_with(
        cmd(dir.path()).args(["search", "drift"]).output().unwrap(),
        "rebuild it with `paperdex index --rebuild FILE...`, naming the listings",
    );
    cmd(dir.path())
        .args(["index", "--rebuild"])
        .assert()
        .code(0);
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);

    // Papers removed since the build: a search does not bring them back by rebuilding.
    cmd(dir.path())
        .args(["remove", "mlsys-2022-1"])
        .assert()
        .code(0);
    set_manifest_format(&manifest, format - 1);
    fails_with(
        cmd(dir.path()).args(["search", "drift"]).output().unwrap(),
        "papers were removed from it since",
    );
    assert_eq!(manifest_format(&manifest), format - 1, "not rebuilt");
}

#[test]
fn a_search_never_rebuilds_an_index_from_what_was_piped_in() {
    // What was piped in cannot be read again: a rebuild would wait on the terminal, read the
    // search's own stdin as papers, or drop those papers.
    let dir = workdir();
    let added = dir.path().join("added.jsonl");
    fs::write(&added, "{\"id\": \"a\", \"title\": \"Added drift\"}\n").unwrap();
    cmd(dir.path())
        .args(["index", "/dev/stdin", "added.jsonl"])
        .write_stdin(common::SEED)
        .assert()
        .code(0);
    let manifest = dir.path().join("index/paperdex.json");
    let format = manifest_format(&manifest);
    let stray = "{\"id\": \"x\", \"title\": \"Stray drift\"}\n";

    // Another format version: reported, with how to rebuild, rather than rebuilt.
    set_manifest_format(&manifest, format - 1);
    let out = cmd(dir.path())
        .args(["search", "drift"])
        .write_stdin(stray)
        .output()
        .unwrap();
    fails_with(out, "pipe it in again");
    assert_eq!(manifest_format(&manifest), format - 1, "not rebuilt");

    // The default index follows changed sources, but not when one was a pipe: searched as it
    // is, with a note.
    set_manifest_format(&manifest, format);
    fs::write(
        &added,
        "{\"id\": \"a\", \"title\": \"Added drift, changed\"}\n",
    )
    .unwrap();
    let out = cmd(dir.path())
        .args(["search", "--count", "drift"])
        .write_stdin(stray)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("changed since it was built"), "{err}");
    assert!(!err.contains("rebuilding"), "{err}");
    // The seed's one drift paper and the added one; not the stray paper on stdin.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
}

// ---------------------------------------------------------------------------------------------
// Two writers; searches during a write.

#[test]
fn second_index_run_waits_for_the_first_and_says_so() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let before = snapshot(dir.path(), "index").unwrap();
    synthetic_corpus(&dir.path().join("more.jsonl"), "m", 300, 7);

    // Hold the write lock as another paperdex would (the same `flock`).
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("index/paperdex.lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut waiting = std_cmd(dir.path())
        .args(["index", "--add", "more.jsonl"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.contains("another paperdex is writing"), "{first}");
    assert!(first.contains("waiting"), "{first}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(waiting.try_wait().unwrap().is_none(), "it did not wait");
    assert_eq!(snapshot(dir.path(), "index").unwrap(), before);
    lock.unlock().unwrap();
    let status = waiting.wait().unwrap();
    assert!(status.success());
    let after = snapshot(dir.path(), "index").unwrap();
    assert_eq!(after.papers.documents, before.papers.documents + 300);

    // Two real runs at once: both succeed, one after the other, and the index is the later one.
    synthetic_corpus(&dir.path().join("big.jsonl"), "b", 8000, 11);
    let a = std_cmd(dir.path())
        .args(["index", "big.jsonl"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = std_cmd(dir.path())
        .args(["index", "--add", "more.jsonl"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    let docs = snapshot(dir.path(), "index").unwrap().papers.documents;
    // `b` ran last (8300 papers) or first and was then replaced by `a` (8000).
    assert!(docs == 8300 || docs == 8000, "{docs}");
    assert_eq!(generations(&dir.path().join("index")).len(), 1);
}

/// Holds `dir`'s write lock, as another paperdex would, and starts `args` in `dir`, returning once
/// it says it is waiting for the lock; the rest of its stderr is left to read.
fn started_waiting(dir: &Path, args: &[&str]) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = std_cmd(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("waiting for it to finish") {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "{args:?} never waited"
        );
    }
    (child, err)
}

#[test]
fn a_search_waiting_to_rebuild_decides_again_once_it_may() {
    let dir = workdir();
    cmd(dir.path()).arg("index").assert().code(0);
    let listing = dir.path().join("corpus/mlsys-2022.txt");
    let original = fs::read(&listing).unwrap();
    let modified = fs::metadata(&listing).unwrap().modified().unwrap();
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("index/paperdex.lock"))
        .unwrap();

    // The listing changed, so a search means to rebuild; by the time it may, the listing is as
    // the index has it again (as after another search's rebuild): it searches, building nothing.
    fs::write(&listing, [original.as_slice(), b"\n"].concat()).unwrap();
    lock.lock().unwrap();
    let (search, mut err) = started_waiting(dir.path(), &["search", "--count", "drift"]);
    fs::write(&listing, &original).unwrap();
    fs::File::options()
        .write(true)
        .open(&listing)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    lock.unlock().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let out = search.wait_with_output().unwrap();
    assert!(out.status.success(), "{rest}");
    assert!(!rest.contains("rebuilding"), "{rest}");

    // The reviewer's case: an `--add` that gets the lock first is kept by the rebuild after it,
    // whichever runs first.
    let before = snapshot(dir.path(), "index").unwrap().papers.documents;
    synthetic_corpus(&dir.path().join("more.jsonl"), "m", 300, 7);
    fs::write(&listing, [original.as_slice(), b"\n"].concat()).unwrap();
    lock.lock().unwrap();
    let (search, _) = started_waiting(dir.path(), &["search", "--count", "drift"]);
    let (add, _) = started_waiting(dir.path(), &["index", "--add", "more.jsonl"]);
    lock.unlock().unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
    assert!(search.wait_with_output().unwrap().status.success());
    let after = snapshot(dir.path(), "index").unwrap();
    assert_eq!(after.papers.documents, before + 300);
    cmd(dir.path())
        .args(["search", "--count", "id:m0"])
        .assert()
        .code(0)
        .stdout("1\n");
}

#[test]
fn the_default_index_follows_its_corpus_when_the_project_folder_moves() {
    let parent = TempDir::new().unwrap();
    let first = parent.path().join("first");
    fs::create_dir_all(first.join("corpus")).unwrap();
    fs::write(first.join("corpus/mlsys-2022.txt"), common::SEED).unwrap();
    cmd(&first)
        .args(["search", "--count", "drift"])
        .assert()
        .code(0);
    let moved = parent.path().join("moved");
    fs::rename(&first, &moved).unwrap();
    let listing = moved.join("corpus/mlsys-2022.txt");
    let added =
        "\n#26 Zebra stripes as a benchmark\n\nAuthors: Ann Zebra\n\nZebras, stripes and drift.\n";
    fs::write(&listing, [common::SEED, added].concat()).unwrap();
    let out = cmd(&moved)
        .args(["search", "--count", "zebra"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("which is gone; rebuilding it from corpus/"),
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1", "{err}");
    // From then on it follows the corpus where it is now.
    let out = cmd(&moved)
        .args(["search", "--count", "zebra"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("rebuilding"), "{}", stderr(&out));
}

/// Searches in a loop while `child` indexes; every answer must be `old` or `new`.
fn search_while(dir: &Path, mut child: Child, old: &(u64, String), new: &(u64, String)) -> usize {
    let mut seen = 0;
    let mut saw_old = false;
    loop {
        let done = child.try_wait().unwrap().is_some();
        let stats = std_cmd(dir).args(["stats", "--json"]).output().unwrap();
        assert!(stats.status.success(), "{}", stderr(&stats));
        let count = std_cmd(dir)
            .args(["search", "--count", "graph"])
            .output()
            .unwrap();
        assert!(count.status.success(), "{}", stderr(&count));
        let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
        let docs = v["documents"].as_u64().unwrap();
        let got = String::from_utf8(count.stdout).unwrap();
        assert!(
            docs == old.0 || docs == new.0,
            "stats saw {docs} papers, neither {} nor {}",
            old.0,
            new.0
        );
        assert!(
            got == old.1 || got == new.1,
            "search counted {got}, neither {} nor {}",
            old.1,
            new.1
        );
        saw_old |= docs == old.0;
        seen += 1;
        if done {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    assert!(
        saw_old,
        "the index run ended before a search could see the old index"
    );
    seen
}

#[test]
fn searches_during_an_index_run_see_the_old_or_the_new_index() {
    let dir = workdir();
    synthetic_corpus(&dir.path().join("base.jsonl"), "s", 500, 3);
    synthetic_corpus(&dir.path().join("big.jsonl"), "b", 20_000, 5);
    let count = |dir: &Path| -> (u64, String) {
        let s = snapshot(dir, "index").unwrap();
        let c = std_cmd(dir)
            .args(["search", "--count", "graph"])
            .output()
            .unwrap();
        (s.papers.documents, String::from_utf8(c.stdout).unwrap())
    };
    for add in [false, true] {
        cmd(dir.path())
            .args(["index", "--rebuild", "base.jsonl"])
            .assert()
            .code(0);
        let old = count(dir.path());
        // The new state, measured on a copy.
        let probe = TempDir::new().unwrap();
        copy_home(&dir.path().join("index"), &probe.path().join("index"));
        let mut args = vec!["index"];
        if add {
            args.push("--add");
        }
        args.push("big.jsonl");
        let big = dir.path().join("big.jsonl");
        let big = big.to_str().unwrap();
        let mut probe_args = args.clone();
        *probe_args.last_mut().unwrap() = big;
        cmd(probe.path()).args(&probe_args).assert().code(0);
        let new = count(probe.path());
        assert_ne!(old, new);

        let child = std_cmd(dir.path())
            .args(&args)
            .args(["--threads", "1"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let seen = search_while(dir.path(), child, &old, &new);
        eprintln!("add={add}: {seen} searches during the run");
        assert_eq!(count(dir.path()), new);
    }
}

// ---------------------------------------------------------------------------------------------
// Killed in the middle of indexing.

/// The first records of the paperlists corpus, or `None` (with a message) where it is absent.
fn paperlists(n: usize) -> Option<Vec<String>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/paperlists/abstracts.jsonl.gz");
    let Ok(file) = fs::File::open(&path) else {
        eprintln!("{} is absent; skipping the crash test", path.display());
        return None;
    };
    let lines = BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .take(n)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Some(lines)
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// SIGKILLs `paperdex index` (a full build, then `--add` in place, alternately) at random
/// moments while it indexes the paperlists corpus; after each kill the index must open and
/// answer exactly as before the run or exactly as after a complete one.
///
/// By default 16 kill points over the first 20,000 records; `PAPERDEX_CRASH_POINTS=N` makes N
/// kill points over the whole corpus (`PAPERDEX_CRASH_RECORDS` to choose how much of it).
#[test]
fn killed_index_runs_leave_the_old_or_the_new_index() {
    let points = env_usize("PAPERDEX_CRASH_POINTS").unwrap_or(16);
    let default_records = if std::env::var("PAPERDEX_CRASH_POINTS").is_ok() {
        usize::MAX
    } else {
        20_000
    };
    let records = env_usize("PAPERDEX_CRASH_RECORDS").unwrap_or(default_records);
    let Some(lines) = paperlists(records.saturating_add(1_500)) else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let n = lines.len().saturating_sub(1_500).max(1);
    // The run indexes the first `n` records; the index before it holds 3,000 others, half of
    // them also in the run (so `--add` updates some papers and adds the rest).
    let sample = dir.path().join("sample.jsonl");
    fs::write(&sample, lines[..n].join("\n") + "\n").unwrap();
    let base_from = n.saturating_sub(1_500);
    fs::write(
        dir.path().join("base.jsonl"),
        lines[base_from..].join("\n") + "\n",
    )
    .unwrap();
    drop(lines);
    cmd(dir.path())
        .args(["--index", "pristine", "index", "base.jsonl"])
        .assert()
        .code(0);
    let before = snapshot(dir.path(), "pristine").unwrap();

    // Complete runs: the states a killed run may also leave, and how long a run takes.
    let mut after = Vec::new();
    let mut took = Vec::new();
    for add in [false, true] {
        copy_home(&dir.path().join("pristine"), &dir.path().join("work"));
        let started = Instant::now();
        let mut c = cmd(dir.path());
        c.args(["--index", "work", "index"]);
        if add {
            c.arg("--add");
        }
        c.arg("sample.jsonl").assert().code(0);
        took.push(started.elapsed());
        after.push(snapshot(dir.path(), "work").unwrap());
    }
    assert_ne!(before, after[0]);
    assert_ne!(before, after[1]);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test: {n} records, {points} kill points, seed {seed}");
    let mut rng = Rng(seed | 1);
    let (mut old, mut new, mut unmerged) = (0, 0, 0);
    for point in 0..points {
        let add = point % 2 == 1;
        copy_home(&dir.path().join("pristine"), &dir.path().join("work"));
        let mut c = std_cmd(dir.path());
        c.args(["--index", "work", "index"]);
        if add {
            c.arg("--add");
        }
        let mut child = c
            .arg("sample.jsonl")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere from start-up to a little past the end of a complete run; every other point
        // in its last third, where the commit, the merges and the swap happen.
        let full = took[usize::from(add)].as_micros() as u64;
        let at = if point % 4 < 2 {
            rng.below(full + full / 10 + 1)
        } else {
            full * 2 / 3 + rng.below(full / 3 + full / 10 + 1)
        };
        let at = Duration::from_micros(at);
        std::thread::sleep(at);
        child.kill().unwrap();
        child.wait().unwrap();
        let state = snapshot(dir.path(), "work").unwrap_or_else(|| {
            panic!("kill point {point} ({at:?}, add={add}): the index no longer opens")
        });
        let complete = &after[usize::from(add)];
        let outcome = if state == before {
            "old"
        } else if state.papers == complete.papers {
            "new"
        } else {
            "neither"
        };
        eprintln!("kill point {point}: add={add} at {at:?} of {full} us: {outcome}");
        if state == before {
            old += 1;
        } else if state == *complete {
            new += 1;
        } else if add && state.papers == complete.papers {
            // Killed after the commit, before merges purged the replaced papers: the same
            // papers match, but the replaced ones still count in BM25's statistics (as they do
            // after any `--add` until tantivy merges), so scores differ a little.
            new += 1;
            unmerged += 1;
        } else {
            panic!(
                "kill point {point} ({at:?}, add={add}, seed {seed}): the index answers neither as before nor as after the run:\n{state:?}\nafter:\n{:?}",
                after[usize::from(add)]
            );
        }
    }
    eprintln!(
        "crash test: {points} kill points survived: {old} left the old index, {new} the new one ({unmerged} of them before merging)"
    );

    // A build killed once its new generation exists leaves that directory behind; the next
    // complete run removes it.
    copy_home(&dir.path().join("pristine"), &dir.path().join("work"));
    let mut child = std_cmd(dir.path())
        .args(["--index", "work", "index", "sample.jsonl"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while generations(&dir.path().join("work")).len() < 2
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(dir.path(), "work").unwrap(), before);
    cmd(dir.path())
        .args(["--index", "work", "index", "sample.jsonl"])
        .assert()
        .code(0);
    assert_eq!(generations(&dir.path().join("work")).len(), 1);
    assert_eq!(snapshot(dir.path(), "work").unwrap(), after[0]);
}

// ---------------------------------------------------------------------------------------------
// A full disk.

#[test]
fn full_disk_keeps_the_old_index_and_says_why() {
    let dir = workdir();
    let disk = dir.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let Some(_mount) = Mount::new(&["-t", "tmpfs", "-o", "size=2m", "tmpfs"], &disk) else {
        return;
    };
    synthetic_corpus(&dir.path().join("big.jsonl"), "b", 20_000, 9);
    cmd(dir.path())
        .args(["--index", "disk/index", "index", "corpus"])
        .assert()
        .code(0);
    let before = snapshot(dir.path(), "disk/index").unwrap();
    let gen = generation_dir(&disk.join("index"));
    let files_before = fs::read_dir(&gen).unwrap().count();
    for args in [
        &["index", "big.jsonl"][..],
        &["index", "--add", "big.jsonl"],
    ] {
        let out = cmd(dir.path())
            .args(["--index", "disk/index"])
            .args(args)
            .output()
            .unwrap();
        fails_with(out, "is full (no space left on device)");
        assert_eq!(
            snapshot(dir.path(), "disk/index").unwrap(),
            before,
            "{args:?}"
        );
        // What the failed run wrote is gone, so the next run has the space back.
        assert_eq!(generations(&disk.join("index")).len(), 1, "{args:?}");
        assert_eq!(
            fs::read_dir(&gen).unwrap().count(),
            files_before,
            "{args:?}"
        );
        cmd(dir.path())
            .args(["--index", "disk/index", "check"])
            .assert()
            .code(0);
    }
    // Space enough again: the same run succeeds.
    cmd(dir.path())
        .args(["--index", "disk/index", "index", "corpus/mlsys-2022.txt"])
        .assert()
        .code(0);
}

/// `index --merge` needs room for a second copy of the index while it merges. Without it, the
/// write itself is kept (in several segments) and a warning says why the merge did not happen.
#[test]
fn merge_on_a_full_disk_keeps_the_write_and_warns() {
    let dir = workdir();
    synthetic_corpus(&dir.path().join("a.jsonl"), "a", 3_000, 5);
    synthetic_corpus(&dir.path().join("b.jsonl"), "b", 3_000, 6);
    synthetic_corpus(&dir.path().join("c.jsonl"), "c", 1, 7);
    for args in [&["index", "a.jsonl"][..], &["index", "--add", "b.jsonl"]] {
        cmd(dir.path())
            .args(["--index", "built"])
            .args(args)
            .assert()
            .code(0);
    }
    let built = dir.path().join("built");
    let size = paperdex::ingest::dir_size(&generation_dir(&built));
    // Room for the index and half as much again: the merged copy does not fit.
    let disk = dir.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let tmpfs_size = format!("size={}k", size * 3 / 2 / 1024 + 64);
    let Some(_mount) = Mount::new(&["-t", "tmpfs", "-o", &tmpfs_size, "tmpfs"], &disk) else {
        return;
    };
    copy_home(&built, &disk.join("index"));

    let out = std_cmd(dir.path())
        .args([
            "--index",
            "disk/index",
            "index",
            "--add",
            "--merge",
            "c.jsonl",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("could not be merged into one segment"),
        "{err}"
    );
    let stats: serde_json::Value = serde_json::from_slice(
        &std_cmd(dir.path())
            .args(["--index", "disk/index", "stats", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["documents"], 6_001);
    assert!(stats["segments"].as_u64().unwrap() > 1, "{stats}");
    cmd(dir.path())
        .args(["--index", "disk/index", "check"])
        .assert()
        .code(0);
}

/// `/dev/full`, where this machine has it: every write fails with "no space left".
fn dev_full() -> Option<fs::File> {
    match fs::OpenOptions::new().write(true).open("/dev/full") {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("skipped: /dev/full cannot be opened here ({e})");
            None
        }
    }
}

#[test]
fn a_stderr_that_cannot_be_written_never_undoes_the_work_or_panics() {
    let dir = workdir();
    cmd(&dir).args(["index"]).assert().success();
    let extra = dir.path().join("extra.jsonl");
    fs::write(
        &extra,
        "{\"id\": \"x1\", \"title\": \"Quokka scheduling\", \"abstract\": \"Quokkas.\"}\n",
    )
    .unwrap();
    let Some(full) = dev_full() else { return };
    // A committed --add whose summary cannot be written: still a success, and committed.
    let out = std_cmd(dir.path())
        .args(["index", "--add"])
        .arg(&extra)
        .stderr(full.try_clone().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A search whose note ("did you mean") cannot be written: still its answer and exit code.
    let out = std_cmd(dir.path())
        .args(["search", "quokka"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Quokka scheduling"));
}

#[test]
fn check_with_a_full_stdout_is_a_write_error_not_a_damaged_index() {
    let dir = workdir();
    cmd(&dir).args(["index"]).assert().success();
    let Some(full) = dev_full() else { return };
    let out = std_cmd(dir.path())
        .arg("check")
        .stdout(full)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("damaged") && !err.contains("panicked"),
        "{err}"
    );
    assert!(err.contains("writing stdout: No space left"), "{err}");
}
