//! What every CLI test needs: a working directory like a fresh checkout, and the binary run in it
//! with an environment that does not leak the developer's settings.

#![allow(dead_code)] // Each test file uses its own subset.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The embedded corpus.
pub const SEED: &str = include_str!("../../corpus/mlsys-2022.txt");

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A temporary working directory with `corpus/mlsys-2022.txt`, as a fresh checkout has.
pub fn workdir() -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("corpus")).unwrap();
    fs::write(dir.path().join("corpus/mlsys-2022.txt"), SEED).unwrap();
    dir
}

/// `paperdex` run in `dir` (a `TempDir` or a path), with `NO_COLOR` and `PAPERDEX_INDEX` cleared.
pub fn cmd(dir: impl AsRef<Path>) -> Command {
    let mut c = Command::cargo_bin("paperdex").unwrap();
    c.current_dir(dir.as_ref())
        .env_remove("NO_COLOR")
        .env_remove("PAPERDEX_INDEX");
    c
}

/// `../shared/data/<rel>` where the shared test data is laid out, or `None` (after saying so on
/// stderr) where it is absent, so the test can skip cleanly.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}
