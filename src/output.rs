//! Files a command writes at a path the user names (`export --output`, `eval --run`).
//!
//! Invariants, as a shell's `>` would leave things where it can, and never a half-written file:
//! a regular file (or a new one) is written aside in its own directory and renamed over only
//! once complete, so a failed or interrupted run leaves the old file whole; a symbolic link is
//! followed, so the link stays and its target is replaced (or made, for a dangling link);
//! anything else (a FIFO, a terminal, a device) is written in place, as renaming over it would
//! replace it with a file, and `/dev/stdout` and its like are this process's own stream, wherever
//! the shell sent it. A new file gets the permissions the umask gives (not a temporary file's
//! 0600) and a replaced one keeps its own.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Writes `path` through `write`, which gets a buffered writer and returns what it produced.
///
/// # Errors
///
/// `path` being a directory, or its directory not writable; errors of `write` and of the final
/// flush and rename, each with `path` in the message.
pub fn write_file<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    // `-`, as for most tools, is standard output.
    let shown = if path == Path::new("-") {
        "stdout".to_string()
    } else {
        path.display().to_string()
    };
    // `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1` name an open file, not a place: where the
    // shell sent stdout to a file (`>> log`), renaming over it would drop what it held.
    let names_an_open_file = path.starts_with("/dev") || path.starts_with("/proc");
    let metadata = fs::metadata(path);
    let in_place = match (inherited(path), &metadata) {
        (Some(file), _) => Some(file),
        (None, Ok(meta)) if meta.is_dir() => bail!("cannot write {shown}: it is a directory"),
        (None, Ok(meta)) if !meta.is_file() || names_an_open_file => Some(
            OpenOptions::new()
                .write(true)
                .append(meta.is_file())
                .open(path),
        ),
        (None, _) => None,
    };
    match (in_place, metadata) {
        (Some(file), _) => {
            let file = file.with_context(|| format!("cannot write {shown}"))?;
            let mut out = BufWriter::new(file);
            let produced = write(&mut out).with_context(|| format!("writing {shown}"))?;
            out.flush().with_context(|| format!("writing {shown}"))?;
            Ok(produced)
        }
        (None, existing) => {
            // A link is followed to the file it names, which a dangling link makes.
            let target = match fs::canonicalize(path) {
                Ok(real) if existing.is_ok() => real,
                _ => dangling_target(path).unwrap_or_else(|| path.to_path_buf()),
            };
            write_aside(&target, existing.ok().map(|m| m.permissions()), write)
                .with_context(|| format!("writing {shown}"))
        }
    }
}

/// Standard output, whose write errors say they are stdout's (`writing stdout: No space left
/// on device`); a closed pipe keeps its kind, which ends a run quietly.
pub struct Stdout(std::io::StdoutLock<'static>);

pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(named)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(named)
    }
}

fn named(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        e
    } else {
        std::io::Error::new(e.kind(), format!("writing stdout: {e}"))
    }
}

/// This process's own stdout or stderr where `path` names it, as a handle sharing its file
/// offset: `{ echo a; paperdex export --output /dev/stdout; echo b; } > log` then keeps all three
/// in order, as `> /dev/stdout` in a shell does.
#[cfg(unix)]
fn inherited(path: &Path) -> Option<std::io::Result<File>> {
    use std::os::fd::AsFd;
    let fd = match path.to_str()? {
        "-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => {
            std::io::stdout().as_fd().try_clone_to_owned()
        }
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => {
            std::io::stderr().as_fd().try_clone_to_owned()
        }
        _ => return None,
    };
    Some(fd.map(File::from))
}

#[cfg(not(unix))]
fn inherited(_: &Path) -> Option<std::io::Result<File>> {
    None
}

/// Where a dangling symbolic link at `path` points (followed through further links), or `None`
/// when `path` is not a link.
fn dangling_target(path: &Path) -> Option<PathBuf> {
    let mut at = path.to_path_buf();
    // A loop of links ends here, as the kernel's own limit ends it.
    for _ in 0..40 {
        // What the last link names does not exist (or is not a link): that is the file.
        let is_link = fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return (at != path).then_some(at);
        }
        let next = fs::read_link(&at).ok()?;
        at = match at.parent() {
            Some(dir) => dir.join(next),
            None => next,
        };
    }
    None
}

fn write_aside<T>(
    target: &Path,
    keep: Option<fs::Permissions>,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let dir: PathBuf = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".paperdex-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(
            keep.clone()
                .unwrap_or_else(|| fs::Permissions::from_mode(0o666)),
        );
    }
    let tmp = builder.tempfile_in(&dir).map_err(|e| {
        // tempfile names its random file (`at path .../.paperdex-x1Y2z3.tmp`), which the user
        // never asked for: the folder is what they can act on.
        let cause = e.to_string();
        let cause = cause.split(" at path ").next().unwrap_or(&cause);
        anyhow::anyhow!("cannot create a file in {}: {cause}", dir.display())
    })?;
    let mut out = BufWriter::new(tmp.as_file().try_clone()?);
    let produced = write(&mut out)?;
    out.flush()?;
    if let Some(perms) = keep {
        // The umask narrowed the creation mode; an existing file keeps exactly its own.
        fs::set_permissions(tmp.path(), perms)?;
    }
    tmp.persist(target)?;
    Ok(produced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        fs::write(&path, "old\n").unwrap();
        let err = write_file(&path, |w| -> Result<()> {
            w.write_all(b"partial")?;
            bail!("the index could not be read")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("out.jsonl"), "{err:#}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no file left aside"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file(&link, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_link_makes_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("sub/target.txt", &link).unwrap();
        write_file(&link, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(dir.path().join("sub/target.txt")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_directory_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_file(dir.path(), |_| Ok(())).unwrap_err();
        assert!(format!("{err}").contains("is a directory"), "{err}");
    }
}
